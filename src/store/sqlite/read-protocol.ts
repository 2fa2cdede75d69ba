/**
 * The messages between the SQLite store (main thread, `read-pool.ts`) and its reader threads
 * (`read-worker.ts`). Both directions are discriminated unions, checked on receipt. A read's answer is
 * the value the store's `query` / `get` / `rollups` returns, structured-cloned; a failure carries the
 * ScfError's own fields, so the caller gets the same code and message as from a read on the main thread.
 */
import type { ErrorCode, Rule } from '../../errors/index.js';
import type { LogPage, LogQuery, RollupQuery, RollupRow, StoredRecord } from '../types.js';

/**
 * Records cross the thread boundary as one flat array of their values, in this order, rather than as
 * objects: structured clone then writes no property names and no object per record, which measured ~4x
 * cheaper to post (the reader's side) and ~20 % cheaper to receive (the event loop's side, the objects
 * rebuilt included) for a page of 20 records (bench/README.md, "Read pool (issue 15)").
 */
const RECORD_KEYS = [
  'seq',
  'requestId',
  'namespace',
  'functionName',
  'qualifier',
  'startTime',
  'duration',
  'billDuration',
  'memUsage',
  'retCode',
  'retMsg',
  'invokeFinished',
  'retryNum',
  'log',
] as const satisfies readonly (keyof StoredRecord)[];

/** A page as `[total, ...values of each record]`. */
export function encodePage(page: LogPage): unknown[] {
  const out: unknown[] = [page.total];
  for (const r of page.items) for (const k of RECORD_KEYS) out.push(r[k]);
  return out;
}

export function decodePage(flat: readonly unknown[]): LogPage {
  const items: StoredRecord[] = [];
  const width = RECORD_KEYS.length;
  for (let i = 1; i + width <= flat.length; i += width) {
    const r: Record<string, unknown> = {};
    for (let j = 0; j < width; j++) r[RECORD_KEYS[j] as string] = flat[i + j];
    items.push(r as unknown as StoredRecord);
  }
  return { total: flat[0] as number, items };
}

/** Given to a reader at start (`workerData`). */
export interface ReaderWorkerData {
  path: string;
  busyTimeoutMs: number;
  /** The connection's page cache, KiB (each reader has its own; the file is memory-mapped besides). */
  cacheKiB: number;
}

/** The reads a reader runs, and what each answers (on the wire: `query` and `get` as `encodePage`'s). */
export interface ReadOps {
  query: { arg: LogQuery; value: LogPage };
  get: { arg: string; value: StoredRecord | undefined };
  rollups: { arg: RollupQuery; value: RollupRow[] };
}
export type ReadOp = keyof ReadOps;

/** A ScfError as it crosses the thread boundary (its cause stays in the reader: it is not cloneable). */
export interface WireError {
  code: ErrorCode;
  message: string;
  field?: string;
  rule?: Rule;
  detail?: Readonly<Record<string, string | number | boolean>>;
}

/** Store -> reader. `read`: run read `id`. `stop`: close the connection and exit (after earlier reads). */
export type ToReader = { type: 'read'; id: number; op: ReadOp; arg: unknown } | { type: 'stop' };

/**
 * Reader -> store. `ready`: the connection is open (reads are sent only then). `done` / `failed`: the
 * answer to read `id`.
 */
export type FromReader =
  | { type: 'ready' }
  | { type: 'done'; id: number; value: unknown }
  | { type: 'failed'; id: number; error: WireError };

const OPS: ReadonlySet<string> = new Set<ReadOp>(['query', 'get', 'rollups']);

export function isToReader(m: unknown): m is ToReader {
  if (typeof m !== 'object' || m === null) return false;
  const x = m as { type?: unknown; id?: unknown; op?: unknown };
  return x.type === 'stop' || (x.type === 'read' && typeof x.id === 'number' && OPS.has(String(x.op)));
}

export function isFromReader(m: unknown): m is FromReader {
  if (typeof m !== 'object' || m === null) return false;
  const x = m as { type?: unknown; id?: unknown; error?: unknown };
  switch (x.type) {
    case 'ready':
      return true;
    case 'done':
      return typeof x.id === 'number';
    case 'failed': {
      const e = x.error as { code?: unknown; message?: unknown } | null | undefined;
      return (
        typeof x.id === 'number' &&
        typeof e === 'object' &&
        e !== null &&
        typeof e.code === 'string' &&
        typeof e.message === 'string'
      );
    }
    default:
      return false;
  }
}
