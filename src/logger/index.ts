/**
 * The server's one logger: pino (the logger Fastify is built for), on stderr, so stdout stays the CLI's:
 * JSON lines, or readable lines (pino-pretty) when stderr is a terminal. The composition root makes it once
 * from `log.level` and hands it to the HTTP server (as Fastify's own logger) and, as fault reports, to every
 * part that has faults nobody awaits: the store's indexer, the record writer, the invoker's async
 * invocations, the protocols' InternalError answers. Those parts take a plain callback, not a logger, so
 * none of them depends on how faults are written.
 *
 * What is logged: at `info`, one line per API request when its answer is sent (`api/http.ts`, `logRequest`)
 * and one per invocation when its final record is durable (`invocations/log.ts`); faults at `error`, with
 * the error (`err`, its stack and cause) and a request id where there is one.
 */
import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import type { Config } from '../config/index.js';

export type { DestinationStream, Logger };

/**
 * Fields of the request and invocation lines that their message already says: a terminal shows the
 * message alone (`requestId`, `functionRequestId` and any other field still follow it).
 */
const SAID_IN_MESSAGE = [
  'pid',
  'hostname',
  'reqId',
  'method',
  'protocol',
  'path',
  'action',
  'functionName',
  'namespace',
  'status',
  'code',
  'v2Code',
  'durationMs',
  'retCode',
  'memUsage',
].join(',');

/**
 * A destination that writes readable lines (`12:00:01.234 INFO: POST 3.0 Invoke hello -> 200 in 3.1 ms`)
 * to `fd` (default stderr), synchronously. Colour follows pino-pretty's own rule (none with NO_COLOR).
 */
export function prettyDestination(fd = 2): DestinationStream {
  return pretty({
    destination: fd,
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    ignore: SAID_IN_MESSAGE,
  });
}

/**
 * A logger at `options.level` writing to `destination`. By default stderr: readable lines when it is a
 * terminal, JSON lines otherwise; written synchronously, so a line logged just before the process exits is
 * not lost (a line is a few microseconds of a write(2); `bench/api-invoke.ts` measures what it costs).
 */
export function createLogger(options: Config['log'], destination?: DestinationStream): Logger {
  const out =
    destination ?? (process.stderr.isTTY ? prettyDestination(2) : pino.destination({ fd: 2, sync: true }));
  return pino({ level: options.level }, out);
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
