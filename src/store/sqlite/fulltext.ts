/**
 * The SQLite store's full-text plumbing on its own connection: the reference matcher that keyword queries
 * call for records the FTS index does not hold yet (`scf_keyword_match`, see `query.ts`), who drains the
 * index's queue (an `Indexer`: a worker thread, or inline on this connection) and runs prunes, the
 * turn-taking between this connection's writes and the worker's transactions, and the waits on the
 * indexer's progress.
 */
import type { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import type { ScfError } from '../../errors/index.js';
import { type KeywordTerm, matchKeyword } from '../keyword.js';
import { searchText } from '../search-text.js';
import { DEFAULT_DRAIN_LIMITS, makeQueueProbe, WriteTurn } from './fts-indexer.js';
import { type Indexer, InlineIndexer, WorkerIndexer } from './indexer.js';
import { makePrunableProbe } from './prune.js';

/**
 * Defines `scf_keyword_match(log, termsJson)` on `db`: the reference matcher over a log's search text. A
 * query passes the same terms for every row, so their parse is cached.
 */
export function registerKeywordMatcher(db: Database.Database): void {
  let lastTerms = '';
  let parsed: KeywordTerm[] = [];
  db.function('scf_keyword_match', { deterministic: true }, (log: unknown, terms: unknown) => {
    if (typeof log !== 'string' || typeof terms !== 'string') return 0;
    if (terms !== lastTerms) {
      parsed = JSON.parse(terms) as KeywordTerm[];
      lastTerms = terms;
    }
    return Number(matchKeyword(searchText(log), parsed));
  });
}

export interface FullTextOptions {
  /** `worker`: a thread with its own connection to `path`; `inline`: this connection, between writes. */
  indexing: 'worker' | 'inline';
  path: string;
  busyTimeoutMs: number;
  /** Indexing failed (the indexer retries by itself). */
  onError: (err: ScfError) => void;
}

/** Full-text indexing of one open store. */
export class FullText {
  readonly #indexer: Indexer;
  readonly #turn: WriteTurn | undefined;
  readonly #queueSize: () => number;
  readonly #prunable: (before: number) => boolean;
  readonly #busyTimeoutMs: number;
  /** Resolvers of `whenIndexed()` calls, re-checked after each indexing transaction. */
  #waiters: (() => void)[] = [];
  #stopped = false;

  /** Starts the indexer, which drains what a previous run left queued. */
  constructor(db: Database.Database, opts: FullTextOptions) {
    this.#busyTimeoutMs = opts.busyTimeoutMs;
    this.#queueSize = makeQueueProbe(db);
    this.#prunable = makePrunableProbe(db);
    const hooks = { onProgress: () => this.#progress(), onError: opts.onError };
    if (opts.indexing === 'inline') {
      this.#indexer = new InlineIndexer(db, DEFAULT_DRAIN_LIMITS, hooks);
    } else {
      const turn = new WriteTurn();
      this.#turn = turn;
      this.#indexer = new WorkerIndexer(
        { path: opts.path, busyTimeoutMs: opts.busyTimeoutMs, turn, limits: DEFAULT_DRAIN_LIMITS },
        hooks,
      );
    }
  }

  /** Something was queued (or may be): the indexer drains it soon. */
  wake(): void {
    this.#indexer.wake();
  }

  /**
   * Runs a write transaction on this connection, first waiting (briefly, blocking) for the indexer
   * thread to leave its transaction, so that SQLite's busy handler, which sleeps, is not what waits.
   */
  exclusive<T>(f: () => T): T {
    const turn = this.#turn;
    if (!turn) return f();
    turn.mainEnter(this.#busyTimeoutMs);
    try {
      return f();
    } finally {
      turn.mainLeave();
    }
  }

  /**
   * Deletes the records with startTime < `before` through the indexer (the one that maintains the FTS
   * entries they hold), in short transactions; how many.
   */
  prune(before: number): Promise<number> {
    // Nothing to delete (most runs): answered here, without a round trip to the indexer thread.
    if (!this.#prunable(before)) return Promise.resolve(0);
    return this.#indexer.prune(before);
  }

  /** How many records wait for the indexer. */
  lag(): number {
    return this.#queueSize();
  }

  /** Resolves once the queue is empty, or when indexing stops. */
  async whenIndexed(): Promise<void> {
    const indexer = this.#indexer;
    indexer.hold(true);
    try {
      while (!this.#stopped && this.#queueSize() > 0) {
        indexer.wake();
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    } finally {
      indexer.hold(false);
    }
  }

  /** The indexer thread, when indexing runs in one. */
  get thread(): Worker | undefined {
    return this.#indexer instanceof WorkerIndexer ? this.#indexer.worker : undefined;
  }

  /**
   * Stops indexing: `whenIndexed()` callers stop waiting, the indexer finishes its current transaction,
   * and what is still queued stays queued for the next open.
   */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#progress();
    return this.#indexer.stop();
  }

  #progress(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
