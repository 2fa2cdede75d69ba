/**
 * This node's membership of the cluster (several scf-local servers on one PostgreSQL database): a row in
 * `cluster_nodes` renewed as a heartbeat lease, and the reaper that recovers dead nodes.
 *
 * - `join()` (before this node writes any record) upserts the node's row with a fresh lease and a new
 *   incarnation. It waits if another node is recovering this one right now (that node holds the row lock),
 *   so a restarted node never begins an invocation that a recovery could catch.
 * - Every `leaseMs / 4` the node renews its lease (database time, so clocks of nodes do not matter).
 * - Every `leaseMs / 2` it looks for nodes whose lease expired (`heartbeat_at` older than their own
 *   `lease_ms`), locks each such row (`FOR UPDATE SKIP LOCKED`: one reaper per dead node, the others skip
 *   it), marks that node's running records interrupted (retCode 3) in the same transaction, and deletes
 *   the row (the node rejoins when it comes back). A live node's records are never touched: its lease is
 *   fresh, and it renews it four times per lease.
 * - `leave()` (at a clean stop, after every invocation ended) deletes the row at once.
 *
 * Failures (the database away) are reported once through `onError` and retried at the next tick.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { ScfError } from '../errors/index.js';
import { inTransaction, pgError } from '../pg/index.js';

export interface ClusterNodeOptions {
  pool: pg.Pool;
  nodeId: string;
  leaseMs: number;
  /** Marks a dead node's running records interrupted inside the reaper's transaction; returns how many. */
  recover: (nodeId: string, client: pg.PoolClient) => Promise<number>;
  /** A dead node was recovered. */
  onRecovered?: (nodeId: string, records: number) => void;
  /** Housekeeping run about once a minute (the feed's old events); failures go to `onError`. */
  maintain?: () => Promise<void>;
  /** How often `maintain` runs (ms). Default 60,000. */
  maintainEveryMs?: number;
  onError?: (err: ScfError) => void;
}

export class ClusterNode {
  readonly #o: ClusterNodeOptions;
  readonly #incarnation = randomBytes(8).toString('hex');
  #heartbeat: NodeJS.Timeout | undefined;
  #reaper: NodeJS.Timeout | undefined;
  #reaping: Promise<void> | undefined;
  #maintainer: NodeJS.Timeout | undefined;
  #failing = false;
  #closed = false;

  constructor(options: ClusterNodeOptions) {
    this.#o = options;
  }

  get nodeId(): string {
    return this.#o.nodeId;
  }

  /** Registers this node with a fresh lease, then starts renewing it and reaping dead nodes. */
  async join(url?: string): Promise<void> {
    try {
      await this.#o.pool.query(
        `INSERT INTO cluster_nodes (node_id, incarnation, lease_ms, url) VALUES ($1, $2, $3, $4)
         ON CONFLICT (node_id) DO UPDATE SET incarnation = excluded.incarnation, lease_ms = excluded.lease_ms,
           url = excluded.url, started_at = now(), heartbeat_at = now()`,
        [this.#o.nodeId, this.#incarnation, this.#o.leaseMs, url ?? null],
      );
    } catch (err) {
      throw pgError(err, 'joining the cluster');
    }
    this.#heartbeat = setInterval(() => void this.#renew(), Math.max(100, Math.floor(this.#o.leaseMs / 4)));
    this.#heartbeat.unref();
    this.#reaper = setInterval(() => this.reap(), Math.max(200, Math.floor(this.#o.leaseMs / 2)));
    this.#reaper.unref();
    const maintain = this.#o.maintain;
    if (maintain) {
      this.#maintainer = setInterval(
        () => void maintain().catch((err: unknown) => this.#report(err, 'housekeeping')),
        this.#o.maintainEveryMs ?? 60_000,
      );
      this.#maintainer.unref();
    }
  }

  /** Records the URL this node serves at (for `nodes` listings). */
  async setUrl(url: string): Promise<void> {
    await this.#o.pool
      .query('UPDATE cluster_nodes SET url = $2 WHERE node_id = $1', [this.#o.nodeId, url])
      .catch((err: unknown) => this.#report(err, 'recording the node url'));
  }

  async #renew(): Promise<void> {
    if (this.#closed) return;
    try {
      const { rowCount } = await this.#o.pool.query(
        'UPDATE cluster_nodes SET heartbeat_at = now() WHERE node_id = $1 AND incarnation = $2',
        [this.#o.nodeId, this.#incarnation],
      );
      if (rowCount === 0 && !this.#closed) {
        // Another node took this one for dead (it missed its lease: a long stall or a lost database) and
        // recovered it. Rejoin: invocations still running here end with their true final records, which
        // replace the interrupted ones.
        await this.#o.pool.query(
          `INSERT INTO cluster_nodes (node_id, incarnation, lease_ms) VALUES ($1, $2, $3)
           ON CONFLICT (node_id) DO UPDATE SET incarnation = excluded.incarnation, heartbeat_at = now()`,
          [this.#o.nodeId, this.#incarnation, this.#o.leaseMs],
        );
      }
      this.#failing = false;
    } catch (err) {
      this.#report(err, 'renewing the lease');
    }
  }

  /** One reaper pass (also run by the timer); resolves when done. Never rejects. */
  reap(): Promise<void> {
    this.#reaping ??= this.#reapOnce().finally(() => {
      this.#reaping = undefined;
    });
    return this.#reaping;
  }

  async #reapOnce(): Promise<void> {
    if (this.#closed) return;
    try {
      for (;;) {
        const done = await inTransaction(this.#o.pool, async (client) => {
          const { rows } = await client.query<{ node_id: string }>(
            `SELECT node_id FROM cluster_nodes
              WHERE node_id <> $1 AND heartbeat_at < now() - make_interval(secs => lease_ms / 1000.0)
              LIMIT 1 FOR UPDATE SKIP LOCKED`,
            [this.#o.nodeId],
          );
          const dead = rows[0]?.node_id;
          if (dead === undefined) return true;
          const n = await this.#o.recover(dead, client);
          await client.query('DELETE FROM cluster_nodes WHERE node_id = $1', [dead]);
          this.#o.onRecovered?.(dead, n);
          return false;
        });
        if (done) break;
      }
      this.#failing = false;
    } catch (err) {
      this.#report(err, 'recovering dead nodes');
    }
  }

  #report(err: unknown, what: string): void {
    if (this.#failing || this.#closed) return;
    this.#failing = true;
    this.#o.onError?.(err instanceof ScfError ? err : pgError(err, what));
  }

  /** Stops renewing and reaping; with `leave`, deletes this node's row (a clean stop). Idempotent. */
  async close(options: { leave?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    clearInterval(this.#reaper);
    clearInterval(this.#maintainer);
    await this.#reaping;
    if (options.leave) {
      await this.#o.pool
        .query('DELETE FROM cluster_nodes WHERE node_id = $1 AND incarnation = $2', [
          this.#o.nodeId,
          this.#incarnation,
        ])
        .catch(() => {
          // A clean stop without the database: the others recover this node once its lease expires,
          // and it has no running records anyway.
        });
    }
  }
}
