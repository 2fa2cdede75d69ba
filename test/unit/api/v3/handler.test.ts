/**
 * The API 3.0 handler end to end without HTTP: requests signed exactly as tencentcloud-sdk-nodejs 4 signs
 * them (its own Sign class), checked for each authentication outcome and for the envelope, over a real
 * context (an in-memory SQLite store and a function registry in a temp folder).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import querystring from 'node:querystring';
import { type TestContext, test } from 'node:test';
import signModule from 'tencentcloud-sdk-nodejs/tencentcloud/common/sign.js';
import { CredentialStore, ReplayGuard } from '../../../../src/api/auth/index.js';
import type { ActionContext } from '../../../../src/api/operations/types.js';
import { hostVariants, parseTc3Authorization } from '../../../../src/api/protocol/v3/auth.js';
import { createV3Handler } from '../../../../src/api/protocol/v3/index.js';
import type { ProtocolContext, WireRequest } from '../../../../src/api/wire.js';
import type { AsyncInvocations } from '../../../../src/async/invocations.js';
import { loadConfig } from '../../../../src/config/index.js';
import { FunctionRegistry } from '../../../../src/functions/registry.js';
import type { Invoker } from '../../../../src/invocations/invoker.js';
import { SqliteLogStore } from '../../../../src/store/sqlite/store.js';
import type { InvocationRecord } from '../../../../src/store/types.js';
import { codeZip } from '../../../golden/cases.js';

const Sign = signModule.default;
const SECRET_ID = 'AKIDtest';
const SECRET_KEY = 'secret';
const HOST = '127.0.0.1:9000';

type Params = Record<string, unknown>;

function flatten(data: Params, prefix = ''): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(data)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'object') Object.assign(out, flatten(v as Params, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v as string | number | boolean;
  }
  return out;
}

interface SignOptions {
  method?: 'GET' | 'POST';
  host?: string;
  /** What the client signs as host: the SDK's URL.hostname (no port) by default. */
  signedUrlHost?: string;
  timestamp?: number;
  secretId?: string;
  secretKey?: string;
  service?: string;
  version?: string;
}

/** A request as the Node SDK v4 sends it with TC3-HMAC-SHA256. */
function tc3(action: string, params: Params, o: SignOptions = {}): WireRequest {
  const method = o.method ?? 'POST';
  const host = o.host ?? HOST;
  const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
  const rawQuery = method === 'GET' ? querystring.stringify(flatten(params)) : '';
  const contentType = method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json';
  const authorization = Sign.sign3({
    method,
    url: `http://${o.signedUrlHost ?? host}/${rawQuery ? `?${rawQuery}` : ''}`,
    payload: method === 'GET' ? '' : params,
    timestamp,
    service: o.service ?? '127',
    secretId: o.secretId ?? SECRET_ID,
    secretKey: o.secretKey ?? SECRET_KEY,
    multipart: false,
    boundary: '',
    headers: { 'Content-Type': contentType },
  });
  return {
    method,
    host,
    path: '/',
    rawQuery,
    headers: {
      host,
      'content-type': contentType,
      'x-tc-action': action,
      'x-tc-version': o.version ?? '2018-04-16',
      'x-tc-timestamp': String(timestamp),
      'x-tc-region': 'ap-guangzhou',
      authorization,
    },
    body: method === 'GET' ? Buffer.alloc(0) : Buffer.from(JSON.stringify(params)),
  };
}

