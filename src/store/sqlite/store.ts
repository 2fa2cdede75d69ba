/**
 * The SQLite LogStore (better-sqlite3, synchronous): one connection in WAL mode, versioned migrations,
 * FTS5 over final logs, a counts table for totals. Contract: `../types.ts`.
 *
 * Full-text indexing is near-real-time: a write transaction only queues the records whose search text
 * changed (`fts_queue`); an indexer drains the queue shortly after (`indexer.ts`: a worker thread with its
 * own connection, or inline on this one for `:memory:`). Queries are exact meanwhile: queued records are
 * matched by the reference matcher (`query.ts`). `whenIndexed()` / `indexLag()` expose the indexer's lag.
 *
 * Reads (`query`, `get`, `rollups`) run off the event loop, in a small pool of reader threads with
 * read-only connections of their own (`read-pool.ts`, `read-worker.ts`; WAL lets them read while this
 * connection writes): the event loop only dispatches and answers, and a slow sort stalls neither other
 * requests nor record commits. A read posted after `write()` resolved sees that batch (each read is a read
 * transaction of its own, begun when the thread takes it). `:memory:` stores, which another connection
 * cannot open, and `readers: 0` read on this connection, inline, as does a file store until its first
 * thread is ready (or while every thread waits for its restart after a crash).
 *
 * This file is the connection and its lifecycle; the parts live next to it: `writes.ts` (the write
 * transactions), `reads.ts` (queries), `read-pool.ts` (the reader threads), `fulltext.ts` (the keyword
 * matcher, the indexer and its waits), `prune.ts` (retention's deletes, run by the indexer).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ScfError, toScfError } from '../../errors/index.js';
import { stderrReport } from '../../logger/index.js';
import type { LogPage, LogQuery, LogStore, RollupQuery, RollupRow, StoredRecord, WriteOp } from '../types.js';
import { FullText, registerKeywordMatcher } from './fulltext.js';
import { migrate } from './migrations.js';
import { defaultReaders, ReadPool } from './read-pool.js';
import { Reads } from './reads.js';
import { prepareRollupRead, registerHistogramAdd } from './rollups.js';
import { Writes } from './writes.js';

export interface SqliteLogStoreOptions {
  /** Database file; its folder is created. `:memory:` works too (no durability; tests only). */
  path: string;
  /** `normal` survives a process crash, `full` also a power failure (fsync per commit). */
  synchronous?: 'normal' | 'full';
  /** How long a statement waits for another connection's lock before failing (ms). */
  busyTimeoutMs?: number;
  /**
   * Who maintains the full-text index: a worker thread with its own connection (`worker`, the default for
   * files), or this connection in a deferred step after each write (`inline`; always so for `:memory:`,
   * which another connection cannot open). Either way keyword queries are exact at once.
   */
  ftsIndexing?: 'worker' | 'inline';
  /**
   * Called when indexing fails (the indexer thread died, and is restarted with backoff; or an inline
   * indexing transaction failed). Nothing is lost: the queue is durable. Default: `error` lines on stderr.
   */
  onIndexerError?: (err: ScfError) => void;
  /** Keep the per-minute rollups (default true). `false` is for benchmarks that measure their cost only. */
  rollups?: boolean;
  /**
   * Reader threads for `query`, `get` and `rollups` (`read-pool.ts`). Default `defaultReaders()`: one per
   * core but one, 2 to 4. `0`: every read on this connection, on the event loop (always so for `:memory:`).
   */
  readers?: number;
  /** Called when a reader thread dies (it is restarted with backoff). Default: `onIndexerError`'s. */
  onReaderError?: (err: ScfError) => void;
}

const DAY_MS = 86_400_000;

/** What exists while the store is open. */
interface Open {
  db: Database.Database;
  writes: Writes;
  reads: Reads;
  readRollups: (q: RollupQuery) => RollupRow[];
  /** The reader threads; undefined: reads run inline (`readers: 0`, `:memory:`). */
  pool: ReadPool | undefined;
  fulltext: FullText;
}

