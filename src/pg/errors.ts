/**
 * PostgreSQL failures as coded errors. A failure to reach the database (refused, reset, timed out, the
 * server shutting down or restarting) is `StoreUnavailable`: retryable, and what the API answers while the
 * database is away. Anything else is an `InternalError` carrying the server's message as its cause.
 */
import { ScfError } from '../errors/index.js';

/** SQLSTATE classes and Node socket errors that mean "the database cannot be reached right now". */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]|53300)/;
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);

/** True when `err` says the database is unreachable (a retry may succeed once it is back). */
export function isUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code)))
    return true;
  // node-postgres' own wording for a connection that ended or a checkout that timed out.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection terminated unexpectedly/i.test(
    err.message,
  );
}

/** Any failure of a PostgreSQL call as a ScfError (a ScfError passes through). */
export function pgError(err: unknown, what: string): ScfError {
  if (err instanceof ScfError) return err;
  if (isUnavailable(err)) {
    return new ScfError('StoreUnavailable', `the database is unavailable (${what}); retry later`, {
      cause: err,
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ScfError('InternalError', `${what}: ${message}`, { cause: err });
}
