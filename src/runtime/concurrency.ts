/**
 * The platform's concurrency budget: who may start another instance. One per runtime, shared by every pool.
 *
 * Accounting is in MB of instance memory, as SCF's quotas are: an instance holds its function's memory size
 * from the moment its start is granted until it stops (starting, busy and idle alike: the same slots the
 * pools count). Two kinds of function:
 * - one with a **reservation** (PutReservedConcurrencyConfig, `reservedMem` MB) may hold at most that much
 *   across all its pools (its versions): `floor(reservedMem / memorySize)` instances. The reservation is
 *   its own: no other function can use it, and it is its only limit (`maxInstancesPerFunction` does not
 *   apply to it).
 * - one without shares what is left of the total (`totalMem` minus every reservation) with the others
 *   without one, and holds at most `maxInstancesPerFunction` instances across its pools.
 *
 * A pool asks `tryTake` before starting an instance and calls `give` when a slot it held is free. When a
 * take is refused the pool may ask `reclaim` to stop an idle instance elsewhere in the same scope (another
 * version's pool of the function, or, for the shared rest, any function without a reservation). Freed
 * capacity wakes the pools that wait for it (`register`), after the current call stack (a microtask), so a
 * pool that freed a slot for itself takes it first.
 *
 * A reservation lowered below what a function holds stops nothing: its instances end as usual and no new
 * one starts until it is back under. The same holds for the shared rest when a reservation is made.
 */

/** What the budget asks of a pool. */
export interface BudgetMember {
  /** Serve waiting callers if capacity now allows. */
  wake(): void;
  /** Stop one idle instance (never a provisioned one) and free its slot now; false when it has none. */
  evictIdle(): boolean;
}

export interface BudgetOptions {
  /** MB every instance of every function may hold at once (`runtime.totalConcurrencyMem`). */
  totalMem: number;
  /** Instances of a function without a reservation, across its pools (`runtime.maxInstancesPerFunction`). */
  maxInstancesPerFunction: number;
}

interface FunctionUse {
  /** MB reserved, or undefined: shares the unreserved rest. */
  reservedMem: number | undefined;
  /** MB held by its instances (all its pools). */
  used: number;
  /** Instances holding a slot (all its pools). */
  count: number;
  readonly members: Set<BudgetMember>;
}

export class ConcurrencyBudget {
  readonly #opts: BudgetOptions;
  readonly #fns = new Map<string, FunctionUse>();
  /** Σ reservedMem. */
  #reserved = 0;
  /** MB held by functions without a reservation. */
  #sharedUsed = 0;
  #wakeScheduled = false;
  readonly #toWake = new Set<BudgetMember>();

  constructor(opts: BudgetOptions) {
    this.#opts = opts;
  }

  get totalMem(): number {
    return this.#opts.totalMem;
  }

  /** MB not reserved by any function: what the functions without a reservation share. */
  get unreservedMem(): number {
    return this.#opts.totalMem - this.#reserved;
  }

  /** MB reserved by `fnKey`, or undefined. */
  reservation(fnKey: string): number | undefined {
    return this.#fns.get(fnKey)?.reservedMem;
  }

  /** What `fnKey`'s instances hold now: MB and instances, across its pools. */
  usage(fnKey: string): { used: number; count: number } {
    const f = this.#fns.get(fnKey);
    return { used: f?.used ?? 0, count: f?.count ?? 0 };
  }

  /**
   * Sets (`reservedMem` MB) or clears (undefined) `fnKey`'s reservation. The caller checked that it fits
   * (operations' rule); the budget applies what it is given. Wakes the pools that may now start more.
   */
  reserve(fnKey: string, reservedMem: number | undefined): void {
    const f = this.#use(fnKey);
    if (f.reservedMem === reservedMem) return;
    if (f.reservedMem === undefined) this.#sharedUsed -= f.used;
    else this.#reserved -= f.reservedMem;
    f.reservedMem = reservedMem;
    if (reservedMem === undefined) this.#sharedUsed += f.used;
    else this.#reserved += reservedMem;
    this.#forget(fnKey, f);
    this.#wakeAll();
  }

  /** Every reservation, by function key. */
  reservations(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [k, f] of this.#fns) if (f.reservedMem !== undefined) out.set(k, f.reservedMem);
    return out;
  }

