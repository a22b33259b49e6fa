import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DuckDbAdapter } from '../adapter/duckdb.js';

export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/eider.js');

/** A copy of the repository's own example project (VyaparBazaar) in a new temporary folder, so a test never touches the repo's warehouse. */
export function copyExampleProject(): string {
  const repo = resolve(dirname(BIN), '..');
  const dir = mkdtempSync(join(tmpdir(), 'eider-example-'));
  for (const part of ['project.yml', 'package.json', 'profiles', 'models', 'seeds', 'snapshots', 'tests', 'macros', 'data']) cpSync(join(repo, part), join(dir, part), { recursive: true });
  return dir;
}

/**
 * Another process holding a DuckDB file open for `ms` (a BI reader: READ_ONLY; another client: READ_WRITE), with its
 * own DuckDB instance. Resolves once the file is open; kill the process to let go earlier.
 */
export async function holdFile(path: string, ms: number, mode: 'READ_WRITE' | 'READ_ONLY'): Promise<ChildProcess> {
  const duckdb = pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href;
  const code = `const { DuckDBInstance } = await import(${JSON.stringify(duckdb)}); const db = await DuckDBInstance.create(${JSON.stringify(path)}, { access_mode: '${mode}' }); await db.connect(); console.log('open'); setTimeout(() => process.exit(0), ${ms});`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res) => child.stdout!.once('data', () => res()));
  return child;
}

export const DEFAULT_PROJECT = 'name: t\n';
export const DEFAULT_PROFILES = 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      threads: 2\n';

/** A throwaway project on disk: `project.yml` and a dev profile unless the files given replace them. */
export interface TestProject {
  readonly dir: string;
  readonly db: string;
  write(path: string, text: string): void;
  run(...args: string[]): Promise<CliResult>;
  runWith(env: Record<string, string>, ...args: string[]): Promise<CliResult>;
  query(sql: string): Promise<Record<string, unknown>[]>;
  remove(): void;
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function testProject(files: Record<string, string>): TestProject {
  const dir = mkdtempSync(join(tmpdir(), 'eider-test-'));
  const all = { 'project.yml': DEFAULT_PROJECT, 'profiles/profiles.yml': DEFAULT_PROFILES, ...files };
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  };
  for (const [path, text] of Object.entries(all)) write(path, text);
  const db = join(dir, 'warehouse/dev.duckdb');
  return {
    dir,
    db,
    write,
    run: (...args) => runCli(dir, args),
    runWith: (env, ...args) => runCli(dir, args, env),
    query: (sql) => queryFile(db, sql),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs the real `eider` binary in `cwd` (as a user would, or as the user `as` gives), with colors off. */
export function runCli(cwd: string, args: readonly string[], env: Record<string, string> = {}, as: { uid?: number; gid?: number } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...as });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}

/** Reads a DuckDB file read-only, the way a BI tool would. */
export async function queryFile(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const adapter = await DuckDbAdapter.open({ path, threads: 1, readOnly: true });
  try {
    return await adapter.sessions[0].query(sql);
  } finally {
    await adapter.close();
  }
}
