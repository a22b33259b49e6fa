import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queryFile, runCli } from '../test-support/project.js';

/** The example project, copied: every target of its profile, and target files named like its schemas. */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'eider-targets-'));
  for (const part of ['project.yml', 'package.json', 'profiles', 'models', 'seeds', 'snapshots', 'tests', 'macros', 'data']) cpSync(join(repo, part), join(dir, part), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const count = async (file: string) => (await queryFile(join(dir, file), `select count(*)::int as n from staging.stg_orders`))[0].n;

describe('any target file name works with any schema name', () => {
  it('builds every target of the example profile, and clones prod to staging', async () => {
    for (const target of ['dev', 'ci', 'staging', 'prod']) {
      const r = await runCli(dir, ['build', '--target', target]);
      expect(r.stdout).toMatch(/Finished in [\d.]+s: \d+ OK, \d+ PASS$/m);
      expect(r.code, `${target}: ${r.stderr}`).toBe(0);
    }
    const clone = await runCli(dir, ['clone', '--from', 'prod', '--to', 'staging']);
    expect(clone.stderr).toBe('');
    expect(clone.code).toBe(0);
    expect(await count('warehouse/staging.duckdb')).toBe(await count('warehouse/prod.duckdb'));
    // staging then builds on the cloned data.
    expect((await runCli(dir, ['build', '--target', 'staging'])).code).toBe(0);
  });

  it('builds into a file named after each of the example schemas', async () => {
    for (const schema of ['raw', 'staging', 'marts', 'ml', 'snapshots', 'main', 'eider', 'memory']) {
      const r = await runCli(dir, ['build', '-s', '+stg_orders'], { EIDER_DEV_PATH: `warehouse/${schema}.duckdb` });
      expect(r.code, `${schema}.duckdb: ${r.stdout}${r.stderr}`).toBe(0);
      expect(await count(`warehouse/${schema}.duckdb`)).toBeGreaterThan(0);
    }
  });
});
