/**
 * API 3.0 signing edges over a real socket to a real platform, with requests the SDKs never send, signed
 * by the test's own signer (`test/helpers/sign.ts`, checked here against the reference's vectors): what
 * each edge of TC3-HMAC-SHA256 and v1 (HmacSHA1/HmacSHA256) signing answers, by its exact `Error.Code`,
 * with a control request that differs only in the edge and succeeds.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { formEncode, tc3Authorization, utcDate, v1Signature } from '../helpers/sign.js';
import { SECRET_ID, SECRET_KEY, v2Suite } from './v2-platform.js';

const now = (): number => Math.floor(Date.now() / 1000);

interface Answer {
  /** `Response.Error.Code`, or 'OK' when the call succeeded. */
  code: string;
  response: Record<string, unknown>;
}

async function answerOf(res: Response): Promise<Answer> {
  assert.equal(res.status, 200);
  const body = (await res.json()) as { Response: { Error?: { Code: string } } & Record<string, unknown> };
  return { code: body.Response.Error?.Code ?? 'OK', response: body.Response };
}

test('the test signer reproduces the reference vectors (TC3 official and SCF, v1 official)', () => {
  const official = tc3Authorization({
    method: 'POST',
    query: '',
    signed: { 'content-type': 'application/json; charset=utf-8', host: 'cvm.tencentcloudapi.com' },
    body: '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}',
    timestamp: 1551113065,
    service: 'cvm',
    secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
    secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
  });
  assert.match(official, /Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168$/);
  const scf = tc3Authorization({
    method: 'POST',
    query: '',
    signed: { 'content-type': 'application/json', host: 'scf.tencentcloudapi.com' },
    body: '{"FunctionName":"f","Limit":10}',
    timestamp: 1700000000,
    secretId: 'AKIDexample',
    secretKey: 'secretkey',
  });
  assert.equal(
    scf,
    'TC3-HMAC-SHA256 Credential=AKIDexample/2023-11-14/scf/tc3_request, SignedHeaders=content-type;host, ' +
      'Signature=79e0495a823a0c3a9ed626250489be4359a64a5f8400cce0d2ae8ccdb362a2d3',
  );
  const params = [
    'Action=DescribeInstances',
    'InstanceIds.0=ins-09dx96dg',
    'Limit=20',
    'Nonce=11886',
    'Offset=0',
    'Region=ap-guangzhou',
    'SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
    'Timestamp=1465185768',
    'Version=2017-03-12',
  ].map((p) => p.split('=') as [string, string]);
  assert.equal(
    v1Signature({
      method: 'GET',
      host: 'cvm.tencentcloudapi.com',
      params,
      secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
    }),
    'EliP9YW3pW28FpsEdkXt/+WcGeI=',
  );
});

