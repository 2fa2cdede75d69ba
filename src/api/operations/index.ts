/**
 * The operations, one function each, shared by every protocol. An action takes a typed input and returns
 * a typed output; it never sees HTTP or a wire spelling, and throws only ScfError.
 */

export * from './async.js';
export * from './concurrency.js';
export * from './functions.js';
export { invoke, tailLog } from './invoke.js';
export * from './limits.js';
export { getFunctionLogs, getRequestStatus } from './logs.js';
export {
  type GetMonitorDataInput,
  type GetMonitorDataOutput,
  getMonitorData,
  MONITOR_METRIC_NAMES,
  type MonitorInstance,
} from './monitor.js';
export * from './triggers.js';
export type * from './types.js';
export * from './versions.js';
