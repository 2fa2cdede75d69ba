/**
 * The cluster's live feed: every node's invocation events (start, log chunk, end), read from the
 * `invocation_events` table the PostgreSQL store writes with the records, and published into this node's
 * event hub numbered by their database id, so `logs --follow` on any node sees every node's invocations.
 *
 * Gap-free by construction: event ids are drawn under an advisory lock held until commit (`writes.ts`),
 * so they become visible in increasing order, and the feed reads `id > cursor` in id order. A NOTIFY is
 * only a wake-up; the feed also reads every `pollMs` (a lost notification, a LISTEN connection being
 * re-established) and after reconnecting, so nothing waits on a notification to be seen.
 *
 * Lifecycle: `start()` reads the newest id (the hub begins after it), listens, and reads; `close()` stops
 * listening and reading (idempotent). A database that goes away is reported once through `onError` and
 * retried with backoff; the hub simply receives nothing meanwhile.
 */
import type pg from 'pg';
import type { ScfError } from '../errors/index.js';
import type { InvocationEventHub } from '../invocations/events.js';
import { pgError } from '../pg/index.js';
import { PgListener } from '../pg/listener.js';
import { EVENT_TYPE } from '../store/postgres/feed-sql.js';
import { RECORD_SELECT, type RecordRow, toRecord } from '../store/postgres/store.js';
import type { InvocationRecord } from '../store/types.js';
import { RET_CODE } from '../store/types.js';

export interface FeedOptions {
  pool: pg.Pool;
  channel: string;
  /** Read even without a notification this often (ms). Default 1000. */
  pollMs?: number;
  /** Most events read per query. Default 1000. */
  batch?: number;
  onError?: (err: ScfError) => void;
}

interface EventRow extends Partial<RecordRow> {
  id: string;
  type: number;
  e_request_id: string;
  e_namespace: string;
  e_function_name: string;
  text: string | null;
}

/** The feed's epoch (names cursors) and newest event id, read before the hub is made. */
export async function feedStart(pool: pg.Pool): Promise<{ epoch: string; last: number }> {
  try {
    const { rows } = await pool.query<{ epoch: string; last: string | null }>(
      'SELECT (SELECT epoch FROM store_state) AS epoch, (SELECT max(id) FROM invocation_events) AS last',
    );
    return { epoch: rows[0]!.epoch, last: Number(rows[0]!.last ?? 0) };
  } catch (err) {
    throw pgError(err, 'reading the event feed');
  }
}

export class EventFeed {
  readonly #o: Required<Omit<FeedOptions, 'onError'>> & { onError: (err: ScfError) => void };
  readonly #hub: InvocationEventHub;
  #listener: PgListener | undefined;
  #timer: NodeJS.Timeout | undefined;
  #reading: Promise<void> | undefined;
  #again = false;
  #closed = false;
  #failing = false;
  /** The newest event id read (an event that had nothing to publish still moves it on). */
  #after: number;

  constructor(hub: InvocationEventHub, options: FeedOptions) {
    this.#hub = hub;
    this.#after = hub.last;
    this.#o = { pollMs: 1000, batch: 1000, onError: () => {}, ...options };
  }

  /** Starts listening and reading from the hub's cursor. */
  start(): void {
    // Every (re)connection reads what was committed while not listening.
    this.#listener = new PgListener(this.#o.pool, {
      channel: this.#o.channel,
      onNotification: () => this.wake(),
      onListening: () => this.wake(),
      onError: this.#o.onError,
    });
    this.#timer = setInterval(() => this.wake(), this.#o.pollMs);
    this.#timer.unref();
    this.wake();
  }

  /** Reads what is new (coalesced: at most one read in flight, one more queued). */
  wake(): void {
    if (this.#closed) return;
    if (this.#reading) {
      this.#again = true;
      return;
    }
    this.#reading = this.#readAll().finally(() => {
      this.#reading = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  /** Resolves once everything committed before this call has been published into the hub. */
  async caughtUp(): Promise<void> {
    while (this.#reading) await this.#reading;
    await this.#readAll();
  }

  async #readAll(): Promise<void> {
    try {
      for (;;) {
        if (this.#closed) return;
        const n = await this.#readOnce();
        if (n < this.#o.batch) break;
      }
      this.#failing = false;
    } catch (err) {
      // Reported once per outage; the poll timer retries.
      if (!this.#failing) this.#o.onError(pgError(err, 'reading the event feed'));
      this.#failing = true;
    }
  }

  async #readOnce(): Promise<number> {
    const after = this.#after;
    const { rows } = await this.#o.pool.query<EventRow>(
      `SELECT e.id, e.type, e.text, e.request_id AS e_request_id, e.namespace AS e_namespace,
              e.function_name AS e_function_name, ${RECORD_SELECT.split(', ')
                .map((c) => `i.${c}`)
                .join(', ')}
         FROM invocation_events e
         LEFT JOIN invocations i ON i.request_id = e.request_id AND i.start_time = e.start_time
        WHERE e.id > $1 ORDER BY e.id LIMIT $2`,
      [after, this.#o.batch],
    );
    for (const row of rows) {
      this.#publish(row);
      this.#after = Number(row.id);
    }
    return rows.length;
  }

  #publish(row: EventRow): void {
    const id = Number(row.id);
    if (row.type === EVENT_TYPE.log) {
      this.#hub.publishAt(id, {
        type: 'log',
        log: {
          requestId: row.e_request_id,
          namespace: row.e_namespace,
          functionName: row.e_function_name,
          // From the invocation's row (it is durable before any of its log events is published).
          ...(typeof row.qualifier === 'string' ? { qualifier: row.qualifier } : {}),
          text: row.text ?? '',
        },
      });
      return;
    }
    // The record is gone (pruned since): nothing to show.
    if (row.seq === undefined || row.seq === null) return;
    const { seq: _seq, ...stored } = toRecord(row as RecordRow);
    let record: InvocationRecord = stored;
    if (row.type === EVENT_TYPE.start) {
      // The running record as it was begun (the row may have moved on since).
      record = {
        ...stored,
        duration: 0,
        billDuration: 0,
        memUsage: 0,
        retCode: RET_CODE.RUNNING,
        retMsg: '',
        invokeFinished: 0,
        log: row.text ?? '',
      };
    }
    this.#hub.publishAt(id, { type: row.type === EVENT_TYPE.start ? 'start' : 'end', record });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    const listener = this.#listener;
    this.#listener = undefined;
    await this.#reading?.catch(() => {});
    await listener?.close();
  }
}
