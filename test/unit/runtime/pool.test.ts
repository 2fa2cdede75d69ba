/** Pools: concurrency limit, FIFO queue, idle reaping, revisions, retire, close. Real processes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScfError } from '../../../src/errors/index.js';
import type { RunResult } from '../../../src/runtime/types.js';
import {
  alive,
  childPids,
  eventually,
  fixture,
  functionPids,
  makeRuntime,
  request,
  userMessages,
} from './helpers.js';

const pidOf = (r: RunResult): number => (JSON.parse(r.retMsg) as { pid: number }).pid;

/**
 * Pool mechanics are checked on plain processes: these tests tell instances apart by the pid each reports
 * and look for them on the host, and inside a sandbox every function's pid is 2. The sandboxed path runs
 * the same pool code (failures/invoke/numbers tests, test/security/).
 */
const PLAIN = { sandbox: 'off' } as const;

test('concurrency limit: N instances at once, a FIFO queue, then ConcurrencyLimitReached', async (t) => {
  const rt = makeRuntime(t, { ...PLAIN, maxInstancesPerFunction: 2, maxQueuedPerFunction: 2 });
  const fn = fixture('basics', { handler: 'index.sleep' });
  const order: string[] = [];
  const call = (name: string, ms: number) =>
    rt.invoke(request(fn, { event: JSON.stringify({ ms }), onStart: () => order.push(name) }));
  // invoke() takes its slot synchronously: the first two get instances, the next two queue.
  const running = [call('a', 150), call('b', 150)];
  const queued = [call('c', 1), call('d', 1)];
  assert.deepEqual(rt.stats(), { instances: 2, busy: 2, queued: 2 });
  await assert.rejects(call('e', 1), (err: unknown) => {
    assert.ok(err instanceof ScfError);
    assert.equal(err.code, 'ConcurrencyLimitReached');
    return true;
  });
  const results = await Promise.all([...running, ...queued]);
  assert.ok(results.every((r) => r.retCode === 0));
  assert.deepEqual(order, ['a', 'b', 'c', 'd'], 'queued invocations start in arrival order');
  assert.deepEqual(
    results.map((r) => r.coldStart),
    [true, true, false, false],
    'queued invocations reuse the warm instances',
  );
  assert.deepEqual(rt.stats(), { instances: 2, busy: 0, queued: 0 });
  assert.equal(functionPids().length, 2, 'never more function processes than the limit');
});

test('functions have separate pools', async (t) => {
  const rt = makeRuntime(t, { ...PLAIN, maxInstancesPerFunction: 1, maxQueuedPerFunction: 0 });
  const a = rt.invoke(
    request(fixture('basics', { functionName: 'a', handler: 'index.sleep' }), { event: '{"ms":50}' }),
  );
  const b = rt.invoke(
    request(fixture('basics', { functionName: 'b', handler: 'index.sleep' }), { event: '{"ms":50}' }),
  );
  const results = await Promise.all([a, b]);
  assert.deepEqual(
    results.map((r) => r.retCode),
    [0, 0],
  );
});

test('idle instances are reaped after idleTimeoutMs; the next invocation starts a new one', async (t) => {
  const rt = makeRuntime(t, { ...PLAIN, idleTimeoutMs: 150 });
  const fn = fixture('basics');
  const first = await rt.invoke(request(fn));
  const pid = pidOf(first);
  assert.ok(alive(pid));
  // No hook for "reaped": wait for the process to be gone.
  await eventually(() => !alive(pid), 3000, 'the idle instance to be reaped');
  assert.deepEqual(rt.stats(), { instances: 0, busy: 0, queued: 0 });
  const second = await rt.invoke(request(fn));
  assert.equal(second.coldStart, true);
  assert.notEqual(pidOf(second), pid);
});

test('a new revision never reuses an older instance, which is stopped', async (t) => {
  const rt = makeRuntime(t, PLAIN);
  const v1 = fixture('basics');
  const v2 = { ...v1, revision: v1.revision + 1 };
  const a = await rt.invoke(request(v1));
  const b = await rt.invoke(request(v2));
  assert.equal(b.coldStart, true);
  assert.notEqual(pidOf(b), pidOf(a));
  await eventually(() => !alive(pidOf(a)), 3000, 'the old instance to stop');
  const c = await rt.invoke(request(v2));
  assert.equal(pidOf(c), pidOf(b));
});

