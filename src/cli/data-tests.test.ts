import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

// 100 orders over 40 days, plus one bad row (id 100: negative amount, a late day).
const orders = `select range as id, range % 3 as shop, (range * 10)::int as amount, date '2024-01-01' + (range % 40)::int as day, now() - interval 1 hour as loaded_at
from range(100)
union all select 100, 0, -5, date '2024-02-20', now()`;

function project(tests: string, columns = '') {
  return testProject({
    'models/orders.sql': orders,
    'models/half.sql': 'select * from {{ref "orders"}} where id % 2 = 0',
    'models/orders.yml': `models:\n  - name: orders\n    tests:\n${tests}${columns ? `\n    columns:\n${columns}` : ''}\n`,
  });
}

const line = (out: string, test: string) => out.split('\n').find((l) => l.includes(`test ${test} `)) ?? '';

describe('generic tests', () => {
  it('pass on good data', async () => {
    p = project(
      [
        '      - unique_combination_of_columns: {combination_of_columns: [id, shop]}',
        '      - expression_is_true: {expression: "amount >= -5"}',
        '      - row_count: {min: 101, max: 101}',
        '      - not_empty',
        '      - recency: {field: loaded_at, interval: {count: 2, period: hour}}',
        "      - equal_rowcount: {compare_model: ref('orders')}",
        '      - anomaly: {date_column: day, window: 14, threshold: 10}',
      ].join('\n'),
      '      - name: amount\n        tests:\n          - accepted_range: {min_value: -5, max_value: 990}\n',
    );
    const r = await p.run('build');
    expect(r.stdout).toMatch(/Finished in [\d.]+s: 2 OK, 8 PASS$/m);
    expect(r.code).toBe(0);
  });

  it('fail with the failing rows shown under the test', async () => {
    p = project(
      [
        '      - unique_combination_of_columns: {combination_of_columns: [shop]}',
        '      - expression_is_true: {expression: "amount >= 0"}',
        '      - row_count: {max: 50}',
        '      - recency: {field: day, interval: 1 day}',
        "      - equal_rowcount: {compare_model: ref('half')}",
        '      - anomaly: {date_column: day, metric: "sum(amount)", window: 14, threshold: 3, min_periods: 5}',
      ].join('\n'),
      '      - name: amount\n        tests:\n          - accepted_range: {min_value: 0, inclusive: false}\n',
    );
    expect((await p.run('run')).code).toBe(0);
    const r = await p.run('test');
    expect(r.code).toBe(1);
    expect(line(r.stdout, 'unique_combination_of_columns_orders')).toMatch(/FAIL .*3 failing/);
    expect(line(r.stdout, 'expression_is_true_orders')).toMatch(/FAIL .*1 failing/);
    expect(line(r.stdout, 'row_count_orders')).toMatch(/FAIL .*1 failing/);
    expect(line(r.stdout, 'recency_orders')).toMatch(/FAIL/);
    expect(line(r.stdout, 'equal_rowcount_orders__ref_half')).toMatch(/FAIL/);
    expect(line(r.stdout, 'anomaly_orders')).toMatch(/FAIL .*failing/);
    expect(line(r.stdout, 'accepted_range_orders_amount')).toMatch(/FAIL .*2 failing/); // 0 (exclusive) and -5
    // The failing rows themselves, as a table under the test.
    expect(r.stdout).toMatch(/\| id +\| shop \| amount \| day +\| loaded_at/);
    expect(r.stdout).toMatch(/\| 100 \| 0 +\| -5 +\| 2024-02-20 \|/);
    expect(r.stdout).toMatch(/\| model_rows \| compare_rows \|\n {4}\| 101 +\| 51 +\|/);
    expect(r.stdout).toMatch(/\| day +\| value \| trailing_mean \| trailing_sd \| z_score \|/);
    const results = JSON.parse(readFileSync(join(p.dir, 'target/run_results.json'), 'utf8'));
    const range = results.results.find((x: { unique_id: string }) => x.unique_id === 'test.accepted_range_orders_amount');
    expect(range).toMatchObject({ status: 'fail', failures: 2 });
    expect(range.failing_rows.columns).toEqual(['id', 'shop', 'amount', 'day', 'loaded_at']);
  });
});

