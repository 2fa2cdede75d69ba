/**
 * The v2 handler end to end without HTTP: requests signed as qcloudapi-sdk signs them, over a real context
 * (an in-memory SQLite store and a function registry in a temp folder), checked through what the caller
 * gets back and what the store and registry hold afterwards.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { CredentialStore, ReplayGuard } from '../../../../src/api/auth/index.js';
import type { ActionContext } from '../../../../src/api/operations/types.js';
import { createV2Handler, signRequest } from '../../../../src/api/protocol/v2/index.js';
import type { ProtocolContext, WireRequest } from '../../../../src/api/wire.js';
import type { AsyncInvocations } from '../../../../src/async/invocations.js';
import { parseConfig } from '../../../../src/config/index.js';
import { FunctionRegistry } from '../../../../src/functions/registry.js';
import type { Invoker } from '../../../../src/invocations/invoker.js';
import { SqliteLogStore } from '../../../../src/store/sqlite/store.js';
import type { InvocationRecord } from '../../../../src/store/types.js';
import { codeZip } from '../../../golden/cases.js';

const HOST = 'localhost:9000';
const NOW = 1_700_000_000_000;
const ZIP = codeZip({
  'index.js': 'exports.main_handler = async () => 1; exports.b = async () => 2;',
}).toString('base64');

/** 2017-09-18 17:14:01.236 in UTC+8. */
const T = Date.UTC(2017, 8, 18, 9, 14, 1, 236);

const rec = (requestId: string, o: Partial<InvocationRecord> = {}): InvocationRecord => ({
  requestId,
  namespace: 'ns',
  functionName: 'testnode',
  qualifier: '$LATEST',
  startTime: T,
  duration: 2.7351234,
  billDuration: 100,
  memUsage: 131072,
  retCode: 430,
  retMsg: '"ok"',
  invokeFinished: 1,
  retryNum: 0,
  log: 'Hello world\n',
  ...o,
});

/**
 * In namespace `ns`, function `testnode`: `match-small` and `match-big` pass every filter of the
 * "every parameter" request; each `miss-*` fails exactly one of them.
 */
const RECORDS = [
  rec('match-small'),
  rec('match-big', { memUsage: 262144, startTime: T + 1000 }),
  rec('miss-retcode', { retCode: 0 }),
  rec('miss-window', { startTime: Date.UTC(2017, 8, 18, 10, 30) }),
  rec('miss-keyword', { log: 'bye\n' }),
  rec('miss-function', { functionName: 'other' }),
];

async function setup(t: TestContext) {
  const dir = mkdtempSync(join(tmpdir(), 'scf-local-v2h-'));
  const store = new SqliteLogStore({ path: ':memory:' });
  await store.open();
  await store.write(RECORDS.map((record) => ({ op: 'finish' as const, record })));
  const functions = new FunctionRegistry(dir);
  functions.createNamespace('ns');
  for (const functionName of ['testnode', 'other']) {
    functions.create({ functionName, namespace: 'ns', code: { zipBase64: ZIP } });
  }
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const internal: unknown[] = [];
  const handler = createV2Handler({ onInternalError: (err) => internal.push(err) });
  const ctx: ProtocolContext = {
    actions: {
      config: parseConfig({}),
      functions,
      store,
      // Invocations are refused before they run in these tests (compat/v2-flow runs real ones).
      invoker: {
        invoke: () => assert.fail('nothing is invoked here'),
        ranOn: () => undefined,
      } as unknown as Invoker,
      async: { enqueue: () => assert.fail('nothing is queued here') } as unknown as AsyncInvocations,
    } satisfies ActionContext,
    credentials: new CredentialStore([{ secretId: 'AKIDtest', secretKey: 'secret' }]),
    replay: new ReplayGuard({ maxSkewSeconds: 300, now: () => NOW }),
  };
  let nonce = 0;
  const send = async (
    params: Record<string, string | number>,
    options: { method?: 'GET' | 'POST'; key?: string; hash?: 'sha1' | 'sha256'; nonce?: number } = {},
  ) => {
    const method = options.method ?? 'GET';
    const encoded = signRequest(
      {
        SecretId: 'AKIDtest',
        Timestamp: NOW / 1000,
        Nonce: options.nonce ?? ++nonce,
        Region: 'gz',
        ...params,
      },
      { method, host: HOST, secretKey: options.key ?? 'secret', hash: options.hash ?? 'sha1' },
    );
    const req: WireRequest = {
      method,
      host: HOST,
      path: '/v2/index.php',
      rawQuery: method === 'GET' ? encoded : '',
      headers:
        method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } : {},
      body: Buffer.from(method === 'POST' ? encoded : ''),
    };
    const res = await handler(req, ctx);
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/json');
    return JSON.parse(res.body) as Record<string, unknown>;
  };
  return { send, handler, ctx, store, functions, internal };
}

