/**
 * The Retention service: its cutoff (the start of today, UTC, minus the days kept), its schedule (at
 * start, then every interval, never two runs at once), that it does nothing with retentionDays 0, that
 * failures are reported and never thrown, and its close. Timers are Node's mock timers and the clock is
 * injected; the cutoffs expected are written as UTC dates, not computed the way the code does.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { ScfError } from '../../../src/errors/index.js';
import {
  type InvocationRecord,
  Retention,
  type RetentionOptions,
  retentionCutoff,
  SqliteLogStore,
} from '../../../src/store/index.js';

/** A store whose prunes stay pending until the test settles them, oldest first. */
class FakeStore {
  readonly calls: number[] = [];
  readonly #pending: { resolve: (n: number) => void; reject: (err: unknown) => void }[] = [];
  prune(before: number): Promise<number> {
    this.calls.push(before);
    return new Promise((resolve, reject) => this.#pending.push({ resolve, reject }));
  }
  resolve(n: number): void {
    this.#pending.shift()!.resolve(n);
  }
  reject(err: unknown): void {
    this.#pending.shift()!.reject(err);
  }
}

const at = (iso: string) => Date.parse(iso);

function setup(t: TestContext, options: Partial<RetentionOptions> & { now?: () => number } = {}) {
  t.mock.timers.enable({ apis: ['setInterval'] });
  const store = new FakeStore();
  const errors: ScfError[] = [];
  const runs: { cutoff: number; deleted: number }[] = [];
  const retention = new Retention(store, {
    retentionDays: 7,
    intervalMs: 1000,
    onError: (err) => errors.push(err),
    onPruned: (run) => runs.push(run),
    ...options,
  });
  t.after(() => retention.close());
  return { store, errors, runs, retention };
}

describe('retentionCutoff', () => {
  it('is the start of the current UTC day minus retentionDays days', () => {
    const march3 = Date.UTC(2024, 2, 3);
    assert.equal(retentionCutoff(at('2024-03-10T15:30:00.000Z'), 7), march3);
    assert.equal(retentionCutoff(at('2024-03-10T00:00:00.000Z'), 7), march3);
    assert.equal(retentionCutoff(at('2024-03-10T23:59:59.999Z'), 7), march3);
    assert.equal(retentionCutoff(at('2024-03-09T23:59:59.999Z'), 7), Date.UTC(2024, 2, 2));
    assert.equal(retentionCutoff(at('2024-03-01T08:00:00.000Z'), 1), Date.UTC(2024, 1, 29));
    // Midnight in UTC+8 (SCF's zone) is still the previous day in UTC.
    assert.equal(retentionCutoff(at('2024-01-01T00:00:00.000+08:00'), 7), Date.UTC(2023, 11, 24));
    assert.equal(retentionCutoff(at('2024-03-10T15:30:00.000Z'), 365), Date.UTC(2023, 2, 11));
  });
});

describe('Retention', () => {
  it('prunes at start, then every interval, with the cutoff of the clock at each run', async (t) => {
    let now = at('2024-03-10T23:59:00.000Z');
    const { store, runs, errors, retention } = setup(t, { now: () => now });
    retention.start();
    retention.start(); // idempotent
    assert.deepEqual(store.calls, [Date.UTC(2024, 2, 3)]);
    const first = retention.runNow(); // the run under way
    store.resolve(12);
    await first;
    assert.deepEqual(runs, [{ cutoff: Date.UTC(2024, 2, 3), deleted: 12 }]);
    now = at('2024-03-11T00:00:30.000Z');
    t.mock.timers.tick(1000);
    assert.deepEqual(store.calls, [Date.UTC(2024, 2, 3), Date.UTC(2024, 2, 4)]);
    const second = retention.runNow();
    store.resolve(0);
    await second;
    t.mock.timers.tick(1000);
    assert.equal(store.calls.length, 3);
    store.resolve(0);
    await retention.close();
    await retention.close();
    t.mock.timers.tick(5000);
    assert.equal(store.calls.length, 3);
    await retention.runNow();
    assert.equal(store.calls.length, 3, 'no run after close');
    assert.deepEqual(errors, []);
  });

  it('does nothing with retentionDays 0', async (t) => {
    const { store, retention } = setup(t, { retentionDays: 0 });
    assert.equal(retention.enabled, false);
    retention.start();
    t.mock.timers.tick(10_000);
    await retention.runNow();
    assert.deepEqual(store.calls, []);
  });

  it('reports a failed run instead of throwing it, and tries again at the next tick', async (t) => {
    const { store, errors, runs, retention } = setup(t, { now: () => at('2024-03-10T12:00:00.000Z') });
    retention.start();
    let run = retention.runNow();
    const down = new ScfError('StoreUnavailable', 'database unreachable');
    store.reject(down);
    await run; // resolves
    assert.deepEqual(errors, [down]);
    t.mock.timers.tick(1000);
    run = retention.runNow();
    store.reject(new Error('disk I/O error'));
    await run;
    assert.equal(errors.length, 2);
    assert.ok(errors[1] instanceof ScfError, 'a foreign error is reported as a ScfError');
    assert.equal(errors[1].code, 'InternalError');
    t.mock.timers.tick(1000);
    run = retention.runNow();
    store.resolve(3);
    await run;
    assert.deepEqual(runs, [{ cutoff: Date.UTC(2024, 2, 3), deleted: 3 }]);
  });

  it('a report callback that throws does not escape', async (t) => {
    const { store, retention } = setup(t, {
      onError: () => {
        throw new Error('logger broke');
      },
      onPruned: () => {
        throw new Error('logger broke');
      },
    });
    retention.start();
    let run = retention.runNow();
    store.reject(new Error('x'));
    await run;
    t.mock.timers.tick(1000);
    run = retention.runNow();
    store.resolve(1);
    await run;
    assert.equal(store.calls.length, 2);
  });

  it('never overlaps runs: ticks during a run are skipped', async (t) => {
    const { store, retention } = setup(t);
    retention.start();
    t.mock.timers.tick(1000);
    t.mock.timers.tick(1000);
    const during = retention.runNow();
    assert.equal(store.calls.length, 1);
    store.resolve(0);
    await during;
    t.mock.timers.tick(1000);
    assert.equal(store.calls.length, 2);
    store.resolve(0);
  });

  it('close during a run: the run cut short by the store closing is not reported', async (t) => {
    const { store, errors, retention } = setup(t);
    retention.start();
    const run = retention.runNow();
    await retention.close();
    store.reject(new ScfError('InternalError', 'the log store closed before pruning finished'));
    await run;
    assert.deepEqual(errors, []);
    t.mock.timers.tick(10_000);
    assert.equal(store.calls.length, 1);
  });

  it('refuses a retentionDays that is not a whole number >= 0', () => {
    for (const retentionDays of [-1, 1.5, Number.NaN]) {
      assert.throws(
        () => new Retention(new FakeStore(), { retentionDays }),
        (err: unknown) => err instanceof ScfError,
        String(retentionDays),
      );
    }
  });

  it('on a real store: deletes the days before the cutoff, keeps the last full days and today', async (t) => {
    const store = new SqliteLogStore({ path: ':memory:' });
    t.after(() => store.close());
    await store.open();
    const record = (requestId: string, iso: string): InvocationRecord => ({
      requestId,
      namespace: 'default',
      functionName: 'fn',
      qualifier: '$LATEST',
      startTime: at(iso),
      duration: 1,
      billDuration: 100,
      memUsage: 1,
      retCode: 0,
      retMsg: '"ok"',
      invokeFinished: 1,
      retryNum: 0,
      log: 'hello\n',
    });
    const rs = [
      record('old', '2024-03-07T23:59:59.999Z'),
      record('first-kept', '2024-03-08T00:00:00.000Z'),
      record('yesterday', '2024-03-09T12:00:00.000Z'),
      record('today', '2024-03-10T09:00:00.000Z'),
    ];
    await store.write(rs.map((r) => ({ op: 'finish', record: r })));
    const runs: { cutoff: number; deleted: number }[] = [];
    const retention = new Retention(store, {
      retentionDays: 2,
      now: () => at('2024-03-10T10:00:00.000Z'),
      onPruned: (run) => runs.push(run),
      onError: (err) => assert.fail(err),
    });
    t.after(() => retention.close());
    retention.start();
    await retention.runNow();
    assert.deepEqual(runs, [{ cutoff: Date.UTC(2024, 2, 8), deleted: 1 }]);
    const page = await store.query({ orderBy: 'startTime', order: 'asc', offset: 0, limit: 10 });
    assert.deepEqual(
      page.items.map((r) => r.requestId),
      ['first-kept', 'yesterday', 'today'],
    );
  });
});
