/**
 * What the PostgreSQL store adds for a cluster, on the real server: records carry the node that wrote
 * them and recovery touches one node's records only; the feed's event ids become visible in increasing
 * order even with several nodes committing at once (a reader that follows `id > cursor` misses nothing);
 * old events are trimmed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventFeed } from '../../../src/cluster/feed.js';
import { InvocationEventHub } from '../../../src/invocations/events.js';
import { PostgresLogStore } from '../../../src/store/postgres/index.js';
import type { InvocationRecord } from '../../../src/store/types.js';
import { freshSchema, PG_URL } from '../../helpers/pg.js';

let n = 0;
const record = (over: Partial<InvocationRecord> = {}): InvocationRecord => ({
  requestId: `r-${process.pid}-${++n}`,
  namespace: 'default',
  functionName: 'fn',
  qualifier: '$LATEST',
  startTime: Date.now(),
  duration: 1,
  billDuration: 1,
  memUsage: 1,
  retCode: 0,
  retMsg: '"ok"',
  invokeFinished: 1,
  retryNum: 0,
  log: 'hello\n',
  ...over,
});

async function twoNodes(t: { after: (f: () => Promise<void>) => void }) {
  const schema = freshSchema(t);
  const a = new PostgresLogStore({ connectionString: PG_URL, schema, nodeId: 'a', poolSize: 4 });
  await a.open();
  const b = new PostgresLogStore({ connectionString: PG_URL, schema, nodeId: 'b', poolSize: 4 });
  await b.open();
  t.after(async () => {
    await a.close();
    await b.close();
  });
  return { a, b, schema };
}

test('recovery marks only the given node running records interrupted', async (t) => {
  const { a, b } = await twoNodes(t);
  const ra = record({ retCode: 2, invokeFinished: 0 });
  const rb = record({ retCode: 2, invokeFinished: 0 });
  await a.write([{ op: 'begin', record: ra }]);
  await b.write([{ op: 'begin', record: rb }]);
  assert.equal(await a.recoverInterrupted(), 1);
  assert.equal((await a.get(ra.requestId))?.retCode, 3);
  assert.equal((await a.get(rb.requestId))?.retCode, 2, "b's running record is b's own");
  const { rows } = await a.pool.query<{ request_id: string; node_id: string }>(
    'SELECT request_id, node_id FROM invocations ORDER BY seq',
  );
  assert.deepEqual(
    rows.map((r) => r.node_id),
    ['a', 'b'],
  );
  // Totals follow: one interrupted, one running.
  const q = { orderBy: 'startTime', order: 'desc', offset: 0, limit: 10 } as const;
  assert.equal((await a.query({ ...q, retCode: 'not0' })).total, 2);
  assert.equal(await b.recoverInterrupted(), 1);
  assert.equal((await a.get(rb.requestId))?.retCode, 3);
});

test('feed: two nodes committing at once; a reader following the feed sees every event, in id order', async (t) => {
  const { a, b } = await twoNodes(t);
  const hub = new InvocationEventHub({ epoch: 'pgtest', startAfter: 0 });
  const seen: number[] = [];
  const ended: string[] = [];
  hub.subscribe((e) => {
    seen.push(e.seq);
    if (e.type === 'end') ended.push(e.record.requestId);
  });
  const feed = new EventFeed(hub, {
    pool: a.pool,
    channel: a.channel,
    pollMs: 20,
  });
  feed.start();
  t.after(() => feed.close());
  const written: string[] = [];
  const writer = async (store: PostgresLogStore): Promise<void> => {
    for (let i = 0; i < 60; i++) {
      const batch = Array.from({ length: 1 + (i % 7) }, () => record());
      written.push(...batch.map((r) => r.requestId));
      await store.write(batch.map((r) => ({ op: 'finish' as const, record: r })));
    }
  };
  await Promise.all([writer(a), writer(b), writer(a), writer(b)]);
  await feed.caughtUp();
  assert.deepEqual([...ended].sort(), [...written].sort(), 'every end event, once');
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, 'ids increase');
});

test('old feed events are trimmed; recent ones stay', async (t) => {
  const { a } = await twoNodes(t);
  await a.write([
    { op: 'finish', record: record() },
    { op: 'finish', record: record() },
  ]);
  await a.write([{ op: 'finish', record: record() }]);
  await a.pool.query(
    "UPDATE invocation_events SET created_at = now() - interval '1 hour' WHERE id IN (SELECT id FROM invocation_events ORDER BY id LIMIT 2)",
  );
  assert.equal(await a.trimEvents(10 * 60_000), 2);
  const { rows } = await a.pool.query<{ c: string }>('SELECT count(*) AS c FROM invocation_events');
  assert.equal(Number(rows[0]!.c), 1);
});

test('feed: a log event carries its invocation’s version, so a tail of one version selects it', async (t) => {
  const { a } = await twoNodes(t);
  const hub = new InvocationEventHub({ epoch: 'pgtest', startAfter: 0 });
  const two: string[] = [];
  hub.subscribe((e) => two.push(e.type === 'log' ? `log:${e.log.qualifier}:${e.log.text}` : e.type), {
    filter: { qualifiers: ['2'] },
  });
  const feed = new EventFeed(hub, { pool: a.pool, channel: a.channel, pollMs: 20 });
  feed.start();
  t.after(() => feed.close());
  const v2 = record({ qualifier: '2', retCode: 2, invokeFinished: 0, log: '' });
  const v1 = record({ qualifier: '1', retCode: 2, invokeFinished: 0, log: '' });
  await a.write([
    { op: 'begin', record: v2 },
    { op: 'begin', record: v1 },
  ]);
  await a.write([
    { op: 'appendLog', requestId: v1.requestId, text: 'one\n' },
    { op: 'appendLog', requestId: v2.requestId, text: 'two\n' },
  ]);
  await a.write([{ op: 'finish', record: { ...v2, retCode: 0, invokeFinished: 1, log: 'two\n' } }]);
  await feed.caughtUp();
  assert.deepEqual(two, ['start', 'log:2:two\n', 'end']);
});
