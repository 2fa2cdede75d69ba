/**
 * The LogStore seam: where invocation records live. One implementation per backend folder
 * (`sqlite/`, `postgres/`), all held to the same conformance suite (`test/conformance/logstore.ts`).
 *
 * Contract:
 * - `open()` applies the backend's versioned migrations; it is called once before anything else.
 * - `write(batch)` applies a batch of operations atomically, in order, in one transaction, and resolves only
 *   once the batch is durable (committed). Batching itself is the RecordWriter's job (`writer.ts`); a
 *   backend just commits what it is given. A failed batch rejects and leaves nothing of it applied;
 *   it is retryable.
 * - Records are keyed by `requestId`. `begin` inserts a running record (retCode 2, invokeFinished 0);
 *   `appendLog` appends text to a record's log; `finish` replaces the record with its final state
 *   (all fields, including the full log). A `finish` with no prior `begin` inserts. A `begin` or `finish`
 *   for an existing requestId replaces it and keeps its `seq`. `appendLog` for an unknown requestId is
 *   ignored (it does not fail the batch).
 * - `recoverInterrupted()` turns every record still running (retCode 2) into interrupted (retCode 3,
 *   invokeFinished 0), keeping its log; called on start-up after a crash. Returns how many it changed.
 * - `query()` is everything GetFunctionLogs offers. Sorting is total: ties on the sort field are broken by
 *   the record's insertion sequence in the same direction, so paging never repeats or skips a record.
 *   Strings (functionName, requestId) sort by Unicode code point (UTF-8 byte order), not by locale.
 *   `total` counts every matching record, not the page.
 * - `prune(before)` deletes every record whose startTime < `before` (retention) and returns how many it
 *   deleted. `before` is always the start of a UTC day (`store/retention.ts` computes it), so a backend may
 *   delete whole days at a time (PostgreSQL drops a day's partition). Totals stay exact; records not
 *   deleted are untouched, and reads and writes go on while it runs.
 * - Rollups (`rollup.ts` states their rules): a record that becomes final is added to its minute's rollup
 *   row, once, and `rollups()` answers with it from the moment the write resolves (PostgreSQL: in the
 *   write's transaction; SQLite: in its indexer's, the read adding the records still queued); a `throttle`
 *   op adds refused invocations to theirs. `prune(before)` deletes the rows of the minutes whose records it
 *   deletes (every row with minute < `before` once it is done), so rollup totals always equal what the
 *   remaining records give. `rollups()` reads rows (and SQLite the short queue), never the records at
 *   large; with `period` it answers the rows summed per period.
 * - `close()` is idempotent; the store owns its connections and closes them.
 */

/** The invocation record, as SCF defines it. Times are epoch milliseconds UTC. */
export interface InvocationRecord {
  requestId: string;
  namespace: string;
  functionName: string;
  /** Function version; `$LATEST` for now. */
  qualifier: string;
  /** Epoch ms (UTC) at which the invocation started. */
  startTime: number;
  /** ms, sub-ms precision: handler start to end on a monotonic clock. */
  duration: number;
  /** ms: duration rounded up to the billing granularity. */
  billDuration: number;
  /** Bytes: peak resident memory of the instance during this invocation. */
  memUsage: number;
  /** 0 success; SCF status code (430, 433, 434, 437, 439, ...) on failure; 2 running; 3 interrupted. */
  retCode: number;
  /** JSON of the return value, or SCF's error JSON. */
  retMsg: string;
  /** 1 finished, 0 running or abnormal. */
  invokeFinished: number;
  retryNum: number;
  /** The log text, SCF-formatted. */
  log: string;
}

/** An invocation record as read back, with its store-assigned insertion sequence. */
export interface StoredRecord extends InvocationRecord {
  /** Monotonically increasing insertion sequence (unique); the tie-break of every sort. */
  seq: number;
}

import type { RollupQuery, RollupRow, StartConcurrency } from './rollup.js';

/** The retCodes (defined once, by the runtime that produces them). */
export { RET_CODE } from '../runtime/results.js';
export type { RollupQuery, RollupRow, StartConcurrency } from './rollup.js';

