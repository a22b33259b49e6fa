import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXPORT_ONE = join(dirname(fileURLToPath(import.meta.url)), 'export-one.js');

/** One format's export of the table: wall time and peak memory (medians of the runs), and the file's size. */
export interface ExportTiming {
  format: 'arrow' | 'parquet';
  ms: number;
  spread: [number, number];
  peakMiB: number;
  fileMiB: number;
}

/**
 * `eider export` of a `rows`-row table (8 columns: integers, a double, a decimal, a string, a date, a timestamp,
 * a boolean) to Arrow IPC (streamed from DuckDB's chunks through apache-arrow) against Parquet (DuckDB's own
 * COPY), interleaved, each in a fresh process, the export alone (the command's start-up is the same for both).
 */
export function benchExport(work: string, bin: string, rows: number, repeat: number): ExportTiming[] {
  const dir = join(work, 'export');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'models'), { recursive: true });
  mkdirSync(join(dir, 'profiles'), { recursive: true });
  writeFileSync(join(dir, 'project.yml'), 'name: bench_export\n');
  writeFileSync(join(dir, 'profiles/profiles.yml'), 'bench_export:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      threads: 2\n');
  writeFileSync(
    join(dir, 'models/big.sql'),
    `{{config materialized="table"}}
select range as id, (range % 1000)::integer as k, range / 7.0 as x, (range % 100000 / 100)::decimal(12,2) as amount,
  'customer_' || (range % 50000) as name, date '2024-01-01' + (range % 365)::int as day,
  timestamp '2024-01-01' + range * interval 1 second as ts, range % 2 = 0 as flag
from range(${rows})`,
  );
  const built = spawnSync(process.execPath, [bin, 'build', '--project-dir', dir], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(built.stderr);
  const runs: Record<ExportTiming['format'], Array<{ ms: number; maxRssMiB: number }>> = { arrow: [], parquet: [] };
  for (let i = 0; i < repeat; i++) {
    for (const format of ['arrow', 'parquet'] as const) {
      const out = execFileSync(process.execPath, [EXPORT_ONE, dir, join(dir, `out/big.${format}`)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { code: number; ms: number; maxRssMiB: number };
      if (r.code !== 0) throw new Error(`export to ${format} failed`);
      runs[format].push(r);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return (['arrow', 'parquet'] as const).map((format) => {
    const ms = runs[format].map((r) => r.ms);
    return { format, ms: median(ms), spread: [Math.min(...ms), Math.max(...ms)], peakMiB: median(runs[format].map((r) => r.maxRssMiB)), fileMiB: statSync(join(dir, `out/big.${format}`)).size / 1024 / 1024 };
  });
}
