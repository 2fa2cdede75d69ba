/**
 * Asynchronous invocation through the real SDK on a real platform: an accepted Event is stored before the
 * answer, run by the dispatcher, retried per the function's AsyncTriggerConfig with each attempt its own
 * record (retryNum 0, 1, 2), terminated on request, refused when the queue is full, and — the point of the
 * queue — kept across a stop and a `kill -9`: after the restart each accepted event runs to its end once.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { zipSync } from 'fflate';
import type { ConfigInput } from '../../src/config/index.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { onCleanup } from '../helpers/cleanup.js';
import { dropSchema, PG_URL, schemaName } from '../helpers/pg.js';
import { serve } from '../helpers/serve.js';
import { tempDir } from '../helpers/tmp.js';
import { errorCodeOf, type V3Client, v3Client } from '../helpers/v3client.js';

const CREDS = { secretId: 'AKIDtest', secretKey: 'secret' };

const zipOf = (source: string): string =>
  Buffer.from(zipSync({ 'index.js': Buffer.from(source) })).toString('base64');

/** Returns `n` from the event; `fail` throws; `ms` sleeps first. */
const HANDLER = `exports.main_handler = async (e) => {
  console.log('n=' + e.n);
  if (e.ms) await new Promise((r) => setTimeout(r, e.ms));
  if (e.fail) throw new Error('boom ' + e.n);
  return e.n;
};`;

type Backend = 'sqlite' | 'postgres';

/** The store config of `backend` for this test: PostgreSQL gets a schema of its own, dropped last. */
function storeOf(t: TestContext, backend: Backend): ConfigInput['store'] {
  if (backend === 'sqlite') return {};
  const schema = schemaName('scf_as');
  onCleanup(t, () => dropSchema(schema));
  return { backend: 'postgres', postgres: { connectionString: PG_URL, schema } };
}

async function platformFor(
  t: TestContext,
  backend: Backend,
  config: ConfigInput = {},
  shared?: { dataDir: string; store: ConfigInput['store'] },
): Promise<Platform> {
  const dir = shared?.dataDir ?? tempDir(t, 'scf-local-async-');
  const p = await createPlatform({
    config: {
      port: 0,
      dataDir: dir,
      auth: { credentials: [CREDS] },
      store: shared?.store ?? storeOf(t, backend),
      ...config,
    },
    env: {},
  });
  onCleanup(t, () => p.close());
  return p;
}

