/**
 * The SQLite store's rollup rows (`../rollup.ts`): adding a transaction's deltas (one upsert per row,
 * merged in SQL), and reading a function's rows, per minute or summed per period in SQL. Tables:
 * `migrations.ts` V2, V3 and V4.
 *
 * The duration histogram is a BLOB (V4; it was JSON text): (bucket, count) pairs of little-endian int32,
 * in bucket order. Merging two is a walk of both, and reading 10,000 of them (a week of minutes) costs
 * ~1 ms where parsing JSON cost ~20-50 ms; `scf_hist_add` merges two (the upsert), `scf_hist_sum`
 * aggregates a column (the per-period read).
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
  emptyRow,
  type FinalRow,
  finalOfRow,
  type Histogram,
  MINUTE_MS,
  mergeRow,
  minuteOf,
  periodStart,
  RollupDeltas,
  type RollupQuery,
  type RollupRow,
  rollupMergeSet,
  sumByPeriod,
} from '../rollup.js';
import { RET_CODE } from '../types.js';

/** A row's figures, without its key (the per-period read has no qualifier). */
interface Figures {
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
  histogram: Buffer | string | null;
}

interface Row extends Figures {
  namespace: string;
  function_name: string;
  qualifier: string;
  minute: number;
}

const KEY_COLUMNS = 'namespace, function_name, qualifier, minute';
const FIGURE_COLUMNS =
  'invocations, success, function_errors, timeouts, memory_errors, platform_errors, throttles, ' +
  'duration_sum, duration_max, mem_max, mem_duration, concurrency_max, fn_concurrency_max';
const COLUMNS = `${KEY_COLUMNS}, ${FIGURE_COLUMNS}, histogram`;

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
  Buffer,
];

/** A histogram as its BLOB: (bucket, count) int32 pairs, little-endian, in bucket order. */
export function histogramBlob(h: Readonly<Histogram>): Buffer {
  const entries = Object.entries(h)
    .map(([k, n]) => [Number(k), n] as const)
    .filter(([, n]) => n !== 0)
    .sort((a, b) => a[0] - b[0]);
  const out = Buffer.allocUnsafe(entries.length * 8);
  entries.forEach(([k, n], i) => {
    out.writeInt32LE(k, i * 8);
    out.writeInt32LE(n, i * 8 + 4);
  });
  return out;
}

/** A stored histogram (a BLOB; JSON text before V4) as a `Histogram`. */
export function histogramOf(stored: Buffer | string | null): Histogram {
  const h: Histogram = {};
  if (stored !== null) addStored(h, stored);
  return h;
}

/** Adds a stored histogram (a BLOB; JSON text before V4) into `into`. */
function addStored(into: Histogram, stored: Buffer | string): void {
  if (typeof stored === 'string') {
    for (const [k, n] of Object.entries(JSON.parse(stored) as Histogram))
      into[k] = (into[k] ?? 0) + Number(n);
    return;
  }
  for (let i = 0; i + 8 <= stored.length; i += 8) {
    const k = stored.readInt32LE(i);
    into[k] = (into[k] ?? 0) + stored.readInt32LE(i + 4);
  }
}

const asBlob = (v: unknown): Buffer | undefined =>
  Buffer.isBuffer(v) ? v : typeof v === 'string' ? histogramBlob(histogramOf(v)) : undefined;

/** The sum of two histogram BLOBs: a merge of two bucket-ordered lists. */
function addBlobs(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length || j < b.length) {
    const ka = i < a.length ? a.readInt32LE(i) : Number.POSITIVE_INFINITY;
    const kb = j < b.length ? b.readInt32LE(j) : Number.POSITIVE_INFINITY;
    if (ka === kb) {
      out.writeInt32LE(ka, k);
      out.writeInt32LE(a.readInt32LE(i + 4) + b.readInt32LE(j + 4), k + 4);
      i += 8;
      j += 8;
    } else if (ka < kb) {
      a.copy(out, k, i, i + 8);
      i += 8;
    } else {
      b.copy(out, k, j, j + 8);
      j += 8;
    }
    k += 8;
  }
  return out.subarray(0, k);
}

/**
 * Registers on a connection: `scf_hist_add(a, b)`, the sum of two histograms (`a` may be NULL), used by the
 * upsert for a row that exists already (the other columns merge in SQL); `scf_hist_sum(h)`, the aggregate
 * sum of a column of them; `scf_hist_blob(h)`, a histogram in JSON text as its BLOB (migration V4). Each
 * takes JSON text as well as BLOBs.
 */
