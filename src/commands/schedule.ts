import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { databaseKind } from '../adapter/databases.js';
import { didYouMean, UsageError, usageError, type Diagnostic } from '../errors.js';
import { select } from '../graph/select.js';
import { alertRunSkipped, resolveRunSkipped } from '../operate/alerts.js';
import { ScheduleMetrics } from '../operate/metrics.js';
import { clockFromEnv, CLOCK_ENV, Scheduler, type Launched, type RunStatus } from '../operate/schedule.js';
import { nextFires, projectSchedules, type Schedule } from '../operate/schedules.js';
import { readTargetFacts } from '../operate/target-history.js';
import { SCHEDULE_ENV } from '../publish/history.js';
import { lockHolder } from '../publish/lock.js';
import { makeReporter, type LogFormat } from '../report/reporter.js';
import { printScheduleList, ScheduleLog } from '../report/schedule-log.js';
import type { TargetDef } from '../types.js';
import { compileContext, parseVars, type GlobalOptions, type ProjectContext } from './context.js';

export interface ScheduleOptions extends GlobalOptions {
  readonly list?: boolean;
  readonly once?: string;
  readonly metricsPort?: number;
  readonly logFormat?: LogFormat;
}

/** The CLI each scheduled run starts (this package's own bin), so every run is an ordinary `eider build`. */
const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/eider.js');
/** How long a build signalled to stop (timeout, or the scheduler stopping) has before it gets SIGKILL. */
export const KILL_GRACE_MS = 30_000;

/**
 * `schedule`: compile → check each schedule's target and selection → (--list: print the next runs) → serve metrics
 * → run the schedules until SIGTERM/SIGINT (or one schedule now, `--once`). Exit 0 when stopped cleanly.
 */
export async function scheduleCommand(opts: ScheduleOptions): Promise<number> {
  const clock = clockFromEnv(process.env[CLOCK_ENV]);
  const ctx = await compileContext(opts, makeReporter(opts.logFormat));
  const schedules = projectSchedules(ctx.def);
  if (schedules.length === 0) throw usageError('project.yml has no schedules: add schedules: [{name: hourly, cron: "5 * * * *", select: tag:hourly}]', 'project.yml');
  const targets = scheduleTargets(ctx, schedules);
  const targetOf = (s: Schedule) => s.target ?? ctx.def.target.name;
  if (opts.list) {
    printScheduleList(schedules.map((s) => ({ name: s.name, cron: s.cron, timezone: s.timezone, target: targetOf(s), select: s.select, exclude: s.exclude, fullRefresh: s.fullRefresh, next: nextFires(s, clock.now(), 3) })), opts.logFormat ?? 'text');
    return 0;
  }
  checkSelections(ctx, schedules);
  const once = opts.once === undefined ? undefined : schedules.find((s) => s.name === opts.once);
  if (opts.once !== undefined && !once) throw usageError(`--once: no schedule is named "${opts.once}"${didYouMean(opts.once, schedules.map((s) => s.name))}; schedules: ${schedules.map((s) => s.name).join(', ')}`);

  const log = new ScheduleLog(opts.logFormat ?? 'text');
  const metrics = opts.metricsPort === undefined ? undefined : new ScheduleMetrics(clock);
  const server = metrics && opts.metricsPort !== undefined ? await metrics.serve(opts.metricsPort) : undefined;
  metrics?.targets(new Set(schedules.map(targetOf)));
  const launchedAt = new Map<string, Date>();
  const lastRuns = new Map<string, Date>();
  for (const [name, target] of targets) {
    const facts = await readTargetFacts(target);
    metrics?.setFreshness(name, facts.freshness);
    for (const s of schedules) if (targetOf(s) === name && facts.lastRuns.has(s.name)) lastRuns.set(s.name, facts.lastRuns.get(s.name)!);
  }
  // run_skipped alerts (and their resolution when the schedule runs again), one after another: they share a state file.
  let alerting: Promise<void> = Promise.resolve();
  const alertFailed = (e: unknown) => makeReporter().warning(`run_skipped alert: ${e instanceof Error ? e.message : String(e)}`);
  const scheduler = new Scheduler({
    clock,
    schedules: once ? [] : schedules,
    defaultTarget: ctx.def.target.name,
    retries: (t) => targets.get(t)!.retries,
    launch: (s, t) => {
      launchedAt.set(t, new Date());
      metrics?.runStarted(t);
      alerting = alerting.then(() => resolveRunSkipped(ctx.def.root, ctx.def, t, s.name)).catch(alertFailed);
      return launchBuild(s, t, opts, ctx.def.root, log);
    },
    log: (e) => log.event(e),
    onRunSkipped: (s, t, reason) => {
      metrics?.runSkipped(s.name, t);
      alerting = alerting.then(() => alertRunSkipped(ctx.def.root, ctx.def, t, s.name, reason)).catch(alertFailed);
    },
    heldElsewhere: (t) => heldBy(targets.get(t)!),
    lastRuns,
    afterRun: async (s, t, status, durationMs) => {
      const target = targets.get(t)!;
      const facts = await readTargetFacts(target, { schedule: s.name, since: launchedAt.get(t) ?? new Date(0) });
      metrics?.runFinished(s.name, t, status, durationMs, status === 'success' ? facts.modelsBuilt : 0);
      metrics?.setFreshness(t, facts.freshness);
      return { release: facts.release, swap: target.publish === 'swap' };
    },
    killGraceMs: KILL_GRACE_MS,
  });
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    stoppedBy ??= sig;
    void scheduler.stop(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (once) {
      const status = await scheduler.runNow(once);
      if (stoppedBy) await scheduler.stopped;
      await alerting;
      return onceCode(status, stoppedBy);
    }
    scheduler.start();
    await scheduler.stopped;
    await alerting;
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    server?.close();
  }
}

