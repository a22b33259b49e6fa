import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DeferredFileError, DuckDbAdapter, ExtensionMissing, targetOptions } from '../adapter/duckdb.js';
import type { Adapter } from '../adapter/adapter.js';
import { didYouMean, usageError, withRetries, type UsageError } from '../errors.js';
import { sqlErrorMessage } from '../execute/sql-errors.js';
import { quoteIdent, quoteLiteral, type TargetDef } from '../types.js';
import { makeFolder } from '../folders.js';
import { holdsSecret } from '../secrets.js';
import { SwapRelease } from './swap.js';
import { databaseKind, shownPath } from '../adapter/databases.js';
export { shownPath };
export { OpenError } from '../errors.js';
import { OpenError } from '../errors.js';

/** DuckDB's first line, without its "However, …"/"See also …" advice. */
function firstLine(message: string): string {
  return message.split('\n')[0].replace(/\. (However, |See also ).*$/, '.');
}

/**
 * Dev publishing: build straight into the target file; each node swaps itself in atomically. `readOnly` for
 * commands that only read it (`eider test`), which readers never block and which never write a prod file.
 */
export async function openInPlace(target: TargetDef, threads = target.threads, warn: (message: string) => void = () => undefined, readOnly = false): Promise<Adapter> {
  checkTargetFolder(target);
  try {
    return await withRetries(
      target.retries,
      () => DuckDbAdapter.open({ path: target.path, threads, ...targetOptions(target), readOnly }),
      (attempt, error, waitMs) => {
        const what = error instanceof DeferredFileError ? `reading ${shownPath(error.path, target)} (--defer)` : `opening ${target.name}`;
        warn(`${what} failed (${firstLine(error instanceof DeferredFileError ? error.reason : error.message)}); attempt ${attempt + 1} of ${target.retries.attempts} in ${waitMs} ms`);
      },
    );
  } catch (e) {
    // The production file --defer reads, not the target, is what could not be opened.
    if (e instanceof DeferredFileError) throw new OpenError(`--defer: cannot read ${shownPath(e.path, target)}, the deferred target's file: ${firstLine(e.reason)}`);
    const message = firstLine(String((e as Error).message));
    const shown = target.path === ':memory:' ? target.path : shownPath(target.path, target);
    if (/lock/i.test(message)) throw new OpenError(`cannot open ${shown} for writing: ${message}`);
    throw (await settingsError(target, e)) ?? new OpenError(`cannot open ${shown}: ${message}`);
  }
}

/**
 * The target of an in-place build. When other processes hold the file open only to read (an IDE, a notebook, a
 * BI tool), DuckDB will not let anyone write it: the build then works in a copy of the file — made while eider
 * holds it read-only too, so no writer can change it meanwhile — which is renamed over the file when every node
 * and test passed, as a prod build is. The readers keep their view; their next connection sees the new data. A
 * file held by a writer is waited for with the target's retries, as before. The caller has checked the target's
 * folder (`checkTargetFolder`) before taking its lock.
 */
export async function openForBuild(target: TargetDef, warn: (message: string) => void): Promise<{ adapter: Adapter; copy?: SwapRelease }> {
  const opened = await openUnlessRead(target, warn);
  if ('adapter' in opened) return opened;
  try {
    warn(`${shownPath(target.path, target)} is open in another process (${opened.heldBy}): building a copy and renaming it over the file when every node and test passed; the reader keeps its view`);
    const copy = await SwapRelease.start(target, warn, true);
    return { adapter: copy.adapter, copy };
  } finally {
    await opened.hold.close();
  }
}

/**
 * Opens the target for writing; when other processes hold it only to read, returns a read-only hold of it (which
 * keeps writers out while the caller works around the readers) and who holds it. A file held by a writer is waited
 * for with the target's retries.
 */
export async function openUnlessRead(target: TargetDef, warn: (message: string) => void): Promise<{ adapter: Adapter } | { hold: Adapter; heldBy: string }> {
  let heldBy: string | undefined;
  try {
    return { adapter: await DuckDbAdapter.open({ path: target.path, threads: target.threads, ...targetOptions(target) }) };
  } catch (e) {
    // The deferred file is what failed (a writer holds it): the target itself needs no copy.
    if (e instanceof DeferredFileError) return { adapter: await openInPlace(target, target.threads, warn) };
    const m = /conflicting lock is held in (.*?) \(PID (\d+)\)/i.exec(String((e as Error).message));
    heldBy = m ? `${m[1]}, PID ${m[2]}` : undefined;
  }
  const hold = heldBy ? await DuckDbAdapter.open({ path: target.path, threads: 1, readOnly: true }).catch(() => undefined) : undefined;
  if (!hold) return { adapter: await openInPlace(target, target.threads, warn) };
  return { hold, heldBy: heldBy! };
}

