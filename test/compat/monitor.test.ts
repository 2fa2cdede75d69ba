/**
 * Cloud Monitor's GetMonitorData (namespace QCE/SCF_V2) through `tencentcloud-sdk-nodejs`'s own monitor
 * client, unmodified, over real sockets, on SQLite and on PostgreSQL: for several periods, every metric's
 * values equal what the records give for the same window; across a restart; and after retention removed
 * old records. The expected values are computed here from the store's records (read back with
 * `store.query`), by the rules of docs/monitoring.md written out again, never by the rollup code.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { monitor } from 'tencentcloud-sdk-nodejs/tencentcloud/services/monitor/index.js';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { COMMON_V3_CODES } from '../../src/api/protocol/v3/error-codes.js';
import { MONITOR_ACTION_CODES } from '../../src/api/protocol/v3/monitor.js';
import type { ConfigInput } from '../../src/config/index.js';
import { zipDirectory } from '../../src/functions/code.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import type { InvocationRecord, StoredRecord } from '../../src/store/types.js';
import { dropSchema, PG_URL, schemaName } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';

const SECRET_ID = 'AKIDmonitor';
const SECRET_KEY = 'monitor-secret';
const ZONE_MS = 8 * 3600_000; // the API's zone, UTC+8 (the documented default)
const MB = 1048576;
/** docs/monitoring.md: a percentile is within 2^(1/16) of a duration of the right rank. */
const PCT_FACTOR = 2 ** (1 / 16);
const FN = 'mon';

type Mode = 'tc3-post' | 'tc3-get' | 'hmac-sha256';
type MonitorClient = InstanceType<typeof monitor.v20180724.Client>;

function monitorClient(port: number, mode: Mode = 'tc3-post'): MonitorClient {
  return new monitor.v20180724.Client({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
    region: 'ap-guangzhou',
    profile: {
      ...(mode === 'hmac-sha256' ? { signMethod: 'HmacSHA256' as const } : {}),
      httpProfile: {
        endpoint: `127.0.0.1:${port}`,
        protocol: 'http://',
        reqMethod: mode === 'tc3-get' ? 'GET' : 'POST',
      },
    },
  });
}

function scfClient(port: number) {
  return new scf.v20180416.Client({
    credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
    region: 'ap-guangzhou',
    // v1 signing (a nonce per request): identical Invokes in one second are not taken for replays.
    profile: {
      signMethod: 'HmacSHA256',
      httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 30 },
    },
  });
}

/** ISO 8601 with the +08:00 offset, as SCF's console writes StartTime/EndTime. */
const iso = (ms: number): string => `${new Date(ms + ZONE_MS).toISOString().slice(0, 19)}+08:00`;

/** The SDK error's code, which must be one GetMonitorData's row of the error table allows. */
async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (err) {
    const code = (err as { code?: string }).code;
    assert.ok(
      code !== undefined &&
        (COMMON_V3_CODES.includes(code) || Object.hasOwn(MONITOR_ACTION_CODES['GetMonitorData'] ?? {}, code)),
      `GetMonitorData answered ${code}, not in its row (src/api/protocol/v3/monitor.ts)`,
    );
    return code;
  }
  assert.fail('expected the call to fail');
}

// ---- The oracle: each metric of one period's records, from docs/monitoring.md. ----

type Scope = 'version' | 'alias' | 'function';

const isFunctionError = (c: number) => c === 430 || c === 407;
const isPlatformError = (c: number) => c !== 0 && !isFunctionError(c) && c !== 433 && c !== 434;

function nearestRank(durations: number[], p: number): number {
  const s = [...durations].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil((p / 100) * s.length)) - 1]!;
}

/** Most records running at once at some record's start (handler intervals): a lower bound of the metric. */
function overlapAtStarts(rs: InvocationRecord[]): number {
  let max = 0;
  for (const r of rs) {
    const n = rs.filter((s) => s.startTime <= r.startTime && r.startTime < s.startTime + s.duration).length;
    max = Math.max(max, n);
  }
  return max;
}

