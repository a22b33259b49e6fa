import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { testProject, type TestProject } from '../test-support/project.js';
import { closedPort, httpReceiver, smtpReceiver, type HttpReceiver, type SmtpReceiver } from '../test-support/receivers.js';

let p: TestProject | undefined;
let http: HttpReceiver | undefined;
let smtp: SmtpReceiver | undefined;
afterEach(async () => {
  p?.remove();
  await http?.close();
  await smtp?.close();
  p = http = smtp = undefined;
});

const SECRET_TOKEN = 'T0k3n-9f8e7d6c5b4a';
const SMTP_PASSWORD = 'smtp-Pa55-1c2b3a';

/** Slack takes errors; the webhook everything; the mail warn and info. Secrets come from the environment. */
const channels = [
  'alerts:',
  '  channels:',
  '    - name: slack',
  '      type: slack',
  '      url: \'{{env "T_SLACK_URL"}}\'',
  '      severities: [error]',
  '    - name: hook',
  '      type: webhook',
  '      url: \'{{env "T_HOOK_URL"}}\'',
  '    - name: mail',
  '      type: email',
  '      to: ops@example.com',
  '      from: eider@example.com',
  '      severities: [warn, info]',
  '      smtp: {host: 127.0.0.1, port: \'{{env "T_SMTP_PORT"}}\', user: alerts, password: \'{{env "T_SMTP_PASSWORD"}}\'}',
].join('\n');

async function receivers(): Promise<Record<string, string>> {
  http = await httpReceiver();
  smtp = await smtpReceiver();
  return { T_SLACK_URL: `${http.url}/slack/${SECRET_TOKEN}`, T_HOOK_URL: `${http.url}/hook/${SECRET_TOKEN}`, T_SMTP_PORT: String(smtp.port), T_SMTP_PASSWORD: SMTP_PASSWORD };
}

interface Hook {
  rule: string;
  severity: string;
  status: string;
  target: string;
  node: string | null;
  message: string;
  time: string;
  project: string;
}
const hooks = () => http!.posts.filter((x) => x.path.startsWith('/hook/')).map((x) => x.body as Hook);
const slack = () => http!.posts.filter((x) => x.path.startsWith('/slack/')).map((x) => (x.body as { text: string }).text);
const summary = (list: Hook[]) => list.map((h) => `${h.status} ${h.rule} ${h.node}`).sort();

/** Every file under the project folder (target/ artifacts, the state file, the DuckDB file) as text. */
function everyFile(dir: string): string {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile())
    .map((f) => readFileSync(f, 'latin1'))
    .join('\n');
}

function expectNoSecrets(t: TestProject, outputs: string[]): void {
  for (const text of [...outputs, everyFile(t.dir)]) {
    expect(text).not.toContain(SECRET_TOKEN);
    expect(text).not.toContain(SMTP_PASSWORD);
    expect(text).not.toContain(`${http!.url}/`);
  }
}

