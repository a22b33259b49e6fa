import { existsSync } from 'node:fs';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { checkStatements } from '../compile/check-statements.js';
import { UsageError, usageError } from '../errors.js';
import { select } from '../graph/select.js';
import type { ProjectDef } from '../project/parse.js';
import { quoteRelation, type Node, type NodeId } from '../types.js';
import { shownPath } from '../publish/in-place.js';
import { deferredRelations, presentIn, resolveDeferral, withDeferredAttach, type DeferOptions } from '../state/defer.js';
import type { TargetDef } from '../types.js';
import { compileContext, type GlobalOptions, type ProjectContext, type SelectOptions } from './context.js';

export interface QueryOptions extends GlobalOptions, SelectOptions, DeferOptions {
  readonly inline?: string;
}

/** A query a command runs against the target: a node's, or the --inline text compiled as a model. */
export interface Query {
  readonly name: string;
  readonly sql: string;
  readonly node: Node;
}

/** The model `--inline` compiles to: a name no project file can take. */
const INLINE = 'eider_inline_query';
const INLINE_FILE = '--inline';

/**
 * `show` and `export`: the project compiled (with `--inline`'s text as a model of its own, so `{{ref}}`,
 * `{{source}}`, `{{var}}` and macros work in it) and the queries of the selected models, seeds and sources, each
 * checked to be exactly one statement. `content`: see nodeQuery.
 */
export async function queryContext(opts: QueryOptions, command: string, content: 'sql' | 'data'): Promise<{ ctx: ProjectContext; queries: Query[]; target: TargetDef }> {
  const selecting = (opts.select?.length ?? 0) > 0;
  if (selecting === (opts.inline !== undefined)) throw usageError(`eider ${command} needs either -s <model> or --inline "select …" (one of them)`);
  const inline = (def: ProjectDef): ProjectDef => ({ ...def, models: [...def.models, { name: INLINE, file: { path: INLINE_FILE, text: opts.inline! }, language: 'sql', layers: [] }] });
  const ctx = await compileContext(opts, undefined, undefined, opts.inline === undefined ? undefined : inline);
  const { dag } = ctx;
  let manifest = ctx.manifest;
  let ids: NodeId[];
  if (opts.inline !== undefined) ids = [`model.${INLINE}`];
  else {
    const selected = select(manifest, dag, opts.select, opts.exclude, '--select', ctx.selectMethods);
    ids = dag.order.filter((id) => selected.has(id) && manifest.nodes[id].kind !== 'test' && manifest.nodes[id].kind !== 'unit_test');
    if (ids.length === 0) {
      const tests = [...selected].map((id) => manifest.nodes[id].name);
      if (tests.length === 0) throw usageError(`the selection matched nothing for eider ${command}`);
      throw usageError(`${tests.slice(0, 3).join(', ')}${tests.length > 3 ? ', …' : ''} ${tests.length === 1 ? 'is a test' : 'are tests'}: eider ${command} runs a model, seed or source (a test's query is in target/compiled after eider compile)`);
    }
  }
  // --defer (show): what the query reads and the target does not hold is read from the deferred target, attached
  // read-only; with no target file yet, everything it reads comes from there.
  let target = ctx.def.target;
  const deferral = resolveDeferral(opts, target, ctx.profileTarget);
  if (deferral) {
    const deferred = deferredRelations(manifest, ids, () => false, await presentIn(target), deferral);
    if (deferred.size > 0) manifest = await ctx.recompile({ deferred });
    const names = [...deferred.keys()].map((id) => manifest.nodes[id].name);
    ctx.reporter.errorLine(`reading ${names.length > 0 ? names.join(', ') : 'nothing'} from ${shownPath(deferral.target.path, deferral.target)} (target ${deferral.target.name}, attached read-only)`);
    target = withDeferredAttach(existsSync(target.path) ? target : { ...target, path: ':memory:' }, deferral);
  }
  const checked = await checkStatements(manifest, ids, [], () => DuckDbAdapter.open({ path: ':memory:', threads: 1 }));
  const diagnostics = [...checked.statements, ...checked.syntax];
  if (diagnostics.length > 0) throw new UsageError(diagnostics);
  return { ctx, target, queries: ids.map((id) => nodeQuery(manifest.nodes[id], content)) };
}

/**
 * What a node holds. `sql`: the model's compiled SQL, run now against the target (an ephemeral model with its
 * CTEs); `data`: the relation the target holds (an ephemeral model, a source, --inline: their SQL). A JavaScript
 * model's and a snapshot's is always their table.
 */
function nodeQuery(node: Node, content: 'sql' | 'data'): Query {
  const name = node.name === INLINE ? 'inline' : node.name;
  switch (node.kind) {
    case 'model': {
      const table = node.js !== undefined || node.snapshot !== undefined || (content === 'data' && node.materialized !== 'ephemeral' && node.name !== INLINE);
      return { name, node, sql: table ? `select * from ${quoteRelation(node.relation)}` : node.sql };
    }
    case 'seed':
      return { name, node, sql: `select * from ${quoteRelation(node.relation)}` };
    case 'source':
      return { name, node, sql: `select * from ${node.sql}` };
    default:
      throw new Error(`internal: no query for ${node.id}`);
  }
}

/** `select * from (<query>) …`: the query in parentheses on lines of its own, so a trailing `--` comment ends there. */
export function wrap(q: Query, tail = ''): string {
  return `select * from (\n${q.sql}\n) as ${INLINE}${tail ? ` ${tail}` : ''}`;
}
