// What the lineage graph shows, without the DOM: the graph decoded from GraphData, depth walks, the engine's
// own selector over it, grouping large views by layer or folder, and a column's upstream chain.
import { usageError } from '../../errors.js';
import { Dag } from '../../graph/dag.js';
import { select, type SelectMethods } from '../../graph/select.js';
import type { Manifest } from '../../types.js';
import { KIND_SINGULAR_TEST, KINDS, type GraphData } from './graph-types.js';
import type { ColumnLineage } from './types.js';

/** The graph's resource types as the legend names them: snapshots are models materialized as snapshots. */
export type DisplayType = 'model' | 'seed' | 'source' | 'snapshot' | 'test' | 'unit_test';

/** The decoded graph: adjacency by node index, and each node's file, layer and folder. */
export class LineageModel {
  readonly size: number;
  /** unique_id by node index. */
  readonly ids: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  readonly parents: number[][];
  readonly children: number[][];
  readonly files: readonly string[];
  readonly layers: readonly string[];
  private engine?: { manifest: Manifest; dag: Dag };

  constructor(readonly g: GraphData) {
    this.size = g.id.length;
    this.ids = g.id.map((id, i) => id || `${KINDS[g.k[i]]}.${g.name[i]}`);
    this.index = new Map(this.ids.map((id, i) => [id, i]));
    this.parents = g.id.map(() => []);
    this.children = g.id.map(() => []);
    for (let j = 0; j < g.e.length; j += 2) {
      this.parents[g.e[j + 1]].push(g.e[j]);
      this.children[g.e[j]].push(g.e[j + 1]);
    }
    this.files = g.id.map((_, i) => {
      const base = g.base[i] || `${g.name[i]}.sql`;
      return g.dir[i] < 0 ? base : `${g.s[g.dir[i]]}/${base}`;
    });
    this.layers = g.id.map((_, i) => layerOf(this.type(i), this.files[i]));
  }

  kind(i: number): (typeof KINDS)[number] {
    return KINDS[this.g.k[i]];
  }

  isTest(i: number): boolean {
    const k = this.kind(i);
    return k === 'test' || k === 'unit_test';
  }

  type(i: number): DisplayType {
    const k = this.kind(i);
    return k === 'model' && this.materialized(i) === 'snapshot' ? 'snapshot' : k;
  }

  materialized(i: number): string | undefined {
    return this.kind(i) === 'model' ? this.g.s[this.g.x[i]] : undefined;
  }

  tags(i: number): string[] {
    return this.g.t[i].map((t) => this.g.s[t]);
  }

  /** The node's folder; a source's is its source (`source:vyapar`), not the folder of the YAML declaring it. */
  folder(i: number): string {
    if (this.kind(i) === 'source') return `source:${this.g.s[this.g.x[i]]}`;
    return this.g.dir[i] < 0 ? '.' : this.g.s[this.g.dir[i]];
  }

  /** Nodes within `depth` steps upstream or downstream of `start` (tests are never walked through). */
  reach(start: number, direction: 'up' | 'down', depth: number, into: Set<number>): void {
    let frontier = [start];
    for (let d = 0; d < depth && frontier.length > 0; d++) {
      const next: number[] = [];
      for (const i of frontier) {
        for (const n of direction === 'up' ? this.parents[i] : this.children[i]) {
          if (this.isTest(n) || into.has(n)) continue;
          into.add(n);
          next.push(n);
        }
      }
      frontier = next;
    }
  }

  /** Adds the tests that go with the shown nodes, as selection does: a test whose every parent is shown, a unit test whose model is. */
  addTests(shown: Set<number>): void {
    for (let i = 0; i < this.size; i++) {
      const k = this.kind(i);
      if (k === 'test' && this.parents[i].length > 0 && this.parents[i].every((p) => shown.has(p))) shown.add(i);
      if (k === 'unit_test' && shown.has(this.g.x[i])) shown.add(i);
    }
  }

  /** The CLI's `-s SELECT --exclude EXCLUDE`, by the engine's own select(); throws its UsageError on a bad selector. */
  select(spec: string | undefined, exclude: string | undefined): Set<number> {
    const { manifest, dag } = this.engineGraph();
    const ids = select(manifest, dag, spec ? [spec] : undefined, exclude ? [exclude] : undefined, '--select', SITE_METHODS);
    return new Set([...ids].map((id) => this.index.get(id)!));
  }

