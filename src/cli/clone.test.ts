import { afterEach, describe, expect, it } from 'vitest';
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
    const r = await p.run('clone', '--from', 'prod', '--to', 'staging');
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