describe('a generic test whose query fails', () => {
  it('is reported at its own declaration in the YAML, not at a line that shares a word with its SQL', async () => {
    p = testProject({
      'models/o.sql': "{{config materialized='table'}}\nselect 1 as id, 5 as amount\n",
      'models/o.yml': [
        'models:',
        '  - name: o',
        '    columns:',
        '      - name: id',
        '        tests:',
        '          - not_null:',
        '              config:',
        '                where: "id <> 2"',
        '      - name: amtx',
        '        tests:',
        '          - accepted_range: {min_value: 0}',
        '',
      ].join('\n'),
    });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\s+models\/o\.yml:11: Binder Error: Referenced column "amtx" not found/m);
  });
});

describe('custom generic tests (macros/test_<name>.sql)', () => {
  it('are used in YAML like the built-in ones, with model, column_name and their own arguments', async () => {
    p = testProject({
      'models/orders.sql': orders,
      'macros/test_is_even.sql': 'select * from {{model}} where {{column_name}} % 2 <> 0',
      'macros/test_at_least.sql': 'select {{column_name}} from {{model}} where {{column_name}} < {{min}}',
      'macros/test_has_rows_for_shop.sql': 'select {{shop}} as shop where not exists (select 1 from {{model}} where shop = {{shop}})',
      'models/orders.yml': [
        'models:',
        '  - name: orders',
        '    tests:',
        '      - has_rows_for_shop: {shop: 7, severity: warn}',
        '    columns:',
        '      - name: amount',
        '        tests:',
        '          - is_even',
        '          - at_least: {min: 0}',
        '',
      ].join('\n'),
    });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(line(r.stdout, 'is_even_orders_amount')).toMatch(/FAIL .*1 failing/); // -5
    expect(line(r.stdout, 'at_least_orders_amount')).toMatch(/FAIL .*1 failing/);
    expect(line(r.stdout, 'has_rows_for_shop_orders')).toMatch(/WARN .*1 failing/);
  });

  it('a missing argument is an error at the declaration', async () => {
    p = testProject({
      'models/orders.sql': orders,
      'macros/test_at_least.sql': 'select * from {{model}} where {{column_name}} < {{min}}',
      'models/orders.yml': 'models:\n  - name: orders\n    columns:\n      - name: amount\n        tests:\n          - at_least: {minimum: 0}\n',
    });
    const r = await p.run('compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^models\/orders\.yml:6: test "at_least" needs the argument "min"/m);
  });
});

describe('test options', () => {
  it('warn_if / error_if thresholds judge the failure count', async () => {
    p = project(
      [
        '      - expression_is_true: {expression: "amount < 500", error_if: ">100", warn_if: ">10", config: {}}',
        '      - expression_is_true: {expression: "amount < 100", error_if: ">=80"}',
        '      - expression_is_true: {expression: "amount < 995", warn_if: ">5"}',
      ].join('\n'),
    );
    expect((await p.run('run')).code).toBe(0);
    const r = await p.run('test');
    expect(r.code).toBe(1);
    expect(line(r.stdout, 'expression_is_true_orders')).toMatch(/WARN .*50 failing/); // 50 > 10 but not > 100
    expect(line(r.stdout, 'expression_is_true_orders_2')).toMatch(/FAIL .*90 failing/); // 90 >= 80
    expect(line(r.stdout, 'expression_is_true_orders_3')).toMatch(/PASS|failing/);
    expect(line(r.stdout, 'expression_is_true_orders_3')).not.toMatch(/WARN|FAIL/); // 1 failure, under both thresholds
  });

  it('where filters the rows tested; limit caps the failing rows', async () => {
    p = project('      - not_empty', '      - name: amount\n        tests:\n          - accepted_range: {max_value: 10, where: "shop = 1"}\n          - accepted_range: {max_value: 10, limit: 3}\n');
    expect((await p.run('run')).code).toBe(0);
    const r = await p.run('test');
    expect(line(r.stdout, 'accepted_range_orders_amount')).toMatch(/FAIL .*32 failing/); // shop 1: 33 rows, only id 1 (amount 10) passes
    expect(line(r.stdout, 'accepted_range_orders_amount_2')).toMatch(/FAIL .*3 failing/);
  });

  it('store_failures keeps the failing rows in the audit schema', async () => {
    p = project('      - not_empty', '      - name: amount\n        tests:\n          - accepted_range: {min_value: 0, store_failures: true, severity: warn}\n');
    const r = await p.run('build');
    expect(r.code).toBe(0);
    expect(line(r.stdout, 'accepted_range_orders_amount')).toMatch(/WARN .*1 failing/);
    expect(await p.query('select id::int as id, amount from eider_audit.accepted_range_orders_amount')).toEqual([{ id: 100, amount: -5 }]);
  });

  it('severity and tags in a singular test file; test_type selection', async () => {
    p = testProject({
      'models/a.sql': 'select 1 as id',
      'models/a.yml': 'models:\n  - name: a\n    columns:\n      - name: id\n        tests: [unique]\n',
      'tests/t.sql': '{{config severity="warn" tags="nightly"}}\nselect * from {{ref "a"}}',
    });
    const singular = await p.run('ls', '-s', 'test_type:singular');
    expect(singular.stdout.trim()).toBe('t');
    const tagged = await p.run('ls', '-s', 'tag:nightly');
    expect(tagged.stdout.trim()).toBe('t');
    const r = await p.run('build');
    expect(r.code).toBe(0);
    expect(line(r.stdout, 't')).toMatch(/WARN .*1 failing/);
  });
});

describe('bad test declarations', () => {
  it('a malformed threshold, a wrongly typed argument, a model-level test under a column, a bad interval', async () => {
    p = project(
      ['      - row_count: {min: many}', '      - not_empty: {error_if: "more than 3"}', '      - recency: {field: day, interval: {count: 2, period: fortnight}}'].join('\n'),
      '      - name: amount\n        tests:\n          - not_empty\n',
    );
    const r = await p.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^models\/orders\.yml:4: argument "min" of test "row_count" must be a whole number/m);
    expect(r.stderr).toMatch(/^models\/orders\.yml:5: error_if must be a comparison with the failure count, like ">10"/m);
    expect(r.stderr).toMatch(/^models\/orders\.yml:6: argument "interval" of test "recency" period must be one of minute, hour, day/m);
    expect(r.stderr).toMatch(/^models\/orders\.yml:10: test "not_empty" applies to a whole model/m);
  });
});

