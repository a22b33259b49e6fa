import { spawnSync } from 'node:child_process';
import { constants, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbAdapter } from '../adapter/duckdb.js';

/**
 * A fact read from a source table of `rows` rows; before each run 0.5% of the rows change and 0.5% new ones
 * arrive, all stamped later than anything loaded so far. Two shapes:
 * - uniform: the changed rows are spread over the whole table (every row group holds some), so every scan is
 *   linear in the table;
 * - tail: events arrive in time order and the changed rows are the newest ones, so DuckDB's zone maps can skip
 *   every older row group of the source and of the fact.
 */
export type Shape = 'uniform' | 'tail';

/** A median with the spread of the runs it came from. */
export interface Timing {
  median: number;
  min: number;
  max: number;
}

export interface IncrementalResult {
  shape: Shape;
  strategy: string;
  /** Whole CLI `eider run`, process start to exit. */
  full: Timing;
  incremental: Timing;
  /** The model's own step, as eider times it (run_results.json). */
  fullStep: Timing;
  incrementalStep: Timing;
}

/** Part A of issue 11: a swap (prod) build against the same build in place (dev), both incremental, on twin files. */
export interface ProdResult {
  shape: Shape;
  strategy: string;
  /** Whole CLI `eider run`. */
  dev: Timing;
  prod: Timing;
  prodFull: Timing;
  devStep: Timing;
  prodStep: Timing;
  /** `copyFileSync(prod file, …, COPYFILE_FICLONE)`, as the swap build does, timed in the same rounds. */
  copy: Timing;
  fileMiB: number;
}

const STRATEGIES = ['merge', 'delete+insert', 'microbatch'] as const;

function timing(xs: readonly number[]): Timing {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

/** A project with a `dev` target (in place) and a `prod` target (swap) whose files both hold the source table. */
function writeProject(dir: string, strategy: string): void {
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['models', 'profiles', 'warehouse']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'project.yml'), 'name: bench_inc\n');
  writeFileSync(
    join(dir, 'profiles/profiles.yml'),
    'bench_inc:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      threads: 1\n    prod:\n      path: warehouse/prod.duckdb\n      threads: 1\n      publish: swap\n      keep_releases: 1\n',
  );
  writeFileSync(join(dir, 'models/sources.yml'), 'sources:\n  - name: raw\n    tables:\n      - name: events\n');
  const config =
    strategy === 'microbatch'
      ? 'incremental_strategy="microbatch" event_time="updated_at" batch_size="day" lookback=0'
      : `incremental_strategy="${strategy}" unique_key="id"`;
  writeFileSync(
    join(dir, 'models/fact.sql'),
    `{{config materialized="incremental" ${config}}}\nselect id, customer_id, amount, status, updated_at from {{source "raw" "events"}}\n{{#if is_incremental}}\nwhere updated_at > (select max(updated_at) from {{this}})\n{{/if}}\n`,
  );
}

async function sql(file: string, statements: readonly string[]): Promise<void> {
  const a = await DuckDbAdapter.open({ path: file, threads: 1 });
  try {
    for (const s of statements) await a.sessions[0].exec(s);
  } finally {
    await a.close();
  }
}

/** uniform: a year of minutes, repeating; tail: one event a second, in id order (the order they arrived in). */
function loadSource(rows: number, shape: Shape): string[] {
  const stamp = shape === 'tail' ? `timestamp '2024-01-01' + range * interval 1 second` : `timestamp '2024-01-01' + (range % 525600) * interval 1 minute`;
  return [
    'create schema raw',
    `create table raw.events as select range as id, range % 100000 as customer_id, (range * 37 % 100000) / 100.0 as amount, 'placed' as status, ${stamp} as updated_at from range(${rows})`,
  ];
}

/** Round `i`: 0.5% of the rows change, 0.5% new ones arrive, all stamped after anything loaded so far. */
function changeSource(rows: number, shape: Shape, i: number): string[] {
  const n = Math.round(rows / 200);
  // An hour a round after the newest event loaded (microbatch then runs one or two day windows, not a year of empty ones).
  const stamp = shape === 'tail' ? `timestamp '2024-01-01' + interval ${rows} second + interval ${i + 1} hour` : `timestamp '2025-01-01' + interval ${i + 1} hour`;
  const changed = shape === 'tail' ? `id in (select id from raw.events order by id desc limit ${2 * n}) and id % 2 = ${i % 2}` : `id % 200 = ${i}`;
  return [
    `update raw.events set status = 'shipped', amount = amount + 1, updated_at = ${stamp} where ${changed}`,
    `insert into raw.events select ${rows} * ${i + 2} + range, range % 100000, 1.5, 'placed', ${stamp} from range(${n})`,
  ];
}

