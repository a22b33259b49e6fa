import { existsSync, linkSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { didYouMean, usageError } from '../errors.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { acquireLock } from '../publish/lock.js';
import { fsyncPath, listReleases, pruneReleases, releasesDir } from '../publish/swap.js';
import { compileContext, type GlobalOptions } from './context.js';

export interface RollbackOptions extends GlobalOptions {
  readonly release?: string;
}

/** `rollback`: put a kept release back over the target, atomically, keeping the current one in its place. */
export async function rollbackCommand(opts: RollbackOptions): Promise<number> {
  const { manifest, reporter } = await compileContext(opts);
  const target = manifest.target;
  if (target.publish !== 'swap') throw usageError(`target "${target.name}" publishes in place; rollback needs publish: swap`, 'profiles/profiles.yml');
  const lock = acquireLock(target.path, 'eider rollback');
  try {
    const current = existsSync(target.path) ? await publishedRelease(target.path) : undefined;
    const releases = listReleases(target.path).filter((r) => r !== current);
    if (releases.length === 0) {
      reporter.errorLine(`error: no earlier release of ${target.name} is kept (${releasesDir(target.path)})`);
      return 1;
    }
    const chosen = opts.release ?? releases[releases.length - 1];
    if (!releases.includes(chosen)) throw usageError(`--release: no kept release "${chosen}"${didYouMean(chosen, releases)}; kept: ${releases.join(', ')}`);
    const dir = releasesDir(target.path);
    mkdirSync(dir, { recursive: true });
    if (current && !existsSync(join(dir, `${current}.duckdb`))) linkSync(target.path, join(dir, `${current}.duckdb`));
    const staged = join(dirname(target.path), `.${basename(target.path)}.build-rollback-${process.pid}.duckdb`);
    rmSync(staged, { force: true });
    linkSync(join(dir, `${chosen}.duckdb`), staged);
    if (existsSync(`${target.path}.wal`)) renameSync(`${target.path}.wal`, `${target.path}.wal.stale-${Date.now()}`);
    renameSync(staged, target.path);
    fsyncPath(dirname(target.path));
    pruneReleases(target.path, Math.max(target.keepReleases, 1));
    reporter.line(`Rolled ${target.name} back to release ${chosen}${current ? ` (from ${current}, which is kept)` : ''}.`);
    return 0;
  } finally {
    lock.release();
  }
}

async function publishedRelease(path: string): Promise<string | undefined> {
  const a = await DuckDbAdapter.open({ path, threads: 1, readOnly: true });
  try {
    const rows = await a.sessions[0].query(
      `select release_id from ${HISTORY_SCHEMA}.releases where status = 'published' order by published_at desc limit 1`,
    );
    return rows[0] ? String(rows[0].release_id) : undefined;
  } catch {
    return undefined;
  } finally {
    await a.close();
  }
}
