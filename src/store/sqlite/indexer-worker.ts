/**
 * Worker-thread entry of the full-text indexer (started by `indexer.ts`): its own better-sqlite3
 * connection to the store's file drains `fts_queue` in short transactions, taking turns with the store's
 * writer (`WriteTurn`), so FTS5's CPU work neither slows the write transaction nor blocks the main event
 * loop. An indexing error ends the thread (uncaught); the store reports it and starts a new one, and
 * nothing is lost: the queue is durable and each transaction is atomic.
 *
 * It also runs the store's prunes (`prune.ts`), as the store's one background writer. A prune costs
 * ~20-25 us of CPU per record (the row and its four index entries, and FTS5 replaying the entry's text to
 * delete it), so a day of 1M records is 20-25 s of CPU. Measured with `bench/prune.ts` (1M records, a
 * reader asking for the first page 100 times a second): inline, in 20 ms transactions between
 * `setImmediate` yields on the main thread, the reader's p50 went from 0.4 to 19.6 ms and its p99 to
 * 309 ms (the main connection's WAL checkpoints land in the event loop too); here, p50 0.8 -> 1.1 ms and
 * p99 20 -> 59 ms on the same loaded 2-core machine, at a similar delete rate (21k/s vs 24k/s). The main
 * writer keeps its priority (a prune transaction commits early when the writer wants the lock, as an
 * indexing one does). A prune's failing transaction is reported to the store and drops that job only.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ScfError } from '../../errors/index.js';
import { makeDrain, makeQueueProbe, WriteTurn } from './fts-indexer.js';
import { type FromIndexer, type IndexerWorkerData, isToIndexer } from './indexer-protocol.js';
import { makePrune } from './prune.js';
import { registerHistogramAdd } from './rollups.js';

/** Loaded outside a worker thread: there is no one to index for. */
function notInWorker(): never {
  throw new ScfError('InternalError', 'indexer-worker.js must run in a worker thread');
}

const port: MessagePort = parentPort ?? notInWorker();
const data = workerData as IndexerWorkerData;

// fileMustExist: the store created the file; a thread outliving its folder must not create a stray one.
const db = new Database(data.path, { fileMustExist: true });
db.pragma(`busy_timeout = ${Math.max(0, Math.floor(data.busyTimeoutMs))}`);
db.pragma('synchronous = NORMAL');
db.pragma('cache_size = -65536');
db.pragma('mmap_size = 1073741824');
// The store's connection checkpoints (wal_autocheckpoint there); two checkpointers would only contend.
// Except after prune transactions (see `checkpointAfterPrune`).
db.pragma('wal_autocheckpoint = 0');
// The rollups' histogram sum: the drain counts records into their rollup rows (`fts-indexer.ts`).
registerHistogramAdd(db);
const drain = makeDrain(db);
const queued = makeQueueProbe(db);
const prune = makePrune(db);
const turn = new WriteTurn(data.turn);
const limits = { maxRecords: data.maxRecords, maxMs: data.maxMs, shouldYield: () => turn.mainWants() };

const post = (m: FromIndexer) => port.postMessage(m);
let running = false;
let stopping = false;
/** Prune jobs, oldest first: the first one runs; usually there is at most one. */
const prunes: { id: number; before: number }[] = [];
/** While both have work, indexing and pruning transactions alternate (neither starves the other). */
let pruneNext = false;
/** Prune transactions committed since this connection last checkpointed. */
let prunedSinceCheckpoint = 0;
const PRUNE_CHECKPOINT_EVERY = 16;

/**
 * A prune writes ~1.4 KiB of WAL per record (each transaction commits fresh copies of the index and FTS
 * pages it touched), and the store's connection, which checkpoints, may commit nothing meanwhile (a
 * quiet server at the hourly run): the WAL would grow to ~1.3 GiB for a day of 1M records, and the main
 * thread's next commit would then copy it all back with the event loop blocked. So this connection
 * checkpoints itself, PASSIVE (it takes no write lock and waits for nobody), every few prune transactions
 * and at the end of a job, outside the write turn, so the store's writer never waits for it. The WAL
 * then restarts from its beginning and stays small.
 */
