/**
 * The boundary between the HTTP server and the wire protocols: a protocol handler takes a whole request
 * (raw body kept, since signatures cover its exact bytes) and returns a whole response. Protocols never
 * see Fastify; the server never sees a protocol's parameters.
 */
import type { CredentialStore, ReplayGuard } from './auth/index.js';
import type { ActionContext } from './operations/types.js';

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

/** A request before its body is read: what admission checks see. */
export type WireHead = Omit<WireRequest, 'body'>;

/**
 * What a protocol's pre-body check concludes (it throws a coded ScfError to refuse): the action the
 * request names (undefined when it names none yet), or that its credentials are in the body.
 */
export type AdmissionCheck = { action: string | undefined } | 'params-in-body';

/** A protocol's part in request admission (see `api/admission.ts`). */
export interface ProtocolAdmission {
  /** Checks the request line and headers; throws a coded ScfError to refuse before the body is read. */
  precheck(head: WireHead, ctx: ProtocolContext): AdmissionCheck;
  /** Checks the common parameters found at the start of a form body (SecretId, Timestamp, Action). */
  precheckParams(params: ReadonlyMap<string, string>, ctx: ProtocolContext): { action: string | undefined };
  /** Actions whose bodies may be code-upload sized. */
  readonly uploadActions: ReadonlySet<string>;
  /** The protocol's own error envelope for a refusal. */
  errorResponse(err: unknown): WireResponse;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** What the server's request line says about this answer (see `WireLogFields`). */
  log?: WireLogFields;
}

/**
 * What a protocol tells the server's request log about an answer, each field when it knows it (the server
 * adds the method, status and duration). Never a secret: no parameters but these, no body.
 */
export interface WireLogFields {
  action?: string;
  functionName?: string;
  namespace?: string;
  /** An error answer's code in the protocol's spelling (3.0 `Error.Code`, v2 `codeDesc`); absent on success. */
  code?: string;
  /** An error answer's numeric v2 `code`. */
  v2Code?: number;
  /** The RequestId the answer carries (API 3.0). */
  requestId?: string;
  /** Invoke: the invocation's request id (its record's `requestId`, 3.0's `FunctionRequestId`). */
  functionRequestId?: string;
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
