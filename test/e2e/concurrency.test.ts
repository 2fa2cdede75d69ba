/**
 * Reserved and provisioned concurrency end to end: a real platform on a socket, the real API 3.0 SDK,
 * real (sandboxed, where bubblewrap works) instances. What is measured comes from the functions
 * themselves (each reports when its handler started and ended, and how long its process has run), so the
 * oracle is independent of the runtime's own bookkeeping.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { zipSync } from 'fflate';
import { createPlatform, type Platform } from '../../src/platform.js';
import { pgTestSchema, TEST_DATABASE_URL } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { errorCodeOf, type V3Client, v3Client } from '../helpers/v3client.js';

const CREDENTIAL = { secretId: 'AKIDconc', secretKey: 'secret' };

/**
 * Sleeps `ms`, then answers when the handler started and ended (epoch ms), when its module was loaded,
 * and how long its process had been running when the handler started (s).
 */
const SLEEPER = `
console.log('init line: module loading');
const loadedAt = Date.now();
exports.main_handler = async (event) => {
  const start = Date.now();
  const uptime = process.uptime();
  await new Promise((r) => setTimeout(r, event.ms || 0));
  return { start, end: Date.now(), loadedAt, uptime };
};
`;
const code = Buffer.from(zipSync({ 'index.js': Buffer.from(SLEEPER) })).toString('base64');

interface Ran {
  requestId?: string;
  start: number;
  end: number;
  loadedAt: number;
  uptime: number;
}

async function platformWith(
  t: Parameters<typeof tempDir>[0],
  config: Record<string, unknown>,
  dataDir = tempDir(t),
): Promise<{ platform: Platform; client: V3Client }> {
  const platform = await createPlatform({
    config: { port: 0, dataDir, log: { level: 'warn' }, auth: { credentials: [CREDENTIAL] }, ...config },
    env: {},
  });
  t.after(() => platform.close());
  const { port } = await platform.listen();
  return { platform, client: v3Client(port, CREDENTIAL) };
}

/** Invokes with a distinct event each time (TC3 makes two identical calls in one second a replay). */
let seq = 0;
async function invoke(c: V3Client, FunctionName: string, ms: number, Qualifier?: string): Promise<Ran> {
  const r = await c.Invoke({
    FunctionName,
    ClientContext: JSON.stringify({ ms, n: seq++ }),
    ...(Qualifier === undefined ? {} : { Qualifier }),
  });
  assert.equal(r.Result?.InvokeResult, 0, r.Result?.ErrMsg);
  return { ...(JSON.parse(r.Result?.RetMsg ?? '') as Ran), requestId: r.Result?.FunctionRequestId ?? '' };
}

/** The log of the record of `requestId`. */
async function logOf(c: V3Client, FunctionName: string, requestId: string): Promise<string> {
  const r = await c.GetFunctionLogs({ FunctionName, FunctionRequestId: requestId });
  const log = r.Data?.[0]?.Log;
  assert.ok(log !== undefined, `the record of ${requestId}`);
  return log;
}

/** The most intervals overlapping at any one moment. */
function maxOverlap(runs: Ran[]): number {
  const edges = runs.flatMap((r) => [
    [r.start, 1],
    [r.end, -1],
  ]);
  // At equal times an end comes before a start: back-to-back runs do not overlap.
  edges.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0) || (a[1] ?? 0) - (b[1] ?? 0));
  let now = 0;
  let most = 0;
  for (const [, d] of edges) {
    now += d ?? 0;
    most = Math.max(most, now);
  }
  return most;
}

async function provisionedStatus(c: V3Client, FunctionName: string) {
  const got = await c.GetProvisionedConcurrencyConfig({ FunctionName, Namespace: 'default' });
  return got.Allocated?.[0];
}

async function untilDone(c: V3Client, FunctionName: string, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const s = await provisionedStatus(c, FunctionName);
    if (s?.Status === 'Done') return;
    assert.notEqual(s?.Status, 'Failed', s?.StatusReason);
    assert.ok(Date.now() < until, `provisioned instances not Done in time: ${JSON.stringify(s)}`);
    await sleep(100);
  }
}

