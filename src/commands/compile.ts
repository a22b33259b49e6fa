import { randomUUID } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { Artifacts } from '../artifacts/artifacts.js';
import type { Diagnostic } from '../errors.js';
import { findProjectRoot } from '../project/load.js';
import { makeReporter, type Reporter } from '../report/reporter.js';
import { forgetSnapshot, rendersStamps, reuseSnapshot, saveSnapshot, scanProject } from '../state/compile-snapshot.js';
import { UsageError } from '../errors.js';
import { EIDER_VERSION } from '../version.js';
import type { DeferOptions } from '../state/defer.js';
import type { GlobalOptions, SelectOptions } from './context.js';

/** `compile`: render every node, check each statement with DuckDB's own parser, write target/compiled and the manifest. */
export async function compileCommand(opts: GlobalOptions & SelectOptions & DeferOptions): Promise<number> {
  const started = performance.now();
  // The whole project, as the last compile left it: nothing to compile when nothing it read has changed.
  const whole = opts.cache !== false && !opts.select?.length && !opts.exclude?.length && opts.state === undefined && !opts.defer;
  const root = findProjectRoot(opts.projectDir ?? process.cwd());
  const scan = whole ? scanProject(root, opts) : undefined;
  if (scan) {
    const artifacts = new Artifacts(join(root, scan.paths.target));
    const reused = reuseSnapshot(scan, opts, artifacts, randomUUID());
    if (reused) {
      const reporter = makeReporter();
      reporter.diagnostics(reused.diagnostics);
      compiled(reporter, reused.count, artifacts, started);
      return 0;
    }
    forgetSnapshot(artifacts.dir); // kept again only if this compile succeeds
  }
  // Loaded only now: an unchanged project needs none of the compiler.
  const [{ compileContext }, { checkStatements }, { select }, { passesThrough }, { deferredRelations, presentIn, resolveDeferral }] = await Promise.all([
    import('./context.js'),
    import('../compile/check-statements.js'),
    import('../graph/select.js'),
    import('../plan/plan.js'),
    import('../state/defer.js'),
  ]);
  const ctx = await compileContext(opts, undefined, undefined, undefined, scan?.onRead);
  const { dag, artifacts, reporter, def } = ctx;
  let manifest = ctx.manifest;
  const deferral = resolveDeferral(opts, manifest.target, ctx.profileTarget);
  const selected = select(manifest, dag, opts.select, opts.exclude, '--select', ctx.selectMethods);
  const nodes = dag.order.filter((id) => selected.has(id));
  // --defer: what the selection reads and the target does not hold renders as the deferred target's relation.
  if (deferral) {
    const deferred = deferredRelations(manifest, nodes, (id) => selected.has(id), await presentIn(manifest.target), deferral);
    if (deferred.size > 0) manifest = await ctx.recompile({ deferred });
  }
  // DuckDB parses on its own thread while this one writes the artifacts.
  const parsing = checkStatements(manifest, nodes, [...def.onRunStart, ...def.onRunEnd], async () => (await import('../adapter/duckdb.js')).DuckDbAdapter.open({ path: ':memory:', threads: 1 }), artifacts.dir);
  let diagnostics: Diagnostic[];
  let wrote: BigIntStats;
  try {
    artifacts.compiled(manifest);
    wrote = artifacts.manifest(manifest, EIDER_VERSION);
    const { statements, syntax } = await parsing;
    diagnostics = [...statements, ...syntax];
  } finally {
    await parsing.catch(() => undefined);
  }
  if (diagnostics.length > 0) throw new UsageError(diagnostics);
  // Counted as build counts them: sources and ephemeral models (inlined where they are used) never run.
  const count = nodes.filter((id) => !passesThrough(manifest.nodes[id])).length;
  if (scan && ctx.reusable && !deferral && !rendersStamps(manifest, ctx.stamps)) saveSnapshot(scan, opts, artifacts, wrote, count, ctx.warnings);
  compiled(reporter, count, artifacts, started);
  return 0;
}

function compiled(reporter: Reporter, count: number, artifacts: Artifacts, started: number): void {
  reporter.line(`Compiled ${count} node${count === 1 ? '' : 's'} into ${artifacts.dir}/compiled in ${((performance.now() - started) / 1000).toFixed(2)}s`);
}

/** `parse`: build and write the manifest without rendering checks. */
export async function parseCommand(opts: GlobalOptions): Promise<number> {
  const { compileContext } = await import('./context.js');
  const { manifest, artifacts, reporter } = await compileContext(opts);
  artifacts.manifest(manifest, EIDER_VERSION);
  reporter.line(`Parsed ${Object.keys(manifest.nodes).length} nodes; wrote ${artifacts.dir}/manifest.json`);
  return 0;
}
