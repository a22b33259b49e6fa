import { afterEach, describe, expect, it } from 'vitest';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

/** base → a (broken: reads a column base lacks) → b; ok stands apart. */
function failingProject(): TestProject {
  return testProject({
    'models/base.sql': '{{config materialized="table"}}\nselect 1 as id',
    'models/a.sql': '{{config materialized="table"}}\nselect id, missing from {{ref "base"}}',
    'models/b.sql': '{{config materialized="table"}}\nselect id * 10 as id10 from {{ref "a"}}',
    'models/ok.sql': '{{config materialized="table"}}\nselect 2 as x',
  });
}

const built = (stdout: string) => [...stdout.matchAll(/OK created table main\.(\w+)/g)].map((m) => m[1]).sort();

describe('eider retry', () => {
  it('re-runs exactly what errored and what it skipped, with the last command and target; then has nothing to do', async () => {
    p = failingProject();
    const first = await p.run('build');
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/SKIP table main\.b/);
    p.write('models/a.sql', '{{config materialized="table"}}\nselect id, 5 as missing from {{ref "base"}}');
    const r = await p.run('retry');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Retrying eider build on target dev: the 2 nodes that errored, failed or were skipped\./);
    expect(built(r.stdout)).toEqual(['a', 'b']);
    expect(r.stdout).toMatch(/2 nodes/);
    expect(await p.query('select id10 from b')).toEqual([{ id10: 10 }]);
    // retry's own run wrote run_results.json: everything in it succeeded.
    const again = await p.run('retry');
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('The last eider build (target dev) had no errors, failures or skipped nodes: nothing to retry.');
  });

  it('takes --log-format json and --junit like the command it repeats: stdout is JSON events only', async () => {
    p = failingProject();
    expect((await p.run('build')).code).toBe(1);
    p.write('models/a.sql', '{{config materialized="table"}}\nselect id, 5 as missing from {{ref "base"}}');
    const r = await p.run('retry', '--log-format', 'json', '--junit', 'reports/retry.xml');
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; unique_id?: string; status?: string });
    expect(events.filter((e) => e.event === 'node_finished').map((e) => [e.unique_id, e.status]).sort()).toEqual([
      ['model.a', 'success'],
      ['model.b', 'success'],
    ]);
    expect(events.at(-1)?.event).toBe('run_finished');
    expect(readFileSync(join(p.dir, 'reports/retry.xml'), 'utf8')).toMatch(/<testsuites[^>]* tests="2"/);
    const none = await p.run('retry', '--log-format', 'json');
    expect(none.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { event: string }).event)).toEqual(['message', 'run_finished']);
  });

  it('a failed test is retried and what waited for it; its model, which built, is not', async () => {
    p = testProject({
      'models/a.sql': '{{config materialized="table"}}\nselect 1 as id union all select null',
      'models/a.yml': 'models:\n  - name: a\n    columns:\n      - name: id\n        tests: [not_null]\n',
      'models/b.sql': '{{config materialized="table"}}\nselect * from {{ref "a"}}',
    });
    expect((await p.run('build')).code).toBe(1);
    p.write('models/a.yml', 'models:\n  - name: a\n    columns:\n      - name: id\n        tests: [unique]\n');
    // The test that failed is gone from the project: what remains of the retry is b, which it had skipped.
    const r = await p.run('retry');
    expect(r.code).toBe(0);
    expect(built(r.stdout)).toEqual(['b']);
    expect(r.stdout).not.toMatch(/unique/);
  });

  it('repeats the last command: a failed `run` is retried as a run, a failed `test` as a test', async () => {
    p = testProject({
      'models/a.sql': '{{config materialized="table"}}\nselect null as id',
      'models/a.yml': 'models:\n  - name: a\n    columns:\n      - name: id\n        tests: [not_null]\n',
    });
    expect((await p.run('run')).code).toBe(0);
    const t = await p.run('test');
    expect(t.code).toBe(1);
    p.write('models/a.sql', '{{config materialized="table"}}\nselect 1 as id');
    // The model is not rebuilt by a retried `test`: the test still fails on the old table.
    const r = await p.run('retry');
    expect(r.stdout).toMatch(/Retrying eider test on target dev: the 1 node that/);
    expect(r.stdout).toMatch(/FAIL .*not_null_a_id/);
    expect(r.code).toBe(1);
  });

  it('--state reads run_results.json from another folder; the last run\'s target is used, not the profile\'s default', async () => {
    p = failingProject();
    p.write('profiles/profiles.yml', 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    ci:\n      path: warehouse/ci.duckdb\n');
    expect((await p.run('build', '--target', 'ci')).code).toBe(1);
    cpSync(join(p.dir, 'target'), join(p.dir, 'saved'), { recursive: true });
    rmSync(join(p.dir, 'target'), { recursive: true });
    p.write('models/a.sql', '{{config materialized="table"}}\nselect id, 5 as missing from {{ref "base"}}');
    const r = await p.run('retry', '--state', 'saved');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/target ci · 2 nodes/);
    expect(existsSync(join(p.dir, 'warehouse/dev.duckdb'))).toBe(false);
  });

  it('a swap build that failed published nothing: retry builds all of its nodes again, and publishes', async () => {
    p = failingProject();
    p.write('profiles/profiles.yml', 't:\n  target: prod\n  targets:\n    prod:\n      path: warehouse/prod.duckdb\n');
    expect((await p.run('build')).code).toBe(1);
    p.write('models/a.sql', '{{config materialized="table"}}\nselect id, 5 as missing from {{ref "base"}}');
    const r = await p.run('retry');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/it published nothing, so all 4 of its nodes run again \(2 nodes that errored, failed or were skipped\)/);
    expect(built(r.stdout)).toEqual(['a', 'b', 'base', 'ok']);
    expect(r.stdout).toMatch(/Published release/);
  });

  it('keeps the last run\'s --full-refresh and --empty; asks for --vars again rather than keeping them', async () => {
    p = failingProject();
    expect((await p.run('build', '--vars', '{x: 1}')).code).toBe(1);
    const r = await p.run('retry');
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('eider retry: the last eider build was given --vars, which run_results.json does not keep (they may hold secrets): give them again with --vars');
    expect(JSON.parse(readFileSync(join(p.dir, 'target/run_results.json'), 'utf8')).args).toMatchObject({ full_refresh: false, empty: false, vars_given: true });
    expect((await p.run('build', '--empty')).code).toBe(1);
    p.write('models/a.sql', '{{config materialized="table"}}\nselect id, 5 as missing from {{ref "base"}}');
    const e = await p.run('retry');
    expect(e.code).toBe(0);
    expect(await p.query('select count(*)::int as n from a')).toEqual([{ n: 0 }]);
  });
});

