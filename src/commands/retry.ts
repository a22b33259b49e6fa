import { relative } from 'node:path';
import { usageError } from '../errors.js';
import type { PlanMode } from '../plan/plan.js';
import { findProjectRoot, targetFolder } from '../project/load.js';
import { makeReporter, type LogFormat } from '../report/reporter.js';
import type { RunResultsJson } from '../state/load.js';
import { lastRun, RETRIED, type ResultsFolder } from '../state/results.js';
import { buildCommand } from './build.js';
import type { GlobalOptions } from './context.js';

export interface RetryOptions extends GlobalOptions {
  /** The folder with the last run_results.json (default: the project's target/). */
  readonly state?: string;
  readonly junit?: string;
  readonly logFormat?: LogFormat;
}

const MODES: readonly PlanMode[] = ['build', 'run', 'test', 'seed', 'snapshot'];

/** The options of the last run that a retry repeats (`args` in run_results.json). */
interface ArgsJson {
  readonly full_refresh?: boolean;
  readonly event_time_start?: string | null;
  readonly event_time_end?: string | null;
  readonly empty?: boolean;
  readonly fail_on_stale_sources?: boolean;
  readonly vars_given?: boolean;
  readonly defer?: { readonly state: string; readonly defer_target: string | null } | null;
}

/**
 * `retry`: the last run's command again, on its target, on the nodes that errored, failed or were skipped
 * in it (with its --full-refresh, --event-time-*, --empty and --fail-on-stale-sources). When the last run's writes were discarded
 * (a swap build that published nothing), every node of it runs again: none of them reached the target.
 */
export async function retryCommand(opts: RetryOptions): Promise<number> {
  const folder: ResultsFolder = opts.state !== undefined ? { dir: opts.state, given: true } : { dir: relative(process.cwd(), targetFolder(findProjectRoot(opts.projectDir ?? process.cwd()))) || '.', given: false };
  const last = lastRun(folder, 'eider retry');
  const mode = last.command as PlanMode;
  if (!MODES.includes(mode)) throw usageError(`eider retry: the last run was "eider ${last.command}", which retry does not repeat (it repeats ${MODES.join(', ')})`);
  const args = (last.args ?? {}) as ArgsJson;
  if (args.vars_given && opts.vars === undefined) {
    throw usageError(`eider retry: the last eider ${mode} was given --vars, which run_results.json does not keep (they may hold secrets): give them again with --vars`);
  }
  const target = targetName(last);
  const reporter = makeReporter(opts.logFormat);
  const failed = last.results.filter((r) => RETRIED.has(r.status));
  if (failed.length === 0) {
    reporter.line(`The last eider ${mode} (target ${target}) had no errors, failures or skipped nodes: nothing to retry.`);
    reporter.exit(0);
    return 0;
  }
  const nodes = last.release === 'discarded' ? last.results : failed;
  reporter.line(describe(mode, target, failed.length, nodes.length));
  return buildCommand(mode, {
    ...opts,
    target: opts.target ?? target,
    fullRefresh: args.full_refresh === true,
    eventTimeStart: args.event_time_start ?? undefined,
    eventTimeEnd: args.event_time_end ?? undefined,
    empty: args.empty === true,
    failOnStaleSources: args.fail_on_stale_sources === true,
    // A deferred run is retried deferred, reading the same production state (its --state was another folder than
    // the run results retry reads).
    ...(args.defer ? { defer: true, state: args.defer.state, deferTarget: args.defer.defer_target ?? undefined } : { state: undefined }),
    nodes: nodes.map((r) => r.unique_id),
  });
}

/** run_results.json names the target (`"dev"`); a `{name: …}` object is read too. */
function targetName(last: RunResultsJson): string {
  const t = last.target as string | { readonly name?: string } | undefined;
  return typeof t === 'object' ? String(t?.name) : String(t);
}

function describe(mode: PlanMode, target: string, failed: number, again: number): string {
  const what = `${failed} node${failed === 1 ? ' that errored, failed or was' : 's that errored, failed or were'} skipped`;
  if (again === failed) return `Retrying eider ${mode} on target ${target}: the ${what}.\n`;
  return `Retrying eider ${mode} on target ${target}: it published nothing, so all ${again} of its nodes run again (${what}).\n`;
}
