import { closeSync, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Adapter, WarehouseState } from '../adapter/adapter.js';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { replaceWithStaged } from '../execute/files.js';
import type { FileOp } from '../plan/materializations/index.js';
import { quoteIdent, quoteLiteral, quoteRelation, type Manifest, type TargetDef } from '../types.js';
import { HISTORY_SCHEMA, HISTORY_TABLES } from './history.js';

const CURRENT = 'eider_current';

export function releasesDir(target: string): string {
  return join(dirname(target), '.eider-releases', basename(target));
}

/** Files a crashed build may leave beside the target: removed by the next build, which holds the lock. */
function leftovers(target: string): string[] {
  const dir = dirname(target);
  const prefix = `.${basename(target)}.build-`;
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(prefix)).map((f) => join(dir, f)) : [];
}

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A prod release built beside the target and renamed over it only when the build and every test passed.
 * BI readers keep the file they opened (a consistent old view); new readers open the new file; nobody
 * ever sees a half-built or untested one. The current release is read only through a read-only ATTACH.
 */
export class SwapRelease {
  private open = true;

  private constructor(
    readonly target: TargetDef,
    readonly buildPath: string,
    readonly adapter: DuckDbAdapter,
    private readonly currentRelease: string | undefined,
    private readonly warn: (message: string) => void,
  ) {}

  static async start(target: TargetDef, manifest: Manifest, warn: (message: string) => void): Promise<SwapRelease> {
    for (const f of leftovers(target.path)) {
      rmSync(f, { force: true });
      warn(`removed ${basename(f)}, left by an earlier build that did not finish`);
    }
    mkdirSync(dirname(target.path), { recursive: true });
    const buildPath = join(dirname(target.path), `.${basename(target.path)}.build-${process.pid}-${Date.now()}.duckdb`);
    const adapter = await DuckDbAdapter.open({ path: buildPath, threads: target.threads, settings: target.settings });
    let current: string | undefined;
    try {
      if (existsSync(target.path)) current = await carryOver(adapter, target, manifest);
    } catch (e) {
      await adapter.close();
      rmSync(buildPath, { force: true });
      throw e;
    }
    return new SwapRelease(target, buildPath, adapter, current, warn);
  }

  /** The current release's relations, for incremental models (read through the read-only ATTACH). */
  async previous(): Promise<WarehouseState['previous']> {
    if (!existsSync(this.target.path)) return undefined;
    const rows = await this.adapter.sessions[0].query(`select table_schema as s, table_name as n, table_type as t from information_schema.tables where table_catalog = '${CURRENT}'`);
    return { catalog: CURRENT, relations: new Map(rows.map((r) => [`${r.s}.${r.n}`.toLowerCase(), r.t === 'VIEW' ? 'view' : 'table'] as const)) };
  }

  /**
   * Moves the external models' staged files into place and points the release's views at them (a view is bound
   * to files that exist); checkpoint, close, check, fsync; keep the current release; rename the new file over
   * the target.
   */
  async publish(files: readonly FileOp[] = []): Promise<void> {
    const s = this.adapter.sessions[0];
    for (const f of files) {
      replaceWithStaged(f.path, f.staged);
      if (f.view) await s.exec(f.view);
    }
    await s.exec(`detach database if exists ${CURRENT}`);
    await s.exec('checkpoint');
    await this.adapter.close();
    this.open = false;
    if (existsSync(`${this.buildPath}.wal`)) throw new Error(`a WAL was left beside ${basename(this.buildPath)} after CHECKPOINT: not publishing`);
    fsyncPath(this.buildPath);
    const target = this.target.path;
    if (existsSync(target)) {
      const dir = releasesDir(target);
      mkdirSync(dir, { recursive: true });
      const keep = join(dir, `${this.currentRelease ?? `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-unrecorded`}.duckdb`);
      if (!existsSync(keep)) linkSync(target, keep);
      fsyncPath(dir);
    }
    if (existsSync(`${target}.wal`)) {
      const aside = `${target}.wal.stale-${Date.now()}`;
      renameSync(`${target}.wal`, aside);
      this.warn(`moved a stale ${basename(target)}.wal aside to ${basename(aside)}: it would have been replayed into the new release`);
    }
    renameSync(this.buildPath, target);
    fsyncPath(dirname(target));
    pruneReleases(target, this.target.keepReleases);
  }

  /** Nothing is published: the build file and any staged external files go away. */
  async discard(files: readonly FileOp[] = []): Promise<void> {
    if (this.open) await this.adapter.close();
    this.open = false;
    for (const f of files) rmSync(f.staged, { recursive: true, force: true });
    rmSync(this.buildPath, { force: true });
    rmSync(`${this.buildPath}.wal`, { force: true });
  }
}

/**
 * Attaches the current release read-only and carries into the new file what a rebuild cannot make:
 * the run history, and tables the project reads as sources (loaded by something else) that live in it.
 */
async function carryOver(adapter: Adapter, target: TargetDef, manifest: Manifest): Promise<string | undefined> {
  const s = adapter.sessions[0];
  await s.exec(`attach ${quoteLiteral(target.path)} as ${CURRENT} (read_only)`);
  const tables = await s.query(`select table_schema as s, table_name as n from information_schema.tables where table_catalog = '${CURRENT}' and table_type = 'BASE TABLE'`);
  const has = (schema: string, name: string) => tables.some((t) => String(t.s).toLowerCase() === schema.toLowerCase() && String(t.n).toLowerCase() === name.toLowerCase());
  const built = new Set(Object.values(manifest.nodes).flatMap((n) => (n.kind === 'model' || n.kind === 'seed' ? [`${n.relation.schema}.${n.relation.name}`.toLowerCase()] : [])));
  for (const n of Object.values(manifest.nodes)) {
    if (n.kind !== 'source' || !n.relation || built.has(`${n.relation.schema}.${n.relation.name}`.toLowerCase()) || !has(n.relation.schema, n.relation.name)) continue;
    await s.exec(`create schema if not exists ${quoteIdent(n.relation.schema)}`);
    await s.exec(`create table ${quoteRelation(n.relation)} as select * from ${CURRENT}.${quoteRelation(n.relation)}`);
  }
  let current: string | undefined;
  if (HISTORY_TABLES.some((t) => has(HISTORY_SCHEMA, t))) {
    await s.exec(`create schema if not exists ${HISTORY_SCHEMA}`);
    for (const t of HISTORY_TABLES) if (has(HISTORY_SCHEMA, t)) await s.exec(`create table ${HISTORY_SCHEMA}.${t} as select * from ${CURRENT}.${HISTORY_SCHEMA}.${t}`);
    if (has(HISTORY_SCHEMA, 'releases')) {
      const rows = await s.query(`select release_id from ${HISTORY_SCHEMA}.releases where status = 'published' order by published_at desc limit 1`);
      current = rows[0] ? String(rows[0].release_id) : undefined;
    }
  }
  return current;
}

/** Keeps the newest `keep` releases, besides the `live` one (the release a rollback put back is also kept). */
export function pruneReleases(target: string, keep: number, live?: string): void {
  const dir = releasesDir(target);
  if (!existsSync(dir)) return;
  // Release names start with their UTC time, so newest sorts last.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.duckdb') && f !== `${live}.duckdb`)
    .sort()
    .reverse();
  for (const f of files.slice(keep)) rmSync(join(dir, f), { force: true });
}

export function listReleases(target: string): string[] {
  const dir = releasesDir(target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.duckdb'))
    .sort()
    .map((f) => f.slice(0, -'.duckdb'.length));
}
