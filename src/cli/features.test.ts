import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const dag = {
  'project.yml': 'name: t\nmodels:\n  staging:\n    tags: [hourly]\n  marts:\n    materialized: table\n    tags: daily\n',
  'models/staging/stg_a.sql': 'select 1 as id',
  'models/staging/stg_b.sql': 'select 2 as id',
  'models/int_ab.sql': 'select * from {{ref "stg_a"}} union all select * from {{ref "stg_b"}}',
  'models/marts/fct.sql': 'select * from {{ref "int_ab"}}',
  'models/marts/rpt.sql': 'select count(*) as n from {{ref "fct"}}',
  'models/other.sql': 'select 3 as id',
  'models/schema.yml': 'models:\n  - name: fct\n    columns:\n      - name: id\n        tests: [unique]\n  - name: int_ab\n    columns:\n      - name: id\n        tests:\n          - relationships: {to: ref(\'other\'), field: id, severity: warn}\n',
};

async function names(...args: string[]): Promise<string[]> {
  const r = await p!.run('ls', ...args);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean).sort();
}

describe('selection', () => {
  it('names, graph operators, methods, union, intersection and exclude', async () => {
    p = testProject(dag);
    expect(await names('-s', 'fct')).toEqual(['fct', 'unique_fct_id']);
    expect(await names('-s', '+fct', '--resource-type', 'model')).toEqual(['fct', 'int_ab', 'stg_a', 'stg_b']);
    expect(await names('-s', '1+fct', '--resource-type', 'model')).toEqual(['fct', 'int_ab']);
    expect(await names('-s', 'int_ab+', '--resource-type', 'model')).toEqual(['fct', 'int_ab', 'rpt']);
    expect(await names('-s', 'int_ab+1', '--resource-type', 'model')).toEqual(['fct', 'int_ab']);
    expect(await names('-s', 'tag:hourly')).toEqual(['stg_a', 'stg_b']);
    expect(await names('-s', 'tag:daily', '--resource-type', 'model')).toEqual(['fct', 'rpt']);
    expect(await names('-s', 'path:models/staging')).toEqual(['stg_a', 'stg_b']);
    expect(await names('-s', 'config.materialized:table', '--resource-type', 'model')).toEqual(['fct', 'rpt']);
    expect(await names('-s', 'stg_a', 'other')).toEqual(['other', 'stg_a']);
    expect(await names('-s', 'stg_a other')).toEqual(['other', 'stg_a']);
    expect(await names('-s', '+rpt,tag:hourly')).toEqual(['stg_a', 'stg_b']);
    expect(await names('-s', 'tag:daily', '--exclude', 'rpt')).toEqual(['fct', 'unique_fct_id']);
    expect(await names('-s', 'stg_*')).toEqual(['stg_a', 'stg_b']);
    expect(await names('-s', '@int_ab', '--resource-type', 'model')).toEqual(['fct', 'int_ab', 'rpt', 'stg_a', 'stg_b']);
    // A relationships test runs only when both of its sides are selected.
    expect(await names('-s', 'int_ab')).toEqual(['int_ab']);
    expect(await names('-s', 'int_ab', 'other')).toEqual(['int_ab', 'other', 'relationships_int_ab_id__id__ref_other']);
    expect(await names('-s', 'test_type:generic')).toEqual(['relationships_int_ab_id__id__ref_other', 'unique_fct_id']);
  });

  it('ls prints paths and JSON', async () => {
    p = testProject(dag);
    const paths = await p.run('ls', '-s', 'tag:hourly', '--output', 'path');
    expect(paths.stdout.trim().split('\n').sort()).toEqual(['models/staging/stg_a.sql', 'models/staging/stg_b.sql']);
    const json = await p.run('ls', '-s', 'fct', '--resource-type', 'model', '-o', 'json');
    expect(JSON.parse(json.stdout)).toMatchObject({ unique_id: 'model.fct', resource_type: 'model', materialized: 'table', relation: 'main.fct', tags: ['daily'], depends_on: ['model.int_ab'] });
  });

  it('build runs only the selection, in DAG order', async () => {
    p = testProject(dag);
    const r = await p.run('build', '-s', '+fct', '--threads', '1');
    expect(r.code).toBe(0);
    const order = [...r.stdout.matchAll(/OK created \w+ main\.(\w+)/g)].map((m) => m[1]);
    expect(order.indexOf('int_ab')).toBeGreaterThan(order.indexOf('stg_a'));
    expect(order.indexOf('fct')).toBeGreaterThan(order.indexOf('int_ab'));
    expect(order).not.toContain('rpt');
    expect(r.stdout).toMatch(/PASS test unique_fct_id/);
  });
});

