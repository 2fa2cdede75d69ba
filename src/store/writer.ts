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
 *   with the next batch. `appendLog()` returns nothing: its text is coalesced with the record's other
 *   pending appends, dropped if a `finish` for the record follows in the same batch (the finish carries the
 *   full log), and a failure is reported only through `onError` (the later finish rewrites the log anyway).
 * - Every failed batch is reported through `onError` once, with the request ids it concerned: nothing awaits
 *   an append, so without it a lost append would leave no trace. Default: `error` lines on stderr.
 * - `close()` commits everything queued, then refuses new ops; idempotent. It does not close the store:
 *   whoever created the store closes it, after the writer.
 */
import { ScfError } from '../errors/index.js';
import { stderrReport } from '../logger/index.js';
import type { BeginRecord, InvocationRecord, LogStore, WriteOp } from './types.js';

export interface RecordWriterOptions {
  /** Most ops per transaction (config `store.batchMaxSize`). */
  batchMaxSize?: number;
  /**
   * Called once per failed batch, after its promises are rejected, with the request ids of the records the
   * batch wrote to (each once, in queue order). Must not throw (if it does, the throw is ignored).
   */
  onError?: (err: ScfError, batch: { requestIds: string[] }) => void;
}

interface Waiter {
  resolve: () => void;
  reject: (err: ScfError) => void;
}

type Item =
  | { kind: 'record'; op: WriteOp; waiter: Waiter }
  | { kind: 'append'; requestId: string; chunks: string[]; dropped: boolean };

export class RecordWriter {
  readonly #store: LogStore;
  readonly #max: number;
  readonly #onError: (err: ScfError, batch: { requestIds: string[] }) => void;
  #pending: Item[] = [];
  /** The newest pending append item of each record, to which further appends are coalesced. */
  readonly #openAppends = new Map<string, Item & { kind: 'append' }>();
  #inFlight: Promise<void> | undefined;
  #scheduled = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(store: LogStore, options: RecordWriterOptions = {}) {
    this.#store = store;
    this.#max = Math.max(1, Math.floor(options.batchMaxSize ?? 1000));
    this.#onError = options.onError ?? stderrReport('record writes lost: committing a batch failed');
  }

  /** Queues the insertion of a running record; resolves once committed. */
  begin(record: BeginRecord): Promise<void> {
    return this.#queueRecord({ op: 'begin', record });
  }

  /** Queues text to append to a record's log; coalesced with that record's other pending appends. */
  appendLog(requestId: string, text: string): void {
    this.#assertOpen();
    if (text === '') return;
    const open = this.#openAppends.get(requestId);
    if (open) {
      open.chunks.push(text);
      return;
    }
    const item: Item & { kind: 'append' } = { kind: 'append', requestId, chunks: [text], dropped: false };
    this.#openAppends.set(requestId, item);
    this.#enqueue(item);
  }

  /** Queues the final state of a record; resolves once committed. */
  finish(record: InvocationRecord): Promise<void> {
    if (this.#closed) return Promise.reject(new ScfError('InternalError', 'record writer is closed'));
    // The finish replaces the whole log, so appends still waiting in the queue are moot.
    const open = this.#openAppends.get(record.requestId);
    if (open) open.dropped = true;
    return this.#queueRecord({ op: 'finish', record });
  }

  /** Resolves when everything queued before the call has been committed or has failed. */
  async flush(): Promise<void> {
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

  #queueRecord(op: WriteOp): Promise<void> {
    try {
      this.#assertOpen();
    } catch (err) {
      return Promise.reject(err);
    }
    // A later append for this record must not be moved before this op by coalescing.
    const id = op.op === 'appendLog' ? op.requestId : op.record.requestId;
    this.#openAppends.delete(id);
    return new Promise<void>((resolve, reject) => {
      this.#enqueue({ kind: 'record', op, waiter: { resolve, reject } });
    });
  }

  #assertOpen(): void {
    if (this.#closed) throw new ScfError('InternalError', 'record writer is closed');
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
        if (!item.dropped)
          ops.push({ op: 'appendLog', requestId: item.requestId, text: item.chunks.join('') });
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
      if (ops.length > 0) await this.#store.write(ops);
    } catch (cause) {
      const err = new ScfError('InternalError', `committing ${ops.length} record writes failed`, { cause });
      for (const w of waiters) w.reject(err);
      const requestIds = [
        ...new Set(ops.map((op) => (op.op === 'appendLog' ? op.requestId : op.record.requestId))),
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
}
