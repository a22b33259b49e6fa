import { cpSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { queryFile, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const PROFILES = [
  't:',
  '  target: dev',
  '  targets:',
  '    dev:',
  '      path: warehouse/dev.duckdb',
  '    ci:',
  '      path: warehouse/ci.duckdb',
  '      threads: 3',
  '    prod:',
  '      path: warehouse/prod.duckdb',
  '      publish: swap',
  '    lake:',
  '      path: ducklake:lake/metadata.ducklake',
  '      data_path: lake/files/',
  '      publish: in_place',
  '',
].join('\n');

const DIM = (bonus: number) =>
  `select c.customer_id, c.name, coalesce(sum(o.amount), 0) + ${bonus} as total\nfrom {{ref "stg_customers"}} c left join {{ref "stg_orders"}} o using (customer_id)\ngroup by all`;

/**
 * A shop: seeds → staging views → marts. `dim_customers` is the model a pull request changes; `report` (a view)
 * and `top` (a table, which also reads stg_orders through an ephemeral model) are its children; `orders_by_day`
 * does not depend on it.
 */
function shop(): TestProject {
  return testProject({
    'profiles/profiles.yml': PROFILES,
    'project.yml': 'name: t\nmodels:\n  marts:\n    schema: marts\n    materialized: table\n',
    'seeds/raw_customers.csv': 'id,name\n1,asha\n2,ravi\n3,meera\n',
    'seeds/raw_orders.csv': 'id,customer_id,amount,day\n1,1,10,2024-01-01\n2,1,5,2024-01-02\n3,2,7,2024-01-02\n',
    'models/staging/stg_customers.sql': 'select id as customer_id, name from {{ref "raw_customers"}}',
    // A source over the table the seed loads into the target, as the example project's sources are.
    'models/staging/sources.yml': 'sources:\n  - name: shop\n    schema: main\n    tables:\n      - name: orders\n        identifier: raw_orders\n',
    'models/staging/stg_orders.sql': 'select id as order_id, customer_id, amount, day from {{source "shop" "orders"}}',
    'models/marts/dim_customers.sql': DIM(0),
    'models/marts/report.sql': '{{config materialized="view"}}\nselect name, total * 2 as double_total from {{ref "dim_customers"}}',
    'models/staging/order_count.sql': '{{config materialized="ephemeral"}}\nselect count(*) as n from {{ref "stg_orders"}}',
    'models/marts/top.sql': 'select d.name, d.total, (select n from {{ref "order_count"}}) as orders\nfrom {{ref "dim_customers"}} d order by d.total desc limit 1',
    'models/marts/orders_by_day.sql': 'select day, sum(amount) as amount from {{ref "stg_orders"}} group by all',
    'models/marts/marts.yml': [
      'models:',
      '  - name: dim_customers',
      '    columns:',
      '      - name: customer_id',
      '        tests: [not_null, unique]',
      '      - name: total',
      '        tests:',
      '          - expression_is_true: {expression: ">= 100", severity: warn}',
      '  - name: orders_by_day',
      '    columns:',
      '      - name: day',
      '        tests: [not_null]',
      '',
    ].join('\n'),
  });
}

const ci = (t: TestProject) => join(t.dir, 'warehouse/ci.duckdb');
const prod = (t: TestProject) => join(t.dir, 'warehouse/prod.duckdb');
const userTables = (path: string) => queryFile(path, `select table_schema || '.' || table_name as t from information_schema.tables where table_schema <> 'eider' order by 1`);

/** Production built, its target/ kept as the artifact CI downloads, then a pull request's change to dim_customers. */
async function prodThenChange(t: TestProject): Promise<void> {
  const built = await t.run('build', '--target', 'prod');
  expect(built.stderr).toBe('');
  expect(built.code).toBe(0);
  cpSync(join(t.dir, 'target'), join(t.dir, 'prod-artifacts'), { recursive: true });
  t.write('models/marts/dim_customers.sql', DIM(100));
  t.write('tests/dim_customers.yml', UNIT);
}

/** The pull request's unit test of its change. */
const UNIT = [
  'unit_tests:',
  '  - name: totals_add_up',
  '    model: dim_customers',
  '    given:',
  "      - input: ref('stg_customers')",
  '        rows: [{customer_id: 1, name: x}]',
  "      - input: ref('stg_orders')",
  '        rows: [{customer_id: 1, amount: 2}, {customer_id: 1, amount: 3}]',
  '    expect:',
  '      rows: [{customer_id: 1, total: 105}]',
  '',
].join('\n');

describe('--defer: slim CI against production', () => {
  it('the CI recipe: unit tests with no warehouse, then only the changed model and its children in an empty CI target, reading everything else from prod', async () => {
    p = shop();
    await prodThenChange(p);
    const prodBefore = statSync(prod(p));
    const units = await p.run('test', '--target', 'ci', '-s', 'test_type:unit');
    expect(units.stdout).toMatch(/PASS unit test totals_add_up/);
    expect(units.code).toBe(0);
    expect(existsSync(ci(p))).toBe(false);
    // The workflow's command: what the pull request changed and everything downstream, with a JUnit report.
    const r = await p.run('build', '--target', 'ci', '-s', 'state:modified+', '--defer', '--state', 'prod-artifacts', '--junit', 'reports/eider.xml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const junit = readFileSync(join(p.dir, 'reports/eider.xml'), 'utf8');
    expect(junit).toMatch(/<testsuites[^>]* tests="7" failures="0" errors="0"/);
    expect(junit).toContain('name="totals_add_up"');
    // Only the selection ran: the models and the tests of the selected nodes, none of orders_by_day's.
    expect(r.stdout).toMatch(/target ci · 7 nodes · 3 threads/);
    expect(r.stdout).toMatch(/OK created table marts\.dim_customers/);
    expect(r.stdout).toMatch(/OK created view marts\.report/);
    expect(r.stdout).toMatch(/PASS test expression_is_true_dim_customers_total/);
    expect(r.stdout).not.toMatch(/orders_by_day|stg_|raw_/);
    expect(await userTables(ci(p))).toEqual([{ t: 'marts.dim_customers' }, { t: 'marts.report' }, { t: 'marts.top' }]);
    // The CI values are the changed model's, computed from prod's staging views and seeds.
    expect(await queryFile(ci(p), 'select customer_id::int as customer_id, name, total::int as total from marts.dim_customers order by 1')).toEqual([
      { customer_id: 1, name: 'asha', total: 115 },
      { customer_id: 2, name: 'ravi', total: 107 },
      { customer_id: 3, name: 'meera', total: 100 },
    ]);
    expect(await queryFile(ci(p), 'select name, total::int as total, orders::int as orders from marts.top')).toEqual([{ name: 'asha', total: 115, orders: 3 }]);
    // The tests read the CI file: total >= 100 holds there only (prod's totals are 15, 7 and 0: a warning there).
    expect(await queryFile(ci(p), `select name, status from eider.test_results order by name`)).toEqual([
      { name: 'expression_is_true_dim_customers_total', status: 'pass' },
      { name: 'not_null_dim_customers_customer_id', status: 'pass' },
      { name: 'totals_add_up', status: 'pass' },
      { name: 'unique_dim_customers_customer_id', status: 'pass' },
    ]);
    // The compiled SQL and the manifest show the deferred relations; the CI relations stay plain.
    const compiled = readFileSync(join(p.dir, 'target/compiled/models/marts/dim_customers.sql'), 'utf8');
    expect(compiled).toContain('from "eider_defer"."main"."stg_customers" c left join "eider_defer"."main"."stg_orders" o');
    // An ephemeral model is inlined: what it reads is deferred too.
    expect(readFileSync(join(p.dir, 'target/compiled/models/marts/top.sql'), 'utf8')).toContain('select count(*) as n from "eider_defer"."main"."stg_orders"\n)');
    expect(readFileSync(join(p.dir, 'target/compiled/models/marts/top.sql'), 'utf8')).toContain('from "marts"."dim_customers" d');
    const manifest = JSON.parse(readFileSync(join(p.dir, 'target/manifest.json'), 'utf8'));
    expect(manifest.nodes['model.report'].compiled_code.trim()).toBe('select name, total * 2 as double_total from "marts"."dim_customers"');
    expect(manifest.nodes['model.dim_customers'].compiled_code).toContain('"eider_defer"."main"."stg_orders"');
    // Production was only read.
    expect(statSync(prod(p)).mtimeMs).toBe(prodBefore.mtimeMs);
    expect(await queryFile(prod(p), 'select sum(total)::int as s from marts.dim_customers')).toEqual([{ s: 22 }]);

    // A second CI run finds dim_customers in the CI file: it is read there, not deferred.
    const again = await p.run('build', '--target', 'ci', '-s', 'top', '--defer', '--state', 'prod-artifacts');
    expect(again.code).toBe(0);
    expect(readFileSync(join(p.dir, 'target/compiled/models/marts/top.sql'), 'utf8')).toMatch(/from "eider_defer"."main"."stg_orders"\n\)[\s\S]*from "marts"."dim_customers" d/);
  });

  it('eider retry of a deferred CI build is deferred too, reading the same production state', async () => {
    p = shop();
    await prodThenChange(p);
    p.write('models/marts/dim_customers.sql', DIM(100).replace('c.name', 'c.nmae'));
    const failed = await p.run('build', '--target', 'ci', '-s', 'state:modified+', '--defer', '--state', 'prod-artifacts');
    expect(failed.code).toBe(1);
    p.write('models/marts/dim_customers.sql', DIM(100));
    const r = await p.run('retry');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK created table marts\.dim_customers/);
    expect(readFileSync(join(p.dir, 'target/compiled/models/marts/dim_customers.sql'), 'utf8')).toContain('"eider_defer"."main"."stg_orders"');
    expect(await queryFile(ci(p), 'select sum(total)::int as s from marts.dim_customers')).toEqual([{ s: 322 }]);
  });

  it('a BI reader holding the prod file does not block the CI build, and keeps reading', async () => {
    p = shop();
    await prodThenChange(p);
    // Another process (this one, not the CLI's) holds prod read-only, as a dashboard does.
    const reader = await DuckDbAdapter.open({ path: prod(p), threads: 1, readOnly: true });
    try {
      const r = await p.run('build', '--target', 'ci', '-s', 'dim_customers+', '--defer', '--state', 'prod-artifacts');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(await reader.sessions[0].query('select count(*)::int as n from marts.dim_customers')).toEqual([{ n: 3 }]);
    } finally {
      await reader.close();
    }
    expect(await queryFile(ci(p), 'select sum(total)::int as s from marts.dim_customers')).toEqual([{ s: 322 }]);
  });

  it('run, test and compile defer too; compile shows what a CI run would read', async () => {
    p = shop();
    await prodThenChange(p);
    p.write('tests/prod_orders_seen.sql', 'select * from {{ref "top"}} where orders <> (select count(*) from {{ref "stg_orders"}})');
    // compile: nothing is in the (missing) CI file, so every unselected ref is prod's.
    const c = await p.run('compile', '--target', 'ci', '-s', 'top', '--defer', '--state', 'prod-artifacts');
    expect(c.code).toBe(0);
    expect(readFileSync(join(p.dir, 'target/compiled/models/marts/top.sql'), 'utf8')).toContain('from "eider_defer"."marts"."dim_customers" d');
    const run = await p.run('run', '--target', 'ci', '-s', 'top', '--defer', '--state', 'prod-artifacts');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(await queryFile(ci(p), 'select name, total::int as total from marts.top')).toEqual([{ name: 'asha', total: 15 }]);
    // A JavaScript model's refs are read from prod too.
    p.write('models/marts/names.js', "export const refs = ['dim_customers'];\nexport default ({ ref }) => ref('dim_customers').select('name').orderby('name');\n");
    const js = await p.run('run', '--target', 'ci', '-s', 'names', '--defer', '--state', 'prod-artifacts');
    expect(js.stderr).toBe('');
    expect(await queryFile(ci(p), 'select name from marts.names order by 1')).toEqual([{ name: 'asha' }, { name: 'meera' }, { name: 'ravi' }]);
    // test: the singular test reads top in the CI file and stg_orders from prod; without --defer it cannot run.
    expect((await p.run('test', '--target', 'ci', '-s', 'prod_orders_seen')).code).toBe(1);
    const t = await p.run('test', '--target', 'ci', '-s', 'prod_orders_seen', '--defer', '--state', 'prod-artifacts');
    expect(t.stderr).toBe('');
    expect(t.stdout).toMatch(/PASS test prod_orders_seen/);
    expect(t.code).toBe(0);
    expect(readFileSync(join(p.dir, 'target/compiled/tests/prod_orders_seen.sql'), 'utf8')).toBe(
      'select * from "marts"."top" where orders <> (select count(*) from "eider_defer"."main"."stg_orders")\n',
    );
  });

  it('eider test --defer in a CI target that holds nothing yet reads every relation from prod and creates no file', async () => {
    p = shop();
    await prodThenChange(p);
    // The pull request adds only a test: nothing to build, the test reads prod.
    p.write('tests/no_negative_totals.sql', 'select * from {{ref "dim_customers"}} where total < 0');
    const t = await p.run('test', '--target', 'ci', '-s', 'no_negative_totals', 'unique_dim_customers_customer_id', '--defer', '--state', 'prod-artifacts');
    expect(t.stderr).toBe('');
    expect(t.stdout).toMatch(/PASS test no_negative_totals/);
    expect(t.stdout).toMatch(/PASS test unique_dim_customers_customer_id/);
    expect(t.code).toBe(0);
    expect(existsSync(ci(p))).toBe(false);
    // A failing test fails (exit 1), read from prod all the same.
    p.write('tests/no_negative_totals.sql', 'select * from {{ref "dim_customers"}} where total > 0');
    const f = await p.run('test', '--target', 'ci', '-s', 'no_negative_totals', '--defer', '--state', 'prod-artifacts');
    expect(f.stdout).toMatch(/FAIL test no_negative_totals/);
    expect(f.code).toBe(1);
    expect(existsSync(ci(p))).toBe(false);
  });

  it('a source over a table of the target (one a seed loads) is read from prod unless this run loads it', async () => {
    p = shop();
    await prodThenChange(p);
    p.write('models/staging/stg_orders.sql', 'select id as order_id, customer_id, amount * 2 as amount, day from {{source "shop" "orders"}}');
    const r = await p.run('build', '--target', 'ci', '-s', 'stg_orders', '--defer', '--state', 'prod-artifacts');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readFileSync(join(p.dir, 'target/compiled/models/staging/stg_orders.sql'), 'utf8')).toContain('from "eider_defer"."main"."raw_orders"');
    // stg_orders is a view over a deferred relation: it reads prod's table while eider_defer is attached (as
    // eider does in every --defer run), and fails for a reader that opens the CI file alone.
    await expect(queryFile(ci(p), 'select sum(amount) from main.stg_orders')).rejects.toThrow('Catalog "eider_defer" does not exist');
    const reader = await DuckDbAdapter.open({ path: ci(p), threads: 1, readOnly: true, attach: [{ alias: 'eider_defer', path: prod(p), readOnly: true }] });
    try {
      expect(await reader.sessions[0].query('select sum(amount)::int as s from main.stg_orders')).toEqual([{ s: 44 }]);
    } finally {
      await reader.close();
    }
    // With its seed selected, the source reads the seed this run loads.
    const withSeed = await p.run('build', '--target', 'ci', '-s', 'raw_orders', 'stg_orders', '--defer', '--state', 'prod-artifacts');
    expect(withSeed.code).toBe(0);
    expect(readFileSync(join(p.dir, 'target/compiled/models/staging/stg_orders.sql'), 'utf8')).toContain('from "main"."raw_orders"');
  });

  it('mistakes are one line each, exit 2, and build nothing', async () => {
    p = shop();
    await prodThenChange(p);
    const ciBuild = (...args: string[]) => p!.run('build', '--target', 'ci', '-s', 'dim_customers+', ...args);
    const cases: Array<[string[], string]> = [
      [['--defer'], '--defer needs --state DIR: the target/ folder of a production run (e.g. a copy of prod\'s), whose manifest.json says where each relation is'],
      [['--defer-target', 'prod', '--state', 'prod-artifacts'], '--defer-target is only read with --defer'],
      [['--defer', '--state', 'nowhere'], '--state nowhere: no such folder (give the target/ folder of an earlier run, e.g. a copy of production\'s)'],
      [['--defer', '--state', 'prod-artifacts', '--defer-target', 'prdo'], 'profiles/profiles.yml:1: --defer-target prdo: target "prdo" not found in profile "t" (did you mean "prod"?); targets: dev, ci, prod, lake'],
      [['--defer', '--state', 'prod-artifacts', '--defer-target', 'lake'], '--defer-target lake: target "lake" is a DuckLake catalog: --defer attaches a local DuckDB file'],
      [['--defer', '--state', 'prod-artifacts', '--defer-target', 'ci'], '--defer-target ci: that is the target this command builds; defer to another target (usually prod)'],
      [['--defer', '--state', 'prod-artifacts', '--defer-target', 'dev'], '--defer-target dev: target "dev" has no database file (warehouse/dev.duckdb): build it, or put its file there (e.g. download it) first'],
    ];
    for (const [args, message] of cases) {
      const r = await ciBuild(...args);
      expect(r.stderr.trim(), args.join(' ')).toBe(message);
      expect(r.code, args.join(' ')).toBe(2);
    }
    // The state manifest names prod; prod's file is missing (the artifact was downloaded, the file was not).
    renameSync(prod(p), join(p.dir, 'elsewhere.duckdb'));
    const missing = await ciBuild('--defer', '--state', 'prod-artifacts');
    expect(missing.stderr.trim()).toBe('--defer (target "prod" of prod-artifacts/manifest.json): target "prod" has no database file (warehouse/prod.duckdb): build it, or put its file there (e.g. download it) first');
    expect(missing.code).toBe(2);
    // Prod's file is there but is no DuckDB file (a broken download): the message names it, not the CI file.
    writeFileSync(prod(p), 'not a database, an HTML error page');
    const broken = await ciBuild('--defer', '--state', 'prod-artifacts');
    expect(broken.stderr).toMatch(/^error: --defer: cannot read warehouse\/prod\.duckdb, the deferred target's file: /m);
    expect(broken.stderr).not.toMatch(/ci\.duckdb|opening ci/);
    expect(broken.code).not.toBe(0);
    renameSync(join(p.dir, 'elsewhere.duckdb'), prod(p));
    // A new model that production has never built, read (not selected) by the model being built.
    p.write('models/marts/segments.sql', 'select 1 as segment');
    p.write('models/marts/dim_customers.sql', `${DIM(100)}\n-- {{ref "segments"}}`);
    const unknown = await ciBuild('--defer', '--state', 'prod-artifacts');
    expect(unknown.stderr.trim()).toBe('prod-artifacts/manifest.json: --defer: no model "segments" (model.segments) with a relation in this manifest; this run reads it and target "ci" does not hold it: select it, or build prod with it first');
    expect(unknown.code).toBe(2);
    expect(existsSync(ci(p))).toBe(false);
    // Production itself is never built with --defer: its release would hold views over another file.
    const before = statSync(prod(p)).mtimeMs;
    const intoProd = await p.run('build', '--target', 'prod', '-s', 'dim_customers+', '--defer', '--state', 'prod-artifacts', '--defer-target', 'ci');
    expect(intoProd.stderr.trim()).toBe("--defer: target prod publishes by swap: a release must hold its own data, not views over (or tables copied from) another target's file; defer from a CI or dev target");
    expect(intoProd.code).toBe(2);
    expect(statSync(prod(p)).mtimeMs).toBe(before);
  });

  it('the workflow file runs that recipe: npm ci, unit tests, production\'s artifacts downloaded, the deferred CI build', () => {
    const root = join(import.meta.dirname, '../..');
    type Step = { run?: string; uses?: string; with?: Record<string, string> };
    const wf = load(readFileSync(join(root, '.github/workflows/eider-ci.yml'), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };
    const steps = wf.jobs['pull-request'].steps;
    const runs = steps.flatMap((st) => (st.run ? [st.run.trim()] : []));
    expect(runs.slice(0, 2)).toEqual(['npm ci', 'npx eider test -s test_type:unit']);
    expect(runs).toContain('npx eider build -s state:modified+ --defer --state prod-artifacts/ --target ci --junit reports/eider.xml');
    const downloads = Object.fromEntries(steps.filter((st) => st.uses?.startsWith('actions/download-artifact')).map((st) => [st.with!.name, st.with!.path]));
    expect(downloads).toEqual({ 'eider-prod-state': 'prod-artifacts/', 'eider-prod-file': 'warehouse/' });
    // The prod file lands at the example project's prod target path, which the production job uploads.
    expect(readFileSync(join(root, 'profiles/profiles.yml'), 'utf8')).toContain('"warehouse/prod.duckdb"');
    expect(wf.jobs.production.steps.map((st) => st.run ?? st.with?.path).filter(Boolean)).toEqual(['npm ci', 'npx eider build --target prod', 'target/', 'warehouse/prod.duckdb']);
  });
});
