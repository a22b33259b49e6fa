import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { queryFile, testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const daily = (n: number) => `select range as day, range * ${n} as revenue, range % 2 as shop from range(4)`;

describe('external models', () => {
  it('write Parquet under the output folder, replace it on a re-run, and expose a view over it', async () => {
    p = testProject({ 'models/export.sql': `{{config materialized="external" location="exports/daily.parquet"}}\n${daily(10)}` });
    const r = await p.run('run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK created external main\.export .*4 rows/);
    expect(existsSync(join(p.dir, 'output/dev/exports/daily.parquet'))).toBe(true);
    expect(await p.query('select sum(revenue)::int as s from main.export')).toEqual([{ s: 60 }]);
    p.write('models/export.sql', `{{config materialized="external" location="exports/daily.parquet"}}\n${daily(100)}`);
    expect((await p.run('run')).code).toBe(0);
    expect(await p.query('select sum(revenue)::int as s from main.export')).toEqual([{ s: 600 }]);
    expect(readdirSync(join(p.dir, 'output/dev/exports'))).toEqual(['daily.parquet']); // nothing staged is left
  });

  it('partition_by writes a hive-partitioned folder; CSV and JSON work too', async () => {
    p = testProject({
      'models/parts.sql': `{{config materialized="external" partition_by="shop"}}\n${daily(1)}`,
      'models/as_csv.sql': `{{config materialized="external" format="csv"}}\n${daily(2)}`,
      'models/as_json.sql': `{{config materialized="external" format="json"}}\n${daily(3)}`,
    });
    expect((await p.run('run')).code).toBe(0);
    expect(readdirSync(join(p.dir, 'output/dev/parts.parquet')).sort()).toEqual(['shop=0', 'shop=1']);
    expect(await p.query('select shop::int as shop, count(*)::int as n from main.parts group by 1 order by 1')).toEqual([
      { shop: 0, n: 2 },
      { shop: 1, n: 2 },
    ]);
    expect((await p.run('run', '-s', 'parts')).code).toBe(0);
    expect(await p.query('select count(*)::int as n from main.parts')).toEqual([{ n: 4 }]);
    expect(await p.query('select sum(revenue)::int as s from main.as_csv')).toEqual([{ s: 12 }]);
    expect(await p.query('select sum(revenue)::int as s from main.as_json')).toEqual([{ s: 18 }]);
  });

  it('in a swap build the files move into place only when the release is published', async () => {
    p = testProject({
      'profiles/profiles.yml': 't:\n  target: prod\n  targets:\n    prod:\n      path: warehouse/prod.duckdb\n',
      'models/export.sql': `{{config materialized="external" location="daily.parquet"}}\n${daily(10)}`,
      // A data test that reads the model: it must see this build's rows, not the published ones.
      'tests/small_revenue.sql': 'select * from {{ref "export"}} where revenue > 100',
    });
    const prod = join(p.dir, 'warehouse/prod.duckdb');
    const file = join(p.dir, 'output/prod/daily.parquet');
    const published = async () => ({
      file: (await queryFile(prod, `select sum(revenue)::int as s from read_parquet('${file}')`))[0].s,
      view: (await queryFile(prod, 'select sum(revenue)::int as s from main.export'))[0].s,
      staged: readdirSync(join(p!.dir, 'output/prod')).filter((f) => f !== 'daily.parquet'),
    });
    expect((await p.run('build')).code).toBe(0);
    expect(await published()).toEqual({ file: 60, view: 60, staged: [] });
    p.write('models/export.sql', `{{config materialized="external" location="daily.parquet"}}\n${daily(100)}`);
    const failed = await p.run('build');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/FAIL .*small_revenue/);
    expect(failed.stderr).toMatch(/Nothing was published/);
    expect(await published()).toEqual({ file: 60, view: 60, staged: [] });
    p.write('models/export.sql', `{{config materialized="external" location="daily.parquet"}}\n${daily(20)}`);
    expect((await p.run('build')).code).toBe(0);
    expect(await published()).toEqual({ file: 120, view: 120, staged: [] });
  });

  it('a location outside the output folder is an error, and nothing is written', async () => {
    p = testProject({ 'models/export.sql': `{{config materialized="external" location="../../etc/x.parquet"}}\n${daily(1)}` });
    const r = await p.run('run');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^models\/export\.sql:1: model "export": external location \.\.\/\.\.\/etc\/x\.parquet is outside the target's output folder output\/dev\//m);
    expect(existsSync(p.db)).toBe(false);
  });

  it('each target writes its own files: a dev build never replaces what prod published', async () => {
    const profile = (prodOutput: string) =>
      `t:\n  target: dev\n  targets:\n    dev:\n      path: warehouse/dev.duckdb\n    prod:\n      path: warehouse/prod.duckdb\n${prodOutput}`;
    p = testProject({ 'profiles/profiles.yml': profile(''), 'models/export.sql': `{{config materialized="external"}}\n${daily(1)}` });
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    p.write('models/export.sql', `{{config materialized="external"}}\n${daily(2)}`);
    expect((await p.run('build')).code).toBe(0);
    const sum = async (file: string) => (await queryFile(join(p!.dir, 'warehouse/dev.duckdb'), `select sum(revenue)::int as s from read_parquet('${join(p!.dir, file)}')`))[0].s;
    expect(await sum('output/prod/export.parquet')).toBe(6);
    expect(await sum('output/dev/export.parquet')).toBe(12);
    // A target may name its folder; it must stay inside the project.
    p.write('profiles/profiles.yml', profile('      output: exports/bi\n'));
    expect((await p.run('build', '--target', 'prod')).code).toBe(0);
    expect(await sum('exports/bi/export.parquet')).toBe(12);
    p.write('profiles/profiles.yml', profile('      output: ../elsewhere\n'));
    const bad = await p.run('build', '--target', 'prod');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^profiles\/profiles\.yml:8: output must be a folder inside the project/m);
  });
});
