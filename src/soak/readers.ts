// npm run soak:readers [-- BUILDS READERS]: several BI reader processes query prod in a loop while BUILDS
// prod builds publish (default 30 builds, 3 readers); every open and query must succeed and see one whole release.
import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildProd, prodProject, READER_SCRIPT, ROWS } from '../test-support/prod.js';

const builds = Number(process.argv[2] ?? 30);
const readers = Number(process.argv[3] ?? 3);
const p = prodProject();
try {
  if ((await buildProd(p, 1)).code !== 0) throw new Error('first build failed');
  const script = join(p.dir, 'reader.mjs');
  writeFileSync(script, READER_SCRIPT);
  const duckdb = pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href;
  const procs = Array.from({ length: readers }, () => fork(script, [join(p.dir, 'warehouse/prod.duckdb'), String(ROWS)], { env: { ...process.env, EIDER_DUCKDB: duckdb } }));
  const stats = procs.map((r) => new Promise<{ opens: number; reads: number; failures: number; inconsistent: number; errors: string[] }>((res) => r.once('message', res as never)));
  let failedBuilds = 0;
  for (let v = 2; v <= builds + 1; v++) if ((await buildProd(p, v)).code !== 0) failedBuilds++;
  for (const r of procs) r.send('stop');
  const all = await Promise.all(stats);
  const sum = (k: 'opens' | 'reads' | 'failures' | 'inconsistent') => all.reduce((s, x) => s + x[k], 0);
  console.log(`${builds} publishes, ${readers} readers: ${sum('opens')} opens, ${sum('reads')} reads, ${sum('failures')} failures, ${sum('inconsistent')} inconsistent reads, ${failedBuilds} failed builds`);
  for (const e of all.flatMap((x) => x.errors)) console.log(`  reader error: ${e}`);
  process.exitCode = sum('failures') + sum('inconsistent') + failedBuilds === 0 ? 0 : 1;
} finally {
  p.remove();
}