const ids = (res: Record<string, unknown>): string[] =>
  (res['data'] as Array<Record<string, unknown>>).map((d) => String(d['requestId']));

test('two different requests may share Timestamp and Nonce; the same request twice is a replay', async (t) => {
  const { send, functions } = await setup(t);
  const create = (functionName: string) => ({ Action: 'CreateFunction', functionName, code: `@${ZIP}` });
  assert.equal((await send(create('fa'), { nonce: 7, method: 'POST' }))['code'], 0);
  const b = await send(create('fb'), { nonce: 7, method: 'POST' });
  assert.equal(b['code'], 0, 'a different request that drew the same nonce in the same second');
  const again = await send(create('fa'), { nonce: 7, method: 'POST' });
  assert.equal(again['code'], 4500, 'refused as a replay, not as a function that exists');
  assert.deepEqual(
    functions
      .list({ namespace: 'default' })
      .functions.map((f) => f.functionName)
      .sort(),
    ['fa', 'fb'],
  );
});

test("GetFunctionLogs: every parameter narrows the answer; the item is the seed's", async (t) => {
  const { send } = await setup(t);
  const res = await send({
    Action: 'GetFunctionLogs',
    functionName: 'testnode',
    namespace: 'ns',
    qualifier: '$LATEST',
    offset: 1,
    limit: 1,
    order: 'ACS',
    orderby: 'mem_usage',
    'filter.retCode': 'NOT0',
    startTime: '2017-09-18 17:00:00',
    endTime: '2017-09-18 18:00:00',
    keyword: 'Hello',
  });
  // The seed's item: its fields in its order; startTime in UTC+8; duration at µs precision.
  assert.deepEqual(res, {
    code: 0,
    message: '',
    codeDesc: 'Success',
    total: 2,
    data: [
      {
        functionName: 'testnode',
        retMsg: '"ok"',
        requestId: 'match-big',
        startTime: '2017-09-18 17:14:02',
        retCode: 430,
        invokeFinished: 1,
        duration: 2.735,
        billDuration: 100,
        memUsage: 262144,
        log: 'Hello world\n',
      },
    ],
  });
  const one = await send({ Action: 'GetFunctionLogs', namespace: 'ns', requestId: 'miss-window' });
  assert.deepEqual(ids(one), ['miss-window']);
});

test('GetFunctionLogs: defaults, filter as JSON, filter_retCode, orderBy alias, empty filter', async (t) => {
  const { send } = await setup(t);
  const total = async (params: Record<string, string>) =>
    (await send({ Action: 'GetFunctionLogs', namespace: 'ns', ...params }))['total'];
  assert.equal(await total({}), 6);
  assert.equal(await total({ filter: '{"retCode":"is0"}' }), 1);
  assert.equal(await total({ filter_retCode: 'UserCodeException' }), 5);
  assert.equal(await total({ 'filter.retCode': '' }), 6);
  const byName = await send({
    Action: 'GetFunctionLogs',
    namespace: 'ns',
    orderBy: 'function_name',
    order: 'asc',
  });
  assert.equal(ids(byName)[0], 'miss-function');
});

