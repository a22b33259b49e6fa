import { existsSync } from 'node:fs';
import { databaseKind } from '../adapter/databases.js';
import { DuckDbAdapter, targetOptions } from '../adapter/duckdb.js';
import { isTransient } from '../errors.js';
import type { TargetDef } from '../types.js';
import { OpenError, settingsError, shownPath } from './in-place.js';
import { lockHolder } from './lock.js';

const POLL_MS = 100;

/**
 * Opens a target only to read it (`show`, `export`): read-only, one connection, no build lock, so it never blocks
 * a build nor the target's other readers (a dev build that finds it reading works in a copy, as with any reader).
 * An in-place build writing the file holds DuckDB's lock on it, which no reader can share: the command then waits
 * for that build to finish (saying so) and reads what it published. Says on stderr which file it reads.
 */
export async function openToRead(target: TargetDef, note: (line: string) => void): Promise<DuckDbAdapter> {
  const file = databaseKind(target.path) === 'file';
  const shown = file ? shownPath(target.path, target) : target.path;
  // Nothing built yet is as a model not built yet: exit 1, saying so.
  if (file && !existsSync(target.path)) throw new OpenError(`target "${target.name}" has no database file yet (${shown}): run eider build first`);
  let waited = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const adapter = await DuckDbAdapter.open({ path: target.path, threads: 1, ...targetOptions(target), readOnly: true });
      if (file) note(`${waited ? 'the build finished; ' : ''}reading ${shown} (target ${target.name}, read-only)`);
      return adapter;
    } catch (e) {
      const message = String((e as Error).message).split('\n')[0].replace(/\. (However, |See also ).*$/, '.');
      const builder = file && /lock/i.test(message) ? lockHolder(target.path) : undefined;
      if (builder) {
        if (!waited) note(`${shown} is being built by eider (PID ${builder.pid}, ${builder.command}, since ${builder.since}): waiting for the build to finish`);
        waited = true;
        attempt = 0;
      } else if (attempt >= target.retries.attempts || !isTransient(message)) {
        throw (await settingsError(target, e)) ?? new OpenError(`cannot open ${shown} to read it: ${message}`);
      }
      await new Promise((r) => setTimeout(r, builder ? POLL_MS : target.retries.backoffMs * 2 ** (attempt - 1)));
    }
  }
}
