import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Cron } from 'croner';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { compileContext } from '../commands/context.js';
import { previousFire } from '../operate/schedules.js';
import { onSchedule, type ScheduleLike } from '../operate/status.js';
import { BIN, holdFile, queryFile, runCli, testProject, type TestProject } from '../test-support/project.js';

/** The repository's example project, copied: built twice, then once with a singular test that fails. */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let db: string;
const status = (...args: string[]) => runCli(dir, ['status', ...args]);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (stdout: string): any => JSON.parse(stdout);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eider-status-'));
  for (const part of ['project.yml', 'package.json', 'profiles', 'models', 'seeds', 'snapshots', 'tests', 'macros', 'data']) cpSync(join(repo, part), join(dir, part), { recursive: true });
  db = join(dir, 'warehouse/dev.duckdb');
  expect((await runCli(dir, ['build'])).code).toBe(0);
  expect((await runCli(dir, ['build'])).code).toBe(0);
  writeFileSync(join(dir, 'tests/status_always_fails.sql'), 'select 1 as x');
  // --no-alerts: the example's alert rules would open a test_failed alert; the alerts test writes its own state file.
  expect((await runCli(dir, ['build', '--no-alerts'])).code).toBe(1);
  rmSync(join(dir, 'tests/status_always_fails.sql'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('eider status on the example project', () => {
  it('--format json: relations with rows and bytes, model durations, the test failure rate and the release BI tools see', async () => {
    const r = await status('--format', 'json');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('reading warehouse/dev.duckdb (target dev, read-only)\n');
    const s = json(r.stdout);
    expect(s).toMatchObject({ schema_version: 1, target: 'dev', state: 'built', days: 7, history: 'recorded', alerts: [] });
    expect(s.file.path).toBe('warehouse/dev.duckdb');
    expect(s.file.bytes).toBeGreaterThan(0);
    // A size per build, the first one the baseline of the growth.
    expect(s.file.sizes).toHaveLength(3);
    expect(s.file.growth).toMatchObject({ release: s.file.sizes[0].release, bytes_then: s.file.sizes[0].file_bytes });
    expect(s.file.growth.bytes).toBe(s.file.growth.bytes_now - s.file.growth.bytes_then);
    // Both ends measured alike: the newest release's recorded size, not the file's size after its history was added.
    expect(s.file.growth.bytes_now).toBe(s.file.sizes[2].file_bytes);

    const marts = s.schemas.find((x: { schema: string }) => x.schema === 'marts').relations;
    const fct = marts.find((x: { name: string }) => x.name === 'fct_orders');
    expect(fct).toMatchObject({ type: 'table', rows: 3000 });
    expect(fct.bytes).toBeGreaterThan(0);
    const [last] = await queryFile(db, `select max(started_at + to_milliseconds(cast(duration_ms as bigint))) as at from eider.node_runs where name = 'fct_orders' and status = 'success'`);
    expect(fct.last_refreshed_at).toBe((last.at as Date).toISOString());
    expect(s.schemas.map((x: { schema: string }) => x.schema)).not.toContain('eider');

    const model = s.models.find((m: { model: string }) => m.model === 'fct_orders');
    const runs = await queryFile(db, `select duration_ms from eider.node_runs where name = 'fct_orders' order by started_at`);
    const durations = runs.map((x) => Number(x.duration_ms));
    expect(model).toMatchObject({ node_id: 'model.fct_orders', runs_7d: 3, failures_7d: 0, last_status: 'success', last_duration_ms: durations[2] });
    expect(model.median_duration_ms).toBeCloseTo([...durations].sort((a, b) => a - b)[1], 6);
    expect(s.slowest.length).toBeLessThanOrEqual(10);
    expect(s.slowest.map((m: { median_duration_ms: number }) => m.median_duration_ms)).toEqual(s.slowest.map((m: { median_duration_ms: number }) => m.median_duration_ms).sort((a: number, b: number) => b - a));

    // Three builds' tests, one failure in the last.
    const [t] = await queryFile(db, `select count(*)::int as n from eider.test_results where status <> 'skipped'`);
    expect(s.tests).toMatchObject({ runs: t.n, failures: 1, warnings: 0 });
    expect(s.tests.failure_rate).toBeCloseTo(1 / Number(t.n), 9);
    expect(s.tests.failing).toEqual([expect.objectContaining({ name: 'status_always_fails', failures_7d: 1, last_status: 'fail' })]);

    const [current] = await queryFile(db, `select release_id from eider.releases order by published_at desc limit 1`);
    expect(s.release).toMatchObject({ release_id: current.release_id, status: 'in_place', command: 'build' });
    expect(s.on_schedule).toEqual({ counted: 0, on_time: 0, percent: null, late: [] });
  });

  it("% on schedule on the example's prod target comes from project.yml's schedules (every scheduled model just built: all on time)", async () => {
    const built = await runCli(dir, ['build', '--target', 'prod']);
    expect(built.code).toBe(0);
    const s = json((await status('--target', 'prod', '--format', 'json')).stdout);
    expect(s.on_schedule.counted).toBeGreaterThan(5);
    expect(s.on_schedule).toMatchObject({ on_time: s.on_schedule.counted, percent: 100, late: [] });
  });

  it('text: the same figures for people', async () => {
    const r = await status();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Target dev: warehouse\/dev\.duckdb, [\d.]+ (KiB|MiB), \+[\d.]+ (KiB|MiB) since \S+ \S+ \(release \S+\)$/m);
    expect(r.stdout).toMatch(/^BI tools see release \d{8}T\d+Z-[0-9a-f]{8}, published \S+ \S+ \(build\)\.$/m);
    expect(r.stdout).toMatch(/^ {2}marts\.fct_orders +table +3000 +\d+ KiB +\S+ \S+ +\d+[smh] ago$/m);
    expect(r.stdout).toMatch(/^ {2}fct_orders +\S+ \S+ +\d+ ms +[\d.]+ ms +3 +0 +success$/m);
    expect(r.stdout).toMatch(/^Tests, last 7 days: \d+ runs, 1 failed \(failure rate \d\.\d%\)\.$/m);
    expect(r.stdout).toMatch(/^ {2}failing: status_always_fails \(1 of 1 runs in 7 days, last fail\)$/m);
    expect(r.stdout).toMatch(/^Slowest models \(median of the last successful runs\):$/m);
    expect(r.stdout).toMatch(/^Open alerts: none\.$/m);
  });

  it('% on schedule: a model selected by several schedules answers to the most frequent; unscheduled models do not count', async () => {
    const ctx = await compileContext({ projectDir: dir });
    const health = await queryFile(db, `select node_id, last_success_at from eider.model_health`);
    const lastSuccess = new Map(health.map((h) => [String(h.node_id), h.last_success_at ? (h.last_success_at as Date).toISOString() : null]));
    const newest = Math.max(...[...lastSuccess.values()].map((v) => new Date(v!).getTime()));
    const cron = (name: string, expr: string, select: string[]): ScheduleLike => {
      const c = new Cron(expr, { timezone: 'UTC', paused: true });
      return { name, select, exclude: [], previousFire: (before) => c.previousRuns(1, before)[0] };
    };
    // Two minutes after the last build: the every-minute schedule fired since, the yearly one long before.
    const now = new Date(newest + 120_000);
    const schedules = [cron('yearly', '0 0 1 1 *', ['tag:hourly', 'tag:daily']), cron('minutely', '* * * * *', ['stg_orders'])];
    const r = onSchedule(ctx.manifest, ctx.dag, schedules, lastSuccess, now, ctx.selectMethods);
    const selected = Object.values(ctx.manifest.nodes).filter((n) => n.kind === 'model' && n.materialized !== 'ephemeral' && (n.tags.includes('hourly') || n.tags.includes('daily')));
    expect(r.counted).toBe(selected.length);
    expect(r.late).toEqual([{ unique_id: 'model.stg_orders', name: 'stg_orders', schedule: 'minutely', due_since: expect.any(String), last_success_at: lastSuccess.get('model.stg_orders') }]);
    expect(r.on_time).toBe(selected.length - 1);
    expect(r.percent).toBe(Math.round(((selected.length - 1) / selected.length) * 1000) / 10);
    // A schedule that has not fired yet counts nothing.
    expect(onSchedule(ctx.manifest, ctx.dag, [{ name: 'never', select: [], exclude: [], previousFire: () => undefined }], lastSuccess, now).counted).toBe(0);
  });

  it("% on schedule with the scheduler's own fire times: an hourly and a daily schedule on one model, the hourly one decides", async () => {
    const ctx = await compileContext({ projectDir: dir });
    const schedule = (name: string, cron: string): ScheduleLike => ({ name, select: ['stg_orders'], exclude: [], previousFire: (before) => previousFire({ cron, timezone: 'UTC' }, before) });
    // Built at 00:20; at 01:05 the hourly schedule last fired at 00:15 (on time), the daily one at 01:00.
    const lastSuccess = new Map([['model.stg_orders', '2026-03-02T00:20:00.000Z']]);
    const r = onSchedule(ctx.manifest, ctx.dag, [schedule('daily', '0 1 * * *'), schedule('hourly', '15 * * * *')], lastSuccess, new Date('2026-03-02T01:05:00Z'));
    expect(r).toMatchObject({ counted: 1, on_time: 1, late: [] });
  });

  it('works while another process holds the file read-only', async () => {
    const reader = await holdFile(db, 30_000, 'READ_ONLY');
    try {
      const r = await status('--format', 'json');
      expect(r.code).toBe(0);
      expect(json(r.stdout).state).toBe('built');
    } finally {
      reader.kill();
    }
  });

  it('lists the open alerts of target/alerts/<target>.json', async () => {
    mkdirSync(join(dir, 'target/alerts'), { recursive: true });
    const alert = { key: 'test_failed:test.x', rule: 'test_failed', severity: 'critical', target: 'dev', node_id: 'test.x', message: 'test x failed', opened_at: '2026-11-29T10:00:00.000Z', last_sent_at: '2026-11-29T10:00:00.000Z' };
    writeFileSync(join(dir, 'target/alerts/dev.json'), JSON.stringify({ schema_version: 1, open: [alert] }));
    try {
      expect(json((await status('--format', 'json')).stdout).alerts).toEqual([alert]);
      expect((await status()).stdout).toMatch(/^Open alerts \(1\):\n {2}critical test_failed: test x failed \(open since 2026-11-29 10:00:00Z\)$/m);
      writeFileSync(join(dir, 'target/alerts/dev.json'), '{"open": [');
      const broken = await status();
      expect(broken).toMatchObject({ code: 2, stdout: '' });
      expect(broken.stderr).toMatch(/^target\/alerts\/dev\.json: not the alert state eider writes \(.*\): delete it and the next alert check writes it again\n$/);
      writeFileSync(join(dir, 'target/alerts/dev.json'), '{"schema_version": 1, "open": [{"rule": 5}]}');
      const odd = await status();
      expect(odd).toMatchObject({ code: 2, stdout: '' });
      expect(odd.stderr).toMatch(/^target\/alerts\/dev\.json: not the alert state eider writes \(open alert 1 has no rule\): delete it and the next alert check writes it again\n$/);
    } finally {
      rmSync(join(dir, 'target/alerts'), { recursive: true });
    }
  });
});

let p: TestProject | undefined;
afterEach(() => p?.remove());

const PROFILES = 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n    memory:\n      path: ":memory:"\n';
const SMALL = {
  'profiles/profiles.yml': PROFILES,
  'models/a.sql': '{{config materialized="table"}}\nselect range as id from range(10)',
  'models/b.sql': 'select count(*) as n from {{ref "a"}}',
  'models/b.yml': 'models:\n  - name: b\n    columns:\n      - name: n\n        tests: [not_null]\n',
};

async function healthOf(file: string, catalog = ''): Promise<Record<string, Record<string, unknown>[]>> {
  const adapter = await DuckDbAdapter.open({ path: ':memory:', threads: 1 });
  try {
    const s = adapter.sessions[0];
    let at = '';
    if (catalog) {
      await s.exec(`attach '${file}' as ${catalog} (read_only)`);
      at = `${catalog}.`;
    } else {
      await s.exec(`attach '${file}' as f (read_only); use f`);
    }
    const out: Record<string, Record<string, unknown>[]> = {};
    for (const v of ['model_health', 'test_health', 'release_health', 'relation_freshness']) out[v] = await s.query(`select * from ${at}eider.${v} order by 1`);
    return out;
  } finally {
    await adapter.close();
  }
}

describe('the eider schema health views', () => {
  it('exist in a dev file and in a prod release, answer with one query each, also attached under another name', async () => {
    p = testProject(SMALL);
    expect((await p.run('build')).code).toBe(0);
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    for (const [file, releases, status] of [[p.db, 1, 'in_place'], [join(p.dir, 'warehouse/prod.duckdb'), 2, 'published']] as const) {
      for (const alias of ['', 'bi_tool', 'eider']) {
        const h = await healthOf(file, alias);
        expect(h.model_health.map((m) => [m.model, m.runs_7d, m.failures_7d, m.last_status]), `${file} ${alias}`).toEqual([
          ['a', BigInt(releases), 0n, 'success'],
          ['b', BigInt(releases), 0n, 'success'],
        ]);
        expect(h.model_health[0].median_duration_ms).toEqual(expect.any(Number));
        expect(h.test_health).toEqual([expect.objectContaining({ test: 'not_null_b_n', runs_7d: BigInt(releases), failures_7d: 0n, failure_rate: 0, last_status: 'pass' })]);
        expect(h.release_health).toHaveLength(releases);
        expect(h.release_health.every((r) => r.status === status && Number(r.file_bytes) > 0 && r.node_count === 3)).toBe(true);
        expect(h.relation_freshness.map((r) => r.relation)).toEqual(['main.a', 'main.b']);
        expect(Number(h.relation_freshness[0].age_s)).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('a file from before the health views gets them (and the new columns) with its next build; eider status says so until then', async () => {
    p = testProject(SMALL);
    expect((await p.run('build')).code).toBe(0);
    const adapter = await DuckDbAdapter.open({ path: p.db, threads: 1 });
    await adapter.sessions[0].exec(
      'drop view eider.model_health; drop view eider.test_health; drop view eider.release_health; drop view eider.relation_freshness; alter table eider.releases drop column file_bytes; alter table eider.node_runs drop column relation',
    );
    await adapter.close();
    const before = await p.run('status');
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^No run history with health views in this file yet: the next build records it\.$/m);
    expect((await p.run('build')).code).toBe(0);
    const h = await healthOf(p.db);
    expect(h.release_health.map((r) => r.file_bytes === null)).toEqual([true, false]);
    expect(h.relation_freshness.map((r) => r.relation)).toEqual(['main.a', 'main.b']);
    expect(json((await p.run('status', '--format', 'json')).stdout).history).toBe('recorded');
  });
});

describe('eider status: other targets and mistakes', () => {

  it('waits for an in-place build holding the file, then reports what it published', async () => {
    p = testProject({ ...SMALL, 'models/slow.js': "export const refs = ['a'];\nexport default async () => { await new Promise((r) => setTimeout(r, 5000)); return [{ x: 1 }]; };\n" });
    expect((await p.run('build')).code).toBe(0);
    const build = spawn(process.execPath, [BIN, 'build'], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' } });
    const built = new Promise<number>((res) => build.on('close', (c) => res(c ?? -1)));
    await new Promise<void>((res) => build.stdout.on('data', (d) => String(d).includes('created table main.a') && res()));
    const r = await p.run('status', '--format', 'json');
    expect(await built).toBe(0);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warehouse\/dev\.duckdb is being built by eider \(PID \d+, eider build, since .*\): waiting for the build to finish\nthe build finished; reading warehouse\/dev\.duckdb \(target dev, read-only\)\n$/);
    const [current] = await p.query(`select release_id from eider.releases order by published_at desc limit 1`);
    expect(json(r.stdout).release.release_id).toBe(current.release_id);
    expect(json(r.stdout).file.sizes).toHaveLength(2);
  }, 60_000);

  it('a target never built is a status of its own (exit 0), in text and JSON', async () => {
    p = testProject(SMALL);
    const text = await p.run('status', '--target', 'prod');
    expect(text).toMatchObject({ code: 0, stderr: '' });
    expect(text.stdout).toBe('Target prod has never been built: there is no file at warehouse/prod.duckdb (eider build creates it).\nOpen alerts: none.\n');
    const r = await p.run('status', '--target', 'prod', '--format', 'json');
    expect(r.code).toBe(0);
    expect(json(r.stdout)).toMatchObject({ schema_version: 1, target: 'prod', state: 'never_built', file: { path: 'warehouse/prod.duckdb', bytes: null }, alerts: [] });
  });

  it('bad flags and a target without a file: exit 2, one line', async () => {
    p = testProject(SMALL);
    for (const args of [['--format', 'xml'], ['--days', '0'], ['--days', 'week'], ['--target', 'nope'], ['--bogus']]) {
      const r = await p.run('status', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toMatch(/^(error: |profiles\/profiles\.yml)/);
    }
    const memory = await p.run('status', '--target', 'memory');
    expect(memory).toMatchObject({ code: 2, stdout: '' });
    expect(memory.stderr).toBe('profiles/profiles.yml:9: target "memory" is not a DuckDB file (:memory:): eider status reads a target\'s file\n');
  });
});
