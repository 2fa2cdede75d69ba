/**
 * The timer scheduler (`src/triggers/timer.ts`): which firings it enqueues (event, dedup key, qualifier),
 * on which times, that several schedulers on one queue store each firing once, that a restart neither
 * replays missed firings nor fires one twice, that it follows trigger changes (told, or by its rescans),
 * that faults are reported and never thrown, and its close. The queue is a real implementation of the
 * queue's `enqueue` contract (a map keyed by the dedup key: the second enqueue of a key stores nothing and
 * says so); the registry is a real one on a temp folder, telling the scheduler of its changes as the
 * platform wires it. Time is Node's mock timers and Date, except in the last test, which measures how
 * close to the second real firings are.
 * Expected times and events are written out as text, not computed the way the code does.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { zipSync } from 'fflate';
import type { AsyncEnqueued, AsyncEventInput } from '../../../src/async/types.js';
import type { ScfError } from '../../../src/errors/index.js';
import { FunctionRegistry } from '../../../src/functions/registry.js';
import {
  type TimerFaultContext,
  type TimerFiring,
  TimerScheduler,
  type TimerSchedulerOptions,
  type TimerSource,
} from '../../../src/triggers/timer.js';
import type { TriggerDefinition } from '../../../src/triggers/types.js';
import { tempDir } from '../../helpers/tmp.js';

/** The queue's enqueue contract: one stored event per dedup key. */
class MapQueue {
  readonly stored = new Map<string, AsyncEventInput & { requestId: string }>();
  /** Every enqueue call, stored or not. */
  readonly calls: AsyncEventInput[] = [];
  /** Set to make enqueues fail (reject) or throw. */
  failWith: Error | undefined;
  throwSync = false;
  /** Set to hold enqueues until released. */
  hold: Promise<void> | undefined;

  enqueue(input: AsyncEventInput): Promise<AsyncEnqueued> {
    if (this.throwSync) throw new Error('queue closed');
    this.calls.push(input);
    const run = async (): Promise<AsyncEnqueued> => {
      if (this.hold) await this.hold;
      if (this.failWith) throw this.failWith;
      const key = input.dedupKey ?? randomUUID();
      const had = this.stored.get(key);
      if (had) return { requestId: had.requestId, created: false };
      const requestId = randomUUID();
      this.stored.set(key, { ...input, requestId });
      return { requestId, created: true };
    };
    return run();
  }

  /** The stored events' dedup keys, in order of storing. */
  keys(): string[] {
    return [...this.stored.keys()];
  }
}

/**
 * A real function registry (file catalog in a temp folder) with helpers to set a function's triggers, and
 * the view the scheduler reads of it, whose `sync` counts its calls and can be made to fail.
 */
class Functions {
  readonly registry: FunctionRegistry;
  /** Schedulers told of each change, as the platform's `onChange` does. */
  readonly told = new Set<TimerScheduler>();
  syncs = 0;
  syncFails: Error | undefined;
  readonly view: TimerSource;

  constructor(dir: string) {
    this.registry = new FunctionRegistry(dir, {
      onChange: (ns, name) => {
        for (const s of this.told) s.changed(ns, name);
      },
    });
    const r = this.registry;
    this.view = {
      listNamespaces: () => r.listNamespaces(),
      list: (input) => r.list(input),
      has: (name, ns) => r.has(name, ns),
      get: (name, ns) => r.get(name, ns),
      sync: async () => {
        this.syncs++;
        if (this.syncFails) throw this.syncFails;
        await r.sync();
      },
    };
  }

  /** Creates the function if needed and sets its triggers (timers unless a type is given). */
  async put(ns: string, name: string, triggers: Partial<TriggerDefinition>[]): Promise<void> {
    if (!this.registry.getNamespace(ns)) this.registry.createNamespace(ns);
    if (!this.registry.has(name, ns)) this.registry.create({ functionName: name, namespace: ns, code });
    await this.registry.updateSettingsAsync({ functionName: name, namespace: ns }, () => ({
      triggers: triggers.map((t) => ({
        triggerName: 'timer',
        type: 'timer' as const,
        triggerDesc: '* * * * * * *',
        qualifier: '$LATEST',
        enable: true,
        customArgument: '',
        description: '',
        addTime: 0,
        modTime: 0,
        ...t,
      })),
    }));
  }

