import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const files = {
  'project.yml': 'name: t\nvars:\n  rate: 3\nmodels:\n  materialized: table\n',
  'seeds/raw_orders.csv': 'id,amount\n1,1000\n',
  'macros/cents.sql': '({{column}} / 100.0)',
  'models/stg_orders.sql': 'select id, {{> cents column="amount"}} as amount, {{var "rate"}} as rate from {{ref "raw_orders"}}\n',
  'models/other.sql': 'select {{> cents column="2"}} as two, \'{{invocation_id}}\' as inv\n',
  'models/fct.sql': '{{config materialized="incremental" unique_key="id"}}\nselect * from {{ref "stg_orders"}}\n',
  'models/props.yml': 'models:\n  - name: fct\n    description: facts\n    columns:\n      - name: id\n        tests: [not_null]\n',
  'tests/positive.sql': 'select * from {{ref "fct"}} where amount < 0\n',
  'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      threads: 2\n    ci:\n      path: warehouse/ci.duckdb\n      schema: ci\n      threads: 1\n',
};

/** manifest.json and every file of target/compiled (not its index of hashes), with what differs between any two runs masked. */
function artifacts(dir: string): Record<string, string> {
  const target = join(dir, 'target');
  const manifest = readFileSync(join(target, 'manifest.json'), 'utf8');
  const invocation = (JSON.parse(manifest) as { metadata: { invocation_id: string } }).metadata.invocation_id;
  const mask = (text: string) => text.replaceAll(invocation, '<invocation>').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>');
  const out: Record<string, string> = { 'manifest.json': mask(manifest) };
  for (const f of readdirSync(join(target, 'compiled'), { recursive: true, withFileTypes: true })) {
    if (f.isFile() && !f.name.startsWith('.')) out[relative(target, join(f.parentPath, f.name))] = mask(readFileSync(join(f.parentPath, f.name), 'utf8'));
  }
  return out;
}

/** A compile through the cache, then one without it: the artifacts must be the same. */
async function expectSameAsCold(q: TestProject, ...args: string[]): Promise<Record<string, string>> {
  const warm = await q.run('compile', ...args);
  expect(warm.stderr).toBe('');
  expect(warm.code).toBe(0);
  const cached = artifacts(q.dir);
  const cold = await q.run('compile', '--no-cache', ...args);
  expect(cold.code).toBe(0);
  expect(cached).toEqual(artifacts(q.dir));
  return cached;
}

describe('parse cache (target/.partial-parse)', () => {
  it('gives the same manifest.json and compiled SQL as a cold compile after every kind of change', async () => {
    p = testProject(files);
    expect((await p.run('compile')).code).toBe(0);
    expect(existsSync(join(p.dir, 'target/.partial-parse'))).toBe(true);
    const first = await expectSameAsCold(p); // no change
    expect(first['compiled/models/stg_orders.sql']).toContain('3 as rate');

    p.write('models/stg_orders.sql', files['models/stg_orders.sql'].replace('select id', 'select id, 1 as one'));
    expect((await expectSameAsCold(p))['compiled/models/stg_orders.sql']).toContain('1 as one');

    p.write('macros/cents.sql', '({{column}} / 1000.0)'); // every model using the partial
    const partial = await expectSameAsCold(p);
    expect(partial['compiled/models/stg_orders.sql']).toContain('/ 1000.0');
    expect(partial['compiled/models/other.sql']).toContain('/ 1000.0');

    expect((await expectSameAsCold(p, '--vars', '{rate: 7}'))['compiled/models/stg_orders.sql']).toContain('7 as rate');
    expect((await expectSameAsCold(p))['compiled/models/stg_orders.sql']).toContain('3 as rate');

    p.write('models/props.yml', files['models/props.yml'].replace('description: facts', 'description: the facts'));
    expect((await expectSameAsCold(p))['manifest.json']).toContain('"the facts"');

    p.write('models/added.sql', 'select 42 as answer\n');
    expect((await expectSameAsCold(p))['compiled/models/added.sql']).toContain('42 as answer');

    rmSync(join(p.dir, 'models/added.sql'));
    expect(Object.keys(await expectSameAsCold(p))).not.toContain('compiled/models/added.sql');

    const before = JSON.parse((await expectSameAsCold(p))['manifest.json']).nodes['seed.raw_orders'].checksum.checksum;
    p.write('seeds/raw_orders.csv', 'id,amount\n1,2000\n');
    const after = JSON.parse((await expectSameAsCold(p))['manifest.json']).nodes['seed.raw_orders'].checksum.checksum;
    expect(after).not.toBe(before);

    expect((await expectSameAsCold(p, '--target', 'dev', '--empty'))['compiled/models/stg_orders.sql']).toMatch(/limit 0|where false/i);
  }, 120_000);

  it('ignores a corrupt cache file and rewrites it; --no-cache neither reads nor writes it; concurrent compiles do not tear it', async () => {
    p = testProject(files);
    const cache = join(p.dir, 'target/.partial-parse');
    expect((await p.run('compile', '--no-cache')).code).toBe(0);
    expect(existsSync(cache)).toBe(false);
    expect((await p.run('compile')).code).toBe(0);
    const good = readFileSync(cache, 'utf8');
    writeFileSync(cache, good.slice(0, good.length / 2));
    await expectSameAsCold(p);
    writeFileSync(cache, 'not json\n{');
    await expectSameAsCold(p);
    expect(readFileSync(cache, 'utf8').split('\n')[0]).toBe(good.split('\n')[0]);
    p.write('models/added.sql', 'select 1 as x\n'); // two compiles writing the cache at once leave a whole one
    const both = await Promise.all([p.run('compile'), p.run('compile')]);
    expect(both.map((r) => r.code)).toEqual([0, 0]);
    await expectSameAsCold(p);
  }, 60_000);

  it('keeps nothing from a compile that reads the environment', async () => {
    p = testProject({ ...files, 'models/env.sql': 'select \'{{env "EIDER_TEST_REGION" "eu"}}\' as region\n' });
    const r = await p.runWith({ EIDER_TEST_REGION: 'us-west' }, 'compile');
    expect(r.code).toBe(0);
    expect(existsSync(join(p.dir, 'target/.partial-parse'))).toBe(false);
  });
});

