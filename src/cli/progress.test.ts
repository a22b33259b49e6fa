import { afterEach, describe, expect, it } from 'vitest';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { testProject, type TestProject } from '../test-support/project.js';
import { runInTerminal, screen } from '../test-support/terminal.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

/** A slow table, a fast one and a view on the slow one. */
const PROJECT = {
  'models/slow.sql': '{{config materialized="table"}}\nselect count(*) as n from range(300000000) t(x) where x % 7 = 1',
  'models/fast.sql': '{{config materialized="table"}}\nselect 1 as x',
  'models/after.sql': 'select * from {{ref "slow"}}',
};

/** Lines of the progress area: the counts line and a running node's line. */
const AREA = /\d+\/\d+ done · \d+ running|▸/;

describe('live progress on a terminal', () => {
  it('shows the running nodes with their elapsed time, done/total and (once there is history) an ETA, and leaves no trace', async () => {
    p = testProject(PROJECT);
    const first = await runInTerminal(p.dir, ['build']);
    expect(first.code).toBe(0);
    expect(first.bytes).toMatch(/0\/3 done · 1 running/);
    expect(first.bytes).toMatch(/▸ slow +\d+\.\ds/);
    expect(first.bytes).toMatch(/▸ after \d+\.\ds/);
    // No history yet: no ETA.
    expect(first.bytes).not.toMatch(/ETA/);
    const shown = screen(first.bytes);
    expect(shown.filter((l) => AREA.test(l))).toEqual([]);
    expect(shown.filter((l) => / of 3 OK/.test(l))).toHaveLength(3);
    expect(shown.filter((l) => l !== '').at(-1)).toMatch(/^Finished in [\d.]+s: 3 OK$/);

    // The second build knows how long each node took.
    const second = await runInTerminal(p.dir, ['build']);
    expect(second.code).toBe(0);
    expect(second.bytes).toMatch(/0\/3 done · \d running · ETA (<1s|\d+s|\d+m\d\ds)/);
    expect(screen(second.bytes).filter((l) => AREA.test(l) || /ETA/.test(l))).toEqual([]);
  }, 60_000);

  it('a failed node and a run on only some nodes leave a clean screen too; the history of the others gives the ETA', async () => {
    p = testProject({ ...PROJECT, 'models/bad.sql': "{{config materialized=\"table\"}}\nselect error('boom') as x" });
    expect((await runInTerminal(p.dir, ['build', '-s', 'fast'])).code).toBe(0);
    const r = await runInTerminal(p.dir, ['run']);
    expect(r.code).toBe(1);
    // fast has history: every other node counts its median.
    expect(r.bytes).toMatch(/0\/4 done · \d running · ETA/);
    const shown = screen(r.bytes);
    expect(shown.filter((l) => AREA.test(l))).toEqual([]);
    expect(shown.join('\n')).toMatch(/ERROR table main\.bad .*\n {4}.*boom/);
    expect(shown.filter((l) => l !== '').at(-1)).toMatch(/^Finished in [\d.]+s: 3 OK, 1 ERROR$/);
  }, 60_000);

  it('Ctrl-C erases the area: the interruption lines are intact and nothing of the area is left', async () => {
    p = testProject({ 'models/slow.sql': '{{config materialized="table"}}\nselect count(*) as n from range(100000000000) t(x) where x % 7 = 1' });
    // Ctrl-C once slow has run a second (its query has started: a signal just before it would not stop it).
    const r = await runInTerminal(p.dir, ['build'], {}, /▸ slow +[1-9]\d*\.\ds/);
    expect(r.code).toBe(130);
    const shown = screen(r.bytes);
    expect(shown.filter((l) => AREA.test(l) || l.includes('^C'))).toEqual([]);
    expect(shown).toContain('Interrupted by SIGINT: no new node was started.');
    expect(shown.join('\n')).toMatch(/1 of 1 ERROR table main\.slow/);
  }, 60_000);

  it.each([
    ['NO_COLOR=1', { NO_COLOR: '1' }, []],
    ['CI=true', { CI: 'true' }, []],
    ['TERM=dumb', { TERM: 'dumb' }, []],
    ['--log-format json', {}, ['--log-format', 'json']],
  ])('is off with %s', async (_, env: Record<string, string>, flags: string[]) => {
    p = testProject(PROJECT);
    const r = await runInTerminal(p.dir, ['build', ...flags], env);
    expect(r.code).toBe(0);
    expect(r.bytes).not.toMatch(AREA);
    expect(r.bytes).not.toMatch(/\x1b\[\d*[AJ]/);
    expect(r.bytes).toMatch(flags.length ? /"event":"run_finished"/ : /Finished in/);
  }, 60_000);
});

describe('live progress when the run history cannot be read', () => {
  it('a history table of another shape: a test run still passes without an ETA; a build that fails with an exception leaves a clean screen', async () => {
    p = testProject(PROJECT);
    expect((await p.run('build')).code).toBe(0);
    const adapter = await DuckDbAdapter.open({ path: p.db, threads: 1 });
    await adapter.sessions[0].exec('drop table eider.node_runs; create table eider.node_runs (x integer)');
    await adapter.close();

    const test = await runInTerminal(p.dir, ['test']);
    expect(test.code).toBe(0);
    expect(test.bytes).not.toMatch(/ETA/);

    const build = await runInTerminal(p.dir, ['build']);
    expect(build.code).toBe(1);
    expect(build.bytes).toMatch(/0\/3 done · 1 running/);
    const shown = screen(build.bytes);
    expect(shown.filter((l) => AREA.test(l))).toEqual([]);
    // DuckDB's error (its first line names the table; a hint may follow) ends the output.
    expect(shown.filter((l) => l !== '').slice(-2).join('\n')).toMatch(/^error: .*node_runs.*(\nDid you mean: .*)?$/);
  }, 60_000);
});