/** Runs the whole CLI; returns its wall time and the model's step time from run_results.json. */
function eider(bin: string, dir: string, ...args: string[]): [ms: number, stepMs: number] {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, 'run', '--project-dir', dir, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stdout + r.stderr);
  const ms = performance.now() - t0;
  const results = JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8')) as { results: Array<{ unique_id: string; duration_ms: number }> };
  return [ms, results.results.find((x) => x.unique_id === 'model.fact')!.duration_ms];
}

/**
 * Part B: per shape and strategy, `repeat` consecutive incremental runs on a long-lived table (as in
 * production), then `repeat` full refreshes.
 */
export async function benchIncremental(work: string, bin: string, rows: number, repeat: number, shapes: readonly Shape[] = ['uniform', 'tail']): Promise<IncrementalResult[]> {
  const out: IncrementalResult[] = [];
  for (const shape of shapes) {
    for (const strategy of STRATEGIES) {
      const dir = join(work, `inc-${shape}-${strategy.replace('+', '_')}`);
      writeProject(dir, strategy);
      const db = join(dir, 'warehouse/dev.duckdb');
      await sql(db, loadSource(rows, shape));
      eider(bin, dir, '--full-refresh');
      const inc: Array<[number, number]> = [];
      const full: Array<[number, number]> = [];
      for (let i = 0; i < repeat; i++) {
        await sql(db, changeSource(rows, shape, i));
        inc.push(eider(bin, dir));
      }
      for (let i = 0; i < repeat; i++) full.push(eider(bin, dir, '--full-refresh'));
      out.push({
        shape,
        strategy,
        full: timing(full.map((x) => x[0])),
        incremental: timing(inc.map((x) => x[0])),
        fullStep: timing(full.map((x) => x[1])),
        incrementalStep: timing(inc.map((x) => x[1])),
      });
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

/**
 * Part A: twin files (the same source, the same fact), one built in place (dev), one by swap (prod). Each
 * round changes both sources alike, then runs both incrementally (which goes first alternates) and copies
 * the prod file as the swap build does, so the rule "prod ≤ 1.3 × dev + the copy" is checked within a round's
 * conditions. Full refreshes of prod are timed after.
 */
export async function benchProd(work: string, bin: string, rows: number, repeat: number, shape: Shape = 'uniform', strategy = 'merge'): Promise<ProdResult> {
  const dir = join(work, `prod-${shape}-${strategy.replace('+', '_')}`);
  writeProject(dir, strategy);
  const dev = join(dir, 'warehouse/dev.duckdb');
  const prod = join(dir, 'warehouse/prod.duckdb');
  await sql(dev, loadSource(rows, shape));
  copyFileSync(dev, prod);
  eider(bin, dir, '--full-refresh');
  eider(bin, dir, '--full-refresh', '--target', 'prod');
  const d: Array<[number, number]> = [];
  const p: Array<[number, number]> = [];
  const copies: number[] = [];
  let size = 0;
  for (let i = 0; i < repeat; i++) {
    for (const f of [dev, prod]) await sql(f, changeSource(rows, shape, i));
    const runDev = () => d.push(eider(bin, dir));
    const runProd = () => p.push(eider(bin, dir, '--target', 'prod'));
    for (const run of i % 2 === 0 ? [runDev, runProd] : [runProd, runDev]) run();
    const copy = join(dir, 'warehouse/copy.duckdb');
    size = statSync(prod).size;
    const t0 = performance.now();
    copyFileSync(prod, copy, constants.COPYFILE_FICLONE);
    copies.push(performance.now() - t0);
    rmSync(copy);
  }
  const full: number[] = [];
  for (let i = 0; i < repeat; i++) full.push(eider(bin, dir, '--full-refresh', '--target', 'prod')[0]);
  rmSync(dir, { recursive: true, force: true });
  return {
    shape,
    strategy,
    dev: timing(d.map((x) => x[0])),
    prod: timing(p.map((x) => x[0])),
    prodFull: timing(full),
    devStep: timing(d.map((x) => x[1])),
    prodStep: timing(p.map((x) => x[1])),
    copy: timing(copies),
    fileMiB: size / 2 ** 20,
  };
}
