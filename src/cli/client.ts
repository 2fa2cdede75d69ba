/**
 * The CLI's API client: API 3.0 over HTTP(S), TC3-HMAC-SHA256 signed, like any SDK (no SDK dependency at
 * run time). `call()` is one action (`POST /`, JSON body, `{"Response": ...}` envelope); `openStream()` opens
 * the live-tail stream (`GET /stream/logs`, signed the same way). Uses node's http/https so large uploads
 * can report progress. Remote errors come back as ScfError carrying the server's API 3.0 code.
 *
 * Why one file of ~470 lines: every call goes through one request path (signing with its nonce header, the
 * upload with progress, and the recovery of an answer the server sent while refusing an upload that was
 * still being written), and those three share the connection's state; split, each would need the others'
 * internals.
 */
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { V3_CODES } from '../api/protocol/v3/errors.js';
import { STREAM_ACTION, STREAM_PATH } from '../api/stream/protocol.js';
import { type ErrorCode, ScfError } from '../errors/index.js';
import { signTc3 } from './tc3.js';

export const API_VERSION = '2018-04-16';
/**
 * A random value signed into every request. TC3 has no nonce: two identical requests signed in the same
 * second carry the same signature, and the server refuses the second write as a replay (`dev --invoke`
 * sends the same Invoke after each redeploy; a script may too). Signing one extra header of fresh random
 * bytes makes each request's signature its own; the server verifies whatever headers are signed, and any
 * other TC3 server ignores a header it does not know.
 */
export const NONCE_HEADER = 'x-scf-local-nonce';
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:9000';
/** The console's sign-in route and action (the server's src/api/console/ defines them). */
const CONSOLE_LOGIN_PATH = '/console/login';
const CONSOLE_LOGIN_ACTION = 'CreateConsoleLogin';

export interface ClientOptions {
  /** `http://host:port` (a bare `host:port` means http). */
  endpoint: string;
  secretId: string;
  secretKey: string;
  region?: string;
  /** Per-request timeout for actions (not streams). Default 330 s: Invoke waits up to SCF's 300 s. */
  timeoutMs?: number;
  /** Clock for X-TC-Timestamp (epoch ms), for tests. Default Date.now. */
  now?: () => number;
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

export type Json = Record<string, unknown>;

/** An HTTP answer as read. */
interface RawAnswer {
  status: number;
  type: string;
  body: string;
}

/**
 * Bodies larger than this that fail to send may have been refused from their headers (the server reads
 * and drops a refused body up to 64 KB, keeping the connection; a larger one it does not read).
 */
const LOST_ANSWER_MIN_BYTES = 64 * 1024;
/** How long the headers sent again wait for a refusal (one comes at once; no answer means no refusal). */
const HEADERS_ANSWER_WAIT_MS = 3000;

/** The connection failed while the body was being sent, with no answer read. */
class LostAnswer extends Error {
  readonly code: string;
  readonly sent: number;

