/**
 * The API 3.0 handler end to end without HTTP: requests signed exactly as tencentcloud-sdk-nodejs 4 signs
 * them (its own Sign class), checked for each authentication outcome and for the envelope.
 */
import assert from 'node:assert/strict';
import querystring from 'node:querystring';
import { test } from 'node:test';
import signModule from 'tencentcloud-sdk-nodejs/tencentcloud/common/sign.js';
import { CredentialStore, ReplayGuard } from '../../../../src/api/auth/index.js';
import type { ActionContext } from '../../../../src/api/operations/types.js';
import { hostVariants, parseTc3Authorization } from '../../../../src/api/protocol/v3/auth.js';
import { createV3Handler } from '../../../../src/api/protocol/v3/index.js';
import type { ProtocolContext, WireRequest } from '../../../../src/api/wire.js';
import { loadConfig } from '../../../../src/config/index.js';
import type { LogQuery, StoredRecord } from '../../../../src/store/types.js';

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

const record: StoredRecord = {
  seq: 1,
  requestId: 'req-1',
  namespace: 'default',
  functionName: 'f',
  qualifier: '$LATEST',
  startTime: Date.UTC(2024, 0, 2, 1, 2, 3),
  duration: 1.5,
  billDuration: 100,
  memUsage: 1024,
  retCode: 0,
  retMsg: '"ok"',
  invokeFinished: 1,
  retryNum: 0,
  log: 'hello',
};

function setup(options: { failStore?: boolean } = {}) {
  const queries: LogQuery[] = [];
  const internal: unknown[] = [];
  const actions = {
    config: loadConfig({ env: {}, overrides: { apiTimeZoneOffsetMinutes: 480 } }),
    functions: {
      get: () => ({}),
      getNamespace: () => ({ name: 'default' }),
    },
    store: {
      query: async (q: LogQuery) => {
        if (options.failStore) throw new Error('disk on fire at /secret/path');
        queries.push(q);
        return { total: 1, items: [record] };
      },
    },
  } as unknown as ActionContext;
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
  return { call, errorCode, queries, internal };
}

test('TC3 POST (host signed without port, service from the scope) reaches the action', async () => {
  const { call, queries } = setup();
  const res = await call(
    tc3(
      'GetFunctionLogs',
      { FunctionName: 'f', Filter: { RetCode: 'not0' }, Limit: 5 },
      { signedUrlHost: '127.0.0.1' },
    ),
  );
  assert.equal(res.Error, undefined);
  assert.equal(res['TotalCount'], 1);
  assert.equal((res['Data'] as Array<Record<string, unknown>>)[0]!['StartTime'], '2024-01-02 09:02:03');
  assert.equal(queries[0]!.retCode, 'not0');
  assert.equal(queries[0]!.limit, 5);
});

test('TC3 POST with the host signed with its port, and with service scf', async () => {
  const { call } = setup();
  assert.equal(
    (await call(tc3('GetFunctionLogs', {}, { signedUrlHost: HOST, service: 'scf' }))).Error,
    undefined,
  );
});

test('TC3 GET: raw query as received, flattened params unflattened', async () => {
  const { call, queries } = setup();
  const req = tc3(
    'GetFunctionLogs',
    { FunctionName: 'f', Filter: { RetCode: 'is0' }, Order: 'asc', Limit: 7 },
    { method: 'GET', signedUrlHost: '127.0.0.1' },
  );
  assert.match(req.rawQuery, /Filter\.RetCode=is0/);
  assert.equal((await call(req)).Error, undefined);
  assert.deepEqual([queries[0]!.retCode, queries[0]!.order, queries[0]!.limit], ['is0', 'asc', 7]);
});

test('v1 form signing: HmacSHA256 POST and HmacSHA1 GET; nonces are single-use', async () => {
  const { call, errorCode, queries } = setup();
  const post = v1('GetFunctionLogs', { FunctionName: 'f', Filter: { RetCode: 'UserCodeException' } });
  assert.equal((await call(post)).Error, undefined);
  assert.equal(queries[0]!.retCode, 'UserCodeException');
  const get = v1(
    'GetFunctionLogs',
    { FunctionName: 'f', Offset: 2 },
    { method: 'GET', signMethod: 'HmacSHA1' },
  );
  assert.equal((await call(get)).Error, undefined);
  assert.equal(queries[1]!.offset, 2);
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

test('authentication failures, each with its code', async () => {
  const { errorCode } = setup();
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

test('version, action and method checks', async () => {
  const { errorCode } = setup();
  assert.equal(await errorCode(tc3('GetFunctionLogs', {}, { version: '2017-03-12' })), 'NoSuchVersion');
  assert.equal(await errorCode(v1('GetFunctionLogs', {}, { version: '2017-03-12' })), 'NoSuchVersion');
  assert.equal(await errorCode(tc3('DescribeInstances', {})), 'InvalidAction');
  assert.equal(await errorCode(tc3('toString', {})), 'InvalidAction');
  assert.equal(await errorCode(v1('NoSuchThing', {})), 'InvalidAction');
  assert.equal(await errorCode(tc3('CreateTrigger', { FunctionName: 'f' })), 'UnsupportedOperation');
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

test('an unexpected fault is InternalError with a generic message and no stack', async () => {
  const { call, internal } = setup({ failStore: true });
  const res = await call(tc3('GetFunctionLogs', {}));
  assert.equal(res.Error?.Code, 'InternalError');
  assert.doesNotMatch(res.Error?.Message ?? '', /secret|fire|at /);
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
