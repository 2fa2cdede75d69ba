/** Everything a function can do wrong, with real processes: each ends as a result, never as a rejection. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Runtime } from '../../../src/runtime/types.js';
import { alive, childPids, fixture, makeRuntime, request, userMessages } from './helpers.js';

interface ErrorBody {
  errorCode: number;
  errorMessage: string;
  requestId: string;
  stackTrace?: string;
  statusCode: number;
}

/** The instance serves a healthy invocation afterwards; `fresh` = it is a new process. */
async function assertServesAfter(rt: Runtime, name: string, fresh: boolean): Promise<void> {
  const r = await rt.invoke(request(fixture(name, { handler: 'index.ok' })));
  assert.equal(r.retCode, 0, r.retMsg);
  assert.equal(r.retMsg, '"fine"');
  if (fresh) assert.equal(r.coldStart, true);
}

test('user errors: 430 with SCF error JSON, the stack in the log, the instance kept warm', async (t) => {
  const rt = makeRuntime(t);
  const cases: [string, string][] = [
    ['throws', 'boom'],
    ['rejects', 'rejected'],
    ['callbackError', 'callback error'],
    ['fail', 'context fail'],
    ['throwString', 'just a string'],
    ['circular', 'Converting circular structure to JSON'],
  ];
  for (const [handler, message] of cases) {
    const fn = fixture('errors', { handler: `index.${handler}` });
    const req = request(fn);
    const r = await rt.invoke(req);
    assert.equal(r.retCode, 430, handler);
    assert.ok(r.errMsg.startsWith(message), `${handler}: ${r.errMsg}`);
    const body = JSON.parse(r.retMsg) as ErrorBody;
    assert.deepEqual(Object.keys(body), [
      'errorCode',
      'errorMessage',
      'requestId',
      'stackTrace',
      'statusCode',
    ]);
    assert.equal(body.errorCode, -1);
    assert.equal(body.errorMessage, r.errMsg);
    assert.equal(body.requestId, req.requestId);
    assert.equal(body.statusCode, 430);
    assert.ok(r.log.includes(message), `${handler}: the error is printed in the log`);
    if (handler === 'throws') {
      assert.match(body.stackTrace ?? '', /^Error: boom\n\s+at exports\.throws/);
      assert.deepEqual(userMessages(r.log).slice(0, 2), ['about to throw', 'Error: boom']);
    }
  }
});

test('each error style runs on a warm instance without killing it', async (t) => {
  const rt = makeRuntime(t);
  const fn = fixture('errors', { handler: 'index.rejects' });
  const a = await rt.invoke(request(fn));
  const b = await rt.invoke(request(fn));
  assert.equal(a.retCode, 430);
  assert.equal(b.retCode, 430);
  assert.equal(b.coldStart, false);
});

test('timeout: a function spinning forever is killed, 433, every line printed before is kept', async (t) => {
  const rt = makeRuntime(t);
  const req = request(fixture('timeouts', { handler: 'index.spin', timeout: 1 }));
  const r = await rt.invoke(req);
  assert.equal(r.retCode, 433);
  assert.equal(r.errMsg, 'Invoking task timed out after 1 seconds');
  assert.equal(
    r.retMsg,
    JSON.stringify({
      errorCode: -1,
      errorMessage: 'Invoking task timed out after 1 seconds',
      requestId: req.requestId,
      statusCode: 433,
    }),
  );
  assert.deepEqual(userMessages(r.log), ['line before spin 1', 'line before spin 2', 'line before spin 3']);
  assert.ok(
    r.log.includes(
      `ERROR RequestId: ${req.requestId} Result: Invoking task timed out after 1 seconds\nEND RequestId: ${req.requestId}\n`,
    ),
  );
  assert.ok(r.duration >= 1000 && r.duration < 2500, `duration ${r.duration}`);
  assert.ok(r.memUsage > 10 * 1024 * 1024, 'peak memory read before the kill');
  await assertServesAfter(rt, 'timeouts', true);
});

test('timeout: a promise that never settles, and a loop that never empties, end as 433', async (t) => {
  const rt = makeRuntime(t);
  for (const handler of ['neverResolves', 'interval']) {
    const r = await rt.invoke(request(fixture('timeouts', { handler: `index.${handler}`, timeout: 1 })));
    assert.equal(r.retCode, 433, handler);
  }
});

test('memory: Buffers past memorySize are caught by the RSS watchdog, 434', async (t) => {
  const rt = makeRuntime(t);
  const req = request(fixture('memory', { handler: 'index.bufferHog', memorySize: 128, timeout: 10 }));
  const r = await rt.invoke(req);
  assert.equal(r.retCode, 434, r.retMsg);
  assert.equal(
    r.retMsg,
    JSON.stringify({
      errorCode: -1,
      errorMessage: 'Task memory exceeded 128 MB',
      requestId: req.requestId,
      statusCode: 434,
    }),
  );
  assert.ok(r.memUsage > 128 * 1024 * 1024, `memUsage ${r.memUsage}`);
  assert.ok(r.duration < 5000);
});

test('memory: a V8 heap abort is classified as 434 (watchdog off)', async (t) => {
  const rt = makeRuntime(t, { memoryWatchIntervalMs: 0 });
  const r = await rt.invoke(
    request(fixture('memory', { handler: 'index.heapHog', memorySize: 64, timeout: 20 })),
  );
  assert.equal(r.retCode, 434, r.retMsg);
  assert.equal(r.errMsg, 'Task memory exceeded 64 MB');
  assert.ok(r.log.includes('heap out of memory'), 'V8 message kept in the log');
});

