/**
 * v2 failures through qcloudapi-sdk@0.2.1 (and raw HTTP where the SDK cannot express the fault): each
 * has its own code, every answer is HTTP 200 JSON, and nothing of a rejected request is acted on.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { apiTime } from '../helpers/api-time.js';
import { type CapiData, freshNonce, sdkCall, sdkClient, type V2Body } from '../helpers/v2client.js';
import { codeParam, SECRET_ID, SECRET_KEY, testnodeCode, v2Suite } from './v2-platform.js';

const now = (): number => Math.round(Date.now() / 1000);

describe('v2 failures', () => {
  const suite = v2Suite();

  /** Raw request with an SDK-signed query or form, so it can be sent twice or with another method. */
  async function raw(
    method: string,
    data: CapiData,
    options: { signAs?: 'GET' | 'POST'; secretKey?: string; body?: string; contentType?: string } = {},
  ): Promise<{ status: number; type: string | null; body: V2Body }> {
    const env = suite.get();
    const host = `127.0.0.1:${env.port}`;
    const signAs = options.signAs ?? (method === 'POST' ? 'POST' : 'GET');
    const client = sdkClient(SECRET_ID, options.secretKey ?? SECRET_KEY);
    const qs = client.generateQueryString(data, { host, protocol: 'http', method: signAs });
    const isPost = method === 'POST';
    const res = await fetch(`http://${host}/v2/index.php${isPost ? '' : `?${qs}`}`, {
      method,
      headers: isPost ? { 'content-type': options.contentType ?? 'application/x-www-form-urlencoded' } : {},
      ...(isPost ? { body: options.body ?? qs } : {}),
    });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as V2Body };
  }

  const expectCode = (body: V2Body, code: number, codeDesc: string, message?: RegExp): void => {
    assert.equal(body.code, code, JSON.stringify(body));
    assert.equal(body.codeDesc, codeDesc, JSON.stringify(body));
    if (message) assert.match(body.message, message);
  };

  // One function for every test (a hook, not a test, so that any test runs alone).
  before(async () => {
    const env = suite.get();
    const r = await env.call(
      { Action: 'CreateFunction', functionName: 'testnode', code: testnodeCode() },
      { method: 'POST' },
    );
    assert.equal(r.code, 0, r.message);
  });

  test('wrong SecretKey -> 4100 AuthFailure, GET and POST, SHA1 and SHA256', async () => {
    const env = suite.get();
    const bad = sdkClient(SECRET_ID, 'not-the-key');
    for (const method of ['GET', 'POST'] as const) {
      for (const sha256 of [false, true]) {
        const r = await sdkCall(
          bad,
          { Action: 'GetFunctionLogs', functionName: 'testnode' },
          { port: env.port, method, sha256 },
        );
        expectCode(r, 4100, 'AuthFailure');
      }
    }
  });

  test('unknown SecretId -> 4104', async () => {
    const env = suite.get();
    const r = await sdkCall(
      sdkClient('AKIDunknown', SECRET_KEY),
      { Action: 'GetFunctionLogs' },
      { port: env.port },
    );
    expectCode(r, 4104, 'SecretIdNotFound', /SecretId does not exist/);
  });

  test('stale or future Timestamp (> 300 s) -> 4500; 299 s is fine', async () => {
    const env = suite.get();
    expectCode(
      await env.call({ Action: 'ListFunctions', Timestamp: now() - 400 }),
      4500,
      'ReplayAttack',
      /Timestamp/,
    );
    expectCode(await env.call({ Action: 'ListFunctions', Timestamp: now() + 400 }), 4500, 'ReplayAttack');
    expectCode(await env.call({ Action: 'ListFunctions', Timestamp: now() - 290 }), 0, 'Success');
  });

  test('the check order: unknown SecretId before Timestamp before signature before replay', async () => {
    const env = suite.get();
    const stale = now() - 1000;
    const unknownAndStale = await sdkCall(
      sdkClient('AKIDnope', 'x'),
      { Action: 'ListFunctions', Timestamp: stale },
      { port: env.port },
    );
    expectCode(unknownAndStale, 4104, 'SecretIdNotFound');
    const staleAndBadSig = await sdkCall(
      sdkClient(SECRET_ID, 'x'),
      { Action: 'ListFunctions', Timestamp: stale },
      { port: env.port },
    );
    expectCode(staleAndBadSig, 4500, 'ReplayAttack');
    // A forged request does not burn its nonce: the genuine one with the same Timestamp/Nonce still passes.
    const pair = { Timestamp: now(), Nonce: freshNonce() };
    const forged = await sdkCall(
      sdkClient(SECRET_ID, 'x'),
      { Action: 'ListFunctions', ...pair },
      { port: env.port },
    );
    expectCode(forged, 4100, 'AuthFailure');
    expectCode(await env.call({ Action: 'ListFunctions', ...pair }), 0, 'Success');
    expectCode(await env.call({ Action: 'ListFunctions', ...pair }), 4500, 'ReplayAttack', /Nonce/);
  });

  test('a replayed request -> 4500 and is not acted on (InvokeFunction runs once)', async () => {
    const env = suite.get();
    const before = (await env.call({ Action: 'GetFunctionLogs', functionName: 'testnode' }))[
      'total'
    ] as number;
    for (const method of ['GET', 'POST'] as const) {
      const data = {
        Action: 'InvokeFunction',
        functionName: 'testnode',
        Timestamp: now(),
        Nonce: freshNonce(),
      };
      const first = await raw(method, data);
      expectCode(first.body, 0, 'Success');
      const again = await raw(method, data);
      expectCode(again.body, 4500, 'ReplayAttack', /replay/);
      assert.equal(again.status, 200);
    }
    const after = await env.call({ Action: 'GetFunctionLogs', functionName: 'testnode' });
    assert.equal(after['total'], before + 2);
  });

  test('rejected CreateFunction / InvokeFunction leave no function and no record', async () => {
    const env = suite.get();
    const logsBefore = (await env.call({ Action: 'GetFunctionLogs' }))['total'];
    const attempts: Array<[string, CapiData, Parameters<typeof raw>[2]]> = [
      ['bad key', {}, { secretKey: 'wrong' }],
      ['stale', { Timestamp: now() - 1000 }, {}],
    ];
    for (const [why, common, opts] of attempts) {
      const c = await raw(
        'POST',
        { Action: 'CreateFunction', functionName: 'ghost', code: codeParam({ 'index.js': '' }), ...common },
        opts,
      );
      assert.notEqual(c.body.code, 0, why);
      const i = await raw('POST', { Action: 'InvokeFunction', functionName: 'testnode', ...common }, opts);
      assert.notEqual(i.body.code, 0, why);
    }
    const unknownId = await sdkCall(
      sdkClient('AKIDnope', SECRET_KEY),
      { Action: 'CreateFunction', functionName: 'ghost', code: codeParam({ 'index.js': '' }) },
      { port: env.port, method: 'POST' },
    );
    expectCode(unknownId, 4104, 'SecretIdNotFound');
    expectCode(await env.call({ Action: 'GetFunction', functionName: 'ghost' }), 5000, 'ResourceNotFound');
    assert.equal((await env.call({ Action: 'GetFunctionLogs' }))['total'], logsBefore);
  });

  test('other HTTP methods -> 4000 UnsupportedProtocol; every answer is HTTP 200 JSON', async () => {
    for (const method of ['PUT', 'DELETE', 'PATCH']) {
      const r = await raw(method, { Action: 'ListFunctions' });
      assert.equal(r.status, 200);
      assert.match(r.type ?? '', /^application\/json/);
      expectCode(r.body, 4000, 'UnsupportedProtocol', /only GET or POST/);
    }
    const json = await raw(
      'POST',
      { Action: 'ListFunctions' },
      { contentType: 'application/json', body: '{}' },
    );
    expectCode(json.body, 4000, 'InvalidParameter', /x-www-form-urlencoded/);
  });

  test('missing or unknown Action, missing common parameters', async () => {
    const env = suite.get();
    expectCode((await raw('GET', {})).body, 4000, 'InvalidAction', /Action is required/);
    expectCode(
      await env.call({ Action: 'DescribeInstances' }),
      4000,
      'InvalidAction',
      /DescribeInstances.*GetFunctionLogs/,
    );
    const res = await fetch(`http://127.0.0.1:${env.port}/v2/index.php?Action=ListFunctions`);
    assert.equal(res.status, 200);
    expectCode((await res.json()) as V2Body, 4000, 'MissingParameter', /SecretId/);
  });

  test('every bad GetFunctionLogs parameter -> 4000 naming it (GET and POST)', async () => {
    const env = suite.get();
    const t = now();
    const cases: Array<[CapiData, string, RegExp]> = [
      [{ offset: -1 }, 'InvalidParameter', /offset.*0 to 10000/],
      [{ offset: 'abc' }, 'InvalidParameter', /offset/],
      [{ limit: 0 }, 'InvalidParameter', /limit.*1 to 10000/],
      [{ limit: 10001 }, 'InvalidParameter', /limit/],
      [{ limit: 2.5 }, 'InvalidParameter', /limit/],
      [{ offset: 9990, limit: 20 }, 'InvalidParameter', /offset \+ limit must not exceed 10000/],
      [{ order: 'up' }, 'InvalidParameter', /order must be one of desc, asc/],
      [
        { orderby: 'size' },
        'InvalidParameter',
        /orderby must be one of startTime, functionName, requestId, duration, memUsage/,
      ],
      [
        { filter: { retCode: 'bad' } },
        'InvalidParameter',
        /filter\.retCode must be one of is0, not0, TimeLimitExceeded/,
      ],
      [
        { startTime: 'yesterday' },
        'InvalidParameter',
        /startTime must be a time "YYYY-MM-DD HH:mm:ss" \(UTC\+8\)/,
      ],
      [{ endTime: '2024-02-30 00:00:00' }, 'InvalidParameter', /endTime/],
      [
        { startTime: apiTime(t * 1000), endTime: apiTime(t * 1000 - 60_000) },
        'InvalidParameter',
        /startTime must not be later than endTime/,
      ],
      [{ functionname: 'testnode' }, 'UnknownParameter', /parameter functionname.*functionName/],
      [{ filter: { retcode: 'is0' } }, 'UnknownParameter', /filter\.retcode/],
    ];
    for (const method of ['GET', 'POST'] as const) {
      for (const [params, desc, msg] of cases) {
        const r = await env.call(
          { Action: 'GetFunctionLogs', functionName: 'testnode', Nonce: freshNonce(), ...params },
          { method },
        );
        expectCode(r, 4000, desc, msg);
      }
    }
    expectCode(
      await env.call({ Action: 'GetFunctionLogs', functionName: 'nothere' }),
      5000,
      'ResourceNotFound',
      /nothere/,
    );
    expectCode(
      await env.call({ Action: 'GetFunctionLogs', namespace: 'nons' }),
      5000,
      'ResourceNotFound',
      /nons/,
    );
  });

  test('bad parameters of the function actions', async () => {
    const env = suite.get();
    const cases: Array<[CapiData, number, string, RegExp]> = [
      [{ Action: 'InvokeFunction' }, 4000, 'MissingParameter', /functionName is required/],
      [
        { Action: 'InvokeFunction', functionName: 'testnode', invokeType: 'Sync' },
        4000,
        'InvalidParameter',
        /invokeType must be one of RequestResponse, Event/,
      ],
      [
        { Action: 'InvokeFunction', functionName: 'testnode', logType: 'All' },
        4000,
        'InvalidParameter',
        /logType/,
      ],
      [
        { Action: 'InvokeFunction', functionName: 'testnode', param: '{not json' },
        4000,
        'InvalidParameter',
        /JSON/,
      ],
      [{ Action: 'InvokeFunction', functionName: 'nothere' }, 5000, 'ResourceNotFound', /nothere/],
      [{ Action: 'CreateFunction', functionName: 'x1' }, 4000, 'MissingParameter', /code is required/],
      [
        {
          Action: 'CreateFunction',
          functionName: 'x2',
          code: codeParam({ 'index.js': '' }),
          memorySize: 100,
        },
        4000,
        'InvalidParameter',
        /MemorySize/,
      ],
      [
        {
          Action: 'CreateFunction',
          functionName: 'x3',
          code: codeParam({ 'index.js': '' }),
          timeout: 'long',
        },
        4000,
        'InvalidParameter',
        /timeout/,
      ],
      [
        {
          Action: 'CreateFunction',
          functionName: 'x4',
          codeObject: { cosBucketName: 'b', cosObjectName: 'o.zip' },
        },
        4000,
        'UnsupportedOperation',
        /COS/,
      ],
      [
        {
          Action: 'CreateFunction',
          functionName: 'x5',
          code: codeParam({ 'index.js': '' }),
          environment: '{oops',
        },
        4000,
        'InvalidParameter',
        /environment/,
      ],
      [
        { Action: 'CreateFunction', functionName: 'x6', code: '@bm90IGEgemlw' },
        4000,
        'InvalidParameter',
        /zip/,
      ],
      [
        { Action: 'CreateFunction', functionName: 'testnode', code: codeParam({ 'index.js': '' }) },
        4000,
        'ResourceInUse',
        /testnode/,
      ],
      [
        { Action: 'ListFunctions', order: 'sideways' },
        4000,
        'InvalidParameter',
        /order must be one of asc, desc/,
      ],
      [{ Action: 'ListFunctions', orderby: 'size' }, 4000, 'InvalidParameter', /orderby/],
      [
        { Action: 'GetFunction', functionName: 'testnode', code: 2 },
        4000,
        'InvalidParameter',
        /code must be one of 0, 1/,
      ],
      [{ Action: 'DeleteFunction' }, 4000, 'MissingParameter', /functionName/],
    ];
    for (const [data, code, desc, msg] of cases) {
      const r = await env.call(data, { method: 'POST' });
      expectCode(r, code, desc, msg);
    }
    // None of them created anything.
    const list = await env.call({ Action: 'ListFunctions' });
    assert.equal((list['data'] as { total: number }).total, 1);
  });
});
