import { closeSync, constants, copyFileSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { replaceWithStaged } from '../execute/files.js';
import type { FileOp } from '../plan/materializations/index.js';
import type { TargetDef } from '../types.js';
import { buildCount, compactionDue, measure, writeCompactCopy, type Compaction } from './compact.js';
import { HISTORY_SCHEMA } from './history.js';
import { makeFolder } from '../folders.js';

export function releasesDir(target: string): string {
  return join(dirname(target), '.eider-releases', basename(target));
}

/**
 * Files and folders a crashed build may leave beside the target (its file, WAL, and the `.tmp` folder DuckDB
 * spills into): removed by the next build, which holds the lock.
 */
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
 * ever sees a half-built or untested one.
 */
export class SwapRelease {
  private open = true;
  /** The compact copy publish writes when the build's file is due for compaction. */
  private compactPath: string | undefined;

  private constructor(
    readonly target: TargetDef,
    readonly buildPath: string,
    readonly adapter: DuckDbAdapter,
    private readonly currentRelease: string | undefined,
    private readonly warn: (message: string) => void,
  ) {}

  /**
   * The release starts as a copy of the current one at the file level (`COPYFILE_FICLONE`: a reflink where the
   * filesystem has them, a kernel-side copy elsewhere), never by copying tables through SQL; the build then
   * works in it exactly as an in-place build does, so it costs what changed. The published file is never
   * written: it is copied, and later replaced by a rename.
   */
  static async start(target: TargetDef, warn: (message: string) => void): Promise<SwapRelease> {
    for (const f of leftovers(target.path)) {
      rmSync(f, { recursive: true, force: true });
      warn(`removed ${basename(f)}, left by an earlier build that did not finish`);
    }
    makeFolder(dirname(target.path));
    const buildPath = join(dirname(target.path), `.${basename(target.path)}.build-${process.pid}-${Date.now()}.duckdb`);
    let adapter: DuckDbAdapter | undefined;
    try {
      if (existsSync(target.path)) copyFileSync(target.path, buildPath, constants.COPYFILE_FICLONE);
      adapter = await DuckDbAdapter.open({ path: buildPath, threads: target.threads, settings: target.settings });
      return new SwapRelease(target, buildPath, adapter, await publishedRelease(adapter), warn);
    } catch (e) {
      await adapter?.close();
      removeBuildFile(buildPath);
      throw e;
    }
  }

  /**
   * Moves the external models' staged files into place and points the release's views at them (a view is bound
   * to files that exist); checkpoint; when the file is due for compaction, write a compact copy of it to publish
   * instead; close, check, fsync; keep the current release; rename the new file over the target.
   */
  async publish(files: readonly FileOp[] = []): Promise<Compaction | undefined> {
    const s = this.adapter.sessions[0];
    for (const f of files) {
      replaceWithStaged(f.path, f.staged);
      if (f.view) await s.exec(f.view);
    }
    await s.exec('checkpoint');
    const before = await measure(s, this.buildPath);
    const reason = compactionDue(before, await buildCount(s), this.target.compact);
    if (reason) {
      this.compactPath = await writeCompactCopy(s, this.target.path).catch((e: Error) => {
        this.warn(`the release was not compacted: ${e.message.split('\n')[0]}`);
        return undefined;
      });
    }
    await this.adapter.close();
    this.open = false;
    const file = this.compactPath ?? this.buildPath;
    sealFile(file);
    const target = this.target.path;
    if (existsSync(target)) {
      const dir = releasesDir(target);
      makeFolder(dir);
      const keep = join(dir, `${this.currentRelease ?? `${new Date().toISOString().replace(/[-:.]/g, '')}-unrecorded`}.duckdb`);
      if (!existsSync(keep)) linkSync(target, keep);
      fsyncPath(dir);
    }
    moveStaleWal(target, this.warn);
    renameSync(file, target);
    fsyncPath(dirname(target));
    if (this.compactPath) removeBuildFile(this.buildPath);
    pruneReleases(target, this.target.keepReleases);
    return this.compactPath && reason ? { reason, before, afterBytes: statSync(target).size } : undefined;
  }

  /** Nothing is published: the build file and any staged external files go away. */
  async discard(files: readonly FileOp[] = []): Promise<void> {
    if (this.open) await this.adapter.close();
    this.open = false;
    for (const f of files) rmSync(f.staged, { recursive: true, force: true });
    removeBuildFile(this.buildPath);
    if (this.compactPath) removeBuildFile(this.compactPath);
  }
}

/**
 * A file about to be renamed over a target: closed with no WAL beside it (its every write is in the file), and
 * on disk (fsync); the folder DuckDB spilled into is gone.
 */
export function sealFile(path: string): void {
  if (existsSync(`${path}.wal`)) throw new Error(`a WAL was left beside ${basename(path)} after CHECKPOINT: not publishing`);
  fsyncPath(path);
  rmSync(`${path}.tmp`, { recursive: true, force: true });
}

/** A WAL beside the target belongs to the file being replaced: moved aside, as DuckDB would replay it into the new one. */
export function moveStaleWal(target: string, warn: (message: string) => void): void {
  if (!existsSync(`${target}.wal`)) return;
  const aside = `${target}.wal.stale-${Date.now()}`;
  renameSync(`${target}.wal`, aside);
  warn(`moved a stale ${basename(target)}.wal aside to ${basename(aside)}: it would have been replayed into the new file`);
}

/** A DuckDB file that will not be published, with its WAL and spill folder. */
export function removeBuildFile(path: string): void {
  for (const f of [path, `${path}.wal`, `${path}.tmp`]) rmSync(f, { recursive: true, force: true });
}

/** The release the copied file holds: the newest published one in its history (none for a file eider did not publish). */
async function publishedRelease(adapter: DuckDbAdapter): Promise<string | undefined> {
  const s = adapter.sessions[0];
  const has = await s.query(`select 1 from information_schema.tables where table_catalog = current_database() and table_schema = '${HISTORY_SCHEMA}' and table_name = 'releases'`);
  if (has.length === 0) return undefined;
  const rows = await s.query(`select release_id from ${HISTORY_SCHEMA}.releases where status = 'published' order by published_at desc limit 1`);
  return rows[0] ? String(rows[0].release_id) : undefined;
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
