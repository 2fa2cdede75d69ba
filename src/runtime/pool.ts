/**
 * The instance pool of one function (key `namespace/functionName`): its concurrency limit, its FIFO wait
 * queue, warm reuse and idle reaping. It decides; the runtime starts processes and runs invocations.
 *
 * Slots: an instance holds a slot from the moment its start is granted until it stops (idle, busy and
 * starting instances all count; stopping ones do not). Instances of another revision are never handed out:
 * an idle one is stopped when its slot is needed (or when reaped).
 */
import { ScfError } from '../errors/index.js';

/** What the pool needs from an instance. */
export interface PoolInstance {
  readonly revision: number;
  /** Idle and allowed to take another invocation. */
  readonly reusable: boolean;
  /** idle -> busy. */
  take(): void;
  /** Do not reuse after the current invocation. */
  retire(): void;
  stop(): Promise<void>;
}

/** Either a warm instance (now busy) or the right to start a new one in a reserved slot. */
export type Lease<I> = { instance: I } | { spawn: true };

interface Waiter<I> {
  revision: number;
  resolve: (lease: Lease<I>) => void;
  reject: (err: unknown) => void;
}

export interface PoolOptions {
  key: string;
  maxInstances: number;
  maxQueued: number;
  idleTimeoutMs: number;
}

export class FunctionPool<I extends PoolInstance> {
  readonly #opts: PoolOptions;
  /** Instances holding a slot (starting, idle, busy). */
  readonly #live = new Set<I>();
  /** Idle instances, most recently used last (reused first, so the others age out and get reaped). */
  #idle: I[] = [];
  readonly #idleTimers = new Map<I, NodeJS.Timeout>();
  /** Slots granted to starts that have not produced an instance yet. */
  #reserved = 0;
  #queue: Waiter<I>[] = [];
  #closed = false;

  constructor(opts: PoolOptions) {
    this.#opts = opts;
  }

  /** Instances holding a slot, including those still starting. */
  get instances(): number {
    return this.#live.size + this.#reserved;
  }

  /** Instances running (or starting for) an invocation. */
  get busy(): number {
    return this.#live.size + this.#reserved - this.#idle.length;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** True when the pool holds nothing and can be forgotten. */
  get empty(): boolean {
    return this.#live.size === 0 && this.#reserved === 0 && this.#queue.length === 0;
  }

  /**
   * A warm instance of `revision`, or a slot to start one, or a place in the queue. Throws
   * ConcurrencyLimitReached when all slots are taken and the queue is full.
   */
  acquire(revision: number): Lease<I> | Promise<Lease<I>> {
    if (this.#closed) throw new ScfError('InternalError', 'runtime closed');
    // Queued callers go first (FIFO): a newcomer may not overtake them.
    if (this.#queue.length === 0) {
      const lease = this.#grant(revision);
      if (lease) return lease;
    }
    if (this.#queue.length >= this.#opts.maxQueued) {
      throw new ScfError(
        'ConcurrencyLimitReached',
        `Function [ ${this.#opts.key} ] reached its concurrency limit of ${this.#opts.maxInstances} instances and its queue of ${this.#opts.maxQueued} is full`,
      );
    }
    return new Promise<Lease<I>>((resolve, reject) => {
      this.#queue.push({ revision, resolve, reject });
    });
  }

  #grant(revision: number): Lease<I> | undefined {
    // Idle instances of an older revision will never be used again: stop them now.
    for (const old of this.#idle.filter((i) => i.revision < revision)) {
      this.#drop(old);
      void old.stop();
    }
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const inst = this.#idle[i];
      if (inst && inst.revision === revision && inst.reusable) {
        this.#idle.splice(i, 1);
        this.#clearIdleTimer(inst);
        inst.take();
        return { instance: inst };
      }
    }
    if (this.#live.size + this.#reserved >= this.#opts.maxInstances) {
      // Full: free a slot held by an idle instance that cannot serve this revision.
      const stale = this.#idle.find((i) => i.revision !== revision || !i.reusable);
      if (!stale) return undefined;
      this.#drop(stale);
      void stale.stop();
    }
    this.#reserved++;
    return { spawn: true };
  }

  /** A granted start produced its instance (busy with the invocation that asked for it). */
  adopt(inst: I): void {
    this.#reserved--;
    this.#live.add(inst);
  }

  /** A granted start failed: its slot is free again. */
  startFailed(): void {
    this.#reserved--;
    this.#drain();
  }

  /** An invocation ended and the instance is idle and reusable: park it (or hand it to the next waiter). */
  release(inst: I): void {
    if (!this.#live.has(inst)) return;
    if (this.#closed || !inst.reusable) {
      this.#drop(inst);
      void inst.stop();
      this.#drain();
      return;
    }
    this.#idle.push(inst);
    const timer = setTimeout(() => {
      this.#drop(inst);
      void inst.stop();
      this.#drain();
    }, this.#opts.idleTimeoutMs);
    // Idle reaping never keeps the server alive by itself.
    timer.unref();
    this.#idleTimers.set(inst, timer);
    this.#drain();
  }

  /** The instance is gone or going (exit, kill): its slot is free. Idempotent. */
  remove(inst: I): void {
    if (!this.#live.has(inst)) return;
    this.#drop(inst);
    this.#drain();
  }

  /** Stops the idle instances; busy and starting ones are stopped when their invocation ends. */
  retire(): Promise<void> {
    const idle = [...this.#idle];
    for (const inst of this.#live) inst.retire();
    for (const inst of idle) this.#drop(inst);
    const stopped = Promise.all(idle.map((i) => i.stop())).then(() => undefined);
    this.#drain();
    return stopped;
  }

  /** Refuses queued callers and stops reaping; the runtime stops the instances. */
  close(err: unknown): void {
    this.#closed = true;
    for (const w of this.#queue.splice(0)) w.reject(err);
    for (const inst of [...this.#live]) this.#drop(inst);
  }

  #drop(inst: I): void {
    this.#live.delete(inst);
    this.#clearIdleTimer(inst);
    const at = this.#idle.indexOf(inst);
    if (at >= 0) this.#idle.splice(at, 1);
  }

  #clearIdleTimer(inst: I): void {
    const t = this.#idleTimers.get(inst);
    if (t) {
      clearTimeout(t);
      this.#idleTimers.delete(inst);
    }
  }

  /** Serves queued callers, in order, while slots or matching idle instances allow. */
  #drain(): void {
    while (!this.#closed) {
      const head = this.#queue[0];
      if (!head) return;
      const lease = this.#grant(head.revision);
      if (!lease) return;
      this.#queue.shift();
      head.resolve(lease);
    }
  }
}
