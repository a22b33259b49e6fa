import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queryFile, testProject, type TestProject } from './project.js';

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/eider.js');

/**
 * A project with a prod target (swap publish). Each build stamps its release with `--vars '{v: N}'` in two
 * tables, so a reader can check that what it sees is one whole release: a.v is one value, b.v equals it,
 * and b.n counts all of a.
 */
export const ROWS = 200_000;
export function prodProject(extra: Record<string, string> = {}): TestProject {
  return testProject({
    'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n      threads: 2\n      keep_releases: 2\n',
    'models/a.sql': `{{config materialized="table"}}\nselect {{var "v" 0}} as v, range as id from range(${ROWS})`,
    'models/b.sql': '{{config materialized="table"}}\nselect min(v) as v, count(*) as n from {{ref "a"}}',
    'models/b.yml': 'models:\n  - name: b\n    columns:\n      - name: v\n        tests: [not_null]\n',
    ...extra,
  });
}

export function buildProd(p: TestProject, v: number, ...args: string[]) {
  return p.run('build', '--target', 'prod', '--vars', `{v: ${v}}`, ...args);
}

/** The release prod holds now, checked whole: null when it is inconsistent. */
export async function prodRelease(p: TestProject): Promise<number | null> {
  const [r] = await queryFile(join(p.dir, 'warehouse/prod.duckdb'), 'select (select min(v) from a) as lo, (select max(v) from a) as hi, (select count(*) from a)::int as rows, b.v as bv, b.n::int as n from b');
  return r.lo === r.hi && r.lo === r.bv && r.rows === ROWS && r.n === ROWS ? Number(r.lo) : null;
}

/** Starts a build and kills it with SIGKILL after `ms`. */
export function killBuildAfter(p: TestProject, v: number, ms: number): Promise<number | null> {
  return new Promise((res) => {
    const child: ChildProcess = spawn(process.execPath, [BIN, 'build', '--target', 'prod', '--vars', `{v: ${v}}`], { cwd: p.dir, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => {
      clearTimeout(timer);
      res(code);
    });
  });
}

/** What a crash may leave beside prod: build files and lock leftovers. */
export function leftovers(p: TestProject): string[] {
  const dir = join(p.dir, 'warehouse');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.includes('.build-')) : [];
}

/** A BI reader in its own process: opens prod read-only again and again until told to stop, checking each release whole. */
export const READER_SCRIPT = `
const { DuckDBInstance } = await import(process.env.EIDER_DUCKDB);
const path = process.argv[2];
const rows = Number(process.argv[3]);
const stats = { opens: 0, reads: 0, failures: 0, inconsistent: 0, releases: [], errors: [] };
let stop = false;
process.on('message', () => { stop = true; });
while (!stop) {
  try {
    const db = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    stats.opens++;
    const c = await db.connect();
    for (let i = 0; i < 3; i++) {
      const r = (await c.runAndReadAll('select (select min(v) from a) as lo, (select max(v) from a) as hi, (select count(*) from a)::int as rows, b.v as bv, b.n::int as n from b')).getRowObjectsJS()[0];
      stats.reads++;
      if (!(r.lo === r.hi && r.lo === r.bv && r.rows === rows && r.n === rows)) stats.inconsistent++;
      else if (!stats.releases.includes(Number(r.lo))) stats.releases.push(Number(r.lo));
    }
    c.closeSync();
    db.closeSync();
  } catch (e) {
    stats.failures++;
    if (stats.errors.length < 5) stats.errors.push(String(e.message).split('\\n')[0]);
  }
}
process.send(stats, () => process.exit(0));
`;
