import { afterEach, describe, expect, it } from 'vitest';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const seed = (rows: string[]) => `id,amount,updated_at\n${rows.join('\n')}\n`;
const day1 = ['1,10,2024-01-01 00:00:00', '2,20,2024-01-02 00:00:00'];
// Day 2: row 2 changed, row 3 new, row 1 unchanged.
const day2 = ['1,10,2024-01-01 00:00:00', '2,25,2024-01-05 00:00:00', '3,30,2024-01-06 00:00:00'];

function model(strategy: string, extra = '') {
  const key = strategy === 'append' ? '' : ' unique_key="id"';
  return `{{config materialized="incremental" incremental_strategy="${strategy}"${key}${extra}}}\nselect id, amount, updated_at from {{ref "src"}}\n{{#if is_incremental}}\nwhere updated_at > (select max(updated_at) from {{this}})\n{{/if}}\n`;
}

const rows = () => p!.query('select id::int as id, amount::int as amount from main.inc order by id, amount');

describe('incremental models', () => {
  for (const strategy of ['append', 'delete+insert', 'merge']) {
    it(`${strategy}: incremental runs over the same input give exactly what a full refresh gives`, async () => {
      p = testProject({ 'seeds/src.csv': seed(day1), 'models/inc.sql': model(strategy) });
      const first = await p.run('build');
      expect(first.stdout).toMatch(/OK created incremental main\.inc .*2 rows/);
      // append is for inputs that only grow; the keyed strategies also take changed rows.
      const next = strategy === 'append' ? [...day1, '3,30,2024-01-06 00:00:00', '4,40,2024-01-07 00:00:00'] : day2;
      p.write('seeds/src.csv', seed(next));
      const second = await p.run('build');
      expect(second.stdout).toMatch(/OK updated incremental main\.inc .*2 rows/);
      expect((await p.run('build')).stdout).toMatch(/OK updated incremental main\.inc .*0 rows/);
      const incremental = await rows();
      expect((await p.run('build', '--full-refresh')).stdout).toMatch(new RegExp(`OK created incremental main\\.inc .*${strategy === 'append' ? 4 : 3} rows`));
      expect(incremental).toEqual(await rows());
      expect(incremental.length).toBe(strategy === 'append' ? 4 : 3);
    });
  }

  for (const strategy of ['delete+insert', 'merge']) {
    it(`${strategy} with a unique_key of two columns, given as "shop, id"`, async () => {
      const stock = (r: string[]) => `shop,id,amount,updated_at\n${r.join('\n')}\n`;
      const sql = `{{config materialized="incremental" incremental_strategy="${strategy}" unique_key="shop, id"}}\nselect shop, id, amount, updated_at from {{ref "src"}}\n{{#if is_incremental}}where updated_at > (select max(updated_at) from {{this}}){{/if}}\n`;
      p = testProject({ 'seeds/src.csv': stock(['a,1,10,2024-01-01 00:00:00', 'b,1,20,2024-01-01 00:00:00']), 'models/inc.sql': sql });
      expect((await p.run('build')).code).toBe(0);
      // Only shop b's row 1 changed: shop a's row 1 (same id) must stay.
      p.write('seeds/src.csv', stock(['a,1,10,2024-01-01 00:00:00', 'b,1,25,2024-01-03 00:00:00']));
      const r = await p.run('build');
      expect(r.stdout).toMatch(/OK updated incremental main\.inc .*1 rows?/);
      expect(await p.query('select shop, id::int as id, amount::int as amount from main.inc order by all')).toEqual([
        { shop: 'a', id: 1, amount: 10 },
        { shop: 'b', id: 1, amount: 25 },
      ]);
    });
  }

  for (const strategy of ['append', 'delete+insert', 'merge', 'microbatch']) {
    it(`${strategy}: a run that fails while applying its rows leaves no partial window, and the next run adds no duplicates`, async () => {
      const sql =
        strategy === 'microbatch'
          ? '{{config materialized="incremental" incremental_strategy="microbatch" event_time="updated_at" batch_size="day" lookback=0 begin="2024-01-01"}}\nselect id, amount, updated_at from {{ref "src"}}\n'
          : model(strategy);
      p = testProject({ 'seeds/src.csv': seed(day1), 'models/inc.sql': sql });
      expect((await p.run('build')).code).toBe(0);
      const before = await rows();
      // Day 2 arrives with an amount that cannot be stored in the INTEGER column: the apply fails part-way.
      const next = ['1,10,2024-01-01 00:00:00', '2,20,2024-01-02 00:00:00', '3,30,2024-01-06 00:00:00', '4,x40,2024-01-07 00:00:00'];
      p.write('seeds/src.csv', seed(next));
      const failed = await p.run('build');
      expect(failed.code).toBe(1);
      expect(failed.stdout).toMatch(/ERROR incremental main\.inc/);
      // microbatch commits each day's window on its own: day 6 is in, the failed day 7 left nothing half-done.
      expect(await rows()).toEqual(strategy === 'microbatch' ? [...before, { id: 3, amount: 30 }] : before);
      p.write('seeds/src.csv', seed(next.map((r) => r.replace('x40', '40'))));
      expect((await p.run('build')).code).toBe(0);
      expect((await p.run('build')).code).toBe(0);
      const incremental = await rows();
      expect(incremental).toEqual([
        { id: 1, amount: 10 },
        { id: 2, amount: 20 },
        { id: 3, amount: 30 },
        { id: 4, amount: 40 },
      ]);
      expect((await p.run('build', '--full-refresh')).code).toBe(0);
      expect(await rows()).toEqual(incremental);
    });
  }

  it('the usual filter `col > (select max(col) from {{this}})` reads the max worked out first, as a constant DuckDB can skip row groups with', async () => {
    // DuckDB's query log shows what eider ran; a string holding the same text is left alone.
    const log = 'on_run_start: "call enable_logging(\'QueryLog\')"\non_run_end: "create or replace table main.queries as select message from duckdb_logs where type = \'QueryLog\'"\n';
    const sql = `{{config materialized="incremental" unique_key="id"}}\nselect id, amount, updated_at, '(select max(updated_at) from "main"."inc")' as note from {{ref "src"}}\n{{#if is_incremental}}\nwhere updated_at > ( SELECT MAX(updated_at)\n  FROM {{this}} )\n{{/if}}\n`;
    p = testProject({ 'project.yml': `name: t\n${log}`, 'seeds/src.csv': seed(day1), 'models/inc.sql': sql });
    expect((await p.run('build')).code).toBe(0);
    p.write('seeds/src.csv', seed(day2));
    expect((await p.run('build')).stdout).toMatch(/OK updated incremental main\.inc .*2 rows/);
    const ran = (await p.query('select message from main.queries')).map((r) => String(r.message));
    const incoming = ran.find((q) => q.startsWith('create or replace temp table'));
    expect(incoming).toMatch(/where updated_at > getvariable\('eider_max_main__inc_0'\)/);
    expect(ran).toContain('set variable "eider_max_main__inc_0" = (select updated_at from "main"."inc" order by updated_at desc nulls last limit 1)');
    expect(await p.query('select distinct note from main.inc')).toEqual([{ note: '(select max(updated_at) from "main"."inc")' }]);
    const incremental = await rows();
    await p.run('build', '--full-refresh');
    expect(incremental).toEqual(await rows());
  });

  it('a null in the unique key is an error naming the model; nothing is applied, and a re-run adds no duplicates', async () => {
    p = testProject({ 'seeds/src.csv': seed(day1), 'models/inc.sql': model('merge') });
    expect((await p.run('build')).code).toBe(0);
    p.write('seeds/src.csv', seed([...day2, ',99,2024-01-07 00:00:00']));
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/model inc: 1 incoming rows have a null unique_key \(id\); nothing was applied/);
    expect(await rows()).toEqual([
      { id: 1, amount: 10 },
      { id: 2, amount: 20 },
    ]);
    p.write('seeds/src.csv', seed(day2));
    expect((await p.run('build')).code).toBe(0);
    expect((await p.run('build')).code).toBe(0);
    expect(await rows()).toEqual([
      { id: 1, amount: 10 },
      { id: 2, amount: 25 },
      { id: 3, amount: 30 },
    ]);
  });

  it('on_schema_change: ignore, append_new_columns, sync_all_columns, fail', async () => {
    const changed = (mode: string) => `{{config materialized="incremental" unique_key="id" on_schema_change="${mode}"}}\nselect id, amount * 2 as doubled, updated_at from {{ref "src"}}\n{{#if is_incremental}}where updated_at > (select max(updated_at) from {{this}}){{/if}}\n`;
    for (const [mode, expected] of [
      ['ignore', ['amount', 'id', 'updated_at']],
      ['append_new_columns', ['amount', 'doubled', 'id', 'updated_at']],
      ['sync_all_columns', ['doubled', 'id', 'updated_at']],
    ] as const) {
      p = testProject({ 'seeds/src.csv': seed(day1), 'models/inc.sql': model('merge') });
      expect((await p.run('build')).code).toBe(0);
      p.write('seeds/src.csv', seed(day2));
      p.write('models/inc.sql', changed(mode));
      expect((await p.run('build')).code, mode).toBe(0);
      const cols = await p.query(`select column_name as c from information_schema.columns where table_name = 'inc' order by 1`);
      expect(cols.map((c) => c.c), mode).toEqual(expected);
      p.remove();
    }
    p = testProject({ 'seeds/src.csv': seed(day1), 'models/inc.sql': model('merge') });
    expect((await p.run('build')).code).toBe(0);
    p.write('seeds/src.csv', seed(day2));
    p.write('models/inc.sql', changed('fail'));
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/model inc: the columns changed and on_schema_change is fail: new column doubled BIGINT; column amount is gone/);
  });

  it('in a swap (prod) build the table is carried from the current release and updated', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: prod\n  targets:\n    prod:\n      path: warehouse/prod.duckdb\n',
      'seeds/src.csv': seed(day1),
      'models/inc.sql': model('merge'),
    });
    p.db; // prod file
    expect((await p.run('build')).code).toBe(0);
    p.write('seeds/src.csv', seed(day2));
    const r = await p.run('build');
    expect(r.stdout).toMatch(/OK updated incremental main\.inc .*2 rows/);
    const { queryFile } = await import('../test-support/project.js');
    expect(await queryFile(`${p.dir}/warehouse/prod.duckdb`, 'select id::int as id, amount::int as amount from main.inc order by id')).toEqual([
      { id: 1, amount: 10 },
      { id: 2, amount: 25 },
      { id: 3, amount: 30 },
    ]);
  });

  it('bad input: unknown strategy, merge or delete+insert without unique_key', async () => {
    p = testProject({ 'seeds/src.csv': seed(day1), 'models/inc.sql': '{{config materialized="incremental" incremental_strategy="upsert"}}\nselect 1 as id' });
    const r = await p.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^models\/inc\.sql:1: incremental_strategy must be one of append, delete\+insert, merge, microbatch, not "upsert"/m);
    p.write('models/inc.sql', '{{config materialized="incremental" incremental_strategy="merge"}}\nselect 1 as id');
    const m = await p.run('build');
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/^models\/inc\.sql:1: model "inc": incremental_strategy merge needs a unique_key/m);
    // A unique_key or event_time the query does not return fails on the first build, before anything is created.
    p.write('models/inc.sql', '{{config materialized="incremental" incremental_strategy="merge" unique_key="order_id"}}\nselect 1 as id');
    const k = await p.run('build');
    expect(k.code).toBe(1);
    expect(k.stdout).toMatch(/models\/inc\.sql:1: model inc: unique_key order_id not among the columns its query returns/);
    p.write('models/inc.sql', '{{config materialized="incremental" incremental_strategy="microbatch" event_time="placed_at"}}\nselect 1 as id');
    expect((await p.run('build')).stdout).toMatch(/models\/inc\.sql:1: model inc: event_time placed_at not among the columns its query returns/);
    expect(await p.query(`select count(*)::int as n from information_schema.tables where table_name = 'inc'`)).toEqual([{ n: 0 }]);
  });
});

