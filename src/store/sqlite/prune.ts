/**
 * Retention's unit of work on the SQLite store: one short transaction deleting the oldest records whose
 * startTime is before a cutoff, keeping the counts table exact and the full-text index consistent. Run
 * in a loop by whoever maintains the full-text index (`indexer.ts`: the worker thread between its
 * indexing transactions, or inline on the store's connection), so that the store has one background
 * writer and no third party in the turn-taking with its main connection (`WriteTurn`).
 *
 * Full-text entries: the FTS table is contentless, so an entry is deleted by replaying the text it holds
 * (`'delete'` command). Which text that is follows the invariant of `fts_queue` (`migrations.ts`): a
 * queued record's entry holds its queue row's `indexed_text` (NULL: no entry), and the queue row goes
 * too; a record not queued has an entry iff it is final, holding `searchText` of its current log; a
 * running record not queued has none.
 *
 * Space: freed pages go to SQLite's freelist and are reused by the rows written next, so with retention
 * running the file levels off at about the retained days' size; it does not shrink. `auto_vacuum` is
 * NONE (a database created without it can only switch by a full VACUUM, minutes and twice the disk for a
 * large store, which a start-up migration should not do unasked); `docs/configuration.md` says how to
 * shrink the file offline.
 */
import type Database from 'better-sqlite3';
import { minuteOf } from '../rollup.js';
import { searchText } from '../search-text.js';
import { RET_CODE } from '../types.js';
import type { DrainLimits } from './fts-indexer.js';

/** Records read per look-up of the oldest ones. */
const HEAD_CHUNK = 128;

interface PruneRow {
  seq: number;
  namespace: string;
  function_name: string;
  qualifier: string;
  ret_code: number;
  /** 1 when the record has a row in fts_queue. */
  queued: number;
  indexed_text: string | null;
}

/** What one prune transaction did. */
export interface PruneStep {
  /** Records deleted (and committed). */
  deleted: number;
  /** False once no record before the cutoff is left (as of this transaction). */
  more: boolean;
}

/**
 * Whether any record has `start_time < before`: one probe of `invocations_time`'s first entry. Most
 * retention runs (hourly, while the cutoff moves daily) find none, and are answered without the indexer.
 */
export function makePrunableProbe(db: Database.Database): (before: number) => boolean {
  const any = db.prepare<[number, number], number>(
    `SELECT EXISTS (SELECT 1 FROM invocations WHERE start_time < ?)
         OR EXISTS (SELECT 1 FROM invocation_rollups WHERE minute < ?)`,
  );
  // Rollup rows without records (throttles only) count too: a prune removes them.
  return (before) => any.pluck().get(before, before) === 1;
}

/**
 * Prepares the statements on `db` (migrated already); the returned function runs one IMMEDIATE
 * transaction deleting up to `limits.maxRecords` records with `start_time < before`, oldest first,
 * stopping early after `limits.maxMs` or when `limits.shouldYield()` (checked between records, after the
 * first one). Counts are decremented per (namespace, function, qualifier, retCode) once per transaction.
 */
export function makePrune(db: Database.Database): (before: number, limits: DrainLimits) => PruneStep {
  // invocations_time (start_time, ...) gives the oldest records without touching the table.
  const head = db.prepare<[number, number], PruneRow>(
    `SELECT i.seq AS seq, i.namespace AS namespace, i.function_name AS function_name,
            i.qualifier AS qualifier, i.ret_code AS ret_code,
            f.seq IS NOT NULL AS queued, f.indexed_text AS indexed_text
       FROM invocations i INDEXED BY invocations_time LEFT JOIN fts_queue f ON f.seq = i.seq
      WHERE i.start_time < ? ORDER BY i.start_time LIMIT ?`,
  );
  // The log only for records whose entry must be replayed from it (final, not queued).
  const logOf = db.prepare<[number], { log: string }>('SELECT log FROM invocations WHERE seq = ?');
  const ftsDelete = db.prepare<[number, string]>(
    `INSERT INTO invocations_fts (invocations_fts, rowid, text) VALUES ('delete', ?, ?)`,
  );
  const dequeue = db.prepare<[number]>('DELETE FROM fts_queue WHERE seq = ?');
  const remove = db.prepare<[number]>('DELETE FROM invocations WHERE seq = ?');
  const decrement = db.prepare<[number, string, string, string, number]>(
    `UPDATE invocation_counts SET n = n - ?
      WHERE namespace = ? AND function_name = ? AND qualifier = ? AND ret_code = ?`,
  );
  // A key whose records are all gone leaves no row behind (functions come and go).
  const dropEmpty = db.prepare<[string, string, string, number]>(
    `DELETE FROM invocation_counts
      WHERE namespace = ? AND function_name = ? AND qualifier = ? AND ret_code = ? AND n <= 0`,
  );
  // Rollups go with their minute's last record: every row before the oldest record left (and before the
  // cutoff), so rollup totals equal what the records give after every prune transaction.
  const oldest = db.prepare<[], number | null>('SELECT min(start_time) FROM invocations').pluck();
  const dropRollups = db.prepare<[number]>('DELETE FROM invocation_rollups WHERE minute < ?');
  // An hour goes once all its minutes have (the hourly rows are few: no index).
  const dropHours = db.prepare<[number]>('DELETE FROM invocation_rollups_hourly WHERE minute + 3600000 <= ?');
  const tx = db.transaction((before: number, limits: DrainLimits): PruneStep => {
    const t0 = performance.now();
    const deltas = new Map<string, { key: [string, string, string, number]; n: number }>();
    let done = 0;
    let more = true;
    // The head in small chunks (each chunk's rows are deleted before the next is read): reading a whole
    // transaction's worth up front costs ~2 us a row, which a time-limited transaction then mostly wastes.
    take: while (done < limits.maxRecords) {
      const want = Math.min(HEAD_CHUNK, limits.maxRecords - done);
      const rows = head.all(before, want);
      for (const r of rows) {
        if (done > 0 && (performance.now() - t0 >= limits.maxMs || limits.shouldYield?.())) break take;
        if (r.queued) {
          if (r.indexed_text !== null) ftsDelete.run(r.seq, r.indexed_text);
          dequeue.run(r.seq);
        } else if (r.ret_code !== RET_CODE.RUNNING) {
          const row = logOf.get(r.seq);
          if (row) ftsDelete.run(r.seq, searchText(row.log));
        }
        remove.run(r.seq);
        const id = JSON.stringify([r.namespace, r.function_name, r.qualifier, r.ret_code]);
        const d = deltas.get(id);
        if (d) d.n++;
        else deltas.set(id, { key: [r.namespace, r.function_name, r.qualifier, r.ret_code], n: 1 });
        done++;
      }
      if (rows.length < want) {
        // Everything before the cutoff is gone (unless the loop above stopped early: then `break take`).
        more = false;
        break;
      }
    }
    for (const { key, n } of deltas.values()) {
      decrement.run(n, ...key);
      dropEmpty.run(...key);
    }
    const left = oldest.get();
    const bound = left === null || left === undefined ? before : Math.min(before, minuteOf(left));
    dropRollups.run(bound);
    dropHours.run(bound);
    return { deleted: done, more };
  });
  return (before, limits) => tx.immediate(before, limits);
}
