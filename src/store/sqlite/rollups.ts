/**
 * The SQLite store's rollup rows (`../rollup.ts`): adding a transaction's deltas (one upsert per row,
 * merged in SQL), and reading a function's rows. Tables: `migrations.ts` V2 and V3.
 *
 * Who adds what: the indexer counts each record that became final in the transaction that takes it off
 * `fts_queue` (`fts-indexer.ts`); the write transaction only queues it (with the concurrency its start
 * saw) and adds throttles. A read therefore takes the rows and the records still queued to be counted,
 * in one read transaction (one snapshot: a record is in one or the other, never both), so it is exact
 * at once, as keyword search is over the records not yet in the full-text index. The queue is short
 * (the indexer drains it within milliseconds when it keeps up; ~10 s after a saturating 1M burst), and a
 * read takes only the queued records of its function and minutes.
 */
import type Database from 'better-sqlite3';
import {
  finalOfRow,
  type Histogram,
  MINUTE_MS,
  mergeHistogram,
  mergeRow,
  minuteOf,
  RollupDeltas,
  type RollupQuery,
  type RollupRow,
  rollupMergeSet,
} from '../rollup.js';
import { RET_CODE } from '../types.js';

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

interface PendingRow {
  namespace: string;
  function_name: string;
  qualifier: string;
  start_time: number;
  duration: number;
  mem_usage: number;
  ret_code: number;
  concurrency: number;
  fn_concurrency: number;
}

const keyOf = (r: RollupRow): string => `${r.qualifier}\0${r.minute}`;
const byKey = (a: RollupRow, b: RollupRow): number =>
  a.qualifier < b.qualifier ? -1 : a.qualifier > b.qualifier ? 1 : a.minute - b.minute;

/** Prepares the read of a function's rows: those stored, plus the records queued to be counted. */
export function prepareRollupRead(db: Database.Database): (q: RollupQuery) => RollupRow[] {
  const all = db.prepare<[string, string, number, number], Row>(
    `SELECT ${COLUMNS} FROM invocation_rollups
      WHERE namespace = ? AND function_name = ? AND minute >= ? AND minute < ?
      ORDER BY qualifier, minute`,
  );
  // The queue is walked (it is short); each queued record is one look-up by seq.
  const pending = db.prepare<[string, string, number, number], PendingRow>(
    `SELECT i.namespace, i.function_name, i.qualifier, i.start_time, i.duration, i.mem_usage, i.ret_code,
            f.concurrency, f.fn_concurrency
       FROM fts_queue f CROSS JOIN invocations i ON i.seq = f.seq
      WHERE f.uncounted = 1 AND i.ret_code <> ${RET_CODE.RUNNING}
        AND i.namespace = ? AND i.function_name = ? AND i.start_time >= ? AND i.start_time < ?`,
  );
  const read = db.transaction((q: RollupQuery): RollupRow[] => {
    const wanted = q.qualifiers ? new Set(q.qualifiers) : undefined;
    const keep = (qualifier: string) => !wanted || wanted.has(qualifier);
    const rows = all
      .all(q.namespace, q.functionName, q.from, q.to)
      .filter((r) => keep(r.qualifier))
      .map(fromRow);
    // Records whose minute is in [from, to): their start is within a minute of it.
    const queued = pending.all(q.namespace, q.functionName, q.from - MINUTE_MS, q.to + MINUTE_MS);
    if (queued.length === 0) return rows;
    const deltas = new RollupDeltas();
    for (const r of queued) {
      const minute = minuteOf(r.start_time);
      if (minute < q.from || minute >= q.to || !keep(r.qualifier)) continue;
      deltas.addFinal(finalOfRow(r), { qualifier: r.concurrency, function: r.fn_concurrency });
    }
    const index = new Map(rows.map((r) => [keyOf(r), r]));
    for (const d of deltas.sorted()) {
      const row = index.get(keyOf(d));
      if (row) mergeRow(row, d);
      else rows.push(d);
    }
    return rows.sort(byKey);
  });
  return (q) => read(q);
}
