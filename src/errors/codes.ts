/**
 * The one table of error codes. Each internal code maps once to the legacy v2 envelope
 * (`code` + `codeDesc`) and to the API 3.0 `Error.Code`. `docs/errors.md` lists every entry and a test keeps
 * that list complete. `user` = caused by the caller (bad input, auth); otherwise a system fault.
 */
export interface ErrorCodeSpec {
  /** v2 numeric `code` (common error table). */
  readonly v2: number;
  /** v2 `codeDesc`, a short English name. */
  readonly v2Desc: string;
  /** API 3.0 `Response.Error.Code`. */
  readonly v3: string;
  /** Caused by the caller (true) or by the platform (false). */
  readonly user: boolean;
  /** What it means, for docs/errors.md. */
  readonly doc: string;
}

const user = (v2: number, v2Desc: string, v3: string, doc: string): ErrorCodeSpec => ({
  v2,
  v2Desc,
  v3,
  user: true,
  doc,
});

export const ERROR_CODES = {
  // --- protocol / request shape
  InvalidParameter: user(
    4000,
    'InvalidParameter',
    'InvalidParameter',
    'A parameter is malformed (wrong type or format).',
  ),
  MissingParameter: user(4000, 'MissingParameter', 'MissingParameter', 'A required parameter is missing.'),
  UnknownParameter: user(
    4000,
    'UnknownParameter',
    'UnknownParameter',
    'A parameter the action does not accept.',
  ),
  InvalidAction: user(4000, 'InvalidAction', 'InvalidAction', 'Missing or unknown Action.'),
  UnsupportedProtocol: user(
    4000,
    'UnsupportedProtocol',
    'UnsupportedProtocol',
    'HTTP method other than GET or POST (v2 module error 10410).',
  ),
  NoSuchVersion: user(4000, 'NoSuchVersion', 'NoSuchVersion', 'API 3.0 X-TC-Version other than 2018-04-16.'),
  RequestTooLarge: user(
    4000,
    'RequestTooLarge',
    'InvalidParameterValue.ClientContext',
    'Invocation event larger than the limit (6 MB sync, 128 KB async), SCF status 406.',
  ),

  // --- authentication
  SignatureFailure: user(
    4100,
    'AuthFailure',
    'AuthFailure.SignatureFailure',
    'The signature does not match the request and the SecretKey.',
  ),
  SecretIdNotFound: user(
    4104,
    'SecretIdNotFound',
    'AuthFailure.SecretIdNotFound',
    'The SecretId is not one of the configured credentials.',
  ),
  SignatureExpire: user(
    4500,
    'ReplayAttack',
    'AuthFailure.SignatureExpire',
    'Timestamp more than the allowed skew (300 s) away from server time.',
  ),
  NonceReused: user(
    4500,
    'ReplayAttack',
    'AuthFailure.InvalidAuthorization',
    'A replay: the same signed request (Timestamp, Nonce and Signature; for TC3, Timestamp and Signature) was already accepted within the timestamp window.',
  ),
  InvalidAuthorization: user(
    4100,
    'AuthFailure',
    'AuthFailure.InvalidAuthorization',
    'Authorization header is not a well-formed TC3-HMAC-SHA256 header.',
  ),

  // --- parameter values
  InvalidParameterValue: user(
    4000,
    'InvalidParameter',
    'InvalidParameterValue',
    'A parameter value is not allowed.',
  ),
  LimitExceededOffset: user(
    4000,
    'InvalidParameter',
    'LimitExceeded.Offset',
    'Offset + Limit exceeds 10000.',
  ),

  // --- resources
  FunctionNotFound: user(
    5000,
    'ResourceNotFound',
    'ResourceNotFound.Function',
    'The function does not exist.',
  ),
  NamespaceNotFound: user(
    5000,
    'ResourceNotFound',
    'ResourceNotFound.Namespace',
    'The namespace does not exist.',
  ),
  FunctionInUse: user(
    4000,
    'ResourceInUse',
    'ResourceInUse.Function',
    'A function of that name already exists in the namespace.',
  ),
  NamespaceInUse: user(
    4000,
    'ResourceInUse',
    'ResourceInUse.Namespace',
    'The namespace already exists, or still holds functions when deleting.',
  ),
  ConcurrencyLimitReached: user(
    4400,
    'LimitExceeded',
    'LimitExceeded.Concurrency',
    'All instances of the function are busy and its queue is full (SCF status 432).',
  ),
  UnsupportedOperation: user(
    4000,
    'UnsupportedOperation',
    'UnsupportedOperation',
    'Not supported by scf-local.',
  ),

  // --- request admission: refused before the body is read (docs/security.md)
  RequestSizeLimitExceeded: user(
    4000,
    'RequestSizeLimitExceeded',
    'RequestSizeLimitExceeded',
    "The request body is larger than its action's limit (api.maxBodyBytes; code uploads api.maxUploadBodyBytes), or a form body does not name SecretId and Timestamp within its first api.preAuthBodyBytes.",
  ),
  RequestLimitExceeded: user(
    4400,
    'LimitExceeded',
    'RequestLimitExceeded',
    'Too many request body bytes in flight at once (api.maxBufferedBodyBytes); retry later.',
  ),

  // --- server start
  DataDirInUse: user(
    4000,
    'ResourceInUse',
    'ResourceInUse.DataDir',
    'Server start only, never sent over the API: another scf-local server (its pid is in the message) holds the data folder; `scf-local serve` exits 2.',
  ),

  // --- system
  ServerUnreachable: {
    v2: 6000,
    v2Desc: 'InternalError',
    v3: 'InternalError',
    user: false,
    doc: 'CLI only, never sent by the server: the scf-local server at --endpoint could not be reached.',
  },
  InternalError: {
    v2: 6000,
    v2Desc: 'InternalError',
    v3: 'InternalError',
    user: false,
    doc: 'An unexpected fault inside scf-local; details are in the server log.',
  },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
