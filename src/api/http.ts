/**
 * The HTTP server: Fastify, bodies kept raw (signatures cover their exact bytes), each path handed to its
 * wire protocol. `/v2/index.php` is the legacy v2 API; `/` is API 3.0. Every API answer is HTTP 200 JSON.
 * Each API request passes admission (`admission.ts`) before and while its body is read.
 *
 * Fastify logs through the platform's logger. Each request is logged once, when its answer has been sent,
 * by `logRequest` (called by Fastify's LogController, instead of its own "incoming request" and "request
 * completed" lines): method, protocol, action, function, status, the answer's error code, duration and
 * request ids, the protocol's part coming with its answer (`WireResponse.log`). A fault none of the
 * protocols answered is logged here with Fastify's request id.
 *
 * Stopping (`Platform.close`): once Fastify's close begins, no connection is accepted, idle keep-alive
 * connections are closed, a request arriving on a busy one is answered 503, and every answer still to come
 * closes its connection once sent, so the server is gone as soon as its last answer is.
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { toScfError } from '../errors/index.js';
import type { Logger } from '../logger/index.js';
import { BodyBudget, createAdmission } from './admission.js';
import { v2Admission } from './protocol/v2/index.js';
import { v3Code } from './protocol/v3/errors.js';
import { v3Admission } from './protocol/v3/index.js';
import { STREAM_PATH } from './stream/protocol.js';
import type {
  ProtocolAdmission,
  ProtocolContext,
  ProtocolHandler,
  WireHead,
  WireLogFields,
  WireRequest,
  WireResponse,
} from './wire.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the protocol said about this request's answer, for its log line (`logRequest`); null until then. */
    apiLog: WireLogFields | null;
  }
}

export interface HttpServerOptions {
  context: ProtocolContext;
  /** The server's logger (pino; Fastify's own); the protocols report their faults through their options. */
  logger: FastifyBaseLogger;
  v2: ProtocolHandler;
  v3: ProtocolHandler;
  /** The protocols' admission checks (default the real ones). */
  v2Admission?: ProtocolAdmission;
  v3Admission?: ProtocolAdmission;
  /** Facts added to `/healthz` (whether functions are isolated). */
  health?: () => Record<string, unknown>;
  /**
   * Extra routes (the live-tail stream, the functions' HTTP endpoints), registered after the API routes,
   * given what they share with the API: the budget of request body bytes held at once.
   */
  extend?: (app: FastifyInstance, shared: { bodyBudget: BodyBudget }) => void;
}

/** A Fastify request as the protocols see it (also used by the live-tail stream to verify signatures). */
export function toWire(req: FastifyRequest): WireRequest {
  return { ...toHead(req), body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0) };
}

/** The request line and headers as the protocols see them (what admission checks before the body). */
export function toHead(req: FastifyRequest): WireHead {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return {
    method: req.method.toUpperCase(),
    host: headers['host'] ?? '',
    path: q >= 0 ? url.slice(0, q) : url,
    rawQuery: q >= 0 ? url.slice(q + 1) : '',
    headers,
  };
}

/** A refused body is read and dropped up to this many bytes: a small one ends and the connection stays. */
const DISCARD_BYTES = 64 * 1024;
/** How long a connection whose larger body was refused stays open (unread) so the client reads the answer. */
const LINGER_MS = 5000;

/**
 * When a refusal is sent before the body was read: read and drop up to DISCARD_BYTES of it, so a small
 * body ends and its keep-alive connection stays usable; past that, stop reading (only what is already in
 * the socket's buffers is taken, bounded by the stream's high-water mark) and close the connection a
 * moment after the answer. Closing at once would reset a connection with unread data, and the client
 * would see the reset instead of the answer; draining it (Node's default) would read the whole body.
 * Nothing of it is kept either way.
 */
export function closeUnread(raw: FastifyRequest['raw']): void {
  if (raw.complete) return;
  raw.removeAllListeners('data');
  let dropped = 0;
  let timer: NodeJS.Timeout | undefined;
  const onData = (chunk: Buffer): void => {
    dropped += chunk.length;
    if (dropped <= DISCARD_BYTES || timer) return;
    raw.off('data', onData);
    raw.pause();
    timer = setTimeout(() => raw.socket?.destroy(), LINGER_MS);
    timer.unref();
  };
  const clear = (): void => {
    if (timer) clearTimeout(timer);
  };
  raw.on('data', onData);
  raw.once('end', clear);
  raw.socket?.once('close', clear);
  // Reading also marks the body as consumed, so Node does not drain it once the answer is sent.
  raw.resume();
}

/** The protocol of each API route, as the request line names it. */
const PROTOCOLS: ReadonlyMap<string, string> = new Map([
  ['/v2/index.php', 'v2'],
  ['/', '3.0'],
  [STREAM_PATH, 'stream'],
]);

