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
