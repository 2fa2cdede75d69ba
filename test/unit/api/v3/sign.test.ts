/** The signature primitives against the official test vectors (scf-reference §3.2, §3.3). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import {
  tc3CanonicalRequest,
  tc3Date,
  tc3Signature,
  v1Method,
  v1Signature,
  v1StringToSign,
} from '../../../../src/api/protocol/v3/sign.js';

test('TC3: the official documentation vector', () => {
  const payload = '{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}';
  assert.ok(createHash('sha256').update(payload).digest('hex').startsWith('35e9c5b0'));
  const canonicalRequest = tc3CanonicalRequest({
    method: 'POST',
    path: '/',
    rawQuery: '',
    headers: [
      ['host', 'cvm.tencentcloudapi.com'],
      ['content-type', 'application/json; charset=utf-8'],
    ],
    body: payload,
  });
  assert.ok(createHash('sha256').update(canonicalRequest).digest('hex').startsWith('5ffe6a04'));
  assert.ok(createHash('sha256').update(canonicalRequest).digest('hex').endsWith('8d7031'));
  const timestamp = 1551113065;
  assert.equal(tc3Date(timestamp), '2019-02-25');
  assert.equal(
    tc3Signature({
      secretKey: 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE',
      timestamp,
      date: tc3Date(timestamp),
      service: 'cvm',
      canonicalRequest,
    }),
    '72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168',
  );
});

test('TC3: the SCF vector (Node SDK v4 sign3)', () => {
  const canonicalRequest = tc3CanonicalRequest({
    method: 'POST',
    path: '/',
    rawQuery: '',
    headers: [
      ['content-type', 'application/json'],
      ['host', 'scf.tencentcloudapi.com'],
    ],
    body: Buffer.from('{"FunctionName":"f","Limit":10}'),
  });
  const timestamp = 1700000000;
  assert.equal(tc3Date(timestamp), '2023-11-14');
  assert.equal(
    tc3Signature({ secretKey: 'secretkey', timestamp, date: '2023-11-14', service: 'scf', canonicalRequest }),
    '79e0495a823a0c3a9ed626250489be4359a64a5f8400cce0d2ae8ccdb362a2d3',
  );
});

test('v1: the official HmacSHA1 vector', () => {
  const str = v1StringToSign({
    method: 'GET',
    host: 'cvm.tencentcloudapi.com',
    path: '/',
    params: [
      ['Version', '2017-03-12'],
      ['Timestamp', '1465185768'],
      ['SecretId', 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE'],
      ['Region', 'ap-guangzhou'],
      ['Offset', '0'],
      ['Nonce', '11886'],
      ['Limit', '20'],
      ['InstanceIds.0', 'ins-09dx96dg'],
      ['Action', 'DescribeInstances'],
    ],
  });
  assert.equal(
    str,
    'GETcvm.tencentcloudapi.com/?Action=DescribeInstances&InstanceIds.0=ins-09dx96dg&Limit=20&Nonce=11886&Offset=0' +
      '&Region=ap-guangzhou&SecretId=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE&Timestamp=1465185768&Version=2017-03-12',
  );
  assert.equal(
    v1Signature('Gu5t9xGARNpq86cd98joQYCN3EXAMPLE', str, 'HmacSHA1'),
    'EliP9YW3pW28FpsEdkXt/+WcGeI=',
  );
});

test('v1: keys sort in ASCII order (InstanceIds.12 before InstanceIds.2, upper before lower)', () => {
  const str = v1StringToSign({
    method: 'post',
    host: 'h:1',
    path: '/',
    params: [
      ['b', '1'],
      ['InstanceIds.2', 'x'],
      ['InstanceIds.12', 'y'],
      ['A', 'z'],
    ],
  });
  assert.equal(str, 'POSTh:1/?A=z&InstanceIds.12=y&InstanceIds.2=x&b=1');
});

test('v1: SignatureMethod selects HMAC-SHA256 only when exactly HmacSHA256', () => {
  assert.equal(v1Method('HmacSHA256'), 'HmacSHA256');
  assert.equal(v1Method('hmacsha256'), 'HmacSHA1');
  assert.equal(v1Method(undefined), 'HmacSHA1');
  assert.notEqual(v1Signature('k', 's', 'HmacSHA256'), v1Signature('k', 's', 'HmacSHA1'));
});
