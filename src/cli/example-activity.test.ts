import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import { queryFile, runCli, type CliResult } from '../test-support/project.js';

/**
 * examples/activity, copied to a temporary folder and built with the real CLI. The expected figures are computed
 * here from the generated raw files (the activity types' CSV parsed in JS, the Parquet log read by a DuckDB of the
 * test's own), never from eider's tables, with the cleanup rule applied by hand: an activity stays until its type's
 * retention_days after its day have been past for a day.
 */
const example = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/activity');
const DAY = 86400000;
let dir: string;
let first: CliResult;
let second: CliResult;
let runsAfterFirst: number;
type Activity = { event_id: number; user_id: number; activity_type: string; occurred_at: Date; status: string };
let kept: Activity[];
let all: Activity[];
let categories: Map<string, string>;

const dayOf = (a: Activity) => a.occurred_at.toISOString().slice(0, 10);
const inDays = (a: Activity, from: string, to: string) => dayOf(a) >= from && dayOf(a) <= to;
const activeUsers = (rows: Activity[]) => new Set(rows.filter((a) => categories.get(a.activity_type) !== 'telemetry').map((a) => a.user_id)).size;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eider-example-activity-'));
  for (const part of ['project.yml', 'profiles', 'models', 'seeds', 'data', 'tests']) cpSync(join(example, part), join(dir, part), { recursive: true });
  const [header, ...lines] = readFileSync(join(dir, 'seeds/activity_types.csv'), 'utf8').trimEnd().split('\n');
  const types = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [header.split(',')[i], v])));
  categories = new Map(types.map((t) => [t.activity_type, t.category]));
  const retention = new Map(types.map((t) => [t.activity_type, Number(t.retention_days)]));
  const db = await (await DuckDBInstance.create()).connect();
  all = (await db.runAndReadAll(`select event_id::int as event_id, user_id, activity_type, occurred_at, status from read_parquet('${join(dir, 'data/raw/activity_log.parquet')}')`)).getRowObjectsJS() as Activity[];
  kept = all.filter((a) => Math.floor(a.occurred_at.getTime() / DAY) * DAY + retention.get(a.activity_type)! * DAY >= Date.now());
  first = await runCli(dir, ['build']);
  runsAfterFirst = ((await queryFile(join(dir, 'warehouse/dev.duckdb'), 'select count(*)::int as n from health.health_model_runs'))[0].n as number);
  second = await runCli(dir, ['build']);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const q = (sql: string) => queryFile(join(dir, 'warehouse/dev.duckdb'), sql);

