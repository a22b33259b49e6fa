import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { lockPath } from '../publish/lock.js';
import { httpReceiver } from '../test-support/receivers.js';
import { BIN, queryFile, runCli, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const PROFILES = (retries = '') => `t:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n      threads: 2\n${retries}`;
/** A model as slow as `n` (a var): 0 rows by default, billions to keep a build busy until it is stopped. */
const SLOW = '{{config materialized="table"}}\nselect {{var "v" 0}} as v, count(*) as n from range({{var "n" 0}}) t(x) where x % 7 = 1';

function project(schedules: string, extra: Record<string, string> = {}, retries = ''): TestProject {
  return testProject({
    'project.yml': `name: t\nschedules:\n${schedules}`,
    'profiles/profiles.yml': PROFILES(retries),
    'models/a.sql': '{{config materialized="table"}}\nselect 1 as x',
    'models/b.sql': '{{config materialized="table"}}\nselect 2 as y',
    'models/slow.sql': SLOW,
    ...extra,
  });
}

const prodFile = (t: TestProject) => join(t.dir, 'warehouse/prod.duckdb');
const releases = (t: TestProject) =>
  queryFile(prodFile(t), `select release_id, schedule, started_at::varchar as started, finished_at::varchar as finished from eider.releases order by started_at`) as Promise<Array<{ release_id: string; schedule: string | null; started: string; finished: string }>>;

/** `eider schedule` as a real long-running process: its output so far, a wait for a line, and a signal to stop it. */
function scheduler(t: TestProject, env: Record<string, string>, ...args: string[]) {
  const child = spawn(process.execPath, [BIN, 'schedule', ...args], { cwd: t.dir, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return {
    out: () => out,
    exited,
    async waitFor(re: RegExp, count = 1, timeoutMs = 60_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while ((out.match(new RegExp(re.source, 'gm')) ?? []).length < count) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}:\n${out}`);
        if (child.exitCode !== null) throw new Error(`eider schedule exited ${child.exitCode} before ${re}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
      child.kill(signal);
      return exited;
    },
  };
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'gm')) ?? []).length;

