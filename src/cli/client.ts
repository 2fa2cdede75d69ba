/**
 * The CLI's API client: API 3.0 over HTTP(S), TC3-HMAC-SHA256 signed, like any SDK (no SDK dependency at
 * run time). `call()` is one action (`POST /`, JSON body, `{"Response": ...}` envelope); `openStream()` opens
 * the live-tail stream (`GET /stream/logs`, signed the same way). Uses node's http/https so large uploads
 * can report progress. Remote errors come back as ScfError carrying the server's API 3.0 code.
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { V3_CODES } from '../api/protocol/v3/errors.js';
import { STREAM_ACTION, STREAM_PATH } from '../api/stream/protocol.js';
import { type ErrorCode, ScfError } from '../errors/index.js';
import { signTc3 } from './tc3.js';

export const API_VERSION = '2018-04-16';
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:9000';

export interface ClientOptions {
  /** `http://host:port` (a bare `host:port` means http). */
  endpoint: string;
  secretId: string;
  secretKey: string;
  region?: string;
  /** Per-request timeout for actions (not streams). Default 330 s: Invoke waits up to SCF's 300 s. */
  timeoutMs?: number;
}

export interface CallOptions {
  /** Called as the request body is sent (bytes sent, total bytes). */
  onUploadProgress?: (sent: number, total: number) => void;
}

/** An error answered by the server: its API 3.0 code is kept as the message suffix and in `remoteCode`. */
export class RemoteError extends ScfError {
  readonly remoteCode: string;
  readonly remoteRequestId: string | undefined;

  constructor(remoteCode: string, message: string, requestId?: string) {
    const { code, field } = localCode(remoteCode);
    super(code, message, field === undefined ? {} : { field });
    this.name = 'RemoteError';
    this.remoteCode = remoteCode;
    this.remoteRequestId = requestId;
  }
}

/** Maps a server's API 3.0 code to the local code table (exact match, then family), for exit codes. */
function localCode(remote: string): { code: ErrorCode; field?: string } {
  const entries = Object.entries(V3_CODES) as Array<[ErrorCode, string]>;
  const exact = entries.find(([, v3]) => v3 === remote);
  if (exact) return { code: exact[0] };
  const dot = remote.indexOf('.');
  const family = dot < 0 ? remote : remote.slice(0, dot);
  if (family === 'InvalidParameterValue' || family === 'MissingParameter' || family === 'InvalidParameter') {
    return dot < 0 ? { code: family } : { code: family, field: remote.slice(dot + 1) };
  }
  if (family === 'AuthFailure') return { code: 'SignatureFailure' };
  if (family === 'ResourceNotFound') return { code: 'FunctionNotFound' };
  if (family === 'ResourceInUse') return { code: 'FunctionInUse' };
  if (family === 'LimitExceeded') return { code: 'ConcurrencyLimitReached' };
  if (family === 'UnsupportedOperation' || family === 'InvalidAction')
    return { code: 'UnsupportedOperation' };
  return { code: 'InternalError' };
}

