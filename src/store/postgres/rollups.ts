/**
 * The PostgreSQL store's rollup rows (`../rollup.ts`; table: `schema.ts` V3): adding a transaction's
 * deltas in one upsert (merged in SQL, so rows written by several nodes at once add up), and reading a
 * function's rows.
 */
import type pg from 'pg';
import { type Histogram, type RollupQuery, type RollupRow, rollupMergeSet, sumByPeriod } from '../rollup.js';
import { pgText } from './text.js';

/** The upsert of a batch of delta rows: one statement, its sums and maxima merged in SQL. */
const ADD_ROLLUPS = `INSERT INTO invocation_rollups AS r (namespace, function_name, qualifier, minute, invocations, success,
    function_errors, timeouts, memory_errors, platform_errors, throttles, duration_sum, duration_max,
    mem_max, mem_duration, concurrency_max, fn_concurrency_max, histogram)
 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[],
    $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::float8[], $13::float8[],
    $14::bigint[], $15::float8[], $16::int[], $17::int[], $18::jsonb[])
 ON CONFLICT (namespace, function_name, qualifier, minute) DO UPDATE SET
   ${rollupMergeSet(
     'greatest',
     `CASE WHEN excluded.histogram = '{}'::jsonb THEN r.histogram
                     ELSE scf_hist_add(r.histogram, excluded.histogram) END`,
   )}`;

/** Adds `rows` (key-sorted, as `RollupDeltas.sorted()` gives them) inside the caller's transaction. */
export async function addRollups(client: pg.PoolClient, rows: readonly RollupRow[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <T>(f: (r: RollupRow) => T): T[] => rows.map(f);
  await client.query(ADD_ROLLUPS, [
    col((r) => pgText(r.namespace)),
    col((r) => pgText(r.functionName)),
    col((r) => pgText(r.qualifier)),
    col((r) => r.minute),
    col((r) => r.invocations),
    col((r) => r.success),
    col((r) => r.functionErrors),
    col((r) => r.timeouts),
    col((r) => r.memoryErrors),
    col((r) => r.platformErrors),
    col((r) => r.throttles),
    col((r) => r.durationSum),
    col((r) => r.durationMax),
    col((r) => r.memMax),
    col((r) => r.memDuration),
    col((r) => r.concurrencyMax),
    col((r) => r.functionConcurrencyMax),
    col((r) => JSON.stringify(r.histogram)),
  ]);
}

interface Row {
  namespace: string;
  function_name: string;
  qualifier: string;
  minute: string;
  invocations: string;
  success: string;
  function_errors: string;
  timeouts: string;
  memory_errors: string;
  platform_errors: string;
  throttles: string;
  duration_sum: number;
  duration_max: number;
  mem_max: string;
  mem_duration: number;
  concurrency_max: number;
  fn_concurrency_max: number;
  histogram: Histogram;
}

/** A function's rows in [from, to), of the versions asked (all when none). */
export async function readRollups(pool: pg.Pool, q: RollupQuery): Promise<RollupRow[]> {
  const { rows } = await pool.query<Row>(
    `SELECT namespace, function_name, qualifier, minute, invocations, success, function_errors, timeouts,
            memory_errors, platform_errors, throttles, duration_sum, duration_max, mem_max, mem_duration,
            concurrency_max, fn_concurrency_max, ${q.histogram === false ? `'{}'::jsonb AS histogram` : 'histogram'}
       FROM invocation_rollups
      WHERE namespace = $1 AND function_name = $2 AND minute >= $3 AND minute < $4
        AND ($5::text[] IS NULL OR qualifier = ANY ($5::text[]))
      ORDER BY qualifier, minute`,
    [
      pgText(q.namespace),
      pgText(q.functionName),
      q.from,
      q.to,
      q.qualifiers ? q.qualifiers.map(pgText) : null,
    ],
  );
  const minutes = rows.map((r) => ({
    namespace: r.namespace,
    functionName: r.function_name,
    qualifier: r.qualifier,
    minute: Number(r.minute),
    invocations: Number(r.invocations),
    success: Number(r.success),
    functionErrors: Number(r.function_errors),
    timeouts: Number(r.timeouts),
    memoryErrors: Number(r.memory_errors),
    platformErrors: Number(r.platform_errors),
    throttles: Number(r.throttles),
    durationSum: r.duration_sum,
    durationMax: r.duration_max,
    memMax: Number(r.mem_max),
    memDuration: r.mem_duration,
    concurrencyMax: r.concurrency_max,
    functionConcurrencyMax: r.fn_concurrency_max,
    histogram: q.histogram === false ? {} : r.histogram,
  }));
  // Per period: the minute rows summed here (the console's week is ~10,000 rows per function).
  return q.period ? sumByPeriod(minutes, { ...q, period: q.period }) : minutes;
}