async function clientOf(p: Platform): Promise<V3Client> {
  const { port } = await p.listen();
  // Signed with a nonce: TC3 would refuse the same write twice in one second as a replay.
  return v3Client(port, { mode: 'hmac-sha256' });
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function statusOf(c: V3Client, id: string): Promise<{ Status?: string; StatusCode?: number }> {
  return (await c.GetAsyncEventStatus({ InvokeRequestId: id })).Result ?? {};
}

const reaches = (c: V3Client, id: string, status: string, timeoutMs?: number) =>
  waitFor(
    `${id} ${status}`,
    async () => {
      const s = await statusOf(c, id);
      return s.Status === status ? s : undefined;
    },
    timeoutMs,
  );

async function invokeEvent(c: V3Client, fn: string, event: unknown): Promise<string> {
  const r = await c.Invoke({
    FunctionName: fn,
    InvocationType: 'Event',
    ClientContext: JSON.stringify(event),
  });
  const id = r.Result?.FunctionRequestId;
  assert.ok(id);
  return id;
}

async function logsOf(c: V3Client, fn: string) {
  const r = await c.GetFunctionLogs({ FunctionName: fn, Limit: 100, Order: 'asc', OrderBy: 'start_time' });
  return r.Data ?? [];
}

for (const backend of ['sqlite', 'postgres'] as const)
  describe(`asynchronous invocation (${backend})`, () => {
    test('a failing event is tried RetryNum more times, each attempt its own record; then FAILED', async (t) => {
      const p = await platformFor(t, backend, { async: { retryDelaysMs: [150, 400] } });
      const c = await clientOf(p);
      await c.CreateFunction({ FunctionName: 'fails', Code: { ZipFile: zipOf(HANDLER) } });
      const id = await invokeEvent(c, 'fails', { n: 1, fail: true });
      const final = await reaches(c, id, 'FAILED');
      const logs = await logsOf(c, 'fails');
      assert.deepEqual(
        logs.map((l) => [l.RetryNum, l.RetCode]),
        [
          [0, 430],
          [1, 430],
          [2, 430],
        ],
      );
      // The first attempt's request id is the event's; each retry has its own.
      assert.equal(logs[0]?.RequestId, id);
      assert.equal(new Set(logs.map((l) => l.RequestId)).size, 3);
      assert.equal(final.StatusCode, 430);
      for (const l of logs) assert.match(l.Log ?? '', /n=1/);
      // The backoff is honoured: the second attempt starts ≥ 150 ms after the first ended, the third ≥ 400.
      // (API times have whole seconds: the store has the milliseconds.)
      const recs = await Promise.all(logs.map((l) => p.store.get(l.RequestId ?? '')));
      const gap = (i: number): number =>
        (recs[i]?.startTime ?? 0) - ((recs[i - 1]?.startTime ?? 0) + (recs[i - 1]?.duration ?? 0));
      assert.ok(gap(1) >= 150, `first retry after ${gap(1)} ms`);
      assert.ok(gap(2) >= 400, `second retry after ${gap(2)} ms`);
      const listed = await c.ListAsyncEvents({ FunctionName: 'fails' });
      assert.deepEqual(
        listed.EventList.map((e) => [e.InvokeRequestId, e.Status, e.InvokeType]),
        [[id, 'FAILED', 'Invoke']],
      );

      // RetryNum 0: one attempt only.
      await c.UpdateFunctionEventInvokeConfig({
        FunctionName: 'fails',
        AsyncTriggerConfig: { RetryConfig: [{ RetryNum: 0 }], MsgTTL: 600 },
      });
      const once = await invokeEvent(c, 'fails', { n: 2, fail: true });
      await reaches(c, once, 'FAILED');
      await new Promise((r) => setTimeout(r, 500));
      const second = (await logsOf(c, 'fails')).filter((l) => (l.Log ?? '').includes('n=2'));
      assert.deepEqual(
        second.map((l) => [l.RequestId, l.RetryNum]),
        [[once, 0]],
      );

      // A success is FINISHED at the first attempt.
      await c.CreateFunction({ FunctionName: 'works', Code: { ZipFile: zipOf(HANDLER) } });
      const ok = await invokeEvent(c, 'works', { n: 3 });
      assert.deepEqual(await reaches(c, ok, 'FINISHED'), {
        Status: 'FINISHED',
        StatusCode: 0,
        InvokeRequestId: ok,
      });
      assert.deepEqual(
        (await logsOf(c, 'works')).map((l) => [l.RequestId, l.RetryNum, l.RetCode, l.RetMsg]),
        [[ok, 0, 0, '3']],
      );
    });

    test('TerminateAsyncEvent ends a running attempt (retCode 3, log kept) and stops its retries', async (t) => {
      const p = await platformFor(t, backend, { async: { retryDelaysMs: [50], concurrency: 1 } });
      const c = await clientOf(p);
      await c.CreateFunction({ FunctionName: 'slow', Timeout: 30, Code: { ZipFile: zipOf(HANDLER) } });
      const id = await invokeEvent(c, 'slow', { n: 7, ms: 20_000 });
      // Running: its record exists with the line printed before the sleep.
      await waitFor('the running record', async () =>
        (await logsOf(c, 'slow')).some((l) => (l.Log ?? '').includes('n=7')) ? true : undefined,
      );
      const started = Date.now();
      await c.TerminateAsyncEvent({ FunctionName: 'slow', InvokeRequestId: id });
      await reaches(c, id, 'ABORTED');
      assert.ok(Date.now() - started < 5000);
      const rec = await waitFor('the final record', async () => {
        const l = (await logsOf(c, 'slow'))[0];
        return l && l.RetCode !== 2 ? l : undefined;
      });
      assert.equal(rec.RetCode, 3);
      assert.match(rec.Log ?? '', /n=7/);
      assert.match(rec.Log ?? '', /terminated/);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await logsOf(c, 'slow')).length, 1, 'no retry after a termination');
      assert.equal(
        await errorCodeOf(c.TerminateAsyncEvent({ FunctionName: 'slow', InvokeRequestId: id })),
        'FailedOperation.AsyncEventStatus',
      );

      // A waiting event (the one slot is busy) is aborted before it runs: no record at all.
      const blocker = await invokeEvent(c, 'slow', { n: 8, ms: 20_000 });
      await waitFor('the blocker to run', async () =>
        (await logsOf(c, 'slow')).length === 2 ? true : undefined,
      );
      const waiting = await invokeEvent(c, 'slow', { n: 9 });
      assert.equal((await statusOf(c, waiting)).Status, 'RUNNING', 'SCF shows a waiting event as RUNNING');
      await c.TerminateAsyncEvent({ FunctionName: 'slow', InvokeRequestId: waiting });
      assert.equal((await statusOf(c, waiting)).Status, 'ABORTED');
      await c.TerminateAsyncEvent({ FunctionName: 'slow', InvokeRequestId: blocker });
      await reaches(c, blocker, 'ABORTED');
      assert.ok(!(await logsOf(c, 'slow')).some((l) => (l.Log ?? '').includes('n=9')));
    });

    test('a full queue refuses new events with the throttling code, and loses none it took', async (t) => {
      const p = await platformFor(t, backend, { async: { maxQueued: 3, concurrency: 1 } });
      const c = await clientOf(p);
      await c.CreateFunction({ FunctionName: 'queued', Timeout: 30, Code: { ZipFile: zipOf(HANDLER) } });
      const ids = [];
      for (let n = 0; n < 3; n++) ids.push(await invokeEvent(c, 'queued', { n, ms: n === 0 ? 1500 : 0 }));
      assert.equal(
        await errorCodeOf(
          c.Invoke({ FunctionName: 'queued', InvocationType: 'Event', ClientContext: '{"n":9}' }),
        ),
        'LimitExceeded.Concurrency',
      );
      for (const id of ids) await reaches(c, id, 'FINISHED');
      // Room again once they ran.
      await reaches(c, await invokeEvent(c, 'queued', { n: 4 }), 'FINISHED');
    });

    test('a stop interrupts the running attempt; after the restart every accepted event finishes', async (t) => {
      const shared = { dataDir: tempDir(t, 'scf-local-async-restart-'), store: storeOf(t, backend) };
      const config = { async: { concurrency: 1 } };
      const a = await platformFor(t, backend, config, shared);
      const ca = await clientOf(a);
      await ca.CreateFunction({ FunctionName: 'restarts', Timeout: 30, Code: { ZipFile: zipOf(HANDLER) } });
      const ids = [await invokeEvent(ca, 'restarts', { n: 0, ms: 3000 })];
      for (let n = 1; n < 5; n++) ids.push(await invokeEvent(ca, 'restarts', { n }));
      // The handler is running (its first line is in the running record) when the server stops.
      await waitFor('the first attempt to run', async () =>
        (await logsOf(ca, 'restarts')).some((l) => (l.Log ?? '').includes('n=0')) ? true : undefined,
      );
      await a.close();
      const b = await platformFor(t, backend, config, shared);
      const cb = await clientOf(b);
      for (const id of ids) await reaches(cb, id, 'FINISHED');
      const logs = await logsOf(cb, 'restarts');
      const byN = new Map<string, Array<[number | undefined, number | undefined]>>();
      for (const l of logs) {
        const n = /n=(\d+)/.exec(l.Log ?? '')?.[1] ?? '?';
        byN.set(n, [...(byN.get(n) ?? []), [l.RetryNum, l.RetCode]]);
      }
      // The interrupted first attempt (its log kept), then its retry; the others once each.
      assert.deepEqual(byN.get('0'), [
        [0, 3],
        [1, 0],
      ]);
      assert.equal(logs.find((l) => l.RetCode === 3)?.RequestId, ids[0]);
      for (const n of ['1', '2', '3', '4']) assert.deepEqual(byN.get(n), [[0, 0]], `event ${n}`);
    });

    test('kill -9 with 1,000 accepted events: after the restart each runs to its end exactly once', async (t) => {
      const dataDir = tempDir(t, 'scf-local-async-kill-');
      const store = storeOf(t, backend);
      const env: Record<string, string> = {
        SCF_LOCAL_SECRET_ID: CREDS.secretId,
        SCF_LOCAL_SECRET_KEY: CREDS.secretKey,
        ...(store?.backend === 'postgres'
          ? {
              SCF_LOCAL_STORE: 'postgres',
              SCF_LOCAL_DATABASE_URL: PG_URL,
              SCF_LOCAL_PG_SCHEMA: store.postgres?.schema ?? '',
            }
          : {}),
      };
      const first = serve(t, { dataDir, env });
      const c1 = v3Client(await first.port(), { mode: 'hmac-sha256' });
      await c1.CreateFunction({ FunctionName: 'kills', Code: { ZipFile: zipOf(HANDLER) } });
      const N = 1000;
      const accepted: string[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < N) {
            const n = next++;
            accepted[n] = await invokeEvent(c1, 'kills', { n });
          }
        }),
      );
      first.signal('SIGKILL');
      assert.equal(await first.exited, 'SIGKILL');

      const second = serve(t, { dataDir, env });
      const c2 = v3Client(await second.port(), { mode: 'hmac-sha256' });
      const finished = await waitFor(
        'every event to finish',
        async () => {
          const r = await c2.ListAsyncEvents({ FunctionName: 'kills', Status: ['FINISHED'], Limit: 1 });
          return r.TotalCount === N ? r.TotalCount : undefined;
        },
        120_000,
      );
      assert.equal(finished, N);
      const successes = new Map<string, number>();
      const seen = new Map<string, unknown[]>();
      let interrupted = 0;
      for (let offset = 0; ; offset += 100) {
        const page = await c2.GetFunctionLogs({ FunctionName: 'kills', Limit: 100, Offset: offset });
        const data = page.Data ?? [];
        for (const l of data) {
          const n = l.RetMsg ?? '';
          seen.set(n, [...(seen.get(n) ?? []), [l.RequestId, l.RetryNum, l.RetCode, l.StartTime]]);
          if (l.RetCode === 0) successes.set(n, (successes.get(n) ?? 0) + 1);
          else if (l.RetCode === 3) interrupted++;
          else assert.fail(`unexpected record ${JSON.stringify(l)}`);
        }
        if (data.length < 100) break;
      }
      assert.equal(successes.size, N, 'every event ran to its end');
      const twice = [...successes].filter(([, k]) => k > 1).map(([m]) => seen.get(m));
      assert.deepEqual(twice, [], 'and only once');
      // Only the attempts running at the kill were cut short (at most async.concurrency of them).
      assert.ok(interrupted <= 16, `${interrupted} interrupted`);
      t.diagnostic(`${interrupted} attempts were running at the kill`);
    });
  });
