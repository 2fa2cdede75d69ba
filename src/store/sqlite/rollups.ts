/**
 * The SQLite store's rollup rows (`../rollup.ts`): adding a transaction's deltas (read the row, merge in
 * JS, write it back: the store's one connection serialises its write transactions, so nothing changes
 * the row in between), reading a function's rows, and retention's delete. Table: `migrations.ts` V2.
 */
import type Database from 'better-sqlite3';
import {
  type Histogram,
  mergeHistogram,
  type RollupQuery,
  type RollupRow,
  rollupMergeSet,
} from '../rollup.js';

interface Row {
  namespace: string;
  function_name: string;
  qualifier: string;
  minute: number;
  invocations: number;
  success: number;
  function_errors: number;
  timeouts: number;
  memory_errors: number;
  platform_errors: number;
  throttles: number;
  duration_sum: number;
  duration_max: number;
  mem_max: number;
  mem_duration: number;
  concurrency_max: number;
  fn_concurrency_max: number;
  histogram: string;
}

const COLUMNS =
  'namespace, function_name, qualifier, minute, invocations, success, function_errors, timeouts, ' +
  'memory_errors, platform_errors, throttles, duration_sum, duration_max, mem_max, mem_duration, ' +
  'concurrency_max, fn_concurrency_max, histogram';

type Params = [
  string,
  string,
  string,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  string,
];

function fromRow(r: Row): RollupRow {
  return {
    namespace: r.namespace,
    functionName: r.function_name,
    qualifier: r.qualifier,
    minute: r.minute,
    invocations: r.invocations,
    success: r.success,
    functionErrors: r.function_errors,
    timeouts: r.timeouts,
    memoryErrors: r.memory_errors,
    platformErrors: r.platform_errors,
    throttles: r.throttles,
    durationSum: r.duration_sum,
    durationMax: r.duration_max,
    memMax: r.mem_max,
    memDuration: r.mem_duration,
    concurrencyMax: r.concurrency_max,
    functionConcurrencyMax: r.fn_concurrency_max,
    histogram: JSON.parse(r.histogram) as Histogram,
  };
}

function params(r: RollupRow): Params {
  return [
    r.namespace,
    r.functionName,
    r.qualifier,
    r.minute,
    r.invocations,
    r.success,
    r.functionErrors,
    r.timeouts,
    r.memoryErrors,
    r.platformErrors,
    r.throttles,
    r.durationSum,
    r.durationMax,
    r.memMax,
    r.memDuration,
    r.concurrencyMax,
    r.functionConcurrencyMax,
    JSON.stringify(r.histogram),
  ];
}

/**
 * Registers `scf_hist_add(a, b)` on a connection: the sum of two histograms as JSON text (`a` may be
 * NULL). Called by the upsert for a row that exists already; the other columns merge in SQL.
 */
export function registerHistogramAdd(db: Database.Database): void {
  db.function('scf_hist_add', { deterministic: true }, (a: unknown, b: unknown) => {
    if (typeof b !== 'string' || b === '{}') return a;
    if (typeof a !== 'string' || a === '{}') return b;
    return JSON.stringify(mergeHistogram(JSON.parse(a) as Histogram, JSON.parse(b) as Histogram));
  });
}

/**
 * Prepares the upsert on `db` (migrated to V2, `scf_hist_add` registered): the returned function adds one
 * delta row, in the caller's transaction. One statement, no read: an existing row is updated in place
 * (its key, hence the minute index, unchanged), its sums added and maxima taken in SQL.
 */
export function prepareRollupUpsert(db: Database.Database): (delta: RollupRow) => void {
  const put = db.prepare<Params>(
    `INSERT INTO invocation_rollups AS r (${COLUMNS})
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO UPDATE SET
       ${rollupMergeSet('max', 'scf_hist_add(r.histogram, excluded.histogram)')}`,
  );
  return (delta) => {
    put.run(...params(delta));
  };
}

/** Prepares the read of a function's rows. */
export function prepareRollupRead(db: Database.Database): (q: RollupQuery) => RollupRow[] {
  const all = db.prepare<[string, string, number, number], Row>(
    `SELECT ${COLUMNS} FROM invocation_rollups
      WHERE namespace = ? AND function_name = ? AND minute >= ? AND minute < ?
      ORDER BY qualifier, minute`,
  );
  return (q) => {
    const wanted = q.qualifiers ? new Set(q.qualifiers) : undefined;
    const rows = all.all(q.namespace, q.functionName, q.from, q.to);
    return (wanted ? rows.filter((r) => wanted.has(r.qualifier)) : rows).map(fromRow);
  };
}
