// Bundles @duckdb/node-api (about 120 CommonJS files) into one file, dist/adapter/duckdb-node-api.cjs, which
// src/adapter/load.ts loads instead of the package: Node loads one file in about half the time it takes to resolve,
// read and compile the package's files one by one, and every command that opens DuckDB pays that load. The native
// bindings (@duckdb/node-bindings) stay outside the bundle, loaded from node_modules as before. The bundle records
// the version it was made from; load.ts uses it only while that is the installed version.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const { version } = JSON.parse(readFileSync(require.resolve('@duckdb/node-api/package.json'), 'utf8'));
await build({
  stdin: { contents: `module.exports = { api: require('@duckdb/node-api'), version: ${JSON.stringify(version)} };\n`, resolveDir: root, loader: 'js', sourcefile: 'duckdb-node-api-entry.js' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['@duckdb/node-bindings'],
  outfile: join(root, 'dist/adapter/duckdb-node-api.cjs'),
  logLevel: 'warning',
});
