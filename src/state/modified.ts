import { didYouMean, usageError } from '../errors.js';
import type { ManifestJson, ManifestNodeJson } from './load.js';

/** How a node differs from the state's: it is new, or these parts of it changed. */
export type Change = 'new' | 'body' | 'configs' | 'macros' | 'properties' | 'vars';

/** `state:<value>`: new nodes, modified ones (new included), or one kind of modification. */
const METHODS: Readonly<Record<string, (changes: ReadonlySet<Change>) => boolean>> = {
  new: (c) => c.has('new'),
  modified: (c) => c.size > 0,
  'modified.body': (c) => c.has('body'),
  'modified.configs': (c) => c.has('configs'),
  'modified.macros': (c) => c.has('macros'),
  'modified.properties': (c) => c.has('properties'),
  'modified.vars': (c) => c.has('vars'),
};

/**
 * What changed in each node of `current` against `previous` (both manifest.json bodies); unchanged nodes are
 * left out. Only what a node is made from is compared, never what depends on the target (its relation, its
 * compiled SQL, the target's schema), so a state from prod compares equal to a ci run of the same files:
 * - body: the file without its `{{config …}}` calls (a seed: its CSV; a YAML-declared node: its declaration);
 * - configs: the resolved config, defaults filled in, wherever each key was written;
 * - macros: a partial or helper it uses changed (by its file's checksum), or it uses other ones;
 * - properties: its properties YAML entry, besides config (description, columns, meta, freshness);
 * - vars: the value of a var it reads.
 */
export function stateChanges(current: ManifestJson, previous: ManifestJson): Map<string, Set<Change>> {
  const out = new Map<string, Set<Change>>();
  for (const [id, node] of Object.entries(current.nodes)) {
    const old = previous.nodes[id];
    const changes = old ? nodeChanges(node as NodeJson, old as NodeJson, current, previous) : new Set<Change>(['new']);
    if (changes.size > 0) out.set(id, changes);
  }
  return out;
}

/** The nodes a `state:` method selects; an unknown method is a command-line mistake. */
export function stateSelection(changes: ReadonlyMap<string, ReadonlySet<Change>>, method: string, flag: string): string[] {
  const test = METHODS[method];
  if (!test) throw usageError(`${flag}: unknown state method "state:${method}"${didYouMean(method, Object.keys(METHODS))}; use one of ${Object.keys(METHODS).map((m) => `state:${m}`).join(', ')}`);
  return [...changes].filter(([, c]) => test(c)).map(([id]) => id);
}

/** The fields of a v2 manifest node compared here. */
interface NodeJson extends ManifestNodeJson {
  readonly raw_code?: string;
  readonly checksum?: { readonly checksum: string };
  readonly config?: unknown;
  readonly depends_on?: { readonly macros?: readonly string[] };
  readonly vars?: Readonly<Record<string, string | null>>;
  readonly properties_checksum?: string | null;
}

function nodeChanges(node: NodeJson, old: NodeJson, current: ManifestJson, previous: ManifestJson): Set<Change> {
  const changes = new Set<Change>();
  if (!(node.raw_code && node.raw_code === old.raw_code) && body(node) !== body(old)) changes.add('body');
  if (!sameJson(node.config, old.config)) changes.add('configs');
  if (macrosChanged(node, old, current, previous)) changes.add('macros');
  if ((node.properties_checksum ?? null) !== (old.properties_checksum ?? null)) changes.add('properties');
  if (!sameJson(node.vars ?? {}, old.vars ?? {})) changes.add('vars');
  return changes;
}

/**
 * Equal values: the same JSON text is (both sides are usually written by the same code, keys in the same order),
 * else the same canonical JSON (keys sorted). The fast path makes comparing a 1,000-model project ~3× cheaper.
 */
function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b) || canonicalJson(a) === canonicalJson(b);
}

/** `{{config …}}` calls, with the rest of their line when nothing else is on it. */
const CONFIG_CALL = /\{\{~?\s*config\s(?:[^}]|\}(?!\}))*\}\}[ \t]*(?:\r?\n)?/g;

/** A node's body: its file without `{{config …}}` calls (they are compared as config), or its checksum. */
function body(n: NodeJson): string {
  return n.raw_code ? n.raw_code.replace(CONFIG_CALL, '').trim() : (n.checksum?.checksum ?? '');
}

function macrosChanged(node: NodeJson, old: NodeJson, current: ManifestJson, previous: ManifestJson): boolean {
  const uses = node.depends_on?.macros ?? [];
  if (!sameJson(uses, old.depends_on?.macros ?? [])) return true;
  return uses.some((id) => macroChecksum(current, id) !== macroChecksum(previous, id));
}

function macroChecksum(m: ManifestJson, id: string): string | undefined {
  return (m.macros as Record<string, { checksum?: { checksum?: string } }> | undefined)?.[id]?.checksum?.checksum;
}

/** `state:` for select(): the current run's manifest.json body is built and compared once, when first asked. */
export function stateMethod(current: () => ManifestJson, previous: ManifestJson): (value: string, flag: string) => string[] {
  let changes: Map<string, Set<Change>> | undefined;
  return (value, flag) => stateSelection((changes ??= stateChanges(current(), previous)), value, flag);
}

/** JSON with every object's keys sorted and undefined values left out, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return canonicalJson(json.call(value)); // a Date, as JSON writes it
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).filter((k) => record[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`).join(',')}}`;
}
