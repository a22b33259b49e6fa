import { DuckDbAdapter } from '../adapter/duckdb.js';
import type { Diagnostic } from '../errors.js';
import { UsageError } from '../errors.js';
import { locateSqlError, sqlErrorMessage } from '../execute/sql-errors.js';
import { select } from '../graph/select.js';
import { countQuery, passesThrough } from '../plan/plan.js';
import { EIDER_VERSION } from '../version.js';
import { compileContext, type GlobalOptions, type SelectOptions } from './context.js';

/** `compile`: render every node, check each statement with DuckDB's own parser, write target/compiled and the manifest. */
export async function compileCommand(opts: GlobalOptions & SelectOptions): Promise<number> {
  const started = performance.now();
  const { manifest, dag, artifacts, reporter, def } = await compileContext(opts);
  const selected = select(manifest, dag, opts.select, opts.exclude);
  const hooks = [...def.onRunStart, ...def.onRunEnd];
  const parser = await DuckDbAdapter.open({ path: ':memory:', threads: 1 });
  const diagnostics: Diagnostic[] = [];
  const checks = dag.order
    .map((id) => manifest.nodes[id])
    .filter((n) => selected.has(n.id) && ((n.kind === 'model' && !n.js) || n.kind === 'test'))
    .map((node) => ({ node, sql: node.kind === 'test' ? countQuery(node.sql) : (node as { sql: string }).sql }));
  // DuckDB parses on its own thread while this one writes the artifacts.
  const parsing = parser.parseErrors([...checks.map((c) => c.sql), ...hooks.map((h) => h.sql)]);
  try {
    artifacts.compiled(manifest);
    artifacts.manifest(manifest, EIDER_VERSION);
    const errors = await parsing;
    errors.forEach((error, i) => {
      if (!error) return;
      if (i < checks.length) diagnostics.push({ severity: 'error', nodeId: checks[i].node.id, ...locateSqlError(manifest.root, checks[i].node, checks[i].sql, error) });
      else {
        const h = hooks[i - checks.length];
        diagnostics.push({ severity: 'error', file: h.file, line: h.line, message: `${h.key}: ${sqlErrorMessage(error)}` });
      }
    });
  } finally {
    await parsing.catch(() => undefined);
    await parser.close();
  }
  if (diagnostics.length > 0) throw new UsageError(diagnostics);
  // Counted as build counts them: sources and ephemeral models (inlined where they are used) never run.
  const count = [...selected].filter((id) => !passesThrough(manifest.nodes[id])).length;
  reporter.line(`Compiled ${count} node${count === 1 ? '' : 's'} into ${artifacts.dir}/compiled in ${((performance.now() - started) / 1000).toFixed(2)}s`);
  return 0;
}

/** `parse`: build and write the manifest without rendering checks. */
export async function parseCommand(opts: GlobalOptions): Promise<number> {
  const { manifest, artifacts, reporter } = await compileContext(opts);
  artifacts.manifest(manifest, EIDER_VERSION);
  reporter.line(`Parsed ${Object.keys(manifest.nodes).length} nodes; wrote ${artifacts.dir}/manifest.json`);
  return 0;
}
