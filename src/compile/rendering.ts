import type { Diagnostic } from '../errors.js';
import type { ProjectDef } from '../project/parse.js';
import { quoteIdent, quoteRelation, type ModelNode, type Node, type NodeId, type SeedNode, type SourceNode, type TestNode } from '../types.js';
import type { Compilation, CompileOptions, Mock, Parsed } from './compilation.js';
import type { HelperFn } from './helpers.js';
import { emptyRelation, nameEmptyRelations } from './empty.js';
import { RenderError, renderTemplate, type Helper, type RenderEnv } from './render.js';
import { envHelper, targetContext, varHelper } from './templates.js';
import { withoutTerminator } from './terminator.js';

const STATE = Symbol('eider-render-state');

/** The per-render state helpers reach through `options.data.root`. */
interface RenderState {
  readonly node: ModelNode | TestNode;
  readonly ephemerals: string[];
  readonly mock?: Mock;
  /** `--empty`: refs and sources read zero rows. */
  readonly empty?: boolean;
}

/** What rendering reads of a compilation in progress. */
export interface RenderInputs {
  readonly def: ProjectDef;
  readonly opts: CompileOptions;
  readonly diagnostics: Diagnostic[];
  readonly nodes: Readonly<Record<NodeId, Node>>;
  readonly byName: ReadonlyMap<string, ModelNode | SeedNode>;
  readonly sources: ReadonlyMap<NodeId, SourceNode>;
  readonly parsedModels: ReadonlyMap<NodeId, Parsed>;
  readonly rendered: Map<NodeId, string>;
  readonly partialAsts: ReadonlyMap<string, hbs.AST.Program>;
  /** Each partial's file, for a mistake inside it. */
  readonly partialFiles: ReadonlyMap<string, string>;
  readonly userHelpers: ReadonlyMap<string, HelperFn>;
}

/** The helpers templates call ({{ref}}, {{source}}, {{var}}, {{env}}, the project's own) and the render functions. */
export function rendering(c: RenderInputs): Pick<Compilation, 'renderEnv' | 'render' | 'renderModel'> {
  const { def, opts, diagnostics, nodes, byName, sources, parsedModels, rendered, partialAsts, partialFiles, userHelpers } = c;
  // Ephemeral models render on demand (memoized) so they can be inlined as CTEs.
  const deferredSql = (id: NodeId): string | undefined => {
    const r = opts.deferred?.get(id);
    return r && quoteRelation(r);
  };
  const renderer = {
    ref(name: string, options: { data: { root: unknown }; loc?: hbs.AST.SourceLocation }) {
      const st = (options.data.root as Record<symbol, RenderState | undefined>)[STATE];
      const node = byName.get(name);
      if (!node) return quoteIdent(name); // already reported when the edges were resolved
      if (st?.mock) return st.mock(node);
      if (node.kind === 'model' && node.materialized === 'ephemeral') {
        if (!st) return `(\n${renderModel(node.id) ?? 'select 1'}\n)`; // outside a model (a test macro): a subquery
        if (!st.ephemerals.includes(name)) st.ephemerals.push(name);
        return quoteIdent(ephemeralName(name));
      }
      const sql = deferredSql(node.id) ?? quoteRelation(node.relation);
      return st?.empty ? emptyRelation(sql) : sql;
    },
    source(source: string, table: string, options: { data: { root: unknown } }) {
      const st = (options.data.root as Record<symbol, RenderState | undefined>)[STATE];
      const node = sources.get(`source.${source}.${table}`);
      if (node && st?.mock) return st.mock(node);
      // An unknown source was reported when the edges were resolved.
      const sql = node && (deferredSql(node.id) ?? node.sql);
      if (sql && st?.empty) return emptyRelation(sql);
      return sql ?? quoteIdent(`${source}.${table}`);
    },
    config: () => '',
    var: varHelper(def.vars),
    env: envHelper(opts.env ?? process.env),
  };
  const checked = [...userHelpers].map(([name, fn]) => [name, checkedHelper(name, fn)] as const);
  const renderEnv: RenderEnv = { helpers: new Map<string, Helper>([...(Object.entries(renderer) as Array<[string, Helper]>), ...checked]), partials: partialAsts };

  const target = targetContext(def.target);
  const runStartedAt = opts.runStartedAt.toISOString();
  const render: Compilation['render'] = (parsed, node, thisSql, mock, incremental = false, hook = false) => {
    const state: RenderState = { node, ephemerals: [], mock, empty: opts.empty === true && node.kind === 'model' && !mock && !hook };
    const context = {
      [STATE]: state,
      toString: () => thisSql,
      target,
      is_incremental: incremental,
      run_started_at: runStartedAt,
      invocation_id: opts.invocationId,
      model: { name: node.name },
      // {{this.schema}}, {{this.name}}, {{this.identifier}}: a test has no relation of its own.
      ...('relation' in node ? { schema: node.relation.schema, name: node.relation.name, identifier: node.relation.name } : {}),
    };
    if (parsed.broken) return undefined;
    try {
      // A statement's final `;` would break every wrapping of it (a hook runs as it is).
      const sql = hook ? renderTemplate(parsed.ast, context, renderEnv) : withoutTerminator(renderTemplate(parsed.ast, context, renderEnv));
      return { sql: state.empty ? nameEmptyRelations(sql) : sql, ephemerals: state.ephemerals };
    } catch (e) {
      const r = e instanceof RenderError ? e : undefined;
      const inMacro = r?.partial !== undefined ? partialFiles.get(r.partial) : undefined;
      const message = `${(e as Error).message.split('\n')[0]}${inMacro ? ` (rendering ${parsed.file.path})` : ''}`;
      diagnostics.push({ severity: 'error', file: inMacro ?? parsed.file.path, line: r?.line, message });
      return undefined;
    }
  };

  const inProgress = new Set<NodeId>();
  const renderModel = (id: NodeId): string | undefined => {
    const done = rendered.get(id);
    if (done !== undefined) return done;
    const node = nodes[id] as ModelNode;
    if (inProgress.has(id)) return undefined; // an ephemeral cycle: reported by the graph stage
    inProgress.add(id);
    const out = render(parsedModels.get(id)!, node, quoteRelation(node.relation));
    let sql: string | undefined;
    if (out) {
      const ctes = out.ephemerals.map((name) => ({ name, sql: renderModel(`model.${name}`) }));
      sql = ctes.some((c) => c.sql === undefined) ? undefined : withCtes(out.sql, ctes as Array<{ name: string; sql: string }>);
    }
    inProgress.delete(id);
    if (sql !== undefined) rendered.set(id, sql);
    return sql;
  };
  return { renderEnv, render, renderModel };
}

