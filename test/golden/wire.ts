/**
 * Raw signed requests for the wire record: v2 (signed query/form), API 3.0 with TC3 (JSON body) and with
 * v1 form signing. The answers are read as the exact bytes the server sent, so a change anywhere in the
 * protocol layers (wording, field order, number formatting) shows.
 */
import { request } from 'node:http';
import { signRequest } from '../../src/api/protocol/v2/signature.js';
import {
  tc3CanonicalRequest,
  tc3Date,
  tc3Signature,
  v1Signature,
  v1StringToSign,
} from '../../src/api/protocol/v3/sign.js';

export const SECRET_ID = 'AKIDgolden';
export const SECRET_KEY = 'golden-secret';

export function httpCall(
  port: number,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: options.method, path: options.path, headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(`${res.statusCode} ${Buffer.concat(chunks).toString('utf8')}`));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body ?? '');
  });
}

let nonce = 1000;
const now = (): number => Math.floor(Date.now() / 1000);

/** A v2 call: GET with the signed query, or POST with the signed form. */
export function v2Call(
  port: number,
  action: string,
  params: Record<string, string | number>,
  options: { method?: 'GET' | 'POST'; secretKey?: string; common?: Record<string, string | number> } = {},
): Promise<string> {
  const method = options.method ?? 'GET';
  const host = `127.0.0.1:${port}`;
  const all = {
    Action: action,
    Region: 'ap-guangzhou',
    SecretId: SECRET_ID,
    Timestamp: now(),
    Nonce: ++nonce,
    ...options.common,
    ...params,
  };
  const text = signRequest(all, { method, host, secretKey: options.secretKey ?? SECRET_KEY });
  if (method === 'GET') return httpCall(port, { method, path: `/v2/index.php?${text}` });
  return httpCall(port, {
    method,
    path: '/v2/index.php',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: text,
  });
}

/** An API 3.0 call signed with TC3-HMAC-SHA256, parameters as a JSON body. */
export function v3Call(
  port: number,
  action: string,
  params: Record<string, unknown>,
  options: { secretKey?: string; secretId?: string; timestamp?: number; version?: string } = {},
): Promise<string> {
  const host = `127.0.0.1:${port}`;
  const body = JSON.stringify(params);
  const timestamp = options.timestamp ?? now();
  const date = tc3Date(timestamp);
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    host,
    'x-tc-action': action,
    'x-tc-timestamp': String(timestamp),
    'x-tc-version': options.version ?? '2018-04-16',
    'x-tc-region': 'ap-guangzhou',
  };
  const canonicalRequest = tc3CanonicalRequest({
    method: 'POST',
    path: '/',
    rawQuery: '',
    headers: [
      ['content-type', headers['content-type']!],
      ['host', host],
      ['x-tc-action', action],
    ],
    body,
  });
  const signature = tc3Signature({
    secretKey: options.secretKey ?? SECRET_KEY,
    timestamp,
    date,
    service: 'scf',
    canonicalRequest,
  });
  headers['authorization'] =
    `TC3-HMAC-SHA256 Credential=${options.secretId ?? SECRET_ID}/${date}/scf/tc3_request, ` +
    `SignedHeaders=content-type;host;x-tc-action, Signature=${signature}`;
  return httpCall(port, { method: 'POST', path: '/', headers, body });
}

/** An API 3.0 call with v1 (HmacSHA256) form signing: every parameter flattened in the form body. */
export function v3FormCall(port: number, action: string, params: Record<string, string>): Promise<string> {
  const host = `127.0.0.1:${port}`;
  const all: Record<string, string> = {
    Action: action,
    Version: '2018-04-16',
    Region: 'ap-guangzhou',
    SecretId: SECRET_ID,
    Timestamp: String(now()),
    Nonce: String(++nonce),
    SignatureMethod: 'HmacSHA256',
    ...params,
  };
  const text = v1StringToSign({ method: 'POST', host, path: '/', params: Object.entries(all) });
  const form = new URLSearchParams(all);
  form.append('Signature', v1Signature(SECRET_KEY, text, 'HmacSHA256'));
  return httpCall(port, {
    method: 'POST',
    path: '/',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
}
