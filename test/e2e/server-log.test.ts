/**
 * The server's one logger, through the whole platform:
 * - faults nobody awaits (a failed batch of record writes, an async invocation whose final record cannot be
 *   written) and InternalError answers of both APIs reach the logger the platform was given, at `error`,
 *   with the error and the request id. The faults are real: the platform's SQLite store is closed
 *   underneath it;
 * - every API request is one `info` line once answered, saying what the answer said (its code, RequestId,
 *   the invocation it started), refusals by admission included; every invocation's end is one `info` line
 *   with its record's figures. The oracle is each answer as the client read it off the wire.
 * Requests go over a real socket through the real SDKs (tencentcloud-sdk-nodejs for API 3.0, qcloudapi-sdk
 * for v2), or as raw signed HTTP where a request must be malformed on purpose.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { signTc3 } from '../../src/cli/tc3.js';
import type { ConfigInput } from '../../src/config/index.js';
import { createLogger } from '../../src/logger/index.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { tc3JsonHeaders } from '../helpers/tc3-request.js';
import { tempDir } from '../helpers/tmp.js';
import { sdkCall, sdkClient } from '../helpers/v2client.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET_ID = 'AKIDtest';
const SECRET_KEY = 'secret';
/** pino's numbers for levels (its documented values: trace 10, debug 20, info 30, warn 40, error 50). */
const ERROR = 50;
const INFO = 30;
const DEBUG = 20;

/** One parsed pino line; the fields these tests read. */
interface LogLine {
  level: number;
  msg: string;
  err?: { type: string; message: string; stack: string; code?: string };
  requestId?: string;
  requestIds?: string[];
  action?: string;
  reqId?: string;
  method?: string;
  protocol?: string;
  path?: string;
  functionName?: string;
  namespace?: string;
  status?: number;
  code?: string;
  v2Code?: number;
  durationMs?: number;
  functionRequestId?: string;
  retCode?: number;
  memUsage?: number;
  [k: string]: unknown;
}

/** A platform whose logger (level `trace`: everything it would write) writes into `lines`. */
async function start(
  t: Parameters<typeof tempDir>[0],
  api: ConfigInput['api'] = {},
): Promise<{ p: Platform; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const logger = createLogger({ level: 'trace' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const p = await createPlatform({
    config: {
      port: 0,
      dataDir: tempDir(t),
      auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
      runtime: { stemCells: 0 },
      api,
    },
    env: {},
    logger,
  });
  t.after(() => p.close());
  return { p, lines };
}

const errors = (lines: LogLine[]) => lines.filter((l) => l.level >= ERROR);
/** The request lines (they, and only they, carry a method). */
const requestLines = (lines: LogLine[]) => lines.filter((l) => l.method !== undefined);
const invocationLines = (lines: LogLine[]) => lines.filter((l) => l.retCode !== undefined);

function v3Client(port: number) {
  return new scf.v20180416.Client({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 30 } },
  });
}

test('a batch of log appends that fails to commit is logged at error, with the request id it concerned', async (t) => {
  const { p, lines } = await start(t);
  // The database goes away underneath the writer; nothing awaits an append, so only the log can tell.
  await p.store.close();
  p.writer.appendLog('req-lost-append', 'a line the store never gets\n');
  await p.writer.flush();
  const logged = errors(lines);
  assert.equal(logged.length, 1, JSON.stringify(lines));
  const line = logged[0]!;
  assert.deepEqual(line.requestIds, ['req-lost-append']);
  assert.match(line.msg, /record writes lost/);
  assert.equal(line.err?.code, 'InternalError');
  assert.match(line.err?.message ?? '', /log store is closed/, 'the store error (the cause) is in the line');
  assert.match(line.err?.stack ?? '', /\n\s+at /, 'with its stack');
});

