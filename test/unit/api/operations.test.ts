/**
 * The operations' own rules (api/operations/limits.ts), checked once for every protocol, on a real store
 * and registry; and each protocol's wording of them (api/protocol/{v2,v3}/errors.ts).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as ops from '../../../src/api/operations/index.js';
import { MAX_ASYNC_EVENT_BYTES, MAX_SYNC_EVENT_BYTES } from '../../../src/api/operations/limits.js';
import type { ActionContext } from '../../../src/api/operations/types.js';
import { v2ErrorBody } from '../../../src/api/protocol/v2/errors.js';
import { v3Error } from '../../../src/api/protocol/v3/errors.js';
import type { AsyncInvocations } from '../../../src/async/invocations.js';
import { parseConfig } from '../../../src/config/index.js';
import { ScfError } from '../../../src/errors/index.js';
import { FunctionRegistry } from '../../../src/functions/registry.js';
import type { Invoker } from '../../../src/invocations/invoker.js';
import { SqliteLogStore } from '../../../src/store/sqlite/store.js';
import type { InvocationRecord } from '../../../src/store/types.js';
import { codeZip } from '../../golden/cases.js';

/** The thrown ScfError (the test fails when nothing, or something else, is thrown). */
async function caught(p: Promise<unknown>): Promise<ScfError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ScfError, String(err));
    return err;
  }
  assert.fail('expected a ScfError');
}

const record = (requestId: string, startTime: number): InvocationRecord => ({
  requestId,
  namespace: 'default',
  functionName: 'fn',
  qualifier: '$LATEST',
  startTime,
  duration: 1,
  billDuration: 1,
  memUsage: 1,
  retCode: 0,
  retMsg: '"ok"',
  invokeFinished: 1,
  retryNum: 0,
  log: '',
});

