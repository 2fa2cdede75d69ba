/**
 * What a web function's invocation carries (SCF's `Type: "HTTP"` functions, `bootstrap.ts`): the HTTP
 * request as the event, the HTTP response as the result, both JSON with the body as text or base64. The
 * route that takes the request (`triggers/apigw/`) writes the event and reads the result; the instance's
 * host replays the request to the function's server on port 9000 and writes the result.
 *
 * The response has the shape of an API Gateway integrated response (`statusCode`, `headers`, `body`,
 * `isBase64Encoded`), so one mapping turns either into the HTTP answer.
 *
 * It also holds the one rule for whether a body travels as text or as base64 (`encodeBody`), used for
 * requests and responses alike. This file imports nothing: it is copied into every sandbox.
 */
import { isUtf8 } from 'node:buffer';

/** The event of a web function's invocation. */
export interface WebRequest {
  /** Marks the event as an HTTP request (an event from `Invoke` is refused, not replayed). */
  webRequest: 1;
  method: string;
  /** Path and query as the client sent them (percent-encoded), below the function's URL: `/a/b?x=1`. */
  path: string;
  /** Header lines in the client's order, names lower-case; repeated names repeated. */
  headers: [string, string][];
  body: string;
  isBase64Encoded: boolean;
}

/** The result of a web function's invocation: its server's answer. */
export interface WebResponse {
  statusCode: number;
  /** Names lower-case; a name the server sent more than once (`set-cookie`) has its values in order. */
  headers: Record<string, string | string[]>;
  body: string;
  isBase64Encoded: boolean;
}

const isStr = (v: unknown): v is string => typeof v === 'string';

/** The event as a web request, or undefined when it is not one. */
export function parseWebRequest(event: string): WebRequest | undefined {
  let v: unknown;
  try {
    v = JSON.parse(event);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const r = v as Record<string, unknown>;
  const headers = r['headers'];
  const ok =
    r['webRequest'] === 1 &&
    isStr(r['method']) &&
    isStr(r['path']) &&
    r['path'].startsWith('/') &&
    isStr(r['body']) &&
    typeof r['isBase64Encoded'] === 'boolean' &&
    Array.isArray(headers) &&
    headers.every((h) => Array.isArray(h) && h.length === 2 && isStr(h[0]) && isStr(h[1]));
  return ok ? (r as unknown as WebRequest) : undefined;
}

/** Media types whose bodies are text (besides `text/*`, and `+json`/`+xml` suffixes). */
const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/javascript',
  'application/ecmascript',
  'application/x-www-form-urlencoded',
  'application/graphql',
  'application/x-ndjson',
  'application/yaml',
  'application/x-yaml',
  'application/sql',
]);

/**
 * True when a body of this Content-Type is text: `text/*`, JSON, XML, JavaScript, forms, GraphQL, YAML, or
 * no Content-Type at all. Anything else (`application/octet-stream`, images, `multipart/form-data`) is
 * binary.
 */
export function isTextType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === '') return true;
  return type.startsWith('text/') || TEXT_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml');
}

/**
 * A body as it travels in JSON: as text when its Content-Type is text and its bytes are valid UTF-8 (and
 * `base64` is not asked for), else as base64 with `isBase64Encoded: true`.
 */
export function encodeBody(
  body: Uint8Array,
  contentType: string | undefined,
  options: { base64?: boolean } = {},
): { body: string; isBase64Encoded: boolean } {
  const buf = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (buf.length === 0) return { body: '', isBase64Encoded: false };
  if (!options.base64 && isTextType(contentType) && isUtf8(buf)) {
    return { body: buf.toString('utf8'), isBase64Encoded: false };
  }
  return { body: buf.toString('base64'), isBase64Encoded: true };
}

/** A body's bytes from its JSON form. */
export function decodeBody(body: string, isBase64Encoded: boolean): Buffer {
  return Buffer.from(body, isBase64Encoded ? 'base64' : 'utf8');
}

/** Hop-by-hop headers (RFC 9110 7.6.1): they describe one connection, never passed on either way. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);