describe('schedules in project.yml', () => {
  it('--list prints each schedule with its next three runs in its time zone', async () => {
    p = project('  - {name: staging, cron: "5,15,30 * * * *", select: a, target: prod}\n  - {name: nightly, cron: "0 1 * * *", timezone: Asia/Kolkata, select: [a, b], full_refresh: true}\n');
    const r = await p.runWith({ EIDER_CLOCK: '2026-01-01T00:59:58Z' }, 'schedule', '--list');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'staging: "5,15,30 * * * *" (UTC) on prod, select a',
        '  next: 2026-01-01 01:05 UTC, 2026-01-01 01:15 UTC, 2026-01-01 01:30 UTC',
        'nightly: "0 1 * * *" (Asia/Kolkata) on dev, select a b, full refresh',
        '  next: 2026-01-02 01:00 Asia/Kolkata, 2026-01-03 01:00 Asia/Kolkata, 2026-01-04 01:00 Asia/Kolkata',
        '',
      ].join('\n'),
    );
  });

  it('--list works on the example project: its layer schedules on prod, in India\'s time zone', async () => {
    const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
    const dir = mkdtempSync(join(tmpdir(), 'eider-example-'));
    try {
      for (const part of ['project.yml', 'package.json', 'profiles', 'models', 'seeds', 'snapshots', 'tests', 'macros', 'data']) cpSync(join(repo, part), join(dir, part), { recursive: true });
      const r = await runCli(dir, ['schedule', '--list'], { EIDER_CLOCK: '2026-01-05T00:00:00Z' });
      expect(r.code, r.stderr).toBe(0);
      const names = [...r.stdout.matchAll(/^(\w+): "([^"]+)" \(Asia\/Kolkata\) on prod/gm)].map((m) => `${m[1]} ${m[2]}`);
      expect(names).toEqual(['sources 5 * * * *', 'staging 15 * * * *', 'dimensions 0 1 * * *', 'facts 0 2 * * *', 'marts 0 3 * * *', 'ml_features 0 4 * * *', 'customer_segments 0 5 * * 1', 'inventory 45 * * * *']);
      expect(r.stdout).toContain('dimensions: "0 1 * * *" (Asia/Kolkata) on prod, select dim_*, full refresh\n  next: 2026-01-06 01:00 Asia/Kolkata');
      expect(r.stdout).toContain('customer_segments: "0 5 * * 1" (Asia/Kolkata) on prod, select ml_customer_segments\n  next: 2026-01-12 05:00 Asia/Kolkata, 2026-01-19 05:00 Asia/Kolkata');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports each mistake in schedules at its line in project.yml, exit 2, for build too', async () => {
    p = project(
      [
        '  - name: one',
        '    cron: "61 * * * *"',
        '    select: a',
        '  - name: one',
        '    cron: "0 * * * *"',
        '    crn: x',
        '    on_overlap: queue',
        '  - name: two',
        '    cron: "0 * * * *"',
        '    timezone: Mars/Olympus',
        '    timeout: soon',
        '',
      ].join('\n'),
    );
    for (const args of [['schedule', '--list'], ['build']]) {
      const r = await p.run(...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('project.yml:4: schedule "one": cron "61 * * * *" cannot be read: Invalid value for minute: 61');
      expect(r.stderr).toContain('project.yml:6: schedule "one" is defined twice: schedule names must be unique');
      expect(r.stderr).toContain('project.yml:8: unknown key "crn" in a schedule (did you mean "cron"?)');
      expect(r.stderr).toContain('project.yml:9: schedule "one": on_overlap must be wait or skip, not "queue"');
      expect(r.stderr).toContain('project.yml:12: schedule "two": unknown time zone "Mars/Olympus"');
      expect(r.stderr).toContain('project.yml:13: schedule "two": timeout must be a positive number of seconds');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    p.write('project.yml', 'name: t\nschedules:\n  - name: ok\n    cron: "0 * * * *"\n    select: stg_nothing\n  - name: far\n    cron: "0 * * * *"\n    target: prd\n');
    const r = await p.run('schedule', '--once', 'ok');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('project.yml:8: schedule "far": target "prd" not found in profile "t" (did you mean "prod"?)');
    p.write('project.yml', 'name: t\nschedules:\n  - name: ok\n    cron: "0 * * * *"\n    select: stg_nothing\n');
    const sel = await p.run('schedule', '--once', 'ok');
    expect(sel.code).toBe(2);
    expect(sel.stderr).toContain('project.yml:3: schedule "ok": select: no node is named "stg_nothing"');
    p.write('project.yml', 'name: t\nschedules:\n  - name: ok\n    cron: "0 * * * *"\n    select: a\n');
    const none = await p.run('schedule', '--once', 'ko');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--once: no schedule is named "ko" (did you mean "ok"?); schedules: ok');
  });
});

describe('eider schedule', () => {
  it('never runs two builds on one target at once: a due run waits (or is skipped) and says so', async () => {
    p = project(
      [
        '  - {name: first, cron: "0 1 * * *", select: slow, target: prod}',
        '  - {name: second, cron: "0 1 * * *", select: a, target: prod, on_overlap: wait}',
        '  - {name: third, cron: "0 1 * * *", select: b, target: prod, on_overlap: skip}',
        '',
      ].join('\n'),
    );
    const s = scheduler(p, { EIDER_CLOCK: '2026-01-01T00:59:59Z' }, '--vars', '{n: 200000000}');
    await s.waitFor(/run finished/, 2);
    expect(await s.stop()).toBe(0);
    const out = s.out();
    expect(out).toContain('second on prod: run due 2026-01-01T01:00:00Z waiting: schedule "first" is running on prod (on_overlap: wait)');
    expect(out).toContain('third on prod: run due 2026-01-01T01:00:00Z skipped: schedule "first" is running on prod');
    expect(count(out, /run started/)).toBe(2);
    expect(out).toMatch(/scheduler stopped$/m);
    // The history: each run with its schedule's name, and the second started after the first had finished.
    const rows = await releases(p);
    expect(rows.map((r) => r.schedule)).toEqual(['first', 'second']);
    expect(rows[1].started >= rows[0].finished).toBe(true);
  }, 120_000);

  it('on a fast clock, minute crons on one target fire every second: never two builds at once', async () => {
    p = project('  - {name: every, cron: "* * * * *", select: slow, target: prod}\n  - {name: often, cron: "* * * * *", select: a, target: prod, on_overlap: skip}\n');
    const s = scheduler(p, { EIDER_CLOCK: '2026-01-01T00:59:58Z@60' }, '--vars', '{n: 100000000}');
    await s.waitFor(/run finished: success/, 3);
    expect(await s.stop()).toBe(0);
    const out = s.out();
    expect(out).toMatch(/often on prod: run due 2026-01-01T01:0\d:00Z skipped: schedule "every" is running on prod$/m);
    expect(out).toMatch(/every on prod: run due 2026-01-01T01:0\d:00Z (waiting|skipped): /);
    const rows = await releases(p);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < rows.length; i++) expect(rows[i].started >= rows[i - 1].finished, JSON.stringify(rows)).toBe(true);
  }, 120_000);

  it('a target held by another eider process (its build lock) counts as busy: the run is skipped, saying by whom', async () => {
    p = project('  - {name: quick, cron: "0 1 * * *", select: a, target: prod, on_overlap: skip}\n');
    const build = spawn(process.execPath, [BIN, 'build', '--target', 'prod', '-s', 'slow', '--vars', '{n: 100000000000}'], { cwd: p.dir, stdio: 'ignore' });
    try {
      const lock = lockPath(prodFile(p));
      for (let i = 0; i < 600 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 50));
      const r = await p.run('schedule', '--once', 'quick');
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`quick on prod: run due \\S+ skipped: another eider process \\(PID ${build.pid}, eider build, since \\S+\\) holds prod`));
      expect(r.stdout).not.toContain('run started');
    } finally {
      build.kill('SIGTERM');
      await new Promise((r) => build.on('close', r));
    }
  }, 120_000);

  it('a run skipped because another process held the target sends one run_skipped alert, resolved when the schedule runs again', async () => {
    const http = await httpReceiver();
    try {
      p = testProject({
        'project.yml': [
          'name: t',
          'schedules:',
          '  - {name: quick, cron: "0 1 * * *", select: a, target: prod, on_overlap: skip}',
          'alerts:',
          '  channels:',
          '    - {name: hook, type: webhook, url: \'{{env "T_HOOK_URL"}}\'}',
          '  rules:',
          '    - {on: run_skipped, severity: warn}',
          '',
        ].join('\n'),
        'profiles/profiles.yml': PROFILES(''),
        'models/a.sql': '{{config materialized="table"}}\nselect 1 as x',
        'models/slow.sql': SLOW,
      });
      const env = { T_HOOK_URL: `${http.url}/hook/secret-token` };
      const hooks = () => http.posts.map((x) => x.body as { rule: string; status: string; node: string });
      const build = spawn(process.execPath, [BIN, 'build', '--target', 'prod', '-s', 'slow', '--no-alerts', '--vars', '{n: 100000000000}'], { cwd: p.dir, env: { ...process.env, ...env }, stdio: 'ignore' });
      try {
        const lock = lockPath(prodFile(p));
        for (let i = 0; i < 600 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 50));
        expect((await p.runWith(env, 'schedule', '--once', 'quick')).code).toBe(1);
        expect((await p.runWith(env, 'schedule', '--once', 'quick')).code).toBe(1);
      } finally {
        build.kill('SIGTERM');
        await new Promise((r) => build.on('close', r));
      }
      expect(hooks().map((h) => `${h.status} ${h.rule} ${h.node}`)).toEqual(['firing run_skipped schedule:quick']);
      const ran = await p.runWith(env, 'schedule', '--once', 'quick');
      expect(ran.code).toBe(0);
      expect(hooks().map((h) => `${h.status} ${h.rule} ${h.node}`)).toEqual(['firing run_skipped schedule:quick', 'resolved run_skipped schedule:quick']);
      expect(ran.stdout + ran.stderr).not.toContain('secret-token');
    } finally {
      await http.close();
    }
  }, 120_000);

  it('after downtime runs a missed schedule once (missed: run_once) and skips one with missed: skip', async () => {
    p = project('  - {name: hourly, cron: "0 * * * *", select: a, target: prod}\n  - {name: quiet, cron: "0 * * * *", select: b, target: prod, missed: skip}\n');
    expect((await p.run('schedule', '--once', 'hourly')).code).toBe(0);
    expect((await p.run('schedule', '--once', 'quiet')).code).toBe(0);
    // Three and a half hours later (the clock): three fire times passed for each, none due for half an hour.
    const later = new Date(Math.floor(Date.now() / 3600_000) * 3600_000 + 3.5 * 3600_000).toISOString();
    const s = scheduler(p, { EIDER_CLOCK: later });
    await s.waitFor(/hourly on prod: run finished/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await s.stop()).toBe(0);
    const out = s.out();
    expect(out).toMatch(/hourly on prod: missed the run due \S+ \(last run \S+\): running it once now \(missed: run_once\)/);
    expect(out).toMatch(/quiet on prod: missed the run due \S+ \(last run \S+\): not running it \(missed: skip\)/);
    expect(count(out, /run started/)).toBe(1);
    expect((await releases(p)).map((r) => r.schedule)).toEqual(['hourly', 'quiet', 'hourly']);
  }, 120_000);

  it('SIGTERM during a scheduled build: the build stops, nothing is half-published, the scheduler exits 0', async () => {
    p = project('  - {name: big, cron: "0 1 * * *", select: slow, target: prod}\n');
    expect((await p.run('build', '--target', 'prod', '--vars', '{v: 1}')).code).toBe(0);
    const before = (await releases(p))[0].release_id;
    const s = scheduler(p, { EIDER_CLOCK: '2026-01-01T00:59:59Z' }, '--vars', '{v: 2, n: 100000000000}');
    await s.waitFor(/big on prod: run started/);
    await new Promise((r) => setTimeout(r, 2500));
    expect(await s.stop('SIGTERM')).toBe(0);
    const out = s.out();
    expect(out).toMatch(/scheduler stopping \(SIGTERM\): no new run starts; 1 running build signalled to stop/);
    expect(out).toContain('[big] Nothing was published: the build was interrupted, so prod keeps its current release.');
    expect(out).toContain(`big on prod: run finished: interrupted, exit code 143`);
    expect(out).toContain(`nothing was published: release ${before} stays current (BI tools see it)`);
    const [row] = await queryFile(prodFile(p), 'select v from slow');
    expect(row.v).toBe(1);
    expect((await releases(p)).map((r) => r.release_id)).toEqual([before]);
    expect(existsSync(lockPath(prodFile(p)))).toBe(false);
    expect(readdirSync(join(p.dir, 'warehouse')).filter((f) => f.includes('.build-'))).toEqual([]);
  }, 120_000);

  it('a run past its timeout gets SIGTERM, publishes nothing and is reported as timed out', async () => {
    p = project('  - {name: big, cron: "0 1 * * *", select: slow, target: prod, timeout: 3s}\n');
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    const before = (await releases(p))[0].release_id;
    const r = await p.run('schedule', '--once', 'big', '--vars', '{v: 2, n: 100000000000}');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/big on prod: run timed out after 3s: SIGTERM sent \(SIGKILL in 30s if it has not stopped\)/);
    expect(r.stdout).toContain(`big on prod: run finished: timed_out, exit code 143`);
    expect(r.stdout).toContain(`nothing was published: release ${before} stays current`);
    expect((await releases(p)).map((x) => x.release_id)).toEqual([before]);
  }, 120_000);

  it('retries a failed run with the target\'s backoff, then says which release stays published', async () => {
    p = project('  - {name: broken, cron: "0 1 * * *", select: "a bad", target: prod}\n', { 'models/bad.sql': 'select * from {{var "from" "a"}}' }, '      retries: {attempts: 3, backoff_ms: 100}\n');
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    const before = (await releases(p))[0].release_id;
    const r = await p.runWith({}, 'schedule', '--once', 'broken', '--vars', '{from: no_such_table}');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('broken on prod: run failed with exit code 1; retried: attempt 2 of 3 in 100 ms');
    expect(r.stdout).toContain('broken on prod: run failed with exit code 1; retried: attempt 3 of 3 in 200 ms');
    expect(count(r.stdout, /run started/)).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`broken on prod: run finished: failed, exit code 1, [\\d.]+s, 3 attempts; nothing was published: release ${before} stays current \\(BI tools see it\\)`));
  }, 120_000);

  it('a signal while a failed run waits to be tried again ends the wait at once', async () => {
    p = project('  - {name: broken, cron: "0 1 * * *", select: bad, target: prod}\n', { 'models/bad.sql': 'select * from no_such_table' }, '      retries: {attempts: 3, backoff_ms: 600000}\n');
    const s = scheduler(p, {}, '--once', 'broken');
    await s.waitFor(/retried: attempt 2 of 3 in 600000 ms/);
    const t0 = Date.now();
    expect(await s.stop('SIGTERM')).toBe(143);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(s.out()).toMatch(/broken on prod: run finished: interrupted, exit code 1, [\d.]+s, 1 attempt; nothing was published: the target has no release yet$/m);
  }, 120_000);

  it('records the schedule in eider.releases, adding the column to a file made before it existed', async () => {
    p = project('  - {name: hourly, cron: "0 * * * *", select: a, target: prod}\n');
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    // An older file: its history has no schedule column.
    const { DuckDbAdapter } = await import('../adapter/duckdb.js');
    const a = await DuckDbAdapter.open({ path: prodFile(p), threads: 1 });
    await a.sessions[0].exec('alter table eider.releases drop column schedule');
    await a.close();
    const r = await p.run('schedule', '--once', 'hourly', '--log-format', 'json');
    expect(r.code).toBe(0);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const finished = events.find((e) => e.event === 'schedule_run_finished')!;
    expect(finished).toMatchObject({ schedule: 'hourly', target: 'prod', status: 'success', exit_code: 0, attempts: 1, publish_mode: 'swap' });
    // The build's own events pass through, marked with their schedule.
    expect(events.find((e) => e.event === 'run_finished')).toMatchObject({ schedule: 'hourly', exit_code: 0 });
    const rows = await releases(p);
    expect(rows.map((x) => x.schedule)).toEqual([null, 'hourly']);
    expect(finished.release_id).toBe(rows[1].release_id);
  }, 120_000);

  it('a schedule\'s vars: go to its build, over eider schedule --vars; vars that are not a mapping are an error at their line', async () => {
    p = project('  - {name: report, cron: "0 6 * * *", select: slow, vars: {v: 7}}\n  - {name: plain, cron: "0 7 * * *", select: slow}\n');
    const v = async () => (await p!.query('select v::int as v from main.slow'))[0].v;
    expect((await p.run('schedule', '--once', 'report')).code).toBe(0);
    expect(await v()).toBe(7);
    expect((await p.run('schedule', '--once', 'report', '--vars', '{v: 1, n: 20}')).code).toBe(0);
    expect(await p.query('select v::int as v, n::int as n from main.slow')).toEqual([{ v: 7, n: 3 }]);
    expect((await p.run('schedule', '--once', 'plain', '--vars', '{v: 1}')).code).toBe(0);
    expect(await v()).toBe(1);
    p.write('project.yml', 'name: t\nschedules:\n  - {name: report, cron: "0 6 * * *", vars: [v]}\n');
    const bad = await p.run('schedule', '--list');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/project\.yml:3: schedule "report": vars must be a mapping/);
  }, 120_000);

  it('serves Prometheus metrics on 127.0.0.1 (--metrics-port); a port in use is exit 2', async () => {
    p = project('  - {name: hourly, cron: "0 1 * * *", select: "a b"}\n', {
      'models/sources.yml': 'sources:\n  - name: drops\n    tables:\n      - name: files\n        path: data/*.csv\n        freshness: {warn_after: {count: 1, period: day}}\n',
      'data/a.csv': 'id\n1\n',
    });
    expect((await p.run('build', '-s', 'a')).code).toBe(0);
    expect((await p.run('freshness')).code).toBe(0);
    const port = await freePort();
    const s = scheduler(p, { EIDER_CLOCK: '2026-01-01T00:59:59Z' }, '--metrics-port', String(port));
    await s.waitFor(/hourly on dev: run finished/);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('eider_schedule_runs_total{schedule="hourly",target="dev",status="success"} 1');
    expect(text).toContain('eider_schedule_run_duration_seconds_count{schedule="hourly",target="dev"} 1');
    expect(text).toContain('eider_schedule_models_built_total{schedule="hourly",target="dev"} 2');
    expect(text).toContain('eider_schedule_running{target="dev"} 0');
    expect(text).toMatch(/^eider_source_freshness_age_seconds\{target="dev",source="source\.drops\.files"\} \d+$/m);
    const last = Number(/^eider_schedule_last_success_timestamp_seconds\{schedule="hourly",target="dev"\} (\d+)$/m.exec(text)?.[1]);
    expect(last).toBeGreaterThanOrEqual(Date.parse('2026-01-01T01:00:00Z') / 1000);
    expect(last).toBeLessThan(Date.parse('2026-01-01T01:05:00Z') / 1000);
    // The port is taken now: a second scheduler cannot serve on it.
    const taken = await p.run('schedule', '--metrics-port', String(port));
    expect(taken.code).toBe(2);
    expect(taken.stderr).toContain(`--metrics-port ${port}: 127.0.0.1:${port} is in use by another process: choose another port`);
    expect(await s.stop('SIGINT')).toBe(0);
  }, 120_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