test('an async invocation whose final record cannot be written is logged with its request id', async (t) => {
  const { p, lines } = await start(t);
  p.functions.create({
    functionName: 'waits',
    handler: 'index.neverResolves',
    timeout: 2,
    code: { directory: join(repo, 'test/fixtures/functions/timeouts') },
  });
  // Answered once the running record is durable; the function then runs until its 2 s timeout.
  const { requestId } = await p.invoker.invoke({ functionName: 'waits', event: '{}', async: true });
  await p.store.close();
  await p.invoker.drain();
  const background = errors(lines).filter((l) => l.requestId === requestId);
  assert.equal(background.length, 1, JSON.stringify(lines));
  assert.match(background[0]!.msg, /async invocation/);
  assert.equal(background[0]!.err?.code, 'InternalError');
  // The writer reports the failed batch too, naming the same record.
  assert.ok(errors(lines).some((l) => l.requestIds?.includes(requestId)));
});

test('API 3.0: an InternalError is logged with the RequestId of the answer, which has only a generic message', async (t) => {
  const { p, lines } = await start(t);
  const { port } = await p.listen();
  const client = v3Client(port);

  // A normal request is one line, at info, and nothing at error.
  const before = lines.length;
  assert.equal((await client.ListFunctions({})).TotalCount, 0);
  assert.deepEqual(
    lines.slice(before).map((l) => [l.level, l.action]),
    [[INFO, 'ListFunctions']],
  );

  await p.store.close();
  const err = (await client.GetFunctionLogs({}).then(
    () => assert.fail('GetFunctionLogs should fail without its store'),
    (e: unknown) => e,
  )) as { code?: string; message: string; requestId?: string };
  assert.equal(err.code, 'InternalError');
  assert.match(err.message, /internal error/i);
  assert.doesNotMatch(err.message, /store|closed|sqlite/i, 'no detail on the wire');
  assert.match(err.requestId ?? '', /^[0-9a-f-]{36}$/);

  const logged = errors(lines);
  assert.equal(logged.length, 1, JSON.stringify(lines));
  assert.equal(logged[0]!.requestId, err.requestId);
  assert.match(logged[0]!.err?.message ?? '', /log store is closed/);
  assert.match(logged[0]!.err?.stack ?? '', /\n\s+at /);
  // ... and its request line names the same RequestId and the code the client got.
  const line = requestLines(lines).find((l) => l.requestId === err.requestId);
  assert.equal(line?.code, 'InternalError');
  assert.equal(line?.action, 'GetFunctionLogs');
});

test('v2: an InternalError is logged with its Action; the answer keeps the detail to the log', async (t) => {
  const { p, lines } = await start(t);
  p.functions.create({
    functionName: 'ok',
    handler: 'index.ok',
    code: { directory: join(repo, 'test/fixtures/functions/timeouts') },
  });
  const { port } = await p.listen();
  await p.store.close();
  const body = await sdkCall(
    sdkClient(SECRET_ID, SECRET_KEY),
    { Action: 'GetFunctionLogs', functionName: 'ok' },
    { port },
  );
  assert.equal(body.code, 6000);
  assert.equal(body.codeDesc, 'InternalError');
  assert.doesNotMatch(String(body.message), /store|closed|sqlite/i, 'no detail on the wire');
  const logged = errors(lines);
  assert.equal(logged.length, 1, JSON.stringify(lines));
  assert.equal(logged[0]!.action, 'GetFunctionLogs');
  assert.match(logged[0]!.err?.message ?? '', /log store is closed/);
});

/** A TC3-signed API 3.0 request, ready to be sent (and sent again). */
interface Signed {
  path: string;
  headers: Record<string, string>;
  body: string;
}

function signed(port: number, action: string, params: object, secret = SECRET_KEY): Signed {
  const body = JSON.stringify(params);
  const headers = tc3JsonHeaders({
    host: `127.0.0.1:${port}`,
    action,
    body,
    secretId: SECRET_ID,
    secretKey: secret,
    signAction: false,
    region: 'ap-guangzhou',
  });
  return { path: '/', body, headers };
}

