import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { projectColumnLineage, type LineageModel, type LineageRelation } from './lineage.js';
import type { ColumnLineage, ColumnLineageEntry } from './site/types.js';
import { copyExampleProject, runCli } from '../test-support/project.js';

const RELATIONS = new Map<string, LineageRelation>([
  ['raw.orders', { unique_id: 'seed.orders', columns: ['order_id', 'customer_id', 'amount', 'status', 'ordered_at'] }],
  ['raw.customers', { unique_id: 'seed.customers', columns: ['customer_id', 'name', 'email'] }],
  ['raw.payments', { unique_id: 'source.raw.payments', columns: ['payment_id', 'order_id', 'amount'] }],
]);

/** One line per column: `name <- node.column, …` or `name ? reason`. */
function lines(entries: readonly ColumnLineageEntry[]): string[] {
  return entries.map((e) => (e.unknown !== undefined ? `${e.column} ? ${e.unknown}` : `${e.column} <- ${e.sources.map((s) => `${s.node}.${s.column}`).join(', ')}`.trimEnd()));
}

async function lineage(sql: string, relations: ReadonlyMap<string, LineageRelation> = RELATIONS): Promise<string[]> {
  const out = await projectColumnLineage([{ unique_id: 'model.m', compiled_code: sql }], relations);
  for (const e of out['model.m']) if (e.unknown !== undefined) expect(e.sources).toEqual([]);
  return lines(out['model.m']);
}

