import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const base = {
  'seeds/raw_orders.csv': 'order_id,customer_id,amount,ordered_at\n1,1,10.5,2024-01-01 10:00:00\n',
  'models/sources.yml': 'sources:\n  - name: crm\n    tables:\n      - name: customers\n        columns:\n          - name: customer_id\n            data_type: integer\n          - name: region\n            data_type: varchar\n',
  'models/daily.sql': 'select cast(o.ordered_at as date) as day, c.region, count(*) as orders, sum(o.amount) as revenue\nfrom {{ref "raw_orders"}} o\nleft join {{source "crm" "customers"}} c using (customer_id)\nwhere o.amount > 0\ngroup by 1, 2',
};

const unit = (body: string) => ({ ...base, 'tests/daily.yml': `unit_tests:\n${body}` });

describe('unit tests', () => {
  it('pass, and show a readable diff with changed cells for a declared key; the target is never opened', async () => {
    p = testProject({
      ...unit(
        [
          '  - name: sums_by_day',
          '    model: daily',
          '    given:',
          "      - input: ref('raw_orders')",
          '        rows:',
          "          - {order_id: 1, customer_id: 7, amount: 10, ordered_at: '2024-01-01 09:00:00'}",
          "          - {order_id: 2, customer_id: 7, amount: 5.5, ordered_at: '2024-01-01 18:00:00'}",
          "          - {order_id: 3, customer_id: 7, amount: -1, ordered_at: '2024-01-02 10:00:00'}",
          "      - input: source('crm', 'customers')",
          '        rows: [{customer_id: 7, region: south}]',
          '    expect:',
          '      rows:',
          '        - {day: 2024-01-01, region: south, orders: 2, revenue: 15.5}',
          '  - name: wrong_on_purpose',
          '    model: daily',
          '    given:',
          "      - input: ref('raw_orders')",
          '        format: csv',
          '        rows: |',
          '          order_id,amount,ordered_at',
          '          1,10,2024-01-01 09:00:00',
          '          2,7,2024-01-03 09:00:00',
          '    expect:',
          '      key: [day]',
          '      rows:',
          '        - {day: 2024-01-01, orders: 2, revenue: 10}',
          '        - {day: 2024-01-02, orders: 1, revenue: 1}',
          '  - name: from_fixture',
          '    model: daily',
          '    given:',
          "      - input: ref('raw_orders')",
          '        fixture: tests/fixtures/orders.csv',
          '    expect:',
          '      format: csv',
          '      rows: |',
          '        day,orders',
          '        2024-03-01,1',
          '',
        ].join('\n'),
      ),
      'tests/fixtures/orders.csv': 'order_id,amount,ordered_at\n9,1.25,2024-03-01 08:00:00\n',
    });
    const r = await p.run('test', '--select', 'test_type:unit');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/PASS unit test sums_by_day/);
    expect(r.stdout).toMatch(/PASS unit test from_fixture/);
    expect(r.stdout).toMatch(/FAIL unit test wrong_on_purpose/);
    expect(r.stdout).toContain('changed (by key day):\n      day=2024-01-01: orders: expected 2, got 1');
    expect(r.stdout).toMatch(/missing \(1 expected row not returned\):\n\s+\| day +\| orders \| revenue \|\n\s+\| 2024-01-02 \| 1 +\| 1 +\|/);
    expect(r.stdout).toMatch(/unexpected \(1 returned row not expected\):\n\s+\| day +\| orders \| revenue \|\n\s+\| 2024-01-03 \| 1 +\| 7 +\|/);
    expect(existsSync(p.db)).toBe(false);
  });

  it('running in parallel, each sees its own mock rows of an input they share', async () => {
    // Two unit tests, on two models, mocking the same input with other rows: run on two threads at once, one
    // used to see the other's rows (they shared one in-memory database) and failed, or passed wrongly.
    const model = (name: string) => `select count(*) as n from {{ref "stg_orders"}} where customer_id = ${name === 'a' ? 1 : 2}`;
    const test = (name: string, rows: number) =>
      [`  - name: ${name}_counts`, `    model: ${name}`, '    given:', "      - input: ref('stg_orders')", '        rows:', ...Array.from({ length: rows }, (_, i) => `          - {order_id: ${i}, customer_id: ${name === 'a' ? 1 : 2}}`), '    expect:', `      rows: [{n: ${rows}}]`].join('\n');
    p = testProject({ 'seeds/raw_orders.csv': base['seeds/raw_orders.csv'], 'models/stg_orders.sql': 'select order_id, customer_id from {{ref "raw_orders"}}', 'models/a.sql': model('a'), 'models/b.sql': model('b'), 'models/props.yml': 'models:\n  - name: stg_orders\n    columns:\n      - name: order_id\n        tests: [not_null]\n', 'tests/units.yml': `unit_tests:\n${test('a', 3)}\n${test('b', 5)}\n` });
    expect((await p.run('build', '--threads', '1')).code).toBe(0);
    for (let i = 0; i < 3; i++) {
      const r = await p.run('test', '--threads', '2');
      expect(r.stdout).toMatch(/PASS unit test a_counts/);
      expect(r.stdout).toMatch(/PASS unit test b_counts/);
      expect(r.code).toBe(0);
    }
  });

  it('run in build before their model: a failing unit test means the model is not built', async () => {
    p = testProject(
      unit(
        "  - name: bad\n    model: daily\n    given:\n      - input: ref('raw_orders')\n        rows: [{amount: 1, ordered_at: '2024-01-01 00:00:00'}]\n    expect:\n      rows: [{orders: 5}]\n",
      ),
    );
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL unit test bad/);
    expect(r.stdout).toMatch(/SKIP view main\.daily/);
    expect(r.stdout).toMatch(/OK seed main\.raw_orders/);
  });

  it('are selected with their model, and only with it', async () => {
    p = testProject(unit("  - name: t1\n    model: daily\n    given: []\n    expect:\n      rows: []\n"));
    expect((await p.run('ls', '-s', 'daily')).stdout.trim().split('\n').sort()).toEqual(['daily', 't1']);
    expect((await p.run('ls', '-s', 'raw_orders')).stdout.trim()).toBe('raw_orders');
    const r = await p.run('test', '-s', 't1');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS unit test t1/);
  });

  it('bad input: unknown model, unknown ref, an input the model does not read, a column the input does not have', async () => {
    p = testProject({
      ...unit(
        [
          '  - name: a',
          '    model: dayly',
          '    expect: {rows: []}',
          '  - name: b',
          '    model: daily',
          '    given:',
          "      - input: ref('raw_ordrs')",
          '        rows: []',
          "      - input: ref('other')",
          '        rows: []',
          '    expect: {rows: []}',
          '  - name: c',
          '    model: daily',
          '    given:',
          "      - input: source('crm', 'customers')",
          '        rows: [{customer_id: 1, regoin: x}]',
          '    expect: {rows: []}',
          '',
        ].join('\n'),
      ),
      'models/other.sql': 'select 1 as x',
    });
    const compile = await p.run('compile');
    expect(compile.code).toBe(2);
    expect(compile.stderr).toMatch(/^tests\/daily\.yml:2: unit test "a": unknown model "dayly" \(did you mean "daily"\?\)/m);
    expect(compile.stderr).toMatch(/^tests\/daily\.yml:8: unknown ref "raw_ordrs" \(did you mean "raw_orders"\?\)/m);
    expect(compile.stderr).toMatch(/^tests\/daily\.yml:10: unit test "b": daily does not read ref\('other'\); it reads raw_orders, crm\.customers/m);
    p.write('tests/daily.yml', `unit_tests:\n  - name: c\n    model: daily\n    given:\n      - input: source('crm', 'customers')\n        rows: [{customer_id: 1, regoin: x}]\n    expect: {rows: []}\n`);
    const r = await p.run('test', '-s', 'test_type:unit');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tests\/daily\.yml:5: unit test "c": mock rows for crm\.customers have a column "regoin" that crm\.customers does not have \(did you mean "region"\?\)/m);
  });
  describe('mock columns are checked where the columns need more than a LIMIT 0 read', () => {
    const given = (input: string, rows: string, expectRows = '[]') =>
      `unit_tests:\n  - name: t\n    model: m\n    given:\n      - input: ${input}\n        rows: ${rows}\n    expect: {rows: ${expectRows}}\n`;
    const mockError = (r: { code: number; stderr: string }, input: string) => {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^tests/u\\.yml:5: unit test "t": mock rows for ${input} have a column "bogus_col" that ${input} does not have`, 'm'));
    };

    it('a source over a seed of the project, with no declared columns, has the seed\'s columns', async () => {
      p = testProject({
        'seeds/raw_events.csv': 'event_id,kind\n1,a\n',
        'models/sources.yml': 'sources:\n  - name: app\n    schema: main\n    tables:\n      - name: events\n        identifier: raw_events\n',
        'models/m.sql': 'select kind, count(*) as n from {{source "app" "events"}} group by 1',
        'tests/u.yml': given("source('app', 'events')", '[{event_id: 1, kind: a, bogus_col: 2}]'),
      });
      mockError(await p.run('test', '-s', 'test_type:unit'), 'app\\.events');
      p.write('tests/u.yml', given("source('app', 'events')", '[{event_id: 1, kind: a}]', '[{kind: a, n: 1}]'));
      const ok = await p.run('test', '-s', 'test_type:unit');
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
    });

    it('a snapshot input has its valid_from, valid_to and is_current columns', async () => {
      p = testProject({
        'seeds/products.csv': 'product_id,price,updated_at\n1,100,2024-01-01 00:00:00\n',
        'snapshots/prices.sql': '{{config unique_key="product_id" strategy="timestamp" updated_at="updated_at"}}\nselect product_id, price, updated_at from {{ref "products"}}',
        'models/m.sql': 'select product_id, price from {{ref "prices"}} where is_current',
        'tests/u.yml': given("ref('prices')", '[{product_id: 1, price: 5, is_current: true, bogus_col: 2}]'),
      });
      mockError(await p.run('test', '-s', 'test_type:unit'), 'prices');
      p.write('tests/u.yml', given("ref('prices')", '[{product_id: 1, price: 5, is_current: true}, {product_id: 1, price: 4, is_current: false}]', '[{product_id: 1, price: 5}]'));
      const ok = await p.run('test', '-s', 'test_type:unit');
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
    });

    it('a JavaScript model input has the columns its properties declare with a data_type', async () => {
      p = testProject({
        'models/scores.js': 'export default async function () { return [{ id: 1, score: 0.5 }]; }\n',
        'models/scores.yml': 'models:\n  - name: scores\n    columns:\n      - name: id\n        data_type: bigint\n      - name: score\n        data_type: double\n',
        'models/m.sql': 'select id from {{ref "scores"}} where score > 0.4',
        'tests/u.yml': given("ref('scores')", '[{id: 1, score: 0.5, bogus_col: 2}]'),
      });
      mockError(await p.run('test', '-s', 'test_type:unit'), 'scores');
      p.write('tests/u.yml', given("ref('scores')", '[{id: 1, score: 0.5}, {id: 2, score: 0.1}]', '[{id: 1}]'));
      const ok = await p.run('test', '-s', 'test_type:unit');
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
    });

    it('an input whose columns cannot be told is an error at its line (exit 2), not a mock left unchecked', async () => {
      p = testProject({
        'models/sources.yml': 'sources:\n  - name: app\n    tables:\n      - name: events\n',
        'models/stg.sql': 'select event_id, kind from {{source "app" "events"}}',
        'models/scores.js': 'export default async function () { return [{ id: 1 }]; }\n',
        'models/m.sql': 'select kind, count(*) as n from {{ref "stg"}} join {{ref "scores"}} on id = event_id group by 1',
        'tests/u.yml': given("ref('stg')", '[{event_id: 1, kind: a, bogus_col: 2}]'),
      });
      const r = await p.run('test', '-s', 'test_type:unit');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^tests\/u\.yml:5: unit test "t": cannot check the mock rows for stg: its columns cannot be told without the warehouse \(source app\.events declares no columns\); declare them, with a data_type, in a properties file/m);
      p.write('tests/u.yml', given("ref('scores')", '[{id: 1, bogus_col: 2}]'));
      const js = await p.run('test', '-s', 'test_type:unit');
      expect(js.code).toBe(2);
      expect(js.stderr).toMatch(/^tests\/u\.yml:5: unit test "t": cannot check the mock rows for scores: its columns cannot be told without the warehouse \(scores is a JavaScript model\); declare them/m);
      // Declared, with their types, the columns are checked.
      p.write('models/stg.yml', 'models:\n  - name: stg\n    columns:\n      - name: event_id\n        data_type: int\n      - name: kind\n        data_type: varchar\n');
      p.write('tests/u.yml', given("ref('stg')", '[{event_id: 1, kind: a, bogus_col: 2}]'));
      mockError(await p.run('test', '-s', 'test_type:unit'), 'stg');
      // An input not given is empty, typed: one whose columns cannot be told fails the test with the same advice.
      p.write('tests/u.yml', given("ref('stg')", '[{event_id: 1, kind: a}]'));
      const notGiven = await p.run('test', '-s', 'test_type:unit');
      expect(notGiven.code).toBe(1);
      expect(notGiven.stdout).toMatch(/cannot mock scores: its columns cannot be told without the warehouse \(scores is a JavaScript model\); declare them/);
    });
  });
});
