/**
 * The server's one logger, through the whole platform: faults nobody awaits (a failed batch of record
 * writes, an async invocation whose final record cannot be written) and InternalError answers of both APIs
 * reach the logger the platform was given, at `error`, with the error and the request id; normal requests
 * log nothing. The faults are real: the platform's SQLite store is closed underneath it. Requests go over a
 * real socket through the real SDKs (tencentcloud-sdk-nodejs for API 3.0, qcloudapi-sdk for v2).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { createLogger } from '../../src/logger/index.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';
import { sdkCall, sdkClient } from '../helpers/v2client.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET_ID = 'AKIDtest';
const SECRET_KEY = 'secret';
/** pino's number for `error` (its documented level values: trace 10 ... error 50, fatal 60). */
const ERROR = 50;

/** One parsed pino line; the fields these tests read. */
interface LogLine {
  level: number;
  msg: string;
  err?: { type: string; message: string; stack: string; code?: string };
  requestId?: string;
  requestIds?: string[];
  action?: string;
  reqId?: string;
  [k: string]: unknown;
}

/** A platform whose logger (level `trace`: everything it would write) writes into `lines`. */
async function start(t: Parameters<typeof tempDir>[0]): Promise<{ p: Platform; lines: LogLine[] }> {
  const lines: LogLine[] = [];
  const logger = createLogger({ level: 'trace' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  const p = await createPlatform({
    config: {
      port: 0,
      dataDir: tempDir(t),
      auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
      runtime: { stemCells: 0 },
    },
    env: {},
    logger,
  });
  t.after(() => p.close());
  return { p, lines };
}

const errors = (lines: LogLine[]) => lines.filter((l) => l.level >= ERROR);

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

  // A normal request logs nothing, at any level (per-request logging is off).
  const before = lines.length;
  assert.equal((await client.ListFunctions({})).TotalCount, 0);
  assert.deepEqual(lines.slice(before), []);

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
