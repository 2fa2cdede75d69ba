import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CredentialStore, ReplayGuard } from '../../../../src/api/auth/index.js';
import type { ActionContext } from '../../../../src/api/operations/types.js';
import { createV2Handler, signRequest, type V2Operations } from '../../../../src/api/protocol/v2/index.js';
import type { ProtocolContext, WireRequest } from '../../../../src/api/wire.js';
import { parseConfig } from '../../../../src/config/index.js';
import { ScfError } from '../../../../src/errors/index.js';
import type { StoredRecord } from '../../../../src/store/types.js';

const HOST = 'localhost:9000';
const NOW = 1_700_000_000_000;

const record: StoredRecord = {
  seq: 1,
  requestId: 'b5a9c642-9c51-11e7-a46e-5254001df6c6',
  namespace: 'default',
  functionName: 'testnode',
  qualifier: '$LATEST',
  startTime: Date.UTC(2017, 8, 18, 9, 14, 1, 236),
  duration: 2.7351234,
  billDuration: 100,
  memUsage: 131072,
  retCode: 0,
  retMsg: '"ok"',
  invokeFinished: 1,
  retryNum: 0,
  log: 'x\n',
};

/** Fake operations that record their inputs; the protocol is tested on its own. */
function fakeOps() {
  const calls: Array<[string, unknown]> = [];
  const rec =
    <T>(name: string, out: T) =>
    async (_ctx: ActionContext, input: unknown): Promise<T> => {
      calls.push([name, input]);
      return out;
    };
  const def = {
    namespace: 'default',
    functionName: 'f',
    handler: 'index.main_handler',
    runtime: 'Nodejs18.15',
    memorySize: 128,
    timeout: 3,
    description: '',
    environment: { A: '1' },
    codeSize: 10,
    codeSha256: '',
    addTime: 0,
    modTime: 0,
    revision: 1,
  };
  const ops = {
    getFunctionLogs: rec('getFunctionLogs', { total: 7, items: [record] }),
    invoke: rec('invoke', { requestId: 'r1' }),
    createFunction: rec('createFunction', def),
    updateFunctionCode: rec('updateFunctionCode', def),
    updateFunctionConfiguration: rec('updateFunctionConfiguration', def),
    getFunction: rec('getFunction', def),
    listFunctions: rec('listFunctions', { total: 0, functions: [] }),
    deleteFunction: async (_ctx: ActionContext, input: unknown) => {
      calls.push(['deleteFunction', input]);
    },
  } satisfies V2Operations;
  return { ops, calls };
}

