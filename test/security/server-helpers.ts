/**
 * What the server-life security tests share: a real platform on port 0 in a temp folder, real API 3.0 SDK
 * clients, function code written to temp folders and uploaded as zips, and the real `scf-local` binary.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { zipDirectory } from '../../src/functions/code.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const bin = `${repo}bin/scf-local.js`;
export const SECRET_ID = 'AKIDserverlife';
export const SECRET_KEY = 'server-life-secret';

export type Client = InstanceType<typeof scf.v20180416.Client>;

type After = Pick<TestContext, 'after'>;

/** An API 3.0 client (TC3-HMAC-SHA256 over POST) for a server on 127.0.0.1:port. */
export function client(port: number): Client {
  return new scf.v20180416.Client({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 120 } },
  });
}

/** A platform on port 0 with a fresh data folder and the test credentials, closed when `t` ends. */
export async function startPlatform(
  t: After,
  runtime: Record<string, unknown> = {},
): Promise<{ platform: Platform; port: number; dataDir: string }> {
  const dataDir = tempDir(t, 'scf-local-life-');
  const platform = await createPlatform({
    config: {
      port: 0,
      // Request lines (info) would fill the test output; warnings and faults still show.
      log: { level: 'warn' },
      dataDir,
      auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
      runtime,
    },
    env: {},
  });
  t.after(() => platform.close());
  const { port } = await platform.listen();
  return { platform, port, dataDir };
}

/** A function's code: `index.js` with `source` in a temp folder, as the base64 zip CreateFunction takes. */
export function zipOf(t: After, source: string, files: Record<string, string> = {}): string {
  const dir = tempDir(t, 'scf-local-fn-');
  writeFileSync(join(dir, 'index.js'), source);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return Buffer.from(zipDirectory(dir)).toString('base64');
}

/** The SDK error's code, or fails when the call succeeded. */
export async function errorCode(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (err) {
    return String((err as { code?: string }).code);
  }
  throw new Error('expected the call to fail');
}

/** A temp path that does not exist yet (its parent is removed after the test). */
export function freshPath(t: After, name: string): string {
  const parent = mkdtempSync(join(tmpdir(), 'scf-local-life-'));
  t.after(async () => {
    const { rmSync } = await import('node:fs');
    rmSync(parent, { recursive: true, force: true });
  });
  return join(parent, name);
}
