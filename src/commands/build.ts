import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { databaseKind } from '../adapter/databases.js';
import type { Adapter } from '../adapter/adapter.js';
import { DuckDbAdapter } from '../adapter/duckdb.js';
import { checkStatements } from '../compile/check-statements.js';
import { formatDiagnostic, UsageError, usageError } from '../errors.js';
import { redact } from '../secrets.js';
import type { ProjectHook } from '../project/parse.js';
import { execute } from '../execute/execute.js';
import { sqlErrorMessage } from '../execute/sql-errors.js';
import { UnitTestRunner } from '../execute/unit-tests.js';
import { select } from '../graph/select.js';
import { actsOn, planRun, type PlanMode } from '../plan/plan.js';
import type { FileOp } from '../plan/materializations/index.js';
import { gitCommit, HISTORY_DDL, historyInserts, HISTORY_VIEWS, nodeDurations, releaseId, SCHEDULE_ENV } from '../publish/history.js';
import { checkTargetFolder, openForBuild, openInPlace, settingsError } from '../publish/in-place.js';
import { compactAfterBuild, describeCompaction } from '../publish/compact.js';
import { acquireLock } from '../publish/lock.js';
import { SwapRelease } from '../publish/swap.js';
import type { NodeId, NodeResult, RunResult, TargetDef, TestNode, UnitTestNode } from '../types.js';
import { EIDER_VERSION } from '../version.js';
import { checkJunitPath, writeJunit, writeJunitStopped } from '../report/junit.js';
import { makeReporter, type LogFormat, type Reporter } from '../report/reporter.js';
import { checkCatalogTarget, writeCatalog } from './catalog.js';
import { compileContext, nothingSelected, type GlobalOptions, type ProjectContext, type SelectOptions } from './context.js';
import { deferredRelations, presentIn, resolveDeferral, withDeferredAttach, type DeferOptions } from '../state/defer.js';
import { sourceFreshness } from './freshness.js';
import { runAlerts, type RunAlerts } from '../operate/alerts.js';

export interface BuildOptions extends GlobalOptions, SelectOptions, DeferOptions {
  /** Rebuild incremental models from scratch. */
  readonly fullRefresh?: boolean;
  /** microbatch backfill window. */
  readonly eventTimeStart?: string;
  readonly eventTimeEnd?: string;
  /** Check the selected sources' freshness first; build nothing when one is stale at error level. */
  readonly failOnStaleSources?: boolean;
  /** Write the run as a JUnit XML report to this file. */
  readonly junit?: string;
  readonly logFormat?: LogFormat;
  /** build: write target/catalog.json from the target once the build is done. */
  readonly catalog?: boolean;
  /** `eider retry`: exactly these nodes (of the last run), instead of a selection. */
  readonly nodes?: readonly NodeId[];
  /** `--no-alerts` (false): send no alerts for this run. */
  readonly alerts?: boolean;
  /** `eider watch`: the project as it has just compiled it, built instead of compiling again. */
  readonly compiled?: ProjectContext;
  /** `eider watch`: each node's result once the run is decided, and whether its release was thrown away. */
  readonly onResults?: (results: readonly NodeResult[], discarded: boolean) => void;
}

/**
 * `seed`, `run`, `test` and `build`: compile → select → lock → open the release → plan → execute →
 * record history → publish (or not) → report → artifacts (and the --junit report, build's --catalog). Returns the
 * exit code, which the reporter sees last (a JSON log's run_finished).
 */
export async function buildCommand(mode: PlanMode, opts: BuildOptions): Promise<number> {
  if (opts.junit !== undefined) checkJunitPath(opts.junit);
  const reporter = makeReporter(opts.logFormat);
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const junit: JunitState = { written: false };
  // A run that stopped before its report was written (a mistake, a target that cannot be opened, a failed
  // on_run_start, a stale source, a signal) still replaces it. Best effort: the run's own error comes first.
  const stopped = (why: string) => {
    if (opts.junit === undefined || junit.written) return;
    try {
      writeJunitStopped(opts.junit, mode, startedAt, performance.now() - started, why);
    } catch {
      // the path was checked; a report that cannot be written now never hides why the run stopped
    }
  };
  // However the run ends (an exception too), a live progress area is gone before anything else is printed.
  const code = await runBuild(mode, opts, reporter, junit)
    .catch((e: unknown) => {
      stopped(e instanceof UsageError ? e.diagnostics.map(formatDiagnostic).join('\n') : String((e as Error)?.message ?? e));
      throw e;
    })
    .finally(() => reporter.runEnded());
  stopped(junit.why ?? `eider ${mode} stopped before running anything (exit ${code})`);
  reporter.exit(code);
  return code;
}

