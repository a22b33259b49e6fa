import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const profile = (extra: string) => `t:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      threads: 3\n${extra}`;

describe("a target's schema", () => {
  it('is the default schema of models and seeds without one of their own; a node\'s own schema wins', async () => {
    p = testProject({
      'profiles/profiles.yml': profile('      schema: analytics\n'),
      'seeds/codes.csv': 'code\nA\n',
      'models/plain.sql': 'select * from {{ref "codes"}}',
      'models/staged.sql': '{{config schema="staging"}}\nselect 1 as id',
      'models/ctx.sql': [
        '{{config materialized="table" alias="ctx_table"}}',
        "select '{{target.name}}' as target_name, {{target.threads}} as threads, '{{target.schema}}' as target_schema,",
        "  '{{this.schema}}' as this_schema, '{{this.name}}' as this_name, '{{this.identifier}}' as this_identifier, '{{this}}' as this_sql",
      ].join('\n'),
    });
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK created view analytics\.plain/);
    expect(r.stdout).toMatch(/OK created view staging\.staged/);
    expect(await p.query('select * from analytics.codes')).toEqual([{ code: 'A' }]);
    expect(await p.query('select * from analytics.ctx_table')).toEqual([
      { target_name: 'dev', threads: 3, target_schema: 'analytics', this_schema: 'analytics', this_name: 'ctx_table', this_identifier: 'ctx_table', this_sql: '"analytics"."ctx_table"' },
    ]);
  });

  it('is main when the target names none', async () => {
    p = testProject({ 'models/a.sql': "select '{{target.schema}}' as s, '{{this.schema}}' as t" });
    expect((await p.run('build')).code).toBe(0);
    expect(await p.query('select * from main.a')).toEqual([{ s: 'main', t: 'main' }]);
  });

  it('must be a non-empty string', async () => {
    p = testProject({ 'profiles/profiles.yml': profile("      schema: ''\n"), 'models/a.sql': 'select 1' });
    const r = await p.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/profiles\/profiles\.yml:7: schema must be a non-empty string/);
  });
});

describe('unknown names of target and this', () => {
  for (const [name, text, line] of [
    ['target.bogus', 'select 1 as a,\n  {{target.bogus}} as b', 2],
    ['this.bogus', 'select 1 as a\n\n  -- {{this.bogus}}', 3],
    ['target.nope', 'select 1 as a, {{#if target.nope}}1{{/if}} as b', 1],
  ] as const) {
    it(`{{${name}}} is an error at its line`, async () => {
      p = testProject({ 'models/a.sql': text });
      const r = await p.run('compile');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^models/a\\.sql:${line}: unknown name "(target|this)\\.(bogus|nope)"`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe('target.path', () => {
  it('stays secret when the profile reads it from the environment', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: "{{env "EIDER_TEST_PATH"}}"\n',
      'models/a.sql': "select '{{target.path}}' as p",
    });
    const env = { EIDER_TEST_PATH: './warehouse/../warehouse/canary-path-41.duckdb' };
    const outputs = [await p.runWith(env, 'build'), await p.runWith(env, 'compile'), await p.runWith(env, 'debug')];
    for (const o of outputs) {
      expect(o.code, o.stderr).toBe(0);
      expect(o.stdout + o.stderr).not.toContain('canary-path');
    }
    const files = readdirSync(join(p.dir, 'target'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    for (const f of files) expect(readFileSync(join(f.parentPath, f.name), 'utf8'), f.name).not.toContain('canary-path');
    const { queryFile } = await import('../test-support/project.js');
    expect(await queryFile(join(p.dir, 'warehouse/canary-path-41.duckdb'), 'select p from main.a')).toEqual([{ p: join(p.dir, 'warehouse/canary-path-41.duckdb') }]);
  });
});
