/**
 * The concurrency budget and the pool's use of it, with stand-in instances (no processes): reservations,
 * the shared rest, the per-function cap across version pools, waking, eviction, provisioned instances.
 * The expected figures are worked out here from the rules in docs/api-v3.md ("Concurrency").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ScfError } from '../../../src/errors/index.js';
import { ConcurrencyBudget } from '../../../src/runtime/concurrency.js';
import { FunctionPool, type Lease, type PoolInstance } from '../../../src/runtime/pool.js';

class Fake implements PoolInstance {
  state: 'idle' | 'busy' | 'stopped' = 'busy';
  retired = false;
  constructor(
    readonly revision: number,
    readonly memorySize = 128,
  ) {}
  get reusable(): boolean {
    return this.state === 'idle' && !this.retired;
  }
  take(): void {
    this.state = 'busy';
  }
  retire(): void {
    this.retired = true;
  }
  stop(): Promise<void> {
    this.state = 'stopped';
    return Promise.resolve();
  }
}

const budget = (totalMem = 1024, maxInstancesPerFunction = 8) =>
  new ConcurrencyBudget({ totalMem, maxInstancesPerFunction });

function pool(b: ConcurrencyBudget, key: string, opts: { fn?: string; maxQueued?: number } = {}) {
  return new FunctionPool<Fake>({
    key,
    functionKey: opts.fn ?? key,
    budget: b,
    maxQueued: opts.maxQueued ?? 0,
    idleTimeoutMs: 60_000,
  });
}

const isSpawn = (l: Lease<Fake> | Promise<Lease<Fake>>): boolean => !(l instanceof Promise) && 'spawn' in l;

/** Starts `n` instances in `p` (each granted a slot, adopted busy). */
function start(p: FunctionPool<Fake>, n: number, mem = 128): Fake[] {
  const out: Fake[] = [];
  for (let i = 0; i < n; i++) {
    assert.ok(isSpawn(p.acquire(1, mem)), `start ${i + 1} of ${n} is granted`);
    const f = new Fake(1, mem);
    p.adopt(f);
    out.push(f);
  }
  return out;
}

const limited = (fn: () => unknown): void =>
  assert.throws(fn, (e: unknown) => e instanceof ScfError && e.code === 'ConcurrencyLimitReached');

test('a reservation bounds its function to floor(reserved / memory) instances across its pools', () => {
  const b = budget();
  b.reserve('ns/a', 300); // 2 instances of 128 MB (256 ≤ 300 < 384)
  const latest = pool(b, 'ns/a', { fn: 'ns/a' });
  const v1 = pool(b, 'ns/a@1', { fn: 'ns/a' });
  start(latest, 1);
  start(v1, 1);
  limited(() => latest.acquire(1, 128));
  limited(() => v1.acquire(1, 128));
  assert.deepEqual(b.usage('ns/a'), { used: 256, count: 2 });
});

test('a reservation is not capped by maxInstancesPerFunction; the others are, and share the rest', () => {
  const b = budget(1024, 2);
  b.reserve('ns/r', 512); // 4 instances, above the per-function cap of 2
  assert.equal(b.unreservedMem, 512);
  start(pool(b, 'ns/r'), 4);
  const x = pool(b, 'ns/x');
  start(x, 2);
  limited(() => x.acquire(1, 128)); // its cap of 2
  const y = pool(b, 'ns/y');
  start(y, 2); // 4 × 128 = 512: the shared rest is full
  const z = pool(b, 'ns/z');
  limited(() => z.acquire(1, 128));
});

test('memory, not instances, is what the shared rest counts', () => {
  const b = budget(1024, 8);
  const big = pool(b, 'ns/big');
  start(big, 2, 512);
  const small = pool(b, 'ns/small');
  limited(() => small.acquire(1, 64));
});

test('a freed slot wakes a waiting pool of another function (shared rest)', async () => {
  const b = budget(256, 8);
  const a = pool(b, 'ns/a');
  const [a1] = start(a, 2);
  const c = pool(b, 'ns/c', { maxQueued: 1 });
  const waiting = c.acquire(1, 128);
  assert.ok(waiting instanceof Promise, 'queued: the shared rest is full');
  a.remove(a1 as Fake); // its process exited
  const lease = await waiting;
  assert.ok('spawn' in lease);
});

test('an idle instance of another function is stopped to make room in the shared rest', () => {
  const b = budget(256, 8);
  const a = pool(b, 'ns/a');
  const [a1, a2] = start(a, 2);
  (a1 as Fake).state = 'idle';
  a.release(a1 as Fake);
  const c = pool(b, 'ns/c');
  assert.ok(isSpawn(c.acquire(1, 128)));
  assert.equal((a1 as Fake).state, 'stopped');
  assert.equal((a2 as Fake).state, 'busy');
});

