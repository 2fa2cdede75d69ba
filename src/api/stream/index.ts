/**
 * The live-tail endpoint, `GET /stream/logs` (protocol in `protocol.ts`): Server-Sent Events fed by the
 * invocation event hub, authenticated by the API 3.0 signature check (TC3 over the GET request) plus a
 * single-use nonce, so it is never open and a captured URL cannot be replayed.
 *
 * A slow client never slows invocations: `publish` only appends to this connection's socket buffer, and
 * once more than `maxBufferedBytes` are waiting there the connection is ended with an explicit `overflow`
 * frame naming the last cursor written, from which the client resumes (from the ring, or through the query
 * API when even that is gone). Every stream is ended with a `close` frame before the server closes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScfError, toScfError } from '../../errors/index.js';
import { isVersionName } from '../../functions/versions.js';
import type { EventFilter, HubEvent, InvocationEventHub } from '../../invocations/events.js';
import { logRequest, toWire } from '../http.js';
import { authenticate } from '../protocol/v3/auth.js';
import { v3Code, v3Error } from '../protocol/v3/errors.js';
import type { ProtocolContext } from '../wire.js';
import { type EndFrame, formatFrame, STREAM_ACTION, STREAM_PATH } from './protocol.js';

export type * from './protocol.js';
export { STREAM_ACTION, STREAM_PATH } from './protocol.js';

export interface LogStreamOptions {
  hub: InvocationEventHub;
  context: ProtocolContext;
  /** Offset of the API's time zone, told to clients in `ready`. */
  apiTimeZoneOffsetMinutes: number;
  /** Bytes queued for one client before it is cut off with `overflow`. Default 16 MB. */
  maxBufferedBytes?: number;
  /** Interval of keep-alive comments. Default 15 s. */
  heartbeatMs?: number;
}

