/**
 * The runtime contract, written once and run against every language (`contract-<language>.test.ts`): each
 * language has one fixture function (`test/fixtures/contract/<language>/`) that does the same thing for
 * each `do` of its event. What is checked is what a user reads in the record: the retCode, retMsg, the
 * lines printed before a failure, duration, memUsage, module code once per instance, the environment and
 * context, the pool's concurrency, an interrupted invocation, and the sandbox around the process.
 */
import assert from 'node:assert/strict';
import { type AddressInfo, createServer } from 'node:net';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { FunctionRunSpec, RunResult, Runtime } from '../../../src/runtime/types.js';
import { fixture, makeRuntime, request, userMessages } from './helpers.js';

const CONTRACT = fileURLToPath(new URL('../../../../test/fixtures/contract/', import.meta.url));
const MB = 1024 * 1024;
/** A path that exists on the host and must not inside a sandbox. */
const HOST_PATH = fileURLToPath(new URL('../../../../package.json', import.meta.url));

export interface ContractOptions {
  /**
   * The runtime finds the handler itself, so a missing one is its 437 (false for a Custom Runtime, where
   * the function's own bootstrap loads its code).
   */
  loadsHandler?: boolean;
  /**
   * ms a 200 ms sleep may be measured above what the handler itself saw (default 50): the platform's
   * clock runs from the invoke message to the result, so the pipes and both processes' scheduling are in
   * it — about a millisecond here, tens when CI loads both cores (26 ms seen once). A Custom Runtime's
   * duration also holds its own runtime client's two HTTP round trips, each a wake-up of two more
   * processes. What the bound catches is a duration taken from the wrong moment (the spawn, the queue,
   * the function's own word), which is off by far more.
   */
  durationSlackMs?: number;
}

