/**
 * RecordWriter: takes record writes off the invocation hot path and commits them in batches (group
 * commit). Contract:
 * - Ops are committed in the order they were called (FIFO), at most `batchMaxSize` per transaction, one
 *   batch in flight at a time.
 * - A batch is flushed on `setImmediate` after its first op is queued, so everything queued in the same
 *   event-loop turn shares one commit and no timer latency is added; it is flushed at once when
 *   `batchMaxSize` ops are waiting.
 * - `begin()`/`finish()` resolve when their batch is committed (durable per the store's settings); when a
 *   batch fails they reject with ScfError InternalError (the store's error as cause) and the writer goes on
 *   with the next batch. A store that cannot reach its database (StoreUnavailable: nothing applied) is
 *   retried with backoff for `unavailableRetryMs` first; if it is still away, the batch fails with
 *   StoreUnavailable itself. `appendLog()` returns nothing: its text is coalesced with the record's other
 *   pending appends, dropped if a `finish` for the record follows before it is committed (the finish carries
 *   the full log), and a failure is reported only through `onError` (the later finish rewrites the log anyway).
 * - A record's appends are paced so that their cost stays linear in its log: a store appends by rewriting
 *   the whole value (SQLite's `log = log || ?` rewrites every overflow page; PostgreSQL's TOAST does the
 *   same), so one append per batch made a 4 MB log cost ~150 MB of writes. The first append after a
 *   `begin` goes with the next batch as any op; a later one goes once its pending text is at least as long
 *   as what the record's appends already wrote (the log at least doubles), or `appendMaxDelayMs` after it
 *   was opened, whichever comes first. So a running record's stored log is at most `appendMaxDelayMs`
 *   behind what the function printed; a burst of n bytes costs less than 3n bytes of writes in all (the
 *   stored log at least doubles at each append), and a log that keeps growing slowly, at most one rewrite
 *   per `appendMaxDelayMs`.
 *   `flush()` and `close()` send every paced append at once. Appends of one record keep their order, and
 *   no append moves past a later `begin`/`finish` of its record.
 * - Every failed batch is reported through `onError` once, with the request ids it concerned: nothing awaits
 *   an append, so without it a lost append would leave no trace. Default: `error` lines on stderr.
 * - `close()` commits everything queued, then refuses new ops; idempotent. It does not close the store:
 *   whoever created the store closes it, after the writer.
 */
import { ScfError } from '../errors/index.js';
import { stderrReport } from '../logger/index.js';
import type {
  BeginRecord,
  InvocationRecord,
  LogStore,
  StartConcurrency,
  ThrottleCount,
  WriteOp,
} from './types.js';

export interface RecordWriterOptions {
  /** Most ops per transaction (config `store.batchMaxSize`). */
  batchMaxSize?: number;
  /**
   * Called once per failed batch, after its promises are rejected, with the request ids of the records the
   * batch wrote to (each once, in queue order). Must not throw (if it does, the throw is ignored).
   */
  onError?: (err: ScfError, batch: { requestIds: string[] }) => void;
  /** Longest a record's append may wait for its log to double (see the pacing above). Default 1000 ms. */
  appendMaxDelayMs?: number;
  /**
   * How long a batch is retried while the store cannot reach its database (StoreUnavailable) before its
   * writes fail with that code. Default 10,000 ms.
   */
  unavailableRetryMs?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (err: ScfError) => void;
}

interface AppendItem {
  kind: 'append';
  requestId: string;
  chunks: string[];
  /** Characters in `chunks`. */
  size: number;
  /** Superseded by a finish: not written. */
  dropped: boolean;
  /** In `#pending` (else paced: waiting for its log to double, or for its timer). */
  queued: boolean;
  timer: NodeJS.Timeout | undefined;
}

type Item = { kind: 'record'; op: WriteOp; waiter: Waiter } | AppendItem;