  delete(ns: string, name: string): void {
    this.registry.delete(name, ns);
  }
}

const code = {
  zip: zipSync({ 'index.js': Buffer.from('exports.main_handler = async (event) => event;') }),
};

const at = (iso: string): number => Date.parse(iso);

interface Setup {
  functions: Functions;
  queue: MapQueue;
  errors: { err: ScfError; context: TimerFaultContext }[];
  fired: TimerFiring[];
  /** A scheduler on the registry, told of its changes unless `told` is false. */
  scheduler(options?: Partial<TimerSchedulerOptions> & { told?: boolean }): TimerScheduler;
  /** Advances the mock clock by `ms`, running the timers due, then lets the enqueues settle. */
  tick(ms: number): Promise<void>;
}

function setup(t: TestContext, start: string): Setup {
  const queue = new MapQueue();
  const functions = new Functions(tempDir(t));
  t.mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: at(start) });
  const errors: Setup['errors'] = [];
  const fired: TimerFiring[] = [];
  return {
    functions,
    queue,
    errors,
    fired,
    scheduler({ told = true, ...options } = {}) {
      const s = new TimerScheduler(
        { functions: functions.view, queue },
        {
          timeZoneOffsetMinutes: 0,
          onError: (err, context) => errors.push({ err, context }),
          onFired: (f) => fired.push(f),
          ...options,
        },
      );
      if (told) functions.told.add(s);
      t.after(() => s.close());
      return s;
    },
    async tick(ms) {
      // A second at a time, so each wake-up sees the clock it was armed for.
      if (ms === 0) t.mock.timers.tick(0);
      for (let left = ms; left > 0; left -= Math.min(left, 1000)) {
        t.mock.timers.tick(Math.min(left, 1000));
        for (let i = 0; i < 5; i++) await new Promise<void>((r) => queueMicrotask(r));
      }
      await flush();
    },
  };
}