export class SqliteLogStore implements LogStore {
  /** `query` reads a page's text sizes first and stops at `maxBytes` (`reads.ts`). */
  readonly pageBudget = true;
  readonly #options: Required<
    Omit<SqliteLogStoreOptions, 'onIndexerError' | 'rollups' | 'readers' | 'onReaderError'>
  >;
  readonly #rollups: boolean;
  readonly #readers: number;
  readonly #onIndexerError: (err: ScfError) => void;
  readonly #onReaderError: (err: ScfError) => void;
  #open: Open | undefined;
  #closed = false;

  constructor(options: SqliteLogStoreOptions) {
    const { onIndexerError, rollups, readers, onReaderError, ...rest } = options;
    this.#rollups = rollups ?? true;
    this.#readers = options.path === ':memory:' ? 0 : Math.max(0, Math.floor(readers ?? defaultReaders()));
    this.#options = {
      synchronous: 'normal',
      busyTimeoutMs: 5000,
      ftsIndexing: options.path === ':memory:' ? 'inline' : 'worker',
      ...rest,
    };
    if (this.#options.path === ':memory:') this.#options.ftsIndexing = 'inline';
    // Default report: indexing failures are not the caller's to handle (the indexer retries by itself),
    // but they must not pass silently either.
    this.#onIndexerError = onIndexerError ?? stderrReport('full-text indexing failed');
    this.#onReaderError = onReaderError ?? onIndexerError ?? stderrReport('log store reader failed');
  }

