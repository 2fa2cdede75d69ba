/**
 * The one home of what an invocation's result says: retCodes, SCF's error JSON, the messages of each ending
 * the platform decides, the final log around the user's lines (SCF's START/ERROR/END/Report lines), and the
 * assembly of a `RunResult`, for an invocation that ran in a process and for one that never got one.
 *
 * It imports nothing at run time (types only): the child bootstrap loads it inside the sandbox for the
 * retCodes it reports, so it is one of the files `runtime.ts` copies there.
 */
import type { RunRequest, RunResult } from './types.js';

/** retCodes of invocation records (SCF's status codes, plus scf-local's running/interrupted). */
export const RET_CODE = {
  SUCCESS: 0,
  RUNNING: 2,
  INTERRUPTED: 3,
  /** The function's result is larger than SCF's 6 MB response limit. */
  RESPONSE_TOO_LARGE: 407,
  USER_CODE_EXCEPTION: 430,
  TIMEOUT: 433,
  MEMORY_LIMIT: 434,
  HANDLER_NOT_FOUND: 437,
  PROCESS_EXITED: 439,
} as const;

/** The retCodes a function's own process reports (in a `done` frame); every other one is the platform's. */
export type ChildRetCode = typeof RET_CODE.USER_CODE_EXCEPTION | typeof RET_CODE.HANDLER_NOT_FOUND;

/** SCF's cap on a synchronous invocation's result: 6 MB (retCode 407 beyond it). */
export const MAX_RESULT_BYTES = 6 * 1024 * 1024;

/** SCF's error JSON (`retMsg` of a failed invocation), keys in SCF's order. */
export function errorJson(
  message: string,
  requestId: string,
  statusCode: number,
  stackTrace?: string,
): string {
  return JSON.stringify({
    errorCode: -1,
    errorMessage: message,
    requestId,
    ...(stackTrace === undefined ? {} : { stackTrace }),
    statusCode,
  });
}

/** Why the platform ended an invocation. */
export type Ending =
  | { kind: 'timeout' }
  | { kind: 'memory' }
  | { kind: 'interrupt' }
  | { kind: 'terminated' }
  | { kind: 'exit'; how: string }
  | { kind: 'protocol'; why: string }
  | { kind: 'start'; why: string }
  | { kind: 'too-large'; bytes: number };

/** retCode and message (SCF's wording where SCF has one) of an ending. */
export function describeEnding(
  ending: Ending,
  fn: { timeout: number; memorySize: number },
): { retCode: number; message: string } {
  switch (ending.kind) {
    case 'timeout':
      return { retCode: RET_CODE.TIMEOUT, message: `Invoking task timed out after ${fn.timeout} seconds` };
    case 'memory':
      return { retCode: RET_CODE.MEMORY_LIMIT, message: `Task memory exceeded ${fn.memorySize} MB` };
    case 'interrupt':
      return { retCode: RET_CODE.INTERRUPTED, message: 'Invocation interrupted: scf-local is shutting down' };
    case 'terminated':
      return { retCode: RET_CODE.INTERRUPTED, message: 'Invocation terminated: TerminateAsyncEvent' };
    case 'protocol':
      return {
        retCode: RET_CODE.PROCESS_EXITED,
        message: `User process exit when running (instance protocol violated: ${ending.why})`,
      };
    case 'start':
      return {
        retCode: RET_CODE.PROCESS_EXITED,
        message: `User process exit when running (the instance failed to start: ${ending.why})`,
      };
    case 'too-large':
      return {
        retCode: RET_CODE.RESPONSE_TOO_LARGE,
        message: `The size of response exceeds the upper limit (6MB): ${ending.bytes} bytes`,
      };
    case 'exit':
      return { retCode: RET_CODE.PROCESS_EXITED, message: `User process exit when running (${ending.how})` };
  }
}

// ---------------------------------------------------------------------------------------------------
// The final log

export type LogFormat = 'scf' | 'legacy';

export interface FinalLogParts {
  format: LogFormat;
  requestId: string;
  user: string;
  dropped: number;
  maxLogBytes: number;
  /** Platform error text (e.g. `Invoking task timed out after 3 seconds`), printed as an ERROR line. */
  platformError?: string | undefined;
  duration: number;
  memorySize: number;
  memUsage: number;
  /**
   * What actually ran the function, when it is not what its runtime name says (`Node.js v20.20.2` for a
   * `Nodejs16.13` function): said on the START line, so no record claims a version that did not run.
   */
  ranOn?: string | undefined;
}

