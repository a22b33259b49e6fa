import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A project with one 10-million-row table and the four core tests (not_null, unique, accepted_values,
 * relationships) on each of its four columns.
 */
export function generateTestProject(dir: string, rows: number): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'models'), { recursive: true });
  mkdirSync(join(dir, 'profiles'), { recursive: true });
  writeFileSync(join(dir, 'project.yml'), 'name: bench_tests\n');
  writeFileSync(join(dir, 'profiles/profiles.yml'), 'bench_tests:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      threads: 4\n');
  writeFileSync(join(dir, 'models/dim.sql'), '{{config materialized="table"}}\nselect range as id from range(1000)\n');
  writeFileSync(
    join(dir, 'models/big.sql'),
    `{{config materialized="table"}}\nselect range as id, range % 1000 as k, range % 7 as shop, (range * 37) % 1000 as amount from range(${rows})\n`,
  );
  const col = (name: string) =>
    [
      `      - name: ${name}`,
      '        tests:',
      '          - not_null',
      '          - unique',
      '          - accepted_values: {values: [0, 1, 2, 3, 4, 5, 6], quote: false}',
      "          - relationships: {to: ref('dim'), field: id}",
    ].join('\n');
  writeFileSync(join(dir, 'models/big.yml'), `models:\n  - name: big\n    columns:\n${['id', 'k', 'shop', 'amount'].map(col).join('\n')}\n`);
}

/** One model and `n` unit tests of it, each with a few mock rows. */
export function generateUnitProject(dir: string, n: number): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'models'), { recursive: true });
  mkdirSync(join(dir, 'profiles'), { recursive: true });
  mkdirSync(join(dir, 'tests'), { recursive: true });
  mkdirSync(join(dir, 'seeds'), { recursive: true });
  writeFileSync(join(dir, 'project.yml'), 'name: bench_units\n');
  writeFileSync(join(dir, 'profiles/profiles.yml'), 'bench_units:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n');
  writeFileSync(join(dir, 'seeds/orders.csv'), 'order_id,customer_id,amount,ordered_at\n1,1,10.5,2024-01-01 10:00:00\n');
  writeFileSync(join(dir, 'seeds/customers.csv'), 'customer_id,region\n1,south\n');
  writeFileSync(
    join(dir, 'models/daily.sql'),
    [
      'select cast(o.ordered_at as date) as day, c.region, count(*) as orders, sum(o.amount) as revenue',
      'from {{ref "orders"}} o',
      'left join {{ref "customers"}} c using (customer_id)',
      'where o.amount > 0',
      'group by 1, 2',
      '',
    ].join('\n'),
  );
  const lines = ['unit_tests:'];
  for (let i = 0; i < n; i++) {
    const day = `2024-0${(i % 9) + 1}-1${i % 10}`;
    lines.push(
      `  - name: unit_${i}`,
      '    model: daily',
      '    given:',
      "      - input: ref('orders')",
      '        rows:',
      `          - {order_id: 1, customer_id: 1, amount: ${i + 1}, ordered_at: '${day} 09:00:00'}`,
      `          - {order_id: 2, customer_id: 1, amount: 2.5, ordered_at: '${day} 18:00:00'}`,
      `          - {order_id: 3, customer_id: 2, amount: -1, ordered_at: '${day} 10:00:00'}`,
      "      - input: ref('customers')",
      '        rows: [{customer_id: 1, region: south}]',
      '    expect:',
      `      rows: [{day: ${day}, region: south, orders: 2, revenue: ${i + 3.5}}]`,
    );
  }
  writeFileSync(join(dir, 'tests/units.yml'), `${lines.join('\n')}\n`);
}
