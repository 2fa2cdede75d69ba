/**
 * The v2 spelling of every error: the common error table's numeric `code` and its `codeDesc`. v2 shows the
 * message as the operation wrote it (the canonical wording is v2's) and never names a field.
 */
import { type ErrorCode, type ScfError, toScfError } from '../../../errors/index.js';

export const V2_CODES: Readonly<Record<ErrorCode, readonly [code: number, codeDesc: string]>> = {
  InvalidParameter: [4000, 'InvalidParameter'],
  MissingParameter: [4000, 'MissingParameter'],
  UnknownParameter: [4000, 'UnknownParameter'],
  InvalidAction: [4000, 'InvalidAction'],
  UnsupportedProtocol: [4000, 'UnsupportedProtocol'],
  NoSuchVersion: [4000, 'NoSuchVersion'],
  RequestTooLarge: [4000, 'RequestTooLarge'],
  SignatureFailure: [4100, 'AuthFailure'],
  SecretIdNotFound: [4104, 'SecretIdNotFound'],
  SignatureExpire: [4500, 'ReplayAttack'],
  NonceReused: [4500, 'ReplayAttack'],
  InvalidAuthorization: [4100, 'AuthFailure'],
  InvalidParameterValue: [4000, 'InvalidParameter'],
  LimitExceededOffset: [4000, 'InvalidParameter'],
  FunctionNotFound: [5000, 'ResourceNotFound'],
  NamespaceNotFound: [5000, 'ResourceNotFound'],
  FunctionInUse: [4000, 'ResourceInUse'],
  NamespaceInUse: [4000, 'ResourceInUse'],
  ConcurrencyLimitReached: [4400, 'LimitExceeded'],
  UnsupportedOperation: [4000, 'UnsupportedOperation'],
  LayerNotFound: [5000, 'ResourceNotFound'],
  TriggerNotFound: [5000, 'ResourceNotFound'],
  TriggerInUse: [4000, 'ResourceInUse'],
  VersionNotFound: [5000, 'ResourceNotFound'],
  AliasNotFound: [5000, 'ResourceNotFound'],
  AliasInUse: [4000, 'ResourceInUse'],
  VersionInUse: [4000, 'UnsupportedOperation'],
  AsyncEventNotFound: [5000, 'ResourceNotFound'],
  AsyncEventFinal: [4000, 'FailedOperation'],
  RequestSizeLimitExceeded: [4000, 'RequestSizeLimitExceeded'],
  RequestLimitExceeded: [4400, 'LimitExceeded'],
  DataDirInUse: [4000, 'ResourceInUse'],
  ServerUnreachable: [6000, 'InternalError'],
  StoreUnavailable: [6000, 'ResourceUnavailable'],
  InternalError: [6000, 'InternalError'],
};

/** What an InternalError says on the wire: its detail is the server log's, never the caller's. */
export const V2_INTERNAL_MESSAGE = 'internal error; the server log has the details';

/** The v2 error envelope for any thrown value. */
export function v2ErrorBody(err: unknown): { code: number; message: string; codeDesc: string } {
  const e: ScfError = toScfError(err);
  const [code, codeDesc] = V2_CODES[e.code];
  return { code, message: e.code === 'InternalError' ? V2_INTERNAL_MESSAGE : e.message, codeDesc };
}
