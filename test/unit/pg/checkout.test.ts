/**
 * A connection that breaks while it is checked out of the pool (in a transaction, during a prune) fails
 * what was running on it with a coded error and is thrown away; it never becomes an uncaught exception
 * that would take the server down (pg emits `error` on a client whose socket fails, and a checked-out
 * client has no listener of its own). Real server, through a TCP proxy that resets the connection.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createPgPool, inTransaction } from '../../../src/pg/index.js';
import { pgBehindProxy } from '../../helpers/pg.js';

test('a connection reset mid-transaction rejects the transaction and crashes nothing', async (t) => {
  const { proxy, url } = await pgBehindProxy(t);
  const pool = createPgPool({ connectionString: url, schema: 'public', max: 2 });
  t.after(() => pool.end());
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  t.after(() => process.removeListener('uncaughtException', onUncaught));

  const running = inTransaction(pool, async (client) => {
    await client.query('SELECT 1');
    // The network drops while the next statement runs.
    setTimeout(() => void proxy.cut(), 200);
    await client.query('SELECT pg_sleep(3)');
  });
  await assert.rejects(running);
  // Let any late 'error' event surface.
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(uncaught, [], 'no uncaught exception');

  // The pool recovers once the database is back; the broken connection was not reused.
  await proxy.restore();
  const { rows } = await pool.query<{ one: number }>('SELECT 1 AS one');
  assert.equal(rows[0]?.one, 1);
  assert.equal(await inTransaction(pool, async (c) => (await c.query('SELECT 2 AS two')).rows[0]?.two), 2);
});