/** Runs the contract against `runtime`, with the fixture of `test/fixtures/contract/<fixture>/`. */
export function runtimeContract(fixtureName: string, runtime: string, opts: ContractOptions = {}): void {
  const language = fixtureName;
  const fn = (overrides: Partial<FunctionRunSpec> = {}): FunctionRunSpec =>
    fixture(`contract-${language}`, { runtime, codeDir: `${CONTRACT}${language}`, ...overrides });
  const run = (rt: Runtime, f: FunctionRunSpec, event: unknown): Promise<RunResult> =>
    rt.invoke(request(f, { event: JSON.stringify(event) }));

  test(`${runtime}: success — the return value as JSON, the printed line, SCF's log framing`, async (t) => {
    const rt = makeRuntime(t);
    const f = fn();
    const r = await run(rt, f, { do: 'echo', value: { a: [1, 'x'] } });
    assert.equal(r.retCode, 0, r.retMsg);
    assert.deepEqual(JSON.parse(r.retMsg), { echo: { a: [1, 'x'] } });
    assert.equal(r.errMsg, '');
    // What ran it follows when it is not the version the runtime name says (versions.test.ts).
    assert.match(r.log, /^START RequestId: [0-9a-f-]+(?: Runtime: [^\n]+)?\n/);
    assert.match(
      r.log,
      /END RequestId: [0-9a-f-]+\nReport RequestId: [0-9a-f-]+ Duration:\d+ms Memory:128MB MemUsage:[\d.]+MB\n$/,
    );
    assert.ok(userMessages(r.log).includes('line one'), r.log);
  });

  test(`${runtime}: an exception is a 430 with the lines printed before it and the error in retMsg`, async (t) => {
    const rt = makeRuntime(t);
    const f = fn();
    const r = await run(rt, f, { do: 'throw' });
    assert.equal(r.retCode, 430);
    const msg = JSON.parse(r.retMsg);
    assert.equal(msg.statusCode, 430);
    assert.equal(msg.errorCode, -1);
    assert.match(JSON.stringify(msg), /contract boom/);
    assert.ok(userMessages(r.log).includes('before the throw'), r.log);
    assert.match(r.log, /contract boom/);
    // The instance survives a handled exception: the next call is warm.
    const next = await run(rt, f, { do: 'echo', value: 1 });
    assert.equal(next.retCode, 0);
    assert.equal(next.coldStart, false);
  });

  test(`${runtime}: a timeout is a 433 with the lines printed before it; the next call gets a fresh instance`, async (t) => {
    const rt = makeRuntime(t);
    const f = fn({ timeout: 1 });
    const r = await run(rt, f, { do: 'hang' });
    assert.equal(r.retCode, 433);
    assert.ok(r.duration >= 1000 && r.duration < 1500, `duration ${r.duration}`);
    assert.ok(userMessages(r.log).includes('before the hang'), r.log);
    assert.match(r.log, /ERROR RequestId: \S+ Result: Invoking task timed out after 1 seconds/);
    const next = await run(rt, f, { do: 'echo', value: 2 });
    assert.equal(next.retCode, 0);
    assert.equal(next.coldStart, true);
  });

  test(`${runtime}: memory over the limit is a 434 with the lines printed before it`, async (t) => {
    const rt = makeRuntime(t);
    const f = fn({ timeout: 10 });
    const r = await run(rt, f, { do: 'oom' });
    assert.equal(r.retCode, 434, r.retMsg);
    assert.ok(userMessages(r.log).includes('before the oom'), r.log);
    assert.match(r.retMsg, /Task memory exceeded 128 MB/);
  });

  test(`${runtime}: an exit mid-invocation is a 439 with the lines printed before it`, async (t) => {
    const rt = makeRuntime(t);
    const f = fn();
    const r = await run(rt, f, { do: 'exit', code: 3 });
    assert.equal(r.retCode, 439);
    assert.match(r.retMsg, /User process exit when running \(exit code 3\)/);
    assert.ok(userMessages(r.log).includes('before the exit'), r.log);
    const next = await run(rt, f, { do: 'echo', value: 3 });
    assert.equal(next.retCode, 0);
  });

  test(`${runtime}: a missing handler or handler file is a 437`, {
    skip: opts.loadsHandler === false,
  }, async (t) => {
    const rt = makeRuntime(t);
    const noFunction = await run(rt, fn({ handler: 'index.not_there' }), { do: 'echo' });
    assert.equal(noFunction.retCode, 437, noFunction.retMsg);
    assert.match(noFunction.retMsg, /not_there/);
    const noFile = await run(rt, fn({ handler: 'nofile.main_handler' }), { do: 'echo' });
    assert.equal(noFile.retCode, 437, noFile.retMsg);
    assert.match(noFile.retMsg, /nofile/);
  });

  test(`${runtime}: a flood of output is capped at maxLogBytes with a marker; the result and the instance are intact`, async (t) => {
    const maxLogBytes = 64 * 1024;
    const rt = makeRuntime(t, { maxLogBytes });
    const f = fn({ timeout: 10 });
    // ~0.5 MB against a 64 KB cap: enough to cap, without a CPU burst that would delay the tests beside it.
    const r = await run(rt, f, { do: 'flood', lines: 5_000 });
    assert.equal(r.retCode, 0, r.retMsg);
    assert.equal(r.retMsg, '"flooded"');
    assert.ok(Buffer.byteLength(r.log) <= maxLogBytes, `log of ${Buffer.byteLength(r.log)} bytes`);
    assert.match(r.log, /\[scf-local\] log truncated: \d+ bytes dropped \(limit 65536 bytes\)\n/);
    assert.match(r.log, /flood line 0 x+\n/);
    assert.match(r.log, /\nReport RequestId: /);
    const next = await run(rt, f, { do: 'echo', value: 'after' });
    assert.equal(next.retCode, 0);
    assert.equal(next.coldStart, false);
    assert.ok(!next.log.includes('flood line'), 'nothing of the flood spills into the next invocation');
  });

  test(`${runtime}: duration is true to a 200 ms sleep`, async (t) => {
    const rt = makeRuntime(t);
    const f = fn();
    await run(rt, f, { do: 'noop' });
    const r = await run(rt, f, { do: 'sleep', ms: 200 });
    assert.equal(r.retCode, 0);
    assert.equal(r.coldStart, false);
    // Compared with what the handler itself measured: a loaded machine fires timers late, and the platform
    // measures on its own clock from the invoke message to the result (see numbers.test.ts).
    const { slept } = JSON.parse(r.retMsg) as { slept: number };
    assert.ok(slept >= 199, `slept ${slept}`);
    const slack = opts.durationSlackMs ?? 50;
    assert.ok(r.duration >= slept && r.duration - slept < slack, `duration ${r.duration} vs slept ${slept}`);
    assert.ok(r.duration < 400, `duration ${r.duration}`);
  });

  test(`${runtime}: memUsage grows with a 50 MB allocation, and not on the next warm call`, async (t) => {
    const rt = makeRuntime(t);
    const f = fn();
    const base = await run(rt, f, { do: 'noop' });
    const big = await run(rt, f, { do: 'alloc', mb: 50 });
    const after = await run(rt, f, { do: 'noop' });
    assert.equal(big.retCode, 0, big.retMsg);
    const grew = (big.memUsage - base.memUsage) / MB;
    const stayed = (after.memUsage - base.memUsage) / MB;
    assert.ok(grew >= 45 && grew <= 70, `the 50 MB allocation shows: +${grew.toFixed(1)} MB`);
    assert.ok(stayed < 20, `the next call does not carry it: +${stayed.toFixed(1)} MB`);
    assert.match(big.log, new RegExp(`MemUsage:${(big.memUsage / MB).toFixed(6)}MB`));
  });

  test(`${runtime}: module code runs once per instance, in the first invocation's log`, async (t) => {
    const rt = makeRuntime(t);
    const f = fn();
    const first = await run(rt, f, { do: 'counter' });
    const second = await run(rt, f, { do: 'counter' });
    assert.equal(first.coldStart, true);
    assert.ok(userMessages(first.log).includes('module loaded'), first.log);
    assert.ok(!userMessages(second.log).includes('module loaded'), second.log);
    assert.equal(JSON.parse(first.retMsg).invocations, 1);
    assert.equal(JSON.parse(second.retMsg).invocations, 2);
    assert.equal(JSON.parse(second.retMsg).pid, JSON.parse(first.retMsg).pid);
  });

  test(`${runtime}: environment variables and the context's fields`, async (t) => {
    const rt = makeRuntime(t);
    const f = fn({ environment: { GREETING: 'héllo wörld' }, memorySize: 256, timeout: 7 });
    const env = await run(rt, f, { do: 'env', name: 'GREETING' });
    assert.equal(JSON.parse(env.retMsg), 'héllo wörld');
    const scf = await run(rt, f, { do: 'env', name: 'SCF_FUNCTIONNAME' });
    assert.equal(JSON.parse(scf.retMsg), f.functionName);
    const req = request(f, { event: JSON.stringify({ do: 'context' }), qualifier: '$LATEST' });
    const ctx = await rt.invoke(req);
    assert.deepEqual(JSON.parse(ctx.retMsg), {
      request_id: req.requestId,
      function_name: f.functionName,
      function_version: '$LATEST',
      namespace: 'default',
      memory_limit_in_mb: 256,
      time_limit_in_ms: 7000,
      tencentcloud_region: 'ap-guangzhou',
      environment: { GREETING: 'héllo wörld', SCF_NAMESPACE: 'default' },
    });
  });

  test(`${runtime}: concurrent invocations run in separate instances, up to the function's limit`, async (t) => {
    const rt = makeRuntime(t, { maxInstancesPerFunction: 2 });
    const f = fn();
    const t0 = performance.now();
    const rs = await Promise.all([1, 2, 3].map(() => run(rt, f, { do: 'sleep', ms: 300 })));
    const wall = performance.now() - t0;
    assert.ok(rs.every((r) => r.retCode === 0));
    // Two at once, then the third: two rounds of 300 ms, not one, not three.
    assert.ok(wall >= 600 && wall < 2000, `wall ${wall.toFixed(0)} ms`);
    const pids = await Promise.all([1, 2].map(() => run(rt, f, { do: 'counter' })));
    assert.equal(rt.stats().instances, 2);
    assert.ok(pids.every((r) => r.retCode === 0));
  });

  test(`${runtime}: an invocation running when the runtime closes is recorded as interrupted (3)`, async (t) => {
    const rt = makeRuntime(t);
    const f = fn({ timeout: 10 });
    let started!: () => void;
    const start = new Promise<void>((r) => {
      started = r;
    });
    const running = rt.invoke(
      request(f, { event: JSON.stringify({ do: 'sleep', ms: 5000 }), onStart: () => started() }),
    );
    await start;
    await new Promise((r) => setTimeout(r, 300));
    await rt.close();
    const r = await running;
    assert.equal(r.retCode, 3);
  });

  test(`${runtime}: the sandbox: an unprivileged user, read-only code, no host files or loopback, its own processes`, async (t) => {
    const rt = makeRuntime(t);
    if (!rt.sandboxStatus().isolated) {
      t.skip(`no sandbox here: ${rt.sandboxStatus().reason}`);
      return;
    }
    // A port on the host's loopback, which a sandboxed function must not reach.
    const host = createServer((s) => s.destroy());
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    t.after(() => host.close());
    const hostPort = (host.address() as AddressInfo).port;
    const r = await run(rt, fn(), { do: 'probe', hostPath: HOST_PATH, hostPort });
    assert.equal(r.retCode, 0, r.retMsg);
    const p = JSON.parse(r.retMsg);
    assert.notEqual(p.uid, 0);
    assert.equal(p.cwd, '/var/user');
    assert.equal(p.codeWritable, false);
    assert.equal(p.hostname, 'scf');
    assert.equal(p.sees, false, `${HOST_PATH} is visible inside`);
    assert.ok(p.processes <= 3, `${p.processes} processes visible`);
    assert.equal(p.hostLoopback, false, 'the host loopback is out of reach');
  });
}
