/**
 * A running platform for the v2 compatibility tests: real HTTP on port 0, one credential, a temp data
 * folder, and the qcloudapi-sdk client pointed at it.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { zipSync } from 'fflate';
import type { ConfigInput } from '../../src/config/index.js';
import { createPlatform, type Platform } from '../../src/index.js';
import {
  type CallOptions,
  type CapiClient,
  type CapiData,
  sdkCall,
  sdkClient,
  type V2Body,
} from '../helpers/v2client.js';

export const SECRET_ID = 'AKIDtest';
export const SECRET_KEY = 'secret';

export interface V2Env {
  platform: Platform;
  port: number;
  client: CapiClient;
  call(data: CapiData, options?: Omit<CallOptions, 'port'>): Promise<V2Body>;
}

/**
 * Registers a platform for the enclosing `describe` (call in its body): started in a `before` hook, closed
 * and its data folder removed in an `after` hook. Read it inside tests with `get()`.
 */
export function v2Suite(config: ConfigInput = {}): { get(): V2Env } {
  let env: V2Env | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'scf-local-v2-'));
  before(async () => {
    const platform = await createPlatform({
      config: {
        // Request lines (info) would fill the test output; warnings and faults still show (a test may say otherwise).
        log: { level: 'warn' },
        // Suites seed records of fixed dates (2024): retention would delete them as the platform starts.
        store: { retentionDays: 0 },
        ...config,
        port: 0,
        dataDir,
        auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
      },
      env: {},
    });
    const { port } = await platform.listen();
    const client = sdkClient(SECRET_ID, SECRET_KEY);
    env = {
      platform,
      port,
      client,
      call: (data, options = {}) => sdkCall(client, data, { ...options, port }),
    };
  });
  after(async () => {
    await env?.platform.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    get: () => {
      if (!env) throw new Error('the v2 platform did not start');
      return env;
    },
  };
}

/** `@` + base64 of a zip holding the given files, the v2 `code` parameter. */
export function codeParam(files: Record<string, string>): string {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, text] of Object.entries(files)) entries[name] = Buffer.from(text);
  return `@${Buffer.from(zipSync(entries)).toString('base64')}`;
}

export const testnodeCode = (): string =>
  codeParam({
    'index.js': readFileSync(new URL('../../../examples/testnode/index.js', import.meta.url), 'utf8'),
  });
