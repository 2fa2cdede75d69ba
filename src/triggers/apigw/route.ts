/**
 * The functions' HTTP endpoints: `/apigw/<namespace>/<function>/<path…>`, every method, no signature (a
 * public endpoint, as API Gateway's is). A request there is one synchronous invocation through the
 * Invoker, so it is recorded like any other (GetFunctionLogs, the live tail):
 *
 * - a web function (`Type: "HTTP"`) answers at its URL without a trigger (SCF gives it a URL): the request
 *   is replayed to its server as it came (`runtime/web/`);
 * - an Event function answers when it has an enabled trigger of type `apigw` whose method is the
 *   request's (or `ANY`): the request becomes SCF's API Gateway event (`event.ts`) and the result the
 *   answer (`response.ts`);
 * - anything else is refused before the body is read: 404 (no such function, or no enabled apigw trigger;
 *   a closed trigger's URL answers nothing), 405 (a method no trigger takes), 413 (a body over SCF's 6 MB
 *   limit of a synchronous invocation); 429 when the function's instances and queue are full, or the
 *   server holds as many request bodies as it may (`api.maxBufferedBodyBytes`, shared with the API).
 *
 * `/apigw/` is its own prefix so it never meets the API's paths (`/`, `/v2/index.php`, `/healthz`,
 * `/stream/...`). The route family is a Fastify plugin of its own: its bodies are read as raw bytes with
 * its own limit, and its errors are answered in its own JSON (`response.ts`), never the API's envelope.
 */
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { BodyBudget } from '../../api/admission.js';
import { logRequest } from '../../api/http.js';
import { LATEST, MAX_SYNC_EVENT_BYTES } from '../../api/operations/limits.js';
import { type ScfError, toScfError } from '../../errors/index.js';
import type { FunctionRegistry } from '../../functions/registry.js';
import type { FunctionDefinition } from '../../functions/types.js';
import type { Invoker } from '../../invocations/invoker.js';
import type { FaultReport } from '../../logger/index.js';
import type { TriggerDefinition } from '../types.js';
import { type ApigwConfig, derivedServiceId, parseApigwDesc } from './desc.js';
import { apigwEvent, type HttpRequestParts, webEvent } from './event.js';
import {
  ERROR_TYPE_HEADER,
  errorAnswer,
  failureAnswer,
  type HttpAnswer,
  REQUEST_ID_HEADER,
  successAnswer,
} from './response.js';

/** The prefix of every function's URL. */
export const APIGW_PREFIX = '/apigw';

/** The path of a function's URL on the server (`/apigw/default/hello`); its own paths go below it. */
export function functionUrlPath(namespace: string, functionName: string): string {
  return `${APIGW_PREFIX}/${encodeURIComponent(namespace)}/${encodeURIComponent(functionName)}`;
}

/** API Gateway's own request id header (`requestContext.requestId` of the event). */
const API_REQUEST_ID_HEADER = 'x-api-requestid';

export interface ApigwRouteOptions {
  functions: FunctionRegistry;
  invoker: Invoker;
  /** Request body bytes held at once by all requests together (shared with the API's admission). */
  bodyBudget: BodyBudget;
  /** Where faults of the platform met while answering are reported. */
  onInternalError: FaultReport;
}

/** What a request to a function's URL runs, decided from its request line before its body is read. */
type Target =
  | { kind: 'web'; def: FunctionDefinition; path: string; rawQuery: string }
  | {
      kind: 'apigw';
      def: FunctionDefinition;
      path: string;
      rawQuery: string;
      trigger: TriggerDefinition;
      config: ApigwConfig;
    };

/** A refusal decided before or while the body is read: answered as is. */
class Refusal extends Error {
  constructor(readonly answer: HttpAnswer) {
    super('refused');
  }
}

const refuse = (status: number, message: string): Refusal =>
  new Refusal(errorAnswer(status, 'ScfCommonError', { message }));

/** The answer to a coded error from the registry or the Invoker. */
function answerOfError(e: ScfError, report: FaultReport): HttpAnswer {
  switch (e.code) {
    case 'FunctionNotFound':
    case 'NamespaceNotFound':
    // The trigger's version or alias was deleted since.
    case 'VersionNotFound':
    case 'AliasNotFound':
      return errorAnswer(404, 'ScfCommonError', { message: e.message });
    case 'ConcurrencyLimitReached':
      return errorAnswer(429, 'ScfCommonError', { message: e.message, statusCode: 432 });
    case 'StoreUnavailable':
      return errorAnswer(503, 'ScfSysError', { message: e.message });
    default:
      report(e);
      return errorAnswer(500, 'ScfSysError', { message: 'internal error' });
  }
}

/** The function's enabled apigw triggers (stored in its definition), with their configurations. */
function apigwTriggers(def: FunctionDefinition): { trigger: TriggerDefinition; config: ApigwConfig }[] {
  return def.triggers
    .filter((t) => t.type === 'apigw' && t.enable)
    .map((trigger) => ({ trigger, config: parseApigwDesc(trigger.triggerDesc) }));
}

