// The lineage graph's data, shared by the generator (src/docs/graph-data.ts, Node) and the browser
// (graph.ts). Column-wise arrays indexed by node, edges as node indices and repeated strings interned, so
// 5,000 models stay a small part of data.js. It holds exactly what the graph draws and what the engine's
// selector (src/graph/select.ts) reads.

/** Node kinds by code; tests carry their test type in the code. */
export const KINDS = ['model', 'seed', 'source', 'test', 'test', 'unit_test'] as const;
export const KIND_GENERIC_TEST = 3;
export const KIND_SINGULAR_TEST = 4;

export interface GraphData {
  readonly v: 1;
  /** Interned strings: folders, tags, materializations, source names. */
  readonly s: readonly string[];
  /** Per node (index i): unique_id ('' stands for `${KINDS[k]}.${name}`), name, kind code (KINDS). */
  readonly id: readonly string[];
  readonly name: readonly string[];
  readonly k: readonly number[];
  /** original_file_path = s[dir[i]] + '/' + base[i] (dir -1: no folder); base '' stands for `${name}.sql`. */
  readonly dir: readonly number[];
  readonly base: readonly string[];
  /** Tags, as indices into s. */
  readonly t: readonly (readonly number[])[];
  /** By kind: a model's materialization and a source's source_name (indices into s); a unit test's model (a node index); else -1. */
  readonly x: readonly number[];
  /** Edges parent → child as flat pairs of node indices [p0, c0, p1, c1, …] (depends_on.nodes). */
  readonly e: readonly number[];
}
