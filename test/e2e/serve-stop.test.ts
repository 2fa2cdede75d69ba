/**
 * How `scf-local serve` stops, with the real binary, real clients and real sockets:
 * - SIGTERM with a busy keep-alive client and an idle one: the idle connection is closed at once, the
 *   request in flight is answered (its invocation finishes) on a connection that then closes, and the
 *   process exits (before, a kept-alive connection held it up until the client let go);
 * - Ctrl-C twice: the first waits for the invocations in flight, the second interrupts them; the waiting
 *   `scf-local invoke` and SDK callers get an answer saying so (not "cannot reach"), the records end
 *   interrupted (retCode 3) by the stop itself (the next start has nothing to recover), and the process
 *   exits 0;
 * - SIGTERM alone with an invocation longer than `api.drainTimeoutMs` (SCF_LOCAL_DRAIN_TIMEOUT_MS): it is
 *   interrupted at the deadline, its caller answered, and the process exits.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { bin, type Served, serve } from '../helpers/serve.js';
import { tc3JsonHeaders } from '../helpers/tc3-request.js';
import { zipOf } from '../security/server-helpers.js';

const SECRET_ID = 'AKIDservestop';
const SECRET_KEY = 'serve-stop-secret';
const env = { SCF_LOCAL_SECRET_ID: SECRET_ID, SCF_LOCAL_SECRET_KEY: SECRET_KEY, SCF_LOCAL_SANDBOX: 'off' };

type Client = InstanceType<typeof scf.v20180416.Client>;

function client(port: number): Client {
  return new scf.v20180416.Client({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 120 } },
  });
}

/** Waits (by asking the server) until `n` invocations of `fn` are running (and have printed `printed`). */
async function untilRunning(c: Client, fn: string, n: number, printed = ''): Promise<void> {
  for (;;) {
    const page = await c.GetFunctionLogs({ FunctionName: fn, Limit: 100 });
    const running = (page.Data ?? []).filter((r) => r.RetCode === 2 && (r.Log ?? '').includes(printed));
    if (running.length >= n) return;
    await new Promise((r) => setImmediate(r));
  }
}

/** A TC3-signed Invoke sent on `agent`'s connection: the answer's body, headers and the socket it came on. */
function invokeOn(
  port: number,
  agent: Agent,
  action: string,
  params: object,
): Promise<{ body: string; connection: string | undefined; socket: Socket }> {
  const body = JSON.stringify(params);
  const headers = tc3JsonHeaders({
    host: `127.0.0.1:${port}`,
    action,
    body,
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    signAction: false,
  });
  return new Promise((resolve, reject) => {
    let socket: Socket | undefined;
    const r = request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ body: text, connection: res.headers.connection, socket: socket! }));
      },
    );
    // The connection it went on (a kept-alive agent detaches it from the response once read).
    r.once('socket', (s) => {
      socket = s;
    });
    r.on('error', reject);
    r.end(body);
  });
}

const closed = (socket: Socket): Promise<void> =>
  new Promise((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));

async function deploy(
  c: Client,
  name: string,
  source: string,
  t: Parameters<typeof zipOf>[0],
): Promise<void> {
  await c.CreateFunction({
    FunctionName: name,
    Handler: 'index.main_handler',
    Runtime: 'Nodejs18.15',
    Timeout: 60,
    Code: { ZipFile: zipOf(t, source) },
  });
}

test('SIGTERM with a busy keep-alive client and an idle one: the request in flight is answered, then the server exits', {
  timeout: 120_000,
}, async (t) => {
  const s = serve(t, { env });
  const port = await s.port();
  const c = client(port);
  await deploy(
    c,
    'slow',
    "exports.main_handler = async () => { await new Promise((r) => setTimeout(r, 1500)); return 'done'; };",
    t,
  );
  // Clients that keep their connections for as long as the server lets them (no timeout of their own).
  const idleAgent = new Agent({ keepAlive: true, timeout: 0 });
  const busyAgent = new Agent({ keepAlive: true, timeout: 0 });
  t.after(() => {
    idleAgent.destroy();
    busyAgent.destroy();
  });
  const idle = await invokeOn(port, idleAgent, 'ListFunctions', {});
  assert.notEqual(idle.connection, 'close', 'kept alive');
  const idleClosed = closed(idle.socket);
  const order: string[] = [];
  void idleClosed.then(() => order.push('idle connection closed'));

  const busy = invokeOn(port, busyAgent, 'Invoke', { FunctionName: 'slow' });
  await untilRunning(c, 'slow', 1);
  s.signal('SIGTERM');
  const answer = await busy;
  order.push('answered');
  const result = (
    JSON.parse(answer.body) as { Response: { Result: { InvokeResult: number; RetMsg: string } } }
  ).Response.Result;
  assert.equal(result.InvokeResult, 0, 'the invocation in flight finished');
  assert.equal(result.RetMsg, '"done"');
  assert.equal(answer.connection, 'close', 'the answer closes its connection');
  await closed(answer.socket);
  assert.equal(await s.exited, 0);
  await idleClosed;
  assert.deepEqual(order, ['idle connection closed', 'answered'], 'the idle connection did not wait');
  assert.match(s.stdout(), /SIGTERM, stopping: 1 invocation\(s\) in flight have 8 s to finish/);
});

