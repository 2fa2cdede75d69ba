/**
 * The store's side of full-text indexing: who drains `fts_queue` (see `fts-indexer.ts`), and who runs
 * prunes (`prune.ts`): the same background writer, so the store has one.
 * - `WorkerIndexer`: a worker thread with its own connection (file databases). Woken after each write that
 *   queued something; restarts a crashed thread with backoff (and hands it the prunes still under way);
 *   `stop()` lets the current transaction finish and leaves the rest of the queue for the next open.
 * - `InlineIndexer`: the same drain and prune on the store's own connection, one transaction per
 *   `setImmediate` (`:memory:` databases, which another connection cannot open; or by choice).
 * Both call `onProgress` after each committed transaction, which is what `whenIndexed()` waits on.
 */
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { ScfError } from '../../errors/index.js';
import { type DrainLimits, makeDrain, type WriteTurn } from './fts-indexer.js';
import {
  type FromIndexer,
  type IndexerWorkerData,
  isFromIndexer,
  type ToIndexer,
} from './indexer-protocol.js';
import { makePrune, type PruneStep } from './prune.js';

export interface Indexer {
  /** Something was queued (or may be): drain it soon. */
  wake(): void;
  /** Stops indexing; what is still queued stays queued. Idempotent. */
  stop(): Promise<void>;
  /** Keeps the process alive while a caller awaits indexing (`true`) or not (`false`). */
  hold(on: boolean): void;
  /**
   * Deletes every record with startTime < `before`, in short transactions (`prune.ts`); resolves with
   * how many. Rejects with ScfError InternalError when a transaction fails or indexing stops first.
   */
  prune(before: number): Promise<number>;
}

/** A prune cut short by `stop()` (the store closing). */
const stoppedDuringPrune = () =>
  new ScfError(
    'InternalError',
    'the log store closed before pruning finished; records are left to the next run',
  );

export interface IndexerHooks {
  onProgress: () => void;
  onError: (err: ScfError) => void;
}

export class InlineIndexer implements Indexer {
  readonly #drain: (limits: DrainLimits) => number;
  readonly #prune: (before: number, limits: DrainLimits) => PruneStep;
  readonly #limits: DrainLimits;
  readonly #hooks: IndexerHooks;
  #scheduled: NodeJS.Immediate | undefined;
  #stopped = false;

  constructor(db: Database.Database, limits: DrainLimits, hooks: IndexerHooks) {
    this.#drain = makeDrain(db);
    this.#prune = makePrune(db);
    this.#limits = limits;
    this.#hooks = hooks;
  }

