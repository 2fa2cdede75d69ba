/**
 * HTTP triggers (API Gateway) and web functions, end to end: a real platform on a real port, functions and
 * triggers created through the real SDK (`tencentcloud-sdk-nodejs`), requests from a real HTTP client
 * (Node's fetch), sandboxed function processes, records read back through GetFunctionLogs. The
 * expectations are written from SCF's documentation (the API Gateway event and integrated response, the
 * web function's error headers), not from the code under test.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { zipDirectory } from '../../src/functions/code.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';
import { errorCodeOf, type V3Client, v3Client } from '../helpers/v3client.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/functions/', import.meta.url));
const zip = (name: string): string => Buffer.from(zipDirectory(`${FIXTURES}${name}`)).toString('base64');
const SIX_MB = 6 * 1024 * 1024;

interface Setup {
  platform: Platform;
  client: V3Client;
  base: string;
}

/** A platform whose data folder is removed, and which is closed, when `t` ends. */
async function start(
  t: { after(fn: () => unknown): void },
  runtime: Record<string, unknown> = {},
): Promise<Setup> {
  const platform = await createPlatform({
    config: {
      port: 0,
      log: { level: 'warn' },
      dataDir: tempDir(t),
      auth: { credentials: [{ secretId: 'AKIDtest', secretKey: 'secret' }] },
      runtime,
    },
    env: {},
  });
  t.after(() => platform.close());
  const { url, port } = await platform.listen();
  return { platform, client: v3Client(port), base: `${url}/apigw` };
}

/** The API Gateway event the `apigw` fixture echoes back (its default path). */
interface Echoed {
  requestContext: Record<string, unknown> & { identity: unknown };
  headers: Record<string, string>;
  body: string;
  pathParameters: unknown;
  queryStringParameters: Record<string, string>;
  headerParameters: unknown;
  stageVariables: Record<string, string>;
  path: string;
  queryString: Record<string, string | string[]>;
  httpMethod: string;
  isBase64Encoded: boolean;
}

/** An error answer's JSON (SCF's error shape). */
async function errorOf(
  res: Response,
): Promise<{ errorMessage: string; statusCode: number; requestId?: string }> {
  assert.equal(res.headers.get('content-type'), 'application/json');
  return (await res.json()) as { errorMessage: string; statusCode: number; requestId?: string };
}

/** The record of one invocation, through the SDK's GetFunctionLogs. */
async function recordOf(client: V3Client, functionName: string, requestId: string) {
  const logs = await client.GetFunctionLogs({ FunctionName: functionName, FunctionRequestId: requestId });
  assert.equal(logs.Data?.length, 1, `one record for ${requestId}`);
  return logs.Data![0]!;
}

