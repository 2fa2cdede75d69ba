/** The live-tail endpoint on a real socket: authentication, single-use signatures, resume, overflow, close. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { CredentialStore, ReplayGuard } from '../../../src/api/auth/index.js';
import type { ActionContext } from '../../../src/api/operations/types.js';
import { parseStreamQualifier, registerLogStream } from '../../../src/api/stream/index.js';
import { ApiClient, RemoteError } from '../../../src/cli/client.js';
import { readSse, type SseMessage } from '../../../src/cli/sse.js';
import { signTc3 } from '../../../src/cli/tc3.js';
import { loadConfig } from '../../../src/config/index.js';
import { InvocationEventHub } from '../../../src/invocations/events.js';
import type { InvocationRecord } from '../../../src/store/types.js';

const CRED = { secretId: 'AKIDtest', secretKey: 'secret' };

function record(requestId: string, log = ''): InvocationRecord {
  return {
    requestId,
    namespace: 'default',
    functionName: 'f',
    qualifier: '$LATEST',
    startTime: Date.now(),
    duration: 1,
    billDuration: 100,
    memUsage: 1,
    retCode: 0,
    retMsg: '',
    invokeFinished: 1,
    retryNum: 0,
    log,
  };
}

async function server(
  t: { after: (fn: () => unknown) => void },
  options: { maxBufferedBytes?: number } = {},
): Promise<{ hub: InvocationEventHub; url: string; client: ApiClient; close: () => Promise<void> }> {
  const hub = new InvocationEventHub({ epoch: 'ep' });
  const app = Fastify();
  const context = {
    actions: { config: loadConfig({ env: {} }) } as ActionContext,
    credentials: new CredentialStore([CRED]),
    replay: new ReplayGuard({ maxSkewSeconds: 300 }),
  };
  registerLogStream(app, { hub, context, apiTimeZoneOffsetMinutes: 480, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const client = new ApiClient({ endpoint: url, ...CRED });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      client.close();
      await app.close();
      hub.close();
    })();
    return closed;
  };
  t.after(close);
  return { hub, url, client, close };
}

/** Collects frames until the stream ends or `until` says stop. */
async function frames(
  res: http.IncomingMessage,
  until?: (m: SseMessage[]) => boolean,
): Promise<SseMessage[]> {
  const got: SseMessage[] = [];
  try {
    for await (const m of readSse(res)) {
      got.push(m);
      if (until?.(got)) break;
    }
  } catch {
    // The server ended the connection: what arrived is the answer.
  }
  res.destroy();
  return got;
}

