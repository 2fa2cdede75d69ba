/**
 * API 3.0 through the real `tencentcloud-sdk-nodejs` 4.x client, unmodified, over a real socket to the
 * real platform: every action with TC3-HMAC-SHA256 by POST, TC3 by GET and HmacSHA256 form signing; each
 * error code provoked and checked by `err.code`; the same records read through v2 (`qcloudapi-sdk`) and
 * 3.0 compared field by field.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { monitor } from 'tencentcloud-sdk-nodejs/tencentcloud/services/monitor/index.js';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { zipDirectory } from '../../src/functions/code.js';
import { createLogger, type Logger } from '../../src/logger/index.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { apiTime } from '../helpers/api-time.js';
import { tempDir } from '../helpers/tmp.js';
import { freshNonce, sdkCall, sdkClient } from '../helpers/v2client.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET_ID = 'AKIDtest';
const SECRET_KEY = 'secret';
const basicsZip = Buffer.from(zipDirectory(`${repo}test/fixtures/functions/basics`)).toString('base64');
const errorsZip = Buffer.from(zipDirectory(`${repo}test/fixtures/functions/errors`)).toString('base64');

type Client = InstanceType<typeof scf.v20180416.Client>;
type Mode = 'tc3-post' | 'tc3-get' | 'hmac-sha256';

interface ClientOptions {
  mode?: Mode;
  secretId?: string;
  secretKey?: string;
}

function client(port: number, o: ClientOptions = {}): Client {
  const mode = o.mode ?? 'tc3-post';
  return new scf.v20180416.Client({
    credential: { secretId: o.secretId ?? SECRET_ID, secretKey: o.secretKey ?? SECRET_KEY },
    region: 'ap-guangzhou',
    profile: {
      ...(mode === 'hmac-sha256' ? { signMethod: 'HmacSHA256' as const } : {}),
      httpProfile: {
        endpoint: `127.0.0.1:${port}`,
        protocol: 'http://',
        reqMethod: mode === 'tc3-get' ? 'GET' : 'POST',
        reqTimeout: 30,
      },
    },
  });
}

/** Resolves with the SDK error's `code` (fails when the call succeeds). */
async function codeOf(call: Promise<unknown>): Promise<string | undefined> {
  try {
    await call;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  assert.fail('expected the call to fail');
}

interface Started {
  platform: Platform;
  port: number;
}

/**
 * A platform on port 0 for one suite. Call `suite()` synchronously in a describe body: it registers the
 * cleanup there (an `after` registered inside a `before` hook would run when that hook ends).
 */
function suite(): (logger?: Logger) => Promise<Started> {
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  return async (logger) => {
    const dataDir = tempDir({ after: (fn: () => unknown) => cleanups.push(fn) } as Parameters<
      typeof tempDir
    >[0]);
    const platform = await createPlatform({
      config: { port: 0, dataDir, auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] } },
      env: {},
      ...(logger ? { logger } : {}),
    });
    cleanups.push(() => platform.close());
    const { port } = await platform.listen();
    return { platform, port };
  };
}

