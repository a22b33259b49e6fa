import { afterEach, describe, expect, it } from 'vitest';
import { fork, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { acquireLock, lockPath } from '../publish/lock.js';
import { buildProd, killBuildAfter, leftovers, prodProject, prodRelease, READER_SCRIPT, ROWS } from '../test-support/prod.js';
import { queryFile, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/eider.js');
const prodPath = () => join(p!.dir, 'warehouse/prod.duckdb');

describe('swap publishing (prod)', () => {
  it('publishes only a release whose every test passed, keeps the previous one, and records history', async () => {
    p = prodProject();
    const first = await buildProd(p, 1);
    expect(first.stdout).toMatch(/target prod \(swap publish\)/);
    expect(first.stdout).toMatch(/Published release \S+ to prod/);
    expect(first.code).toBe(0);
    expect(await prodRelease(p)).toBe(1);
    expect((await buildProd(p, 2)).code).toBe(0);
    expect(await prodRelease(p)).toBe(2);
    expect(readdirSync(join(p.dir, 'warehouse/.eider-releases/prod.duckdb'))).toHaveLength(1);

    // An error-severity test fails: nothing is published.
    p.write('models/b.yml', 'models:\n  - name: b\n    columns:\n      - name: v\n        tests:\n          - accepted_values: {values: [1, 2], quote: false}\n');
    const failed = await buildProd(p, 3);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Nothing was published: a node or an error-severity test failed, so prod keeps its current release/);
    expect(await prodRelease(p)).toBe(2);
    expect(leftovers(p)).toEqual([]);

    const releases = await queryFile(prodPath(), `select status, node_count from eider.releases order by started_at`);
    expect(releases).toEqual([
      { status: 'published', node_count: 3 },
      { status: 'published', node_count: 3 },
    ]);
    const runs = await queryFile(prodPath(), `select name, status, rows::int as rows from eider.node_runs where name = 'a' order by started_at`);
    expect(runs).toEqual([
      { name: 'a', status: 'success', rows: ROWS },
      { name: 'a', status: 'success', rows: ROWS },
    ]);
    expect(await queryFile(prodPath(), `select count(*)::int as n from eider.test_results where status = 'pass'`)).toEqual([{ n: 2 }]);
  });

  it('rollback restores the previous release atomically; a bad --release is a usage error', async () => {
    p = prodProject();
    await buildProd(p, 1);
    await buildProd(p, 2);
    // The project no longer compiles (a broken ref, a var not given): the rollback, which needs only the target, runs.
    p.write('models/broken.sql', 'select {{ref "nosuch"}}, {{var "not_given"}} as x\n');
    const r = await p.run('rollback', '--target', 'prod');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Rolled prod back to release \S+ \(from \S+, which is kept\)/);
    expect(await prodRelease(p)).toBe(1);
    const bad = await p.run('rollback', '--target', 'prod', '--release', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--release: no kept release "nope"/);
    const dev = await p.run('rollback');
    expect(dev.code).toBe(2);
    expect(dev.stderr).toMatch(/target "dev" publishes in place; rollback needs publish: swap/);
  });

  it('rollbacks in a row walk back through the kept releases, each saying which is live; --release still picks one', async () => {
    p = prodProject();
    const ids: string[] = [];
    for (const v of [1, 2, 3]) ids.push(/Published release (\S+) to prod/.exec((await buildProd(p, v)).stdout)![1]);
    const rollback = async (...args: string[]) => {
      const r = await p!.run('rollback', '--target', 'prod', ...args);
      return { ...r, release: await prodRelease(p!) };
    };
    const kept = () => readdirSync(join(p!.dir, 'warehouse/.eider-releases/prod.duckdb')).sort();
    const first = await rollback();
    expect(first.stdout).toContain(`Rolled prod back to release ${ids[1]} (from ${ids[2]}, which is kept). Live now: ${ids[1]}.`);
    expect(first.release).toBe(2);
    // keep_releases: 2 earlier releases besides the live one.
    expect(kept()).toEqual(ids.map((id) => `${id}.duckdb`));
    const second = await rollback();
    expect(second.stdout).toContain(`Rolled prod back to release ${ids[0]} (from ${ids[1]}, which is kept). Live now: ${ids[0]}.`);
    expect(second.release).toBe(1);
    const none = await rollback();
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`error: no release of prod earlier than ${ids[0]} is kept`);
    expect(none.release).toBe(1);
    expect((await rollback('--release', ids[0])).stderr).toMatch(/--release: \S+ is already live/);
    // --release goes forward again; a rollback from there steps back along that release's own history.
    expect((await rollback('--release', ids[2])).release).toBe(3);
    expect((await rollback()).release).toBe(2);
    // A release built on a rolled-back-to one rolls back to it, not to the release that was replaced.
    ids.push(/Published release (\S+) to prod/.exec((await buildProd(p, 4)).stdout)![1]);
    const after = await rollback();
    expect(after.stdout).toContain(`Rolled prod back to release ${ids[1]} (from ${ids[3]}, which is kept). Live now: ${ids[1]}.`);
    expect(after.release).toBe(2);
    expect(await queryFile(prodPath(), `select release_id from eider.releases where status = 'published' order by published_at desc limit 1`)).toEqual([{ release_id: ids[1] }]);
    expect(leftovers(p)).toEqual([]);
  });

  it('keep_releases: 1 — a build after a rollback keeps the release it replaced, so the next rollback finds it', async () => {
    p = prodProject({ 'profiles/profiles.yml': 't:\n  target: prod\n  targets:\n    prod:\n      path: warehouse/prod.duckdb\n      keep_releases: 1\n' });
    for (const v of [1, 2]) expect((await buildProd(p, v)).code).toBe(0);
    expect((await p.run('rollback', '--target', 'prod')).code).toBe(0);
    expect(await prodRelease(p)).toBe(1);
    expect((await buildProd(p, 3)).code).toBe(0);
    const back = await p.run('rollback', '--target', 'prod');
    expect(back.stderr).toBe('');
    expect(back.code).toBe(0);
    expect(await prodRelease(p)).toBe(1);
  });

  it('a second build on the same target fails at once naming the holder; a lock left by a dead process does not block', async () => {
    p = prodProject();
    expect((await buildProd(p, 1)).code).toBe(0);
    const held = acquireLock(prodPath(), 'test');
    try {
      const r = await buildProd(p, 2);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`target is being built by another eider process \\(PID ${process.pid}, test, since `));
      // The lock is taken before the project compiles: a held target is refused before any compile work.
      p.write('models/broken.sql', 'select * from {{ref "nope"}}');
      const early = await buildProd(p, 2);
      expect(early.stderr).toMatch(/target is being built by another eider process/);
      expect(early.stderr).not.toMatch(/nope/);
      expect(early.code).toBe(1);
      rmSync(join(p.dir, 'models/broken.sql'));
    } finally {
      held.release();
    }
    expect(await prodRelease(p)).toBe(1);
    // A process that held the lock and died.
    const dead = spawn(process.execPath, ['-e', '0']);
    await new Promise((r) => dead.on('exit', r));
    writeFileSync(lockPath(prodPath()), JSON.stringify({ pid: dead.pid, host: hostname(), since: new Date().toISOString(), command: 'eider build' }));
    expect((await buildProd(p, 2)).code).toBe(0);
    expect(await prodRelease(p)).toBe(2);
    expect(existsSync(lockPath(prodPath()))).toBe(false);
  });

  it('two builds at once on one target: the second fails at once naming the first one\'s PID, the first publishes', async () => {
    p = prodProject({ 'models/slow.sql': '{{config materialized="table"}}\nselect count(*) as n from range(1000000000) t(x) where x % 7 = 1' });
    const first = spawn(process.execPath, [BIN, 'build', '--target', 'prod', '--vars', '{v: 1}'], { cwd: p.dir, stdio: 'ignore' });
    const lock = lockPath(prodPath());
    for (let i = 0; i < 200 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(lock)).toBe(true);
    const second = await buildProd(p, 2);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`target is being built by another eider process \\(PID ${first.pid}, eider build`));
    expect(await new Promise((r) => first.on('exit', r))).toBe(0);
    expect(await prodRelease(p)).toBe(1);
  });

  it('moves a stale prod WAL aside with a warning instead of replaying it into the new release', async () => {
    p = prodProject();
    expect((await buildProd(p, 1)).code).toBe(0);
    writeFileSync(`${prodPath()}.wal`, 'not a WAL of this release');
    const r = await buildProd(p, 2);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: moved a stale prod\.duckdb\.wal aside/);
    expect(existsSync(`${prodPath()}.wal`)).toBe(false);
    expect(await prodRelease(p)).toBe(2);
  });

  it('kill -9 while DuckDB spills to disk: the next build removes the spill folder and succeeds', async () => {
    p = prodProject({
      'profiles/profiles.yml': 't:\n  target: prod\n  targets:\n    prod:\n      path: warehouse/prod.duckdb\n      threads: 1\n      settings: {memory_limit: 64MB, threads: 1, preserve_insertion_order: false}\n',
      'models/big.sql': '{{config materialized="table"}}\nselect x, md5(x::varchar) as h from range(30000000) t(x) order by h',
    });
    expect((await buildProd(p, 1, '-s', 'a', 'b')).code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'build', '--target', 'prod', '--vars', '{v: 2}'], { cwd: p.dir, stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    const spill = () => readdirSync(join(p!.dir, 'warehouse')).find((f) => f.endsWith('.duckdb.tmp') && readdirSync(join(p!.dir, 'warehouse', f)).length > 0);
    for (let i = 0; i < 600 && !spill(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(spill()).toBeDefined();
    child.kill('SIGKILL');
    await exited;
    expect(leftovers(p).some((f) => f.endsWith('.tmp'))).toBe(true);
    const next = await buildProd(p, 3, '-s', 'a', 'b');
    expect(next.stderr).toMatch(/warning: removed \.prod\.duckdb\.build-\S+\.duckdb\.tmp, left by an earlier build/);
    expect(next.code).toBe(0);
    expect(await prodRelease(p)).toBe(3);
    expect(leftovers(p)).toEqual([]);
  }, 120_000);

  it('SIGTERM during a build starts no new node, publishes nothing and releases the lock', async () => {
    p = prodProject({ 'models/slow.sql': '{{config materialized="table"}}\nselect count(*) as n from range(3000000000) t(x) where x % 7 = 1', 'models/after.sql': 'select * from {{ref "slow"}}' });
    expect((await buildProd(p, 1, '-s', 'a', 'b')).code).toBe(0);
    const child = spawn(process.execPath, [BIN, 'build', '--target', 'prod', '--vars', '{v: 2}'], { cwd: p.dir });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('exit', r));
    expect(code).toBe(143);
    expect(out).toMatch(/Nothing was published: the build was interrupted/);
    expect(out).toMatch(/Interrupted by SIGTERM/);
    expect(await prodRelease(p)).toBe(1);
    expect(existsSync(lockPath(prodPath()))).toBe(false);
    expect(leftovers(p)).toEqual([]);
  });
});