/** A profile mistake at the target's line in the profiles file (the line of `key` among its settings, or its path). */
function targetError(target: TargetDef, message: string, setting?: string): UsageError {
  const line = setting === undefined ? target.lines?.path : target.lines?.settings[setting];
  return usageError(`target "${target.name}": ${message}`, target.lines?.file ?? 'profiles/profiles.yml', line);
}

/**
 * When DuckDB refused the target's settings ("not recognized", "Failed to set config"): which one and why,
 * each tried alone on an in-memory database.
 */
export async function settingsError(target: TargetDef, e: unknown): Promise<UsageError | undefined> {
  if (e instanceof ExtensionMissing) return extensionError(target, e);
  const message = String((e as Error)?.message ?? e).split('\n')[0];
  // The message names the file too: look for DuckDB's words about settings in the rest of it only.
  if (Object.keys(target.settings).length === 0 || !/setting|option|config/i.test(message.replaceAll(target.path, ''))) return undefined;
  const probe = await DuckDbAdapter.open({ path: ':memory:', threads: 1 });
  try {
    const known = (await probe.sessions[0].query('select name from duckdb_settings()')).map((r) => String(r.name));
    const unknown = /not recognized: (.*)$/.exec(message)?.[1].split(/,\s*/) ?? [];
    for (const [key, value] of Object.entries(target.settings)) {
      if (unknown.includes(key)) return targetError(target, `unknown DuckDB setting "${key}"${didYouMean(key, known)}`, key);
      const alone = await DuckDbAdapter.open({ path: ':memory:', threads: 1, settings: { [key]: value } }).then((a) => a.close(), (err: Error) => err);
      if (!alone) continue;
      // Opening says only "Failed to set config"; SET says why.
      const why = await probe.sessions[0].exec(`set ${quoteIdent(key)} = ${quoteLiteral(value)}`).then(() => undefined, (err: Error) => err.message);
      return targetError(target, `setting ${key}: ${sqlErrorMessage(why ?? alone.message)}`, key);
    }
    return undefined; // no setting fails on its own: the cause is elsewhere
  } finally {
    await probe.close();
  }
}

/** An extension the profile needs is not installed: at its line (or the line of the path that needs it). */
export function extensionError(target: TargetDef, e: ExtensionMissing): UsageError {
  const lines = target.lines;
  const line = e.neededBy === undefined ? lines?.extensions?.[e.extension] : e.neededBy === 'target' ? lines?.path : lines?.attach?.[e.neededBy];
  const why = e.neededBy === undefined ? '' : e.neededBy === 'target' ? `, needed to open the target's path` : `, needed to attach "${e.neededBy}"`;
  return usageError(
    `target "${target.name}": extension "${e.extension}" is not installed${why} (eider loads extensions but never downloads one: install it once on this machine, e.g. duckdb -c "INSTALL ${e.extension}", or put its .duckdb_extension file in ~/.duckdb/extensions/)`,
    lines?.file ?? 'profiles/profiles.yml',
    line,
  );
}

/**
 * The target's folder exists (made if need be) and can be written: otherwise a profile mistake at the target's
 * path line, with the cause (a file where a folder should be, no permission, a read-only file system).
 */
export function checkTargetFolder(target: TargetDef): void {
  if (databaseKind(target.path) !== 'file') return;
  const dir = dirname(target.path);
  try {
    makeFolder(dir);
  } catch (e) {
    throw targetError(target, `cannot create ${shownPath(dir, target)}/ (${folderProblem(dir, e, target)})`);
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    throw targetError(target, `cannot write in ${shownPath(dir, target)}/ (${folderProblem(dir, e, target)})`);
  }
}

function folderProblem(dir: string, e: unknown, target: TargetDef): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EEXIST' || code === 'ENOTDIR') {
    let d = dir;
    while (!existsSync(d) && d !== dirname(d)) d = dirname(d);
    if (existsSync(d) && !statSync(d).isDirectory()) return `${shownPath(d, target)} is a file, not a folder`;
  }
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'read-only file system';
  if (code === 'ENOENT') return 'the file system there does not take new folders';
  return holdsSecret(target.path) ? (code ?? 'an error') : String((e as Error).message);
}