describe('the activity example project', () => {
  it('builds and tests green twice, unit tests included', async () => {
    for (const r of [first, second]) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).not.toMatch(/WARN|FAIL|ERROR|SKIP/);
    }
    expect(first.stdout).toMatch(/PASS unit test active_users_today_this_week_and_rolling/);
    expect(first.stdout).toMatch(/PASS test assert_no_activity_past_retention/);
    expect((await runCli(dir, ['test'])).code).toBe(0);
  });

  it('cleans up the activities past their retention (the heartbeats) and keeps the rest', async () => {
    expect(kept.length).toBeLessThan(all.length);
    expect(first.stdout).toContain(`${all.length.toLocaleString('en-US')} rows, ${(all.length - kept.length).toLocaleString('en-US')} expired`);
    const [n] = await q(`select count(*)::int as n, count(*) filter (activity_type = 'heartbeat')::int as heartbeats from facts.fct_activity`);
    expect(n).toEqual({ n: kept.length, heartbeats: kept.filter((a) => a.activity_type === 'heartbeat').length });
  });

  it('counts active users today, this week and over 28 days, and error rates, as the raw log says', async () => {
    const [u] = await q('select active_today::int as today, active_this_week::int as week, active_28d::int as d28 from marts.mart_active_users');
    expect(u).toEqual({
      today: activeUsers(kept.filter((a) => dayOf(a) === '2026-06-28')),
      week: activeUsers(kept.filter((a) => inDays(a, '2026-06-22', '2026-06-28'))),
      d28: activeUsers(kept.filter((a) => inDays(a, '2026-06-01', '2026-06-28'))),
    });
    const api = kept.filter((a) => a.activity_type === 'api_call');
    const [e] = await q(`select events::int as events, errors::int as errors, error_rate from marts.mart_error_rates where activity_type = 'api_call'`);
    const errors = api.filter((a) => a.status === 'error').length;
    expect(e).toEqual({ events: api.length, errors, error_rate: Math.round((errors / api.length) * 10000) / 10000 });
    // The incident day: the only day flagged.
    expect(await q('select activity_date::varchar as d from marts.mart_daily_metrics where is_incident')).toEqual([{ d: '2026-06-10' }]);
    const [byUser] = await q(`select events::int as n from marts.mart_user_activity_daily where user_id = ${kept[0].user_id} and activity_date = '${dayOf(kept[0])}'`);
    expect(byUser.n).toBe(kept.filter((a) => a.user_id === kept[0].user_id && dayOf(a) === dayOf(kept[0])).length);
  });

  it('writes the weekly report file, and exports daily metrics filtered by days', async () => {
    const report = readFileSync(join(dir, 'output/dev/weekly_report.csv'), 'utf8').trim().split('\n');
    expect(report[0]).toBe('week_start,active_users,events,errors,error_rate,incident_days,uploaded_mib');
    const [, users, events, errors, , incidents] = report.find((l) => l.startsWith('2026-06-08,'))!.split(',').map(Number);
    const inWeek = kept.filter((a) => inDays(a, '2026-06-08', '2026-06-14'));
    expect({ users, events, errors, incidents }).toEqual({ users: activeUsers(inWeek), events: inWeek.length, errors: inWeek.filter((a) => a.status === 'error').length, incidents: 1 });

    const r = await runCli(dir, ['export', '-s', 'mart_daily_metrics', '--where', `activity_date > date '2026-06-28' - 7`, '--out', 'output/last_7_days.json']);
    expect(r.code).toBe(0);
    const rows = readFileSync(join(dir, 'output/last_7_days.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { activity_date: string; active_users: number; events: number });
    expect(rows.map((x) => x.activity_date).sort()).toEqual(['2026-06-22', '2026-06-23', '2026-06-24', '2026-06-25', '2026-06-26', '2026-06-27', '2026-06-28']);
    for (const x of rows) {
      const day = kept.filter((a) => dayOf(a) === x.activity_date);
      expect({ d: x.activity_date, users: x.active_users, events: x.events }).toEqual({ d: x.activity_date, users: activeUsers(day), events: day.length });
    }
  });

  it('reads storage and health figures from the warehouse itself', async () => {
    // One row per build; the file's size as its last checkpoint left it: none yet during a new file's first build.
    const history = await q('select fct_activity_rows::int as n, file_bytes > 0 as sized from health.health_storage_history order by built_at');
    expect(history).toEqual([
      { n: kept.length, sized: false },
      { n: kept.length, sized: true },
    ]);
    const tables = await q(`select table_name from health.health_tables where schema_name = 'facts'`);
    expect(tables).toEqual([{ table_name: 'fct_activity' }]);
    // eider's health view: nothing to read on the file's first build, the first build's runs on the second.
    expect(runsAfterFirst).toBe(0);
    const [runs] = await q(`select runs_7d::int as runs from health.health_model_runs where model = 'fct_activity'`);
    expect(runs).toEqual({ runs: 1 });
  });

  it('has its committed data from the generator: deterministic, scale 1 written under --out', () => {
    const out = join(dir, 'generated');
    execFileSync(process.execPath, [join(example, 'scripts/generate-data.mjs'), '--scale', '1', '--out', out]);
    const files = ['seeds/activity_types.csv', 'seeds/app_users.csv', 'data/raw/activity_log.parquet'];
    expect(readdirSync(out).sort()).toEqual(files.map((f) => f.split('/').pop()).sort());
    for (const f of files) expect(readFileSync(join(out, f.split('/').pop()!)).equals(readFileSync(join(example, f))), f).toBe(true);
  });
});