  /** The engine's Manifest and Dag, holding exactly the node fields select() and Dag read. */
  private engineGraph(): { manifest: Manifest; dag: Dag } {
    if (this.engine) return this.engine;
    const g = this.g;
    const nodes: Record<string, object> = {};
    for (let i = 0; i < this.size; i++) {
      const kind = this.kind(i);
      const sourceName = kind === 'source' ? g.s[g.x[i]] : undefined;
      nodes[this.ids[i]] = {
        id: this.ids[i],
        kind,
        name: g.name[i],
        tags: this.tags(i),
        origin: { file: this.files[i] },
        dependsOn: this.parents[i].map((p) => this.ids[p]),
        materialized: this.materialized(i),
        sourceName,
        tableName: sourceName === undefined ? undefined : g.name[i].slice(sourceName.length + 1),
        testType: kind === 'test' ? (g.k[i] === KIND_SINGULAR_TEST ? 'singular' : 'generic') : undefined,
        model: kind === 'unit_test' ? this.ids[g.x[i]] : undefined,
      };
    }
    // Only the fields above are read: select() and Dag.build() need no target, macros or SQL.
    const manifest = { nodes } as unknown as Manifest;
    const dag = Dag.build(manifest, []);
    if (!dag) throw new Error('the lineage graph has a cycle');
    return (this.engine = { manifest, dag });
  }
}

/** state: and result: read an earlier run's files, which the docs site does not have. */
const SITE_METHODS: SelectMethods = {
  state: (value, flag) => {
    throw usageError(`${flag}: state:${value} compares with an earlier run's manifest (--state DIR), which the docs site does not have: use eider ls -s state:${value} --state DIR`);
  },
  result: (value, flag) => {
    throw usageError(`${flag}: result:${value} reads the last run's results, which the docs site does not have: use eider ls -s result:${value}`);
  },
};

/** A selector box's text, as the CLI reads it: `SELECT [--exclude EXCLUDE]` (a leading -s/--select is allowed). */
export function parseSelector(text: string): { select?: string; exclude?: string } {
  const words = text.trim().split(/\s+/).flatMap((w) => (w.startsWith('--exclude=') ? ['--exclude', w.slice(10)] : [w])).filter(Boolean);
  const at = words.indexOf('--exclude');
  const sel = (at < 0 ? words : words.slice(0, at)).filter((w, i) => !(i === 0 && ['-s', '--select', '-m', '--models'].includes(w)));
  const exc = at < 0 ? [] : words.slice(at + 1);
  return { select: sel.length ? sel.join(' ') : undefined, exclude: exc.length ? exc.join(' ') : undefined };
}

/** seeds, sources, snapshots and tests by type; a model by the first folder under models/ (staging, marts, …). */
function layerOf(type: DisplayType, file: string): string {
  if (type === 'seed' || type === 'source' || type === 'snapshot') return `${type}s`;
  if (type === 'test' || type === 'unit_test') return 'tests';
  const parts = file.split('/');
  return parts.length >= 3 ? parts[1] : parts[0];
}

export type GroupBy = 'layer' | 'folder';

export interface Group {
  readonly id: string;
  readonly label: string;
  readonly members: readonly number[];
  /** 0: a layer or folder; 1: a folder inside a layer; 2: a range of names. */
  readonly level: number;
  readonly layer: string;
}

export interface View {
  /** Nodes shown one by one, and groups shown collapsed. */
  readonly nodes: readonly number[];
  readonly groups: readonly Group[];
  /** Edges between shown items (keys: `n<index>` or `g<group id>`), with how many node edges each stands for. */
  readonly edges: ReadonlyArray<{ readonly from: string; readonly to: string; readonly count: number }>;
}

export const nodeKey = (i: number) => `n${i}`;
export const groupKey = (id: string) => `g${id}`;

/**
 * What to draw of `shown`: every node when there are at most `max`; otherwise groups by layer or folder, each
 * collapsed unless `expanded` holds it. An expanded group of more than `max` splits into folders (a layer) or
 * ranges of names. `pinned` nodes (the focus) are always drawn alone.
 */