/** Sends a request on its own connection; the answer's status and body. `chunked` streams the body. */
function send(
  port: number,
  req: Signed,
  options: { chunked?: boolean; method?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers };
    if (!options.chunked) headers['content-length'] = String(Buffer.byteLength(req.body));
    let answered = false;
    const r = request(
      { host: '127.0.0.1', port, method: options.method ?? 'POST', path: req.path, headers, agent: false },
      (res) => {
        answered = true;
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    // A refused body is not read: the server answers and closes while we may still be writing, so an
    // error after the answer came is not one.
    r.on('error', (err) => {
      if (!answered) reject(err);
    });
    if (options.chunked) {
      const chunk = req.body.slice(0, 16 * 1024);
      for (let sent = 0; sent < req.body.length; sent += chunk.length) r.write(chunk);
    } else {
      r.write(req.body);
    }
    r.end();
  });
}

/** The 3.0 answer's RequestId and error code, as the client reads them. */
function answerOf(body: string): { requestId?: string; code?: string } {
  const r = (JSON.parse(body) as { Response: { RequestId?: string; Error?: { Code: string } } }).Response;
  const out: { requestId?: string; code?: string } = {};
  if (r.RequestId !== undefined) out.requestId = r.RequestId;
  if (r.Error) out.code = r.Error.Code;
  return out;
}

/** Resolves once `n` request lines have been logged (a line is written once its answer is sent). */
async function requestLinesSoon(lines: LogLine[], n: number): Promise<LogLine[]> {
  // The line comes from the response's `finish`, which can follow the client's read of the answer by a
  // turn of this process's event loop (server and client share it): yield until it is there.
  for (let turns = 0; requestLines(lines).length < n && turns < 1000; turns++) {
    await new Promise((r) => setImmediate(r));
  }
  return requestLines(lines);
}

test('API 3.0: each request is one info line once answered: action, status, code and RequestId as answered', async (t) => {
  const { p, lines } = await start(t);
  const { port } = await p.listen();
  const client = v3Client(port);
  const listed = await client.ListFunctions({});
  const missing = (await client.GetFunction({ FunctionName: 'nope' }).then(
    () => assert.fail('GetFunction of a missing function should fail'),
    (e: unknown) => e,
  )) as { code?: string; requestId?: string };
  await fetch(`http://127.0.0.1:${port}/healthz`);

  const [ok, notFound, ...rest] = await requestLinesSoon(lines, 3);
  assert.equal(rest.length, 1, 'the health check has its line too');
  assert.equal(ok?.level, INFO);
  assert.equal(ok?.method, 'POST');
  assert.equal(ok?.protocol, '3.0');
  assert.equal(ok?.action, 'ListFunctions');
  assert.equal(ok?.status, 200);
  assert.equal(ok?.code, undefined, 'no code on success');
  assert.equal(ok?.requestId, listed.RequestId);
  assert.equal(typeof ok?.durationMs, 'number');
  assert.match(ok?.reqId ?? '', /^req-/, "with Fastify's request id");
  assert.equal(ok?.msg, `POST 3.0 ListFunctions -> 200 in ${ok?.durationMs} ms`);

  assert.equal(notFound?.level, INFO);
  assert.equal(notFound?.action, 'GetFunction');
  assert.equal(notFound?.functionName, 'nope');
  assert.equal(notFound?.code, missing.code);
  assert.equal(notFound?.code, 'ResourceNotFound.Function');
  assert.equal(notFound?.requestId, missing.requestId);
  assert.match(
    notFound?.msg ?? '',
    /^POST 3\.0 GetFunction nope -> 200 ResourceNotFound\.Function in [\d.]+ ms$/,
  );

  // Health checks are polled: debug, below the default info.
  assert.equal(rest[0]?.level, DEBUG);
  assert.equal(rest[0]?.path, '/healthz');
  assert.deepEqual(errors(lines), []);
});

