/**
 * The SQLite store's reader threads (`read-pool.ts`, issue 15), beyond the conformance suite (which runs
 * on them too): a slow read runs beside the event loop, so record commits and other reads complete while
 * it runs (and the same steps with `readers: 0` show the stall the threads remove); reads see every batch
 * whose write resolved and answer as the store's own connection does; a read's error keeps its code and
 * message; a thread that dies fails its read with a coded error and is replaced; close answers the reads
 * in flight and leaves nothing running.
 *
 * The slow read is a keyword query over many running records: those are never in the full-text index, so
 * each is matched by the reference matcher (~10-30 us per record), a read of ~100 ms here at any load.
 * The assertions are about order (what completed first), not durations.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScfError } from '../../../src/errors/index.js';
import type { InvocationRecord, LogQuery, SqliteLogStore, WriteOp } from '../../../src/store/index.js';
import { sqliteStores } from '../../helpers/sqlite-store.js';

const { dbPath, openStore } = sqliteStores('scf-local-readpool-');

const T0 = Date.UTC(2026, 0, 1);
let n = 0;
function rec(over: Partial<InvocationRecord> = {}): InvocationRecord {
  n++;
  const id = `req-${String(n).padStart(7, '0')}`;
  return {
    requestId: id,
    namespace: 'default',
    functionName: ['fa', 'fb', 'fc'][n % 3]!,
    qualifier: '$LATEST',
    startTime: T0 + n * 1000,
    duration: (n * 7919) % 1000,
    billDuration: 100,
    memUsage: 1000 + (n % 17),
    retCode: n % 10 === 0 ? 430 : 0,
    retMsg: '"ok"',
    invokeFinished: 1,
    retryNum: 0,
    log: `START RequestId: ${id}\n2026-01-01T00:00:00.000Z\t${id}\tshared word${n % 5}\nEND RequestId: ${id}\n`,
    ...over,
  };
}

/** Running records with ~1 KB logs: a keyword query matches each with the reference matcher (slow). */
async function addRunning(store: SqliteLogStore, count: number): Promise<void> {
  const ops: WriteOp[] = [];
  for (let i = 0; i < count; i++) {
    const r = rec();
    let log = '';
    for (let l = 0; l < 20; l++)
      log += `2026-01-01T00:00:00.000Z\t${r.requestId}\tline ${l} of a running call\n`;
    ops.push({ op: 'begin', record: { ...r, retCode: 2, invokeFinished: 0, log } });
  }
  await store.write(ops);
}

/** A read of ~100 ms: no record has this word, and every running record is checked by the matcher. */
const SLOW: LogQuery = { keyword: 'nowhere', orderBy: 'duration', order: 'desc', offset: 0, limit: 20 };

