import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDbAdapter } from './duckdb.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('DuckDbAdapter', () => {
  it('allows one instance per file per process: two would silently lose writes', async () => {
    dir = mkdtempSync(join(tmpdir(), 'eider-adapter-'));
    const file = join(dir, 'x.duckdb');
    const a = await DuckDbAdapter.open({ path: file, threads: 2 });
    await expect(DuckDbAdapter.open({ path: file, threads: 1, readOnly: true })).rejects.toThrow(/already open in this process/);
    await a.sessions[0].exec('create table t as select 1 as x');
    expect(await a.sessions[1].query('select x from t')).toEqual([{ x: 1 }]);
    await a.close();
    const b = await DuckDbAdapter.open({ path: file, threads: 1, readOnly: true });
    expect(await b.sessions[0].query('select x from t')).toEqual([{ x: 1 }]);
    await b.close();
  });

  it('parses many statements in one call and finds the bad ones', async () => {
    const a = await DuckDbAdapter.open({ path: ':memory:', threads: 1 });
    const errors = await a.parseErrors(['select 1', 'select from where', 'select 2', "select 'unterminated"]);
    await a.close();
    expect(errors.map((e) => (e ? 'error' : 'ok'))).toEqual(['ok', 'error', 'ok', 'error']);
    expect(errors[1]).toMatch(/Parser Error/);
  });
});