/**
 * A project's helper, checked where it is called: fewer arguments than it declares (Handlebars' options object
 * would take a missing one's place and render as [object Object]) and a throw are mistakes at the template's line.
 */
function checkedHelper(name: string, fn: HelperFn): Helper {
  return function (this: unknown, ...args: unknown[]) {
    const line = (args[args.length - 1] as { loc?: hbs.AST.SourceLocation }).loc?.start.line;
    const given = args.length - 1;
    const arity = `helper "${name}" takes ${fn.length} argument${fn.length === 1 ? '' : 's'}, got ${given}`;
    if (fn.length > given + 1) throw new RenderError(arity, line);
    let out: unknown;
    try {
      out = fn.apply(this, args);
    } catch (e) {
      const message = String((e as Error)?.message ?? e).split('\n').filter((l) => l.trim() !== '').join(' ');
      throw new RenderError(`helper "${name}" failed: ${message}${fn.length > given ? ` (${arity})` : ''}`, line);
    }
    if (typeof out === 'string' && out.includes('[object Object]')) throw new RenderError(fn.length > given ? arity : `helper "${name}" put [object Object] into the SQL`, line);
    return out;
  };
}

export function ephemeralName(model: string): string {
  return `__eider_ephemeral__${model}`;
}

/** Prepends ephemeral models as CTEs, merging with a leading WITH of the model's own. */
export function withCtes(sql: string, ctes: ReadonlyArray<{ name: string; sql: string }>): string {
  if (ctes.length === 0) return sql;
  const defs = ctes.map((c) => `${quoteIdent(ephemeralName(c.name))} as (\n${c.sql}\n)`).join(',\n');
  const lead = /^(\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*)with\s+(recursive\s+)?/i.exec(sql);
  if (lead) return `${lead[1]}with ${lead[2] ?? ''}${defs},\n${sql.slice(lead[0].length)}`;
  return `with ${defs}\n${sql}`;
}