describe('switching materializations and hooks', () => {
  it('table → view → incremental → ephemeral → table builds cleanly each time with no leftover relations', async () => {
    p = testProject({ 'models/m.sql': '{{config materialized="table"}}\nselect 1 as id', 'models/user.sql': 'select * from {{ref "m"}}' });
    const kinds = async () => p!.query(`select table_name as n, table_type as t from information_schema.tables order by 1`);
    for (const [mat, expected] of [
      ['table', 'BASE TABLE'],
      ['view', 'VIEW'],
      ['incremental', 'BASE TABLE'],
      ['ephemeral', undefined],
      ['table', 'BASE TABLE'],
    ] as const) {
      p.write('models/m.sql', `{{config materialized="${mat}"}}\nselect 1 as id`);
      const r = await p.run('build');
      expect(r.code, mat).toBe(0);
      const all = await kinds();
      expect(all.find((x) => x.n === 'm')?.t, mat).toBe(expected);
      expect(all.filter((x) => String(x.n).includes('eider')), mat).toEqual([]);
      expect(await p.query('select id from main.user'), mat).toEqual([{ id: 1 }]);
    }
  });

  it('pre_hook and post_hook per model; on_run_start and on_run_end per project', async () => {
    p = testProject({
      'project.yml': 'name: t\non_run_start: "create table if not exists main.audit (event varchar)"\non_run_end:\n  - "insert into main.audit values (\'end\')"\n',
      'models/m.sql': `{{config materialized="table" pre_hook="insert into main.audit values ('pre')" post_hook=\"insert into main.audit select 'post ' || count(*) from {{this}}\"}}\nselect 1 as id union all select 2`,
    });
    const r = await p.run('run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK created table main\.m .*2 rows/);
    expect(await p.query('select event from main.audit')).toEqual([{ event: 'pre' }, { event: 'post 2' }, { event: 'end' }]);
  });

  it('a project hook that fails is reported at its line in project.yml; compile checks their SQL too', async () => {
    p = testProject({
      'project.yml': 'name: t\non_run_start:\n  - "create table if not exists main.audit (event varchar)"\n  - "insert into main.audti values (1)"\n',
      'models/m.sql': '{{config materialized="table"}}\nselect 1 as id',
    });
    const r = await p.run('run');
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^project\.yml:4: on_run_start: Catalog Error: Table with name audti does not exist!/);
    expect(r.stdout).not.toMatch(/OK created/); // nothing ran after the failed hook
    p.write('project.yml', 'name: t\non_run_end: "insret into x values (1)"\n');
    const c = await p.run('compile');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/^project\.yml:2: on_run_end: Parser Error: syntax error at or near "insret"/m);
    // A failing on_run_end fails the run (in a swap build, nothing would be published).
    p.write('project.yml', 'name: t\non_run_end: "insert into main.nowhere values (1)"\n');
    const end = await p.run('run');
    expect(end.code).toBe(1);
    expect(end.stderr).toMatch(/^project\.yml:2: on_run_end: Catalog Error: Table with name nowhere does not exist!/m);
  });
});