/** A request as the SDK sends it with HmacSHA1/HmacSHA256 (v1) signing. */
function v1(
  action: string,
  params: Params,
  o: SignOptions & { signMethod?: 'HmacSHA1' | 'HmacSHA256'; nonce?: number } = {},
): WireRequest {
  const method = o.method ?? 'POST';
  const host = o.host ?? HOST;
  const all: Record<string, string | number | boolean> = {
    ...flatten(params),
    Action: action,
    RequestClient: 'SDK_NODEJS_4.1.313',
    Nonce: o.nonce ?? Math.floor(Math.random() * 65535),
    Timestamp: o.timestamp ?? Math.floor(Date.now() / 1000),
    Version: o.version ?? '2018-04-16',
    SecretId: o.secretId ?? SECRET_ID,
    Region: 'ap-guangzhou',
    SignatureMethod: o.signMethod ?? 'HmacSHA256',
  };
  const keys = Object.keys(all).sort();
  const str = `${method}${host}/?${keys.map((k) => `${k}=${all[k]}`).join('&')}`;
  all['Signature'] = Sign.sign(o.secretKey ?? SECRET_KEY, str, o.signMethod ?? 'HmacSHA256');
  const encoded = querystring.stringify(all);
  return {
    method,
    host,
    path: '/',
    rawQuery: method === 'GET' ? encoded : '',
    headers: { host, 'content-type': 'application/x-www-form-urlencoded' },
    body: method === 'GET' ? Buffer.alloc(0) : Buffer.from(encoded),
  };
}

const T0 = Date.UTC(2024, 0, 2, 1, 2, 3);
/** req-1 … req-9, a second apart: req-2 threw (430), req-3 timed out (433), the others succeeded. */
const records = (): InvocationRecord[] =>
  Array.from({ length: 9 }, (_, i) => ({
    requestId: `req-${i + 1}`,
    namespace: 'default',
    functionName: 'fn',
    qualifier: '$LATEST',
    startTime: T0 + i * 1000,
    duration: 1.5,
    billDuration: 2,
    memUsage: 1024,
    retCode: i === 1 ? 430 : i === 2 ? 433 : 0,
    retMsg: '"ok"',
    invokeFinished: 1,
    retryNum: 0,
    log: 'hello',
  }));

/** The handler over a real context: an in-memory store holding `records()` and a registry holding `fn`. */
async function setup(t: TestContext) {
  const internal: unknown[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'scf-local-v3h-'));
  const store = new SqliteLogStore({ path: ':memory:' });
  await store.open();
  await store.write(records().map((record) => ({ op: 'finish' as const, record })));
  const functions = new FunctionRegistry(dir);
  functions.create({
    functionName: 'fn',
    code: { zipBase64: codeZip({ 'index.js': 'exports.main_handler = async () => 1;' }).toString('base64') },
  });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const actions: ActionContext = {
    config: loadConfig({ env: {}, overrides: { apiTimeZoneOffsetMinutes: 480 } }),
    functions,
    // No test here invokes a function.
    invoker: {
      invoke: () => assert.fail('nothing is invoked here'),
      ranOn: () => undefined,
    } as unknown as Invoker,
    store,
    async: { enqueue: () => assert.fail('nothing is queued here') } as unknown as AsyncInvocations,
  };
  const ctx: ProtocolContext = {
    actions,
    credentials: new CredentialStore([{ secretId: SECRET_ID, secretKey: SECRET_KEY }]),
    replay: new ReplayGuard({ maxSkewSeconds: 300 }),
  };
  const handler = createV3Handler({ onInternalError: (err) => internal.push(err), requestId: () => 'rid-1' });
  const call = async (req: WireRequest) => {
    const res = await handler(req, ctx);
    assert.equal(res.status, 200);
    assert.deepEqual(res.headers, { 'content-type': 'application/json' });
    const body = JSON.parse(res.body) as {
      Response: Record<string, unknown> & { Error?: { Code: string; Message: string } };
    };
    assert.equal(body.Response['RequestId'], 'rid-1');
    return body.Response;
  };
  const errorCode = async (req: WireRequest) => (await call(req)).Error?.Code;
  return { call, errorCode, internal, store };
}

/** The request ids of a GetFunctionLogs answer, in its order. */
const ids = (res: Record<string, unknown>): string[] =>
  (res['Data'] as Array<Record<string, unknown>>).map((d) => String(d['RequestId']));

