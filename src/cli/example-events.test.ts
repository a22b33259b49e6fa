import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { queryFile, runCli, type CliResult } from '../test-support/project.js';

/** examples/events, copied so the test never builds inside the repository. Figures are checked against the raw files. */
const project = resolve(dirname(fileURLToPath(import.meta.url)), '../../examples/events');
const skip = new Set(['warehouse', 'target', 'output']);
let dir: string;
let build: CliResult;

interface Event {
  user_id: number;
  session_id: number;
  event_type: string;
  occurred_at: string;
  day: string;
  revenue: number;
}
let events: Event[];

/** The raw click stream, read straight from the Parquet file (not through eider). */
async function readEvents(path: string): Promise<Event[]> {
  const db = await DuckDbAdapter.open({ path: ':memory:', threads: 1 });
  try {
    const rows = await db.sessions[0].query(
      `select user_id::int as user_id, session_id::int as session_id, event_type, strftime(occurred_at, '%Y-%m-%d %H:%M:%S') as occurred_at,
        strftime(occurred_at, '%Y-%m-%d') as day, coalesce(revenue, 0)::double as revenue from read_parquet('${path}') order by event_id`,
    );
    return rows as unknown as Event[];
  } finally {
    await db.close();
  }
}

const csvRows = (path: string) => {
  const [header, ...lines] = readFileSync(path, 'utf8').trim().split('\n');
  const names = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [names[i], v])));
};