/** `--once`: 0 when the run succeeded; 1 when it failed, timed out or was skipped; 130/143 when a signal stopped it. */
function onceCode(status: RunStatus | undefined, signal: NodeJS.Signals | undefined): number {
  if (status === 'success') return 0;
  if (status === 'interrupted') return signal === 'SIGINT' ? 130 : 143;
  return 1;
}

/** Every target a schedule builds, from the profile; a target the profile lacks is reported at the schedule's line. */
function scheduleTargets(ctx: ProjectContext, schedules: readonly Schedule[]): Map<string, TargetDef> {
  const targets = new Map<string, TargetDef>([[ctx.def.target.name, ctx.def.target]]);
  const problems: Diagnostic[] = [];
  for (const s of schedules) {
    if (s.target === undefined || targets.has(s.target)) continue;
    try {
      targets.set(s.target, ctx.profileTarget(s.target, `schedule "${s.name}"`));
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      problems.push(...e.diagnostics.map((d) => ({ ...d, file: s.file, line: s.targetLine ?? s.line })));
    }
  }
  if (problems.length > 0) throw new UsageError(problems);
  return targets;
}

/** Each schedule's select/exclude must name nodes of the project: a mistake is reported at the schedule's line. */
function checkSelections(ctx: ProjectContext, schedules: readonly Schedule[]): void {
  const problems: Diagnostic[] = [];
  for (const s of schedules) {
    try {
      select(ctx.manifest, ctx.dag, s.select, s.exclude, `schedule "${s.name}": select`, ctx.selectMethods);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      problems.push(...e.diagnostics.map((d) => ({ ...d, file: s.file, line: s.line, message: d.message.replace(/^--exclude:/, `schedule "${s.name}": exclude:`) })));
    }
  }
  if (problems.length > 0) throw new UsageError(problems);
}

/** Another eider process building the target (its build lock), described for the log. */
function heldBy(target: TargetDef): string | undefined {
  if (databaseKind(target.path) !== 'file') return undefined;
  const h = lockHolder(target.path);
  return h ? `another eider process (PID ${h.pid}, ${h.command}, since ${h.since})` : undefined;
}

/**
 * One scheduled run: `eider build` of the schedule's selection on its target, as a child process with
 * EIDER_SCHEDULE set (the build records it in eider.releases). Its output is passed through the schedule's log.
 */
function launchBuild(s: Schedule, target: string, opts: ScheduleOptions, root: string, log: ScheduleLog): Launched {
  const args = [BIN, 'build', '--project-dir', root, '--target', target, '--log-format', log.format];
  if (opts.profilesDir !== undefined) args.push('--profiles-dir', resolve(opts.profilesDir));
  // The schedule's vars over the command's (`--vars` was read when the project compiled: it is a mapping).
  const vars = s.vars ? { ...parseVars(opts.vars), ...s.vars } : undefined;
  if (vars) args.push('--vars', JSON.stringify(vars));
  else if (opts.vars !== undefined) args.push('--vars', opts.vars);
  if (opts.cache === false) args.push('--no-cache');
  if (s.fullRefresh) args.push('--full-refresh');
  if (s.select.length > 0) args.push('--select', ...s.select);
  if (s.exclude.length > 0) args.push('--exclude', ...s.exclude);
  const child = spawn(process.execPath, args, { env: { ...process.env, NO_COLOR: '1', [SCHEDULE_ENV]: s.name }, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of ['stdout', 'stderr'] as const) createInterface({ input: child[stream] }).on('line', (line) => log.child(s.name, line, stream));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('error', (e) => {
      log.child(s.name, `cannot start eider build: ${e.message}`, 'stderr');
      res({ code: 1, signal: null });
    });
    child.on('close', (code, signal) => res({ code, signal }));
  });
  return { exited, kill: (sig) => void (child.exitCode === null && child.signalCode === null && child.kill(sig)) };
}
