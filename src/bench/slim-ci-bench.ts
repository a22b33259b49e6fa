import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, cpSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { compileContext } from '../commands/context.js';
import { select } from '../graph/select.js';
import { ConsoleReporter } from '../report/console.js';
import { BENCH_THREADS, generateProject } from './generate.js';

/**
 * Slim CI on the generated project: production built once (untimed) and its target/ kept as prod-artifacts/,
 * one model changed, then in an empty CI target `eider build -s <changed>+ --defer --state prod-artifacts`
 * against a full `eider build` of the same project. Whole CLI runs, each on a fresh CI file, interleaved.
 */
export interface SlimCiResult {
  models: number;
  changed: string;
  /** Models and tests the slim build runs. */
  built: number;
  /** Nodes of the project that run in a full build (models and tests). */
  total: number;
  fullMs: number[];
  slimMs: number[];
  /** `eider ls -s <changed>+`: starting eider and compiling the project, the floor of any command on it. */
  floorMs: number[];
  /** `build -s <changed>+` without --defer, in a CI file that already holds the whole project: what defer adds is the rest. */
  plainMs: number[];
}

const silent = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as NodeJS.WriteStream;

export async function benchSlimCi(work: string, bin: string, n: number, repeat: number): Promise<SlimCiResult> {
  const dir = join(work, 'slim-ci');
  generateProject(dir, n, 'mixed');
  const target = (name: string, extra = '') => `    ${name}:\n      path: warehouse/${name}.duckdb\n      threads: ${BENCH_THREADS}\n${extra}`;
  writeFileSync(join(dir, 'profiles/profiles.yml'), `bench:\n  target: dev\n  targets:\n${target('dev')}${target('ci')}${target('prod', '      publish: swap\n')}`);
  const eider = (...args: string[]) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, ...args, '--project-dir', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`eider ${args.join(' ')}: ${r.stdout.slice(-2000)}${r.stderr}`);
    return performance.now() - t0;
  };
  eider('build', '--target', 'prod');
  cpSync(join(dir, 'target'), join(dir, 'prod-artifacts'), { recursive: true });

  // The changed model: the intermediate model with the median number of descendants.
  const ctx = await compileContext({ projectDir: dir }, new ConsoleReporter(silent, silent));
  const runs = (ids: Iterable<string>) => [...ids].filter((id) => ['model', 'test'].includes(ctx.manifest.nodes[id].kind)).length;
  const candidates = Object.values(ctx.manifest.nodes)
    .filter((m) => m.kind === 'model' && m.name.startsWith('int_'))
    .map((m) => ({ name: m.name, file: m.origin.file, built: runs(select(ctx.manifest, ctx.dag, [`${m.name}+`], undefined)) }))
    .sort((a, b) => a.built - b.built);
  const changed = candidates[Math.floor(candidates.length / 2)];
  appendFileSync(join(dir, changed.file), '-- changed by the pull request\n');

  const ci = join(dir, 'warehouse/ci.duckdb');
  const fresh = () => {
    for (const f of [ci, `${ci}.wal`]) rmSync(f, { force: true });
  };
  eider('build', '--target', 'ci');
  const whole = join(work, 'slim-ci-whole.duckdb');
  copyFileSync(ci, whole);
  const variants = {
    full: () => (fresh(), eider('build', '--target', 'ci')),
    plain: () => (fresh(), copyFileSync(whole, ci), eider('build', '--target', 'ci', '-s', `${changed.name}+`)),
    slim: () => (fresh(), eider('build', '--target', 'ci', '-s', `${changed.name}+`, '--defer', '--state', join(dir, 'prod-artifacts'))),
    floor: () => eider('ls', '--target', 'ci', '-s', `${changed.name}+`),
  };
  const names = Object.keys(variants) as Array<keyof typeof variants>;
  const times = { full: [] as number[], slim: [] as number[], floor: [] as number[], plain: [] as number[] };
  variants.slim(); // untimed warm-up: the page cache
  for (let i = 0; i < repeat; i++) for (let j = 0; j < names.length; j++) times[names[(i + j) % names.length]].push(variants[names[(i + j) % names.length]]());
  rmSync(whole, { force: true });
  return { models: n, changed: changed.name, built: changed.built, total: runs(Object.keys(ctx.manifest.nodes)), fullMs: times.full, slimMs: times.slim, floorMs: times.floor, plainMs: times.plain };
}
