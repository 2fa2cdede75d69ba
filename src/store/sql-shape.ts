/**
 * What the SQL backends share about records, whatever their dialect: the columns each order sorts by,
 * the condition of each retCode class, and a begin record filled to a full running record.
 */
import {
  type BeginRecord,
  type InvocationRecord,
  type OrderBy,
  RET_CODE,
  type RetCodeFilter,
} from './types.js';

/** The column each GetFunctionLogs order sorts by (both backends name their columns alike). */
export const SORT_COLUMN: Readonly<Record<OrderBy, string>> = {
  startTime: 'start_time',
  functionName: 'function_name',
  requestId: 'request_id',
  duration: 'duration',
  memUsage: 'mem_usage',
};

/** Each retCode class as a condition on `ret_code`. */
export const RET_CODE_CONDITION: Readonly<Record<RetCodeFilter, string>> = {
  is0: `ret_code = ${RET_CODE.SUCCESS}`,
  not0: `ret_code <> ${RET_CODE.SUCCESS}`,
  TimeLimitExceeded: `ret_code = ${RET_CODE.TIMEOUT}`,
  ResourceLimitExceeded: `ret_code = ${RET_CODE.MEMORY_LIMIT}`,
  UserCodeException: `ret_code = ${RET_CODE.USER_CODE_EXCEPTION}`,
};

/** A begin record filled to a full running record (what `begin` stores). */
export function runningRecord(r: BeginRecord): InvocationRecord {
  return {
    ...r,
    duration: r.duration ?? 0,
    billDuration: r.billDuration ?? 0,
    memUsage: r.memUsage ?? 0,
    retMsg: r.retMsg ?? '',
    retCode: RET_CODE.RUNNING,
    invokeFinished: 0,
  };
}