describe('column lineage from DuckDB’s parser', () => {
  it('follows plain, qualified and aliased columns of a schema-qualified relation, with or without a catalog', async () => {
    expect(await lineage('select order_id, o.amount as total, "O"."Status" from "raw"."orders" o')).toEqual([
      'order_id <- seed.orders.order_id',
      'total <- seed.orders.amount',
      'status <- seed.orders.status',
    ]);
    expect(await lineage('select o.amount from "eider_target"."raw"."orders" o join eider_defer.raw.customers c using (customer_id)')).toEqual(['amount <- seed.orders.amount']);
  });

  it('unions the column references of expressions, functions, CASE and casts; constants have no sources', async () => {
    expect(
      await lineage(`select amount * 2 + length(status) as a, case when status = 'x' then amount else 0 end as b,
        cast(ordered_at as date) as d, ordered_at::date as e, 'INR' as currency, 1 + 1 as two, coalesce(amount, order_id) as f,
        amount between 1 and customer_id as g, status in ('a', 'b') as h, not (amount > 0 and status is null) as i from raw.orders`),
    ).toEqual([
      'a <- seed.orders.amount, seed.orders.status',
      'b <- seed.orders.status, seed.orders.amount',
      'd <- seed.orders.ordered_at',
      'e <- seed.orders.ordered_at',
      'currency <-',
      'two <-',
      'f <- seed.orders.amount, seed.orders.order_id',
      'g <- seed.orders.amount, seed.orders.customer_id',
      'h <- seed.orders.status',
      'i <- seed.orders.amount, seed.orders.status',
    ]);
  });

  it('goes through CTEs, nested CTEs and CTEs that read CTEs', async () => {
    const sql = `with a as (select order_id, amount as amt from raw.orders),
      b as (with inner_cte as (select order_id as id, amt * 2 as double_amt from a) select id, double_amt from inner_cte),
      c(x, y) as (select id, double_amt from b)
      select x, y, b.double_amt as again from c join b on c.x = b.id`;
    expect(await lineage(sql)).toEqual(['x <- seed.orders.order_id', 'y <- seed.orders.amount', 'again <- seed.orders.amount']);
    expect(await lineage('with recursive r as (select order_id as n from raw.orders union all select n + 1 from r where n < 5) select n from r')).toEqual(['n ? recursive CTE']);
  });

  it('goes through subqueries in FROM, with column aliases', async () => {
    expect(await lineage('select s.total, n from (select customer_id, sum(amount) as total from raw.orders group by 1) s(cid), (select 5) k(n)')).toEqual([
      'total <- seed.orders.amount',
      'n <-',
    ]);
    expect(await lineage('select o.order_id, x.v from raw.orders o, lateral (select o.amount * 2 as v) x')).toEqual(['order_id <- seed.orders.order_id', 'v <- seed.orders.amount']);
  });

  it('resolves an unqualified column to the one FROM item that has it; ambiguous and missing ones are unknown', async () => {
    expect(await lineage('select name, email, payment_id, o.amount, order_id from raw.orders o join raw.customers c on o.customer_id = c.customer_id join raw.payments p on p.order_id = o.order_id')).toEqual([
      'name <- seed.customers.name',
      'email <- seed.customers.email',
      'payment_id <- source.raw.payments.payment_id',
      'amount <- seed.orders.amount',
      'order_id ? ambiguous column "order_id"',
    ]);
    expect(await lineage('select nope from raw.orders')).toEqual(['nope ? column "nope" not found']);
  });

  it('merges USING and NATURAL join columns from both sides, once in select *', async () => {
    expect(await lineage('select customer_id, o.customer_id as left_id from raw.orders o join raw.customers c using (customer_id)')).toEqual([
      'customer_id <- seed.orders.customer_id, seed.customers.customer_id',
      'left_id <- seed.orders.customer_id',
    ]);
    expect(await lineage('select * from raw.orders natural join raw.customers')).toEqual([
      'order_id <- seed.orders.order_id',
      'customer_id <- seed.orders.customer_id, seed.customers.customer_id',
      'amount <- seed.orders.amount',
      'status <- seed.orders.status',
      'ordered_at <- seed.orders.ordered_at',
      'name <- seed.customers.name',
      'email <- seed.customers.email',
    ]);
    expect(await lineage('select order_id, customer_id from raw.orders join raw.customers using (customer_id) join raw.payments using (order_id)')).toEqual([
      'order_id <- seed.orders.order_id, source.raw.payments.order_id',
      'customer_id <- seed.orders.customer_id, seed.customers.customer_id',
    ]);
    expect(await lineage('select * exclude (ordered_at, status, amount) from raw.orders semi join raw.customers using (customer_id)')).toEqual([
      'order_id <- seed.orders.order_id',
      'customer_id <- seed.orders.customer_id',
    ]);
  });

  it('expands *, t.*, * EXCLUDE, * REPLACE and * RENAME', async () => {
    expect(await lineage('select c.*, p.* exclude (payment_id) replace (p.amount * 100 as amount) from raw.customers c join raw.payments p on true')).toEqual([
      'customer_id <- seed.customers.customer_id',
      'name <- seed.customers.name',
      'email <- seed.customers.email',
      'order_id <- source.raw.payments.order_id',
      'amount <- source.raw.payments.amount',
    ]);
    expect(await lineage('select * exclude (c.email) rename (name as full_name) from raw.customers c')).toEqual([
      'customer_id <- seed.customers.customer_id',
      'full_name <- seed.customers.name',
    ]);
  });

  it('makes COLUMNS(...) unknown unless it is COLUMNS(*)', async () => {
    expect(await lineage('select columns(*) from raw.customers')).toEqual([
      'customer_id <- seed.customers.customer_id',
      'name <- seed.customers.name',
      'email <- seed.customers.email',
    ]);
    expect(await lineage(`select order_id, columns('^a') from raw.orders`)).toEqual(['order_id <- seed.orders.order_id', '* ? COLUMNS(...)']);
    expect(await lineage('select max(columns(*)) as m from raw.orders')).toEqual(['m ? COLUMNS(...)']);
  });

  it('takes aggregates and window functions from their arguments, not PARTITION BY / ORDER BY / FILTER', async () => {
    expect(
      await lineage(`select status, count(*) as n, sum(amount) filter (where customer_id > 0) as total, first(order_id order by ordered_at) as first_id,
        sum(amount) over (partition by customer_id order by ordered_at) as running, row_number() over (order by amount) as rn,
        lag(amount, 1, order_id) over (order by ordered_at) as prev from raw.orders group by all`),
    ).toEqual([
      'status <- seed.orders.status',
      'n <-',
      'total <- seed.orders.amount',
      'first_id <- seed.orders.order_id',
      'running <- seed.orders.amount',
      'rn <-',
      'prev <- seed.orders.amount, seed.orders.order_id',
    ]);
  });

  it('unions the branches of UNION, UNION ALL, INTERSECT and UNION BY NAME column by column; EXCEPT takes its first branch', async () => {
    expect(await lineage('select order_id as id, amount from raw.orders union all select payment_id, amount from raw.payments union select 1, 2 intersect select customer_id, 0 from raw.customers')).toEqual([
      'id <- seed.orders.order_id, source.raw.payments.payment_id, seed.customers.customer_id',
      'amount <- seed.orders.amount, source.raw.payments.amount',
    ]);
    // EXCEPT's values come from its first branch; the second only removes rows.
    expect(await lineage('select order_id from raw.orders except select order_id from raw.payments')).toEqual(['order_id <- seed.orders.order_id']);
    expect(await lineage('select order_id from raw.orders except all select order_id from raw.payments')).toEqual(['order_id <- seed.orders.order_id']);
    expect(await lineage('select amount, order_id from raw.orders union by name select order_id, payment_id from raw.payments')).toEqual([
      'amount <- seed.orders.amount',
      'order_id <- seed.orders.order_id, source.raw.payments.order_id',
      'payment_id <- source.raw.payments.payment_id',
    ]);
  });

  it('treats VALUES lists as constants', async () => {
    expect(await lineage('values (1, 2), (3, 4)')).toEqual(['col0 <-', 'col1 <-']);
    expect(await lineage(`select v.code, o.amount from raw.orders o join (values ('a', 1)) v(code, rank) on true`)).toEqual(['code <-', 'amount <- seed.orders.amount']);
  });

  it('makes columns of table functions unknown', async () => {
    expect(await lineage(`select * from read_parquet('x.parquet')`)).toEqual(['* ? table function']);
    expect(await lineage(`select range as id, 'x' as tag, o.amount from range(3) r join raw.orders o on true`)).toEqual(['id ? table function', 'tag <-', 'amount <- seed.orders.amount']);
  });

  it('takes scalar and IN subqueries in the select list from their own columns and the outer ones they use', async () => {
    expect(
      await lineage(`select (select max(p.amount) from raw.payments p where p.order_id = o.order_id) as paid,
        (select o.amount - sum(p.amount) from raw.payments p) as diff, customer_id in (select customer_id from raw.customers) as known,
        exists (select 1 from raw.payments) as any_paid from raw.orders o`),
    ).toEqual([
      'paid <- source.raw.payments.amount',
      'diff <- seed.orders.amount, source.raw.payments.amount',
      'known <- seed.orders.customer_id, seed.customers.customer_id',
      'any_paid ? EXISTS subquery',
    ]);
  });

  it('reads DuckDB’s FROM-first syntax, QUALIFY and select-list aliases used later in the list', async () => {
    expect(await lineage('from raw.orders select amount as a, a * 2 as b qualify row_number() over (partition by customer_id order by a) = 1')).toEqual(['a <- seed.orders.amount', 'b <- seed.orders.amount']);
    expect(await lineage('from raw.customers')).toEqual(['customer_id <- seed.customers.customer_id', 'name <- seed.customers.name', 'email <- seed.customers.email']);
  });

  it('treats lambda parameters and struct fields as coming from the list or struct column', async () => {
    expect(await lineage(`select list_transform([amount, order_id], x -> x + customer_id) as l, {'k': status}.k as f from raw.orders`)).toEqual([
      'l <- seed.orders.amount, seed.orders.order_id, seed.orders.customer_id',
      'f <- seed.orders.status',
    ]);
  });

  it('makes every known column of a model that does not parse "parse error", and unknown relations unknown', async () => {
    const rels = new Map([...RELATIONS, ['marts.m', { unique_id: 'model.m', columns: ['a', 'b'] }]]);
    expect(await lineage('selec a, b from raw.orders', rels)).toEqual(['a ? parse error', 'b ? parse error']);
    expect(await lineage('create table x as select 1', rels)).toEqual(['a ? not a SELECT', 'b ? not a SELECT']);
    expect(await lineage('select 1 as a; select 2 as b', rels)).toEqual(['a ? more than one statement', 'b ? more than one statement']);
    expect(await lineage('select a from (selec')).toEqual(['* ? parse error']);
    expect(await lineage('select a, amount from raw.nope')).toEqual(['a ? relation raw.nope is not known', 'amount ? relation raw.nope is not known']);
  });

  it('names the columns of a built model from the catalog, by position, and by name around an unexpanded star', async () => {
    const rels = new Map([...RELATIONS, ['marts.m', { unique_id: 'model.m', columns: ['total', 'sum(amount)'] }]]);
    expect(await lineage('select amount as total, sum(amount) from raw.orders', rels)).toEqual(['total <- seed.orders.amount', 'sum(amount) <- seed.orders.amount']);
    const wide = new Map([...RELATIONS, ['marts.m', { unique_id: 'model.m', columns: ['amount', 'x', 'y'] }]]);
    expect(await lineage(`select o.amount, r.* from raw.orders o, read_csv('f.csv') r`, wide)).toEqual(['amount <- seed.orders.amount', 'x ? table function', 'y ? table function']);
  });

  it('names expressions without an alias as DuckDB does when the catalog does not have the model', async () => {
    expect(await lineage(`select sum(amount), amount + 1, 'x', count(*), cast(status as int) from raw.orders group by all`)).toEqual([
      'sum(amount) <- seed.orders.amount',
      '(amount + 1) <- seed.orders.amount',
      "'x' <-",
      'count_star() <-',
      'CAST(status AS INTEGER) <- seed.orders.status',
    ]);
  });

  it('traces a model whose upstream model is not built through that model’s own SELECT, in dependency order', async () => {
    const relations = new Map([...RELATIONS, ['staging.stg', { unique_id: 'model.stg', columns: [] }]]);
    const models: LineageModel[] = [
      { unique_id: 'model.mart', compiled_code: 'select s.*, s.total * 2 as doubled from "staging"."stg" s' },
      { unique_id: 'model.stg', compiled_code: 'select customer_id, sum(amount) as total from raw.orders group by 1' },
    ];
    const out = await projectColumnLineage(models, relations);
    expect(lines(out['model.mart'])).toEqual(['customer_id <- model.stg.customer_id', 'total <- model.stg.total', 'doubled <- model.stg.total']);
    expect(lines(out['model.stg'])).toEqual(['customer_id <- seed.orders.customer_id', 'total <- seed.orders.amount']);
    const files = new Map([['staging.files', { unique_id: 'model.files', columns: [] }]]);
    const read = await projectColumnLineage(
      [
        { unique_id: 'model.files', compiled_code: `select * from read_csv('x.csv')` },
        { unique_id: 'model.use', compiled_code: 'select path, 1 as one from staging.files' },
      ],
      files,
    );
    expect(lines(read['model.use'])).toEqual(['path ? columns of model.files are not known', 'one <-']);
  });
});

