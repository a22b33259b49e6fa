import { copyFile } from 'node:fs/promises';
import { closeSync, constants, existsSync, fsyncSync, linkSync, openSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from '../adapter/adapter.js';
import { DuckDbAdapter, targetOptions } from '../adapter/duckdb.js';
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
    /** An in-place target built in a copy (its file was held open by readers): its WAL is its own, and no release is kept. */
    private readonly inPlace: boolean,
  ) {}

  /**
   * The release starts as a copy of the current one at the file level (`COPYFILE_FICLONE`: a reflink where the
   * filesystem has them, a kernel-side copy elsewhere), never by copying tables through SQL; the build then
   * works in it exactly as an in-place build does, so it costs what changed. The published file is never
   * written: it is copied, and later replaced by a rename. For an in-place target (`inPlace`) the file's WAL is
   * copied with it: it holds committed work.
   */
  static async start(target: TargetDef, warn: (message: string) => void, inPlace = false): Promise<SwapRelease> {
    for (const f of leftovers(target.path)) {
      rmSync(f, { recursive: true, force: true });
      warn(`removed ${basename(f)}, left by an earlier build that did not finish`);
    }
    makeFolder(dirname(target.path));
    const buildPath = join(dirname(target.path), `.${basename(target.path)}.build-${process.pid}-${Date.now()}.duckdb`);
    let adapter: DuckDbAdapter | undefined;
    try {
      // Asynchronously: a copy at disk speed must not hold up SIGINT/SIGTERM.
      if (existsSync(target.path)) await copyFile(target.path, buildPath, constants.COPYFILE_FICLONE);
      if (inPlace && existsSync(`${target.path}.wal`)) await copyFile(`${target.path}.wal`, `${buildPath}.wal`);
      adapter = await DuckDbAdapter.open({ path: buildPath, threads: target.threads, ...targetOptions(target) });
      return new SwapRelease(target, buildPath, adapter, await publishedRelease(adapter), warn, inPlace);
    } catch (e) {
      await adapter?.close();
      removeBuildFile(buildPath);
      throw e;
    }
  }

  /**
   * Moves the external models' staged files into place and points the release's views at them (a view is bound
   * to files that exist); checkpoint; when the file is due for compaction, write a compact copy of it to publish
   * instead; close, check, fsync; keep the current release; rename the new file over the target. `fresh` (why)
   * always writes the compact copy — deleted rows must not survive in free blocks (an erasure) — and fails the
   * publish when it cannot.
   */
  async publish(files: readonly FileOp[] = [], fresh?: string): Promise<Compaction | undefined> {
    const s = this.adapter.sessions[0];
    for (const f of files) {
      replaceWithStaged(f.path, f.staged);
      if (f.view) await s.exec(f.view);
    }
    const lineage = this.inPlace ? [] : await releaseLineage(this.adapter);
    await s.exec('checkpoint');
    const before = await measure(s, this.buildPath);
    const reason = fresh ?? compactionDue(before, await buildCount(s), this.target.compact);
    if (reason) {
      this.compactPath = await writeCompactCopy(s, this.target.path).catch((e: Error) => {
        if (fresh) throw e;
        this.warn(`the release was not compacted: ${e.message.split('\n')[0]}`);
        return undefined;
      });
    }
    await this.adapter.close();
    this.open = false;
    const file = this.compactPath ?? this.buildPath;
    sealFile(file);
    const target = this.target.path;
    if (existsSync(target) && !this.inPlace) {
      const dir = releasesDir(target);
      makeFolder(dir);
      const keep = join(dir, `${this.currentRelease ?? `${new Date().toISOString().replace(/[-:.]/g, '')}-unrecorded`}.duckdb`);
      if (!existsSync(keep)) linkSync(target, keep);
      fsyncPath(dir);
    }
    // The copy replayed an in-place file's WAL: it must not be replayed again into the new file.
    if (this.inPlace) rmSync(`${target}.wal`, { force: true });
    else moveStaleWal(target, this.warn);
    renameSync(file, target);
    fsyncPath(dirname(target));
    if (this.compactPath) removeBuildFile(this.buildPath);
    if (!this.inPlace) pruneReleases(target, this.target.keepReleases, lineage);
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
async function publishedRelease(adapter: Adapter): Promise<string | undefined> {
  return (await releaseLineage(adapter)).at(-1);
}

/** The releases a file's history says were published, oldest first: the last is the file itself. */
export async function releaseLineage(adapter: Adapter): Promise<string[]> {
  const s = adapter.sessions[0];
  const has = await s.query(`select 1 from information_schema.tables where table_catalog = current_database() and table_schema = '${HISTORY_SCHEMA}' and table_name = 'releases'`);
  if (has.length === 0) return [];
  const rows = await s.query(`select release_id from ${HISTORY_SCHEMA}.releases where status = 'published' order by published_at`);
  return rows.map((r) => String(r.release_id));
}

/** Keeps the newest `keep` releases, besides the `live` one (the release a rollback put back is also kept). */
/**
 * Keeps `keep` releases besides the live one (the last of `lineage`, the releases its own history says were
 * published, oldest first): first those it descends from, newest first — so a rollback after a rollback and a
 * build still finds its parent — then the newest of the others (a release a rollback replaced).
 */
export function pruneReleases(target: string, keep: number, lineage: readonly string[]): void {
  const live = lineage.at(-1);
  const kept = listReleases(target).filter((r) => r !== live);
  const ancestors = lineage.slice(0, -1).filter((r) => kept.includes(r)).reverse();
  const others = kept.filter((r) => !ancestors.includes(r)).reverse();
  const stay = new Set([...ancestors, ...others].slice(0, keep));
  for (const r of kept) if (!stay.has(r)) rmSync(join(releasesDir(target), `${r}.duckdb`), { force: true });
}

export function listReleases(target: string): string[] {
  const dir = releasesDir(target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.duckdb'))
    .sort()
    .map((f) => f.slice(0, -'.duckdb'.length));
}
