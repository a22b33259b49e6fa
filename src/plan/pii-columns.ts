import { relationKey } from '../adapter/adapter.js';
import type { Diagnostic } from '../errors.js';
import type { Dag } from '../graph/dag.js';
import type { Manifest, ModelNode, NodeId, SeedNode, SourceNode } from '../types.js';

/** From the weakest to the strictest: hash keeps joins working, redact and null drop the value. */
export const PII_RULES = ['hash', 'redact', 'null'] as const;
export type PiiRule = (typeof PII_RULES)[number];

/** Column (lower case) → rule. */
export type ColumnRules = ReadonlyMap<string, PiiRule>;


type Declaring = ModelNode | SeedNode | SourceNode;

/**
 * The columns a masked clone masks, by relation: every column declared `meta: {pii: …}` on a model, seed or
 * source of that relation, and every column named like a pii column declared upstream of it in the DAG (the
 * strictest such rule). A relation's own declaration wins over an inherited one.
 */
export function piiColumns(m: Manifest, dag: Dag, diagnostics: Diagnostic[]): Map<string, ColumnRules> {
  const declared = new Map<NodeId, ColumnRules>();
  for (const n of Object.values(m.nodes)) if (isDeclaring(n)) declared.set(n.id, declaredRules(n, diagnostics));
  // Upstream declarations of each node, in DAG order so every parent is done before its children.
  const upstream = new Map<NodeId, ColumnRules>();
  for (const id of dag.order) upstream.set(id, merged(dag.parents(id).flatMap((p) => [declared.get(p), upstream.get(p)])));
  const own = new Map<string, ColumnRules>();
  const inherited = new Map<string, ColumnRules>();
  for (const n of Object.values(m.nodes)) {
    if (!isDeclaring(n) || !n.relation) continue;
    const key = relationKey(n.relation);
    own.set(key, merged([own.get(key), declared.get(n.id)]));
    inherited.set(key, merged([inherited.get(key), upstream.get(n.id)]));
  }
  const out = new Map<string, ColumnRules>();
  for (const [key, rules] of own) {
    const all = new Map([...(inherited.get(key) ?? []), ...rules]);
    if (all.size > 0) out.set(key, all);
  }
  return out;
}

function isDeclaring(n: Manifest['nodes'][string]): n is Declaring {
  return n.kind === 'model' || n.kind === 'seed' || n.kind === 'source';
}

function declaredRules(n: Declaring, diagnostics: Diagnostic[]): ColumnRules {
  const rules = new Map<string, PiiRule>();
  for (const c of n.columns) {
    if (!('pii' in c.meta)) continue;
    const pii = c.meta.pii ?? 'null'; // `pii: null` in YAML is the null rule
    if ((PII_RULES as readonly unknown[]).includes(pii)) rules.set(c.name.toLowerCase(), pii as PiiRule);
    else diagnostics.push({ severity: 'error', file: n.origin.file, line: n.origin.line, message: `column ${c.name} of ${n.name}: meta.pii must be hash, redact or null, not ${JSON.stringify(pii)}` });
  }
  return rules;
}

/** The union of several rule sets, the strictest rule winning where they name the same column. */
function merged(sets: ReadonlyArray<ColumnRules | undefined>): ColumnRules {
  const out = new Map<string, PiiRule>();
  for (const set of sets) {
    for (const [col, rule] of set ?? []) {
      const before = out.get(col);
      if (!before || PII_RULES.indexOf(rule) > PII_RULES.indexOf(before)) out.set(col, rule);
    }
  }
  return out;
}