/** Splits `/apigw/<ns>/<fn>/<rest>?<query>`; undefined when the URL names no function. */
function splitUrl(
  url: string,
): { namespace: string; functionName: string; path: string; rawQuery: string } | undefined {
  const q = url.indexOf('?');
  const pathname = q >= 0 ? url.slice(0, q) : url;
  const rawQuery = q >= 0 ? url.slice(q + 1) : '';
  const rest = pathname.slice(APIGW_PREFIX.length + 1);
  const [ns, fn] = rest.split('/', 2);
  if (!ns || !fn) return undefined;
  try {
    return {
      namespace: decodeURIComponent(ns),
      functionName: decodeURIComponent(fn),
      path: rest.slice(ns.length + 1 + fn.length) || '/',
      rawQuery,
    };
  } catch {
    return undefined;
  }
}

/**
 * Reads a body within SCF's limit and the shared budget; rejects with a Refusal beyond either. What it
 * takes of the budget is counted in `held` (given back when the answer is sent, see the route).
 */
function readBody(
  raw: IncomingMessage,
  budget: BodyBudget,
  held: WeakMap<IncomingMessage, number>,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (err: Refusal): void => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      chunks.length = 0;
      reject(err);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > MAX_SYNC_EVENT_BYTES) {
        stop(tooLarge(`over ${MAX_SYNC_EVENT_BYTES} bytes`));
        return;
      }
      if (!budget.take(chunk.length)) {
        stop(busy());
        return;
      }
      held.set(raw, (held.get(raw) ?? 0) + chunk.length);
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      raw.off('data', onData);
      resolve(Buffer.concat(chunks, size));
    };
    raw.on('data', onData);
    raw.once('end', onEnd);
  });
}

const tooLarge = (size: string): Refusal =>
  refuse(
    413,
    `the request body (${size}) is larger than ${MAX_SYNC_EVENT_BYTES} bytes, the limit of a synchronous invocation`,
  );

const busy = (): Refusal =>
  refuse(
    429,
    'the server is holding as many request bodies as it may (api.maxBufferedBodyBytes); retry later',
  );

/**
 * How long a connection whose body was refused unread stays open after the answer (its further bytes read
 * and dropped), so that the client reads the answer before the connection is gone: a lingering close.
 */
const LINGER_MS = 2000;

/** True when the request has a body that was not read to its end. */
function bodyLeft(raw: IncomingMessage): boolean {
  const length = raw.headers['content-length'];
  const hasBody = raw.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  return hasBody && !raw.complete;
}

/**
 * Sends a refusal on a connection whose request body is not (all) read, then closes it: the answer says
 * `Connection: close`, so the client never sends another request behind the unread bytes; the server's
 * side is shut for writing at once and the connection is ended once the client is done, or after
 * LINGER_MS (written to the socket directly: Node's own close after a `Connection: close` answer would
 * reset the connection while the client still sends, and the client would see the reset, not the answer).
 */
function sendAndClose(req: FastifyRequest, reply: FastifyReply, answer: HttpAnswer): void {
  const raw = req.raw;
  const socket = raw.socket;
  void reply.hijack();
  const lines = [`HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status] ?? ''}`];
  for (const [name, value] of answer.headers) lines.push(`${name}: ${value}`);
  lines.push(
    `content-length: ${answer.body.length}`,
    'connection: close',
    `date: ${new Date().toUTCString()}`,
  );
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  // What is left of the body is read and dropped, never kept.
  raw.removeAllListeners('data');
  raw.on('data', () => {});
  raw.resume();
  socket.end(req.method === 'HEAD' ? head : Buffer.concat([head, answer.body]));
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  // Fastify logs a request once its answer is sent through it; this one went around it.
  reply.raw.statusCode = answer.status;
  logRequest(req, reply);
}

/** Sends an answer; the request id header(s) when an invocation ran. */
function send(
  reply: FastifyReply,
  answer: HttpAnswer,
  ids: { requestId?: string; apiRequestId?: string },
): void {
  const grouped = new Map<string, string[]>();
  for (const [name, value] of answer.headers) {
    const had = grouped.get(name);
    if (had) had.push(value);
    else grouped.set(name, [value]);
  }
  if (ids.requestId !== undefined) grouped.set(REQUEST_ID_HEADER, [ids.requestId]);
  if (ids.apiRequestId !== undefined) grouped.set(API_REQUEST_ID_HEADER, [ids.apiRequestId]);
  reply.code(answer.status);
  for (const [name, values] of grouped) void reply.header(name, values.length === 1 ? values[0] : values);
  const type = grouped.get(ERROR_TYPE_HEADER)?.[0];
  if (type !== undefined) reply.request.apiLog = { ...reply.request.apiLog, code: type };
  void reply.send(answer.body);
}

