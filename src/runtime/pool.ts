/**
 * The instance pool of one function version (key `namespace/functionName[@version]`): its FIFO wait queue, warm
 * reuse, idle reaping and its provisioned instances. It decides; the runtime starts processes and runs
 * invocations. How many instances it may hold is the platform's concurrency budget's to say
 * (`concurrency.ts`): every pool of a function draws on the same per-function limit.
 *
 * Slots: an instance holds a slot (its memory size, in the budget) from the moment its start is granted
 * until it stops (idle, busy and starting instances all count; stopping ones do not). Instances of another
 * revision are never handed out: an idle one is stopped when its slot is needed (or when reaped).
 *
 * Provisioned instances (`provision`): up to the target number of instances of the target revision are
 * flagged warm. A warm instance serves invocations like any other but is never reaped for being idle,
 * never evicted for another pool, and survives `retire()` while its revision is the target's. Lost ones
 * (crash, timeout kill) are reported to `onProvisionShort` so the runtime starts replacements.
 */
import { ScfError } from '../errors/index.js';
import { ConcurrencyBudget } from './concurrency.js';

/** What the pool needs from an instance. */
export interface PoolInstance {
  readonly revision: number;
  /** MB: what its slot holds in the budget. */
  readonly memorySize: number;
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
  memorySize: number;
  resolve: (lease: Lease<I>) => void;
  reject: (err: unknown) => void;
}

export interface PoolOptions {
  key: string;
  /** The function all of whose pools share one limit (`namespace/functionName`); default `key`. */
  functionKey?: string;
  /**
   * The platform's budget. Default: one of the pool's own with `maxInstances` instances and no memory
   * total (a pool alone, as in tests).
   */
  budget?: ConcurrencyBudget;
  /** Only with the pool's own budget. */
  maxInstances?: number;
  maxQueued: number;
  idleTimeoutMs: number;
  /** A provisioned instance was lost, or a start for one failed: the target is not met. Default: nothing. */
  onProvisionShort?: () => void;
}

/** Where a pool's provisioned instances stand (GetProvisionedConcurrencyConfig). */
export interface ProvisionState {
  /** Instances asked for. */
  target: number;
  /** Instances of the target revision started and flagged (idle or serving). */
  available: number;
  /** Starts under way for it. */
  starting: number;
  /** Why the last attempt fell short, until the target is met. */
  failure?: string;
}

export class FunctionPool<I extends PoolInstance> {
  readonly #opts: PoolOptions;
  readonly #fnKey: string;
  readonly #budget: ConcurrencyBudget;
  /** Instances holding a slot (starting, idle, busy). */
  readonly #live = new Set<I>();
  /** Idle instances, most recently used last (reused first, so the others age out and get reaped). */
  #idle: I[] = [];
  readonly #idleTimers = new Map<I, NodeJS.Timeout>();
  /** Slots granted to starts that have not produced an instance yet. */
  #reserved = 0;
  #queue: Waiter<I>[] = [];
  #closed = false;
  /** The provisioned target: how many instances of which revision. */
  #provision: { revision: number; count: number; memorySize: number } | undefined;
  /** Instances flagged provisioned. */
  readonly #warm = new Set<I>();
  /** Slots granted to starts of provisioned instances (counted in `#reserved` too). */
  #warmStarting = 0;
  #provisionFailure: string | undefined;
  /** The last provisioned start failed (until one succeeds or the target is set again). */
  #startFailing = false;
  readonly #member = {
    wake: () => {
      this.#drain();
      // Capacity came back: provisioned instances the limit had no room for may start now (not those
      // whose start failed: that is tried again at the next change of the target, not in a loop).
      if (this.#short() && !this.#startFailing) this.#opts.onProvisionShort?.();
    },
    evictIdle: () => this.#evictIdle(),
  };

  constructor(opts: PoolOptions) {
    this.#opts = opts;
    this.#fnKey = opts.functionKey ?? opts.key;
    this.#budget =
      opts.budget ??
      new ConcurrencyBudget({
        totalMem: Number.POSITIVE_INFINITY,
        maxInstancesPerFunction: opts.maxInstances ?? 1,
      });
    this.#budget.register(this.#fnKey, this.#member);
  }