export function buildView(model: LineageModel, shown: ReadonlySet<number>, pinned: ReadonlySet<number>, by: GroupBy, expanded: ReadonlySet<string>, max: number): View {
  const key = new Map<number, string>();
  const nodes: number[] = [];
  const groups: Group[] = [];
  const alone = (i: number) => {
    nodes.push(i);
    key.set(i, nodeKey(i));
  };
  if (shown.size <= max) for (const i of shown) alone(i);
  else {
    const byName = (a: number, b: number) => (model.g.name[a] < model.g.name[b] ? -1 : model.g.name[a] > model.g.name[b] ? 1 : 0);
    const free = [...shown].filter((i) => !pinned.has(i)).sort(byName);
    for (const i of shown) if (pinned.has(i)) alone(i);
    const place = (group: Group) => {
      if (!expanded.has(group.id)) {
        groups.push(group);
        for (const m of group.members) key.set(m, groupKey(group.id));
      } else if (group.members.length <= max) for (const m of group.members) alone(m);
      else for (const sub of split(model, group, by, max)) place(sub);
    };
    const top = new Map<string, number[]>();
    for (const i of free) {
      const k = by === 'layer' ? model.layers[i] : model.folder(i);
      top.get(k)?.push(i) ?? top.set(k, [i]);
    }
    for (const [k, members] of [...top].sort((a, b) => (a[0] < b[0] ? -1 : 1))) place({ id: `${by}:${k}`, label: k, members, level: 0, layer: model.layers[members[0]] });
  }
  const edges = new Map<string, { from: string; to: string; count: number }>();
  for (const p of shown) {
    for (const c of model.children[p]) {
      if (!shown.has(c)) continue;
      const from = key.get(p)!;
      const to = key.get(c)!;
      if (from === to) continue;
      const e = edges.get(`${from} ${to}`);
      if (e) e.count++;
      else edges.set(`${from} ${to}`, { from, to, count: 1 });
    }
  }
  return { nodes, groups, edges: [...edges.values()] };
}

/** A group too large to show node by node: a layer by its folders, else (or a folder) by ranges of names, at most 16 parts. */
function split(model: LineageModel, group: Group, by: GroupBy, max: number): Group[] {
  if (by === 'layer' && group.level === 0) {
    const folders = new Map<string, number[]>();
    for (const m of group.members) folders.get(model.folder(m))?.push(m) ?? folders.set(model.folder(m), [m]);
    if (folders.size > 1) return [...folders].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([f, members]) => ({ id: `${group.id}>${f}`, label: f, members, level: 1, layer: group.layer }));
  }
  const parts = Math.min(16, Math.ceil(group.members.length / max));
  const size = Math.ceil(group.members.length / parts);
  const out: Group[] = [];
  for (let j = 0; j * size < group.members.length; j++) {
    const members = group.members.slice(j * size, (j + 1) * size);
    const label = `${group.label}: ${model.g.name[members[0]]} … ${model.g.name[members[members.length - 1]]}`;
    out.push({ id: `${group.id}#${j}`, label, members, level: 2, layer: group.layer });
  }
  return out;
}

/** A column's upstream chain: the columns of each node it is computed from (transitively), the links between them, and the untraced ones. */
export interface ColumnChain {
  readonly columns: ReadonlyMap<string, ReadonlySet<string>>;
  readonly links: ReadonlyArray<{ readonly from: string; readonly fromColumn: string; readonly to: string; readonly toColumn: string }>;
  /** `node\tcolumn` → why it could not be traced. */
  readonly unknown: ReadonlyMap<string, string>;
}

export function columnChain(lineage: ColumnLineage, node: string, column: string): ColumnChain {
  const columns = new Map<string, Set<string>>();
  const links: Array<{ from: string; fromColumn: string; to: string; toColumn: string }> = [];
  const unknown = new Map<string, string>();
  const queue: Array<[string, string]> = [[node, column]];
  const seen = new Set<string>();
  while (queue.length > 0) {
    const [n, c] = queue.shift()!;
    if (seen.has(`${n}\t${c}`)) continue;
    seen.add(`${n}\t${c}`);
    columns.get(n)?.add(c) ?? columns.set(n, new Set([c]));
    const entries = lineage[n] ?? [];
    const entry = entries.find((e) => e.column === c) ?? entries.find((e) => e.column.toLowerCase() === c.toLowerCase());
    if (entry?.unknown !== undefined) unknown.set(`${n}\t${c}`, entry.unknown);
    for (const s of entry?.sources ?? []) {
      links.push({ from: s.node, fromColumn: s.column, to: n, toColumn: c });
      queue.push([s.node, s.column]);
    }
  }
  return { columns, links, unknown };
}
