/**
 * API 3.0 request signing for tests that craft requests the SDKs never send (a credential scope dated
 * another day, a signed header left out of the request, Python-style `_` names): written from the
 * protocol reference (`/work/shared/spec/scf-reference.md` §3.2, §3.3; Tencent's "签名方法 v3" and
 * "签名方法" pages), not from the server's verifier or the CLI's signer, and checked against the
 * reference's test vectors (`test/compat/v3-signing.test.ts`). Every input is explicit, so a test can
 * sign one thing and send another.
 */
import { createHash, createHmac } from 'node:crypto';

const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const hmacSha256 = (key: string | Buffer, msg: string): Buffer =>
  createHmac('sha256', key).update(msg, 'utf8').digest();

export interface Tc3Input {
  method: string;
  /** The query string as it will be sent ('' for none). */
  query: string;
  /** The headers to sign: lower-case name -> value (at least content-type and host). */
  signed: Record<string, string>;
  body: string | Uint8Array;
  /** X-TC-Timestamp, Unix seconds. */
  timestamp: number;
  /** The credential scope's date; the reference says: the UTC date of `timestamp`. */
  date?: string;
  /** The credential scope's service (`scf`; the Node SDK writes the endpoint's first label). */
  service?: string;
  secretId: string;
  secretKey: string;
}

/** The UTC date (`YYYY-MM-DD`) of a Unix timestamp in seconds. */
export const utcDate = (timestamp: number): string => new Date(timestamp * 1000).toISOString().slice(0, 10);

/** The `Authorization` header value of a TC3-HMAC-SHA256 request. */
export function tc3Authorization(input: Tc3Input): string {
  const date = input.date ?? utcDate(input.timestamp);
  const service = input.service ?? 'scf';
  const names = Object.keys(input.signed).sort();
  const canonicalRequest = [
    input.method,
    '/',
    input.query,
    names.map((n) => `${n}:${input.signed[n]!.trim()}\n`).join(''),
    names.join(';'),
    sha256Hex(input.body),
  ].join('\n');
  const scope = `${date}/${service}/tc3_request`;
  const stringToSign = ['TC3-HMAC-SHA256', String(input.timestamp), scope, sha256Hex(canonicalRequest)].join(
    '\n',
  );
  const kSigning = hmacSha256(hmacSha256(hmacSha256(`TC3${input.secretKey}`, date), service), 'tc3_request');
  const signature = createHmac('sha256', kSigning).update(stringToSign, 'utf8').digest('hex');
  return `TC3-HMAC-SHA256 Credential=${input.secretId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
}

/**
 * The v1 (HmacSHA1 / HmacSHA256) signature: base64 HMAC of `METHOD + host + path + '?' + k=v&...`, the
 * pairs sorted by name in byte order, values raw (not URL-encoded).
 */
export function v1Signature(input: {
  method: string;
  host: string;
  path?: string;
  params: ReadonlyArray<readonly [string, string]>;
  secretKey: string;
  algorithm?: 'sha1' | 'sha256';
}): string {
  const pairs = [...input.params].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const text = `${input.method}${input.host}${input.path ?? '/'}?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`;
  return createHmac(input.algorithm ?? 'sha1', input.secretKey)
    .update(text, 'utf8')
    .digest('base64');
}

/** Pairs as a form/query string, each name and value percent-encoded. */
export const formEncode = (pairs: ReadonlyArray<readonly [string, string]>): string =>
  pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