describe('signals at any moment of a prod build', () => {
  it('either the release is published and the exit says so, or nothing is and it exits 130/143 saying so', async () => {
    p = prodProject();
    const t0 = performance.now();
    expect((await buildProd(p, 1)).code).toBe(0);
    const duration = performance.now() - t0;
    let current = 1;
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const seen = { published: 0, nothing: 0 };
    for (let i = 0; i < 16; i++) {
      const v = current + 1;
      const signal = i % 2 === 0 ? 'SIGTERM' : 'SIGINT';
      const child = spawn(process.execPath, [BIN, 'build', '--target', 'prod', '--vars', `{v: ${v}}`], { cwd: p.dir });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((r) => child.on('exit', (c, sig) => r(c ?? (sig === signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : null))));
      // Mostly late in the build: the finishing phase (history, checkpoint, rename) is where it went wrong.
      setTimeout(() => child.kill(signal), Math.round(duration * (0.5 + 0.6 * rand())));
      const code = await exited;
      const now = await prodRelease(p);
      expect(out).not.toMatch(/INTERRUPT Error|\n\s+at /);
      if (now === v) {
        expect(code, out).toBe(0);
        expect(out).toMatch(/Published release \S+ to prod/);
        expect(out).not.toMatch(/Nothing was published/);
        seen.published++;
      } else {
        expect(now).toBe(current);
        expect(code, out).toBe(signal === 'SIGINT' ? 130 : 143);
        // Killed by the signal before eider had set up (node still starting): nothing begun, nothing to say.
        if (out !== '') expect(out).toMatch(/Nothing was published/);
        expect(out).not.toMatch(/Published release/);
        seen.nothing++;
      }
      current = now!;
      expect(leftovers(p)).toEqual([]);
    }
    console.log(`signals: 16 over a ${Math.round(duration)} ms build; published ${seen.published}, nothing published ${seen.nothing}`);
  }, 180_000);
});