/**
 * retCode classes accepted by GetFunctionLogs' filter:
 * is0 = 0; not0 = anything else (running and interrupted included);
 * TimeLimitExceeded = 433; ResourceLimitExceeded = 434; UserCodeException = 430.
 */
export const RET_CODE_FILTERS = [
  'is0',
  'not0',
  'TimeLimitExceeded',
  'ResourceLimitExceeded',
  'UserCodeException',
] as const;
export type RetCodeFilter = (typeof RET_CODE_FILTERS)[number];

/** The orders GetFunctionLogs offers (each protocol spells them its own way, from this list). */
export const ORDER_BYS = ['startTime', 'functionName', 'requestId', 'duration', 'memUsage'] as const;
export type OrderBy = (typeof ORDER_BYS)[number];
export type Order = 'asc' | 'desc';

export interface LogQuery {
  namespace?: string;
  functionName?: string;
  qualifier?: string;
  /** Records of any of these qualifiers (an alias's versions); with `qualifier`, both must hold. */
  qualifiers?: readonly string[];
  requestId?: string;
  /** Inclusive lower bound on startTime (epoch ms). */
  startTimeFrom?: number;
  /** Inclusive upper bound on startTime (epoch ms). */
  startTimeTo?: number;
  retCode?: RetCodeFilter;
  /**
   * Full-text search in the log: every whitespace-separated term must occur as a word (token) in the log,
   * case-insensitively; a term ending in `*` matches as a prefix. Quotes make a phrase. Precisely
   * (`keyword.ts`): tokens are runs of letters/digits; a term such as `foo-bar` is the phrase `foo bar`;
   * a term with no letter or digit is ignored. Running records are searched too.
   * What is searched is the log's search text (`search-text.ts`): the user's lines without their
   * `<ISO time>\t<requestId>\t` prefixes, and without the platform lines (START, END, Report, ERROR,
   * the truncation marker). So a keyword never matches a request id or time stamp that only the platform
   * wrote; use `requestId` and the time range for those.
   */
  keyword?: string;
  orderBy: OrderBy;
  order: Order;
  offset: number;
  limit: number;
  /**
   * A byte budget for the page's two long texts (`log` and `retMsg`, UTF-8 bytes): a store that offers
   * `pageBudget` returns the page's first records whose texts together take at most this much (at least
   * one record), so a page of large logs is not read whole only to be cut (the response budget, counted
   * in JSON, cannot hold more); `total` is unchanged. Others return the whole page.
   */
  maxBytes?: number;
}

export interface LogPage {
  total: number;
  items: StoredRecord[];
}

/** Running record as inserted at start. */
export type BeginRecord = Omit<InvocationRecord, 'duration' | 'billDuration' | 'memUsage' | 'retMsg'> &
  Partial<Pick<InvocationRecord, 'duration' | 'billDuration' | 'memUsage' | 'retMsg'>>;

/** Invocations of one function version refused for concurrency (they have no record), at `time`. */
export interface ThrottleCount {
  namespace: string;
  functionName: string;
  qualifier: string;
  /** Epoch ms of the (last) refusal. */
  time: number;
  n: number;
}

export type WriteOp =
  | { op: 'begin'; record: BeginRecord }
  | { op: 'appendLog'; requestId: string; text: string }
  /** `concurrency`: what the invocation's start saw running (for the rollups' ConcurrentExecutions). */
  | { op: 'finish'; record: InvocationRecord; concurrency?: StartConcurrency }
  | { op: 'throttle'; throttle: ThrottleCount };

export interface LogStore {
  /** True when `query` honours `LogQuery.maxBytes` (SQLite); callers otherwise read a page in slices. */
  readonly pageBudget?: boolean;
  open(): Promise<void>;
  write(batch: readonly WriteOp[]): Promise<void>;
  recoverInterrupted(): Promise<number>;
  query(q: LogQuery): Promise<LogPage>;
  get(requestId: string): Promise<StoredRecord | undefined>;
  prune(before: number): Promise<number>;
  /** The rollup rows of one function in a time range (`rollup.ts`), in (qualifier, minute) order. */
  rollups(q: RollupQuery): Promise<RollupRow[]>;
  close(): Promise<void>;
}
