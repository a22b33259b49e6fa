import { Graph, alg } from '@dagrejs/graphlib';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../errors.js';
import type { Manifest, Node, NodeId } from '../types.js';
import { Dag } from './dag.js';

/** A manifest of bare nodes: only ids, names, origins and edges matter to the graph. */
function manifestOf(edges: Record<string, string[]>): Manifest {
  const nodes: Record<string, Node> = {};
  for (const [id, dependsOn] of Object.entries(edges)) {
    nodes[id] = { id, kind: 'model', name: id.split('.')[1], origin: { file: `models/${id}.sql`, line: 1 }, dependsOn } as unknown as Node;
  }
  return { nodes } as unknown as Manifest;
}

/** Deterministic pseudo-random DAGs: each node depends on up to 3 earlier ones, ids shuffled so order is not trivial. */
function randomDag(n: number, seed: number): Record<string, string[]> {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const ids = Array.from({ length: n }, (_, i) => `model.m${i}`);
  const edges: Record<string, string[]> = {};
  const shuffled = [...ids].sort(() => rand() - 0.5);
  for (const id of shuffled) {
    const i = ids.indexOf(id);
    const deps = i === 0 ? [] : Array.from({ length: Math.floor(rand() * 4) }, () => ids[Math.floor(rand() * i)]);
    edges[id] = deps; // duplicates on purpose: one edge each
  }
  return edges;
}

describe('Dag', () => {
  it('orders nodes exactly as graphlib topsort did (run order and output order unchanged)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const edges = randomDag(200, seed);
      const g = new Graph({ directed: true });
      for (const id of Object.keys(edges)) g.setNode(id);
      for (const [id, deps] of Object.entries(edges)) for (const d of deps) g.setEdge(d, id);
      const dag = Dag.build(manifestOf(edges), [])!;
      expect(dag.order).toEqual(alg.topsort(g));
      for (const id of Object.keys(edges) as NodeId[]) {
        expect(dag.parents(id)).toEqual(g.predecessors(id));
        expect(dag.children(id)).toEqual(g.successors(id));
      }
    }
  });

  it('reports a cycle with its path at the first model, and a self-reference', () => {
    const diagnostics: Diagnostic[] = [];
    expect(Dag.build(manifestOf({ 'model.a': ['model.c'], 'model.b': ['model.a'], 'model.c': ['model.b'], 'model.d': ['model.a'] }), diagnostics)).toBeUndefined();
    expect(diagnostics.map((d) => `${d.file}: ${d.message}`)).toEqual(['models/model.a.sql: dependency cycle: a -> c -> b -> a']);
    const self: Diagnostic[] = [];
    expect(Dag.build(manifestOf({ 'model.a': ['model.a'] }), self)).toBeUndefined();
    expect(self.map((d) => d.message)).toEqual(['dependency cycle: a -> a']);
  });

  it('walks a 30,000-model chain without overflowing the stack', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 30_000; i++) edges[`model.m${i}`] = i === 0 ? [] : [`model.m${i - 1}`];
    const dag = Dag.build(manifestOf(edges), [])!;
    expect(dag.order[0]).toBe('model.m0');
    expect(dag.order.at(-1)).toBe('model.m29999');
    expect(dag.reach('model.m0' as NodeId, 'down').size).toBe(29_999);
  });
});
