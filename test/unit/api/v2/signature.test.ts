import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  computeSignature,
  parseParams,
  signatureMatches,
  signRequest,
  stringToSign,
  type V2Param,
} from '../../../../src/api/protocol/v2/index.js';
import type { WireRequest } from '../../../../src/api/wire.js';
import { type CapiData, sdkClient } from '../../../helpers/v2client.js';

const HOST = '127.0.0.1:9123';

function wire(method: 'GET' | 'POST', encoded: string): WireRequest {
  return {
    method,
    host: HOST,
    path: '/v2/index.php',
    rawQuery: method === 'GET' ? encoded : '',
    headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {},
    body: method === 'POST' ? Buffer.from(encoded) : Buffer.alloc(0),
  };
}

/** Server-side verification of a parsed request, as the handler does it. */
function verifies(req: WireRequest, secretKey: string): boolean {
  const parsed = parseParams(req);
  const sig = parsed.byName.get('Signature') ?? '';
  const hash = parsed.byName.get('SignatureMethod') === 'HmacSHA256' ? 'sha256' : 'sha1';
  const text = stringToSign({ method: req.method, host: req.host, path: req.path, params: parsed.list });
  return signatureMatches(sig, computeSignature(text, secretKey, hash));
}

const params = (o: Record<string, string>): V2Param[] =>
  Object.entries(o).map(([name, value]) => ({ name, value }));

describe('v2 signature: the reference test vectors', () => {
  test('official DescribeInstances example', () => {
    const text = stringToSign({
      method: 'GET',
      host: 'cvm.api.qcloud.com',
      path: '/v2/index.php',
      params: params({
        Action: 'DescribeInstances',
        SecretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA',
        Region: 'gz',
        Timestamp: '1465185768',
        Nonce: '11886',
        'instanceIds.0': 'ins-09dx96dg',
        offset: '0',
        limit: '20',
        Signature: 'ignored',
      }),
    });
    assert.equal(
      text,
      'GETcvm.api.qcloud.com/v2/index.php?Action=DescribeInstances&Nonce=11886&Region=gz&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA&Timestamp=1465185768&instanceIds.0=ins-09dx96dg&limit=20&offset=0',
    );
    assert.equal(
      computeSignature(text, 'Gu5t9xGARNpq86cd98joQYCN3Cozk1qA', 'sha1'),
      'NSI3UqqD99b/UJb4tbG/xZpRW64=',
    );
  });

  test('SCF GetFunctionLogs example produced by qcloudapi-sdk', () => {
    const query =
      'Action=GetFunctionLogs&SecretId=AKIDexample&Nonce=32768&Timestamp=1505726068&Region=gz' +
      '&RequestClient=SDK_NODEJS_0.2.1&functionName=testnode&limit=2&filter.retCode=not0' +
      '&Signature=mXxXWPKbyhD%2BWqdHnjwysgYMEeM%3D';
    const req = { ...wire('GET', query), host: 'scf.api.qcloud.com' };
    const parsed = parseParams(req);
    const text = stringToSign({ method: 'GET', host: req.host, path: req.path, params: parsed.list });
    assert.equal(
      text,
      'GETscf.api.qcloud.com/v2/index.php?Action=GetFunctionLogs&Nonce=32768&Region=gz&RequestClient=SDK_NODEJS_0.2.1&SecretId=AKIDexample&Timestamp=1505726068&filter.retCode=not0&functionName=testnode&limit=2',
    );
    assert.equal(computeSignature(text, 'secretkey', 'sha1'), 'mXxXWPKbyhD+WqdHnjwysgYMEeM=');
    assert.ok(verifies(req, 'secretkey'));
    assert.ok(!verifies(req, 'secretkeY'));
  });
});

