import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Adapter, Session } from '../adapter/adapter.js';
import { DuckDbAdapter, TARGET_CATALOG } from '../adapter/duckdb.js';
import { quoteLiteral, type TargetDef } from '../types.js';
import { HISTORY_SCHEMA } from './history.js';
import { OpenError } from './in-place.js';
import { fsyncPath, moveStaleWal, removeBuildFile, sealFile } from './swap.js';

/**
 * DuckDB reuses the blocks a replaced table frees but never gives them back, so repeated builds grow a file past
 * its data. Compacting writes the data into a new file (`COPY FROM DATABASE`: schemas, tables, views, macros,
 * sequences, types, indexes, comments) and renames it over the target, as a publish does: readers holding the
 * old file keep it, new readers open the compact one.
 */

/** The target file's size on disk against the bytes DuckDB uses in it. */
export interface FileSize {
  readonly fileBytes: number;
  readonly usedBytes: number;
  readonly blockBytes: number;
}

export interface Compaction {
  /** Why it was compacted: the ratio past the threshold, the build count, or the user asked (`eider compact`). */
  readonly reason: string;
  readonly before: FileSize;
  readonly afterBytes: number;
}

/** File size over used size; a file smaller than one block is never past a threshold. */
export const sizeRatio = (s: FileSize): number => s.fileBytes / Math.max(s.usedBytes, s.blockBytes, 1);

/** The size of `path`, the file attached as the session's target catalog (checkpointed, for its free blocks to count). */
export async function measure(s: Session, path: string): Promise<FileSize> {
  const [r] = await s.query(`select used_blocks * block_size as used, block_size from pragma_database_size() where database_name = '${TARGET_CATALOG}'`);
  return { fileBytes: statSync(path).size, usedBytes: Number(r?.used ?? 0), blockBytes: Number(r?.block_size ?? 0) };
}

/** How many builds the file's history records (this one included): `compact.every` counts them. */
export async function buildCount(s: Session): Promise<number> {
  const rows = await s.query(`select count(*)::int as n from ${HISTORY_SCHEMA}.releases`).catch(() => [{ n: 0 }]);
  return Number(rows[0].n);
}

/** Why a build should compact its file now, or undefined. */
export function compactionDue(size: FileSize, builds: number, policy: TargetDef['compact']): string | undefined {
  const ratio = sizeRatio(size);
  if (ratio > policy.threshold) return `${ratio.toFixed(2)}× the size its data uses, past compact.threshold ${policy.threshold}`;
  if (policy.every > 0 && builds > 0 && builds % policy.every === 0) return `build ${builds}, compact.every ${policy.every}`;
  return undefined;
}

/**
 * Copies the session's target catalog into a new file beside `target`, named like a build file so a crash leaves
 * nothing the next build does not remove. Returns its path; on failure nothing is left.
 */
export async function writeCompactCopy(s: Session, target: string): Promise<string> {
  // The caller holds the target's lock: a compact copy already there was left by a compaction that did not finish.
  const prefix = `.${basename(target)}.build-compact-`;
  for (const f of readdirSync(dirname(target)).filter((f) => f.startsWith(prefix))) rmSync(join(dirname(target), f), { recursive: true, force: true });
  const path = join(dirname(target), `${prefix}${process.pid}-${Date.now()}.duckdb`);
  await s.exec(`attach ${quoteLiteral(path)} as eider_compact`);
  try {
    await s.exec(`copy from database ${TARGET_CATALOG} to eider_compact`);
  } catch (e) {
    await s.exec('detach eider_compact');
    removeBuildFile(path);
    throw e;
  }
  await s.exec('detach eider_compact');
  return path;
}

/** Renames a closed compact copy over the target (the target's own file closed too), as a publish does. */
function replaceTarget(copy: string, target: string, warn: (message: string) => void): number {
  sealFile(copy);
  moveStaleWal(target, warn);
  renameSync(copy, target);
  fsyncPath(dirname(target));
  return statSync(target).size;
}

/**
 * After an in-place build, on the build's own connection: when the file is due, a compact copy is written and,
 * once the target is closed, renamed over it. Closes `adapter` in every case. A compaction that fails is a
 * warning: the target is left as the build left it. `fresh` (why) always compacts, and a failure throws: deleted
 * rows must not survive in the file's free blocks (an erasure).
 */
export async function compactAfterBuild(adapter: Adapter, target: TargetDef, warn: (message: string) => void, fresh?: string): Promise<Compaction | undefined> {
  let copy: string | undefined;
  let open = true;
  try {
    const s = adapter.sessions[0];
    await s.exec('checkpoint');
    const before = await measure(s, target.path);
    const reason = fresh ?? compactionDue(before, await buildCount(s), target.compact);
    if (!reason) return undefined;
    copy = await writeCompactCopy(s, target.path);
    await adapter.close();
    open = false;
    return { reason, before, afterBytes: replaceTarget(copy, target.path, warn) };
  } catch (e) {
    if (fresh) throw e;
    warn(`${target.name} was not compacted: ${String((e as Error).message).split('\n')[0]}`);
    return undefined;
  } finally {
    if (open) await adapter.close();
    if (copy && existsSync(copy)) removeBuildFile(copy);
  }
}

/**
 * `eider compact`: the target opened read-only (BI readers may hold it; a published file is never written), copied
 * whole, and the copy renamed over it. The caller holds the target's lock.
 */
export async function compactTarget(target: TargetDef, warn: (message: string) => void): Promise<Compaction> {
  let adapter: DuckDbAdapter;
  try {
    adapter = await DuckDbAdapter.open({ path: target.path, threads: 1, readOnly: true, settings: target.settings });
  } catch (e) {
    throw new OpenError(`cannot open the file of ${target.name} to compact it: ${String((e as Error).message).split('\n')[0]}`);
  }
  let copy: string | undefined;
  let open = true;
  try {
    const before = await measure(adapter.sessions[0], target.path);
    copy = await writeCompactCopy(adapter.sessions[0], target.path);
    await adapter.close();
    open = false;
    return { reason: 'eider compact', before, afterBytes: replaceTarget(copy, target.path, warn) };
  } finally {
    if (open) await adapter.close();
    if (copy && existsSync(copy)) removeBuildFile(copy);
  }
}

/** `Compacted dev: 8.4 MiB → 4.5 MiB (1.86× the size its data uses, past compact.threshold 1.5).` */
export function describeCompaction(target: TargetDef, c: Compaction): string {
  return `Compacted ${target.name}: ${formatBytes(c.before.fileBytes)} → ${formatBytes(c.afterBytes)} (${c.reason}).`;
}

export function formatBytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
