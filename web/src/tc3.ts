/**
 * TC3-HMAC-SHA256 signing in the browser, with the Web Crypto API (`crypto.subtle`). A third
 * implementation beside the server's verifier and the CLI's signer, written from the specification
 * (docs/api-v3.md, SCF's "Signature v3"), checked against the same official vectors
 * (test/unit/web/tc3.test.ts runs it in Node's WebCrypto). It imports nothing, so it compiles for the
 * browser bundle and for Node alike.
 */

export interface Tc3Request {
  method: 'GET' | 'POST';
  /** Request path (`/` for API 3.0, `/stream/logs` for the live tail). */
  path: string;
  /** Query string exactly as sent, without `?` ('' for none). */
  query: string;
  /** Signed headers (at least content-type and host), any case; values as sent. */
  headers: Record<string, string>;
  /** Exact body text ('' for GET). */
  body: string;
  /** Unix seconds, also sent as X-TC-Timestamp. */
  timestamp: number;
  /** Credential scope service (`scf`, `monitor`). */
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

const utf8 = new TextEncoder();

function hex(bytes: ArrayBuffer): string {
  let out = '';
  for (const b of new Uint8Array(bytes)) out += b.toString(16).padStart(2, '0');
  return out;
}

async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', utf8.encode(text)));
}

async function hmac(key: ArrayBuffer | Uint8Array<ArrayBuffer>, msg: string): Promise<ArrayBuffer> {
  const k = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return crypto.subtle.sign('HMAC', k, utf8.encode(msg));
}

/** Signs a request: the Authorization header value, and the intermediate strings (for tests). */
export async function signTc3(req: Tc3Request): Promise<Tc3Signed> {
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
    await sha256Hex(req.body),
  ].join('\n');
  // The scope's date is the UTC date of the timestamp, whatever the browser's zone.
  const date = new Date(req.timestamp * 1000).toISOString().slice(0, 10);
  const scope = `${date}/${req.service}/tc3_request`;
  const stringToSign = [
    'TC3-HMAC-SHA256',
    String(req.timestamp),
    scope,
    await sha256Hex(canonicalRequest),
  ].join('\n');
  const kDate = await hmac(utf8.encode(`TC3${req.secretKey}`), date);
  const kService = await hmac(kDate, req.service);
  const kSigning = await hmac(kService, 'tc3_request');
  const signature = hex(await hmac(kSigning, stringToSign));
  const authorization = `TC3-HMAC-SHA256 Credential=${req.secretId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { authorization, canonicalRequest, stringToSign, signature };
}

/** 16 random bytes as hex: the per-request nonce (see api.ts). */
export function randomHex(bytes = 16): string {
  const b = crypto.getRandomValues(new Uint8Array(bytes));
  let out = '';
  for (const x of b) out += x.toString(16).padStart(2, '0');
  return out;
}