  /** Instances holding a slot, including those still starting. */
  get instances(): number {
    return this.#live.size + this.#reserved;
  }

  /** Instances running (or starting for) an invocation. */
  get busy(): number {
    return this.#live.size + this.#reserved - this.#warmStarting - this.#idle.length;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** True when the pool holds nothing, wants nothing provisioned, and can be forgotten. */
  get empty(): boolean {
    return (
      this.#live.size === 0 &&
      this.#reserved === 0 &&
      this.#queue.length === 0 &&
      (this.#provision?.count ?? 0) === 0
    );
  }

  /**
   * A warm instance of `revision`, or a slot to start one (of `memorySize` MB), or a place in the queue.
   * Throws ConcurrencyLimitReached when no slot can be had and the queue is full.
   */
  acquire(revision: number, memorySize: number): Lease<I> | Promise<Lease<I>> {
    if (this.#closed) throw new ScfError('InternalError', 'runtime closed');
    // Queued callers go first (FIFO): a newcomer may not overtake them.
    if (this.#queue.length === 0) {
      const lease = this.#grant(revision, memorySize);
      if (lease) return lease;
    }
    // Waiting makes sense only for capacity that can come back.
    if (this.#queue.length >= this.#opts.maxQueued || !this.#budget.canEverFit(this.#fnKey, memorySize)) {
      throw this.#limitReached();
    }
    return new Promise<Lease<I>>((resolve, reject) => {
      this.#queue.push({ revision, memorySize, resolve, reject });
    });
  }

  #limitReached(): ScfError {
    const reserved = this.#budget.reservation(this.#fnKey);
    const limit =
      reserved === undefined
        ? 'reached its concurrency limit'
        : `concurrency exceeded reserved quota ${reserved} MB`;
    return new ScfError(
      'ConcurrencyLimitReached',
      `Function [ ${this.#opts.key} ] ${limit} and its queue of ${this.#opts.maxQueued} is full`,
    );
  }

  #grant(revision: number, memorySize: number): Lease<I> | undefined {
    // Idle instances of an older revision will never be used again: stop them now.
    // (Provisioned ones wait for `provision` to move them to the new revision.)
    for (const old of this.#idle.filter((i) => i.revision < revision && !this.#warm.has(i))) {
      this.#stopIdle(old);
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
    if (!this.#take(memorySize)) return undefined;
    this.#reserved++;
    return { spawn: true };
  }

  /** A slot from the budget: freeing one held by an idle instance that cannot serve, if need be. */
  #take(memorySize: number): boolean {
    if (this.#budget.tryTake(this.#fnKey, memorySize)) return true;
    // Full: free a slot held by one of this pool's idle instances that cannot serve, then elsewhere.
    if (this.#evictIdle() && this.#budget.tryTake(this.#fnKey, memorySize)) return true;
    return (
      this.#budget.reclaim(this.#fnKey, memorySize, this.#member) &&
      this.#budget.tryTake(this.#fnKey, memorySize)
    );
  }

  /** Stops one idle instance that is not provisioned (the least recently used); false when none. */
  #evictIdle(): boolean {
    const victim = this.#idle.find((i) => !this.#warm.has(i));
    if (!victim) return false;
    this.#stopIdle(victim);
    return true;
  }

  #stopIdle(inst: I): void {
    const short = this.#warm.has(inst) && this.#wantsWarm(inst);
    this.#drop(inst);
    void inst.stop();
    if (short) this.#opts.onProvisionShort?.();
  }

  /** A granted start produced its instance (busy with the invocation that asked for it). */
  adopt(inst: I): void {
    this.#reserved--;
    this.#live.add(inst);
  }

  /** A granted start failed: its slot is free again. */
  startFailed(memorySize: number): void {
    this.#reserved--;
    this.#budget.give(this.#fnKey, memorySize);
    this.#drain();
  }

  /** An invocation ended and the instance is idle and reusable: park it (or hand it to the next waiter). */
  release(inst: I): void {
    if (!this.#live.has(inst)) return;
    if (this.#closed || !inst.reusable) {
      this.#dropStopped(inst);
      void inst.stop();
      this.#drain();
      return;
    }
    this.#park(inst);
    this.#drain();
  }

  /**
   * Idle: provisioned ones stay for good, others until the idle timeout. An instance that can serve as a
   * provisioned one the target still lacks (the limit had no room to start it) becomes one.
   */
  #park(inst: I): void {
    this.#idle.push(inst);
    const p = this.#provision;
    if (p && this.#short() && inst.revision === p.revision && inst.reusable) this.#warm.add(inst);
    if (this.#warm.has(inst)) return;
    const timer = setTimeout(() => {
      this.#drop(inst);
      void inst.stop();
      this.#drain();
    }, this.#opts.idleTimeoutMs);
    // Idle reaping never keeps the server alive by itself.
    timer.unref();
    this.#idleTimers.set(inst, timer);
  }

  /** The instance is gone or going (exit, kill): its slot is free. Idempotent. */
  remove(inst: I): void {
    if (!this.#live.has(inst)) return;
    this.#dropStopped(inst);
    this.#drain();
  }

  /** Drops an instance that stops by itself; a provisioned one still wanted is reported short. */
  #dropStopped(inst: I): void {
    const short = this.#warm.has(inst) && this.#wantsWarm(inst);
    this.#drop(inst);
    if (short) this.#opts.onProvisionShort?.();
  }

  /**
   * Stops the idle instances that are not provisioned for the current target; busy and starting ones are
   * stopped when their invocation ends.
   */
  retire(): Promise<void> {
    const keep = (i: I): boolean => this.#warm.has(i) && this.#wantsWarm(i);
    const idle = this.#idle.filter((i) => !keep(i));
    for (const inst of this.#live) if (!keep(inst)) inst.retire();
    for (const inst of idle) this.#drop(inst);
    const stopped = Promise.all(idle.map((i) => i.stop())).then(() => undefined);
    this.#drain();
    return stopped;
  }

  // ---------------------------------------------------------------------------------------------------
  // Provisioned instances

  /**
   * Sets the provisioned target: `count` instances of `revision` (`memorySize` MB each); 0 clears it.
   * Flags idle instances of that revision it can use, lets go of flagged ones it no longer wants (older
   * revisions are stopped or retired; extras become ordinary idle instances), and returns how many new
   * instances the runtime must start now (their slots are taken: `adoptWarm` or `startFailed` each).
   * When the budget cannot give them all, `state().failure` says so.
   */
  provision(revision: number, count: number, memorySize: number): number {
    if (this.#closed) return 0;
    this.#provision = count > 0 ? { revision, count, memorySize } : undefined;
    this.#startFailing = false;
    for (const inst of [...this.#warm]) {
      if (inst.revision === revision && count > 0) continue;
      this.#warm.delete(inst);
      if (!this.#idle.includes(inst)) {
        if (inst.revision !== revision) inst.retire();
      } else if (inst.revision !== revision) {
        this.#drop(inst);
        void inst.stop();
      } else {
        // Back to an ordinary idle instance: reaped after the idle timeout.
        this.#idle.splice(this.#idle.indexOf(inst), 1);
        this.#park(inst);
      }
    }
    // Too many flagged (the target went down): the idle extras become ordinary.
    let extra = this.#warm.size + this.#warmStarting - count;
    for (const inst of [...this.#idle]) {
      if (extra <= 0) break;
      if (!this.#warm.has(inst)) continue;
      this.#warm.delete(inst);
      this.#idle.splice(this.#idle.indexOf(inst), 1);
      this.#park(inst);
      extra--;
    }
    // Idle instances of the revision already there count.
    for (const inst of this.#idle) {
      if (this.#warm.size + this.#warmStarting >= count) break;
      if (inst.revision === revision && inst.reusable && !this.#warm.has(inst)) {
        this.#warm.add(inst);
        this.#clearIdleTimer(inst);
      }
    }
    return this.topUp();
  }

  /** Takes slots for the provisioned instances missing (busy flagged ones count); returns how many. */
  topUp(): number {
    const p = this.#provision;
    if (!p || this.#closed) return 0;
    let missing = p.count - this.#warm.size - this.#warmStarting;
    let granted = 0;
    while (missing > 0) {
      if (!this.#take(p.memorySize)) {
        this.#provisionFailure = `the function's concurrency limit leaves room for ${
          this.#warm.size + this.#warmStarting
        } of ${p.count} provisioned instances`;
        break;
      }
      this.#reserved++;
      this.#warmStarting++;
      granted++;
      missing--;
    }
    if (missing <= 0 && granted > 0) this.#provisionFailure = undefined;
    return granted;
  }

  /**
   * A provisioned start produced its instance (idle, ready): flagged while the target still wants it of
   * that revision; otherwise an ordinary idle instance (or stopped, if of another revision).
   */
  adoptWarm(inst: I): void {
    this.#reserved--;
    this.#warmStarting--;
    this.#live.add(inst);
    const p = this.#provision;
    if (this.#closed || !inst.reusable) {
      this.#drop(inst);
      void inst.stop();
    } else if (p && inst.revision === p.revision && this.#warm.size < p.count) {
      this.#startFailing = false;
      this.#warm.add(inst);
      this.#idle.push(inst);
      if (this.#warm.size >= p.count) this.#provisionFailure = undefined;
    } else if (p && inst.revision !== p.revision) {
      // Started for a target since replaced: counted as starting until now, so the new one is short.
      this.#drop(inst);
      void inst.stop();
      this.#opts.onProvisionShort?.();
    } else {
      this.#park(inst);
    }
    this.#drain();
  }

  /** A provisioned start failed: its slot is free, and why is kept for the status. */
  warmStartFailed(memorySize: number, why: string): void {
    this.#warmStarting--;
    this.#provisionFailure = why;
    this.#startFailing = true;
    this.startFailed(memorySize);
  }

  /** Where the provisioned instances stand; undefined when none are asked for. */
  provisionState(): ProvisionState | undefined {
    const p = this.#provision;
    if (!p) return undefined;
    let available = 0;
    for (const inst of this.#warm) if (inst.revision === p.revision) available++;
    return {
      target: p.count,
      available,
      starting: this.#warmStarting,
      ...(this.#provisionFailure !== undefined && available < p.count
        ? { failure: this.#provisionFailure }
        : {}),
    };
  }

  /** The provisioned target is not met, counting the starts under way. */
  #short(): boolean {
    const p = this.#provision;
    return p !== undefined && !this.#closed && this.#warm.size + this.#warmStarting < p.count;
  }

  #wantsWarm(inst: I): boolean {
    return this.#provision !== undefined && inst.revision === this.#provision.revision;
  }

  // ---------------------------------------------------------------------------------------------------

  /** Refuses queued callers and stops reaping; the runtime stops the instances. */
  close(err: unknown): void {
    this.#closed = true;
    this.#provision = undefined;
    for (const w of this.#queue.splice(0)) w.reject(err);
    for (const inst of [...this.#live]) this.#drop(inst);
    this.#budget.unregister(this.#fnKey, this.#member);
  }

  /** The pool is forgotten (empty): it stops taking part in the budget. */
  dispose(): void {
    this.#budget.unregister(this.#fnKey, this.#member);
  }

  #drop(inst: I): void {
    if (this.#live.delete(inst)) this.#budget.give(this.#fnKey, inst.memorySize);
    this.#warm.delete(inst);
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
      const lease = this.#grant(head.revision, head.memorySize);
      if (!lease) {
        // The limit changed under them (a reservation lowered below one instance): refused, not left waiting.
        if (!this.#budget.canEverFit(this.#fnKey, head.memorySize)) {
          for (const w of this.#queue.splice(0)) w.reject(this.#limitReached());
        }
        return;
      }
      this.#queue.shift();
      head.resolve(lease);
    }
  }
}
