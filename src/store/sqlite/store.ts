/**
 * The SQLite LogStore (better-sqlite3, synchronous): one connection in WAL mode, versioned migrations,
 * FTS5 over final logs, a counts table for totals. Contract: `../types.ts`.
 *
 * Full-text indexing is near-real-time: a write transaction only queues the records whose search text
 * changed (`fts_queue`); an indexer drains the queue shortly after (`indexer.ts`: a worker thread with its
 * own connection, or inline on this one for `:memory:`). Queries are exact meanwhile: queued records are
 * matched by the reference matcher (`query.ts`). `whenIndexed()` / `indexLag()` expose the indexer's lag.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ScfError, toScfError } from '../../errors/index.js';
import { stderrReport } from '../../logger/index.js';
import { type KeywordTerm, matchKeyword } from '../keyword.js';
import { searchText } from '../search-text.js';
import type {
  BeginRecord,
  InvocationRecord,
  LogPage,
  LogQuery,
  LogStore,
  StoredRecord,
  WriteOp,
} from '../types.js';
import { RET_CODE } from '../types.js';
import { DEFAULT_DRAIN_LIMITS, makeQueueProbe, WriteTurn } from './fts-indexer.js';
import { type Indexer, InlineIndexer, WorkerIndexer } from './indexer.js';
import { migrate } from './migrations.js';
import { countQuery, pageQuery } from './query.js';

export interface SqliteLogStoreOptions {
  /** Database file; its folder is created. `:memory:` works too (no durability; tests only). */
  path: string;
  /** `normal` survives a process crash, `full` also a power failure (fsync per commit). */
  synchronous?: 'normal' | 'full';
  /** How long a statement waits for another connection's lock before failing (ms). */
  busyTimeoutMs?: number;
  /**
   * Who maintains the full-text index: a worker thread with its own connection (`worker`, the default for
   * files), or this connection in a deferred step after each write (`inline`; always so for `:memory:`,
   * which another connection cannot open). Either way keyword queries are exact at once.
   */
  ftsIndexing?: 'worker' | 'inline';
  /**
   * Called when indexing fails (the indexer thread died, and is restarted with backoff; or an inline
   * indexing transaction failed). Nothing is lost: the queue is durable. Default: `error` lines on stderr.
   */
  onIndexerError?: (err: ScfError) => void;
}

interface Row {
  seq: number;
  request_id: string;
  namespace: string;
  function_name: string;
  qualifier: string;
  start_time: number;
  duration: number;
  bill_duration: number;
  mem_usage: number;
  ret_code: number;
  invoke_finished: number;
  retry_num: number;
  ret_msg: string;
  log: string;
}

const COLUMNS =
  'seq, request_id, namespace, function_name, qualifier, start_time, duration, bill_duration, mem_usage, ' +
  'ret_code, invoke_finished, retry_num, ret_msg, log';

function toRecord(r: Row): StoredRecord {
  return {
    seq: r.seq,
    requestId: r.request_id,
    namespace: r.namespace,
    functionName: r.function_name,
    qualifier: r.qualifier,
    startTime: r.start_time,
    duration: r.duration,
    billDuration: r.bill_duration,
    memUsage: r.mem_usage,
    retCode: r.ret_code,
    retMsg: r.ret_msg,
    invokeFinished: r.invoke_finished,
    retryNum: r.retry_num,
    log: r.log,
  };
}

/** The columns the insert/update statements set, in their parameter order. */
const WRITE_COLUMNS =
  'request_id, namespace, function_name, qualifier, start_time, duration, bill_duration, mem_usage, ' +
  'ret_code, invoke_finished, retry_num, ret_msg, log';

type RecordParams = [
  string,
  string,
  string,
  string,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  string,
  string,
];

/** A full record as positional parameters (binding by position is measurably cheaper than by name). */
function recordParams(r: InvocationRecord): RecordParams {
  return [
    r.requestId,
    r.namespace,
    r.functionName,
    r.qualifier,
    r.startTime,
    r.duration,
    r.billDuration,
    r.memUsage,
    r.retCode,
    r.invokeFinished,
    r.retryNum,
    r.retMsg,
    r.log,
  ];
}

/** A begin record filled to a full running record. */
function runningRecord(r: BeginRecord): InvocationRecord {
  return {
    ...r,
    duration: r.duration ?? 0,
    billDuration: r.billDuration ?? 0,
    memUsage: r.memUsage ?? 0,
    retMsg: r.retMsg ?? '',
    retCode: RET_CODE.RUNNING,
    invokeFinished: 0,
  };
}

interface KeyRow {
  seq: number;
  namespace: string;
  function_name: string;
  qualifier: string;
  ret_code: number;
}

/**
 * Net changes to `invocation_counts` within one transaction, applied once at its end: a batch of 1000
 * records touches a few rows of the counts table instead of 1000.
 */