describe('v2 signature: agrees with qcloudapi-sdk@0.2.1 on awkward input', () => {
  const client = sdkClient('AKIDtest', 'secret');
  const base: CapiData = { Action: 'GetFunctionLogs', Timestamp: 1700000000, Nonce: 42 };
  const cases: Array<[string, CapiData]> = [
    ['plus, space, ampersand, equals, percent', { keyword: 'a+b c&d=e%20f' }],
    ['non-ASCII and emoji', { keyword: '日志 ünïcode 🚀' }],
    ['nested objects and arrays (dot flattening)', { filter: { retCode: 'not0' }, list: ['x', 'y'] }],
    ['underscore in a name is signed as a dot', { filter_retCode: 'is0', a_b_c: '1' }],
    ['leading underscore keeps the whole name', { _private_x: '1' }],
    ['undefined, null and NaN sign as empty', { a: undefined, b: null, c: Number.NaN }],
    ['value starting with @', { code: '@UEsDBBQAAAAIAA+/=' }],
    ['JSON event', { param: JSON.stringify({ Records: [{ CMQ: { msgBody: 'hi there+', n: 1 } }] }) }],
  ];
  for (const method of ['GET', 'POST'] as const) {
    for (const sha of ['sha1', 'sha256'] as const) {
      for (const [name, data] of cases) {
        test(`${method} ${sha}: ${name}`, () => {
          const encoded = client.generateQueryString(
            { ...base, ...data },
            { host: HOST, protocol: 'http', method, signatureMethod: sha },
          );
          assert.ok(verifies(wire(method, encoded), 'secret'), encoded);
          assert.ok(!verifies(wire(method, encoded), 'other'));
        });
      }
    }
  }

  test('on POST an @ value is left out of the signature (it can change without breaking it)', () => {
    const encoded = client.generateQueryString(
      { ...base, Action: 'CreateFunction', functionName: 'f', code: '@AAAA' },
      { host: HOST, protocol: 'http', method: 'POST' },
    );
    assert.ok(verifies(wire('POST', encoded.replace('%40AAAA', '%40BBBB')), 'secret'));
    // On GET the same value is signed.
    const get = client.generateQueryString(
      { ...base, Action: 'CreateFunction', functionName: 'f', code: '@AAAA' },
      { host: HOST, protocol: 'http', method: 'GET' },
    );
    assert.ok(!verifies(wire('GET', get.replace('%40AAAA', '%40BBBB')), 'secret'));
  });

  test('the host (with its port), the path and the method are signed', () => {
    const encoded = client.generateQueryString(base, { host: HOST, protocol: 'http', method: 'GET' });
    assert.ok(verifies(wire('GET', encoded), 'secret'));
    assert.ok(!verifies({ ...wire('GET', encoded), host: '127.0.0.1' }, 'secret'));
    assert.ok(!verifies({ ...wire('GET', encoded), path: '/v2/other.php' }, 'secret'));
    assert.ok(!verifies({ ...wire('GET', encoded), method: 'POST' }, 'secret'));
  });

  test('a tampered value fails', () => {
    const encoded = client.generateQueryString(
      { ...base, limit: 2 },
      { host: HOST, protocol: 'http', method: 'GET' },
    );
    assert.ok(!verifies(wire('GET', encoded.replace('limit=2', 'limit=3')), 'secret'));
  });
});

describe('v2 signature: our own signer', () => {
  test('signRequest output verifies, for both hashes and methods', () => {
    for (const method of ['GET', 'POST'] as const) {
      for (const hash of ['sha1', 'sha256'] as const) {
        const encoded = signRequest(
          {
            Action: 'GetFunctionLogs',
            Nonce: 7,
            Timestamp: 1700000000,
            SecretId: 'AKIDtest',
            keyword: 'a+b c',
          },
          { method, host: HOST, secretKey: 'secret', hash },
        );
        assert.ok(verifies(wire(method, encoded), 'secret'));
        if (hash === 'sha256') assert.match(encoded, /SignatureMethod=HmacSHA256/);
      }
    }
  });

  test('signatureMatches compares exactly', () => {
    assert.ok(signatureMatches('abc=', 'abc='));
    assert.ok(!signatureMatches('abd=', 'abc='));
    assert.ok(!signatureMatches('abc', 'abc='));
    assert.ok(!signatureMatches('', 'abc='));
  });
});

describe('v2 parameters', () => {
  test('a parameter given twice (also as _ and .) is rejected', () => {
    assert.throws(() => parseParams(wire('GET', 'a=1&a=2')), { code: 'InvalidParameter' });
    assert.throws(() => parseParams(wire('GET', 'filter.retCode=is0&filter_retCode=is0')), {
      code: 'InvalidParameter',
    });
  });
  test('POST reads the form body and the query; other body types are refused', () => {
    const req = { ...wire('POST', 'b=2'), rawQuery: 'a=1' };
    assert.deepEqual(
      [...parseParams(req).byName],
      [
        ['a', '1'],
        ['b', '2'],
      ],
    );
    assert.throws(() => parseParams({ ...req, headers: { 'content-type': 'application/json' } }), {
      code: 'InvalidParameter',
    });
  });
  test('_ names are read as . names', () => {
    assert.equal(parseParams(wire('GET', 'filter_retCode=not0')).byName.get('filter.retCode'), 'not0');
  });
});
