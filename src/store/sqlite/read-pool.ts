/**
 * The SQLite store's readers: a small pool of worker threads (`read-worker.ts`), each with its own
 * read-only connection to the store's file, that run `query`, `get` and `rollups`, so that the event loop
 * only dispatches a read and answers with its result. A slow read (an all-function sort by duration is
 * 100-150 ms at 1M records) then stalls neither the other requests nor the record commits, and reads use
 * the machine's other cores. WAL lets every reader read while the store's one connection writes.
 *
 * Why hand-written on `node:worker_threads` rather than a pool library (piscina, not a dependency): each
 * thread holds long-lived state (a connection and its prepared statements), the protocol is three reads
 * and a stop, and what matters here is ours to decide: reads kept in one FIFO queue on this side and given
 * to a free thread (so a fast read does not wait behind a slow one already running in a busy thread),
 * crash handling that fails the reads of a dead thread with a coded error, a fallback to the store's own
 * connection, and threads that never keep the process alive on their own. ~300 lines with comments.
 *
 * - Dispatch: a read goes to the ready thread with the fewest reads in flight, at most `depth` each
 *   (default 1: see `DEFAULT_DEPTH`); otherwise it waits in the queue, oldest first.
 * - Start: lazily. The first read starts one thread; until it says it is ready (tens of ms), reads run
 *   inline on the store's connection, as they did before the pool. Another thread is started (up to
 *   `size`) when a read has to wait because every ready thread is busy, so a store read one request at a
 *   time (tests, a quiet server) runs one thread. Reads also run inline whenever no thread is ready (all
 *   of them crashed and wait for their restart): a read never waits for a thread that may not come.
 * - Crash: a thread that exits while the store is open fails the reads it had in flight with ScfError
 *   InternalError (a read changes nothing, so the caller may retry), is reported through `onError`, and is
 *   started again with backoff (100 ms doubling to 10 s, reset once it answers). Its queued reads go to the
 *   other threads, or inline.
 * - Errors of a read keep their code and message: the thread makes them ScfErrors as the store does, and
 *   they are rebuilt here (`read-protocol.ts`).
 * - `close()`: the reads already given to a thread are answered, queued ones are refused (the store is
 *   closing), each thread closes its connection and exits; one that does not within `stopTimeoutMs` is
 *   terminated. Threads are unref'ed whenever they have no read in flight, so an open store never keeps a
 *   process alive, and a pending read always does.
 *
 * Cost: a read crosses threads twice (postMessage: a structured clone of the query, then of the answer).
 * Records travel as flat arrays of values, not objects (`read-protocol.ts`), which made posting a page
 * ~4x cheaper for the reader. Measured in process (`bench/read-pool.ts`): a `get` ~0.01 ms inline, ~0.05 ms
 * through a thread; GetFunctionLogs' first page + total ~0.12 ms inline, ~0.19 ms through a thread. See
 * bench/README.md, "Read pool (issue 15)".
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { ScfError, toScfError } from '../../errors/index.js';
import {
  decodePage,
  isFromReader,
  type ReaderWorkerData,
  type ReadOp,
  type ReadOps,
  type ToReader,
} from './read-protocol.js';

/** The reads on the store's own connection: the fallback, and what `:memory:` stores use. */
export type InlineReads = { [K in ReadOp]: (arg: ReadOps[K]['arg']) => ReadOps[K]['value'] };

/**
 * Reader threads by default: one per core but one (the event loop's), at least 2, at most 4. At least 2
 * even on a 2-core machine: with one thread, one slow read (an all-function sort, 100+ ms at 1M records)
 * holds up every read queued behind it, as the event loop did before; with two, the other thread goes on
 * answering (measured: bench/README.md, "Read pool (issue 15)"). More than 4 buys little: the reads share
 * one writer's file and page cache, and the event loop, which parses and answers, is one thread.
 */
export function defaultReaders(): number {
  return Math.max(2, Math.min(4, os.availableParallelism() - 1));
}

/**
 * Reads in flight per thread. 1: a thread holds only the read it runs, and the next one waits here, free to
 * go to whichever thread is done first. The cost is the hop back to the event loop between two reads.
 */
