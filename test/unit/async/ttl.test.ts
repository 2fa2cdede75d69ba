/**
 * MsgTTL: an event older than its function's MsgTTL when an attempt would start is FAILED without running,
 * and a retry that would start after it is not made. A real platform runs the function; the dispatcher
 * under test has its own SQLite queue, so an event can be stored with a TTL shorter than SCF's 60 s floor.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { zipSync } from 'fflate';
import { AsyncInvocations } from '../../../src/async/invocations.js';
import { SqliteAsyncQueue } from '../../../src/async/sqlite.js';
import { createPlatform } from '../../../src/platform.js';
import { tempDir } from '../../helpers/tmp.js';

test('an event past its MsgTTL fails unrun; a retry past it is not made', async (t) => {
  const dir = tempDir(t);
  const p = await createPlatform({ config: { port: 0, dataDir: dir, log: { level: 'silent' } }, env: {} });
  t.after(() => p.close());
  const source = "exports.main_handler = async (e) => { if (e.fail) throw new Error('no'); return e.n; };";
  await p.functions.createAsync({
    functionName: 'ttl',
    code: { zip: zipSync({ 'index.js': Buffer.from(source) }) },
  });
  const queue = new SqliteAsyncQueue(join(dir, 'ttl-queue.db'));
  const faults: string[] = [];
  const async = new AsyncInvocations(
    {
      queue,
      store: p.store,
      invoker: p.invoker,
      functions: p.functions,
      owner: 'local',
      onError: (_e, w) => faults.push(w),
    },
    { concurrency: 2, maxQueued: 10, retryDelaysMs: [300], leaseMs: 10_000, pollMs: 50, retentionDays: 0 },
  );
  t.after(() => async.close());
  const base = {
    namespace: 'default',
    functionName: 'ttl',
    qualifier: '$LATEST',
    invokeType: 'Invoke' as const,
  };
  // Stored directly with a TTL already over by the time the dispatcher starts.
  await queue.enqueue({ ...base, requestId: 'stale', event: '{"n":1}' }, { maxQueued: 10, ttlMs: 1 });
  // A failing event whose TTL (200 ms) ends before its first retry would (300 ms after the failure).
  await queue.enqueue({ ...base, requestId: 'short', event: '{"fail":true}' }, { maxQueued: 10, ttlMs: 200 });
  await new Promise((r) => setTimeout(r, 20));
  await async.start();
  const final = async (id: string) => {
    for (let i = 0; i < 200; i++) {
      const e = await async.get(id);
      if (e && e.status !== 'PENDING' && e.status !== 'RUNNING') return e;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`${id} never ended`);
  };
  const stale = await final('stale');
  assert.equal(stale.status, 'FAILED');
  assert.equal(await p.store.get('stale'), undefined, 'it never ran');
  const short = await final('short');
  assert.equal(short.status, 'FAILED');
  assert.equal(short.statusCode, 430);
  assert.deepEqual(short.attemptIds, ['short'], 'one attempt: the retry would have started after the TTL');
  assert.equal((await p.store.get('short'))?.retCode, 430);
  assert.deepEqual(faults, []);
});
