import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockPath } from '../publish/lock.js';
import { BIN, runCli, testProject, type TestProject } from '../test-support/project.js';

const WAIT_MS = 45_000;

/** `eider watch …` as a child process, its output read as it comes. */
interface Watch {
  /** stdout and stderr so far, interleaved. */
  readonly output: () => string;
  /** Resolves once `pattern` has matched `count` times in the output (or rejects after a generous time). */
  until(pattern: RegExp, count?: number): Promise<void>;
  readonly exited: Promise<number>;
  kill(sig: NodeJS.Signals): void;
}

const running: ChildProcessWithoutNullStreams[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

function watch(p: TestProject, ...args: string[]): Watch {
  const child = spawn(process.execPath, [BIN, 'watch', ...args], { cwd: p.dir, env: { ...process.env, NO_COLOR: '1' } });
  running.push(child);
  let text = '';
  const waiters = new Set<() => void>();
  const read = (d: Buffer) => {
    text += d.toString();
    for (const w of waiters) w();
  };
  child.stdout.on('data', read);
  child.stderr.on('data', read);
  const exited = new Promise<number>((r) => child.on('close', (code, signal) => r(code ?? (signal ? -1 : -2))));
  return {
    output: () => text,
    until: (pattern, count = 1) =>
      new Promise((resolve, reject) => {
        const g = new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`);
        const check = () => {
          if ((text.match(g) ?? []).length >= count) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern} ×${count}; output:\n${text}`));
        }, WAIT_MS);
        waiters.add(check);
        void exited.then(() => {
          if (waiters.has(check)) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`eider watch exited before ${pattern} ×${count}; output:\n${text}`));
          }
        });
        check();
      }),
    exited,
    kill: (sig) => child.kill(sig),
  };
}

const WATCHING = /^Watching \. for changes \(Ctrl-C to stop\)$/m;

const MODELS = {
  'models/a.sql': "{{config materialized='table'}}\nselect 1 as id\n",
  'models/b.sql': "{{config materialized='table'}}\nselect id * 10 as id from {{ref 'a'}}\n",
  'models/c.sql': "{{config materialized='table'}}\nselect 5 as x\n",
  'models/schema.yml': 'models:\n  - name: a\n    columns:\n      - name: id\n        tests: [not_null]\n  - name: c\n    columns:\n      - name: x\n        tests: [not_null]\n',
};

