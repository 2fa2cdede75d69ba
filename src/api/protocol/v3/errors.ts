/**
 * The API 3.0 spelling of every error: its `Error.Code` (with the parameter at fault as a suffix where the
 * code takes one: `InvalidParameterValue.Order`) and, for the operations' rules, SCF 3.0's own wording.
 * Canonical field names (the operations' camelCase input names) become 3.0 parameter names here.
 */
import { type ErrorCode, RULE, type Rule, type ScfError, toScfError } from '../../../errors/index.js';

export const V3_CODES: Readonly<Record<ErrorCode, string>> = {
  InvalidParameter: 'InvalidParameter',
  MissingParameter: 'MissingParameter',
  UnknownParameter: 'UnknownParameter',
  InvalidAction: 'InvalidAction',
  UnsupportedProtocol: 'UnsupportedProtocol',
  NoSuchVersion: 'NoSuchVersion',
  RequestTooLarge: 'InvalidParameterValue',
  SignatureFailure: 'AuthFailure.SignatureFailure',
  SecretIdNotFound: 'AuthFailure.SecretIdNotFound',
  SignatureExpire: 'AuthFailure.SignatureExpire',
  NonceReused: 'AuthFailure.InvalidAuthorization',
  InvalidAuthorization: 'AuthFailure.InvalidAuthorization',
  InvalidParameterValue: 'InvalidParameterValue',
  LimitExceededOffset: 'LimitExceeded.Offset',
  FunctionNotFound: 'ResourceNotFound.Function',
  NamespaceNotFound: 'ResourceNotFound.Namespace',
  FunctionInUse: 'ResourceInUse.Function',
  NamespaceInUse: 'ResourceInUse.Namespace',
  ConcurrencyLimitReached: 'LimitExceeded.Concurrency',
  UnsupportedOperation: 'UnsupportedOperation',
  LayerNotFound: 'ResourceNotFound.Layer',
  TriggerNotFound: 'ResourceNotFound.Trigger',
  TriggerInUse: 'ResourceInUse.Trigger',
  VersionNotFound: 'ResourceNotFound.Version',
  AliasNotFound: 'ResourceNotFound.Alias',
  AliasInUse: 'ResourceInUse.Alias',
  VersionInUse: 'UnsupportedOperation.AliasBind',
  AsyncEventNotFound: 'ResourceNotFound.AsyncEvent',
  AsyncEventFinal: 'FailedOperation.AsyncEventStatus',
  RequestSizeLimitExceeded: 'RequestSizeLimitExceeded',
  RequestLimitExceeded: 'RequestLimitExceeded',
  DataDirInUse: 'ResourceInUse.DataDir',
  ServerUnreachable: 'InternalError',
  StoreUnavailable: 'ResourceUnavailable',
  InternalError: 'InternalError',
};

/** Codes that name the parameter at fault after a dot. */
const FIELD_CODES = new Set(['InvalidParameterValue', 'MissingParameter', 'InvalidParameter']);

/** Canonical names whose 3.0 spelling is not the name with its first letter upper-cased. */
const SPELLING: Readonly<Record<string, string>> = { timeRange: 'DateTime' };

/**
 * A canonical field in 3.0 spelling. `fields` is the action's own map (e.g. Invoke's `event` is
 * `ClientContext`, InvokeFunction's is `Event`); parameter paths from the 3.0 reader pass unchanged.
 */
export function spellField(field: string, fields: Readonly<Record<string, string>> = {}): string {
  return fields[field] ?? SPELLING[field] ?? field.charAt(0).toUpperCase() + field.slice(1);
}

/**
 * SCF 3.0's own codes for some of the operations' rules, where it does not answer the rule's canonical code
 * with the field appended (SCF's per-action lists; `error-codes.ts`).
 */
export const RULE_CODES: Partial<Readonly<Record<Rule, string>>> = {
  [RULE.eventJson]: 'InvalidParameterValue.Param',
  [RULE.timeoutRange]: 'LimitExceeded.Timeout',
  [RULE.zipBase64]: 'InvalidParameterValue.ZipFileBase64BinasciiError',
  [RULE.createDefaultNamespace]: 'InvalidParameterValue.DefaultNamespace',
  [RULE.deleteDefaultNamespace]: 'FailedOperation.DeleteNamespace',
  [RULE.retryNumRange]: 'LimitExceeded.RetryNum',
  [RULE.msgTtlRange]: 'LimitExceeded.MsgTTL',
  [RULE.cloudTrigger]: 'UnsupportedOperation.Trigger',
  [RULE.initTimeoutRange]: 'LimitExceeded.InitTimeout',
  [RULE.aliasVersion]: 'ResourceNotFound.FunctionVersion',
  [RULE.deleteVersion]: 'ResourceNotFound.Qualifier',
  [RULE.aliasWeights]: 'InvalidParameterValue.AdditionalVersionWeights',
};

/** The 3.0 `Error.Code` of an error. */
export function v3Code(err: ScfError, fields?: Readonly<Record<string, string>>): string {
  const byRule = err.rule === undefined ? undefined : RULE_CODES[err.rule];
  if (byRule !== undefined) return byRule;
  const base = V3_CODES[err.code];
  return err.field !== undefined && FIELD_CODES.has(base) ? `${base}.${spellField(err.field, fields)}` : base;
}

const num = (err: ScfError, key: string): string => String(err.detail?.[key] ?? '');

/** SCF 3.0's wording of the operations' rules; any other error keeps its message. */
function v3Message(err: ScfError, fields?: Readonly<Record<string, string>>): string {
  const name = (field: string): string => spellField(field, fields);
  switch (err.rule) {
    case RULE.offsetPlusLimit:
      return `Offset + Limit must not exceed ${num(err, 'max')} (got ${num(err, 'offset')} + ${num(err, 'limit')}).`;
    case RULE.timeOrder:
      return 'EndTime is earlier than StartTime.';
    case RULE.eventSize:
      return `${name('event')} is ${num(err, 'size')} bytes; ${err.detail?.['async'] ? 'asynchronous' : 'synchronous'} invocations take at most ${num(err, 'limit')} bytes.`;
    case RULE.eventJson:
      return `${name('event')} is not valid JSON.`;
    default:
      return err.message;
  }
}

/** `{Code, Message}` of `Response.Error` for any thrown value (an internal fault's message is the caller's to hide). */
export function v3Error(
  err: unknown,
  fields?: Readonly<Record<string, string>>,
): { Code: string; Message: string } {
  const e = toScfError(err);
  return { Code: v3Code(e, fields), Message: v3Message(e, fields) };
}
