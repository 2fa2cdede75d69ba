/**
 * An HTTP request as a function receives it: SCF's API Gateway integrated-request event (for Event
 * functions with an apigw trigger), or the request itself (`runtime/web/protocol.ts`, for web functions).
 *
 * The event's shape is SCF's ("trigger event message structures", API Gateway):
 *
 * ```json
 * {"requestContext":{"serviceId":"service-f94sy04v","path":"/","httpMethod":"POST","requestId":"…",
 *   "identity":{},"sourceIp":"127.0.0.1","stage":"release"},
 *  "headers":{"content-type":"application/json",…},"body":"{\"test\":\"body\"}",
 *  "pathParameters":{},"queryStringParameters":{"foo":"bar"},"headerParameters":{},
 *  "stageVariables":{"stage":"release"},"path":"/test/value","queryString":{"foo":"bar","bob":["a","b"]},
 *  "httpMethod":"POST","isBase64Encoded":false}
 * ```
 *
 * What scf-local decides where SCF's API configuration would (documented in `docs/triggers.md`): the API
 * is at `/` of the function's URL and matches every path below it (API Gateway's prefix match), so
 * `requestContext.path` is `/` and `path` is the part of the URL below the function, as the client sent
 * it; no parameters are declared, so `pathParameters` and `headerParameters` are empty and
 * `queryStringParameters` holds each query parameter's last value; `queryString` holds every parameter,
 * a repeated one as the array of its values.
 */
import type { WebRequest } from '../../runtime/web/protocol.js';
import { encodeBody } from '../../runtime/web/protocol.js';
import type { ApigwConfig } from './desc.js';

/** An HTTP request as the route took it. */
export interface HttpRequestParts {
  /** Upper case. */
  method: string;
  /** The path below the function's URL, as sent (percent-encoded), starting with `/`. */
  path: string;
  /** The query string as sent, without `?` ('' when none). */
  rawQuery: string;
  /** Node's `rawHeaders`: names and values alternating, in the client's order and case. */
  rawHeaders: readonly string[];
  body: Buffer;
  /** The client's address. */
  sourceIp: string;
}

export interface ApigwEvent {
  requestContext: {
    serviceId: string;
    path: string;
    httpMethod: string;
    requestId: string;
    identity: Record<string, string>;
    sourceIp: string;
    stage: string;
  };
  headers: Record<string, string>;
  body: string;
  pathParameters: Record<string, string>;
  queryStringParameters: Record<string, string>;
  headerParameters: Record<string, string>;
  stageVariables: Record<string, string>;
  path: string;
  queryString: Record<string, string | string[]>;
  httpMethod: string;
  isBase64Encoded: boolean;
}

/** Header lines as `[name, value]` pairs, names lower-case, in the client's order. */
export function headerLines(rawHeaders: readonly string[]): [string, string][] {
  const lines: [string, string][] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    lines.push([rawHeaders[i]!.toLowerCase(), rawHeaders[i + 1]!]);
  }
  return lines;
}

/** Headers one value per name, lower-case: a repeated header's values joined as HTTP allows (`, `; cookies `; `). */
function headerMap(lines: readonly [string, string][]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [name, value] of lines) {
    const had = map[name];
    map[name] = had === undefined ? value : `${had}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return map;
}

/** The query: every parameter (a repeated one as the array of its values), and each one's last value. */
function queryOf(rawQuery: string): {
  all: Record<string, string | string[]>;
  last: Record<string, string>;
} {
  const all: Record<string, string | string[]> = {};
  const last: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(rawQuery)) {
    const had = all[k];
    all[k] = had === undefined ? v : Array.isArray(had) ? [...had, v] : [had, v];
    last[k] = v;
  }
  return { all, last };
}

/** SCF's API Gateway event for a request to a function through its apigw trigger. */
export function apigwEvent(
  req: HttpRequestParts,
  api: { config: ApigwConfig; serviceId: string; requestId: string },
): ApigwEvent {
  const lines = headerLines(req.rawHeaders);
  const headers = headerMap(lines);
  const query = queryOf(req.rawQuery);
  const body = encodeBody(req.body, headers['content-type'], { base64: api.config.base64Body });
  return {
    requestContext: {
      serviceId: api.serviceId,
      path: '/',
      httpMethod: req.method,
      requestId: api.requestId,
      // No API Gateway authentication exists here (authRequired TRUE is refused): no caller identity.
      identity: {},
      sourceIp: req.sourceIp,
      stage: api.config.stage,
    },
    headers,
    body: body.body,
    pathParameters: {},
    queryStringParameters: query.last,
    headerParameters: {},
    stageVariables: { stage: api.config.stage },
    path: req.path,
    queryString: query.all,
    httpMethod: req.method,
    isBase64Encoded: body.isBase64Encoded,
  };
}

/**
 * A web function's event: the request as the client sent it (path and query below the function's URL),
 * with `x-forwarded-for` extended by the client's address, as any reverse proxy does.
 */
export function webEvent(req: HttpRequestParts): WebRequest {
  const lines = headerLines(req.rawHeaders);
  const forwarded = lines.find(([name]) => name === 'x-forwarded-for');
  if (forwarded) forwarded[1] = `${forwarded[1]}, ${req.sourceIp}`;
  else lines.push(['x-forwarded-for', req.sourceIp]);
  const contentType = lines.find(([name]) => name === 'content-type')?.[1];
  return {
    webRequest: 1,
    method: req.method,
    path: req.rawQuery === '' ? req.path : `${req.path}?${req.rawQuery}`,
    headers: lines,
    ...encodeBody(req.body, contentType),
  };
}
