/**
 * The async event queue's contract (`src/async/types.ts`), run against both backends: a SQLite file and
 * PostgreSQL. Written from the contract, not from either implementation.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { AsyncEventInput, AsyncQueue } from '../../src/async/types.js';
import { ScfError } from '../../src/errors/index.js';

export interface QueueSubject {
  /** A new, empty queue location; the returned function opens a queue on it (again: another node or a restart). */
  fresh(t: TestContext): Promise<() => AsyncQueue>;
  /** Several nodes may share the location (PostgreSQL). */
  shared: boolean;
}

let seq = 0;
let retries = 0;
const input = (over: Partial<AsyncEventInput> = {}): AsyncEventInput & { requestId: string } => ({
  requestId: `req-${++seq}`,
  namespace: 'default',
  functionName: 'fn',
  qualifier: '$LATEST',
  event: '{"n":1}',
  invokeType: 'Invoke',
  ...over,
});
/** A lease no test outlives. */
const HOUR = 3600_000;
const room = { maxQueued: 1000, ttlMs: 60_000 };
const claimOpts = (now = Date.now(), leaseMs = 10_000) => ({
  now,
  leaseMs,
  newAttemptId: () => `retry-${++retries}`,
});

export function asyncQueueConformance(name: string, subject: QueueSubject): void {
  describe(`async queue conformance: ${name}`, () => {
    async function opened(t: TestContext, owner = 'n1'): Promise<{ q: AsyncQueue; open: () => AsyncQueue }> {
      const open = await subject.fresh(t);
      const q = open();
      await q.open(owner);
      return { q, open };
    }

    it('stores, claims once, settles', async (t) => {
      const { q } = await opened(t);
      const a = input();
      assert.deepEqual(await q.enqueue(a, room), { requestId: a.requestId, created: true });
      const view = await q.get(a.requestId);
      assert.equal(view?.status, 'PENDING');
      assert.equal(view?.attempts, 0);
      const [c] = await q.claim('n1', 5, claimOpts());
      assert.deepEqual(
        { id: c?.requestId, attempt: c?.attempt, attemptId: c?.attemptId, event: c?.event },
        { id: a.requestId, attempt: 0, attemptId: a.requestId, event: '{"n":1}' },
      );
      assert.deepEqual(await q.claim('n1', 5, claimOpts()), [], 'a RUNNING event is not claimed again');
      // Times may come with fractions of a millisecond (a record's start + duration).
      assert.ok(await q.settle('n1', a.requestId, { status: 'FINISHED', statusCode: 0, endTime: 5.3 }));
      const done = await q.get(a.requestId);
      assert.equal(done?.status, 'FINISHED');
      assert.equal(done?.statusCode, 0);
      assert.equal(done?.endTime, 5);
      assert.deepEqual(done?.attemptIds, [a.requestId]);
      assert.ok(!(await q.settle('n1', a.requestId, { status: 'FAILED', endTime: 6 })), 'settled once');
    });

    it('a retry gets the next attempt and its own id; a refused attempt keeps its number', async (t) => {
      const { q } = await opened(t);
      const a = input();
      await q.enqueue(a, room);
      await q.claim('n1', 1, claimOpts());
      await q.settle('n1', a.requestId, { status: 'PENDING', notBefore: 0, counted: true, statusCode: 430 });
      const [retry] = await q.claim('n1', 1, claimOpts());
      assert.equal(retry?.attempt, 1);
      assert.match(retry?.attemptId ?? '', /^retry-\d+$/);
      assert.equal(retry?.previousAttemptId, a.requestId);
      const retryId = retry?.attemptId;
      // Throttled: it never ran.
      await q.settle('n1', a.requestId, { status: 'PENDING', notBefore: 0, counted: false });
      const again = await q.claim('n1', 1, claimOpts());
      assert.equal(again[0]?.attempt, 1);
      const v = await q.get(a.requestId);
      assert.equal(v?.attemptIds.length, 2);
      assert.equal(v?.attemptIds[0], a.requestId);
      assert.notEqual(
        v?.attemptIds[1],
        retryId,
        "the refused attempt's id is forgotten; the next has its own",
      );
      assert.equal(v?.statusCode, 430);
    });

    it('waits for notBefore, oldest first', async (t) => {
      const { q } = await opened(t);
      const [a, b] = [input(), input()];
      await q.enqueue(a, room);
      await q.enqueue(b, room);
      const now = Date.now();
      await q.claim('n1', 1, claimOpts(now, HOUR));
      await q.settle('n1', a.requestId, { status: 'PENDING', notBefore: now + 60_000, counted: true });
      // b is due now (accepted at about `now`); a in a minute.
      assert.ok(((await q.nextDue()) ?? Infinity) <= Date.now());
      const got = await q.claim('n1', 5, claimOpts(now, HOUR));
      assert.deepEqual(
        got.map((e) => e.requestId),
        [b.requestId],
      );
      assert.deepEqual(await q.claim('n1', 5, claimOpts(now + 30_000, HOUR)), []);
      assert.equal(await q.nextDue(), now + 60_000);
      assert.deepEqual(
        (await q.claim('n1', 5, claimOpts(now + 60_000, HOUR))).map((e) => e.requestId),
        [a.requestId],
      );
    });

    it('a dedup key stores one occurrence', async (t) => {
      const { q } = await opened(t);
      const first = await q.enqueue(input({ dedupKey: 'timer:x@1' }), room);
      const second = await q.enqueue(input({ dedupKey: 'timer:x@1' }), room);
      assert.equal(first.created, true);
      assert.equal(second.created, false);
      assert.equal(await q.get(second.requestId), undefined);
      assert.equal((await q.enqueue(input({ dedupKey: 'timer:x@2' }), room)).created, true);
    });

    it('refuses beyond maxQueued with the throttling code, counting only open events', async (t) => {
      const { q } = await opened(t);
      const small = { maxQueued: 2, ttlMs: 60_000 };
      const a = input();
      await q.enqueue(a, small);
      await q.enqueue(input(), small);
      await assert.rejects(
        q.enqueue(input(), small),
        (e: unknown) => e instanceof ScfError && e.code === 'ConcurrencyLimitReached',
      );
      await q.claim('n1', 1, claimOpts());
      await q.settle('n1', a.requestId, { status: 'FINISHED', endTime: 1 });
      assert.equal((await q.enqueue(input(), small)).created, true);
    });

    it('terminate: a waiting event is aborted; a running one flagged for its runner; a final one refused', async (t) => {
      const { q } = await opened(t);
      const [a, b] = [input(), input()];
      await q.enqueue(a, room);
      await q.enqueue(b, room);
      await q.claim('n1', 1, claimOpts());
      assert.equal(await q.terminate(b.requestId, 9), 'aborted');
      assert.equal((await q.get(b.requestId))?.status, 'ABORTED');
      assert.equal(await q.terminate(a.requestId, 9), 'running');
      assert.deepEqual(await q.renew('n1', [a.requestId], Date.now() + 10_000), [a.requestId]);
      assert.equal(await q.terminate(b.requestId, 9), 'final');
      assert.equal(await q.terminate('nope', 9), 'missing');
      assert.deepEqual(await q.claim('n1', 5, claimOpts()), [], 'an aborted event is never claimed');
    });

    it('lists by function with filters, order, paging and a total', async (t) => {
      const { q } = await opened(t);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const e = input({ functionName: i < 4 ? 'fn' : 'other', invokeType: i % 2 ? 'timer' : 'Invoke' });
        ids.push(e.requestId);
        await q.enqueue(e, room);
      }
      const base = {
        namespace: 'default',
        functionName: 'fn',
        orderBy: 'StartTime' as const,
        offset: 0,
        limit: 10,
      };
      const all = await q.list({ ...base, order: 'ASC' });
      assert.equal(all.total, 4);
      assert.deepEqual(
        all.events.map((e) => e.requestId),
        ids.slice(0, 4),
      );
      const page = await q.list({ ...base, order: 'DESC', offset: 1, limit: 2 });
      assert.equal(page.total, 4);
      assert.deepEqual(
        page.events.map((e) => e.requestId),
        [ids[2], ids[1]],
      );
      const timers = await q.list({ ...base, order: 'ASC', invokeTypes: ['timer'] });
      assert.deepEqual(
        timers.events.map((e) => e.requestId),
        [ids[1], ids[3]],
      );
      // RUNNING finds waiting (PENDING) events too.
      assert.equal((await q.list({ ...base, order: 'ASC', statuses: ['RUNNING'] })).total, 4);
      assert.equal((await q.list({ ...base, order: 'ASC', statuses: ['FINISHED'] })).total, 0);
      assert.equal((await q.list({ ...base, order: 'ASC', requestId: ids[2] })).total, 1);
    });

    it('a restart takes back what its crash left RUNNING, the cut attempt counted', async (t) => {
      const { q, open } = await opened(t);
      const a = input();
      await q.enqueue(a, room);
      await q.claim('n1', 1, claimOpts());
      await q.close();
      const restarted = open();
      await restarted.open('n1');
      const [c] = await restarted.claim('n1', 1, claimOpts());
      assert.equal(c?.requestId, a.requestId);
      assert.equal(c?.attempt, 1);
      await restarted.close();
    });

    it('prunes final events ended before a time, dedup keys with them', async (t) => {
      const { q } = await opened(t);
      const a = input({ dedupKey: 'k1' });
      await q.enqueue(a, room);
      await q.claim('n1', 1, claimOpts());
      await q.settle('n1', a.requestId, { status: 'FINISHED', endTime: 100 });
      await q.enqueue(input(), room);
      assert.equal(await q.prune(101), 1);
      assert.equal(await q.get(a.requestId), undefined);
      assert.equal((await q.enqueue(input({ dedupKey: 'k1' }), room)).created, true);
    });

    if (subject.shared) {
      it('two nodes never claim one event; a dead node’s expired lease passes its event on', async (t) => {
        const { q, open } = await opened(t, 'n1');
        const q2 = open();
        await q2.open('n2');
        for (let i = 0; i < 20; i++) await q.enqueue(input(), room);
        const now = Date.now();
        const [x, y] = await Promise.all([
          q.claim('n1', 15, claimOpts(now, 1000)),
          q2.claim('n2', 15, claimOpts(now, 1000)),
        ]);
        const ids = [...x, ...y].map((e) => e.requestId);
        assert.equal(ids.length, 20);
        assert.equal(new Set(ids).size, 20, 'no event claimed twice');
        // n1 dies: its leases run out (n2 renews its own), and n2 takes n1's events, each attempt counted.
        await q2.renew(
          'n2',
          y.map((e) => e.requestId),
          now + 60_000,
        );
        const later = await q2.claim('n2', 50, claimOpts(now + 2000));
        assert.deepEqual(later.map((e) => e.requestId).sort(), x.map((e) => e.requestId).sort());
        assert.ok(later.every((e) => e.attempt === 1));
        assert.ok(!(await q.settle('n1', x[0]!.requestId, { status: 'FINISHED', endTime: 1 })), 'n1 lost it');
        await q2.close();
      });
    }
  });
}