const STALE = 'eider-stale-marker';

/**
 * Makes target/manifest.json say what no compile of the project would, and the compile snapshot vouch for it: a
 * compile that reuses the snapshot keeps the marker, one that compiles does not.
 */
function plantStale(dir: string, head: (h: Record<string, unknown>) => void = () => undefined): void {
  const manifest = join(dir, 'target/manifest.json');
  const text = readFileSync(manifest, 'utf8');
  expect(text).toContain('"description":"facts"');
  writeFileSync(manifest, text.replace('"description":"facts"', `"description":"${STALE}"`));
  const state = join(dir, 'target/.compile-state');
  const snapshot = readFileSync(state, 'utf8');
  const at = snapshot.indexOf('\n');
  const h = JSON.parse(snapshot.slice(0, at)) as Record<string, unknown>;
  const s = statSync(manifest, { bigint: true });
  h.manifest = [String(s.size), String(s.mtimeNs), String(s.ctimeNs), String(s.ino)];
  head(h);
  writeFileSync(state, `${JSON.stringify(h)}${snapshot.slice(at)}`);
}

/** Files saved within the last second are compared by content, and seeds saved then keep no snapshot: let them age. */
const settle = () => new Promise((r) => setTimeout(r, 1100));

describe('compile snapshot (target/.compile-state): an unchanged project is not compiled again', () => {
  /** The project without its model that renders {{invocation_id}} (a compile of such a project is its run's own). */
  const same = { ...files, 'models/other.sql': 'select {{> cents column="2"}} as two\n' };

  /** A compile that keeps a snapshot, the marker planted, `change`, then a compile that must not reuse it and equals a cold one. */
  async function afterChange(q: TestProject, change: (() => void) | undefined, args: string[] = [], head?: (h: Record<string, unknown>) => void): Promise<Record<string, string>> {
    // What the last step wrote must be older than the snapshot's racy window, or the compile keeps no snapshot
    // (how long the steps take depends on the machine's load).
    await settle();
    expect((await q.run('compile', '--no-cache')).code).toBe(0);
    expect((await q.run('compile')).code).toBe(0);
    plantStale(q.dir, head);
    change?.();
    const out = await expectSameAsCold(q, ...args);
    expect(out['manifest.json']).not.toContain(STALE);
    return out;
  }

  it('reuses the last compile of an unchanged project, and compiles again after every kind of change, as a cold compile does', async () => {
    p = testProject(same);
    await settle();
    const first = await p.run('compile');
    expect(first.code).toBe(0);
    expect(existsSync(join(p.dir, 'target/.compile-state'))).toBe(true);
    // Nothing changed: the snapshot is reused (the planted marker stays), with the same output; only the stamps change.
    plantStale(p.dir);
    const stamp = () => (JSON.parse(readFileSync(join(p!.dir, 'target/manifest.json'), 'utf8')) as { metadata: { invocation_id: string } }).metadata.invocation_id;
    const before = stamp();
    const again = await p.run('compile');
    expect(again.code).toBe(0);
    expect(again.stdout.replace(/in [\d.]+s/, '')).toBe(first.stdout.replace(/in [\d.]+s/, ''));
    expect(readFileSync(join(p.dir, 'target/manifest.json'), 'utf8')).toContain(STALE);
    expect(stamp()).not.toBe(before);

    const q = p;
    expect((await afterChange(q, () => q.write('models/stg_orders.sql', files['models/stg_orders.sql'].replace('select id', 'select id, 1 as one'))))['compiled/models/stg_orders.sql']).toContain('1 as one');
    // The same size, and the modification time set back: the change time (ctime) still moved.
    const model = join(q.dir, 'models/stg_orders.sql');
    const past = new Date(Math.floor(Date.now() / 1000) * 1000 - 3_600_000); // whole seconds: set back exactly
    utimesSync(model, past, past);
    await settle();
    expect((await afterChange(q, () => (q.write('models/stg_orders.sql', readFileSync(model, 'utf8').replace('1 as one', '2 as one')), utimesSync(model, past, past))))['compiled/models/stg_orders.sql']).toContain('2 as one');
    expect(statSync(model).mtimeMs).toBe(past.getTime());
    // Only the times changed: the same result.
    expect((await afterChange(q, () => utimesSync(model, new Date(), new Date(Date.now() + 60_000))))['compiled/models/stg_orders.sql']).toContain('2 as one');
    expect((await afterChange(q, () => q.write('models/props.yml', files['models/props.yml'].replace('      - name: id\n', '      - name: id\n        description: the key\n'))))['manifest.json']).toContain('"the key"');
    expect((await afterChange(q, () => q.write('macros/cents.sql', '({{column}} / 1000.0)')))['compiled/models/other.sql']).toContain('/ 1000.0');
    expect((await afterChange(q, undefined, ['--vars', '{rate: 7}']))['compiled/models/stg_orders.sql']).toContain('7 as rate');
    expect((await afterChange(q, () => q.write('project.yml', files['project.yml'].replace('rate: 3', 'rate: 4'))))['compiled/models/stg_orders.sql']).toContain('4 as rate');
    expect((await afterChange(q, () => q.write('profiles/profiles.yml', files['profiles/profiles.yml'].replace('threads: 2', 'threads: 3'))))['manifest.json']).toContain('"threads":3');
    expect((await afterChange(q, undefined, ['--target', 'ci']))['compiled/models/stg_orders.sql']).toContain('"ci"');
    expect((await afterChange(q, undefined, ['--empty']))['compiled/models/stg_orders.sql']).toMatch(/limit 0|where false/i);
    const seedSum = (out: Record<string, string>) => (JSON.parse(out['manifest.json']) as { nodes: Record<string, { checksum: { checksum: string } }> }).nodes['seed.raw_orders'].checksum.checksum;
    const seeded = await afterChange(q, () => q.write('seeds/raw_orders.csv', 'id,amount\n1,3000\n'));
    await settle(); // a seed saved this second keeps no snapshot (on a fast machine the next compile is within it)
    expect(seedSum(seeded)).not.toBe(seedSum(await afterChange(q, () => q.write('seeds/raw_orders.csv', 'id,amount\n2,3000\n'))));
    await settle();
    expect(Object.keys(await afterChange(q, () => q.write('models/added.sql', 'select 42 as answer\n')))).toContain('compiled/models/added.sql');
    const renamed = await afterChange(q, () => renameSync(join(q.dir, 'models/added.sql'), join(q.dir, 'models/renamed.sql')));
    expect(Object.keys(renamed)).toContain('compiled/models/renamed.sql');
    expect(Object.keys(renamed)).not.toContain('compiled/models/added.sql');
    expect(Object.keys(await afterChange(q, () => rmSync(join(q.dir, 'models/renamed.sql'))))).not.toContain('compiled/models/renamed.sql');
    // A compiled file removed by hand is written again.
    expect(Object.keys(await afterChange(q, () => rmSync(join(q.dir, 'target/compiled/models/other.sql'))))).toContain('compiled/models/other.sql');
    // Another eider or DuckDB wrote the snapshot (simulated): not reused.
    await afterChange(q, undefined, [], (h) => (h.eider = '0.0.1'));
    await afterChange(q, undefined, [], (h) => (h.duckdb = '0.0.1'));
    // Another command rewrote manifest.json (here a compile without the cache): not reused.
    expect((await q.run('compile')).code).toBe(0);
    plantStale(q.dir);
    expect((await q.run('parse')).code).toBe(0);
    expect((await q.run('compile')).code).toBe(0);
    expect(readFileSync(join(q.dir, 'target/manifest.json'), 'utf8')).not.toContain(STALE);
  }, 180_000);

  it('keeps no snapshot of a compile that renders {{invocation_id}}, runs JavaScript, reads the environment, or selects nodes', async () => {
    p = testProject(files);
    await settle();
    expect((await p.run('compile')).code).toBe(0);
    expect(existsSync(join(p.dir, 'target/.compile-state'))).toBe(false);
    p.remove();
    p = testProject({ ...same, 'macros/fmt.mjs': 'export function shout(s) { return String(s).toUpperCase(); }\n', 'models/loud.sql': "select '{{shout \"a\"}}' as x\n" });
    await settle();
    expect((await p.run('compile')).code).toBe(0);
    expect(existsSync(join(p.dir, 'target/.compile-state'))).toBe(false);
    rmSync(join(p.dir, 'macros/fmt.mjs'));
    rmSync(join(p.dir, 'models/loud.sql'));
    p.write('models/env.sql', "select '{{env \"EIDER_TEST_REGION\" \"eu\"}}' as region\n");
    expect((await p.runWith({ EIDER_TEST_REGION: 'us-west' }, 'compile')).code).toBe(0);
    expect(existsSync(join(p.dir, 'target/.compile-state'))).toBe(false);
    rmSync(join(p.dir, 'models/env.sql'));
    expect((await p.run('compile', '-s', 'fct')).code).toBe(0);
    expect(existsSync(join(p.dir, 'target/.compile-state'))).toBe(false);
  }, 60_000);
});