/** Health checks are polled: their lines are `debug`, so they do not drown the requests at `info`. */
const HEALTH_PATH = '/healthz';

/** Longest client-given name a request line repeats (SCF's names are at most 60 characters). */
const MAX_SAID = 128;

/**
 * A client-given name as a log line may repeat it: cut to MAX_SAID characters, and quoted (JSON) when it
 * holds a control character, so that a name with a line break cannot forge a line on a terminal.
 */
function asSaid(v: string): string {
  const cut = v.length > MAX_SAID ? `${v.slice(0, MAX_SAID)}...` : v;
  return /[\u0000-\u001f\u007f]/.test(cut) ? JSON.stringify(cut) : cut;
}

/**
 * Logs one request, once its answer is sent (for a live-tail stream: once it ends): at `info`, a message
 * that says it all (`POST 3.0 Invoke hello -> 200 ResourceNotFound.Function in 1.2 ms`) and the same as
 * fields (`method`, `protocol`, `action`, `functionName`, `status`, `code`, `durationMs`, `requestId`, ...),
 * with Fastify's `reqId`. Never the query string or the body (signatures, events). Costs nothing when
 * `info` is off.
 */
export function logRequest(request: FastifyRequest, reply: FastifyReply): void {
  const route = request.routeOptions.url;
  const level = route === HEALTH_PATH ? 'debug' : 'info';
  // A pino logger underneath (Fastify's type leaves isLevelEnabled out); a Fastify built without one (an
  // embedder's, or a test's) has a silent logger without it: nothing to write then.
  const log = request.log as unknown as Logger;
  if (typeof log.isLevelEnabled !== 'function' || !log.isLevelEnabled(level)) return;
  const s = request.apiLog;
  const protocol = route === undefined ? undefined : PROTOCOLS.get(route);
  const status = reply.raw.statusCode;
  const durationMs = Math.round(reply.elapsedTime * 10) / 10;
  const fields: Record<string, unknown> = { method: request.method };
  let what = request.method;
  if (protocol !== undefined) {
    fields['protocol'] = protocol;
    what += ` ${protocol}`;
  } else {
    const path = asSaid((request.raw.url ?? '/').split('?')[0]!);
    fields['path'] = path;
    what += ` ${path}`;
  }
  // What the client named (before it was authenticated, or refused as invalid) is said safely.
  if (s?.action !== undefined) fields['action'] = asSaid(s.action);
  if (s?.functionName !== undefined) fields['functionName'] = asSaid(s.functionName);
  if (s?.namespace !== undefined) fields['namespace'] = asSaid(s.namespace);
  if (fields['action'] !== undefined) what += ` ${fields['action']}`;
  if (fields['functionName'] !== undefined) {
    what += ` ${fields['namespace'] !== undefined ? `${fields['namespace']}/` : ''}${fields['functionName']}`;
  }
  fields['status'] = status;
  if (s?.code !== undefined) fields['code'] = s.code;
  if (s?.v2Code !== undefined) fields['v2Code'] = s.v2Code;
  fields['durationMs'] = durationMs;
  if (s?.requestId !== undefined) fields['requestId'] = s.requestId;
  if (s?.functionRequestId !== undefined) fields['functionRequestId'] = s.functionRequestId;
  log[level](fields, `${what} -> ${status}${s?.code ? ` ${s.code}` : ''} in ${durationMs} ms`);
}

/**
 * Fastify's request logging, replaced: no "incoming request" line, and `logRequest` instead of "request
 * completed". Its other request lines stay off (`disableRequestLogging`) as before: a route not found is
 * one request line (status 404), an error is the protocol's answer and, when a fault, its own report.
 */
class RequestLineController extends LogController {
  constructor() {
    super({ disableRequestLogging: true });
  }

  override incomingRequest(): void {}

  override requestCompleted(
    _err: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    logRequest(request, reply);
  }