export const DEFAULT_DEPTH = 1;

export interface ReadPoolOptions {
  path: string;
  /** Threads (>= 1). */
  size: number;
  busyTimeoutMs: number;
  /** Each thread's page cache (KiB). Default 32 MiB: the file is memory-mapped besides. */
  cacheKiB?: number;
  /** Reads in flight per thread. Default `DEFAULT_DEPTH`. */
  depth?: number;
  /** A thread died (it is restarted with backoff). */
  onError: (err: ScfError) => void;
  /** How long `close()` waits for a thread to exit before terminating it. */
  stopTimeoutMs?: number;
}

interface Pending {
  id: number;
  op: ReadOp;
  arg: unknown;
  resolve: (value: unknown) => void;
  reject: (err: ScfError) => void;
}

interface Reader {
  worker: Worker;
  ready: boolean;
  inflight: Map<number, Pending>;
  lastError: unknown;
}

const RESTART_MIN_MS = 100;
const RESTART_MAX_MS = 10_000;

/** A thread's answer as the store returns it (`read-protocol.ts`: records travel as flat arrays). */
function decode(op: ReadOp, value: unknown): unknown {
  if (op === 'rollups' || value === undefined) return value;
  const page = decodePage(value as unknown[]);
  return op === 'query' ? page : page.items[0];
}

const closedError = () => new ScfError('InternalError', 'log store is closed');

export class ReadPool {
  readonly #options: ReadPoolOptions;
  readonly #inline: InlineReads;
  readonly #depth: number;
  /** One slot per thread; undefined while it waits for its restart (or before the first read). */
  readonly #slots: (Reader | undefined)[];
  readonly #backoff: number[];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #queue: Pending[] = [];
  #nextId = 0;
  /** Slots whose thread was started at least once: threads are started as reads need them. */
  #spawned = 0;
  #closing: Promise<void> | undefined;

  constructor(options: ReadPoolOptions, inline: InlineReads) {
    this.#options = options;
    this.#inline = inline;
    this.#depth = Math.max(1, options.depth ?? DEFAULT_DEPTH);
    this.#slots = new Array<Reader | undefined>(Math.max(1, options.size)).fill(undefined);
    this.#backoff = this.#slots.map(() => RESTART_MIN_MS);
  }

  /** Runs a read in a thread (or inline, when none is ready). Rejects with a ScfError. */
  read<K extends ReadOp>(op: K, arg: ReadOps[K]['arg']): Promise<ReadOps[K]['value']> {
    if (this.#closing) return Promise.reject(closedError());
    if (this.#spawned === 0) this.#grow();
    if (!this.#slots.some((r) => r?.ready)) return this.#runInline(op, arg);
    return new Promise<ReadOps[K]['value']>((resolve, reject) => {
      this.#queue.push({
        id: ++this.#nextId,
        op,
        arg,
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.#pump();
    });
  }

  /** The threads running now (tests: terminating one simulates a crash). */
  get threads(): Worker[] {
    return this.#slots.flatMap((r) => (r ? [r.worker] : []));
  }

  /**
   * Starts the threads if they are not yet, and resolves once each slot has a ready thread or none
   * (tests and benchmarks, which want reads off the event loop from their first one). How many are ready.
   */
  async whenReady(): Promise<number> {
    while (!this.#closing && this.#spawned < this.#slots.length) this.#grow();
    await Promise.all(
      this.#slots.map(
        (r) =>
          new Promise<void>((resolve) => {
            if (!r || r.ready) return resolve();
            const done = (m: unknown) => {
              if (isFromReader(m) && m.type !== 'ready') return;
              r.worker.off('message', done);
              r.worker.off('exit', done);
              resolve();
            };
            r.worker.on('message', done);
            r.worker.on('exit', done);
          }),
      ),
    );
    return this.#slots.filter((r) => r?.ready).length;
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const p of this.#queue.splice(0)) p.reject(closedError());
    await Promise.all(this.#slots.map((r) => (r ? this.#stop(r) : undefined)));
  }

  /** Asks a thread to stop after the reads it has; terminates it after `stopTimeoutMs`. */
  async #stop(r: Reader): Promise<void> {
    const exited = new Promise<void>((resolve) => r.worker.once('exit', () => resolve()));
    r.worker.ref();
    r.worker.postMessage({ type: 'stop' } satisfies ToReader);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#options.stopTimeoutMs ?? 5000);
    });
    try {
      if ((await Promise.race([exited, deadline])) === 'timeout') await r.worker.terminate();
    } finally {
      clearTimeout(timer);
    }
  }

  /** Starts the next slot's thread for the first time. */
  #grow(): void {
    this.#spawn(this.#spawned++);
  }