export class RecordWriter {
  readonly #store: LogStore;
  readonly #max: number;
  readonly #onError: (err: ScfError, batch: { requestIds: string[] }) => void;
  #pending: Item[] = [];
  /** The newest pending append item of each record, to which further appends are coalesced. */
  readonly #openAppends = new Map<string, AppendItem>();
  /**
   * Characters each record's appends have handed to the store since its `begin` (a record absent here has
   * written none): the yardstick of the pacing. Forgotten at its `finish`.
   */
  readonly #appended = new Map<string, number>();
  readonly #appendMaxDelayMs: number;
  readonly #unavailableRetryMs: number;
  #inFlight: Promise<void> | undefined;
  #scheduled = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(store: LogStore, options: RecordWriterOptions = {}) {
    this.#store = store;
    this.#max = Math.max(1, Math.floor(options.batchMaxSize ?? 1000));
    this.#onError = options.onError ?? stderrReport('record writes lost: committing a batch failed');
    this.#appendMaxDelayMs = Math.max(0, options.appendMaxDelayMs ?? 1000);
    this.#unavailableRetryMs = Math.max(0, options.unavailableRetryMs ?? 10_000);
  }

  /** Queues the insertion of a running record; resolves once committed. */
  begin(record: BeginRecord): Promise<void> {
    return this.#queueRecord({ op: 'begin', record });
  }

  /**
   * Queues text to append to a record's log; coalesced with that record's other pending appends, and paced
   * (see above).
   */
  appendLog(requestId: string, text: string): void {
    this.#assertOpen();
    if (text === '') return;
    let item = this.#openAppends.get(requestId);
    if (item) {
      item.chunks.push(text);
      item.size += text.length;
    } else {
      item = {
        kind: 'append',
        requestId,
        chunks: [text],
        size: text.length,
        dropped: false,
        queued: false,
        timer: undefined,
      };
      this.#openAppends.set(requestId, item);
    }
    if (item.queued) return;
    const written = this.#appended.get(requestId) ?? 0;
    if (item.size >= written) this.#queueAppend(item);
    else item.timer ??= this.#paceTimer(item);
  }

  /** Queues the final state of a record; resolves once committed. */
  finish(record: InvocationRecord, options: { concurrency?: StartConcurrency } = {}): Promise<void> {
    if (this.#closed) return Promise.reject(new ScfError('InternalError', 'record writer is closed'));
    // The finish replaces the whole log, so appends still waiting (queued or paced) are moot.
    const open = this.#openAppends.get(record.requestId);
    if (open) {
      open.dropped = true;
      clearTimeout(open.timer);
    }
    this.#appended.delete(record.requestId);
    return this.#queueRecord(
      options.concurrency
        ? { op: 'finish', record, concurrency: options.concurrency }
        : { op: 'finish', record },
    );
  }

  /** Resolves when everything queued before the call has been committed or has failed. */
  async flush(): Promise<void> {
    for (const item of this.#openAppends.values()) this.#queueAppend(item);
    while (this.#pending.length > 0 || this.#inFlight) {
      if (!this.#inFlight) this.#flushNow();
      await this.#inFlight;
    }
  }

  /** Commits everything queued, then refuses new ops. Idempotent; does not close the store. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.flush();
    return this.#closing;
  }

  /**
   * Counts an invocation refused for concurrency (it has no record) into the rollups; goes with the next
   * batch, nothing awaits it (a failed batch is reported through `onError` like any other).
   */
  throttle(t: Omit<ThrottleCount, 'n'>): void {
    this.#assertOpen();
    const op: WriteOp = { op: 'throttle', throttle: { ...t, n: 1 } };
    this.#enqueue({ kind: 'record', op, waiter: { resolve: () => {}, reject: () => {} } });
  }

  #queueRecord(op: Exclude<WriteOp, { op: 'throttle' }>): Promise<void> {
    try {
      this.#assertOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    // A later append for this record must not be moved before this op by coalescing, and a paced one
    // must not be moved after it.
    const id = op.op === 'appendLog' ? op.requestId : op.record.requestId;
    const open = this.#openAppends.get(id);
    if (open) this.#queueAppend(open);
    this.#openAppends.delete(id);
    if (op.op === 'begin') this.#appended.delete(id);
    return new Promise<void>((resolve, reject) => {
      this.#enqueue({ kind: 'record', op, waiter: { resolve, reject } });
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new ScfError('InternalError', 'record writer is closed');
  }

  /** A paced append goes with the next batch after `appendMaxDelayMs` at the latest. */
  #paceTimer(item: AppendItem): NodeJS.Timeout {
    const timer = setTimeout(() => this.#queueAppend(item), this.#appendMaxDelayMs);
    // A paced append alone must not keep the process alive: `close()` sends it.
    timer.unref();
    return timer;
  }

  /** Puts an open append in the queue (at once, whatever its pacing); no-op when queued or dropped. */
  #queueAppend(item: AppendItem): void {
    clearTimeout(item.timer);
    item.timer = undefined;
    if (item.queued || item.dropped) return;
    item.queued = true;
    this.#enqueue(item);
  }

  #enqueue(item: Item): void {
    this.#pending.push(item);
    if (this.#inFlight) return; // the batch in flight picks the queue up when it settles
    if (this.#pending.length >= this.#max) {
      this.#flushNow();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        if (!this.#inFlight) this.#flushNow();
      });
    }
  }

  #flushNow(): void {
    if (this.#inFlight || this.#pending.length === 0) return;
    const items = this.#pending.splice(0, this.#max);
    const ops: WriteOp[] = [];
    const waiters: Waiter[] = [];
    for (const item of items) {
      if (item.kind === 'record') {
        ops.push(item.op);
        waiters.push(item.waiter);
      } else {
        // Once taken, an append item is sealed: later appends open a new one, behind this batch.
        if (this.#openAppends.get(item.requestId) === item) this.#openAppends.delete(item.requestId);
        if (!item.dropped) {
          ops.push({ op: 'appendLog', requestId: item.requestId, text: item.chunks.join('') });
          this.#appended.set(item.requestId, (this.#appended.get(item.requestId) ?? 0) + item.size);
        }
      }
    }
    this.#inFlight = this.#commit(ops, waiters).finally(() => {
      this.#inFlight = undefined;
      // Ops queued while this batch was committing form the next batch right away.
      if (this.#pending.length > 0) this.#flushNow();
    });
  }

  async #commit(ops: WriteOp[], waiters: Waiter[]): Promise<void> {
    try {
      if (ops.length > 0) await this.#writeRetrying(ops);
    } catch (cause) {
      // An unreachable database keeps its code (the API answers it as such); anything else is a fault.
      const err =
        cause instanceof ScfError && cause.code === 'StoreUnavailable'
          ? cause
          : new ScfError('InternalError', `committing ${ops.length} record writes failed`, { cause });
      for (const w of waiters) w.reject(err);
      const requestIds = [
        ...new Set(
          ops.flatMap((op) =>
            op.op === 'throttle' ? [] : [op.op === 'appendLog' ? op.requestId : op.record.requestId],
          ),
        ),
      ];
      try {
        this.#onError(err, { requestIds });
      } catch {
        // A throwing onError must not reject the batch chain (#inFlight, which nothing may have to observe)
        // nor stop the next batch; the batch's own promises already carry the failure.
      }
      return;
    }
    for (const w of waiters) w.resolve();
  }

  /**
   * Writes a batch; while the store says it cannot reach its database (`StoreUnavailable`: nothing of
   * the batch was applied), tries again with backoff for up to `unavailableRetryMs`, so that a database
   * restart costs a pause rather than records. Ops queued meanwhile wait for the next batch.
   */
  async #writeRetrying(ops: WriteOp[]): Promise<void> {
    const deadline = Date.now() + this.#unavailableRetryMs;
    let delay = 50;
    for (;;) {
      try {
        await this.#store.write(ops);
        return;
      } catch (err) {
        const retryable = err instanceof ScfError && err.code === 'StoreUnavailable';
        if (!retryable || Date.now() + delay > deadline) throw err;
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 1000);
      }
    }
  }
}