/** Runs the real `scf-local invoke`; its exit code and output. */
function cliInvoke(port: number, name: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        bin,
        '--endpoint',
        `http://127.0.0.1:${port}`,
        '--secret-id',
        SECRET_ID,
        '--secret-key',
        SECRET_KEY,
        'invoke',
        name,
        '--data',
        '{"from":"cli"}',
      ],
      { env: { PATH: process.env['PATH'] ?? '' }, timeout: 90_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function twiceCtrlC(s: Served, t: Parameters<typeof zipOf>[0]): Promise<void> {
  const port = await s.port();
  const c = client(port);
  await deploy(
    c,
    'forever',
    "exports.main_handler = async () => { console.log('working'); await new Promise(() => {}); };",
    t,
  );
  const cli = cliInvoke(port, 'forever');
  const sdk = c.Invoke({ FunctionName: 'forever', ClientContext: '{"from":"sdk"}' });
  await untilRunning(c, 'forever', 2, 'working');

  s.signal('SIGINT');
  await s.until(
    () => /SIGINT, stopping: 2 invocation\(s\) in flight/.test(s.stdout()),
    'the first stop message',
  );
  s.signal('SIGINT');
  await s.until(() => /SIGINT again, interrupting/.test(s.stdout()), 'the second stop message');

  const fromCli = await cli;
  assert.equal(fromCli.code, 1, fromCli.stderr);
  assert.doesNotMatch(fromCli.stderr, /cannot reach/);
  assert.match(fromCli.stderr, /interrupted \(retCode 3\)/);
  assert.match(fromCli.stderr, /shutting down/);
  const fromSdk = (await sdk).Result;
  assert.equal(fromSdk?.InvokeResult, 3);
  assert.match(fromSdk?.ErrMsg ?? '', /interrupted/i);
  assert.equal(await s.exited, 0);
}

test('Ctrl-C twice: the invocations in flight are interrupted, their callers told so, their records final', {
  timeout: 120_000,
}, async (t) => {
  const s = serve(t, { env });
  await twiceCtrlC(s, t);
  // Interrupted by the stop itself, not found running by the next start (as after a crash).
  const again = serve(t, { env, dataDir: s.dataDir });
  const port = await again.port();
  assert.doesNotMatch(again.stdout(), /left running by a previous stop/);
  const page = await client(port).GetFunctionLogs({ FunctionName: 'forever', Limit: 10 });
  assert.deepEqual(
    (page.Data ?? []).map((r) => [r.RetCode, r.InvokeFinished]),
    [
      [3, 0],
      [3, 0],
    ],
  );
  assert.ok(
    (page.Data ?? []).every((r) => r.Log?.includes('working')),
    `each keeps what it printed: ${JSON.stringify(page.Data)}`,
  );
});

test('SIGTERM: an invocation still running at the drain deadline is interrupted then, and its caller answered', {
  timeout: 120_000,
}, async (t) => {
  const s = serve(t, { env: { ...env, SCF_LOCAL_DRAIN_TIMEOUT_MS: '300' } });
  const port = await s.port();
  const c = client(port);
  await deploy(c, 'forever', 'exports.main_handler = async () => { await new Promise(() => {}); };', t);
  const waiting = c.Invoke({ FunctionName: 'forever' });
  await untilRunning(c, 'forever', 1);
  s.signal('SIGTERM');
  // One signal only: the deadline (0.3 s) ends the wait, not a second Ctrl-C.
  const answer = (await waiting).Result;
  assert.equal(answer?.InvokeResult, 3);
  assert.match(answer?.ErrMsg ?? '', /interrupted/i);
  assert.equal(await s.exited, 0);
  assert.match(s.stdout(), /have 0\.3 s to finish/);
  assert.doesNotMatch(s.stdout(), /again, interrupting/);
});