describe('reserved concurrency', () => {
  test('2 instances reserved: 50 callers never run more than 2 at once, the rest queue or are throttled; another function keeps its capacity', async (t) => {
    const { client: c } = await platformWith(t, {
      runtime: { maxInstancesPerFunction: 8, maxQueuedPerFunction: 4 },
    });
    await c.CreateFunction({ FunctionName: 'reserved', MemorySize: 128, Code: { ZipFile: code } });
    await c.CreateFunction({ FunctionName: 'other', MemorySize: 128, Code: { ZipFile: code } });
    await c.PutReservedConcurrencyConfig({ FunctionName: 'reserved', ReservedConcurrencyMem: 256 });
    assert.equal((await c.GetReservedConcurrencyConfig({ FunctionName: 'reserved' })).ReservedMem, 256);

    const calls = Array.from({ length: 50 }, () =>
      invoke(c, 'reserved', 400).then(
        (r) => ({ ok: r }) as const,
        (err: { code?: string }) => ({ code: err.code }) as const,
      ),
    );
    // Meanwhile, the other function runs its three at once (at least two overlap on a loaded machine,
    // where a cold start can take longer than another's whole run).
    const others = await Promise.all([
      invoke(c, 'other', 1000),
      invoke(c, 'other', 1000),
      invoke(c, 'other', 1000),
    ]);
    assert.equal(maxOverlap(others) >= 2, true, 'the other function ran concurrently');
    const results = await Promise.all(calls);
    const ran = results.flatMap((r) => ('ok' in r ? [r.ok] : []));
    const refused = results.flatMap((r) => ('code' in r ? [r.code] : []));
    assert.ok(ran.length >= 2 + 4, `at least the 2 running and the 4 queued ran: ${ran.length}`);
    assert.ok(refused.length > 0, 'some were throttled');
    assert.deepEqual(new Set(refused), new Set(['LimitExceeded.Concurrency']));
    assert.equal(ran.length + refused.length, 50);
    assert.equal(maxOverlap(ran), 2, 'never more than 2 at once, and 2 at some point');
    t.diagnostic(
      `50 callers on 2 reserved instances: ${ran.length} ran (at most ${maxOverlap(ran)} at once), ${refused.length} throttled; the other function ran ${maxOverlap(others)} at once`,
    );

    // Without the reservation the function is back to the per-function cap.
    await c.DeleteReservedConcurrencyConfig({ FunctionName: 'reserved' });
    assert.equal((await c.GetReservedConcurrencyConfig({ FunctionName: 'reserved' })).ReservedMem, null);
    const wide = await Promise.all(Array.from({ length: 4 }, () => invoke(c, 'reserved', 1500)));
    assert.ok(maxOverlap(wide) > 2, 'more than 2 at once without the reservation');
  });

  test('the reservation bounds all the versions of the function together', async (t) => {
    const { client: c } = await platformWith(t, {});
    await c.CreateFunction({ FunctionName: 'versioned', Code: { ZipFile: code } });
    await c.PublishVersion({ FunctionName: 'versioned' });
    await c.PutReservedConcurrencyConfig({ FunctionName: 'versioned', ReservedConcurrencyMem: 256 });
    // Three on $LATEST and three on version 1 (separate pools), all queued when busy: two at a time.
    const runs = await Promise.all(
      ['$LATEST', '1', '$LATEST', '1', '$LATEST', '1'].map((q) => invoke(c, 'versioned', 600, q)),
    );
    assert.equal(maxOverlap(runs), 2);
  });

  test("a reservation beyond what is unreserved is refused with SCF's code", async (t) => {
    const { client: c } = await platformWith(t, {
      runtime: { totalConcurrencyMem: 1024, maxQueuedPerFunction: 0 },
    });
    await c.CreateFunction({ FunctionName: 'fa', Code: { ZipFile: code } });
    await c.CreateFunction({ FunctionName: 'fb', Code: { ZipFile: code } });
    await c.PutReservedConcurrencyConfig({ FunctionName: 'fa', ReservedConcurrencyMem: 768 });
    assert.equal(
      await errorCodeOf(c.PutReservedConcurrencyConfig({ FunctionName: 'fb', ReservedConcurrencyMem: 512 })),
      'LimitExceeded.FunctionReservedConcurrencyMemory',
    );
    await c.PutReservedConcurrencyConfig({ FunctionName: 'fb', ReservedConcurrencyMem: 256 });
    // Nothing is left for functions without a reservation.
    await c.CreateFunction({ FunctionName: 'fc', Code: { ZipFile: code } });
    assert.equal(
      await errorCodeOf(c.Invoke({ FunctionName: 'fc', ClientContext: '{"n":"c"}' })),
      'LimitExceeded.Concurrency',
    );
  });
});

