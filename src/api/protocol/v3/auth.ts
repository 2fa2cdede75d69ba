/**
 * Reading and authenticating an API 3.0 request: which signing it uses, its common parameters (action,
 * version, region, timestamp) and its action parameters as one JSON-shaped object.
 *
 * - TC3-HMAC-SHA256 (an `Authorization: TC3-HMAC-SHA256 ...` header): common parameters in `X-TC-*`
 *   headers; action parameters in a JSON body (POST) or a flattened query (GET). The canonical request
 *   is rebuilt from what was received: the raw query string, the exact body bytes, the headers the
 *   Authorization header lists. The service comes from the credential scope (the Node SDK writes the
 *   endpoint's first label there, e.g. `127`), and the host is tried with and without its port (the Node
 *   SDK signs it without, other SDKs with).
 * - v1 (HmacSHA1/HmacSHA256, no Authorization header): everything, `Signature` included, in the form
 *   body (POST) or the query (GET); the string to sign uses the Host header as sent (with its port).
 *
 * Order of checks, so that each failure has one meaning: shape of the authorization -> timestamp window
 * -> SecretId -> signature -> nonce (v1; recorded only after the signature verified, so forged requests
 * cannot burn nonces) -> version. The action itself is checked by the caller.
 */
import { timingSafeEqual } from 'node:crypto';
import { ScfError } from '../../../errors/index.js';
import type { AdmissionCheck, ProtocolContext, WireHead, WireRequest } from '../../wire.js';
import { isWriteAction } from './actions.js';
import { MONITOR_VERSION } from './monitor.js';
import { type Json, missing, unflatten } from './params.js';
import {
  TC3_ALGORITHM,
  tc3CanonicalRequest,
  tc3Date,
  tc3PayloadHash,
  tc3Signature,
  v1Method,
  v1Signature,
  v1StringToSign,
} from './sign.js';

export const API_VERSION = '2018-04-16';

export type Signing = 'TC3-HMAC-SHA256' | 'HmacSHA1' | 'HmacSHA256';

export interface AuthenticatedCall {
  action: string;
  /** The API version named: SCF's (`API_VERSION`) or Cloud Monitor's (`MONITOR_VERSION`). */
  version: string;
  region: string | undefined;
  secretId: string;
  signing: Signing;
  /** The action's parameters, unflattened (common parameters removed). */
  params: Json;
}

/** Common parameters of v1 signing: never passed on to an action. */
const V1_COMMON = new Set([
  'Action',
  'Version',
  'Region',
  'Timestamp',
  'Nonce',
  'SecretId',
  'Signature',
  'SignatureMethod',
  'Token',
  'Language',
  'RequestClient',
]);

const SIGNATURE_FAILURE_MESSAGE =
  'The provided credentials could not be validated. Please check your signature is correct.';

/** Constant-time comparison of two signatures (as text). */
function sameSignature(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The host as sent, then without its port (IPv6 literals `[::1]:9000` keep their brackets). */
export function hostVariants(host: string): string[] {
  const m = /^(\[[^\]]*\]|[^:]*):\d+$/.exec(host);
  return m?.[1] && m[1] !== host ? [host, m[1]] : [host];
}

/** Form/query text -> decoded pairs, in order (`+` is a space, as form encoding says). */
export function parseFormPairs(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (text === '') return pairs;
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    try {
      pairs.push([
        decodeURIComponent(rawKey.replace(/\+/g, ' ')),
        decodeURIComponent(rawValue.replace(/\+/g, ' ')),
      ]);
    } catch (err) {
      throw new ScfError('InvalidParameter', `malformed percent-encoding in ${JSON.stringify(rawKey)}`, {
        cause: err,
      });
    }
  }
  return pairs;
}

function checkTimestamp(text: string | undefined, ctx: ProtocolContext, name: string): number {
  if (text === undefined || text === '') throw missing(name);
  if (!/^\d+$/.test(text.trim())) {
    throw new ScfError('InvalidParameterValue', `${name} must be Unix seconds`, { field: 'Timestamp' });
  }
  const ts = Number(text.trim());
  ctx.replay.checkTimestamp(ts);
  return ts;
}

