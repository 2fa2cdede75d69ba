/**
 * Versioned schema of the SQLite store. The database's `user_version` is the number of migrations applied;
 * `migrate()` applies the missing ones in order, each in its own transaction. To change the schema, append
 * a migration; never edit one that has shipped.
 */
import type Database from 'better-sqlite3';
import { ScfError } from '../../errors/index.js';
import { type FinalRow, finalOfRow, RollupDeltas } from '../rollup.js';
import { RET_CODE } from '../types.js';
import { prepareRollupUpsert } from './rollups.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly up: (db: Database.Database) => void;
}

/**
 * Index choice (measured with bench/store.ts, 1M records over 100 functions; see bench/README.md):
 * ingest cost is dominated by how many B-tree pages each commit dirties, so the schema has few indexes
 * and each one grows at a small number of places.
 * - `invocations_fn`, ONE covering index for everything scoped to a function. It leads with
 *   (function_name, namespace, start_time), so with time-ordered writes each function's entries are
 *   appended at that function's end (100 functions: ~100 dirty pages per 1000-row commit, not ~1000 as a
 *   per-column index on duration or mem_usage would cost). It also carries every other sort/filter
 *   column, so sorting one function's records by duration, memUsage or requestId, or filtering them by
 *   ret_code, is an index-only scan of that function's entries plus a bounded top-k sort (LIMIT), and the
 *   table is read only for the page itself. function_name first: `ORDER BY function_name, seq` across
 *   functions walks it in function order and sorts only one function group at a time.
 * - `invocations_time` (start_time, ret_code, namespace): append-only; serves time ranges and
 *   startTime order when no function is given.
 * - the UNIQUE request_id index: append-mostly since request ids are UUIDv7 (time-ordered).
 * SQLite appends the rowid (`seq`) to every index entry, which keeps ties in seq order where an index
 * gives the whole ORDER BY.
 * Totals without a time range or keyword come from `invocation_counts`, kept exact by the store, so the
 * first page never counts rows.
 *
 * The full-text index covers each final record's search text (`../search-text.ts`), not its raw log: the
 * platform's per-line time stamps and request ids would otherwise add ~10 unique tokens per record. It is
 * contentless (`content=''`): the indexed text is derived, not a column. The indexer removes an entry by
 * replaying its text (`'delete'` command with `searchText(log)` of the stored log), which is exact as long
 * as `searchText` does not change; a change to it must come with a migration that rebuilds the index.
 * `contentless_delete=1` would delete by rowid alone, but it requires the per-row `_docsize` table
 * (incompatible with `columnsize=0`), measured at ~4 us per inserted record, ~10 % of the ingest budget,
 * for a path (replacing a final record) that normal operation never takes.
 *
 * Full-text indexing is near-real-time: FTS5 work (~12 us per record, 40 % of ingest CPU) is not done in
 * the write transaction. That transaction only appends the record's seq to `fts_queue`; an indexer (a
 * worker thread with its own connection, `indexer-worker.ts`) drains the queue in short transactions.
 * Queries stay exact: queued and running records are matched by the reference matcher (`query.ts`).
 */
