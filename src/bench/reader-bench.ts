import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The time a dev build takes while a reader (a notebook, an IDE) holds the file open read-only — so the build
 * works in a copy and renames it over the file — against the same build with the file free. Whole CLI runs of
 * `eider build` on a project whose table holds `rows` rows, interleaved, medians.
 */
export interface ReaderResult {
  rows: number;
  fileMiB: number;
  freeMs: number;
  heldMs: number;
}

export async function benchReaderHeld(work: string, bin: string, rows: number, repeat: number): Promise<ReaderResult> {
  const dir = join(work, 'reader-held');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'models'), { recursive: true });
  mkdirSync(join(dir, 'profiles'), { recursive: true });
  writeFileSync(join(dir, 'project.yml'), 'name: bench_reader\n');
  writeFileSync(join(dir, 'profiles/profiles.yml'), 'bench_reader:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      threads: 1\n');
  // A large table the build does not touch (it is only copied), and a small model the build rebuilds.
  writeFileSync(join(dir, 'models/big.sql'), `{{config materialized="table"}}\nselect range as id, md5(range::varchar) as h from range(${rows})`);
  writeFileSync(join(dir, 'models/small.sql'), '{{config materialized="table"}}\nselect {{var "v" 0}} as v, count(*) as n from range(1000)');
  const db = join(dir, 'warehouse/dev.duckdb');
  const build = (args: string[]) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`eider ${args.join(' ')} failed: ${r.stderr}`);
    return performance.now() - t0;
  };
  build(['build']);
  const duckdb = pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href;
  const hold = async (): Promise<ChildProcess> => {
    const code = `const { DuckDBInstance } = await import(${JSON.stringify(duckdb)}); const db = await DuckDBInstance.create(${JSON.stringify(db)}, { access_mode: 'READ_ONLY' }); await db.connect(); console.log('open'); setInterval(() => {}, 1000);`;
    const reader = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((res) => reader.stdout!.once('data', () => res()));
    return reader;
  };
  const free: number[] = [];
  const held: number[] = [];
  for (let i = 0; i < repeat; i++) {
    free.push(build(['build', '-s', 'small', '--vars', `{v: ${i}}`]));
    const reader = await hold();
    try {
      held.push(build(['build', '-s', 'small', '--vars', `{v: ${i + 100}}`]));
    } finally {
      reader.kill('SIGKILL');
      await new Promise((r) => reader.once('exit', r));
    }
  }
  const { size } = await import('node:fs').then((fs) => fs.statSync(db));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { rows, fileMiB: size / 2 ** 20, freeMs: median(free), heldMs: median(held) };
}
