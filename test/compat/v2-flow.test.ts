/**
 * The v2 API through the real qcloudapi-sdk@0.2.1 over a socket: deploy, invoke (sync and async), read the
 * logs, manage functions; GET and POST, HMAC-SHA1 and HMAC-SHA256. Includes the seed document's example.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { apiTime } from '../helpers/api-time.js';
import { codeParam, testnodeCode, v2Suite } from './v2-platform.js';

/** The seed document's first data item: the field names, their order and JSON types are the contract. */
const SEED_ITEM = {
  functionName: 'testnode',
  retMsg: '"ok"',
  requestId: 'b5a9c642-9c51-11e7-a46e-5254001df6c6',
  startTime: '2017-09-18 17:14:01',
  retCode: 0,
  invokeFinished: 1,
  duration: 2.735,
  billDuration: 100,
  memUsage: 131072,
  log: '2017-09-18T09:14:01.236Z\tundefined\tHello World\n',
};

/** The seed's CMQ topic event (Records[0].CMQ). */
const cmqEvent = (msgBody: string) =>
  JSON.stringify({
    Records: [
      {
        CMQ: {
          type: 'topic',
          topicOwner: 1251762227,
          topicName: 'alfred-test',
          subscriptionName: 'alfred-test',
          publishTime: '2017-09-18T17:14:01Z',
          msgId: '3096224743817224',
          requestId: '5761047512720426890',
          msgBody,
          msgTag: '',
        },
      },
    ],
  });

const TRANSPORTS = [
  { method: 'GET', sha256: false },
  { method: 'POST', sha256: false },
  { method: 'GET', sha256: true },
  { method: 'POST', sha256: true },
] as const;

const typeOf = (v: unknown): string => (Number.isInteger(v) ? 'integer' : typeof v);

