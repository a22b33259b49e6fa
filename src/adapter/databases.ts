/** Where databases live, told from their paths (no DuckDB needed: the profile parser uses these). */
import { isAbsolute, relative } from 'node:path';
import { holdsSecret, REDACTED } from '../secrets.js';
import type { TargetDef } from '../types.js';

/** The catalog name a target file is attached under (see `DuckDbAdapter.open`). */
export const TARGET_CATALOG = 'eider_target';

/** The catalog `--defer` attaches the deferred target's file under, read-only (see src/state/defer.ts). */
export const DEFER_CATALOG = 'eider_defer';

/** Where a database lives: in memory, in a local DuckDB file, in MotherDuck (`md:`), or in a DuckLake catalog (`ducklake:`). */
export type DatabaseKind = 'memory' | 'file' | 'motherduck' | 'ducklake';

export function databaseKind(path: string): DatabaseKind {
  if (path === ':memory:') return 'memory';
  if (/^(md|motherduck):/i.test(path)) return 'motherduck';
  if (/^ducklake:/i.test(path)) return 'ducklake';
  return 'file';
}

/** The extension a database path needs before it can be attached (MotherDuck's, DuckLake's), if any. */
export function extensionFor(path: string): string | undefined {
  const kind = databaseKind(path);
  return kind === 'motherduck' || kind === 'ducklake' ? kind : undefined;
}

/** The MotherDuck database an `md:` path names (`md:my_db?motherduck_token=…` names my_db); '' for `md:`. */
export function motherDuckDatabase(path: string): string {
  return path.replace(/^(md|motherduck):/i, '').split('?')[0];
}

/**
 * A path of the target as the user would write it: relative when it is under the current folder, else whole;
 * nothing of it when the target's path was read from the environment (a part of a secret is a secret).
 */
export function shownPath(path: string, target: TargetDef): string {
  if (holdsSecret(target.path)) return REDACTED;
  const r = relative(process.cwd(), path);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : path;
}
