/**
 * The SQLite store's write path: applying a batch of write operations (begin, finish, appendLog) in one
 * transaction, keeping the counts table exact and queueing for the full-text index every record whose
 * search text changed; and, at start-up, marking the records a crash left running as interrupted.
 * Everything here runs on the store's connection, inside transactions the store serialises with its
 * indexer (`FullText.exclusive`).
 */
import type Database from 'better-sqlite3';
import { finalOfRow, NoRollups, RollupDeltas, type StartConcurrency } from '../rollup.js';
import { searchText } from '../search-text.js';
import { runningRecord } from '../sql-shape.js';
import type { InvocationRecord, WriteOp } from '../types.js';
import { RET_CODE } from '../types.js';
import { required } from './required.js';
import { prepareRollupUpsert } from './rollups.js';

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

function prepareWrites(db: Database.Database) {
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
      `UPDATE invocations SET log = log || ? WHERE request_id = ? AND ret_code = ${RET_CODE.RUNNING}`,
    ),
    logOf: db.prepare<[number], { log: string }>('SELECT log FROM invocations WHERE seq = ?'),
    appendAny: db.prepare<[string, number]>('UPDATE invocations SET log = log || ? WHERE seq = ?'),
    // DO NOTHING when queued already: the row's indexed_text is still what the FTS table holds.
    enqueue: db.prepare<[number, string | null]>(
      'INSERT INTO fts_queue (seq, indexed_text) VALUES (?, ?) ON CONFLICT (seq) DO NOTHING',
    ),
    running: db.prepare<[], KeyRow & { start_time: number; duration: number; mem_usage: number }>(
      `SELECT seq, namespace, function_name, qualifier, ret_code, start_time, duration, mem_usage
         FROM invocations WHERE ret_code = ${RET_CODE.RUNNING}`,
    ),
    addRollup: prepareRollupUpsert(db),
    markInterrupted: db.prepare(
      `UPDATE invocations SET ret_code = ${RET_CODE.INTERRUPTED}, invoke_finished = 0 WHERE ret_code = ${RET_CODE.RUNNING}`,
    ),
  };
}

type WriteStatements = ReturnType<typeof prepareWrites>;

/** The write transactions of one connection. Each method is one transaction: all of it applies, or none. */
export class Writes {
  readonly #st: WriteStatements;
  readonly #applyBatch: (batch: readonly WriteOp[]) => void;
  readonly #recover: () => number;
  /** Set when the current transaction queued a record for indexing. */
  #queued = false;

  /**
   * Prepares the statements: the schema must be migrated already. `rollups: false` skips the rollups
   * (benchmarks only, to measure what they cost: `bench/rollups.ts`).
   */
  constructor(db: Database.Database, options: { rollups?: boolean } = {}) {
    const keepRollups = options.rollups ?? true;
    const st = prepareWrites(db);
    this.#st = st;
    this.#applyBatch = db.transaction((batch: readonly WriteOp[]) => {
      const deltas = new CountDeltas();
      const rollups = keepRollups ? new RollupDeltas() : new NoRollups();
      for (const op of batch) this.#apply(op, deltas, rollups);
      deltas.flush(st.addCount);
      for (const row of rollups.sorted()) st.addRollup(row);
    });
    this.#recover = db.transaction(() => {
      const rows = st.running.all();
      st.markInterrupted.run();
      const deltas = new CountDeltas();
      const rollups = new RollupDeltas();
      for (const r of rows) {
        this.#enqueue(r.seq, undefined);
        deltas.add(r.namespace, r.function_name, r.qualifier, r.ret_code, -1);
        deltas.add(r.namespace, r.function_name, r.qualifier, RET_CODE.INTERRUPTED, 1);
        rollups.addFinal(finalOfRow(r, RET_CODE.INTERRUPTED));
      }
      deltas.flush(st.addCount);
      for (const row of rollups.sorted()) st.addRollup(row);
      return rows.length;
    });
  }

  /** Applies `batch` in one transaction. True when it queued a record for the full-text index. */
  apply(batch: readonly WriteOp[]): boolean {
    this.#queued = false;
    this.#applyBatch(batch);
    return this.#queued;
  }

  /**
   * Marks every running record interrupted (a crash left them so) in one transaction: how many, and
   * whether any was queued for the full-text index.
   */
  recoverInterrupted(): { count: number; queued: boolean } {
    this.#queued = false;
    const count = this.#recover();
    return { count, queued: this.#queued };
  }

  #apply(op: WriteOp, deltas: CountDeltas, rollups: RollupDeltas): void {
    const st = this.#st;
    switch (op.op) {
      case 'begin':
        this.#put(runningRecord(op.record), deltas, rollups, undefined);
        return;
      case 'finish':
        this.#put(op.record, deltas, rollups, op.concurrency);
        return;
      case 'throttle':
        rollups.addThrottles(op.throttle);
        return;
      case 'appendLog': {
        if (st.appendRunning.run(op.text, op.requestId).changes > 0) return;
        const row = st.findKey.get(op.requestId);
        // Text for a record that was never begun has nowhere to go; its finish will carry the full log.
        if (!row) return;
        // A final record: queue it for re-indexing with the longer log.
        const old = this.#logOf(row.seq);
        st.appendAny.run(op.text, row.seq);
        this.#enqueue(row.seq, searchText(old));
        return;
      }
    }
  }

  /** The log of a record this transaction found. */
  #logOf(seq: number): string {
    return required(this.#st.logOf.get(seq), `the log of record ${seq}`).log;
  }

  /**
   * Queues a record for (re)indexing. `indexedText`: the search text its FTS entry holds if it is not
   * queued yet, i.e. searchText of its log before this change if it was final (undefined if it was not).
   * If it is already queued, its row keeps the text recorded then, which is what the FTS table still holds.
   */
  #enqueue(seq: number, indexedText: string | undefined): void {
    this.#st.enqueue.run(seq, indexedText ?? null);
    this.#queued = true;
  }

  /** Inserts or replaces a record by requestId, keeping its seq, and queues it for the FTS index. */
  #put(
    rec: InvocationRecord,
    deltas: CountDeltas,
    rollups: RollupDeltas,
    concurrency: StartConcurrency | undefined,
  ): void {
    const st = this.#st;
    const params = recordParams(rec);
    const ins = st.insert.run(...params);
    deltas.add(rec.namespace, rec.functionName, rec.qualifier, rec.retCode, 1);
    const final = rec.retCode !== RET_CODE.RUNNING;
    if (ins.changes > 0) {
      if (final) rollups.addFinal(rec, concurrency);
      if (isIndexed(rec.retCode)) this.#enqueue(Number(ins.lastInsertRowid), undefined);
      return;
    }
    // The insert met a record with this requestId: it is there.
    const row = required(st.findKey.get(rec.requestId), `the record of request ${rec.requestId}`);
    const seq = row.seq;
    deltas.add(row.namespace, row.function_name, row.qualifier, row.ret_code, -1);
    // Counted once: when a record becomes final, not when a final record is written again.
    if (final && row.ret_code === RET_CODE.RUNNING) rollups.addFinal(rec, concurrency);
    const wasIndexed = isIndexed(row.ret_code);
    const oldText = wasIndexed ? searchText(this.#logOf(seq)) : undefined;
    st.replace.run(...params, seq);
    // A running record that stays running has no entry to change (unless queued already: left as is).
    if (wasIndexed || isIndexed(rec.retCode)) this.#enqueue(seq, oldText);
  }
}
