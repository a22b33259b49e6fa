import { DuckDbAdapter } from '../adapter/duckdb.js';
import type { Diagnostic } from '../errors.js';
import { UsageError } from '../errors.js';
import { checkStatements } from '../compile/check-statements.js';
import { select } from '../graph/select.js';
import { passesThrough } from '../plan/plan.js';
import { EIDER_VERSION } from '../version.js';
import { compileContext, resultsFolder, type GlobalOptions, type SelectOptions } from './context.js';

/** `compile`: render every node, check each statement with DuckDB's own parser, write target/compiled and the manifest. */
export async function compileCommand(opts: GlobalOptions & SelectOptions): Promise<number> {
  const started = performance.now();
  const { manifest, dag, artifacts, reporter, def, selectMethods } = await compileContext(opts);
  const selected = select(manifest, dag, opts.select, opts.exclude, '--select', selectMethods);
  const nodes = dag.order.filter((id) => selected.has(id));
  // DuckDB parses on its own thread while this one writes the artifacts.
  const parsing = checkStatements(manifest, nodes, [...def.onRunStart, ...def.onRunEnd], () => DuckDbAdapter.open({ path: ':memory:', threads: 1 }), artifacts.dir);
  let diagnostics: Diagnostic[];
  try {
    artifacts.compiled(manifest);
    artifacts.manifest(manifest, EIDER_VERSION);
    const { statements, syntax } = await parsing;
    diagnostics = [...statements, ...syntax];
  } finally {
    await parsing.catch(() => undefined);
  }
  if (diagnostics.length > 0) throw new UsageError(diagnostics);
  // Counted as build counts them: sources and ephemeral models (inlined where they are used) never run.
  const count = nodes.filter((id) => !passesThrough(manifest.nodes[id])).length;
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