test('a reserved function never takes room from another function (no eviction across reservations)', () => {
  const b = budget(512, 8);
  b.reserve('ns/r', 256);
  const other = pool(b, 'ns/o');
  const [o1, o2] = start(other, 2);
  for (const o of [o1, o2] as Fake[]) {
    o.state = 'idle';
    other.release(o);
  }
  const r = pool(b, 'ns/r');
  start(r, 2);
  limited(() => r.acquire(1, 128));
  assert.equal((o1 as Fake).state, 'idle');
});

test('reserving moves what a function holds out of the shared rest; lowering stops nothing', () => {
  const b = budget(1024, 8);
  const a = pool(b, 'ns/a');
  start(a, 3);
  b.reserve('ns/a', 128);
  assert.deepEqual(b.usage('ns/a'), { used: 384, count: 3 });
  limited(() => a.acquire(1, 128));
  b.reserve('ns/a', undefined);
  assert.ok(isSpawn(a.acquire(1, 128)));
});

test('provisioned instances: started ahead, never reaped or evicted, replaced when lost', () => {
  const b = budget(1024, 8);
  const short: number[] = [];
  const p = new FunctionPool<Fake>({
    key: 'ns/p@1',
    functionKey: 'ns/p',
    budget: b,
    maxQueued: 0,
    idleTimeoutMs: 60_000,
    onProvisionShort: () => short.push(1),
  });
  assert.equal(p.provision(1, 3, 128), 3, 'three starts granted');
  assert.deepEqual(p.provisionState(), { target: 3, available: 0, starting: 3 });
  const warm = [new Fake(1), new Fake(1), new Fake(1)];
  for (const f of warm) {
    f.state = 'idle';
    p.adoptWarm(f);
  }
  assert.deepEqual(p.provisionState(), { target: 3, available: 3, starting: 0 });
  assert.equal(p.busy, 0);
  // Another function's start cannot evict them.
  b.reserve('ns/other', 1024 - 3 * 128);
  assert.equal(b.unreservedMem, 384);
  const q = pool(b, 'ns/q');
  limited(() => q.acquire(1, 128));
  assert.ok(warm.every((f) => f.state === 'idle'));
  // A warm one serves, and is back; one that dies is reported short.
  const lease = p.acquire(1, 128);
  assert.ok(!(lease instanceof Promise) && 'instance' in lease);
  p.remove(lease.instance);
  assert.equal(short.length, 1);
  assert.equal(p.topUp(), 1);
  // retire() keeps them; a new revision replaces them.
  void p.retire();
  assert.ok(warm.filter((f) => f !== lease.instance).every((f) => f.state === 'idle'));
  // The top-up still starting counts until it lands: then it is of the old revision, stopped, and short.
  assert.equal(p.provision(2, 3, 128), 2);
  assert.ok(warm.filter((f) => f !== lease.instance).every((f) => f.state === 'stopped'));
  const late = new Fake(1);
  late.state = 'idle';
  p.adoptWarm(late);
  assert.equal(late.state, 'stopped');
  assert.equal(short.length, 2);
  assert.equal(p.topUp(), 1);
  assert.equal(p.provision(2, 0, 128), 0);
  assert.equal(p.provisionState(), undefined);
});

test('a provisioned target beyond the limit says how far it got', () => {
  const b = budget(1024, 8);
  b.reserve('ns/p', 256);
  const p = pool(b, 'ns/p');
  assert.equal(p.provision(1, 3, 128), 2);
  assert.match(p.provisionState()?.failure ?? '', /room for 2 of 3/);
});

test('no queueing for capacity that cannot come: a reservation below one instance, nothing unreserved', async () => {
  const b = budget(512, 8);
  b.reserve('ns/zero', 64);
  limited(() => pool(b, 'ns/zero', { maxQueued: 10 }).acquire(1, 128));
  b.reserve('ns/all', 512 - 64);
  limited(() => pool(b, 'ns/free', { maxQueued: 10 }).acquire(1, 128));
  // Queued callers are refused when a reservation is lowered under them.
  const r = pool(b, 'ns/all', { maxQueued: 10 });
  start(r, 3);
  const waiting = r.acquire(1, 128);
  assert.ok(waiting instanceof Promise);
  b.reserve('ns/all', 64);
  await assert.rejects(
    waiting,
    (e: unknown) => e instanceof ScfError && e.code === 'ConcurrencyLimitReached',
  );
});

test('an instance that ends its invocation fills a provisioned target the limit had no room for', async () => {
  const b = budget(1024, 8);
  b.reserve('ns/p', 256);
  const short: number[] = [];
  const p = new FunctionPool<Fake>({
    key: 'ns/p',
    budget: b,
    maxQueued: 0,
    idleTimeoutMs: 60_000,
    onProvisionShort: () => short.push(1),
  });
  const [busy] = start(p, 2);
  assert.equal(p.provision(1, 2, 128), 0, 'no room: both slots serve invocations');
  assert.match(p.provisionState()?.failure ?? '', /room for 0 of 2/);
  (busy as Fake).state = 'idle';
  p.release(busy as Fake);
  assert.equal(p.provisionState()?.available, 1, 'the instance that ended is provisioned now');
  await Promise.resolve();
  assert.equal(short.length, 0, 'nothing freed in the budget: no new start tried');
});