test('Invoke: its request line names the invocation, whose end is a line with the figures of its record', async (t) => {
  const { p, lines } = await start(t);
  p.functions.create({
    functionName: 'ok',
    handler: 'index.ok',
    code: { directory: join(repo, 'test/fixtures/functions/timeouts') },
  });
  const { port } = await p.listen();
  const answer = await v3Client(port).Invoke({ FunctionName: 'ok', ClientContext: '{"a":1}' });
  const invocation = answer.Result?.FunctionRequestId;
  assert.match(invocation ?? '', /^[0-9a-f-]{36}$/);

  const [req] = await requestLinesSoon(lines, 1);
  assert.equal(req?.action, 'Invoke');
  assert.equal(req?.functionName, 'ok');
  assert.equal(req?.functionRequestId, invocation);
  assert.equal(req?.requestId, answer.RequestId);

  const ends = invocationLines(lines);
  assert.equal(ends.length, 1, JSON.stringify(lines));
  const end = ends[0]!;
  assert.equal(end.level, INFO);
  assert.equal(end.requestId, invocation);
  assert.equal(end.functionName, 'ok');
  assert.equal(end.namespace, 'default');
  assert.equal(end.retCode, 0);
  // The record's own figures, as the answer gives them (3 decimals of duration; memory rounded).
  const record = await p.store.get(invocation!);
  assert.equal(end.memUsage, record?.memUsage);
  assert.equal(Math.round(end.memUsage ?? 0), answer.Result?.MemUsage);
  assert.ok(Math.abs((end.durationMs ?? -1) - (answer.Result?.Duration ?? 0)) <= 0.05);
  assert.match(end.msg, /^invocation ok ended: retCode 0 in [\d.]+ ms, [\d.]+ MB$/);
  // The invocation's line comes first: its record is final before the caller is answered.
  assert.ok(lines.indexOf(end) < lines.indexOf(req!));
});

test('v2: a request line with the v2 code of the answer', async (t) => {
  const { p, lines } = await start(t);
  const { port } = await p.listen();
  const body = await sdkCall(
    sdkClient(SECRET_ID, SECRET_KEY),
    { Action: 'InvokeFunction', functionName: 'absent' },
    { port },
  );
  const [line] = await requestLinesSoon(lines, 1);
  assert.equal(line?.method, 'GET');
  assert.equal(line?.protocol, 'v2');
  assert.equal(line?.action, 'InvokeFunction');
  assert.equal(line?.functionName, 'absent');
  assert.equal(line?.code, body.codeDesc);
  assert.equal(line?.v2Code, body.code);
  assert.equal(line?.v2Code, 5000);
  assert.equal(invocationLines(lines).length, 0, 'nothing ran');
});

test('refusals are request lines with the code the client got: admission (unknown SecretId, body too large), signature, replay', async (t) => {
  const { p, lines } = await start(t, { maxBodyBytes: 64 * 1024 });
  const { port } = await p.listen();
  const answers: Array<{ requestId?: string; code?: string }> = [];

  // Before the body is read: a SecretId the server does not know.
  const unknown = signed(port, 'ListFunctions', {});
  unknown.headers['authorization'] = unknown.headers['authorization']!.replace(SECRET_ID, 'AKIDunknown');
  answers.push(answerOf((await send(port, unknown)).body));
  // Before the body is read: its declared length is over the action's limit.
  const big = signed(port, 'Invoke', { FunctionName: 'f', ClientContext: 'x'.repeat(100 * 1024) });
  answers.push(answerOf((await send(port, big)).body));
  // While the body streams in (no length declared): over the limit.
  answers.push(answerOf((await send(port, big, { chunked: true })).body));
  // Read, then refused: a signature made with another key.
  answers.push(answerOf((await send(port, signed(port, 'ListFunctions', { Limit: 1 }, 'wrong'))).body));
  // The same signed request twice: the second is a replay (a write action: reads may be repeated).
  const once = signed(port, 'DeleteFunction', { FunctionName: 'absent' });
  answers.push(answerOf((await send(port, once)).body));
  answers.push(answerOf((await send(port, once)).body));

  const codes = answers.map((a) => a.code);
  assert.deepEqual(codes, [
    'AuthFailure.SecretIdNotFound',
    'RequestSizeLimitExceeded',
    'RequestSizeLimitExceeded',
    'AuthFailure.SignatureFailure',
    'ResourceNotFound.Function',
    'AuthFailure.InvalidAuthorization',
  ]);
  const logged = await requestLinesSoon(lines, answers.length);
  assert.equal(logged.length, answers.length, JSON.stringify(logged));
  assert.deepEqual(
    logged.map((l) => l.code),
    codes,
  );
  for (const [i, l] of logged.entries()) {
    assert.equal(l.level, INFO);
    assert.equal(l.protocol, '3.0');
    if (answers[i]!.requestId !== undefined) assert.equal(l.requestId, answers[i]!.requestId);
  }
  assert.match(logged[1]!.msg, /^POST 3\.0 -> 200 RequestSizeLimitExceeded in [\d.]+ ms$/);
  assert.equal(logged[3]!.action, 'ListFunctions', 'the action the client named, though refused');
  assert.deepEqual(errors(lines), []);
});

