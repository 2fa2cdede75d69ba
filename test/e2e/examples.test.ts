/**
 * The README's SDK examples, run as a user runs them (`node examples/sdk-v2.cjs`, `node
 * examples/sdk-v3.mjs`, from the repository's root) against a live server on a real socket: the official
 * SDKs (qcloudapi-sdk, tencentcloud-sdk-nodejs), the endpoint from SCF_LOCAL_ENDPOINT, the credentials from
 * the data folder the server generated them in (SCF_LOCAL_DATA_DIR) or from SCF_LOCAL_SECRET_ID/KEY.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createPlatform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

function run(
  file: string,
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repo, 'examples', file), 'testnode'],
      { cwd: repo, env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

test('examples/sdk-v2.cjs and examples/sdk-v3.mjs read the invocations of testnode from a live server', async (t) => {
  const dataDir = tempDir(t, 'scf-local-examples-');
  // No configured credentials: the server generates a pair in its data folder, as `scf-local serve` does.
  const p = await createPlatform({ config: { port: 0, dataDir, log: { level: 'warn' } }, env: {} });
  t.after(() => p.close());
  const { url } = await p.listen();
  p.functions.create({
    functionName: 'testnode',
    handler: 'index.main_handler',
    code: { directory: join(repo, 'examples/testnode') },
  });
  const { requestId } = await p.invoker.invoke({
    functionName: 'testnode',
    event: '{"Records":[{"CMQ":{"msgBody":"4"}}]}',
  });

  // v2, credentials from the generated file.
  const v2 = await run('sdk-v2.cjs', { SCF_LOCAL_ENDPOINT: url, SCF_LOCAL_DATA_DIR: dataDir });
  assert.equal(v2.code, 0, v2.stderr);
  const body = JSON.parse(v2.stdout) as { code: number; data: Array<{ requestId: string; log: string }> };
  assert.equal(body.code, 0);
  assert.equal(body.data[0]?.requestId, requestId);
  assert.match(body.data[0]?.log ?? '', /Hello World/);

  // API 3.0, credentials from the environment.
  const { secretId, secretKey } = JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as {
    secretId: string;
    secretKey: string;
  };
  const v3 = await run('sdk-v3.mjs', {
    SCF_LOCAL_ENDPOINT: url,
    SCF_LOCAL_SECRET_ID: secretId,
    SCF_LOCAL_SECRET_KEY: secretKey,
  });
  assert.equal(v3.code, 0, v3.stderr);
  const logs = JSON.parse(v3.stdout) as {
    TotalCount: number;
    Data: Array<{ RequestId: string; RetCode: number }>;
  };
  assert.equal(logs.TotalCount, 1);
  assert.equal(logs.Data[0]?.RequestId, requestId);
  assert.equal(logs.Data[0]?.RetCode, 0);

  // A wrong key is an error the example reports with a failing exit, not a printed success.
  const wrong = await run('sdk-v3.mjs', {
    SCF_LOCAL_ENDPOINT: url,
    SCF_LOCAL_SECRET_ID: secretId,
    SCF_LOCAL_SECRET_KEY: 'not-the-key',
  });
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /AuthFailure/);
});