function secretKeyOf(secretId: string, ctx: ProtocolContext): string {
  const key = ctx.credentials.secretKey(secretId);
  if (key === undefined) {
    throw new ScfError(
      'SecretIdNotFound',
      'The SecretId is not found, please ensure that your SecretId is correct.',
    );
  }
  return key;
}

/**
 * The API versions served on this endpoint: SCF's, and Cloud Monitor's (its GetMonitorData for SCF's
 * metrics; `monitor.ts`). The version picks the action table (`index.ts`).
 */
export const SERVED_VERSIONS: readonly string[] = [API_VERSION, MONITOR_VERSION];

function checkVersion(version: string | undefined): string {
  if (version === undefined || version === '') throw missing('Version');
  if (!SERVED_VERSIONS.includes(version)) {
    throw new ScfError(
      'NoSuchVersion',
      `The requested version \`${version}\` of service \`scf\` does not exist; scf-local serves ${API_VERSION}.`,
    );
  }
  return version;
}

interface Tc3Authorization {
  secretId: string;
  date: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const TC3_AUTH_RE =
  /^TC3-HMAC-SHA256\s+Credential=([^/,\s]+)\/(\d{4}-\d{2}-\d{2})\/([^/,\s]+)\/tc3_request\s*,\s*SignedHeaders=([a-z0-9;_.-]+)\s*,\s*Signature=([0-9a-fA-F]{64})\s*$/i;

/** Parses `TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=..., Signature=...`. */
export function parseTc3Authorization(header: string): Tc3Authorization {
  const m = TC3_AUTH_RE.exec(header.trim());
  if (!m) {
    throw new ScfError(
      'InvalidAuthorization',
      'The Authorization header is not a well-formed TC3-HMAC-SHA256 authorization ' +
        '(TC3-HMAC-SHA256 Credential=<SecretId>/<Date>/<Service>/tc3_request, SignedHeaders=<h1;h2>, Signature=<hex>).',
    );
  }
  const [, secretId, date, service, signed, signature] = m as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const signedHeaders = signed.toLowerCase().split(';');
  // The SDKs always sign these two; without them the signature would not bind the body type or the host.
  if (!signedHeaders.includes('content-type') || !signedHeaders.includes('host')) {
    throw new ScfError('InvalidAuthorization', 'SignedHeaders must include content-type and host.');
  }
  return { secretId, date, service, signedHeaders, signature: signature.toLowerCase() };
}

/** `auth.requireSignedAction`: the action must be bound by the signature. */
function checkSignedAction(auth: Tc3Authorization, ctx: ProtocolContext): void {
  if (ctx.actions.config.auth.requireSignedAction && !auth.signedHeaders.includes('x-tc-action')) {
    throw new ScfError(
      'InvalidAuthorization',
      'SignedHeaders must include x-tc-action on this server (auth.requireSignedAction).',
    );
  }
}

function authenticateTc3(req: WireRequest, ctx: ProtocolContext, authorization: string): AuthenticatedCall {
  const auth = parseTc3Authorization(authorization);
  checkSignedAction(auth, ctx);
  const timestamp = checkTimestamp(req.headers['x-tc-timestamp'], ctx, 'X-TC-Timestamp');
  const secretKey = secretKeyOf(auth.secretId, ctx);
  if (auth.date !== tc3Date(timestamp)) {
    throw new ScfError(
      'SignatureFailure',
      `${SIGNATURE_FAILURE_MESSAGE} (credential date ${auth.date} is not the UTC date of X-TC-Timestamp)`,
    );
  }
  const method = req.method.toUpperCase();
  const signedValues: Array<[string, string]> = [];
  for (const name of auth.signedHeaders) {
    const value = name === 'host' ? req.host : req.headers[name];
    if (value === undefined) {
      throw new ScfError(
        'SignatureFailure',
        `${SIGNATURE_FAILURE_MESSAGE} (signed header ${name} is missing)`,
      );
    }
    signedValues.push([name, value]);
  }
  const body = method === 'GET' ? Buffer.alloc(0) : req.body;
  let ok = false;
  const bodyHash = tc3PayloadHash(body);
  for (const host of hostVariants(req.host)) {
    const headers = signedValues.map(([n, v]) => [n, n === 'host' ? host : v] as const);
    const canonicalRequest = tc3CanonicalRequest({
      method,
      path: req.path,
      rawQuery: req.rawQuery,
      headers,
      body,
      bodyHash,
    });
    const expected = tc3Signature({
      secretKey,
      timestamp,
      date: auth.date,
      service: auth.service,
      canonicalRequest,
    });
    if (sameSignature(expected, auth.signature)) {
      ok = true;
      break;
    }
  }
  if (!ok) throw new ScfError('SignatureFailure', SIGNATURE_FAILURE_MESSAGE);
  const action = req.headers['x-tc-action'];
  ctx.replay.useSignature(auth.secretId, timestamp, auth.signature, { write: isWriteAction(action) });

  const version = checkVersion(req.headers['x-tc-version']);
  if (action === undefined || action === '') throw new ScfError('InvalidAction', 'X-TC-Action is missing.');
  return {
    action,
    version,
    region: req.headers['x-tc-region'],
    secretId: auth.secretId,
    signing: TC3_ALGORITHM,
    params: method === 'GET' ? unflatten(parseFormPairs(req.rawQuery)) : tc3Body(req),
  };
}

function tc3Body(req: WireRequest): Json {
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('multipart/')) {
    throw new ScfError(
      'UnsupportedProtocol',
      'multipart/form-data bodies are not supported by scf-local; send JSON.',
    );
  }
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return unflatten(parseFormPairs(req.body.toString('utf8')));
  }
  const text = req.body.toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ScfError('InvalidParameter', 'The request body is not valid JSON.', { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ScfError('InvalidParameter', 'The request body must be a JSON object.');
  }
  return parsed as Json;
}

