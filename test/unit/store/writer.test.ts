/** RecordWriter: batching, order, coalescing, durability before resolve, failure isolation. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { ScfError } from '../../../src/errors/index.js';
import {
  type InvocationRecord,
  type LogPage,
  type LogQuery,
  type LogStore,
  RecordWriter,
  type RollupRow,
  SqliteLogStore,
  type StoredRecord,
  type WriteOp,
} from '../../../src/store/index.js';
import { tempDir } from '../../helpers/tmp.js';

let n = 0;
function rec(over: Partial<InvocationRecord> = {}): InvocationRecord {
  n++;
  return {
    requestId: `w-${n}`,
    namespace: 'default',
    functionName: 'fn',
    qualifier: '$LATEST',
    startTime: 1_700_000_000_000 + n,
    duration: 1,
    billDuration: 100,
    memUsage: 1,
    retCode: 0,
    retMsg: '',
    invokeFinished: 1,
    retryNum: 0,
    log: 'log\n',
    ...over,
  };
}

/** A store that records the batches it is given and can be told to fail the next one. */
class RecordingStore implements LogStore {
  batches: WriteOp[][] = [];
  failNext = 0;
  #onWrite: (() => void)[] = [];
  async open(): Promise<void> {}
  async write(batch: readonly WriteOp[]): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('disk on fire');
    }
    this.batches.push([...batch]);
    for (const f of this.#onWrite.splice(0)) f();
  }
  /** Resolves after the next batch is written. */
  nextWrite(): Promise<void> {
    return new Promise((resolve) => this.#onWrite.push(resolve));
  }
  async recoverInterrupted(): Promise<number> {
    return 0;
  }
  async query(_q: LogQuery): Promise<LogPage> {
    return { total: 0, items: [] };
  }
  async get(_id: string): Promise<StoredRecord | undefined> {
    return undefined;
  }
  async prune(_before: number): Promise<number> {
    return 0;
  }
  async rollups(): Promise<RollupRow[]> {
    return [];
  }
  async close(): Promise<void> {}
}

async function sqlite(t: TestContext) {
  const path = join(tempDir(t), 'w.db');
  // Inline full-text indexing: these tests are about the writer, and an indexer thread must not outlive
  // the temp folder (removed by an after hook registered before the store's).
  const store = new SqliteLogStore({ path, ftsIndexing: 'inline' });
  await store.open();
  t.after(() => store.close());
  return { store, path };
}

