import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
let reader: ChildProcess | undefined;
afterEach(() => {
  reader?.kill('SIGKILL');
  p?.remove();
});

const profile = (retries: string) => `t:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      retries: ${retries}\n`;

/** A BI reader holding the dev file open read-only for `ms`, in its own process. */
async function holdReadOnly(path: string, ms: number): Promise<void> {
  const duckdb = pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href;
  const code = `const { DuckDBInstance } = await import(${JSON.stringify(duckdb)}); const db = await DuckDBInstance.create(${JSON.stringify(path)}, { access_mode: 'READ_ONLY' }); await db.connect(); console.log('open'); setTimeout(() => process.exit(0), ${ms});`;
  reader = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res) => reader!.stdout!.once('data', () => res()));
}

describe('retries of transient failures', () => {
  it('a dev file held by a reader is opened on a later attempt, with exponential backoff', async () => {
    p = testProject({ 'profiles/profiles.yml': profile('{attempts: 5, backoff_ms: 300}'), 'models/a.sql': '{{config materialized="table"}}\nselect 1 as id' });
    expect((await p.run('run')).code).toBe(0);
    await holdReadOnly(p.db, 1000);
    const r = await p.run('run');
    expect(r.stderr).toMatch(/warning: opening dev failed \(.*Conflicting lock is held.*\); attempt 2 of 5 in 300 ms/);
    expect(r.stderr).toMatch(/attempt 3 of 5 in 600 ms/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK created table main\.a/);
  });

  it('gives up after the configured attempts with a clear message', async () => {
    p = testProject({ 'profiles/profiles.yml': profile('{attempts: 1}'), 'models/a.sql': 'select 1 as id' });
    expect((await p.run('run')).code).toBe(0);
    await holdReadOnly(p.db, 5000);
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
