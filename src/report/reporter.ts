import type { Diagnostic } from '../errors.js';
import type { FreshnessResult } from '../execute/freshness.js';
import type { Node, NodeId, NodeResult } from '../types.js';
import { ConsoleReporter } from './console.js';
import { JsonLogReporter } from './json-log.js';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** What a run is about to do: the header of its output. */
export interface RunStart {
  readonly command: string;
  readonly project: string;
  readonly target: string;
  readonly invocationId: string;
  readonly threads: number;
  /** A swap-published target: the build works in a copy that is published at the end. */
  readonly swap: boolean;
  /** The nodes that will run (sources and ephemeral models never do). */
  readonly nodes: readonly Node[];
  /** Each node's median duration (ms) in the target's run history, for a live progress area's ETA. */
  readonly history?: ReadonlyMap<NodeId, number>;
}

/**
 * Where a command reports what happens: to people (`ConsoleReporter`, text) or to programs (`JsonLogReporter`,
 * one JSON object per line). The only code that prints.
 */
export interface Reporter {
  /** Draws a live progress area while a run executes: give `runStarted` the run history's durations. */
  readonly live: boolean;
  /** A line for people (an event of level info in a JSON log). */
  line(text?: string): void;
  /** A line for people about an error (an event of level error in a JSON log). */
  errorLine(text: string): void;
  warning(message: string): void;
  diagnostics(list: readonly Diagnostic[]): void;
  runStarted(run: RunStart): void;
  nodeStarted(node: Node): void;
  nodeResult(r: NodeResult, node: Node, index: number, total: number): void;
  freshness(results: readonly FreshnessResult[]): void;
  summary(results: readonly NodeResult[], elapsedMs: number): void;
  /** The run is over, however it ended (an exception too): a live progress area is erased and stops. */
  runEnded(): void;
  /** The command's exit code, the last thing it reports. */
  exit(code: number): void;
}

/** The reporter of `--log-format`. */
export function makeReporter(format: LogFormat = 'text'): Reporter {
  return format === 'json' ? new JsonLogReporter() : new ConsoleReporter();
}

/** `--log-format` as written on a command line, for the errors reported before a command has read its options. */
export function logFormatIn(argv: readonly string[]): LogFormat {
  let format: LogFormat = 'text';
  argv.forEach((a, i) => {
    const value = a === '--log-format' ? argv[i + 1] : a.startsWith('--log-format=') ? a.slice('--log-format='.length) : undefined;
    if (value !== undefined) format = value === 'json' ? 'json' : 'text';
  });
  return format;
}