  async open(): Promise<void> {
    if (this.#closed) throw new ScfError('InternalError', 'log store is closed');
    if (this.#open) return;
    try {
      const { path, synchronous, busyTimeoutMs } = this.#options;
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      try {
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
        db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
        // 128 MiB page cache + memory-mapped reads: the indexes of ~1M records stay hot, and index-heavy
        // ingest stops paying a read() per page (measured ~8 % faster at 80k records).
        db.pragma('cache_size = -131072');
        db.pragma('mmap_size = 1073741824');
        db.pragma('temp_store = MEMORY');
        // Checkpoint every ~80 MiB of WAL instead of SQLite's 4 MiB: each checkpoint copies every page
        // dirtied since the last one back into the database and fsyncs it, so a longer interval copies a
        // hot page (an index tail, the FTS segment being merged) once instead of many times (measured
        // ~15-30 % more ingest). The WAL file keeps that size once reached.
        db.pragma('wal_autocheckpoint = 20000');
        // The reference matcher, for records not (yet) in the FTS index.
        registerKeywordMatcher(db);
        // The rollups' histogram sum, for their upsert (the migration that builds them uses it too).
        registerHistogramAdd(db);
        migrate(db);
        // Refresh planner statistics cheaply (bounded work); helps the index choice on filtered queries.
        db.pragma('analysis_limit = 1000');
        db.pragma('optimize = 0x10002');
        const writes = new Writes(db, { rollups: this.#rollups });
        const readRollups = prepareRollupRead(db);
        const reads = new Reads(db);
        const fulltext = new FullText(db, {
          indexing: this.#options.ftsIndexing,
          path,
          busyTimeoutMs,
          onError: this.#onIndexerError,
        });
        const pool =
          this.#readers > 0
            ? new ReadPool(
                { path, size: this.#readers, busyTimeoutMs, onError: this.#onReaderError },
                { query: (q) => reads.query(q), get: (id) => reads.get(id), rollups: readRollups },
              )
            : undefined;
        this.#open = { db, writes, reads, readRollups, pool, fulltext };
        // Drain what a previous run left queued (the worker does so on start by itself).
        fulltext.wake();
      } catch (err) {
        db.close();
        throw err;
      }
    } catch (err) {
      throw toScfError(err);
    }
  }

  async write(batch: readonly WriteOp[]): Promise<void> {
    const { writes, fulltext } = this.#ready();
    let queued: boolean;
    try {
      queued = fulltext.exclusive(() => writes.apply(batch));
    } catch (err) {
      // The transaction rolled back: nothing of the batch is applied, so the caller may retry it.
      throw toScfError(err);
    }
    if (queued) fulltext.wake();
  }

  async recoverInterrupted(): Promise<number> {
    const { writes, fulltext } = this.#ready();
    try {
      const { count, queued } = fulltext.exclusive(() => writes.recoverInterrupted());
      if (queued) fulltext.wake();
      return count;
    } catch (err) {
      throw toScfError(err);
    }
  }

  async query(q: LogQuery): Promise<LogPage> {
    const { reads, pool } = this.#ready();
    if (pool) return pool.read('query', q);
    try {
      return reads.query(q);
    } catch (err) {
      throw toScfError(err);
    }
  }

  async get(requestId: string): Promise<StoredRecord | undefined> {
    const { reads, pool } = this.#ready();
    if (pool) return pool.read('get', requestId);
    try {
      return reads.get(requestId);
    } catch (err) {
      throw toScfError(err);
    }
  }

  async rollups(q: RollupQuery): Promise<RollupRow[]> {
    const { readRollups, pool } = this.#ready();
    if (pool) return pool.read('rollups', q);
    try {
      return readRollups(q);
    } catch (err) {
      throw toScfError(err);
    }
  }

  /**
   * Retention (contract in `../types.ts`). Runs where full-text indexing runs (`ftsIndexing`): in the
   * indexer's worker thread, in transactions of at most ~20 ms that alternate with indexing and give way
   * to this connection's writes, so the event loop is not blocked; inline, one such transaction per
   * `setImmediate`. Space freed is reused by later rows; the file does not shrink (`prune.ts`).
   */
  async prune(before: number): Promise<number> {
    const { fulltext } = this.#ready();
    if (!Number.isSafeInteger(before) || before % DAY_MS !== 0) {
      // The contract's precondition (every backend may delete whole UTC days); a caller's bug, not data.
      throw new ScfError('InternalError', `prune cutoff ${before} is not the start of a UTC day`);
    }
    try {
      return await fulltext.prune(before);
    } catch (err) {
      throw toScfError(err);
    }
  }

  /** How many records wait for the full-text indexer (they are found by keyword all the same). */
  indexLag(): number {
    return this.#ready().fulltext.lag();
  }

  /** Resolves once the full-text queue is empty (tests, benchmarks); or when the store closes. */
  async whenIndexed(): Promise<void> {
    await this.#ready().fulltext.whenIndexed();
  }

  /**
   * Starts the reader threads if they are not yet and resolves once they are ready (reads before that run
   * inline): for tests and benchmarks. How many are ready (0 with `readers: 0` or `:memory:`).
   */
  async whenReadersReady(): Promise<number> {
    return (await this.#ready().pool?.whenReady()) ?? 0;
  }

  /** The reader threads running now: for tests (terminating one simulates a crash). */
  get readerThreads(): Worker[] {
    return this.#open?.pool?.threads ?? [];
  }

  /** The indexer thread, when indexing runs in one: for tests (terminating it simulates a crash). */
  get indexerThread(): Worker | undefined {
    return this.#open?.fulltext.thread;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const open = this.#open;
    this.#open = undefined;
    if (!open) return;
    // First the readers: the reads they were given are answered, then their connections close.
    await open.pool?.close();
    // Then the indexer (whenIndexed() callers stop waiting): it finishes its current transaction; what is
    // still queued stays queued and is indexed after the next open.
    await open.fulltext.stop();
    try {
      // Bounded statistics refresh for the next start's planner; failure here is harmless.
      open.db.pragma('optimize');
    } catch {
      // Deliberately ignored: optimize is advisory and the database is closing anyway.
    }
    try {
      open.db.close();
    } catch (err) {
      throw toScfError(err);
    }
  }

  /** What an open store has; InternalError before `open()` and after `close()`. */
  #ready(): Open {
    if (!this.#open) {
      throw new ScfError('InternalError', this.#closed ? 'log store is closed' : 'log store is not open');
    }
    return this.#open;
  }
}
