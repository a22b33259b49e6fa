import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, testProject, type TestProject } from '../test-support/project.js';
import { parseXml, type XmlElement } from '../test-support/xml.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const SECRET = 'junit-s3cr3t-value';
const HOSTILE = `<&"'>`;

function testcases(xml: string): XmlElement[] {
  const root = parseXml(xml);
  expect(root.name).toBe('testsuites');
  expect(root.children.map((c) => c.name)).toEqual(['testsuite']);
  return [...root.children[0].children];
}

describe('--junit FILE', () => {
  it('writes well-formed JUnit XML: one testcase per node and test, failures with their rows, errors, skips; hostile text escaped, secrets redacted', async () => {
    p = testProject({
      [`models/we${HOSTILE}ird.sql`]: 'select 1 as id',
      'models/staging/boom.sql': `{{config materialized="table"}}\nselect error('bad ${HOSTILE.replace("'", "''")} ' || chr(7) || chr(27) || ' {{env "EIDER_JUNIT_SECRET"}} end') as x`,
      'models/after_boom.sql': `select * from {{ref "boom"}}`,
      'tests/hostile.sql': `select '${HOSTILE.replace("'", "''")}' || chr(1) || ']]>' as "we<ird col", '{{env "EIDER_JUNIT_SECRET"}}' as s from range(7)`,
    });
    const r = await p.runWith({ EIDER_JUNIT_SECRET: SECRET }, 'build', '--junit', 'reports/junit.xml');
    expect(r.code).toBe(1);
    const xml = readFileSync(join(p.dir, 'reports/junit.xml'), 'utf8');
    expect(xml).not.toContain(SECRET);
    expect(xml).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
    const root = parseXml(xml);
    const suite = root.children[0];
    expect(suite.attrs).toMatchObject({ tests: '4', failures: '1', errors: '1', skipped: '1' });
    expect(root.attrs).toMatchObject({ name: 'eider build', tests: '4', failures: '1', errors: '1', skipped: '1' });
    const byName = new Map(testcases(xml).map((c) => [c.attrs.name, c]));
    expect([...byName.keys()].sort()).toEqual(['after_boom', 'boom', 'hostile', `we${HOSTILE}ird`]);
    for (const c of byName.values()) expect(Number(c.attrs.time)).toBeGreaterThanOrEqual(0);

    const ok = byName.get(`we${HOSTILE}ird`)!;
    expect(ok.attrs.classname).toBe('model.models');
    expect(ok.children).toEqual([]);

    const boom = byName.get('boom')!;
    expect(boom.attrs.classname).toBe('model.models.staging');
    expect(boom.children.map((c) => c.name)).toEqual(['error']);
    const message = boom.children[0].attrs.message;
    expect(message).toContain(`bad ${HOSTILE} \\u0007\\u001b ***** end`);

    const failed = byName.get('hostile')!;
    expect(failed.attrs.classname).toBe('test.tests');
    expect(failed.children.map((c) => c.name)).toEqual(['failure']);
    expect(failed.children[0].attrs.message).toBe('7 failing rows');
    // The first failing rows, as the console shows them, and how many more.
    expect(failed.children[0].text).toContain(`we<ird col | s\n${HOSTILE}\\u0001]]> | *****`);
    expect(failed.children[0].text).toMatch(/… and 2 more$/);

    const skipped = byName.get('after_boom')!;
    expect(skipped.children.map((c) => c.name)).toEqual(['skipped']);
    expect(skipped.children[0].attrs.message).toBe('skipped: upstream boom did not succeed');
  });

  it('passes a test at warn severity, its rows in system-out', async () => {
    p = testProject({
      'models/a.sql': 'select 1 as id union all select null',
      'models/a.yml': 'models:\n  - name: a\n    columns:\n      - name: id\n        tests:\n          - not_null: {severity: warn}\n',
    });
    const r = await p.run('build', '--junit', 'junit.xml');
    expect(r.code).toBe(0);
    const [, warned] = testcases(readFileSync(join(p.dir, 'junit.xml'), 'utf8'));
    expect(warned.attrs.name).toBe('not_null_a_id');
    expect(warned.children.map((c) => [c.name, c.text])).toEqual([['system-out', 'WARN: 1 failing row\nid\nnull']]);
  });

  it('writes a report with no testcases when the selection matches nothing', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id' });
    const r = await p.run('run', '--exclude', 'a', '--junit', 'junit.xml');
    expect(r.code).toBe(0);
    const root = parseXml(readFileSync(join(p.dir, 'junit.xml'), 'utf8'));
    expect(root.children[0].attrs).toMatchObject({ tests: '0', failures: '0', errors: '0', skipped: '0' });
    expect(root.children[0].children).toEqual([]);
  });

  it.each([
    ['under a file', 'project.yml/junit.xml', /^--junit project\.yml\/junit\.xml: cannot write in project\.yml\/ \(a file stands where a folder is needed\)$/],
    ['a folder', 'models', /^--junit models: is a folder, not a file$/],
  ])('a path %s is one message, exit 2, before anything is built', async (_, path, message) => {
    p = testProject({ 'models/a.sql': '{{config materialized="table"}}\nselect 1 as id' });
    const r = await p.run('build', '--junit', path);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toMatch(message);
    expect(r.stdout).toBe('');
    expect(existsSync(p.db)).toBe(false);
    expect(existsSync(join(p.dir, 'target'))).toBe(false);
  });
});

