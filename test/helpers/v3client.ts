/**
 * The real API 3.0 SDK (`tencentcloud-sdk-nodejs` 4.x) pointed at a local platform over plain HTTP, and
 * the one thing tests read from its failures: the error code.
 */
import assert from 'node:assert/strict';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';

export type V3Client = InstanceType<typeof scf.v20180416.Client>;

export function v3Client(
  port: number,
  options: { secretId?: string; secretKey?: string; mode?: 'tc3-post' | 'tc3-get' | 'hmac-sha256' } = {},
): V3Client {
  const mode = options.mode ?? 'tc3-post';
  return new scf.v20180416.Client({
    credential: { secretId: options.secretId ?? 'AKIDtest', secretKey: options.secretKey ?? 'secret' },
    region: 'ap-guangzhou',
    profile: {
      ...(mode === 'hmac-sha256' ? { signMethod: 'HmacSHA256' as const } : {}),
      httpProfile: {
        endpoint: `127.0.0.1:${port}`,
        protocol: 'http://',
        reqMethod: mode === 'tc3-get' ? 'GET' : 'POST',
        reqTimeout: 30,
      },
    },
  });
}

/** Resolves with the SDK error's `code`; fails the test when the call succeeds. */
export async function errorCodeOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  assert.fail('expected the call to fail');
}
