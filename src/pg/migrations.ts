/**
 * Versioned migrations for everything scf-local keeps in PostgreSQL. Each part (`component`: the log
 * store, the function catalog, the cluster) owns an ordered list; `scf_migrations` records which versions
 * of which component are applied. Nodes starting at once take turns through a transaction-scoped advisory
 * lock, so a migration runs exactly once; each runs in its own transaction with its record. To change a
 * schema, append a migration; never edit one that has shipped.
 */
import type pg from 'pg';
import { ScfError } from '../errors/index.js';
import { pgError } from './errors.js';
import { inTransaction, quoteIdent } from './pool.js';

export interface PgMigration {
  readonly version: number;
  readonly description: string;
  /** SQL run in the migration's transaction, or a function given its client. */
  readonly up: string | ((client: pg.PoolClient) => Promise<void>);
}

/** The advisory lock key of migrations (any fixed 64-bit number; "scfmigr" in ASCII). */
const MIGRATION_LOCK = 0x7363666d69677200n;

/**
 * Creates `schema` if needed and applies the migrations of `component` it lacks, in order. Refuses a
 * database where that component is newer than this scf-local. Returns how many it applied.
 */
export async function migratePg(
  pool: pg.Pool,
  schema: string,
  component: string,
  migrations: readonly PgMigration[],
): Promise<number> {
  const latest = migrations.at(-1)?.version ?? 0;
  try {
    return await inTransaction(pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS scf_migrations (
           component   text        NOT NULL,
           version     integer     NOT NULL,
           description text        NOT NULL,
           applied_at  timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (component, version))`,
      );
      const { rows } = await client.query<{ v: number | null }>(
        'SELECT max(version) AS v FROM scf_migrations WHERE component = $1',
        [component],
      );
      const current = rows[0]?.v ?? 0;
      if (current > latest) {
        throw new ScfError(
          'InternalError',
          `database schema of ${component} is at version ${current}, newer than this scf-local supports (${latest})`,
        );
      }
      let applied = 0;
      for (const m of migrations) {
        if (m.version <= current) continue;
        // A savepoint per migration would not buy anything: one failure rolls the whole run back and
        // the next start retries it.
        if (typeof m.up === 'string') await client.query(m.up);
        else await m.up(client);
        await client.query(
          'INSERT INTO scf_migrations (component, version, description) VALUES ($1, $2, $3)',
          [component, m.version, m.description],
        );
        applied++;
      }
      return applied;
    });
  } catch (err) {
    throw pgError(err, `migrating ${component}`);
  }
}