export function registerHistogramAdd(db: Database.Database): void {
  db.function('scf_hist_add', { deterministic: true }, (a: unknown, b: unknown) => {
    const y = asBlob(b);
    const x = asBlob(a);
    if (!y || y.length === 0) return x ?? Buffer.alloc(0);
    if (!x || x.length === 0) return y;
    return addBlobs(x, y);
  });
  db.function('scf_hist_blob', { deterministic: true }, (h: unknown) => asBlob(h) ?? Buffer.alloc(0));
  db.aggregate('scf_hist_sum', {
    start: () => new Map<number, number>(),
    step: (sum: Map<number, number>, h: unknown) => {
      const b = asBlob(h);
      if (!b) return;
      for (let i = 0; i + 8 <= b.length; i += 8) {
        const k = b.readInt32LE(i);
        sum.set(k, (sum.get(k) ?? 0) + b.readInt32LE(i + 4));
      }
    },
    result: (sum: Map<number, number>) => histogramBlob(Object.fromEntries(sum)),
  });
}

function figuresOf(
  r: Figures,
  key: Pick<RollupRow, 'namespace' | 'functionName' | 'qualifier' | 'minute'>,
): RollupRow {
  return {
    namespace: key.namespace,
    functionName: key.functionName,
    qualifier: key.qualifier,
    minute: key.minute,
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
    histogram: histogramOf(r.histogram),
  };
}

const fromRow = (r: Row): RollupRow =>
  figuresOf(r, {
    namespace: r.namespace,
    functionName: r.function_name,
    qualifier: r.qualifier,
    minute: r.minute,
  });

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
    histogramBlob(r.histogram),
  ];
}

/**
 * Prepares the upsert on `db` (migrated to V2, `scf_hist_add` registered): the returned function adds one
 * delta row, in the caller's transaction. One statement, no read: an existing row is updated in place
 * (its key, hence the minute index, unchanged), its sums added and maxima taken in SQL.
 */
export function prepareRollupUpsert(
  db: Database.Database,
  table: 'invocation_rollups' | 'invocation_rollups_hourly' = 'invocation_rollups',
): (delta: RollupRow) => void {
  const put = db.prepare<Params>(
    `INSERT INTO ${table} AS r (${COLUMNS})
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT DO UPDATE SET
       ${rollupMergeSet('max', 'scf_hist_add(r.histogram, excluded.histogram)')}`,
  );
  return (delta) => {
    put.run(...params(delta));
  };
}

const HOUR_MS = 3_600_000;
const UTC_HOURS = { ms: HOUR_MS, offsetMs: 0 };

/**
 * Prepares what adds a transaction's deltas (minute rows, key-sorted as `RollupDeltas.sorted()` gives
 * them) to both tables: each minute row, then each hour row they make up (`migrations.ts` V5).
 */
export function prepareRollupAdd(db: Database.Database): (deltas: readonly RollupRow[]) => void {
  const minute = prepareRollupUpsert(db);
  const hour = prepareRollupUpsert(db, 'invocation_rollups_hourly');
  return (deltas) => {
    if (deltas.length === 0) return;
    const hours = new Map<string, RollupRow>();
    for (const d of deltas) {
      minute(d);
      const start = periodStart(d.minute, UTC_HOURS);
      const id = `${d.namespace}\0${d.functionName}\0${d.qualifier}\0${start}`;
      const h = hours.get(id);
      if (h) mergeRow(h, d);
      else hours.set(id, mergeRow(emptyRow({ ...d, minute: start }), d));
    }
    // Still in key order: the minute rows were, and an hour's minutes are consecutive among them.
    for (const h of hours.values()) hour(h);
  };
}

interface PendingRow extends FinalRow {
  concurrency: number;
  fn_concurrency: number;
}

const keyOf = (r: RollupRow): string => `${r.qualifier}\0${r.minute}`;
const byKey = (a: RollupRow, b: RollupRow): number =>
  a.qualifier < b.qualifier ? -1 : a.qualifier > b.qualifier ? 1 : a.minute - b.minute;

/**
 * The function's rows of some versions in a range of minutes: one range of the primary key per version
 * (not the minute index, which would visit every function's rows of the range).
 */
const WHERE = `namespace = @namespace AND function_name = @functionName
        AND qualifier IN (SELECT value FROM json_each(@qualifiers)) AND minute >= @from AND minute < @to`;
interface WhereParams {
  namespace: string;
  functionName: string;
  from: number;
  to: number;
  /** A JSON array of the versions to read. */
  qualifiers: string;
}

