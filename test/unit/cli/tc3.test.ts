import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { tc3CanonicalRequest, tc3Signature } from '../../../src/api/protocol/v3/sign.js';
import { signTc3 } from '../../../src/cli/tc3.js';

test('TC3: the official documentation vector (cvm, charset content type)', () => {
  const payload = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
  assert.ok(createHash('sha256').update(payload).digest('hex').startsWith('35e9c5b0'));
  const signed = signTc3({
    method: 'POST',
    path: '/',
    query: '',
    headers: { 'Content-Type': 'application/json; charset=utf-8', Host: 'cvm.tencentcloudapi.com' },
    body: payload,
    timestamp: 1551113065,
    service: 'cvm',
    secretId: 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE',
    secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
  });
  assert.ok(createHash('sha256').update(signed.canonicalRequest).digest('hex').startsWith('5ffe6a04'));
  assert.equal(signed.signature, '72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168');
  assert.equal(
    signed.authorization,
    'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, ' +
      'SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
  );
});

test('TC3: the SCF vector of the Node SDK v4', () => {
  const signed = signTc3({
    method: 'POST',
    path: '/',
    query: '',
    headers: { 'content-type': 'application/json', host: 'scf.tencentcloudapi.com' },
    body: '{"FunctionName":"f","Limit":10}',
    timestamp: 1700000000,
    service: 'scf',
    secretId: 'AKIDexample',
    secretKey: 'secretkey',
  });
  assert.match(signed.authorization, /Credential=AKIDexample\/2023-11-14\/scf\/tc3_request,/);
  assert.equal(signed.signature, '79e0495a823a0c3a9ed626250489be4359a64a5f8400cce0d2ae8ccdb362a2d3');
});

test('TC3: a signed GET with a query verifies with the server-side implementation', () => {
  const input = {
    method: 'GET' as const,
    path: '/stream/logs',
    query: 'FunctionName=f&Nonce=abc',
    headers: { 'content-type': 'application/x-www-form-urlencoded', host: '127.0.0.1:9000' },
    body: '',
    timestamp: 1700000000,
    service: 'scf',
    secretId: 'AKIDx',
    secretKey: 'k',
  };
  const signed = signTc3(input);
  const canonicalRequest = tc3CanonicalRequest({
    method: 'GET',
    path: input.path,
    rawQuery: input.query,
    headers: Object.entries(input.headers),
    body: '',
  });
  assert.equal(signed.canonicalRequest, canonicalRequest);
  const expected = tc3Signature({
    secretKey: 'k',
    timestamp: 1700000000,
    date: '2023-11-14',
    service: 'scf',
    canonicalRequest,
  });
  assert.equal(signed.signature, expected);
});