  wake(): void {
    if (this.#stopped || this.#scheduled) return;
    this.#scheduled = setImmediate(() => this.#step());
  }

  #step(): void {
    this.#scheduled = undefined;
    if (this.#stopped) return;
    let n = 0;
    try {
      n = this.#drain(this.#limits);
    } catch (err) {
      // The transaction rolled back, the queue is intact; the next write (or whenIndexed) wakes us again.
      this.#hooks.onError(new ScfError('InternalError', 'full-text indexing failed', { cause: err }));
      return;
    }
    this.#hooks.onProgress();
    if (n > 0) this.wake();
  }

  hold(): void {
    // Nothing to hold: a scheduled step is a ref'ed immediate.
  }

  /**
   * One transaction per `setImmediate`, on the store's connection: each blocks the event loop for up to
   * `limits.maxMs` (plus its commit), and requests are served in between.
   */
  async prune(before: number): Promise<number> {
    let deleted = 0;
    for (;;) {
      if (this.#stopped) throw stoppedDuringPrune();
      const step = this.#prune(before, this.#limits);
      deleted += step.deleted;
      // Queued records may have gone with it: whenIndexed() waiters look again.
      if (step.deleted > 0) this.#hooks.onProgress();
      if (!step.more) return deleted;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#scheduled) clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
  }
}

export interface WorkerIndexerOptions {
  path: string;
  busyTimeoutMs: number;
  turn: WriteTurn;
  limits: DrainLimits;
  pollMs?: number;
  /** How long `stop()` waits for the thread to exit before terminating it. */
  stopTimeoutMs?: number;
}

const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 10_000;

/** A prune under way in the thread: its cutoff, what its committed transactions deleted, its caller. */
interface PruneJob {
  before: number;
  deleted: number;
  resolve: (deleted: number) => void;
  reject: (err: ScfError) => void;
}

export class WorkerIndexer implements Indexer {
  readonly #options: WorkerIndexerOptions;
  readonly #hooks: IndexerHooks;
  #worker: Worker | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #backoffMs = RESTART_MIN_MS;
  #holds = 0;
  #lastError: unknown;
  readonly #prunes = new Map<number, PruneJob>();
  #nextPruneId = 0;

  constructor(options: WorkerIndexerOptions, hooks: IndexerHooks) {
    this.#options = options;
    this.#hooks = hooks;
    this.#start();
  }

  /** The running thread, if any (tests terminate it to simulate a crash). */
  get worker(): Worker | undefined {
    return this.#worker;
  }

  wake(): void {
    // Only when the thread is idle: while it has work scheduled it looks at the queue again before it
    // rests (`WriteTurn.indexerScheduled`).
    if (this.#options.turn.mainShouldWake()) this.#post({ type: 'wake' });
  }

  hold(on: boolean): void {
    this.#holds += on ? 1 : -1;
    this.#applyRef();
  }

  /**
   * Sent to the thread, which runs it between indexing transactions. The count is the sum of what the
   * thread reported committed; should the thread die just after a commit, before its report is read, that
   * transaction's records are deleted but not counted (the restarted thread carries on with the rest).
   */
  prune(before: number): Promise<number> {
    if (this.#stopping) return Promise.reject(stoppedDuringPrune());
    const id = ++this.#nextPruneId;
    return new Promise<number>((resolve, reject) => {
      // The caller awaits the thread: keep the process alive meanwhile.
      this.hold(true);
      const settle = () => {
        this.#prunes.delete(id);
        this.hold(false);
      };
      this.#prunes.set(id, {
        before,
        deleted: 0,
        resolve: (n) => {
          settle();
          resolve(n);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
      });
      this.#post({ type: 'prune', id, before });
    });
  }

  #onPrune(m: Extract<FromIndexer, { type: 'pruned' | 'pruneFailed' }>): void {
    const job = this.#prunes.get(m.id);
    if (!job) return; // settled already (the store closed)
    if (m.type === 'pruneFailed') {
      job.reject(new ScfError('InternalError', `pruning records failed: ${m.message}`));
      return;
    }
    job.deleted += m.deleted;
    if (m.done) job.resolve(job.deleted);
  }

  #applyRef(): void {
    // The thread must not keep the process alive on its own (a store left open would hang the exit, and
    // a thread killed mid-transaction loses nothing), except while someone awaits its progress.
    if (this.#holds > 0) {
      this.#worker?.ref();
      this.#restartTimer?.ref();
    } else {
      this.#worker?.unref();
      this.#restartTimer?.unref();
    }
  }

  #post(m: ToIndexer): void {
    this.#worker?.postMessage(m);
  }

  #start(): void {
    const o = this.#options;
    const data: IndexerWorkerData = {
      path: o.path,
      busyTimeoutMs: o.busyTimeoutMs,
      turn: o.turn.buffer,
      maxRecords: o.limits.maxRecords,
      maxMs: o.limits.maxMs,
      pollMs: o.pollMs ?? 1000,
      quietMs: 5,
      maxDeferMs: 1000,
    };
    const worker = new Worker(new URL('./indexer-worker.js', import.meta.url), { workerData: data });
    this.#worker = worker;
    this.#lastError = undefined;
    this.#applyRef();
    worker.on('message', (m: unknown) => {
      if (!isFromIndexer(m)) return; // nothing else talks on this port
      if (m.type === 'progress' || m.type === 'pruned') this.#backoffMs = RESTART_MIN_MS;
      if (m.type === 'pruned' || m.type === 'pruneFailed') this.#onPrune(m);
      // Pruning may take records off the queue too: whenIndexed() waiters look again either way.
      this.#hooks.onProgress();
    });
    // A restarted thread takes over the prunes its predecessor left (each resumes where the deletes got).
    for (const [id, job] of this.#prunes) this.#post({ type: 'prune', id, before: job.before });
    worker.on('error', (err) => {
      this.#lastError = err;
    });
    worker.on('exit', (code) => {
      if (this.#worker === worker) this.#worker = undefined;
      // A transaction it had open died with the thread (SQLite rolled it back); release its turn.
      o.turn.reset();
      if (this.#stopping) return;
      this.#hooks.onError(
        new ScfError('InternalError', `full-text indexer thread exited (code ${code}); restarting`, {
          cause: this.#lastError,
        }),
      );
      const delay = this.#backoffMs;
      this.#backoffMs = Math.min(RESTART_MAX_MS, this.#backoffMs * 2);
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = undefined;
        if (!this.#stopping) this.#start();
      }, delay);
      this.#applyRef();
      // Waiters re-check the queue (and keep waiting for the new thread).
      this.#hooks.onProgress();
    });
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    // The thread ends after its current transaction; what a prune has not deleted yet is left for its
    // next run.
    for (const job of [...this.#prunes.values()]) job.reject(stoppedDuringPrune());
    const worker = this.#worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage({ type: 'stop' } satisfies ToIndexer);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#options.stopTimeoutMs ?? 5000);
    });
    try {
      // It stops after its current transaction (<= ~20 ms); a thread stuck past the deadline is killed,
      // which is safe: SQLite rolls back an open transaction and its records stay queued.
      if ((await Promise.race([exited, deadline])) === 'timeout') await worker.terminate();
    } finally {
      clearTimeout(timer);
    }
  }
}
