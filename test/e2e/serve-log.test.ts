/**
 * What `scf-local serve` writes on stderr, as a user sees it: by default each request and each invocation
 * as a JSON line when stderr is not a terminal, and as a readable line when it is (through `script`, which
 * gives the server a pseudo-terminal); `--log-level warn` (or SCF_LOCAL_LOG_LEVEL) keeps them out. Real
 * binary, real SDK over a real socket.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { type ServeOptions, serve } from '../helpers/serve.js';

const SECRET_ID = 'AKIDservelog';
const SECRET_KEY = 'serve-log-secret';
const env = { SCF_LOCAL_SECRET_ID: SECRET_ID, SCF_LOCAL_SECRET_KEY: SECRET_KEY, SCF_LOCAL_SANDBOX: 'off' };

function client(port: number) {
  return new scf.v20180416.Client({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 30 } },
  });
}

/** stderr without the start-up warning that functions are not isolated (these servers run sandbox "off"). */
function logOf(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter(
      (l) => l !== '' && !l.startsWith('WARNING: functions are NOT ISOLATED') && !l.startsWith('  Install'),
    );
}

/** stderr's log lines, parsed (every one must be JSON). */
function jsonLines(stderr: string): Array<Record<string, unknown>> {
  return logOf(stderr).map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('by default, a request is a JSON line on a stderr that is not a terminal', async (t) => {
  const s = serve(t, { env });
  const port = await s.port();
  const RequestId = (await client(port).ListFunctions({})).RequestId ?? assert.fail('no RequestId');
  await s.until(() => s.stderr().includes(RequestId), 'the request line');
  const line = jsonLines(s.stderr()).find((l) => l['requestId'] === RequestId);
  assert.equal(line?.['level'], 30);
  assert.equal(line?.['action'], 'ListFunctions');
  assert.equal(line?.['protocol'], '3.0');
  assert.equal(line?.['status'], 200);
  assert.match(String(line?.['msg']), /^POST 3\.0 ListFunctions -> 200 in [\d.]+ ms$/);
  // Nothing is wrong here, so nothing at warn or above.
  assert.deepEqual(
    jsonLines(s.stderr()).filter((l) => Number(l['level']) >= 40),
    [],
  );
});

const quiet: Array<[string, ServeOptions]> = [
  ['--log-level warn', { args: ['--log-level', 'warn'], env }],
  ['SCF_LOCAL_LOG_LEVEL=warn', { env: { ...env, SCF_LOCAL_LOG_LEVEL: 'warn' } }],
];
for (const [how, options] of quiet) {
  test(`${how}: no request lines`, async (t) => {
    const s = serve(t, options);
    const port = await s.port();
    await client(port).ListFunctions({});
    s.signal('SIGTERM');
    assert.equal(await s.exited, 0);
    // Lines are written synchronously: whatever the server logged is in stderr once it exited.
    assert.deepEqual(logOf(s.stderr()), []);
  });
}

test('--log-level with an unknown level: a one-line refusal naming the key, exit 2', async (t) => {
  const s = serve(t, { args: ['--log-level', 'loud'], env });
  assert.equal(await s.exited, 2);
  assert.match(s.stderr(), /^scf-local: cannot start: config log\.level: .*\n$/);
});

let hasScript = true;
try {
  execFileSync('script', ['--version'], { stdio: 'ignore' });
} catch {
  hasScript = false;
}

test('on a terminal, readable lines: time, level, what happened', {
  skip: hasScript ? false : 'needs `script` (util-linux) for a pseudo-terminal',
}, async (t) => {
  // NO_COLOR keeps escapes out of what the test reads; colour is pino-pretty's choice otherwise.
  const s = serve(t, { env: { ...env, NO_COLOR: '1' }, tty: true });
  const port = await s.port();
  const RequestId = (await client(port).ListFunctions({})).RequestId ?? assert.fail('no RequestId');
  await s.until(() => s.stdout().includes(RequestId), 'the request line');
  const line =
    s
      .stdout()
      .split(/\r?\n/)
      .find((l) => l.includes(RequestId)) ?? '';
  assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: POST 3\.0 ListFunctions -> 200 in [\d.]+ ms/);
  assert.doesNotMatch(line, /"level"|"msg"/, 'not JSON');
  assert.match(line, new RegExp(`"requestId":"${RequestId}"`), 'the request id follows the message');
});