const SCHEMA_V1 = `
CREATE TABLE invocations (
  seq             INTEGER PRIMARY KEY,
  request_id      TEXT    NOT NULL UNIQUE,
  namespace       TEXT    NOT NULL,
  function_name   TEXT    NOT NULL,
  qualifier       TEXT    NOT NULL,
  start_time      INTEGER NOT NULL,
  duration        REAL    NOT NULL,
  bill_duration   INTEGER NOT NULL,
  mem_usage       INTEGER NOT NULL,
  ret_code        INTEGER NOT NULL,
  invoke_finished INTEGER NOT NULL,
  retry_num       INTEGER NOT NULL,
  -- The two unbounded text columns last: reading the small columns never touches their overflow pages.
  ret_msg         TEXT    NOT NULL,
  log             TEXT    NOT NULL
);
CREATE INDEX invocations_fn
  ON invocations (function_name, namespace, start_time, duration, mem_usage, ret_code, request_id);
CREATE INDEX invocations_time ON invocations (start_time, ret_code, namespace);
-- Running records: few at any time; scanned by recoverInterrupted and by keyword search (not yet in FTS).
CREATE INDEX invocations_running ON invocations (seq) WHERE ret_code = 2;

-- Full-text index over the search text of final records (ret_code <> 2); rowid = invocations.seq. Kept
-- by the indexer (fts-indexer.ts) from fts_queue, outside the write transaction that changed the record.
CREATE VIRTUAL TABLE invocations_fts USING fts5 (
  text,
  content = '',
  -- No per-row token counts: they only serve bm25 ranking, which GetFunctionLogs never uses.
  columnsize = 0,
  tokenize = 'unicode61 remove_diacritics 0'
);

-- Records whose full-text entry is out of date: the write transaction that makes a record final, or
-- changes a final one, inserts its seq here (append-mostly: seqs grow); the indexer replaces the FTS entry
-- and deletes the row in one transaction. \`indexed_text\` is the search text the FTS table holds for the
-- record right now (NULL: no entry), which a contentless table needs to delete the entry. Invariant: a
-- record NOT in this table has an FTS entry iff it is final, holding searchText(log) of its current log.
CREATE TABLE fts_queue (
  seq          INTEGER PRIMARY KEY,
  indexed_text TEXT
);

-- Exact number of records per (namespace, function, qualifier, retCode), kept by the store's write
-- transaction (per-batch deltas; triggers measured 3x slower on ingest).
CREATE TABLE invocation_counts (
  namespace     TEXT    NOT NULL,
  function_name TEXT    NOT NULL,
  qualifier     TEXT    NOT NULL,
  ret_code      INTEGER NOT NULL,
  n             INTEGER NOT NULL,
  PRIMARY KEY (namespace, function_name, qualifier, ret_code)
) WITHOUT ROWID;
`;

/** A rollup table (minute rows, V2; hourly rows, V5): the key, the figures, the duration histogram. */
const rollupTable = (name: string, histogram: 'TEXT' | 'BLOB'): string => `CREATE TABLE ${name} (
  namespace          TEXT    NOT NULL,
  function_name      TEXT    NOT NULL,
  qualifier          TEXT    NOT NULL,
  minute             INTEGER NOT NULL,
  invocations        INTEGER NOT NULL,
  success            INTEGER NOT NULL,
  function_errors    INTEGER NOT NULL,
  timeouts           INTEGER NOT NULL,
  memory_errors      INTEGER NOT NULL,
  platform_errors    INTEGER NOT NULL,
  throttles          INTEGER NOT NULL,
  duration_sum       REAL    NOT NULL,
  duration_max       REAL    NOT NULL,
  mem_max            INTEGER NOT NULL,
  mem_duration       REAL    NOT NULL,
  concurrency_max    INTEGER NOT NULL,
  fn_concurrency_max INTEGER NOT NULL,
  histogram          ${histogram}    NOT NULL,
  PRIMARY KEY (namespace, function_name, qualifier, minute)
) WITHOUT ROWID;`;

/**
 * Per-minute rollups (`../rollup.ts`): one row per (namespace, function, version, minute), kept by the
 * write transactions (one upsert per row a batch touches; since V3 by the indexer's, see there). `histogram` is a JSON object
 * bucket -> count (sparse: a minute's durations fill a few buckets). The minute index serves retention.
 */
const SCHEMA_V2 = `
${rollupTable('invocation_rollups', 'TEXT')}
CREATE INDEX invocation_rollups_minute ON invocation_rollups (minute);
`;

/**
 * Rebuilds the rollups from the records a store already holds (final records, counted by the rules of
 * `../rollup.ts`; concurrency and throttles, which records do not carry, are 0 for them).
 */
