import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { testProject, type CliResult, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

/** One clear message, no stack trace. */
function expectError(r: CliResult, code: number, message: RegExp): void {
  expect(r.stderr + r.stdout).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code).toBe(code);
}

const base = { 'models/a.sql': 'select 1 as id\n' };

describe('bad input gives file:line, a clear message and a non-zero exit', () => {
  it('malformed project.yml', async () => {
    p = testProject({ ...base, 'project.yml': 'name: t\nmodels:\n  materialized: [view\n' });
    expectError(await p.run('build'), 2, /^project\.yml:\d+: invalid YAML/m);
  });

  it('unknown key in project.yml folder config, with a suggestion', async () => {
    p = testProject({ ...base, 'project.yml': 'name: t\nmodels:\n  materialised: view\n' });
    expectError(await p.run('build'), 2, /^project\.yml:3: unknown key "materialised" .*did you mean "materialized"/m);
  });

  it('unknown config key in a model file', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id\n{{config materialzed="table"}}\n' });
    expectError(await p.run('build'), 2, /^models\/a\.sql:2: unknown config key "materialzed" \(did you mean "materialized"\?\)/m);
  });

  it('unknown key in a properties file', async () => {
    p = testProject({ ...base, 'models/a.yml': 'models:\n  - name: a\n    descripton: x\n' });
    expectError(await p.run('build'), 2, /^models\/a\.yml:3: unknown key "descripton" .*did you mean "description"/m);
  });

  it('an unknown test or a missing test argument, at its line', async () => {
    p = testProject({
      ...base,
      'models/a.yml': 'models:\n  - name: a\n    columns:\n      - name: id\n        tests:\n          - not_nul\n          - accepted_values:\n              quote: false\n',
    });
    const r = await p.run('build');
    expectError(r, 2, /^models\/a\.yml:6: unknown test "not_nul" \(did you mean "not_null"\?\)/m);
    expect(r.stderr).toMatch(/^models\/a\.yml:7: test "accepted_values" needs the argument "values"/m);
  });

  it('properties for a model that does not exist', async () => {
    p = testProject({ ...base, 'models/a.yml': 'models:\n  - name: a\n  - name: aa_typo\n' });
    expectError(await p.run('build'), 2, /^models\/a\.yml:3: properties for unknown model "aa_typo"/m);
  });

  it('a ref whose argument is not a literal', async () => {
    p = testProject({ ...base, 'models/b.sql': 'select 1\nfrom {{ref name}}\n' });
    expectError(await p.run('compile'), 2, /^models\/b\.sql:2: ref takes one literal model name/m);
  });

  it('a JavaScript macro module that fails to load', async () => {
    p = testProject({ ...base, 'macros/broken.js': 'export function f( {\n' });
    expectError(await p.run('compile'), 2, /^macros\/broken\.js(:\d+)?: cannot load macro module/m);
  });

  it('a bad materialization value', async () => {
    p = testProject({ 'models/a.sql': '{{config materialized="tabel"}}\nselect 1\n' });
    expectError(await p.run('build'), 2, /^models\/a\.sql:1: materialized must be one of .*did you mean "table"/m);
  });

  it('missing profile', async () => {
    p = testProject({ ...base, 'project.yml': 'name: t\nprofile: nope\n' });
    expectError(await p.run('build'), 2, /^project\.yml:2: profile "nope" not found in profiles\/profiles\.yml/m);
  });

  it('missing profiles file', async () => {
    p = testProject(base);
    expectError(await p.run('build', '--profiles-dir', 'elsewhere'), 2, /profiles file not found/);
  });

  it('missing target, with a suggestion', async () => {
    p = testProject(base);
    expectError(await p.run('build', '--target', 'deb'), 2, /^profiles\/profiles\.yml:1: target "deb" not found in profile "t" \(did you mean "dev"\?\)/m);
  });

  it('unknown ref, with a suggestion', async () => {
    p = testProject({ ...base, 'models/b.sql': 'select *\nfrom {{ref "aa"}}\n' });
    const r = await p.run('build');
    expectError(r, 2, /^models\/b\.sql:2: unknown ref "aa" \(did you mean "a"\?\)/m);
    expect(r.stderr.match(/unknown ref/g)).toHaveLength(1);
  });

  it('unknown source', async () => {
    p = testProject({
      ...base,
      'models/sources.yml': 'sources:\n  - name: raw\n    tables:\n      - name: orders\n',
      'models/b.sql': 'select *\nfrom {{source "raw" "ordres"}}\n',
    });
    expectError(await p.run('build'), 2, /^models\/b\.sql:2: unknown source "raw\.ordres" \(did you mean "raw\.orders"\?\)/m);
  });

  it('a cycle prints its path, before any SQL runs', async () => {
    p = testProject({ ...base, 'models/b.sql': 'select * from {{ref "c"}}\n', 'models/c.sql': 'select * from {{ref "d"}}\n', 'models/d.sql': 'select * from {{ref "b"}}\n' });
    const r = await p.run('build');
    expectError(r, 2, /^models\/b\.sql:1: dependency cycle: b -> c -> d -> b$/m);
    expect(r.stdout).not.toMatch(/created/);
  });

  it('a duplicate model name', async () => {
    p = testProject({ ...base, 'models/x/a.sql': 'select 2\n' });
    expectError(await p.run('build'), 2, /^models\/x\/a\.sql:1: duplicate name "a": also defined by models\/a\.sql/m);
  });

  it('a Handlebars syntax error', async () => {
    p = testProject({ ...base, 'models/b.sql': 'select 1\nfrom {{ref "a"}\n' });
    expectError(await p.run('build'), 2, /^models\/b\.sql:2: Handlebars syntax error/m);
  });

  it('an unknown helper or macro', async () => {
    p = testProject({ ...base, 'models/b.sql': 'select {{> nomacro}}, {{reff "a"}}\n' });
    const r = await p.run('compile');
    expectError(r, 2, /^models\/b\.sql:1: unknown macro "nomacro"/m);
    expect(r.stderr).toMatch(/^models\/b\.sql:1: unknown helper "reff" \(did you mean "ref"\?\)/m);
  });

  it('a SQL syntax error in one model fails that model at its line; the others still build', async () => {
    p = testProject({ ...base, 'models/b.sql': 'select id\nfrom {{ref "a"}}\nwher id = 1\n', 'models/c.sql': 'select 3 as z\n', 'models/d.sql': 'select * from {{ref "b"}}\n' });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERROR view main\.b/);
    expect(r.stdout).toMatch(/models\/b\.sql:3: Parser Error: syntax error at or near "id"/);
    expect(r.stdout).toMatch(/SKIP view main\.d/);
    expect(r.stdout).toMatch(/OK created view main\.c/);
    expect(await p.query('select z from main.c')).toEqual([{ z: 3 }]);
  });

  it('compile reports a SQL syntax error with DuckDB\'s parser, at the model\'s file and line', async () => {
    p = testProject({ ...base, 'models/b.sql': '{{config materialized="table"}}\nselect id,\nfrom {{ref "a"}}\nwher id = 1\n' });
    expectError(await p.run('compile'), 2, /^models\/b\.sql:4: Parser Error: syntax error at or near "id"/m);
  });

  it('a malformed CSV seed fails at its line and loads nothing', async () => {
    p = testProject({ ...base, 'seeds/s.csv': 'a,b\n1,2\n3,4,5\n6,7\n' });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/seeds\/s\.csv:3: malformed CSV: this row has 3 fields, the header has 2/);
    expect(await p.query(`select count(*)::int as n from information_schema.tables where table_name = 's'`)).toEqual([{ n: 0 }]);
  });

  it('a CSV value that does not fit the declared column type', async () => {
    p = testProject({ ...base, 'seeds/s.csv': 'a,b\n1,2\nx,3\n', 'seeds/s.yml': 'seeds:\n  - name: s\n    config:\n      column_types: {a: integer}\n' });
    const r = await p.run('seed');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/seeds\/s\.csv:3: Conversion Error/);
  });

  it('a bad --select expression', async () => {
    p = testProject(base);
    expectError(await p.run('build', '--select', '2+a+x+'), 2, /--select: cannot read "2\+a\+x\+"/);
    expectError(await p.run('ls', '-s', 'colour:red'), 2, /--select: unknown selector method "colour"/);
    expectError(await p.run('ls', '-s', 'aa'), 2, /--select: no node is named "aa" \(did you mean "a"\?\)/);
  });

  it('a wrong flag', async () => {
    p = testProject(base);
    expectError(await p.run('build', '--thread', '3'), 2, /unknown option '--thread'/);
    expectError(await p.run('build', '--threads', 'many'), 2, /--threads.*must be a positive integer/);
    expectError(await p.run('frobnicate'), 2, /unknown command 'frobnicate'/);
  });

  it('no project.yml', async () => {
    p = testProject(base);
    const r = await p.run('build', '--project-dir', '/');
    expectError(r, 2, /no project\.yml found/);
  });
});

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/eider.js');
const hasScript = spawnSync('script', ['--version']).status === 0;