/**
 * Prepares the read of a function's rows: those stored, plus the records queued to be counted; per
 * minute, or summed per period in SQL (`RollupQuery.period`).
 */
export function prepareRollupRead(db: Database.Database): (q: RollupQuery) => RollupRow[] {
  const all = db.prepare<[WhereParams], Row>(
    `SELECT ${COLUMNS} FROM invocation_rollups WHERE ${WHERE} ORDER BY qualifier, minute`,
  );
  // minute - ((minute + offset) mod period), the mod taken non-negative: periodStart() in integers (the
  // parameters come bound as REAL).
  const START = `minute - (((minute + CAST(@offset AS INTEGER)) % CAST(@period AS INTEGER)
                         + CAST(@period AS INTEGER)) % CAST(@period AS INTEGER))`;
  type PeriodParams = [WhereParams & { offset: number; period: number }];
  // The figures summed in SQL; the histograms summed apart, in JS over the rows' BLOBs (an aggregate
  // function's call per row measured slower).
  const perPeriod = (table: string) => ({
    sums: db.prepare<PeriodParams, Figures & { start: number }>(
      `SELECT ${START} AS start,
              sum(invocations) AS invocations, sum(success) AS success,
              sum(function_errors) AS function_errors, sum(timeouts) AS timeouts,
              sum(memory_errors) AS memory_errors, sum(platform_errors) AS platform_errors,
              sum(throttles) AS throttles, sum(duration_sum) AS duration_sum,
              max(duration_max) AS duration_max, max(mem_max) AS mem_max, sum(mem_duration) AS mem_duration,
              max(concurrency_max) AS concurrency_max, max(fn_concurrency_max) AS fn_concurrency_max,
              NULL AS histogram
         FROM ${table} WHERE ${WHERE} GROUP BY start ORDER BY start`,
    ),
    histograms: db
      .prepare<PeriodParams, [number, Buffer | string]>(
        `SELECT ${START} AS start, histogram FROM ${table} WHERE ${WHERE}`,
      )
      .raw(),
  });
  const byMinute = perPeriod('invocation_rollups');
  const byHour = perPeriod('invocation_rollups_hourly');
  // The function's versions that have rows (the hourly table has one per hour a minute row has).
  const versions = db
    .prepare<[string, string], string>(
      'SELECT DISTINCT qualifier FROM invocation_rollups_hourly WHERE namespace = ? AND function_name = ?',
    )
    .pluck();
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
    const where: WhereParams = {
      namespace: q.namespace,
      functionName: q.functionName,
      from: Math.floor(q.from),
      to: Math.ceil(q.to),
      // Each version's minutes are one range of the primary key (namespace, function, version, minute).
      qualifiers: JSON.stringify(q.qualifiers ?? versions.all(q.namespace, q.functionName)),
    };
    let rows: RollupRow[];
    if (q.period) {
      // Whole hours (the period, its zone's offset and both ends): from the hourly rows.
      const hours =
        q.period.ms % HOUR_MS === 0 &&
        q.period.offsetMs % HOUR_MS === 0 &&
        where.from % HOUR_MS === 0 &&
        where.to % HOUR_MS === 0;
      const read = hours ? byHour : byMinute;
      const params = { ...where, offset: q.period.offsetMs, period: q.period.ms };
      rows = read.sums.all(params).map((r) =>
        figuresOf(r, {
          namespace: q.namespace,
          functionName: q.functionName,
          qualifier: '',
          minute: r.start,
        }),
      );
      if (q.histogram !== false) {
        const index = new Map(rows.map((r) => [r.minute, r.histogram]));
        for (const [start, stored] of read.histograms.all(params)) {
          const into = index.get(start);
          if (into) addStored(into, stored);
        }
      }
    } else {
      rows = all.all(where).map(fromRow);
    }
    // Records whose minute is in [from, to): their start is within a minute of it.
    const queued = pending.all(q.namespace, q.functionName, q.from - MINUTE_MS, q.to + MINUTE_MS);
    if (queued.length === 0) return rows;
    const deltas = new RollupDeltas();
    for (const r of queued) {
      const minute = minuteOf(Number(r.start_time));
      if (minute < q.from || minute >= q.to || (wanted && !wanted.has(r.qualifier))) continue;
      deltas.addFinal(finalOfRow(r), { qualifier: r.concurrency, function: r.fn_concurrency });
    }
    if (q.period) return sumByPeriod(deltas.sorted(), { ...q, period: q.period }, rows);
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
