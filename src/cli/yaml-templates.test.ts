import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

function targetText(t: TestProject): string {
  return readdirSync(join(t.dir, 'target'), { recursive: true, withFileTypes: true })
    .filter((f) => f.isFile())
    .map((f) => readFileSync(join(f.parentPath, f.name), 'utf8'))
    .join('\n');
}

describe('templates in YAML values', () => {
  it("render var and target in a source's schema and identifier, and the source is built after the seed it names", async () => {
    p = testProject({
      'project.yml': 'name: t\nvars:\n  seed_name: base\n',
      'seeds/base.csv': 'id\n1\n2\n',
      'models/sources.yml': "sources:\n  - name: raw\n    schema: '{{target.schema}}'\n    tables:\n      - name: t\n        identifier: '{{var \"seed_name\" \"nope\"}}'\n",
      'models/m.sql': '{{config materialized="table"}}\nselect count(*) as n from {{source "raw" "t"}}',
    });
    const ls = await p.run('ls', '-s', '+m');
    expect(ls.stderr).toBe('');
    expect(ls.stdout.trim().split('\n').sort()).toEqual(['base', 'm', 'source:raw.t']);
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await p.query('select n from main.m')).toEqual([{ n: 2n }]);
    const manifest = JSON.parse(readFileSync(join(p.dir, 'target/manifest.json'), 'utf8'));
    expect(manifest.nodes['source.raw.t'].relation).toEqual({ schema: 'main', name: 'base' });
    expect(manifest.nodes['source.raw.t'].depends_on.nodes).toEqual(['seed.base']);
  });

  it('render in descriptions, test arguments, config values, folder defaults and project hooks; a lone var keeps its type', async () => {
    p = testProject({
      'project.yml': [
        'name: t',
        'vars:',
        "  good: 'ok'",
        '  cap: 1',
        "  suffix: '{{target.name}}'",
        'models:',
        "  +schema: 'marts_{{var \"suffix\"}}'",
        "on_run_start: \"create table if not exists {{target.schema}}.hook_log as select '{{var 'good'}}' as v\"",
        '',
      ].join('\n'),
      'models/a.sql': "select 'ok' as status union all select 'bad'",
      'models/b.sql': 'select 1 as id',
      'models/schema.yml': [
        'models:',
        '  - name: a',
        "    description: 'Built for {{target.name}}'",
        '    columns:',
        '      - name: status',
        '        tests:',
        "          - accepted_values: {values: ['{{var \"good\"}}'], limit: '{{var \"cap\"}}'}",
        '  - name: b',
        "    config: {schema: 'other_{{target.name}}'}",
        '',
      ].join('\n'),
    });
    const r = await p.run('build');
    expect(r.stdout).toMatch(/OK created view marts_dev\.a/);
    expect(r.stdout).toMatch(/OK created view other_dev\.b/);
    expect(r.stdout).toMatch(/FAIL test accepted_values_a_status .*1 failing/);
    expect(r.code).toBe(1);
    expect(await p.query('select v from main.hook_log')).toEqual([{ v: 'ok' }]);
    const manifest = JSON.parse(readFileSync(join(p.dir, 'target/manifest.json'), 'utf8'));
    expect(manifest.nodes['model.a'].description).toBe('Built for dev');
  });

  it('keep a value read from the environment secret, even in a failing source', async () => {
    const secret = 'canary"tbl\\x-93';
    p = testProject({
      'models/sources.yml': [
        'sources:',
        '  - name: raw',
        '    schema: main',
        "    description: 'from {{env \"EIDER_T_TABLE\"}}'",
        '    freshness: {error_after: {count: 1, period: day}}',
        '    loaded_at_field: loaded_at',
        '    tables:',
        "      - name: t\n        identifier: '{{env \"EIDER_T_TABLE\"}}'",
        "      - name: f\n        path: '{{env \"EIDER_T_FILE\"}}'\n        freshness: null",
        '',
      ].join('\n'),
      'models/m.sql': 'select * from {{source "raw" "t"}}',
      'models/mf.sql': '{{config materialized="table"}}\nselect * from {{source "raw" "f"}}',
      'data/canary-file-77.csv': 'id\n7\n',
    });
    const env = { EIDER_T_TABLE: secret, EIDER_T_FILE: './data/../data/canary-file-77.csv' };
    const outputs = [await p.runWith(env, 'compile'), await p.runWith(env, 'build'), await p.runWith(env, 'freshness')];
    expect(outputs[0].code).toBe(0);
    expect(outputs[1].code).toBe(1); // the table does not exist: DuckDB names it in its error
    expect(outputs[2].code).toBe(1);
    const text = targetText(p);
    expect(readFileSync(join(p.dir, 'target/sources.json'), 'utf8')).toContain('runtime error');
    // The identifier was read from the environment (and is shown redacted).
    expect(readFileSync(join(p.dir, 'target/compiled/models/m.sql'), 'utf8')).toContain('"main"."*****"');
    expect(await p.query('select id from main.mf')).toEqual([{ id: 7n }]);
    for (const form of [secret, JSON.stringify(secret).slice(1, -1), secret.replaceAll('"', '""'), 'canary']) {
      expect(text).not.toContain(form);
      for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(form);
    }
  });

  for (const [what, value, line, message] of [
    ['ref', "'{{ref \"m\"}}'", 5, /\{\{ref\}\} cannot be used in a YAML value: only \{\{var …\}\}, \{\{env …\}\}, \{\{doc …\}\} and \{\{target\.…\}\}/],
    ['an unknown helper', "'{{upper \"x\"}}'", 5, /\{\{upper\}\} cannot be used in a YAML value/],
    ['an unknown target field', "'{{target.bogus}}'", 5, /unknown name "target\.bogus"/],
    ['a var without a default', "'{{var \"missing\"}}'", 5, /var "missing" is not defined/],
    ['a later line of a block scalar', '|\n          first line\n          second {{this}}', 7, /\{\{this\}\} cannot be used in a YAML value/],
  ] as const) {
    it(`report ${what} at its YAML line`, async () => {
      p = testProject({ 'models/m.sql': 'select 1 as id', 'models/schema.yml': `models:\n  - name: m\n    columns:\n      - name: id\n        description: ${value}\n` });
      const r = await p.run('compile');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`^models/schema\\.yml:${line}: ${message.source}`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});
