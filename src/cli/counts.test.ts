import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testProject, type TestProject } from '../test-support/project.js';

let p: TestProject | undefined;
afterEach(() => p?.remove());

// 5 nodes run: a seed, three models (one fails, one is skipped) and a test; a source and two ephemeral
// models pass straight through and are not counted.
const project = {
  'seeds/raw_orders.csv': 'id,amount\n1,10\n2,20\n',
  'models/sources.yml': 'sources:\n  - name: app\n    schema: main\n    tables:\n      - name: orders\n        identifier: raw_orders\nmodels:\n  - name: ok\n    columns:\n      - name: id\n        tests: [not_null]\n',
  'models/e_ok.sql': '{{config materialized="ephemeral"}}\nselect id, amount from {{source "app" "orders"}}',
  'models/ok.sql': '{{config materialized="table"}}\nselect * from {{ref "e_ok"}}',
  'models/bad.sql': '{{config materialized="table"}}\nselect id, error(\'boom\') as amount from {{ref "raw_orders"}}',
  'models/e_bad.sql': '{{config materialized="ephemeral"}}\nselect * from {{ref "bad"}}',
  'models/after_bad.sql': 'select * from {{ref "e_bad"}}',
};

describe('counts', () => {
  it('one result per node that runs: the progress counter, the summary, run_results.json, debug and compile agree', async () => {
    p = testProject(project);
    const r = await p.run('build');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/· 5 nodes ·/);
    const counters = [...r.stdout.matchAll(/^\s*(\d+) of (\d+) /gm)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(counters.map(([i]) => i)).toEqual([1, 2, 3, 4, 5]);
    expect(counters.every(([, total]) => total === 5)).toBe(true);
    expect(r.stdout).toMatch(/SKIP view main\.after_bad/);
    expect(r.stdout).not.toMatch(/e_bad|source app/);
    expect(r.stdout).toMatch(/Finished in [\d.]+s: 2 OK, 1 PASS, 1 ERROR, 1 SKIP/);
    const results = JSON.parse(readFileSync(join(p.dir, 'target/run_results.json'), 'utf8')).results as Array<{ unique_id: string }>;
    expect(results.map((x) => x.unique_id).sort()).toEqual(['model.after_bad', 'model.bad', 'model.ok', 'seed.raw_orders', 'test.not_null_ok_id']);
    expect((await p.run('debug')).stdout).toMatch(/^nodes: +5 \(and 1 source, 2 ephemeral models, which never run\)$/m);
    expect((await p.run('compile')).stdout).toMatch(/^Compiled 5 nodes /m);
  });
});
