import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const types = (t: TestProject, table: string) =>
  t.query(`select column_name as c, data_type as t from information_schema.columns where table_name = '${table}' order by ordinal_position`);
const count = async (t: TestProject, table: string) => Number((await t.query(`select count(*) as n from ${table}`))[0].n);

/** A seed with rows, a source over it, a staging model and a fact with an enforced contract and a test. */
const shop = {
  'seeds/raw_orders.csv': 'id,customer,amount,day\n1,ann,10.50,2024-01-01\n2,bob,3.25,2024-01-02\n',
  'models/sources.yml': 'sources:\n  - name: shop\n    schema: main\n    tables:\n      - name: raw_orders\n',
  'models/stg_orders.sql': '{{config materialized="table"}}\nselect id, customer, amount::decimal(18,2) as amount, day from {{source "shop" "raw_orders"}}',
  // Columns qualified by the table's own name still bind: the empty relation is named after it.
  'models/fct.sql': '{{config materialized="table"}}\nselect stg_orders.id, stg_orders.amount, c.n from {{ref "stg_orders"}} join (select customer, count(*) as n from {{ref "stg_orders"}} group by all) c using (customer)',
  'models/fct.yml':
    'models:\n  - name: fct\n    config:\n      contract: {enforced: true}\n    columns:\n      - name: id\n        data_type: bigint\n        tests: [not_null, unique]\n      - name: amount\n        data_type: decimal(18,2)\n      - name: n\n        data_type: bigint\n',
};

