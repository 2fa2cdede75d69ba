/**
 * What the CLI does when the reader of its output goes away (`scf-local logs f | head -2`,
 * `scf-local --help | head -5`). Node ignores SIGPIPE and reports the closed pipe as an EPIPE 'error'
 * event on the stream, which, unhandled, is thrown with a stack trace and exit status 1.
 *
 * A client command ends at once, quietly, as SIGPIPE ends `git log | head`: nothing more can be shown, so
 * there is nothing left to do (a `logs --follow` would otherwise follow forever into the void). The exit
 * status is the one so far: 0, unless a failure was already recorded. `serve` keeps serving instead: its
 * banner is all it writes to stdout, and a server must not stop because nobody reads it.
 */

const EXIT_OK = 0;

function endQuietly(err: NodeJS.ErrnoException): void {
  if (err.code !== 'EPIPE') throw err;
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK);
}

/** Installs the client commands' behaviour on the process's stdout and stderr. */
export function endWhenOutputCloses(streams: readonly NodeJS.WriteStream[]): void {
  for (const stream of streams) stream.on('error', endQuietly);
}

/** For `serve`: a closed stream is ignored (what would have been written is dropped). */
export function ignoreClosedOutput(stream: NodeJS.WriteStream): void {
  stream.off('error', endQuietly);
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    // Nobody reads this stream any more: dropping what the server writes to it loses nothing it needs.
  });
}