for (const mode of ['tc3-post', 'tc3-get', 'hmac-sha256'] as const) {
  // Each test sets up what it reads (hooks, or once-only helpers shared by the tests that need the same
  // records), so that any one of them runs alone (`--test-name-pattern`) as well as in order.
  describe(`API 3.0 over ${mode}`, () => {
    let s: Started;
    let c: Client;
    /** Deployed before every test: `fn` (the basics fixture) and `fn-b` (throws). */
    const fn = `v3-${mode}`;
    const ns = `ns-${mode}`;
    const start = suite();

    before(async () => {
      s = await start();
      c = client(s.port, { mode });
      await c.CreateFunction({
        FunctionName: fn,
        Code: { ZipFile: basicsZip },
        Handler: 'index.main_handler',
        Runtime: 'Nodejs18.15',
        Environment: { Variables: [{ Key: 'GREETING', Value: 'hi' }] },
      });
      await c.CreateFunction({
        FunctionName: `${fn}-b`,
        Code: { ZipFile: errorsZip },
        Handler: 'index.throws',
      });
    });

    /**
     * The records GetFunctionLogs and GetRequestStatus read, made once: on `fn-logs`, four synchronous
     * invocations and an asynchronous one; on `fn-logs-b`, one that throws.
     */
    let logsMade: Promise<{ syncRequestId: string; failedRequestId: string }> | undefined;
    const logged = () =>
      (logsMade ??= (async () => {
        const name = `${fn}-logs`;
        await c.CreateFunction({ FunctionName: name, Code: { ZipFile: basicsZip } });
        await c.CreateFunction({
          FunctionName: `${name}-b`,
          Code: { ZipFile: errorsZip },
          Handler: 'index.throws',
        });
        const sync = await c.Invoke({ FunctionName: name, ClientContext: JSON.stringify({ name: 'v3' }) });
        await c.Invoke({ FunctionName: name, ClientContext: '{}' });
        await c.Invoke({ FunctionName: name, InvocationType: 'Event', ClientContext: '{"name":"later"}' });
        await c.InvokeFunction({ FunctionName: name, Event: '{"name":"if"}' });
        await c.InvokeFunction({ FunctionName: name, Qualifier: '$DEFAULT' });
        const failed = await c.Invoke({ FunctionName: `${name}-b`, LogType: 'Tail' });
        assert.equal(failed.Result?.InvokeResult, 430);
        return {
          syncRequestId: sync.Result?.FunctionRequestId ?? '',
          failedRequestId: failed.Result?.FunctionRequestId ?? '',
        };
      })());

    test('namespaces: CreateNamespace, ListNamespaces, DeleteNamespace', async () => {
      const before = (await c.ListNamespaces({})).TotalCount ?? 0;
      const created = await c.CreateNamespace({ Namespace: ns, Description: 'from the v3 test' });
      assert.equal(typeof created.RequestId, 'string');
      const listed = await c.ListNamespaces({ SearchKey: [{ Key: 'Namespace', Value: ns }] });
      assert.equal(listed.TotalCount, 1);
      assert.equal(listed.Namespaces?.[0]?.Name, ns);
      assert.equal(listed.Namespaces?.[0]?.Description, 'from the v3 test');
      assert.match(listed.Namespaces?.[0]?.AddTime ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      const all = await c.ListNamespaces({});
      assert.equal(all.TotalCount, before + 1);
      const names = all.Namespaces?.map((n) => n.Name) ?? [];
      assert.ok(names.includes('default') && names.includes(ns), names.join());
      await c.DeleteNamespace({ Namespace: ns });
      const after = await c.ListNamespaces({});
      assert.equal(after.TotalCount, before);
      assert.ok(!after.Namespaces?.some((n) => n.Name === ns));
    });

    test('functions: CreateFunction, GetFunction, ListFunctions, Update*, in a namespace too', async () => {
      const name = `${fn}-crud`;
      await c.CreateFunction({
        FunctionName: name,
        Code: { ZipFile: basicsZip },
        Handler: 'index.main_handler',
        Runtime: 'Nodejs18.15',
        MemorySize: 256,
        Timeout: 5,
        Description: 'v3 compat',
        Environment: { Variables: [{ Key: 'GREETING', Value: 'hi' }] },
      });
      const got = await c.GetFunction({ FunctionName: name });
      assert.equal(got.FunctionName, name);
      assert.equal(got.Handler, 'index.main_handler');
      assert.equal(got.Runtime, 'Nodejs18.15');
      assert.equal(got.MemorySize, 256);
      assert.equal(got.Timeout, 5);
      assert.equal(got.Description, 'v3 compat');
      assert.equal(got.Namespace, 'default');
      assert.equal(got.Qualifier, '$LATEST');
      assert.equal(got.Status, 'Active');
      assert.deepEqual(got.Environment?.Variables, [{ Key: 'GREETING', Value: 'hi' }]);
      assert.ok((got.CodeSize ?? 0) > 0);
      assert.equal(got.CodeInfo, '');
      if (mode !== 'tc3-get') {
        // The entry file's source comes back, as SCF shows it (not over GET: SCF limits GET to 32 KB).
        const withCode = await c.GetFunction({ FunctionName: name, ShowCode: 'TRUE' });
        assert.equal(
          withCode.CodeInfo,
          readFileSync(`${repo}test/fixtures/functions/basics/index.js`, 'utf8'),
        );
      }

      await c.CreateFunction({ FunctionName: `${name}-b`, Code: { ZipFile: basicsZip } });
      const asc = await c.ListFunctions({ Order: 'ASC', Orderby: 'FunctionName', SearchKey: name });
      assert.equal(asc.TotalCount, 2);
      assert.deepEqual(
        asc.Functions?.map((f) => f.FunctionName),
        [name, `${name}-b`],
      );
      const desc = await c.ListFunctions({
        Order: 'DESC',
        Orderby: 'FunctionName',
        SearchKey: name,
        Limit: 1,
      });
      assert.deepEqual(
        desc.Functions?.map((f) => f.FunctionName),
        [`${name}-b`],
      );
      assert.equal(desc.TotalCount, 2);
      assert.match(desc.Functions?.[0]?.FunctionId ?? '', /^lam-/);

      await c.UpdateFunctionConfiguration({ FunctionName: name, Description: 'updated', Timeout: 7 });
      const updated = await c.GetFunction({ FunctionName: name });
      assert.equal(updated.Description, 'updated');
      assert.equal(updated.Timeout, 7);
      assert.equal(updated.MemorySize, 256);

      await c.UpdateFunctionCode({ FunctionName: `${name}-b`, ZipFile: errorsZip, Handler: 'index.throws' });
      assert.equal((await c.GetFunction({ FunctionName: `${name}-b` })).Handler, 'index.throws');
    });

    test('Invoke (sync with Tail, async) and InvokeFunction', async () => {
      const sync = await c.Invoke({
        FunctionName: fn,
        InvocationType: 'RequestResponse',
        ClientContext: JSON.stringify({ name: 'v3' }),
        LogType: 'Tail',
        Qualifier: '$LATEST',
        Namespace: 'default',
      });
      const r = sync.Result!;
      assert.match(r.FunctionRequestId ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(r.InvokeResult, 0);
      assert.equal(r.ErrMsg, '');
      assert.deepEqual(Object.keys(JSON.parse(r.RetMsg ?? '') as object).sort(), ['calls', 'loads', 'pid']);
      assert.match(r.Log ?? '', /hello v3/);
      assert.ok((r.Log ?? '').length <= 4096);
      assert.ok((r.Duration ?? 0) > 0);
      assert.ok((r.BillDuration ?? 0) >= (r.Duration ?? 0));
      assert.ok((r.MemUsage ?? 0) > 1024 * 1024);

      const none = await c.Invoke({ FunctionName: fn, ClientContext: '{}' });
      assert.equal(none.Result?.Log, '');

      const failing = await c.Invoke({ FunctionName: `${fn}-b`, LogType: 'Tail' });
      assert.equal(failing.Result?.InvokeResult, 430);
      assert.match(failing.Result?.ErrMsg ?? failing.Result?.RetMsg ?? '', /boom|exception/i);

      const async = await c.Invoke({
        FunctionName: fn,
        InvocationType: 'Event',
        ClientContext: '{"name":"later"}',
      });
      assert.match(async.Result?.FunctionRequestId ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(async.Result?.RetMsg, '');
      assert.equal(async.Result?.Log, '');

      const viaInvokeFunction = await c.InvokeFunction({
        FunctionName: fn,
        Event: '{"name":"if"}',
        LogType: 'Tail',
      });
      assert.equal(viaInvokeFunction.Result?.InvokeResult, 0);
      assert.match(viaInvokeFunction.Result?.Log ?? '', /hello if/);
      const defaultQualifier = await c.InvokeFunction({ FunctionName: fn, Qualifier: '$DEFAULT' });
      assert.equal(defaultQualifier.Result?.InvokeResult, 0);
    });

    test('GetFunctionLogs: full model', async () => {
      const { syncRequestId } = await logged();
      const name = `${fn}-logs`;
      const all = await c.GetFunctionLogs({
        FunctionName: name,
        Order: 'asc',
        OrderBy: 'start_time',
        Limit: 100,
      });
      // 4 sync invocations plus the async one (running or finished).
      assert.equal(all.TotalCount, 5);
      const first = all.Data?.[0];
      assert.ok(first);
      assert.equal(first.RequestId, syncRequestId);
      assert.equal(first.FunctionName, name);
      assert.equal(first.RetCode, 0);
      assert.equal(first.InvokeFinished, 1);
      assert.match(first.StartTime ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.match(first.Log ?? '', /START RequestId/);
      assert.equal(first.Level, 'INFO');
      assert.equal(first.Source, 'Application');
      assert.equal(first.RetryNum, 0);
      assert.ok((first.MemUsage ?? 0) > 1024 * 1024);
      assert.ok((first.BillDuration ?? 0) >= (first.Duration ?? 0));

      const byId = await c.GetFunctionLogs({ FunctionName: name, FunctionRequestId: syncRequestId });
      assert.equal(byId.TotalCount, 1);
      assert.equal(byId.Data?.[0]?.RequestId, syncRequestId);

      const page = await c.GetFunctionLogs({ FunctionName: name, Order: 'asc', Offset: 1, Limit: 2 });
      assert.deepEqual(
        page.Data?.map((d) => d.RequestId),
        all.Data?.slice(1, 3).map((d) => d.RequestId),
      );
      assert.equal(page.SearchContext?.Offset, '3');

      const failed = await c.GetFunctionLogs({
        FunctionName: `${name}-b`,
        Filter: { RetCode: 'UserCodeException' },
      });
      assert.equal(failed.TotalCount, 1);
      assert.equal(failed.Data?.[0]?.RetCode, 430);
      assert.equal(failed.Data?.[0]?.Level, 'ERROR');
      assert.equal(
        (await c.GetFunctionLogs({ FunctionName: `${name}-b`, Filter: { RetCode: 'is0' } })).TotalCount,
        0,
      );
      assert.equal(
        (await c.GetFunctionLogs({ FunctionName: `${name}-b`, Filter: { RetCode: 'not0' } })).TotalCount,
        1,
      );
      assert.equal(
        (await c.GetFunctionLogs({ FunctionName: `${name}-b`, Filter: { RetCode: 'TimeLimitExceeded' } }))
          .TotalCount,
        0,
      );

      const keyword = await c.GetFunctionLogs({
        FunctionName: name,
        SearchContext: { Offset: '', Limit: 10, Keyword: 'if' },
      });
      assert.equal(keyword.TotalCount, 1);
      assert.match(keyword.Data?.[0]?.Log ?? '', /hello if/);

      const byMem = await c.GetFunctionLogs({ FunctionName: name, OrderBy: 'mem_usage', Order: 'desc' });
      const mems = byMem.Data?.map((d) => d.MemUsage ?? 0) ?? [];
      assert.deepEqual(
        mems,
        [...mems].sort((a, b) => b - a),
      );
      const byDuration = await c.GetFunctionLogs({ FunctionName: name, OrderBy: 'duration', Order: 'asc' });
      const durations = byDuration.Data?.map((d) => d.Duration ?? 0) ?? [];
      assert.deepEqual(
        durations,
        [...durations].sort((a, b) => a - b),
      );
      // Without FunctionName: every function's records (other tests' too), sorted by function name.
      const everything = await c.GetFunctionLogs({ OrderBy: 'function_name', Order: 'asc', Limit: 100 });
      const names = everything.Data?.map((d) => d.FunctionName ?? '') ?? [];
      assert.equal(everything.TotalCount, names.length);
      assert.deepEqual(names, [...names].sort());
      assert.equal(names.filter((n) => n === name).length, 5);
      assert.equal(names.filter((n) => n === `${name}-b`).length, 1);

      // A window around now (in the API's UTC+8) holds them all; one in the past holds none.
      const now = Date.now();
      const inWindow = await c.GetFunctionLogs({
        FunctionName: name,
        StartTime: apiTime(now - 3600_000),
        EndTime: apiTime(now + 60_000),
      });
      assert.equal(inWindow.TotalCount, 5);
      const past = await c.GetFunctionLogs({
        FunctionName: name,
        StartTime: apiTime(now - 86_400_000),
        EndTime: apiTime(now - 3600_000),
      });
      assert.equal(past.TotalCount, 0);
    });

    test('GetRequestStatus: MB and 0/1/-1', async () => {
      const { syncRequestId, failedRequestId } = await logged();
      const name = `${fn}-logs`;
      const st = await c.GetRequestStatus({ FunctionName: name, FunctionRequestId: syncRequestId });
      assert.equal(st.TotalCount, 1);
      const d = st.Data?.[0];
      assert.equal(d?.RequestId, syncRequestId);
      assert.equal(d?.RetCode, 0);
      assert.ok((d?.MemUsage ?? 0) > 1 && (d?.MemUsage ?? 0) < 4096, `MemUsage ${d?.MemUsage} is in MB`);
      const failed = await c.GetRequestStatus({
        FunctionName: `${name}-b`,
        FunctionRequestId: failedRequestId,
      });
      assert.equal(failed.Data?.[0]?.RetCode, -1);
    });

    test('errors: each code through the SDK', async () => {
      assert.equal(await codeOf(c.GetFunctionLogs({ Order: 'sideways' })), 'InvalidParameterValue.Order');
      assert.equal(await codeOf(c.GetFunctionLogs({ OrderBy: 'size' })), 'InvalidParameterValue.OrderBy');
      assert.equal(
        await codeOf(c.GetFunctionLogs({ Filter: { RetCode: 'bad' } })),
        'InvalidParameterValue.RetCode',
      );
      assert.equal(await codeOf(c.GetFunctionLogs({ Offset: 9990, Limit: 20 })), 'LimitExceeded.Offset');
      assert.equal(
        await codeOf(c.GetFunctionLogs({ StartTime: '2024-01-01 00:00:00' })),
        'InvalidParameterValue.StartTimeOrEndTime',
      );
      assert.equal(
        await codeOf(c.GetFunctionLogs({ StartTime: '2024-01-01 00:00:00', EndTime: '2024-01-03 00:00:00' })),
        'InvalidParameterValue.DateTime',
      );
      assert.equal(
        await codeOf(c.GetFunctionLogs({ StartTime: 'yesterday', EndTime: '2024-01-03 00:00:00' })),
        'InvalidParameterValue.DateTime',
      );
      // Invoke first: the SDK signs only content-type and host, so an Invoke with the same body as a request
      // made before it in the same second is refused as a replay (docs/security.md); reads are not.
      assert.equal(await codeOf(c.Invoke({ FunctionName: 'nope-nope' })), 'ResourceNotFound.Function');
      assert.equal(
        await codeOf(c.GetFunctionLogs({ FunctionName: 'nope-nope' })),
        'ResourceNotFound.Function',
      );
      assert.equal(await codeOf(c.GetFunction({ FunctionName: 'nope-nope' })), 'ResourceNotFound.Function');
      // A body of its own: a write whose TC3 signature equals an earlier request's (the same `{}` body signed in
      // the same second) is refused as a replay (docs/security.md).
      assert.equal(
        await codeOf(c.Invoke({ Qualifier: '$LATEST' } as unknown as { FunctionName: string })),
        'MissingParameter',
      );
      assert.equal(
        await codeOf(c.Invoke({ FunctionName: fn, InvocationType: 'Later' })),
        'InvalidParameterValue.InvocationType',
      );
      assert.equal(
        await codeOf(c.CreateFunction({ FunctionName: '1bad', Code: { ZipFile: basicsZip } })),
        'InvalidParameterValue.FunctionName',
      );
      assert.equal(
        await codeOf(
          c.CreateFunction({ FunctionName: 'cos-fn', Code: { CosBucketName: 'b', CosObjectName: '/o.zip' } }),
        ),
        'UnsupportedOperation',
      );
      assert.equal(await codeOf(c.request('GetAccount', {})), 'UnsupportedOperation');
      assert.equal(await codeOf(c.request('DescribeInstances', {})), 'InvalidAction');
      assert.equal(
        await codeOf(client(s.port, { mode, secretKey: 'wrong' }).ListFunctions({})),
        'AuthFailure.SignatureFailure',
      );
      assert.equal(
        await codeOf(client(s.port, { mode, secretId: 'AKIDnobody' }).ListFunctions({})),
        'AuthFailure.SecretIdNotFound',
      );
      const oldVersion = client(s.port, { mode });
      (oldVersion as unknown as { apiVersion: string }).apiVersion = '2017-03-12';
      assert.equal(await codeOf(oldVersion.ListFunctions({})), 'NoSuchVersion');
      // Cloud Monitor's own client pointed here: its GetMonitorData is served (test/compat/monitor.test.ts),
      // with Cloud Monitor's codes; its other actions are not.
      const cm = new monitor.v20180724.Client({
        credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
        region: 'ap-guangzhou',
        profile: {
          ...(mode === 'hmac-sha256' ? { signMethod: 'HmacSHA256' as const } : {}),
          httpProfile: {
            endpoint: `127.0.0.1:${s.port}`,
            protocol: 'http://',
            reqMethod: mode === 'tc3-get' ? 'GET' : 'POST',
          },
        },
      });
      assert.equal(
        await codeOf(
          cm.GetMonitorData({
            Namespace: 'QCE/SCF_V2',
            MetricName: 'Invocation',
            Instances: [{ Dimensions: [{ Name: 'functionName', Value: 'no-such-function' }] }],
          }),
        ),
        'ResourceNotFound',
      );
      assert.equal(
        await codeOf(cm.request('DescribeBaseMetrics', { Namespace: 'QCE/SCF_V2' })),
        'InvalidAction',
      );
      // Async events are limited to 128 KB (SCF status 406).
      const big = JSON.stringify({ pad: 'x'.repeat(130 * 1024) });
      if (mode !== 'tc3-get') {
        assert.equal(
          await codeOf(c.Invoke({ FunctionName: fn, InvocationType: 'Event', ClientContext: big })),
          'InvalidParameterValue.ClientContext',
        );
      }
    });

    test('DeleteFunction', async () => {
      const name = `${fn}-del`;
      await c.CreateFunction({ FunctionName: name, Code: { ZipFile: basicsZip } });
      await c.CreateFunction({ FunctionName: `${name}-b`, Code: { ZipFile: basicsZip } });
      await c.DeleteFunction({ FunctionName: `${name}-b` });
      await c.DeleteFunction({ FunctionName: name });
      assert.equal(await codeOf(c.GetFunction({ FunctionName: name })), 'ResourceNotFound.Function');
      assert.equal(await codeOf(c.GetFunction({ FunctionName: `${name}-b` })), 'ResourceNotFound.Function');
      assert.equal((await c.ListFunctions({ SearchKey: name })).TotalCount, 0);
      // The other functions stay.
      assert.equal((await c.GetFunction({ FunctionName: fn })).FunctionName, fn);
    });
  });
}

describe('API 3.0 wire details', () => {
  let s: Started;
  const start = suite();
  before(async () => {
    s = await start();
  });

  test('every answer is HTTP 200 with Content-Type exactly application/json', async () => {
    const res = await fetch(`http://127.0.0.1:${s.port}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tc-action': 'ListFunctions' },
      body: '{}',
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    const body = (await res.json()) as { Response: { Error: { Code: string }; RequestId: string } };
    assert.equal(body.Response.Error.Code, 'AuthFailure.InvalidAuthorization');
    assert.match(body.Response.RequestId, /^[0-9a-f-]{36}$/);
  });

  test('a skipped or foreign Authorization header is AuthFailure.InvalidAuthorization', async () => {
    const c = client(s.port);
    assert.equal(
      await codeOf(c.request('ListFunctions', {}, { skipSign: true })),
      'AuthFailure.InvalidAuthorization',
    );
  });

  test('a request signed more than 300 s ago is AuthFailure.SignatureExpire', async (t) => {
    const c = client(s.port);
    // Only the client's clock moves: the server's ReplayGuard captured the real Date.now at start.
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() - 301_000 });
    try {
      assert.equal(await codeOf(c.ListFunctions({})), 'AuthFailure.SignatureExpire');
    } finally {
      t.mock.timers.reset();
    }
  });

  test('a synchronous event over 6 MB is refused', async () => {
    const c = client(s.port);
    await c.CreateFunction({ FunctionName: 'big-event', Code: { ZipFile: basicsZip } });
    const big = JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) });
    assert.equal(
      await codeOf(c.Invoke({ FunctionName: 'big-event', ClientContext: big })),
      'InvalidParameterValue.ClientContext',
    );
  });

  test('the same records read through v2 and 3.0 agree field by field', async () => {
    const c = client(s.port);
    await c.CreateFunction({ FunctionName: 'both-apis', Code: { ZipFile: basicsZip } });
    await c.CreateFunction({
      FunctionName: 'both-fail',
      Code: { ZipFile: errorsZip },
      Handler: 'index.throws',
    });
    for (let i = 0; i < 3; i++)
      await c.Invoke({ FunctionName: 'both-apis', ClientContext: JSON.stringify({ name: `n${i}` }) });
    await c.Invoke({ FunctionName: 'both-fail' });
    const v2 = sdkClient(SECRET_ID, SECRET_KEY);
    for (const name of ['both-apis', 'both-fail']) {
      const v3 = await c.GetFunctionLogs({
        FunctionName: name,
        Order: 'asc',
        OrderBy: 'start_time',
        Limit: 10,
      });
      const old = await sdkCall(
        v2,
        {
          Action: 'GetFunctionLogs',
          Nonce: freshNonce(),
          functionName: name,
          order: 'asc',
          orderby: 'start_time',
          limit: 10,
        },
        { port: s.port },
      );
      assert.equal(old.code, 0, old.message);
      assert.equal(old['total'], v3.TotalCount);
      const data = old['data'] as Array<Record<string, unknown>>;
      assert.equal(data.length, v3.Data?.length);
      for (const [i, item] of data.entries()) {
        const n = v3.Data?.[i] as Record<string, unknown>;
        for (const [k, v] of Object.entries(item)) {
          const pascal = k[0]!.toUpperCase() + k.slice(1);
          assert.deepEqual(n[pascal], v, `${name}[${i}].${k}`);
        }
      }
    }
  });

  test('an unexpected fault is InternalError without internals', async () => {
    // The server's log, captured: one JSON object per line.
    const logged: Array<{ level: number; requestId?: string; err?: { message: string } }> = [];
    const own = await start(
      createLogger({ level: 'error' }, { write: (l: string) => void logged.push(JSON.parse(l)) }),
    );
    const c = client(own.port);
    // Break the store underneath the running platform; its next query fails inside SQLite.
    const db = new Database(`${own.platform.dataDir}/scf-local.db`);
    db.exec('DROP TABLE invocations');
    db.close();
    let requestId: string | undefined;
    try {
      await c.GetFunctionLogs({ OrderBy: 'duration', Order: 'asc', Limit: 7 });
      assert.fail('expected InternalError');
    } catch (err) {
      const e = err as { code?: string; message: string; requestId?: string };
      assert.equal(e.code, 'InternalError');
      assert.doesNotMatch(e.message, /invocations|sqlite|\n\s+at /i);
      requestId = e.requestId;
    }
    // The request's fault is logged with the answer's RequestId; the full-text indexer may also report the
    // dropped table meanwhile (without one).
    const fault = logged.filter((l) => l.requestId !== undefined);
    assert.equal(fault.length, 1, 'the fault is logged on the server');
    assert.equal(fault[0]!.requestId, requestId);
    assert.equal(fault[0]!.level, 50, 'at error');
    assert.match(fault[0]!.err?.message ?? '', /no such table: invocations/);
  });
});