describe('templating', () => {
  it('var, --vars, target, JS helper macros, partials with arguments, and config precedence', async () => {
    p = testProject({
      'project.yml': 'name: t\nvars:\n  country: IN\n  min_amount: 10\nmodels:\n  materialized: table\n  schema: folder_schema\n',
      'macros/helpers.js': 'export function safe_divide(a, b) { return `(${a}) / nullif(${b}, 0)`; }\nexport function upper(s) { return String(s).toUpperCase(); }\n',
      'macros/money.sql': 'round({{column}} / 100.0, {{digits}})',
      'macros/typed.ts': 'export function twice(x: string): string {\n  const n: number = Number(x);\n  return String(n * 2);\n}\n',
      'models/m.sql': '{{config schema="file_schema"}}\nselect \'{{var "country"}}\' as country, {{var "min_amount"}} as min_amount, \'{{var "missing" "fallback"}}\' as fb,\n  {{safe_divide "10" "4"}} as ratio, \'{{upper target.name}}\' as target_name, {{> money column="12345" digits=1}} as rupees, {{twice "21"}} as answer',
      'models/m.yml': 'models:\n  - name: m\n    config:\n      schema: props_schema\n      materialized: view\n',
    });
    const r = await p.run('run', '--vars', '{min_amount: 25}');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // in-file schema beats properties beats project.yml; properties materialized beats project.yml.
    expect(r.stdout).toMatch(/OK created view file_schema\.m/);
    expect(await p.query('select * from file_schema.m')).toEqual([{ country: 'IN', min_amount: 25, fb: 'fallback', ratio: 2.5, target_name: 'DEV', rupees: 123.5, answer: 42 }]);
  });

  it('a ref inside an {{#if}} branch that does not render is still a dependency', async () => {
    p = testProject({
      'models/a.sql': 'select 1 as id',
      'models/b.sql': 'select 2 as id {{#if is_incremental}} from {{ref "a"}} {{/if}}',
    });
    const r = await p.run('ls', '-s', '+b');
    expect(r.stdout.trim().split('\n').sort()).toEqual(['a', 'b']);
  });

  it('compile writes rendered SQL for every model and test', async () => {
    p = testProject(dag);
    const r = await p.run('compile');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Compiled 8 nodes/);
    expect(readFileSync(join(p.dir, 'target/compiled/models/marts/rpt.sql'), 'utf8')).toBe('select count(*) as n from "main"."fct"\n');
    expect(readdirSync(join(p.dir, 'target/compiled/tests/generic')).sort()).toEqual(['relationships_int_ab_id__id__ref_other.sql', 'unique_fct_id.sql']);
  });

  it('an undefined var is an error at its line', async () => {
    p = testProject({ 'models/a.sql': 'select\n{{var "nope"}} as x' });
    const r = await p.run('compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^models\/a\.sql:2: var "nope" is not defined/m);
  });
});

