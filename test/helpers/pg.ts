/**
 * The real PostgreSQL server of the tests (127.0.0.1:5432, trust auth, database `test`, user `postgres`;
 * `.ci/run` starts it). Each test gets a schema of its own, dropped with everything in it when the test
 * ends, so tests run side by side on one database without seeing each other: `freshSchema` (the test
 * closes what it opened on it) or `pgTestSchema` (pools made and ended for the test, after whatever was
 * registered to close before them).
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';
import { createPgPool, type PgPoolOptions } from '../../src/pg/index.js';
import { TcpProxy } from './tcp-proxy.js';

export const PG_URL = process.env['SCF_LOCAL_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_DATABASE_URL = PG_URL;

/** A new schema name (lower-case, unique per call). */
export const schemaName = (prefix = 'scf_t'): string => `${prefix}_${randomBytes(6).toString('hex')}`;

/** Drops a schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** A schema for this test, dropped when it ends (the test's stores must be closed by then). */
export function freshSchema(t: Pick<TestContext, 'after'>, prefix?: string): string {
  const schema = schemaName(prefix);
  t.after(() => dropSchema(schema));
  return schema;
}

export interface PgTestSchema {
  readonly schema: string;
  /** A pool on the schema, ended at cleanup (after everything registered with `closeFirst`). */
  pool(options?: Partial<PgPoolOptions>): pg.Pool;
  /** Runs `close` at cleanup before the pools end (registries, catalogs: what uses a pool). */
  closeFirst(close: () => Promise<void> | void): void;
}

export function pgTestSchema(t: Pick<TestContext, 'after'>): PgTestSchema {
  const schema = schemaName();
  const users: (() => Promise<void> | void)[] = [];
  const pools: pg.Pool[] = [];
  t.after(async () => {
    for (const close of users.reverse()) await close();
    for (const pool of pools) await pool.end().catch(() => {});
    await dropSchema(schema);
  });
  return {
    schema,
    pool(options = {}) {
      const pool = createPgPool({ connectionString: PG_URL, schema, max: 4, ...options });
      pools.push(pool);
      return pool;
    },
    closeFirst(close) {
      users.push(close);
    },
  };
}

/**
 * The test database behind a TCP proxy on a free port (closed when the test ends), and its URL through
 * the proxy: `proxy.cut()` takes the database away as a network fault would, `proxy.restore()` brings it
 * back.
 */
export async function pgBehindProxy(
  t: Pick<TestContext, 'after'>,
): Promise<{ proxy: TcpProxy; url: string }> {
  const direct = new URL(PG_URL);
  const proxy = await TcpProxy.start(t, { host: direct.hostname, port: Number(direct.port || 5432) });
  const url = new URL(PG_URL);
  url.port = String(proxy.port);
  return { proxy, url: url.toString() };
}