  /**
   * False when no instance of `memMb` can ever start for `fnKey` as things stand, however many end: its
   * reservation is smaller than one instance, or (without one) nothing is left unreserved for it. Callers
   * refuse at once then, instead of queueing for capacity that will not come.
   */
  canEverFit(fnKey: string, memMb: number): boolean {
    const reserved = this.#fns.get(fnKey)?.reservedMem;
    return memMb <= (reserved ?? this.unreservedMem);
  }

  /** A pool of `fnKey` that waits for capacity (woken when some is freed). */
  register(fnKey: string, member: BudgetMember): void {
    this.#use(fnKey).members.add(member);
  }

  unregister(fnKey: string, member: BudgetMember): void {
    const f = this.#fns.get(fnKey);
    if (!f) return;
    f.members.delete(member);
    this.#forget(fnKey, f);
  }

  /** Takes a slot of `memMb` for an instance of `fnKey`; false when its limit or the shared rest is reached. */
  tryTake(fnKey: string, memMb: number): boolean {
    const f = this.#use(fnKey);
    if (!this.#fits(f, memMb)) return false;
    f.used += memMb;
    f.count++;
    if (f.reservedMem === undefined) this.#sharedUsed += memMb;
    return true;
  }

  /** A slot taken with `tryTake` is free again. */
  give(fnKey: string, memMb: number): void {
    const f = this.#fns.get(fnKey);
    if (!f) return;
    f.used -= memMb;
    f.count--;
    if (f.reservedMem === undefined) {
      this.#sharedUsed -= memMb;
      // The shared rest grew: any function without a reservation may use it.
      for (const [, g] of this.#fns) if (g.reservedMem === undefined) this.#schedule(g.members);
    } else {
      this.#schedule(f.members);
    }
    this.#forget(fnKey, f);
  }

  /**
   * Frees a slot for `fnKey` by stopping an idle instance in the same scope: one of its own pools first,
   * then (when the shared rest is what is short) another function without a reservation. True when one
   * was stopped and `tryTake(fnKey, memMb)` now succeeds.
   */
  reclaim(fnKey: string, memMb: number, except?: BudgetMember): boolean {
    const f = this.#use(fnKey);
    for (;;) {
      if (this.#fits(f, memMb)) return true;
      let evicted = false;
      // Its own instances first: a limit of its own can be met only by them.
      for (const m of f.members) {
        if (m !== except && m.evictIdle()) {
          evicted = true;
          break;
        }
      }
      if (!evicted && f.reservedMem === undefined && f.count < this.#opts.maxInstancesPerFunction) {
        for (const [k, g] of this.#fns) {
          if (k === fnKey || g.reservedMem !== undefined) continue;
          for (const m of g.members) {
            if (m.evictIdle()) {
              evicted = true;
              break;
            }
          }
          if (evicted) break;
        }
      }
      if (!evicted) return false;
    }
  }

  #fits(f: FunctionUse, memMb: number): boolean {
    if (f.reservedMem !== undefined) return f.used + memMb <= f.reservedMem;
    return f.count < this.#opts.maxInstancesPerFunction && this.#sharedUsed + memMb <= this.unreservedMem;
  }

  #use(fnKey: string): FunctionUse {
    let f = this.#fns.get(fnKey);
    if (!f) {
      f = { reservedMem: undefined, used: 0, count: 0, members: new Set() };
      this.#fns.set(fnKey, f);
    }
    return f;
  }

  /** Drops the entry of a function that holds nothing and has no reservation and no pool. */
  #forget(fnKey: string, f: FunctionUse): void {
    if (f.reservedMem === undefined && f.count === 0 && f.members.size === 0) this.#fns.delete(fnKey);
  }

  #wakeAll(): void {
    for (const f of this.#fns.values()) this.#schedule(f.members);
  }

  #schedule(members: Iterable<BudgetMember>): void {
    for (const m of members) this.#toWake.add(m);
    if (this.#wakeScheduled || this.#toWake.size === 0) return;
    this.#wakeScheduled = true;
    queueMicrotask(() => {
      this.#wakeScheduled = false;
      const members = [...this.#toWake];
      this.#toWake.clear();
      for (const m of members) m.wake();
    });
  }
}