describe('sources', () => {
  it('file-backed and seed-backed sources, with tests on sources and relationships across them', async () => {
    p = testProject({
      'project.yml': 'name: t\nseeds:\n  schema: raw\n',
      'seeds/raw_customers.csv': 'customer_id,name\n1,Asha\n2,Ravi\n',
      'data/orders.csv': 'order_id,customer_id\n100,1\n101,2\n102,1\n',
      'models/sources.yml': [
        'sources:',
        '  - name: shop',
        '    schema: raw',
        '    tables:',
        '      - name: customers',
        '        identifier: raw_customers',
        '        columns:',
        '          - name: customer_id',
        '            tests: [unique, not_null]',
        '  - name: files',
        '    tables:',
        '      - name: orders',
        '        path: data/orders.csv',
        '        columns:',
        '          - name: customer_id',
        '            tests:',
        "              - relationships: {to: \"source('shop', 'customers')\", field: customer_id}",
        '',
      ].join('\n'),
      'models/customer_orders.sql': 'select c.name, count(*) as orders\nfrom {{source "files" "orders"}} o join {{source "shop" "customers"}} c using (customer_id)\ngroup by 1',
    });
    const r = await p.run('build', '--threads', '1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    const seedAt = lines.findIndex((l) => l.includes('seed raw.raw_customers'));
    const modelAt = lines.findIndex((l) => l.includes('main.customer_orders'));
    expect(seedAt).toBeGreaterThanOrEqual(0);
    expect(modelAt).toBeGreaterThan(seedAt);
    expect(r.stdout).toMatch(/PASS test unique_source_shop_customers_customer_id/);
    expect(r.stdout).toMatch(/PASS test relationships_source_files_orders_customer_id__customer_id__source_shop_customers/);
    expect(await p.query('select name, orders::int as orders from main.customer_orders order by 1')).toEqual([
      { name: 'Asha', orders: 2 },
      { name: 'Ravi', orders: 1 },
    ]);
  });
});

describe('singular tests', () => {
  it('run after their refs, honour in-file severity, and fail the build at error severity', async () => {
    p = testProject({
      'models/a.sql': 'select 1 as id union all select -1',
      'tests/no_negative_ids.sql': 'select * from {{ref "a"}} where id < 0',
      'tests/few_rows.sql': '{{config severity="warn"}}\nselect * from {{ref "a"}} where id > 0',
    });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL test no_negative_ids .*1 failing/);
    expect(r.stdout).toMatch(/WARN test few_rows .*1 failing/);
  });
});

describe('secrets', () => {
  it('values read from the environment never appear in output or artifacts', async () => {
    const canary = 'canary-s3cr3t-7f3a9';
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: "warehouse/{{env "EIDER_TEST_DB" "x"}}.duckdb"\n',
      'models/a.sql': "select '{{env \"EIDER_TEST_TOKEN\"}}' as token",
      'models/b.sql': "select '{{env \"EIDER_TEST_TOKEN\"}}' as token, * from nope_{{env \"EIDER_TEST_TOKEN\"}}",
    });
    const env = { EIDER_TEST_DB: `${canary}-db`, EIDER_TEST_TOKEN: canary };
    const outputs = [await p.runWith(env, 'build'), await p.runWith(env, 'debug'), await p.runWith(env, 'compile'), await p.runWith(env, 'ls', '-o', 'json')];
    expect(outputs[0].code).toBe(1); // b fails: its error quotes the SQL, which holds the secret
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain('canary-s3cr3t');
    expect(outputs[0].stdout).toMatch(/ERROR view main\.b/);
    const files = readdirSync(join(p.dir, 'target'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) expect(readFileSync(join(f.parentPath, f.name), 'utf8')).not.toContain('canary-s3cr3t');
    // …but the real value was used to build.
    const rows = await (await import('../test-support/project.js')).queryFile(join(p.dir, `warehouse/${canary}-db.duckdb`), 'select token from main.a');
    expect(rows).toEqual([{ token: canary }]);
  });
});

describe('debug', () => {
  it('checks the project, profile, target file and DuckDB', async () => {
    p = testProject({ 'models/a.sql': 'select 1' });
    const r = await p.run('debug');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/target:\s+dev/);
    expect(r.stdout).toMatch(/duckdb:\s+v1\.\d+/);
    expect(r.stdout).toMatch(/All checks passed/);
  });
});
