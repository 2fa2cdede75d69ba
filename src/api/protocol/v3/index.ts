/**
 * API 3.0 (`scf.tencentcloudapi.com`, version 2018-04-16) at `/`: authenticate (TC3-HMAC-SHA256 or v1
 * form signing), dispatch by version (SCF's actions, or Cloud Monitor's GetMonitorData for 2018-07-24:
 * `monitor.ts`) to the shared actions, answer in the `{"Response": {..., "RequestId"}}`
 * envelope. Every answer is HTTP 200 `application/json`, errors included: the SDKs read `Response.Error`
 * only from a 200. An unexpected fault is `InternalError` with a generic message; its detail and stack go
 * to the server's log (`onInternalError`) with the RequestId of the answer, never onto the wire.
 */
import { randomUUID } from 'node:crypto';
import { ScfError, toScfError } from '../../../errors/index.js';
import { stderrReport } from '../../../logger/index.js';
import {
  jsonResponse,
  type ProtocolAdmission,
  type ProtocolHandler,
  type WireLogFields,
  type WireResponse,
} from '../../wire.js';
import { runV3Action, UNSUPPORTED_ACTIONS, UPLOAD_ACTIONS, V3_ACTIONS } from './actions.js';
import { authenticate, precheck, precheckParams } from './auth.js';
import { v3Error } from './errors.js';
import { MONITOR_ACTIONS, MONITOR_VERSION, monitorError } from './monitor.js';

/** What every action runs with: the API's zone and the clock. */
const envOf = (ctx: Parameters<ProtocolHandler>[1]) => ({
  timeZoneOffsetMinutes: ctx.actions.config.apiTimeZoneOffsetMinutes,
  now: Date.now(),
});

export { IDEMPOTENT_ACTIONS, UNSUPPORTED_ACTIONS, UPLOAD_ACTIONS, V3_ACTIONS } from './actions.js';
export { API_VERSION, type AuthenticatedCall, authenticate, precheck, precheckParams } from './auth.js';
export { V3_CODES, v3Code, v3Error } from './errors.js';
export { MONITOR_ACTION_CODES, MONITOR_ACTIONS, MONITOR_VERSION, monitorError } from './monitor.js';

/** Where an InternalError's detail goes (its answer says only that there was one, and its RequestId). */
export type InternalErrorReport = (err: unknown, fields: { requestId: string }) => void;

export interface V3HandlerOptions {
  /** Where unexpected faults are reported. Default: `error` lines on stderr. */
  onInternalError?: InternalErrorReport;
  /** Request ids, for tests (default random UUIDs, as SCF's). */
  requestId?: () => string;
}

const INTERNAL_MESSAGE =
  'An internal error has occurred. Retry your request, and if the problem persists, report it with the RequestId.';

const defaultReport = (): InternalErrorReport => stderrReport('API 3.0 internal error');

/**
 * The error envelope for any thrown value; an InternalError's detail goes to `report`, not the wire.
 * `fields` is the action's spelling of canonical field names (Invoke's `event` is `ClientContext`).
 */
export function errorResponse(
  err: unknown,
  requestId: string,
  report: InternalErrorReport,
  fields?: Readonly<Record<string, string>>,
  monitor = false,
): WireResponse {
  const e = toScfError(err);
  const error = monitor ? monitorError(e) : v3Error(e, fields);
  const log: WireLogFields = { code: error.Code, requestId };
  if (e.code === 'InternalError') {
    report(err, { requestId });
    return {
      ...jsonResponse({
        Response: { Error: { Code: error.Code, Message: INTERNAL_MESSAGE }, RequestId: requestId },
      }),
      log,
    };
  }
  return { ...jsonResponse({ Response: { Error: error, RequestId: requestId } }), log };
}

const nonEmpty = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The request line's function (and namespace, when named) from an action's parameters. */
function functionOf(params: Readonly<Record<string, unknown>>, log: WireLogFields): void {
  const functionName = nonEmpty(params['FunctionName']);
  if (functionName !== undefined) log.functionName = functionName;
  const namespace = nonEmpty(params['Namespace']);
  if (namespace !== undefined) log.namespace = namespace;
}

/** Builds the 3.0 protocol handler (the platform passes its fault report; `handleV3` has the default one). */
export function createV3Handler(options: V3HandlerOptions = {}): ProtocolHandler {
  const nextId = options.requestId ?? randomUUID;
  const report = options.onInternalError ?? defaultReport();
  return async (req, ctx) => {
    const requestId = nextId();
    let fields: Readonly<Record<string, string>> | undefined;
    /** Cloud Monitor's request (its errors are spelled its way). */
    let monitor = false;
    // For the request line: the action as the client named it, even when it is then refused.
    const log: WireLogFields = { requestId };
    const named = nonEmpty(req.headers['x-tc-action']);
    if (named !== undefined) log.action = named;
    try {
      const call = authenticate(req, ctx);
      log.action = call.action;
      functionOf(call.params, log);
      if (call.version === MONITOR_VERSION) {
        monitor = true;
        const mop = MONITOR_ACTIONS.get(call.action);
        if (mop === undefined) {
          throw new ScfError(
            'InvalidAction',
            `The action \`${call.action}\` is not found for service \`monitor\`, version ${MONITOR_VERSION}; scf-local serves GetMonitorData only.`,
          );
        }
        const out = await runV3Action(mop, { ctx: ctx.actions, env: envOf(ctx), params: call.params });
        return { ...jsonResponse({ Response: { ...out, RequestId: requestId } }), log };
      }
      const op = V3_ACTIONS.get(call.action);
      if (op === undefined) {
        if (UNSUPPORTED_ACTIONS.has(call.action)) {
          throw new ScfError('UnsupportedOperation', `Action ${call.action} is not supported by scf-local.`);
        }
        throw new ScfError(
          'InvalidAction',
          `The action \`${call.action}\` is not found for service \`scf\`, version 2018-04-16.`,
        );
      }
      const env = envOf(ctx);
      fields = op.fields;
      const out = await runV3Action(op, { ctx: ctx.actions, env, params: call.params });
      // Invoke's answer names the invocation (its record), which the request line names too.
      const invocation = nonEmpty(
        (out['Result'] as { FunctionRequestId?: unknown } | undefined)?.FunctionRequestId,
      );
      if (invocation !== undefined) log.functionRequestId = invocation;
      return { ...jsonResponse({ Response: { ...out, RequestId: requestId } }), log };
    } catch (err) {
      const res = errorResponse(err, requestId, report, fields, monitor);
      return { ...res, log: { ...log, ...res.log } };
    }
  };
}

/** The API 3.0 protocol handler with the default fault report (the platform makes its own). */
export const handleV3: ProtocolHandler = createV3Handler();

/** API 3.0's part in request admission: its pre-body checks, upload actions and error envelope. */
export function createV3Admission(
  options: Pick<V3HandlerOptions, 'onInternalError'> = {},
): ProtocolAdmission {
  const report = options.onInternalError ?? defaultReport();
  return {
    precheck,
    precheckParams,
    uploadActions: UPLOAD_ACTIONS,
    errorResponse: (err) => errorResponse(err, randomUUID(), report),
  };
}

/** The default admission (faults reported on stderr); the platform makes its own on its logger. */
export const v3Admission: ProtocolAdmission = createV3Admission();
