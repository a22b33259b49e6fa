import { MORE_THAN_ONE_STATEMENT, type Adapter } from '../adapter/adapter.js';
import type { Diagnostic } from '../errors.js';
import { locateSqlError, sqlErrorMessage } from '../execute/sql-errors.js';
import { countQuery } from '../plan/plan.js';
import type { ProjectHook } from '../project/parse.js';
import type { Manifest, Node, NodeId } from '../types.js';

interface Check {
  readonly sql: string;
  /** Where an error is reported: the node's file (at DuckDB's line), or a hook's own line. */
  readonly node?: Node;
  readonly at?: { readonly file: string; readonly line?: number; readonly what: string };
}

/**
 * Every statement that `compile`, `run` and `build` take from the project's templates — a model's SQL (and its
 * incremental form), its hooks, a test's query, a unit test's model, the project's hooks — must be exactly one
 * statement DuckDB parses. Checked before anything runs, so a `; drop table …` in a template or a `--vars`
 * value never executes. Returns one diagnostic per offending statement. With `syntax: false` (run and build) only
 * the statement count is checked: a syntax error fails its own node at run time, and independent branches go on
 * (DuckDB parses a whole text before running any of it, so such a text runs nothing).
 */
export async function checkStatements(manifest: Manifest, ids: Iterable<NodeId>, hooks: readonly ProjectHook[], parser: Adapter, syntax = true): Promise<Diagnostic[]> {
  const checks: Check[] = [];
  const wanted = new Set(ids);
  for (const id of wanted) {
    const node = manifest.nodes[id];
    const hook = (what: string) => (sql: string) => checks.push({ sql, at: { file: node.origin.file, line: node.origin.line, what } });
    if (node.kind === 'model' && !node.js) {
      checks.push({ sql: node.sql, node });
      if (node.incremental && node.incremental.sql !== node.sql) checks.push({ sql: node.incremental.sql, node });
      node.preHooks.forEach(hook('pre_hook'));
      node.postHooks.forEach(hook('post_hook'));
    } else if (node.kind === 'test') {
      // Its query alone, and as eider runs it (wrapped in a count): a `)` cannot break out of the wrapping.
      checks.push({ sql: node.sql, node }, { sql: countQuery(node.sql), node });
    }
    // A unit test runs its model's template against mocks: checked here when the model itself is not.
    else if (node.kind === 'unit_test' && !wanted.has(node.model)) checks.push({ sql: node.sql, node: manifest.nodes[node.model] });
  }
  for (const h of hooks) checks.push({ sql: h.sql, at: { file: h.file, line: h.line, what: h.key } });
  const errors = await parser.parseErrors(checks.map((c) => c.sql));
  const diagnostics: Diagnostic[] = [];
  const reported = new Set<NodeId>();
  errors.forEach((error, i) => {
    if (!error || (!syntax && !error.startsWith(MORE_THAN_ONE_STATEMENT))) return;
    const { node, at, sql } = checks[i];
    if (node && !reported.has(node.id)) {
      reported.add(node.id);
      diagnostics.push({ severity: 'error', nodeId: node.id, ...locateSqlError(manifest.root, node, sql, error) });
    } else if (at) diagnostics.push({ severity: 'error', file: at.file, line: at.line, message: `${at.what}: ${sqlErrorMessage(error)}` });
  });
  return diagnostics;
}