describe('provisioned concurrency', () => {
  test('3 provisioned on version 1: Done once started, kept through the idle timeout, and the next 3 concurrent invocations are warm', async (t) => {
    const { client: c } = await platformWith(t, { runtime: { idleTimeoutMs: 300 } });
    await c.CreateFunction({ FunctionName: 'warm', Code: { ZipFile: code } });
    // SCF provisions published versions only.
    assert.equal(
      await errorCodeOf(
        c.PutProvisionedConcurrencyConfig({
          FunctionName: 'warm',
          Qualifier: '$LATEST',
          VersionProvisionedConcurrencyNum: 3,
        }),
      ),
      'InvalidParameterValue.Qualifier',
    );
    assert.equal(
      await errorCodeOf(
        c.PutProvisionedConcurrencyConfig({
          FunctionName: 'warm',
          Namespace: 'default',
          Qualifier: '1',
          VersionProvisionedConcurrencyNum: 3,
        }),
      ),
      'ResourceNotFound.Version',
    );
    assert.equal((await c.PublishVersion({ FunctionName: 'warm' })).FunctionVersion, '1');
    await c.PutProvisionedConcurrencyConfig({
      FunctionName: 'warm',
      Qualifier: '1',
      VersionProvisionedConcurrencyNum: 3,
    });
    const first = await provisionedStatus(c, 'warm');
    assert.equal(first?.Qualifier, '1');
    assert.equal(first?.AllocatedProvisionedConcurrencyNum, 3);
    assert.ok(first?.Status === 'InProgress' || first?.Status === 'Done', first?.Status);
    await untilDone(c, 'warm');
    const ready = Date.now();
    // Well past the idle timeout: an ordinary idle instance would be gone.
    await sleep(1200);
    const still = await provisionedStatus(c, 'warm');
    assert.equal(still?.Status, 'Done');
    assert.equal(still?.AvailableProvisionedConcurrencyNum, 3);
    const runs = await Promise.all([
      invoke(c, 'warm', 1000, '1'),
      invoke(c, 'warm', 1000, '1'),
      invoke(c, 'warm', 1000, '1'),
    ]);
    assert.equal(maxOverlap(runs), 3, 'the three ran at once');
    for (const r of runs) {
      // Each process was started, and its code loaded, before the provisioned instances were reported
      // ready, and so before the idle timeout passed several times over: not a cold start.
      assert.ok(r.start - r.uptime * 1000 <= ready, `started ahead: ${JSON.stringify(r)}`);
      assert.ok(r.loadedAt <= ready, `its code was loaded ahead too: ${JSON.stringify(r)}`);
      // And its record shows a warm start: no init lines in its log.
      assert.doesNotMatch(await logOf(c, 'warm', r.requestId ?? ''), /init line/);
    }
    // A cold start of $LATEST, for contrast: its module's lines are at the top of its log.
    const cold = await invoke(c, 'warm', 0);
    assert.match(await logOf(c, 'warm', cold.requestId ?? ''), /init line: module loading/);
    // After the runs they are still there, through another idle timeout.
    await sleep(700);
    assert.equal((await provisionedStatus(c, 'warm'))?.AvailableProvisionedConcurrencyNum, 3);
    await c.DeleteProvisionedConcurrencyConfig({ FunctionName: 'warm', Qualifier: '1' });
    assert.deepEqual((await c.GetProvisionedConcurrencyConfig({ FunctionName: 'warm' })).Allocated, []);
  });

  test('changes of $LATEST leave the provisioned instances of a version be; deleting the version removes them', async (t) => {
    const { client: c } = await platformWith(t, { runtime: { idleTimeoutMs: 300 } });
    await c.CreateFunction({ FunctionName: 'kept', Code: { ZipFile: code } });
    await c.PublishVersion({ FunctionName: 'kept' });
    await c.PutProvisionedConcurrencyConfig({
      FunctionName: 'kept',
      Qualifier: '1',
      VersionProvisionedConcurrencyNum: 2,
    });
    await untilDone(c, 'kept');
    const loaded = async (): Promise<number[]> =>
      (await Promise.all([invoke(c, 'kept', 500, '1'), invoke(c, 'kept', 500, '1')]))
        .map((r) => r.loadedAt)
        .sort();
    const before = await loaded();
    await c.UpdateFunctionEventInvokeConfig({
      FunctionName: 'kept',
      AsyncTriggerConfig: { RetryConfig: [{ RetryNum: 1 }], MsgTTL: 600 },
    });
    await c.UpdateFunctionConfiguration({ FunctionName: 'kept', Timeout: 9 });
    assert.equal((await provisionedStatus(c, 'kept'))?.Status, 'Done');
    assert.deepEqual(await loaded(), before, 'the same two instances serve version 1');
    await c.DeleteFunctionVersion({ FunctionName: 'kept', Qualifier: '1' });
    assert.deepEqual((await c.GetProvisionedConcurrencyConfig({ FunctionName: 'kept' })).Allocated, []);
  });
});