/** Checks one metric's value of one period against its records. */
function checkPoint(
  metric: string,
  got: number,
  rs: InvocationRecord[],
  scope: Scope,
  what: string,
  invoked: boolean,
): void {
  const n = rs.length;
  const count = (f: (r: InvocationRecord) => boolean) => rs.filter(f).length;
  const exact: Record<string, () => number> = {
    Invocation: () => n,
    Error: () => count((r) => r.retCode !== 0),
    Http2xx: () => count((r) => r.retCode === 0),
    Http4xx: () => count((r) => isFunctionError(r.retCode)),
    Http433: () => count((r) => r.retCode === 433),
    Http434: () => count((r) => r.retCode === 434),
    Syserr: () => count((r) => isPlatformError(r.retCode)),
    Mem: () => Math.max(0, ...rs.map((r) => r.memUsage)) / MB,
    FunctionErrorPercentage: () =>
      n === 0
        ? 0
        : (count((r) => isFunctionError(r.retCode) || r.retCode === 433 || r.retCode === 434) / n) * 100,
    ServerErrorPercentage: () => (n === 0 ? 0 : (count((r) => isPlatformError(r.retCode)) / n) * 100),
  };
  const e = exact[metric];
  if (e) {
    assert.ok(Math.abs(got - e()) < 1e-9, `${what}: ${metric} ${got}, records give ${e()}`);
    return;
  }
  switch (metric) {
    case 'Duration': {
      const want = n === 0 ? 0 : rs.reduce((s, r) => s + r.duration, 0) / n;
      assert.ok(Math.abs(got - want) < 1e-6, `${what}: Duration ${got}, records give ${want}`);
      return;
    }
    case 'MemDuration': {
      const want = rs.reduce((s, r) => s + (r.memUsage / MB) * r.duration, 0);
      assert.ok(
        Math.abs(got - want) <= 1e-6 * Math.max(1, want),
        `${what}: MemDuration ${got}, records give ${want}`,
      );
      return;
    }
    case 'DurationP50':
    case 'DurationP95':
    case 'DurationP99': {
      if (n === 0) {
        assert.equal(got, 0, `${what}: ${metric} with no records`);
        return;
      }
      const want = nearestRank(
        rs.map((r) => r.duration),
        Number(metric.slice(-2)),
      );
      const max = Math.max(...rs.map((r) => r.duration));
      assert.ok(
        got <= max + 1e-9 && got >= want / PCT_FACTOR - 1e-9 && got <= want * PCT_FACTOR + 1e-9,
        `${what}: ${metric} ${got}, records give ${want} (bound ${PCT_FACTOR})`,
      );
      return;
    }
    case 'ConcurrentExecutions': {
      // What the starts saw on this node: at least the records' own overlaps, at most every record of
      // the period plus those still running into it (none here run across a minute boundary but one).
      // Records written straight to the store (no invoker saw them start) carry no concurrency.
      if (!invoked) {
        assert.equal(got, 0, `${what}: ConcurrentExecutions of records no invoker started`);
        return;
      }
      const low = overlapAtStarts(rs);
      assert.ok(
        got >= low && got <= Math.max(n, low) + 1,
        `${what}: ConcurrentExecutions ${got}, records ${low}..${n}`,
      );
      if (n === 0) assert.equal(got, 0, `${what}: ConcurrentExecutions with no records`);
      void scope;
      return;
    }
    case 'Throttle':
    case 'Http432':
      // No record says it was throttled: these come from the throttles counted; see the throttle test.
      return;
    default:
      assert.fail(`no oracle for ${metric}`);
  }
}

const METRICS = [
  'Invocation',
  'Error',
  'Http2xx',
  'Http4xx',
  'Http433',
  'Http434',
  'Syserr',
  'Duration',
  'DurationP50',
  'DurationP95',
  'DurationP99',
  'Mem',
  'MemDuration',
  'ConcurrentExecutions',
  'FunctionErrorPercentage',
  'ServerErrorPercentage',
  'Throttle',
  'Http432',
];

interface Dims {
  label: string;
  dims: { Name: string; Value: string }[];
  scope: Scope;
  /** The versions whose records count. */
  versions: string[] | undefined;
}

