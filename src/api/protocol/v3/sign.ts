/**
 * The two API 3.0 signature algorithms, as pure functions (no request parsing, no key lookup), so that
 * the official test vectors can check them byte for byte:
 * - TC3-HMAC-SHA256: canonical request -> string to sign -> key derived from the date and service.
 * - v1 (HmacSHA1 / HmacSHA256): HMAC over `METHOD + host + path + '?' + sorted raw k=v`, base64.
 */
import { createHash, createHmac } from 'node:crypto';

export const TC3_ALGORITHM = 'TC3-HMAC-SHA256';

const sha256Hex = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, msg: string): Buffer =>
  createHmac('sha256', key).update(msg, 'utf8').digest();

/** `YYYY-MM-DD` (UTC) of a Unix timestamp in seconds: the date of a TC3 credential scope. */
export function tc3Date(timestampSec: number): string {
  return new Date(timestampSec * 1000).toISOString().slice(0, 10);
}

export interface Tc3CanonicalInput {
  method: string;
  /** `/` for API 3.0. */
  path: string;
  /** The query string exactly as received (no leading `?`); '' for POST. */
  rawQuery: string;
  /** The signed headers in the order they must appear (lower-case names), with their values. */
  headers: ReadonlyArray<readonly [name: string, value: string]>;
  /** The exact body bytes ('' for GET). */
  body: string | Uint8Array;
  /** `tc3PayloadHash(body)`, when the caller has it already (one request checked against several hosts). */
  bodyHash?: string;
}

/** The hex SHA-256 of a request body, the canonical request's last line. */
export const tc3PayloadHash = (body: string | Uint8Array): string => sha256Hex(body);

/**
 * The canonical request. Headers are sorted by name here, values trimmed, so callers can pass them in
 * the order the Authorization header listed them.
 */
export function tc3CanonicalRequest(input: Tc3CanonicalInput): string {
  const headers = [...input.headers]
    .map(([n, v]) => [n.toLowerCase(), v.trim()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonicalHeaders = headers.map(([n, v]) => `${n}:${v}\n`).join('');
  const signedHeaders = headers.map(([n]) => n).join(';');
  return [
    input.method.toUpperCase(),
    input.path,
    input.rawQuery,
    canonicalHeaders,
    signedHeaders,
    input.bodyHash ?? sha256Hex(input.body),
  ].join('\n');
}

export interface Tc3SignInput {
  secretKey: string;
  /** Unix seconds, as in X-TC-Timestamp. */
  timestamp: number;
  /** The scope's date (normally `tc3Date(timestamp)`). */
  date: string;
  /** The scope's service (`scf`; the Node SDK puts the endpoint's first label there, e.g. `127`). */
  service: string;
  canonicalRequest: string;
}

/** The lower-case hex TC3 signature of a canonical request. */
export function tc3Signature(input: Tc3SignInput): string {
  const stringToSign = [
    TC3_ALGORITHM,
    String(input.timestamp),
    `${input.date}/${input.service}/tc3_request`,
    sha256Hex(input.canonicalRequest),
  ].join('\n');
  return createHmac('sha256', signingKey(input)).update(stringToSign, 'utf8').digest('hex');
}

/**
 * Signing keys already derived, by secret key, date and service: the three HMACs of the derivation are
 * the same for every request of a client on one day (and a request is often checked twice, with and
 * without its host's port). Bounded: emptied when it grows past SIGNING_KEYS_MAX (a new day, many keys).
 */
const signingKeys = new Map<string, Buffer>();
const SIGNING_KEYS_MAX = 256;

function signingKey(input: { secretKey: string; date: string; service: string }): Buffer {
  const id = `${input.date}\n${input.service}\n${input.secretKey}`;
  let key = signingKeys.get(id);
  if (!key) {
    const kDate = hmac(`TC3${input.secretKey}`, input.date);
    const kService = hmac(kDate, input.service);
    key = hmac(kService, 'tc3_request');
    if (signingKeys.size >= SIGNING_KEYS_MAX) signingKeys.clear();
    signingKeys.set(id, key);
  }
  return key;
}

export type V1SignatureMethod = 'HmacSHA1' | 'HmacSHA256';

/** SCF uses HMAC-SHA256 only for exactly `HmacSHA256`; anything else (or nothing) means HMAC-SHA1. */
export function v1Method(signatureMethod: string | undefined): V1SignatureMethod {
  return signatureMethod === 'HmacSHA256' ? 'HmacSHA256' : 'HmacSHA1';
}

export interface V1StringInput {
  method: string;
  /** What the client dialled: host, with its port when it used one. */
  host: string;
  path: string;
  /** Every parameter except `Signature`, raw (decoded) values. */
  params: ReadonlyArray<readonly [key: string, value: string]>;
}

/** `METHOD + host + path + '?' + k=v&...`, keys in ASCII order, values raw (not URL-encoded). */
export function v1StringToSign(input: V1StringInput): string {
  const sorted = [...input.params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = sorted.map(([k, v]) => `${k}=${v}`).join('&');
  return `${input.method.toUpperCase()}${input.host}${input.path}?${query}`;
}

/** Base64 HMAC of a v1 string to sign. */
export function v1Signature(secretKey: string, stringToSign: string, method: V1SignatureMethod): string {
  return createHmac(method === 'HmacSHA256' ? 'sha256' : 'sha1', secretKey)
    .update(stringToSign, 'utf8')
    .digest('base64');
}
