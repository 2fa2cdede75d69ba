/**
 * PostgreSQL connections for every part that keeps state in PostgreSQL (the log store, the function
 * catalog, the cluster's leases and event feed): one pool per server, its `search_path` set to the
 * configured schema on every connection, so each part's SQL names its tables unqualified and a test (or a
 * second platform) can live in a schema of its own on a shared database.
 *
 * Contract: the pool never throws on its own. An idle connection the server drops (restart, network
 * loss) emits `error` on the pool; that is reported through `onError` and the connection is discarded
 * (pg's Pool replaces it on the next checkout), so losing the database never takes the server down.
 */
import pg from 'pg';

export interface PgPoolOptions {
  connectionString: string;
  /** Schema holding scf-local's tables; created by the first migration run if it does not exist. */
  schema: string;
  /** Most connections this pool holds. */
  max?: number;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** An idle connection failed (the database went away); the pool drops it by itself. */
  onError?: (err: Error) => void;
  /** How long a checkout waits for a connection before failing (ms). */
  connectionTimeoutMillis?: number;
}

/** A schema name as an SQL identifier (quoted; `"` doubled). */
export const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export function createPgPool(options: PgPoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'scf-local',
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5000,
    idleTimeoutMillis: 30_000,
    // Startup options, set before the first query and kept for the connection's life: the schema, and
    // no parallel workers: scf-local's queries are short, and starting workers (new processes) cost
    // ~80 ms per query on a 2-core machine where the plan itself took 1-9 ms (bench/postgres.ts). No
    // JIT compilation either, for the same reason: a keyword search over a store's day partitions is
    // estimated above jit_above_cost, and compiling its expressions took 160-870 ms (EXPLAIN ANALYZE at
    // 10M records) for a query whose execution took 100-300 ms.
    options:
      `-c search_path=${quoteIdent(options.schema)},public -c max_parallel_workers_per_gather=0 ` +
      '-c jit=off',
    keepAlive: true,
  });
  const onError = options.onError ?? (() => {});
  pool.on('error', (err) => onError(err));
  return pool;
}

/**
 * Runs `f` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws (the
 * error is rethrown). A connection whose ROLLBACK failed is destroyed rather than returned to the pool.
 */
export async function inTransaction<T>(pool: pg.Pool, f: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, (client, conn) => transaction(client, conn, () => f(client)));
}

/**
 * Runs `f` in one transaction on a connection already checked out with `withClient` (one that holds a
 * session lock, say): COMMIT when it resolves, ROLLBACK when it throws (the error is rethrown).
 */
export async function transaction<T>(client: pg.PoolClient, conn: Checkout, f: () => Promise<T>): Promise<T> {
  try {
    await client.query('BEGIN');
    const result = await f();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A connection that broke is not rolled back (nothing would answer); one whose ROLLBACK fails is
    // broken too. Either way the pool destroys it instead of lending it again.
    if (!conn.broken()) await client.query('ROLLBACK').catch((e: Error) => conn.fail(e));
    throw err;
  }
}

/** What `withClient` tells the code running on its connection. */
export interface Checkout {
  /** True once the connection failed (its socket, or a statement that said so through `fail`). */
  broken(): boolean;
  /** Marks the connection unusable: it is destroyed instead of going back to the pool. */
  fail(err: Error): void;
}

/**
 * Runs `f` on one connection checked out of the pool, then gives it back — or destroys it when it broke
 * meanwhile. pg emits `error` on a client whose socket fails (the server went away, the network reset)
 * besides failing its running query, and the pool listens only while a client is idle: without the
 * listener held here, that event would be an uncaught exception that takes the server down.
 */
export async function withClient<T>(
  pool: pg.Pool,
  f: (client: pg.PoolClient, conn: Checkout) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  const fail = (err: Error): void => {
    failure ??= err;
  };
  client.on('error', fail);
  try {
    return await f(client, { broken: () => failure !== undefined, fail });
  } finally {
    client.removeListener('error', fail);
    client.release(failure);
  }
}
