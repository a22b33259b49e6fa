import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
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
