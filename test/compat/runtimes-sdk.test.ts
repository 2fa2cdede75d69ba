/**
 * Python and Custom Runtime functions through the real SDKs, over a real socket to the real platform:
 * CreateFunction with `Runtime: "Python3.9"` from a zip holding `index.py`, Invoke, and GetFunctionLogs
 * (API 3.0 and v2) give the same record shape as a Node.js function's; `Python2.7` is refused with a coded
 * error; a `CustomRuntime` zip with its `scf_bootstrap` runs once uploaded.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { zipDirectory } from '../../src/functions/code.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';
import { freshNonce, sdkCall, sdkClient } from '../helpers/v2client.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET_ID = 'AKIDtest';
const SECRET_KEY = 'secret';
const zipOf = (lang: string) =>
  Buffer.from(zipDirectory(`${repo}test/fixtures/contract/${lang}`)).toString('base64');
const fixtureZip = (name: string) =>
  Buffer.from(zipDirectory(`${repo}test/fixtures/functions/${name}`)).toString('base64');

type Client = InstanceType<typeof scf.v20180416.Client>;

describe('Python and Custom Runtime functions through the SDKs', () => {
  let platform: Platform;
  let c: Client;
  let port: number;
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const f of cleanups.reverse()) await f();
  });

  before(async () => {
    const dataDir = tempDir({ after: (f: () => unknown) => cleanups.push(f) } as Parameters<
      typeof tempDir
    >[0]);
    platform = await createPlatform({
      config: { port: 0, dataDir, auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] } },
      env: {},
    });
    cleanups.push(() => platform.close());
    port = (await platform.listen()).port;
    c = new scf.v20180416.Client({
      credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
      region: 'ap-guangzhou',
      profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 30 } },
    });
  });

  test('CreateFunction Python3.9, Invoke, GetFunctionLogs: the same record shape as Node.js', async () => {
    await c.CreateFunction({
      FunctionName: 'py-fn',
      Code: { ZipFile: zipOf('python') },
      Handler: 'index.main_handler',
      Runtime: 'Python3.9',
    });
    await c.CreateFunction({
      FunctionName: 'js-fn',
      Code: { ZipFile: zipOf('node') },
      Handler: 'index.main_handler',
      Runtime: 'Nodejs18.15',
    });
    const got = await c.GetFunction({ FunctionName: 'py-fn' });
    assert.equal(got.Runtime, 'Python3.9');
    // What runs them, as this machine has them (only when not the version named).
    const hostPython = execFileSync('/usr/bin/python3', ['-c', 'import sys; print(sys.version.split()[0])'], {
      encoding: 'utf8',
    }).trim();
    // Said in the model's own StatusDesc: no field SCF's model lacks.
    assert.equal(
      got.StatusDesc,
      hostPython.startsWith('3.9.') ? '' : `Python3.9 runs on Python ${hostPython} here`,
    );
    const jsFn = await c.GetFunction({ FunctionName: 'js-fn' });
    assert.equal(
      jsFn.StatusDesc,
      process.version.startsWith('v18.') ? '' : `Nodejs18.15 runs on Node.js ${process.version} here`,
    );
    assert.ok(!('RunsOn' in jsFn));

    const records: Record<string, Record<string, unknown>[]> = {};
    for (const name of ['py-fn', 'js-fn']) {
      const ok = await c.Invoke({
        FunctionName: name,
        ClientContext: JSON.stringify({ do: 'echo', value: 'héllo' }),
      });
      assert.equal(ok.Result?.InvokeResult, 0, ok.Result?.RetMsg);
      assert.deepEqual(JSON.parse(ok.Result?.RetMsg ?? ''), { echo: 'héllo' });
      const failed = await c.Invoke({ FunctionName: name, ClientContext: '{"do":"throw"}', LogType: 'Tail' });
      assert.equal(failed.Result?.InvokeResult, 430);
      const logs = await c.GetFunctionLogs({ FunctionName: name, Order: 'asc', OrderBy: 'start_time' });
      assert.equal(logs.TotalCount, 2);
      records[name] = (logs.Data ?? []) as unknown as Record<string, unknown>[];
    }
    const py = records['py-fn']!;
    const js = records['js-fn']!;
    // The same fields, of the same types, for both languages.
    for (const i of [0, 1]) {
      assert.deepEqual(Object.keys(py[i]!).sort(), Object.keys(js[i]!).sort());
      for (const k of Object.keys(js[i]!)) assert.equal(typeof py[i]![k], typeof js[i]![k], k);
      assert.equal(py[i]!['RetCode'], js[i]!['RetCode']);
      assert.equal(py[i]!['InvokeFinished'], 1);
      assert.ok((py[i]!['MemUsage'] as number) > 1024 * 1024, 'memUsage is measured');
      assert.match(
        py[i]!['Log'] as string,
        /^START RequestId: \S+(?: Runtime: [^\n]+)?\n[\s\S]*END RequestId: \S+\nReport RequestId: \S+ Duration:\d+ms Memory:128MB MemUsage:[\d.]+MB\n$/,
      );
    }
    // Python's output is raw (SCF prints it unprefixed); its exception, the traceback SCF shows.
    assert.match(py[0]!['Log'] as string, /\nline one\n/);
    assert.match(py[0]!['RetMsg'] as string, /héllo/);
    const pyError = JSON.parse(py[1]!['RetMsg'] as string);
    assert.equal(pyError.errorMessage, 'user code exception caught');
    assert.match(
      pyError.stackTrace,
      /^Traceback \(most recent call last\):\n {2}File "\/var\/user\/index\.py"/,
    );
    assert.match(pyError.stackTrace, /\nException: contract boom$/);
    assert.doesNotMatch(pyError.stackTrace, /bootstrap/);
    assert.match(py[1]!['Log'] as string, /before the throw\nTraceback \(most recent call last\):/);

    // v2 reads the same Python records.
    const v2 = sdkClient(SECRET_ID, SECRET_KEY);
    const old = await sdkCall(
      v2,
      { Action: 'GetFunctionLogs', Nonce: freshNonce(), functionName: 'py-fn', order: 'asc', limit: 10 },
      { port },
    );
    assert.equal(old.code, 0, old.message);
    const data = old['data'] as Array<Record<string, unknown>>;
    assert.deepEqual(
      data.map((d) => d['requestId']),
      py.map((d) => d['RequestId']),
    );
    assert.equal(data[1]!['retMsg'], py[1]!['RetMsg']);
  });

  test('Python2.7 is refused with a coded error; Python3.6 to 3.12 are accepted', async () => {
    try {
      await c.CreateFunction({
        FunctionName: 'py27',
        Code: { ZipFile: zipOf('python') },
        Runtime: 'Python2.7',
      });
      assert.fail('expected Python2.7 to be refused');
    } catch (err) {
      const e = err as { code?: string; message: string };
      assert.equal(e.code, 'InvalidParameterValue.Runtime');
      assert.match(e.message, /Python2\.7.*end of life/);
    }
    for (const runtime of ['Python3.6', 'Python3.12']) {
      const name = `py-${runtime.replace('.', '')}`;
      await c.CreateFunction({ FunctionName: name, Code: { ZipFile: zipOf('python') }, Runtime: runtime });
      const r = await c.Invoke({ FunctionName: name, ClientContext: '{"do":"echo","value":1}' });
      assert.equal(r.Result?.InvokeResult, 0, r.Result?.RetMsg);
    }
  });

  test('CreateFunction CustomRuntime from a zip with scf_bootstrap; Invoke runs it; its logs are recorded', async () => {
    await c.CreateFunction({
      FunctionName: 'custom-fn',
      Code: { ZipFile: fixtureZip('custom-node') },
      Runtime: 'CustomRuntime',
      MemorySize: 256,
    });
    const r = await c.Invoke({ FunctionName: 'custom-fn', ClientContext: '{"from":"sdk"}' });
    assert.equal(r.Result?.InvokeResult, 0, r.Result?.RetMsg);
    const seen = JSON.parse(r.Result?.RetMsg ?? '');
    assert.equal(seen.requestId, r.Result?.FunctionRequestId);
    assert.equal(seen.memory, '256');
    assert.deepEqual(seen.event, { from: 'sdk' });
    const logs = await c.GetFunctionLogs({ FunctionName: 'custom-fn' });
    assert.equal(logs.TotalCount, 1);
    assert.match(logs.Data?.[0]?.Log ?? '', /node bootstrap starting for index\.main_handler\nhandling /);
  });

  test('InitTimeout bounds a Custom Runtime bootstrap that never reports ready', async () => {
    await c.CreateFunction({
      FunctionName: 'custom-slow-init',
      Code: { ZipFile: fixtureZip('custom-never-ready') },
      Runtime: 'CustomRuntime',
      InitTimeout: 2,
      Timeout: 30,
    });
    assert.equal((await c.GetFunction({ FunctionName: 'custom-slow-init' })).InitTimeout, 2);
    const started = Date.now();
    const r = await c.Invoke({ FunctionName: 'custom-slow-init', ClientContext: '{}' });
    const took = Date.now() - started;
    assert.notEqual(r.Result?.InvokeResult, 0);
    assert.match(r.Result?.RetMsg ?? '', /within 2 s \(init timeout\)/);
    // Bounded by InitTimeout (2 s), not by SCF's default 65 s nor the 30 s Timeout.
    assert.ok(took >= 2000 && took < 15_000, `answered after ${took} ms`);
  });
});