function checkpointAfterPrune(force: boolean): void {
  if (prunedSinceCheckpoint === 0 || (!force && prunedSinceCheckpoint < PRUNE_CHECKPOINT_EVERY)) return;
  prunedSinceCheckpoint = 0;
  db.pragma('wal_checkpoint(PASSIVE)');
}

/** One prune transaction of the first job. */
function pruneStep(job: { id: number; before: number }): void {
  try {
    const { deleted, more } = prune(job.before, limits);
    prunedSinceCheckpoint++;
    if (!more) prunes.shift();
    post({ type: 'pruned', id: job.id, deleted, done: !more });
  } catch (err) {
    // Rolled back; the job's caller learns why, and may try again (its next run does, for retention).
    prunes.shift();
    post({ type: 'pruneFailed', id: job.id, message: err instanceof Error ? err.message : String(err) });
  }
}

/** One transaction, indexing or pruning. True when there may be more work. */
function transaction(): boolean {
  const job = prunes[0];
  if (job !== undefined && pruneNext) {
    pruneNext = false;
    pruneStep(job);
    return true;
  }
  pruneNext = true;
  const n = drain(limits);
  if (n > 0) post({ type: 'progress', indexed: n });
  return n > 0 || prunes.length > 0;
}

/**
 * Indexing (and pruning) gives way to ingest: a transaction starts only once the store's writer has been
 * quiet for `quietMs` (a server's writes come in short bursts, so this is normally a few ms of delay),
 * except that one runs at least every `maxDeferMs` whatever the load. So under a saturated writer indexing
 * slows to ~one short transaction per `maxDeferMs` and the backlog grows (queries still exact, but the
 * matcher's cost grows with it); it catches up as soon as the writer pauses. A prune slows the same way.
 */
let lastRun = performance.now();

/** One step: one transaction (or a short wait for the writer), then yield to the message loop. */
function step(): void {
  if (stopping) {
    stop();
    return;
  }
  const quiet = turn.msSinceMainWrote() >= data.quietMs;
  if (!quiet && performance.now() - lastRun < data.maxDeferMs) {
    turn.awaitMain(Math.min(20, data.quietMs));
    setTimeout(step, Math.max(1, data.quietMs - turn.msSinceMainWrote()));
    return;
  }
  if (!turn.indexerTryEnter()) {
    // The store's writer is at work: wait for it (bounded, so `stop` messages are still seen).
    turn.awaitMain(20);
    setImmediate(step);
    return;
  }
  let more: boolean;
  try {
    more = transaction();
  } finally {
    turn.indexerLeave();
  }
  checkpointAfterPrune(prunes.length === 0);
  lastRun = performance.now();
  if (more) {
    setImmediate(step);
    return;
  }
  running = false;
  turn.indexerScheduled(false);
  // A record committed after this last transaction read the queue, while this thread was still marked
  // scheduled, came with no wake-up: look once more now that the main writer will send one.
  if (queued() > 0) {
    wake();
    return;
  }
  post({ type: 'idle' });
}

function wake(): void {
  if (running || stopping) return;
  running = true;
  turn.indexerScheduled(true);
  setImmediate(step);
}

function stop(): void {
  clearInterval(poll);
  db.close();
  port.close();
}

const poll = setInterval(wake, data.pollMs);
port.on('message', (m: unknown) => {
  if (!isToIndexer(m)) return; // not ours: nothing else talks on this port
  if (m.type === 'wake') wake();
  else if (m.type === 'prune') {
    prunes.push({ id: m.id, before: m.before });
    wake();
  } else {
    stopping = true;
    // A step in progress stops at its next turn; otherwise stop now.
    if (!running) stop();
  }
});
// Drain whatever was queued before this thread started (a previous run's leftovers, a crash's).
wake();
