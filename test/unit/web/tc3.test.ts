/**
 * The console's browser signer (web/src/tc3.ts), run in Node's WebCrypto, against the official TC3
 * vectors of ../shared/spec/scf-reference.md §3.2 (expected values copied from the spec, not computed by
 * another implementation), and once against the server's verifier for a signed GET of the live tail.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { signTc3 } from '../../../web/src/tc3.js';

test('console TC3 signer: the official documentation vector (cvm, charset content type)', async () => {
  const payload = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
  const signed = await signTc3({
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
  assert.ok(signed.canonicalRequest.endsWith(createHash('sha256').update(payload).digest('hex')));
  assert.ok(signed.canonicalRequest.endsWith('934f064'), 'payload hash 35e9c5b0…934f064');
  assert.ok(createHash('sha256').update(signed.canonicalRequest).digest('hex').startsWith('5ffe6a04'));
  assert.equal(signed.signature, '72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168');
  assert.equal(
    signed.authorization,
    'TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, ' +
      'SignedHeaders=content-type;host, Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
  );
});

test('console TC3 signer: the SCF vector of the Node SDK v4', async () => {
  const signed = await signTc3({
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

test('console TC3 signer: the scope date is UTC whatever the zone, and extra headers are signed sorted', async () => {
  // 2023-11-14T23:59:59Z is already the 15th east of UTC; the scope must say the 14th.
  const signed = await signTc3({
    method: 'GET',
    path: '/stream/logs',
    query: 'FunctionName=f&Nonce=abc',
    headers: { Host: '127.0.0.1:9000', 'X-TC-Action': 'TailFunctionLogs', 'content-type': 'x' },
    body: '',
    timestamp: 1700006399,
    service: 'scf',
    secretId: 'id',
    secretKey: 'key',
  });
  assert.match(
    signed.authorization,
    /\/2023-11-14\/scf\/tc3_request, SignedHeaders=content-type;host;x-tc-action,/,
  );
  assert.equal(
    signed.canonicalRequest,
    [
      'GET',
      '/stream/logs',
      'FunctionName=f&Nonce=abc',
      'content-type:x\nhost:127.0.0.1:9000\nx-tc-action:TailFunctionLogs\n',
      'content-type;host;x-tc-action',
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    ].join('\n'),
  );
});