describe('result: selectors', () => {
  it('select what errored, failed, was skipped or succeeded in the last run, with + and intersections', async () => {
    p = failingProject();
    await p.run('build');
    const ls = async (...args: string[]) => (await p!.run('ls', ...args)).stdout.trim().split('\n');
    expect(await ls('-s', 'result:error+')).toEqual(['a', 'b']);
    expect(await ls('-s', 'result:skipped')).toEqual(['b']);
    expect(await ls('-s', 'result:success')).toEqual(['base', 'ok']);
    expect(await ls('-s', '+result:skipped', '--exclude', 'result:error')).toEqual(['base', 'b']);
    expect(await ls('-s', 'result:success,base+')).toEqual(['base']);
    expect(await ls('-s', '@result:error')).toEqual(['base', 'a', 'b']);
  });

  it('--state reads another folder; no run results, or an unknown status, is one line and exit 2', async () => {
    p = failingProject();
    const none = await p.run('ls', '-s', 'result:error');
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe('--select result:error needs the results of an earlier run and there is no target/run_results.json: run eider build (or run, test, seed, snapshot) first, or give --state DIR');
    const retry = await p.run('retry');
    expect(retry.code).toBe(2);
    expect(retry.stderr.trim()).toMatch(/^eider retry needs the results of an earlier run/);
    await p.run('build');
    cpSync(join(p.dir, 'target'), join(p.dir, 'prod-artifacts'), { recursive: true });
    rmSync(join(p.dir, 'target'), { recursive: true });
    const other = await p.run('ls', '-s', 'result:error', '--state', 'prod-artifacts');
    expect(other.stdout.trim()).toBe('a');
    const missing = await p.run('ls', '-s', 'result:error', '--state', 'nowhere');
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const typo = await p.run('ls', '-s', 'result:erorr', '--state', 'prod-artifacts');
    expect(typo.code).toBe(2);
    expect(typo.stderr.trim()).toBe('--select: unknown result status "erorr": one of success, pass, error, fail, warn, skipped (did you mean "error"?)');
  });
});