test("InvokeFunction: param and invokeType reach the invocation's own checks", async (t) => {
  const { send } = await setup(t);
  const notJson = await send(
    { Action: 'InvokeFunction', functionName: 'testnode', namespace: 'ns', param: '{oops', logType: 'Tail' },
    { method: 'POST', hash: 'sha256' },
  );
  assert.deepEqual(notJson, {
    code: 4000,
    message: 'the event is not valid JSON',
    codeDesc: 'InvalidParameter',
  });
  const big = JSON.stringify('x'.repeat(200 * 1024));
  const tooBig = await send(
    { Action: 'InvokeFunction', functionName: 'testnode', namespace: 'ns', invokeType: 'Event', param: big },
    { method: 'POST' },
  );
  assert.match(String(tooBig['message']), /allowed for asynchronous invocations$/);
});

test('CreateFunction: @code, both environment forms', async (t) => {
  const { send, functions } = await setup(t);
  const f = await send(
    {
      Action: 'CreateFunction',
      functionName: 'f1',
      code: `@${ZIP}`,
      memorySize: 256,
      'environment.variables.0.key': 'A',
      'environment.variables.0.value': '1 + 1',
      'environment.variables.1.Key': 'B',
      'environment.variables.1.Value': '',
    },
    { method: 'POST' },
  );
  assert.equal(f['code'], 0);
  const g = await send(
    {
      Action: 'CreateFunction',
      functionName: 'g1',
      code: ZIP,
      environment: '{"variables":[{"key":"C","value":"3"}]}',
    },
    { method: 'POST' },
  );
  assert.equal(g['code'], 0);
  assert.deepEqual(functions.get('f1').environment, { A: '1 + 1', B: '' });
  assert.equal(functions.get('f1').memorySize, 256);
  assert.deepEqual(functions.get('g1').environment, { C: '3' });
});

test('UpdateFunction: code then configuration; nothing to change checks existence', async (t) => {
  const { send, functions } = await setup(t);
  const res = await send(
    {
      Action: 'UpdateFunction',
      functionName: 'testnode',
      namespace: 'ns',
      code: `@${ZIP}`,
      handler: 'index.b',
      timeout: 9,
      description: '',
    },
    { method: 'POST' },
  );
  assert.equal(res['code'], 0);
  const fn = functions.get('testnode', 'ns');
  assert.deepEqual([fn.handler, fn.timeout, fn.description], ['index.b', 9, '']);
  assert.equal(
    (await send({ Action: 'UpdateFunction', functionName: 'testnode', namespace: 'ns' }))['code'],
    0,
  );
  assert.equal((await send({ Action: 'UpdateFunction', functionName: 'nope' }))['code'], 5000);
});

test('operation errors keep their code; other faults become 6000 and are reported', async (t) => {
  const { send, store, internal } = await setup(t);
  assert.deepEqual(await send({ Action: 'GetFunctionLogs', functionName: 'nope' }), {
    code: 5000,
    message: 'function not found: [nope] in namespace [default]',
    codeDesc: 'ResourceNotFound',
  });
  await store.close();
  const fault = await send({ Action: 'GetFunctionLogs' });
  assert.equal(fault['code'], 6000);
  assert.doesNotMatch(String(fault['message']), /closed|store|sqlite/i, 'the detail stays in the server log');
  assert.equal(internal.length, 1);
});

test('auth failures reach no operation', async (t) => {
  const { send, functions } = await setup(t);
  const create = { Action: 'CreateFunction', functionName: 'sneaky', code: `@${ZIP}` };
  assert.equal((await send(create, { key: 'bad', method: 'POST' }))['code'], 4100);
  assert.equal((await send({ ...create, SecretId: 'AKIDx' }, { method: 'POST' }))['code'], 4104);
  assert.equal((await send({ ...create, Timestamp: NOW / 1000 - 301 }, { method: 'POST' }))['code'], 4500);
  assert.equal(
    (await send({ ...create, Timestamp: 'soon' }, { method: 'POST' }))['codeDesc'],
    'InvalidParameter',
  );
  assert.equal(functions.list({ namespace: 'default' }).total, 0);
  assert.equal((await send({ ...create, Timestamp: NOW / 1000 + 300 }, { method: 'POST' }))['code'], 0);
  assert.equal(functions.list({ namespace: 'default' }).total, 1);
});