describe('the operations check SCF rules once and each protocol words them', () => {
  let ctx: ActionContext;
  let store: SqliteLogStore;
  const now = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'scf-local-ops-'));

  before(async () => {
    store = new SqliteLogStore({ path: ':memory:' });
    await store.open();
    const functions = new FunctionRegistry(dir);
    functions.create({
      functionName: 'fn',
      code: {
        zipBase64: codeZip({ 'index.js': 'exports.main_handler = async () => 1;' }).toString('base64'),
      },
    });
    // Every rule below is checked before anything runs: an invoker that is reached is a failure.
    const invoker = {
      invoke: () => assert.fail('the invocation must be refused before it runs'),
      ranOn: () => undefined,
    } as unknown as Invoker;
    const async = { enqueue: () => assert.fail('nothing is queued here') } as unknown as AsyncInvocations;
    ctx = { config: parseConfig({}), functions, invoker, store, async };
    await store.write([
      { op: 'finish', record: record('old', now - 20 * 60_000) },
      { op: 'finish', record: record('recent', now - 10 * 60_000) },
    ]);
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('Offset + Limit over 10000', async () => {
    const err = await caught(ops.getFunctionLogs(ctx, { offset: 9990, limit: 11 }));
    assert.equal(err.code, 'LimitExceededOffset');
    assert.deepEqual(v2ErrorBody(err), {
      code: 4000,
      message: 'offset + limit must not exceed 10000, got 9990 + 11',
      codeDesc: 'InvalidParameter',
    });
    assert.deepEqual(v3Error(err), {
      Code: 'LimitExceeded.Offset',
      Message: 'Offset + Limit must not exceed 10000 (got 9990 + 11).',
    });
    assert.equal((await ops.getFunctionLogs(ctx, { offset: 9990, limit: 10 })).items.length, 0);
  });

  test('a window that ends before it starts, for GetFunctionLogs and GetRequestStatus', async () => {
    for (const p of [
      ops.getFunctionLogs(ctx, { startTime: now, endTime: now - 1 }),
      ops.getRequestStatus(ctx, {
        functionName: 'fn',
        functionRequestId: 'old',
        startTime: now,
        endTime: now - 1,
      }),
    ]) {
      const err = await caught(p);
      assert.equal(v2ErrorBody(err).message, 'startTime must not be later than endTime');
      assert.deepEqual(v3Error(err), {
        Code: 'InvalidParameterValue.DateTime',
        Message: 'EndTime is earlier than StartTime.',
      });
    }
  });

  test('$DEFAULT names $LATEST', async () => {
    const page = await ops.getFunctionLogs(ctx, { functionName: 'fn', qualifier: '$DEFAULT' });
    assert.deepEqual(page.items.map((r) => r.requestId).sort(), ['old', 'recent']);
    assert.equal((await ops.getFunctionLogs(ctx, { functionName: 'fn', qualifier: '$LATEST' })).total, 2);
  });

  test('GetRequestStatus looks 15 minutes back unless told where', async () => {
    const find = async (functionRequestId: string, window: { startTime?: number; endTime?: number } = {}) =>
      (await ops.getRequestStatus(ctx, { functionName: 'fn', functionRequestId, ...window })).total;
    assert.equal(await find('recent'), 1);
    assert.equal(await find('old'), 0, '20 minutes ago is outside the default window');
    assert.equal(await find('old', { endTime: now }), 0, 'EndTime alone: the 15 minutes before it');
    assert.equal(await find('old', { startTime: now - 30 * 60_000, endTime: now }), 1);
    assert.equal(await find('old', { endTime: now - 10 * 60_000 }), 1);
  });

  test('the event: its size for the invocation type, JSON, spelled per action in 3.0', async () => {
    const big = JSON.stringify('x'.repeat(MAX_ASYNC_EVENT_BYTES));
    const size = Buffer.byteLength(big);
    const tooBig = await caught(ops.invoke(ctx, { functionName: 'fn', invocationType: 'Event', event: big }));
    assert.equal(tooBig.code, 'RequestTooLarge');
    assert.equal(
      v2ErrorBody(tooBig).message,
      `the event is ${size} bytes, more than the ${MAX_ASYNC_EVENT_BYTES} bytes allowed for asynchronous invocations`,
    );
    assert.deepEqual(v3Error(tooBig, { event: 'ClientContext' }), {
      Code: 'InvalidParameterValue.ClientContext',
      Message: `ClientContext is ${size} bytes; asynchronous invocations take at most ${MAX_ASYNC_EVENT_BYTES} bytes.`,
    });
    // InvokeFunction's event is `Event`: an oversized one is reported under that name.
    const sync = JSON.stringify('y'.repeat(MAX_SYNC_EVENT_BYTES));
    const syncErr = await caught(ops.invoke(ctx, { functionName: 'fn', event: sync }));
    assert.equal(v3Error(syncErr, { event: 'Event' }).Code, 'InvalidParameterValue.Event');
    assert.match(
      v3Error(syncErr, { event: 'Event' }).Message,
      /^Event is \d+ bytes; synchronous invocations/,
    );

    const notJson = await caught(ops.invoke(ctx, { functionName: 'fn', event: '{oops' }));
    assert.equal(v2ErrorBody(notJson).message, 'the event is not valid JSON');
    // SCF answers an event that is not JSON with InvalidParameterValue.Param whatever the parameter's name;
    // the message names it.
    assert.deepEqual(v3Error(notJson, { event: 'Event' }), {
      Code: 'InvalidParameterValue.Param',
      Message: 'Event is not valid JSON.',
    });
  });

  test('a Qualifier naming no version or alias is refused with its code; reading records by it is not', async () => {
    for (const [p, code] of [
      [ops.invoke(ctx, { functionName: 'fn', qualifier: '1' }), 'ResourceNotFound.Version'],
      [
        ops.invoke(ctx, { functionName: 'fn', qualifier: '1', invocationType: 'Event' }),
        'ResourceNotFound.Version',
      ],
      [ops.invoke(ctx, { functionName: 'fn', qualifier: 'canary' }), 'ResourceNotFound.Alias'],
      [ops.getFunction(ctx, { functionName: 'fn', qualifier: '1' }), 'ResourceNotFound.Version'],
      [ops.deleteFunction(ctx, { functionName: 'fn', qualifier: '1' }), 'ResourceNotFound.Qualifier'],
    ] as const) {
      const err = await caught(p);
      assert.equal(v3Error(err).Code, code);
    }
    // A version deleted since still names its records: reading by one that never existed finds none.
    assert.equal((await ops.getFunctionLogs(ctx, { functionName: 'fn', qualifier: '1' })).total, 0);
    // Deleting "version 1" must not delete the function.
    assert.equal(ctx.functions.get('fn').functionName, 'fn');
    assert.equal(
      (await ops.getFunction(ctx, { functionName: 'fn', qualifier: '$LATEST' })).functionName,
      'fn',
    );
  });
});
