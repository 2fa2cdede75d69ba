/**
 * Per-minute rollups of invocation records: the backend-neutral part (what a record adds to its minute's
 * row, the duration histogram's buckets, and merging rows), shared by every store backend so both hold
 * to one rule. The rows are what Cloud Monitor's `GetMonitorData` reads (`docs/monitoring.md`); they are
 * kept by the store in the same transaction as the records they count, never computed from the records
 * at read time.
 *
 * Rules (the contract, also on `LogStore.rollups` in `types.ts`):
 * - A record is counted once, in the minute (UTC, epoch ms floored to 60,000) of its `startTime`, when it
 *   is first written final (retCode other than 2): a running record is not counted, and a record written
 *   running then final is counted when the final state lands. A final record written again (which normal
 *   operation never does) is not counted again and does not change the row.
 * - retCode kinds: 0 success; 430 and 407 the function's error (Http4xx); 433 timeout (Http433); 434 memory
 *   (Http434); every other final retCode (437 handler not found, 439 process exit, 3 interrupted, ...) a
 *   platform error (Syserr).
 * - Throttled invocations never have records; the invoker counts them (`throttle` write op) into the same
 *   row, in the minute they were refused.
 * - Concurrency is what the invoker saw when the invocation started (running invocations on that node,
 *   this one included), for its version and for the whole function; a row keeps the maximum.
 */

export const MINUTE_MS = 60_000;

/** The minute (epoch ms UTC) an instant falls in. */
export const minuteOf = (t: number): number => Math.floor(t / MINUTE_MS) * MINUTE_MS;

/**
 * Duration histogram buckets: logarithmic, 8 per doubling. Bucket `i` (i >= -80) holds durations d with
 * 2^(i/8) <= d < 2^((i+1)/8) ms; bucket `ZERO_BUCKET` holds d < 2^-10 ms (under a microsecond). A bucket's
 * value is its geometric middle 2^((i+0.5)/8), within a factor 2^(1/16) (4.43 %) of every duration in it.
 */
export const BUCKETS_PER_DOUBLING = 8;
export const ZERO_BUCKET = -81;
const LOWEST = -80;
/** Relative error bound of a percentile read from the histogram (`docs/monitoring.md`). */
export const PERCENTILE_RELATIVE_ERROR = 2 ** (1 / (2 * BUCKETS_PER_DOUBLING)) - 1;

export function bucketOf(durationMs: number): number {
  if (!(durationMs >= 2 ** (LOWEST / BUCKETS_PER_DOUBLING))) return ZERO_BUCKET;
  return Math.floor(Math.log2(durationMs) * BUCKETS_PER_DOUBLING);
}

export function bucketValue(bucket: number): number {
  if (bucket === ZERO_BUCKET) return 0;
  return 2 ** ((bucket + 0.5) / BUCKETS_PER_DOUBLING);
}

/** A sparse histogram: bucket -> number of records. */
export type Histogram = Record<string, number>;

export function mergeHistogram(into: Histogram, from: Readonly<Histogram>): Histogram {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
  return into;
}

/**
 * The nearest-rank percentile (p in (0, 100]) of the durations a histogram counts: the bucket value of
 * the ceil(p/100 * n)-th smallest, capped by `max` (the largest duration, exact). Undefined when empty.
 */
export function percentile(hist: Readonly<Histogram>, p: number, max?: number): number | undefined {
  const buckets = Object.entries(hist)
    .map(([k, n]) => [Number(k), n] as const)
    .filter(([, n]) => n > 0)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [b, n] of buckets) {
    seen += n;
    if (seen >= rank) {
      const v = bucketValue(b);
      return max !== undefined && v > max ? max : v;
    }
  }
  return undefined;
}

/** The key of a rollup row. */
export interface RollupKey {
  namespace: string;
  functionName: string;
  /** The version that ran (the record's `qualifier`). */
  qualifier: string;
  /** Start of the minute, epoch ms UTC. */
  minute: number;
}

/** One rollup row: exact figures of one version of one function in one minute. */
export interface RollupRow extends RollupKey {
  /** Final records (throttled invocations excluded). */
  invocations: number;
  /** retCode 0. */
  success: number;
  /** retCode 430, 407: the function's own error. */
  functionErrors: number;
  /** retCode 433. */
  timeouts: number;
  /** retCode 434. */
  memoryErrors: number;
  /** Every other final retCode (437, 439, 3 interrupted, ...). */
  platformErrors: number;
  /** Invocations refused for concurrency (no record). */
  throttles: number;
  /** Sum of durations, ms. */
  durationSum: number;
  /** Largest duration, ms (0 without records). */
  durationMax: number;
  /** Largest memUsage, bytes. */
  memMax: number;
  /** Sum of memUsage (MB) × duration (ms). */
  memDuration: number;
  /** Most invocations of this version running at once on one node, seen at an invocation's start. */
  concurrencyMax: number;
  /** The same for the whole function (all versions), seen at the start of one of this version's. */
  functionConcurrencyMax: number;
  histogram: Histogram;
}

