import type { WarehouseState } from '../../adapter/adapter.js';
import { quoteRelation, type Manifest, type ModelNode } from '../../types.js';
import { emptyRelation } from '../../compile/empty.js';
import type { JsRun, PlanOptions, Statement } from './index.js';
import { renameIn, tempFor } from './table.js';

/** A JavaScript/TypeScript model: the executor runs it into a temporary table, which is swapped in like a table's. */
export function jsTable(node: ModelNode, manifest: Manifest, state: WarehouseState, opts: PlanOptions): Statement[] {
  const tmp = tempFor(node.relation);
  const inputs = node.dependsOn.map((id) => {
    const n = manifest.nodes[id];
    // --defer: an input this run neither builds nor finds in its target is read from the deferred target.
    const deferred = manifest.deferred?.get(id);
    if (n.kind === 'source') return { kind: 'source' as const, name: `${n.sourceName}.${n.tableName}`, sql: deferred ? quoteRelation(deferred) : n.sql };
    const m = n as ModelNode;
    return { kind: 'ref' as const, name: m.name, sql: m.kind === 'model' && m.materialized === 'ephemeral' ? `(\n${m.sql}\n)` : quoteRelation(deferred ?? m.relation) };
  });
  const read = opts.empty ? inputs.map((i) => ({ ...i, sql: emptyRelation(i.sql) })) : inputs;
  const t = manifest.target;
  const context = { vars: node.js!.vars, target: { name: t.name, profile: t.profile, schema: t.schema, threads: t.threads }, this: { schema: node.relation.schema, name: node.relation.name } };
  const run: JsRun = { kind: 'js', path: node.js!.path, model: node.name, target: tmp, inputs: read, context };
  return [`drop table if exists ${quoteRelation(tmp)}`, run, ...renameIn(node.relation, state)];
}
