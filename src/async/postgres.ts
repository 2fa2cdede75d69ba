/**
 * The async event queue in PostgreSQL (store.backend postgres), shared by every node on the database.
 * A node claims due events with `FOR UPDATE SKIP LOCKED` (no two nodes take one event) under a lease it
 * renews while the attempt runs; an event whose lease expired — its node died — is claimed again by any
 * node, its attempt counted. A timer firing is claimed by its unique `dedup_key`: every node may enqueue it,
 * one row is stored. Enqueues NOTIFY channel `scf_async` (payload: the schema) so idle nodes wake at once;
 * a notification is only a wake-up, the table is the truth.
 */
import type pg from 'pg';
import { migratePg, PgListener, type PgMigration, pgError } from '../pg/index.js';
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

export const ASYNC_CHANNEL = 'scf_async';
const COUNT_EVERY_MS = 500;

export const ASYNC_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'async events: the durable queue of asynchronous invocations',
    up: async (client) => {
      await client.query(`
        CREATE TABLE async_events (
          id            bigserial PRIMARY KEY,
          request_id    text    NOT NULL UNIQUE,
          namespace     text    NOT NULL,
          function_name text    NOT NULL,
          qualifier     text    NOT NULL,
          invoke_type   text    NOT NULL,
          event         text    NOT NULL,
          dedup_key     text    UNIQUE,
          status        text    NOT NULL,
          attempts      integer NOT NULL DEFAULT 0,
          attempt_ids   jsonb   NOT NULL DEFAULT '[]',
          not_before    bigint  NOT NULL,
          expires_at    bigint  NOT NULL,
          accepted_at   bigint  NOT NULL,
          start_time    bigint,
          end_time      bigint,
          status_code   integer,
          terminate     boolean NOT NULL DEFAULT false,
          owner         text,
          lease_until   bigint);
        CREATE INDEX async_events_due ON async_events (not_before, id) WHERE status = 'PENDING';
        CREATE INDEX async_events_running ON async_events (lease_until) WHERE status = 'RUNNING';
        CREATE INDEX async_events_function ON async_events (namespace, function_name, accepted_at);
        CREATE INDEX async_events_ended ON async_events (end_time) WHERE end_time IS NOT NULL;`);
    },
  },
];

export interface PgAsyncQueueOptions {
  /** The schema the pool's search_path names. */
  schema: string;
  /** Called when another node (or this one) enqueued an event: a wake-up. Must not throw. */
  onWake?: () => void;
}

export class PgAsyncQueue implements AsyncQueue {
  readonly #pool: pg.Pool;
  readonly #o: PgAsyncQueueOptions;
  #listener: PgListener | undefined;
  /**
   * Open events (PENDING or RUNNING) as last counted, plus this node's enqueues since: counted again at
   * most every COUNT_EVERY_MS, or at once when near the limit. Other nodes' enqueues since the last count
   * are unseen, so the limit may be passed by what the nodes accept in that time.
   */
  #open = { n: 0, at: -Infinity };

  constructor(pool: pg.Pool, options: PgAsyncQueueOptions) {
    this.#pool = pool;
    this.#o = options;
  }