describe('--junit when the run stops before running anything', () => {
  it('replaces the last report with one error testcase holding the message (a green report never stands for a failed run)', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id\n' });
    const report = () => readFileSync(join(p!.dir, 'reports/eider.xml'), 'utf8');
    expect((await p.run('build', '--junit', 'reports/eider.xml')).code).toBe(0);
    expect(testcases(report()).map((c) => c.attrs.name)).toEqual(['a']);
    p.write('models/boom.sql', 'select * from {{ref "nope"}}\n');
    const r = await p.run('build', '--junit', 'reports/eider.xml');
    expect(r.code).toBe(2);
    const root = parseXml(report());
    expect(root.attrs).toMatchObject({ tests: '1', failures: '0', errors: '1' });
    const [only] = testcases(report());
    expect(only.attrs).toMatchObject({ name: 'eider build', classname: 'eider' });
    expect(only.children[0].name).toBe('error');
    expect(only.children[0].attrs.message).toMatch(/^models\/boom\.sql:1: unknown ref "nope"/);
    // A command-line mistake found after the path was checked (--state missing) replaces it too.
    p.write('models/boom.sql', 'select 2 as id\n');
    expect((await p.run('build', '--junit', 'reports/eider.xml')).code).toBe(0);
    const s = await p.run('test', '-s', 'state:modified', '--state', 'no-such-folder', '--junit', 'reports/eider.xml');
    expect(s.code).toBe(2);
    expect(testcases(report())[0].attrs.name).toBe('eider test');
    expect(testcases(report())[0].children[0].attrs.message).toMatch(/--state/);
    // A failing on_run_start ends the run with exit 1 and no exception: its report says so too.
    expect((await p.run('build', '--junit', 'reports/eider.xml')).code).toBe(0);
    p.write('project.yml', 'name: t\non_run_start: ["select * from no_such_table"]\n');
    const hook = await p.run('build', '--junit', 'reports/eider.xml');
    expect(hook.code).toBe(1);
    expect(testcases(report())[0].children[0].attrs.message).toMatch(/^on_run_start failed \(project\.yml:2\): nothing ran$/);
  });

  it('a report path that is a symbolic link to a file not made yet is written through', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id\n' });
    mkdirSync(join(p.dir, 'real'));
    symlinkSync(join(p.dir, 'real/report.xml'), join(p.dir, 'link.xml'));
    const r = await p.run('build', '--junit', 'link.xml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lstatSync(join(p.dir, 'link.xml')).isSymbolicLink()).toBe(true);
    expect(testcases(readFileSync(join(p.dir, 'real/report.xml'), 'utf8')).map((c) => c.attrs.name)).toEqual(['a']);
  });
});

describe('--junit to a folder without write permission', () => {
  it('is one message, exit 2, before anything is built', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id' });
    mkdirSync(join(p.dir, 'reports'));
    chmodSync(join(p.dir, 'reports'), 0o555);
    chmodSync(p.dir, 0o777);
    // root writes anywhere: run as nobody to see what a user sees.
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const r = await runCli(p.dir, ['build', '--junit', 'reports/junit.xml'], {}, asUser);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('--junit reports/junit.xml: cannot write in reports/ (permission denied)\n');
    expect(existsSync(p.db)).toBe(false);
  });

  it('a folder where even root creates no file (/proc) is found before anything is built', async () => {
    p = testProject({ 'models/a.sql': 'select 1 as id' });
    const r = await p.run('build', '--junit', '/proc/eider-junit.xml');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^--junit \/proc\/eider-junit\.xml: cannot (create it \(nothing can be created there|write in \/proc\/ \(permission denied)\)\n$/);
    expect(existsSync(p.db)).toBe(false);
  });
});

describe('the strict XML reader these tests use', () => {
  it.each([['<a>&</a>'], ['<a>&nbsp;</a>'], ['<a b="<"/>'], ['<a>\x01</a>'], ['<a>&#1;</a>'], ['<a><b></a></b>'], ['<a/><a/>'], ['<a b="1" b="2"/>'], ['<a b=1/>'], ['<a>]]></a>']])('rejects %j', (xml) => {
    expect(() => parseXml(xml)).toThrow();
  });
  it('reads what is well-formed', () => {
    expect(parseXml(`<?xml version="1.0"?>\n<a x="&lt;&amp;&quot;&apos;&#10;"><b/>t&gt;</a>`)).toEqual({ name: 'a', attrs: { x: `<&"'\n` }, children: [{ name: 'b', attrs: {}, children: [], text: '' }], text: 't>' });
  });
});
