import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { compileContext } from '../commands/context.js';
import { QUIET_MS } from '../commands/watch.js';
import { select } from '../graph/select.js';
import { countQuery } from '../plan/plan.js';
import { ConsoleReporter } from '../report/console.js';
import { quoteRelation } from '../types.js';
import { generateProject } from './generate.js';

/**
 * `eider watch` on the generated project: one view in the middle (the intermediate view with the median number of
 * descendants) saved again and again, timed from the file write to the printed result (watch's next "Watching"
 * line, after the build of it and its descendants with their tests), against a whole CLI `eider build -s <view>+`
 * of the same save, and against its floor: what a person would write by hand in a process that, like watch, has
 * DuckDB loaded already — open the file, `create or replace view|table` of it and its descendants in DAG order,
 * their tests' count queries, checkpoint, close (no eider code, nothing recorded). Interleaved; the initial build
 * of watch is not timed.
 */
export interface WatchResult {
  models: number;
  changed: string;
  /** Models and tests a save builds. */
  built: number;
  watchMs: number[];
  cliMs: number[];
  floorMs: number[];
  quietMs: number;
}

const silent = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as NodeJS.WriteStream;

export async function benchWatch(work: string, bin: string, n: number, repeat: number): Promise<WatchResult> {
  const dir = join(work, 'watch');
  generateProject(dir, n, 'mixed');
  const ctx = await compileContext({ projectDir: dir }, new ConsoleReporter(silent, silent));
  const runs = (ids: Iterable<string>) => [...ids].filter((id) => ['model', 'test'].includes(ctx.manifest.nodes[id].kind)).length;
  const candidates = Object.values(ctx.manifest.nodes)
    .filter((m) => m.kind === 'model' && m.name.startsWith('int_') && m.materialized === 'view')
    .map((m) => ({ name: m.name, file: join(dir, m.origin.file), built: runs(select(ctx.manifest, ctx.dag, [`${m.name}+`], undefined)) }))
    .sort((a, b) => a.built - b.built);
  const changed = candidates[Math.floor(candidates.length / 2)];
  const downstream = select(ctx.manifest, ctx.dag, [`${changed.name}+`], undefined);
  const statements = ctx.dag.order.flatMap((id) => {
    const n = ctx.manifest.nodes[id];
    if (!downstream.has(id)) return [];
    if (n.kind === 'model') return [`create or replace ${n.materialized} ${quoteRelation(n.relation)} as\n${n.sql}`];
    return n.kind === 'test' ? [countQuery(n.sql)] : [];
  });
  // require(), not import: the fastest way to load the library (see src/adapter/load.ts).
  const { DuckDBInstance } = createRequire(import.meta.url)('@duckdb/node-api') as typeof import('@duckdb/node-api');
  const floor = async () => {
    const t0 = performance.now();
    const instance = await DuckDBInstance.create(join(dir, 'warehouse/dev.duckdb'));
    const conn = await instance.connect();
    for (const sql of statements) await conn.run(sql);
    await conn.run('checkpoint');
    conn.closeSync();
    instance.closeSync();
    return performance.now() - t0;
  };

  const child = spawn(process.execPath, [bin, 'watch'], { cwd: dir, env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  let waiting: { count: number; done: () => void } | undefined;
  const count = () => out.split('\nWatching ').length - 1;
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (waiting && count() >= waiting.count) waiting.done();
  });
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const watched = (c: number) => new Promise<void>((r) => (count() >= c ? r() : (waiting = { count: c, done: r })));
  await watched(1);

  const watchMs: number[] = [];
  const cliMs: number[] = [];
  const floorMs: number[] = [];
  let edits = 0;
  const save = () => appendFileSync(changed.file, `-- edit ${++edits}\n`);
  try {
    for (let i = 0; i < repeat; i++) {
      const before = count();
      const t0 = performance.now();
      save();
      await watched(before + 1);
      watchMs.push(performance.now() - t0);
      if (/ERROR|^error:/m.test(out.slice(-5000))) throw new Error(`eider watch failed:\n${out.slice(-5000)}`);
      // A whole CLI build of the same selection (watch is idle meanwhile: it holds no lock, and ignores what a build writes).
      const t1 = performance.now();
      const r = spawnSync(process.execPath, [bin, 'build', '-s', `${changed.name}+`], { cwd: dir, encoding: 'utf8' });
      cliMs.push(performance.now() - t1);
      if (r.status !== 0) throw new Error(r.stdout + r.stderr);
      floorMs.push(await floor());
    }
  } finally {
    child.kill('SIGINT');
    writeFileSync(join(work, 'watch.log'), out);
  }
  return { models: n, changed: changed.name, built: changed.built, watchMs, cliMs, floorMs, quietMs: QUIET_MS };
}
