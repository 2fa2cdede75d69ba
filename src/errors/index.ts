/**
 * The one coded error type. Every error that crosses a layer is a ScfError carrying an ErrorCode from
 * `codes.ts`; protocols map it to their own envelope. Never match on `message`.
 */
import { ERROR_CODES, type ErrorCode, type ErrorCodeSpec } from './codes.js';

export { ERROR_CODES, type ErrorCode, type ErrorCodeSpec } from './codes.js';

export interface ScfErrorOptions {
  cause?: unknown;
  /**
   * For InvalidParameterValue/MissingParameter/InvalidParameter: the parameter at fault in its API 3.0
   * spelling (e.g. `Order`, `MemorySize`); the 3.0 code becomes `InvalidParameterValue.Order`.
   */
  field?: string;
}

export class ScfError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: ScfErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScfError';
    this.code = code;
    this.field = options.field;
  }

  get spec(): ErrorCodeSpec {
    return ERROR_CODES[this.code];
  }

  /** True when the caller caused it (bad input, auth), false for a platform fault. */
  get isUserError(): boolean {
    return this.spec.user;
  }

  /** The API 3.0 Error.Code, with the field suffix where the code takes one. */
  get v3Code(): string {
    const base = this.spec.v3;
    if (
      this.field &&
      (base === 'InvalidParameterValue' || base === 'MissingParameter' || base === 'InvalidParameter')
    ) {
      return `${base}.${this.field}`;
    }
    return base;
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
