/**
 * The boundary between the HTTP server and the wire protocols: a protocol handler takes a whole request
 * (raw body kept, since signatures cover its exact bytes) and returns a whole response. Protocols never
 * see Fastify; the server never sees a protocol's parameters.
 */
import type { ActionContext } from './actions/types.js';
import type { CredentialStore, ReplayGuard } from './auth/index.js';

export interface WireRequest {
  /** Upper-case HTTP method. */
  method: string;
  /** The Host header exactly as sent (with port when the client sent one). */
  host: string;
  /** Path without the query string. */
  path: string;
  /** The query string exactly as received, without the leading `?` ('' when none). */
  rawQuery: string;
  /** Header names lower-cased; repeated headers joined with ', '. */
  headers: Record<string, string>;
  /** Exact body bytes (empty for GET). */
  body: Buffer;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** What a protocol handler may use besides the request. */
export interface ProtocolContext {
  readonly actions: ActionContext;
  readonly credentials: CredentialStore;
  readonly replay: ReplayGuard;
}

export type ProtocolHandler = (req: WireRequest, ctx: ProtocolContext) => Promise<WireResponse>;

/** Every API response is HTTP 200 JSON; SDKs read errors from the body (and ignore non-200 bodies). */
export function jsonResponse(body: unknown): WireResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}
