import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { queryFile, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const project = () =>
  testProject({
    'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    staging:\n      path: warehouse/staging.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n',
    'project.yml': 'name: t\nseeds:\n  schema: raw\n',
    'seeds/customers.csv': 'customer_id,name,email,phone,city\n1,Asha Rao,asha@example.in,9800000001,Pune\n2,Ravi Iyer,ravi@example.in,9800000002,Kochi\n',
    'seeds/seeds.yml': 'seeds:\n  - name: customers\n    columns:\n      - name: email\n        meta: {pii: hash}\n      - name: name\n        meta: {pii: redact}\n      - name: phone\n        meta: {pii: null}\n',
    'models/dim.sql': '{{config materialized="table"}}\nselect customer_id, email, upper(city) as city from {{ref "customers"}}',
    'models/dim.yml': 'models:\n  - name: dim\n    columns:\n      - name: email\n        meta: {pii: hash}\n',
    'models/by_city.sql': 'select city, count(*) as n from {{ref "dim"}} group by 1',
  });

describe('clone --from prod --to staging', () => {
  it('copies every table and view, masking pii columns, and leaves prod as it was', async () => {
    p = project();
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    const kept = join(p.dir, 'warehouse/.eider-releases/prod.duckdb');
    const before = { kept: readdirSync(kept), prod: statSync(join(p.dir, 'warehouse/prod.duckdb')).mtimeMs };
    const r = await p.run('clone', '--from', 'prod', '--to', 'staging');
    expect({ kept: readdirSync(kept), prod: statSync(join(p.dir, 'warehouse/prod.duckdb')).mtimeMs }).toEqual(before);
    expect(before.kept).toHaveLength(1);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Cloned 2 tables and 1 views from prod to staging, masking 4 columns \(meta\.pii\)/);
    const staging = join(p.dir, 'warehouse/staging.duckdb');
    const prod = join(p.dir, 'warehouse/prod.duckdb');
    const masked = await queryFile(staging, 'select customer_id::int as id, name, email, phone, city from raw.customers order by 1');
    expect(masked).toEqual([
      { id: 1, name: '*****', email: expect.stringMatching(/^[0-9a-f]{32}$/), phone: null, city: 'Pune' },
      { id: 2, name: '*****', email: expect.stringMatching(/^[0-9a-f]{32}$/), phone: null, city: 'Kochi' },
    ]);
    // Hashing keeps joins: the same email hashes alike in both tables.
    expect(await queryFile(staging, 'select count(*)::int as n from raw.customers c join main.dim d on c.email = d.email')).toEqual([{ n: 2 }]);
    expect(await queryFile(staging, 'select city, n::int as n from main.by_city order by 1')).toEqual([
      { city: 'KOCHI', n: 1 },
      { city: 'PUNE', n: 1 },
    ]);
    expect(await queryFile(prod, 'select email from raw.customers order by 1')).toEqual([{ email: 'asha@example.in' }, { email: 'ravi@example.in' }]);
    // Staging then builds on its anonymized data.
    expect((await p.run('run', '--target', 'staging', '-s', 'by_city')).code).toBe(0);
  });

  it('masks pii declared on a source and on a seed of one table, same-named columns of tables downstream, and views over them', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    staging:\n      path: warehouse/staging.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n',
      'project.yml': 'name: t\nseeds:\n  schema: raw\n',
      'seeds/customers.csv': 'customer_id,name,email,phone\n1,Asha Rao,asha@example.in,9800000001\n2,Ravi Iyer,ravi@example.in,9800000002\n',
      'seeds/seeds.yml': 'seeds:\n  - name: customers\n    columns:\n      - name: phone\n        meta: {pii: null}\n',
      'models/sources.yml': 'sources:\n  - name: crm\n    schema: raw\n    tables:\n      - name: customers\n        columns:\n          - name: email\n            meta: {pii: hash}\n          - name: name\n            meta: {pii: redact}\n',
      'models/stg.sql': "select customer_id, name, lower(email) as email, phone from {{source 'crm' 'customers'}}",
      'models/wide.sql': '{{config materialized="table"}}\nselect customer_id, name, email, phone, email as contact from {{ref "stg"}}',
      'models/wide.yml': 'models:\n  - name: wide\n    columns:\n      - name: contact\n        meta: {pii: hash}\n      - name: email\n        meta: {pii: redact}\n',
    });
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    const r = await p.run('clone', '--from', 'prod', '--to', 'staging');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Cloned 2 tables and 1 views from prod to staging, masking 7 columns/);
    const staging = join(p.dir, 'warehouse/staging.duckdb');
    const hash = expect.stringMatching(/^[0-9a-f]{32}$/);
    expect(await queryFile(staging, 'select name, email, phone from raw.customers order by customer_id')).toEqual([
      { name: '*****', email: hash, phone: null },
      { name: '*****', email: hash, phone: null },
    ]);
    // The view reads the masked seed; the table downstream masks its own namesakes, its own rule first.
    expect(await queryFile(staging, 'select name, email, phone from main.stg order by customer_id')).toEqual([
      { name: '*****', email: hash, phone: null },
      { name: '*****', email: hash, phone: null },
    ]);
    expect(await queryFile(staging, 'select name, email, phone, contact from main.wide order by customer_id')).toEqual([
      { name: '*****', email: '*****', phone: null, contact: hash },
      { name: '*****', email: '*****', phone: null, contact: hash },
    ]);
  });

  it('refuses to clone a view whose pii column reads an unmasked table, leaving the destination as it was', async () => {
    p = project();
    p.write('models/v.sql', 'select customer_id, city as town from {{ref "customers"}}');
    p.write('models/v.yml', 'models:\n  - name: v\n    columns:\n      - name: town\n        meta: {pii: redact}\n');
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    expect((await p.run('build', '--target', 'staging')).code).toBe(0);
    const r = await p.run('clone', '--from', 'prod', '--to', 'staging');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^models\/v\.sql(:\d+)?: view main\.v would show unmasked values of its pii column town in the clone: .*declare meta\.pii on the columns it reads/m);
    expect(r.stderr).not.toMatch(/    at /);
    // staging is still its own build: unmasked, and no file was left beside it.
    expect(await queryFile(join(p.dir, 'warehouse/staging.duckdb'), 'select email from raw.customers order by 1')).toEqual([{ email: 'asha@example.in' }, { email: 'ravi@example.in' }]);
    expect(readdirSync(join(p.dir, 'warehouse')).filter((f) => f.includes('build-clone'))).toEqual([]);
  });

  it('bad input: the same target twice, an unknown target, a bad pii rule', async () => {
    p = project();
    expect((await p.run('clone', '--from', 'prod', '--to', 'prod')).stderr).toMatch(/--from and --to name the same target/);
    const unknown = await p.run('clone', '--from', 'prd', '--to', 'staging');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/target "prd" not found in profile "t" \(did you mean "prod"\?\)/);
    p.write('models/dim.yml', 'models:\n  - name: dim\n    columns:\n      - name: email\n        meta: {pii: scramble}\n');
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    const bad = await p.run('clone', '--from', 'prod', '--to', 'staging');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/column email of dim: meta\.pii must be hash, redact or null, not "scramble"/);
  });
});