function authenticateV1(req: WireRequest, ctx: ProtocolContext): AuthenticatedCall {
  const method = req.method.toUpperCase();
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  const pairs = parseFormPairs(req.rawQuery);
  if (method === 'POST') {
    if (type.startsWith('application/json')) {
      throw new ScfError('InvalidAuthorization', JSON_NEEDS_TC3);
    }
    pairs.push(...parseFormPairs(req.body.toString('utf8')));
  }
  const all = new Map<string, string>();
  for (const [k, v] of pairs) {
    if (all.has(k)) throw new ScfError('InvalidParameter', `parameter ${k} is given twice`);
    all.set(k, v);
  }
  const signature = all.get('Signature');
  if (signature === undefined || signature === '') {
    throw new ScfError(
      'InvalidAuthorization',
      'The request is not signed: send an Authorization header (TC3-HMAC-SHA256) or Signature (HmacSHA1/HmacSHA256).',
    );
  }
  const secretId = all.get('SecretId');
  if (secretId === undefined || secretId === '') throw missing('SecretId');
  const timestamp = checkTimestamp(all.get('Timestamp'), ctx, 'Timestamp');
  const nonce = all.get('Nonce');
  if (nonce === undefined || nonce === '') throw missing('Nonce');
  const secretKey = secretKeyOf(secretId, ctx);

  const signMethod = v1Method(all.get('SignatureMethod'));
  const signed = [...all].filter(([k]) => k !== 'Signature');
  // The Python SDK signs `_` in names as `.`, like v2; try that spelling only when it differs.
  const candidates = [signed];
  if (signed.some(([k]) => k.includes('_')))
    candidates.push(signed.map(([k, v]) => [k.replace(/_/g, '.'), v]));
  let ok = false;
  outer: for (const params of candidates) {
    for (const host of hostVariants(req.host)) {
      const expected = v1Signature(
        secretKey,
        v1StringToSign({ method, host, path: req.path, params }),
        signMethod,
      );
      if (sameSignature(expected, signature)) {
        ok = true;
        break outer;
      }
    }
  }
  if (!ok) throw new ScfError('SignatureFailure', SIGNATURE_FAILURE_MESSAGE);
  // A replay is the same signed request again, so the key is (Timestamp, Nonce, Signature): SDKs draw the
  // nonce from only 65536 values, so different requests in the same second can share one (their
  // signatures differ; an exact replay's does not).
  ctx.replay.useNonce(secretId, `${timestamp}/${nonce}/${signature}`);

  const version = checkVersion(all.get('Version'));
  const action = all.get('Action');
  if (action === undefined || action === '') throw new ScfError('InvalidAction', 'Action is missing.');
  const actionPairs = [...all].filter(([k]) => !V1_COMMON.has(k));
  return {
    action,
    version,
    region: all.get('Region'),
    secretId,
    signing: signMethod,
    params: unflatten(actionPairs),
  };
}

