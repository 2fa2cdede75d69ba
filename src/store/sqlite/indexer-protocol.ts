/**
 * The messages between the SQLite store (main thread) and its full-text indexer worker
 * (`indexer-worker.ts`). Both directions are discriminated unions, checked on receipt.
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

/** Store -> worker. `wake`: something was queued. `stop`: finish the current transaction, close, exit. */
export type ToIndexer = { type: 'wake' } | { type: 'stop' };

/** Worker -> store. `progress`: a transaction committed, taking `indexed` records off the queue. */
export type FromIndexer = { type: 'progress'; indexed: number } | { type: 'idle' };

export function isToIndexer(m: unknown): m is ToIndexer {
  const t = (m as { type?: unknown } | null)?.type;
  return t === 'wake' || t === 'stop';
}

export function isFromIndexer(m: unknown): m is FromIndexer {
  if (typeof m !== 'object' || m === null) return false;
  const x = m as { type?: unknown; indexed?: unknown };
  return (x.type === 'progress' && typeof x.indexed === 'number') || x.type === 'idle';
}
