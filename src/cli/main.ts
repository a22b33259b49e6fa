import { CommanderError } from 'commander';
import { UsageError } from '../errors.js';
import { OpenError } from '../publish/in-place.js';
import { LockedError } from '../publish/lock.js';
import { ConsoleReporter } from '../report/console.js';
import { buildProgram } from './program.js';

/**
 * The one try/catch: user mistakes exit 2 with `file:line: message`; a failed node exits 1;
 * anything unexpected exits 1 with its message (and a stack trace only with --debug).
 */
export async function main(argv: readonly string[]): Promise<number> {
  ignoreClosedOutput();
  const signals = catchSignals();
  let code = 0;
  const program = buildProgram((c) => (code = c));
  const reporter = new ConsoleReporter();
  try {
    await program.parseAsync(argv as string[]);
    return code;
  } catch (e) {
    return failure(e, argv, reporter);
  } finally {
    signals.finished = true;
  }
}

/**
 * SIGINT/SIGTERM stay caught for the whole life of the process, so a signal never meets the default action in
 * a gap between handlers. While a command runs, a signal no command handles ends the process as the default
 * would (130/143); `build` handles its own (stops, publishes nothing). Once the command has finished, a signal
 * ends the process with the command's own exit code (bin/eider.js sets it before any signal is handled), not
 * 130/143 for work that was done.
 */
function catchSignals(): { finished: boolean } {
  const state = { finished: false };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      if (state.finished) process.exit();
      if (process.listenerCount(sig) === 1) process.exit(sig === 'SIGINT' ? 130 : 143);
    };
    process.on(sig, onSignal);
  }
  return state;
}

function failure(e: unknown, argv: readonly string[], reporter: ConsoleReporter): number {
  if (e instanceof CommanderError) {
    // commander has printed its own message (or help / version, which exit 0).
    return e.exitCode === 0 || e.code === 'commander.helpDisplayed' || e.code === 'commander.version' ? 0 : 2;
  }
  if (e instanceof UsageError) {
    reporter.diagnostics(e.diagnostics);
    return 2;
  }
  if (e instanceof OpenError || e instanceof LockedError) {
    reporter.errorLine(`error: ${e.message}`);
    return 1;
  }
  const debug = argv.includes('--debug');
  reporter.errorLine(`error: ${(e as Error)?.message ?? String(e)}`);
  if (debug && e instanceof Error && e.stack) reporter.errorLine(e.stack);
  return 1;
}

/**
 * A reader that closed our output (`eider ls | head -1`) is no error: what is left to print is dropped and the
 * command finishes as it would have (a build still publishes or discards cleanly, releasing its lock).
 */
function ignoreClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    });
  }
}
