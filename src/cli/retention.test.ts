import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { queryFile, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const PROFILES = 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n      publish: swap\n      keep_releases: 1\n';

/** A date `days` before today (UTC), as a CSV writes it. */
const ago = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

/**
 * Events around a one-year boundary: two days either side of it (no time zone or leap day can move a row across),
 * and far from it. Ids 1, 2 and 3 are older than a year.
 */
const events = (extra: string[] = []) =>
  ['id,created_at', `1,${ago(800)}`, `2,${ago(400)}`, `3,${ago(367)}`, `4,${ago(363)}`, `5,${ago(30)}`, `6,${ago(0)}`, ...extra].join('\n') + '\n';

const ids = async (db: string, table: string) => (await queryFile(db, `select id::int as id from ${table} order by id`)).map((r) => r.id);

describe('retention', () => {
  it('a seed and a table keep exactly the rows younger than the period, on a dev target and in a prod release; the count is reported', async () => {
    p = testProject({
      'profiles/profiles.yml': PROFILES,
      'seeds/events.csv': events(),
      'seeds/seeds.yml': 'seeds:\n  - name: events\n    config:\n      retention: {field: created_at, keep: {count: 1, period: year}}\n',
      // In-file config takes a literal: "<field> <count> <period>".
      'models/recent.sql': '{{config materialized="table" retention="created_at 10 weeks"}}\nselect * from {{ref "events"}}',
      'models/everything.sql': '{{config materialized="table"}}\nselect * from {{ref "events"}}',
    });
    for (const target of ['dev', 'prod']) {
      const r = await p.run('build', '--target', target);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/OK seed main\.events .*\[OK [\d.]+s, 6 rows, 3 expired\]/);
      expect(r.stdout).toMatch(/OK created table main\.recent .*\[OK [\d.]+s, 3 rows, 1 expired\]/);
      expect(r.stdout).not.toMatch(/main\.everything .*expired/);
      const db = join(p.dir, `warehouse/${target}.duckdb`);
      expect(await ids(db, 'main.events')).toEqual([4, 5, 6]);
      expect(await ids(db, 'main.recent')).toEqual([5, 6]);
      expect(await ids(db, 'main.everything')).toEqual([4, 5, 6]);
    }
    const results = JSON.parse(readFileSync(join(p.dir, 'target/run_results.json'), 'utf8')).results as Array<{ unique_id: string; rows_expired: number | null }>;
    expect(Object.fromEntries(results.map((r) => [r.unique_id, r.rows_expired]))).toEqual({ 'seed.events': 3, 'model.recent': 1, 'model.everything': null });
  });

  it('an incremental model keeps expiring on every run, and the period follows project.yml folder defaults', async () => {
    p = testProject({
      'project.yml': 'name: t\nmodels:\n  facts:\n    +retention: {field: created_at, keep: {count: 1, period: year}}\n',
      'seeds/events.csv': events(),
      'models/facts/fct_events.sql': '{{config materialized="incremental"}}\nselect * from {{ref "events"}}\n{{#if is_incremental}}where id > (select max(id) from {{this}}){{/if}}',
    });
    const first = await p.run('build');
    expect(first.stdout).toMatch(/fct_events .*6 rows, 3 expired/);
    expect(await ids(p.db, 'main.fct_events')).toEqual([4, 5, 6]);
    // New rows, one of them already past the period: appended and expired in the same run.
    p.write('seeds/events.csv', events([`7,${ago(500)}`, `8,${ago(1)}`]));
    const second = await p.run('build');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/updated incremental main\.fct_events .*2 rows, 1 expired/);
    expect(await ids(p.db, 'main.fct_events')).toEqual([4, 5, 6, 8]);
  });

  it('a snapshot expires the versions closed longer ago than the period (valid_to), never the current ones', async () => {
    const products = (updated: number) => `product_id,price,updated_at\n1,${updated},${ago(updated)} 00:00:00\n2,5,${ago(900)} 00:00:00\n`;
    p = testProject({
      'seeds/products.csv': products(800),
      'snapshots/price_history.sql': '{{config unique_key="product_id" strategy="timestamp" updated_at="updated_at"}}\nselect * from {{ref "products"}}',
      'snapshots/snapshots.yml': 'models:\n  - name: price_history\n    config:\n      retention: {keep: {count: 1, period: year}}\n',
    });
    expect((await p.run('build')).code).toBe(0);
    // Product 1 changes 500 days ago: its first version closes then, already past the period.
    p.write('seeds/products.csv', products(500));
    const second = await p.run('build');
    expect(second.stdout).toMatch(/price_history .*1 expired/);
    // … and 10 days ago: the version of 500 days ago closes now-ish (valid_to 10 days ago), so it stays.
    p.write('seeds/products.csv', products(10));
    const third = await p.run('build');
    expect(third.stdout).toMatch(/price_history .*0 expired/);
    const rows = await p.query('select product_id::int as id, price::int as price, is_current from main.price_history order by id, is_current desc');
    expect(rows).toEqual([
      { id: 1, price: 10, is_current: true },
      { id: 1, price: 500, is_current: false },
      { id: 2, price: 5, is_current: true }, // unchanged for 900 days, but current
    ]);
  });

  it('naive timestamps are read as UTC and timestamptz compared as instants, whatever the host time zone', async () => {
    // Ids 1: 2 h 50 min old (kept, 3 hours kept), 2: 3 h 10 min old (expired), in naive UTC and as instants.
    const rows = (now: string) => `select 1 as id, ${now} - interval 170 minute as created_at union all select 2, ${now} - interval 190 minute`;
    p = testProject({
      'models/naive.sql': `{{config materialized="table" retention="created_at 3 hours"}}\n${rows("(now() at time zone 'UTC')")}`,
      'models/instants.sql': `{{config materialized="table" retention="created_at 3 hours"}}\n${rows('now()')}`,
      'models/days.sql': `{{config materialized="table" retention="created_at 2 days"}}\nselect 1 as id, (now() at time zone 'UTC')::date - 1 as created_at union all select 2, (now() at time zone 'UTC')::date - 3`,
    });
    for (const TZ of ['Asia/Kolkata', 'America/Los_Angeles', 'UTC']) {
      const r = await p.runWith({ TZ }, 'build');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, TZ).toMatch(/main\.naive .*2 rows, 1 expired/);
      expect(r.stdout, TZ).toMatch(/main\.instants .*2 rows, 1 expired/);
      expect(r.stdout, TZ).toMatch(/main\.days .*2 rows, 1 expired/);
      for (const t of ['naive', 'instants', 'days']) expect(await ids(p.db, `main.${t}`), `${TZ} ${t}`).toEqual([1]);
    }
  });

  it('keep: 0 reads the field as each row\'s own expiry date: the rows whose date has passed go', async () => {
    const ahead = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
    p = testProject({
      'seeds/contacts.csv': ['id,retain_until', `1,${ago(400)}`, `2,${ago(2)}`, `3,${ahead(2)}`, `4,${ahead(400)}`, '5,'].join('\n') + '\n',
      'seeds/seeds.yml': 'seeds:\n  - name: contacts\n    config:\n      retention: {field: retain_until, keep: 0}\n',
      'models/kept.sql': '{{config materialized="table" retention="retain_until 0 days"}}\nselect * from {{ref "contacts"}}',
      'models/counted.sql': '{{config materialized="table"}}\nselect * from {{ref "contacts"}}',
      'models/counted.yml': 'models:\n  - name: counted\n    config:\n      retention: {field: retain_until, keep: {count: 0, period: day}}\n',
    });
    const r = await p.run('build');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/OK seed main\.contacts .*\[OK [\d.]+s, 5 rows, 2 expired\]/);
    for (const table of ['contacts', 'kept', 'counted']) expect(await ids(p.db, `main.${table}`), table).toEqual([3, 4, 5]);
  });

  it('mistakes are reported at their line, with exit 2', async () => {
    p = testProject({
      'models/v.sql': 'select 1 as id, current_date as created_at',
      'models/v.yml': 'models:\n  - name: v\n    config:\n      retention: {field: created_at, keep: {count: 2, period: year}}\n',
    });
    let r = await p.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\/v\.yml:4: model "v": retention: a view has no rows of its own to delete/);

    p.write('models/v.sql', '{{config materialized="ephemeral"}}\nselect 1 as id');
    p.write('models/v.yml', 'models: []\n');
    p.write('models/w.sql', '{{config materialized="table" retention="created_at 2 fortnights"}}\nselect 1 as id');
    r = await p.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\/w\.sql:1: retention must be \{field: <column>, keep:/);
    p.write('project.yml', 'name: t\nmodels:\n  +retentoin: {field: created_at}\nseeds:\n  retention: {field: created_at, keep: {count: -1, period: day}}\n');
    r = await p.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/project\.yml:3: unknown config key "retentoin" \(did you mean "retention"\?\)/);
    expect(r.stderr).toMatch(/project\.yml:5: retention\.keep needs a whole count, 0 or more/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace

    p.write('project.yml', 'name: t\n');
    p.write('models/w.sql', '{{config materialized="table"}}\nselect 1 as id');
    p.write('models/v.sql', '{{config materialized="ephemeral" retention="created_at 1 day"}}\nselect 1 as id');
    p.write('models/t.sql', '{{config materialized="table" retention="1 day"}}\nselect 1 as id');
    r = await p.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\/v\.sql:1: model "v": retention: an ephemeral model has no rows of its own to delete/);
    expect(r.stderr).toMatch(/models\/t\.sql:1: model "t": retention needs field/);

    // A field the table lacks fails the node (exit 1), saying it is the retention.
    p.write('models/v.sql', 'select 1 as id');
    p.write('models/t.sql', '{{config materialized="table" retention="created 1 day"}}\nselect 1 as id, current_date as created_at');
    r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/models\/t\.sql: retention: Binder Error: Referenced column "created" not found/);

    // A field of a type that has no age (text, a number) says so and how to cast, and the table keeps its rows.
    p.write('models/t.sql', '{{config materialized="table"}}\nselect 1 as id, \'2020-01-01\' as created_at');
    expect((await p.run('build')).code).toBe(0);
    p.write('models/t.sql', '{{config materialized="table" retention="created_at 1 day"}}\nselect 2 as id, \'2020-01-01\' as created_at');
    r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/models\/t\.sql:\d+: retention: field created_at is VARCHAR; retention needs a DATE, TIMESTAMP or TIMESTAMPTZ column \(cast it in the model, e\.g\. created_at::date in SQL\)/);
    expect(await p.query('select id::int as id from main.t')).toEqual([{ id: 1 }]);

    // The same from a TypeScript model: it fails, and no temporary table is left behind.
    p.write('models/t.sql', '{{config materialized="table"}}\nselect 1 as id');
    p.write('models/js.ts', "export const config = { retention: 'created_at 1 day' };\nexport default () => [{ id: 7, created_at: '2020-01-01' }];\n");
    r = await p.run('build', '-s', 'js');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/models\/js\.ts:\d+: retention: field created_at is VARCHAR/);
    expect(await p.query(`select table_name from information_schema.tables where table_name like 'js%'`)).toEqual([]);
  });
});
