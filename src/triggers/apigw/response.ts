/**
 * What an invocation started by an HTTP request answers:
 *
 * - Success (retCode 0), an integrated response (`statusCode`, `headers`, `body`, `isBase64Encoded`; the
 *   apigw trigger's `isIntegratedResponse` TRUE, and always for a web function, whose result is its
 *   server's response in that shape): that status, those headers (a header whose value is an array is sent
 *   once per value, as `set-cookie` needs), that body, base64-decoded when flagged. One that has a
 *   `statusCode` but is not well formed is API Gateway's "invalid scf response format": 502.
 * - Success, any other return value (or `isIntegratedResponse` FALSE): 200, the value's JSON as the body.
 * - Failure: 502 (exception, exit, memory, a result over 6 MB), 504 (timeout), 503 (the server is
 *   stopping), with SCF's error JSON (`errorCode`, `errorMessage`, `requestId`, `statusCode`) whose
 *   message is SCF's fixed wording of the status, never the function's own error text, stack or log.
 *
 * Every answer of the route carries `X-Scf-Request-Id` when an invocation ran (SCF's header on web
 * function answers), and errors `X-Scf-Error-Type` (SCF's: `ScfCommonError` for a request refused,
 * `UnhandledInvocationErr` for a function's failure, `ScfSysError` for the platform's).
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { HOP_BY_HOP } from '../../runtime/web/protocol.js';
import { type InvocationRecord, RET_CODE } from '../../store/types.js';

/** An HTTP answer: status, header lines (a name may repeat), body. */
export interface HttpAnswer {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

/** SCF's names for who is at fault, sent in `X-Scf-Error-Type`. */
export type ScfErrorType = 'ScfCommonError' | 'UnhandledInvocationErr' | 'ScfSysError';

export const REQUEST_ID_HEADER = 'x-scf-request-id';
export const ERROR_TYPE_HEADER = 'x-scf-error-type';

/** An error answer: SCF's error JSON, its type in `X-Scf-Error-Type`. */
export function errorAnswer(
  status: number,
  type: ScfErrorType,
  error: { message: string; requestId?: string; statusCode?: number },
): HttpAnswer {
  const body = JSON.stringify({
    errorCode: -1,
    errorMessage: error.message,
    ...(error.requestId !== undefined ? { requestId: error.requestId } : {}),
    statusCode: error.statusCode ?? status,
  });
  return {
    status,
    headers: [
      ['content-type', 'application/json'],
      [ERROR_TYPE_HEADER, type],
    ],
    body: Buffer.from(body, 'utf8'),
  };
}

/** SCF's wording of a failed invocation's status: fixed text, nothing the function wrote. */
function failureMessage(retCode: number, fn: { timeout: number; memorySize: number }): string {
  switch (retCode) {
    case RET_CODE.RESPONSE_TOO_LARGE:
      return 'The size of response exceeds the upper limit (6MB)';
    case RET_CODE.USER_CODE_EXCEPTION:
      return 'user code exception caught';
    case RET_CODE.TIMEOUT:
      return `Invoking task timed out after ${fn.timeout} seconds`;
    case RET_CODE.MEMORY_LIMIT:
      return `Task memory exceeded ${fn.memorySize} MB`;
    case RET_CODE.HANDLER_NOT_FOUND:
      return 'HandlerNotFound';
    case RET_CODE.PROCESS_EXITED:
      return 'User process exit when running';
    case RET_CODE.INTERRUPTED:
      return 'Invocation interrupted: scf-local is shutting down';
    default:
      return 'the function failed';
  }
}

/** The answer to a failed invocation (retCode not 0). */
export function failureAnswer(
  record: InvocationRecord,
  fn: { timeout: number; memorySize: number },
): HttpAnswer {
  const rc = record.retCode;
  const status = rc === RET_CODE.TIMEOUT ? 504 : rc === RET_CODE.INTERRUPTED ? 503 : 502;
  const type: ScfErrorType = rc === RET_CODE.INTERRUPTED ? 'ScfSysError' : 'UnhandledInvocationErr';
  return errorAnswer(status, type, {
    message: failureMessage(rc, fn),
    requestId: record.requestId,
    statusCode: rc,
  });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A value whose JSON is the body: 200 `application/json`. */
function jsonAnswer(retMsg: string): HttpAnswer {
  return {
    status: 200,
    headers: [['content-type', 'application/json']],
    body: Buffer.from(retMsg, 'utf8'),
  };
}

class InvalidFormat extends Error {}

/** An integrated response's headers as lines: arrays repeat the name; names and values must be valid HTTP. */
function headerLinesOf(headers: unknown): [string, string][] {
  if (headers === undefined || headers === null) return [];
  if (!isObject(headers)) throw new InvalidFormat('headers must be an object');
  const lines: [string, string][] = [];
  for (const [name, raw] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    // The length and framing of the answer are the server's to set, as are the connection's.
    if (HOP_BY_HOP.has(lower) || lower === 'content-length') continue;
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
        throw new InvalidFormat(`header ${JSON.stringify(name)} must be a string (or an array of strings)`);
      }
      try {
        validateHeaderName(name);
        validateHeaderValue(name, String(v));
      } catch {
        throw new InvalidFormat(`header ${JSON.stringify(name)} is not a valid HTTP header`);
      }
      lines.push([lower, String(v)]);
    }
  }
  return lines;
}

/** An integrated response as an answer; throws InvalidFormat when it is not a well-formed one. */
function integrated(r: Record<string, unknown>): HttpAnswer {
  const status = Number(r['statusCode']);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new InvalidFormat('statusCode must be an HTTP status (100-599)');
  }
  const headers = headerLinesOf(r['headers']);
  const rawBody = r['body'];
  const base64 = r['isBase64Encoded'] === true || r['isBase64Encoded'] === 'true';
  let body: Buffer;
  if (rawBody === undefined || rawBody === null) body = Buffer.alloc(0);
  else if (typeof rawBody === 'string') body = Buffer.from(rawBody, base64 ? 'base64' : 'utf8');
  // A body that is not a string is sent as its JSON (lenient: API Gateway wants a string).
  else body = Buffer.from(JSON.stringify(rawBody), 'utf8');
  if (!headers.some(([name]) => name === 'content-type')) {
    headers.push(['content-type', base64 ? 'application/octet-stream' : 'text/plain; charset=utf-8']);
  }
  return { status, headers, body };
}

/**
 * The answer to a successful invocation, from its result (`retMsg`, the return value's JSON). With
 * `integratedResponse`, a result that is an object with a `statusCode` is an integrated response; any
 * other result is the JSON body of a 200.
 */
export function successAnswer(
  record: InvocationRecord,
  options: { integratedResponse: boolean },
): HttpAnswer {
  if (!options.integratedResponse) return jsonAnswer(record.retMsg);
  let value: unknown;
  try {
    value = JSON.parse(record.retMsg);
  } catch {
    // Not JSON (a Custom Runtime may answer anything): its text is the body.
    return jsonAnswer(record.retMsg);
  }
  if (!isObject(value) || !('statusCode' in value)) return jsonAnswer(record.retMsg);
  try {
    return integrated(value);
  } catch (err) {
    if (!(err instanceof InvalidFormat)) throw err;
    return errorAnswer(502, 'UnhandledInvocationErr', {
      message: `Invalid scf response format: ${err.message}`,
      requestId: record.requestId,
    });
  }
}
