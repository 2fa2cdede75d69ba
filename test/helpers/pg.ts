/**
 * The real PostgreSQL server of the tests (127.0.0.1:5432, trust auth, database `test`; `.ci/run` starts
 * it). Each test gets a schema of its own, dropped with everything in it when the test ends, so tests
 * run side by side on one database without seeing each other.
 */
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';

export const PG_URL = process.env['SCF_LOCAL_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

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