const DIMS: Dims[] = [
  { label: 'function', dims: [{ Name: 'functionName', Value: FN }], scope: 'function', versions: undefined },
  {
    label: '$latest',
    dims: [
      { Name: 'functionName', Value: FN },
      { Name: 'namespace', Value: 'default' },
      { Name: 'version', Value: '$latest' },
    ],
    scope: 'version',
    versions: ['$LATEST'],
  },
  {
    label: 'alias prod',
    dims: [
      { Name: 'functionName', Value: FN },
      { Name: 'alias', Value: 'prod' },
    ],
    scope: 'alias',
    versions: ['1'],
  },
];

/** Every record of the function, read from the store (ms start times, exact durations). */
async function recordsOf(p: Platform): Promise<StoredRecord[]> {
  const page = await p.store.query({
    namespace: 'default',
    functionName: FN,
    orderBy: 'startTime',
    order: 'asc',
    offset: 0,
    limit: 1000,
  });
  return page.items;
}

/** GetMonitorData for every metric, dimension set and period over [from, to], checked against `records`. */
async function checkAll(
  cm: MonitorClient,
  records: InvocationRecord[],
  from: number,
  to: number,
  periods: readonly number[],
  invoked = true,
): Promise<void> {
  for (const period of periods) {
    const align = (t: number) => Math.floor((t + ZONE_MS) / (period * 1000)) * period * 1000 - ZONE_MS;
    const want: number[] = [];
    for (let t = align(from); t <= align(to); t += period * 1000) want.push(t / 1000);
    for (const d of DIMS) {
      for (const metric of METRICS) {
        const res = await cm.GetMonitorData({
          Namespace: 'QCE/SCF_V2',
          MetricName: metric,
          Period: period,
          StartTime: iso(from),
          EndTime: iso(to),
          Instances: [{ Dimensions: d.dims }],
        });
        const what = `${metric} ${d.label} period ${period}`;
        assert.equal(res.Period, period, what);
        assert.equal(res.MetricName, metric, what);
        const dp = res.DataPoints?.[0];
        assert.ok(dp, what);
        assert.deepEqual(dp.Dimensions, d.dims, what);
        assert.deepEqual(dp.Timestamps, want, `${what}: timestamps aligned to the period in UTC+8`);
        assert.equal(dp.Values?.length, want.length, what);
        want.forEach((ts, i) => {
          const inPoint = records.filter(
            (r) =>
              r.startTime >= ts * 1000 &&
              r.startTime < (ts + period) * 1000 &&
              (d.versions === undefined || d.versions.includes(r.qualifier)),
          );
          checkPoint(metric, dp.Values![i]!, inPoint, d.scope, `${what} at ${ts}`, invoked);
        });
      }
    }
  }
}

function functionDir(t: TestContext): string {
  const dir = tempDir(t, 'scf-local-monitor-fn-');
  writeFileSync(
    join(dir, 'index.js'),
    `'use strict';
exports.main_handler = async (event) => {
  if (event.sleep) await new Promise((r) => setTimeout(r, event.sleep));
  if (event.fail) throw new Error('boom');
  if (event.hang) await new Promise((r) => setTimeout(r, 5000));
  if (event.alloc) { const b = Buffer.alloc(event.alloc * 1048576, 1); return b.length; }
  return 'ok';
};
`,
  );
  return dir;
}

type Backend = 'sqlite' | 'postgres';

