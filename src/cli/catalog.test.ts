import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { acquireLock } from '../publish/lock.js';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const SECRET = 'catalog-s3cr3t';

interface Relation {
  unique_id: string | null;
  resource_type: string | null;
  schema: string;
  name: string;
  type: string;
  comment: string | null;
  row_count: number | null;
  bytes: number | null;
  columns: Array<{ name: string; index: number; data_type: string; nullable: boolean; comment: string | null }>;
}

function catalog(t: TestProject): { metadata: Record<string, unknown>; relations: Relation[] } {
  return JSON.parse(readFileSync(join(t.dir, 'target/catalog.json'), 'utf8'));
}

const PROJECT = {
  'project.yml': 'name: t\non_run_end: "create or replace table main.stray as select 42 as answer"\n',
  'seeds/countries.csv': 'code,name\nIN,India\nFR,France\n',
  'models/staging/orders.sql': [
    `{{config materialized="table" schema="staging"}}`,
    `select range::int as id, (range * 1.5)::decimal(10,2) as amount, date '2024-01-01' + range::int as day, [range, range + 1] as pair, {'k': 'v'} as attrs from range(1000)`,
  ].join('\n'),
  'models/orders_view.sql': 'select id, amount from {{ref "orders"}}',
  'models/inline.sql': '{{config materialized="ephemeral"}}\nselect 1 as x',
  'models/staging/props.yml': [
    'models:',
    '  - name: orders',
    '    description: the orders',
    '    config:',
    '      post_hook:',
    `        - "comment on table {{this}} is 'one row per order'"`,
    `        - "comment on column {{this}}.amount is 'in rupees, {{env \\"EIDER_CATALOG_SECRET\\"}}'"`,
    '    columns:',
    '      - name: id',
    '        description: the order id',
    '',
  ].join('\n'),
};

describe('eider catalog', () => {
  it("writes every relation of the target with DuckDB's types and comments, row counts, bytes and its node", async () => {
    p = testProject(PROJECT);
    const env = { EIDER_CATALOG_SECRET: SECRET };
    expect((await p.runWith(env, 'build')).code).toBe(0);
    const r = await p.runWith(env, 'catalog');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Catalogued 4 relations of dev into .*target\/catalog\.json\n$/);
    const text = readFileSync(join(p.dir, 'target/catalog.json'), 'utf8');
    expect(text).not.toContain(SECRET);
    const c = catalog(p);
    expect(c.metadata).toMatchObject({ schema_version: 'https://eider.dev/schemas/catalog/v1.json', target: 'dev' });
    expect(c.metadata.duckdb_version).toMatch(/^v1\./);
    // eider's own history schema is not the project's: it is left out.
    expect(c.relations.map((x) => [x.schema, x.name, x.type, x.unique_id, x.resource_type])).toEqual([
      ['main', 'countries', 'table', 'seed.countries', 'seed'],
      ['main', 'orders_view', 'view', 'model.orders_view', 'model'],
      ['main', 'stray', 'table', null, null],
      ['staging', 'orders', 'table', 'model.orders', 'model'],
    ]);
    const [countries, view, stray, orders] = c.relations;
    expect(orders.comment).toBe('one row per order');
    expect(orders.columns).toEqual([
      // eider does not write descriptions as COMMENT ON: only what DuckDB holds is read.
      { name: 'id', index: 1, data_type: 'INTEGER', nullable: true, comment: null },
      { name: 'amount', index: 2, data_type: 'DECIMAL(10,2)', nullable: true, comment: 'in rupees, *****' },
      { name: 'day', index: 3, data_type: 'DATE', nullable: true, comment: null },
      { name: 'pair', index: 4, data_type: 'BIGINT[]', nullable: true, comment: null },
      { name: 'attrs', index: 5, data_type: 'STRUCT(k VARCHAR)', nullable: true, comment: null },
    ]);
    expect([orders.row_count, countries.row_count, stray.row_count]).toEqual([1000, 2, 1]);
    expect(countries.columns.map((x) => [x.name, x.data_type])).toEqual([['code', 'VARCHAR'], ['name', 'VARCHAR']]);
    // Views: neither counted (that would run their query) nor sized.
    expect([view.row_count, view.bytes]).toEqual([null, null]);
    expect(view.columns.map((x) => [x.name, x.data_type])).toEqual([['id', 'INTEGER'], ['amount', 'DECIMAL(10,2)']]);
    // File space the data holds, from pragma_storage_info; a column of one constant value is kept in no block.
    for (const t of [orders, countries]) expect(t.bytes).toBeGreaterThan(0);
    expect(stray.bytes).toBe(0);
  });

  it('is written by build --catalog, from what the build published', async () => {
    p = testProject(PROJECT);
    const r = await p.runWith({ EIDER_CATALOG_SECRET: SECRET }, 'build', '--catalog');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Catalogued 4 relations of dev/);
    expect(catalog(p).relations.find((x) => x.name === 'orders')).toMatchObject({ unique_id: 'model.orders', row_count: 1000 });
  });

  it('reads a prod file without its build lock, while a reader holds it open', async () => {
    p = testProject({
      ...PROJECT,
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n',
    });
    expect((await p.runWith({ EIDER_CATALOG_SECRET: SECRET }, 'build', '--target', 'prod')).code).toBe(0);
    const prod = join(p.dir, 'warehouse/prod.duckdb');
    const lock = acquireLock(prod, 'eider build');
    const reader = await DuckDbAdapter.open({ path: prod, threads: 1, readOnly: true });
    try {
      const r = await p.runWith({ EIDER_CATALOG_SECRET: SECRET }, 'catalog', '--target', 'prod');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(catalog(p).metadata.target).toBe('prod');
      expect(catalog(p).relations).toHaveLength(4);
    } finally {
      await reader.close();
      lock.release();
    }
  });

  it('build --catalog of a target in memory is refused before anything runs', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id', 'profiles/profiles.yml': "t:\n  target: dev\n  targets:\n    dev:\n      path: ':memory:'\n" });
    const r = await p.run('build', '--catalog');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('profiles/profiles.yml:5: target "dev" is :memory:, there is no database to catalog\n');
    expect(r.stdout).toBe('');
  });

  it('says so when the target file does not exist yet: exit 2, no catalog', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id' });
    const r = await p.run('catalog');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('profiles/profiles.yml:5: target "dev": its file does not exist yet, there is nothing to catalog (build it first)\n');
    expect(existsSync(join(p.dir, 'target/catalog.json'))).toBe(false);
    expect(existsSync(p.db)).toBe(false);
  });
});
