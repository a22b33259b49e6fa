import { existsSync, linkSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { didYouMean, usageError } from '../errors.js';
import { checkTargetFolder } from '../publish/in-place.js';
import { acquireLock } from '../publish/lock.js';
import { fsyncPath, listReleases, pruneReleases, releaseLineage, releasesDir } from '../publish/swap.js';
import { projectTarget, type GlobalOptions } from './context.js';
import { makeFolder } from '../folders.js';

export interface RollbackOptions extends GlobalOptions {
  readonly release?: string;
}

/**
 * `rollback`: put a kept release back over the target, atomically, keeping the current one in its place. Without
 * --release it steps back along the live release's own lineage (the releases its history says were published
 * before it), so rollbacks in a row walk back through the kept releases and never forward to one they replaced.
 */
export async function rollbackCommand(opts: RollbackOptions): Promise<number> {
  // Only the target: a project that does not compile (a broken model, a var not given) can still be rolled back.
  const { target, reporter } = projectTarget(opts);
  if (target.publish !== 'swap') throw usageError(`target "${target.name}" publishes in place; rollback needs publish: swap`, 'profiles/profiles.yml');
  checkTargetFolder(target);
  const lock = acquireLock(target.path, 'eider rollback');
  try {
    const lineage = existsSync(target.path) ? await publishedLineage(target.path) : [];
    const current = lineage.at(-1);
    const kept = listReleases(target.path).filter((r) => r !== current);
    const earlier = current ? earlierReleases(lineage, kept) : kept;
    if (opts.release === undefined && earlier.length === 0) {
      const others = kept.length > 0 ? `; other kept releases: ${kept.join(', ')} (--release <id>)` : '';
      reporter.errorLine(`error: no release of ${target.name} earlier than ${current ?? 'the live one'} is kept (${releasesDir(target.path)})${others}`);
      return 1;
    }
    const chosen = opts.release ?? earlier[earlier.length - 1];
    if (chosen === current) throw usageError(`--release: ${chosen} is already live`);
    if (!kept.includes(chosen)) throw usageError(`--release: no kept release "${chosen}"${didYouMean(chosen, kept)}; kept: ${kept.join(', ')}`);
    const dir = releasesDir(target.path);
    makeFolder(dir);
    if (current && !existsSync(join(dir, `${current}.duckdb`))) linkSync(target.path, join(dir, `${current}.duckdb`));
    const staged = join(dirname(target.path), `.${basename(target.path)}.build-rollback-${process.pid}.duckdb`);
    rmSync(staged, { force: true });
    linkSync(join(dir, `${chosen}.duckdb`), staged);
    if (existsSync(`${target.path}.wal`)) renameSync(`${target.path}.wal`, `${target.path}.wal.stale-${Date.now()}`);
    renameSync(staged, target.path);
    fsyncPath(dirname(target.path));
    const now = await publishedLineage(target.path);
    pruneReleases(target.path, Math.max(target.keepReleases, 1), now.at(-1) === chosen ? now : [chosen]);
    reporter.line(`Rolled ${target.name} back to release ${chosen}${current ? ` (from ${current}, which is kept)` : ''}. Live now: ${chosen}.`);
    return 0;
  } finally {
    lock.release();
  }
}

/** The kept releases published before the live one in its history, and any kept from before history, oldest first. */
function earlierReleases(lineage: readonly string[], kept: readonly string[]): string[] {
  return [...kept.filter((r) => r.endsWith('-unrecorded')), ...lineage.slice(0, -1).filter((r) => kept.includes(r))];
}

/** The releases the file's history says were published, oldest first: the last one is the file itself. */
async function publishedLineage(path: string): Promise<string[]> {
  const a = await DuckDbAdapter.open({ path, threads: 1, readOnly: true });
  try {
    return await releaseLineage(a);
  } finally {
    await a.close();
  }
}