describe('--empty', () => {
  it('builds every model with the real columns and types and zero rows; seeds load, tests run', async () => {
    p = testProject(shop);
    const r = await p.run('build', '--empty');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK created table main\.fct .*0 rows/);
    expect(r.stdout).toMatch(/PASS .*unique_fct_id/);
    expect(await count(p, 'raw_orders')).toBe(2);
    expect(await count(p, 'stg_orders')).toBe(0);
    expect(await count(p, 'fct')).toBe(0);
    const emptyTypes = await types(p, 'fct');
    expect(emptyTypes).toEqual([
      { c: 'id', t: 'BIGINT' },
      { c: 'amount', t: 'DECIMAL(18,2)' },
      { c: 'n', t: 'BIGINT' },
    ]);
    // The same columns as a real build.
    expect((await p.run('build')).code).toBe(0);
    expect(await count(p, 'fct')).toBe(2);
    expect(await types(p, 'fct')).toEqual(emptyTypes);
  });

  it('a contract violation is caught under --empty', async () => {
    p = testProject({ ...shop, 'models/fct.sql': '{{config materialized="table"}}\nselect id::integer as id, amount, 1 as n from {{ref "stg_orders"}}' });
    const r = await p.run('build', '--empty');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/contract of fct not met: column id is INTEGER, declared BIGINT; column n is INTEGER, declared BIGINT/);
  });

  it('a model reading a column its ref does not have fails under --empty, and what depends on it is skipped', async () => {
    p = testProject({ ...shop, 'models/stg_orders.sql': '{{config materialized="table"}}\nselect id, customer, amount, discount from {{source "shop" "raw_orders"}}' });
    const r = await p.run('build', '--empty');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/models\/stg_orders\.sql:\d+: Binder Error: Referenced column "discount" not found/);
    expect(r.stdout).toMatch(/SKIP table main\.fct/);
  });

  it('compile --empty shows the zero-row relations; a plain compile does not', async () => {
    p = testProject(shop);
    expect((await p.run('compile', '--empty')).code).toBe(0);
    const sql = readFileSync(join(p.dir, 'target/compiled/models/fct.sql'), 'utf8');
    expect(sql).toContain('from (select * from "main"."stg_orders" where false) as "stg_orders" join (select customer, count(*) as n from (select * from "main"."stg_orders" where false) as "stg_orders" group by all)');
    expect((await p.run('compile')).code).toBe(0);
    expect(readFileSync(join(p.dir, 'target/compiled/models/fct.sql'), 'utf8')).not.toContain('where false');
  });

  it('runs no hooks: an export in on_run_end or a post_hook would otherwise overwrite real files with empty ones', async () => {
    p = testProject({
      ...shop,
      'project.yml': "name: t\non_run_end:\n  - \"copy (select * from fct) to 'out_end.csv'\"\n",
      'models/fct.sql': `{{config materialized="table" post_hook="copy (select * from {{this}}) to 'out_hook.csv'"}}\nselect id, amount from {{ref "stg_orders"}}`,
      'models/fct.yml': 'models:\n  - name: fct\n',
    });
    expect((await p.run('build')).code).toBe(0);
    const lines = (f: string) => readFileSync(join(p!.dir, f), 'utf8').trim().split('\n').length;
    expect([lines('out_end.csv'), lines('out_hook.csv')]).toEqual([3, 3]);
    const r = await p.run('build', '--empty');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK created table main\.fct .*0 rows/);
    expect([lines('out_end.csv'), lines('out_hook.csv')]).toEqual([3, 3]);
  });

  it('never publishes a swap target: the build checks in the release copy and prod keeps its release', async () => {
    p = testProject({ ...shop, 'profiles/profiles.yml': 't:\n  target: prod\n  targets:\n    prod:\n      path: warehouse/prod.duckdb\n' });
    expect((await p.run('build')).code).toBe(0);
    const before = statSync(p.db.replace('dev.duckdb', 'prod.duckdb')).mtimeMs;
    const r = await p.run('build', '--empty');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK created table main\.fct .*0 rows/);
    expect(r.stderr).toMatch(/Nothing was published: --empty builds only check, so prod keeps its current release\./);
    expect(statSync(p.db.replace('dev.duckdb', 'prod.duckdb')).mtimeMs).toBe(before);
    const prod = join(p.dir, 'warehouse/prod.duckdb');
    const { queryFile } = await import('../test-support/project.js');
    expect(await queryFile(prod, 'select count(*)::int as n from fct')).toEqual([{ n: 2 }]);
    // A mistake is still caught there.
    p.write('models/stg_orders.sql', '{{config materialized="table"}}\nselect id, nope from {{source "shop" "raw_orders"}}');
    expect((await p.run('build', '--empty')).code).toBe(1);
    expect(await queryFile(prod, 'select count(*)::int as n from fct')).toEqual([{ n: 2 }]);
  });

  it('keeps history: an incremental table keeps its rows, a snapshot is checked but not changed, an external model writes no file', async () => {
    p = testProject({
      'models/base.sql': '{{config materialized="table"}}\nselect range as id, 10 as price from range(3)',
      'models/inc.sql': '{{config materialized="incremental" unique_key="id"}}\nselect id, price from {{ref "base"}}{{#if is_incremental}} where id > (select max(id) from {{this}}){{/if}}',
      'snapshots/snap.sql': '{{config unique_key="id" strategy="check" check_cols="price" invalidate_hard_deletes=true}}\nselect id, price from {{ref "base"}}',
      'models/export.sql': '{{config materialized="external" location="exports/base.parquet"}}\nselect * from {{ref "base"}}',
      'seeds/events.csv': 'event_id,occurred_at\n1,2024-01-01 09:00:00\n2,2024-01-02 09:00:00\n',
      'models/batches.sql': '{{config materialized="incremental" incremental_strategy="microbatch" event_time="occurred_at" batch_size="day" lookback=1 begin="2024-01-01"}}\nselect * from {{ref "events"}}',
      'models/js_model.js': "export const refs = ['base'];\nexport default ({ ref }) => ref('base').derive({ double: (d) => d.price * 2 });\n",
    });
    expect((await p.run('build')).code).toBe(0);
    const file = join(p.dir, 'output/dev/exports/base.parquet');
    const written = statSync(file).mtimeMs;
    // A backfill window too: its batches would be replaced by none.
    const r = await p.run('build', '--empty', '--event-time-start', '2024-01-01', '--event-time-end', '2024-01-03');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK checked snapshot main\.snap/);
    expect(await count(p, 'inc')).toBe(3);
    expect(await count(p, 'batches')).toBe(2);
    expect(await p.query('select count(*)::int as n, count(*) filter (where is_current)::int as current from snap')).toEqual([{ n: 3, current: 3 }]);
    expect(statSync(file).mtimeMs).toBe(written);
    expect(existsSync(`${file}.eider-new`)).toBe(false);
    expect(await count(p, 'export')).toBe(0);
    // A JavaScript model gets its inputs with zero rows: what it passes through keeps its type, what it computes has no values to type it.
    expect(await count(p, 'js_model')).toBe(0);
    expect(await types(p, 'js_model')).toEqual([
      { c: 'id', t: 'BIGINT' },
      { c: 'price', t: 'INTEGER' },
      { c: 'double', t: 'VARCHAR' },
    ]);
  });
});
