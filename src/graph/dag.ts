import { Graph, alg } from '@dagrejs/graphlib';
import type { Diagnostic } from '../errors.js';
import type { Manifest, NodeId } from '../types.js';


/** The dependency graph of a manifest: an edge runs from a node to each node that depends on it. */
export class Dag {
  private constructor(private readonly g: Graph, readonly order: readonly NodeId[]) {}

  /** Builds the graph; a cycle is a diagnostic that prints its path, and yields no Dag. */
  static build(manifest: Manifest, diagnostics: Diagnostic[]): Dag | undefined {
    const g = new Graph({ directed: true });
    for (const id of Object.keys(manifest.nodes)) g.setNode(id);
    for (const node of Object.values(manifest.nodes)) {
      for (const dep of node.dependsOn) if (manifest.nodes[dep]) g.setEdge(dep, node.id);
    }
    // One topological sort: it throws on a cycle (isAcyclic would sort the graph a second time).
    let order: NodeId[];
    try {
      order = alg.topsort(g) as NodeId[];
    } catch (e) {
      if (!(e instanceof alg.CycleException)) throw e;
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
      return undefined;
    }
    return new Dag(g, order);
  }

  parents(id: NodeId): NodeId[] {
    return (this.g.predecessors(id) as NodeId[] | undefined) ?? [];
  }

  children(id: NodeId): NodeId[] {
    return (this.g.successors(id) as NodeId[] | undefined) ?? [];
  }

  /** All nodes reachable downstream (or upstream) within `depth` steps (Infinity for all). */
  reach(start: NodeId, direction: 'up' | 'down', depth = Infinity): Set<NodeId> {
    const out = new Set<NodeId>();
    let frontier = [start];
    for (let d = 0; d < depth && frontier.length > 0; d++) {
      const next: NodeId[] = [];
      for (const id of frontier) {
        for (const n of direction === 'up' ? this.parents(id) : this.children(id)) {
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
