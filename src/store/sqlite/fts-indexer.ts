/**
 * The full-text indexer's unit of work, shared by both ways of running it: in a worker thread with its own
 * connection (`indexer-worker.ts`, file databases) and inline on the store's connection (`:memory:`, or
 * `ftsIndexing: 'inline'`). Also `WriteTurn`, how the store's connection and the worker's take turns on
 * SQLite's write lock without SQLite's sleeping busy handler.
 */
import type Database from 'better-sqlite3';
import { type FinalRow, finalOfRow, RollupDeltas } from '../rollup.js';
import { searchText } from '../search-text.js';
import { RET_CODE } from '../types.js';
import { required } from './required.js';
import { prepareRollupAdd } from './rollups.js';

export interface DrainLimits {
  /** Most records per transaction. */
  maxRecords: number;
  /** Stop taking records once the transaction has run this long (ms); it then commits. */
  maxMs: number;
  /** Checked between records: true makes the transaction commit early (the main writer is waiting). */
  shouldYield?: () => boolean;
}

export const DEFAULT_DRAIN_LIMITS: DrainLimits = { maxRecords: 2000, maxMs: 20 };

interface QueueRow {
  seq: number;
  indexed_text: string | null;
  /** 1: the record became final when queued, and is added to its minute's rollup row when taken. */
  uncounted: number;
  concurrency: number;
  fn_concurrency: number;
}

interface RecordRow extends FinalRow {
  log: string;
}

/**
 * Prepares the indexer's statements on `db`; the returned function indexes up to one transaction's worth
 * of queued records (oldest first) and returns how many it took off the queue (0: the queue is empty).
 * Each record's FTS entry is replaced by its current state: the old entry (if `indexed_text`) is deleted,
 * a new one is inserted when the record is final; then its queue row goes, all in one IMMEDIATE
 * transaction (it takes the write lock up front, so its reads cannot be invalidated by another writer).
 * The same transaction adds the records that became final (`uncounted`) to their per-minute rollup rows
 * (`migrations.ts` V3): one upsert per row it touches, at its end. `db` must have `scf_hist_add`
 * (`registerHistogramAdd`).
 */
export function makeDrain(db: Database.Database): (limits: DrainLimits) => number {
  const head = db.prepare<[number], QueueRow>(
    'SELECT seq, indexed_text, uncounted, concurrency, fn_concurrency FROM fts_queue ORDER BY seq LIMIT ?',
  );
  const record = db.prepare<[number], RecordRow>(
    `SELECT namespace, function_name, qualifier, start_time, duration, mem_usage, ret_code, log
       FROM invocations WHERE seq = ?`,
  );
  const addRollups = prepareRollupAdd(db);
  const ftsInsert = db.prepare<[number, string]>('INSERT INTO invocations_fts (rowid, text) VALUES (?, ?)');
  const ftsDelete = db.prepare<[number, string]>(
    `INSERT INTO invocations_fts (invocations_fts, rowid, text) VALUES ('delete', ?, ?)`,
  );
  const dequeue = db.prepare<[number]>('DELETE FROM fts_queue WHERE seq = ?');
  const tx = db.transaction((limits: DrainLimits): number => {
    const t0 = performance.now();
    // Read the head in chunks: a transaction cut short by time or by the writer leaves the rest queued.
    const rows = head.all(limits.maxRecords);
    const rollups = new RollupDeltas();
    let done = 0;
    for (const row of rows) {
      if (done > 0 && (performance.now() - t0 >= limits.maxMs || limits.shouldYield?.())) break;
      if (row.indexed_text !== null) ftsDelete.run(row.seq, row.indexed_text);
      const r = record.get(row.seq);
      if (r && r.ret_code !== RET_CODE.RUNNING) {
        ftsInsert.run(row.seq, searchText(r.log));
        if (row.uncounted === 1)
          rollups.addFinal(finalOfRow(r), { qualifier: row.concurrency, function: row.fn_concurrency });
      }
      dequeue.run(row.seq);
      done++;
    }
    addRollups(rollups.sorted());
    return done;
  });
  return (limits) => tx.immediate(limits);
}

/** Whether anything is queued (cheap: the first row of the queue's rowid B-tree). */
export function makeQueueProbe(db: Database.Database): () => number {
  const count = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM fts_queue');
  return () => required(count.get(), 'the row of COUNT(*) over fts_queue').n;
}