  override serviceUnavailable(logger: FastifyBaseLogger): void {
    // Fastify answers a request that arrives on a kept-alive connection while the server stops, itself.
    logger.info({ status: 503 }, 'refused a request: the server is stopping (503)');
  }
}

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const limits = options.context.actions.config.api;
  const bodyBudget = new BodyBudget(limits.maxBufferedBodyBytes);
  const admission = createAdmission(limits, options.context, { budget: bodyBudget });
  const protocols = {
    v2: options.v2Admission ?? v2Admission,
    v3: options.v3Admission ?? v3Admission,
  };
  const app = Fastify({
    loggerInstance: options.logger,
    // One line per request, when it is answered (`logRequest`).
    logController: new RequestLineController(),
    bodyLimit: limits.maxUploadBodyBytes,
    return503OnClosing: true,
    // A request target in absolute form (`POST http://scf.tencentcloudapi.com/?a=b HTTP/1.1`), as a client
    // configured with a proxy sends it, is the same resource as its path and query (RFC 9112 §3.2.2):
    // routed, and signed, as `/?a=b`.
    rewriteUrl: (req) => originForm(req.url ?? '/'),
  });
  app.decorateRequest('apiLog', null);
  /** Set when the server begins to stop: from then on every answer closes its connection once sent. */
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });

  /** A protocol's whole response, sent as bytes (see the note in `route`); its log fields kept for its line. */
  const sendWire = (reply: FastifyReply, res: WireResponse): void => {
    if (res.log) reply.request.apiLog = res.log;
    if (closing) void reply.header('connection', 'close');
    void reply.code(res.status).headers(res.headers).send(Buffer.from(res.body, 'utf8'));
  };
  const sendJson = (
    reply: FastifyReply,
    body: { Response: { Error: { Code: string; Message: string } } },
  ): void => {
    reply.request.apiLog = { code: body.Response.Error.Code };
    if (closing) void reply.header('connection', 'close');
    void reply
      .code(200)
      .header('content-type', 'application/json')
      .send(Buffer.from(JSON.stringify(body), 'utf8'));
  };
  // Keep every body as raw bytes, read within the request's admitted limits; the protocols parse (and
  // verify) them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (req, payload, done) => {
    admission.readBody(req.raw, payload).then(
      (body) => done(null, body),
      (err: Error) => done(err, undefined),
    );
  });

  const admit = (protocol: ProtocolAdmission) => async (req: FastifyRequest, reply: FastifyReply) => {
    // The budget a request holds is given back once its response is sent (or its connection is gone).
    reply.raw.once('close', () => admission.done(req.raw));
    const refusal = admission.check(req.raw, toHead(req), protocol);
    if (refusal) {
      // The body is never read: the connection closes shortly after the answer.
      closeUnread(req.raw);
      sendWire(reply, refusal);
      return reply;
    }
    return undefined;
  };
  const route = (handler: ProtocolHandler) => async (req: FastifyRequest, reply: FastifyReply) => {
    const res = await handler(toWire(req), options.context);
    // A Buffer body keeps Content-Type exactly `application/json`: Fastify appends `; charset=utf-8` to
    // strings, and the Python SDK reads error bodies only when the type is exactly application/json.
    sendWire(reply, res);
    return reply;
  };
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;
  app.route({
    method: [...methods],
    url: '/v2/index.php',
    onRequest: admit(protocols.v2),
    handler: route(options.v2),
  });
  app.route({ method: [...methods], url: '/', onRequest: admit(protocols.v3), handler: route(options.v3) });
  app.get(HEALTH_PATH, async (_req, reply) => {
    if (closing) void reply.header('connection', 'close');
    return { status: 'ok', ...(options.health?.() ?? {}) };
  });

  // A protocol handler answers every error in its own envelope; this is the last resort for a fault
  // outside them: a body refused while it streamed in (answered in the route's protocol envelope), or
  // e.g. an unreadable body (the 3.0 shape).
  app.setErrorHandler((err, req, reply) => {
    const path = (req.raw.url ?? '/').split('?')[0];
    const protocol = path === '/v2/index.php' ? protocols.v2 : path === '/' ? protocols.v3 : undefined;
    const e = toScfError(err);
    if (protocol && e.code !== 'InternalError') {
      // Fastify asks to close at once after a body it could not read; `closeUnread` does, a moment later.
      reply.removeHeader('connection');
      closeUnread(req.raw);
      sendWire(reply, protocol.errorResponse(e));
      return;
    }
    const status = (err as { statusCode?: number }).statusCode;
    // A fault of the server's own: not Fastify refusing a malformed request (4xx), nor a client that went
    // away while its body was read (nobody gets this answer, and nothing failed here).
    if (e.code === 'InternalError' && (status === undefined || status >= 500) && !req.raw.destroyed) {
      req.log.error({ err }, 'internal error outside the API protocols');
    }
    if (status === 413) {
      sendJson(reply, {
        Response: { Error: { Code: 'RequestSizeLimitExceeded', Message: 'request body too large' } },
      });
      return;
    }
    sendJson(reply, {
      Response: { Error: { Code: v3Code(e), Message: e.isUserError ? e.message : 'internal error' } },
    });
  });
  options.extend?.(app, { bodyBudget });
  return app;
}

/** `http://host[:port]/path?q` -> `/path?q`; any other target unchanged. */
export function originForm(target: string): string {
  const m = /^https?:\/\/[^/?#]*(.*)$/i.exec(target);
  if (!m) return target;
  const rest = m[1] ?? '';
  return rest.startsWith('/') ? rest : `/${rest}`;
}