for (const backend of ['sqlite', 'postgres'] as const satisfies readonly Backend[]) {
  describe(`GetMonitorData through the SDK (${backend})`, () => {
    it('every metric equals the records, for every period, across a restart and after retention', async (t) => {
      const cleanups: (() => unknown)[] = [];
      t.after(async () => {
        for (const c of cleanups.reverse()) await c();
      });
      const dataDir = tempDir(t, 'scf-local-monitor-');
      let store: ConfigInput['store'] = { retentionDays: 30 };
      if (backend === 'postgres') {
        const schema = schemaName('scf_mon');
        cleanups.push(() => dropSchema(schema));
        store = { ...store, backend: 'postgres', postgres: { connectionString: PG_URL, schema } };
      }
      const start = async (retentionDays: number) => {
        const p = await createPlatform({
          config: {
            port: 0,
            dataDir,
            auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
            store: { ...store, retentionDays },
          },
          env: {},
        });
        cleanups.push(() => p.close());
        const { port } = await p.listen();
        return { p, port };
      };

      // 1. Invocations of every kind, on $LATEST and on version 1 through alias prod.
      let { p, port } = await start(30);
      const c = scfClient(port);
      const zip = Buffer.from(zipDirectory(functionDir(t))).toString('base64');
      await c.CreateFunction({
        FunctionName: FN,
        Code: { ZipFile: zip },
        Handler: 'index.main_handler',
        Runtime: 'Nodejs18.15',
        Timeout: 1,
      });
      await c.PublishVersion({ FunctionName: FN });
      await c.CreateAlias({ FunctionName: FN, Name: 'prod', FunctionVersion: '1' });
      const invoke = (event: object, Qualifier?: string) =>
        c.Invoke({
          FunctionName: FN,
          ClientContext: JSON.stringify(event),
          ...(Qualifier ? { Qualifier } : {}),
        });
      const from = Date.now();
      for (const ev of [
        {},
        { sleep: 30 },
        { fail: true },
        { sleep: 5 },
        { alloc: 20 },
        { fail: true },
        {},
        { sleep: 60 },
      ])
        await invoke(ev);
      await invoke({ hang: true }); // 433 after the 1 s timeout
      await Promise.all([invoke({ sleep: 300 }), invoke({ sleep: 300 }), invoke({ sleep: 300 })]);
      for (const ev of [{}, { sleep: 20 }, { fail: true }]) await invoke(ev, 'prod');
      await p.writer.flush();
      const to = Date.now();
      const now = await recordsOf(p);
      assert.equal(now.length, 15);
      const cm = monitorClient(port);
      await checkAll(cm, now, from, to, [60, 300, 3600, 86400]);

      // Signed the other ways; the namespace in lower case; `$LATEST` as the SDK's users may write it.
      for (const mode of ['tc3-get', 'hmac-sha256'] as const) {
        const res = await monitorClient(port, mode).GetMonitorData({
          Namespace: 'qce/scf_v2',
          MetricName: 'Invocation',
          Period: 86400,
          StartTime: iso(from),
          EndTime: iso(to),
          Instances: [
            {
              Dimensions: [
                { Name: 'functionName', Value: FN },
                { Name: 'version', Value: '$LATEST' },
              ],
            },
          ],
        });
        assert.equal(
          res.DataPoints?.[0]?.Values?.reduce((a, b) => a + b, 0),
          now.filter((r) => r.qualifier === '$LATEST').length,
          mode,
        );
      }
      // Cloud Monitor's codes.
      const bad = (over: object) =>
        codeOf(
          cm.GetMonitorData({
            Namespace: 'QCE/SCF_V2',
            MetricName: 'Invocation',
            Period: 60,
            StartTime: iso(from),
            EndTime: iso(to),
            Instances: [{ Dimensions: [{ Name: 'functionName', Value: FN }] }],
            ...over,
          }),
        );
      assert.equal(await bad({ Period: 120 }), 'InvalidParameterValue');
      assert.equal(await bad({ Namespace: 'QCE/CVM' }), 'InvalidParameterValue');
      assert.equal(await bad({ MetricName: 'CPUUsage' }), 'InvalidParameterValue');
      assert.equal(await bad({ StartTime: 'yesterday' }), 'InvalidParameterValue');
      assert.equal(await bad({ StartTime: iso(to + 120_000) }), 'InvalidParameterValue');
      assert.equal(
        await bad({ Instances: [{ Dimensions: [{ Name: 'functionName', Value: 'nope' }] }] }),
        'ResourceNotFound',
      );
      assert.equal(
        await bad({
          Instances: [
            {
              Dimensions: [
                { Name: 'functionName', Value: FN },
                { Name: 'alias', Value: 'nope' },
              ],
            },
          ],
        }),
        'ResourceNotFound',
      );
      assert.equal(
        await bad({ Instances: [{ Dimensions: [{ Name: 'instanceId', Value: FN }] }] }),
        'InvalidParameterValue',
      );
      assert.equal(await bad({ StartTime: iso(from - 10 * 86_400_000) }), 'InvalidParameterValue'); // > 7200 points

      // 2. Old records (ten days ago), written as a store would have them.
      const old = Date.now() - 10 * 86_400_000;
      const olds: InvocationRecord[] = [0, 430, 433, 0, 437].map((retCode, i) => ({
        requestId: `old-${backend}-${i}`,
        namespace: 'default',
        functionName: FN,
        qualifier: '$LATEST',
        startTime: old + i * 70_000,
        duration: 3 + i * 41.5,
        billDuration: 100,
        memUsage: (10 + i) * MB,
        retCode,
        retMsg: '""',
        invokeFinished: 1,
        retryNum: 0,
        log: '',
      }));
      await p.store.write(olds.map((record) => ({ op: 'finish', record })));
      const oldFrom = old - 60_000;
      const oldTo = old + 6 * 70_000;
      await checkAll(cm, olds, oldFrom, oldTo, [60, 3600], false);

      // 3. A restart: the same answers.
      await p.close();
      ({ p, port } = await start(30));
      const cm2 = monitorClient(port);
      await checkAll(cm2, now, from, to, [60, 86400]);
      await checkAll(cm2, olds, oldFrom, oldTo, [300], false);

      // 4. Retention (7 days) removes the old records, and their metrics with them.
      await p.close();
      ({ p, port } = await start(7));
      await p.retention.runNow();
      for (const r of olds) assert.equal(await p.store.get(r.requestId), undefined);
      const cm3 = monitorClient(port);
      await checkAll(cm3, [], oldFrom, oldTo, [60, 86400], false);
      await checkAll(cm3, now, from, to, [300, 3600]);
    });
  });
}