test('the live tail: a refused stream and a stream its client ended are one line each', async (t) => {
  const { p, lines } = await start(t);
  const { port } = await p.listen();
  const stream = (action: string): Signed => {
    const query = `FunctionName=f&Nonce=${Math.random().toString(36).slice(2)}`;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      host: `127.0.0.1:${port}`,
      'x-tc-action': action,
    };
    const { authorization } = signTc3({
      method: 'GET',
      path: '/stream/logs',
      query,
      headers,
      body: '',
      timestamp,
      service: 'scf',
      secretId: SECRET_ID,
      secretKey: SECRET_KEY,
    });
    return {
      path: `/stream/logs?${query}`,
      body: '',
      headers: {
        ...headers,
        authorization,
        'x-tc-timestamp': String(timestamp),
        'x-tc-version': '2018-04-16',
      },
    };
  };
  const refused = await send(port, stream('Invoke'), { method: 'GET' });
  assert.equal(refused.status, 400);

  // A stream that opens (its first frame arrives), then the client goes away.
  await new Promise<void>((resolve, reject) => {
    const s = stream('TailFunctionLogs');
    const r = request(
      { host: '127.0.0.1', port, method: 'GET', path: s.path, headers: s.headers, agent: false },
      (res) => {
        assert.equal(res.statusCode, 200);
        res.once('data', () => {
          res.destroy();
          resolve();
        });
      },
    );
    r.on('error', reject);
    r.end();
  });
  const [no, closed] = await requestLinesSoon(lines, 2);
  assert.equal(no?.protocol, 'stream');
  assert.equal(no?.code, 'InvalidAction');
  assert.equal(no?.status, 400);
  assert.equal(closed?.protocol, 'stream');
  assert.equal(closed?.action, 'TailFunctionLogs');
  assert.equal(closed?.functionName, 'f');
  assert.equal(closed?.status, 200);
  assert.equal(closed?.code, undefined);
});

test('at warn, no request or invocation lines', async (t) => {
  const lines: LogLine[] = [];
  const p = await createPlatform({
    config: {
      port: 0,
      dataDir: tempDir(t),
      auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
      runtime: { stemCells: 0 },
    },
    env: {},
    logger: createLogger({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s)) }),
  });
  t.after(() => p.close());
  p.functions.create({
    functionName: 'ok',
    handler: 'index.ok',
    code: { directory: join(repo, 'test/fixtures/functions/timeouts') },
  });
  const { port } = await p.listen();
  await v3Client(port).Invoke({ FunctionName: 'ok' });
  await v3Client(port).ListFunctions({});
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(lines, []);
});

test('a name the client gives is repeated safely: no line break, at most 128 characters', async (t) => {
  const { p, lines } = await start(t);
  const { port } = await p.listen();
  const forged = `f\n[12:00:00.000] INFO: POST 3.0 Invoke forged -> 200 in 1 ms${'x'.repeat(300)}`;
  await sdkCall(
    sdkClient(SECRET_ID, SECRET_KEY),
    { Action: 'InvokeFunction', functionName: forged },
    { port },
  );
  const [line] = await requestLinesSoon(lines, 1);
  assert.doesNotMatch(line?.msg ?? '', /\n/);
  assert.equal(line?.functionName, JSON.stringify(`${forged.slice(0, 128)}...`));
  assert.ok((line?.msg.length ?? 0) < 250, line?.msg);
});
