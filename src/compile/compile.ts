import type { Diagnostic } from '../errors.js';
import type { ProjectDef } from '../project/parse.js';
import { HISTORY_SCHEMA } from '../publish/history.js';
import { AUDIT_SCHEMA } from '../plan/plan.js';
import type { Manifest, Node, NodeId } from '../types.js';
import { startCompilation, type CompileOptions } from './compilation.js';
import { declareModels, renderModels, resolveModelEdges } from './nodes/models.js';
import { compileSeeds } from './nodes/seeds.js';
import { compileSources } from './nodes/sources.js';
import { compileGenericTests, compileSingularTests } from './nodes/tests.js';
import { compileUnitTests } from './nodes/unit-tests.js';

export type { CompileOptions } from './compilation.js';
export { ephemeralName, withCtes } from './rendering.js';

/**
 * ProjectDef → Manifest: nodes with their edges and rendered SQL. User mistakes become diagnostics.
 * Each kind of node is compiled by its own step (compile/nodes/); seeds and models come first, as refs render to
 * their relations, then sources, the models' edges and SQL, and the tests that read them.
 */
export async function compileProject(def: ProjectDef, opts: CompileOptions): Promise<Manifest> {
  const c = await startCompilation(def, opts);
  compileSeeds(c);
  const jsFacts = await declareModels(c);
  compileSources(c);
  resolveModelEdges(c, jsFacts);
  renderModels(c);
  compileGenericTests(c);
  compileSingularTests(c);
  compileUnitTests(c);
  checkAliases(def, c.nodes, c.diagnostics);
  checkViewsOverAttached(c.nodes, c.diagnostics);
  return {
    projectName: def.name,
    root: def.root,
    target: def.target,
    nodes: c.nodes,
    macros: c.macros,
    diagnostics: c.diagnostics,
    generatedAt: new Date().toISOString(),
    invocationId: opts.invocationId,
    ...(opts.deferred?.size ? { deferred: opts.deferred } : {}),
  };
}

/**
 * An attached database's alias may not be a schema of the project: `"legacy"."orders"` would then name either
 * the schema's table in the target or the attached database's `main.orders`.
 */
function checkAliases(def: ProjectDef, nodes: Readonly<Record<NodeId, Node>>, diagnostics: Diagnostic[]): void {
  const t = def.target;
  if (!t.attach?.length) return;
  const schemas = new Set([t.schema.toLowerCase(), HISTORY_SCHEMA, AUDIT_SCHEMA]);
  for (const n of Object.values(nodes)) {
    const r = n.kind === 'model' || n.kind === 'seed' || n.kind === 'source' ? n.relation : undefined;
    if (r && r.catalog === undefined) schemas.add(r.schema.toLowerCase());
  }
  for (const a of t.attach) {
    if (!schemas.has(a.alias.toLowerCase())) continue;
    diagnostics.push({
      severity: 'error',
      file: t.lines?.file ?? 'profiles/profiles.yml',
      line: t.lines?.attach?.[a.alias],
      message: `target "${t.name}": attach alias "${a.alias}" is also a schema of this project, so "${a.alias}".<name> would be ambiguous: choose another alias`,
    });
  }
}

/**
 * A view that reads an attached database (itself, or through views and ephemeral models) would fail for every
 * reader of the target, who does not attach it: such a model must be materialized.
 */
function checkViewsOverAttached(nodes: Readonly<Record<NodeId, Node>>, diagnostics: Diagnostic[]): void {
  const memo = new Map<NodeId, string | undefined>();
  const attached = (id: NodeId): string | undefined => {
    if (memo.has(id)) return memo.get(id);
    memo.set(id, undefined);
    const n = nodes[id];
    let found: string | undefined;
    if (n?.kind === 'source') found = n.relation?.catalog;
    else if (n?.kind === 'model' && (n.materialized === 'view' || n.materialized === 'ephemeral')) {
      for (const d of n.dependsOn) if ((found = attached(d)) !== undefined) break;
    }
    memo.set(id, found);
    return found;
  };
  for (const n of Object.values(nodes)) {
    if (n.kind !== 'model' || n.materialized !== 'view') continue;
    const alias = attached(n.id);
    if (alias === undefined) continue;
    diagnostics.push({
      severity: 'error',
      file: n.origin.file,
      line: n.origin.line,
      message: `model "${n.name}" is a view over the attached database "${alias}": readers of the target do not attach it, so the view would fail for them; materialize it as a table (or incremental)`,
    });
  }
}