describe('GetMonitorData: Throttle', () => {
  it('counts the invocations refused for concurrency, which have no record', async (t) => {
    const cleanups: (() => unknown)[] = [];
    t.after(async () => {
      for (const c of cleanups.reverse()) await c();
    });
    const p = await createPlatform({
      config: {
        port: 0,
        dataDir: tempDir(t, 'scf-local-monitor-thr-'),
        auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
        runtime: { maxInstancesPerFunction: 1, maxQueuedPerFunction: 0 },
      },
      env: {},
    });
    cleanups.push(() => p.close());
    const { port } = await p.listen();
    const c = scfClient(port);
    const zip = Buffer.from(zipDirectory(functionDir(t))).toString('base64');
    await c.CreateFunction({
      FunctionName: FN,
      Code: { ZipFile: zip },
      Handler: 'index.main_handler',
      Runtime: 'Nodejs18.15',
    });
    const from = Date.now();
    const results = await Promise.all(
      Array.from({ length: 6 }, () =>
        c.Invoke({ FunctionName: FN, ClientContext: JSON.stringify({ sleep: 400 }) }).then(
          () => 'ran',
          (err: { code?: string }) => err.code,
        ),
      ),
    );
    const refused = results.filter((r) => r === 'LimitExceeded.Concurrency').length;
    assert.ok(refused > 0, `some were throttled: ${results.join(', ')}`);
    await p.writer.flush();
    const to = Date.now();
    const cm = monitorClient(port);
    const sum = async (MetricName: string) => {
      const res = await cm.GetMonitorData({
        Namespace: 'QCE/SCF_V2',
        MetricName,
        Period: 86400,
        StartTime: iso(from),
        EndTime: iso(to),
        Instances: [{ Dimensions: [{ Name: 'functionName', Value: FN }] }],
      });
      return res.DataPoints![0]!.Values!.reduce((a, b) => a + b, 0);
    };
    assert.equal(await sum('Throttle'), refused);
    assert.equal(await sum('Http432'), refused);
    assert.equal(await sum('Invocation'), (await recordsOf(p)).length);
    assert.equal(await sum('Invocation'), results.length - refused);
  });
});
