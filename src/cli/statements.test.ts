import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { queryFile, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const PROFILES = 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n';
const tables = async (path: string) => (await queryFile(path, `select table_name as n from information_schema.tables where table_schema = 'main' order by 1`)).map((r) => r.n);

describe('a model executes exactly one statement, in every command', () => {
  it('build refuses a model with a second statement, runs nothing and publishes nothing', async () => {
    p = testProject({
      'profiles/profiles.yml': PROFILES,
      'models/keep.sql': '{{config materialized="table"}}\nselect 1 as id\n',
      'models/m.sql': '{{config materialized="table"}}\nselect 2 as id',
    });
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    p.write('models/m.sql', '{{config materialized="table"}}\nselect id from {{ref "keep"}};\ndrop table keep');
    for (const cmd of ['build', 'run']) {
      const r = await p.run(cmd, '--target', 'prod');
      expect(r.stderr).toMatch(/^models\/m\.sql:\d+: expected one statement, found 2/m);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.code).toBe(2);
      expect(await tables(join(p.dir, 'warehouse/prod.duckdb'))).toEqual(['keep', 'm']);
    }
  });

  it('a --vars value holding a quote cannot add a statement', async () => {
    p = testProject({
      'models/keep.sql': '{{config materialized="table"}}\nselect 1 as id\n',
      'models/m.sql': `{{config materialized="table"}}\nselect '{{var "label" "x"}}' as label from {{ref "keep"}}\n`,
    });
    expect((await p.run('build')).code).toBe(0);
    const r = await p.run('build', '--vars', `{label: "x'; drop table keep; select '"}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\/m\.sql:\d+: expected one statement, found 3/);
    expect(await tables(p.db)).toEqual(['keep', 'm']);
  });

  it('a value that breaks out of the parentheses eider wraps a model in runs nothing: the node fails, others build', async () => {
    p = testProject({
      'models/keep_me.sql': '{{config materialized="table"}}\nselect 1 as id\n',
      'models/other.sql': '{{config materialized="table"}}\nselect 2 as id\n',
      'models/x.sql': `{{config materialized="external" location="x.csv" format="csv"}}\nselect * from {{ref "keep_me"}} where '{{var "x" "ok"}}' = 'ok'\n`,
    });
    expect((await p.run('build')).code).toBe(0);
    const r = await p.run('build', '--vars', `{x: "a' = 'a') to 'pwned.csv'; drop table main.keep_me; copy (select 'b"}`);
    expect(r.stdout).toMatch(/ERROR external main\.x/);
    expect(r.stdout).toMatch(/models\/x\.sql:\d+: Parser Error/);
    expect(r.stdout).toMatch(/OK created table main\.other/);
    expect(r.code).toBe(1);
    expect(await tables(p.db)).toEqual(['keep_me', 'other', 'x']);
    expect(existsSync(join(p.dir, 'pwned.csv'))).toBe(false);
  });

  it('a model, test or hook with no statement (empty, or only comments) is refused by name in compile and build, not "Error in native callback"', async () => {
    p = testProject({
      'models/keep.sql': '{{config materialized="table"}}\nselect 1 as id\n',
      'models/blank.sql': '-- to do\n',
      'models/nothing.sql': '',
      'tests/t.sql': '{{!-- a comment only --}}\n',
    });
    for (const cmd of ['compile', 'build']) {
      const r = await p.run(cmd);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^models\/blank\.sql:1: expected one statement, found none \(the text is empty or only comments\)$/m);
      expect(r.stderr).toMatch(/^models\/nothing\.sql:1: expected one statement, found none/m);
      expect(r.stderr).toMatch(/^tests\/t\.sql:1: expected one statement, found none/m);
      expect(r.stdout + r.stderr).not.toMatch(/native callback|\n\s+at /);
    }
    expect(existsSync(p.db)).toBe(false);
  });

  it("a final ';' is allowed everywhere: tables, ephemeral models, tests, unit tests, show and --inline all run it", async () => {
    p = testProject({
      'models/a.sql': "{{config materialized='table'}}\nselect 1 as id, ';' as s; -- the end\n",
      'models/e.sql': "{{config materialized='ephemeral'}}\nselect id + 1 as id from {{ref 'a'}};\n",
      'models/b.sql': "{{config materialized='table'}}\nselect id from {{ref 'e'}};",
      'tests/t.sql': "select * from {{ref 'b'}} where id <> 2;\n",
      'models/c.sql': "{{config materialized='table'}}\nselect id * 2 as id from {{ref 'a'}};\n",
      'tests/c.yml': 'unit_tests:\n  - name: c_doubles\n    model: c\n    given:\n      - input: ref("a")\n        rows: [{id: 5}]\n    expect:\n      rows: [{id: 10}]\n',
    });
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/PASS test t /);
    expect(r.stdout).toMatch(/PASS unit test c_doubles/);
    expect(r.code).toBe(0);
    expect(await p.query('select (select s from a) as s, (select id from b) as id')).toEqual([{ s: ';', id: 2 }]);
    for (const args of [['-s', 'b'], ['-s', 'e'], ['--inline', "select id from {{ref 'a'}};"]]) {
      const shown = await p.run('show', ...args, '--output', 'csv');
      expect(shown.stderr, args.join(' ')).toBe('reading warehouse/dev.duckdb (target dev, read-only)\n');
      expect(shown.code, args.join(' ')).toBe(0);
    }
  });

  it('tests and hooks are held to the same rule', async () => {
    p = testProject({
      'models/keep.sql': '{{config materialized="table" post_hook="select 1; drop table keep"}}\nselect 1 as id\n',
      'tests/t.sql': 'select * from {{ref "keep"}} where id < 0; drop table keep\n',
    });
    const r = await p.run('build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^tests\/t\.sql:\d+: expected one statement, found 2/m);
    expect(r.stderr).toMatch(/^models\/keep\.sql:\d+: post_hook: expected one statement, found 2/m);
  });

  it('statements once parsed are remembered in target/ (never one holding a secret), and a changed one is parsed again and refused', async () => {
    p = testProject({
      'models/a.sql': '{{config materialized="table"}}\nselect 1 as id',
      'models/s.sql': `select '{{env "EIDER_T_SECRET"}}' as s`,
    });
    const env = { EIDER_T_SECRET: 'canary-secret-value' };
    expect((await p.runWith(env, 'build')).code).toBe(0);
    const known = () => readFileSync(join(p!.dir, 'target/.parsed-statements'), 'utf8').split('\n');
    expect(known()).toHaveLength(1); // a's query; s's holds the secret
    expect((await p.runWith(env, 'build')).code).toBe(0);
    expect(known()).toHaveLength(1);
    p.write('models/a.sql', '{{config materialized="table"}}\nselect 2 as id;\ndrop table s');
    const r = await p.runWith(env, 'build');
    expect(r.stderr).toMatch(/^models\/a\.sql:\d+: expected one statement, found 2/m);
    expect(r.code).toBe(2);
    expect(await p.query('select id from a')).toEqual([{ id: 1 }]);
  });
});
