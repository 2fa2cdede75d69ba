/**
 * The operations, one function each, shared by every protocol. An action takes a typed input and returns
 * a typed output; it never sees HTTP or a wire spelling, and throws only ScfError.
 */
export * from './functions.js';
export { invoke, TAIL_BYTES, tailLog } from './invoke.js';
export { DEFAULT_LIMIT, getFunctionLogs, getRequestStatus, MAX_OFFSET_PLUS_LIMIT } from './logs.js';
export type * from './types.js';
