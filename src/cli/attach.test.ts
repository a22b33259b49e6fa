import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { queryFile, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

/** Runs statements on a DuckDB file (or in memory) the way another tool would, then closes it. */
async function withDb(path: string, ...sql: string[]): Promise<void> {
  const a = await DuckDbAdapter.open({ path, threads: 1 });
  try {
    for (const s of sql) await a.sessions[0].exec(s);
  } finally {
    await a.close();
  }
}

/** A legacy DuckDB file, written by something other than eider: `raw.orders`. */
async function legacy(t: TestProject): Promise<string> {
  const file = join(t.dir, 'legacy/legacy.duckdb');
  await withDb(file, 'create schema raw', `create table raw.orders as select * from (values (1, 10.0, now() - interval 2 hour), (2, 5.5, now() - interval 1 hour)) v(id, amount, loaded_at)`);
  return file;
}

const profile = (target: string, extra: string[], publish = '') =>
  ['t:', `  target: ${target}`, '  targets:', `    ${target}:`, `      path: warehouse/${target}.duckdb`, ...(publish ? [`      publish: ${publish}`] : []), ...extra.map((l) => `      ${l}`), ''].join('\n');

const ATTACH = ['attach:', '  - {path: legacy/legacy.duckdb, alias: legacy_db}'];

const SOURCES = ['sources:', '  - name: legacy', '    database: legacy_db', '    schema: raw', '    tables:', '      - name: orders', ''].join('\n');

describe('databases attached by the profile', () => {
  it('a source with database: reads the attached file: {{source}} renders "legacy_db"."raw"."orders"', async () => {
    p = testProject({
      'profiles/profiles.yml': profile('dev', ATTACH),
      'models/sources.yml': `${SOURCES}        columns:\n          - name: id\n            tests: [not_null, unique]\n`,
      'models/orders.sql': '{{config materialized="table"}}\nselect id, amount from {{source "legacy" "orders"}}',
    });
    await legacy(p);
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/PASS test not_null_source_legacy_orders_id .*\[PASS/);
    expect(r.code).toBe(0);
    expect(await p.query('select sum(amount)::double as s from main.orders')).toEqual([{ s: 15.5 }]);
    const compiled = readFileSync(join(p.dir, 'target/compiled/models/orders.sql'), 'utf8');
    expect(compiled).toContain('from "legacy_db"."raw"."orders"');
  });

  it('a prod (swap) build attaches them read-only: a hook that writes the legacy file fails and nothing is published', async () => {
    p = testProject({
      'profiles/profiles.yml': profile('prod', ATTACH),
      'models/sources.yml': SOURCES,
      'models/orders.sql': '{{config materialized="table"}}\nselect id, amount from {{source "legacy" "orders"}}',
      'models/sneaky.sql': '{{config materialized="table" pre_hook="insert into legacy_db.raw.orders values (3, 1.0, now())"}}\nselect 1 as x',
    });
    const file = await legacy(p);
    const before = readFileSync(file);
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/read-only/i);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(readdirSync(join(p.dir, 'warehouse')).filter((f) => f === 'prod.duckdb')).toEqual([]);
    // Without the hook the prod release builds from the attached file.
    p.write('models/sneaky.sql', 'select 1 as x');
    const ok = await p.run('build');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(await queryFile(join(p.dir, 'warehouse/prod.duckdb'), 'select count(*)::int as n from main.orders')).toEqual([{ n: 2 }]);
  });

  it('an attached file a loader holds open for writing: the build fails naming it, and nothing is published', async () => {
    p = testProject({
      'profiles/profiles.yml': profile('prod', [...ATTACH, 'retries: {attempts: 2, backoff_ms: 10}']),
      'models/m.sql': '{{config materialized="table"}}\nselect 1 as x',
    });
    const loader = await DuckDbAdapter.open({ path: await legacy(p), threads: 1 });
    try {
      const r = await p.run('build');
      expect(r.stderr).toMatch(/^error: attaching "legacy_db": IO Error: Could not set lock on file ".*legacy\.duckdb"/);
      expect(r.code).toBe(1);
      expect(readdirSync(join(p.dir, 'warehouse'))).toEqual([]);
    } finally {
      await loader.close();
    }
  });

  it('debug lists the extensions and attached databases, and opens them', async () => {
    p = testProject({ 'profiles/profiles.yml': profile('dev', [...ATTACH, 'extensions: [json]']) });
    await legacy(p);
    const r = await p.run('debug');
    expect(r.stdout).toContain('extensions:     json\nattached:       legacy_db = legacy/legacy.duckdb (read-only)\n');
    expect(r.code).toBe(0);
  });

  it('read_only: false is refused for a swap target, at its line', async () => {
    p = testProject({ 'profiles/profiles.yml': profile('prod', ['attach:', '  - path: legacy/legacy.duckdb', '    alias: legacy_db', '    read_only: false']) });
    const r = await p.run('build');
    expect(r.stderr.trim()).toBe('profiles/profiles.yml:9: attach "legacy_db": a swap (prod) build only reads other databases: read_only: false is refused');
    expect(r.code).toBe(2);
  });

  it('an alias that is a schema of the project, or eider_target, is an error at its line', async () => {
    p = testProject({
      'profiles/profiles.yml': profile('dev', ['attach:', '  - {path: legacy/legacy.duckdb, alias: staging}']),
      'models/stg.sql': '{{config schema="staging"}}\nselect 1 as x',
    });
    const r = await p.run('build');
    expect(r.stderr.trim()).toBe('profiles/profiles.yml:7: target "dev": attach alias "staging" is also a schema of this project, so "staging".<name> would be ambiguous: choose another alias');
    expect(r.code).toBe(2);
    p.write('profiles/profiles.yml', profile('dev', ['attach:', '  - {path: legacy/legacy.duckdb, alias: eider_target}']));
    const taken = await p.run('build');
    expect(taken.stderr).toMatch(/^profiles\/profiles\.yml:7: alias "eider_target" is taken/);
    expect(taken.code).toBe(2);
    // eider's own history schema counts too: `eider.node_runs` must stay the target's.
    p.write('profiles/profiles.yml', profile('dev', ['attach:', '  - {path: legacy/legacy.duckdb, alias: eider}']));
    const history = await p.run('build');
    expect(history.stderr).toMatch(/^profiles\/profiles\.yml:7: target "dev": attach alias "eider" is also a schema of this project/);
    expect(history.code).toBe(2);
  });

  it('a source naming a database the target does not attach is an error at its line', async () => {
    p = testProject({
      'profiles/profiles.yml': profile('dev', ATTACH),
      'models/sources.yml': SOURCES.replace('database: legacy_db', 'database: legacy_bd'),
    });
    const r = await p.run('compile');
    expect(r.stderr.trim()).toBe('models/sources.yml:3: source "legacy": database "legacy_bd" is not attached by target "dev" (did you mean "legacy_db"?); attached: legacy_db');
    expect(r.code).toBe(2);
  });

  it('a view over an attached database (directly or through an ephemeral model) is an error: readers do not attach it', async () => {
    p = testProject({
      'profiles/profiles.yml': profile('dev', ATTACH),
      'models/sources.yml': SOURCES,
      'models/eph.sql': '{{config materialized="ephemeral"}}\nselect id from {{source "legacy" "orders"}}',
      'models/v.sql': '{{config materialized="view"}}\nselect * from {{ref "eph"}}',
    });
    await legacy(p);
    const r = await p.run('build');
    expect(r.stderr.trim()).toBe('models/v.sql:1: model "v" is a view over the attached database "legacy_db": readers of the target do not attach it, so the view would fail for them; materialize it as a table (or incremental)');
    expect(r.code).toBe(2);
  });

  it('freshness of a source in an attached database is measured there', async () => {
    p = testProject({
      'profiles/profiles.yml': profile('dev', ATTACH),
      'models/sources.yml': SOURCES.replace('    schema: raw', '    schema: raw\n    loaded_at_field: loaded_at\n    freshness: {warn_after: {count: 30, period: minute}, error_after: {count: 3, period: hour}}'),
    });
    await legacy(p);
    const r = await p.run('freshness');
    expect(r.stdout).toMatch(/legacy\.orders .* column +WARN/);
    expect(r.code).toBe(0);
  });
});

