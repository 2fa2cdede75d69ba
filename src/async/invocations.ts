/**
 * Asynchronous invocations: the queue (`types.ts`; SQLite or PostgreSQL) and this node's dispatcher.
 *
 * - `enqueue` stores the event durably, then answers: an acknowledged event survives a crash.
 * - The dispatcher claims due events (at most `async.concurrency` running on this node), runs each attempt
 *   through the Invoker — a record like any other, with its attempt's `retryNum` — and settles it:
 *   FINISHED on retCode 0; tried again after `async.retryDelaysMs[n]` while the function's
 *   AsyncTriggerConfig allows (`retryNum`, counted from 0) and its MsgTTL has not passed; else FAILED.
 * - A platform interruption (scf-local stopping, retCode 3) is SCF's "system error": tried again whatever
 *   the retry count, while the TTL lasts; so is an attempt a crash cut short (its lease expires, or the node
 *   restarts). A throttled attempt (every instance busy) never started: it waits and keeps its retryNum.
 * - TerminateAsyncEvent aborts a waiting event at once, and ends a running attempt (retCode 3, log kept;
 *   on another node within a lease renewal) with no further attempt: ABORTED.
 * - Woken by its own enqueues, by other nodes' (PostgreSQL NOTIFY) and every `async.pollMs` anyway.
 */
import { type ScfError, toScfError } from '../errors/index.js';
import type { FunctionRegistry } from '../functions/registry.js';
import type { Invoker } from '../invocations/invoker.js';
import { uuidv7 } from '../invocations/request-id.js';
import { type LogStore, RET_CODE } from '../store/types.js';
import type {
  AsyncEnqueued,
  AsyncEventInput,
  AsyncEventQuery,
  AsyncEventView,
  AsyncQueue,
  ClaimedEvent,
  Settlement,
} from './types.js';

export interface AsyncOptions {
  /** Events this node runs at once. */
  concurrency: number;
  /** Events waiting or running, platform-wide, beyond which Invoke (Event) is refused. */
  maxQueued: number;
  /** Delay before retry n+1 (the last one repeats). */
  retryDelaysMs: number[];
  /** How long a claimed event stays this node's without a renewal. */
  leaseMs: number;
  /** Longest sleep between two looks at the queue. */
  pollMs: number;
  /** Ended events are kept this long (days; 0 = forever), like the records. */
  retentionDays: number;
}

export interface AsyncDeps {
  queue: AsyncQueue;
  /** Where the attempts' records are: an attempt whose settle a crash lost is judged by its record. */
  store: Pick<LogStore, 'get'>;
  invoker: Invoker;
  functions: FunctionRegistry;
  /** This node's id in the queue (its cluster node id, or `local`). */
  owner: string;
  /** Faults nobody awaits (a claim or settle that failed; retried). Must not throw. */
  onError: (err: ScfError, what: string) => void;
}

/** How long a throttled or refused attempt waits before it is claimed again. */
const THROTTLE_DELAY_MS = 100;
/** A settle that failed (database away) is tried again this often, this many times. */
const SETTLE_RETRY_MS = 500;
const SETTLE_TRIES = 40;
const PRUNE_EVERY_MS = 3600_000;

interface Running {
  event: ClaimedEvent;
  abort: AbortController;
  done: Promise<void>;
}

export class AsyncInvocations {
  readonly #d: AsyncDeps;
  readonly #o: AsyncOptions;
  readonly #running = new Map<string, Running>();
  #started = false;
  #stopped = false;
  #pumping = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #lastPrune = 0;

  constructor(deps: AsyncDeps, options: AsyncOptions) {
    this.#d = deps;
    this.#o = options;
  }