describe('HTTP triggers', () => {
  // One platform for the block, closed (and its folder removed) after its last test.
  let s: Setup;
  const cleanups: (() => unknown)[] = [];
  before(async () => {
    s = await start({ after: (fn) => cleanups.push(fn) });
  });
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  test('an apigw trigger created through the SDK opens the function’s URL; before it, 404', async () => {
    const { client, base } = s;
    await client.CreateFunction({ FunctionName: 'echo', Code: { ZipFile: zip('apigw') }, Timeout: 3 });
    const before = await fetch(`${base}/default/echo/`);
    assert.equal(before.status, 404);
    assert.equal(before.headers.get('x-scf-error-type'), 'ScfCommonError');
    assert.match((await errorOf(before)).errorMessage, /no enabled API Gateway \(apigw\) trigger/);

    assert.equal(
      await errorCodeOf(
        client.CreateTrigger({
          FunctionName: 'echo',
          TriggerName: 'web',
          Type: 'apigw',
          TriggerDesc: '{"api":{"requestConfig":{"method":"FETCH"}}}',
        }),
      ),
      'InvalidParameterValue.TriggerDesc',
    );
    assert.equal(
      await errorCodeOf(
        client.CreateTrigger({
          FunctionName: 'echo',
          TriggerName: 'web',
          Type: 'apigw',
          TriggerDesc: '{"api":{"authRequired":"TRUE"}}',
        }),
      ),
      'InvalidParameterValue.TriggerDesc',
    );
    const created = await client.CreateTrigger({
      FunctionName: 'echo',
      TriggerName: 'web',
      Type: 'apigw',
      TriggerDesc: JSON.stringify({
        api: { authRequired: 'FALSE', requestConfig: { method: 'ANY' }, isIntegratedResponse: 'TRUE' },
        service: { serviceName: 'SCF_API_SERVICE' },
        release: { environmentName: 'release' },
      }),
    });
    assert.equal(created.TriggerInfo?.Type, 'apigw');
    const after = await fetch(`${base}/default/echo/`);
    assert.equal(after.status, 200);
  });

  test('every method reaches the function as SCF’s API Gateway event', async () => {
    const { base } = s;
    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const withBody = !['GET', 'OPTIONS'].includes(method);
      const res = await fetch(`${base}/default/echo/items/a%20b?x=1&x=2&y=%E4%BD%A0&empty=`, {
        method,
        headers: {
          'X-Custom-Header': 'Custom Value',
          ...(withBody ? { 'content-type': 'application/json' } : {}),
        },
        ...(withBody ? { body: '{"hello":"世界"}' } : {}),
      });
      assert.equal(res.status, 200, method);
      assert.equal(res.headers.get('x-echo'), 'yes');
      assert.match(res.headers.get('x-scf-request-id') ?? '', /^[0-9a-f-]{36}$/);
      const event = (await res.json()) as Echoed;
      assert.equal(event.httpMethod, method);
      assert.equal(event.path, '/items/a%20b');
      assert.deepEqual(event.queryString, { x: ['1', '2'], y: '你', empty: '' });
      assert.deepEqual(event.queryStringParameters, { x: '2', y: '你', empty: '' });
      assert.equal(event.headers['x-custom-header'], 'Custom Value');
      assert.ok(
        Object.keys(event.headers).every((k) => k === k.toLowerCase()),
        'header names are lower-case',
      );
      assert.equal(event.body, withBody ? '{"hello":"世界"}' : '');
      assert.equal(event.isBase64Encoded, false);
      assert.deepEqual(event.pathParameters, {});
      assert.deepEqual(event.headerParameters, {});
      assert.deepEqual(event.stageVariables, { stage: 'release' });
      const ctx = event.requestContext;
      assert.equal(ctx['httpMethod'], method);
      assert.equal(ctx['path'], '/');
      assert.equal(ctx['stage'], 'release');
      assert.equal(ctx['sourceIp'], '127.0.0.1');
      assert.match(String(ctx['serviceId']), /^service-[0-9a-z]{8}$/);
      assert.match(String(ctx['requestId']), /^[0-9a-f-]{36}$/);
      assert.equal(res.headers.get('x-api-requestid'), ctx['requestId']);
      assert.deepEqual(ctx.identity, {});
    }
    const head = await fetch(`${base}/default/echo/`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    // The function's URL alone (no trailing slash) is its path `/`.
    const bare = (await (await fetch(`${base}/default/echo`)).json()) as Echoed;
    assert.equal(bare.path, '/');
  });

  test('binary bodies: base64 in the event both ways; invalid UTF-8 under a text type too', async () => {
    const { base } = s;
    const bytes = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) bytes[i] = i;
    const res = await fetch(`${base}/default/echo/binary`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    const back = Buffer.from(await res.arrayBuffer());
    assert.deepEqual(back, Buffer.from(bytes).reverse());

    const invalid = Buffer.from([0x68, 0x69, 0xff, 0xfe]);
    const echoed = (await (
      await fetch(`${base}/default/echo/`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: invalid,
      })
    ).json()) as Echoed;
    assert.equal(echoed.isBase64Encoded, true);
    assert.deepEqual(Buffer.from(echoed.body, 'base64'), invalid);
    // An image is binary whatever its bytes are.
    const image = (await (
      await fetch(`${base}/default/echo/`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: 'ascii only',
      })
    ).json()) as Echoed;
    assert.equal(image.isBase64Encoded, true);
    assert.equal(Buffer.from(image.body, 'base64').toString(), 'ascii only');
  });

  test('an integrated response’s status and headers; any other value is a JSON body', async () => {
    const { base } = s;
    const teapot = await fetch(`${base}/default/echo/status?code=418`);
    assert.equal(teapot.status, 418);
    assert.equal(teapot.headers.get('x-custom'), 'custom value');
    assert.equal(await teapot.text(), 'status 418');
    const cookies = await fetch(`${base}/default/echo/cookies`);
    assert.deepEqual(cookies.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
    const plain = await fetch(`${base}/default/echo/plain`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers.get('content-type'), 'application/json');
    assert.equal(await plain.text(), '"just a string"');
    const bad = await fetch(`${base}/default/echo/bad-headers`);
    assert.equal(bad.status, 502);
    assert.match((await errorOf(bad)).errorMessage, /Invalid scf response format/);
  });

  test('a function that throws: 502, its request id in a header, no stack; the record says 430', async () => {
    const { base, client } = s;
    const res = await fetch(`${base}/default/echo/throw`);
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('x-scf-error-type'), 'UnhandledInvocationErr');
    const requestId = res.headers.get('x-scf-request-id');
    assert.ok(requestId);
    const text = await res.text();
    assert.doesNotMatch(text, /secret detail|index\.js|at /);
    assert.deepEqual(JSON.parse(text), {
      errorCode: -1,
      errorMessage: 'user code exception caught',
      requestId,
      statusCode: 430,
    });
    const record = await recordOf(client, 'echo', requestId);
    assert.equal(record.RetCode, 430);
    assert.match(record.Log ?? '', /GET \/throw/);
    assert.match(record.RetMsg ?? '', /secret detail of the failure/);
  });

  test('each request is one record, visible through GetFunctionLogs with its log', async () => {
    const { base, client } = s;
    const ids: string[] = [];
    for (const path of ['one', 'two', 'three']) {
      const res = await fetch(`${base}/default/echo/${path}`, { method: 'POST', body: path });
      assert.equal(res.status, 200);
      ids.push(res.headers.get('x-scf-request-id')!);
    }
    for (const [i, path] of ['one', 'two', 'three'].entries()) {
      const record = await recordOf(client, 'echo', ids[i]!);
      assert.equal(record.RetCode, 0);
      assert.equal(record.FunctionName, 'echo');
      assert.match(record.Log ?? '', new RegExp(`POST /${path}\\n`));
      assert.equal(JSON.parse(JSON.parse(record.RetMsg!).body).body, path);
    }
  });

  test('6 MB: a larger body is refused with 413 (declared or streamed); 6 MB exactly is taken', async () => {
    const { base } = s;
    const over = await fetch(`${base}/default/echo/plain`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(SIX_MB + 1),
    });
    assert.equal(over.status, 413);
    assert.equal(over.headers.get('x-scf-error-type'), 'ScfCommonError');
    assert.match((await errorOf(over)).errorMessage, /larger than 6291456 bytes/);

    // Chunked, no Content-Length: refused once the 6 MB have passed.
    const chunk = Buffer.alloc(1024 * 1024);
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > SIX_MB) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const streamed = await fetch(`${base}/default/echo/plain`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(streamed.status, 413);
    await streamed.arrayBuffer();

    const exact = await fetch(`${base}/default/echo/plain`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(SIX_MB, 7),
    });
    assert.equal(exact.status, 200);
    assert.equal(await exact.text(), '"just a string"');
  });

  test('a closed trigger’s URL answers 404, reopened it answers again; unknown functions 404', async () => {
    const { base, client } = s;
    await client.UpdateTriggerStatus({
      FunctionName: 'echo',
      TriggerName: 'web',
      Type: 'apigw',
      Enable: 'CLOSE',
    });
    const closed = await fetch(`${base}/default/echo/`, { method: 'POST', body: 'x' });
    assert.equal(closed.status, 404);
    await client.UpdateTriggerStatus({
      FunctionName: 'echo',
      TriggerName: 'web',
      Type: 'apigw',
      Enable: 'OPEN',
    });
    assert.equal((await fetch(`${base}/default/echo/`)).status, 200);

    const missing = await fetch(`${base}/default/no-such-function/`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type'), 'application/json');
    assert.equal((await fetch(`${base}/no-such-namespace/echo/`)).status, 404);
    assert.equal((await fetch(`${base}/default`)).status, 404);
  });

  test('a trigger for one method answers 405 to others; isIntegratedResponse FALSE sends the value', async () => {
    const { base, client } = s;
    await client.CreateFunction({ FunctionName: 'getonly', Code: { ZipFile: zip('apigw') } });
    await client.CreateTrigger({
      FunctionName: 'getonly',
      TriggerName: 'get',
      Type: 'apigw',
      TriggerDesc: '{"api":{"requestConfig":{"method":"GET"},"isIntegratedResponse":"FALSE"}}',
    });
    const post = await fetch(`${base}/default/getonly/`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET');
    const get = await fetch(`${base}/default/getonly/status?code=418`);
    // Not integrated: the returned object itself is the body, with 200.
    assert.equal(get.status, 200);
    assert.deepEqual(await get.json(), {
      statusCode: 418,
      headers: { 'content-type': 'text/plain', 'x-custom': 'custom value' },
      body: 'status 418',
    });
  });

  test('a function that times out: 504, the record says 433', async () => {
    const { base, client } = s;
    await client.CreateFunction({ FunctionName: 'slow', Code: { ZipFile: zip('apigw') }, Timeout: 1 });
    await client.CreateTrigger({ FunctionName: 'slow', TriggerName: 'web', Type: 'apigw' });
    const res = await fetch(`${base}/default/slow/sleep`);
    assert.equal(res.status, 504);
    const body = await errorOf(res);
    assert.equal(body.errorMessage, 'Invoking task timed out after 1 seconds');
    assert.equal(body.statusCode, 433);
    const record = await recordOf(client, 'slow', res.headers.get('x-scf-request-id')!);
    assert.equal(record.RetCode, 433);
  });

  test('web functions (Type HTTP): the request reaches the server as it came, its answer comes back', async () => {
    const { base, client } = s;
    await client.CreateFunction({
      FunctionName: 'web',
      Type: 'HTTP',
      Runtime: 'Nodejs16.13',
      Code: { ZipFile: zip('web-node') },
    });
    // No trigger: a web function answers at its URL.
    const sent = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]);
    const res = await fetch(`${base}/default/web/echo/a%20b?x=1&x=2`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/octet-stream', 'x-custom': 'v' },
      body: sent,
    });
    assert.equal(res.status, 200);
    const requestId = res.headers.get('x-scf-request-id')!;
    const seen = (await res.json()) as {
      method: string;
      url: string;
      headers: Record<string, string>;
      body: string;
    };
    assert.equal(seen.method, 'PATCH');
    assert.equal(seen.url, '/echo/a%20b?x=1&x=2');
    assert.equal(seen.headers['x-custom'], 'v');
    assert.equal(seen.headers['x-scf-request-id'], requestId);
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.deepEqual(Buffer.from(seen.body, 'base64'), sent);

    const bin = await fetch(`${base}/default/web/binary`, { method: 'POST', body: sent });
    assert.equal(bin.status, 201);
    assert.equal(bin.headers.get('x-kind'), 'binary');
    const bytes = Buffer.from(await bin.arrayBuffer());
    assert.equal(bytes.length, 256 + sent.length);
    assert.deepEqual(bytes.subarray(256), sent);

    const cookies = await fetch(`${base}/default/web/cookies`);
    assert.deepEqual(cookies.headers.getSetCookie(), ['a=1; Path=/', 'b=2; Path=/']);
    const notFound = await fetch(`${base}/default/web/status?code=404`);
    assert.equal(notFound.status, 404);
    assert.equal(notFound.headers.get('x-scf-error-type'), null, 'the server’s own 404 is no error of SCF’s');

    // Each request is one record; the server's output is its log (its start-up at the top of the first).
    const first = await recordOf(client, 'web', requestId);
    assert.equal(first.RetCode, 0);
    assert.match(first.Log ?? '', /web server listening on 9000\n/);
    assert.match(first.Log ?? '', /PATCH \/echo\/a%20b\?x=1&x=2 \(6 bytes\)/);
    assert.ok((first.MemUsage ?? 0) > 0);
    const fourOhFour = await recordOf(client, 'web', notFound.headers.get('x-scf-request-id')!);
    assert.equal(fourOhFour.RetCode, 0, 'any HTTP answer is a successful invocation');

    const died = await fetch(`${base}/default/web/exit`);
    assert.equal(died.status, 502);
    const dead = await recordOf(client, 'web', died.headers.get('x-scf-request-id')!);
    assert.equal(dead.RetCode, 439);
    assert.match(dead.Log ?? '', /exiting on purpose/);
    assert.equal((await fetch(`${base}/default/web/`)).status, 200, 'the next request gets a new instance');
  });
});

test('HTTP triggers: a function whose instances and queue are full answers 429', async (t) => {
  const { client, base } = await start(t, { maxInstancesPerFunction: 1, maxQueuedPerFunction: 0 });
  await client.CreateFunction({ FunctionName: 'busy', Code: { ZipFile: zip('apigw') }, Timeout: 3 });
  await client.CreateTrigger({ FunctionName: 'busy', TriggerName: 'web', Type: 'apigw' });
  // Warm it, then hold its one instance.
  assert.equal((await fetch(`${base}/default/busy/`)).status, 200);
  const holding = fetch(`${base}/default/busy/sleep`);
  // The held invocation is running once its record is: then a second request finds no room.
  let refused: Response | undefined;
  for (let i = 0; i < 200 && !refused; i++) {
    const r = await fetch(`${base}/default/busy/`);
    if (r.status === 429) refused = r;
    else await r.arrayBuffer();
  }
  assert.ok(refused, 'a request is refused while the only instance is busy');
  assert.equal(refused.headers.get('x-scf-error-type'), 'ScfCommonError');
  assert.equal((await errorOf(refused)).statusCode, 432);
  assert.equal((await holding).status, 504);
});
