/**
 * Worker-thread entry of a SQLite store reader (started by `read-pool.ts`): a read-only better-sqlite3
 * connection to the store's file answers `query`, `get` and `rollups` with the same code as the main
 * thread's (`reads.ts`, `rollups.ts`), so a slow read (an all-function sort by duration: 100+ ms at 1M
 * records) runs beside the event loop instead of on it.
 *
 * Freshness: each read is its own read transaction (a query's page, total and rows in one, so they agree),
 * started when the message is handled, so it sees every transaction committed before the store posted
 * it: a batch whose `write()` resolved is always seen. Nothing is cached across reads but prepared
 * statements. WAL lets this connection read while the store's writes commit, and it never writes or
 * checkpoints (`readonly`, `query_only`).
 *
 * Errors: a read's error is turned into a ScfError here exactly as the store turns a main-thread read's
 * (`toScfError`) and sent back field by field; the store rebuilds it. An error opening the connection
 * ends the thread (uncaught); the pool reports it and starts another with backoff.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ScfError, toScfError } from '../../errors/index.js';
import type { LogQuery, RollupQuery } from '../types.js';
import { registerKeywordMatcher } from './fulltext.js';
import {
  encodePage,
  type FromReader,
  isToReader,
  type ReaderWorkerData,
  type WireError,
} from './read-protocol.js';
import { Reads } from './reads.js';
import { prepareRollupRead } from './rollups.js';

/** Loaded outside a worker thread: there is no one to read for. */
function notInWorker(): never {
  throw new ScfError('InternalError', 'read-worker.js must run in a worker thread');
}

const port: MessagePort = parentPort ?? notInWorker();
const data = workerData as ReaderWorkerData;

// fileMustExist: the store created the file; a thread outliving its folder must not create a stray one.
const db = new Database(data.path, { readonly: true, fileMustExist: true });
db.pragma(`busy_timeout = ${Math.max(0, Math.floor(data.busyTimeoutMs))}`);
db.pragma('query_only = ON');
db.pragma(`cache_size = -${Math.max(1024, Math.floor(data.cacheKiB))}`);
db.pragma('mmap_size = 1073741824');
// Sorts without an index build their temporary B-tree in memory, as on the store's connection.
db.pragma('temp_store = MEMORY');
// Queued records (not yet in the FTS index) are matched by the reference matcher.
registerKeywordMatcher(db);
const reads = new Reads(db);
const readRollups = prepareRollupRead(db);
const query = db.transaction((q: LogQuery) => reads.query(q));

const post = (m: FromReader) => port.postMessage(m);

function wire(err: unknown): WireError {
  const e = toScfError(err);
  const out: WireError = { code: e.code, message: e.message };
  if (e.field !== undefined) out.field = e.field;
  if (e.rule !== undefined) out.rule = e.rule;
  if (e.detail !== undefined) out.detail = e.detail;
  return out;
}

port.on('message', (m: unknown) => {
  if (!isToReader(m)) return; // not ours: nothing else talks on this port
  if (m.type === 'stop') {
    db.close();
    port.close();
    return;
  }
  let value: unknown;
  try {
    switch (m.op) {
      case 'query':
        value = encodePage(query(m.arg as LogQuery));
        break;
      case 'get': {
        const r = reads.get(m.arg as string);
        value = r ? encodePage({ total: 1, items: [r] }) : undefined;
        break;
      }
      case 'rollups':
        value = readRollups(m.arg as RollupQuery);
        break;
    }
  } catch (err) {
    post({ type: 'failed', id: m.id, error: wire(err) });
    return;
  }
  post({ type: 'done', id: m.id, value });
});
post({ type: 'ready' });
