/**
 * The headers of an API 3.0 request with a JSON body (`POST /`), TC3-signed as the SDKs sign it, for tests
 * that send raw requests (to watch the connection, the bytes, or a replay) instead of going through an SDK.
 */
import { signTc3 } from '../../src/cli/tc3.js';

export interface Tc3JsonRequest {
  /** `host[:port]` as dialled. */
  host: string;
  action: string;
  body: string | Buffer;
  secretId: string;
  secretKey: string;
  /** Unix seconds; default now. */
  timestamp?: number;
  /** Sign X-TC-Action too (the Node SDK does); default true. Otherwise only content-type and host. */
  signAction?: boolean;
  /** X-TC-Region, when the request names one. */
  region?: string;
}

export function tc3JsonHeaders(r: Tc3JsonRequest): Record<string, string> {
  const timestamp = r.timestamp ?? Math.floor(Date.now() / 1000);
  const action = { 'x-tc-action': r.action };
  const signAction = r.signAction ?? true;
  const signed = { 'content-type': 'application/json', host: r.host, ...(signAction ? action : {}) };
  const { authorization } = signTc3({
    method: 'POST',
    path: '/',
    query: '',
    headers: signed,
    body: r.body,
    timestamp,
    service: 'scf',
    secretId: r.secretId,
    secretKey: r.secretKey,
  });
  return {
    ...signed,
    authorization,
    ...(signAction ? {} : action),
    'x-tc-version': '2018-04-16',
    'x-tc-timestamp': String(timestamp),
    ...(r.region === undefined ? {} : { 'x-tc-region': r.region }),
  };
}
