/**
 * What the `eider` command sets up on its own process (bin/eider.js), and a library user's process never gets.
 *
 * A reader that closed our output (`eider ls | head -1`) is no error: what is left to print is dropped and the
 * command finishes as it would have (a build still publishes or discards cleanly, releasing its lock).
 *
 * SIGINT/SIGTERM stay caught for the whole life of the process, so a signal never meets the default action in a
 * gap between handlers. A signal that no command handles ends the process as the default would (130/143);
 * `build` handles its own (it stops, publishes nothing, or finishes a publish already decided).
 */
export function guardProcess(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
    });
  }
  for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.on(sig, () => {
      if (process.listenerCount(sig) === 1) process.exit(code);
    });
  }
}

/**
 * Exits with the command's code once stdout and stderr hold nothing unwritten. Output a pipe's reader has not taken
 * yet (past the pipe's 64 KiB: `eider status --format json | jq`, `eider ls -o json > …` through a slow consumer) waits
 * in the stream, and exiting at once would cut it. A signal meanwhile ends the process with the same code: the
 * command has finished, only its output is still on its way.
 */
export async function exitWhenWritten(code: number): Promise<never> {
  const exit = () => process.exit(code);
  process.on('SIGINT', exit);
  process.on('SIGTERM', exit);
  // A write's callback runs once it and everything before it is written (or the reader is gone).
  await Promise.all([process.stdout, process.stderr].map((s) => (s.destroyed || s.writableLength === 0 ? undefined : new Promise<void>((res) => s.write('', () => res())))));
  return process.exit(code);
}
