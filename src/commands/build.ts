import { execute } from '../execute/execute.js';
import { select } from '../graph/select.js';
import { planRun, type PlanMode } from '../plan/plan.js';
import { openInPlace } from '../publish/in-place.js';
import type { Adapter } from '../adapter/adapter.js';
import { UsageError } from '../errors.js';
import { UnitTestRunner } from '../execute/unit-tests.js';
import type { RunResult, UnitTestNode } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import { compileContext, type GlobalOptions, type SelectOptions } from './context.js';
import { sourceFreshness } from './freshness.js';

/** `seed`, `run`, `test` and `build`: compile → select → plan → execute → report → artifacts. Returns the exit code. */
export interface BuildOptions extends GlobalOptions, SelectOptions {
  /** Check the selected sources' freshness first; build nothing when one is stale at error level. */
  readonly failOnStaleSources?: boolean;
}

export async function buildCommand(mode: PlanMode, opts: BuildOptions): Promise<number> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const ctx = await compileContext(opts);
  const { manifest, dag, artifacts, reporter } = ctx;
  const selected = select(manifest, dag, opts.select, opts.exclude);
  // The gate checks every source the selection reads from, selected or not.
  const upstream = () => new Set([...selected, ...[...selected].flatMap((id) => [...dag.reach(id, 'up')])]);
  if (opts.failOnStaleSources && !(await sourceFreshness(ctx, upstream()))) {
    reporter.errorLine('error: a source is stale at error level (--fail-on-stale-sources): nothing was built');
    return 1;
  }
  // Unit tests run on their own in-memory DuckDB: `eider test -s test_type:unit` never opens the target.
  const units = [...selected].map((id) => manifest.nodes[id]).filter((n): n is UnitTestNode => n.kind === 'unit_test' && (mode === 'test' || mode === 'build'));
  const runner = units.length > 0 ? await UnitTestRunner.open(manifest) : undefined;
  const needsWarehouse = mode !== 'test' || [...selected].some((id) => manifest.nodes[id].kind === 'test');
  let adapter: Adapter | undefined;
  try {
    const problems = (await runner?.prepare(units)) ?? [];
    if (problems.length > 0) throw new UsageError(problems);
    adapter = needsWarehouse ? await openInPlace(manifest.target) : NO_WAREHOUSE;
    const plan = planRun(manifest, dag, selected, mode, await adapter.state());
    const shown = plan.steps.filter((s) => s.action.kind !== 'pass');
    reporter.line(`eider ${EIDER_VERSION} · ${manifest.projectName} · target ${manifest.target.name} · ${shown.length} node${shown.length === 1 ? '' : 's'} · ${adapter.sessions.length} thread${adapter.sessions.length === 1 ? '' : 's'}`);
    reporter.line();
    let done = 0;
    const results = await execute(
      plan,
      manifest,
      adapter,
      (result, step) => {
        if (step.action.kind !== 'pass' || result.status === 'skipped') reporter.nodeResult(result, manifest.nodes[result.nodeId], ++done, shown.length);
      },
      runner,
    );
    const run: RunResult = { command: mode, startedAt, elapsedMs: performance.now() - started, results };
    artifacts.manifest(manifest, EIDER_VERSION);
    artifacts.runResults(run, manifest, EIDER_VERSION);
    artifacts.compiled(manifest);
    const passThrough = new Set(plan.steps.filter((s) => s.action.kind === 'pass').map((s) => s.nodeId));
    reporter.summary(results.filter((r) => !passThrough.has(r.nodeId) || r.status === 'skipped'), run.elapsedMs);
    return results.some((r) => r.status === 'error' || r.status === 'fail' || r.status === 'skipped') ? 1 : 0;
  } finally {
    await adapter?.close();
    await runner?.close();
  }
}

/** Stands in for the target when only unit tests run: nothing may touch it. */
const NO_WAREHOUSE: Adapter = {
  sessions: [
    {
      exec: () => Promise.reject(new Error('internal: unit tests touched the warehouse')),
      query: () => Promise.reject(new Error('internal: unit tests touched the warehouse')),
      queryDisplay: () => Promise.reject(new Error('internal: unit tests touched the warehouse')),
    },
  ],
  parseErrors: () => Promise.resolve([]),
  state: () => Promise.resolve({ relations: new Map(), schemas: new Set() }),
  version: () => Promise.resolve(''),
  close: () => Promise.resolve(),
};