  /** Opens the queue (recovering this node's attempts a crash cut short) and starts dispatching. */
  async start(): Promise<void> {
    await this.#d.queue.open(this.#d.owner);
    this.#started = true;
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(50, Math.floor(this.#o.leaseMs / 3)));
    this.#renewTimer.unref();
    this.wake();
  }

  /**
   * Stores an event for its function (which must exist) and answers with its request id once it is
   * durable. A `dedupKey` already taken stores nothing (`created: false`).
   */
  async enqueue(input: AsyncEventInput): Promise<AsyncEnqueued> {
    await this.#d.functions.sync();
    const def = this.#d.functions.get(input.functionName, input.namespace);
    const out = await this.#d.queue.enqueue(
      { ...input, namespace: def.namespace, requestId: uuidv7() },
      { maxQueued: this.#o.maxQueued, ttlMs: def.asyncConfig.msgTtl * 1000 },
    );
    if (out.created) this.wake();
    return out;
  }

  get(requestId: string): Promise<(AsyncEventView & { terminate: boolean }) | undefined> {
    return this.#d.queue.get(requestId);
  }

  list(q: AsyncEventQuery): Promise<{ total: number; events: AsyncEventView[] }> {
    return this.#d.queue.list(q);
  }

  /** TerminateAsyncEvent: see the module comment. */
  async terminate(requestId: string): Promise<'aborted' | 'running' | 'final' | 'missing'> {
    const r = await this.#d.queue.terminate(requestId, Date.now());
    if (r === 'running') this.#running.get(requestId)?.abort.abort();
    return r;
  }

  /** Looks at the queue now (an event was stored, here or on another node). */
  wake(): void {
    if (!this.#started || this.#stopped) return;
    if (this.#pumping) {
      this.#again = true;
      return;
    }
    void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    clearTimeout(this.#timer);
    let wait = this.#o.pollMs;
    try {
      do {
        this.#again = false;
        const free = this.#o.concurrency - this.#running.size;
        if (free <= 0) {
          // Every slot is busy: the attempt that ends first wakes the dispatcher again.
          this.#again = false;
          break;
        }
        const now = Date.now();
        const claimed = await this.#d.queue.claim(this.#d.owner, free, {
          now,
          leaseMs: this.#o.leaseMs,
          newAttemptId: uuidv7,
        });
        for (const ev of claimed) this.#start(ev);
        if (claimed.length === free) this.#again = true;
      } while (this.#again && !this.#stopped);
      // Nothing more to claim now: sleep until the next event is due (attempts under way wake it sooner).
      if (this.#running.size < this.#o.concurrency) {
        const due = await this.#d.queue.nextDue();
        if (due !== undefined) wait = Math.min(wait, Math.max(0, due - Date.now()));
      }
      await this.#maybePrune();
    } catch (err) {
      this.#d.onError(toScfError(err), 'async: reading the queue failed (retried)');
    } finally {
      this.#pumping = false;
      if (!this.#stopped) {
        if (this.#again) setImmediate(() => this.wake());
        else {
          this.#timer = setTimeout(() => this.wake(), wait);
          this.#timer.unref();
        }
      }
    }
  }

  async #maybePrune(): Promise<void> {
    const now = Date.now();
    if (this.#o.retentionDays <= 0 || now - this.#lastPrune < PRUNE_EVERY_MS) return;
    this.#lastPrune = now;
    await this.#d.queue.prune(now - this.#o.retentionDays * 86_400_000);
  }

  #start(ev: ClaimedEvent): void {
    const abort = new AbortController();
    const entry: Running = { event: ev, abort, done: Promise.resolve() };
    this.#running.set(ev.requestId, entry);
    entry.done = this.#attempt(ev, abort.signal)
      .catch((err: unknown): Settlement => {
        // Nothing ran (a fault before the invocation, e.g. reading the last attempt's record): again later.
        this.#d.onError(toScfError(err), `async: event ${ev.requestId} not started (tried again)`);
        return { status: 'PENDING', notBefore: Date.now() + this.#o.pollMs, counted: false };
      })
      .then((s) => this.#settle(ev.requestId, s))
      .catch((err: unknown) => this.#d.onError(toScfError(err), `async: event ${ev.requestId} failed`))
      .finally(() => {
        this.#running.delete(ev.requestId);
        this.wake();
      });
  }

  /** Runs one attempt and decides what becomes of the event. */
  async #attempt(ev: ClaimedEvent, signal: AbortSignal): Promise<Settlement> {
    const now = Date.now();
    if (ev.previousAttemptId !== undefined) {
      const settled = await this.#judgePrevious(ev, ev.previousAttemptId);
      if (settled) return settled;
    }
    if (now > ev.expiresAt) return { status: 'FAILED', endTime: now };
    let outcome: Awaited<ReturnType<Invoker['invoke']>>;
    try {
      outcome = await this.#d.invoker.invoke({
        functionName: ev.functionName,
        namespace: ev.namespace,
        qualifier: ev.qualifier,
        event: ev.event,
        requestId: ev.attemptId,
        retryNum: ev.attempt,
        signal,
      });
    } catch (err) {
      const e = toScfError(err);
      // Refused before it started: nothing ran, and the attempt keeps its retryNum.
      // Gone since it was accepted (the function, or the version or alias it names): it never can run.
      if (e.code === 'FunctionNotFound' || e.code === 'VersionNotFound' || e.code === 'AliasNotFound') {
        return { status: 'FAILED', endTime: Date.now() };
      }
      const delay = e.code === 'StoreUnavailable' ? this.#o.pollMs : THROTTLE_DELAY_MS;
      if (e.code !== 'ConcurrencyLimitReached')
        this.#d.onError(e, `async: event ${ev.requestId} not started`);
      return { status: 'PENDING', notBefore: Date.now() + delay, counted: false };
    }
    const retCode = outcome.record?.retCode ?? RET_CODE.INTERRUPTED;
    const end = Date.now();
    if (retCode === 0) return { status: 'FINISHED', statusCode: 0, endTime: end };
    if (signal.aborted) return { status: 'ABORTED', statusCode: retCode, endTime: end };
    if (retCode === RET_CODE.INTERRUPTED) {
      // scf-local stopped under it: a platform fault, tried again (here after a restart, or by another node).
      return end < ev.expiresAt
        ? { status: 'PENDING', notBefore: end, counted: true, statusCode: retCode }
        : { status: 'FAILED', statusCode: retCode, endTime: end };
    }
    const retries = this.#retries(ev);
    const delays = this.#o.retryDelaysMs;
    const delay = delays[Math.min(ev.attempt, delays.length - 1)] ?? 0;
    if (ev.attempt < retries && end + delay < ev.expiresAt) {
      return { status: 'PENDING', notBefore: end + delay, counted: true, statusCode: retCode };
    }
    return { status: 'FAILED', statusCode: retCode, endTime: end };
  }

  /**
   * The attempt before this one may have ended without its event being settled (the node died between
   * the record and the settle, or lost the database): its record decides. Ended with success: the event
   * is FINISHED and this attempt never runs; failed with no retry left: FAILED. Cut short (interrupted,
   * still running, or no record): this attempt runs.
   */
  async #judgePrevious(ev: ClaimedEvent, previous: string): Promise<Settlement | undefined> {
    const r = await this.#d.store.get(previous);
    if (!r || r.retCode === RET_CODE.RUNNING || r.retCode === RET_CODE.INTERRUPTED) return undefined;
    const endTime = Math.round(r.startTime + r.duration);
    if (r.retCode === 0) return { status: 'FINISHED', statusCode: 0, endTime, uncounted: true };
    if (ev.attempt - 1 >= this.#retries(ev)) {
      return { status: 'FAILED', statusCode: r.retCode, endTime, uncounted: true };
    }
    return undefined;
  }

  /** The function's retry count as it is now (it may have been changed, or deleted, since acceptance). */
  #retries(ev: ClaimedEvent): number {
    try {
      return this.#d.functions.get(ev.functionName, ev.namespace).asyncConfig.retryNum;
    } catch {
      return 0;
    }
  }

  async #settle(requestId: string, s: Settlement): Promise<void> {
    for (let tries = 1; ; tries++) {
      try {
        await this.#d.queue.settle(this.#d.owner, requestId, s);
        return;
      } catch (err) {
        // The lease runs out meanwhile: another node (or this one after a restart) takes the event again.
        if (tries >= SETTLE_TRIES) throw err;
        await new Promise((r) => setTimeout(r, SETTLE_RETRY_MS));
      }
    }
  }

  async #renew(): Promise<void> {
    if (this.#running.size === 0) return;
    try {
      const flagged = await this.#d.queue.renew(
        this.#d.owner,
        [...this.#running.keys()],
        Date.now() + this.#o.leaseMs,
      );
      for (const id of flagged) this.#running.get(id)?.abort.abort();
    } catch (err) {
      this.#d.onError(toScfError(err), 'async: renewing leases failed (retried)');
    }
  }

  /** Stops claiming; attempts under way go on (the runtime's stop interrupts them). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** Resolves once every attempt under way is settled. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running.values()].map((r) => r.done));
  }

  /** `stop`, `drain`, then the queue closes. */
  async close(): Promise<void> {
    this.stop();
    await this.drain();
    clearInterval(this.#renewTimer);
    await this.#d.queue.close();
  }
}