describe('column lineage of the example project', () => {
  let dir: string;
  let models: LineageModel[];
  let catalog: Map<string, LineageRelation>;
  beforeAll(async () => {
    dir = copyExampleProject();
    const build = await runCli(dir, ['build', '--catalog']);
    expect(build.stderr).toBe('');
    const manifest = JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8')) as { nodes: Record<string, { resource_type: string; unique_id: string; compiled_code?: string; relation?: { schema: string; name: string } }> };
    models = Object.values(manifest.nodes).filter((n) => n.resource_type === 'model' && n.compiled_code).map((n) => ({ unique_id: n.unique_id, compiled_code: n.compiled_code! }));
    const relations = (JSON.parse(readFileSync(join(dir, 'target/catalog.json'), 'utf8')) as { relations: Array<{ unique_id: string | null; schema: string; name: string; columns: Array<{ name: string }> }> }).relations;
    catalog = new Map(relations.filter((r) => r.unique_id).map((r) => [`${r.schema}.${r.name}`, { unique_id: r.unique_id!, columns: r.columns.map((c) => c.name) }]));
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const fctOrders = [
    'order_id <- model.stg_orders.order_id',
    'customer_id <- model.stg_orders.customer_id',
    'ordered_at <- model.stg_orders.ordered_at',
    'order_date <- model.stg_orders.order_date',
    'status <- model.stg_orders.status',
    'updated_at <- model.stg_orders.updated_at',
    // Through the ephemeral int_order_totals and int_order_items_enriched, inlined as CTEs.
    'item_count <- model.stg_order_items.quantity',
    'gross_amount <- model.stg_order_items.gross_paise',
    'discount_amount <- model.stg_order_items.discount_paise',
    'net_amount <- model.stg_order_items.net_paise',
    'discount_share <- model.stg_order_items.discount_paise, model.stg_order_items.gross_paise',
    'paid_amount <- model.stg_payments.amount',
    'payment_method <- model.stg_payments.payment_method',
    'currency <-',
  ];
  const check = (out: ColumnLineage) => {
    expect(lines(out['model.fct_orders'])).toEqual(fctOrders);
    expect(lines(out['model.stg_orders'])).toContain('order_date <- seed.raw_orders.ordered_at');
    expect(lines(out['model.int_order_totals'])).toContain('category_count <- model.stg_products.category');
    expect(lines(out['model.mart_daily_sales'])).toContain('net_revenue <- model.fct_orders.net_amount');
    // stg_web_sessions reads a CSV file.
    expect(out['model.stg_web_sessions'].map((e) => e.unknown)).toEqual(Array(7).fill('table function'));
  };

  it('traces fct_orders back to staging and staging to the seeds, with the catalog’s columns', async () => {
    check(await projectColumnLineage(models, catalog));
  });

  it('gives the same lineage from the SELECT lists alone when no model is in the catalog yet', async () => {
    const seedsOnly = new Map([...catalog].map(([key, r]) => [key, r.unique_id.startsWith('model.') ? { unique_id: r.unique_id, columns: [] } : r]));
    check(await projectColumnLineage(models, seedsOnly));
  });
});