describe('eider watch', () => {
  it('builds everything at start, then a saved model and what is downstream of it, with their tests, and nothing else', async () => {
    const p = testProject({ ...MODELS, 'models/notes.txt': 'not a model' });
    try {
      const w = watch(p);
      await w.until(WATCHING);
      expect(w.output()).toMatch(/OK created table main\.c/);
      expect(w.output().match(/models\/notes\.txt: warning: ignored/g)).toHaveLength(1);
      const start = w.output().length;
      p.write('models/a.sql', "{{config materialized='table'}}\nselect 2 as id\n");
      await w.until(WATCHING, 2);
      const rebuilt = w.output().slice(start);
      expect(rebuilt).toMatch(/^\d\d:\d\d:\d\d models\/a\.sql changed$/m);
      expect(rebuilt).toMatch(/^3 nodes to build\.$/m);
      expect(rebuilt).toMatch(/OK created table main\.a /);
      expect(rebuilt).toMatch(/OK created table main\.b /);
      expect(rebuilt).toMatch(/PASS test not_null_a_id /);
      expect(rebuilt).not.toMatch(/main\.c |not_null_c_x/);
      expect(await p.query('select id from main.b')).toEqual([{ id: 20 }]);
      // A file deleted while watched: nothing to build, and watch goes on.
      const before = w.output().length;
      rmSync(join(p.dir, 'models/b.sql'));
      await w.until(WATCHING, 3);
      expect(w.output().slice(before)).toMatch(/models\/b\.sql changed\n(.*\n)?Nothing to build: no selected node changed\.\n/);
      w.kill('SIGINT');
      expect(await w.exited).toBe(130);
    } finally {
      p.remove();
    }
  });

  it('a changed YAML test runs alone; a template error prints file:line and waits; its fix builds; quick saves make one build', async () => {
    const p = testProject(MODELS);
    try {
      const w = watch(p);
      await w.until(WATCHING);
      let start = w.output().length;
      p.write('models/schema.yml', MODELS['models/schema.yml'].replace('tests: [not_null]', 'tests: [unique]'));
      await w.until(WATCHING, 2);
      let out = w.output().slice(start);
      expect(out).toMatch(/^1 node to build\.$/m);
      expect(out).toMatch(/1 of 1 PASS test unique_a_id /);
      expect(out).not.toMatch(/created table/);

      start = w.output().length;
      p.write('models/c.sql', "{{config materialized='table'}}\nselect 5 as x\nfrom {{ref 'nope'}}\n");
      // stderr and stdout are two pipes: wait for the error itself
      await w.until(/^models\/c\.sql:3: .*nope/m);
      await w.until(WATCHING, 3);
      out = w.output().slice(start);
      expect(out).not.toMatch(/at .*\.js:\d+/); // no stack trace

      start = w.output().length;
      // Two saves in quick succession (and one of another file): one build of both.
      p.write('models/c.sql', "{{config materialized='table'}}\nselect 6 as x\n");
      p.write('models/c.sql', "{{config materialized='table'}}\nselect 7 as x\n");
      p.write('models/a.sql', "{{config materialized='table'}}\nselect 3 as id\n");
      await w.until(WATCHING, 4);
      out = w.output().slice(start);
      expect(out.match(/changed$/gm)).toHaveLength(1);
      expect(out.match(/^eider \S+ · t · target dev/gm)).toHaveLength(1);
      expect(out).toMatch(/OK created table main\.c /);
      expect(out).toMatch(/OK created table main\.b /);
      expect(await p.query('select (select x from main.c) as x, (select id from main.b) as b')).toEqual([{ x: 7, b: 30 }]);
      w.kill('SIGINT');
      expect(await w.exited).toBe(130);
      expect(existsSync(lockPath(p.db))).toBe(false);
    } finally {
      p.remove();
    }
  });

  it('SIGTERM during a build interrupts it, leaves no lock and exits 143', async () => {
    const p = testProject({ ...MODELS, 'models/slow.sql': "{{config materialized='table'}}\nselect sum(i) as s from range(20000000000) t(i)\n" });
    try {
      const w = watch(p);
      await w.until(/OK created table main\.c /);
      // the slow model holds the build (and its lock) until the signal
      for (let i = 0; i < 400 && !existsSync(lockPath(p.db)); i++) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(lockPath(p.db))).toBe(true);
      w.kill('SIGTERM');
      expect(await w.exited).toBe(143);
      expect(w.output()).toMatch(/Interrupted by SIGTERM/);
      expect(existsSync(lockPath(p.db))).toBe(false);
      expect(w.output()).not.toMatch(/Watching/);
    } finally {
      p.remove();
    }
  });

  it('a build that could not start (another process holds the lock) is built with the next save', async () => {
    const p = testProject(MODELS);
    try {
      mkdirSync(dirname(p.db), { recursive: true });
      writeFileSync(lockPath(p.db), JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString(), command: 'eider build' }));
      const w = watch(p);
      await w.until(/^error: target is being built by another eider process/m);
      await w.until(WATCHING);
      rmSync(lockPath(p.db));
      const start = w.output().length;
      p.write('models/c.sql', "{{config materialized='table'}}\nselect 6 as x\n");
      await w.until(WATCHING, 2);
      const out = w.output().slice(start);
      for (const m of ['a', 'b', 'c']) expect(out).toMatch(new RegExp(`OK created table main\\.${m} `));
      expect(await p.query('select x from main.c')).toEqual([{ x: 6 }]);
      w.kill('SIGINT');
      expect(await w.exited).toBe(130);
    } finally {
      p.remove();
    }
  });

  it('-s narrows every build: at start the selection, then what changed within it (--poll: files polled)', async () => {
    const p = testProject(MODELS);
    try {
      const w = watch(p, '--poll', '-s', 'a', 'c', '--exclude', 'not_null_c_x');
      await w.until(WATCHING);
      expect(w.output()).toMatch(/OK created table main\.a /);
      expect(w.output()).not.toMatch(/main\.b |not_null_c_x/);
      const start = w.output().length;
      p.write('models/a.sql', "{{config materialized='table'}}\nselect 4 as id\n");
      await w.until(WATCHING, 2);
      const out = w.output().slice(start);
      expect(out).toMatch(/^2 nodes to build\.$/m);
      expect(out).toMatch(/OK created table main\.a /);
      expect(out).not.toMatch(/main\.b /);
      w.kill('SIGINT');
      expect(await w.exited).toBe(130);
    } finally {
      p.remove();
    }
  });

  it('a target that publishes by swap is refused unless --allow-prod; outside a project is a mistake', async () => {
    const profiles = 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n      publish: swap\n';
    const p = testProject({ ...MODELS, 'profiles/profiles.yml': profiles });
    try {
      const r = await p.run('watch', '--target', 'prod');
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual(['target prod publishes by swap (a production target): eider watch builds dev targets only; pass --allow-prod to watch it anyway']);
      expect(existsSync(join(p.dir, 'warehouse/prod.duckdb'))).toBe(false);
      const unknown = await p.run('watch', '--target', 'nope');
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/target "nope" not found in profile "t"/);
      expect(unknown.stdout).not.toMatch(/Watching/);
      const stateful = await p.run('watch', '-s', 'state:modified+');
      expect(stateful.code).toBe(2);
      expect(stateful.stderr).toBe('eider watch compares each save with its own last compile: it takes no state: or result: selectors (got "state:modified+")\n');
      const w = watch(p, '--target', 'prod', '--allow-prod');
      await w.until(WATCHING);
      expect(w.output()).toMatch(/Published release/);
      w.kill('SIGINT');
      expect(await w.exited).toBe(130);
      const empty = mkdtempSync(join(tmpdir(), 'eider-no-project-'));
      const outside = await runCli(empty, ['watch']);
      rmSync(empty, { recursive: true });
      expect(outside.code).toBe(2);
      expect(outside.stderr).toMatch(/^no project\.yml found in /);
    } finally {
      p.remove();
    }
  });
});