describe('clone finds what it must mask however the source file is laid out (from the review)', () => {
  const leaks = async (file: string, value: string) => {
    const text = await queryFile(file, `select table_schema as s, table_name as n, column_name as c from information_schema.columns where table_catalog = current_database() and data_type = 'VARCHAR' and table_schema <> 'eider'`);
    const found: string[] = [];
    for (const t of text) if (((await queryFile(file, `select count(*)::int as n from "${t.s}"."${t.n}" where "${t.c}" = '${value}'`))[0].n as number) > 0) found.push(`${t.s}.${t.n}.${t.c}`);
    return found;
  };

  it('masks by the relation names of the --from target, whose schema may differ from --to', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n      schema: analytics\n',
      'seeds/people.csv': 'id,email\n1,alice@example.com\n',
      'seeds/people.yml': 'seeds:\n  - name: people\n    columns:\n      - name: email\n        meta: {pii: hash}\n',
    });
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    const r = await p.run('clone', '--from', 'prod', '--to', 'dev');
    expect(r.stdout).toMatch(/masking 1 column/);
    expect(r.code).toBe(0);
    expect(await leaks(p.db, 'alice@example.com')).toEqual([]);
  });

  it('does not clone a table no node declares (a removed model left in prod), and says so; views reading views clone in any order', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n',
      'seeds/people.csv': 'id,email\n1,alice@example.com\n',
      'seeds/people.yml': 'seeds:\n  - name: people\n    columns:\n      - name: email\n        meta: {pii: hash}\n',
      'models/t.sql': '{{config materialized="table"}}\nselect id, email as contact from {{ref "people"}}',
      'models/b_view.sql': 'select id from {{ref "people"}}',
      'models/a_view.sql': 'select id from {{ref "b_view"}}',
    });
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    rmSync(join(p.dir, 'models/t.sql'));
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    const r = await p.run('clone', '--from', 'prod', '--to', 'dev');
    expect(r.stderr).toMatch(/warning: prod holds main\.t, which no model, seed, snapshot or source of the project declares: not cloned/);
    expect(r.code).toBe(0);
    expect(await leaks(p.db, 'alice@example.com')).toEqual([]);
    expect(await queryFile(p.db, 'select id::int as id from main.a_view')).toEqual([{ id: 1 }]);
  });
});