test('TC3 POST (host signed without port, service from the scope) reaches the action', async (t) => {
  const { call } = await setup(t);
  const res = await call(
    tc3(
      'GetFunctionLogs',
      { FunctionName: 'fn', Filter: { RetCode: 'not0' }, Limit: 5 },
      { signedUrlHost: '127.0.0.1' },
    ),
  );
  assert.equal(res.Error, undefined);
  assert.equal(res['TotalCount'], 2);
  assert.deepEqual(ids(res), ['req-3', 'req-2']);
  const first = await call(tc3('GetFunctionLogs', { FunctionName: 'fn', Order: 'asc', Limit: 5 }));
  assert.equal(first['TotalCount'], 9);
  assert.deepEqual(ids(first), ['req-1', 'req-2', 'req-3', 'req-4', 'req-5']);
  assert.equal((first['Data'] as Array<Record<string, unknown>>)[0]?.['StartTime'], '2024-01-02 09:02:03');
});

test('TC3 POST with the host signed with its port, and with service scf', async (t) => {
  const { call } = await setup(t);
  assert.equal(
    (await call(tc3('GetFunctionLogs', {}, { signedUrlHost: HOST, service: 'scf' }))).Error,
    undefined,
  );
});

test('TC3 GET: raw query as received, flattened params unflattened', async (t) => {
  const { call } = await setup(t);
  const req = tc3(
    'GetFunctionLogs',
    { FunctionName: 'fn', Filter: { RetCode: 'is0' }, Order: 'asc', Limit: 6 },
    { method: 'GET', signedUrlHost: '127.0.0.1' },
  );
  assert.match(req.rawQuery, /Filter\.RetCode=is0/);
  const res = await call(req);
  assert.equal(res.Error, undefined);
  assert.equal(res['TotalCount'], 7);
  assert.deepEqual(ids(res), ['req-1', 'req-4', 'req-5', 'req-6', 'req-7', 'req-8']);
});

test('v1 form signing: HmacSHA256 POST and HmacSHA1 GET; nonces are single-use', async (t) => {
  const { call, errorCode } = await setup(t);
  const post = v1('GetFunctionLogs', { FunctionName: 'fn', Filter: { RetCode: 'UserCodeException' } });
  const res = await call(post);
  assert.equal(res.Error, undefined);
  assert.deepEqual(ids(res), ['req-2']);
  const get = v1(
    'GetFunctionLogs',
    { FunctionName: 'fn', Offset: 2, Limit: 2 },
    { method: 'GET', signMethod: 'HmacSHA1' },
  );
  const paged = await call(get);
  assert.equal(paged.Error, undefined);
  assert.deepEqual(ids(paged), ['req-7', 'req-6']);
  assert.equal(await errorCode(post), 'AuthFailure.InvalidAuthorization');
  // The same nonce in another second is another request.
  const ts = Math.floor(Date.now() / 1000);
  assert.equal((await call(v1('GetFunctionLogs', {}, { nonce: 5, timestamp: ts }))).Error, undefined);
  assert.equal((await call(v1('GetFunctionLogs', {}, { nonce: 5, timestamp: ts - 1 }))).Error, undefined);
  // So is a different request that drew the same nonce in the same second; the same one again is not.
  assert.equal(
    (await call(v1('GetFunctionLogs', { Limit: 3 }, { nonce: 5, timestamp: ts }))).Error,
    undefined,
  );
  assert.equal(
    await errorCode(v1('GetFunctionLogs', { Limit: 3 }, { nonce: 5, timestamp: ts })),
    'AuthFailure.InvalidAuthorization',
  );
});