  async #q<R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[] = []) {
    try {
      return await this.#pool.query<R>(sql, params);
    } catch (err) {
      throw pgError(err, what);
    }
  }

  async open(owner: string): Promise<void> {
    await migratePg(this.#pool, this.#o.schema, 'async', ASYNC_MIGRATIONS);
    // This node's attempts a crash left RUNNING: their leases would expire anyway; take them back now.
    await this.#q(
      'recovering async events',
      `UPDATE async_events SET status = 'PENDING', owner = NULL, lease_until = NULL, not_before = $2
       WHERE status = 'RUNNING' AND owner = $1`,
      [owner, Date.now()],
    );
    const onWake = this.#o.onWake;
    if (onWake) {
      this.#listener = new PgListener(this.#pool, {
        channel: ASYNC_CHANNEL,
        onNotification: (payload) => {
          if (payload === this.#o.schema) onWake();
        },
        onListening: onWake,
      });
    }
  }

  async enqueue(
    input: AsyncEventInput & { requestId: string },
    o: { maxQueued: number; ttlMs: number },
  ): Promise<AsyncEnqueued> {
    const { requestId } = input;
    const now = Date.now();
    if (now - this.#open.at > COUNT_EVERY_MS || this.#open.n >= o.maxQueued * 0.9) {
      const open = await this.#q<{ n: string }>(
        'counting async events',
        `SELECT count(*) AS n FROM async_events WHERE status IN ('PENDING', 'RUNNING')`,
      );
      this.#open = { n: Number(open.rows[0]?.n ?? 0), at: now };
    }
    if (this.#open.n >= o.maxQueued) throw queueFull(o.maxQueued);
    // One statement: the row, and the wake-up of every node (sent at its commit) when it was stored.
    const r = await this.#q<{ stored: number }>(
      'storing an async event',
      `WITH stored AS (
         INSERT INTO async_events (request_id, namespace, function_name, qualifier, invoke_type, event,
           dedup_key, status, not_before, expires_at, accepted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'PENDING', $8, $9, $8)
         ON CONFLICT (dedup_key) DO NOTHING RETURNING 1)
       SELECT count(*)::int AS stored, (SELECT pg_notify($10, $11) FROM stored) AS woken FROM stored`,
      [...enqueueParams(input, now, o.ttlMs), ASYNC_CHANNEL, this.#o.schema],
    );
    const inserted = (r.rows[0]?.stored ?? 0) > 0;
    if (inserted) this.#open.n++;
    return { requestId, created: inserted };
  }

  async claim(
    owner: string,
    n: number,
    o: { now: number; leaseMs: number; newAttemptId: () => string },
  ): Promise<ClaimedEvent[]> {
    if (n <= 0) return [];
    // One statement: the due rows are locked (skipping those another node holds) and updated together. A
    // retry's new request id comes from `newAttemptId` (made here for each row that may need one).
    const fresh = Array.from({ length: n }, () => o.newAttemptId());
    const r = await this.#q<EventRow>(
      'claiming async events',
      `WITH due AS (
         SELECT id, row_number() OVER (ORDER BY not_before, id) AS k FROM (
           SELECT id, not_before FROM async_events
           WHERE (status = 'PENDING' AND not_before <= $1) OR (status = 'RUNNING' AND lease_until < $1)
           ORDER BY not_before, id LIMIT $2 FOR UPDATE SKIP LOCKED) AS locked)
       UPDATE async_events e SET status = 'RUNNING', owner = $3, lease_until = $4, attempts = e.attempts + 1,
         attempt_ids = e.attempt_ids || jsonb_build_array(
           CASE WHEN e.attempts = 0 THEN e.request_id ELSE ($5::text[])[due.k] END),
         start_time = COALESCE(e.start_time, $1)
       FROM due WHERE e.id = due.id
       RETURNING e.*, due.k`,
      [o.now, n, owner, o.now + o.leaseMs, fresh],
    );
    return r.rows
      .sort((a, b) => Number((a as unknown as { k: string }).k) - Number((b as unknown as { k: string }).k))
      .map(claimedEvent);
  }

  async renew(owner: string, requestIds: string[], leaseUntil: number): Promise<string[]> {
    if (requestIds.length === 0) return [];
    const r = await this.#q<{ request_id: string; terminate: boolean }>(
      'renewing async leases',
      `UPDATE async_events SET lease_until = $1
       WHERE request_id = ANY($2) AND owner = $3 AND status = 'RUNNING' RETURNING request_id, terminate`,
      [leaseUntil, requestIds, owner],
    );
    return r.rows.filter((x) => x.terminate).map((x) => x.request_id);
  }

  async settle(owner: string, requestId: string, s: Settlement): Promise<boolean> {
    const r =
      s.status === 'PENDING'
        ? await this.#q(
            'settling an async attempt',
            `UPDATE async_events SET status = 'PENDING', owner = NULL, lease_until = NULL, not_before = $3,
               attempts = attempts - $4, status_code = COALESCE($5, status_code),
               attempt_ids = CASE WHEN $4 = 0 THEN attempt_ids ELSE attempt_ids - (-1) END
             WHERE request_id = $1 AND owner = $2 AND status = 'RUNNING'`,
            [requestId, owner, Math.round(s.notBefore), s.counted ? 0 : 1, s.statusCode ?? null],
          )
        : await this.#q(
            'settling an async event',
            `UPDATE async_events SET status = $3, owner = NULL, lease_until = NULL, end_time = $4,
               status_code = COALESCE($5, status_code), attempts = attempts - $6,
               attempt_ids = CASE WHEN $6 = 0 THEN attempt_ids ELSE attempt_ids - (-1) END
             WHERE request_id = $1 AND owner = $2 AND status = 'RUNNING'`,
            [requestId, owner, s.status, Math.round(s.endTime), s.statusCode ?? null, s.uncounted ? 1 : 0],
          );
    return (r.rowCount ?? 0) > 0;
  }

  async nextDue(): Promise<number | undefined> {
    const r = await this.#q<{ t: string | null }>(
      'reading the next async event',
      `SELECT min(not_before) AS t FROM async_events WHERE status = 'PENDING'`,
    );
    const t = r.rows[0]?.t;
    return t === null || t === undefined ? undefined : Number(t);
  }

  async get(requestId: string): Promise<(AsyncEventView & { terminate: boolean }) | undefined> {
    const r = await this.#q<EventRow>(
      'reading an async event',
      'SELECT * FROM async_events WHERE request_id = $1',
      [requestId],
    );
    const row = r.rows[0];
    return row && eventView(row);
  }

  async list(q: AsyncEventQuery): Promise<{ total: number; events: AsyncEventView[] }> {
    const { where, params } = listWhere(q, (n) => `$${n}`);
    const total = await this.#q<{ n: string }>(
      'counting async events',
      `SELECT count(*) AS n FROM async_events WHERE ${where}`,
      params,
    );
    const rows = await this.#q<EventRow>(
      'listing async events',
      `SELECT * FROM async_events WHERE ${where} ORDER BY ${listOrder(q)}
       LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, q.limit, q.offset],
    );
    return { total: Number(total.rows[0]?.n ?? 0), events: rows.rows.map(eventView) };
  }

  async terminate(requestId: string, now: number): Promise<'aborted' | 'running' | 'final' | 'missing'> {
    const r = await this.#q<{ status: string }>(
      'terminating an async event',
      `WITH aborted AS (
         UPDATE async_events SET status = 'ABORTED', end_time = $2
         WHERE request_id = $1 AND status = 'PENDING' RETURNING 'aborted'::text AS status),
       flagged AS (
         UPDATE async_events SET terminate = true
         WHERE request_id = $1 AND status = 'RUNNING' RETURNING 'running'::text AS status)
       SELECT status FROM aborted UNION ALL SELECT status FROM flagged
       UNION ALL SELECT 'final' FROM async_events WHERE request_id = $1
         AND status IN ('FINISHED', 'FAILED', 'ABORTED')`,
      [requestId, now],
    );
    const got = r.rows.map((x) => x.status);
    if (got.includes('aborted')) return 'aborted';
    if (got.includes('running')) return 'running';
    return got.includes('final') ? 'final' : 'missing';
  }

  async prune(before: number): Promise<number> {
    const r = await this.#q(
      'pruning async events',
      `DELETE FROM async_events WHERE end_time < $1 AND status IN ('FINISHED', 'FAILED', 'ABORTED')`,
      [before],
    );
    return r.rowCount ?? 0;
  }

  async close(): Promise<void> {
    await this.#listener?.close();
  }
}
