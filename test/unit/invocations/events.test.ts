import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FunctionRegistry } from '../../../src/functions/registry.js';
import { withSettingDefaults } from '../../../src/functions/settings.js';
import type { FunctionDefinition } from '../../../src/functions/types.js';
import {
  eventSize,
  type HubEvent,
  InvocationEventHub,
  parseCursor,
} from '../../../src/invocations/events.js';
import { Invoker, type LogEvent } from '../../../src/invocations/invoker.js';
import type { RunRequest, RunResult, Runtime } from '../../../src/runtime/types.js';
import type { InvocationRecord } from '../../../src/store/types.js';
import type { RecordWriter } from '../../../src/store/writer.js';

function record(requestId: string, functionName = 'f', log = ''): InvocationRecord {
  return {
    requestId,
    namespace: 'default',
    functionName,
    qualifier: '$LATEST',
    startTime: 1,
    duration: 0,
    billDuration: 0,
    memUsage: 0,
    retCode: 2,
    retMsg: '',
    invokeFinished: 0,
    retryNum: 0,
    log,
  };
}

describe('InvocationEventHub', () => {
  test('numbers events with increasing cursors and delivers them live, in order', () => {
    const hub = new InvocationEventHub({ epoch: 'e1' });
    const seen: HubEvent[] = [];
    const sub = hub.subscribe((e) => seen.push(e));
    assert.equal(sub.cursor, 'e1-0');
    hub.publish({ type: 'start', record: record('a') });
    hub.publish({ type: 'end', record: record('a') });
    assert.deepEqual(
      seen.map((e) => [e.cursor, e.type]),
      [
        ['e1-1', 'start'],
        ['e1-2', 'end'],
      ],
    );
    assert.equal(hub.cursor, 'e1-2');
    sub.unsubscribe();
    hub.publish({ type: 'start', record: record('b') });
    assert.equal(seen.length, 2);
    hub.close();
  });

  test('resuming from a cursor replays exactly the events after it, then continues live', () => {
    const hub = new InvocationEventHub({ epoch: 'e1' });
    for (let i = 1; i <= 10; i++) hub.publish({ type: 'start', record: record(`r${i}`) });
    const live: string[] = [];
    const sub = hub.subscribe((e) => live.push(e.cursor), { after: 'e1-7' });
    assert.equal(sub.gap, undefined);
    assert.deepEqual(
      sub.backlog.map((e) => e.cursor),
      ['e1-8', 'e1-9', 'e1-10'],
    );
    hub.publish({ type: 'start', record: record('r11') });
    assert.deepEqual(live, ['e1-11']);
    // Resuming at the newest cursor: nothing to replay.
    assert.deepEqual(hub.subscribe(() => {}, { after: 'e1-11' }).backlog, []);
  });

  test('a cursor of another epoch, from the future, older than the ring, or malformed is a gap', () => {
    const hub = new InvocationEventHub({ epoch: 'e1', capacity: 4 });
    for (let i = 1; i <= 10; i++) hub.publish({ type: 'start', record: record(`r${i}`) });
    assert.equal(hub.oldestResumable, 'e1-6');
    assert.deepEqual(hub.subscribe(() => {}, { after: 'e0-3' }).gap, {
      reason: 'unknown-epoch',
      cursor: 'e1-10',
    });
    assert.deepEqual(hub.subscribe(() => {}, { after: 'e1-11' }).gap, {
      reason: 'unknown-epoch',
      cursor: 'e1-10',
    });
    assert.deepEqual(hub.subscribe(() => {}, { after: 'e1-5' }).gap, {
      reason: 'too-far-behind',
      cursor: 'e1-10',
    });
    assert.deepEqual(hub.subscribe(() => {}, { after: 'nonsense' }).gap, {
      reason: 'invalid-cursor',
      cursor: 'e1-10',
    });
    const ok = hub.subscribe(() => {}, { after: 'e1-6' });
    assert.equal(ok.gap, undefined);
    assert.deepEqual(
      ok.backlog.map((e) => e.seq),
      [7, 8, 9, 10],
    );
  });

  test('large logs evict old events before the count limit', () => {
    const hub = new InvocationEventHub({ epoch: 'e1', capacity: 1000, maxBytes: 10_000 });
    for (let i = 1; i <= 10; i++)
      hub.publish({ type: 'end', record: record(`r${i}`, 'f', 'x'.repeat(2000)) });
    const resumable = parseCursor(hub.oldestResumable);
    assert.ok(resumable && resumable.seq >= 7, `oldest resumable ${hub.oldestResumable}`);
    assert.equal(hub.subscribe(() => {}, { after: 'e1-1' }).gap?.reason, 'too-far-behind');
  });

  test('filters by function and namespace, in the backlog and live', () => {
    const hub = new InvocationEventHub({ epoch: 'e1' });
    hub.publish({ type: 'start', record: record('a', 'f') });
    hub.publish({ type: 'start', record: record('b', 'g') });
    const live: string[] = [];
    const sub = hub.subscribe((e) => live.push(e.type === 'log' ? e.log.requestId : e.record.requestId), {
      after: 'e1-0',
      filter: { functionName: 'g', namespace: 'default' },
    });
    assert.deepEqual(
      sub.backlog.map((e) => (e.type === 'log' ? e.log.requestId : e.record.requestId)),
      ['b'],
    );
    hub.publish({ type: 'end', record: record('a', 'f') });
    hub.publish({ type: 'end', record: record('b', 'g') });
    assert.deepEqual(live, ['b']);
    const other = hub.subscribe(() => {}, { after: 'e1-0', filter: { namespace: 'other' } });
    assert.deepEqual(other.backlog, []);
  });

  test('filters by version: records by their qualifier, log chunks by theirs (unknown: not matched)', () => {
    const hub = new InvocationEventHub({ epoch: 'e1' });
    const v = (requestId: string, qualifier: string): InvocationRecord => ({
      ...record(requestId),
      qualifier,
    });
    const id = (e: HubEvent): string =>
      e.type === 'log' ? `log:${e.log.requestId}` : `${e.type}:${e.record.requestId}`;
    const two: string[] = [];
    hub.subscribe((e) => two.push(id(e)), { filter: { functionName: 'f', qualifiers: ['2'] } });
    hub.publish({ type: 'start', record: v('a', '1') });
    hub.publish({ type: 'log', log: { ...chunk('a', 'one\n'), qualifier: '1' } });
    hub.publish({ type: 'start', record: v('b', '2') });
    hub.publish({ type: 'log', log: { ...chunk('b', 'two\n'), qualifier: '2' } });
    // A chunk whose version the source could not say: its invocation's end carries the whole log.
    hub.publish({ type: 'log', log: chunk('b', 'unknown\n') });
    hub.publish({ type: 'end', record: v('b', '2') });
    hub.publish({ type: 'end', record: v('a', '1') });
    hub.publish({ type: 'end', record: v('c', '$LATEST') });
    assert.deepEqual(two, ['start:b', 'log:b', 'end:b']);
    const both = hub.subscribe(() => {}, { after: 'e1-0', filter: { qualifiers: ['1', '$LATEST'] } });
    assert.deepEqual(both.backlog.map(id), ['start:a', 'log:a', 'end:a', 'end:c']);
    // No version filter: every event, chunks of unknown version too.
    assert.equal(hub.subscribe(() => {}, { after: 'e1-0' }).backlog.length, 8);
  });

  test('a throwing listener is dropped and never breaks publish; close tells subscribers once', async () => {
    const hub = new InvocationEventHub();
    let closed = 0;
    hub.subscribe(
      () => {
        throw new Error('broken');
      },
      { onClose: () => closed++ },
    );
    const ok: string[] = [];
    hub.subscribe((e) => ok.push(e.cursor), { onClose: () => closed++ });
    assert.equal(hub.subscribers, 2);
    hub.publish({ type: 'start', record: record('a') });
    hub.publish({ type: 'end', record: record('a') });
    assert.equal(ok.length, 2);
    assert.equal(hub.subscribers, 1);
    hub.close();
    hub.close();
    assert.equal(closed, 1);
    hub.publish({ type: 'start', record: record('b') });
    assert.equal(ok.length, 2);
    let lateClosed = false;
    hub.subscribe(() => {}, { onClose: () => (lateClosed = true) });
    await new Promise((r) => setImmediate(r));
    assert.equal(lateClosed, true);
  });

  test('log events share the cursor sequence, the filters and resume with start/end', () => {
    const hub = new InvocationEventHub({ epoch: 'e1' });
    const live: HubEvent[] = [];
    hub.subscribe((e) => live.push(e), { filter: { functionName: 'f' } });
    hub.publish({ type: 'start', record: record('a') });
    hub.publish({ type: 'log', log: chunk('a', 'one\n') });
    hub.publish({ type: 'start', record: record('b', 'g') });
    hub.publish({ type: 'log', log: chunk('b', 'other\n', 'g') });
    hub.publish({ type: 'log', log: chunk('a', 'two\n') });
    hub.publish({ type: 'end', record: record('a') });
    const shape = (e: HubEvent): string =>
      `${e.seq}:${e.type}:${e.type === 'log' ? e.log.text.trim() : e.record.requestId}`;
    assert.deepEqual(live.map(shape), ['1:start:a', '2:log:one', '5:log:two', '6:end:a']);
    const resumed = hub.subscribe(() => {}, { after: 'e1-2', filter: { functionName: 'g' } });
    assert.deepEqual(resumed.backlog.map(shape), ['3:start:b', '4:log:other']);
    const all = hub.subscribe(() => {}, { after: 'e1-4' });
    assert.deepEqual(all.backlog.map(shape), ['5:log:two', '6:end:a']);
  });

  test('the byte budget counts log events, and eviction gives their bytes back', () => {
    const hub = new InvocationEventHub({ epoch: 'e1', capacity: 1000, maxBytes: 50_000 });
    const kept = (): HubEvent[] => hub.subscribe(() => {}, { after: hub.oldestResumable }).backlog;
    hub.publish({ type: 'start', record: record('a') });
    for (let i = 0; i < 5; i++) hub.publish({ type: 'log', log: chunk('a', `${'x'.repeat(1000)}\n`) });
    // Each 1,001-character chunk is at least 2 KB of UTF-16: the budget sees it.
    assert.ok(eventSize({ cursor: 'e1-2', seq: 2, type: 'log', log: chunk('a', 'x'.repeat(1001)) }) >= 2002);
    assert.equal(
      hub.bytes,
      kept().reduce((n, e) => n + eventSize(e), 0),
    );
    // A burst of large chunks evicts the oldest events well before the count limit...
    for (let i = 0; i < 40; i++) hub.publish({ type: 'log', log: chunk('a', 'y'.repeat(4000)) });
    assert.ok(hub.bytes <= 50_000, `ring holds ${hub.bytes} bytes`);
    const first = parseCursor(hub.oldestResumable)!;
    assert.ok(first.seq > 20, `oldest resumable ${hub.oldestResumable}`);
    assert.equal(hub.subscribe(() => {}, { after: 'e1-1' }).gap?.reason, 'too-far-behind');
    // ...and the accounting stays exact: what is held is what is counted.
    assert.equal(
      hub.bytes,
      kept().reduce((n, e) => n + eventSize(e), 0),
    );
    // Small events after the burst: eviction by count (capacity) also gives bytes back.
    const small = new InvocationEventHub({ epoch: 'e2', capacity: 3 });
    for (let i = 0; i < 10; i++) small.publish({ type: 'log', log: chunk('a', 'z\n') });
    assert.equal(small.bytes, 3 * eventSize({ cursor: 'e2-1', seq: 1, type: 'log', log: chunk('a', 'z\n') }));
  });

  test('parseCursor', () => {
    assert.deepEqual(parseCursor('abc1-42'), { epoch: 'abc1', seq: 42 });
    assert.equal(parseCursor('abc-01'), undefined);
    assert.equal(parseCursor('ABC-1'), undefined);
    assert.equal(parseCursor('abc'), undefined);
  });
});

