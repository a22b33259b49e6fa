// target/manifest.json → the lineage graph's compact data for the docs site (see site/graph-types.ts).
import { KIND_GENERIC_TEST, KIND_SINGULAR_TEST, KINDS, type GraphData } from './site/graph-types.js';

/** What graphData reads of a parsed manifest.json (schema v2). */
export interface ManifestJson {
  readonly nodes: Readonly<Record<string, ManifestNodeJson>>;
}

export interface ManifestNodeJson {
  readonly unique_id: string;
  readonly resource_type: string;
  readonly name: string;
  readonly original_file_path: string;
  readonly tags: readonly string[];
  readonly depends_on: { readonly nodes: readonly string[] };
  readonly materialized?: string;
  readonly config?: { readonly materialized?: unknown };
  readonly source_name?: string;
  readonly test_type?: string;
  /** A unit test's model. */
  readonly model?: string;
}

const KIND_CODE: Record<string, number> = { model: 0, seed: 1, source: 2, unit_test: 5 };

export function graphData(manifest: ManifestJson): GraphData {
  // Kinds a later schema may add are left out: the graph could not draw or select them as the CLI does.
  const nodes = Object.values(manifest.nodes).filter((n) => n.resource_type === 'test' || KIND_CODE[n.resource_type] !== undefined);
  const index = new Map(nodes.map((n, i) => [n.unique_id, i]));
  const strings: string[] = [];
  const interned = new Map<string, number>();
  const intern = (s: string) => {
    let i = interned.get(s);
    if (i === undefined) interned.set(s, (i = strings.push(s) - 1));
    return i;
  };
  const g = { v: 1 as const, s: strings, id: [] as string[], name: [] as string[], k: [] as number[], dir: [] as number[], base: [] as string[], t: [] as number[][], x: [] as number[], e: [] as number[] };
  for (const [i, n] of nodes.entries()) {
    const code = n.resource_type === 'test' ? (n.test_type === 'singular' ? KIND_SINGULAR_TEST : KIND_GENERIC_TEST) : KIND_CODE[n.resource_type];
    const slash = n.original_file_path.lastIndexOf('/');
    const base = n.original_file_path.slice(slash + 1);
    g.id.push(n.unique_id === `${KINDS[code]}.${n.name}` ? '' : n.unique_id);
    g.name.push(n.name);
    g.k.push(code);
    g.dir.push(slash < 0 ? -1 : intern(n.original_file_path.slice(0, slash)));
    g.base.push(base === `${n.name}.sql` ? '' : base);
    g.t.push(n.tags.map(intern));
    g.x.push(extra(n, index, intern));
    for (const d of n.depends_on.nodes) {
      const p = index.get(d);
      if (p !== undefined) g.e.push(p, i);
    }
  }
  return g;
}

function extra(n: ManifestNodeJson, index: ReadonlyMap<string, number>, intern: (s: string) => number): number {
  if (n.resource_type === 'model') return intern(String(n.materialized ?? n.config?.materialized ?? ''));
  if (n.resource_type === 'source') return intern(n.source_name ?? '');
  if (n.resource_type === 'unit_test') return (n.model !== undefined ? index.get(n.model) : undefined) ?? -1;
  return -1;
}
