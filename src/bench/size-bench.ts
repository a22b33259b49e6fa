import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * File size after repeated builds against a fresh build of the same data, with compaction (the default
 * `compact.threshold`) and without it (a threshold no file reaches), for an in-place (dev) and a swap (prod)
 * target. Two projects: the repository's example (VyaparBazaar), and one whose every table is rebuilt with the
 * same data each time (1M rows), where DuckDB's freed blocks pile up past 2×.
 */
export interface SizeRow {
  project: string;
  target: 'dev' | 'prod';
  compaction: boolean;
  freshBytes: number;
  /** The file after the last build, and the largest it was after any build. */
  lastBytes: number;
  maxBytes: number;
  /** Whole CLI `eider build`: median, fastest and slowest over the builds. */
  buildMs: number;
  buildRangeMs: [number, number];
  compactions: number;
}

const EXAMPLE_PARTS = ['project.yml', 'package.json', 'models', 'seeds', 'snapshots', 'tests', 'macros', 'data'];

/** Targets: dev and prod with compaction on (default) and off, and the fresh one. */
function profiles(name: string): string {
  const target = (t: string, publish: string, off: boolean) =>
    `    ${t}:\n      path: warehouse/${t}.duckdb\n      threads: 2\n      publish: ${publish}\n      keep_releases: 1\n${off ? '      compact: {threshold: 1000000}\n' : ''}`;
  return `${name}:\n  target: dev\n  targets:\n${target('dev', 'in_place', false)}${target('dev_off', 'in_place', true)}${target('prod', 'swap', false)}${target('prod_off', 'swap', true)}${target('fresh', 'in_place', true)}`;
}

function rebuildProject(dir: string, rows: number): void {
  mkdirSync(join(dir, 'models'), { recursive: true });
  writeFileSync(join(dir, 'project.yml'), 'name: bench_size\n');
  writeFileSync(join(dir, 'models/orders.sql'), `{{config materialized="table"}}\nselect range as id, range % 9973 as customer_id, (range * 7919) % 100000 / 100.0 as amount, 'status ' || (range % 7) as status from range(${rows})`);
  writeFileSync(join(dir, 'models/by_customer.sql'), '{{config materialized="table"}}\nselect customer_id, count(*) as n, sum(amount) as amount from {{ref "orders"}} group by all');
  writeFileSync(join(dir, 'models/orders_latest.sql'), '{{config materialized="incremental" unique_key="id" incremental_strategy="merge"}}\nselect * from {{ref "orders"}}');
}

export function benchSize(work: string, bin: string, repo: string, builds: number): SizeRow[] {
  const projects: Array<[string, (dir: string) => void]> = [
    ['example (VyaparBazaar)', (dir) => EXAMPLE_PARTS.forEach((part) => cpSync(join(repo, part), join(dir, part), { recursive: true }))],
    ['1M-row tables rebuilt', (dir) => rebuildProject(dir, 1_000_000)],
  ];
  const out: SizeRow[] = [];
  for (const [name, make] of projects) {
    const dir = join(work, `size-${out.length}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'profiles'), { recursive: true });
    make(dir);
    writeFileSync(join(dir, 'profiles/profiles.yml'), profiles(name === '1M-row tables rebuilt' ? 'bench_size' : 'vyaparbazaar'));
    const size = (t: string) => statSync(join(dir, 'warehouse', `${t}.duckdb`)).size;
    const build = (t: string) => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [bin, 'build', '--target', t, '--project-dir', dir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`size bench: build of ${t} failed\n${r.stdout.slice(-2000)}${r.stderr}`);
      return { ms: performance.now() - t0, compacted: /^Compacted /m.test(r.stdout) };
    };
    build('fresh');
    const freshBytes = size('fresh');
    const variants = (['dev', 'dev_off', 'prod', 'prod_off'] as const).map((t) => ({ t, sizes: [] as number[], ms: [] as number[], compactions: 0 }));
    // Interleaved: build i of every variant before build i + 1 of any, so drift in the machine hits them alike.
    for (let i = 0; i < builds; i++) {
      for (const v of variants) {
        const r = build(v.t);
        v.ms.push(r.ms);
        v.sizes.push(size(v.t));
        if (r.compacted) v.compactions++;
      }
    }
    for (const v of variants) {
      const ms = [...v.ms].sort((a, b) => a - b);
      out.push({
        project: name,
        target: v.t.startsWith('dev') ? 'dev' : 'prod',
        compaction: !v.t.endsWith('_off'),
        freshBytes,
        lastBytes: v.sizes[v.sizes.length - 1],
        maxBytes: Math.max(...v.sizes),
        buildMs: ms[Math.floor(ms.length / 2)],
        buildRangeMs: [ms[0], ms[ms.length - 1]],
        compactions: v.compactions,
      });
    }
  }
  return out;
}
