/**
 * Versioned schema of the SQLite store. The database's `user_version` is the number of migrations applied;
 * `migrate()` applies the missing ones in order, each in its own transaction. To change the schema, append
 * a migration; never edit one that has shipped.
 */
import type Database from 'better-sqlite3';
import { ScfError } from '../../errors/index.js';

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly up: (db: Database.Database) => void;
}

/**
 * Index choice (measured in bench/store.ts at 1M records over 100 functions): GetFunctionLogs always
 * narrows to one function, so each sortable column gets a `(namespace, function_name, <col>)` index.
 * SQLite appends the rowid (`seq`) to every index entry, so these also give the `seq` tie-break order
 * without a sort step. `(namespace, function_name, ret_code)` serves rare retCode classes (errors).
 * Totals without a time range or keyword come from `invocation_counts`, kept exact by the store, so the
 * first page never counts rows.
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
CREATE INDEX invocations_fn_start    ON invocations (namespace, function_name, start_time);
CREATE INDEX invocations_fn_duration ON invocations (namespace, function_name, duration);
CREATE INDEX invocations_fn_mem      ON invocations (namespace, function_name, mem_usage);
CREATE INDEX invocations_fn_request  ON invocations (namespace, function_name, request_id);
CREATE INDEX invocations_fn_ret      ON invocations (namespace, function_name, ret_code);
-- Running records: few at any time; scanned by recoverInterrupted and by keyword search (not yet in FTS).
CREATE INDEX invocations_running ON invocations (seq) WHERE ret_code = 2;

-- Full-text index over the log of final records (ret_code <> 2). External content: the text lives once,
-- in invocations.log; the store adds/removes entries explicitly when a record becomes/stops being final.
CREATE VIRTUAL TABLE invocations_fts USING fts5 (
  log,
  content = 'invocations',
  content_rowid = 'seq',
  -- No per-row token counts: they only serve bm25 ranking, which GetFunctionLogs never uses.
  columnsize = 0,
  tokenize = 'unicode61 remove_diacritics 0'
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

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'invocations, indexes, FTS5 log index, counts', up: (db) => db.exec(SCHEMA_V1) },
];

/** Applies the migrations the database lacks. Refuses a database written by a newer scf-local. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
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
