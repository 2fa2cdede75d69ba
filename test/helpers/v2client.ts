/**
 * The real v2 SDK (`qcloudapi-sdk@0.2.1`, CommonJS, untyped) for tests, with the little typing they need,
 * plus a promise wrapper. Requests go over a real socket to `127.0.0.1:<port>` with `protocol: 'http'`.
 */
import { createRequire } from 'node:module';

export interface CapiOptions {
  host?: string;
  protocol?: string;
  method?: 'GET' | 'POST';
  signatureMethod?: 'sha1' | 'sha256';
  path?: string;
  SecretId?: string;
  SecretKey?: string;
}

export type CapiData = Record<string, unknown>;

export interface CapiClient {
  request(data: CapiData, opts: CapiOptions, cb: (err: Error | null, body: unknown) => void): void;
  generateQueryString(data: CapiData, opts: CapiOptions): string;
}

type CapiConstructor = new (defaults: Record<string, unknown>) => CapiClient;

const require = createRequire(import.meta.url);
export const Capi = require('qcloudapi-sdk') as CapiConstructor;

/** The v2 envelope as the tests read it. */
export interface V2Body {
  code: number;
  message: string;
  codeDesc: string;
  [k: string]: unknown;
}

export function sdkClient(
  secretId: string,
  secretKey: string,
  defaults: Record<string, unknown> = {},
): CapiClient {
  return new Capi({
    SecretId: secretId,
    SecretKey: secretKey,
    serviceType: 'scf',
    Region: 'gz',
    ...defaults,
  });
}

let nonce = Math.floor(Math.random() * 1_000_000);
/**
 * A Nonce no other request of this process used. qcloudapi-sdk draws Nonce from 0..65535, so tests that
 * send hundreds of requests within a second would now and then repeat one and be rejected as a replay
 * (as they would be by SCF); those tests pass their own.
 */
export const freshNonce = (): number => ++nonce;

export interface CallOptions {
  port: number;
  method?: 'GET' | 'POST';
  sha256?: boolean;
}

/** One SDK call; resolves with the parsed JSON body. */
export function sdkCall(client: CapiClient, data: CapiData, options: CallOptions): Promise<V2Body> {
  const opts: CapiOptions = {
    host: `127.0.0.1:${options.port}`,
    protocol: 'http',
    method: options.method ?? 'GET',
  };
  if (options.sha256) opts.signatureMethod = 'sha256';
  return new Promise((resolve, reject) => {
    client.request(data, opts, (err, body) => {
      if (err) reject(err);
      else resolve(body as V2Body);
    });
  });
}
