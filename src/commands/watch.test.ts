import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dag } from '../graph/dag.js';
import type { Manifest } from '../types.js';
import { BuildQueue, isIgnored, toRebuild } from './watch.js';

/** A manifest with the fields the graph reads: seed → stg → fct, a test on stg, a unit test of fct, and other. */
function manifest(): Manifest {
  const node = (id: string, kind: string, dependsOn: string[] = [], extra: object = {}) => [id, { id, name: id, kind, dependsOn, ...extra }];
  return {
    nodes: Object.fromEntries([
      node('seed', 'seed'),
      node('stg', 'model', ['seed']),
      node('fct', 'model', ['stg']),
      node('other', 'model'),
      node('test_stg', 'test', ['stg']),
      node('unit_fct', 'unit_test', [], { model: 'fct' }),
    ]),
  } as unknown as Manifest;
}

describe('toRebuild', () => {
  const m = manifest();
  const dag = Dag.build(m, [])!;
  const all = new Set(Object.keys(m.nodes));

  it('is the changed nodes and everything downstream, tests and unit tests included, in DAG order', () => {
    expect(toRebuild(['stg'], dag, m, all)).toEqual(dag.order.filter((id) => ['stg', 'fct', 'test_stg', 'unit_fct'].includes(id)));
    expect(toRebuild(['test_stg'], dag, m, all)).toEqual(['test_stg']);
    expect(toRebuild(['gone'], dag, m, all)).toEqual([]);
  });

  it('keeps to the selection', () => {
    expect(toRebuild(['seed'], dag, m, new Set(['fct', 'unit_fct']))).toEqual(dag.order.filter((id) => id === 'fct' || id === 'unit_fct'));
  });
});

describe('isIgnored', () => {
  const skipped = new Set(['target', 'output', 'warehouse', 'node_modules']);
  it('leaves alone what builds write, dot-folders and files eider does not read', () => {
    for (const rel of ['target/compiled/models/a.sql', 'warehouse/dev.duckdb', 'output/x.parquet', 'node_modules/x/index.js', '.git/HEAD', 'models/.a.sql.swp', 'models/notes.md', 'macros/types.d.ts']) {
      expect(isIgnored(rel, true, skipped), rel).toBe(true);
    }
    for (const rel of ['models/a.sql', 'models/schema.yml', 'seeds/s.csv', 'macros/h.ts', 'project.yml', 'profiles/profiles.yml', 'targets/a.sql']) {
      expect(isIgnored(rel, true, skipped), rel).toBe(false);
    }
    expect(isIgnored('models/staging', false, skipped)).toBe(false);
  });
});

describe('BuildQueue', () => {
  afterEach(() => void vi.useRealTimers());

  it('saves in quick succession make one run; saves during a run make exactly one more after it', async () => {
    vi.useFakeTimers();
    let runs = 0;
    let release: () => void = () => undefined;
    let idle = 0;
    const q = new BuildQueue(
      () => {
        runs++;
        return new Promise<void>((r) => (release = r));
      },
      () => void idle++,
      200,
    );
    q.poke();
    await vi.advanceTimersByTimeAsync(150);
    q.poke();
    await vi.advanceTimersByTimeAsync(150);
    expect(runs).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(runs).toBe(1);
    q.poke();
    q.poke();
    q.poke();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(1);
    release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(2);
    expect(idle).toBe(0);
    release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(2);
    expect(idle).toBe(1);
  });

  it('after dispose, a running task finishes and calls idle; nothing runs again', async () => {
    vi.useFakeTimers();
    let runs = 0;
    let release: () => void = () => undefined;
    let idle = 0;
    const q = new BuildQueue(() => (runs++, new Promise<void>((r) => (release = r))), () => void idle++, 200);
    void q.now();
    q.poke();
    q.dispose();
    release();
    await vi.advanceTimersByTimeAsync(1000);
    expect([runs, idle]).toEqual([1, 1]);
    q.poke();
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toBe(1);
  });
});