export const DEFAULT_MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** HTTP status of a refused stream: the body is the API 3.0 error envelope. */
function statusOf(err: ScfError): number {
  if (v3Code(err).startsWith('AuthFailure')) return 401;
  return err.isUserError ? 400 : 500;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * `Qualifier`: one version or several separated by commas (`1`, `$LATEST`, `1,2`). An alias is refused
 * rather than matched against nothing: the hub knows which version ran, not which alias routed it.
 */
export function parseStreamQualifier(value: string): string[] {
  const versions = value.split(',').map((v) => v.trim());
  for (const v of versions) {
    if (!isVersionName(v)) {
      throw new ScfError(
        'InvalidParameterValue',
        `Qualifier selects versions on ${STREAM_PATH} ($LATEST or a version number, several separated by commas); ` +
          `got ${JSON.stringify(v)} (resolve an alias to its versions with GetAlias first)`,
        { field: 'Qualifier' },
      );
    }
  }
  return [...new Set(versions)];
}

/** Registers `GET /stream/logs`; ends every open stream (with `close`) when the server closes. */
export function registerLogStream(app: FastifyInstance, options: LogStreamOptions): void {
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const open = new Set<(reason: string) => void>();

  // Fastify waits for in-flight requests on close; a stream never finishes by itself, so end them first.
  app.addHook('preClose', (done) => {
    for (const end of [...open]) end('server-stopping');
    done();
  });

  app.get(STREAM_PATH, (req: FastifyRequest, reply: FastifyReply) => {
    let filter: EventFilter;
    let after: string | undefined;
    try {
      const call = authenticate(toWire(req), options.context);
      if (call.action !== STREAM_ACTION) {
        throw new ScfError('InvalidAction', `X-TC-Action must be ${STREAM_ACTION} on ${STREAM_PATH}`);
      }
      const nonce = str(call.params['Nonce']);
      if (nonce === undefined) {
        throw new ScfError(
          'MissingParameter',
          'Nonce is required: every stream request must be signed afresh',
          { field: 'Nonce' },
        );
      }
      // Keyed apart from v1's (Timestamp, Nonce) key so the two checks never collide.
      options.context.replay.useNonce(
        call.secretId,
        `stream/${req.headers['x-tc-timestamp'] ?? ''}/${nonce}`,
      );
      const functionName = str(call.params['FunctionName']);
      const namespace = str(call.params['Namespace']) ?? (functionName !== undefined ? 'default' : undefined);
      req.apiLog = { action: STREAM_ACTION };
      if (functionName !== undefined) req.apiLog.functionName = functionName;
      const qualifier = str(call.params['Qualifier']);
      filter = {};
      if (functionName !== undefined) filter.functionName = functionName;
      if (namespace !== undefined) filter.namespace = namespace;
      if (qualifier !== undefined) filter.qualifiers = parseStreamQualifier(qualifier);
      const lastEventId = req.headers['last-event-id'];
      after = str(call.params['Cursor']) ?? (typeof lastEventId === 'string' ? str(lastEventId) : undefined);
    } catch (err) {
      const e = toScfError(err);
      req.apiLog = { code: v3Code(e) };
      void reply
        .code(statusOf(e))
        .header('content-type', 'application/json')
        .send(JSON.stringify({ Response: { Error: { ...v3Error(e) } } }));
      return reply;
    }

    void reply.hijack();
    const res = reply.raw;
    req.raw.socket.setNoDelay(true);
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });

    let lastWritten = '';
    let ended = false;
    // Set once the subscription exists; the hub may deliver only after `subscribe` returns.
    let unsubscribe = (): void => {};
    const end = (event: 'overflow' | 'close', reason: string): void => {
      if (ended) return;
      ended = true;
      open.delete(endClose);
      unsubscribe();
      clearInterval(heartbeat);
      const data: EndFrame = { cursor: lastWritten, reason };
      res.end(formatFrame({ event, data }));
    };
    const endClose = (reason: string): void => end('close', reason);
    const write = (e: HubEvent): void => {
      if (ended) return;
      if (res.writableLength > maxBuffered) {
        end('overflow', `more than ${maxBuffered} bytes waiting for this client`);
        return;
      }
      res.write(
        formatFrame(
          e.type === 'log'
            ? { event: 'log', id: e.cursor, data: { type: 'log', cursor: e.cursor, ...e.log } }
            : { event: e.type, id: e.cursor, data: { type: e.type, cursor: e.cursor, record: e.record } },
        ),
      );
      lastWritten = e.cursor;
    };

    const subscribeOptions: Parameters<InvocationEventHub['subscribe']>[1] = {
      filter,
      onClose: () => endClose('server-stopping'),
    };
    if (after !== undefined) subscribeOptions.after = after;
    const sub = options.hub.subscribe(write, subscribeOptions);
    unsubscribe = sub.unsubscribe;
    lastWritten = sub.gap || after === undefined ? sub.cursor : after;
    open.add(endClose);
    const heartbeat = setInterval(() => {
      if (!ended) res.write(': keep-alive\n\n');
    }, heartbeatMs);
    heartbeat.unref();

    res.write(
      formatFrame({
        event: 'ready',
        data: {
          cursor: lastWritten,
          epoch: options.hub.epoch,
          apiTimeZoneOffsetMinutes: options.apiTimeZoneOffsetMinutes,
        },
      }),
    );
    if (sub.gap) {
      res.write(
        formatFrame({
          event: 'gap',
          data: { reason: sub.gap.reason, requested: after ?? '', cursor: sub.gap.cursor },
        }),
      );
    }
    for (const e of sub.backlog) write(e);

    res.on('close', () => {
      // Its request line: Fastify logs an answer that finished (the server ended the stream), not one whose
      // client went away, the usual end of a follow.
      if (!res.writableFinished) logRequest(req, reply);
      // The client went away (or we ended): release the subscription and the timer.
      ended = true;
      open.delete(endClose);
      unsubscribe();
      clearInterval(heartbeat);
    });
    return reply;
  });
}
