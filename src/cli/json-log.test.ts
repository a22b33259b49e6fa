import { afterEach, describe, expect, it } from 'vitest';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const SECRET = 'json-log-s3cr3t';

/** Every line of stdout is one JSON object with an event and a time. */
function events(stdout: string): Array<Record<string, unknown>> {
  const lines = stdout.split('\n');
  expect(lines.pop()).toBe('');
  return lines.map((l) => {
    const e = JSON.parse(l) as Record<string, unknown>;
    expect(typeof e.event).toBe('string');
    expect(Number.isNaN(Date.parse(String(e.ts)))).toBe(false);
    return e;
  });
}

describe('--log-format json', () => {
  it('writes one JSON object per event on stdout and nothing else, secrets scrubbed', async () => {
    p = testProject({
      'models/a.sql': '{{config materialized="table"}}\nselect 1 as id union all select 1',
      'models/boom.sql': `{{config materialized="table"}}\nselect * from "{{env "EIDER_LOG_SECRET"}}"`,
      'models/after.sql': 'select * from {{ref "boom"}}',
      'models/schema.yml': 'models:\n  - name: a\n    columns:\n      - name: id\n        tests: [unique]\n',
    });
    const r = await p.runWith({ EIDER_LOG_SECRET: SECRET }, 'build', '--log-format', 'json');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).not.toContain('\x1b[');
    const all = events(r.stdout);
    const invocation = all[0].invocation_id;
    expect(Object.keys(all[0].selected as object).sort()).toEqual(['model', 'seed', 'test', 'unit_test']);
    expect(all[0]).toMatchObject({ event: 'run_started', command: 'build', project: 't', target: 'dev', total: 4, selected: { model: 3, seed: 0, test: 1, unit_test: 0 } });
    expect(all.at(-1)).toMatchObject({ event: 'run_finished', invocation_id: invocation, exit_code: 1, counts: { success: 1, pass: 0, fail: 1, error: 1, skipped: 1, warn: 0 } });
    for (const e of all) expect(e.invocation_id).toBe(invocation);

    const finished = new Map(all.filter((e) => e.event === 'node_finished').map((e) => [e.name, e]));
    expect([...finished.keys()].sort()).toEqual(['a', 'after', 'boom', 'unique_a_id']);
    expect(finished.get('a')).toMatchObject({ unique_id: 'model.a', resource_type: 'model', relation: 'main.a', status: 'success', rows: 2, error: null });
    expect(finished.get('unique_a_id')).toMatchObject({ resource_type: 'test', status: 'fail', failures: 1, failing_rows: { columns: ['unique_field', 'n_records'], rows: [['1', '2']] } });
    expect(finished.get('boom')).toMatchObject({ status: 'error' });
    expect(finished.get('boom')!.error).toContain('*****');
    expect(finished.get('after')).toMatchObject({ status: 'skipped', message: 'skipped: upstream boom did not succeed' });
    for (const e of finished.values()) expect(typeof e.duration_ms).toBe('number');
    // Each node that runs starts before it finishes; a skipped node never starts.
    const started = all.filter((e) => e.event === 'node_started').map((e) => e.unique_id);
    expect([...started].sort()).toEqual(['model.a', 'model.boom', 'test.unique_a_id']);
    for (const id of started) expect(all.findIndex((e) => e.event === 'node_started' && e.unique_id === id)).toBeLessThan(all.findIndex((e) => e.event === 'node_finished' && e.unique_id === id));
  });

  it('reports warnings and mistakes as events too, and ends with run_finished', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id' });
    const nothing = await p.run('run', '--exclude', 'a', '--log-format', 'json');
    expect(nothing.code).toBe(0);
    expect(events(nothing.stdout)).toEqual([
      expect.objectContaining({ event: 'diagnostic', severity: 'warning', message: 'the selection matched nothing: eider run has nothing to do' }),
      expect.objectContaining({ event: 'run_finished', exit_code: 0 }),
    ]);
    p.write('models/b.sql', 'select * from {{ref "nope"}}');
    const wrong = await p.run('build', '--log-format=json');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe('');
    const all = events(wrong.stdout);
    expect(all[0]).toMatchObject({ event: 'diagnostic', severity: 'error', file: 'models/b.sql', line: 1 });
    expect(all.at(-1)).toMatchObject({ event: 'run_finished', exit_code: 2 });
  });

  it('is text by default, and only text or json', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id' });
    expect((await p.run('run')).stdout).toMatch(/^eider .* · t · target dev · 1 node/);
    const bad = await p.run('run', '--log-format', 'xml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--log-format <format>' argument 'xml' is invalid. Allowed choices are text, json/);
  });
});