/** Lets promise callbacks run (mock timers do not cover setImmediate). */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TimerScheduler', () => {
  it('enqueues each firing at its cron time: SCF’s timer event, the dedup key, invokeType timer', async (t) => {
    const s = setup(t, '2024-03-10T00:00:00.500Z');
    await s.functions.put('default', 'fn', [
      { triggerName: 'every2s', triggerDesc: '*/2 * * * * * *', customArgument: 'hi' },
    ]);
    await s.functions.put('ns1', 'other', [
      { triggerName: 'daily', triggerDesc: '0 0 1 * * * *', qualifier: '$LATEST', customArgument: '{"a":1}' },
    ]);
    s.scheduler().start();
    await s.tick(6000);
    assert.deepEqual(s.queue.keys(), [
      'timer:default/fn/every2s@1710028802000',
      'timer:default/fn/every2s@1710028804000',
      'timer:default/fn/every2s@1710028806000',
    ]);
    assert.equal(at('2024-03-10T00:00:02Z'), 1710028802000);
    const first = s.queue.stored.get('timer:default/fn/every2s@1710028802000')!;
    assert.equal(
      first.event,
      '{"Type":"Timer","TriggerName":"every2s","Time":"2024-03-10T00:00:02Z","Message":"hi"}',
    );
    assert.equal(first.invokeType, 'timer');
    assert.equal(first.namespace, 'default');
    assert.equal(first.functionName, 'fn');
    assert.equal(first.qualifier, '$LATEST');
    assert.deepEqual(
      s.fired.map((f) => [f.triggerName, new Date(f.fireTime).toISOString(), f.created]),
      [
        ['every2s', '2024-03-10T00:00:02.000Z', true],
        ['every2s', '2024-03-10T00:00:04.000Z', true],
        ['every2s', '2024-03-10T00:00:06.000Z', true],
      ],
    );
    assert.deepEqual(s.errors, []);
  });

  it('reads cron fields on the configured zone; the event’s Time is UTC', async (t) => {
    const s = setup(t, '2024-03-09T23:59:58Z');
    await s.functions.put('default', 'fn', [
      { triggerName: 'eight', triggerDesc: '0 0 8 * * * *', customArgument: 'm' },
    ]);
    // 08:00 in UTC+8 is 00:00 UTC.
    s.scheduler({ timeZoneOffsetMinutes: 480 }).start();
    await s.tick(3000);
    assert.deepEqual(
      [...s.queue.stored.values()].map((e) => e.event),
      ['{"Type":"Timer","TriggerName":"eight","Time":"2024-03-10T00:00:00Z","Message":"m"}'],
    );
  });

  it('several schedulers on one queue (several nodes): each firing is stored once', async (t) => {
    const s = setup(t, '2024-03-10T00:00:00.200Z');
    await s.functions.put('default', 'fn', [{ triggerName: 'tick', triggerDesc: '* * * * * * *' }]);
    s.scheduler().start();
    s.scheduler().start();
    s.scheduler().start();
    await s.tick(5000);
    assert.equal(s.queue.calls.length, 15);
    assert.deepEqual(s.queue.keys(), [
      'timer:default/fn/tick@1710028801000',
      'timer:default/fn/tick@1710028802000',
      'timer:default/fn/tick@1710028803000',
      'timer:default/fn/tick@1710028804000',
      'timer:default/fn/tick@1710028805000',
    ]);
    assert.equal(s.fired.filter((f) => f.created).length, 5);
    assert.equal(s.fired.filter((f) => !f.created).length, 10);
  });

  it('a restart fires no firing twice and does not replay those missed while it was down', async (t) => {
    const s = setup(t, '2024-03-10T00:00:00.500Z');
    await s.functions.put('default', 'fn', [{ triggerName: 'tick', triggerDesc: '* * * * * * *' }]);
    const first = s.scheduler();
    first.start();
    await s.tick(2000);
    await first.close();
    // Down from 00:00:02.5 to 00:00:30.5.
    await s.tick(28_000);
    assert.equal(s.queue.calls.length, 2);
    const second = s.scheduler();
    second.start();
    await s.tick(2000);
    await second.close();
    assert.deepEqual(s.queue.keys(), [
      'timer:default/fn/tick@1710028801000',
      'timer:default/fn/tick@1710028802000',
      'timer:default/fn/tick@1710028831000',
      'timer:default/fn/tick@1710028832000',
    ]);

    // A restart within the second of a firing already stored: the second enqueue of it stores nothing.
    t.mock.timers.setTime(at('2024-03-10T00:01:00.000Z'));
    s.fired.length = 0;
    const a = s.scheduler();
    a.start();
    await s.tick(1000);
    await a.close();
    // Back at 00:01:00.9 (the clock went back: another node's clock, or a restart on the same second).
    t.mock.timers.setTime(at('2024-03-10T00:01:00.900Z'));
    s.scheduler().start();
    await s.tick(1000);
    assert.deepEqual(
      s.fired.map((f) => [new Date(f.fireTime).toISOString(), f.created]),
      [
        ['2024-03-10T00:01:01.000Z', true],
        ['2024-03-10T00:01:01.000Z', false],
      ],
    );
  });

  it('follows the changes the registry tells it of: a new timer, a new expression, a new message, disabled, deleted', async (t) => {
    const s = setup(t, '2024-03-10T00:00:00.500Z');
    const scheduler = s.scheduler();
    scheduler.start();
    await s.tick(2000);
    assert.equal(s.queue.calls.length, 0);

    await s.functions.put('default', 'fn', [
      { triggerName: 'a', triggerDesc: '*/5 * * * * * *', customArgument: 'one' },
    ]);
    await s.tick(4000); // to 00:00:06.5: fires at :05
    // Same expression, new message, told just after :10 while the timer for :10 has not run yet (a busy
    // loop): the firing at :10 is not lost, and carries the new message.
    await s.functions.put('default', 'fn', [
      { triggerName: 'a', triggerDesc: '*/5 * * * * * *', customArgument: 'two' },
    ]);
    t.mock.timers.setTime(at('2024-03-10T00:00:10.002Z'));
    await s.tick(0);
    // A new expression: from now on, its times.
    await s.functions.put('default', 'fn', [
      { triggerName: 'a', triggerDesc: '3/7 * * * * * *', customArgument: 'two' },
    ]);
    await s.tick(7000); // to :17.002: fires at :17 (3, 10, 17, …)
    // Disabled: nothing more.
    await s.functions.put('default', 'fn', [
      { triggerName: 'a', triggerDesc: '3/7 * * * * * *', enable: false },
    ]);
    await s.tick(10_000);
    // Enabled again, beside an HTTP trigger (not a timer) and a second timer; then the function is deleted.
    await s.functions.put('default', 'fn', [
      { triggerName: 'a', triggerDesc: '3/7 * * * * * *', customArgument: 'three' },
      { triggerName: 'web', type: 'apigw', triggerDesc: '{}' },
      { triggerName: 'b', triggerDesc: '*/4 * * * * * *', customArgument: 'b' },
    ]);
    await s.tick(4000); // from :27.002 to :31.002: a at :31, b at :28
    s.functions.delete('default', 'fn');
    await s.tick(10_000);
    assert.deepEqual(
      [...s.queue.stored.values()].map((e) => JSON.parse(e.event) as { TriggerName: string }).map((e) => e),
      [
        { Type: 'Timer', TriggerName: 'a', Time: '2024-03-10T00:00:05Z', Message: 'one' },
        { Type: 'Timer', TriggerName: 'a', Time: '2024-03-10T00:00:10Z', Message: 'two' },
        { Type: 'Timer', TriggerName: 'a', Time: '2024-03-10T00:00:17Z', Message: 'two' },
        { Type: 'Timer', TriggerName: 'b', Time: '2024-03-10T00:00:28Z', Message: 'b' },
        { Type: 'Timer', TriggerName: 'a', Time: '2024-03-10T00:00:31Z', Message: 'three' },
      ],
    );
    assert.deepEqual(scheduler.scheduled(), []);
    assert.deepEqual(s.errors, []);
  });

  it('its rescans find changes it was not told of, after syncing; a failed sync is reported once', async (t) => {
    const s = setup(t, '2024-03-10T00:00:00.500Z');
    const scheduler = s.scheduler({ rescanIntervalMs: 10_000, told: false });
    scheduler.start();
    await s.functions.put('default', 'fn', [{ triggerName: 'a', triggerDesc: '* * * * * * *' }]);
    await s.tick(9000);
    assert.equal(s.queue.calls.length, 0);
    await s.tick(1000); // the rescan at :10.5
    assert.equal(s.functions.syncs, 1);
    await s.tick(2000);
    assert.deepEqual(s.queue.keys(), [
      'timer:default/fn/a@1710028811000',
      'timer:default/fn/a@1710028812000',
    ]);
    // The function goes, and the sync fails: the last state is scanned anyway; the fault reported once.
    s.functions.delete('default', 'fn');
    s.functions.syncFails = new Error('database away');
    await s.tick(28_000);
    assert.equal(s.functions.syncs, 4);
    assert.equal(s.queue.calls.length, 10); // :11 … :20
    assert.equal(s.errors.length, 1);
    assert.match(s.errors[0]!.err.message, /database away/);
  });

  it('a failing queue is reported once per trigger until it works again, and never throws', async (t) => {
    const s = setup(t, '2024-03-10T00:00:00.500Z');
    await s.functions.put('default', 'fn', [
      { triggerName: 'a', triggerDesc: '* * * * * * *' },
      { triggerName: 'b', triggerDesc: '* * * * * * *' },
    ]);
    s.scheduler().start();
    s.queue.failWith = new Error('queue full');
    await s.tick(3000);
    assert.deepEqual(
      s.errors.map((e) => [e.context.triggerName, e.context.fireTime, e.err.message]),
      [
        ['a', '2024-03-10T00:00:01Z', 'internal error: queue full'],
        ['b', '2024-03-10T00:00:01Z', 'internal error: queue full'],
      ],
    );
    s.queue.failWith = undefined;
    await s.tick(1000);
    s.queue.throwSync = true;
    await s.tick(1000);
    s.queue.throwSync = false;
    await s.tick(1000);
    assert.deepEqual(
      s.errors.map((e) => [e.context.triggerName, e.context.fireTime]),
      [
        ['a', '2024-03-10T00:00:01Z'],
        ['b', '2024-03-10T00:00:01Z'],
        ['a', '2024-03-10T00:00:05Z'],
        ['b', '2024-03-10T00:00:05Z'],
      ],
    );
    assert.deepEqual(s.queue.keys(), [
      'timer:default/fn/a@1710028804000',
      'timer:default/fn/b@1710028804000',
      'timer:default/fn/a@1710028806000',
      'timer:default/fn/b@1710028806000',
    ]);
  });

  it('a stored expression that does not parse is reported and skipped; the others fire', async (t) => {
    const s = setup(t, '2024-03-10T00:00:00.500Z');
    await s.functions.put('default', 'fn', [
      { triggerName: 'bad', triggerDesc: '* * * * * 9 *' },
      { triggerName: 'good', triggerDesc: '* * * * * * *' },
    ]);
    s.scheduler({ rescanIntervalMs: 1000 }).start();
    await s.tick(3000);
    assert.deepEqual(s.queue.keys(), [
      'timer:default/fn/good@1710028801000',
      'timer:default/fn/good@1710028802000',
      'timer:default/fn/good@1710028803000',
    ]);
    assert.equal(s.errors.length, 1);
    assert.equal(s.errors[0]!.context.triggerName, 'bad');
    assert.match(s.errors[0]!.err.message, /day-of-week 9 is out of range/);
  });

  it('a wake-up far too late (the loop was blocked) skips what is past the tolerance, fires the rest', async (t) => {
    const s = setup(t, '2024-03-10T00:00:00.500Z');
    await s.functions.put('default', 'fn', [{ triggerName: 'a', triggerDesc: '* * * * * * *' }]);
    s.scheduler({ lateToleranceMs: 2500 }).start();
    // The clock jumps 60 s with no timer running, then the timers run.
    t.mock.timers.setTime(at('2024-03-10T00:01:00.600Z'));
    t.mock.timers.tick(0);
    await flush();
    // 00:00:58 is 2.6 s late: skipped, like everything before it.
    assert.deepEqual(s.queue.keys(), [
      'timer:default/fn/a@1710028859000',
      'timer:default/fn/a@1710028860000',
    ]);
  });

  it('close stops the firing and waits for the enqueues under way', async (t) => {
    const s = setup(t, '2024-03-10T00:00:00.500Z');
    await s.functions.put('default', 'fn', [{ triggerName: 'a', triggerDesc: '* * * * * * *' }]);
    const scheduler = s.scheduler();
    scheduler.start();
    let release!: () => void;
    s.queue.hold = new Promise((r) => {
      release = r;
    });
    t.mock.timers.tick(1000);
    let closed = false;
    const closing = scheduler.close().then(() => {
      closed = true;
    });
    await flush();
    assert.equal(closed, false);
    release();
    await closing;
    assert.equal(s.fired.length, 1);
    await s.tick(5000);
    assert.equal(s.queue.calls.length, 1);
    await scheduler.close();
    scheduler.start();
    scheduler.changed('default', 'fn');
    await s.tick(2000);
    assert.equal(s.queue.calls.length, 1);
  });
});