test('retire() stops the idle instances of a function; running ones finish first', async (t) => {
  const rt = makeRuntime(t, { ...PLAIN, maxInstancesPerFunction: 2 });
  const fn = fixture('basics', { handler: 'index.sleep' });
  await rt.invoke(request(fn, { event: '{"ms":1}' }));
  const busy = rt.invoke(request(fn, { event: '{"ms":1000}' }));
  const other = rt.invoke(request(fn, { event: '{"ms":1}' }));
  const otherResult = await other;
  assert.equal(functionPids().length, 2, 'one busy, one idle');
  await rt.retire('default', 'basics');
  assert.equal(functionPids().length, 1, 'retire() resolves once the idle instance is gone');
  const busyResult = await busy;
  assert.equal(busyResult.retCode, 0, 'the running invocation finished normally');
  assert.equal(otherResult.retCode, 0);
  assert.equal(rt.stats().instances, 0);
  await eventually(() => functionPids().length === 0, 3000, 'retired processes to exit');
  const next = await rt.invoke(request(fn, { event: '{"ms":1}' }));
  assert.equal(next.coldStart, true);
});

test('close(): running invocations end with retCode 3, queued ones are refused, no process left', async (t) => {
  const rt = makeRuntime(t, { ...PLAIN, maxInstancesPerFunction: 1, maxQueuedPerFunction: 5 });
  const fn = fixture('timeouts', { handler: 'index.neverResolves', timeout: 30 });
  let sawLine: () => void = () => {};
  const lineSeen = new Promise<void>((resolve) => {
    sawLine = resolve;
  });
  const running = rt.invoke(request(fn, { onLog: () => sawLine() }));
  // Observed at once: it is refused during close(), before the assertion below looks at it.
  const queued = rt.invoke(request(fn)).then(
    () => undefined,
    (err: unknown) => err,
  );
  await lineSeen; // the handler is running in the child
  const pids = childPids();
  assert.equal(functionPids().length, 1);
  await rt.close();
  await rt.close(); // idempotent
  const r = await running;
  assert.equal(r.retCode, 3);
  assert.equal((JSON.parse(r.retMsg) as { statusCode: number }).statusCode, 3);
  assert.deepEqual(userMessages(r.log), ['waiting forever'], 'its log so far is kept');
  const refused = await queued;
  assert.ok(refused instanceof ScfError && refused.code === 'InternalError');
  await assert.rejects(rt.invoke(request(fn)), (err: unknown) => err instanceof ScfError);
  assert.ok(pids.every((p) => !alive(p)));
  assert.deepEqual(childPids(), []);
});

test('close() during a cold start: the invocation ends with retCode 3', async (t) => {
  const rt = makeRuntime(t, PLAIN);
  let started: () => void = () => {};
  const onStart = new Promise<void>((resolve) => {
    started = resolve;
  });
  const pending = rt.invoke(request(fixture('basics'), { onStart: () => started() }));
  await onStart;
  await rt.close();
  const r = await pending;
  assert.equal(r.retCode, 3);
  assert.equal(r.coldStart, true);
});

test('a process that cannot start: a 439 result saying why, and the slot is free again', async (t) => {
  for (const sandbox of ['off', 'auto'] as const) {
    const rt = makeRuntime(t, { sandbox, maxInstancesPerFunction: 1, maxQueuedPerFunction: 0 });
    const missing = fixture('basics', { codeDir: '/nonexistent/scf-local-code' });
    const failed = await rt.invoke(request(missing));
    assert.equal(failed.retCode, 439, sandbox);
    assert.match(failed.errMsg, /the instance failed to start: .*\/nonexistent\/scf-local-code/, sandbox);
    assert.match(
      failed.log,
      /^START RequestId: .*\nERROR RequestId: .* Result: User process exit when running/,
    );
    assert.deepEqual(rt.stats(), { instances: 0, busy: 0, queued: 0 });
    const bad = makeRuntime(t, { sandbox, nodePath: '/nonexistent/node' });
    const noNode = await bad.invoke(request(fixture('basics')));
    assert.equal(noNode.retCode, 439, sandbox);
    const ok = await rt.invoke(request(fixture('basics')));
    assert.equal(ok.retCode, 0, `${sandbox}: ${ok.retMsg}`);
  }
});
