/**
 * The one table of error codes: what each means and whether the caller caused it. It knows no protocol:
 * each protocol spells every code once in its own folder (`api/protocol/v2/errors.ts`,
 * `api/protocol/v3/errors.ts`, both typed over this table so none is missed), and `docs/errors.md` is
 * rendered from the three (`api/errors-doc.ts`); a test keeps it complete.
 */
export interface ErrorCodeSpec {
  /** Caused by the caller (true: bad input, auth) or by the platform (false). */
  readonly user: boolean;
  /** What it means, for docs/errors.md. */
  readonly doc: string;
}

export const ERROR_CODES = {
  InvalidParameter: { user: true, doc: 'A parameter is malformed (wrong type or format).' },
  MissingParameter: { user: true, doc: 'A required parameter is missing.' },
  UnknownParameter: { user: true, doc: 'A parameter the action does not accept.' },
  InvalidAction: { user: true, doc: 'Missing or unknown Action.' },
  UnsupportedProtocol: { user: true, doc: 'HTTP method other than GET or POST (v2 module error 10410).' },
  NoSuchVersion: { user: true, doc: 'API 3.0 X-TC-Version other than 2018-04-16.' },
  RequestTooLarge: {
    user: true,
    doc: 'Invocation event larger than the limit (6 MB sync, 128 KB async), SCF status 406.',
  },
  SignatureFailure: { user: true, doc: 'The signature does not match the request and the SecretKey.' },
  SecretIdNotFound: { user: true, doc: 'The SecretId is not one of the configured credentials.' },
  SignatureExpire: { user: true, doc: 'Timestamp more than the allowed skew (300 s) away from server time.' },
  NonceReused: {
    user: true,
    doc: 'A replay: the same signed request (Timestamp, Nonce and Signature; for TC3, Timestamp and Signature) was already accepted within the timestamp window.',
  },
  InvalidAuthorization: {
    user: true,
    doc: 'Authorization header is not a well-formed TC3-HMAC-SHA256 header.',
  },
  InvalidParameterValue: { user: true, doc: 'A parameter value is not allowed.' },
  LimitExceededOffset: { user: true, doc: 'Offset + Limit exceeds 10000.' },
  FunctionNotFound: { user: true, doc: 'The function does not exist.' },
  NamespaceNotFound: { user: true, doc: 'The namespace does not exist.' },
  FunctionInUse: { user: true, doc: 'A function of that name already exists in the namespace.' },
  NamespaceInUse: {
    user: true,
    doc: 'The namespace already exists, or still holds functions when deleting.',
  },
  ConcurrencyLimitReached: {
    user: true,
    doc: 'All instances of the function are busy and its queue is full (SCF status 432).',
  },
  UnsupportedOperation: { user: true, doc: 'Not supported by scf-local.' },
  LayerNotFound: {
    user: true,
    doc: 'A layer named in Layers does not exist (scf-local has no layers yet).',
  },
  TriggerNotFound: { user: true, doc: 'The function has no trigger of that name and type.' },
  TriggerInUse: { user: true, doc: 'The function already has a trigger of that name and type.' },
  VersionNotFound: { user: true, doc: 'The function has no published version of that number.' },
  AliasNotFound: { user: true, doc: 'The function has no alias of that name.' },
  AliasInUse: { user: true, doc: 'The function already has an alias of that name.' },
  VersionInUse: {
    user: true,
    doc: 'The version cannot be deleted: an alias routes invocations to it (move the alias first).',
  },
  AsyncEventNotFound: { user: true, doc: 'No asynchronous event has that request id (or it was pruned).' },
  AsyncEventFinal: {
    user: true,
    doc: 'The asynchronous event already ended (FINISHED, FAILED or ABORTED): it cannot be terminated.',
  },
  RequestSizeLimitExceeded: {
    user: true,
    doc: "The request body is larger than its action's limit (api.maxBodyBytes; code uploads api.maxUploadBodyBytes), or a form body does not name SecretId and Timestamp within its first api.preAuthBodyBytes.",
  },
  RequestLimitExceeded: {
    user: true,
    doc: 'Too many request body bytes in flight at once (api.maxBufferedBodyBytes); retry later.',
  },
  DataDirInUse: {
    user: true,
    doc: 'Server start only, never sent over the API: another scf-local server (its pid is in the message) holds the data folder; `scf-local serve` exits 2.',
  },
  ServerUnreachable: {
    user: false,
    doc: 'CLI only, never sent by the server: the scf-local server at --endpoint could not be reached.',
  },
  StoreUnavailable: {
    user: false,
    doc: 'The database (store.backend postgres) cannot be reached right now; nothing was changed by this request, retry it. The server keeps running and recovers when the database is back.',
  },
  InternalError: { user: false, doc: 'An unexpected fault inside scf-local; details are in the server log.' },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;
