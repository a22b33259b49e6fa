import { afterEach, describe, expect, it } from 'vitest';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const products = (rows: string[]) => `product_id,name,price,updated_at\n${rows.join('\n')}\n`;
const jan = ['1,Tawa,100,2024-01-01 00:00:00', '2,Kurta,200,2024-01-01 00:00:00', '3,Saree,300,2024-01-01 00:00:00'];
// February: 2's price changed, 3 was deleted, 4 is new; 1 unchanged.
const feb = ['1,Tawa,100,2024-01-01 00:00:00', '2,Kurta,250,2024-02-01 00:00:00', '4,Kajal,40,2024-02-01 00:00:00'];

const history = () => p!.query(`select product_id::int as id, price::int as price, strftime(valid_from, '%Y-%m') as valid_from, valid_to is not null as closed, is_current from main.price_history order by 1, valid_from`);

describe('snapshots (SCD type 2)', () => {
  it('timestamp strategy keeps price history, closes hard deletes, and changes nothing when nothing changed', async () => {
    p = testProject({
      'seeds/products.csv': products(jan),
      'snapshots/price_history.sql': '{{config unique_key="product_id" strategy="timestamp" updated_at="updated_at" invalidate_hard_deletes=true}}\nselect product_id, price, updated_at from {{ref "products"}}',
    });
    const first = await p.run('build');
    expect(first.stdout).toMatch(/OK created snapshot main\.price_history .*3 rows/);
    p.write('seeds/products.csv', products(feb));
    expect((await p.run('seed')).code).toBe(0);
    const second = await p.run('snapshot');
    expect(second.stdout).toMatch(/1 of 1 OK updated snapshot main\.price_history .*2 rows/);
    const expected = [
      { id: 1, price: 100, valid_from: '2024-01', closed: false, is_current: true },
      { id: 2, price: 200, valid_from: '2024-01', closed: true, is_current: false },
      { id: 2, price: 250, valid_from: '2024-02', closed: false, is_current: true },
      { id: 3, price: 300, valid_from: '2024-01', closed: true, is_current: false },
      { id: 4, price: 40, valid_from: '2024-02', closed: false, is_current: true },
    ];
    expect(await history()).toEqual(expected);
    expect((await p.run('snapshot')).stdout).toMatch(/OK updated snapshot main\.price_history .*0 rows/);
    expect(await history()).toEqual(expected);
  });

  it('check strategy: a new version when a checked column changes', async () => {
    p = testProject({
      'seeds/products.csv': products(jan),
      'snapshots/price_history.sql': '{{config unique_key="product_id" strategy="check" check_cols="price"}}\nselect product_id, name, price from {{ref "products"}}',
    });
    expect((await p.run('build')).code).toBe(0);
    p.write('seeds/products.csv', products(['1,Tawa Pro,100,2024-03-01 00:00:00', '2,Kurta,250,2024-02-01 00:00:00', '3,Saree,300,2024-01-01 00:00:00']));
    expect((await p.run('build')).code).toBe(0);
    const rows = await p.query('select product_id::int as id, name, price::int as price, is_current from main.price_history order by 1, is_current');
    expect(rows).toEqual([
      { id: 1, name: 'Tawa', price: 100, is_current: true }, // the name is not checked: no new version
      { id: 2, name: 'Kurta', price: 200, is_current: false },
      { id: 2, name: 'Kurta', price: 250, is_current: true },
      { id: 3, name: 'Saree', price: 300, is_current: true },
    ]);
  });

  it('check_cols as a comma-separated list, and check_cols="all" over a composite unique_key, NULLs equal to NULLs', async () => {
    const stock = (rows: string[]) => `shop,product_id,name,price,note\n${rows.join('\n')}\n`;
    p = testProject({
      'seeds/stock.csv': stock(['s1,1,Tawa,100,', 's1,2,Kurta,200,sale', 's2,1,Tawa,110,']),
      'snapshots/listed.sql': '{{config unique_key="product_id" strategy="check" check_cols="price, name"}}\nselect product_id, name, price from {{ref "stock"}} where shop = \'s1\'',
      'snapshots/every.sql': '{{config unique_key="shop, product_id" strategy="check" check_cols="all"}}\nselect shop, product_id, name, price, note from {{ref "stock"}}',
    });
    expect((await p.run('build')).code).toBe(0);
    // s1/1 renamed, s2/1 unchanged (its note is still NULL), s1/2 only its note changed.
    p.write('seeds/stock.csv', stock(['s1,1,Tawa Pro,100,', 's1,2,Kurta,200,', 's2,1,Tawa,110,']));
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const versions = (table: string, key: string) => p!.query(`select ${key}, name, is_current from main.${table} order by all`);
    expect(await versions('listed', 'product_id::int as id')).toEqual([
      { id: 1, name: 'Tawa', is_current: false },
      { id: 1, name: 'Tawa Pro', is_current: true },
      { id: 2, name: 'Kurta', is_current: true }, // only the unchecked note changed
    ]);
    expect(await p.query('select shop, product_id::int as id, name, note, is_current from main.every order by all')).toEqual([
      { shop: 's1', id: 1, name: 'Tawa', note: null, is_current: false },
      { shop: 's1', id: 1, name: 'Tawa Pro', note: null, is_current: true },
      { shop: 's1', id: 2, name: 'Kurta', note: 'sale', is_current: false },
      { shop: 's1', id: 2, name: 'Kurta', note: null, is_current: true },
      { shop: 's2', id: 1, name: 'Tawa', note: null, is_current: true },
    ]);
    // Unchanged input: no new versions anywhere.
    expect((await p.run('snapshot')).stdout).toMatch(/OK updated snapshot main\.every .*0 rows/);
    expect(await p.query('select count(*)::int as n from main.every')).toEqual([{ n: 5 }]);
  });

  it('a column new in the source is added to the history (null in the versions before it); a table built otherwise is refused by name', async () => {
    p = testProject({
      'seeds/products.csv': products(jan),
      'snapshots/price_history.sql': '{{config unique_key="product_id" strategy="timestamp" updated_at="updated_at"}}\nselect * from {{ref "products"}}',
    });
    expect((await p.run('build')).code).toBe(0);
    p.write('seeds/products.csv', 'product_id,name,price,updated_at,color\n1,Tawa,100,2024-01-01 00:00:00,black\n2,Kurta,250,2024-02-01 00:00:00,red\n3,Saree,300,2024-01-01 00:00:00,blue\n');
    const r = await p.run('build');
    expect(r.stdout + r.stderr).not.toMatch(/ERROR|Binder Error/);
    expect(r.code).toBe(0);
    expect(await p.query(`select product_id::int as id, price::int as price, color, is_current from main.price_history order by 1, valid_from`)).toEqual([
      { id: 1, price: 100, color: null, is_current: true },
      { id: 2, price: 200, color: null, is_current: false },
      { id: 2, price: 250, color: 'red', is_current: true },
      { id: 3, price: 300, color: null, is_current: true },
    ]);
    // A model built as a table before, now a snapshot: its table holds no history to extend.
    p.write('models/x.sql', "{{config materialized='table'}}\nselect product_id, updated_at from {{ref 'products'}}");
    expect((await p.run('build', '-s', 'x')).code).toBe(0);
    p.write('models/x.sql', "{{config materialized='snapshot' unique_key='product_id' strategy='timestamp' updated_at='updated_at'}}\nselect product_id, updated_at from {{ref 'products'}}");
    const x = await p.run('run', '-s', 'x');
    expect(x.code).toBe(1);
    expect(x.stdout).toMatch(/models\/x\.sql:1: snapshot x: "main"\."x" exists but is not a snapshot's table \(it has no valid_from, valid_to and is_current; the model was materialized otherwise before\): drop it to start the snapshot's history/);
    expect(x.stdout).not.toMatch(/Binder Error/);
  });

  it('a snapshot without its strategy\'s columns is an error at its file', async () => {
    p = testProject({ 'snapshots/s.sql': '{{config strategy="timestamp"}}\nselect 1 as id', 'snapshots/c.sql': '{{config unique_key="id" strategy="check"}}\nselect 1 as id' });
    const r = await p.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^snapshots\/s\.sql:1: snapshot "s": needs a unique_key/m);
    expect(r.stderr).toMatch(/^snapshots\/s\.sql:1: snapshot "s": the timestamp strategy needs updated_at/m);
    expect(r.stderr).toMatch(/^snapshots\/c\.sql:1: snapshot "c": the check strategy needs check_cols/m);
    // Columns the query does not return fail on the first build (not only once there is history to compare).
    p.remove();
    p = testProject({ 'snapshots/s.sql': '{{config unique_key="id" strategy="check" check_cols="price, nmae"}}\nselect 1 as id, 2 as price, 3 as name' });
    const c = await p.run('snapshot');
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/snapshots\/s\.sql:1: snapshot s: check_cols nmae not among the columns its query returns/);
  });
});