/** Whether runBuild wrote the --junit report, and why it stopped when it returns without one. */
interface JunitState {
  written: boolean;
  why?: string;
}

async function runBuild(mode: PlanMode, opts: BuildOptions, reporter: Reporter, junit: JunitState): Promise<number> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  for (const [flag, v] of [['--event-time-start', opts.eventTimeStart], ['--event-time-end', opts.eventTimeEnd]] as const) {
    if (v !== undefined && Number.isNaN(Date.parse(v))) throw usageError(`${flag} must be a date or timestamp, like 2024-01-31 or 2024-01-31T06:00:00Z; got "${v}"`);
  }
  if (opts.eventTimeStart !== undefined && opts.eventTimeEnd !== undefined && Date.parse(opts.eventTimeStart) >= Date.parse(opts.eventTimeEnd)) {
    throw usageError(`--event-time-start (${opts.eventTimeStart}) must be before --event-time-end (${opts.eventTimeEnd}): the window is [start, end)`);
  }
  let lock: ReturnType<typeof acquireLock> | undefined;
  let release: SwapRelease | undefined;
  let adapter: Adapter | undefined;
  let runner: UnitTestRunner | undefined;
  let alerts: RunAlerts | undefined;
  // SIGINT/SIGTERM: start no new node, stop the running queries, publish nothing, release the lock.
  const interrupt = onInterrupt(() => adapter?.interrupt());
  let swap = false;
  const interrupted = (target: string) => {
    junit.why ??= `interrupted by ${interrupt.by}: nothing ran`;
    if (swap) reporter.errorLine(`\nNothing was published: the build was interrupted, so ${target} keeps its current release.`);
    reporter.errorLine(`Interrupted by ${interrupt.by}: no new node was started.`);
    return interrupt.by === 'SIGINT' ? 130 : 143;
  };
  try {
    // Every command that writes takes the target's lock before compiling, so a second build is refused at once.
    const takeLock = (target: TargetDef) => {
      // Only a local file has a place for a lock beside it (a MotherDuck or DuckLake target has none).
      if (mode === 'test' || databaseKind(target.path) !== 'file') return;
      checkTargetFolder(target);
      lock = acquireLock(target.path, `eider ${mode}`);
    };
    const ctx = opts.compiled ? (takeLock(opts.compiled.def.target), opts.compiled) : await compileContext(opts, reporter, takeLock);
    const { dag, artifacts } = ctx;
    alerts = runAlerts(ctx, opts.alerts !== false);
    let manifest = ctx.manifest;
    const target = manifest.target;
    if (opts.catalog) checkCatalogTarget(target);
    if (interrupt.signal.aborted) return interrupted(target.name);
    if (opts.defer && target.publish === 'swap' && mode !== 'test') {
      throw usageError(`--defer: target ${target.name} publishes by swap: a release must hold its own data, not views over (or tables copied from) another target's file; defer from a CI or dev target`);
    }
    const deferral = resolveDeferral(opts, target, ctx.profileTarget);
    const selected = opts.nodes ? new Set(opts.nodes.filter((id) => id in manifest.nodes)) : select(manifest, dag, opts.select, opts.exclude, '--select', ctx.selectMethods);
    const acting = [...selected].filter((id) => actsOn(mode, manifest.nodes[id]));
    if (nothingSelected(opts.nodes ? { select: [...opts.nodes] } : opts, mode, acting.length, reporter)) {
      if (opts.junit !== undefined) writeJunit(opts.junit, { command: mode, startedAt, elapsedMs: performance.now() - started, results: [] }, manifest), (junit.written = true);
      return 0;
    }
    const needsWarehouse = mode !== 'test' || [...selected].some((id) => manifest.nodes[id].kind === 'test');
    // --defer: what this run reads but neither builds nor finds in its target renders as the deferred target's
    // relation. Decided before anything is opened for writing, so a mistake here leaves no file behind.
    if (deferral && needsWarehouse) {
      const builds = new Set(acting);
      const deferred = deferredRelations(manifest, acting, (id) => builds.has(id), await presentIn(target), deferral);
      if (deferred.size > 0) manifest = await ctx.recompile({ deferred });
    }
    // compile's rule holds here too: every statement from a template is exactly one, checked before anything runs.
    const parser = () => DuckDbAdapter.open({ path: ':memory:', threads: 1 });
    const checked = await checkStatements(manifest, selected, [...ctx.def.onRunStart, ...ctx.def.onRunEnd], parser, artifacts.dir);
    if (checked.statements.length > 0) throw new UsageError(checked.statements);
    // A node whose SQL does not parse fails without running anything; a hook's own error shows when it runs.
    const broken = new Map(checked.syntax.flatMap((d) => (d.nodeId ? [[d.nodeId, redact(formatDiagnostic(d))] as const] : [])));
    // The gate checks every source the selection reads from, selected or not.
    const upstream = () => new Set([...selected, ...[...selected].flatMap((id) => [...dag.reach(id, 'up')])]);
    if (opts.failOnStaleSources && !(await sourceFreshness(ctx, upstream(), false, alerts))) {
      junit.why = 'a source is stale at error level (--fail-on-stale-sources): nothing was built';
      reporter.errorLine(`error: ${junit.why}`);
      return 1;
    }

    // Unit tests run on their own in-memory DuckDB: `eider test -s test_type:unit` never opens the target.
    const units = [...selected].map((id) => manifest.nodes[id]).filter((n): n is UnitTestNode => n.kind === 'unit_test' && (mode === 'test' || mode === 'build'));
    const writes = needsWarehouse && mode !== 'test';
    swap = writes && target.publish === 'swap';
    // --defer: the deferred target's file is attached read-only, on every connection, before anything runs.
    const opened = deferral && needsWarehouse ? withDeferredAttach(target, deferral) : target;
    runner = units.length > 0 ? await UnitTestRunner.open(manifest) : undefined;
    const problems = (await runner?.prepare(units)) ?? [];
    if (problems.length > 0) throw new UsageError(problems);
    const warn = (w: string) => reporter.warning(w);
    if (swap) {
      release = await SwapRelease.start(opened, warn).catch(async (e: unknown) => {
        throw (await settingsError(target, e)) ?? e;
      });
      adapter = release.adapter;
    } else if (writes && databaseKind(target.path) === 'file') {
      // A dev file held open by a reader is built in a copy and renamed into place, like a prod release.
      ({ adapter, copy: release } = await openForBuild(opened, warn));
      swap = release !== undefined;
    } else if (needsWarehouse) {
      // `eider test` only reads the target, unless a test keeps its failing rows (store_failures).
      const stores = [...selected].some((id) => manifest.nodes[id].kind === 'test' && (manifest.nodes[id] as TestNode).storeFailures);
      // --defer to a CI target that holds nothing yet: every relation the tests read is the deferred target's,
      // read through an in-memory database (no file is created, as a read needs none).
      const nothingYet = deferral && !writes && !stores && databaseKind(target.path) === 'file' && !existsSync(target.path);
      adapter = nothingYet ? await openInPlace({ ...opened, path: ':memory:' }, target.threads, warn) : await openInPlace(opened, target.threads, warn, !writes && !stores);
    } else adapter = NO_WAREHOUSE;

    const state = await adapter.state();
    const plan = planRun(manifest, dag, selected, mode, state, { fullRefresh: opts.fullRefresh === true, eventTimeStart: opts.eventTimeStart, eventTimeEnd: opts.eventTimeEnd, deferFiles: swap, broken, empty: opts.empty === true });
    const shown = plan.steps.filter((s) => s.action.kind !== 'pass');
    // A live progress display's ETA comes from the target's run history, read once here.
    const history = reporter.live ? await nodeDurations(adapter.sessions[0]) : undefined;
    reporter.runStarted({ command: mode, project: manifest.projectName, target: target.name, invocationId: manifest.invocationId, threads: adapter.sessions.length, swap, nodes: shown.map((s) => manifest.nodes[s.nodeId]), history });
    // A project hook that fails is reported at its line in project.yml; nothing after it runs.
    let failedHook: ProjectHook | undefined;
    const runHooks = async (hooks: readonly ProjectHook[]): Promise<boolean> => {
      for (const h of hooks) {
        try {
          await adapter!.sessions[0].exec(h.sql);
        } catch (e) {
          failedHook = h;
          if (!interrupt.signal.aborted) reporter.errorLine(redact(formatDiagnostic({ severity: 'error', file: h.file, line: h.line, message: `${h.key}: ${sqlErrorMessage(String((e as Error).message ?? e))}` })));
          return false;
        }
      }
      return true;
    };
    // --empty only checks: on-run-start/end hooks (exports, grants) are side effects it must not have.
    const projectHooks = writes && !opts.empty;
    const hookFailure = () => failedHook && `${failedHook.key} failed (${failedHook.file}:${failedHook.line}): nothing ${failedHook.key === 'on_run_start' ? 'ran' : 'was published'}`;
    if (projectHooks && !(await runHooks(ctx.def.onRunStart))) {
      if (interrupt.signal.aborted) return interrupted(target.name);
      junit.why = hookFailure()!;
      await alerts?.runFailed(mode, junit.why);
      return 1;
    }
    let done = 0;
    const results = await execute(
      plan,
      manifest,
      adapter,
      (result) => {
        reporter.nodeResult(result, manifest.nodes[result.nodeId], ++done, shown.length);
      },
      {
        units: runner,
        signal: interrupt.signal,
        retries: target.retries,
        onStart: (step) => reporter.nodeStarted(manifest.nodes[step.nodeId]),
        onRetry: (id, attempt, error, waitMs) => reporter.warning(`${manifest.nodes[id].name} failed with a transient error (${error.split('\n')[0]}); attempt ${attempt + 1} of ${target.retries.attempts} in ${waitMs} ms`),
      },
    );
    const endHooksOk = !projectHooks || (await runHooks(ctx.def.onRunEnd));
    // The outcome is decided here. A signal from now on no longer stops anything: the release (or the run's
    // record) is finished as decided, and the exit code and the last lines say what happened.
    interrupt.settle();
    const ok = endHooksOk && !interrupt.signal.aborted && !results.some((r) => r.status === 'error' || r.status === 'fail' || r.status === 'skipped');
    // An --empty build of a swap-published target checks in the release's copy and never publishes it.
    const publishes = ok && !(opts.empty && target.publish === 'swap');
    const args = { select: opts.select, exclude: opts.exclude, fullRefresh: opts.fullRefresh, eventTimeStart: opts.eventTimeStart, eventTimeEnd: opts.eventTimeEnd, empty: opts.empty, failOnStaleSources: opts.failOnStaleSources, varsGiven: opts.vars !== undefined, defer: opts.defer && opts.state !== undefined ? { state: resolve(opts.state), target: opts.deferTarget } : undefined };
    const kept = !writes ? undefined : !swap ? 'in_place' : publishes ? 'published' : 'discarded';
    opts.onResults?.(results, kept === 'discarded');
    const run: RunResult = { command: mode, startedAt, elapsedMs: performance.now() - started, results, args, release: kept };

    if (writes) {
      const id = releaseId(manifest);
      const status = swap ? (publishes ? 'published' : 'failed') : 'in_place';
      const schedule = process.env[SCHEDULE_ENV] || undefined;
      const record = { releaseId: id, status, publishedAt: status === 'published' || status === 'in_place' ? new Date().toISOString() : undefined, schedule } as const;
      if (!swap || publishes) {
        // The file's size is recorded with its release: checkpointed first, so what the build wrote counts.
        if (databaseKind(target.path) === 'file') await adapter.sessions[0].exec('checkpoint');
        // One call and one commit: the run's history (and the health views over it) is written whole or not at all.
        await adapter.sessions[0].exec(['begin transaction', ...HISTORY_DDL, ...historyInserts(manifest, run, record, EIDER_VERSION, gitCommit(manifest.root)), ...HISTORY_VIEWS, 'commit'].join(';\n'));
      }
      // External models' files, staged beside their final paths until the release is published.
      const files = plan.steps.flatMap((st) => (st.action.kind === 'run' ? st.action.statements.filter((x): x is FileOp => typeof x !== 'string' && x.kind === 'file' && x.op === 'publish') : []));
      if (release && publishes) {
        const compacted = await release.publish(files, fresh(results));
        reporter.line(`\nPublished release ${id} to ${target.name}.`);
        if (compacted) reporter.line(describeCompaction(target, compacted));
      } else if (release) {
        await release.discard(files);
        const why = ok ? '--empty builds only check' : !endHooksOk ? 'on_run_end failed' : 'a node or an error-severity test failed';
        if (!interrupt.signal.aborted) reporter.errorLine(`\nNothing was published: ${why}, so ${target.name} keeps its current release.`);
      }
    }
    if (writes && !swap && databaseKind(target.path) === 'file' && !interrupt.signal.aborted) {
      const compacted = await compactAfterBuild(adapter, target, warn, fresh(results)).finally(() => (adapter = undefined));
      if (compacted) reporter.line(describeCompaction(target, compacted));
    }
    artifacts.manifest(manifest, EIDER_VERSION);
    artifacts.runResults(run, manifest, EIDER_VERSION);
    artifacts.compiled(manifest);
    if (opts.junit !== undefined) writeJunit(opts.junit, run, manifest), (junit.written = true);
    if (opts.catalog && !interrupt.signal.aborted) {
      // A release is closed by now (published or discarded), an in-place file by its compaction check; any other
      // target is closed here, so the catalog reads what was built through a read-only connection of its own.
      if (!release) await adapter?.close();
      adapter = undefined;
      await writeCatalog(manifest, artifacts, reporter);
    }
    reporter.summary(results, run.elapsedMs);
    if (interrupt.signal.aborted) return interrupted(target.name);
    await alerts?.run(run, hookFailure());
    if (interrupt.late) reporter.errorLine(`${interrupt.late} arrived after the last node had finished: the run was completed${release && publishes ? ' and its release published' : ''} first.`);
    return ok ? 0 : 1;
  } catch (e) {
    // A signal stops the queries; what they throw then is the interruption, not an error of its own.
    if (interrupt.signal.aborted && !(e instanceof UsageError)) return interrupted(opts.target ?? 'the target');
    // A run that stops on an unexpected error (a full disk, a held file) is a failed run too.
    if (!(e instanceof UsageError)) await alerts?.runFailed(mode, String((e as Error).message ?? e).split('\n')[0]);
    throw e;
  } finally {
    if (release) await release.discard().catch(() => undefined);
    else await adapter?.close();
    await runner?.close();
    lock?.release();
    interrupt.dispose();
  }
}

/** A build that erased subjects again writes its file fresh, so their rows survive in no free block of it. */
function fresh(results: readonly NodeResult[]): string | undefined {
  const rows = results.reduce((n, r) => n + (r.erased ?? 0), 0);
  return rows > 0 ? `${rows} row${rows === 1 ? '' : 's'} of erased subjects removed again: written fresh` : undefined;
}

interface Interrupt {
  readonly signal: AbortSignal;
  /** The signal that aborted the run. */
  readonly by?: string;
  /** A signal that arrived after `settle()`: noted, it stops nothing. */
  readonly late?: string;
  settle(): void;
  dispose(): void;
}

function onInterrupt(stop: () => void): Interrupt {
  const controller = new AbortController();
  let settled = false;
  const state: { -readonly [K in keyof Interrupt]: Interrupt[K] } = {
    signal: controller.signal,
    settle: () => void (settled = true),
    dispose: () => undefined,
  };
  const handler = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted || state.late) return;
    if (settled) {
      state.late = sig;
      return;
    }
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