describe('TimerScheduler on the real clock', () => {
  it('enqueues each firing within a few milliseconds of its second', async (t) => {
    const functions = new Functions(tempDir(t));
    await functions.put('default', 'fn', [{ triggerName: 'a', triggerDesc: '* * * * * * *' }]);
    const lags: number[] = [];
    const queue = new MapQueue();
    let done!: () => void;
    const finished = new Promise<void>((r) => {
      done = r;
    });
    const scheduler = new TimerScheduler(
      {
        functions: functions.view,
        queue: {
          enqueue: (input) => {
            const fireTime = Number(input.dedupKey!.split('@')[1]);
            lags.push(Date.now() - fireTime);
            if (lags.length === 5) done();
            return queue.enqueue(input);
          },
        },
      },
      { timeZoneOffsetMinutes: 0, onError: (err) => assert.fail(err) },
    );
    t.after(() => scheduler.close());
    scheduler.start();
    // unref'd timers: the pending promise alone would not keep the test's process alive.
    const keepAlive = setInterval(() => {}, 1000);
    await finished;
    clearInterval(keepAlive);
    await scheduler.close();
    t.diagnostic(`enqueue lag after the cron second, ms: ${lags.join(', ')}`);
    // The target is a few ms; the bound is loose for a loaded machine.
    for (const lag of lags) assert.ok(lag >= 0 && lag < 100, `lag ${lag} ms`);
  });
});