/** What an invocation's start saw running (this invocation included), passed with its final write. */
export interface StartConcurrency {
  qualifier: number;
  function: number;
}

export function emptyRow(key: RollupKey): RollupRow {
  // Every field written out (no spread): one object shape for every row.
  return {
    namespace: key.namespace,
    functionName: key.functionName,
    qualifier: key.qualifier,
    minute: key.minute,
    invocations: 0,
    success: 0,
    functionErrors: 0,
    timeouts: 0,
    memoryErrors: 0,
    platformErrors: 0,
    throttles: 0,
    durationSum: 0,
    durationMax: 0,
    memMax: 0,
    memDuration: 0,
    concurrencyMax: 0,
    functionConcurrencyMax: 0,
    histogram: {},
  };
}

export type RetCodeKind = 'success' | 'functionErrors' | 'timeouts' | 'memoryErrors' | 'platformErrors';

/** The kind a final retCode counts as (see the module header). */
export function retCodeKind(retCode: number): RetCodeKind {
  switch (retCode) {
    case 0:
      return 'success';
    case 430:
    case 407:
      return 'functionErrors';
    case 433:
      return 'timeouts';
    case 434:
      return 'memoryErrors';
    default:
      return 'platformErrors';
  }
}

const BYTES_PER_MB = 1024 * 1024;

/** What a final record adds to its row. */
export interface FinalFigures {
  namespace: string;
  functionName: string;
  qualifier: string;
  startTime: number;
  duration: number;
  memUsage: number;
  retCode: number;
}

/** Rollup columns a merge adds up, and those it takes the larger of (the histogram merges apart). */
const SUM_COLUMNS = [
  'invocations',
  'success',
  'function_errors',
  'timeouts',
  'memory_errors',
  'platform_errors',
  'throttles',
  'duration_sum',
  'mem_duration',
] as const;
const MAX_COLUMNS = ['duration_max', 'mem_max', 'concurrency_max', 'fn_concurrency_max'] as const;

/**
 * The SET list of a rollup upsert's `ON CONFLICT DO UPDATE` (the table aliased `r`), in the backend's
 * spelling of the larger of two values (`max` in SQLite, `greatest` in PostgreSQL), followed by the
 * histogram's own merge: one rule for both stores.
 */
export function rollupMergeSet(larger: 'max' | 'greatest', histogram: string): string {
  return [
    ...SUM_COLUMNS.map((c) => `${c} = r.${c} + excluded.${c}`),
    ...MAX_COLUMNS.map((c) => `${c} = ${larger}(r.${c}, excluded.${c})`),
    `histogram = ${histogram}`,
  ].join(',\n       ');
}

/** The columns of a stored record a rollup takes (SQLite or PostgreSQL: bigints may come as text). */
export interface FinalRow {
  namespace: string;
  function_name: string;
  qualifier: string;
  start_time: number | string;
  duration: number;
  mem_usage: number | string;
  ret_code: number;
}

/** A stored record's row as the figures a rollup takes. */
export function finalOfRow(r: FinalRow, retCode = r.ret_code): FinalFigures {
  return {
    namespace: r.namespace,
    functionName: r.function_name,
    qualifier: r.qualifier,
    startTime: Number(r.start_time),
    duration: r.duration,
    memUsage: Number(r.mem_usage),
    retCode,
  };
}

/** Adds `b` into `a` (same key): sums add, maxima take the larger. */
export function mergeRow(a: RollupRow, b: Readonly<RollupRow>): RollupRow {
  a.invocations += b.invocations;
  a.success += b.success;
  a.functionErrors += b.functionErrors;
  a.timeouts += b.timeouts;
  a.memoryErrors += b.memoryErrors;
  a.platformErrors += b.platformErrors;
  a.throttles += b.throttles;
  a.durationSum += b.durationSum;
  a.durationMax = Math.max(a.durationMax, b.durationMax);
  a.memMax = Math.max(a.memMax, b.memMax);
  a.memDuration += b.memDuration;
  a.concurrencyMax = Math.max(a.concurrencyMax, b.concurrencyMax);
  a.functionConcurrencyMax = Math.max(a.functionConcurrencyMax, b.functionConcurrencyMax);
  mergeHistogram(a.histogram, b.histogram);
  return a;
}

/**
 * The net rollup changes of one write transaction, applied once at its end (a batch of 1000 records
 * touches one row per function-version-minute, not 1000).
 */
