/**
 * Limits over the whole instance (issue 8, items 2 and 5): a subprocess that allocates 1 GB (node or
 * python) in a 128 MB function ends the invocation with 434 and a memUsage above 128 MB; an instance
 * between invocations is frozen (a timer that spins and grows memory, and a detached spinning subprocess,
 * use no CPU and do not grow, read from the host's /proc), and its timers resume in the next invocation;
 * a 10 MB result fails with 407 and SCF's message. The server goes on serving after each.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  deploy,
  hostView,
  invokeRaw,
  pidsInNamespace,
  run,
  type Started,
  startSandboxed,
  stillServes,
  suiteScope,
} from './sandbox-helpers.js';

const MB = 1024 * 1024;

describe('sandbox: limits over the whole instance', () => {
  const scope = suiteScope(after);
  let s: Started;

  before(async () => {
    s = await startSandboxed(scope);
    await deploy(scope, s.c, 'small', { memorySize: 128, timeout: 30 });
    await deploy(scope, s.c, 'idler', { memorySize: 256, timeout: 10 });
  });

  for (const [what, argv] of [
    [
      'node',
      `[process.execPath, ['-e', 'const a = []; for (let i = 0; i < 64; i++) a.push(Buffer.alloc(16 << 20, 1)); setTimeout(() => {}, 20000)']]`,
    ],
    ['python3', `['/usr/bin/python3', ['-c', 'import time\\nb = b"x" * (1 << 30)\\ntime.sleep(20)']]`],
  ] as const) {
    test(`a ${what} subprocess allocating 1 GB in a 128 MB function: 434, memUsage above 128 MB`, async () => {
      const r = await invokeRaw(s.c, 'small', {
        code: `const [file, args] = ${argv};
          await new Promise((resolve) => require('child_process').execFile(file, args, resolve));
          return 'the child ended by itself';`,
      });
      assert.equal(r.InvokeResult, 434, `${r.RetMsg}`);
      assert.match(r.ErrMsg ?? '', /Task memory exceeded 128 MB/);
      assert.ok((r.MemUsage ?? 0) > 128 * MB, `memUsage ${r.MemUsage}`);
      const rec = await s.c.GetFunctionLogs({
        FunctionName: 'small',
        FunctionRequestId: r.FunctionRequestId,
      });
      assert.equal(rec.Data?.[0]?.RetCode, 434);
      assert.equal((await invokeRaw(s.c, 'small', { code: 'return 1;' })).RetMsg, '1');
    });
  }

  test('an idle instance is frozen: no CPU, no growth; its timers resume in the next invocation', async () => {
    // A timer that spins 5 ms and keeps 1 MB every 10 ms (up to 60 MB), and a detached shell spinning, both
    // left running after the handler returned.
    const out = await run(
      s.c,
      'idler',
      `context.callbackWaitsForEmptyEventLoop = false;
       globalThis.ticks = 0; globalThis.kept = [];
       setInterval(() => {
         globalThis.ticks++;
         const end = Date.now() + 5; while (Date.now() < end);
         if (globalThis.kept.length < 60) globalThis.kept.push(Buffer.alloc(1 << 20, 1));
       }, 10);
       require('child_process').spawn('sh', ['-c', 'while :; do :; done'], { detached: true, stdio: 'ignore' }).unref();
       await new Promise((r) => setTimeout(r, 100));
       return { ticks: globalThis.ticks, ns: require('fs').readlinkSync('/proc/self/ns/pid') };`,
    );
    const pids = pidsInNamespace(out.ns);
    assert.ok(pids.length >= 3, `init, node and the shell: ${pids}`);
    const before = pids.map((p) => hostView(p)!);
    await new Promise((r) => setTimeout(r, 1500));
    const later = pids.map((p) => hostView(p)!);
    const ticks = later.reduce((n, v, i) => n + v.ticks - before[i]!.ticks, 0);
    const grown = later.reduce((n, v, i) => n + v.rss - before[i]!.rss, 0);
    // Every process but bwrap's init (which only waits) is stopped: state T.
    assert.deepEqual(
      later.slice(1).map((v) => v.state),
      later.slice(1).map(() => 'T'),
    );
    assert.ok(ticks <= 2, `CPU ticks used in 1.5 s idle: ${ticks}`);
    assert.ok(grown < 2 * MB, `grew ${grown} bytes while idle`);
    // The next invocation thaws it: the timer missed the idle time (it did not run) and runs again now.
    const next = await run(
      s.c,
      'idler',
      // The interval never ends: without this the invocation would wait for an empty event loop (433).
      `context.callbackWaitsForEmptyEventLoop = false;
       const at = globalThis.ticks; await new Promise((r) => setTimeout(r, 300)); return { at, after: globalThis.ticks };`,
    );
    // Between the result and the freeze (the server's turn to read it) and at the thaw, a few runs happen;
    // 1.5 s of running would be over 100.
    assert.ok(next.at <= out.ticks + 20, `ticks while idle: ${out.ticks} -> ${next.at}`);
    assert.ok(next.after >= next.at + 5, `the timer resumed: ${next.at} -> ${next.after}`);
  });

  test('a 10 MB result fails with 407 and SCF’s message; the server stays well', async () => {
    const r = await invokeRaw(s.c, 'small', { code: `return 'x'.repeat(10 * 1024 * 1024);` });
    assert.equal(r.InvokeResult, 407);
    assert.match(r.ErrMsg ?? '', /^The size of response exceeds the upper limit \(6MB\)/);
    assert.ok((r.RetMsg ?? '').length < 1000, 'the result itself is not returned');
    const rec = await s.c.GetFunctionLogs({ FunctionName: 'small', FunctionRequestId: r.FunctionRequestId });
    assert.equal(rec.Data?.[0]?.RetCode, 407);
    assert.ok((rec.Data?.[0]?.RetMsg ?? '').length < 1000, 'nor stored');
    assert.equal((await invokeRaw(s.c, 'small', { code: 'return 3;' })).RetMsg, '3');
    await stillServes(scope, s.c);
  });
});
