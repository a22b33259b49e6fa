import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import type { Timing } from './incremental-bench.js';

export interface EmptyResult {
  rows: number;
  models: number;
  /** Whole CLI `eider build`, and `eider build --empty`, process start to exit. */
  full: Timing;
  empty: Timing;
}

/** A source of `rows` events, a staging table and marts that aggregate and join it: what a CI step would check. */
const MODELS: Record<string, string> = {
  stg_events: 'select id, customer_id, amount::decimal(18,2) as amount, status, updated_at::date as day from {{source "raw" "events"}}',
  daily: 'select day, count(*) as orders, sum(amount) as revenue from {{ref "stg_events"}} group by day',
  customers: 'select customer_id, count(*) as orders, sum(amount) as spent, min(day) as first_day from {{ref "stg_events"}} group by customer_id',
  by_status: 'select status, day, count(*) as n from {{ref "stg_events"}} group by all',
  top_customers: 'select c.customer_id, c.spent, d.revenue from {{ref "customers"}} c join {{ref "daily"}} d on d.day = c.first_day order by c.spent desc limit 1000',
  cohorts: 'select first_day, count(*) as customers, sum(spent) as spent from {{ref "customers"}} group by first_day',
};

function timing(xs: readonly number[]): Timing {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], min: s[0], max: s[s.length - 1] };
}

function run(bin: string, dir: string, ...args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, 'build', '--project-dir', dir, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stdout + r.stderr);
  return performance.now() - t0;
}

/** `eider build` against `eider build --empty` of the same project, interleaved, on the same file. */
export async function benchEmpty(work: string, bin: string, rows: number, repeat: number): Promise<EmptyResult> {
  const dir = join(work, 'empty');
  rmSync(dir, { recursive: true, force: true });
  for (const d of ['models', 'profiles', 'warehouse']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'project.yml'), 'name: bench_empty\nmodels:\n  +materialized: table\n');
  writeFileSync(join(dir, 'profiles/profiles.yml'), 'bench_empty:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n');
  writeFileSync(join(dir, 'models/sources.yml'), 'sources:\n  - name: raw\n    tables:\n      - name: events\n');
  for (const [name, sql] of Object.entries(MODELS)) writeFileSync(join(dir, `models/${name}.sql`), `${sql}\n`);
  const a = await DuckDbAdapter.open({ path: join(dir, 'warehouse/dev.duckdb'), threads: 1 });
  try {
    await a.sessions[0].exec('create schema raw');
    await a.sessions[0].exec(
      `create table raw.events as select range as id, range % 100000 as customer_id, (range * 37 % 100000) / 100.0 as amount, 'placed' as status, timestamp '2024-01-01' + (range % 525600) * interval 1 minute as updated_at from range(${rows})`,
    );
  } finally {
    await a.close();
  }
  const full: number[] = [];
  const empty: number[] = [];
  for (let i = 0; i < repeat; i++) {
    // Alternate which goes first, so drift on a shared machine hits both alike.
    if (i % 2 === 0) full.push(run(bin, dir)), empty.push(run(bin, dir, '--empty'));
    else empty.push(run(bin, dir, '--empty')), full.push(run(bin, dir));
  }
  return { rows, models: Object.keys(MODELS).length, full: timing(full), empty: timing(empty) };
}