test('authentication failures, each with its code', async (t) => {
  const { errorCode } = await setup(t);
  const tampered = tc3('GetFunctionLogs', { Limit: 5 });
  tampered.body = Buffer.from('{"Limit":6}');
  assert.equal(await errorCode(tampered), 'AuthFailure.SignatureFailure');
  assert.equal(
    await errorCode(tc3('GetFunctionLogs', {}, { secretKey: 'wrong' })),
    'AuthFailure.SignatureFailure',
  );
  assert.equal(
    await errorCode(v1('GetFunctionLogs', {}, { secretKey: 'wrong' })),
    'AuthFailure.SignatureFailure',
  );
  const old = Math.floor(Date.now() / 1000) - 301;
  assert.equal(
    await errorCode(tc3('GetFunctionLogs', {}, { timestamp: old })),
    'AuthFailure.SignatureExpire',
  );
  assert.equal(
    await errorCode(v1('GetFunctionLogs', {}, { timestamp: old + 602 })),
    'AuthFailure.SignatureExpire',
  );
  assert.equal(
    await errorCode(tc3('GetFunctionLogs', {}, { secretId: 'AKIDnobody' })),
    'AuthFailure.SecretIdNotFound',
  );
  assert.equal(
    await errorCode(v1('GetFunctionLogs', {}, { secretId: 'AKIDnobody' })),
    'AuthFailure.SecretIdNotFound',
  );
  const malformed = tc3('GetFunctionLogs', {});
  malformed.headers['authorization'] = 'TC3-HMAC-SHA256 Credential=AKIDtest, Signature=abc';
  assert.equal(await errorCode(malformed), 'AuthFailure.InvalidAuthorization');
  const otherScheme = tc3('GetFunctionLogs', {});
  otherScheme.headers['authorization'] = 'Bearer abc';
  assert.equal(await errorCode(otherScheme), 'AuthFailure.InvalidAuthorization');
  const unsigned = tc3('GetFunctionLogs', {});
  delete unsigned.headers['authorization'];
  assert.equal(await errorCode(unsigned), 'AuthFailure.InvalidAuthorization');
});

test('version, action and method checks', async (t) => {
  const { errorCode } = await setup(t);
  assert.equal(await errorCode(tc3('GetFunctionLogs', {}, { version: '2017-03-12' })), 'NoSuchVersion');
  assert.equal(await errorCode(v1('GetFunctionLogs', {}, { version: '2017-03-12' })), 'NoSuchVersion');
  assert.equal(await errorCode(tc3('DescribeInstances', {})), 'InvalidAction');
  assert.equal(await errorCode(tc3('toString', {})), 'InvalidAction');
  assert.equal(await errorCode(v1('NoSuchThing', {})), 'InvalidAction');
  assert.equal(await errorCode(tc3('GetAccount', {})), 'UnsupportedOperation');
  const put = tc3('GetFunctionLogs', {});
  put.method = 'PUT';
  assert.equal(await errorCode(put), 'UnsupportedProtocol');
  const notJson = tc3('GetFunctionLogs', {});
  notJson.body = Buffer.from('{');
  notJson.headers['authorization'] = Sign.sign3({
    method: 'POST',
    url: 'http://127.0.0.1/',
    payload: Buffer.from('{'),
    timestamp: Number(notJson.headers['x-tc-timestamp']),
    service: '127',
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    multipart: false,
    boundary: '',
    headers: { 'Content-Type': 'application/json' },
  });
  assert.equal(await errorCode(notJson), 'InvalidParameter');
});

test('an unexpected fault is InternalError with a generic message and no stack', async (t) => {
  const { call, internal, store } = await setup(t);
  // The store fails underneath the handler (closed while the server runs).
  await store.close();
  const res = await call(tc3('GetFunctionLogs', {}));
  assert.equal(res.Error?.Code, 'InternalError');
  assert.doesNotMatch(res.Error?.Message ?? '', /closed|store|sqlite|at /i);
  assert.equal(internal.length, 1);
});

test('helpers: host variants and Authorization parsing', () => {
  assert.deepEqual(hostVariants('127.0.0.1:9000'), ['127.0.0.1:9000', '127.0.0.1']);
  assert.deepEqual(hostVariants('[::1]:9000'), ['[::1]:9000', '[::1]']);
  assert.deepEqual(hostVariants('scf.tencentcloudapi.com'), ['scf.tencentcloudapi.com']);
  const a = parseTc3Authorization(
    `TC3-HMAC-SHA256 Credential=AKIDx/2024-01-02/127/tc3_request, SignedHeaders=content-type;host, Signature=${'a'.repeat(64)}`,
  );
  assert.deepEqual(a, {
    secretId: 'AKIDx',
    date: '2024-01-02',
    service: '127',
    signedHeaders: ['content-type', 'host'],
    signature: 'a'.repeat(64),
  });
});
