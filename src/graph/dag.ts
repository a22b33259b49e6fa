import { Graph, alg } from '@dagrejs/graphlib';
import type { Diagnostic } from '../errors.js';
import type { Manifest, NodeId } from '../types.js';


/**
 * The dependency graph of a manifest: an edge runs from a node to each node that depends on it. Held as plain
 * adjacency lists (graphlib's object-keyed maps cost a 6,000-node compile 0.14 s); graphlib is used only to find
 * and report cycles.
 */
export class Dag {
  private constructor(
    private readonly preds: ReadonlyMap<NodeId, readonly NodeId[]>,
    private readonly succs: ReadonlyMap<NodeId, readonly NodeId[]>,
    readonly order: readonly NodeId[],
  ) {}

  /** Builds the graph; a cycle is a diagnostic that prints its path, and yields no Dag. */
  static build(manifest: Manifest, diagnostics: Diagnostic[]): Dag | undefined {
    const ids = Object.keys(manifest.nodes) as NodeId[];
    const preds = new Map<NodeId, NodeId[]>();
    const succs = new Map<NodeId, NodeId[]>();
    for (const id of ids) {
      preds.set(id, []);
      succs.set(id, []);
    }
    for (const id of ids) {
      const own = preds.get(id)!;
      for (const dep of manifest.nodes[id].dependsOn) {
        if (!manifest.nodes[dep] || own.includes(dep)) continue;
        own.push(dep);
        succs.get(dep)!.push(id);
      }
    }
    const order = topologicalOrder(ids, preds, succs);
    if (order) return new Dag(preds, succs, order);
    reportCycles(manifest, ids, preds, diagnostics);
    return undefined;
  }

  parents(id: NodeId): NodeId[] {
    return [...(this.preds.get(id) ?? [])];
  }

  children(id: NodeId): NodeId[] {
    return [...(this.succs.get(id) ?? [])];
  }

  /** All nodes reachable downstream (or upstream) within `depth` steps (Infinity for all). */
  reach(start: NodeId, direction: 'up' | 'down', depth = Infinity): Set<NodeId> {
    const out = new Set<NodeId>();
    let frontier = [start];
    for (let d = 0; d < depth && frontier.length > 0; d++) {
      const next: NodeId[] = [];
      for (const id of frontier) {
        for (const n of (direction === 'up' ? this.preds : this.succs).get(id) ?? []) {
          if (!out.has(n)) {
            out.add(n);
            next.push(n);
          }
        }
      }
      frontier = next;
    }
    return out;
  }
}

/**
 * Depth-first post-order over parents, starting from each node nothing depends on, in the manifest's order: the
 * order graphlib's topsort gave (build output and run order stay as they were). Undefined when there is a cycle.
 * Iterative, so a long chain of models cannot overflow the stack.
 */
function topologicalOrder(ids: readonly NodeId[], preds: ReadonlyMap<NodeId, readonly NodeId[]>, succs: ReadonlyMap<NodeId, readonly NodeId[]>): NodeId[] | undefined {
  const done = new Set<NodeId>();
  const onPath = new Set<NodeId>();
  const order: NodeId[] = [];
  for (const sink of ids) {
    if (succs.get(sink)!.length > 0 || done.has(sink)) continue;
    const stack: Array<{ id: NodeId; next: number }> = [{ id: sink, next: 0 }];
    onPath.add(sink);
    done.add(sink);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const parents = preds.get(top.id)!;
      if (top.next < parents.length) {
        const p = parents[top.next++];
        if (onPath.has(p)) return undefined;
        if (done.has(p)) continue;
        done.add(p);
        onPath.add(p);
        stack.push({ id: p, next: 0 });
      } else {
        stack.pop();
        onPath.delete(top.id);
        order.push(top.id);
      }
    }
  }
  return order.length === ids.length ? order : undefined;
}

/** One diagnostic per cycle, at its first model's file, with the path along refs. */
function reportCycles(manifest: Manifest, ids: readonly NodeId[], preds: ReadonlyMap<NodeId, readonly NodeId[]>, diagnostics: Diagnostic[]): void {
  const g = new Graph({ directed: true });
  for (const id of ids) g.setNode(id);
  for (const id of ids) for (const p of preds.get(id)!) g.setEdge(p, id);
  for (const scc of alg.findCycles(g)) {
    const path = cyclePath(g, scc);
    const first = manifest.nodes[path[0]];
    diagnostics.push({
      severity: 'error',
      file: first.origin.file,
      line: first.origin.line,
      message: `dependency cycle: ${[...path, path[0]].map((id) => manifest.nodes[id].name).join(' -> ')}`,
    });
  }
}

/** Orders a strongly connected component as a path along refs: a refs b refs … refs a. */
function cyclePath(g: Graph, scc: string[]): string[] {
  const members = new Set(scc);
  const start = [...scc].sort()[0];
  const path = [start];
  const seen = new Set([start]);
  const dfs = (id: string): boolean => {
    for (const next of (g.predecessors(id) as string[]) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) return true;
      if (seen.has(next)) continue;
      seen.add(next);
      path.push(next);
      if (dfs(next)) return true;
      path.pop();
    }
    return false;
  };
  dfs(start);
  return path;
}
