/**
 * `scf-local serve` (the real binary, in a child process) reads its configuration from a JSON file, the
 * environment and its flags, in that order of precedence (docs/configuration.md), and refuses a bad
 * configuration at once, exit 2, with one line naming the key, having created nothing.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';

const bin = fileURLToPath(new URL('../../../bin/scf-local.js', import.meta.url));

/** A port free right now (bound, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Started {
  /** The URL printed on "scf-local listening on <url>", if it started. */
  url: string | undefined;
  /** The exit code, if it ended by itself. */
  code: number | null | undefined;
  stdout: string;
  stderr: string;
}

/**
 * Runs `scf-local serve` until it says it listens (then stops it with SIGTERM, which must end it with 0)
 * or ends by itself.
 */
function serve(t: TestContext, args: string[], env: Record<string, string> = {}): Promise<Started> {
  const child: ChildProcess = spawn(process.execPath, [bin, 'serve', ...args], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve neither started nor ended: ${stderr}`)), 30_000);
    let url: string | undefined;
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d;
      const m = /scf-local listening on (\S+)\n/.exec(stdout);
      if (m && url === undefined) {
        url = m[1];
        child.kill('SIGTERM');
      }
    });
    // 'close': the process ended and its output was read to the end.
    child.once('close', (code) => {
      clearTimeout(timer);
      if (url !== undefined && code !== 0) {
        reject(new Error(`SIGTERM must stop the server with 0, got ${code}: ${stderr}`));
        return;
      }
      resolve({ url, code: url === undefined ? code : undefined, stdout, stderr });
    });
  });
}

describe('scf-local serve: configuration from file, environment and flags', () => {
  test('a flag beats the environment, which beats the file; what they leave unset comes from the file', async (t) => {
    const [fromFile, fromEnv, fromFlag] = [await freePort(), await freePort(), await freePort()];
    const dir = tempDir(t);
    const dataDir = join(dir, 'data-from-file');
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({ port: fromFile, dataDir, runtime: { stemCells: 0, sandbox: 'off' } }),
    );

    const all = await serve(t, ['--config', file, '--port', String(fromFlag)], {
      SCF_LOCAL_PORT: String(fromEnv),
    });
    assert.equal(all.url, `http://127.0.0.1:${fromFlag}`, all.stderr);
    assert.match(all.stdout, new RegExp(`data: +${dataDir}`));

    const noFlag = await serve(t, ['--config', file], { SCF_LOCAL_PORT: String(fromEnv) });
    assert.equal(noFlag.url, `http://127.0.0.1:${fromEnv}`, noFlag.stderr);

    const fileOnly = await serve(t, ['--config', file]);
    assert.equal(fileOnly.url, `http://127.0.0.1:${fromFile}`, fileOnly.stderr);

    // --data-dir beats the file's dataDir too.
    const otherData = join(dir, 'data-from-flag');
    const dataFlag = await serve(t, ['--config', file, '--port', '0', '--data-dir', otherData]);
    assert.match(dataFlag.stdout, new RegExp(`data: +${otherData}`), dataFlag.stderr);
  });

  test('an unknown key in the file: exit 2, one line naming the key, nothing created', async (t) => {
    const dir = tempDir(t);
    const dataDir = join(dir, 'data');
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ port: 0, dataDir, runtime: { stemcell: 0 } }));
    const r = await serve(t, ['--config', file]);
    assert.equal(r.url, undefined);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, 'scf-local: cannot start: unknown config key runtime.stemcell\n');
    assert.equal(existsSync(dataDir), false, 'the data folder was created');
  });

  test('a bad value from the environment or a flag: exit 2 naming the key', async (t) => {
    const dataDir = join(tempDir(t), 'data');
    const env = await serve(t, ['--data-dir', dataDir], { SCF_LOCAL_LOG_FORMAT: 'json' });
    assert.equal(env.code, 2, env.stderr);
    assert.match(env.stderr, /^scf-local: cannot start: config runtime\.logFormat: /);
    const flag = await serve(t, ['--data-dir', dataDir, '--port', 'eighty']);
    assert.equal(flag.code, 2, flag.stderr);
    assert.match(flag.stderr, /^scf-local: cannot start: config port: /);
    assert.equal(existsSync(dataDir), false, 'the data folder was created');
  });
});