function setup() {
  const { ops, calls } = fakeOps();
  const handler = createV2Handler(ops);
  const ctx: ProtocolContext = {
    actions: { config: parseConfig({}) } as unknown as ActionContext,
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
  return { send, calls, handler, ctx };
}

describe('v2 handler with fake operations', () => {
  test('two different requests may share Timestamp and Nonce; the same request twice is a replay', async () => {
    const { send, calls } = setup();
    const a = await send({ Action: 'GetFunctionLogs', functionName: 'a' }, { nonce: 7 });
    const b = await send({ Action: 'GetFunctionLogs', functionName: 'b' }, { nonce: 7 });
    assert.equal(a['code'], 0);
    assert.equal(b['code'], 0, 'a different request that drew the same nonce in the same second');
    const again = await send({ Action: 'GetFunctionLogs', functionName: 'a' }, { nonce: 7 });
    assert.equal(again['code'], 4500);
    assert.equal(calls.length, 2, 'the replay was not acted on');
  });

  test('GetFunctionLogs maps every parameter to the operation input', async () => {
    const { send, calls } = setup();
    const res = await send({
      Action: 'GetFunctionLogs',
      functionName: 'testnode',
      namespace: 'ns',
      qualifier: '$LATEST',
      requestId: 'rid',
      offset: 5,
      limit: 7,
      order: 'ACS',
      orderby: 'mem_usage',
      'filter.retCode': 'NOT0',
      startTime: '2017-09-18 17:00:00',
      endTime: '2017-09-18 18:00:00',
      keyword: 'Hello',
    });
    assert.equal(res['code'], 0);
    assert.deepEqual(calls, [
      [
        'getFunctionLogs',
        {
          functionName: 'testnode',
          namespace: 'ns',
          qualifier: '$LATEST',
          requestId: 'rid',
          keyword: 'Hello',
          offset: 5,
          limit: 7,
          order: 'asc',
          orderBy: 'memUsage',
          retCode: 'not0',
          startTime: Date.UTC(2017, 8, 18, 9, 0, 0),
          endTime: Date.UTC(2017, 8, 18, 10, 0, 0) + 999,
        },
      ],
    ]);
    // The seed's item: its fields in its order; startTime in UTC+8; duration at µs precision.
    assert.deepEqual(res, {
      code: 0,
      message: '',
      codeDesc: 'Success',
      total: 7,
      data: [
        {
          functionName: 'testnode',
          retMsg: '"ok"',
          requestId: 'b5a9c642-9c51-11e7-a46e-5254001df6c6',
          startTime: '2017-09-18 17:14:01',
          retCode: 0,
          invokeFinished: 1,
          duration: 2.735,
          billDuration: 100,
          memUsage: 131072,
          log: 'x\n',
        },
      ],
    });
  });

  test('GetFunctionLogs defaults, filter as JSON, filter_retCode, orderBy alias, 3.0 filter values', async () => {
    const { send, calls } = setup();
    await send({ Action: 'GetFunctionLogs' });
    await send({ Action: 'GetFunctionLogs', filter: '{"retCode":"is0"}' });
    await send({ Action: 'GetFunctionLogs', filter_retCode: 'UserCodeException', orderBy: 'function_name' });
    await send({ Action: 'GetFunctionLogs', 'filter.retCode': '' });
    assert.deepEqual(
      calls.map(([, i]) => i),
      [
        { offset: 0, limit: 20 },
        { offset: 0, limit: 20, retCode: 'is0' },
        { offset: 0, limit: 20, retCode: 'UserCodeException', orderBy: 'functionName' },
        { offset: 0, limit: 20 },
      ],
    );
  });

  test('InvokeFunction maps invokeType/param/logType and answers data nested', async () => {
    const { send, calls } = setup();
    const res = await send(
      { Action: 'InvokeFunction', functionName: 'f', invokeType: 'Event', param: '{"a":1}', logType: 'Tail' },
      { method: 'POST', hash: 'sha256' },
    );
    assert.deepEqual(res, { code: 0, message: '', codeDesc: 'Success', data: { requestId: 'r1' } });
    assert.deepEqual(calls[0], [
      'invoke',
      { functionName: 'f', invocationType: 'Event', logType: 'Tail', event: '{"a":1}' },
    ]);
  });

  test('CreateFunction: @code, both environment forms', async () => {
    const { send, calls } = setup();
    await send(
      {
        Action: 'CreateFunction',
        functionName: 'f',
        code: '@UEsDBA==',
        memorySize: 256,
        'environment.variables.0.key': 'A',
        'environment.variables.0.value': '1 + 1',
        'environment.variables.1.Key': 'B',
        'environment.variables.1.Value': '',
      },
      { method: 'POST' },
    );
    await send(
      {
        Action: 'CreateFunction',
        functionName: 'g',
        code: '@UEsDBA==',
        environment: '{"variables":[{"key":"C","value":"3"}]}',
      },
      { method: 'POST' },
    );
    assert.deepEqual(calls, [
      [
        'createFunction',
        {
          functionName: 'f',
          memorySize: 256,
          environment: { A: '1 + 1', B: '' },
          code: { zipBase64: 'UEsDBA==' },
        },
      ],
      ['createFunction', { functionName: 'g', environment: { C: '3' }, code: { zipBase64: 'UEsDBA==' } }],
    ]);
  });

  test('UpdateFunction: code then configuration; nothing to change checks existence', async () => {
    const { send, calls } = setup();
    await send(
      {
        Action: 'UpdateFunction',
        functionName: 'f',
        code: '@UEsDBA==',
        handler: 'a.b',
        timeout: 9,
        description: '',
      },
      { method: 'POST' },
    );
    await send({ Action: 'UpdateFunction', functionName: 'f' });
    assert.deepEqual(calls, [
      ['updateFunctionCode', { functionName: 'f', handler: 'a.b', code: { zipBase64: 'UEsDBA==' } }],
      ['updateFunctionConfiguration', { functionName: 'f', timeout: 9, description: '' }],
      ['getFunction', { functionName: 'f' }],
    ]);
  });

  test('operation errors keep their code; other faults become 6000', async () => {
    const { ops } = fakeOps();
    const ctx = setup().ctx;
    ops.getFunctionLogs = async () => {
      throw new ScfError('FunctionNotFound', 'function nope does not exist');
    };
    ops.listFunctions = async () => {
      throw new TypeError('oops');
    };
    const handler = createV2Handler(ops);
    const call = async (Action: string, n: number) => {
      const q = signRequest(
        { Action, SecretId: 'AKIDtest', Timestamp: NOW / 1000, Nonce: n },
        { method: 'GET', host: HOST, secretKey: 'secret' },
      );
      const res = await handler(
        { method: 'GET', host: HOST, path: '/v2/index.php', rawQuery: q, headers: {}, body: Buffer.alloc(0) },
        ctx,
      );
      return JSON.parse(res.body) as Record<string, unknown>;
    };
    assert.deepEqual(await call('GetFunctionLogs', 1), {
      code: 5000,
      message: 'function nope does not exist',
      codeDesc: 'ResourceNotFound',
    });
    assert.equal((await call('ListFunctions', 2))['code'], 6000);
  });

  test('auth failures reach no operation', async () => {
    const { send, calls } = setup();
    assert.equal((await send({ Action: 'GetFunctionLogs' }, { key: 'bad' }))['code'], 4100);
    assert.equal((await send({ Action: 'GetFunctionLogs', SecretId: 'AKIDx' }))['code'], 4104);
    assert.equal((await send({ Action: 'GetFunctionLogs', Timestamp: NOW / 1000 - 301 }))['code'], 4500);
    assert.equal(
      (await send({ Action: 'GetFunctionLogs', Timestamp: 'soon' }))['codeDesc'],
      'InvalidParameter',
    );
    assert.equal((await send({ Action: 'GetFunctionLogs', Timestamp: NOW / 1000 + 300 }))['code'], 0);
    assert.equal(calls.length, 1);
  });
});
