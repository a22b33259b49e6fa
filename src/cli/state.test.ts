import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

// raw_orders → stg_orders (partial cents, helper upper) → fct (var country) → rpt; other stands alone.
const project = {
  'project.yml': 'name: t\nvars:\n  country: IN\nmodels:\n  marts:\n    materialized: table\n',
  'profiles/profiles.yml':
    't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n      schema: analytics\n    ci:\n      path: warehouse/ci.duckdb\n      schema: ci_pr_7\n',
  'seeds/raw_orders.csv': 'id,amount_paise\n1,1000\n2,2500\n',
  'macros/cents.sql': '({{column}} / 100.0)',
  'macros/text.js': 'export function shout(s) { return String(s).toUpperCase(); }\n',
  'models/staging/stg_orders.sql': '{{config materialized="view"}}\nselect id, {{> cents column="amount_paise"}} as amount, \'{{shout "x"}}\' as tag from {{ref "raw_orders"}}\n',
  'models/marts/fct.sql': 'select *, \'{{var "country"}}\' as country, \'{{target.name}}\' as built_in from {{ref "stg_orders"}}\n',
  'models/marts/rpt.sql': 'select count(*) as n from {{ref "fct"}}\n',
  'models/other.sql': 'select 3 as id\n',
  'models/schema.yml': 'models:\n  - name: other\n    description: a constant\n    config:\n      tags: [misc]\n',
};

/** Compiles the project as it is into state/ (a copy of target/, as CI would download production's). */
async function saveState(...args: string[]): Promise<void> {
  const r = await p!.run('compile', ...args);
  expect(r.stderr).toBe('');
  cpSync(join(p!.dir, 'target'), join(p!.dir, 'state'), { recursive: true });
}

async function ls(...args: string[]): Promise<string[]> {
  const r = await p!.run('ls', '--state', 'state', ...args);
  expect(r.code).toBe(0);
  return r.stdout.trim().split('\n').filter(Boolean);
}

const edit = (path: string, f: (text: string) => string) => writeFileSync(join(p!.dir, path), f(readFileSync(join(p!.dir, path), 'utf8')));