describe('the settings are kept', () => {
  test('across a restart (file catalog)', async (t) => {
    const dataDir = tempDir(t);
    const first = await platformWith(t, {}, dataDir);
    await first.client.CreateFunction({ FunctionName: 'durable', Code: { ZipFile: code } });
    await first.client.PublishVersion({ FunctionName: 'durable' });
    await first.client.PutReservedConcurrencyConfig({ FunctionName: 'durable', ReservedConcurrencyMem: 384 });
    await first.client.PutProvisionedConcurrencyConfig({
      FunctionName: 'durable',
      Qualifier: '1',
      VersionProvisionedConcurrencyNum: 1,
    });
    await first.platform.close();
    const second = await platformWith(t, {}, dataDir);
    assert.equal(
      (await second.client.GetReservedConcurrencyConfig({ FunctionName: 'durable' })).ReservedMem,
      384,
    );
    // Started again by the new server on its own.
    await untilDone(second.client, 'durable');
    assert.equal((await provisionedStatus(second.client, 'durable'))?.AllocatedProvisionedConcurrencyNum, 1);
  });

  test('and seen by a second node on PostgreSQL, which applies them too', async (t) => {
    const db = pgTestSchema(t);
    const node = async () => {
      const platform = await createPlatform({
        config: {
          port: 0,
          log: { level: 'warn' },
          dataDir: tempDir(t),
          auth: { credentials: [CREDENTIAL] },
          store: {
            backend: 'postgres',
            postgres: { connectionString: TEST_DATABASE_URL, schema: db.schema },
          },
        },
        env: {},
      });
      db.closeFirst(() => platform.close());
      return v3Client((await platform.listen()).port, CREDENTIAL);
    };
    const a = await node();
    const b = await node();
    await a.CreateFunction({ FunctionName: 'shared', Code: { ZipFile: code } });
    await a.PublishVersion({ FunctionName: 'shared' });
    await a.PutReservedConcurrencyConfig({ FunctionName: 'shared', ReservedConcurrencyMem: 128 });
    await a.PutProvisionedConcurrencyConfig({
      FunctionName: 'shared',
      Qualifier: '1',
      VersionProvisionedConcurrencyNum: 1,
    });
    assert.equal((await b.GetReservedConcurrencyConfig({ FunctionName: 'shared' })).ReservedMem, 128);
    await untilDone(b, 'shared');
    // Node b enforces the reservation of 1 instance (its provisioned instance of version 1 holds it): two
    // concurrent calls of version 1 run one after the other on it.
    const runs = await Promise.all([invoke(b, 'shared', 300, '1'), invoke(b, 'shared', 300, '1')]);
    assert.equal(maxOverlap(runs), 1);
  });
});
