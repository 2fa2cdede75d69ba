/**
 * The test PostgreSQL server (127.0.0.1:5432, trust auth, database `test`, user `postgres`): a schema of
 * its own per test, dropped with everything in it when the test ends, after the pools made on it (and
 * whatever was registered to close before them) are closed.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { createPgPool, type PgPoolOptions } from '../../src/pg/index.js';

export const TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface PgTestSchema {
  readonly schema: string;
  /** A pool on the schema, ended at cleanup (after everything registered with `closeFirst`). */
  pool(options?: Partial<PgPoolOptions>): pg.Pool;
  /** Runs `close` at cleanup before the pools end (registries, catalogs: what uses a pool). */
  closeFirst(close: () => Promise<void> | void): void;
}

export function pgTestSchema(t: Pick<TestContext, 'after'>): PgTestSchema {
  const schema = `scf_t_${randomBytes(6).toString('hex')}`;
  const users: (() => Promise<void> | void)[] = [];
  const pools: pg.Pool[] = [];
  t.after(async () => {
    for (const close of users.reverse()) await close();
    for (const pool of pools) await pool.end().catch(() => {});
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await admin.end();
    }
  });
  return {
    schema,
    pool(options = {}) {
      const pool = createPgPool({ connectionString: TEST_DATABASE_URL, schema, max: 4, ...options });
      pools.push(pool);
      return pool;
    },
    closeFirst(close) {
      users.push(close);
    },
  };
}
