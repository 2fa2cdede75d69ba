/**
 * Handlers are `file.export` inside the function's own code folder (issue 8, item 4): a handler whose file
 * climbs out (`..`), is absolute, or has `.`/empty segments is refused with InvalidParameterValue.Handler at
 * CreateFunction, UpdateFunctionConfiguration and UpdateFunctionCode, over API 3.0, legacy v2 and the CLI,
 * so a function can no longer be made to run another function's code. A nested handler still works.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freshNonce, sdkCall, sdkClient } from '../helpers/v2client.js';
import { bin, client, errorCode, SECRET_ID, SECRET_KEY, startPlatform, zipOf } from './server-helpers.js';

const VICTIM = `exports.main_handler = async () => 'victim code ran';\n`;
const OWN = `exports.main_handler = async () => 'own code ran';\n`;

/** Handlers that name a file outside the code folder, or not plainly inside it. */
const ESCAPES = [
  '../../victim/code-r1/index.main_handler',
  '../victim/index.main_handler',
  'lib/../../victim/code-r1/index.main_handler',
  '/etc/index.main_handler',
  '//tmp/index.main_handler',
  './index.main_handler',
  'lib//index.main_handler',
];

describe('handler traversal', () => {
  test('API 3.0: every escaping handler is refused at create and update; the function keeps its own', async (t) => {
    const { port, platform } = await startPlatform(t);
    const c = client(port);
    await c.CreateFunction({ FunctionName: 'victim', Code: { ZipFile: zipOf(t, VICTIM) } });
    for (const handler of ESCAPES) {
      assert.equal(
        await errorCode(
          c.CreateFunction({ FunctionName: 'attacker', Handler: handler, Code: { ZipFile: zipOf(t, OWN) } }),
        ),
        'InvalidParameterValue.Handler',
        `CreateFunction with ${handler}`,
      );
    }
    assert.equal(await errorCode(c.GetFunction({ FunctionName: 'attacker' })), 'ResourceNotFound.Function');

    await c.CreateFunction({ FunctionName: 'attacker', Code: { ZipFile: zipOf(t, OWN) } });
    for (const handler of ESCAPES) {
      assert.equal(
        // Handler is accepted here (as the CLI sends it) though the SDK's request type does not list it.
        await errorCode(
          c.UpdateFunctionConfiguration({ FunctionName: 'attacker', Handler: handler } as Parameters<
            typeof c.UpdateFunctionConfiguration
          >[0]),
        ),
        'InvalidParameterValue.Handler',
        `UpdateFunctionConfiguration with ${handler}`,
      );
      assert.equal(
        await errorCode(
          c.UpdateFunctionCode({ FunctionName: 'attacker', Handler: handler, ZipFile: zipOf(t, OWN) }),
        ),
        'InvalidParameterValue.Handler',
        `UpdateFunctionCode with ${handler}`,
      );
    }
    assert.equal((await c.GetFunction({ FunctionName: 'attacker' })).Handler, 'index.main_handler');
    const r = await c.Invoke({ FunctionName: 'attacker', ClientContext: '{}' });
    assert.equal(r.Result?.RetMsg, '"own code ran"');
    assert.equal(platform.functions.get('attacker').handler, 'index.main_handler');
  });

  test('a handler in a subfolder of the code is still accepted and runs', async (t) => {
    const { port } = await startPlatform(t);
    const c = client(port);
    const dir = mkdtempSync(join(tmpdir(), 'scf-local-fn-'));
    t.after(async () => (await import('node:fs')).rmSync(dir, { recursive: true, force: true }));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'src', 'app'), { recursive: true });
    writeFileSync(join(dir, 'src', 'app', 'entry.js'), `exports.run = async () => 'nested ran';\n`);
    const { zipDirectory } = await import('../../src/functions/code.js');
    await c.CreateFunction({
      FunctionName: 'nested',
      Handler: 'src/app/entry.run',
      Code: { ZipFile: Buffer.from(zipDirectory(dir)).toString('base64') },
    });
    const r = await c.Invoke({ FunctionName: 'nested', ClientContext: '{}' });
    assert.equal(r.Result?.InvokeResult, 0, r.Result?.ErrMsg);
    assert.equal(r.Result?.RetMsg, '"nested ran"');
  });

  test('legacy v2: CreateFunction with an escaping handler is InvalidParameter (4000) naming Handler', async (t) => {
    const { port } = await startPlatform(t);
    const v2 = sdkClient(SECRET_ID, SECRET_KEY);
    const r = await sdkCall(
      v2,
      {
        Action: 'CreateFunction',
        Nonce: freshNonce(),
        functionName: 'attacker',
        handler: '../../victim/code-r1/index.main_handler',
        code: `@${zipOf(t, OWN)}`,
      },
      { port, method: 'POST' },
    );
    assert.equal(r.code, 4000);
    assert.equal(r.codeDesc, 'InvalidParameter');
    assert.match(r.message, /Handler/);
  });

  test('the CLI: deploy --handler ../… is refused with InvalidParameterValue.Handler, exit 2', async (t) => {
    const { port } = await startPlatform(t);
    const dir = mkdtempSync(join(tmpdir(), 'scf-local-fn-'));
    t.after(async () => (await import('node:fs')).rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'index.js'), OWN);
    const run = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, 'deploy', dir, '--name', 'attacker', '--handler', '../../victim/code-r1/index.main_handler'],
        {
          env: {
            PATH: process.env['PATH'] ?? '',
            SCF_LOCAL_ENDPOINT: `http://127.0.0.1:${port}`,
            SCF_LOCAL_SECRET_ID: SECRET_ID,
            SCF_LOCAL_SECRET_KEY: SECRET_KEY,
          },
          timeout: 60_000,
        },
        (err, _stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }),
      );
    });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /\(InvalidParameterValue\.Handler\)/);
  });
});
