import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, testProject, type CliResult, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

/** Exactly these lines on stderr (nothing else: no stack trace, no second report of the same mistake). */
function expectOnly(r: CliResult, code: number, ...lines: RegExp[]): void {
  const out = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(out).toHaveLength(lines.length);
  lines.forEach((re, i) => expect(out[i]).toMatch(re));
  expect(r.code).toBe(code);
}

const boom = { 'macros/h.js': 'export function boom(a) {\n  throw new Error("boom went " + a);\n}\n' };
const unitTest = (model: string, input: string, row: string) =>
  `unit_tests:\n  - name: t1\n    model: ${model}\n    given:\n      - input: ref('${input}')\n        rows: [${row}]\n    expect:\n      rows: [${row}]\n`;

describe('every mistake is one message at its file and line', () => {
  it('a SQL error in a model that has a unit test: at the model line', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id\n', 'models/b.sql': 'select id\nfrom {{ref "a"}}\nwher id = 1\n', 'tests/b.yml': unitTest('b', 'a', '{id: 1}') });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\s*models\/b\.sql:3: Parser Error: syntax error at or near "id"$/m);
    expect(r.stderr).toBe('');
  });

  it('a mock value that does not fit the input column: at the given input in the unit test', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id\n', 'models/b.sql': 'select id\nfrom {{ref "a"}}\n', 'tests/b.yml': unitTest('b', 'a', '{id: abc}') });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\s*tests\/b\.yml:5: unit test "t1": mock rows for a: Conversion Error: Could not convert string 'abc' to INT32$/m);
  });

  it('a macro called without the arguments it reads', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as x,\n  {{> div}} as y\n', 'macros/div.sql': '{{#if note}}-- {{note}}{{/if}}\n{{a}} / {{b}}' });
    expectOnly(await p.run('build'), 2, /^models\/a\.sql:2: macro "div" needs the arguments a, b: \{\{> div a=… b=…\}\}$/);
  });

  it('a JavaScript helper called with too few arguments', async () => {
    p = testProject({
      'models/a.sql': 'select 1 as x,\n  {{safe_divide 1}} as y\n',
      'models/b.sql': 'select 1 as x,\n  {{three 1}} as z\n',
      'macros/h.js': 'export function safe_divide(a, b) { return `${a} / ${b}`; }\nexport function three(a, b, c) { return `${a}${b}${c}`; }\n',
    });
    expectOnly(await p.run('build'), 2, /^models\/a\.sql:2: helper "safe_divide" takes 2 arguments, got 1$/, /^models\/b\.sql:2: helper "three" takes 3 arguments, got 1$/);
  });

  it('a helper whose value renders as [object Object]', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as x,\n  {{cols "a"}} as y\n', 'macros/h.js': 'export function cols(a) { return { a }; }\n' });
    expectOnly(await p.run('compile'), 2, /^models\/a\.sql:2: "cols" gives an object, not SQL text$/);
  });

  it('a helper that throws: once, at its line, in the model or in the macro that calls it', async () => {
    p = testProject({
      ...boom,
      'models/a.sql': '{{config materialized="incremental"}}\nselect 1 as x,\n  {{boom 1}} as y\n',
      'models/b.sql': 'select 1 as x,\n  {{> m}} as y\n',
      'macros/m.sql': '\n{{boom 2}}',
      'models/c.sql': 'select x,\n  {{boom 3}} as y from {{ref "b"}}\n',
      'tests/c.yml': unitTest('c', 'b', '{x: 1}'),
    });
    expectOnly(
      await p.run('build'),
      2,
      /^models\/a\.sql:3: helper "boom" failed: boom went 1$/,
      /^macros\/m\.sql:2: helper "boom" failed: boom went 2 \(rendering models\/b\.sql\)$/,
      /^models\/c\.sql:2: helper "boom" failed: boom went 3$/,
    );
  });

  it('ref and source without arguments', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as x\n', 'models/b.sql': 'select *\nfrom {{ref}}\n', 'models/c.sql': 'select *\nfrom {{source}}\n' });
    expectOnly(await p.run('compile'), 2, /^models\/b\.sql:2: ref takes one literal model name/, /^models\/c\.sql:2: source takes two literal names/);
  });

  it('a missing macro or helper', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as x,\n  {{> nope}}\n', 'models/b.sql': 'select 1 as x,\n  {{nohelper 1}}\n' });
    expectOnly(await p.run('build'), 2, /^models\/a\.sql:2: unknown macro "nope"$/, /^models\/b\.sql:2: unknown helper "nohelper"$/);
  });

  it('a mistake inside a macro: at the macro\'s own line, once however many models call it', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as x,\n  {{> m}} as y\n', 'models/b.sql': 'select {{> m}} as y\n', 'macros/m.sql': '\n\n{{nohelper 1}}\n' });
    expectOnly(await p.run('compile'), 2, /^macros\/m\.sql:3: unknown helper "nohelper"$/);
  });

  it('TypeScript and JavaScript syntax errors, in models and macros, at their line with their cause', async () => {
    const bad = (ts: boolean) => `export const refs = ["a"];\nexport default async function ({ ref }${ts ? ': any' : ''}) {\n  const x = ;\n  return x;\n}\n`;
    p = testProject({
      'models/a.sql': 'select 1 as x\n',
      'models/j.ts': bad(true),
      'models/k.js': bad(false),
      'macros/h.ts': 'export function f(a: number) {\n  return a +;\n}\n',
      'macros/g.js': 'export function g(a) {\n  return a +;\n}\n',
    });
    expectOnly(
      await p.run('compile'),
      2,
      /^macros\/g\.js:2: cannot load macro module: Unexpected token ';'$/,
      /^macros\/h\.ts:2: cannot load macro module: Unexpected ";"$/,
      /^models\/j\.ts:3: cannot load the model: Unexpected ";"$/,
      /^models\/k\.js:3: cannot load the model: Unexpected token ';'$/,
    );
  });

  it('bad seed column_types: at the YAML line', async () => {
    p = testProject({ 'seeds/s.csv': 'a,b\n1,2\n', 'seeds/t.csv': 'a,b\n1,2\n', 'seeds/s.yml': 'seeds:\n  - name: s\n    config:\n      column_types: {a: integr}\n  - name: t\n    config:\n      column_types:\n        zz: integer\n' });
    const r = await p.run('seed');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^\s*seeds\/s\.yml:4: Catalog Error: Type with name integr does not exist!.*"integer"/m);
    expect(r.stdout).toMatch(/^\s*seeds\/s\.yml:7: Binder Error: COLUMN_TYPES error: Columns with names: "zz" do not exist/m);
  });

  it('an unknown or bad DuckDB setting in the profile: named, at its line', async () => {
    const profile = (setting: string) => `t:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n      settings:\n        threads: 2\n        ${setting}\n`;
    p = testProject({ 'models/a.sql': 'select 1\n', 'profiles/profiles.yml': profile('memory_limt: 1GB') });
    expectOnly(await p.run('build'), 2, /^profiles\/profiles\.yml:8: target "dev": unknown DuckDB setting "memory_limt" \(did you mean "memory_limit"\?\)$/);
    p.write('profiles/profiles.yml', profile('memory_limit: lots'));
    expectOnly(await p.run('build'), 2, /^profiles\/profiles\.yml:8: target "dev": setting memory_limit: Parser Error: Memory must have a number/);
    p.write('profiles/profiles.yml', profile('memory_limit: lots').replace('      settings:', '      publish: swap\n      settings:'));
    expectOnly(await p.run('build'), 2, /^profiles\/profiles\.yml:9: target "dev": setting memory_limit: Parser Error: Memory must have a number/);
  });

  it('a target path under a file', async () => {
    p = testProject({ 'models/a.sql': 'select 1\n', somefile: 'x', 'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: somefile/dev.duckdb\n' });
    expectOnly(await p.run('build'), 2, /^profiles\/profiles\.yml:5: target "dev": cannot create somefile\/ \(somefile is a file, not a folder\)$/);
  });

  it('a target path under a pseudo-filesystem: a clear error at once, no endless mkdir', async () => {
    for (const target of ['prod', 'dev']) {
      p = testProject({ 'models/a.sql': 'select 1\n', 'profiles/profiles.yml': `t:\n  target: ${target}\n  targets:\n    ${target}:\n      path: /proc/eider-no-such-${process.pid}/x/${target}.duckdb\n` });
      const t0 = performance.now();
      for (const cmd of [['build'], ['debug'], ['rollback']]) {
        const r = await p.run(...cmd);
        expect(r.stderr + r.stdout).not.toMatch(/\n\s+at /);
        expect(r.code, `${cmd}: ${r.stderr}`).not.toBe(0);
      }
      expectOnly(await p.run('build'), 2, new RegExp(`^profiles/profiles\\.yml:5: target "${target}": cannot create /proc/eider-no-such-\\d+/x/ \\(the file system there does not take new folders\\)$`));
      expect(performance.now() - t0).toBeLessThan(30_000);
      p.remove();
    }
  }, 60_000);

  it('no part of a target path read from the environment shows in a folder error', async () => {
    p = testProject({ 'models/a.sql': 'select 1\n', 'acme-client-x': 'a file', 'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: "{{env "DBP"}}"\n' });
    const r = await p.runWith({ DBP: join(p.dir, 'acme-client-x/dev.duckdb') }, 'build');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot create \*\*\*\*\*\//);
    expect(r.stderr + r.stdout).not.toMatch(/acme-client/);
  });

  it('a target file that is not a DuckDB file is not blamed on a setting, even in a folder named like one', async () => {
    p = testProject({ 'models/a.sql': 'select 1\n', 'myconfig/dev.duckdb': 'not a database', 'profiles/profiles.yml': 't:\n  target: dev\n  targets:\n    dev:\n      path: myconfig/dev.duckdb\n      settings: {memory_limit: 1GB}\n' });
    const r = await p.run('build');
    expect(r.stderr).toMatch(/^error: cannot open myconfig\/dev\.duckdb: .*not a valid DuckDB database file/m);
    expect(r.stderr).not.toMatch(/profiles\.yml/);
    expect(r.code).toBe(1);
  });

  it('a target folder without write permission', async () => {
    p = testProject({ 'models/a.sql': 'select 1\n' });
    mkdirSync(join(p.dir, 'warehouse'));
    chmodSync(join(p.dir, 'warehouse'), 0o555);
    chmodSync(p.dir, 0o777);
    // root writes anywhere: run as nobody to see what a user sees.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = await runCli(p.dir, ['build'], {}, asUser);
    expectOnly(r, 2, /^profiles\/profiles\.yml:5: target "dev": cannot write in warehouse\/ \(permission denied\)$/);
  });
});
