import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