  #spawn(slot: number): void {
    const o = this.#options;
    const data: ReaderWorkerData = {
      path: o.path,
      busyTimeoutMs: o.busyTimeoutMs,
      cacheKiB: o.cacheKiB ?? 32 * 1024,
    };
    const worker = new Worker(new URL('./read-worker.js', import.meta.url), { workerData: data });
    const r: Reader = { worker, ready: false, inflight: new Map(), lastError: undefined };
    this.#slots[slot] = r;
    worker.unref();
    worker.on('message', (m: unknown) => {
      if (!isFromReader(m)) return; // nothing else talks on this port
      if (m.type === 'ready') {
        r.ready = true;
        this.#pump();
        return;
      }
      const p = r.inflight.get(m.id);
      if (!p) return;
      r.inflight.delete(m.id);
      this.#backoff[slot] = RESTART_MIN_MS;
      if (m.type === 'done') p.resolve(decode(p.op, m.value));
      else {
        const e = m.error;
        p.reject(new ScfError(e.code, e.message, { field: e.field, rule: e.rule, detail: e.detail }));
      }
      this.#pump();
      if (r.inflight.size === 0) worker.unref();
    });
    worker.on('error', (err) => {
      r.lastError = err;
    });
    worker.on('exit', (code) => {
      if (this.#slots[slot] === r) this.#slots[slot] = undefined;
      const lost = [...r.inflight.values()];
      r.inflight.clear();
      if (this.#closing) {
        for (const p of lost) p.reject(closedError());
        return;
      }
      for (const p of lost) {
        p.reject(
          new ScfError(
            'InternalError',
            `the log store's reader thread exited during the read (code ${code}); nothing was changed, retry it`,
            { cause: r.lastError },
          ),
        );
      }
      o.onError(
        new ScfError('InternalError', `log store reader thread exited (code ${code}); restarting`, {
          cause: r.lastError,
        }),
      );
      const delay = this.#backoff[slot] ?? RESTART_MIN_MS;
      this.#backoff[slot] = Math.min(RESTART_MAX_MS, delay * 2);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!this.#closing) this.#spawn(slot);
      }, delay);
      timer.unref();
      this.#timers.add(timer);
      this.#pump();
    });
  }

  /** Gives queued reads to free ready threads; with no thread ready, runs them inline. */
  #pump(): void {
    while (this.#queue.length > 0) {
      let best: Reader | undefined;
      let any = false;
      for (const r of this.#slots) {
        if (!r?.ready) continue;
        any = true;
        if (r.inflight.size < this.#depth && (!best || r.inflight.size < best.inflight.size)) best = r;
      }
      if (!any) {
        for (const p of this.#queue.splice(0))
          this.#runInline(p.op, p.arg as never).then(p.resolve, p.reject);
        return;
      }
      if (!best) {
        // Every ready thread is busy: a read waits, so start one more thread, unless one is starting.
        if (this.#spawned < this.#slots.length && !this.#slots.some((r) => r && !r.ready)) this.#grow();
        return;
      }
      const p = this.#queue.shift() as Pending;
      best.inflight.set(p.id, p);
      best.worker.ref();
      best.worker.postMessage({ type: 'read', id: p.id, op: p.op, arg: p.arg } satisfies ToReader);
    }
  }

  #runInline<K extends ReadOp>(op: K, arg: ReadOps[K]['arg']): Promise<ReadOps[K]['value']> {
    try {
      return Promise.resolve(this.#inline[op](arg));
    } catch (err) {
      return Promise.reject(toScfError(err));
    }
  }
}