  constructor(cause: NodeJS.ErrnoException, sent: number) {
    super(cause.message, { cause });
    this.code = cause.code ?? 'unknown';
    this.sent = sent;
  }
}

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
    path: string = method === 'GET' ? STREAM_PATH : '/',
  ): Record<string, string> {
    const timestamp = Math.floor((this.#options.now ?? Date.now)() / 1000);
    // The action is signed too, so a captured request cannot be resent as another action (the SDKs leave
    // it out; see docs/security.md). The nonce makes each request's signature unique (see NONCE_HEADER).
    const signed = {
      'content-type': contentType,
      host: this.#url.host,
      'x-tc-action': action,
      [NONCE_HEADER]: randomBytes(16).toString('hex'),
    };
    const { authorization } = signTc3({
      method,
      path,
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
    return this.callWithBody<T>(action, Buffer.from(JSON.stringify(params), 'utf8'), options);
  }

  /** `call` with the parameters already written as a JSON body (a code upload assembles its own). */
  async callWithBody<T = Json>(
    action: string,
    body: Buffer,
    options: CallOptions = {},
  ): Promise<T & { RequestId: string }> {
    if (this.#closed) throw new ScfError('InternalError', 'the API client is closed');
    const text = await this.#post(action, body, options);
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
   * Sends one POST and reads its answer.
   *
   * The server may answer before it has read the body: admission refuses a body over the action's limit,
   * a request it will not take (unknown key, busy) from the headers alone, and closes the connection
   * rather than read the rest. That answer is the outcome; failing to send the rest is not news. Node can
   * lose such an answer, though: a write that fails on the closed connection before the socket is read
   * destroys the socket with the answer unread in it. Then the request's headers are sent again, freshly
   * signed, without the body: a server that refused them answers the same refusal at once.
   */
  async #post(action: string, body: Buffer, options: CallOptions): Promise<RawAnswer> {
    try {
      return await this.#send(action, body, options);
    } catch (err) {
      if (!(err instanceof LostAnswer)) throw err;
      const again = await this.#askWithoutBody(action, body);
      if (again) return again;
      throw new ScfError(
        'ServerUnreachable',
        `the connection to scf-local at ${this.#url.origin} closed while the request was being sent ` +
          `(${err.sent} of ${body.byteLength} bytes sent; ${err.code}), without an answer; the server is up ` +
          'and does not refuse this request from its headers, so the connection was cut on the way',
        { cause: err.cause },
      );
    }
  }

  #send(action: string, body: Buffer, options: CallOptions): Promise<RawAnswer> {
    const headers = this.#headers('POST', action, 'application/json', '', body);
    headers['content-length'] = String(body.byteLength);
    const lib = this.#url.protocol === 'https:' ? https : http;
    return new Promise<RawAnswer>((resolve, reject) => {
      /** The server has begun to answer: from here on the answer decides, not the upload. */
      let answered = false;
      /** Bytes of the body written; the rest is not sent once the server has answered. */
      let written = 0;
      /** Bytes of the body taken by the connection (what progress reports). */
      let sent = 0;
      /** A connection lost while a large body was being sent may have carried a refusal: ask again. */
      const fail = (err: NodeJS.ErrnoException): void => {
        if (body.byteLength > LOST_ANSWER_MIN_BYTES && (err.code === 'EPIPE' || err.code === 'ECONNRESET')) {
          reject(new LostAnswer(err, sent));
        } else {
          reject(this.#unreachable(err));
        }
      };
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
          answered = true;
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            // An answer before the whole body was sent leaves the request unfinished: its connection
            // cannot carry another request.
            if (written < body.byteLength) req.destroy();
            resolve({
              status: res.statusCode ?? 0,
              type: String(res.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
          // An answer cut short is as good as lost.
          res.on('error', fail);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // Sending failed because the server answered and closed the connection: the answer (complete,
        // or cut short and reported by the response's own error) is what counts.
        if (!answered) fail(err);
      });
      // Written in slices of 1% (at least 64 KB), so progress moves in even steps as the connection takes
      // them; each slice is counted once the socket has accepted it, not when it is queued.
      const slice = Math.max(64 * 1024, Math.ceil(body.byteLength / 100));
      const pump = (): void => {
        while (written < body.byteLength && !answered) {
          const chunk = body.subarray(written, written + slice);
          written += chunk.byteLength;
          const more = req.write(chunk, (err) => {
            if (err) return; // reported by the request's 'error'
            sent += chunk.byteLength;
            options.onUploadProgress?.(sent, body.byteLength);
          });
          if (!more) {
            req.once('drain', pump);
            return;
          }
        }
        if (!answered) req.end();
      };
      pump();
    });
  }

  /**
   * The request's headers again (freshly signed, same body hash and length) without its body: the answer
   * of a server that refuses them, or undefined when it waits for the body (it would take the request).
   */
  #askWithoutBody(action: string, body: Buffer): Promise<RawAnswer | undefined> {
    const headers = this.#headers('POST', action, 'application/json', '', body);
    headers['content-length'] = String(body.byteLength);
    const lib = this.#url.protocol === 'https:' ? https : http;
    return new Promise<RawAnswer | undefined>((resolve, reject) => {
      let settled = false;
      const req = lib.request(this.#url, { method: 'POST', path: '/', headers, agent: false });
      const finish = (answer: RawAnswer | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        resolve(answer);
      };
      const timer = setTimeout(() => finish(undefined), HEADERS_ANSWER_WAIT_MS);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          finish({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', () => finish(undefined));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        if (err.code === 'ECONNREFUSED') {
          settled = true;
          clearTimeout(timer);
          reject(this.#unreachable(err));
        } else {
          finish(undefined);
        }
      });
      req.flushHeaders();
    });
  }

  /**
   * What runs functions of `runtime` when it is not the version the name says (`Node.js v20.20.2` for
   * `Nodejs16.13`), from the server's `/healthz`; undefined when it is, or the server does not say.
   */
  async runsOn(runtime: string): Promise<string | undefined> {
    return runsOnIn(await this.health().catch(() => undefined), runtime);
  }

  /**
   * The server's `/healthz` facts (unsigned), or undefined when it gives none (not scf-local, or one that
   * does not have the route). Rejects only when the server cannot be reached.
   */
  async health(): Promise<Json | undefined> {
    const lib = this.#url.protocol === 'https:' ? https : http;
    const answer = await new Promise<RawAnswer>((resolve, reject) => {
      const req = lib.request(
        this.#url,
        {
          method: 'GET',
          path: '/healthz',
          headers: { accept: 'application/json' },
          agent: this.#agent,
          timeout: 30_000,
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
      req.end();
    });
    if (answer.status !== 200) return undefined;
    try {
      const parsed: unknown = JSON.parse(answer.body);
      return typeof parsed === 'object' && parsed !== null ? (parsed as Json) : undefined;
    } catch {
      // Not JSON: not an scf-local health answer, so it says nothing about limits.
      return undefined;
    }
  }

  /**
   * Opens the live-tail stream. Resolves with the response once the server accepted it (HTTP 200,
   * text/event-stream); rejects with the server's error otherwise. Destroy the response to disconnect.
   */
  async openStream(params: {
    functionName?: string;
    namespace?: string;
    /** Only these versions (never an alias: the stream selects by the version that ran). */
    versions?: readonly string[];
    cursor?: string;
  }): Promise<IncomingMessage> {
    const pairs: Array<[string, string]> = [];
    if (params.functionName) pairs.push(['FunctionName', params.functionName]);
    if (params.namespace) pairs.push(['Namespace', params.namespace]);
    if (params.versions && params.versions.length > 0) pairs.push(['Qualifier', params.versions.join(',')]);
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

  /**
   * Asks the server for a one-time sign-in code for its web console (`POST /console/login`, signed over
   * that path; see src/api/console/): the console exchanges it once for this client's key pair.
   */
  async createConsoleLogin(): Promise<{ code: string; expiresInSeconds: number }> {
    const body = Buffer.from(JSON.stringify({ Nonce: randomBytes(16).toString('hex') }), 'utf8');
    const headers = this.#headers(
      'POST',
      CONSOLE_LOGIN_ACTION,
      'application/json',
      '',
      body,
      CONSOLE_LOGIN_PATH,
    );
    let res: Response;
    try {
      // fetch sends the Host it was signed with (the endpoint's host) itself.
      const { host: _host, ...sent } = headers;
      res = await fetch(`${this.#url.origin}${CONSOLE_LOGIN_PATH}`, { method: 'POST', headers: sent, body });
    } catch (err) {
      throw this.#unreachable((err as { cause?: unknown }).cause ?? err);
    }
    const text = await res.text();
    let response: Json | undefined;
    try {
      response = (JSON.parse(text) as { Response?: Json }).Response;
    } catch {
      // Not JSON: an older scf-local (no console) or another server; said below.
    }
    if (response === undefined) {
      throw new ScfError(
        'UnsupportedOperation',
        `${this.#url.origin}${CONSOLE_LOGIN_PATH} answered HTTP ${res.status}; does this server have the console?`,
      );
    }
    const error = response['Error'] as { Code?: string; Message?: string } | undefined;
    if (error) throw new RemoteError(error.Code ?? 'InternalError', error.Message ?? 'unknown error');
    return { code: String(response['Code']), expiresInSeconds: Number(response['ExpiresInSeconds']) };
  }

  /** Closes idle keep-alive connections. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#agent.destroy();
  }
}

/** What a `/healthz` answer says runs functions of `runtime` (its `runsOn` map), or undefined. */
export function runsOnIn(health: Json | undefined, runtime: string): string | undefined {
  const map = health?.['runsOn'];
  const on = typeof map === 'object' && map !== null ? (map as Json)[runtime] : undefined;
  return typeof on === 'string' ? on : undefined;
}