describe('alerts', () => {
  it('run_failed, test_failed and test_warn fire once over two failing runs, resolve once when fixed, routed by severity; secrets stay hidden', async () => {
    const env = await receivers();
    p = testProject({
      'project.yml': `name: t\n${channels}\n  rules:\n    - {on: run_failed, severity: error}\n    - {on: test_failed, severity: error, channels: [hook]}\n    - {on: test_warn, severity: warn}\n`,
      'models/good.sql': 'select 1 as id',
      'models/bad.sql': 'select * from no_such_table',
      'tests/fails.sql': 'select id from {{ref "good"}} where id = 1',
      'tests/warns.sql': '{{config severity="warn"}}\nselect id from {{ref "good"}} where id = 1',
    });
    const quiet = await p.runWith(env, 'build', '--no-alerts');
    expect(quiet.code).toBe(1);
    expect(http!.posts).toEqual([]);
    const outputs: string[] = [quiet.stdout, quiet.stderr];
    for (let i = 0; i < 2; i++) {
      const r = await p.runWith(env, 'build');
      expect(r.code).toBe(1);
      expect(r.stderr).not.toMatch(/could not deliver/);
      outputs.push(r.stdout, r.stderr);
    }
    expect(summary(hooks())).toEqual(['firing run_failed model.bad', 'firing test_failed test.fails', 'firing test_warn test.warns']);
    const failed = hooks().find((h) => h.rule === 'run_failed')!;
    expect(failed).toMatchObject({ severity: 'error', target: 'dev', project: 't' });
    expect(failed.message).toMatch(/^model bad errored: .*no_such_table/);
    expect(Number.isNaN(Date.parse(failed.time))).toBe(false);
    // Slack only takes errors, and test_failed names the hook alone; the mail takes the warning.
    expect(slack()).toHaveLength(1);
    expect(slack()[0]).toMatch(/\[eider t\] ERROR run_failed on dev: model\.bad\nmodel bad errored/);
    expect(smtp!.mails).toHaveLength(1);
    expect(smtp!.mails[0]).toMatchObject({ to: ['ops@example.com'], user: 'alerts', password: SMTP_PASSWORD });
    expect(smtp!.mails[0].text).toMatch(/Subject: \[eider t\] WARN test_warn on dev: test\.warns/);
    const state = JSON.parse(readFileSync(join(p.dir, 'target/alerts/dev.json'), 'utf8'));
    expect(state.schema_version).toBe(1);
    expect(state.open.map((a: { key: string }) => a.key).sort()).toEqual(['run_failed|dev|model.bad', 'test_failed|dev|test.fails', 'test_warn|dev|test.warns']);
    expect(state.open[0]).toEqual(expect.objectContaining({ rule: expect.any(String), severity: expect.any(String), target: 'dev', node_id: expect.any(String), message: expect.any(String), opened_at: expect.any(String), last_sent_at: expect.any(String) }));

    // Fixed: each condition resolves once, then stays quiet.
    p.write('models/bad.sql', 'select 2 as id');
    p.write('tests/fails.sql', 'select id from {{ref "good"}} where id = 5');
    p.write('tests/warns.sql', '{{config severity="warn"}}\nselect id from {{ref "good"}} where id = 5');
    for (let i = 0; i < 2; i++) {
      const r = await p.runWith(env, 'build');
      expect(r.code).toBe(0);
      outputs.push(r.stdout, r.stderr);
    }
    expect(summary(hooks().slice(3))).toEqual(['resolved run_failed model.bad', 'resolved test_failed test.fails', 'resolved test_warn test.warns']);
    expect(slack()).toHaveLength(2);
    expect(slack()[1]).toMatch(/RESOLVED run_failed on dev/);
    expect(smtp!.mails).toHaveLength(2);
    expect(smtp!.mails[1].text).toMatch(/Subject: \[eider t\] RESOLVED test_warn/);
    expect(JSON.parse(readFileSync(join(p.dir, 'target/alerts/dev.json'), 'utf8')).open).toEqual([]);
    expectNoSecrets(p, outputs);
  });

  it('an open alert on a test that was deleted resolves at the next run, saying so', async () => {
    const env = await receivers();
    p = testProject({
      'project.yml': `name: t\n${channels}\n  rules:\n    - {on: test_failed, severity: warn}\n`,
      'models/good.sql': 'select 1 as id',
      'tests/fails.sql': 'select id from {{ref "good"}}',
    });
    expect((await p.runWith(env, 'build')).code).toBe(1);
    expect(summary(hooks())).toEqual(['firing test_failed test.fails']);
    rmSync(join(p.dir, 'tests/fails.sql'));
    expect((await p.runWith(env, 'build')).code).toBe(0);
    expect(summary(hooks())).toEqual(['firing test_failed test.fails', 'resolved test_failed test.fails']);
    expect(hooks()[1].message).toBe('test.fails is no longer in the project');
    expect(JSON.parse(readFileSync(join(p.dir, 'target/alerts/dev.json'), 'utf8')).open).toEqual([]);
  });

  it('run_failed of a whole run: an on_run_end hook that fails fires once, and resolves once the run passes', async () => {
    const env = await receivers();
    const yml = (hook: string) => `name: t\non_run_end: "${hook}"\n${channels}\n  rules:\n    - {on: run_failed, severity: error}\n    - {name: bad_only, on: run_failed, severity: error, select: [good]}\n`;
    p = testProject({ 'project.yml': yml('select * from no_such_table'), 'models/good.sql': 'select 1 as id' });
    for (let i = 0; i < 2; i++) expect((await p.runWith(env, 'build')).code).toBe(1);
    expect(hooks().map((h) => `${h.status} ${h.rule} ${h.node}: ${h.message}`)).toEqual(['firing run_failed run:build: eider build failed: on_run_end failed (project.yml:2): nothing was published']);
    p.write('project.yml', yml('select 1'));
    for (let i = 0; i < 2; i++) expect((await p.runWith(env, 'build')).code).toBe(0);
    expect(summary(hooks())).toEqual(['firing run_failed run:build', 'resolved run_failed run:build']);
  });

  it('freshness: a stale file source and a model SLA fire once and resolve once when fresh', async () => {
    const env = await receivers();
    p = testProject({
      'project.yml': `name: t\n${channels}\n  rules:\n    - {on: freshness, severity: warn}\n`,
      'models/sources.yml': [
        'sources:',
        '  - name: drops',
        '    tables:',
        '      - name: files',
        '        path: data/*.csv',
        '        freshness: {warn_after: {count: 1, period: hour}}',
        'models:',
        '  - name: daily',
        '    freshness: {warn_after: {count: 2, period: hour}}',
        '',
      ].join('\n'),
      'models/daily.sql': 'select count(*) as n from {{source "drops" "files"}}',
      'data/a.csv': 'id\n1\n',
    });
    const old = Date.now() / 1000 - 3 * 3600;
    utimesSync(join(p.dir, 'data/a.csv'), old, old);
    for (let i = 0; i < 2; i++) expect((await p.runWith(env, 'freshness')).code).toBe(1); // the model was never built: error level
    expect(summary(hooks())).toEqual(['firing freshness model.daily', 'firing freshness source.drops.files']);
    expect(hooks().find((h) => h.node === 'source.drops.files')!.message).toMatch(/^drops\.files is 3h 0m old: stale at warn level \(warn after 1 hour\)$/);
    expect(smtp!.mails).toHaveLength(2);
    // build's --fail-on-stale-sources checks the same way: still stale, nothing new is sent.
    expect((await p.runWith(env, 'build', '--fail-on-stale-sources')).code).toBe(0);
    expect(hooks()).toHaveLength(2);
    utimesSync(join(p.dir, 'data/a.csv'), new Date(), new Date());
    for (let i = 0; i < 2; i++) expect((await p.runWith(env, 'freshness')).code).toBe(0);
    expect(summary(hooks().slice(2))).toEqual(['resolved freshness model.daily', 'resolved freshness source.drops.files']);
    expect(slack()).toEqual([]); // warn is not for the error-only channel
  });

  it('slow_model: a build over 150% of its median over the last runs fires once, and resolves when back to normal', async () => {
    const env = await receivers();
    p = testProject({
      'project.yml': `name: t\n${channels}\n  rules:\n    - {on: slow_model, severity: info, runs: 5}\n`,
      'models/m.sql': '{{config materialized="table"}}\nselect range as id from range(1000)',
    });
    expect((await p.runWith(env, 'build')).code).toBe(0); // no history yet: no median, no alert
    expect(hooks()).toEqual([]);
    // Five earlier successful runs of 1 ms each make a median no real build beats.
    const history = async (ms: number) => {
      const { DuckDbAdapter } = await import('../adapter/duckdb.js');
      const a = await DuckDbAdapter.open({ path: p!.db, threads: 1 });
      const rows = [1, 2, 3, 4, 5].map((i) => `('r${i}', 'past-${ms}-${i}', 'model.m', 'model', 'm', 'success', now() + interval ${i} second, ${ms}, 1000, null)`);
      await a.sessions[0].exec(`insert into eider.node_runs (release_id, invocation_id, node_id, resource_type, name, status, started_at, duration_ms, rows, error) values ${rows.join(', ')}`);
      await a.close();
    };
    await history(1);
    for (let i = 0; i < 2; i++) expect((await p.runWith(env, 'build')).code).toBe(0);
    expect(summary(hooks())).toEqual(['firing slow_model model.m']);
    expect(hooks()[0]).toMatchObject({ severity: 'info' });
    expect(hooks()[0].message).toMatch(/^model m took [\d.]+ s, \d+% of its median 0\.00 s over its last 5 successful runs \(threshold 150%\)$/);
    expect(smtp!.mails).toHaveLength(1);
    // Later runs of a minute each: this build is fast again.
    await history(60_000);
    expect((await p.runWith(env, 'build')).code).toBe(0);
    expect(summary(hooks().slice(1))).toEqual(['resolved slow_model model.m']);
  });

  it('run_skipped: alertRunSkipped fires once per schedule and target, resolveRunSkipped resolves it once', async () => {
    const env = await receivers();
    p = testProject({ 'project.yml': `name: t\n${channels}\n  rules:\n    - {name: skipped, on: run_skipped, severity: warn}\n` });
    const dist = (f: string) => pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../../dist', f)).href;
    // What `eider schedule` does: read the project, then tell alerts a due run was skipped (twice), then that it ran.
    const script = [
      `const { loadProject } = await import(${JSON.stringify(dist('project/load.js'))});`,
      `const { parseProject } = await import(${JSON.stringify(dist('project/parse.js'))});`,
      `const { alertRunSkipped, resolveRunSkipped } = await import(${JSON.stringify(dist('operate/alerts.js'))});`,
      'const d = []; const def = parseProject(loadProject(process.cwd()), {}, d);',
      'if (d.length) throw new Error(JSON.stringify(d));',
      `for (let i = 0; i < 2; i++) await alertRunSkipped(process.cwd(), def, 'dev', 'hourly', 'a run of schedule daily holds the target');`,
      `await resolveRunSkipped(process.cwd(), def, 'dev', 'hourly');`,
      `await resolveRunSkipped(process.cwd(), def, 'dev', 'hourly');`,
    ].join('\n');
    const code = await new Promise<number | null>((res) => spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: p!.dir, env: { ...process.env, ...env }, stdio: 'inherit' }).on('close', res));
    expect(code).toBe(0);
    expect(hooks().map((h) => `${h.status} ${h.rule} ${h.node}: ${h.message}`)).toEqual([
      'firing skipped schedule:hourly: scheduled run "hourly" on dev was skipped: a run of schedule daily holds the target',
      'resolved skipped schedule:hourly: scheduled run "hourly" on dev ran',
    ]);
    expect(smtp!.mails).toHaveLength(2);
  });

  it('receivers down or failing: one warning line, the exit code unchanged, no secret in it', async () => {
    http = await httpReceiver();
    http.status = 500;
    const down = await closedPort();
    const env = { T_SLACK_URL: `http://127.0.0.1:${down}/slack/${SECRET_TOKEN}`, T_HOOK_URL: `${http.url}/hook/${SECRET_TOKEN}`, T_SMTP_PORT: String(down), T_SMTP_PASSWORD: SMTP_PASSWORD };
    p = testProject({
      'project.yml': `name: t\n${channels}\n  rules:\n    - {on: run_failed, severity: error}\n    - {on: test_warn, severity: warn}\n`,
      'models/good.sql': 'select 1 as id',
      'tests/warns.sql': '{{config severity="warn"}}\nselect id from {{ref "good"}}',
    });
    const ok = await p.runWith(env, 'build');
    expect(ok.code).toBe(0);
    const warnings = ok.stderr.split('\n').filter((l) => l.startsWith('warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^warning: could not deliver 2 alerts: (hook \(HTTP 500\)|mail \(connection refused\)), (hook \(HTTP 500\)|mail \(connection refused\))$/);
    expect(http.posts).toHaveLength(1);
    // Nobody took it: the alert stays open without last_sent_at, and is tried again by the next run.
    const state = JSON.parse(readFileSync(join(p.dir, 'target/alerts/dev.json'), 'utf8'));
    expect(state.open).toHaveLength(1);
    expect(state.open[0].last_sent_at).toBeUndefined();
    p.write('models/bad.sql', 'select * from nope');
    const failed = await p.runWith(env, 'build');
    expect(failed.code).toBe(1);
    expect(failed.stderr.match(/^warning: could not deliver/gm)).toHaveLength(1);
    expect(http.posts).toHaveLength(3); // test_warn again, run_failed
    expectNoSecrets(p, [ok.stdout, ok.stderr, failed.stdout, failed.stderr]);
  });

  it('receivers that never answer: the run waits at most the delivery timeout, then warns once', async () => {
    // An HTTP server that never replies, and a TCP server that never greets (an SMTP server gone silent).
    const sockets: Socket[] = [];
    const silentHttp = createHttpServer(() => undefined);
    const silentSmtp = createTcpServer((s) => sockets.push(s));
    await Promise.all([silentHttp, silentSmtp].map((srv) => new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()))));
    const port = (srv: { address(): unknown }) => (srv.address() as AddressInfo).port;
    const env = { T_SLACK_URL: `http://127.0.0.1:${port(silentHttp)}/slack/${SECRET_TOKEN}`, T_HOOK_URL: `http://127.0.0.1:${port(silentHttp)}/hook/${SECRET_TOKEN}`, T_SMTP_PORT: String(port(silentSmtp)), T_SMTP_PASSWORD: SMTP_PASSWORD };
    try {
      p = testProject({
        'project.yml': `name: t\n${channels}\n  rules:\n    - {on: run_failed, severity: error}\n    - {on: test_warn, severity: warn}\n`,
        'models/bad.sql': 'select * from nope',
        'models/good.sql': 'select 1 as id',
        'tests/warns.sql': '{{config severity="warn"}}\nselect id from {{ref "good"}}',
      });
      const started = Date.now();
      const r = await p.runWith(env, 'build');
      const elapsed = Date.now() - started;
      expect(r.code).toBe(1);
      expect(r.stderr.match(/^warning: could not deliver 4 alerts: .*$/gm)).toHaveLength(1);
      expect(r.stderr).toMatch(/slack \(no answer within 5 s\)/);
      expect(r.stderr).toMatch(/mail \(no answer within 5 s\)/);
      expect(elapsed).toBeLessThan(15_000);
      expect(r.stderr).not.toContain(SECRET_TOKEN);
    } finally {
      silentHttp.closeAllConnections();
      for (const s of sockets) s.destroy();
      await Promise.all([silentHttp, silentSmtp].map((srv) => new Promise((res) => srv.close(res))));
    }
  });

  it('a channel whose environment variable is unset is off: a fresh clone builds clean, and eider debug says so', async () => {
    p = testProject({
      'project.yml': 'name: t\nalerts:\n  channels:\n    - {name: slack, type: slack, url: \'{{env "EIDER_TEST_UNSET_URL" ""}}\'}\n    - {name: mail, type: email, to: \'{{env "EIDER_TEST_UNSET_TO" ""}}\', smtp: {host: \'{{env "EIDER_TEST_UNSET_HOST" ""}}\', port: 25}}\n  rules:\n    - {on: test_warn, severity: warn}\n',
      'models/good.sql': 'select 1 as id',
      'tests/warns.sql': '{{config severity="warn"}}\nselect id from {{ref "good"}}',
    });
    const r = await p.run('build');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    // eider debug says which channels would send.
    const d = await p.runWith({ EIDER_TEST_UNSET_URL: 'http://127.0.0.1:9/x' }, 'debug');
    expect(d.stdout).toMatch(/^alerts: +1 rule; channels: slack \(slack, on\), mail \(email, off: smtp\.host or to is empty\)$/m);
  });

  it('bad alerts config: file:line, exit 2, nothing built', async () => {
    const cases: Array<[string, RegExp]> = [
      ['alerts:\n  rules:\n    - {on: run_faild, severity: error}\n', /^project\.yml:4: alerts\.rules on must be one of run_failed, .*; got "run_faild" \(did you mean "run_failed"\?\)$/m],
      ['alerts:\n  channels:\n    - {name: a, type: slack, url: \'http://x\'}\n  rules:\n    - {on: run_failed, severity: error, channels: [b]}\n', /^project\.yml:6: alert rule "run_failed": unknown channel "b"/m],
      ['alerts:\n  channels:\n    - {name: a, type: email, to: x@y}\n', /^project\.yml:4: alert channel "a": an email channel needs smtp: \{host, port\} and to:$/m],
      ['alerts:\n  channels:\n    - {name: a, type: slack, url: \'http://x\', severities: [critical]}\n', /^project\.yml:4: alert channel "a": unknown severity "critical"/m],
      ['alerts:\n  rules:\n    - {on: test_failed, severity: error, threshold: 200}\n', /^project\.yml:4: alert rule "test_failed": threshold applies to on: slow_model only$/m],
      ['alerts:\n  rules:\n    - {on: run_failed, severity: error, select: [no_such_model]}\n', /^project\.yml:4: .*no_such_model/m],
      ['alerts:\n  chanels: []\n', /^project\.yml:3: unknown key "chanels" in alerts \(did you mean "channels"\?\)$/m],
    ];
    p = testProject({ 'models/good.sql': 'select 1 as id' });
    for (const [yml, message] of cases) {
      p.write('project.yml', `name: t\n${yml}`);
      const r = await p.run('build');
      expect(r.code, yml).toBe(2);
      expect(r.stderr, yml).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(p.db)).toBe(false);
    }
  });
});
