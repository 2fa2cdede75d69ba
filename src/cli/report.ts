/**
 * How the CLI words an error and which exit code it means: one place for `main.ts` (a command that
 * failed) and for `dev` (a redeploy that failed, reported while it keeps watching).
 *
 * Exit codes: 0 ok; 1 failure (server fault, unreachable server, or an invoked function that failed);
 * 2 usage or user error (bad flags, bad input, unknown function, rejected credentials).
 */
import { CommanderError } from 'commander';
import { v3Code } from '../api/protocol/v3/errors.js';
import { ScfError } from '../errors/index.js';
import { RemoteError } from './client.js';
import { remoteHint } from './hints.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export interface ErrorReport {
  /** What to print (without the `scf-local: ` prefix and newline); undefined for commander's own. */
  message: string | undefined;
  exitCode: number;
}

/** The words and the exit code for `err`; `argv` lets a hint name what the user typed. */
export function describeError(err: unknown, argv: readonly string[]): ErrorReport {
  if (err instanceof CommanderError) {
    // Commander has printed its own message. Help and --version "fail" with exitCode 0; everything else
    // commander rejects is a usage error.
    return { message: undefined, exitCode: err.exitCode === 0 ? EXIT_OK : EXIT_USAGE };
  }
  if (err instanceof RemoteError) {
    return {
      message: `${err.message} (${err.remoteCode})${remoteHint(err.remoteCode, argv)}`,
      exitCode: err.isUserError ? EXIT_USAGE : EXIT_FAILURE,
    };
  }
  if (err instanceof ScfError) {
    const plain = err.code === 'InvalidParameter' || err.code === 'ServerUnreachable';
    return {
      message: `${err.message}${plain ? '' : ` (${v3Code(err)})`}`,
      exitCode: err.isUserError ? EXIT_USAGE : EXIT_FAILURE,
    };
  }
  return { message: undefined, exitCode: EXIT_FAILURE };
}
