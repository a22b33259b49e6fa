import { spawn } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const base = `{{config materialized="table"}}
select range::integer as id, (range * 10.25)::decimal(18,2) as amount, range / 4 as ratio, 'c' || range as name,
  date '2024-01-01' + range::integer as day, timestamp '2024-01-01 10:00:00' + range * interval 1 hour as at,
  range % 2 = 0 as even, case when range = 2 then null else range::bigint end as maybe
from range(5)`;

const types = (t: TestProject, table: string) =>
  t.query(`select column_name as c, data_type as t from information_schema.columns where table_name = '${table}' order by ordinal_position`);

describe('JavaScript/TypeScript models', () => {
  it('a .ts model receives its refs as Arquero tables and every column type survives the round trip', async () => {
    p = testProject({
      'models/base.sql': base,
      'models/scored.ts': [
        "export const refs = ['base'];",
        "export const config = { schema: 'ml', tags: ['ml'] };",
        'export default async function ({ ref }: { ref: (name: string) => any }) {',
        "  return ref('base').derive({ twice: (d: any) => d.ratio * 2, label: (d: any) => d.name + '!' });",
        '}',
        '',
      ].join('\n'),
    });
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK created table ml\.scored .*5 rows/);
    expect(await types(p, 'scored')).toEqual([
      { c: 'id', t: 'INTEGER' },
      { c: 'amount', t: 'DECIMAL(18,2)' },
      { c: 'ratio', t: 'DOUBLE' },
      { c: 'name', t: 'VARCHAR' },
      { c: 'day', t: 'DATE' },
      { c: 'at', t: 'TIMESTAMP' },
      { c: 'even', t: 'BOOLEAN' },
      { c: 'maybe', t: 'BIGINT' },
      { c: 'twice', t: 'DOUBLE' },
      { c: 'label', t: 'VARCHAR' },
    ]);
    const rows = await p.query(`select id, amount::varchar as amount, strftime("day", '%Y-%m-%d') as day, strftime("at", '%Y-%m-%d %H:%M:%S') as at, even, maybe::int as maybe, twice, label from ml.scored where id in (1, 2) order by id`);
    expect(rows).toEqual([
      { id: 1, amount: '10.25', day: '2024-01-02', at: '2024-01-01 11:00:00', even: false, maybe: 1, twice: 0.5, label: 'c1!' },
      { id: 2, amount: '20.50', day: '2024-01-03', at: '2024-01-01 12:00:00', even: true, maybe: null, twice: 1, label: 'c2!' },
    ]);
    expect((await p.run('ls', '-s', '+scored')).stdout.trim().split('\n').sort()).toEqual(['base', 'scored']);
  });

  it('a .js model may read sources and return rows', async () => {
    p = testProject({
      'data/events.csv': 'kind,n\na,1\nb,2\na,3\n',
      'models/sources.yml': 'sources:\n  - name: files\n    tables:\n      - name: events\n        path: data/events.csv\n',
      'models/counts.js': "export const sources = [['files', 'events']];\nexport default ({ source }) => {\n  const t = source('files', 'events');\n  const totals = {};\n  for (const r of t.objects()) totals[r.kind] = (totals[r.kind] ?? 0) + Number(r.n);\n  return Object.entries(totals).map(([kind, total]) => ({ kind, total }));\n};\n",
    });
    const r = await p.run('build');
    expect(r.code).toBe(0);
    expect(await p.query('select kind, total::int as total from main.counts order by 1')).toEqual([
      { kind: 'a', total: 4 },
      { kind: 'b', total: 2 },
    ]);
  });

  it('is handed the project\'s vars (--vars too), the target and its own relation; a changed var is state:modified.vars', async () => {
    p = testProject({
      'project.yml': "name: t\nvars:\n  k: 3\n  seed: 42\n  labels: [low, high]\n",
      'models/params.ts': [
        'export default function ({ vars, target, this: me }: { vars: any; target: any; this: any }) {',
        '  vars.k = 99; // a copy: changing it changes nothing else',
        '  return [{ k: vars.k, seed: vars.seed, labels: vars.labels.join(\'/\'), target: target.name, schema: target.schema, me: `${me.schema}.${me.name}` }];',
        '}',
        '',
      ].join('\n'),
      'models/again.ts': 'export default ({ vars }: { vars: any }) => [{ k: vars.k }];\n',
    });
    expect((await p.run('build')).code).toBe(0);
    expect(await p.query('select k::int as k, seed::int as seed, labels, target, schema, me from main.params')).toEqual([{ k: 99, seed: 42, labels: 'low/high', target: 'dev', schema: 'main', me: 'main.params' }]);
    expect(await p.query('select k::int as k from main.again')).toEqual([{ k: 3 }]);
    expect((await p.run('build', '--vars', '{k: 5}')).code).toBe(0);
    expect(await p.query('select k::int as k from main.again')).toEqual([{ k: 5 }]);
    cpSync(join(p.dir, 'target'), join(p.dir, 'state'), { recursive: true });
    const ls = await p.run('ls', '-s', 'state:modified.vars', '--state', 'state', '--vars', '{k: 6}');
    expect(ls.stdout.trim().split('\n').sort()).toEqual(['again', 'params']);
  });

  it('an exception inside the function is reported at the model\'s file and line, and the existing table stays as it was', async () => {
    // In an ES-module package (as this repository's example project is), TypeScript models keep their line numbers.
    p = testProject({ 'package.json': '{"type": "module"}\n', 'models/base.sql': base, 'models/m.ts': "export const refs = ['base'];\nexport default ({ ref }: any) => ref('base').select('id');\n" });
    expect((await p.run('build')).code).toBe(0);
    p.write('models/m.ts', "export const refs = ['base'];\nexport default ({ ref }: any) => {\n  const t = ref('base');\n  throw new Error('k-means did not converge');\n};\n");
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERROR table main\.m/);
    expect(r.stdout).toMatch(/models\/m\.ts:4: Error: k-means did not converge/);
    expect(await p.query('select count(*)::int as n from main.m')).toEqual([{ n: 5 }]);
    expect(await p.query(`select count(*)::int as n from information_schema.tables where table_name like '%eider_tmp%'`)).toEqual([{ n: 0 }]);
  });

  it('an output column named like an input keeps its type only where the values fit it; a value no type holds is an error', async () => {
    p = testProject({
      'models/narrow.sql': "{{config materialized=\"table\"}}\nselect 100::tinyint as small, 999.9::decimal(4,1) as price, date '2024-03-01' as day, 7::tinyint as kept",
      'models/grown.js': "export const refs = ['narrow'];\nexport default ({ ref, aq }) => ref('narrow').derive({ small: (d) => d.small * 10, price: (d) => d.price * 2.5, day: aq.escape((d) => new Date(d.day.getTime() + 3600000)) });\n",
    });
    const r = await p.run('build');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await types(p, 'grown')).toEqual([
      { c: 'small', t: 'BIGINT' },
      { c: 'price', t: 'DOUBLE' },
      { c: 'day', t: 'TIMESTAMP' },
      { c: 'kept', t: 'TINYINT' },
    ]);
    expect(await p.query(`select small::int as small, price, strftime(day, '%Y-%m-%d %H:%M') as day from main.grown`)).toEqual([{ small: 1000, price: 2499.75, day: '2024-03-01 01:00' }]);
    p.write('models/grown.js', "export const refs = ['narrow'];\nexport default ({ ref, aq }) => ref('narrow').derive({ day: aq.escape(() => new Date('not a date')) });\n");
    const bad = await p.run('build');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/models\/grown\.js: column "day", row 1: Invalid Date is not a valid Date, for DATE/);
    expect(await p.query(`select count(*)::int as n from information_schema.tables where table_name like '%eider_tmp%'`)).toEqual([{ n: 0 }]);
    expect(await p.query('select small::int as small from main.grown')).toEqual([{ small: 1000 }]);
  });

  it('a TypeScript model outside an ES-module package loads as CommonJS and still reports its line', async () => {
    p = testProject({
      'models/base.sql': base,
      'models/m.ts': "import { basename } from 'node:path';\nexport const refs = ['base'];\n\nexport default ({ ref, aq }: any) => {\n  const n: number = aq.table({ x: [1, 2] }).numRows();\n  throw new Error(`only ${n} centroids in ${basename('a/b')}`);\n};\n",
    });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/models\/m\.ts:6: Error: only 2 centroids in b/);
  });

  it('the wrong shape, a column of mixed types, an undeclared ref, and a module without a default function', async () => {
    p = testProject({
      'models/base.sql': base,
      'models/shape.js': "export const refs = ['base'];\nexport default () => 42;\n",
      'models/mixed.js': "export default () => [{ v: 1 }, { v: 'two' }];\n",
      'models/undeclared.js': "export default ({ ref }) => ref('base');\n",
      'models/nocols.js': 'export default () => [];\n',
    });
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/models\/shape\.js: the model returned a number; return an Arquero table or an array of row objects/);
    expect(r.stdout).toMatch(/models\/mixed\.js: column "v" mixes integer and string values \(row 2 is string\)/);
    expect(r.stdout).toMatch(/models\/undeclared\.js: ref\('base'\) is not declared in this model's refs\/sources exports/);
    expect(r.stdout).toMatch(/models\/nocols\.js: the model returned no columns \(an empty array of rows names none\)/);
    p.write('models/nodefault.js', 'export const refs = [];\n');
    const c = await p.run('compile');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/^models\/nodefault\.js: a JavaScript\/TypeScript model exports a default function/m);
  });

  it('compile writes no empty file under target/compiled for a JavaScript/TypeScript model', async () => {
    p = testProject({ 'models/base.sql': base, 'models/m.ts': "export const refs = ['base'];\nexport default ({ ref }: any) => ref('base');\n" });
    const r = await p.run('compile');
    expect(r.code).toBe(0);
    expect(existsSync(join(p.dir, 'target/compiled/models/base.sql'))).toBe(true);
    expect(existsSync(join(p.dir, 'target/compiled/models/m.ts'))).toBe(false);
  });
});

describe('Ctrl-C while a step is between statements', () => {
  it('a JavaScript model interrupted while its function runs is not renamed into place afterwards, and nothing after it starts', async () => {
    p = testProject({
      'models/base.sql': '{{config materialized="table"}}\nselect 1 as id',
      'models/slow.js': [
        "import { writeFileSync } from 'node:fs';",
        "export const refs = ['base'];",
        'export default async function ({ ref }) {',
        "  writeFileSync('started', '');",
        '  await new Promise((r) => setTimeout(r, 3000));',
        "  return ref('base');",
        '}',
        '',
      ].join('\n'),
      'models/after.sql': '{{config materialized="table"}}\nselect * from {{ref "slow"}}',
    });
    const child = spawn(process.execPath, [BIN, 'run', '--threads', '1'], { cwd: p.dir });
    let out = '';
    child.stdout.on('data', (d) => (out += String(d)));
    child.stderr.on('data', (d) => (out += String(d)));
    while (!existsSync(join(p.dir, 'started'))) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(out).toMatch(/Interrupted by SIGINT/);
    expect(code).toBe(130);
    const tables = await p.query(`select table_name as t from information_schema.tables where table_schema = 'main' order by 1`);
    expect(tables).toEqual([{ t: 'base' }]);
  });
});
