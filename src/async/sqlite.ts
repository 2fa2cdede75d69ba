/**
 * The async event queue in a SQLite file of the data folder (`<dataDir>/async.db`; store.backend sqlite,
 * one node). better-sqlite3 is synchronous and each call is one small statement on an index, so the queue
 * runs on the event loop; WAL with synchronous NORMAL keeps a committed event across a crash of the
 * process (what an acknowledged event needs), a power loss excepted.
 */
import Database from 'better-sqlite3';
import {
  claimedEvent,
  type EventRow,
  enqueueParams,
  eventView,
  listOrder,
  listWhere,
  queueFull,
} from './rows.js';
import type {
  AsyncEnqueued,
  AsyncEventInput,
  AsyncEventQuery,
  AsyncEventView,
  AsyncQueue,
  ClaimedEvent,
  Settlement,
} from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS async_events (
  id            INTEGER PRIMARY KEY,
  request_id    TEXT    NOT NULL UNIQUE,
  namespace     TEXT    NOT NULL,
  function_name TEXT    NOT NULL,
  qualifier     TEXT    NOT NULL,
  invoke_type   TEXT    NOT NULL,
  event         TEXT    NOT NULL,
  dedup_key     TEXT    UNIQUE,
  status        TEXT    NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  attempt_ids   TEXT    NOT NULL DEFAULT '[]',
  not_before    INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  accepted_at   INTEGER NOT NULL,
  start_time    INTEGER,
  end_time      INTEGER,
  status_code   INTEGER,
  terminate     INTEGER NOT NULL DEFAULT 0,
  owner         TEXT,
  lease_until   INTEGER
);
CREATE INDEX IF NOT EXISTS async_events_due ON async_events (not_before, id) WHERE status = 'PENDING';
CREATE INDEX IF NOT EXISTS async_events_running ON async_events (lease_until) WHERE status = 'RUNNING';
CREATE INDEX IF NOT EXISTS async_events_function ON async_events (namespace, function_name, accepted_at);
CREATE INDEX IF NOT EXISTS async_events_ended ON async_events (end_time) WHERE end_time IS NOT NULL;
`;

export class SqliteAsyncQueue implements AsyncQueue {
  readonly #db: Database.Database;
  /** Events PENDING or RUNNING: the queue's size, counted once at open and kept here. */
  #open = 0;
  /** Prepared statements, by their SQL (prepared once: preparing costs more than running these). */
  readonly #prepared = new Map<string, Database.Statement>();

  #stmt(sql: string): Database.Statement {
    let st = this.#prepared.get(sql);
    if (!st) {
      st = this.#db.prepare(sql);
      this.#prepared.set(sql, st);
    }
    return st;
  }

  /** `path`: the queue's file, or `:memory:`. */
  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
  }

  async open(_owner: string): Promise<void> {
    // One node: whatever was RUNNING was this node's, before a crash, whatever owner it was claimed
    // under. Its attempt ran (its record is interrupted by the store's recovery) and stays counted: the
    // next has the next retryNum.
    this.#stmt(
      `UPDATE async_events SET status = 'PENDING', owner = NULL, lease_until = NULL, not_before = ?
         WHERE status = 'RUNNING'`,
    ).run(Date.now());
    const row = this.#stmt(
      `SELECT count(*) AS n FROM async_events WHERE status IN ('PENDING', 'RUNNING')`,
    ).get() as { n: number };
    this.#open = row.n;
  }

  async enqueue(
    input: AsyncEventInput & { requestId: string },
    o: { maxQueued: number; ttlMs: number },
  ): Promise<AsyncEnqueued> {
    if (this.#open >= o.maxQueued) throw queueFull(o.maxQueued);
    const now = Date.now();
    const requestId = input.requestId;
    const r = this.#stmt(
      `INSERT INTO async_events (request_id, namespace, function_name, qualifier, invoke_type, event,
           dedup_key, status, not_before, expires_at, accepted_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?)
         ON CONFLICT (dedup_key) DO NOTHING`,
    ).run(...enqueueParams(input, now, o.ttlMs), now);
    if (r.changes === 0) return { requestId, created: false };
    this.#open++;
    return { requestId, created: true };
  }

  async claim(
    owner: string,
    n: number,
    o: { now: number; leaseMs: number; newAttemptId: () => string },
  ): Promise<ClaimedEvent[]> {
    if (n <= 0) return [];
    const rows = this.#stmt(
      `SELECT request_id, attempts, attempt_ids FROM async_events
         WHERE status = 'PENDING' AND not_before <= ? ORDER BY not_before, id LIMIT ?`,
    ).all(o.now, n) as { request_id: string; attempts: number; attempt_ids: string }[];
    const update = this.#stmt(
      `UPDATE async_events SET status = 'RUNNING', owner = ?, lease_until = ?, attempts = attempts + 1,
         attempt_ids = ?, start_time = COALESCE(start_time, ?)
       WHERE request_id = ? RETURNING *`,
    );
    const claimed: ClaimedEvent[] = [];
    this.#db.transaction(() => {
      for (const r of rows) {
        const ids = JSON.parse(r.attempt_ids) as string[];
        ids.push(r.attempts === 0 ? r.request_id : o.newAttemptId());
        const row = update.get(
          owner,
          o.now + o.leaseMs,
          JSON.stringify(ids),
          o.now,
          r.request_id,
        ) as EventRow;
        claimed.push(claimedEvent(row));
      }
    })();
    return claimed;
  }

  async renew(owner: string, requestIds: string[], leaseUntil: number): Promise<string[]> {
    const stmt = this.#stmt(
      `UPDATE async_events SET lease_until = ? WHERE request_id = ? AND owner = ? AND status = 'RUNNING'
       RETURNING terminate`,
    );
    const flagged: string[] = [];
    this.#db.transaction(() => {
      for (const id of requestIds) {
        const r = stmt.get(leaseUntil, id, owner) as { terminate: number } | undefined;
        if (r?.terminate) flagged.push(id);
      }
    })();
    return flagged;
  }

  async settle(owner: string, requestId: string, s: Settlement): Promise<boolean> {
    const r =
      s.status === 'PENDING'
        ? this.#stmt(
            `UPDATE async_events SET status = 'PENDING', owner = NULL, lease_until = NULL, not_before = ?,
                 attempts = attempts - ?, status_code = COALESCE(?, status_code),
                 attempt_ids = CASE WHEN ? THEN attempt_ids
                   ELSE json_remove(attempt_ids, '$[#-1]') END
               WHERE request_id = ? AND owner = ? AND status = 'RUNNING'`,
          ).run(
            Math.round(s.notBefore),
            s.counted ? 0 : 1,
            s.statusCode ?? null,
            s.counted ? 1 : 0,
            requestId,
            owner,
          )
        : this.#stmt(
            `UPDATE async_events SET status = ?, owner = NULL, lease_until = NULL, end_time = ?,
                 status_code = COALESCE(?, status_code), attempts = attempts - ?,
                 attempt_ids = CASE WHEN ? THEN json_remove(attempt_ids, '$[#-1]') ELSE attempt_ids END
               WHERE request_id = ? AND owner = ? AND status = 'RUNNING'`,
          ).run(
            s.status,
            Math.round(s.endTime),
            s.statusCode ?? null,
            s.uncounted ? 1 : 0,
            s.uncounted ? 1 : 0,
            requestId,
            owner,
          );
    if (r.changes > 0 && s.status !== 'PENDING') this.#open--;
    return r.changes > 0;
  }

  async nextDue(): Promise<number | undefined> {
    const r = this.#stmt(`SELECT min(not_before) AS t FROM async_events WHERE status = 'PENDING'`).get() as {
      t: number | null;
    };
    return r.t ?? undefined;
  }

  async get(requestId: string): Promise<(AsyncEventView & { terminate: boolean }) | undefined> {
    const r = this.#stmt('SELECT * FROM async_events WHERE request_id = ?').get(requestId) as
      | EventRow
      | undefined;
    return r && eventView(r);
  }

  async list(q: AsyncEventQuery): Promise<{ total: number; events: AsyncEventView[] }> {
    const { where, params } = listWhere(q, () => '?');
    const total = (
      this.#stmt(`SELECT count(*) AS n FROM async_events WHERE ${where}`).get(...params) as {
        n: number;
      }
    ).n;
    const rows = this.#stmt(
      `SELECT * FROM async_events WHERE ${where} ORDER BY ${listOrder(q)} LIMIT ? OFFSET ?`,
    ).all(...params, q.limit, q.offset) as EventRow[];
    return { total, events: rows.map(eventView) };
  }

  async terminate(requestId: string, now: number): Promise<'aborted' | 'running' | 'final' | 'missing'> {
    const aborted = this.#stmt(
      `UPDATE async_events SET status = 'ABORTED', end_time = ? WHERE request_id = ? AND status = 'PENDING'`,
    ).run(now, requestId);
    if (aborted.changes > 0) {
      this.#open--;
      return 'aborted';
    }
    const running = this.#stmt(
      `UPDATE async_events SET terminate = 1 WHERE request_id = ? AND status = 'RUNNING'`,
    ).run(requestId);
    if (running.changes > 0) return 'running';
    return (await this.get(requestId)) ? 'final' : 'missing';
  }

  async prune(before: number): Promise<number> {
    return this.#stmt(
      `DELETE FROM async_events WHERE end_time < ? AND status IN ('FINISHED', 'FAILED', 'ABORTED')`,
    ).run(before).changes;
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }
}