const db = () => join(dir, 'warehouse/dev.duckdb');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eider-example-events-'));
  cpSync(project, dir, { recursive: true, filter: (src) => !skip.has(src.slice(project.length + 1).split('/')[0]) });
  build = await runCli(dir, ['build']);
  events = await readEvents(join(dir, 'data/raw/events.parquet'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the events example project', () => {
  it('builds with every test passing but the two anomaly warnings: the planted outage and sale days', async () => {
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(build.stdout).toMatch(/Finished in [\d.]+s: 13 OK, 41 PASS, 2 WARN$/m);
    expect(build.stdout).not.toMatch(/FAIL|ERROR|SKIP/);
    expect(build.stdout).toMatch(/WARN test anomaly_stg_events .*\n.*\n +\| 2026-09-17 \|/);
    expect(build.stdout).toMatch(/WARN test anomaly_kpi_daily .*\n.*\n +\| 2026-10-09 \|/);
    const test = await runCli(dir, ['test']);
    expect(test.code).toBe(0);
    expect(test.stdout).toMatch(/PASS unit test user_funnel_keeps_the_order_of_steps/);
  });

  it('runs every model against empty inputs (run --empty): the TypeScript models return their columns with the full build\'s types', async () => {
    expect((await runCli(dir, ['seed', '--target', 'ci'])).code).toBe(0); // run builds models only, as dbt's does
    const r = await runCli(dir, ['run', '--empty', '--target', 'ci']);
    expect(r.stdout + r.stderr).not.toMatch(/ERROR/);
    expect(r.code).toBe(0);
    // The same columns and types as the full build's.
    const columns = (file: string) => queryFile(join(dir, `warehouse/${file}`), `select table_name as m, column_name as c, data_type as t from information_schema.columns where table_name in ('user_segments', 'feedback_sentiment') order by all`);
    const empty = await columns('ci.duckdb');
    expect(empty).toHaveLength(12);
    expect(empty).toEqual(await columns('dev.duckdb'));
  });

  it('has the daily KPIs of the raw click stream', async () => {
    const day = '2026-10-09';
    const ofDay = events.filter((e) => e.day === day);
    const dau = new Set(ofDay.map((e) => e.user_id)).size;
    const revenue = ofDay.reduce((s, e) => s + e.revenue, 0);
    const purchasers = new Set(ofDay.filter((e) => e.event_type === 'purchase').map((e) => e.user_id)).size;
    const [kpi] = await queryFile(db(), `select dau::int as dau, revenue::double as revenue, conversion_rate from metrics.kpi_daily where event_date = '${day}'`);
    expect(kpi).toEqual({ dau, revenue, conversion_rate: Math.round((purchasers / dau) * 1e4) / 1e4 });
    expect(await queryFile(db(), 'select count(*)::int as n from metrics.kpi_daily')).toEqual([{ n: new Set(events.map((e) => e.day)).size }]);
  });

  it('flags the outage by the z-score of its error rate against the 28 days before (sample standard deviation)', async () => {
    const days = [...new Set(events.map((e) => e.day))].sort();
    const rate = (d: string) => {
      const of = events.filter((e) => e.day === d);
      return of.filter((e) => e.event_type === 'error').length / of.length;
    };
    const i = days.indexOf('2026-09-17');
    const window = days.slice(i - 28, i).map(rate);
    const mean = window.reduce((a, b) => a + b, 0) / window.length;
    const sd = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / (window.length - 1));
    const z = (rate(days[i]) - mean) / sd;
    expect(z).toBeGreaterThan(3);
    const flagged = await queryFile(db(), `select z_score from metrics.anomaly_days where metric = 'error_rate'`);
    expect(flagged).toEqual([{ z_score: Math.round(z * 100) / 100 }]);
    // The flagged days are the planted incidents only.
    const all = await queryFile(db(), `select distinct strftime(event_date, '%Y-%m-%d') as d from metrics.anomaly_days order by 1`);
    expect(all.map((r) => r.d)).toEqual(['2026-09-17', '2026-10-09']);
  });

  it('counts the funnel per session, each step after the one before it', async () => {
    const sessions = new Map<number, Event[]>();
    for (const e of events) sessions.set(e.session_id, [...(sessions.get(e.session_id) ?? []), e]);
    const steps = ['page_view', 'product_view', 'add_to_cart', 'checkout_start', 'purchase'];
    const reached = steps.map(() => 0);
    for (const evs of sessions.values()) {
      let at = '';
      for (let s = 0; s < steps.length; s++) {
        const next = evs.filter((e) => e.event_type === steps[s] && e.occurred_at >= at).map((e) => e.occurred_at).sort()[0];
        if (next === undefined) break;
        reached[s]++;
        at = next;
      }
    }
    const funnel = await queryFile(db(), 'select sessions::int as n from metrics.user_funnel order by step');
    expect(funnel.map((r) => r.n)).toEqual(reached);
  });

  it('segments every user with the same k-means result on every build, and scores sentiment in line with ratings', async () => {
    const segments = () => queryFile(db(), 'select user_id::int as u, segment::int as s, segment_name as n, distance_to_centroid as d from ml.user_segments order by u');
    const first = await segments();
    const users = new Set(events.map((e) => e.user_id));
    expect(first.map((r) => r.u)).toEqual([...users].sort((a, b) => a - b));
    expect(new Set(first.map((r) => r.s))).toEqual(new Set([1, 2, 3, 4]));
    expect((await runCli(dir, ['build', '-s', 'user_features+'])).code).toBe(0);
    expect(await segments()).toEqual(first);

    // Average compound score by the rating the user gave (read from the raw CSV): higher ratings read happier.
    const ratings = new Map(csvRows(join(dir, 'data/raw/feedback.csv')).map((r) => [Number(r.feedback_id), Number(r.rating)]));
    const scored = await queryFile(db(), 'select feedback_id::int as id, compound from ml.feedback_sentiment');
    expect(scored.length).toBe(ratings.size);
    const byRating = [1, 2, 3, 4, 5].map((r) => {
      const xs = scored.filter((s) => ratings.get(Number(s.id)) === r).map((s) => Number(s.compound));
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    });
    for (let r = 1; r < 5; r++) expect(byRating[r]).toBeGreaterThan(byRating[r - 1]);
  });

  it('regenerates the committed data with its generator, and more at a larger --scale', () => {
    const out = join(dir, 'regenerated');
    // The repository's script (it imports @duckdb/node-api, found from the repository's node_modules), writing only under --out.
    const run = (scale: string, to: string) => spawnSync(process.execPath, [join(project, 'scripts/generate-data.mjs'), '--scale', scale, '--out', to], { encoding: 'utf8' });
    expect(run('1', out).status).toBe(0);
    expect(readFileSync(join(out, 'raw_users.csv'), 'utf8')).toBe(readFileSync(join(dir, 'seeds/raw_users.csv'), 'utf8'));
    expect(readFileSync(join(out, 'feedback.csv'), 'utf8')).toBe(readFileSync(join(dir, 'data/raw/feedback.csv'), 'utf8'));
    const bigger = run('2', join(dir, 'scale2'));
    expect(bigger.stdout).toMatch(/^400 users, /);
  });
});