/** Runs eider on a pseudo-terminal (util-linux `script`), so colour depends on the environment alone. */
function onTerminal(cwd: string, env: Record<string, string>, ...args: string[]): string {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  const { NO_COLOR: _, FORCE_COLOR: __, ...rest } = process.env;
  return spawnSync('script', ['-qec', command, '/dev/null'], { cwd, env: { ...rest, TERM: 'xterm', ...env }, encoding: 'utf8' }).stdout;
}

describe('nothing is accepted silently', () => {
  it('a hook whose template fails is reported at the config that declares it, in YAML or in the model file', async () => {
    p = testProject({
      'models/a.sql': "select 1 as id\n",
      'models/b.sql': "select 2 as id\n\n{{config pre_hook='select {{var \"nope\"}}'}}\n",
      'models/a.yml': 'models:\n  - name: a\n    config:\n      materialized: table\n      post_hook: "insert into t select \'{{var \\"minamt\\"}}\'"\n',
    });
    const r = await p.run('build');
    expectError(r, 2, /^models\/a\.yml:5: post_hook: var "minamt" is not defined in project\.yml vars or --vars, and has no default$/m);
    expect(r.stderr).toMatch(/^models\/b\.sql:3: pre_hook: var "nope" is not defined/m);
    expect(r.stderr).not.toMatch(/models\/a\.sql/);
  });

  it('a seed delimited by tabs or semicolons, read as commas, is an error at its header, naming the delimiter to set', async () => {
    p = testProject({ ...base, 'seeds/tab.csv': 'id\tname\n1\tx y\n', 'seeds/semi.csv': '\uFEFFid;name\r\n1;x\r\n', 'seeds/one.csv': 'id\n1\n' });
    const r = await p.run('seed');
    expectError(r, 2, /^seeds\/tab\.csv:1: seed "tab": the header holds no "," but tabs, so it would load as one column: set its delimiter \(in a properties file: seeds: \[\{name: tab, config: \{delimiter: "\\t"\}\}\]\)$/m);
    expect(r.stderr).toMatch(/^seeds\/semi\.csv:1: seed "semi": the header holds no "," but semicolons/m);
    expect(r.stderr).not.toMatch(/one\.csv/);
    p.write('seeds/props.yml', 'seeds:\n  - name: tab\n    config: {delimiter: "\\t"}\n  - name: semi\n    config: {delimiter: ";"}\n');
    const ok = await p.run('seed');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(await p.query('select name from tab')).toEqual([{ name: 'x y' }]);
  });

  it('a 0-byte (or blank) seed is an error at the seed file, before anything runs', async () => {
    p = testProject({ ...base, 'seeds/empty.csv': '', 'seeds/blank.csv': '\n\n' });
    const r = await p.run('build');
    expectError(r, 2, /^seeds\/empty\.csv: the seed file is empty: a seed needs at least a header row$/m);
    expect(r.stderr).toMatch(/^seeds\/blank\.csv: the seed file is empty/m);
    expect(r.stdout).not.toMatch(/created/);
  });

  it('bytes that are not UTF-8 in a model, a properties file or a macro are an error at their line', async () => {
    p = testProject({ ...base, 'models/a.yml': 'models:\n  - name: a\n', 'macros/m.sql': 'x\n' });
    const latin1 = (text: string) => Buffer.from(text, 'latin1');
    writeFileSync(join(p.dir, 'models/a.sql'), latin1('select 1 as id\n-- café\n'));
    writeFileSync(join(p.dir, 'models/a.yml'), latin1('models:\n  - name: a\n    description: Café\n'));
    writeFileSync(join(p.dir, 'macros/m.sql'), latin1('\n\n\n\'é\'\n'));
    const r = await p.run('build');
    expectError(r, 2, /^models\/a\.sql:2: not valid UTF-8 text \(byte 0xe9\): save the file as UTF-8$/m);
    expect(r.stderr).toMatch(/^models\/a\.yml:3: not valid UTF-8 text \(byte 0xe9\): save the file as UTF-8$/m);
    expect(r.stderr).toMatch(/^macros\/m\.sql:4: not valid UTF-8 text/m);
  });

  it('a file in models/ that eider does not read is a warning naming it; docs, READMEs and hidden files are fine', async () => {
    p = testProject({ ...base, 'models/a.sql.bak': 'select 2\n', 'models/x/score.py': 'def model(): pass\n', 'models/README': 'x', 'models/README.txt': 'x', 'models/docs.md': 'x', 'models/.gitkeep': '', 'models/.x.swp': '' });
    const r = await p.run('build');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^models\/a\.sql\.bak: warning: ignored: not a model or properties file \(\.sql, \.js, \.mjs, \.ts, \.yml, \.yaml\)$/m);
    expect(r.stderr).toMatch(/^models\/x\/score\.py: warning: ignored/m);
    expect(r.stderr.match(/warning/g)).toHaveLength(2);
  });

  it.skipIf(!hasScript)('colour on a terminal is off only when NO_COLOR is set to a non-empty value', () => {
    p = testProject(base);
    const GREEN = '\x1b[32m';
    expect(onTerminal(p.dir, {}, 'build')).toContain(GREEN);
    expect(onTerminal(p.dir, { NO_COLOR: '' }, 'build')).toContain(GREEN);
    expect(onTerminal(p.dir, { NO_COLOR: '1' }, 'build')).not.toContain('\x1b[');
  });

  it('a selection that matches nothing warns and exits 0, for build, run, test, seed and ls', async () => {
    p = testProject({ ...base, 'seeds/s.csv': 'x\n1\n' });
    const nothing = /^warning: the selection matched nothing/m;
    for (const args of [['build', '-s', 'tag:nope'], ['run', '-s', 's'], ['test', '-s', 'a'], ['seed', '-s', 'a'], ['ls', '-s', 'tag:nope'], ['ls', '-s', 'a', '--resource-type', 'seed'], ['build', '--exclude', 'a', 's']]) {
      const r = await p.run(...args);
      expect(r.stderr, args.join(' ')).toMatch(nothing);
      expect(r.code, args.join(' ')).toBe(0);
    }
    const some = await p.run('build', '-s', 'a');
    expect(some.stderr).not.toMatch(nothing);
    expect(some.stdout).toMatch(/OK created view main\.a/);
  });
});