/** The marker that ends a capped log. */
export const truncationMarker = (dropped: number, maxLogBytes: number): string =>
  `[scf-local] log truncated: ${dropped} bytes dropped (limit ${maxLogBytes} bytes)\n`;

/**
 * The whole log as SCF writes it (`scf`), or only the user lines (`legacy`, the 2017 format, where the
 * platform error shows only in retMsg/errMsg):
 * START, user lines, [marker], [ERROR line], END, Report.
 */
export function buildFinalLog(p: FinalLogParts): string {
  const marker = p.dropped > 0 ? truncationMarker(p.dropped, p.maxLogBytes) : '';
  if (p.format === 'legacy') {
    return p.user + marker;
  }
  const id = p.requestId;
  const mb = (p.memUsage / 1048576).toFixed(6);
  return (
    `START RequestId: ${id}${p.ranOn ? ` Runtime: ${p.ranOn}` : ''}\n` +
    p.user +
    marker +
    (p.platformError ? `ERROR RequestId: ${id} Result: ${p.platformError}\n` : '') +
    `END RequestId: ${id}\n` +
    `Report RequestId: ${id} Duration:${Math.round(p.duration)}ms Memory:${p.memorySize}MB MemUsage:${mb}MB\n`
  );
}

// ---------------------------------------------------------------------------------------------------
// Assembling a result

export interface LogSettings {
  maxLogBytes: number;
  logFormat: LogFormat;
  /** What runs functions of a runtime name, when it is not that name's version (see `FinalLogParts`). */
  ranOn?: ((runtime: string) => string | undefined) | undefined;
}

/** What the function itself produced (a `done` frame), as far as the parent accepts it. */
export interface Outcome {
  /** JSON text of the result, or SCF's error JSON. */
  retMsg: string;
  retCode: number;
  errMsg: string;
}

/** Figures and log of one invocation, as measured and collected on the host's side. */
export interface RunFigures {
  startTime: number;
  coldStart: boolean;
  /** ms. */
  duration: number;
  /** Bytes. */
  memUsage: number;
  /** ms. */
  cpuTime: number;
  /** The user log text (already capped). */
  user: string;
  /** Log bytes dropped by the cap, on both sides of the pipe. */
  dropped: number;
}

/** The result of what the function produced. */
export function outcomeResult(
  req: RunRequest,
  parts: { run: RunFigures; outcome: Outcome; log: LogSettings },
): RunResult {
  return assemble(req, parts.run, { ...parts.outcome, platformError: undefined }, parts.log);
}

/**
 * The result of an invocation the platform ended (`ending`): its retCode, SCF's error JSON, and the same
 * message as the log's ERROR line. The one place such a result (an interrupted one among them) is built.
 */
export function endedResult(
  req: RunRequest,
  parts: { run: RunFigures; ending: Ending; log: LogSettings },
): RunResult {
  const { retCode, message } = describeEnding(parts.ending, req.fn);
  const outcome = { retCode, retMsg: errorJson(message, req.requestId, retCode), errMsg: message };
  return assemble(req, parts.run, { ...outcome, platformError: message }, parts.log);
}

/**
 * The result of an invocation that ended without running in a process (it could not start, or the runtime
 * closed while it waited for one): no user log, the platform's error line, memUsage 0.
 */
export function processlessResult(
  req: RunRequest,
  startTime: number,
  ending: Ending,
  log: LogSettings,
): RunResult {
  const duration = Math.max(0, Date.now() - startTime);
  const run = { startTime, coldStart: true, duration, memUsage: 0, cpuTime: 0, user: '', dropped: 0 };
  return endedResult(req, { run, ending, log });
}

function assemble(
  req: RunRequest,
  run: RunFigures,
  outcome: Outcome & { platformError: string | undefined },
  log: LogSettings,
): RunResult {
  return {
    startTime: run.startTime,
    duration: run.duration,
    memUsage: run.memUsage,
    cpuTime: run.cpuTime,
    retCode: outcome.retCode,
    retMsg: outcome.retMsg,
    errMsg: outcome.errMsg,
    log: buildFinalLog({
      format: log.logFormat,
      requestId: req.requestId,
      user: run.user,
      dropped: run.dropped,
      maxLogBytes: log.maxLogBytes,
      platformError: outcome.platformError,
      duration: run.duration,
      memorySize: req.fn.memorySize,
      memUsage: run.memUsage,
      ranOn: log.ranOn?.(req.fn.runtime),
    }),
    coldStart: run.coldStart,
  };
}
