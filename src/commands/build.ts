import type { Adapter } from '../adapter/adapter.js';
import { UsageError } from '../errors.js';
import { execute } from '../execute/execute.js';
import { UnitTestRunner } from '../execute/unit-tests.js';
import { select } from '../graph/select.js';
import { planRun, type PlanMode } from '../plan/plan.js';
import { gitCommit, HISTORY_DDL, historyInserts, releaseId } from '../publish/history.js';
import { openInPlace } from '../publish/in-place.js';
import { acquireLock } from '../publish/lock.js';
import { SwapRelease } from '../publish/swap.js';
import type { RunResult, UnitTestNode } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import { compileContext, type GlobalOptions, type SelectOptions } from './context.js';
import { sourceFreshness } from './freshness.js';

export interface BuildOptions extends GlobalOptions, SelectOptions {
  /** Check the selected sources' freshness first; build nothing when one is stale at error level. */
  readonly failOnStaleSources?: boolean;
}

/**
 * `seed`, `run`, `test` and `build`: compile → select → lock → open the release → plan → execute →
 * record history → publish (or not) → report → artifacts. Returns the exit code.
 */
export async function buildCommand(mode: PlanMode, opts: BuildOptions): Promise<number> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const ctx = await compileContext(opts);
  const { manifest, dag, artifacts, reporter } = ctx;
  const target = manifest.target;
  const selected = select(manifest, dag, opts.select, opts.exclude);
  // The gate checks every source the selection reads from, selected or not.
  const upstream = () => new Set([...selected, ...[...selected].flatMap((id) => [...dag.reach(id, 'up')])]);
  if (opts.failOnStaleSources && !(await sourceFreshness(ctx, upstream()))) {
    reporter.errorLine('error: a source is stale at error level (--fail-on-stale-sources): nothing was built');
    return 1;
  }

  // Unit tests run on their own in-memory DuckDB: `eider test -s test_type:unit` never opens the target.
  const units = [...selected].map((id) => manifest.nodes[id]).filter((n): n is UnitTestNode => n.kind === 'unit_test' && (mode === 'test' || mode === 'build'));
  const needsWarehouse = mode !== 'test' || [...selected].some((id) => manifest.nodes[id].kind === 'test');
  const writes = needsWarehouse && mode !== 'test';
  const swap = writes && target.publish === 'swap';
  const runner = units.length > 0 ? await UnitTestRunner.open(manifest) : undefined;
  let lock: ReturnType<typeof acquireLock> | undefined;
  let release: SwapRelease | undefined;
  let adapter: Adapter | undefined;
  try {
    const problems = (await runner?.prepare(units)) ?? [];
    if (problems.length > 0) throw new UsageError(problems);
    if (writes && target.path !== ':memory:') lock = acquireLock(target.path, `eider ${mode}`);
    if (swap) {
      release = await SwapRelease.start(target, manifest, (w) => reporter.errorLine(`warning: ${w}`));
      adapter = release.adapter;
    } else adapter = needsWarehouse ? await openInPlace(target) : NO_WAREHOUSE;

    const plan = planRun(manifest, dag, selected, mode, await adapter.state());
    const shown = plan.steps.filter((s) => s.action.kind !== 'pass');
    reporter.line(
      `eider ${EIDER_VERSION} · ${manifest.projectName} · target ${target.name}${swap ? ' (swap publish)' : ''} · ${shown.length} node${shown.length === 1 ? '' : 's'} · ${adapter.sessions.length} thread${adapter.sessions.length === 1 ? '' : 's'}`,
    );
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
    const ok = !results.some((r) => r.status === 'error' || r.status === 'fail' || r.status === 'skipped');

    if (writes) {
      const id = releaseId(manifest);
      const status = swap ? (ok ? 'published' : 'failed') : 'in_place';
      const record = { releaseId: id, status, publishedAt: status === 'published' || status === 'in_place' ? new Date().toISOString() : undefined } as const;
      if (!swap || ok) for (const sql of [...HISTORY_DDL, ...historyInserts(manifest, run, record, EIDER_VERSION, gitCommit(manifest.root))]) await adapter.sessions[0].exec(sql);
      if (release && ok) {
        await release.publish();
        reporter.line(`\nPublished release ${id} to ${target.name}.`);
      } else if (release) {
        await release.discard();
        reporter.errorLine(`\nNothing was published: a node or an error-severity test failed, so ${target.name} keeps its current release.`);
      }
    }
    artifacts.manifest(manifest, EIDER_VERSION);
    artifacts.runResults(run, manifest, EIDER_VERSION);
    artifacts.compiled(manifest);
    const passThrough = new Set(plan.steps.filter((s) => s.action.kind === 'pass').map((s) => s.nodeId));
    reporter.summary(results.filter((r) => !passThrough.has(r.nodeId) || r.status === 'skipped'), run.elapsedMs);
    return ok ? 0 : 1;
  } finally {
    if (release) await release.discard().catch(() => undefined);
    else await adapter?.close();
    await runner?.close();
    lock?.release();
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