describe('secrets on prod', () => {
  it('a canary secret from the environment never appears in output, artifacts, compiled SQL, history or errors', async () => {
    const canary = 'canary-9f2c-s3cr3t-prod';
    p = prodProject({
      'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: "warehouse/{{env "EIDER_CANARY_DB"}}.duckdb"\n',
      'models/token.sql': `{{config materialized="table"}}\nselect '{{env "EIDER_CANARY"}}' as token`,
      'models/broken.sql': `select '{{env "EIDER_CANARY"}}' as token from missing_{{env "EIDER_CANARY"}}`,
    });
    const env = { EIDER_CANARY: canary, EIDER_CANARY_DB: `${canary}-file` };
    const outputs = [await p.runWith(env, 'build', '--target', 'prod', '--exclude', 'broken'), await p.runWith(env, 'build', '--target', 'prod'), await p.runWith(env, 'compile', '--target', 'prod'), await p.runWith(env, 'debug', '--target', 'prod')];
    expect(outputs[0].code).toBe(0);
    expect(outputs[1].code).toBe(1); // broken's DuckDB error quotes the SQL, secret included
    expect(outputs[1].stdout).toMatch(/ERROR view main\.broken/);
    for (const o of outputs) expect(o.stdout + o.stderr).not.toContain('canary-9f2c');
    const files = readdirSync(join(p.dir, 'target'), { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    for (const f of files) expect(readFileSync(join(f.parentPath, f.name), 'utf8')).not.toContain('canary-9f2c');
    const db = join(p.dir, `warehouse/${canary}-file.duckdb`);
    const history = await queryFile(db, `select * from eider.releases, eider.node_runs`);
    expect(JSON.stringify(history, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).not.toContain('canary-9f2c');
    // The real value was used to build.
    expect(await queryFile(db, 'select token from main.token')).toEqual([{ token: canary }]);
  });
});

describe('BI readers and crashes', () => {
  it('a reader querying prod in a loop while builds publish never fails and always sees one whole release', async () => {
    p = prodProject();
    expect((await buildProd(p, 1)).code).toBe(0);
    const duckdb = pathToFileURL(createRequire(import.meta.url).resolve('@duckdb/node-api')).href;
    const script = join(p.dir, 'reader.mjs');
    writeFileSync(script, READER_SCRIPT);
    const reader = fork(script, [prodPath(), String(ROWS)], { env: { ...process.env, EIDER_DUCKDB: duckdb }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const stats = new Promise<{ opens: number; reads: number; failures: number; inconsistent: number; releases: number[]; errors: string[] }>((r) => reader.once('message', r as never));
    for (let v = 2; v <= 5; v++) expect((await buildProd(p, v)).code).toBe(0);
    reader.send('stop');
    const s = await stats;
    console.log(`reader: ${s.opens} opens, ${s.reads} reads, ${s.failures} failures, ${s.inconsistent} inconsistent, releases seen ${s.releases.join(',')}`);
    expect(s.errors).toEqual([]);
    expect(s.failures).toBe(0);
    expect(s.inconsistent).toBe(0);
    expect(s.opens).toBeGreaterThan(5);
    expect(s.releases.every((v) => v >= 1 && v <= 5)).toBe(true);
    expect(s.releases.length).toBeGreaterThan(1);
  }, 120_000);

  it('kill -9 at 20 moments of a build: prod is always exactly the old or the new release, and the next build succeeds', async () => {
    p = prodProject();
    const t0 = performance.now();
    expect((await buildProd(p, 1)).code).toBe(0);
    const duration = performance.now() - t0;
    let current = 1;
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const outcomes = { old: 0, new: 0 };
    for (let i = 0; i < 20; i++) {
      const v = current + 1;
      await killBuildAfter(p, v, Math.round(rand() * duration * 1.2));
      const now = await prodRelease(p);
      expect([current, v]).toContain(now);
      if (now === v) outcomes.new++;
      else outcomes.old++;
      current = now!;
    }
    console.log(`kill -9: 20 kills over a ${Math.round(duration)} ms build; prod was the old release ${outcomes.old} times, the new one ${outcomes.new} times, never anything else`);
    const next = await buildProd(p, current + 1);
    expect(next.code).toBe(0);
    expect(await prodRelease(p)).toBe(current + 1);
    expect(leftovers(p)).toEqual([]);
  }, 180_000);
});
