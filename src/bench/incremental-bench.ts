import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDbAdapter } from '../adapter/duckdb.js';

/**
 * A 10-million-row fact read from a source table; each round changes 0.5% of the rows and adds 0.5% new
 * ones. Times a full refresh and an incremental run of the same model for merge, delete+insert and microbatch.
 */
export interface IncrementalResult {
  strategy: string;
  /** Whole CLI `eider run`, process start to exit. */
  fullMs: number;
  incrementalMs: number;
  /** The model's own step, as eider times it (run_results.json). */
  fullStepMs: number;
  incrementalStepMs: number;
}

export async function benchIncremental(work: string, bin: string, rows: number, repeat: number): Promise<IncrementalResult[]> {
  const out: IncrementalResult[] = [];
  for (const strategy of ['merge', 'delete+insert', 'microbatch']) {
    const dir = join(work, `inc-${strategy.replace('+', '_')}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'models'), { recursive: true });
    mkdirSync(join(dir, 'profiles'), { recursive: true });
    writeFileSync(join(dir, 'project.yml'), 'name: bench_inc\n');
    writeFileSync(join(dir, 'profiles/profiles.yml'), 'bench_inc:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      threads: 1\n');
    writeFileSync(join(dir, 'models/sources.yml'), 'sources:\n  - name: raw\n    tables:\n      - name: events\n');
    const config =
      strategy === 'microbatch'
        ? 'incremental_strategy="microbatch" event_time="updated_at" batch_size="day" lookback=0'
        : `incremental_strategy="${strategy}" unique_key="id"`;
    writeFileSync(
      join(dir, 'models/fact.sql'),
      `{{config materialized="incremental" ${config}}}\nselect id, customer_id, amount, status, updated_at from {{source "raw" "events"}}\n{{#if is_incremental}}\nwhere updated_at > (select max(updated_at) from {{this}})\n{{/if}}\n`,
    );
    const db = join(dir, 'warehouse/dev.duckdb');
    mkdirSync(join(dir, 'warehouse'), { recursive: true });
    const sql = async (statements: string[]) => {
      const a = await DuckDbAdapter.open({ path: db, threads: 1 });
      for (const s of statements) await a.sessions[0].exec(s);
      await a.close();
    };
    await sql([
      'create schema raw',
      `create table raw.events as select range as id, range % 100000 as customer_id, (range * 37 % 100000) / 100.0 as amount, 'placed' as status, timestamp '2024-01-01' + (range % 525600) * interval 1 minute as updated_at from range(${rows})`,
    ]);
    const eider = (...args: string[]): [number, number] => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [bin, 'run', '--project-dir', dir, ...args], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stdout + r.stderr);
      const ms = performance.now() - t0;
      const results = JSON.parse(readFileSync(join(dir, 'target/run_results.json'), 'utf8')) as { results: Array<{ unique_id: string; duration_ms: number }> };
      return [ms, results.results.find((x) => x.unique_id === 'model.fact')!.duration_ms];
    };
    const full: Array<[number, number]> = [];
    const inc: Array<[number, number]> = [];
    eider('--full-refresh');
    // Consecutive daily runs on a long-lived table, as in production; full refreshes are timed after.
    for (let i = 0; i < repeat; i++) {
      // 1% of the rows: half changed, half new, all stamped later than anything loaded so far.
      const stamp = `timestamp '2025-01-01' + interval ${i + 1} hour`;
      await sql([
        `update raw.events set status = 'shipped', amount = amount + 1, updated_at = ${stamp} where id % 200 = ${i}`,
        `insert into raw.events select ${rows} * ${i + 2} + range, range % 100000, 1.5, 'placed', ${stamp} from range(${Math.round(rows / 200)})`,
      ]);
      inc.push(eider());
    }
    for (let i = 0; i < repeat; i++) full.push(eider('--full-refresh'));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    out.push({
      strategy,
      fullMs: median(full.map((x) => x[0])),
      incrementalMs: median(inc.map((x) => x[0])),
      fullStepMs: median(full.map((x) => x[1])),
      incrementalStepMs: median(inc.map((x) => x[1])),
    });
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