describe('eider watch: what the last build left undone', () => {
  it('a model skipped behind a failing test is built once a save makes the test pass', async () => {
    const p = testProject({
      'models/a.sql': "{{config materialized='table'}}\nselect 1 as id\n",
      'models/b.sql': "{{config materialized='table'}}\nselect id * 10 as id from {{ref 'a'}}\n",
      'models/schema.yml': 'models:\n  - name: a\n    columns:\n      - name: id\n        tests: [{accepted_values: {values: [1]}}]\n',
    });
    try {
      const w = watch(p);
      await w.until(WATCHING);
      expect(await p.query('select id from main.b')).toEqual([{ id: 10 }]);
      let start = w.output().length;
      p.write('models/a.sql', "{{config materialized='table'}}\nselect 2 as id\n");
      await w.until(WATCHING, 2);
      expect(w.output().slice(start)).toMatch(/FAIL test accepted_values_a_id/);
      expect(w.output().slice(start)).toMatch(/SKIP .*main\.b/);
      expect(await p.query('select id from main.b')).toEqual([{ id: 10 }]);
      // Only the test's YAML is saved: the test passes, and b, skipped behind it, is built now.
      start = w.output().length;
      p.write('models/schema.yml', 'models:\n  - name: a\n    columns:\n      - name: id\n        tests: [{accepted_values: {values: [1, 2]}}]\n');
      await w.until(WATCHING, 3);
      const out = w.output().slice(start);
      expect(out).toMatch(/PASS test accepted_values_a_id/);
      expect(out).toMatch(/OK created table main\.b /);
      expect(await p.query('select id from main.b')).toEqual([{ id: 20 }]);
      // Everything passed: the next unrelated save builds nothing more.
      start = w.output().length;
      p.write('models/notes.md', 'notes\n');
      p.write('models/c.sql', 'select 1 as x\n');
      await w.until(WATCHING, 4);
      expect(w.output().slice(start)).toMatch(/^1 node to build\.$/m);
      w.kill('SIGINT');
      expect(await w.exited).toBe(130);
    } finally {
      p.remove();
    }
  });
});

describe('eider watch: saves state comparison does not see', () => {
  it('a saved fixture file runs the unit tests that read it; a changed target in profiles.yml rebuilds the selection', async () => {
    const p = testProject({
      ...MODELS,
      'tests/fixtures/a.csv': 'id\n1\n',
      'tests/b.yml': "unit_tests:\n  - name: b_times_ten\n    model: b\n    given:\n      - input: ref('a')\n        fixture: tests/fixtures/a.csv\n    expect:\n      rows: [{id: 10}]\n",
    });
    const w = watch(p);
    await w.until(WATCHING);
    writeFileSync(join(p.dir, 'tests/fixtures/a.csv'), 'id\n2\n');
    await w.until(/FAIL unit test b_times_ten/);
    await w.until(WATCHING, 2);
    expect(w.output()).not.toMatch(/Nothing to build/);
    writeFileSync(join(p.dir, 'profiles/profiles.yml'), 't:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      schema: analytics\n');
    await w.until(/OK created table analytics\.c/);
    await w.until(WATCHING, 3);
    w.kill('SIGINT');
    expect(await w.exited).toBe(130);
  }, 120_000);
});
