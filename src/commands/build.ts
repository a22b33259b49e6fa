import type { Adapter } from '../adapter/adapter.js';
import { formatDiagnostic, UsageError, usageError } from '../errors.js';
import { redact } from '../secrets.js';
import type { ProjectHook } from '../project/parse.js';
import { execute } from '../execute/execute.js';
import { sqlErrorMessage } from '../execute/sql-errors.js';
import { UnitTestRunner } from '../execute/unit-tests.js';
import { select } from '../graph/select.js';
import { planRun, type PlanMode } from '../plan/plan.js';
import type { FileOp } from '../plan/materializations/index.js';
import { gitCommit, HISTORY_DDL, historyInserts, releaseId } from '../publish/history.js';
import { checkTargetFolder, openInPlace, settingsError } from '../publish/in-place.js';
import { acquireLock } from '../publish/lock.js';
import { SwapRelease } from '../publish/swap.js';
import type { RunResult, UnitTestNode } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import { compileContext, type GlobalOptions, type SelectOptions } from './context.js';
import { sourceFreshness } from './freshness.js';

export interface BuildOptions extends GlobalOptions, SelectOptions {
  /** Rebuild incremental models from scratch. */
  readonly fullRefresh?: boolean;
  /** microbatch backfill window. */
  readonly eventTimeStart?: string;
  readonly eventTimeEnd?: string;
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
  for (const [flag, v] of [['--event-time-start', opts.eventTimeStart], ['--event-time-end', opts.eventTimeEnd]] as const) {
    if (v !== undefined && Number.isNaN(Date.parse(v))) throw usageError(`${flag} must be a date or timestamp, like 2024-01-31 or 2024-01-31T06:00:00Z; got "${v}"`);
  }
  if (opts.eventTimeStart !== undefined && opts.eventTimeEnd !== undefined && Date.parse(opts.eventTimeStart) >= Date.parse(opts.eventTimeEnd)) {
    throw usageError(`--event-time-start (${opts.eventTimeStart}) must be before --event-time-end (${opts.eventTimeEnd}): the window is [start, end)`);
  }
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
  // SIGINT/SIGTERM: start no new node, stop the running queries, publish nothing, release the lock.
  const interrupt = onInterrupt(() => adapter?.interrupt());
  try {
    const problems = (await runner?.prepare(units)) ?? [];
    if (problems.length > 0) throw new UsageError(problems);
    if (writes) checkTargetFolder(target);
    if (writes && target.path !== ':memory:') lock = acquireLock(target.path, `eider ${mode}`);
    if (swap) {
      release = await SwapRelease.start(target, manifest, (w) => reporter.errorLine(`warning: ${w}`)).catch(async (e: unknown) => {
        throw (await settingsError(target, e)) ?? e;
      });
      adapter = release.adapter;
    } else adapter = needsWarehouse ? await openInPlace(target, target.threads, (w) => reporter.errorLine(`warning: ${w}`)) : NO_WAREHOUSE;

    const state = await adapter.state();
    const plan = planRun(manifest, dag, selected, mode, release ? { ...state, previous: await release.previous() } : state, { fullRefresh: opts.fullRefresh === true, eventTimeStart: opts.eventTimeStart, eventTimeEnd: opts.eventTimeEnd, deferFiles: swap });
    const shown = plan.steps.filter((s) => s.action.kind !== 'pass');
    reporter.line(
      `eider ${EIDER_VERSION} · ${manifest.projectName} · target ${target.name}${swap ? ' (swap publish)' : ''} · ${shown.length} node${shown.length === 1 ? '' : 's'} · ${adapter.sessions.length} thread${adapter.sessions.length === 1 ? '' : 's'}`,
    );
    reporter.line();
    // A project hook that fails is reported at its line in project.yml; nothing after it runs.
    const runHooks = async (hooks: readonly ProjectHook[]): Promise<boolean> => {
      for (const h of hooks) {
        try {
          await adapter!.sessions[0].exec(h.sql);
        } catch (e) {
          reporter.errorLine(redact(formatDiagnostic({ severity: 'error', file: h.file, line: h.line, message: `${h.key}: ${sqlErrorMessage(String((e as Error).message ?? e))}` })));
          return false;
        }
      }
      return true;
    };
    if (writes && !(await runHooks(ctx.def.onRunStart))) return 1;
    let done = 0;
    const results = await execute(
      plan,
      manifest,
      adapter,
      (result, step) => {
        if (step.action.kind !== 'pass' || result.status === 'skipped') reporter.nodeResult(result, manifest.nodes[result.nodeId], ++done, shown.length);
      },
      {
        units: runner,
        signal: interrupt.signal,
        retries: target.retries,
        onRetry: (id, attempt, error, waitMs) => reporter.errorLine(`warning: ${manifest.nodes[id].name} failed with a transient error (${error.split('\n')[0]}); attempt ${attempt + 1} of ${target.retries.attempts} in ${waitMs} ms`),
      },
    );
    const endHooksOk = !writes || (await runHooks(ctx.def.onRunEnd));
    const run: RunResult = { command: mode, startedAt, elapsedMs: performance.now() - started, results };
    const ok = endHooksOk && !interrupt.signal.aborted && !results.some((r) => r.status === 'error' || r.status === 'fail' || r.status === 'skipped');

    if (writes) {
      const id = releaseId(manifest);
      const status = swap ? (ok ? 'published' : 'failed') : 'in_place';
      const record = { releaseId: id, status, publishedAt: status === 'published' || status === 'in_place' ? new Date().toISOString() : undefined } as const;
      if (!swap || ok) for (const sql of [...HISTORY_DDL, ...historyInserts(manifest, run, record, EIDER_VERSION, gitCommit(manifest.root))]) await adapter.sessions[0].exec(sql);
      // External models' files, staged beside their final paths until the release is published.
      const files = plan.steps.flatMap((st) => (st.action.kind === 'run' ? st.action.statements.filter((x): x is FileOp => typeof x !== 'string' && x.kind === 'file' && x.op === 'publish') : []));
      if (release && ok) {
        await release.publish(files);
        reporter.line(`\nPublished release ${id} to ${target.name}.`);
      } else if (release) {
        await release.discard(files);
        const why = interrupt.signal.aborted ? 'the build was interrupted' : !endHooksOk ? 'on_run_end failed' : 'a node or an error-severity test failed';
        reporter.errorLine(`\nNothing was published: ${why}, so ${target.name} keeps its current release.`);
      }
    }
    artifacts.manifest(manifest, EIDER_VERSION);
    artifacts.runResults(run, manifest, EIDER_VERSION);
    artifacts.compiled(manifest);
    const passThrough = new Set(plan.steps.filter((s) => s.action.kind === 'pass').map((s) => s.nodeId));
    reporter.summary(results.filter((r) => !passThrough.has(r.nodeId) || r.status === 'skipped'), run.elapsedMs);
    if (interrupt.signal.aborted) {
      reporter.errorLine(`Interrupted by ${interrupt.by}: no new node was started.`);
      return interrupt.by === 'SIGINT' ? 130 : 143;
    }
    return ok ? 0 : 1;
  } finally {
    interrupt.dispose();
    if (release) await release.discard().catch(() => undefined);
    else await adapter?.close();
    await runner?.close();
    lock?.release();
  }
}

function onInterrupt(stop: () => void): { signal: AbortSignal; by?: string; dispose(): void } {
  const controller = new AbortController();
  const state = { signal: controller.signal, by: undefined as string | undefined, dispose: () => undefined as void };
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    state.by = sig;
    controller.abort();
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  state.dispose = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  return state;
}

/** Stands in for the target when only unit tests run: nothing may touch it. */
const NO_WAREHOUSE: Adapter = {
  sessions: [
    {
      exec: () => Promise.reject(new Error('internal: unit tests touched the warehouse')),
      query: () => Promise.reject(new Error('internal: unit tests touched the warehouse')),
      queryDisplay: () => Promise.reject(new Error('internal: unit tests touched the warehouse')),
      queryColumns: () => Promise.reject(new Error('internal: unit tests touched the warehouse')),
      appendColumns: () => Promise.reject(new Error('internal: unit tests touched the warehouse')),
    },
  ],
  parseErrors: () => Promise.resolve([]),
  interrupt: () => undefined,
  state: () => Promise.resolve({ relations: new Map(), schemas: new Set() }),
  version: () => Promise.resolve(''),
  close: () => Promise.resolve(),
};
