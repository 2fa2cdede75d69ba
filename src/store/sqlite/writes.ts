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
import { prepareRollupAdd } from './rollups.js';

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

/** A record's row as `findKey` reads it: its key and the figures a rollup takes. */
interface FoundRow extends KeyRow {
  start_time: number;
  duration: number;
  mem_usage: number;
}

/**
 * What a queue row says of the rollups: `false`, nothing to count (the record did not just become final);
 * otherwise the record is to be counted when the indexer takes it, with the concurrency its start saw.
 */
type Count = false | StartConcurrency;
const NO_CONCURRENCY: StartConcurrency = { qualifier: 0, function: 0 };

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
    findKey: db.prepare<[string], FoundRow>(
      `SELECT seq, namespace, function_name, qualifier, ret_code, start_time, duration, mem_usage
         FROM invocations WHERE request_id = ?`,
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
    // Queued already: the row's indexed_text is still what the FTS table holds, so it stays; `uncounted`
    // and the concurrency only ever rise (a record that becomes final again is counted again, as ever).
    enqueue: db.prepare<[number, string | null, number, number, number]>(
      `INSERT INTO fts_queue (seq, indexed_text, uncounted, concurrency, fn_concurrency) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (seq) DO UPDATE SET uncounted = max(uncounted, excluded.uncounted),
         concurrency = max(concurrency, excluded.concurrency),
         fn_concurrency = max(fn_concurrency, excluded.fn_concurrency)`,
    ),
    // A queued record still to be counted, taken out of the indexer's hands (`#countNow`).
    uncounted: db.prepare<[number], { concurrency: number; fn_concurrency: number }>(
      'SELECT concurrency, fn_concurrency FROM fts_queue WHERE seq = ? AND uncounted = 1',
    ),
    markCounted: db.prepare<[number]>('UPDATE fts_queue SET uncounted = 0 WHERE seq = ?'),
    // The rollups take interrupted records from the indexer's queue, so only the key is read here.
    running: db.prepare<[], KeyRow>(
      `SELECT seq, namespace, function_name, qualifier, ret_code FROM invocations WHERE ret_code = ${RET_CODE.RUNNING}`,
    ),
    addRollups: prepareRollupAdd(db),
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
  /** False: records are never marked for counting (`rollups: false`). */
  readonly #keepRollups: boolean;

  /**
   * Prepares the statements: the schema must be migrated already. `rollups: false` skips the rollups
   * (benchmarks only, to measure what they cost: `bench/rollups.ts`).
   */
  constructor(db: Database.Database, options: { rollups?: boolean } = {}) {
    const keepRollups = options.rollups ?? true;
    this.#keepRollups = keepRollups;
    const st = prepareWrites(db);
    this.#st = st;
    this.#applyBatch = db.transaction((batch: readonly WriteOp[]) => {
      const deltas = new CountDeltas();
      // What this transaction adds to the rollups itself: throttles, and the rare record counted here
      // rather than by the indexer (`#countNow`). Final records are otherwise counted as they are indexed.
      const rollups = keepRollups ? new RollupDeltas() : new NoRollups();
      for (const op of batch) this.#apply(op, deltas, rollups);
      deltas.flush(st.addCount);
      st.addRollups(rollups.sorted());
    });
    this.#recover = db.transaction(() => {
      const rows = st.running.all();
      st.markInterrupted.run();
      const deltas = new CountDeltas();
      for (const r of rows) {
        // Interrupted: final now, and counted as such when the indexer takes it.
        this.#enqueue(r.seq, undefined, this.#counted(NO_CONCURRENCY));
        deltas.add(r.namespace, r.function_name, r.qualifier, r.ret_code, -1);
        deltas.add(r.namespace, r.function_name, r.qualifier, RET_CODE.INTERRUPTED, 1);
      }
      deltas.flush(st.addCount);
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
        this.#enqueue(row.seq, searchText(old), false);
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
  #enqueue(seq: number, indexedText: string | undefined, count: Count): void {
    if (count) this.#st.enqueue.run(seq, indexedText ?? null, 1, count.qualifier, count.function);
    else this.#st.enqueue.run(seq, indexedText ?? null, 0, 0, 0);
    this.#queued = true;
  }

  /** What to queue for a record that has just become final: counted, unless rollups are off. */
  #counted(concurrency: StartConcurrency | undefined): Count {
    return this.#keepRollups && (concurrency ?? NO_CONCURRENCY);
  }

  /**
   * A final record about to be overwritten while still queued to be counted (normal operation never
   * writes a final record again): it is counted now, as it was when it became final, and its queue row
   * no longer asks for it, so the overwrite changes no rollup (the contract in `../types.ts`).
   */
  #countNow(row: FoundRow, rollups: RollupDeltas): void {
    const q = this.#st.uncounted.get(row.seq);
    if (!q) return;
    rollups.addFinal(finalOfRow(row), { qualifier: q.concurrency, function: q.fn_concurrency });
    this.#st.markCounted.run(row.seq);
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
      if (isIndexed(rec.retCode))
        this.#enqueue(Number(ins.lastInsertRowid), undefined, this.#counted(concurrency));
      return;
    }
    // The insert met a record with this requestId: it is there.
    const row = required(st.findKey.get(rec.requestId), `the record of request ${rec.requestId}`);
    const seq = row.seq;
    deltas.add(row.namespace, row.function_name, row.qualifier, row.ret_code, -1);
    // Counted once: when a record becomes final, not when a final record is written again.
    const becomesFinal = final && row.ret_code === RET_CODE.RUNNING;
    if (row.ret_code !== RET_CODE.RUNNING && this.#keepRollups) this.#countNow(row, rollups);
    const wasIndexed = isIndexed(row.ret_code);
    const oldText = wasIndexed ? searchText(this.#logOf(seq)) : undefined;
    st.replace.run(...params, seq);
    // A running record that stays running has no entry to change (unless queued already: left as is).
    if (wasIndexed || isIndexed(rec.retCode))
      this.#enqueue(seq, oldText, becomesFinal && this.#counted(concurrency));
  }
}
