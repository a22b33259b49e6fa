import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const layered = {
  'project.yml': 'name: t\nmodels:\n  staging:\n    materialized: view\n    schema: staging\n  marts:\n    materialized: table\n    schema: marts\nseeds:\n  schema: raw\n',
  'seeds/raw_orders.csv': 'order_id,customer_id,amount_paise,status\n1,10,10000,placed\n2,10,2500,shipped\n3,11,999,placed\n',
  'seeds/seeds.yml': 'seeds:\n  - name: raw_orders\n    config:\n      column_types: {amount_paise: bigint}\n',
  'macros/rupees.sql': '({{column}} / 100.0)',
  'models/staging/stg_orders.sql': 'select order_id, customer_id, {{> rupees column="amount_paise"}} as amount, status\nfrom {{ref "raw_orders"}}\n',
  'models/intermediate/int_customer_totals.sql': '{{config materialized="ephemeral"}}\nselect customer_id, sum(amount) as total from {{ref "stg_orders"}} group by 1\n',
  'models/marts/fct_customers.sql': 'select c.*, \'{{target.name}}\' as built_for from {{ref "int_customer_totals"}} c\n',
  'models/staging/schema.yml':
    'models:\n  - name: stg_orders\n    columns:\n      - name: order_id\n        tests: [not_null, unique]\n      - name: status\n        tests:\n          - accepted_values: {values: [placed, shipped]}\n',
};

describe('eider build', () => {
  it('builds seeds, views, ephemerals and tables in DAG order and writes artifacts', async () => {
    p = testProject(layered);
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK seed raw\.raw_orders .*\[OK [\d.]+s, 3 rows\]/);
    expect(r.stdout).toMatch(/OK created view staging\.stg_orders/);
    expect(r.stdout).toMatch(/OK created table marts\.fct_customers .*2 rows/);
    expect(r.stdout).toMatch(/PASS test unique_stg_orders_order_id/);
    expect(r.stdout).toMatch(/Finished in [\d.]+s: 3 OK, 3 PASS/);
    expect(await p.query('select customer_id::int as customer_id, total, built_for from marts.fct_customers order by 1')).toEqual([
      { customer_id: 10, total: 125, built_for: 'dev' },
      { customer_id: 11, total: 9.99, built_for: 'dev' },
    ]);
    const types = await p.query(`select data_type from information_schema.columns where table_name = 'raw_orders' and column_name = 'amount_paise'`);
    expect(types).toEqual([{ data_type: 'BIGINT' }]);
    // The ephemeral model is never created.
    expect(await p.query(`select count(*)::int as n from information_schema.tables where table_name = 'int_customer_totals'`)).toEqual([{ n: 0 }]);
    const manifest = JSON.parse(readFileSync(join(p.dir, 'target/manifest.json'), 'utf8'));
    expect(manifest.metadata.schema_version).toMatch(/manifest\/v2/);
    expect(manifest.nodes['model.fct_customers'].depends_on.nodes).toEqual(['model.int_customer_totals']);
    const results = JSON.parse(readFileSync(join(p.dir, 'target/run_results.json'), 'utf8'));
    expect(results.metadata.schema_version).toMatch(/run-results\/v1/);
    expect(results.results.find((x: { unique_id: string }) => x.unique_id === 'model.fct_customers')).toMatchObject({ status: 'success', rows: 2 });
    expect(readFileSync(join(p.dir, 'target/compiled/models/marts/fct_customers.sql'), 'utf8')).toContain('"__eider_ephemeral__int_customer_totals" as (');
  });

  it('rebuilds a table in place, and switches a view to a table', async () => {
    p = testProject(layered);
    expect((await p.run('build')).code).toBe(0);
    p.write('models/staging/stg_orders.sql', '{{config materialized="table"}}\nselect order_id, customer_id, amount_paise / 100.0 as amount, status from {{ref "raw_orders"}} where order_id < 3\n');
    const r = await p.run('run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/created table staging\.stg_orders .*2 rows/);
    expect(await p.query(`select table_type from information_schema.tables where table_schema = 'staging' and table_name = 'stg_orders'`)).toEqual([{ table_type: 'BASE TABLE' }]);
    expect(await p.query(`select count(*)::int as n from information_schema.tables where table_name like '%eider_tmp%'`)).toEqual([{ n: 0 }]);
  });

  it('rebuilding a table touches no other name: a model called like a scratch name (t__eider_tmp) is its own', async () => {
    p = testProject({
      'models/t__eider_tmp.sql': '{{config materialized="table"}}\nselect 7 as id',
      'models/t.sql': '{{config materialized="table"}}\nselect id + 1 as id from {{ref "t__eider_tmp"}}',
    });
    expect((await p.run('build')).code).toBe(0);
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await p.query('select (select id from t) as t, (select id from t__eider_tmp) as tmp')).toEqual([{ t: 8, tmp: 7 }]);
  });

  it('a failing error-severity test skips downstream models, and independent branches go on', async () => {
    p = testProject({
      ...layered,
      'seeds/raw_orders.csv': 'order_id,customer_id,amount_paise,status\n1,10,10000,placed\n1,10,2500,lost\n',
      'models/marts/other.sql': 'select 42 as answer',
    });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL test unique_stg_orders_order_id .*1 failing/);
    expect(r.stdout).toMatch(/FAIL test accepted_values_stg_orders_status/);
    expect(r.stdout).toMatch(/SKIP table marts\.fct_customers/);
    expect(r.stdout).toMatch(/OK created table marts\.other/);
    expect(await p.query('select answer from marts.other')).toEqual([{ answer: 42 }]);
  });

  it('a warn-severity failure does not stop the build', async () => {
    p = testProject({
      ...layered,
      'seeds/raw_orders.csv': 'order_id,customer_id,amount_paise,status\n1,10,10000,placed\n2,10,2500,lost\n',
      'models/staging/schema.yml': 'models:\n  - name: stg_orders\n    columns:\n      - name: status\n        tests:\n          - accepted_values: {values: [placed], severity: warn}\n',
    });
    const r = await p.run('build');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/WARN test accepted_values_stg_orders_status .*1 failing/);
    expect(r.stdout).toMatch(/OK created table marts\.fct_customers/);
  });

  it('seed, run and test each do their own part', async () => {
    p = testProject(layered);
    const seed = await p.run('seed');
    expect(seed.code).toBe(0);
    expect(seed.stdout).toMatch(/1 of 1 OK seed raw\.raw_orders/);
    const run = await p.run('run');
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/test /);
    const test = await p.run('test');
    expect(test.code).toBe(0);
    expect(test.stdout).toMatch(/3 PASS/);
    expect(test.stdout).not.toMatch(/created/);
    expect(existsSync(p.db)).toBe(true);
  });

  it('a selected model waits for a selected seed it reads through an unselected source or ephemeral model', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      threads: 4\n',
      'seeds/raw_orders.csv': 'id,amount\n1,2\n',
      'models/sources.yml': 'sources:\n  - name: shop\n    schema: main\n    tables:\n      - name: orders\n        identifier: raw_orders\n',
      'models/via_source.sql': 'select * from {{source "shop" "orders"}}',
      'models/eph.sql': '{{config materialized="ephemeral"}}\nselect * from {{ref "raw_orders"}}',
      'models/via_ephemeral.sql': 'select * from {{ref "eph"}}',
    });
    const r = await p.run('build', '-s', 'raw_orders', 'via_source', 'via_ephemeral');
    expect(r.stdout).toMatch(/^1 of 3 OK seed main\.raw_orders/m);
    expect(r.code).toBe(0);
  });
});
