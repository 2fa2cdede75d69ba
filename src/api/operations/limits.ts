/**
 * SCF's rules and limits for the operations, each defined once. Protocols read them from here (to declare
 * their parameter ranges and word their errors) and never restate them. The function definition's own
 * limits (memory, timeout, names, code size) are the registry's: `functions/validate.ts`, `functions/code.ts`.
 */
import { DEFAULT_ALIAS, LATEST } from '../../functions/types.js';

/** GetFunctionLogs: Offset + Limit must not exceed 10000. */
export const MAX_OFFSET_PLUS_LIMIT = 10_000;
/** GetFunctionLogs: records per page when Limit is absent. */
export const DEFAULT_LOG_LIMIT = 20;
/** API 3.0's GetFunctionLogs: StartTime and EndTime at most one day apart. */
export const MAX_LOG_WINDOW_MS = 24 * 3600_000;
/** GetRequestStatus: the window when no StartTime is given is the 15 minutes before EndTime (or now). */
export const REQUEST_STATUS_WINDOW_MS = 15 * 60_000;
/** GetRequestStatus: records returned at most. */
export const REQUEST_STATUS_MAX_ITEMS = 100;
/** ListFunctions: at most 10 Filters, each of at most 20 values (one for the single-value names). */
export const MAX_LIST_FILTERS = 10;
export const MAX_FILTER_VALUES = 20;

/** ListNamespaces: namespaces per page when Limit is absent. */
export const DEFAULT_NAMESPACE_LIMIT = 20;

/** Invoke with LogType Tail: the last 4 KB of the log. */
export const TAIL_BYTES = 4096;
/** A synchronous invocation's event is at most 6 MB, an asynchronous one's 128 KB (SCF status 406 beyond). */
export const MAX_SYNC_EVENT_BYTES = 6 * 1024 * 1024;
export const MAX_ASYNC_EVENT_BYTES = 128 * 1024;

/** `$LATEST`, and `$DEFAULT`: the alias every function has (defined with the function definition). */
export { DEFAULT_ALIAS, LATEST };