describe('API 3.0 signing edges', () => {
  // A platform on port 0 with the SECRET_ID/SECRET_KEY credential (the v2 suite's; API 3.0 is on `/`).
  const suite = v2Suite();
  let host: string;
  before(() => {
    host = `127.0.0.1:${suite.get().port}`;
  });

  interface Tc3Call {
    action?: string;
    method?: 'GET' | 'POST';
    query?: string;
    body?: string;
    contentType?: string;
    timestamp?: number;
    /** The credential scope's date (default: the timestamp's UTC date). */
    date?: string;
    service?: string;
    /** The host as signed (default: as sent, with the port). */
    signedHost?: string;
    /** More headers to sign (and send). */
    signed?: Record<string, string>;
    /** Signed headers then left out of the request. */
    unsent?: string[];
    /** Headers sent with another value than the one signed. */
    altered?: Record<string, string>;
  }

  /** A TC3 request signed by the test's signer, with exactly the given deviations. */
  async function tc3(call: Tc3Call = {}): Promise<Answer> {
    const method = call.method ?? 'POST';
    const body = method === 'GET' ? '' : (call.body ?? '{}');
    const timestamp = call.timestamp ?? now();
    const contentType =
      call.contentType ?? (method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json');
    const common = {
      'x-tc-action': call.action ?? 'ListFunctions',
      'x-tc-timestamp': String(timestamp),
      'x-tc-version': '2018-04-16',
      'x-tc-region': 'ap-guangzhou',
    };
    const signed = { 'content-type': contentType, host: call.signedHost ?? host, ...call.signed };
    const authorization = tc3Authorization({
      method,
      query: call.query ?? '',
      signed,
      body,
      timestamp,
      ...(call.date === undefined ? {} : { date: call.date }),
      ...(call.service === undefined ? {} : { service: call.service }),
      secretId: SECRET_ID,
      secretKey: SECRET_KEY,
    });
    const headers: Record<string, string> = { ...common, ...signed, authorization, ...call.altered };
    delete headers['host']; // fetch sends Host itself: 127.0.0.1:<port>
    for (const name of call.unsent ?? []) delete headers[name];
    const res = await fetch(`http://${host}/${call.query ? `?${call.query}` : ''}`, {
      method,
      headers,
      ...(method === 'GET' ? {} : { body }),
    });
    return answerOf(res);
  }

  test('control: a plain TC3 POST and GET succeed; the host is accepted with or without its port', async () => {
    assert.equal((await tc3()).code, 'OK');
    assert.equal((await tc3({ method: 'GET', query: 'Limit=5' })).code, 'OK');
    // The Node SDK signs the host without the port, the Python SDK with it.
    assert.equal((await tc3({ signedHost: '127.0.0.1', body: '{"Limit":6}' })).code, 'OK');
    // The service is read from the credential scope: `scf` (Python SDK) or the endpoint's first label.
    assert.equal((await tc3({ service: '127', body: '{"Limit":7}' })).code, 'OK');
    // Another host is not this server.
    assert.equal(
      (await tc3({ signedHost: 'scf.tencentcloudapi.com', body: '{"Limit":8}' })).code,
      'AuthFailure.SignatureFailure',
    );
  });

  test("TC3: a credential scope dated other than X-TC-Timestamp's UTC date -> AuthFailure.SignatureFailure", async () => {
    const timestamp = now();
    const day = 86_400;
    for (const date of [utcDate(timestamp - day), utcDate(timestamp + day)]) {
      // Signed consistently with that date: only the date's disagreement with the timestamp is wrong.
      const a = await tc3({ timestamp, date, body: `{"SearchKey":"${date}"}` });
      assert.equal(a.code, 'AuthFailure.SignatureFailure', date);
      assert.match(JSON.stringify(a.response), /credential date/);
    }
    assert.equal((await tc3({ timestamp, date: utcDate(timestamp), body: '{"Limit":9}' })).code, 'OK');
  });

  test('TC3: a header listed in SignedHeaders but missing from the request -> AuthFailure.SignatureFailure', async () => {
    const missing = await tc3({
      signed: { 'x-tc-trace': 'abc' },
      unsent: ['x-tc-trace'],
      body: '{"Limit":11}',
    });
    assert.equal(missing.code, 'AuthFailure.SignatureFailure');
    assert.match(JSON.stringify(missing.response), /x-tc-trace/);
    // Signed and sent, but with another value.
    const altered = await tc3({
      signed: { 'x-tc-trace': 'abc' },
      altered: { 'x-tc-trace': 'abd' },
      body: '{"Limit":12}',
    });
    assert.equal(altered.code, 'AuthFailure.SignatureFailure');
    // Signed and sent as signed: fine; and a signed x-tc-action cannot be swapped.
    assert.equal((await tc3({ signed: { 'x-tc-trace': 'abc' }, body: '{"Limit":13}' })).code, 'OK');
    const swapped = await tc3({
      signed: { 'x-tc-action': 'ListFunctions' },
      altered: { 'x-tc-action': 'ListNamespaces' },
      body: '{"Limit":14}',
    });
    assert.equal(swapped.code, 'AuthFailure.SignatureFailure');
    // SignedHeaders must bind the body type and the host.
    const hostless = await fetch(`http://${host}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-tc-action': 'ListFunctions',
        'x-tc-timestamp': String(now()),
        'x-tc-version': '2018-04-16',
        authorization: `TC3-HMAC-SHA256 Credential=${SECRET_ID}/${utcDate(now())}/scf/tc3_request, SignedHeaders=content-type, Signature=${'0'.repeat(64)}`,
      },
      body: '{}',
    });
    assert.equal((await answerOf(hostless)).code, 'AuthFailure.InvalidAuthorization');
  });

  test('TC3: a multipart/form-data body -> UnsupportedProtocol', async () => {
    const boundary = 'scf-local-test-boundary';
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="Limit"\r\n\r\n5\r\n` + `--${boundary}--\r\n`;
    const a = await tc3({ body, contentType: `multipart/form-data; boundary=${boundary}` });
    assert.equal(a.code, 'UnsupportedProtocol');
  });

  test('TC3 GET: a parameter given twice in the query -> InvalidParameter', async () => {
    assert.equal((await tc3({ method: 'GET', query: 'Limit=1&Limit=2' })).code, 'InvalidParameter');
    // A value and a nested value under the same name collide too.
    assert.equal((await tc3({ method: 'GET', query: 'SearchKey=a&SearchKey.0=b' })).code, 'InvalidParameter');
    assert.equal((await tc3({ method: 'GET', query: 'Limit=1&Offset=0' })).code, 'OK');
  });

  let nonce = 1000;

  interface V1Call {
    method?: 'GET' | 'POST';
    /** Action parameters (after the common ones). */
    params?: Array<[string, string]>;
    /** Rewrites the parameter names as signed (not as sent). */
    signName?: (name: string) => string;
    /** The host as signed (default: as sent, with the port). */
    signedHost?: string;
    /** SignatureMethod sent (none when undefined), and the HMAC actually used. */
    signatureMethod?: string;
    algorithm?: 'sha1' | 'sha256';
    /** POST: pairs sent in the query string as well as the form body's. */
    queryPairs?: Array<[string, string]>;
    timestamp?: number;
    nonce?: number;
  }

  /** A v1-signed request (what SDK 3.x and serverless-tencent-scf send), built by hand. */
  function v1Request(call: V1Call = {}): { url: string; init: RequestInit } {
    const method = call.method ?? 'POST';
    const pairs: Array<[string, string]> = [
      ['Action', 'ListFunctions'],
      ['Version', '2018-04-16'],
      ['Region', 'ap-guangzhou'],
      ['Timestamp', String(call.timestamp ?? now())],
      ['Nonce', String(call.nonce ?? ++nonce)],
      ['SecretId', SECRET_ID],
      ...(call.signatureMethod === undefined
        ? []
        : [['SignatureMethod', call.signatureMethod] as [string, string]]),
      ...(call.params ?? []),
    ];
    const all = [...pairs, ...(call.queryPairs ?? [])];
    const rename = call.signName ?? ((n: string) => n);
    const signature = v1Signature({
      method,
      host: call.signedHost ?? host,
      params: all.map(([k, v]) => [rename(k), v] as const),
      secretKey: SECRET_KEY,
      algorithm: call.algorithm ?? (call.signatureMethod === 'HmacSHA256' ? 'sha256' : 'sha1'),
    });
    const sent = formEncode([...pairs, ['Signature', signature]]);
    if (method === 'GET') return { url: `http://${host}/?${sent}`, init: { method } };
    const query = call.queryPairs ? `?${formEncode(call.queryPairs)}` : '';
    return {
      url: `http://${host}/${query}`,
      init: { method, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: sent },
    };
  }

  const v1 = async (call: V1Call = {}): Promise<Answer> => {
    const { url, init } = v1Request(call);
    return answerOf(await fetch(url, init));
  };

  test('control: v1 by POST and GET, HmacSHA1 and HmacSHA256, host with or without its port', async () => {
    assert.equal((await v1()).code, 'OK');
    assert.equal((await v1({ method: 'GET' })).code, 'OK');
    assert.equal((await v1({ signatureMethod: 'HmacSHA256' })).code, 'OK');
    assert.equal((await v1({ signedHost: '127.0.0.1' })).code, 'OK');
    // SignatureMethod other than exactly HmacSHA256 means HmacSHA1.
    assert.equal((await v1({ signatureMethod: 'hmacsha256', algorithm: 'sha1' })).code, 'OK');
    assert.equal(
      (await v1({ signatureMethod: 'HmacSHA256', algorithm: 'sha1' })).code,
      'AuthFailure.SignatureFailure',
    );
    assert.equal(
      (await v1({ signatureMethod: 'hmacsha256', algorithm: 'sha256' })).code,
      'AuthFailure.SignatureFailure',
    );
  });

  test('v1: a name with `_` may be signed as sent or with `.` (the Python SDK); nothing else', async () => {
    const params: Array<[string, string]> = [
      ['Client_Info', 'python'],
      ['Limit', '3'],
    ];
    assert.equal((await v1({ params })).code, 'OK');
    assert.equal((await v1({ params, signName: (n) => n.replace(/_/g, '.') })).code, 'OK');
    for (const method of ['GET', 'POST'] as const) {
      const r = await v1({ method, params, signName: (n) => n.replace(/_/g, '.') });
      assert.equal(r.code, 'OK', method);
    }
    // Only `_` -> `.`: another spelling is another string to sign.
    assert.equal(
      (await v1({ params, signName: (n) => n.replace(/_/g, '-') })).code,
      'AuthFailure.SignatureFailure',
    );
    // And `.` is not read back as `_`: a name sent with `.` must be signed with `.`.
    assert.equal(
      (await v1({ params: [['Client.Info', 'x']], signName: (n) => n.replace(/\./g, '_') })).code,
      'AuthFailure.SignatureFailure',
    );
  });

  test('v1: a parameter given twice (in the query, in the body, or in both) -> InvalidParameter', async () => {
    const twice: Array<[string, string]> = [
      ['Limit', '1'],
      ['Limit', '2'],
    ];
    assert.equal((await v1({ method: 'GET', params: twice })).code, 'InvalidParameter');
    assert.equal((await v1({ method: 'POST', params: twice })).code, 'InvalidParameter');
    assert.equal(
      (await v1({ method: 'POST', params: [['Limit', '1']], queryPairs: [['Limit', '2']] })).code,
      'InvalidParameter',
    );
    // A common parameter too: a second Timestamp cannot choose which one is checked.
    assert.equal(
      (await v1({ method: 'POST', queryPairs: [['Timestamp', String(now() + 1)]] })).code,
      'InvalidParameter',
    );
    // (A stale second one is refused by the time window, checked before the body is read.)
    assert.equal(
      (await v1({ method: 'POST', queryPairs: [['Timestamp', String(now() - 3600)]] })).code,
      'AuthFailure.SignatureExpire',
    );
  });

  test('v1: the same signed request again -> AuthFailure.InvalidAuthorization; its nonce in another second is fine', async () => {
    const timestamp = now();
    const request = v1Request({ timestamp, nonce: 77 });
    assert.equal((await answerOf(await fetch(request.url, request.init))).code, 'OK');
    assert.equal(
      (await answerOf(await fetch(request.url, request.init))).code,
      'AuthFailure.InvalidAuthorization',
    );
    assert.equal((await v1({ timestamp: timestamp - 1, nonce: 77 })).code, 'OK');
  });

  test('v1: a JSON body without a TC3 Authorization header -> AuthFailure.InvalidAuthorization', async () => {
    const { url, init } = v1Request();
    const res = await fetch(url, {
      ...init,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Action: 'ListFunctions' }),
    });
    assert.equal((await answerOf(res)).code, 'AuthFailure.InvalidAuthorization');
  });
});
