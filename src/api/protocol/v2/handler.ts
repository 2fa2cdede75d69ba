/**
 * The v2 protocol handler: method check, parameter parsing, authentication, action dispatch, envelope.
 *
 * Ordering contract (each step runs only when the previous passed, and nothing is acted on before the
 * request is authenticated):
 *   1. method GET or POST, else UnsupportedProtocol;
 *   2. parameters parsed (form body on POST), SecretId/Signature/Timestamp/Nonce present and well-formed;
 *   3. SecretId known (4104) -> Timestamp within the skew (4500) -> signature (4100) -> (Timestamp, Nonce)
 *      not used before (4500); the nonce is remembered only after the signature verified, so forged
 *      requests cannot burn nonces;
 *   4. Action known (InvalidAction), its parameters read (4000), then the operation runs.
 * Every answer is HTTP 200 JSON with the v2 envelope {code, message, codeDesc, ...}. An InternalError is
 * also reported to `onInternalError` (the server's log), with its stack and cause.
 */
import { z } from 'zod';
import { ScfError as Err, type ScfError, toScfError } from '../../../errors/index.js';
import { stderrReport } from '../../../logger/index.js';
import {
  type AdmissionCheck,
  jsonResponse,
  type ProtocolAdmission,
  type ProtocolContext,
  type ProtocolHandler,
  type WireHead,
  type WireLogFields,
  type WireRequest,
  type WireResponse,
} from '../../wire.js';
import { runV2Action, V2_ACTIONS, type V2Body } from './actions.js';
import { v2ErrorBody } from './errors.js';
import { lookupName, parseParams } from './params.js';
import { readV2, v2 } from './reader.js';
import { computeSignature, hashOf, signatureMatches, stringToSign } from './signature.js';

export function successBody(fields: V2Body): Record<string, unknown> {
  return { code: 0, message: '', codeDesc: 'Success', ...fields };
}

export function errorBody(err: ScfError): Record<string, unknown> {
  return v2ErrorBody(err);
}

function checkTimestampFormat(timestampText: string): void {
  if (!/^\d{1,12}$/.test(timestampText)) {
    throw new Err(
      'InvalidParameter',
      `parameter Timestamp must be UNIX time in seconds, got ${JSON.stringify(timestampText)}`,
      {
        field: 'Timestamp',
      },
    );
  }
}

/** SecretId known (4104), then Timestamp within the skew (4500). Returns the SecretKey. */
function checkCredential(secretId: string, timestampText: string, ctx: ProtocolContext): string {
  const secretKey = ctx.credentials.secretKey(secretId);
  if (secretKey === undefined) {
    throw new Err('SecretIdNotFound', 'Authentication failed. SecretId does not exist');
  }
  ctx.replay.checkTimestamp(Number(timestampText));
  return secretKey;
}

/** The common parameters checked before the body is read (SecretId and Timestamp first, in that order). */
const ADMISSION_PARAMS = z.object({ SecretId: v2.required(), Timestamp: v2.required(), Action: v2.str() });

/** The common parameters that authenticate a request. */
const COMMON_PARAMS = z.object({
  SecretId: v2.required(),
  Signature: v2.required(),
  Timestamp: v2.required(),
  Nonce: v2.required(),
  SignatureMethod: v2.str(),
});

/**
 * Before the body is read: the method, then SecretId and Timestamp (present, well-formed, known, within
 * the skew) from the query. A POST whose query has no SecretId carries its parameters in the form body:
 * `params-in-body`, and the server calls `precheckParams` on the form's first parameters.
 */
export function precheck(head: WireHead, ctx: ProtocolContext): AdmissionCheck {
  if (head.method !== 'GET' && head.method !== 'POST') {
    throw new Err(
      'UnsupportedProtocol',
      `unexpected http method ${head.method}, only GET or POST is supported`,
    );
  }
  const query = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(head.rawQuery)) {
    if (!query.has(lookupName(name))) query.set(lookupName(name), value);
  }
  if (head.method === 'POST' && (query.get('SecretId') ?? '') === '') return 'params-in-body';
  return precheckParams(query, ctx);
}

/** SecretId and Timestamp checked from parameters (by lookup name); returns the Action they name. */
export function precheckParams(
  params: ReadonlyMap<string, string>,
  ctx: ProtocolContext,
): { action: string | undefined } {
  const p = readV2(ADMISSION_PARAMS, params);
  checkTimestampFormat(p.Timestamp);
  checkCredential(p.SecretId, p.Timestamp, ctx);
  return { action: p.Action };
}

/** v2 actions whose bodies may be code-upload sized (`code=@<base64 zip>`). */
export const V2_UPLOAD_ACTIONS: ReadonlySet<string> = new Set(['CreateFunction', 'UpdateFunction']);

