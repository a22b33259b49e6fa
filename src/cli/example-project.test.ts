import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
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
      ]),
    );
    // Ephemeral models are never created.
    expect(rows.map((r) => r.r)).not.toContain('main.int_order_totals');
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

  it('selects by tag and by graph', async () => {
    const hourly = await runCli(dir, ['ls', '-s', 'tag:hourly', '--resource-type', 'model']);
    expect(hourly.stdout.trim().split('\n').sort()).toEqual(['stg_customers', 'stg_order_items', 'stg_orders', 'stg_payments', 'stg_products', 'stg_web_sessions']);
    const upstream = await runCli(dir, ['ls', '-s', '+mart_daily_sales', '--resource-type', 'model']);
    expect(upstream.stdout).toMatch(/int_order_totals/);
    expect(upstream.stdout).not.toMatch(/dim_customers/);
  });
});
