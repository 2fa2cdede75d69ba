/**
 * Web functions (SCF's `Type: "HTTP"`) at the runtime: the instance starts the code's `scf_bootstrap`, a
 * Node server on port 9000, and each invocation replays the HTTP request its event carries to that server
 * and answers with the server's response. The expectations are written from SCF's description of web
 * functions, not from the code: any HTTP answer is a success, the bootstrap's output is the log, a server
 * that dies is a 439, one that never answers a 433.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FunctionRunSpec } from '../../../src/runtime/types.js';
import { fixture, makeRuntime, request, userMessages } from './helpers.js';

const web = (overrides: Partial<FunctionRunSpec> = {}): FunctionRunSpec =>
  fixture('web-node', { runtime: 'Nodejs16.13', type: 'HTTP', ...overrides });

/** The event of one HTTP request, in the shape `web/protocol.ts` documents (written out here). */
function httpEvent(
  method: string,
  path: string,
  options: { headers?: [string, string][]; body?: Buffer; text?: boolean } = {},
): string {
  const body = options.body ?? Buffer.alloc(0);
  return JSON.stringify({
    webRequest: 1,
    method,
    path,
    headers: options.headers ?? [['host', 'example.test']],
    body: options.text ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !options.text,
  });
}

interface Answer {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: string;
  isBase64Encoded: boolean;
}

test('a request goes to the server as it came; its answer, status and headers come back', async (t) => {
  const rt = makeRuntime(t);
  const sandboxed = rt.sandboxStatus().isolated;
  const f = web();
  const req = request(f, {
    event: httpEvent('PUT', '/echo/a%20b?x=1&x=2&y=%E4%BD%A0', {
      headers: [
        ['host', 'example.test'],
        ['content-type', 'text/plain'],
        ['x-multi', 'one'],
        ['x-multi', 'two'],
        ['connection', 'close'],
      ],
      body: Buffer.from('hello body'),
      text: true,
    }),
  });
  const r = await rt.invoke(req);
  assert.equal(r.retCode, 0, r.retMsg);
  const answer = JSON.parse(r.retMsg) as Answer;
  assert.equal(answer.statusCode, 200);
  assert.equal(answer.headers['content-type'], 'application/json');
  assert.equal(answer.isBase64Encoded, false);
  const seen = JSON.parse(answer.body);
  assert.equal(seen.method, 'PUT');
  assert.equal(seen.url, '/echo/a%20b?x=1&x=2&y=%E4%BD%A0');
  assert.equal(Buffer.from(seen.body, 'base64').toString(), 'hello body');
  assert.equal(seen.headers.host, 'example.test');
  assert.equal(seen.headers['x-multi'], 'one, two');
  assert.equal(seen.headers['content-length'], '10');
  assert.equal(seen.headers['x-scf-request-id'], req.requestId);
  // In a sandbox the loopback is the instance's own, and the port SCF's.
  if (sandboxed) assert.equal(seen.port, 9000);
  // The server's start-up line is the top of the first invocation's log, then its own line.
  assert.deepEqual(userMessages(r.log), [
    `web server listening on ${seen.port}`,
    'PUT /echo/a%20b?x=1&x=2&y=%E4%BD%A0 (10 bytes)',
  ]);
  assert.equal(r.coldStart, true);

  // The instance stays: the same server answers the next request.
  const again = await rt.invoke(request(f, { event: httpEvent('GET', '/') }));
  assert.equal(again.retCode, 0, again.retMsg);
  assert.equal(again.coldStart, false);
  const second = JSON.parse((JSON.parse(again.retMsg) as Answer).body);
  assert.equal(second.hits, 2);
  assert.equal(second.pid, seen.pid);
  assert.deepEqual(userMessages(again.log), ['GET / (0 bytes)']);
});

test('binary bodies cross both ways as base64; repeated response headers stay apart', async (t) => {
  const rt = makeRuntime(t);
  const f = web();
  const sent = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3]);
  const r = await rt.invoke(
    request(f, {
      event: httpEvent('POST', '/binary', {
        headers: [['content-type', 'application/octet-stream']],
        body: sent,
      }),
    }),
  );
  assert.equal(r.retCode, 0, r.retMsg);
  const answer = JSON.parse(r.retMsg) as Answer;
  assert.equal(answer.statusCode, 201);
  assert.equal(answer.isBase64Encoded, true);
  assert.equal(answer.headers['x-kind'], 'binary');
  const bytes = Buffer.from(answer.body, 'base64');
  assert.equal(bytes.length, 256 + sent.length);
  for (let i = 0; i < 256; i++) assert.equal(bytes[i], i);
  assert.deepEqual(bytes.subarray(256), sent);

  const cookies = JSON.parse((await rt.invoke(request(f, { event: httpEvent('GET', '/cookies') }))).retMsg);
  assert.deepEqual(cookies.headers['set-cookie'], ['a=1; Path=/', 'b=2; Path=/']);
  assert.equal(cookies.body, 'two cookies');
  assert.equal(cookies.isBase64Encoded, false);
});

