/**
 * The console's API client: every data call is an API 3.0 action, `POST /` with a JSON body, signed with
 * TC3-HMAC-SHA256 (tc3.ts) like any SDK. Besides `content-type` and `host` it signs `x-tc-action` (a
 * captured request cannot be replayed as another action) and `x-scf-local-nonce`, 16 fresh random bytes:
 * the server refuses a write whose signature it has already seen (docs/api-v3.md, "Replay protection for
 * TC3"), and two identical writes in one second (the same Invoke clicked twice) would otherwise share one.
 * The live tail (`GET /stream/logs`) is signed the same way, over its path and query, with a `Nonce`
 * parameter; it is read with fetch streaming because EventSource cannot send headers.
 */
import { randomHex, signTc3 } from './tc3.js';

export const SCF_VERSION = '2018-04-16';
export const NONCE_HEADER = 'x-scf-local-nonce';
const STREAM_PATH = '/stream/logs';
const STREAM_ACTION = 'TailFunctionLogs';

export interface Credentials {
  secretId: string;
  secretKey: string;
}

/** An error answered by the server (its API 3.0 code), or `ServerUnreachable` when none came. */
export class ApiError extends Error {
  readonly code: string;
  readonly requestId: string | undefined;

  constructor(code: string, message: string, requestId?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.requestId = requestId;
  }
}

export type Json = Record<string, unknown>;

export interface CallOptions {
  /** API version: SCF's by default; Cloud Monitor's for GetMonitorData. */
  version?: string;
  /** Credential scope service (the server reads it from the scope; SDKs write the product). */
  service?: string;
  signal?: AbortSignal;
}

export class Api {
  readonly #creds: Credentials;
  readonly #origin: string;
  readonly #host: string;

  constructor(creds: Credentials, where: { origin: string; host: string } = location) {
    this.#creds = creds;
    this.#origin = where.origin;
    this.#host = where.host;
  }

  get secretId(): string {
    return this.#creds.secretId;
  }

  async #headers(
    method: 'GET' | 'POST',
    path: string,
    query: string,
    action: string,
    body: string,
    options: CallOptions,
  ): Promise<Record<string, string>> {
    const timestamp = Math.floor(Date.now() / 1000);
    const signed = {
      'content-type': method === 'GET' ? 'application/x-www-form-urlencoded' : 'application/json',
      host: this.#host,
      'x-tc-action': action,
      [NONCE_HEADER]: randomHex(16),
    };
    const { authorization } = await signTc3({
      method,
      path,
      query,
      headers: signed,
      body,
      timestamp,
      service: options.service ?? 'scf',
      ...this.#creds,
    });
    // `host` is the browser's to send (it sends exactly location.host, which is what was signed).
    const { host: _host, ...sent } = signed;
    return {
      ...sent,
      authorization,
      'x-tc-timestamp': String(timestamp),
      'x-tc-version': options.version ?? SCF_VERSION,
      'x-tc-requestclient': 'scf-local-console',
    };
  }

  /** One action; resolves with its `Response`, rejects with ApiError. */
  async call<T = Json>(
    action: string,
    params: Json,
    options: CallOptions = {},
  ): Promise<T & { RequestId: string }> {
    const body = JSON.stringify(params);
    const headers = await this.#headers('POST', '/', '', action, body, options);
    let res: Response;
    try {
      res = await fetch(`${this.#origin}/`, {
        method: 'POST',
        headers,
        body,
        credentials: 'omit',
        cache: 'no-store',
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError('ServerUnreachable', `cannot reach scf-local at ${this.#origin}`);
    }
    return readEnvelope<T>(res);
  }

  /**
   * Opens the live tail. Resolves with the response once accepted (HTTP 200, an event stream); rejects
   * with the server's coded error otherwise. Abort `signal` to disconnect.
   */
  async openStream(
    params: { functionName: string; namespace: string; qualifier?: string; cursor?: string },
    signal: AbortSignal,
  ): Promise<Response> {
    const pairs: Array<[string, string]> = [
      ['FunctionName', params.functionName],
      ['Namespace', params.namespace],
    ];
    if (params.qualifier) pairs.push(['Qualifier', params.qualifier]);
    if (params.cursor) pairs.push(['Cursor', params.cursor]);
    pairs.push(['Nonce', randomHex(12)]);
    const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    const headers = await this.#headers('GET', STREAM_PATH, query, STREAM_ACTION, '', {});
    let res: Response;
    try {
      res = await fetch(`${this.#origin}${STREAM_PATH}?${query}`, {
        headers: { ...headers, accept: 'text/event-stream' },
        credentials: 'omit',
        cache: 'no-store',
        signal,
      });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiError('ServerUnreachable', `cannot reach scf-local at ${this.#origin}`);
    }
    if (res.ok && (res.headers.get('content-type') ?? '').startsWith('text/event-stream')) return res;
    await readEnvelope(res);
    throw new ApiError('InternalError', `${STREAM_PATH} answered HTTP ${res.status}`);
  }
}

async function readEnvelope<T>(res: Response): Promise<T & { RequestId: string }> {
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiError('InternalError', `the server answered HTTP ${res.status}, not an API 3.0 response`);
  }
  const response = (parsed as { Response?: Json }).Response;
  if (typeof response !== 'object' || response === null) {
    throw new ApiError('InternalError', 'the server answered without a Response envelope');
  }
  const error = response['Error'] as { Code?: string; Message?: string } | undefined;
  if (error) {
    const rid = typeof response['RequestId'] === 'string' ? response['RequestId'] : undefined;
    throw new ApiError(error.Code ?? 'InternalError', error.Message ?? 'unknown error', rid);
  }
  return response as T & { RequestId: string };
}

/** What `/healthz` says (unsigned, facts only): the API's time zone. */
export async function apiTimeZoneOffsetMinutes(): Promise<number> {
  try {
    const res = await fetch('/healthz', { cache: 'no-store', credentials: 'omit' });
    const body = (await res.json()) as { apiTimeZoneOffsetMinutes?: unknown };
    return typeof body.apiTimeZoneOffsetMinutes === 'number' ? body.apiTimeZoneOffsetMinutes : 480;
  } catch {
    // SCF's own zone (UTC+8) is the server's default; an unreachable server fails the next call anyway.
    return 480;
  }
}
