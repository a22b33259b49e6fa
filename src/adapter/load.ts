import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

type DuckDbApi = typeof import('@duckdb/node-api');

/**
 * @duckdb/node-api and its bindings, loaded with require(): they are CommonJS, and importing them as ES modules
 * makes Node scan every one of the library's ~120 files for export names, which costs every command ~80 ms.
 * The library itself comes from one bundled file when there is one for the installed version (`npm run build` writes
 * it: scripts/bundle-duckdb.mjs): loading the package file by file costs about 70 ms more. Loading the native module
 * costs another ~20 ms: commands that may not need DuckDB (compile) import this module (and adapter/duckdb.ts)
 * dynamically, where they need it.
 */
const require = createRequire(import.meta.url);

/** The bundle `npm run build` writes: the same path from src/adapter (tests) and dist/adapter. */
export const DUCKDB_BUNDLE = fileURLToPath(new URL('../../dist/adapter/duckdb-node-api.cjs', import.meta.url));

/**
 * The library from `bundle` when that file was made from `installed` (the version in node_modules), else the package
 * itself: a bundle left from another version never pairs its code with other native bindings.
 */
export function loadDuckDbApi(bundle: string, installed: string): { api: DuckDbApi; from: 'bundle' | 'package' } {
  try {
    const b = require(bundle) as { api?: DuckDbApi; version?: string };
    if (b.version === installed && b.api) return { api: b.api, from: 'bundle' };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
  }
  return { api: require('@duckdb/node-api') as DuckDbApi, from: 'package' };
}

const loaded = loadDuckDbApi(DUCKDB_BUNDLE, (require('@duckdb/node-api/package.json') as { version: string }).version);
export const duckdbApi = loaded.api;
/** Where `duckdbApi` came from. */
export const duckdbApiFrom = loaded.from;
export const duckdbBindings = require('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings');
