import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let version: string | undefined;

/**
 * The installed DuckDB bindings' package version (it names the DuckDB release), read from its package.json without
 * loading the native module: what caches of DuckDB's verdicts are keyed on.
 */
export function duckdbPackageVersion(): string {
  version ??= (JSON.parse(readFileSync(createRequire(import.meta.url).resolve('@duckdb/node-bindings/package.json'), 'utf8')) as { version: string }).version;
  return version;
}