export interface V2HandlerOptions {
  /**
   * Where unexpected faults (InternalError answers) are reported, with the Action when it was read (v2
   * answers carry no request id). Default: `error` lines on stderr.
   */
  onInternalError?: (err: unknown, fields: { action?: string }) => void;
}

const defaultReport = () => stderrReport('v2 API internal error');

/** The v2 envelope of a thrown value; an InternalError is reported first. */
function errorResponse(
  err: unknown,
  report: NonNullable<V2HandlerOptions['onInternalError']>,
  fields: { action?: string },
): WireResponse {
  const e = toScfError(err);
  if (e.code === 'InternalError') report(err, fields);
  const body = errorBody(e);
  return { ...jsonResponse(body), log: { code: String(body['codeDesc']), v2Code: Number(body['code']) } };
}

/** v2's part in request admission (the platform makes its own, reporting on its logger). */
export function createV2Admission(options: V2HandlerOptions = {}): ProtocolAdmission {
  const report = options.onInternalError ?? defaultReport();
  return {
    precheck,
    precheckParams,
    uploadActions: V2_UPLOAD_ACTIONS,
    errorResponse: (err) => errorResponse(err, report, {}),
  };
}

/** The default admission (faults reported on stderr). */
export const v2Admission: ProtocolAdmission = createV2Admission();

function authenticate(req: WireRequest, params: ReturnType<typeof parseParams>, ctx: ProtocolContext): void {
  const {
    SecretId: secretId,
    Signature: signature,
    Timestamp: timestampText,
    Nonce: nonce,
    SignatureMethod: signatureMethod,
  } = readV2(COMMON_PARAMS, params.byName);
  checkTimestampFormat(timestampText);
  const secretKey = checkCredential(secretId, timestampText, ctx);
  const text = stringToSign({ method: req.method, host: req.host, path: req.path, params: params.list });
  const expected = computeSignature(text, secretKey, hashOf(signatureMethod));
  // A client that forgot to URL-encode the Signature has its `+` decoded as a space; Base64 has no spaces.
  if (!signatureMatches(signature.replaceAll(' ', '+'), expected)) {
    throw new Err(
      'SignatureFailure',
      'Authentication failed: the signature does not match (see the signature method in the docs)',
    );
  }
  // A replay is the same signed request sent again, so the key is (Timestamp, Nonce, Signature):
  // qcloudapi-sdk draws Nonce from 0..65535 only, and two different requests made in the same second may
  // share a Nonce (a birthday collision every few hundred calls at a few dozen calls per second); their
  // signatures differ, an exact replay's does not.
  try {
    ctx.replay.useNonce(secretId, `${timestampText}/${nonce}/${expected}`);
  } catch (err) {
    throw new Err(
      'NonceReused',
      `Nonce ${nonce} with Timestamp ${timestampText} was already used (replayed request)`,
      {
        cause: err,
      },
    );
  }
}

/** The v2 protocol handler over the shared operations (the platform passes its fault report). */
export function createV2Handler(options: V2HandlerOptions = {}): ProtocolHandler {
  const report = options.onInternalError ?? defaultReport();
  return async (req: WireRequest, ctx: ProtocolContext): Promise<WireResponse> => {
    /** Once read, for the report of an InternalError. */
    let actionName: string | undefined;
    /** For the request line. */
    const log: WireLogFields = {};
    try {
      if (req.method !== 'GET' && req.method !== 'POST') {
        throw new Err(
          'UnsupportedProtocol',
          `unexpected http method ${req.method}, only GET or POST is supported`,
        );
      }
      const params = parseParams(req);
      const named = params.byName.get('Action');
      if (named) log.action = named;
      const functionName = params.byName.get('functionName');
      if (functionName) log.functionName = functionName;
      const namespace = params.byName.get('namespace');
      if (namespace) log.namespace = namespace;
      authenticate(req, params, ctx);
      actionName = params.byName.get('Action') ?? '';
      if (actionName === '')
        throw new Err('InvalidAction', 'parameter Action is required', { field: 'Action' });
      const action = V2_ACTIONS.get(actionName);
      if (!action) {
        throw new Err(
          'InvalidAction',
          `Action ${actionName} does not exist; scf-local's v2 API serves ${[...V2_ACTIONS.keys()].join(', ')}`,
          { field: 'Action' },
        );
      }
      const body = await runV2Action(actionName, action, { ctx: ctx.actions, params: params.byName });
      // InvokeFunction's answer names the invocation (its record), which the request line names too.
      const invocation = (body['data'] as { requestId?: unknown } | undefined)?.requestId;
      if (typeof invocation === 'string') log.functionRequestId = invocation;
      return { ...jsonResponse(successBody(body)), log };
    } catch (err) {
      const res = errorResponse(err, report, actionName ? { action: actionName } : {});
      return { ...res, log: { ...log, ...res.log } };
    }
  };
}
