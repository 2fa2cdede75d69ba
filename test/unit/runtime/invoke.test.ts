/** The SCF Node.js contract with real child processes: results, warm reuse, context, env, log format. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alive, fixture, makeRuntime, request, userMessages } from './helpers.js';

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t([0-9a-f-]{36})\t(.*)$/;

test('warm reuse: same process, module code once, its output only in the first log', async (t) => {
  const rt = makeRuntime(t);
  const fn = fixture('basics');
  const results = [];
  for (let i = 0; i < 3; i++) results.push(await rt.invoke(request(fn, { event: '{"name":"scf"}' })));
  const values = results.map((r) => JSON.parse(r.retMsg) as { pid: number; calls: number; loads: number });
  assert.deepEqual(
    values.map((v) => [v.calls, v.loads]),
    [
      [1, 1],
      [2, 1],
      [3, 1],
    ],
  );
  assert.equal(new Set(values.map((v) => v.pid)).size, 1, 'one process served all three');
  assert.notEqual(values[0]?.pid, process.pid);
  assert.ok(alive(values[0]?.pid ?? 0));
  assert.deepEqual(
    results.map((r) => r.coldStart),
    [true, false, false],
  );
  assert.deepEqual(userMessages(results[0]?.log ?? ''), ['module loaded', 'hello scf']);
  assert.deepEqual(userMessages(results[1]?.log ?? ''), ['hello scf']);
  for (const r of results) {
    assert.equal(r.retCode, 0);
    assert.equal(r.errMsg, '');
  }
  assert.deepEqual(rt.stats(), { instances: 1, busy: 0, queued: 0 });
});

test('log format: START, prefixed user lines, END, Report; onLog gets whole lines', async (t) => {
  const rt = makeRuntime(t);
  const fn = fixture('basics', { handler: 'index.output' });
  const streamed: string[] = [];
  const req = request(fn, { onLog: (text) => streamed.push(text) });
  const r = await rt.invoke(req);
  assert.equal(r.retCode, 0);
  assert.equal(r.retMsg, '"printed"');
  const lines = r.log.split('\n');
  // The fixture is a Nodejs18.15 function: unless this is Node 18, the START line says which Node ran it.
  const ranOn = process.version.startsWith('v18.') ? '' : ` Runtime: Node.js ${process.version}`;
  assert.equal(lines[0], `START RequestId: ${req.requestId}${ranOn}`);
  assert.equal(lines.at(-1), '', 'the log ends with a newline');
  assert.equal(lines.at(-3), `END RequestId: ${req.requestId}`);
  assert.match(
    lines.at(-2) ?? '',
    new RegExp(`^Report RequestId: ${req.requestId} Duration:\\d+ms Memory:128MB MemUsage:\\d+\\.\\d{6}MB$`),
  );
  const body = lines.slice(1, -3);
  // Each message starts with the SCF prefix; continuation lines of a multi-line message do not.
  const expected: [boolean, string][] = [
    [true, 'module loaded'],
    [true, 'one line'],
    [true, 'multi'],
    [false, 'line'],
    [true, '{ nested: { a: 1, b: [ 1, 2, 3 ] } }'],
    [true, 'x=42'],
    [true, 'partial line'],
    [true, 'to stderr'],
    [true, 'raw stderr write'],
    [true, 'from a subprocess'],
  ];
  assert.equal(body.length, expected.length, body.join('\n'));
  expected.forEach(([prefixed, text], i) => {
    const line = body[i] ?? '';
    const m = LINE.exec(line);
    if (prefixed) {
      assert.ok(m, `line ${i} is prefixed: ${line}`);
      assert.equal(m[1], req.requestId);
      assert.equal(m[2], text);
    } else {
      assert.equal(line, text);
    }
  });
  const onLogText = streamed.join('');
  assert.ok(
    streamed.every((s) => s.endsWith('\n')),
    'onLog only gets whole lines',
  );
  assert.equal(onLogText, `${body.join('\n')}\n`);
});

test('legacy log format: only the user lines', async (t) => {
  const rt = makeRuntime(t, { logFormat: 'legacy' });
  const req = request(fixture('basics'));
  const r = await rt.invoke(req);
  const lines = r.log.trimEnd().split('\n');
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => LINE.test(l)));
});

test('result styles: async return, callback, context.done/succeed, sync return, implicit null', async (t) => {
  const rt = makeRuntime(t);
  const cases: [string, string][] = [
    ['echo', '{"a":[1,"x"]}'],
    ['callback', '{"via":"callback"}'],
    ['done', '"via done"'],
    ['succeed', '"via succeed"'],
    ['sync', '"sync value"'],
    ['noResult', 'null'],
    ['asyncUndefined', 'null'],
  ];
  for (const [handler, retMsg] of cases) {
    const r = await rt.invoke(
      request(fixture('basics', { handler: `index.${handler}` }), { event: '{"a":[1,"x"]}' }),
    );
    assert.equal(r.retCode, 0, handler);
    assert.equal(r.retMsg, retMsg, handler);
  }
});

test('context carries the SCF fields', async (t) => {
  const rt = makeRuntime(t, { region: 'ap-shanghai' });
  const fn = fixture('basics', {
    handler: 'index.context',
    namespace: 'ns1',
    memorySize: 256,
    timeout: 7,
    environment: { GREETING: 'hi', MODE: 'test' },
  });
  const req = request(fn, { qualifier: '2' });
  const r = await rt.invoke(req);
  assert.equal(r.retCode, 0, r.retMsg);
  const v = JSON.parse(r.retMsg) as {
    fields: Record<string, unknown>;
    remaining: number;
    fns: string[];
    waitsDescriptor: string;
  };
  assert.deepEqual(v.fields, {
    callbackWaitsForEmptyEventLoop: true,
    memory_limit_in_mb: 256,
    time_limit_in_ms: 7000,
    request_id: req.requestId,
    environment: '{"GREETING":"hi","MODE":"test","SCF_NAMESPACE":"ns1"}',
    environ: 'GREETING=hi;MODE=test;SCF_NAMESPACE=ns1',
    function_version: '2',
    function_name: 'basics',
    namespace: 'ns1',
    tencentcloud_region: 'ap-shanghai',
    tencentcloud_appid: '0',
    tencentcloud_uin: '0',
  });
  assert.ok(v.remaining > 6000 && v.remaining <= 7000, `remaining ${v.remaining}`);
  assert.deepEqual(v.fns, ['function', 'function', 'function', 'function']);
  assert.equal(v.waitsDescriptor, 'function', 'callbackWaitsForEmptyEventLoop is a getter/setter');
});

test('environment: function variables and SCF variables, none of the server secrets; cwd is the code', async (t) => {
  process.env['SCF_LOCAL_TEST_SERVER_SECRET'] = 'must-not-leak';
  t.after(() => {
    delete process.env['SCF_LOCAL_TEST_SERVER_SECRET'];
  });
  const rt = makeRuntime(t, { region: 'ap-beijing' });
  const fn = fixture('basics', { handler: 'index.context', environment: { DB_HOST: 'db.local' } });
  const r = await rt.invoke(request(fn, { qualifier: '$LATEST' }));
  const v = JSON.parse(r.retMsg) as { env: Record<string, string>; cwd: string };
  assert.equal(v.env['DB_HOST'], 'db.local');
  assert.equal(v.env['SCF_NAMESPACE'], 'default');
  assert.equal(v.env['SCF_FUNCTIONNAME'], 'basics');
  assert.equal(v.env['SCF_FUNCTIONVERSION'], '$LATEST');
  assert.equal(v.env['SCF_RUNTIME'], 'Nodejs18.15');
  assert.equal(v.env['TENCENTCLOUD_REGION'], 'ap-beijing');
  assert.equal(v.env['TZ'], 'UTC');
  assert.equal(v.env['SCF_LOCAL_TEST_SERVER_SECRET'], undefined);
  assert.equal(v.env['NODE_CHANNEL_FD'], undefined);
  // In a sandbox the code is mounted at SCF's own path; without one the process enters the folder itself.
  const codeDir = rt.sandboxStatus().isolated ? '/var/user' : fn.codeDir;
  assert.equal(v.cwd, codeDir);
  assert.equal(v.env['SCF_CODE'], codeDir);
});

test('ES modules: "type": "module" package and .mjs file', async (t) => {
  const rt = makeRuntime(t);
  const a = await rt.invoke(request(fixture('esm-type'), { event: '{"n":1}' }));
  assert.equal(a.retCode, 0, a.retMsg);
  assert.deepEqual(JSON.parse(a.retMsg), { esm: true, name: 'esm-type', event: { n: 1 } });
  assert.deepEqual(userMessages(a.log), ['esm module loaded']);
  const b = await rt.invoke(request(fixture('esm-mjs'), { event: '{"n":2}' }));
  assert.equal(b.retCode, 0, b.retMsg);
  assert.deepEqual(JSON.parse(b.retMsg), { mjs: true, event: { n: 2 } });
});

test('handler not found: 437, for a missing export, a non-function and a missing file', async (t) => {
  const rt = makeRuntime(t);
  for (const handler of ['index.main_handler', 'index.notAFunction', 'missing.main_handler', 'nodot']) {
    const req = request(fixture('nohandler', { handler }));
    const r = await rt.invoke(req);
    assert.equal(r.retCode, 437, handler);
    assert.match(r.errMsg, /^Handler not found/);
    const body = JSON.parse(r.retMsg) as Record<string, unknown>;
    assert.equal(body['statusCode'], 437);
    assert.equal(body['requestId'], req.requestId);
    assert.equal(body['errorMessage'], r.errMsg);
  }
});

test('module code that throws: 430 with its output in the log, a fresh instance next time', async (t) => {
  const rt = makeRuntime(t);
  const fn = fixture('initfail');
  const a = await rt.invoke(request(fn));
  assert.equal(a.retCode, 430);
  assert.equal(a.errMsg, 'module init failed');
  assert.deepEqual(userMessages(a.log).slice(0, 2), ['initfail module loading', 'Error: module init failed']);
  const b = await rt.invoke(request(fn));
  assert.equal(b.retCode, 430);
  assert.equal(b.coldStart, true, 'a failed init is not reused');
});

test('a synchronous event of nearly 6 MB (SCF’s limit) reaches the function whole', async (t) => {
  // An IPC message that large is queued behind a backlog when sent: it must still be delivered.
  const rt = makeRuntime(t);
  const fn = fixture('basics', { handler: 'index.echo' });
  for (const size of [1024 * 1024, 6 * 1024 * 1024 - 64]) {
    const event = JSON.stringify({ pad: 'x'.repeat(size - 10) });
    const r = await rt.invoke(request(fn, { event }));
    assert.equal(r.retCode, 0, r.retMsg.slice(0, 300));
    assert.equal(r.retMsg, event);
    // The warm instance takes the next one too.
    assert.equal(r.coldStart, size === 1024 * 1024);
  }
});
