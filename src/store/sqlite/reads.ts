/**
 * The SQLite store's read path: a query (`query.ts` writes its SQL) runs as the page of `seq`s, then the
 * total, then the rows of that page by seq; a single record by request id. Statements are cached by their
 * SQL text: queries come in few shapes, so the cache stays small.
 */
import type Database from 'better-sqlite3';
import type { LogPage, LogQuery, StoredRecord } from '../types.js';
import { countQuery, pageQuery } from './query.js';
import { required } from './required.js';

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

/** The reads of one connection. Errors are better-sqlite3's own: the store turns them into ScfErrors. */
export class Reads {
  readonly #db: Database.Database;
  readonly #get: Database.Statement<[string], Row>;
  /** Ad-hoc query statements by SQL text. */
  readonly #cache = new Map<string, Database.Statement>();

  /** Prepares the statements: the schema must be migrated already. */
  constructor(db: Database.Database) {
    this.#db = db;
    this.#get = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM invocations WHERE request_id = ?`);
  }

  query(q: LogQuery): LogPage {
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
    if (q.maxBytes !== undefined) seqs = this.#withinBudget(seqs, q.maxBytes);
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
  }

  get(requestId: string): StoredRecord | undefined {
    const row = this.#get.get(requestId);
    return row ? toRecord(row) : undefined;
  }

  /**
   * The page's first records whose texts together take at most `maxBytes` (at least the first), sizes read
   * with octet_length (from the row's header: the texts are not loaded).
   */
  #withinBudget(seqs: number[], maxBytes: number): number[] {
    const sizes = this.#stmt(
      `SELECT seq, octet_length(log) + octet_length(ret_msg) AS n
         FROM invocations WHERE seq IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(seqs)) as { seq: number; n: number }[];
    const size = new Map(sizes.map((r) => [r.seq, r.n]));
    let used = 0;
    for (let i = 0; i < seqs.length; i++) {
      used += size.get(seqs[i] as number) ?? 0;
      if (used > maxBytes) return seqs.slice(0, Math.max(1, i));
    }
    return seqs;
  }

  #count(q: LogQuery): number {
    const count = countQuery(q);
    const row = this.#stmt(count.sql).get(...count.params) as { total: number } | undefined;
    return required(row, 'the row of a count').total;
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#cache.get(sql);
    if (!s) {
      s = this.#db.prepare(sql);
      this.#cache.set(sql, s);
    }
    return s;
  }
}
