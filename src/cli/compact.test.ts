import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock } from '../publish/lock.js';
import { queryFile, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const profiles = (compact = '') =>
  `t:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      threads: 2\n${compact}    prod:\n      path: warehouse/prod.duckdb\n      threads: 2\n      keep_releases: 1\n${compact}    fresh:\n      path: warehouse/fresh.duckdb\n      threads: 2\n`;

/**
 * Every build rewrites every table with the same data: DuckDB frees the old tables' blocks and keeps them, so
 * without compaction the file passes 2× a fresh build's size within a few builds. A sequence and a macro made
 * by a hook, a view and an incremental model (merged every build) are there for compaction to carry over.
 */
function bloating(compact = ''): TestProject {
  return testProject({
    'profiles/profiles.yml': profiles(compact),
    'project.yml': 'name: t\non_run_start:\n  - create sequence if not exists main.ids start 100\n  - create or replace macro main.plus1(x) as x + 1\n',
    'seeds/people.csv': 'id,name\n1,ann\n2,bob\n',
    // Data whose compression DuckDB chooses the same way every time, so a fresh build has one size.
    'models/a.sql': '{{config materialized="table"}}\nselect range as id, range * 7 % 1000003 as x, \'customer \' || (range % 9973)::varchar as s from range(100000)',
    'models/b.sql': '{{config materialized="table" schema="marts"}}\nselect id, s || s as s2 from {{ref "a"}}',
    'models/c.sql': '{{config materialized="incremental" unique_key="id" incremental_strategy="merge"}}\nselect id, s from {{ref "a"}}',
    'models/v.sql': 'select count(*) as n, plus1(count(*)) as n1 from {{ref "b"}}',
    'models/seq.sql': '{{config materialized="table"}}\nselect nextval(\'main.ids\') as n',
    'models/c.yml': 'models:\n  - name: c\n    columns:\n      - name: id\n        tests: [unique]\n',
  });
}

const size = (name: string) => statSync(join(p!.dir, 'warehouse', name)).size;

/** Every relation of the file, each table's rows and each view's result, in a stable order: equal files give equal dumps. */
async function dump(file: string): Promise<Record<string, unknown>> {
  const relations = await queryFile(file, `select table_schema as s, table_name as n from information_schema.tables where table_catalog = current_database() order by all`);
  const out: Record<string, unknown> = {};
  // A relation's age (eider.relation_freshness) is counted up to now: it changes, not the file.
  const columns = (r: Record<string, unknown>) => (r.s === 'eider' && r.n === 'relation_freshness' ? '* exclude (age_s)' : '*');
  for (const r of relations) out[`${r.s}.${r.n}`] = await queryFile(file, `select ${columns(r)} from "${String(r.s)}"."${String(r.n)}" order by all`);
  out.sequences = await queryFile(file, `select schema_name, sequence_name, start_value, last_value from duckdb_sequences() where database_name = current_database()`);
  out.macros = await queryFile(file, `select schema_name, function_name, macro_definition from duckdb_functions() where database_name = current_database() and function_type = 'macro'`);
  return out;
}

describe('files stay compact', () => {
  for (const target of ['dev', 'prod'] as const) {
    it(`${target}: 20 builds in a row never leave the file at 2× a fresh build of the same data`, async () => {
      p = bloating();
      expect((await p.run('build', '--target', 'fresh')).code).toBe(0);
      const fresh = size('fresh.duckdb');
      const sizes: number[] = [];
      let compactions = 0;
      for (let i = 0; i < 20; i++) {
        const r = await p.run('build', '--target', target);
        expect(r.code, r.stderr).toBe(0);
        if (/Compacted \w+: \S+ \S+ → /.test(r.stdout)) compactions++;
        sizes.push(size(`${target}.duckdb`));
      }
      expect(Math.max(...sizes) / fresh, `sizes ${sizes.join(', ')} against ${fresh}`).toBeLessThan(2);
      expect(compactions).toBeGreaterThan(0);
      // Compaction left nothing beside the file, and the data is the fresh build's.
      expect(readdirSync(join(p.dir, 'warehouse')).filter((f) => f.includes('.build-'))).toEqual([]);
      const file = join(p.dir, 'warehouse', `${target}.duckdb`);
      expect(await queryFile(file, 'select n, n1 from v')).toEqual([{ n: 100000n, n1: 100001n }]);
      expect(await queryFile(file, 'select count(*)::int as n from eider.releases')).toEqual([{ n: 20 }]);
    }, 300_000);
  }

  it('eider compact rewrites the file smaller with the same tables, views, history, sequence and macro', async () => {
    p = bloating('      compact: {threshold: 100}\n');
    // Build until the file holds well over its data (DuckDB trims free blocks at its end, so the size swings).
    expect((await p.run('build')).code).toBe(0);
    const first = size('dev.duckdb');
    for (let i = 0; i < 10 && size('dev.duckdb') < 1.5 * first; i++) expect((await p.run('build')).stdout).not.toMatch(/Compacted/);
    expect(size('dev.duckdb')).toBeGreaterThan(1.5 * first);
    const before = await dump(p.db);
    const bytes = size('dev.duckdb');
    // What a compaction killed half-way leaves: removed by the next one, which holds the lock.
    p.write('warehouse/.dev.duckdb.build-compact-1-1.duckdb', 'half a file');
    p.write('warehouse/.dev.duckdb.build-compact-1-1.duckdb.wal', 'its wal');
    const r = await p.run('compact');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Compacted dev: \S+ MiB → \S+ MiB \(eider compact\)\.$/m);
    expect(size('dev.duckdb')).toBeLessThan(Math.min(bytes * 0.75, first * 1.2));
    expect(await dump(p.db)).toEqual(before);
    expect(readdirSync(join(p.dir, 'warehouse')).filter((f) => f.startsWith('.dev.duckdb.build-'))).toEqual([]);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(['eider.releases', 'eider.node_runs', 'eider.test_results', 'main.a', 'main.c', 'main.people', 'main.v', 'marts.b']));
    expect(before.sequences).toEqual([expect.objectContaining({ schema_name: 'main', sequence_name: 'ids' })]);
    const builds = Number((before['eider.releases'] as unknown[]).length);
    expect(before['main.seq']).toEqual([{ n: BigInt(99 + builds) }]);
    expect(before.macros).toEqual([{ schema_name: 'main', function_name: 'plus1', macro_definition: expect.stringContaining('x + 1') }]);
    // The next build works on the compacted file, and the sequence goes on where it was.
    expect((await p.run('build')).code).toBe(0);
    expect(await p.query(`select (select count(*)::int from eider.releases) as builds, (select n1::int from v) as n1, (select n::int from seq) as seq`)).toEqual([{ builds: builds + 1, n1: 100001, seq: 100 + builds }]);
  });

  it('eider compact on a prod target keeps its release and its kept releases; rollback still works', async () => {
    p = bloating('      compact: {threshold: 100}\n');
    for (let i = 0; i < 3; i++) expect((await p.run('build', '-t', 'prod')).code).toBe(0);
    const prod = join(p.dir, 'warehouse/prod.duckdb');
    const before = await dump(prod);
    const kept = readdirSync(join(p.dir, 'warehouse/.eider-releases/prod.duckdb'));
    const r = await p.run('compact', '--target', 'prod');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Compacted prod: /);
    expect(await dump(prod)).toEqual(before);
    expect(readdirSync(join(p.dir, 'warehouse/.eider-releases/prod.duckdb'))).toEqual(kept);
    expect((await p.run('rollback', '-t', 'prod')).code).toBe(0);
    expect(await queryFile(prod, `select count(*)::int as n from eider.releases`)).toEqual([{ n: 2 }]);
  });

  it('compact.every compacts every Nth build even below the threshold', async () => {
    p = bloating('      compact: {threshold: 100, every: 3}\n');
    const out: boolean[] = [];
    for (let i = 0; i < 6; i++) out.push(/Compacted dev: .*\(build \d+, compact\.every 3\)/.test((await p.run('build')).stdout));
    expect(out).toEqual([false, false, true, false, false, true]);
  });

  it('eider debug reports the file size, the size its data uses and the ratio', async () => {
    p = bloating();
    expect((await p.run('build')).code).toBe(0);
    const r = await p.run('debug');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^file size: +\S+ MiB, its data uses \S+ MiB \(\d\.\d\d×; a build compacts it past 1\.5×\)$/m);
  });

  it('errors: an unknown target, a file not built yet, a target another process holds, bad compact settings', async () => {
    p = bloating();
    const unknown = await p.run('compact', '--target', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^profiles\/profiles\.yml:1: target "nope" not found in profile "t"/m);
    const missing = await p.run('compact');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^profiles\/profiles\.yml:5: target "dev": its file does not exist yet, there is nothing to compact \(build it first\)$/m);
    expect((await p.run('build')).code).toBe(0);
    const held = acquireLock(p.db, 'test');
    try {
      const locked = await p.run('compact');
      expect(locked.code).toBe(1);
      expect(locked.stderr).toMatch(new RegExp(`^error: target is being built by another eider process \\(PID ${process.pid}, test, since `, 'm'));
    } finally {
      held.release();
    }
    for (const [setting, message] of [
      ['{threshold: 0.9}', 'compact.threshold must be a number above 1 (the file\'s size over the size its data uses), not 0.9'],
      ['{threshold: big}', 'compact.threshold must be a number'],
      ['{every: 2.5}', 'compact.every must be a whole number of builds (0: never), not 2.5'],
      ['{treshold: 2}', 'unknown key "treshold" in compact (did you mean "threshold"?)'],
    ]) {
      p.write('profiles/profiles.yml', profiles(`      compact: ${setting}\n`));
      const r = await p.run('build');
      expect(r.code, setting).toBe(2);
      expect(r.stderr).toContain(`profiles/profiles.yml:7: ${message}`);
    }
  });
});