describe("dbt's spellings", () => {
  it('data_tests: beside tests: (merged), and an arguments: block with config:, on models, columns, seeds and sources', async () => {
    p = testProject({
      'models/orders.sql': orders,
      'macros/test_at_least.sql': 'select {{column_name}} from {{model}} where {{column_name}} < {{min}}',
      'seeds/shops.csv': 'shop\n0\n1\n2\n',
      'models/orders.yml': [
        'models:',
        '  - name: orders',
        '    tests:',
        '      - not_empty',
        '    data_tests:',
        '      - row_count: {arguments: {min: 101, max: 101}}',
        '    columns:',
        '      - name: shop',
        '        data_tests:',
        '          - accepted_values:',
        '              arguments:',
        '                values: [0, 1]',
        '                quote: false',
        '              config:',
        '                severity: warn',
        '        tests:',
        '          - not_null',
        '      - name: amount',
        '        data_tests:',
        '          - at_least: {arguments: {min: 0}, config: {severity: warn}}',
        'seeds:',
        '  - name: shops',
        '    columns:',
        '      - name: shop',
        '        data_tests: [unique]',
        'sources:',
        '  - name: raw',
        '    schema: main',
        '    tables:',
        '      - name: shops',
        '        data_tests:',
        '          - not_empty',
        '',
      ].join('\n'),
    });
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(line(r.stdout, 'not_empty_orders')).toMatch(/PASS/);
    expect(line(r.stdout, 'row_count_orders')).toMatch(/PASS/);
    expect(line(r.stdout, 'not_null_orders_shop')).toMatch(/PASS/);
    expect(line(r.stdout, 'accepted_values_orders_shop')).toMatch(/WARN .*1 failing/); // shop 2
    expect(line(r.stdout, 'at_least_orders_amount')).toMatch(/WARN .*1 failing/); // -5
    expect(line(r.stdout, 'unique_shops_shop')).toMatch(/PASS/);
    expect(line(r.stdout, 'not_empty_source_raw_shops')).toMatch(/PASS/);
  });

  it('an unknown or missing argument inside arguments: is an error at its line', async () => {
    p = project('      - row_count:\n          arguments:\n            minimum: 3', '      - name: shop\n        data_tests:\n          - accepted_values: {arguments: {quote: false}}\n');
    const r = await p.run('compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^models\/orders\.yml:6: unknown key "minimum" in arguments of test "row_count"$/m);
    expect(r.stderr).toMatch(/^models\/orders\.yml:10: test "accepted_values" needs the argument "values"/m);
  });

  it('-m and --models select like --select', async () => {
    p = project('      - not_empty');
    expect((await p.run('ls', '-m', 'half')).stdout.trim()).toBe('half');
    expect((await p.run('ls', '--models', '+half', '--resource-type', 'model')).stdout.trim().split('\n')).toEqual(['orders', 'half']);
    const r = await p.run('build', '-m', 'orders');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK created view main\.orders/);
    expect(r.stdout).not.toMatch(/main\.half/);
  });
});