function backfillRollups(db: Database.Database): void {
  const deltas = new RollupDeltas();
  const rows = db
    .prepare<[], FinalRow>(
      `SELECT namespace, function_name, qualifier, start_time, duration, mem_usage, ret_code
         FROM invocations WHERE ret_code <> ${RET_CODE.RUNNING}`,
    )
    .iterate();
  for (const r of rows) {
    deltas.addFinal(finalOfRow(r));
  }
  const put = prepareRollupUpsert(db);
  for (const row of deltas.sorted()) put(row);
}

/**
 * The rollups leave the write transaction (issue 14: they cost ~25 % of ingest there, a scattered upsert
 * per function-minute a batch touches) for the indexer's, which already takes every record that becomes
 * final off `fts_queue`. The queue row of a record that has just become final carries `uncounted = 1` and
 * the concurrency its invocation saw at start (records do not hold it); the indexer adds the record to its
 * minute's row in the transaction that dequeues it (`fts-indexer.ts`), and reads add the records still
 * queued so (`rollups.ts`), so the rows stay exact. Rows already in a queue when this migrates were
 * counted by the write transaction that queued them: the default 0 keeps them from counting twice.
 */
const SCHEMA_V3 = `
ALTER TABLE fts_queue ADD COLUMN uncounted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fts_queue ADD COLUMN concurrency INTEGER NOT NULL DEFAULT 0;
ALTER TABLE fts_queue ADD COLUMN fn_concurrency INTEGER NOT NULL DEFAULT 0;
`;

/**
 * Hourly rollups (UTC hours; `minute` holds the hour's start), kept beside the per-minute rows by the same
 * transactions (`rollups.ts` `prepareRollupAdd`), so a week at an hourly period reads 168 rows per version
 * instead of 10,080 (GetMonitorData's and the console's 7 days). Built here from the minute rows;
 * retention drops an hour once its last minute is gone.
 */
const SCHEMA_V5 = `
${rollupTable('invocation_rollups_hourly', 'BLOB')}
INSERT INTO invocation_rollups_hourly
SELECT namespace, function_name, qualifier, (minute / 3600000) * 3600000, sum(invocations), sum(success),
       sum(function_errors), sum(timeouts), sum(memory_errors), sum(platform_errors), sum(throttles),
       sum(duration_sum), max(duration_max), max(mem_max), sum(mem_duration), max(concurrency_max),
       max(fn_concurrency_max), scf_hist_sum(histogram)
  FROM invocation_rollups GROUP BY 1, 2, 3, 4;
CREATE INDEX invocation_rollups_hourly_minute ON invocation_rollups_hourly (minute);
`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'invocations, indexes, FTS5 log index and its queue, counts',
    up: (db) => db.exec(SCHEMA_V1),
  },
  {
    version: 2,
    description: 'per-minute rollups of records (GetMonitorData), built from the records present',
    up: (db) => {
      db.exec(SCHEMA_V2);
      backfillRollups(db);
    },
  },
  {
    version: 3,
    description: 'rollups counted by the indexer from its queue, off the write transaction',
    up: (db) => db.exec(SCHEMA_V3),
  },
  {
    version: 4,
    description: "rollups' duration histograms as BLOBs of (bucket, count) pairs instead of JSON text",
    // `scf_hist_blob` is registered on the store's connection before it migrates (`rollups.ts`).
    up: (db) =>
      db.exec(
        `UPDATE invocation_rollups SET histogram = scf_hist_blob(histogram) WHERE typeof(histogram) = 'text'`,
      ),
  },
  {
    version: 5,
    description: 'hourly rollups beside the per-minute ones, built from them',
    up: (db) => db.exec(SCHEMA_V5),
  },
];

/** Applies the migrations the database lacks. Refuses a database written by a newer scf-local. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.at(-1)?.version ?? 0;
  if (current > latest) {
    throw new ScfError(
      'InternalError',
      `database schema version ${current} is newer than this scf-local supports (${latest})`,
    );
  }
  let applied = 0;
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      // user_version is part of the database header, so it commits (or rolls back) with the migration.
      db.pragma(`user_version = ${m.version}`);
    })();
    applied++;
  }
  return applied;
}
