/** Where databases live, told from their paths (no DuckDB needed: the profile parser uses these). */

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

