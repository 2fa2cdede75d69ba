/**
 * The one coded error type. Every error that crosses a layer is a ScfError carrying an ErrorCode from
 * `codes.ts`; it knows no protocol: `field` is the parameter at fault in the operations' canonical
 * (camelCase) spelling, `rule` names the SCF rule broken and `detail` its figures, so that each protocol
 * (`api/protocol/v2/errors.ts`, `api/protocol/v3/errors.ts`) can spell the error its own way. Never match
 * on `message`.
 */
import { ERROR_CODES, type ErrorCode, type ErrorCodeSpec } from './codes.js';

export { ERROR_CODES, type ErrorCode, type ErrorCodeSpec } from './codes.js';

/** The operations' rules a protocol may word its own way (see `api/operations/limits.ts`). */
export const RULE = {
  /** Offset + Limit over the cap; detail `{offset, limit, max}`. */
  offsetPlusLimit: 'offsetPlusLimit',
  /** A time window whose start is after its end. */
  timeOrder: 'timeOrder',
  /** An invocation event over its size limit; detail `{size, limit, async}`. */
  eventSize: 'eventSize',
  /** An invocation event that is not JSON. */
  eventJson: 'eventJson',
  /** A function timeout outside SCF's range (1 to 900 s); detail `{max}`. */
  timeoutRange: 'timeoutRange',
  /** A code package (ZipFile) that is not base64. */
  zipBase64: 'zipBase64',
  /** Creating the default namespace, which always exists. */
  createDefaultNamespace: 'createDefaultNamespace',
  /** Deleting the default namespace, which cannot be deleted. */
  deleteDefaultNamespace: 'deleteDefaultNamespace',
  /** An async retry count outside SCF's 0–2; detail `{max}`. */
  retryNumRange: 'retryNumRange',
  /** An async message TTL outside SCF's range; detail `{min, max}`. */
  msgTtlRange: 'msgTtlRange',
  /** A trigger type SCF has whose event source (a cloud service) scf-local does not have. */
  cloudTrigger: 'cloudTrigger',
  /** An InitTimeout outside SCF's range; detail `{max}`. */
  initTimeoutRange: 'initTimeoutRange',
  /** An alias names a version the function does not have. */
  aliasVersion: 'aliasVersion',
  /** DeleteFunction names a version (Qualifier) the function does not have. */
  deleteVersion: 'deleteVersion',
  /** An alias's weights are not one other version with a weight in (0, 1). */
  aliasWeights: 'aliasWeights',
} as const;

export type Rule = (typeof RULE)[keyof typeof RULE];

export interface ScfErrorOptions {
  cause?: unknown;
  /** The parameter at fault, canonical camelCase (`memorySize`, `event`); a protocol reader may give its own path. */
  field?: string;
  rule?: Rule;
  detail?: Readonly<Record<string, string | number | boolean>>;
}

export class ScfError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly rule: Rule | undefined;
  readonly detail: Readonly<Record<string, string | number | boolean>> | undefined;

  constructor(code: ErrorCode, message: string, options: ScfErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScfError';
    this.code = code;
    this.field = options.field;
    this.rule = options.rule;
    this.detail = options.detail;
  }

  get spec(): ErrorCodeSpec {
    return ERROR_CODES[this.code];
  }

  /** True when the caller caused it (bad input, auth), false for a platform fault. */
  get isUserError(): boolean {
    return this.spec.user;
  }
}

/** Any thrown value as a ScfError: a ScfError passes through, anything else becomes InternalError. */
export function toScfError(err: unknown): ScfError {
  if (err instanceof ScfError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ScfError('InternalError', `internal error: ${message}`, { cause: err });
}

export const invalidValue = (field: string, message: string): ScfError =>
  new ScfError('InvalidParameterValue', message, { field });
