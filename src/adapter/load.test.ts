import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { DUCKDB_BUNDLE, loadDuckDbApi } from './load.js';

const installed = (createRequire(import.meta.url)('@duckdb/node-api/package.json') as { version: string }).version;
let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('loading @duckdb/node-api', () => {
  it('the built CLI loads the bundle npm run build wrote, and it opens DuckDB', () => {
    const script = `import('${new URL('../../dist/adapter/duckdb.js', import.meta.url).href}').then(async ({ DuckDbAdapter }) => { const { duckdbApiFrom } = await import('${new URL('../../dist/adapter/load.js', import.meta.url).href}'); const a = await DuckDbAdapter.open({ path: ':memory:', threads: 1 }); const [r] = await a.sessions[0].query('select 41 + 1 as n'); await a.close(); console.log(duckdbApiFrom, String(r.n)); })`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('bundle 42');
  });

  it('uses a bundle only when it was made from the installed version; without one, the package', () => {
    dir = mkdtempSync(join(tmpdir(), 'eider-load-'));
    const other = join(dir, 'other.cjs');
    writeFileSync(other, `module.exports = { api: { fake: true }, version: '0.0.1' };\n`);
    expect(loadDuckDbApi(other, installed).from).toBe('package');
    expect(loadDuckDbApi(join(dir, 'missing.cjs'), installed).from).toBe('package');
    const same = loadDuckDbApi(DUCKDB_BUNDLE, installed);
    expect(same.from).toBe('bundle');
    expect(typeof same.api.DuckDBInstance.create).toBe('function');
    expect(loadDuckDbApi(DUCKDB_BUNDLE, `${installed}-other`).from).toBe('package');
  });

  it('a bundle that fails to load for another reason is an error, not a silent fallback', () => {
    dir = mkdtempSync(join(tmpdir(), 'eider-load-'));
    const broken = join(dir, 'broken.cjs');
    writeFileSync(broken, `throw new Error('broken bundle');\n`);
    expect(() => loadDuckDbApi(broken, installed)).toThrow(/broken bundle/);
  });
});