test('any HTTP status is a successful invocation; a server that drops the connection is a 430', async (t) => {
  const rt = makeRuntime(t);
  const f = web();
  const r = await rt.invoke(request(f, { event: httpEvent('GET', '/status?code=503') }));
  assert.equal(r.retCode, 0);
  assert.equal((JSON.parse(r.retMsg) as Answer).statusCode, 503);

  const dropped = await rt.invoke(request(f, { event: httpEvent('GET', '/drop') }));
  assert.equal(dropped.retCode, 430);
  assert.match(JSON.parse(dropped.retMsg).errorMessage, /did not answer/);
  const after = await rt.invoke(request(f, { event: httpEvent('GET', '/') }));
  assert.equal(after.retCode, 0, 'the server goes on');
  assert.equal(after.coldStart, false);
});

test('a kept-alive connection the server closes as the next request comes: sent again on a new one', async (t) => {
  // What a server's keep-alive timeout does when it fires as the instance is thawed for the next request.
  const rt = makeRuntime(t);
  const f = web();
  const first = await rt.invoke(request(f, { event: httpEvent('GET', '/close-next') }));
  assert.equal(first.retCode, 0, first.retMsg);
  const next = await rt.invoke(
    request(f, { event: httpEvent('POST', '/after', { body: Buffer.from('x') }) }),
  );
  assert.equal(next.retCode, 0, next.retMsg);
  const seen = JSON.parse((JSON.parse(next.retMsg) as Answer).body);
  assert.equal(seen.url, '/after');
  assert.equal(seen.hits, 2, 'served once');
});

test('an event that is not an HTTP request is refused (430), the instance goes on', async (t) => {
  const rt = makeRuntime(t);
  const f = web();
  const r = await rt.invoke(request(f, { event: '{"hello":"world"}' }));
  assert.equal(r.retCode, 430);
  assert.match(JSON.parse(r.retMsg).errorMessage, /answers HTTP requests at its URL/);
});

test('a server that exits is a 439; one that never answers times out (433); the next gets a new one', async (t) => {
  const rt = makeRuntime(t);
  const f = web({ timeout: 1 });
  const exited = await rt.invoke(request(f, { event: httpEvent('GET', '/exit') }));
  assert.equal(exited.retCode, 439);
  assert.match(exited.retMsg, /exit code 3/);
  assert.ok(userMessages(exited.log).includes('exiting on purpose'), exited.log);

  const hung = await rt.invoke(request(f, { event: httpEvent('GET', '/hang') }));
  assert.equal(hung.retCode, 433);
  assert.equal(hung.coldStart, true);
  assert.ok(userMessages(hung.log).includes('hanging on purpose'), hung.log);

  const fresh = await rt.invoke(request(f, { event: httpEvent('GET', '/') }));
  assert.equal(fresh.retCode, 0, fresh.retMsg);
  assert.equal(fresh.coldStart, true);
});

test('a response body over 6 MB makes the result too large (407)', async (t) => {
  const rt = makeRuntime(t);
  const r = await rt.invoke(request(web(), { event: httpEvent('GET', `/big?bytes=${7 * 1024 * 1024}`) }));
  assert.equal(r.retCode, 407);
});

test('a bootstrap that never listens fails the start (439) at the init timeout, with what it printed', async (t) => {
  // The Custom Runtime fixture that never reports ready never listens on port 9000 either.
  const rt = makeRuntime(t);
  const f = fixture('custom-never-ready', { type: 'HTTP', initTimeout: 1 });
  const r = await rt.invoke(request(f, { event: httpEvent('GET', '/') }));
  assert.equal(r.retCode, 439);
  assert.match(r.retMsg, /did not listen on port \d+ within 1 s \(init timeout\)/);
  assert.match(r.retMsg, /warming up forever/);
});

test('without a sandbox the server is told a free port in PORT (9000 is the host’s, shared)', async (t) => {
  const rt = makeRuntime(t, { sandbox: 'off' });
  const r = await rt.invoke(request(web(), { event: httpEvent('GET', '/where') }));
  assert.equal(r.retCode, 0, r.retMsg);
  const seen = JSON.parse((JSON.parse(r.retMsg) as Answer).body);
  assert.equal(seen.url, '/where');
  assert.notEqual(seen.port, 9000);
});
