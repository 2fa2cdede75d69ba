/**
 * The one home of what an invocation's result says when the platform, not the function, ends it: retCodes,
 * SCF's error JSON, the messages of each ending, and the result of an invocation that never got a process.
 */
import { buildFinalLog, type LogFormat } from './log.js';
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

export interface LogSettings {
  maxLogBytes: number;
  logFormat: LogFormat;
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
  const { retCode, message } = describeEnding(ending, req.fn);
  const duration = Math.max(0, Date.now() - startTime);
  return {
    startTime,
    duration,
    memUsage: 0,
    cpuTime: 0,
    retCode,
    retMsg: errorJson(message, req.requestId, retCode),
    errMsg: message,
    log: buildFinalLog({
      format: log.logFormat,
      requestId: req.requestId,
      user: '',
      dropped: 0,
      maxLogBytes: log.maxLogBytes,
      platformError: message,
      duration,
      memorySize: req.fn.memorySize,
      memUsage: 0,
    }),
    coldStart: true,
  };
}
