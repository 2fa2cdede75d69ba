/**
 * The day partitions of `invocations`: created on demand before a batch that needs them (in their own
 * short transaction, under an advisory lock so that two nodes never race on one), and dropped by
 * retention. Each node remembers which days exist; a day dropped by another node is recreated when a
 * record of that day comes (the create is idempotent), so the memory is only a shortcut.
 */
import type pg from 'pg';
import { inTransaction } from '../../pg/index.js';
import { DAY_MS, partitionName } from './days.js';

/** Lock key serialising partition DDL ("scfpart"). */
const PARTITION_LOCK = '32487313097941620';

export class Partitions {
  readonly #pool: pg.Pool;
  readonly #known = new Set<number>();

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Makes sure a partition exists for each of `days`. */
  async ensure(days: Iterable<number>): Promise<void> {
    const missing = [...new Set(days)].filter((d) => !this.#known.has(d));
    if (missing.length === 0) return;
    await inTransaction(this.#pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [PARTITION_LOCK]);
      for (const day of missing) {
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${partitionName(day)} PARTITION OF invocations
             FOR VALUES FROM (${day * DAY_MS}) TO (${(day + 1) * DAY_MS})`,
        );
      }
    });
    for (const d of missing) this.#known.add(d);
  }

  /** The days that have a partition, from the catalog. */
  async list(client: pg.PoolClient | pg.Pool = this.#pool): Promise<number[]> {
    const { rows } = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.oid = 'invocations'::regclass`,
    );
    const days: number[] = [];
    for (const { name } of rows) {
      const m = /^invocations_p(m?)(\d+)$/.exec(name);
      if (m) days.push((m[1] ? -1 : 1) * Number(m[2]));
    }
    return days.sort((a, b) => a - b);
  }

  /** Forgets every day (one of them was dropped by someone else). */
  forgetAll(): void {
    this.#known.clear();
  }

  /** Forgets a day (it was dropped). */
  forget(day: number): void {
    this.#known.delete(day);
  }
}
