/**
 * LISTEN on one PostgreSQL channel over a connection of its own, kept up for the listener's life.
 *
 * Contract: a notification is a wake-up, never the news itself: one sent while the connection is down is
 * lost, so every (re)connection calls `onListening`, where the subscriber re-reads what it may have
 * missed. A lost connection (database restart, network) is retried with a growing delay, forever, and is
 * reported once per outage (`onError`); nothing here throws or emits an unhandled error. The connection is
 * made with the pool's settings (`pool.options`: the same server, user and search_path) but outside the
 * pool, so it never takes one of the pool's connections.
 */
import pg from 'pg';
import type { ScfError } from '../errors/index.js';
import { pgError } from './errors.js';
import { quoteIdent } from './pool.js';

export interface PgListenerOptions {
  channel: string;
  /** A notification on the channel, with its payload ('' when none). Must not throw. */
  onNotification: (payload: string) => void;
  /** Listening: the first time, and again after every reconnection. Must not throw. */
  onListening?: () => void;
  /** The connection was lost or could not be made; once per outage, until it is listening again. */
  onError?: (err: ScfError) => void;
  /** Delay before the first reconnection attempt, doubled up to `maxRetryMs`. Default 100. */
  minRetryMs?: number;
  /** Default 5000. */
  maxRetryMs?: number;
}

export class PgListener {
  readonly #pool: pg.Pool;
  readonly #options: PgListenerOptions;
  #client: pg.Client | undefined;
  #timer: NodeJS.Timeout | undefined;
  #delay: number;
  #down = false;
  #closed = false;

  /** Starts connecting at once. */
  constructor(pool: pg.Pool, options: PgListenerOptions) {
    this.#pool = pool;
    this.#options = options;
    this.#delay = options.minRetryMs ?? 100;
    this.#connect();
  }

  #connect(): void {
    this.#timer = undefined;
    const client = new pg.Client(this.#pool.options);
    this.#client = client;
    let lost = false;
    const onLost = (err: unknown): void => {
      if (lost) return;
      lost = true;
      if (this.#client === client) this.#client = undefined;
      client.removeAllListeners('notification');
      // A dead client may still emit errors while it ends: they are this one, already handled.
      client.on('error', () => {});
      client.end().catch(() => {});
      if (this.#closed) return;
      if (!this.#down) {
        this.#down = true;
        this.#options.onError?.(pgError(err, `listening on ${this.#options.channel}`));
      }
      this.#timer = setTimeout(() => this.#connect(), this.#delay);
      this.#timer.unref();
      this.#delay = Math.min(this.#delay * 2, this.#options.maxRetryMs ?? 5000);
    };
    client.on('error', onLost);
    client.on('end', () => onLost(new Error('Connection terminated')));
    client.on('notification', (msg) => {
      if (msg.channel === this.#options.channel) this.#options.onNotification(msg.payload ?? '');
    });
    client
      .connect()
      .then(() => client.query(`LISTEN ${quoteIdent(this.#options.channel)}`))
      .then(() => {
        if (lost || this.#closed) return;
        this.#down = false;
        this.#delay = this.#options.minRetryMs ?? 100;
        this.#options.onListening?.();
      }, onLost);
  }

  /** Stops listening and closes the connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    // An error from a connection that is going away anyway changes nothing.
    await client?.end().catch(() => {});
  }
}
