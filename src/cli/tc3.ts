/**
 * TC3-HMAC-SHA256 request signing, client side. Written apart from the server's verifier
 * (`api/protocol/v3/sign.ts`) on purpose: the CLI must not depend on server internals to talk to a remote
 * scf-local, and two independent implementations checked against the same official vectors catch a
 * mistake that one shared implementation would carry to both ends.
 */
import { createHash, createHmac } from 'node:crypto';

const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, msg: string): Buffer =>
  createHmac('sha256', key).update(msg, 'utf8').digest();

export interface Tc3Request {
  method: 'GET' | 'POST';
  /** Request path, `/` for API 3.0. */
  path: string;
  /** Query string exactly as it will be sent, without `?` ('' for none). */
  query: string;
  /** Signed headers (at least content-type and host), any case; values as sent. */
  headers: Record<string, string>;
  /** Exact body bytes ('' for GET). */
  body: string | Uint8Array;
  /** Unix seconds, also sent as X-TC-Timestamp. */
  timestamp: number;
  /** Credential scope service; `scf` (what the Python SDK and SCF itself use). */
  service: string;
  secretId: string;
  secretKey: string;
}

export interface Tc3Signed {
  authorization: string;
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
}

/** Signs a request: returns the Authorization header value (and the intermediate strings, for tests). */
export function signTc3(req: Tc3Request): Tc3Signed {
  const headers = Object.entries(req.headers)
    .map(([k, v]) => [k.toLowerCase(), v.trim()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = headers.map(([k]) => k).join(';');
  const canonicalRequest = [
    req.method,
    req.path,
    req.query,
    headers.map(([k, v]) => `${k}:${v}\n`).join(''),
    signedHeaders,
    sha256Hex(req.body),
  ].join('\n');
  const date = new Date(req.timestamp * 1000).toISOString().slice(0, 10);
  const scope = `${date}/${req.service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(req.timestamp), scope, sha256Hex(canonicalRequest)].join(
    '\n',
  );
  const kSigning = hmac(hmac(hmac(`TC3${req.secretKey}`, date), req.service), 'tc3_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
  const authorization = `TC3-HMAC-SHA256 Credential=${req.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { authorization, canonicalRequest, stringToSign, signature };
}