const JSON_NEEDS_TC3 = 'A JSON request must be signed with TC3-HMAC-SHA256 in the Authorization header.';

/**
 * The checks that need no body, run before it is read: method, the authorization's shape and algorithm,
 * timestamp window, SecretId known (the same order and errors as `authenticate`). Returns the action named
 * in X-TC-Action or the query, or `params-in-body` for a v1 form POST (its SecretId is in the body; the
 * server then calls `precheckParams` on the form's first parameters).
 */
export function precheck(head: WireHead, ctx: ProtocolContext): AdmissionCheck {
  const { method, authorization } = readHead(head);
  if (authorization !== undefined) {
    const auth = parseTc3Authorization(authorization);
    checkSignedAction(auth, ctx);
    checkTimestamp(head.headers['x-tc-timestamp'], ctx, 'X-TC-Timestamp');
    secretKeyOf(auth.secretId, ctx);
    return { action: head.headers['x-tc-action'] };
  }
  const type = (head.headers['content-type'] ?? '').toLowerCase();
  if (method === 'POST' && type.startsWith('application/json')) {
    throw new ScfError('InvalidAuthorization', JSON_NEEDS_TC3);
  }
  const query = new Map<string, string>();
  for (const [k, v] of parseFormPairs(head.rawQuery)) if (!query.has(k)) query.set(k, v);
  if (method === 'POST' && !query.has('SecretId')) return 'params-in-body';
  return precheckParams(query, ctx);
}

/** v1 signing: SecretId and Timestamp (from the query or a form body's first parameters) checked. */
export function precheckParams(
  params: ReadonlyMap<string, string>,
  ctx: ProtocolContext,
): { action: string | undefined } {
  const secretId = params.get('SecretId');
  if (secretId === undefined || secretId === '') {
    if (!params.has('Signature')) {
      throw new ScfError(
        'InvalidAuthorization',
        'The request is not signed: send an Authorization header (TC3-HMAC-SHA256) or Signature (HmacSHA1/HmacSHA256).',
      );
    }
    throw missing('SecretId');
  }
  checkTimestamp(params.get('Timestamp'), ctx, 'Timestamp');
  secretKeyOf(secretId, ctx);
  return { action: params.get('Action') };
}

/** Authenticates a request and returns its action and parameters; throws a coded ScfError otherwise. */
export function authenticate(req: WireRequest, ctx: ProtocolContext): AuthenticatedCall {
  const { authorization } = readHead(req);
  return authorization !== undefined ? authenticateTc3(req, ctx, authorization) : authenticateV1(req, ctx);
}

/**
 * What `precheck` and `authenticate` both check first: the method (GET or POST) and, when an Authorization
 * header is given, that it is TC3-HMAC-SHA256 (returned; undefined = v1 signing in the parameters).
 */
function readHead(head: WireHead): { method: string; authorization: string | undefined } {
  const method = head.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') {
    throw new ScfError('UnsupportedProtocol', `HTTP method ${method} is not supported; use GET or POST.`);
  }
  const authorization = head.headers['authorization'];
  if (authorization === undefined || authorization === '') return { method, authorization: undefined };
  if (!/^TC3-HMAC-SHA256\b/i.test(authorization.trim())) {
    throw new ScfError(
      'InvalidAuthorization',
      'Only TC3-HMAC-SHA256 is supported in the Authorization header.',
    );
  }
  return { method, authorization };
}