/**
 * Turn-taking between the store's writer (main thread) and the indexer (worker thread) over a
 * SharedArrayBuffer, so the main writer never waits in SQLite's busy handler, which sleeps in steps of
 * 1, 2, 5, 10, 15, 20 ms... (a 20 ms indexer transaction would cost the writer ~33 ms and block the event
 * loop for as long). The main writer has priority: it raises WANT, and the indexer commits early between
 * two records when it sees it. Dekker-style with sequentially consistent atomics: the main raises WANT and
 * then reads HELD; the indexer sets HELD and then reads WANT; at least one of them sees the other.
 * SQLite's own locking (busy_timeout) stays the arbiter of correctness, e.g. against other processes; this
 * only avoids the sleeps.
 */
export class WriteTurn {
  static readonly #HELD = 0;
  static readonly #WANT = 1;
  /** When the main writer last left, as `Date.now()` modulo 2^31 (ms). */
  static readonly #LAST = 2;
  /**
   * 1 while the indexer has work scheduled (or a wake is on its way to it), 0 once it went idle: the main
   * writer then posts no wake-up message, which cost ~9 % of a warm Invoke's time when posted after
   * every commit (issue 15's profile).
   */
  static readonly #SCHEDULED = 3;
  readonly buffer: SharedArrayBuffer;
  readonly #cells: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(16)) {
    this.buffer = buffer;
    this.#cells = new Int32Array(buffer);
  }

  /** Main thread: waits (at most `maxWaitMs`, blocking) until the indexer is out of a transaction. */
  mainEnter(maxWaitMs: number): void {
    Atomics.store(this.#cells, WriteTurn.#WANT, 1);
    const deadline = performance.now() + maxWaitMs;
    while (Atomics.load(this.#cells, WriteTurn.#HELD) === 1) {
      const left = deadline - performance.now();
      // Past the deadline (an indexer stuck or killed mid-transaction), SQLite's busy_timeout decides.
      if (left <= 0) break;
      Atomics.wait(this.#cells, WriteTurn.#HELD, 1, left);
    }
  }

  /** Main thread: done writing; wakes an indexer waiting for its turn. */
  mainLeave(): void {
    Atomics.store(this.#cells, WriteTurn.#LAST, Date.now() & 0x7fffffff);
    Atomics.store(this.#cells, WriteTurn.#WANT, 0);
    Atomics.notify(this.#cells, WriteTurn.#WANT);
  }

  /** Indexer: tries to take the turn; false when the main writer wants it (try again after `awaitMain`). */
  indexerTryEnter(): boolean {
    Atomics.store(this.#cells, WriteTurn.#HELD, 1);
    if (Atomics.load(this.#cells, WriteTurn.#WANT) === 0) return true;
    this.indexerLeave();
    return false;
  }

  /** Indexer: ms since the main writer last left (mod 2^31; large when it never wrote). */
  msSinceMainWrote(): number {
    return ((Date.now() & 0x7fffffff) - Atomics.load(this.#cells, WriteTurn.#LAST)) & 0x7fffffff;
  }

  /** Indexer: true while the main writer is waiting for (or using) the write lock. */
  mainWants(): boolean {
    return Atomics.load(this.#cells, WriteTurn.#WANT) === 1;
  }

  /** Indexer: releases the turn and wakes a waiting main writer. */
  indexerLeave(): void {
    Atomics.store(this.#cells, WriteTurn.#HELD, 0);
    Atomics.notify(this.#cells, WriteTurn.#HELD);
  }

  /** Indexer: blocks (at most `maxWaitMs`) while the main writer holds or wants the lock. */
  awaitMain(maxWaitMs: number): void {
    Atomics.wait(this.#cells, WriteTurn.#WANT, 1, maxWaitMs);
  }

  /**
   * Main thread, after a commit that queued records: true when the indexer must be woken (it was idle;
   * it is now marked scheduled, so the commits that follow before it goes idle post nothing).
   */
  mainShouldWake(): boolean {
    return Atomics.compareExchange(this.#cells, WriteTurn.#SCHEDULED, 0, 1) === 0;
  }

  /**
   * Indexer: it has work scheduled (true), or goes idle (false). Going idle, it must look at the queue
   * once more afterwards: a commit made while it was still marked scheduled posted no wake-up.
   */
  indexerScheduled(on: boolean): void {
    Atomics.store(this.#cells, WriteTurn.#SCHEDULED, on ? 1 : 0);
  }

  /** Main thread, after the indexer thread exited: a turn it held died with it, and so did its schedule. */
  reset(): void {
    this.indexerLeave();
    this.indexerScheduled(false);
  }
}