class CountDeltas {
  readonly #deltas = new Map<string, { key: [string, string, string, number]; n: number }>();

  add(namespace: string, functionName: string, qualifier: string, retCode: number, n: number): void {
    const id = JSON.stringify([namespace, functionName, qualifier, retCode]);
    const d = this.#deltas.get(id);
    if (d) d.n += n;
    else this.#deltas.set(id, { key: [namespace, functionName, qualifier, retCode], n });
  }

  flush(stmt: Database.Statement<[string, string, string, number, number]>): void {
    for (const { key, n } of this.#deltas.values()) if (n !== 0) stmt.run(...key, n);
    this.#deltas.clear();
  }
}

/** Records belong in the FTS index exactly when they are final (not running). */
const isIndexed = (retCode: number): boolean => retCode !== RET_CODE.RUNNING;

function prepareAll(db: Database.Database) {
  return {
    insert: db.prepare<RecordParams>(
      `INSERT INTO invocations (${WRITE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (request_id) DO NOTHING`,
    ),
    replace: db.prepare<[...RecordParams, number]>(
      `UPDATE invocations SET (${WRITE_COLUMNS}) = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE seq = ?`,
    ),
    findKey: db.prepare<[string], KeyRow>(
      'SELECT seq, namespace, function_name, qualifier, ret_code FROM invocations WHERE request_id = ?',
    ),
    addCount: db.prepare<[string, string, string, number, number]>(
      `INSERT INTO invocation_counts (namespace, function_name, qualifier, ret_code, n) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT DO UPDATE SET n = n + excluded.n`,
    ),
    appendRunning: db.prepare<[string, string]>(
      'UPDATE invocations SET log = log || ? WHERE request_id = ? AND ret_code = 2',
    ),
    logOf: db.prepare<[number], { log: string }>('SELECT log FROM invocations WHERE seq = ?'),
    appendAny: db.prepare<[string, number]>('UPDATE invocations SET log = log || ? WHERE seq = ?'),
    // DO NOTHING when queued already: the row's indexed_text is still what the FTS table holds.
    enqueue: db.prepare<[number, string | null]>(
      'INSERT INTO fts_queue (seq, indexed_text) VALUES (?, ?) ON CONFLICT (seq) DO NOTHING',
    ),
    running: db.prepare<[], KeyRow>(
      'SELECT seq, namespace, function_name, qualifier, ret_code FROM invocations WHERE ret_code = 2',
    ),
    markInterrupted: db.prepare(
      `UPDATE invocations SET ret_code = ${RET_CODE.INTERRUPTED}, invoke_finished = 0 WHERE ret_code = 2`,
    ),
    get: db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM invocations WHERE request_id = ?`),
  };
}

type Statements = ReturnType<typeof prepareAll>;

export class SqliteLogStore implements LogStore {
  readonly #options: Required<Omit<SqliteLogStoreOptions, 'onIndexerError'>>;
  readonly #onIndexerError: (err: ScfError) => void;
  #indexer: Indexer | undefined;
  #turn: WriteTurn | undefined;
  #queueSize: (() => number) | undefined;
  /** Resolvers of `whenIndexed()` calls, re-checked after each indexing transaction. */
  #indexWaiters: (() => void)[] = [];
  /** Set by #apply when the batch queued a record for indexing. */
  #queued = false;
  #db: Database.Database | undefined;
  #st: Statements | undefined;
  #closed = false;
  /** Ad-hoc query statements by SQL text: queries come in few shapes, so this stays small. */
  readonly #cache = new Map<string, Database.Statement>();
  #applyBatch: ((batch: readonly WriteOp[]) => void) | undefined;

  constructor(options: SqliteLogStoreOptions) {
    const { onIndexerError, ...rest } = options;
    this.#options = {
      synchronous: 'normal',
      busyTimeoutMs: 5000,
      ftsIndexing: options.path === ':memory:' ? 'inline' : 'worker',
      ...rest,
    };
    if (this.#options.path === ':memory:') this.#options.ftsIndexing = 'inline';
    // Default report: indexing failures are not the caller's to handle (the indexer retries by itself),
    // but they must not pass silently either.
    this.#onIndexerError = onIndexerError ?? stderrReport('full-text indexing failed');
  }

  async open(): Promise<void> {
    if (this.#closed) throw new ScfError('InternalError', 'log store is closed');
    if (this.#db) return;
    try {
      const { path, synchronous, busyTimeoutMs } = this.#options;
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      const db = new Database(path);
      try {
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
        db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
        // 128 MiB page cache + memory-mapped reads: the indexes of ~1M records stay hot, and index-heavy
        // ingest stops paying a read() per page (measured ~8 % faster at 80k records).
        db.pragma('cache_size = -131072');
        db.pragma('mmap_size = 1073741824');
        db.pragma('temp_store = MEMORY');
        // Checkpoint every ~80 MiB of WAL instead of SQLite's 4 MiB: each checkpoint copies every page
        // dirtied since the last one back into the database and fsyncs it, so a longer interval copies a
        // hot page (an index tail, the FTS segment being merged) once instead of many times (measured
        // ~15-30 % more ingest). The WAL file keeps that size once reached.
        db.pragma('wal_autocheckpoint = 20000');
        // The reference matcher, for records not (yet) in the FTS index. A query passes the same terms for
        // every row, so their parse is cached.
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
        migrate(db);
        // Refresh planner statistics cheaply (bounded work); helps the index choice on filtered queries.
        db.pragma('analysis_limit = 1000');
        db.pragma('optimize = 0x10002');
        this.#st = prepareAll(db);
        this.#applyBatch = db.transaction((batch: readonly WriteOp[]) => {
          const deltas = new CountDeltas();
          for (const op of batch) this.#apply(op, deltas);
          deltas.flush(this.#st!.addCount);
        });
        this.#queueSize = makeQueueProbe(db);
        const hooks = { onProgress: () => this.#indexProgress(), onError: this.#onIndexerError };
        if (this.#options.ftsIndexing === 'inline') {
          this.#indexer = new InlineIndexer(db, DEFAULT_DRAIN_LIMITS, hooks);
        } else {
          this.#turn = new WriteTurn();
          this.#indexer = new WorkerIndexer(
            { path, busyTimeoutMs, turn: this.#turn, limits: DEFAULT_DRAIN_LIMITS },
            hooks,
          );
        }
        this.#db = db;
        // Drain what a previous run left queued (the worker does so on start by itself).
        this.#indexer.wake();
      } catch (err) {
        db.close();
        throw err;
      }
    } catch (err) {
      throw toScfError(err);
    }
  }

  async write(batch: readonly WriteOp[]): Promise<void> {
    const apply = this.#ready() && this.#applyBatch!;
    this.#queued = false;
    try {
      this.#exclusive(() => apply(batch));
    } catch (err) {
      // The transaction rolled back: nothing of the batch is applied, so the caller may retry it.
      throw toScfError(err);
    }
    if (this.#queued) this.#indexer!.wake();
  }

  /**
   * Runs a write transaction on this connection, first waiting (briefly, blocking) for the indexer
   * thread to leave its transaction, so that SQLite's busy handler, which sleeps, is not what waits.
   */
  #exclusive<T>(f: () => T): T {
    const turn = this.#turn;
    if (!turn) return f();
    turn.mainEnter(this.#options.busyTimeoutMs);
    try {
      return f();
    } finally {
      turn.mainLeave();
    }
  }

  #apply(op: WriteOp, deltas: CountDeltas): void {
    const st = this.#st!;
    switch (op.op) {
      case 'begin':
        this.#put(runningRecord(op.record), deltas);
        return;
      case 'finish':
        this.#put(op.record, deltas);
        return;
      case 'appendLog': {
        if (st.appendRunning.run(op.text, op.requestId).changes > 0) return;
        const row = st.findKey.get(op.requestId);
        // Text for a record that was never begun has nowhere to go; its finish will carry the full log.
        if (!row) return;
        // A final record: queue it for re-indexing with the longer log.
        const old = st.logOf.get(row.seq)!.log;
        st.appendAny.run(op.text, row.seq);
        this.#enqueue(row.seq, searchText(old));
        return;
      }
    }
  }

  /**
   * Queues a record for (re)indexing. `indexedText`: the search text its FTS entry holds if it is not
   * queued yet, i.e. searchText of its log before this change if it was final (undefined if it was not).
   * If it is already queued, its row keeps the text recorded then, which is what the FTS table still holds.
   */
  #enqueue(seq: number, indexedText: string | undefined): void {
    this.#st!.enqueue.run(seq, indexedText ?? null);
    this.#queued = true;
  }

  /** Inserts or replaces a record by requestId, keeping its seq, and queues it for the FTS index. */
  #put(rec: InvocationRecord, deltas: CountDeltas): void {
    const st = this.#st!;
    const params = recordParams(rec);
    const ins = st.insert.run(...params);
    deltas.add(rec.namespace, rec.functionName, rec.qualifier, rec.retCode, 1);
    if (ins.changes > 0) {
      if (isIndexed(rec.retCode)) this.#enqueue(Number(ins.lastInsertRowid), undefined);
      return;
    }
    const row = st.findKey.get(rec.requestId)!;
    const seq = row.seq;
    deltas.add(row.namespace, row.function_name, row.qualifier, row.ret_code, -1);
    const wasIndexed = isIndexed(row.ret_code);
    const oldText = wasIndexed ? searchText(st.logOf.get(seq)!.log) : undefined;
    st.replace.run(...params, seq);
    // A running record that stays running has no entry to change (unless queued already: left as is).
    if (wasIndexed || isIndexed(rec.retCode)) this.#enqueue(seq, oldText);
  }

  async recoverInterrupted(): Promise<number> {
    this.#ready();
    const st = this.#st!;
    try {
      this.#queued = false;
      const n = this.#exclusive(() =>
        this.#db!.transaction(() => {
          const rows = st.running.all();
          st.markInterrupted.run();
          const deltas = new CountDeltas();
          for (const r of rows) {
            this.#enqueue(r.seq, undefined);
            deltas.add(r.namespace, r.function_name, r.qualifier, r.ret_code, -1);
            deltas.add(r.namespace, r.function_name, r.qualifier, RET_CODE.INTERRUPTED, 1);
          }
          deltas.flush(st.addCount);
          return rows.length;
        })(),
      );
      if (this.#queued) this.#indexer!.wake();
      return n;
    } catch (err) {
      throw toScfError(err);
    }
  }

  async query(q: LogQuery): Promise<LogPage> {
    this.#ready();
    try {
      let total: number;
      let seqs: number[];
      const page = pageQuery(q);
      if (page.withTotal) {
        // Keyword: one evaluation gives the page and (on every row) the total; an empty page needs a count.
        const hits = this.#stmt(page.sql).all(...page.params) as { seq: number; total: number }[];
        seqs = hits.map((h) => h.seq);
        total = hits[0]?.total ?? this.#count(q);
      } else {
        total = this.#count(q);
        seqs = this.#stmt(page.sql)
          .pluck()
          .all(...page.params) as number[];
      }
      if (seqs.length === 0) return { total, items: [] };
      // Rows are fetched by seq after paging, so a sort never carries the (possibly large) logs.
      const rows = this.#stmt(
        `SELECT ${COLUMNS} FROM invocations WHERE seq IN (SELECT value FROM json_each(?))`,
      ).all(JSON.stringify(seqs)) as Row[];
      const bySeq = new Map(rows.map((r) => [r.seq, r]));
      const items: StoredRecord[] = [];
      for (const s of seqs) {
        const r = bySeq.get(s);
        if (r) items.push(toRecord(r));
      }
      return { total, items };
    } catch (err) {
      throw toScfError(err);
    }
  }

  #count(q: LogQuery): number {
    const count = countQuery(q);
    return (this.#stmt(count.sql).get(...count.params) as { total: number }).total;
  }

  /** How many records wait for the full-text indexer (they are found by keyword all the same). */
  indexLag(): number {
    this.#ready();
    return this.#queueSize!();
  }

  /** Resolves once the full-text queue is empty (tests, benchmarks); or when the store closes. */
  async whenIndexed(): Promise<void> {
    this.#ready();
    const indexer = this.#indexer!;
    indexer.hold(true);
    try {
      while (this.#db && this.#queueSize!() > 0) {
        indexer.wake();
        await new Promise<void>((resolve) => this.#indexWaiters.push(resolve));
      }
    } finally {
      indexer.hold(false);
    }
  }

  /** The indexer thread, when indexing runs in one: for tests (terminating it simulates a crash). */
  get indexerThread(): Worker | undefined {
    return this.#indexer instanceof WorkerIndexer ? this.#indexer.worker : undefined;
  }

  #indexProgress(): void {
    const waiters = this.#indexWaiters;
    this.#indexWaiters = [];
    for (const w of waiters) w();
  }

  async get(requestId: string): Promise<StoredRecord | undefined> {
    this.#ready();
    try {
      const row = this.#st!.get.get(requestId);
      return row ? toRecord(row) : undefined;
    } catch (err) {
      throw toScfError(err);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const db = this.#db;
    const indexer = this.#indexer;
    this.#db = undefined;
    this.#st = undefined;
    this.#applyBatch = undefined;
    this.#indexer = undefined;
    this.#queueSize = undefined;
    this.#cache.clear();
    this.#indexProgress(); // whenIndexed() callers: the store is closing, stop waiting
    if (!db) return;
    // First the indexer: it finishes its current transaction; what is still queued stays queued and is
    // indexed after the next open.
    await indexer?.stop();
    try {
      // Bounded statistics refresh for the next start's planner; failure here is harmless.
      db.pragma('optimize');
    } catch {
      // Deliberately ignored: optimize is advisory and the database is closing anyway.
    }
    try {
      db.close();
    } catch (err) {
      throw toScfError(err);
    }
  }

  #ready(): true {
    if (!this.#db) {
      throw new ScfError('InternalError', this.#closed ? 'log store is closed' : 'log store is not open');
    }
    return true;
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#cache.get(sql);
    if (!s) {
      s = this.#db!.prepare(sql);
      this.#cache.set(sql, s);
    }
    return s;
  }
}
