/**
 * The server's one logger: pino (the logger Fastify is built for), JSON lines on stderr, so stdout stays the
 * CLI's. The composition root makes it once from `log.level` and hands it to the HTTP server (as Fastify's
 * own logger) and, as fault reports, to every part that has faults nobody awaits: the store's indexer, the
 * record writer, the invoker's async invocations, the protocols' InternalError answers. Those parts take a
 * plain callback, not a logger, so none of them depends on how faults are written.
 *
 * What is logged: faults, at `error`, with the error (`err`, its stack and cause) and a request id where
 * there is one. Requests themselves are never logged (it costs throughput; the invocation records are the
 * per-request account).
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import type { Config } from '../config/index.js';

export type { DestinationStream, Logger };

/**
 * A logger at `options.level` writing to `destination`: by default stderr, written synchronously so a line
 * logged just before the process exits is not lost (only faults are logged, so a blocking write is cheap).
 */
export function createLogger(options: Config['log'], destination?: DestinationStream): Logger {
  return pino({ level: options.level }, destination ?? pino.destination({ fd: 2, sync: true }));
}

/** A fault report: the error, and fields that say what it concerns (e.g. `requestId`). */
export type FaultReport = (err: unknown, fields?: Record<string, unknown>) => void;

/** A fault report that logs `message` at `error` with the error and the given fields. */
export function reportTo(logger: Logger, message: string): FaultReport {
  return (err, fields) => logger.error({ ...fields, err }, message);
}

/**
 * The fault report of a part built without one (a test, a bench, a part used on its own): `error` lines on
 * stderr, from a logger made at the first fault. A platform always passes reports on its one logger.
 */
export function stderrReport(message: string): FaultReport {
  let logger: Logger | undefined;
  return (err, fields) => {
    logger ??= createLogger({ level: 'error' });
    logger.error({ ...fields, err }, message);
  };
}
