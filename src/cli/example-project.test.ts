import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { queryFile, runCli, type CliResult } from '../test-support/project.js';

/** The repository's own example project (VyaparBazaar), copied so the test never touches the repo's warehouse. */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let build: CliResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eider-example-'));
  for (const part of ['project.yml', 'package.json', 'profiles', 'models', 'seeds', 'snapshots', 'tests', 'macros', 'data']) cpSync(join(repo, part), join(dir, part), { recursive: true });
  build = await runCli(dir, ['build']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A raw CSV file of the example as row objects (its values have no commas or quotes). */
function readRaw(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(join(repo, file), 'utf8').trimEnd().split('\n');
  const names = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
}
/** Rows of a raw Parquet file of the example, read by DuckDB straight from the file (not through eider). */
async function readParquet(file: string): Promise<Record<string, unknown>[]> {
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  try {
    return (await db.runAndReadAll(`select * from read_parquet('${join(repo, file)}')`)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    db.closeSync();
  }
}
const ms = (ts: string) => Date.parse(`${ts.replace(' ', 'T')}Z`);
const DAY = 86400000;

describe('the VyaparBazaar example project', () => {
  it('builds with every test passing', () => {
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(build.stdout).toMatch(/Finished in [\d.]+s: \d+ OK, \d+ PASS$/m);
    expect(build.stdout).not.toMatch(/WARN|FAIL|ERROR|SKIP/);
  });

  it('has every layer in the dev file', async () => {
    const db = join(dir, 'warehouse/dev.duckdb');
    const rows = await queryFile(db, `select table_schema || '.' || table_name as r, table_type as t from information_schema.tables order by 1`);
    expect(rows).toEqual(
      expect.arrayContaining([
        { r: 'raw.raw_orders', t: 'BASE TABLE' },
        { r: 'staging.stg_customers', t: 'VIEW' },
        { r: 'staging.stg_orders', t: 'BASE TABLE' },
        { r: 'marts.dim_customers', t: 'BASE TABLE' },
        { r: 'marts.fct_orders', t: 'BASE TABLE' },
        { r: 'marts.mart_daily_sales', t: 'BASE TABLE' },
        { r: 'raw.raw_sellers', t: 'BASE TABLE' },
        { r: 'raw.raw_campaigns', t: 'BASE TABLE' },
        { r: 'staging.stg_shipments', t: 'VIEW' },
        { r: 'staging.stg_inventory_snapshots', t: 'VIEW' },
        { r: 'staging.stg_ad_spend', t: 'VIEW' },
        ...['dim_dates', 'dim_sellers', 'dim_products', 'fct_order_items', 'fct_shipments', 'fct_inventory_movements', 'fct_ad_spend'].map((m) => ({ r: `marts.${m}`, t: 'BASE TABLE' })),
        ...['mart_inventory_status', 'mart_campaign_performance', 'mart_financial_metrics'].map((m) => ({ r: `marts.${m}`, t: 'BASE TABLE' })),
        { r: 'ml.ml_churn_risk', t: 'BASE TABLE' },
      ]),
    );
    // Ephemeral models are never created.
    for (const ephemeral of ['int_order_totals', 'int_order_attribution', 'int_units_sold_daily']) expect(rows.map((r) => String(r.r).split('.')[1])).not.toContain(ephemeral);
    const [orders] = await queryFile(db, `select count(*)::int as n, sum(net_amount)::double > 0 as positive from marts.fct_orders`);
    expect(orders).toEqual({ n: 3000, positive: true });
    const [days] = await queryFile(db, `select count(*)::int as n, max(conversion_rate) <= 1 as sane from marts.mart_daily_sales`);
    expect(days).toEqual({ n: 366, sane: true });
  });

  it('has a test of every kind, a contract, a unit test and source freshness', async () => {
    const kinds = ['unique_combination_of_columns', 'expression_is_true', 'accepted_range', 'row_count', 'not_empty', 'recency', 'equal_rowcount', 'anomaly', 'is_positive', 'relationships', 'accepted_values'];
    for (const k of kinds) expect(build.stdout, k).toMatch(new RegExp(`PASS test ${k}_`));
    expect(build.stdout).toMatch(/PASS unit test daily_sales_sums_orders_and_sessions/);
    expect(build.stdout).toMatch(/PASS test assert_payments_match_order_totals/);
    // store_failures kept its (empty) audit table.
    const [audit] = await queryFile(join(dir, 'warehouse/dev.duckdb'), 'select count(*)::int as n from eider_audit.expression_is_true_fct_orders_2');
    expect(audit).toEqual({ n: 0 });
    const unit = await runCli(dir, ['test', '-s', 'test_type:unit']);
    expect(unit.code).toBe(0);
    const fresh = await runCli(dir, ['freshness']);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^web\.web_sessions .* file mtime +PASS$/m);
    expect(fresh.stdout).toMatch(/^vyapar\.orders .* column +WARN$/m);
    // Every raw source has a freshness rule: the seeds by a column (the 2024 export warns), the files by their mtime.
    for (const s of ['customers', 'sellers', 'products', 'orders', 'order_items', 'payments', 'campaigns']) expect(fresh.stdout).toMatch(new RegExp(`^vyapar\\.${s} .* column +WARN$`, 'm'));
    for (const s of ['web.web_sessions', 'logistics.shipments', 'logistics.inventory_snapshots', 'marketing.ad_spend']) expect(fresh.stdout).toMatch(new RegExp(`^${s.replace('.', '\\.')} .* file mtime +PASS$`, 'm'));
    expect(fresh.stdout).toMatch(/^Freshness of 11 nodes: 4 PASS, 7 WARN$/m);
  });

  it('builds the ML layer: RFM features in SQL and k-means segments in TypeScript, the same on every build', async () => {
    const db = join(dir, 'warehouse/dev.duckdb');
    const segments = async () => queryFile(db, 'select segment_name, count(*)::int as n from ml.ml_customer_segments group by 1 order by 1');
    const first = await segments();
    expect(first.map((r) => r.segment_name)).toEqual(['at_risk', 'champions', 'dormant', 'loyal']);
    expect(first.reduce((s, r) => s + Number(r.n), 0)).toBe(500);
    expect((await runCli(dir, ['run', '-s', 'ml_customer_segments'])).code).toBe(0);
    expect(await segments()).toEqual(first);
    // The external Parquet export and the price-history snapshot.
    expect(await queryFile(db, `select count(*)::int as n from marts.mart_daily_sales_export`)).toEqual([{ n: 366 }]);
    expect(await queryFile(db, `select count(*)::int as n from snapshots.products_snapshot where is_current`)).toEqual([{ n: 120 }]);
  });

  it('clones prod into ci with no original value of any pii column left in any text column of any table or view', async () => {
    expect((await runCli(dir, ['build', '--target', 'prod'])).code).toBe(0);
    const clone = await runCli(dir, ['clone', '--from', 'prod', '--to', 'ci']);
    expect(clone.stderr).toBe('');
    expect(clone.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'target/manifest.json'), 'utf8')) as { nodes: Record<string, { relation?: { schema: string; name: string }; columns?: { name: string; meta: Record<string, unknown> }[] }> };
    const pii = Object.values(manifest.nodes).flatMap((n) => (n.relation ? (n.columns ?? []).filter((c) => 'pii' in c.meta).map((c) => ({ ...n.relation!, column: c.name })) : []));
    // The raw personal data is declared, not only what the marts show.
    expect(pii.map((c) => `${c.schema}.${c.name}.${c.column}`)).toEqual(expect.arrayContaining(['raw.raw_customers.first_name', 'raw.raw_customers.last_name', 'raw.raw_customers.email']));
    const ci = await DuckDbAdapter.open({ path: join(dir, 'warehouse/ci.duckdb'), threads: 1, readOnly: true });
    try {
      const s = ci.sessions[0];
      await s.exec(`attach '${join(dir, 'warehouse/prod.duckdb')}' as prod (read_only)`);
      const q = (x: string) => `"${x}"`;
      const inProd = await s.query(`select table_schema || '.' || table_name as r from information_schema.tables where table_catalog = 'prod'`);
      const sources = pii.filter((c) => inProd.some((r) => r.r === `${c.schema}.${c.name}`));
      expect(sources.length).toBeGreaterThanOrEqual(5);
      await s.exec(`create temp table originals as ${sources.map((c) => `select distinct lower(cast(${q(c.column)} as varchar)) as v from prod.${q(c.schema)}.${q(c.name)}`).join(' union ')}`);
      expect((await s.query('select count(*)::int as n from originals'))[0].n).toBeGreaterThan(500);
      const text = await s.query(`select table_schema as s, table_name as n, column_name as c from information_schema.columns where table_catalog = current_database() and data_type = 'VARCHAR'`);
      expect(text.map((t) => `${t.s}.${t.n}`)).toEqual(expect.arrayContaining(['raw.raw_customers', 'staging.stg_customers', 'marts.dim_customers']));
      const values = text.map((t) => `select distinct '${t.s}.${t.n}.${t.c}' as col, lower(${q(String(t.c))}) as v from ${q(String(t.s))}.${q(String(t.n))}`);
      await s.exec(`create temp table seen as ${values.join(' union ')}`);
      const leaks = await s.query(`select seen.col, count(*)::int as n, any_value(o.v) as original from seen join originals o on seen.v = o.v or (length(o.v) >= 6 and contains(seen.v, o.v)) group by 1 order by 1`);
      expect(leaks).toEqual([]);
    } finally {
      await ci.close();
    }
    // prod and its kept releases are as they were.
    expect(await queryFile(join(dir, 'warehouse/prod.duckdb'), `select count(*)::int as n from raw.raw_customers where email like '%@%'`)).toEqual([{ n: 500 }]);
  });

  it('computes the financial metrics the raw files give (GMV, refunds, commission, take rate by month)', async () => {
    const status = new Map(readRaw('seeds/raw_orders.csv').map((o) => [o.order_id, { status: o.status, month: o.ordered_at.slice(0, 7) }]));
    const seller = new Map(readRaw('seeds/raw_products.csv').map((p) => [p.product_id, p.seller_id]));
    // Commission rates in thousandths, so the arithmetic stays in integers (paise).
    const rate = new Map(readRaw('seeds/raw_sellers.csv').map((s) => [s.seller_id, Math.round(Number(s.commission_rate) * 1000)]));
    const months = new Map<string, { gmv: number; net: number; refunds: number; commission: number }>();
    for (const i of readRaw('seeds/raw_order_items.csv')) {
      const o = status.get(i.order_id)!;
      if (o.status === 'cancelled') continue;
      const m = months.get(o.month) ?? { gmv: 0, net: 0, refunds: 0, commission: 0 };
      const gross = Number(i.quantity) * Number(i.unit_price_paise);
      const net = gross - Number(i.discount_paise);
      m.gmv += gross;
      m.net += net;
      if (o.status === 'returned') m.refunds += net;
      else m.commission += Math.round((net * rate.get(seller.get(i.product_id)!)!) / 1000);
      months.set(o.month, m);
    }
    const mart = await queryFile(join(dir, 'warehouse/dev.duckdb'), `select strftime(month, '%Y-%m') as month, gmv::double as gmv, net_revenue::double as net_revenue, refunds::double as refunds, commission_revenue::double as commission, take_rate from marts.mart_financial_metrics order by 1`);
    expect(mart.map((r) => r.month)).toEqual([...months.keys()].sort());
    for (const r of mart) {
      const m = months.get(String(r.month))!;
      expect(r, String(r.month)).toEqual({ month: r.month, gmv: m.gmv / 100, net_revenue: (m.net - m.refunds) / 100, refunds: m.refunds / 100, commission: m.commission / 100, take_rate: Math.round((m.commission / m.gmv) * 1e4) / 1e4 });
    }
    // March 2024, as the raw files give it: the README quotes it.
    expect(months.get('2024-03')!.gmv / 100).toBe(1352180);
  });

  it('attributes orders to campaigns last-touch, and counts spend, ROAS and CAC from the raw files', async () => {
    const campaigns = readRaw('seeds/raw_campaigns.csv');
    const sessions = readRaw('data/raw/web_sessions.csv').filter((s) => s.customer_id !== '');
    const orders = readRaw('seeds/raw_orders.csv').filter((o) => o.status !== 'cancelled');
    const net = new Map<string, number>();
    for (const i of readRaw('seeds/raw_order_items.csv')) net.set(i.order_id, (net.get(i.order_id) ?? 0) + Number(i.quantity) * Number(i.unit_price_paise) - Number(i.discount_paise));
    const firstOrder = new Map<string, string>();
    for (const o of [...orders].sort((a, b) => ms(a.ordered_at) - ms(b.ordered_at) || Number(a.order_id) - Number(b.order_id))) if (!firstOrder.has(o.customer_id)) firstOrder.set(o.customer_id, o.order_id);
    const expected = new Map(campaigns.map((c) => [c.campaign_id, { orders: 0, revenue: 0, fresh: 0, spend: 0 }]));
    for (const o of orders) {
      const at = ms(o.ordered_at);
      const touches = sessions
        .filter((s) => s.customer_id === o.customer_id && ms(s.started_at) <= at && ms(s.started_at) > at - 7 * DAY)
        .map((s) => ({ s, c: campaigns.find((c) => c.channel === s.channel && s.started_at.slice(0, 10) >= c.start_date && s.started_at.slice(0, 10) <= c.end_date) }))
        .filter((t) => t.c)
        .sort((a, b) => ms(b.s.started_at) - ms(a.s.started_at) || b.s.session_id.localeCompare(a.s.session_id));
      if (touches.length === 0) continue;
      const e = expected.get(touches[0].c!.campaign_id)!;
      e.orders += 1;
      if (o.status !== 'returned') e.revenue += net.get(o.order_id)!; // refunded: no revenue
      if (firstOrder.get(o.customer_id) === o.order_id) e.fresh += 1;
    }
    for (const a of await readParquet('data/raw/ad_spend.parquet')) expected.get(String(a.campaign_id))!.spend += Number(a.spend_paise);
    const mart = await queryFile(join(dir, 'warehouse/dev.duckdb'), 'select campaign_id, attributed_orders::int as orders, attributed_revenue::double as revenue, new_customers::int as fresh, spend::double as spend, roas, cac from marts.mart_campaign_performance order by campaign_id');
    expect(mart).toHaveLength(campaigns.length);
    for (const r of mart) {
      const e = expected.get(String(r.campaign_id))!;
      expect(r, `campaign ${r.campaign_id}`).toEqual({ ...r, orders: e.orders, revenue: e.revenue / 100, fresh: e.fresh, spend: e.spend / 100, roas: e.spend ? Math.round((e.revenue / e.spend) * 100) / 100 : null, cac: e.fresh ? Math.round(e.spend / e.fresh) / 100 : null });
    }
    const total = [...expected.values()].reduce((s, e) => s + e.orders, 0);
    expect(total).toBeGreaterThan(100);
  });

  it('balances stock: the latest counts, units sold per week and the stock status match the raw files', async () => {
    const counts = await readParquet('data/raw/inventory_snapshots.parquet');
    const day = (d: unknown) => (d instanceof Date ? d.toISOString() : String(d)).slice(0, 10);
    const latest = counts.reduce((m, c) => (day(c.snapshot_date) > m ? day(c.snapshot_date) : m), '');
    const onHand = new Map(counts.filter((c) => day(c.snapshot_date) === latest).map((c) => [Number(c.product_id), Number(c.units_on_hand)]));
    const db = join(dir, 'warehouse/dev.duckdb');
    const mart = await queryFile(db, `select product_id, units_on_hand, strftime(counted_on, '%Y-%m-%d') as counted_on, stock_status from marts.mart_inventory_status`);
    expect(mart).toHaveLength(120);
    for (const r of mart) expect([r.counted_on, r.units_on_hand], `product ${r.product_id}`).toEqual([latest, onHand.get(Number(r.product_id))]);
    expect(mart.filter((r) => r.stock_status === 'out_of_stock').map((r) => Number(r.product_id)).sort((a, b) => a - b)).toEqual([...onHand].filter(([, n]) => n === 0).map(([p]) => p).sort((a, b) => a - b));
    // Units sold in the last week counted: order lines (orders not cancelled) dated in the 7 days up to the count.
    const cancelled = new Set(readRaw('seeds/raw_orders.csv').filter((o) => o.status === 'cancelled').map((o) => o.order_id));
    const orderDay = new Map(readRaw('seeds/raw_orders.csv').map((o) => [o.order_id, o.ordered_at.slice(0, 10)]));
    const from = new Date(Date.parse(`${latest}T00:00:00Z`) - 6 * DAY).toISOString().slice(0, 10);
    const sold = readRaw('seeds/raw_order_items.csv').filter((i) => !cancelled.has(i.order_id) && orderDay.get(i.order_id)! >= from && orderDay.get(i.order_id)! <= latest).reduce((s, i) => s + Number(i.quantity), 0);
    expect(await queryFile(db, `select sum(units_sold)::int as n from marts.fct_inventory_movements where week_end = date '${latest}'`)).toEqual([{ n: sold }]);
    // One shipment row per shipment in the Parquet file; the date dimension covers 2024.
    expect(await queryFile(db, 'select count(*)::int as n from marts.fct_shipments')).toEqual([{ n: (await readParquet('data/raw/shipments.parquet')).length }]);
    expect(await queryFile(db, `select count(*)::int as n, min(date_day)::varchar as lo, max(date_day)::varchar as hi from marts.dim_dates`)).toEqual([{ n: 366, lo: '2024-01-01', hi: '2024-12-31' }]);
  });

  it('builds on the ci target too (dev above, prod in the clone test)', async () => {
    const r = await runCli(dir, ['build', '--target', 'ci']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Finished in [\d.]+s: \d+ OK, \d+ PASS$/m);
  });

  it('selects by tag and by graph', async () => {
    const hourly = await runCli(dir, ['ls', '-s', 'tag:hourly', '--resource-type', 'model']);
    expect(hourly.stdout.trim().split('\n').sort()).toEqual(['stg_ad_spend', 'stg_campaigns', 'stg_customers', 'stg_inventory_snapshots', 'stg_order_items', 'stg_orders', 'stg_payments', 'stg_products', 'stg_sellers', 'stg_shipments', 'stg_web_sessions']);
    const upstream = await runCli(dir, ['ls', '-s', '+mart_daily_sales', '--resource-type', 'model']);
    expect(upstream.stdout).toMatch(/int_order_totals/);
    expect(upstream.stdout).not.toMatch(/dim_customers/);
  });
});
