import { CommanderError } from 'commander';
import { OpenError, UsageError } from '../errors.js';
import { LockedError } from '../publish/lock.js';
import { logFormatIn, makeReporter, type Reporter } from '../report/reporter.js';
import { buildProgram } from './program.js';

/**
 * The one try/catch: user mistakes exit 2 with `file:line: message`; a failed node exits 1;
 * anything unexpected exits 1 with its message (and a stack trace only with --debug).
 */
export async function main(argv: readonly string[]): Promise<number> {
  let code = 0;
  const program = buildProgram((c) => (code = c));
  const reporter = makeReporter(logFormatIn(argv));
  try {
    await program.parseAsync(argv as string[]);
    return code;
  } catch (e) {
    const failed = failure(e, argv, reporter);
    // A JSON log ends with run_finished even when the command stopped on a mistake.
    if (!(e instanceof CommanderError)) reporter.exit(failed);
    return failed;
  }
}

/** Reports what ended a command and returns its exit code (`eider watch` reports a failed build this way and goes on). */
export function failure(e: unknown, argv: readonly string[], reporter: Reporter): number {
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