describe('RecordWriter', () => {
  it('groups ops queued in one tick into one batch, in FIFO order', async () => {
    const store = new RecordingStore();
    const w = new RecordWriter(store, { batchMaxSize: 100 });
    const a = rec();
    const b = rec();
    await Promise.all([w.begin({ ...a, retCode: 2, invokeFinished: 0 }), w.finish(b), w.finish(a)]);
    assert.equal(store.batches.length, 1);
    assert.deepEqual(
      store.batches[0]!.map(
        (op) =>
          `${op.op}:${op.op === 'appendLog' ? op.requestId : op.op === 'throttle' ? '' : op.record.requestId}`,
      ),
      [`begin:${a.requestId}`, `finish:${b.requestId}`, `finish:${a.requestId}`],
    );
    await w.close();
  });

  it('splits at batchMaxSize and keeps order across batches', async () => {
    const store = new RecordingStore();
    const w = new RecordWriter(store, { batchMaxSize: 3 });
    const rs = Array.from({ length: 8 }, () => rec());
    await Promise.all(rs.map((r) => w.finish(r)));
    assert.deepEqual(
      store.batches.map((b) => b.length),
      [3, 3, 2],
    );
    const order = store.batches.flat().map((op) => (op.op === 'finish' ? op.record.requestId : ''));
    assert.deepEqual(
      order,
      rs.map((r) => r.requestId),
    );
    await w.close();
  });

  it('coalesces appends per record, never across its begin/finish; drops appends a finish supersedes', async () => {
    const store = new RecordingStore();
    const w = new RecordWriter(store, { batchMaxSize: 100 });
    const a = rec();
    const b = rec();
    const begun = w.begin({ ...a, retCode: 2, invokeFinished: 0, log: '' });
    w.appendLog(a.requestId, 'a1 ');
    w.appendLog(b.requestId, 'b1 ');
    w.appendLog(a.requestId, 'a2 ');
    w.appendLog(b.requestId, 'b2 ');
    const finished = w.finish(b);
    w.appendLog(b.requestId, 'b3');
    await Promise.all([begun, finished]);
    await w.flush();
    assert.deepEqual(store.batches.flat(), [
      { op: 'begin', record: { ...a, retCode: 2, invokeFinished: 0, log: '' } },
      { op: 'appendLog', requestId: a.requestId, text: 'a1 a2 ' },
      { op: 'finish', record: b },
      { op: 'appendLog', requestId: b.requestId, text: 'b3' },
    ]);
    await w.close();
  });

  it('a failed batch rejects its promises with InternalError, is reported once, and the writer goes on', async () => {
    const store = new RecordingStore();
    const errors: ScfError[] = [];
    const reported: string[][] = [];
    const w = new RecordWriter(store, {
      batchMaxSize: 2,
      onError: (e, batch) => {
        errors.push(e);
        reported.push(batch.requestIds);
      },
    });
    store.failNext = 1;
    const a = rec();
    const b = rec();
    const first = [w.finish(a), w.finish(b)];
    const second = w.finish(rec());
    const results = await Promise.allSettled([...first, second]);
    for (const r of results.slice(0, 2)) {
      assert.equal(r.status, 'rejected');
      const err = (r as PromiseRejectedResult).reason;
      assert.ok(err instanceof ScfError);
      assert.equal(err.code, 'InternalError');
      assert.equal((err.cause as Error).message, 'disk on fire');
    }
    assert.equal(results[2]!.status, 'fulfilled');
    assert.equal(errors.length, 1);
    assert.deepEqual(
      reported,
      [[a.requestId, b.requestId]],
      'the report names the records of the failed batch',
    );
    assert.equal(store.batches.length, 1);
    await w.close();
  });

  it("paces a record's appends: the first goes with the next batch, later ones once the log doubles", async () => {
    const store = new RecordingStore();
    // A delay no test run reaches: only doubling (or flush) may send an append here.
    const w = new RecordWriter(store, { appendMaxDelayMs: 60_000 });
    const r = rec({ log: '' });
    await w.begin({ ...r, retCode: 2, invokeFinished: 0 });
    const turn = () => new Promise((res) => setImmediate(res));
    const appends = () => store.batches.flat().flatMap((op) => (op.op === 'appendLog' ? [op.text] : []));
    w.appendLog(r.requestId, 'first line\n');
    await turn();
    await turn();
    assert.deepEqual(appends(), ['first line\n'], 'the first append is not held');
    // 11 characters written: shorter pending text is held, then sent as one append once it reaches 11.
    w.appendLog(r.requestId, 'a\n');
    await turn();
    w.appendLog(r.requestId, 'b\n');
    await turn();
    await turn();
    assert.equal(appends().length, 1, 'held while shorter than what was written');
    w.appendLog(r.requestId, 'cdefghi\n');
    await turn();
    await turn();
    assert.deepEqual(appends(), ['first line\n', 'a\nb\ncdefghi\n']);
    // flush sends what is held, whatever its size.
    w.appendLog(r.requestId, 'x\n');
    await w.flush();
    assert.deepEqual(appends(), ['first line\n', 'a\nb\ncdefghi\n', 'x\n']);
    await w.close();
  });

  it('a held append goes after appendMaxDelayMs at the latest', async () => {
    const store = new RecordingStore();
    const w = new RecordWriter(store, { appendMaxDelayMs: 30 });
    const r = rec({ log: '' });
    await w.begin({ ...r, retCode: 2, invokeFinished: 0 });
    w.appendLog(r.requestId, 'a long first line\n');
    await store.nextWrite();
    const held = performance.now();
    w.appendLog(r.requestId, 'short\n');
    // The writer's timer does not hold the event loop (nothing but an invocation in flight should): this does.
    const hold = setTimeout(() => {}, 10_000);
    await store.nextWrite();
    clearTimeout(hold);
    assert.ok(performance.now() - held >= 25, 'not before the delay');
    const last = store.batches.at(-1)!;
    assert.deepEqual(last, [{ op: 'appendLog', requestId: r.requestId, text: 'short\n' }]);
    await w.close();
  });

  it('a held append keeps its place: before a later begin of its record, dropped by its finish', async () => {
    const store = new RecordingStore();
    const w = new RecordWriter(store, { appendMaxDelayMs: 60_000 });
    const a = rec({ log: '' });
    const b = rec({ log: '' });
    await Promise.all([
      w.begin({ ...a, retCode: 2, invokeFinished: 0 }),
      w.begin({ ...b, retCode: 2, invokeFinished: 0 }),
    ]);
    w.appendLog(a.requestId, 'a-first\n');
    w.appendLog(b.requestId, 'b-first\n');
    await w.flush();
    const before = store.batches.length;
    w.appendLog(a.requestId, 'a2\n');
    w.appendLog(b.requestId, 'b2\n');
    const again = w.begin({ ...a, retCode: 2, invokeFinished: 0 });
    const done = w.finish(b);
    await Promise.all([again, done]);
    await w.flush();
    const ops = store.batches
      .slice(before)
      .flat()
      .map((op) =>
        op.op === 'appendLog'
          ? `append:${op.text}`
          : op.op === 'throttle'
            ? 'throttle'
            : `${op.op}:${op.record.requestId}`,
      );
    assert.deepEqual(ops, ['append:a2\n', `begin:${a.requestId}`, `finish:${b.requestId}`]);
    await w.close();
  });

  it('a 60,000-line log written one line per turn costs less than 3x its size in appends, and arrives whole', async (t) => {
    const { store } = await sqlite(t);
    const counting: LogStore = Object.create(store) as LogStore;
    let appendOps = 0;
    let rewritten = 0;
    let stored = 0;
    counting.write = (batch) => {
      for (const op of batch) {
        if (op.op !== 'appendLog') continue;
        appendOps++;
        stored += op.text.length;
        // A store appends by rewriting the whole value.
        rewritten += stored;
      }
      return store.write(batch);
    };
    const w = new RecordWriter(counting, { appendMaxDelayMs: 60_000 });
    const r = rec({ log: '' });
    await w.begin({ ...r, retCode: 2, invokeFinished: 0 });
    let expected = '';
    for (let i = 0; i < 60_000; i++) {
      const line = `2026-12-01T00:00:00.000Z\t${r.requestId}\tline ${i}\n`;
      expected += line;
      w.appendLog(r.requestId, line);
      if (i % 100 === 99) await new Promise((res) => setImmediate(res));
    }
    await w.flush();
    assert.equal((await store.get(r.requestId))?.log, expected);
    assert.ok(rewritten < 3 * expected.length, `rewritten ${rewritten} for ${expected.length}`);
    assert.ok(appendOps < 40, `${appendOps} appends`);
    await w.close();
  });

  it('close flushes everything, is idempotent, and refuses later ops', async () => {
    const store = new RecordingStore();
    const w = new RecordWriter(store);
    const p = w.finish(rec());
    w.appendLog('x', 'y');
    await Promise.all([w.close(), w.close()]);
    await p;
    assert.equal(store.batches.flat().length, 2);
    await assert.rejects(w.finish(rec()), ScfError);
    await assert.rejects(w.begin(rec()), ScfError);
    assert.throws(() => w.appendLog('x', 'z'), ScfError);
  });

  it('a record whose finish() resolved is readable after reopening the file', async (t) => {
    const { store, path } = await sqlite(t);
    const w = new RecordWriter(store, { batchMaxSize: 10 });
    const rs = Array.from({ length: 25 }, () => rec());
    const running = rec({ log: '' });
    await w.begin({ ...running, retCode: 2, invokeFinished: 0 });
    w.appendLog(running.requestId, 'partial ');
    await Promise.all(rs.map((r) => w.finish(r)));
    // No close() of the writer or the store here: what resolved must already be on disk.
    const again = new SqliteLogStore({ path, ftsIndexing: 'inline' });
    t.after(() => again.close());
    await again.open();
    for (const r of rs) {
      const got = await again.get(r.requestId);
      assert.ok(got, r.requestId);
      assert.equal(got.log, r.log);
    }
    const run = await again.get(running.requestId);
    assert.equal(run?.retCode, 2);
    assert.equal(run?.log, 'partial ');
    await w.close();
  });

  it('throughput path: many records through real SQLite keep per-record order', async (t) => {
    const { store } = await sqlite(t);
    const w = new RecordWriter(store, { batchMaxSize: 50 });
    const rs = Array.from({ length: 300 }, () => rec({ log: '' }));
    const waits: Promise<void>[] = [];
    for (const r of rs) {
      waits.push(w.begin({ ...r, retCode: 2, invokeFinished: 0 }));
      w.appendLog(r.requestId, 'one ');
      w.appendLog(r.requestId, 'two ');
    }
    for (const r of rs.slice(0, 150)) waits.push(w.finish({ ...r, log: 'final' }));
    await Promise.all(waits);
    await w.close();
    assert.equal((await store.get(rs[0]!.requestId))?.log, 'final');
    assert.equal((await store.get(rs[299]!.requestId))?.log, 'one two ');
    const page = await store.query({
      orderBy: 'startTime',
      order: 'asc',
      offset: 0,
      limit: 1,
      retCode: 'not0',
    });
    assert.equal(page.total, 150);
  });
});
