import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { holdFile, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
let reader: ChildProcess | undefined;
afterEach(() => {
  reader?.kill('SIGKILL');
  p?.remove();
});

const sources = (events: string, files: string) =>
  [
    'sources:',
    '  - name: app',
    '    schema: raw',
    '    loaded_at_field: "loaded_at + interval 0 minute"',
    `    freshness: ${events}`,
    '    tables:',
    '      - name: events',
    '  - name: drops',
    '    tables:',
    '      - name: files',
    '        path: data/*.csv',
    `        freshness: ${files}`,
    '',
  ].join('\n');

function project(events: string, files: string) {
  const t = testProject({
    'models/sources.yml': sources(events, files),
    'models/uses.sql': 'select count(*) as n from {{source "drops" "files"}}',
    'data/a.csv': 'id\n1\n',
    'data/b.csv': 'id\n2\n',
  });
  return t;
}

async function seedEvents(t: TestProject, hoursAgo: number) {
  // A table source loaded by something outside eider: create it with the DuckDB file's own writer.
  t.write('models/loader.sql', `{{config materialized="table" schema="raw" alias="events"}}\nselect now() - interval ${hoursAgo} hour as loaded_at`);
  expect((await t.run('run', '-s', 'loader')).code).toBe(0);
}

describe('source freshness', () => {
  it('passes, warns and errors by column and by file modification time, and writes sources.json', async () => {
    p = project('{warn_after: {count: 2, period: hour}, error_after: {count: 1, period: day}}', '{warn_after: {count: 1, period: hour}, error_after: {count: 2, period: day}}');
    await seedEvents(p, 3);
    const old = Date.now() / 1000 - 3 * 86400;
    utimesSync(join(p.dir, 'data/a.csv'), old, old);
    utimesSync(join(p.dir, 'data/b.csv'), old + 86400, old + 86400); // the newest file is 2 days old
    const r = await p.run('freshness');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^app\.events +\S+ \S+ +3h 0m +2 hours +1 day +column +WARN$/m);
    expect(r.stdout).toMatch(/^drops\.files +\S+ \S+ +2d 0h +1 hour +2 days +file mtime +ERROR$/m);
    expect(r.stdout).toMatch(/Freshness of 2 nodes: 1 WARN, 1 ERROR/);
    const json = JSON.parse(readFileSync(join(p.dir, 'target/sources.json'), 'utf8'));
    expect(json.metadata.schema_version).toMatch(/sources\/v1/);
    expect(json.results.map((x: { unique_id: string; status: string }) => [x.unique_id, x.status]).sort()).toEqual([
      ['source.app.events', 'warn'],
      ['source.drops.files', 'error'],
    ]);
    // Touching a file makes the file source fresh; warnings alone exit 0.
    utimesSync(join(p.dir, 'data/b.csv'), new Date(), new Date());
    const again = await p.run('freshness', '-s', 'source:drops');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^drops\.files .* PASS$/m);
  });

  it('build --fail-on-stale-sources builds nothing when a source is stale at error level', async () => {
    p = project('{warn_after: {count: 2, period: hour}}', '{error_after: {count: 1, period: hour}}');
    const old = Date.now() / 1000 - 7200;
    utimesSync(join(p.dir, 'data/a.csv'), old, old);
    utimesSync(join(p.dir, 'data/b.csv'), old, old);
    const r = await p.run('build', '--fail-on-stale-sources', '-s', 'uses');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a source is stale at error level \(--fail-on-stale-sources\): nothing was built/);
    expect(existsSync(p.db)).toBe(false);
    utimesSync(join(p.dir, 'data/b.csv'), new Date(), new Date());
    const ok = await p.run('build', '--fail-on-stale-sources', '-s', 'uses');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/OK created view main\.uses/);
  });

  it('retry repeats --fail-on-stale-sources: a source gone stale since the failed build stops the retry', async () => {
    p = project('{warn_after: {count: 2, period: hour}}', '{error_after: {count: 1, period: hour}}');
    p.write('models/broken.sql', 'select missing from {{ref "uses"}}');
    const r = await p.run('build', '--fail-on-stale-sources', '-s', 'uses+');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERROR view main\.broken/);
    expect(JSON.parse(readFileSync(join(p.dir, 'target/run_results.json'), 'utf8')).args).toMatchObject({ fail_on_stale_sources: true });
    p.write('models/broken.sql', 'select n from {{ref "uses"}}');
    const old = Date.now() / 1000 - 7200;
    utimesSync(join(p.dir, 'data/a.csv'), old, old);
    utimesSync(join(p.dir, 'data/b.csv'), old, old);
    const retry = await p.run('retry');
    expect(retry.code).toBe(1);
    expect(retry.stderr).toMatch(/a source is stale at error level \(--fail-on-stale-sources\): nothing was built/);
    expect(retry.stdout).not.toMatch(/created view main\.broken/);
  });

  it('a model freshness SLA is checked against its last successful build, and results are recorded in the target', async () => {
    p = testProject({
      'models/m.sql': '{{config materialized="table"}}\nselect 1 as id',
      'models/m.yml': 'models:\n  - name: m\n    freshness:\n      warn_after: {count: 1, period: hour}\n      error_after: {count: 1, period: day}\n',
    });
    const never = await p.run('freshness');
    expect(never.code).toBe(1);
    expect(never.stdout).toMatch(/^model m +- +- +1 hour +1 day +last build +ERROR$/m);
    expect(never.stdout).toMatch(/no successful build of this model is recorded/);
    expect((await p.run('run')).code).toBe(0);
    const fresh = await p.run('freshness');
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^model m +\S+ \S+ +\d+s +1 hour +1 day +last build +PASS$/m);
    expect(await p.query('select count(*)::int as n from eider.freshness_results')).toEqual([{ n: 1 }]);
    // Move the recorded build two hours back: the SLA now warns.
    const db = await DuckDbAdapter.open({ path: p.db, threads: 1 });
    await db.sessions[0].exec(`update eider.node_runs set started_at = started_at - interval 2 hour`);
    await db.close();
    const stale = await p.run('freshness');
    expect(stale.code).toBe(0);
    expect(stale.stdout).toMatch(/^model m +\S+ \S+ +2h 0m +1 hour +1 day +last build +WARN$/m);
  });

  it('a reader holding the dev file does not block freshness: the results stay in sources.json, with one warning', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      retries: {attempts: 3, backoff_ms: 5000}\n',
      'models/m.sql': '{{config materialized="table"}}\nselect 1 as id',
      'models/m.yml': 'models:\n  - name: m\n    freshness:\n      warn_after: {count: 1, period: hour}\n',
    });
    expect((await p.run('run')).code).toBe(0);
    reader = await holdFile(p.db, 30_000, 'READ_ONLY');
    const t0 = performance.now();
    const r = await p.run('freshness');
    expect(r.stdout).toMatch(/^model m +\S+ \S+ +\d+s +1 hour +- +last build +PASS$/m);
    expect(r.stderr).toMatch(/^warning: warehouse\/dev\.duckdb is open in another process \(.*PID \d+\): these results are in target\/sources\.json but not in eider\.freshness_results$/m);
    expect(r.stderr).not.toMatch(/attempt/);
    expect(r.code).toBe(0);
    expect(performance.now() - t0).toBeLessThan(5000); // no 5 s backoff was waited
    expect(JSON.parse(readFileSync(join(p.dir, 'target/sources.json'), 'utf8')).results[0].status).toBe('pass');
  });

  it('a freshness period that is not a period is an error at its line', async () => {
    p = project('{warn_after: {count: 2, period: fortnight}}', '{error_after: "soon"}');
    const r = await p.run('freshness');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^models\/sources\.yml:5: freshness warn_after period must be one of minute, hour, day, week, month, year, not "fortnight"/m);
    expect(r.stderr).toMatch(/^models\/sources\.yml:12: freshness error_after must be \{count: N, period: minute\|hour\|day\|week\|month\|year\}/m);
  });

  it('a loaded_at_field naming no column is reported at the source table in its YAML', async () => {
    p = project('{warn_after: {count: 2, period: hour}}', '{warn_after: {count: 1, period: day}}');
    await seedEvents(p, 1);
    p.write('models/sources.yml', sources('{warn_after: {count: 2, period: hour}}', '{warn_after: {count: 1, period: day}}').replace('loaded_at + interval 0 minute', 'nosuchcol'));
    const r = await p.run('freshness');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/models\/sources\.yml:7: loaded_at_field nosuchcol: Binder Error: Referenced column "nosuchcol" not found/);
  });
});