describe('state:modified and state:new against --state DIR', () => {
  it('selects nothing when nothing changed, even against a state compiled for another target', async () => {
    p = testProject(project);
    await saveState('--target', 'prod');
    const r = await p.run('ls', '-s', 'state:modified', '--state', 'state', '--target', 'ci');
    expect(r).toMatchObject({ code: 0, stdout: '' });
    expect(r.stderr).toMatch(/matched nothing/);
    expect(await ls('-s', 'state:new', '--target', 'ci')).toEqual([]);
  });

  it('a changed model body selects it, and + its children', async () => {
    p = testProject(project);
    await saveState();
    edit('models/staging/stg_orders.sql', (t) => t.replace('select id,', 'select id, 1 as one,'));
    expect(await ls('-s', 'state:modified')).toEqual(['stg_orders']);
    expect(await ls('-s', 'state:modified+')).toEqual(['stg_orders', 'fct', 'rpt']);
    expect(await ls('-s', 'state:modified.body')).toEqual(['stg_orders']);
    expect(await ls('-s', 'state:modified.configs')).toEqual([]);
    expect(await ls('-s', '+state:modified')).toEqual(['raw_orders', 'stg_orders']);
    expect(await ls('-s', '@state:modified')).toEqual(['raw_orders', 'stg_orders', 'fct', 'rpt']);
    expect(await ls('-s', 'state:modified+,config.materialized:table')).toEqual(['fct', 'rpt']);
    expect(await ls('-s', 'state:modified+', '--exclude', 'rpt')).toEqual(['stg_orders', 'fct']);
  });

  it('a config changed in YAML is modified; one moved between file and YAML, or a default spelled out, is not', async () => {
    p = testProject(project);
    await saveState();
    // stg_orders: materialized view moves from the file to its properties; rpt writes its folder's default itself.
    edit('models/staging/stg_orders.sql', (t) => t.replace('{{config materialized="view"}}\n', ''));
    edit('models/schema.yml', (t) => `${t}  - name: stg_orders\n    config:\n      materialized: view\n`);
    edit('models/marts/rpt.sql', (t) => `{{config materialized="table"}}\n${t}`);
    expect(await ls('-s', 'state:modified')).toEqual([]);
    edit('models/schema.yml', (t) => t.replace('tags: [misc]', 'tags: [misc, daily]'));
    expect(await ls('-s', 'state:modified')).toEqual(['other']);
    expect(await ls('-s', 'state:modified.configs')).toEqual(['other']);
    expect(await ls('-s', 'state:modified.body')).toEqual([]);
    edit('models/schema.yml', (t) => t.replace('a constant', 'the constant three'));
    expect(await ls('-s', 'state:modified.properties')).toEqual(['other']);
  });

  it('a changed partial or helper selects the models that use it (state:modified.macros)', async () => {
    p = testProject(project);
    await saveState();
    edit('macros/cents.sql', () => '({{column}} / 100.00)');
    expect(await ls('-s', 'state:modified+')).toEqual(['stg_orders', 'fct', 'rpt']);
    expect(await ls('-s', 'state:modified.macros')).toEqual(['stg_orders']);
    expect(await ls('-s', 'state:modified.body')).toEqual([]);
    edit('macros/cents.sql', () => '({{column}} / 100.0)');
    edit('macros/text.js', (t) => t.replace('toUpperCase', 'toLowerCase'));
    expect(await ls('-s', 'state:modified.macros')).toEqual(['stg_orders']);
  });

  it('a var a model reads, given another value, selects it (state:modified.vars)', async () => {
    p = testProject(project);
    await saveState();
    expect(await ls('-s', 'state:modified', '--vars', '{country: IN}')).toEqual([]);
    expect(await ls('-s', 'state:modified+', '--vars', '{country: US}')).toEqual(['fct', 'rpt']);
    expect(await ls('-s', 'state:modified.vars', '--vars', '{country: US}')).toEqual(['fct']);
    expect(JSON.stringify(JSON.parse(readFileSync(join(p.dir, 'state/manifest.json'), 'utf8')).nodes['model.fct'].vars)).not.toMatch(/IN/);
  });

  it("a seed's changed CSV selects it and what reads it", async () => {
    p = testProject(project);
    await saveState();
    edit('seeds/raw_orders.csv', (t) => `${t}3,4000\n`);
    expect(await ls('-s', 'state:modified')).toEqual(['raw_orders']);
    expect(await ls('-s', 'state:modified+')).toEqual(['raw_orders', 'stg_orders', 'fct', 'rpt']);
  });

  it('a new model is state:new and state:modified; a removed one selects nothing', async () => {
    p = testProject(project);
    await saveState();
    p.write('models/marts/fresh.sql', 'select * from {{ref "fct"}}\n');
    rmSync(join(p.dir, 'models/other.sql'));
    edit('models/schema.yml', () => 'models: []\n');
    expect(await ls('-s', 'state:new')).toEqual(['fresh']);
    expect(await ls('-s', 'state:modified')).toEqual(['fresh']);
    expect(await ls('-s', 'state:modified', '--exclude', 'state:new')).toEqual([]);
  });

  it('build -s state:modified+ builds only the changed model and its children', async () => {
    p = testProject(project);
    expect((await p.run('build')).code).toBe(0);
    cpSync(join(p.dir, 'target'), join(p.dir, 'state'), { recursive: true });
    edit('models/marts/fct.sql', (t) => t.replace('select *,', 'select *, 2 as two,'));
    const r = await p.run('build', '-s', 'state:modified+', '--state', 'state');
    expect(r.code).toBe(0);
    expect(r.stdout.match(/OK created \S+ \S+/g)).toEqual(['OK created table main.fct', 'OK created table main.rpt']);
    expect(await p.query('select two from main.fct limit 1')).toEqual([{ two: 2 }]);
  });

  it('command-line mistakes: state: without --state, a missing folder, another schema version, an unknown method', async () => {
    p = testProject(project);
    const without = await p.run('ls', '-s', 'state:modified');
    expect(without.code).toBe(2);
    expect(without.stderr.trim()).toBe('--select: state:modified needs --state DIR, the target/ folder of an earlier run (e.g. a copy of production\'s)');
    const missing = await p.run('build', '-s', 'state:modified', '--state', 'nowhere');
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/--state nowhere: no such folder/);
    await saveState();
    const m = JSON.parse(readFileSync(join(p.dir, 'state/manifest.json'), 'utf8'));
    writeFileSync(join(p.dir, 'state/manifest.json'), JSON.stringify({ ...m, metadata: { ...m.metadata, schema_version: 'https://eider.dev/schemas/manifest/v1.json' } }));
    const old = await p.run('run', '-s', 'state:modified', '--state', 'state');
    expect(old.code).toBe(2);
    expect(old.stderr.trim().split('\n')).toHaveLength(1);
    expect(old.stderr).toMatch(/manifest\.json has schema version "https:\/\/eider\.dev\/schemas\/manifest\/v1\.json", this eider reads .*v2\.json/);
    // The right schema version, but not a whole manifest (a truncated copy): one message, not a crash.
    writeFileSync(join(p.dir, 'state/manifest.json'), JSON.stringify({ metadata: m.metadata }));
    const torn = await p.run('build', '-s', 'state:modified', '--state', 'state');
    expect(torn.code).toBe(2);
    expect(torn.stderr.trim()).toMatch(/^state\/manifest\.json: --state: manifest\.json is not a whole eider manifest \(its "target" is missing or malformed\)/);
    writeFileSync(join(p.dir, 'state/manifest.json'), JSON.stringify({ metadata: m.metadata, target: m.target }));
    expect((await p.run('ls', '-s', 'state:modified', '--state', 'state')).stderr).toMatch(/its "nodes" is missing or malformed/);
    expect((await p.run('build')).code).toBe(0); // a run_results.json to take the metadata of
    for (const [body, bad] of [[{}, 'command'], [{ command: 'build' }, 'target'], [{ command: 'build', target: 'dev' }, 'results'], [{ command: 'build', target: 'dev', results: [{ unique_id: 'model.x' }] }, 'results']] as const) {
      const r0 = JSON.parse(readFileSync(join(p.dir, 'target/run_results.json'), 'utf8'));
      writeFileSync(join(p.dir, 'state/run_results.json'), JSON.stringify({ metadata: r0.metadata, ...body }));
      for (const args of [['ls', '-s', 'result:error', '--state', 'state'], ['retry', '--state', 'state']]) {
        const r = await p.run(...args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr.trim()).toMatch(new RegExp(`run_results\\.json is not a whole eider run result \\(its "${bad}" is missing or malformed\\)`));
        expect(r.stderr).not.toMatch(/\n\s+at |Cannot read properties/);
      }
    }
    cpSync(join(p.dir, 'target/manifest.json'), join(p.dir, 'state/manifest.json'));
    const unknown = await p.run('ls', '-s', 'state:modifed', '--state', 'state');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown state method "state:modifed".*did you mean "modified"/i);
  });
});