test('process.exit() mid-invocation: 439, output kept, next invocation on a fresh instance', async (t) => {
  const rt = makeRuntime(t);
  const req = request(fixture('errors', { handler: 'index.exit' }));
  const r = await rt.invoke(req);
  assert.equal(r.retCode, 439);
  assert.equal(r.errMsg, 'User process exit when running (exit code 3)');
  assert.equal((JSON.parse(r.retMsg) as ErrorBody).statusCode, 439);
  assert.deepEqual(userMessages(r.log), ['exiting now']);
  await assertServesAfter(rt, 'errors', true);
});

test('crash after the callback, while waiting for the event loop: 439', async (t) => {
  const rt = makeRuntime(t);
  const r = await rt.invoke(request(fixture('errors', { handler: 'index.crashAfterReturn' })));
  assert.equal(r.retCode, 439);
  assert.equal(r.errMsg, 'User process exit when running (signal SIGSEGV)');
});

test('uncaught exception mid-invocation: 430 with its message, the instance is replaced', async (t) => {
  const rt = makeRuntime(t);
  const fn = fixture('errors', { handler: 'index.uncaught' });
  const r = await rt.invoke(request(fn));
  assert.equal(r.retCode, 430);
  assert.equal(r.errMsg, 'uncaught in timer');
  assert.deepEqual(userMessages(r.log).slice(0, 2), ['before uncaught', 'Error: uncaught in timer']);
  const again = await rt.invoke(request(fn));
  assert.equal(again.coldStart, true);
});

test('a 100 MB flood: the log is capped with a marker, little crosses the pipe, the server is fine', async (t) => {
  const maxLogBytes = 64 * 1024;
  const rt = makeRuntime(t, { maxLogBytes });
  const req = request(fixture('flood', { timeout: 60 }), { event: '{"mb":100}' });
  let streamed = 0;
  req.onLog = (text) => {
    streamed += Buffer.byteLength(text);
  };
  const r = await rt.invoke(req);
  assert.equal(r.retCode, 0, r.retMsg);
  assert.equal(r.retMsg, '"flooded"');
  assert.ok(Buffer.byteLength(r.log) <= maxLogBytes, `log ${Buffer.byteLength(r.log)} bytes`);
  assert.ok(streamed <= maxLogBytes);
  const marker = /\[scf-local\] log truncated: (\d+) bytes dropped \(limit 65536 bytes\)\n/.exec(r.log);
  assert.ok(marker, 'truncation marker present');
  assert.ok(Number(marker[1]) > 100 * 1024 * 1024, `dropped ${marker[1]}`);
  assert.match(r.log, /\nEND RequestId: [^\n]+\nReport RequestId: [^\n]+MB\n$/);
  assert.ok(r.log.includes('flood starts'));
});

test('an instance killed while idle is replaced; the runtime keeps serving', async (t) => {
  const rt = makeRuntime(t);
  const fn = fixture('basics');
  const first = await rt.invoke(request(fn));
  assert.equal(first.retCode, 0);
  // Inside a sandbox the function's pid is its namespace's; from the host, the instance is the bwrap
  // process this runtime started (killing every child takes the stem cell too, which is replaced).
  const victims = rt.sandboxStatus().isolated
    ? childPids()
    : [(JSON.parse(first.retMsg) as { pid: number }).pid];
  for (const pid of victims) process.kill(pid, 'SIGKILL');
  while (victims.some(alive)) await new Promise((r) => setTimeout(r, 5));
  const r = await rt.invoke(request(fn));
  assert.equal(r.retCode, 0, r.retMsg);
  assert.equal(r.coldStart, true, 'a new instance');
});

test('an idle instance is frozen: its timers and subprocesses use no CPU until the next invocation', async (t) => {
  const rt = makeRuntime(t);
  if (!rt.sandboxStatus().isolated) {
    t.skip(`no sandbox here: ${rt.sandboxStatus().reason}`);
    return;
  }
  const marker = `idler-${process.pid}-${Date.now()}`;
  const fn = fixture('waits', { handler: 'index.idler', timeout: 10 });
  const first = JSON.parse((await rt.invoke(request(fn, { event: JSON.stringify({ marker }) }))).retMsg) as {
    after: number;
  };
  assert.ok(first.after >= 5, `the timer ran while the invocation did: ${first.after}`);
  // The spinning shell, seen from the host: stopped (state T), and no CPU over a second of idleness.
  const shell = (): { state: string; ticks: number } | undefined => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(marker)) continue;
        const f = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]?.split(' ') ?? [];
        return { state: f[0] ?? '?', ticks: Number(f[11]) + Number(f[12]) };
      } catch {
        // Gone while we looked.
      }
    }
    return undefined;
  };
  const before = shell();
  assert.ok(before, 'the detached shell exists');
  await new Promise((r) => setTimeout(r, 1000));
  const later = shell();
  assert.equal(later?.state, 'T', 'stopped between invocations');
  assert.ok(
    (later?.ticks ?? 0) - before.ticks <= 1,
    `CPU ticks while idle: ${before.ticks} -> ${later?.ticks}`,
  );
  // Thawed by the next invocation: the timer barely ran while idle (a second would be ~100 runs), runs again.
  const next = JSON.parse((await rt.invoke(request(fn, { event: JSON.stringify({ marker }) }))).retMsg) as {
    at: number;
    after: number;
  };
  // A few runs fit between the result and the freeze, and at the thaw; a second of running would be ~100.
  assert.ok(next.at <= first.after + 20, `timer runs while idle: ${first.after} -> ${next.at}`);
  assert.ok(next.after >= next.at + 5, `the timer resumed: ${next.at} -> ${next.after}`);
});
