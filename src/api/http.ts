/**
 * The HTTP server: Fastify, bodies kept raw (signatures cover their exact bytes), each path handed to its
 * wire protocol. `/v2/index.php` is the legacy v2 API; `/` is API 3.0. Every API answer is HTTP 200 JSON.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { toScfError } from '../errors/index.js';
import type { ProtocolContext, ProtocolHandler, WireRequest } from './wire.js';

/** Bodies up to 70 MB: a 50 MB zip arrives base64-encoded inside a signed request. */
export const BODY_LIMIT_BYTES = 70 * 1024 * 1024;

export interface HttpServerOptions {
  context: ProtocolContext;
  v2: ProtocolHandler;
  v3: ProtocolHandler;
  /** Extra routes (e.g. the live-tail stream), registered after the API routes. */
  extend?: (app: FastifyInstance) => void;
}

/** A Fastify request as the protocols see it (also used by the live-tail stream to verify signatures). */
export function toWire(req: FastifyRequest): WireRequest {
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
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
  };
}

function sendJson(reply: FastifyReply, body: unknown): void {
  void reply
    .code(200)
    .header('content-type', 'application/json')
    .send(Buffer.from(JSON.stringify(body), 'utf8'));
}

export function createHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT_BYTES, return503OnClosing: true });
  // Keep every body as raw bytes; the protocols parse (and verify) them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const route = (handler: ProtocolHandler) => async (req: FastifyRequest, reply: FastifyReply) => {
    const res = await handler(toWire(req), options.context);
    // A Buffer body keeps Content-Type exactly `application/json`: Fastify appends `; charset=utf-8` to
    // strings, and the Python SDK reads error bodies only when the type is exactly application/json.
    void reply.code(res.status).headers(res.headers).send(Buffer.from(res.body, 'utf8'));
    return reply;
  };
  const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;
  app.route({ method: [...methods], url: '/v2/index.php', handler: route(options.v2) });
  app.route({ method: [...methods], url: '/', handler: route(options.v3) });
  app.get('/healthz', async () => ({ status: 'ok' }));

  // A protocol handler answers every error in its own envelope; this is the last resort for a fault
  // outside them (e.g. an unreadable body), answered as JSON with the 3.0 shape.
  app.setErrorHandler((err, _req, reply) => {
    const e = toScfError(err);
    const status = (err as { statusCode?: number }).statusCode;
    if (status === 413) {
      sendJson(reply, {
        Response: { Error: { Code: 'InvalidParameter', Message: 'request body too large' } },
      });
      return;
    }
    sendJson(reply, {
      Response: { Error: { Code: e.v3Code, Message: e.isUserError ? e.message : 'internal error' } },
    });
  });
  options.extend?.(app);
  return app;
}
