/**
 * The Invoker against a runtime that breaks its contract: one that rejects (before or after `onStart`) or
 * throws instead of resolving with a result. The real runtime answers an instance that cannot start with a
 * result; these stand-in runtimes make each way of failing happen every time, against a real registry,
 * writer and SQLite store, to show that nothing is left unobserved (an unhandled rejection would fail this
 * file) and that every invocation that started ends in a final record.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { zipSync } from 'fflate';
import { ScfError } from '../../../src/errors/index.js';
import { FunctionRegistry } from '../../../src/functions/registry.js';
import { Invoker } from '../../../src/invocations/invoker.js';
import type { RunRequest, RunResult, Runtime } from '../../../src/runtime/types.js';
import { SqliteLogStore } from '../../../src/store/sqlite/index.js';
import { RecordWriter } from '../../../src/store/writer.js';
import { tempDir } from '../../helpers/tmp.js';

type Behaviour = (req: RunRequest) => Promise<RunResult>;

async function setup(t: Parameters<typeof tempDir>[0], behaviour: Behaviour) {
  const dir = tempDir(t);
  const store = new SqliteLogStore({ path: join(dir, 'records.db') });
  await store.open();
  const writer = new RecordWriter(store);
  t.after(async () => {
    await writer.close();
    await store.close();
  });
  const functions = new FunctionRegistry(dir);
  const zip = zipSync({ 'index.js': Buffer.from('exports.main_handler = () => 1;\n') });
  functions.create({ functionName: 'fn', code: { zip } });
  const runtime = {
    invoke: behaviour,
    retire: async () => {},
    reserve: () => {},
    provision: () => {},
    provisioned: () => new Map(),
    sandboxStatus: () => ({ isolated: false, reason: 'a stand-in runtime' }),
    ranOn: () => undefined,
    stats: () => ({ instances: 0, busy: 0, queued: 0 }),
    close: async () => {},
  } satisfies Runtime;
  const background: unknown[] = [];
  const ends: number[] = [];
  const invoker = new Invoker(
    { functions, runtime, writer },
    {
      billingGranularityMs: 100,
      onBackgroundError: (err) => background.push(err),
      onRecord: (e) => {
        if (e.type === 'end') ends.push(e.record.retCode);
      },
    },
  );
  return { invoker, store, writer, background, ends };
}

const startThen =
  (fail: () => never): Behaviour =>
  async (req) => {
    req.onStart?.({ startTime: Date.now() });
    req.onLog?.('a line\n');
    await new Promise((r) => setTimeout(r, 5));
    fail();
  };

describe('Invoker when the runtime rejects', () => {
  test('after onStart: a final 439 record, and the caller gets it as the result', async (t) => {
    const s = await setup(
      t,
      startThen(() => {
        throw new ScfError('InternalError', 'cannot start a process for fn', {
          cause: new Error('spawn node ENOENT'),
        });
      }),
    );
    const { requestId, record, errMsg } = await s.invoker.invoke({ functionName: 'fn', event: '{}' });
    assert.equal(record?.retCode, 439);
    assert.equal(record?.invokeFinished, 1);
    assert.equal(
      errMsg,
      'User process exit when running (the instance failed to start: cannot start a process for fn: spawn node ENOENT)',
    );
    assert.equal(JSON.parse(record?.retMsg ?? '{}').errorMessage, errMsg);
    assert.match(
      record?.log ?? '',
      /ERROR RequestId: \S+ Result: User process exit when running \(the instance failed to start/,
    );
    const stored = await s.store.get(requestId);
    assert.equal(stored?.retCode, 439, 'the stored record is final, not running');
    assert.deepEqual(s.ends, [439]);
  });

  test('after onStart with a non-ScfError, asynchronously: the record still ends final', async (t) => {
    const s = await setup(
      t,
      startThen(() => {
        throw new TypeError('a bug in the runtime');
      }),
    );
    const { requestId } = await s.invoker.invoke({ functionName: 'fn', event: '{}', async: true });
    await s.invoker.drain();
    const stored = await s.store.get(requestId);
    assert.equal(stored?.retCode, 439);
    assert.match(stored?.retMsg ?? '', /instance failed to start: internal error: a bug in the runtime/);
    assert.deepEqual(s.background, [], 'nothing for the server log: the record says it all');
  });

  test('before onStart: the coded error reaches the caller, no record is written, sync and async', async (t) => {
    const s = await setup(t, async () => {
      throw new ScfError('ConcurrencyLimitReached', 'full');
    });
    for (const async of [false, true]) {
      await assert.rejects(
        s.invoker.invoke({ functionName: 'fn', event: '{}', async }),
        (err: unknown) => err instanceof ScfError && err.code === 'ConcurrencyLimitReached',
      );
    }
    await s.invoker.drain();
    const page = await s.store.query({ orderBy: 'startTime', order: 'desc', offset: 0, limit: 10 });
    assert.equal(page.items.length, 0);
    assert.deepEqual(s.background, []);
  });

  test('a runtime that throws synchronously: a coded InternalError for the caller', async (t) => {
    const s = await setup(t, () => {
      throw new Error('synchronous');
    });
    await assert.rejects(
      s.invoker.invoke({ functionName: 'fn', event: '{}' }),
      (err: unknown) => err instanceof ScfError && err.code === 'InternalError',
    );
    await s.invoker.drain();
  });

  test('a writer closed under a running invocation: its log lines do not throw into the runtime', async (t) => {
    let lateLog: (() => void) | undefined;
    const s = await setup(t, async (req) => {
      req.onStart?.({ startTime: Date.now() });
      lateLog = () => req.onLog?.('after close\n');
      return new Promise<RunResult>(() => {});
    });
    void s.invoker.invoke({ functionName: 'fn', event: '{}', async: true }).catch(() => {});
    await new Promise((r) => setTimeout(r, 10));
    await s.writer.close();
    assert.ok(lateLog);
    assert.doesNotThrow(lateLog);
  });
});
