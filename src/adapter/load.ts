import { createRequire } from 'node:module';

/**
 * @duckdb/node-api and its bindings, loaded with require(): they are CommonJS, and importing them as ES modules
 * makes Node scan every one of the library's ~150 files for export names, which costs every command ~80 ms.
 * Loading the native module costs another ~0.1 s: commands that may not need DuckDB (compile) import this module
 * (and adapter/duckdb.ts) dynamically, where they need it.
 */
const require = createRequire(import.meta.url);
export const duckdbApi = require('@duckdb/node-api') as typeof import('@duckdb/node-api');
export const duckdbBindings = require('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings');