function chunk(requestId: string, text: string, functionName = 'f'): LogEvent['log'] {
  return { requestId, functionName, namespace: 'default', text };
}

const DEF: FunctionDefinition = {
  namespace: 'default',
  functionName: 'f',
  handler: 'index.main_handler',
  runtime: 'Nodejs18.15',
  memorySize: 128,
  timeout: 3,
  description: '',
  environment: {},
  codeSize: 0,
  codeSha256: '',
  addTime: 0,
  modTime: 0,
  revision: 1,
  ...withSettingDefaults({}),
};

/**
 * The Invoker's ordering of live events. The race it guards against (log lines arriving before the running
 * record is durable) depends on commit timing, so the runtime and the writer are stand-ins here that make
 * it happen every time: the runtime prints before the writer's begin resolves. The real runtime and
 * store run in test/e2e/tail*.test.ts.
 */
describe('Invoker live events', () => {
  const registry = {
    sync: async () => {},
    get: () => DEF,
    resolve: () => ({ def: DEF, version: '$LATEST' }),
    codeDir: () => '/nonexistent',
    holdCode: () => ({ codeDir: '/nonexistent', release: () => {} }),
  } as unknown as FunctionRegistry;

  function setup(options: { beginFails?: boolean }) {
    let release!: () => void;
    const beginGate = new Promise<void>((r) => {
      release = r;
    });
    const appended: string[] = [];
    const writer = {
      begin: () =>
        beginGate.then(() => {
          if (options.beginFails) throw new Error('disk full');
        }),
      appendLog: (_id: string, text: string) => appended.push(text),
      finish: async () => {},
    } as unknown as RecordWriter;
    let req!: RunRequest;
    let finishRun!: () => void;
    const runtime = {
      invoke: (r: RunRequest) =>
        new Promise<RunResult>((resolve) => {
          req = r;
          r.onStart?.({ startTime: Date.now() });
          r.onLog?.('early 1\n');
          r.onLog?.('early 2\n');
          finishRun = () =>
            resolve({
              startTime: Date.now(),
              duration: 1,
              memUsage: 1,
              retCode: 0,
              retMsg: '1',
              errMsg: '',
              log: 'START\nearly 1\nearly 2\nlate\nEND\n',
              coldStart: false,
              cpuTime: 0,
            });
        }),
    } as unknown as Runtime;
    const hub = new InvocationEventHub({ epoch: 'e1' });
    const seen: string[] = [];
    hub.subscribe((e) => seen.push(e.type === 'log' ? `log:${e.log.text.trim()}` : e.type));
    const invoker = new Invoker(
      { functions: registry, runtime, writer },
      { billingGranularityMs: 1, onRecord: (e) => hub.publish(e), onLog: (e) => hub.publish(e) },
    );
    return { invoker, hub, release, seen, appended, req: () => req, finish: () => finishRun() };
  }

  test('lines printed before the running record is durable are reported after start, before end', async () => {
    const s = setup({});
    const done = s.invoker.invoke({ functionName: 'f', event: '{}' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(s.seen, [], 'nothing before the running record is durable');
    assert.deepEqual(s.appended, ['early 1\n', 'early 2\n'], 'the store still gets every chunk at once');
    s.release();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(s.seen, ['start', 'log:early 1', 'log:early 2']);
    s.req().onLog?.('late\n');
    assert.deepEqual(s.seen.at(-1), 'log:late', 'once started, chunks are reported as they arrive');
    s.finish();
    await done;
    assert.deepEqual(s.seen, ['start', 'log:early 1', 'log:early 2', 'log:late', 'end']);
  });

  test('log chunks carry the version that runs, so a tail of one version selects them', async () => {
    const s = setup({});
    const chunks: Array<string | undefined> = [];
    s.hub.subscribe((e) => chunks.push(e.type === 'log' ? e.log.qualifier : e.type), {
      filter: { qualifiers: ['$LATEST'] },
    });
    let other = 0;
    s.hub.subscribe(() => other++, { filter: { qualifiers: ['1'] } });
    const done = s.invoker.invoke({ functionName: 'f', event: '{}' });
    s.release();
    await new Promise((r) => setImmediate(r));
    s.finish();
    await done;
    assert.deepEqual(chunks, ['start', '$LATEST', '$LATEST', 'end']);
    assert.equal(other, 0);
  });

  test('when the running record cannot be written, no start and no chunk is reported', async () => {
    const s = setup({ beginFails: true });
    const done = s.invoker.invoke({ functionName: 'f', event: '{}' });
    s.release();
    await new Promise((r) => setImmediate(r));
    s.req().onLog?.('late\n');
    s.finish();
    await done;
    assert.deepEqual(s.seen, ['end']);
  });
});