describe('v2 seed example: testnode invoked twice with a CMQ event (legacy log format)', () => {
  const suite = v2Suite({ runtime: { logFormat: 'legacy' } });

  test('GetFunctionLogs functionName=testnode&limit=2 answers in exactly the seed shape', async () => {
    const env = suite.get();
    const created = await env.call(
      {
        Action: 'CreateFunction',
        functionName: 'testnode',
        code: testnodeCode(),
        handler: 'index.main_handler',
        runtime: 'Nodejs6.10',
      },
      { method: 'POST' },
    );
    assert.deepEqual(created, { code: 0, message: '', codeDesc: 'Success' });
    const ids: string[] = [];
    for (const body of ['3', '4']) {
      const r = await env.call({ Action: 'InvokeFunction', functionName: 'testnode', param: cmqEvent(body) });
      assert.equal(r.code, 0, r.message);
      ids.push((r['data'] as { requestId: string }).requestId);
    }
    const res = await env.call({ Action: 'GetFunctionLogs', functionName: 'testnode', limit: 2 });
    assert.deepEqual(Object.keys(res), ['code', 'message', 'codeDesc', 'total', 'data']);
    assert.equal(res.code, 0);
    assert.equal(res.message, '');
    assert.equal(res.codeDesc, 'Success');
    assert.equal(res['total'], 2);
    const data = res['data'] as Array<Record<string, unknown>>;
    assert.equal(data.length, 2);
    // Newest first, like the seed (its second invocation comes first).
    assert.deepEqual(
      data.map((d) => d['requestId']),
      [...ids].reverse(),
    );
    for (const item of data) {
      assert.deepEqual(Object.keys(item), Object.keys(SEED_ITEM));
      for (const [k, v] of Object.entries(SEED_ITEM)) {
        // duration is a float in the seed; an integral one is still a JSON number.
        const want = k === 'duration' ? 'number' : typeOf(v);
        assert.equal(k === 'duration' ? typeof item[k] : typeOf(item[k]), want, `${k} type`);
      }
      assert.equal(item['functionName'], 'testnode');
      assert.equal(item['retMsg'], '"ok"');
      assert.equal(item['retCode'], 0);
      assert.equal(item['invokeFinished'], 1);
      assert.match(item['startTime'] as string, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.equal((item['billDuration'] as number) % 100, 0);
      assert.ok((item['billDuration'] as number) >= (item['duration'] as number));
      // The seed's log form: `<ISO UTC>\t<request id>\t<message>` lines, continuation lines unprefixed.
      const rid = item['requestId'] as string;
      const log = item['log'] as string;
      const lines = log.split('\n');
      const prefix = new RegExp(`^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z)\\t${rid}\\t`);
      const first = prefix.exec(lines[0]!);
      assert.ok(first, lines[0]);
      assert.equal(lines[0]!.slice(first[0].length), 'Hello World');
      assert.match(lines[1]!, prefix);
      assert.equal(lines[1]!.replace(prefix, ''), '{ Records: [ { CMQ: [Object] } ] }');
      // (The seed's function also printed Records[0].CMQ on its own; examples/testnode prints event and context.)
      assert.match(log, /memory_limit_in_mb: 128/);
      assert.ok(log.endsWith('\n'));
      // startTime is the log's UTC instant written in UTC+8 (to the second; the handler starts just after).
      const logMs = Date.parse(first[1]!);
      const shown = item['startTime'] as string;
      assert.ok([apiTime(logMs), apiTime(logMs - 1000)].includes(shown), `${shown} vs ${first[1]}`);
    }
  });
});

/** A function that logs and returns its event and GREETING, through each transport of `TRANSPORTS`. */
const ECHO_CODE =
  'exports.main_handler = async (e) => { console.log("handled event", e.n); return { got: e, env: process.env.GREETING }; };';

describe('v2 function actions through qcloudapi-sdk (SCF log format)', () => {
  const suite = v2Suite();

  // The functions the invocation test calls (fn<i> through TRANSPORTS[i], fnjson), made in a hook rather
  // than by the CreateFunction test, so that each test runs alone.
  before(async () => {
    const env = suite.get();
    for (const i of TRANSPORTS.keys()) {
      const r = await env.call(
        {
          Action: 'CreateFunction',
          functionName: `fn${i}`,
          code: codeParam({ 'index.js': ECHO_CODE }),
          environment: { variables: [{ key: 'GREETING', value: `hi ${i}+` }] },
        },
        { method: 'POST' },
      );
      assert.equal(r.code, 0, r.message);
    }
    const json = await env.call(
      {
        Action: 'CreateFunction',
        functionName: 'fnjson',
        code: codeParam({ 'index.js': 'exports.main_handler = async () => process.env.A;' }),
        environment: JSON.stringify({ A: 'from json' }),
      },
      { method: 'POST' },
    );
    assert.equal(json.code, 0, json.message);
  });

  test('CreateFunction by GET and POST, SHA1 and SHA256; GetFunction; ListFunctions', async () => {
    const env = suite.get();
    for (const [i, t] of TRANSPORTS.entries()) {
      const r = await env.call(
        {
          Action: 'CreateFunction',
          functionName: `made${i}`,
          code: codeParam({ 'index.js': ECHO_CODE }),
          handler: 'index.main_handler',
          runtime: 'Nodejs18.15',
          memorySize: 256,
          timeout: 5,
          description: `function ${i} + more`,
          environment: { variables: [{ key: 'GREETING', value: `hi ${i}+` }] },
        },
        t,
      );
      assert.deepEqual(r, { code: 0, message: '', codeDesc: 'Success' }, `${t.method} ${t.sha256}`);
    }
    // environment as a JSON string.
    const json = await env.call(
      {
        Action: 'CreateFunction',
        functionName: 'madejson',
        code: codeParam({ 'index.js': 'exports.main_handler = async () => process.env.A;' }),
        environment: JSON.stringify({ A: 'from json' }),
      },
      { method: 'POST' },
    );
    assert.equal(json.code, 0, json.message);
    const jsonEnv = await env.call({ Action: 'GetFunction', functionName: 'madejson' });
    assert.deepEqual((jsonEnv['data'] as Record<string, unknown>)['environment'], {
      variables: [{ key: 'A', value: 'from json' }],
    });

    const got = await env.call({ Action: 'GetFunction', functionName: 'made3' });
    assert.equal(got.code, 0, got.message);
    const data = got['data'] as Record<string, unknown>;
    assert.equal(data['functionName'], 'made3');
    assert.equal(data['handler'], 'index.main_handler');
    assert.equal(data['runtime'], 'Nodejs18.15');
    assert.equal(data['memorySize'], 256);
    assert.equal(data['timeout'], 5);
    assert.equal(data['description'], 'function 3 + more');
    assert.equal(data['version'], 'LATEST');
    assert.deepEqual(data['environment'], { variables: [{ key: 'GREETING', value: 'hi 3+' }] });
    assert.match(data['addTime'] as string, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    assert.equal(typeof data['codeSize'], 'number');
    assert.equal(data['code'], undefined);
    const withCode = await env.call({ Action: 'GetFunction', functionName: 'made3', code: 1 });
    assert.equal(typeof (withCode['data'] as Record<string, unknown>)['code'], 'string');

    const list = await env.call({
      Action: 'ListFunctions',
      order: 'desc',
      orderby: 'functionname',
      searchKey: 'made',
      offset: 1,
      limit: 3,
    });
    assert.equal(list.code, 0, list.message);
    const ld = list['data'] as { functions: Array<Record<string, unknown>>; total: number };
    assert.equal(ld.total, 5);
    assert.deepEqual(
      ld.functions.map((f) => f['functionName']),
      ['made3', 'made2', 'made1'],
    );
    assert.deepEqual(Object.keys(ld.functions[0]!), [
      'modTime',
      'addTime',
      'runtime',
      'functionName',
      'namespace',
    ]);
    // searchKey is a substring, in any case.
    const search = await env.call({ Action: 'ListFunctions', searchKey: 'MadeJSON' });
    assert.deepEqual(
      (search['data'] as { functions: Array<Record<string, unknown>> }).functions.map(
        (f) => f['functionName'],
      ),
      ['madejson'],
    );
  });

  test('InvokeFunction sync (with Tail log) and async, then their records', async () => {
    const env = suite.get();
    const results: string[] = [];
    for (const [i, t] of TRANSPORTS.entries()) {
      const r = await env.call(
        {
          Action: 'InvokeFunction',
          functionName: `fn${i}`,
          param: JSON.stringify({ n: i, s: 'a+b c&d' }),
          logType: 'Tail',
        },
        t,
      );
      assert.equal(r.code, 0, r.message);
      const d = r['data'] as Record<string, unknown>;
      assert.deepEqual(Object.keys(d), [
        'requestId',
        'log',
        'retMsg',
        'errMsg',
        'memUsage',
        'duration',
        'billDuration',
        'invokeResult',
      ]);
      assert.deepEqual(JSON.parse(d['retMsg'] as string), { got: { n: i, s: 'a+b c&d' }, env: `hi ${i}+` });
      assert.equal(d['invokeResult'], 0);
      assert.equal(d['errMsg'], '');
      assert.match(d['log'] as string, new RegExp(`START RequestId: ${d['requestId']}`));
      assert.ok(Buffer.byteLength(d['log'] as string) <= 4096);
      assert.ok(Number.isInteger(d['memUsage']) && Number.isInteger(d['billDuration']));
      results.push(d['requestId'] as string);
    }
    const json = await env.call({ Action: 'InvokeFunction', functionName: 'fnjson' });
    assert.equal((json['data'] as Record<string, unknown>)['retMsg'], '"from json"');
    // Without logType the log is left out (None).
    assert.equal((json['data'] as Record<string, unknown>)['log'], '');

    const async = await env.call(
      { Action: 'InvokeFunction', functionName: 'fn0', invokeType: 'Event', param: '{"async":true}' },
      { method: 'POST', sha256: true },
    );
    assert.equal(async.code, 0, async.message);
    const ad = async['data'] as Record<string, unknown>;
    assert.deepEqual(Object.keys(ad), ['requestId']);
    // The async invocation's record exists once the call returns (running or already final); wait for final.
    let rec: Record<string, unknown> | undefined;
    for (let i = 0; i < 200; i++) {
      const logs = await env.call({
        Action: 'GetFunctionLogs',
        functionName: 'fn0',
        requestId: ad['requestId'],
      });
      assert.equal(logs['total'], 1, logs.message);
      rec = (logs['data'] as Array<Record<string, unknown>>)[0];
      if (rec?.['invokeFinished'] === 1) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.equal(rec?.['retCode'], 0);
    assert.equal(JSON.parse(rec?.['retMsg'] as string).got.async, true);

    // Every record, from every transport, with the extensions (namespace, qualifier, time range, keyword).
    const now = Date.now();
    for (const t of TRANSPORTS) {
      const logs = await env.call(
        {
          Action: 'GetFunctionLogs',
          functionName: 'fn1',
          namespace: 'default',
          qualifier: '$LATEST',
          offset: 0,
          limit: 10,
          order: 'asc',
          orderby: 'start_time',
          filter: { retCode: 'is0' },
          startTime: apiTime(now - 60_000),
          endTime: apiTime(now + 60_000),
          // Keyword search covers what the function printed (not the platform lines or line prefixes).
          keyword: 'handled',
        },
        t,
      );
      assert.equal(logs.code, 0, logs.message);
      assert.equal(logs['total'], 1);
      assert.equal((logs['data'] as Array<Record<string, unknown>>)[0]?.['requestId'], results[1]);
    }
  });

  test('UpdateFunction changes code and configuration; DeleteFunction removes the function', async () => {
    const env = suite.get();
    const made = await env.call(
      { Action: 'CreateFunction', functionName: 'upd', code: codeParam({ 'index.js': ECHO_CODE }) },
      { method: 'POST' },
    );
    assert.equal(made.code, 0, made.message);
    const up = await env.call(
      {
        Action: 'UpdateFunction',
        functionName: 'upd',
        codeType: 'Zipfile',
        code: codeParam({ 'main.js': 'exports.go = async () => "v2 " + process.env.GREETING;' }),
        handler: 'main.go',
        memorySize: 512,
        environment: { variables: [{ key: 'GREETING', value: 'updated' }] },
      },
      { method: 'POST' },
    );
    assert.equal(up.code, 0, up.message);
    const got = (await env.call({ Action: 'GetFunction', functionName: 'upd' }))['data'] as Record<
      string,
      unknown
    >;
    assert.equal(got['handler'], 'main.go');
    assert.equal(got['memorySize'], 512);
    const inv = await env.call({ Action: 'InvokeFunction', functionName: 'upd' });
    assert.equal((inv['data'] as Record<string, unknown>)['retMsg'], '"v2 updated"');

    const cfg = await env.call({ Action: 'UpdateFunction', functionName: 'upd', description: 'only config' });
    assert.equal(cfg.code, 0, cfg.message);
    const missing = await env.call({ Action: 'UpdateFunction', functionName: 'nope', description: 'x' });
    assert.equal(missing.code, 5000);

    const del = await env.call({ Action: 'DeleteFunction', functionName: 'upd' });
    assert.deepEqual(del, { code: 0, message: '', codeDesc: 'Success' });
    const after = await env.call({ Action: 'GetFunction', functionName: 'upd' });
    assert.equal(after.code, 5000);
    assert.equal(after.codeDesc, 'ResourceNotFound');
  });
});
