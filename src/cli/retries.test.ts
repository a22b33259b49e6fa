import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { holdFile, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
let reader: ChildProcess | undefined;
afterEach(() => {
  reader?.kill('SIGKILL');
  p?.remove();
});

const profile = (retries: string) => `t:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      retries: ${retries}\n`;

/** Another process holding the dev file open for `ms`: a writer (another DuckDB client) or a BI reader (read-only). */
async function hold(path: string, ms: number, mode: 'READ_WRITE' | 'READ_ONLY'): Promise<void> {
  reader = await holdFile(path, ms, mode);
}

describe('retries of transient failures', () => {
  it('a dev file held by another writer is opened on a later attempt, with exponential backoff', async () => {
    p = testProject({ 'profiles/profiles.yml': profile('{attempts: 5, backoff_ms: 300}'), 'models/a.sql': '{{config materialized="table"}}\nselect 1 as id' });
    expect((await p.run('run')).code).toBe(0);
    await hold(p.db, 2500, 'READ_WRITE');
    const r = await p.run('run');
    expect(r.stderr).toMatch(/warning: opening dev failed \(.*Conflicting lock is held.*\); attempt 2 of 5 in 300 ms/);
    expect(r.stderr).toMatch(/attempt 3 of 5 in 600 ms/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK created table main\.a/);
  });

  it('gives up after the configured attempts with a clear message', async () => {
    p = testProject({ 'profiles/profiles.yml': profile('{attempts: 1}'), 'models/a.sql': 'select 1 as id' });
    expect((await p.run('run')).code).toBe(0);
    await hold(p.db, 5000, 'READ_WRITE');
    const r = await p.run('run');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: cannot open warehouse\/dev\.duckdb for writing: IO Error: Could not set lock on file .* Conflicting lock is held in .* \(PID \d+\)\.$/m);
    expect(r.stderr).not.toMatch(/attempt/);
  });

  it('never retries a SQL error', async () => {
    p = testProject({ 'profiles/profiles.yml': profile('{attempts: 4, backoff_ms: 20000}'), 'models/a.sql': 'select * from nowhere' });
    const t0 = performance.now();
    const r = await p.run('run');
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/attempt/);
    expect(performance.now() - t0).toBeLessThan(15_000); // the 20 s backoff was never waited
  });
});

describe('a reader never blocks a dev build', () => {
  it('a dev file held open by a reader is built in a copy and renamed over it: the reader keeps its view, new readers see the new data', async () => {
    p = testProject({ 'models/a.sql': '{{config materialized="table"}}\nselect {{var "v" 1}} as v', 'models/b.sql': 'select v * 10 as w from {{ref "a"}}', 'models/a.yml': 'models:\n  - name: a\n    columns:\n      - name: v\n        tests: [not_null]\n' });
    expect((await p.run('build')).code).toBe(0);
    // A notebook left open on the file, querying it now and after the builds.
    const duckdb = pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href;
    const code = `const { DuckDBInstance } = await import(${JSON.stringify(duckdb)}); const db = await DuckDBInstance.create(${JSON.stringify(p.db)}, { access_mode: 'READ_ONLY' }); const c = await db.connect();
      const q = async () => (await c.runAndReadAll('select (select v from a) as v, (select w from b) as w')).getRowObjectsJS()[0];
      console.log(JSON.stringify(await q())); process.stdin.once('data', async () => { console.log(JSON.stringify(await q())); process.exit(0); });`;
    reader = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines: string[] = [];
    const next = () => new Promise<string>((res) => reader!.stdout!.once('data', (d) => res(String(d).trim())));
    lines.push(await next());
    for (const v of [2, 3]) {
      const r = await p.run('build', '--vars', `{v: ${v}}`);
      // The reader holds the file it opened; once a copy replaced it, the next build finds the path free.
      if (v === 2) expect(r.stderr).toMatch(/warning: warehouse\/dev\.duckdb is open in another process \(.*PID \d+\): building a copy and renaming it over the file when every node and test passed; the reader keeps its view/);
      if (v === 2) expect(r.stdout).toMatch(/Published release \S+ to dev/);
      expect(r.code).toBe(0);
      // A new connection sees the new data at once.
      expect(await p.query('select (select v from a) as v, (select w from b) as w')).toEqual([{ v: v, w: v * 10 }]);
    }
    reader.stdin!.write('again\n');
    lines.push(await next());
    expect(lines.map((l) => JSON.parse(l))).toEqual([{ v: 1, w: 10 }, { v: 1, w: 10 }]);
    expect(readdirSync(join(p.dir, 'warehouse')).filter((f) => f !== 'dev.duckdb')).toEqual([]);
    // Once the reader is gone, builds go straight into the file again.
    reader.kill('SIGKILL');
    await new Promise((r) => reader!.once('exit', r));
    const free = await p.run('build', '--vars', '{v: 4}');
    expect(free.stderr).not.toMatch(/open in another process/);
    expect(free.code).toBe(0);
    expect(await p.query('select v from a')).toEqual([{ v: 4 }]);
  });
});

describe('eider test only reads the target', () => {
  it('runs while a reader holds the dev file, and on prod never opens the published file for writing', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      retries: {attempts: 1}\n    prod:\n      path: warehouse/prod.duckdb\n      retries: {attempts: 1}\n',
      'models/a.sql': '{{config materialized="table"}}\nselect 1 as id',
      'models/a.yml': 'models:\n  - name: a\n    columns:\n      - name: id\n        tests: [not_null, unique]\n',
    });
    for (const target of ['dev', 'prod']) {
      expect((await p.run('build', '--target', target)).code).toBe(0);
      await hold(join(p.dir, `warehouse/${target}.duckdb`), 20_000, 'READ_ONLY');
      const r = await p.run('test', '--target', target);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/2 PASS/);
      expect(r.code).toBe(0);
      reader!.kill('SIGKILL');
      await new Promise((res) => reader!.once('exit', res));
    }
  });
});
