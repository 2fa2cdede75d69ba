/**
 * The v2 signature (scf-reference §1.3), exactly as qcloudapi-sdk@0.2.1 computes it:
 *   METHOD + Host (with port) + path + '?' + name=value&... over every parameter but Signature,
 *   names sorted ascending by UTF-16 code unit (JS default sort; byte order for the ASCII names in use),
 *   values raw (decoded), `_` in a name written as `.` unless the name starts with `_`,
 *   on POST values starting with `@` left out (the v2 `code` upload is not signed) unless the request
 *   carries `Version` (qcloudapi-sdk's API 3.0 switch), empty names left out;
 *   Base64(HMAC-SHA1(SecretKey, text)), or HMAC-SHA256 when SignatureMethod=HmacSHA256.
 * The same functions sign on the client side (tests, bench) so both ends share one definition.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookupName, type V2Param } from './params.js';

export type V2Hash = 'sha1' | 'sha256';

export interface StringToSignParts {
  /** Upper-case HTTP method. */
  method: string;
  /** The Host header as sent, port included. */
  host: string;
  path: string;
  params: readonly V2Param[];
}

/** The hash a request asks for: HmacSHA256 means SHA-256; absent or anything else means SHA-1. */
export function hashOf(signatureMethod: string | undefined): V2Hash {
  return signatureMethod === 'HmacSHA256' ? 'sha256' : 'sha1';
}

export function stringToSign(parts: StringToSignParts): string {
  const method = parts.method.toUpperCase();
  const isApi3 = parts.params.some((p) => p.name === 'Version' && p.value !== '');
  const signed = parts.params.filter(
    (p) =>
      p.name !== 'Signature' && p.name !== '' && !(method === 'POST' && !isApi3 && p.value.startsWith('@')),
  );
  // Sort on the names as sent (qcloudapi-sdk sorts before rewriting `_`), write them rewritten.
  signed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const query = signed.map((p) => `${lookupName(p.name)}=${p.value}`).join('&');
  return `${method}${parts.host}${parts.path}?${query}`;
}

export function computeSignature(text: string, secretKey: string, hash: V2Hash): string {
  return createHmac(hash, secretKey).update(text, 'utf8').digest('base64');
}

/** Constant-time comparison of a received signature with the expected one. */
export function signatureMatches(received: string, expected: string): boolean {
  const a = Buffer.from(received, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  // The expected length is public (a digest's Base64 length), so an early length check leaks nothing.
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface SignRequestOptions {
  method: 'GET' | 'POST';
  host: string;
  /** Default `/v2/index.php`. */
  path?: string;
  secretKey: string;
  hash?: V2Hash;
}

/**
 * Client side: signs flat parameters (common ones included; SignatureMethod added for SHA-256) and
 * returns the URL-encoded query/form text with the Signature appended.
 */
export function signRequest(params: Record<string, string | number>, options: SignRequestOptions): string {
  const hash = options.hash ?? 'sha1';
  const all: V2Param[] = Object.entries(params).map(([name, value]) => ({ name, value: String(value) }));
  if (hash === 'sha256' && params['SignatureMethod'] === undefined) {
    all.push({ name: 'SignatureMethod', value: 'HmacSHA256' });
  }
  const text = stringToSign({
    method: options.method,
    host: options.host,
    path: options.path ?? '/v2/index.php',
    params: all,
  });
  const search = new URLSearchParams();
  for (const p of all) search.append(p.name, p.value);
  search.append('Signature', computeSignature(text, options.secretKey, hash));
  return search.toString();
}