/** Registers the route family `/apigw/*` (a plugin: its own body parser and error answers). */
export function registerApigwRoutes(app: FastifyInstance, options: ApigwRouteOptions): void {
  const { functions, invoker, bodyBudget } = options;
  const targets = new WeakMap<FastifyRequest, Target>();
  /** Budget bytes each request holds, until its answer is sent (or its connection is gone). */
  const held = new WeakMap<IncomingMessage, number>();

  /** Decides what the request runs, or refuses it (thrown Refusal), from its request line alone. */
  const resolveTarget = async (req: FastifyRequest): Promise<Target> => {
    const where = splitUrl(req.raw.url ?? '');
    if (!where) {
      throw refuse(404, `a function's URL is ${APIGW_PREFIX}/<namespace>/<function>/<path>`);
    }
    req.apiLog = { namespace: where.namespace, functionName: where.functionName };
    let def: FunctionDefinition;
    try {
      // A function deployed through another node of a shared catalog is seen here.
      await functions.sync();
      def = functions.get(where.functionName, where.namespace);
    } catch (err) {
      throw new Refusal(answerOfError(toScfError(err), options.onInternalError));
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_SYNC_EVENT_BYTES) throw tooLarge(`${declared} bytes`);
    const { path, rawQuery } = where;
    if (def.type === 'HTTP') return { kind: 'web', def, path, rawQuery };
    const triggers = apigwTriggers(def);
    const name = `${def.namespace}/${def.functionName}`;
    if (triggers.length === 0)
      throw refuse(404, `function ${name} has no enabled API Gateway (apigw) trigger`);
    const method = req.method.toUpperCase();
    const match = triggers.find(({ config }) => config.method === 'ANY' || config.method === method);
    if (!match) {
      const allowed = [...new Set(triggers.map(({ config }) => config.method))];
      const refusal = refuse(405, `function ${name} takes ${allowed.join(', ')} requests, not ${method}`);
      refusal.answer.headers.push(['allow', allowed.join(', ')]);
      throw refusal;
    }
    return { kind: 'apigw', def, path, rawQuery, ...match };
  };

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (req, _payload, done) => {
      readBody(req.raw, bodyBudget, held).then(
        (body) => done(null, body),
        (err: Error) => done(err, undefined),
      );
    });

    scope.setErrorHandler((err, req, reply) => {
      let answer: HttpAnswer;
      if (err instanceof Refusal) answer = err.answer;
      else {
        const status = (err as { statusCode?: number }).statusCode;
        // Fastify's own refusals of a malformed request (a bad Content-Type, say) are the client's.
        answer =
          status !== undefined && status >= 400 && status < 500
            ? errorAnswer(status, 'ScfCommonError', { message: (err as Error).message })
            : answerOfError(toScfError(err), options.onInternalError);
      }
      const type = answer.headers.find(([name]) => name === ERROR_TYPE_HEADER)?.[1];
      if (type !== undefined) req.apiLog = { ...req.apiLog, code: type };
      // A body left unread: the connection cannot carry another request.
      if (bodyLeft(req.raw)) sendAndClose(req, reply, answer);
      else {
        reply.removeHeader('connection');
        send(reply, answer, {});
      }
    });

    scope.all(
      `${APIGW_PREFIX}/*`,
      {
        onRequest: async (req, reply) => {
          reply.raw.once('close', () => {
            bodyBudget.give(held.get(req.raw) ?? 0);
            held.delete(req.raw);
          });
          targets.set(req, await resolveTarget(req));
        },
      },
      async (req, reply) => {
        const target = targets.get(req)!;
        const parts: HttpRequestParts = {
          method: req.method.toUpperCase(),
          path: target.path,
          rawQuery: target.rawQuery,
          rawHeaders: req.raw.rawHeaders,
          body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
          sourceIp: req.ip,
        };
        const { def } = target;
        let event: string;
        let apiRequestId: string | undefined;
        let qualifier = LATEST;
        if (target.kind === 'web') event = JSON.stringify(webEvent(parts));
        else {
          apiRequestId = randomUUID();
          const serviceId =
            target.config.serviceId ??
            derivedServiceId(def.namespace, def.functionName, target.trigger.triggerName);
          event = JSON.stringify(
            apigwEvent(parts, { config: target.config, serviceId, requestId: apiRequestId }),
          );
          qualifier = target.trigger.qualifier || LATEST;
        }
        let outcome: Awaited<ReturnType<Invoker['invoke']>>;
        try {
          outcome = await invoker.invoke({
            functionName: def.functionName,
            namespace: def.namespace,
            qualifier,
            event,
          });
        } catch (err) {
          send(reply, answerOfError(toScfError(err), options.onInternalError), {});
          return reply;
        }
        const record = outcome.record!;
        req.apiLog = { ...req.apiLog, functionRequestId: record.requestId };
        const answer =
          record.retCode === 0
            ? successAnswer(record, {
                integratedResponse: target.kind === 'web' || target.config.integratedResponse,
              })
            : failureAnswer(record, def);
        send(reply, answer, {
          requestId: record.requestId,
          ...(apiRequestId !== undefined ? { apiRequestId } : {}),
        });
        return reply;
      },
    );
  });
}