function rawGet(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${url}${path}`, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('GET /stream/logs', () => {
  test('refuses unsigned and wrongly signed requests, and a replayed signature', async (t) => {
    const { url } = await server(t);
    const unsigned = await rawGet(url, '/stream/logs?FunctionName=f', {});
    assert.equal(unsigned.status, 401);
    assert.match(unsigned.body, /AuthFailure/);

    const host = new URL(url).host;
    const query = 'FunctionName=f&Nonce=n1';
    const sign = (secretKey: string): Record<string, string> => {
      const ts = Math.floor(Date.now() / 1000);
      const headers = { 'content-type': 'application/x-www-form-urlencoded', host };
      const { authorization } = signTc3({
        method: 'GET',
        path: '/stream/logs',
        query,
        headers,
        body: '',
        timestamp: ts,
        service: 'scf',
        secretId: CRED.secretId,
        secretKey,
      });
      return {
        ...headers,
        authorization,
        'x-tc-action': 'TailFunctionLogs',
        'x-tc-version': '2018-04-16',
        'x-tc-timestamp': String(ts),
      };
    };
    const bad = await rawGet(url, `/stream/logs?${query}`, sign('wrong'));
    assert.equal(bad.status, 401);
    assert.match(bad.body, /AuthFailure.SignatureFailure/);

    const headers = sign(CRED.secretKey);
    const first = await new Promise<http.IncomingMessage>((resolve) =>
      http.get(`${url}/stream/logs?${query}`, { headers }, resolve),
    );
    assert.equal(first.statusCode, 200);
    first.destroy();
    const replay = await rawGet(url, `/stream/logs?${query}`, headers);
    assert.equal(replay.status, 401, 'the same signed request is refused the second time');
    assert.match(replay.body, /AuthFailure/);
  });

  test('the CLI client connects; ready, then live events; a resume replays from the cursor', async (t) => {
    const { hub, client } = await server(t);
    hub.publish({ type: 'start', record: record('a') });
    const res = await client.openStream({ functionName: 'f' });
    const firstTwo = frames(res, (m) => m.length === 3);
    hub.publish({ type: 'start', record: record('b') });
    hub.publish({ type: 'end', record: record('b') });
    const got = await firstTwo;
    assert.equal(got[0]?.event, 'ready');
    assert.deepEqual(JSON.parse(got[0]!.data), {
      cursor: 'ep-1',
      epoch: 'ep',
      apiTimeZoneOffsetMinutes: 480,
    });
    assert.deepEqual(
      got.slice(1).map((m) => [m.event, m.id]),
      [
        ['start', 'ep-2'],
        ['end', 'ep-3'],
      ],
    );
    hub.publish({ type: 'start', record: record('c') });
    const resumed = await frames(
      await client.openStream({ functionName: 'f', cursor: 'ep-2' }),
      (m) => m.length === 3,
    );
    assert.deepEqual(
      resumed.map((m) => [m.event, m.id]),
      [
        ['ready', undefined],
        ['end', 'ep-3'],
        ['start', 'ep-4'],
      ],
    );
    const other = await frames(
      await client.openStream({ functionName: 'g', cursor: 'ep-0' }),
      (m) => m.length === 1,
    );
    assert.equal(other.length, 1, 'another function sees none of these');
    const gap = await frames(await client.openStream({ cursor: 'old-3' }), (m) => m.length === 2);
    assert.equal(gap[1]?.event, 'gap');
    assert.deepEqual(JSON.parse(gap[1]!.data), {
      reason: 'unknown-epoch',
      requested: 'old-3',
      cursor: 'ep-4',
    });
  });

  test('Qualifier selects versions, live and on resume, with the cursor of what was written', async (t) => {
    const { hub, client } = await server(t);
    const v = (requestId: string, qualifier: string): InvocationRecord => ({
      ...record(requestId),
      qualifier,
    });
    const res = await client.openStream({ functionName: 'f', versions: ['2'] });
    const live = frames(res, (m) => m.length === 4);
    hub.publish({ type: 'start', record: v('a', '1') });
    hub.publish({
      type: 'log',
      log: { requestId: 'a', functionName: 'f', namespace: 'default', qualifier: '1', text: 'one\n' },
    });
    hub.publish({ type: 'start', record: v('b', '2') });
    hub.publish({
      type: 'log',
      log: { requestId: 'b', functionName: 'f', namespace: 'default', qualifier: '2', text: 'two\n' },
    });
    hub.publish({ type: 'end', record: v('a', '1') });
    hub.publish({ type: 'end', record: v('b', '2') });
    const got = await live;
    assert.deepEqual(
      got.map((m) => [m.event, m.id]),
      [
        ['ready', undefined],
        ['start', 'ep-3'],
        ['log', 'ep-4'],
        ['end', 'ep-6'],
      ],
    );
    assert.equal((JSON.parse(got[2]!.data) as { qualifier?: string }).qualifier, '2');
    // Several versions, resumed from a cursor: the ring replays exactly the selected events after it.
    const resumed = await frames(
      await client.openStream({ functionName: 'f', versions: ['1', '$LATEST'], cursor: 'ep-1' }),
      (m) => m.length === 3,
    );
    assert.deepEqual(
      resumed.map((m) => [m.event, m.id]),
      [
        ['ready', undefined],
        ['log', 'ep-2'],
        ['end', 'ep-5'],
      ],
    );
    // An alias is not resolved by the stream: refused, saying so, rather than matching nothing.
    await assert.rejects(client.openStream({ functionName: 'f', versions: ['prod'] }), (err: unknown) => {
      assert.ok(err instanceof RemoteError);
      assert.equal(err.remoteCode, 'InvalidParameterValue.Qualifier');
      assert.match(err.message, /resolve an alias/);
      return true;
    });
    assert.deepEqual(parseStreamQualifier('1, 2,1'), ['1', '2']);
    assert.throws(() => parseStreamQualifier('1,'), /Qualifier/);
    assert.throws(() => parseStreamQualifier('01'), /Qualifier/);
  });

  test('log chunks are frames with their cursor, filtered by function, replayed on resume', async (t) => {
    const { hub, client } = await server(t);
    const res = await client.openStream({ functionName: 'f' });
    const live = frames(res, (m) => m.length === 4);
    hub.publish({ type: 'start', record: record('a') });
    hub.publish({
      type: 'log',
      log: { requestId: 'b', functionName: 'g', namespace: 'default', text: 'not mine\n' },
    });
    hub.publish({
      type: 'log',
      log: { requestId: 'a', functionName: 'f', namespace: 'default', text: 'hello\n' },
    });
    hub.publish({ type: 'end', record: record('a', 'START\nhello\nEND\n') });
    const got = await live;
    assert.deepEqual(
      got.map((m) => [m.event, m.id]),
      [
        ['ready', undefined],
        ['start', 'ep-1'],
        ['log', 'ep-3'],
        ['end', 'ep-4'],
      ],
    );
    assert.deepEqual(JSON.parse(got[2]!.data), {
      type: 'log',
      cursor: 'ep-3',
      requestId: 'a',
      functionName: 'f',
      namespace: 'default',
      text: 'hello\n',
    });
    const resumed = await frames(
      await client.openStream({ functionName: 'f', cursor: 'ep-1' }),
      (m) => m.length === 3,
    );
    assert.deepEqual(
      resumed.map((m) => [m.event, m.id]),
      [
        ['ready', undefined],
        ['log', 'ep-3'],
        ['end', 'ep-4'],
      ],
    );
  });

  test('bad credentials are a remote error for the client', async (t) => {
    const { url } = await server(t);
    const client = new ApiClient({ endpoint: url, secretId: 'AKIDother', secretKey: 'x' });
    t.after(() => client.close());
    await assert.rejects(
      client.openStream({}),
      (e: unknown) => e instanceof RemoteError && e.remoteCode === 'AuthFailure.SecretIdNotFound',
    );
  });

  test('a client that does not read is cut off with overflow and resumes from its last cursor', async (t) => {
    const { hub, client } = await server(t, { maxBufferedBytes: 64 * 1024 });
    const res = await client.openStream({});
    res.pause();
    const big = 'x'.repeat(8 * 1024);
    const started = performance.now();
    for (let i = 0; i < 2000; i++) hub.publish({ type: 'end', record: record(`r${i}`, big) });
    assert.ok(performance.now() - started < 2000, 'publishing never waits for the client');
    assert.equal(hub.subscribers, 0, 'the overflowing client was unsubscribed');
    res.resume();
    const got = await frames(res);
    const last = got.at(-1);
    assert.equal(last?.event, 'overflow');
    const records = got.filter((m) => m.event === 'end');
    const { cursor } = JSON.parse(last!.data) as { cursor: string };
    assert.equal(cursor, records.at(-1)?.id, 'overflow names the last cursor delivered');
    const resumed = await frames(await client.openStream({ cursor }), (m) => m.length === 2);
    assert.equal(resumed[1]?.id, `ep-${records.length + 1}`, 'resuming continues right after it');
  });

  test('closing the server ends open streams with close', async (t) => {
    const { hub, client, close } = await server(t);
    const res = await client.openStream({});
    const all = frames(res);
    hub.publish({ type: 'start', record: record('a') });
    await close();
    const got = await all;
    assert.deepEqual(
      got.map((m) => m.event),
      ['ready', 'start', 'close'],
    );
    assert.equal((JSON.parse(got[2]!.data) as { cursor: string }).cursor, 'ep-1');
  });
});
