import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { didYouMean, usageError } from '../errors.js';
import type { Manifest, NodeId, NodeStatus } from '../types.js';
import { loadRunResults, type RunResultsJson } from './load.js';

/** Where `result:` selectors and `eider retry` read the last run_results.json: `--state DIR`, or the project's target/. */
export interface ResultsFolder {
  readonly dir: string;
  /** `--state DIR` was given; otherwise `dir` is the project's target/. */
  readonly given: boolean;
}

/** The last run's results; `what` (a selector, `eider retry`) names what needs them when there are none. */
export function lastRun(folder: ResultsFolder, what: string): RunResultsJson {
  const path = join(folder.dir, 'run_results.json');
  if (!folder.given && !existsSync(path)) throw usageError(`${what} needs the results of an earlier run and there is no ${path}: run eider build (or run, test, seed, snapshot) first, or give --state DIR`);
  return loadRunResults(folder.dir, '--state');
}

const STATUSES: readonly NodeStatus[] = ['success', 'pass', 'error', 'fail', 'warn', 'skipped'];

/** What `eider retry` runs again: nodes that errored or were skipped, tests that failed or errored. */
export const RETRIED: ReadonlySet<string> = new Set(['error', 'fail', 'skipped']);

/** `result:<status>`: the nodes of this project whose status in the last run was `status`. */
export function nodesWithResult(manifest: Manifest, status: string, folder: ResultsFolder | undefined, flag: string): NodeId[] {
  if (!(STATUSES as readonly string[]).includes(status)) {
    throw usageError(`${flag}: unknown result status "${status}": one of ${STATUSES.join(', ')}${didYouMean(status, STATUSES)}`);
  }
  if (!folder) throw usageError(`${flag}: result:${status} needs the results of an earlier run (--state DIR)`);
  return nodesIn(manifest, lastRun(folder, `${flag} result:${status}`), new Set([status]));
}

/** The nodes of the last run whose status is one of `statuses` and that the project still has, in the run's order. */
export function nodesIn(manifest: Manifest, results: RunResultsJson, statuses: ReadonlySet<string>): NodeId[] {
  return results.results.filter((r) => statuses.has(r.status) && r.unique_id in manifest.nodes).map((r) => r.unique_id);
}