describe('what compile loads', () => {
  it('loads DuckDB only to parse statements no earlier compile has checked', async () => {
    p = testProject({ ...files, 'models/other.sql': 'select {{> cents column="2"}} as two\n' }); // no SQL of its run's own
    // A hook in the eider process that says when DuckDB's native bindings are loaded (by the library's bundle or package).
    p.write('hook.cjs', "const M = require('module'); const load = M._load; M._load = function (r, ...a) { if (r === '@duckdb/node-bindings') process.stderr.write('duckdb loaded\\n'); return load.call(this, r, ...a); };\n");
    const compile = (...args: string[]) => p!.runWith({ NODE_OPTIONS: `--require ${join(p!.dir, 'hook.cjs')}` }, 'compile', ...args);
    const first = await compile();
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('duckdb loaded'); // new statements: parsed by DuckDB
    const again = await compile('--no-cache'); // compiled again, every statement known
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
    p.write('models/added.sql', 'select 42 as answer\n');
    expect((await compile()).stderr).toContain('duckdb loaded');
  }, 60_000);
});

describe('target/compiled', () => {
  it('writes a compiled file again when a user deleted it, leaves unchanged ones alone, and skips hidden folders in models/', async () => {
    p = testProject({ ...files, 'models/.scratch/draft.sql': 'select * from nowhere_at_all\n', 'models/sub/.hidden.sql': 'select 1 as x\n' });
    expect((await p.run('compile', '--no-cache')).code).toBe(0);
    const compiled = (rel: string) => join(p!.dir, 'target/compiled', rel);
    expect(existsSync(compiled('models/.scratch/draft.sql')) || existsSync(compiled('models/sub/.hidden.sql'))).toBe(false);
    const before = statSync(compiled('models/fct.sql')).mtimeMs;
    rmSync(compiled('models/stg_orders.sql'));
    await new Promise((r) => setTimeout(r, 20));
    expect((await p.run('compile', '--no-cache')).code).toBe(0);
    expect(readFileSync(compiled('models/stg_orders.sql'), 'utf8')).toContain('/ 100.0)');
    expect(statSync(compiled('models/fct.sql')).mtimeMs).toBe(before);
  }, 60_000);

  it('finds models and seeds under folders written with a trailing slash or ./ in project.yml paths:', async () => {
    p = testProject({
      'project.yml': 'name: t\npaths: {models: "src/models/", seeds: "./data//", tests: checks/}\n',
      'data/raw/people.csv': 'id\n1\n2\n',
      'src/models/staging/deep/people_v.sql': 'select * from {{ref "people"}}',
      'checks/one.sql': 'select * from {{ref "people_v"}} where id > 2',
    });
    const r = await p.run('build');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Finished in [\d.]+s: 2 OK, 1 PASS/);
    expect(existsSync(join(p.dir, 'target/compiled/src/models/staging/deep/people_v.sql'))).toBe(true);
  }, 60_000);
});
