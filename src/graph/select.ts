import { didYouMean, usageError } from '../errors.js';
import type { Manifest, Node, NodeId } from '../types.js';
import type { Dag } from './dag.js';

const METHODS = ['tag', 'path', 'source', 'test_type', 'resource_type', 'config.materialized', 'fqn', 'state', 'result'];

/** Methods that read more than the manifest, given by the command: `state:` compares with `--state DIR`, `result:` reads the last run's results. */
export interface SelectMethods {
  readonly state?: (value: string, flag: string) => readonly NodeId[];
  readonly result?: (value: string, flag: string) => readonly NodeId[];
}

/**
 * The selector grammar: terms separated by spaces are a union, atoms joined by commas an intersection.
 * An atom is `[N]+` (ancestors) `@` (descendants and their ancestors) `method:value` or a name (globs allowed) `+[N]` (descendants).
 */
export function select(manifest: Manifest, dag: Dag, spec: readonly string[] | undefined, exclude: readonly string[] | undefined, flag = '--select', methods: SelectMethods = {}): Set<NodeId> {
  const all = Object.keys(manifest.nodes);
  const chosen = spec && spec.length > 0 ? evaluate(manifest, dag, spec, flag, methods) : new Set(all);
  const excluded = exclude && exclude.length > 0 ? evaluate(manifest, dag, exclude, '--exclude', methods) : new Set<NodeId>();
  const out = new Set([...chosen].filter((id) => !excluded.has(id)));
  // Tests go with what they test: a test runs when every node it reads is selected.
  for (const id of all) {
    const node = manifest.nodes[id];
    if (excluded.has(id)) continue;
    if (node.kind === 'test' && node.dependsOn.length > 0 && node.dependsOn.every((d) => out.has(d))) out.add(id);
    if (node.kind === 'unit_test' && out.has(node.model)) out.add(id);
  }
  return out;
}

function evaluate(manifest: Manifest, dag: Dag, spec: readonly string[], flag: string, methods: SelectMethods): Set<NodeId> {
  const out = new Set<NodeId>();
  for (const term of spec.flatMap((s) => s.split(/\s+/)).filter(Boolean)) {
    const parts = term.split(',').map((a) => atom(manifest, dag, a, flag, term, methods));
    for (const id of parts[0]) if (parts.every((p) => p.has(id))) out.add(id);
  }
  return out;
}

const ATOM = /^(?:(\d*)(\+))?(@)?([^+@]+?)(?:(\+)(\d*))?$/;

function atom(manifest: Manifest, dag: Dag, text: string, flag: string, term: string, methods: SelectMethods): Set<NodeId> {
  const m = ATOM.exec(text);
  if (!m || (m[3] && (m[2] || m[5]))) throw usageError(`${flag}: cannot read "${term}": expected [N+][@]name|method:value[+N]`);
  const [, upDepth, up, at, body, down, downDepth] = m;
  const base = matchBody(manifest, body, flag, methods);
  const out = new Set(base);
  // Graph operators walk models, seeds and sources; tests join afterwards, with what they test.
  const add = (ids: Iterable<NodeId>) => {
    for (const n of ids) if (manifest.nodes[n].kind !== 'test' && manifest.nodes[n].kind !== 'unit_test') out.add(n);
  };
  for (const id of base) {
    if (up) add(dag.reach(id, 'up', upDepth ? Number(upDepth) : Infinity));
    if (down || at) add(dag.reach(id, 'down', downDepth ? Number(downDepth) : Infinity));
  }
  if (at) for (const id of [...out]) add(dag.reach(id, 'up'));
  return out;
}

function matchBody(manifest: Manifest, body: string, flag: string, methods: SelectMethods): NodeId[] {
  const nodes = Object.values(manifest.nodes);
  const colon = body.indexOf(':');
  if (colon < 0) {
    const found = nodes.filter((n) => glob(body).test(n.name)).map((n) => n.id);
    if (found.length === 0) throw usageError(`${flag}: no node is named "${body}"${didYouMean(body, nodes.map((n) => n.name))}`);
    return found;
  }
  const method = body.slice(0, colon);
  const value = body.slice(colon + 1);
  if (!value) throw usageError(`${flag}: "${body}" needs a value after the colon`);
  const pick = (f: (n: Node) => boolean) => nodes.filter(f).map((n) => n.id);
  const re = glob(value);
  switch (method) {
    case 'tag':
      return pick((n) => n.tags.some((t) => re.test(t)));
    case 'path': {
      const p = value.replace(/\/+$/, '');
      return pick((n) => n.kind !== 'source' && (n.origin.file === p || n.origin.file.startsWith(`${p}/`) || re.test(n.origin.file)));
    }
    case 'source':
      return pick((n) => n.kind === 'source' && (re.test(n.sourceName) || re.test(`${n.sourceName}.${n.tableName}`)));
    case 'test_type':
      if (!['generic', 'singular', 'unit', 'data'].includes(value)) throw usageError(`${flag}: test_type must be generic, singular, unit or data${didYouMean(value, ['generic', 'singular', 'unit', 'data'])}`);
      return pick((n) => (value === 'unit' ? n.kind === 'unit_test' : n.kind === 'test' && (value === 'data' || n.testType === value)));
    case 'resource_type':
      return pick((n) => n.kind === value);
    case 'config.materialized':
      return pick((n) => n.kind === 'model' && re.test(n.materialized));
    case 'fqn':
      return pick((n) => re.test(n.name));
    case 'state':
      if (!methods.state) throw usageError(`${flag}: ${body} needs --state DIR, the target/ folder of an earlier run (e.g. a copy of production's)`);
      return [...methods.state(value, flag)];
    case 'result':
      if (!methods.result) throw usageError(`${flag}: ${body} reads the last run's results, which this command does not`);
      return [...methods.result(value, flag)];
    default:
      throw usageError(`${flag}: unknown selector method "${method}"${didYouMean(method, METHODS)}`);
  }
}

function glob(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}
