import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { generateProject } from './generate.js';

/** `eider status` (whole CLI: start, compile, open the file read-only, read it) on a project built once. */
export interface StatusTiming {
  readonly project: string;
  readonly relations: number;
  readonly ms: number[];
  readonly json: number[];
}

function run(bin: string, dir: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`eider ${args.join(' ')} in ${dir} failed: ${r.stderr}`);
  return performance.now() - t0;
}

/** The example project (copied from `repo`) and a generated `models`-model mixed project; text and --format json interleaved. */
export function benchStatus(work: string, bin: string, repo: string, models: number, repeat: number): StatusTiming[] {
  const example = join(work, 'status-example');
  rmSync(example, { recursive: true, force: true });
  mkdirSync(example, { recursive: true });
  for (const part of ['project.yml', 'package.json', 'profiles', 'models', 'seeds', 'snapshots', 'tests', 'macros', 'data']) cpSync(join(repo, part), join(example, part), { recursive: true });
  const generated = join(work, `status-${models}`);
  generateProject(generated, models, 'mixed');
  const out: StatusTiming[] = [];
  for (const [name, dir] of [['example (VyaparBazaar)', example], [`generated, ${models.toLocaleString('en-US')} models`, generated]] as const) {
    run(bin, dir, ['build']);
    const ms: number[] = [];
    const json: number[] = [];
    for (let i = 0; i < repeat; i++) {
      ms.push(run(bin, dir, ['status']));
      json.push(run(bin, dir, ['status', '--format', 'json']));
    }
    const doc = spawnSync(process.execPath, [bin, 'status', '--format', 'json'], { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const relations = (JSON.parse(doc.stdout) as { schemas: Array<{ relations: unknown[] }> }).schemas.reduce((n, s) => n + s.relations.length, 0);
    out.push({ project: name, relations, ms, json });
  }
  return out;
}