describe('SQLite store reader threads', () => {
  it('runs a slow read beside the event loop: commits and other reads complete first', async (t) => {
    // Control: on the store's own connection the slow read holds the event loop until it is done.
    const inline = await openStore(t, { path: dbPath(), readers: 0 });
    await addRunning(inline, 4000);
    assert.equal(await inline.whenReadersReady(), 0);
    const inlineOrder: string[] = [];
    const inlineSlow = inline.query(SLOW).then(() => inlineOrder.push('slow read'));
    const r0 = rec();
    await inline.write([{ op: 'finish', record: r0 }]);
    inlineOrder.push('write');
    assert.ok(await inline.get(r0.requestId));
    inlineOrder.push('fast read');
    await inlineSlow;
    assert.deepEqual(inlineOrder, ['slow read', 'write', 'fast read']);

    // With two threads: the write commits and a fast read is answered by the other thread meanwhile.
    const store = await openStore(t, { path: dbPath(), readers: 2 });
    await addRunning(store, 4000);
    assert.equal(await store.whenReadersReady(), 2);
    const order: string[] = [];
    let ticks = 0;
    const slow = store.query(SLOW).then((page) => {
      order.push('slow read');
      return page;
    });
    const ticker = setInterval(() => ticks++, 1);
    const r = rec();
    await store.write([{ op: 'finish', record: r }]);
    order.push('write');
    const got = await store.get(r.requestId);
    order.push('fast read');
    const page = await slow;
    clearInterval(ticker);
    assert.equal(got?.requestId, r.requestId, 'the fast read sees the batch committed just before');
    assert.deepEqual(page, { total: 0, items: [] });
    assert.deepEqual(order, ['write', 'fast read', 'slow read']);
    assert.ok(ticks > 0, 'timers fired while the slow read ran');
  });

  it('sees every batch whose write resolved, and answers as the store connection does', async (t) => {
    const path = dbPath();
    const store = await openStore(t, { path, readers: 2 });
    assert.equal(await store.whenReadersReady(), 2);
    assert.equal(store.readerThreads.length, 2);
    const firstId = `req-${String(n + 1).padStart(7, '0')}`;
    for (let i = 0; i < 60; i++) {
      const r = rec({ functionName: 'fresh' });
      await store.write([{ op: 'finish', record: r }]);
      // Several reads at once, so both threads take some.
      const [byId, page, status] = await Promise.all([
        store.get(r.requestId),
        store.query({ functionName: 'fresh', orderBy: 'startTime', order: 'desc', offset: 0, limit: 1 }),
        store.query({ requestId: r.requestId, orderBy: 'startTime', order: 'desc', offset: 0, limit: 10 }),
      ]);
      assert.equal(byId?.requestId, r.requestId);
      assert.equal(page.total, i + 1);
      assert.equal(page.items[0]?.requestId, r.requestId);
      assert.equal(status.total, 1);
    }
    await store.write(Array.from({ length: 200 }, () => ({ op: 'finish' as const, record: rec() })));
    await addRunning(store, 20);
    const queries: LogQuery[] = [
      { orderBy: 'duration', order: 'asc', offset: 3, limit: 25 },
      { functionName: 'fb', orderBy: 'memUsage', order: 'desc', offset: 0, limit: 10, retCode: 'not0' },
      { keyword: 'word3', orderBy: 'requestId', order: 'asc', offset: 0, limit: 50 },
      { keyword: 'running', orderBy: 'startTime', order: 'desc', offset: 5, limit: 5 },
      {
        namespace: 'default',
        functionName: 'fa',
        orderBy: 'functionName',
        order: 'asc',
        offset: 0,
        limit: 7,
      },
    ];
    const rollupQ = { namespace: 'default', functionName: 'fa', from: 0, to: T0 + 10 * 86_400_000 };
    const pooled = {
      pages: await Promise.all(queries.map((q) => store.query(q))),
      one: await store.get(firstId),
      rollups: await store.rollups(rollupQ),
    };
    await store.close();
    const inline = await openStore(t, { path, readers: 0 });
    const want = {
      pages: await Promise.all(queries.map((q) => inline.query(q))),
      one: await inline.get(firstId),
      rollups: await inline.rollups(rollupQ),
    };
    assert.ok(want.one && want.rollups.length > 0 && want.pages.every((p) => p.total > 0));
    assert.deepEqual(pooled, want);
  });

  it("keeps a read error's code and message", async (t) => {
    const store = await openStore(t, { path: dbPath(), readers: 1 });
    const inline = await openStore(t, { path: ':memory:' });
    assert.equal(await store.whenReadersReady(), 1);
    // A caller's bug the types forbid: an unknown order reaches SQLite as an unknown column.
    const bad = { orderBy: 'nope', order: 'desc', offset: 0, limit: 1 } as unknown as LogQuery;
    const seen = await store.query(bad).then(
      () => assert.fail('resolved'),
      (err: unknown) => err,
    );
    const want = await inline.query(bad).then(
      () => assert.fail('resolved'),
      (err: unknown) => err,
    );
    assert.ok(seen instanceof ScfError && want instanceof ScfError);
    assert.equal(seen.code, 'InternalError');
    assert.deepEqual(
      { code: seen.code, message: seen.message, field: seen.field, rule: seen.rule, detail: seen.detail },
      { code: want.code, message: want.message, field: want.field, rule: want.rule, detail: want.detail },
    );
    // The thread is fine afterwards.
    assert.equal((await store.query({ orderBy: 'startTime', order: 'desc', offset: 0, limit: 1 })).total, 0);
    assert.equal(store.readerThreads.length, 1);
  });

  it('fails the read of a thread that dies with a coded error, restarts it, and reads go on', async (t) => {
    const errors: ScfError[] = [];
    const store = await openStore(t, { path: dbPath(), readers: 1, onReaderError: (e) => errors.push(e) });
    await addRunning(store, 3000);
    const r = rec();
    await store.write([{ op: 'finish', record: r }]);
    let failed: unknown;
    // The thread is killed while it runs the slow read (tried again should the read win the race).
    for (let attempt = 0; attempt < 5 && failed === undefined; attempt++) {
      await waitFor(async () => (await store.whenReadersReady()) === 1);
      const read = store.query(SLOW);
      const thread = store.readerThreads[0];
      assert.ok(thread);
      await thread.terminate();
      failed = await read.then(
        () => undefined,
        (err: unknown) => err,
      );
    }
    assert.ok(failed instanceof ScfError, 'the read in flight failed');
    assert.equal(failed.code, 'InternalError');
    assert.match(failed.message, /reader thread exited during the read/);
    assert.ok(errors.some((e) => /reader thread exited .*restarting/.test(e.message)));
    // Meanwhile reads are answered on the store's connection; then by the new thread.
    assert.equal((await store.get(r.requestId))?.requestId, r.requestId);
    await waitFor(async () => (await store.whenReadersReady()) === 1);
    assert.equal((await store.get(r.requestId))?.requestId, r.requestId);
    assert.deepEqual(await store.query(SLOW), { total: 0, items: [] });
  });

  it('answers the reads in flight at close, refuses later ones, and leaves no thread running', async (t) => {
    const store = await openStore(t, { path: dbPath(), readers: 2 });
    await addRunning(store, 1000);
    assert.equal(await store.whenReadersReady(), 2);
    const threads = store.readerThreads;
    const exited = threads.map((w) => new Promise((resolve) => w.once('exit', resolve)));
    const inFlight = store.query(SLOW);
    const closing = store.close();
    assert.deepEqual(await inFlight, { total: 0, items: [] });
    await closing;
    await Promise.all(exited);
    await assert.rejects(
      store.get('x'),
      (err: unknown) => err instanceof ScfError && err.code === 'InternalError',
    );
    assert.deepEqual(store.readerThreads, []);
  });

  it('reads inline for :memory: and readers: 0', async (t) => {
    const mem = await openStore(t, { path: ':memory:', readers: 3 });
    assert.equal(await mem.whenReadersReady(), 0);
    assert.deepEqual(mem.readerThreads, []);
    const off = await openStore(t, { path: dbPath(), readers: 0 });
    const r = rec();
    await off.write([{ op: 'finish', record: r }]);
    assert.equal((await off.get(r.requestId))?.requestId, r.requestId);
    assert.deepEqual(off.readerThreads, []);
  });
});

/** Polls `f` every 20 ms until it holds (5 s at most). */
async function waitFor(f: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await f())) {
    if (Date.now() > deadline) assert.fail('condition not reached in 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