export class RollupDeltas {
  readonly #rows = new Map<string, RollupRow>();

  #row(namespace: string, functionName: string, qualifier: string, time: number): RollupRow {
    const minute = minuteOf(time);
    // NUL cannot occur in the names (they are validated), so the joined key is unambiguous.
    const id = `${namespace}\0${functionName}\0${qualifier}\0${minute}`;
    let row = this.#rows.get(id);
    if (!row) {
      row = emptyRow({ namespace, functionName, qualifier, minute });
      this.#rows.set(id, row);
    }
    return row;
  }

  /** A record that has just become final. */
  addFinal(r: FinalFigures, concurrency?: StartConcurrency): void {
    const row = this.#row(r.namespace, r.functionName, r.qualifier, r.startTime);
    row.invocations++;
    row[retCodeKind(r.retCode)]++;
    const duration = Math.max(0, r.duration);
    row.durationSum += duration;
    if (duration > row.durationMax) row.durationMax = duration;
    if (r.memUsage > row.memMax) row.memMax = r.memUsage;
    row.memDuration += (r.memUsage / BYTES_PER_MB) * duration;
    const b = bucketOf(duration);
    row.histogram[b] = (row.histogram[b] ?? 0) + 1;
    if (concurrency) {
      if (concurrency.qualifier > row.concurrencyMax) row.concurrencyMax = concurrency.qualifier;
      if (concurrency.function > row.functionConcurrencyMax)
        row.functionConcurrencyMax = concurrency.function;
    }
  }

  addThrottles(t: {
    namespace: string;
    functionName: string;
    qualifier: string;
    time: number;
    n: number;
  }): void {
    this.#row(t.namespace, t.functionName, t.qualifier, t.time).throttles += t.n;
  }

  get size(): number {
    return this.#rows.size;
  }

  /** The rows, in key order (namespace, function, qualifier, minute): the lock order of a shared store. */
  sorted(): RollupRow[] {
    const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return [...this.#rows.values()].sort(
      (a, b) =>
        cmp(a.namespace, b.namespace) ||
        cmp(a.functionName, b.functionName) ||
        cmp(a.qualifier, b.qualifier) ||
        a.minute - b.minute,
    );
  }

  clear(): void {
    this.#rows.clear();
  }
}

/** Deltas that are not kept: a store with rollups off (benchmarks measuring their whole cost). */
export class NoRollups extends RollupDeltas {
  override addFinal(): void {}
  override addThrottles(): void {}
}

/** What `LogStore.rollups` reads: one function's rows in [from, to) (minutes), of some versions or all. */
export interface RollupQuery {
  namespace: string;
  functionName: string;
  /** The versions to read; absent: every version. */
  qualifiers?: readonly string[];
  /** Inclusive, epoch ms (a minute's start or not: rows whose minute is >= from). */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
  /**
   * Rows summed per period instead of per minute (GetMonitorData's `Period`): one row per period that has
   * data, the versions asked together (`qualifier` ''), `minute` the period's start: the minute m is in the
   * period starting at `floor((m + offsetMs) / ms) * ms - offsetMs` (`offsetMs`: the API's zone, so a day
   * is the API's day). `ms` is a multiple of a minute.
   */
  period?: { ms: number; offsetMs: number };
  /** False: the rows' `histogram` is left empty (cheaper; the percentiles need it). Default true. */
  histogram?: boolean;
}

/** The start of the period a minute falls in (`RollupQuery.period`). */
export const periodStart = (minute: number, period: { ms: number; offsetMs: number }): number =>
  Math.floor((minute + period.offsetMs) / period.ms) * period.ms - period.offsetMs;

/**
 * Minute rows (any order) summed per period, in period order: what `rollups()` answers for a query with
 * `period`, for a backend that reads minute rows (and for the records a SQLite read adds to its rows).
 */
export function sumByPeriod(
  rows: readonly RollupRow[],
  q: Pick<RollupQuery, 'namespace' | 'functionName' | 'histogram'> & {
    period: { ms: number; offsetMs: number };
  },
  into: RollupRow[] = [],
): RollupRow[] {
  const byStart = new Map(into.map((r) => [r.minute, r]));
  for (const row of rows) {
    const start = periodStart(row.minute, q.period);
    let sum = byStart.get(start);
    if (!sum) {
      sum = emptyRow({ namespace: q.namespace, functionName: q.functionName, qualifier: '', minute: start });
      byStart.set(start, sum);
    }
    mergeRow(sum, row);
    if (q.histogram === false) sum.histogram = {};
  }
  return [...byStart.values()].sort((a, b) => a.minute - b.minute);
}