describe('extensions', () => {
  it('extensions: [json, icu] are loaded and the build runs', async () => {
    p = testProject({
      'profiles/profiles.yml': profile('dev', ['extensions: [json, icu]']),
      'models/m.sql': `{{config materialized="table"}}\nselect json_extract_string('{"a": "x"}', '$.a') as a, timezone('UTC', timestamptz '2024-01-01 00:00:00+00')::varchar as t`,
    });
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await p.query('select a from main.m')).toEqual([{ a: 'x' }]);
  });

  it('an extension that is not installed is an error at its line, naming it, exit 2', async () => {
    p = testProject({ 'profiles/profiles.yml': profile('dev', ['extensions:', '  - json', '  - spatial']), 'models/m.sql': 'select 1 as x' });
    const r = await p.run('build');
    expect(r.stderr.trim()).toMatch(/^profiles\/profiles\.yml:8: target "dev": extension "spatial" is not installed \(eider loads extensions but never downloads one: install it once on this machine, e\.g\. duckdb -c "INSTALL spatial"/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(2);
    // The same for a prod (swap) build, which leaves nothing behind.
    p.write('profiles/profiles.yml', profile('prod', ['extensions:', '  - json', '  - spatial']));
    const prod = await p.run('build');
    expect(prod.stderr.trim()).toMatch(/^profiles\/profiles\.yml:8: target "prod": extension "spatial" is not installed \(/);
    expect(prod.code).toBe(2);
    expect(readdirSync(join(p.dir, 'warehouse'))).toEqual([]);
  });

  it('unit tests load the profile extensions too (a model may need their functions)', async () => {
    p = testProject({
      'profiles/profiles.yml': profile('dev', ['extensions: [spatial]']),
      'models/m.sql': 'select 1 as x',
      'tests/unit.yml': 'unit_tests:\n  - name: one\n    model: m\n    expect:\n      rows: [{x: 1}]\n',
    });
    const r = await p.run('test', '-s', 'test_type:unit');
    expect(r.stderr.trim()).toMatch(/^profiles\/profiles\.yml:6: target "dev": extension "spatial" is not installed \(/);
    expect(r.code).toBe(2);
    p.write('profiles/profiles.yml', profile('dev', ['extensions: [json]']));
    p.write('models/m.sql', `select json_extract_string('{"a": 1}', '$.a')::int as x`);
    const ok = await p.run('test', '-s', 'test_type:unit');
    expect(ok.stdout).toMatch(/PASS/);
    expect(ok.code).toBe(0);
  });
});

describe('targets that are not a local file', () => {
  it('a MotherDuck target (md:) needs the motherduck extension: a clear error at its path line, exit 2', async () => {
    p = testProject({ 'profiles/profiles.yml': 't:\n  target: prod\n  targets:\n    prod:\n      path: md:analytics\n', 'models/m.sql': 'select 1 as x' });
    const r = await p.run('build');
    expect(r.stderr.trim()).toMatch(/^profiles\/profiles\.yml:5: target "prod": extension "motherduck" is not installed, needed to open the target's path \(/);
    expect(r.code).toBe(2);
    // Nothing was made for it: no lock, no warehouse folder (target/ holds eider's own parse cache).
    expect(readdirSync(p.dir).filter((f) => f !== 'target').sort()).toEqual(['models', 'profiles', 'project.yml']);
  });

  it('a DuckLake target needs data_path, and the ducklake extension', async () => {
    p = testProject({ 'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: ducklake:lake/metadata.ducklake\n', 'models/m.sql': 'select 1 as x' });
    const r = await p.run('build');
    expect(r.stderr.trim()).toBe('profiles/profiles.yml:5: a DuckLake target needs data_path: the folder (or URL) its Parquet files are written to');
    expect(r.code).toBe(2);
    p.write('profiles/profiles.yml', 't:\n  target: dev\n  targets:\n    dev:\n      path: ducklake:lake/metadata.ducklake\n      data_path: lake/files/\n');
    const missing = await p.run('build');
    expect(missing.stderr.trim()).toMatch(/^profiles\/profiles\.yml:5: target "dev": extension "ducklake" is not installed, needed to open the target's path \(/);
    expect(missing.code).toBe(2);
  });

  it('publish: swap is refused for MotherDuck and DuckLake targets', async () => {
    p = testProject({ 'profiles/profiles.yml': 't:\n  target: prod\n  targets:\n    prod:\n      path: md:analytics\n      publish: swap\n' });
    const r = await p.run('build');
    expect(r.stderr.trim()).toBe('profiles/profiles.yml:6: publish: swap renames a local DuckDB file, and a MotherDuck database is not one: use publish: in_place (each model is replaced in one transaction)');
    expect(r.code).toBe(2);
  });
});

describe('clone', () => {
  it('refuses a MotherDuck target: there is no local file to copy to', async () => {
    p = testProject({ 'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: dev.duckdb\n    prod:\n      path: md:analytics\n', 'models/m.sql': 'select 1 as x' });
    expect((await p.run('build')).code).toBe(0);
    const r = await p.run('clone', '--from', 'dev', '--to', 'prod');
    expect(r.stderr).toContain('target "prod" is a MotherDuck database, not a local file: clone copies local DuckDB files');
    expect(r.code).toBe(2);
    expect(readdirSync(p.dir).filter((f) => f.includes('md:'))).toEqual([]);
  });
});

describe('file sources', () => {
  it('reads a Hive-partitioned Parquet folder through a glob, with the partition keys as columns', async () => {
    p = testProject({
      'models/sources.yml': ['sources:', '  - name: lake', '    tables:', '      - name: events', '        path: data/events/*/*.parquet', '        hive_partitioning: true', ''].join('\n'),
      'models/by_year.sql': '{{config materialized="table"}}\nselect year::int as year, count(*)::int as n from {{source "lake" "events"}} group by all order by year',
    });
    const out = join(p.dir, 'data/events');
    mkdirSync(join(p.dir, 'data'));
    await withDb(':memory:', `copy (select i as id, 2023 + i % 2 as year from range(5) t(i)) to '${out}' (format parquet, partition_by (year))`);
    expect(statSync(join(out, 'year=2023')).isDirectory()).toBe(true);
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await p.query('select year, n from main.by_year order by year')).toEqual([{ year: 2023, n: 3 }, { year: 2024, n: 2 }]);
    const compiled = readFileSync(join(p.dir, 'target/compiled/models/by_year.sql'), 'utf8');
    expect(compiled).toContain('*.parquet\', hive_partitioning = true)');
  });
});
