/**
 * The messages between the SQLite store (main thread) and its full-text indexer worker
 * (`indexer-worker.ts`), which also runs the store's prunes (retention). Both directions are
 * discriminated unions, checked on receipt.
 */

/** Given to the worker at start (`workerData`). */
export interface IndexerWorkerData {
  path: string;
  busyTimeoutMs: number;
  /** The `WriteTurn` shared with the store's writer. */
  turn: SharedArrayBuffer;
  maxRecords: number;
  maxMs: number;
  /** Start a transaction only after the store's writer has been idle this long (ms)... */
  quietMs: number;
  /** ...or when none ran for this long (ms). */
  maxDeferMs: number;
  /** Safety-net poll of the queue when no wake-up arrives (ms). */
  pollMs: number;
}

/**
 * Store -> worker. `wake`: something was queued. `stop`: finish the current transaction, close, exit.
 * `prune`: delete the records with startTime < `before` (job `id`), in transactions taking turns with
 * indexing; the same job may be sent again to a restarted thread (deleting is idempotent).
 */
export type ToIndexer = { type: 'wake' } | { type: 'stop' } | { type: 'prune'; id: number; before: number };

/**
 * Worker -> store. `progress`: a transaction committed, taking `indexed` records off the queue.
 * `pruned`: a transaction of prune job `id` committed, deleting `deleted` records; `done` when none is
 * left before its cutoff (the last message of the job). `pruneFailed`: the job's transaction failed (rolled
 * back) and the job is dropped; `message` is SQLite's.
 */
export type FromIndexer =
  | { type: 'progress'; indexed: number }
  | { type: 'idle' }
  | { type: 'pruned'; id: number; deleted: number; done: boolean }
  | { type: 'pruneFailed'; id: number; message: string };

export function isToIndexer(m: unknown): m is ToIndexer {
  if (typeof m !== 'object' || m === null) return false;
  const x = m as { type?: unknown; id?: unknown; before?: unknown };
  return (
    x.type === 'wake' ||
    x.type === 'stop' ||
    (x.type === 'prune' && typeof x.id === 'number' && typeof x.before === 'number')
  );
}

export function isFromIndexer(m: unknown): m is FromIndexer {
  if (typeof m !== 'object' || m === null) return false;
  const x = m as { type?: unknown; indexed?: unknown; id?: unknown; deleted?: unknown; done?: unknown };
  switch (x.type) {
    case 'progress':
      return typeof x.indexed === 'number';
    case 'idle':
      return true;
    case 'pruned':
      return typeof x.id === 'number' && typeof x.deleted === 'number' && typeof x.done === 'boolean';
    case 'pruneFailed':
      return typeof x.id === 'number' && typeof (m as { message?: unknown }).message === 'string';
    default:
      return false;
  }
}
