// The build benchmark's floor: what a person would write by hand to build the project. A separate process,
// timed whole from its start: load @duckdb/node-api, open the file, run `create or replace table|view` per
// model in DAG order on one connection (and each test's count query), checkpoint, close. No eider code.
// Usage: node minimal-build.js <database file> <script.json>, where script.json is
// { "schemas": [...], "statements": [...] } (written, untimed, by the bench from the compiled project).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

// require(), not import: the fastest way to load the library (see src/adapter/load.ts), so the floor is not padded.
const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api') as typeof import('@duckdb/node-api');
const [file, scriptPath] = process.argv.slice(2);
const script = JSON.parse(readFileSync(scriptPath, 'utf8')) as { schemas: string[]; statements: string[] };
const instance = await DuckDBInstance.create(file);
const conn = await instance.connect();
for (const s of script.schemas) await conn.run(`create schema if not exists "${s.replaceAll('"', '""')}"`);
for (const sql of script.statements) await conn.run(sql);
await conn.run('checkpoint');
conn.closeSync();
instance.closeSync();
