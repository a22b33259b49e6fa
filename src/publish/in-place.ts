import { relative } from 'node:path';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import type { Adapter } from '../adapter/adapter.js';
import { usageError, withRetries } from '../errors.js';
import type { TargetDef } from '../types.js';

/** Dev publishing: build straight into the target file; each node swaps itself in atomically. */
export async function openInPlace(target: TargetDef, threads = target.threads, warn: (message: string) => void = () => undefined): Promise<Adapter> {
  try {
    return await withRetries(
      target.retries,
      () => DuckDbAdapter.open({ path: target.path, threads, settings: target.settings }),
      (attempt, error, waitMs) => warn(`opening ${target.name} failed (${String(error.message).split('\n')[0].replace(/\. However, .*$/, '.')}); attempt ${attempt + 1} of ${target.retries.attempts} in ${waitMs} ms`),
    );
  } catch (e) {
    const message = String((e as Error).message).split('\n')[0].replace(/\. However, .*$/, '.');
    const shown = target.path === ':memory:' ? target.path : relative(process.cwd(), target.path) || target.path;
    if (/lock/i.test(message)) throw new OpenError(`cannot open ${shown} for writing: ${message}`);
    if (/setting|option|configuration/i.test(message)) throw usageError(`target "${target.name}": ${message}`, 'profiles/profiles.yml');
    throw new OpenError(`cannot open ${shown}: ${message}`);
  }
}

/** The target file exists but cannot be opened now (locked, unreadable): exit 1, not a project error. */
export class OpenError extends Error {
  override readonly name = 'OpenError';
}