/** `http://127.0.0.1:9000` / `127.0.0.1:9000` -> URL; rejects anything else as a usage error. */
export function parseEndpoint(endpoint: string): URL {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch (err) {
    throw new ScfError('InvalidParameter', `--endpoint ${JSON.stringify(endpoint)} is not a URL`, {
      cause: err,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ScfError('InvalidParameter', `--endpoint must be http:// or https://, got ${url.protocol}//`);
  }
  return url;
}

type Json = Record<string, unknown>;

export class ApiClient {
  readonly #url: URL;
  readonly #options: ClientOptions;
  readonly #agent: http.Agent;
  #closed = false;

  constructor(options: ClientOptions) {
    this.#url = parseEndpoint(options.endpoint);
    this.#options = options;
    const Agent = this.#url.protocol === 'https:' ? https.Agent : http.Agent;
    this.#agent = new Agent({ keepAlive: true });
  }

  get endpoint(): string {
    return this.#url.origin;
  }

  #unreachable(err: unknown): ScfError {
    const code = (err as { code?: string }).code ?? (err instanceof Error ? err.message : String(err));
    return new ScfError(
      'ServerUnreachable',
      `cannot reach scf-local at ${this.#url.origin} (${code}); is \`scf-local serve\` running there? (--endpoint)`,
      { cause: err },
    );
  }

  #headers(
    method: 'GET' | 'POST',
    action: string,
    contentType: string,
    query: string,
    body: Buffer,
  ): Record<string, string> {
    const timestamp = Math.floor(Date.now() / 1000);
    // The action is signed too, so a captured request cannot be resent as another action (the SDKs leave
    // it out; see docs/security.md).
    const signed = { 'content-type': contentType, host: this.#url.host, 'x-tc-action': action };
    const { authorization } = signTc3({
      method,
      path: method === 'GET' ? STREAM_PATH : '/',
      query,
      headers: signed,
      body,
      timestamp,
      service: 'scf',
      secretId: this.#options.secretId,
      secretKey: this.#options.secretKey,
    });
    const headers: Record<string, string> = {
      ...signed,
      authorization,
      'x-tc-timestamp': String(timestamp),
      'x-tc-version': API_VERSION,
      'x-tc-requestclient': 'scf-local-cli',
    };
    if (this.#options.region) headers['x-tc-region'] = this.#options.region;
    return headers;
  }

  /** Calls one API 3.0 action; resolves with `Response` (minus nothing), rejects with ScfError. */
  async call<T = Json>(
    action: string,
    params: Json,
    options: CallOptions = {},
  ): Promise<T & { RequestId: string }> {
    if (this.#closed) throw new ScfError('InternalError', 'the API client is closed');
    const body = Buffer.from(JSON.stringify(params), 'utf8');
    const headers = this.#headers('POST', action, 'application/json', '', body);
    headers['content-length'] = String(body.byteLength);
    const lib = this.#url.protocol === 'https:' ? https : http;
    const text = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = lib.request(
        this.#url,
        {
          method: 'POST',
          path: '/',
          headers,
          agent: this.#agent,
          timeout: this.#options.timeoutMs ?? 330_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              type: String(res.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', (err) => reject(this.#unreachable(err)));
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => reject(this.#unreachable(err)));
      // Written in 1 MB slices so a large upload can report progress as the socket takes it.
      const slice = 1024 * 1024;
      let sent = 0;
      const pump = (): void => {
        while (sent < body.byteLength) {
          const chunk = body.subarray(sent, sent + slice);
          sent += chunk.byteLength;
          const more = req.write(chunk);
          options.onUploadProgress?.(sent, body.byteLength);
          if (!more) {
            req.once('drain', pump);
            return;
          }
        }
        req.end();
      };
      pump();
    });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text.body);
    } catch (err) {
      throw new ScfError(
        'InternalError',
        `${this.#url.origin} answered HTTP ${text.status} (${text.type || 'no content type'}), not an API 3.0 response; is it scf-local?`,
        { cause: err },
      );
    }
    const response = (parsed as { Response?: Json }).Response;
    if (typeof response !== 'object' || response === null) {
      throw new ScfError('InternalError', `${this.#url.origin} answered without a Response envelope`);
    }
    const error = response['Error'] as { Code?: string; Message?: string } | undefined;
    if (error) {
      const rid = typeof response['RequestId'] === 'string' ? response['RequestId'] : undefined;
      throw new RemoteError(error.Code ?? 'InternalError', error.Message ?? 'unknown error', rid);
    }
    return response as T & { RequestId: string };
  }

  /**
   * Opens the live-tail stream. Resolves with the response once the server accepted it (HTTP 200,
   * text/event-stream); rejects with the server's error otherwise. Destroy the response to disconnect.
   */
  async openStream(params: {
    functionName?: string;
    namespace?: string;
    cursor?: string;
  }): Promise<IncomingMessage> {
    const pairs: Array<[string, string]> = [];
    if (params.functionName) pairs.push(['FunctionName', params.functionName]);
    if (params.namespace) pairs.push(['Namespace', params.namespace]);
    if (params.cursor) pairs.push(['Cursor', params.cursor]);
    pairs.push(['Nonce', randomBytes(12).toString('hex')]);
    const query = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
    const headers = this.#headers(
      'GET',
      STREAM_ACTION,
      'application/x-www-form-urlencoded',
      query,
      Buffer.alloc(0),
    );
    headers['accept'] = 'text/event-stream';
    const lib = this.#url.protocol === 'https:' ? https : http;
    // A stream gets its own connection (no keep-alive agent): it lives until one side ends it.
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = lib.request(
        this.#url,
        { method: 'GET', path: `${STREAM_PATH}?${query}`, headers, agent: false },
        resolve,
      );
      req.on('error', (err) => reject(this.#unreachable(err)));
      req.end();
    });
    if (res.statusCode === 200 && String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
      res.socket.setNoDelay(true);
      return res;
    }
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    try {
      const error = (JSON.parse(body) as { Response?: { Error?: { Code?: string; Message?: string } } })
        .Response?.Error;
      if (error) throw new RemoteError(error.Code ?? 'InternalError', error.Message ?? 'unknown error');
    } catch (err) {
      if (err instanceof ScfError) throw err;
    }
    throw new ScfError(
      'InternalError',
      `${this.#url.origin}${STREAM_PATH} answered HTTP ${res.statusCode ?? 0}; does this server support live tail?`,
    );
  }

  /** Closes idle keep-alive connections. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#agent.destroy();
  }
}
