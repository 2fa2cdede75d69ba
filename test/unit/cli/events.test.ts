import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type HubEvent, InvocationEventHub, parseCursor } from '../../../src/invocations/events.js';
import type { InvocationRecord } from '../../../src/store/types.js';

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
    const sub = hub.subscribe((e) => live.push(e.record.requestId), {
      after: 'e1-0',
      filter: { functionName: 'g', namespace: 'default' },
    });
    assert.deepEqual(
      sub.backlog.map((e) => e.record.requestId),
      ['b'],
    );
    hub.publish({ type: 'end', record: record('a', 'f') });
    hub.publish({ type: 'end', record: record('b', 'g') });
    assert.deepEqual(live, ['b']);
    const other = hub.subscribe(() => {}, { after: 'e1-0', filter: { namespace: 'other' } });
    assert.deepEqual(other.backlog, []);
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

  test('parseCursor', () => {
    assert.deepEqual(parseCursor('abc1-42'), { epoch: 'abc1', seq: 42 });
    assert.equal(parseCursor('abc-01'), undefined);
    assert.equal(parseCursor('ABC-1'), undefined);
    assert.equal(parseCursor('abc'), undefined);
  });
});
