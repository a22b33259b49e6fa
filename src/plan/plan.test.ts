import { afterEach, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { compileContext } from '../commands/context.js';
import { execute } from '../execute/execute.js';
import { select } from '../graph/select.js';
import { ConsoleReporter } from '../report/console.js';
import { testProject, type TestProject } from '../test-support/project.js';
import { planRun, type Plan } from './plan.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

const silent = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as NodeJS.WriteStream;

async function planFor(files: Record<string, string>, mode: 'build' | 'run' = 'build', existing: Array<[string, 'table' | 'view']> = []) {
  p = testProject(files);
  const ctx = await compileContext({ projectDir: p.dir }, new ConsoleReporter(silent, silent));
  const selected = select(ctx.manifest, ctx.dag, undefined, undefined);
  const plan = planRun(ctx.manifest, ctx.dag, selected, mode, { relations: new Map(existing), schemas: new Set(['main']) });
  return { ctx, plan };
}

const stmts = (plan: Plan, id: string) => {
  const a = plan.steps.find((s) => s.nodeId === id)!.action;
  return a.kind === 'run' ? a.statements : a.kind === 'test' ? [a.sql] : [];
};

describe('plan (pure: golden SQL per materialization)', () => {
  it('view, table swap, seed and schema setup', async () => {
    const { plan } = await planFor(
      {
        'models/v.sql': 'select 1 as id',
        'models/t.sql': '{{config materialized="table" schema="marts"}}\nselect * from {{ref "v"}}',
        'seeds/s.csv': 'a\n1\n',
      },
      'build',
      [['main.v', 'table']],
    );
    expect(plan.setup).toEqual(['create schema if not exists "marts"']);
    expect(stmts(plan, 'model.v')).toEqual(['begin transaction', 'drop table if exists "main"."v"', 'create or replace view "main"."v" as\nselect 1 as id', 'commit']);
    // The name is free: one statement, as a person would write it.
    expect(stmts(plan, 'model.t')).toEqual(['create or replace table "marts"."t" as\n\nselect * from "main"."v"']);
    expect(stmts(plan, 'seed.s')[0]).toMatch(/^create or replace table "main"."s" as\nselect \* from read_csv\('.*\/seeds\/s\.csv', header = true, skip = 0, delim = ',', quote = '"', escape = '"', strict_mode = true\)$/);
  });

  it('a table replaces a table in one statement, and a view of its name in one transaction', async () => {
    const files = { 'models/t.sql': '{{config materialized="table"}}\nselect 1 as id' };
    expect(stmts((await planFor(files, 'build', [['main.t', 'table']])).plan, 'model.t')).toEqual(['create or replace table "main"."t" as\n\nselect 1 as id']);
    p?.remove();
    expect(stmts((await planFor(files, 'build', [['main.t', 'view']])).plan, 'model.t')).toEqual([
      'begin transaction',
      'drop view if exists "main"."t"',
      'create or replace table "main"."t" as\n\nselect 1 as id',
      'commit',
    ]);
  });

  it('in build, children wait for the tests of their parents (write–audit–publish)', async () => {
    const { plan } = await planFor({
      'models/a.sql': 'select 1 as id',
      'models/b.sql': 'select * from {{ref "a"}}',
      'models/c.sql': 'select * from {{ref "b"}}',
      'models/a.yml': "models:\n  - name: a\n    columns:\n      - name: id\n        tests:\n          - not_null\n          - relationships: {to: ref('c'), field: id}\n",
    });
    const waits = (id: string) => [...plan.steps.find((s) => s.nodeId === id)!.waitsFor].sort();
    expect(waits('model.b')).toEqual(['model.a', 'test.not_null_a_id']);
    // The relationships test reads c, downstream of b: b cannot wait for it without a cycle.
    expect(waits('test.relationships_a_id__id__ref_c')).toEqual(['model.a', 'model.c']);
  });
});

describe('execute', () => {
  it('runs independent nodes in parallel on the target\'s threads', async () => {
    const heavy = 'select count(*) as n from range(100000000) t(x) where x % 7 = 3';
    const { ctx, plan } = await planFor({ 'models/x.sql': heavy, 'models/y.sql': heavy }, 'run');
    // Tables, so the query runs at build time.
    const tablePlan: Plan = {
      setup: [],
      steps: plan.steps.map((s) => ({ ...s, action: { kind: 'run', verb: 'created table', statements: [`create or replace table ${s.nodeId.slice(6)} as ${heavy}`] } })),
    };
    const overlap = async (threads: number) => {
      const adapter = await DuckDbAdapter.open({ path: ':memory:', threads, settings: { threads: '1' } });
      const results = await execute(tablePlan, ctx.manifest, adapter, () => undefined);
      await adapter.close();
      expect(results.map((r) => r.status)).toEqual(['success', 'success']);
      const [first, second] = results.map((r) => ({ start: Date.parse(r.startedAt), end: Date.parse(r.startedAt) + r.durationMs })).sort((a, b) => a.start - b.start);
      return second.start < first.end - 5;
    };
    // One connection: the two nodes run one after the other; two: side by side.
    expect(await overlap(1)).toBe(false);
    expect(await overlap(2)).toBe(true);
  });
});
