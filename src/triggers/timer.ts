/**
 * The timer scheduler: fires every enabled `timer` trigger of every function at each time its cron
 * expression (`cron.ts`) names, as one asynchronous event on the queue (`async/types.ts`). Every node of a
 * cluster runs one and fires every timer; the event's dedup key (`timer:<ns>/<fn>/<trigger>@<epoch ms>`)
 * is the database's claim on the firing, so the queue stores each firing once however many nodes fire it,
 * and a node restarted within the second of a firing it already stored does not store it again.
 *
 * Contract:
 * - `start()` reads every function's triggers and schedules each timer from now: a firing whose time
 *   passed before the start (the platform was down, or starting) is not fired — missed firings are never
 *   replayed. Idempotent.
 * - `changed(namespace, functionName)` re-reads that function's triggers (the registry's `onChange`): a
 *   new or re-enabled timer, or one whose cron expression changed, is scheduled from now; one whose
 *   expression did not change keeps its next firing (its other settings, like the message, apply from that
 *   firing on); a disabled or deleted timer, or one of a deleted function, fires no more. Every
 *   `rescanIntervalMs` everything is read again (after `sync()` with a shared catalog), so a change this
 *   node was not told of is picked up within that time.
 * - On time: one timer (setTimeout) is armed for the earliest firing, its delay computed from the clock at
 *   each arming, never accumulated; a wake-up a little early waits again for the rest. A firing found due
 *   more than `lateToleranceMs` after its time (the event loop was blocked, the machine slept) is skipped,
 *   as a firing during downtime is; the ones within it are fired, each with its own time.
 * - Never throws into the event loop: a failed enqueue, a failed sync or an expression that no longer
 *   parses is reported through `onError` (once per trigger until it succeeds again) and never retried —
 *   another node may have stored the firing, and the next firing comes anyway.
 * - `close()` stops the timers and resolves once the enqueues under way settled, so the queue can be
 *   closed after it. Idempotent.
 */

import type { AsyncEnqueued, AsyncEventInput } from '../async/types.js';
import { type ScfError, toScfError } from '../errors/index.js';
import type { FunctionRegistry } from '../functions/registry.js';
import type { FunctionDefinition } from '../functions/types.js';
import { stderrReport } from '../logger/index.js';
import { type CronSchedule, nextFireTime, parseCron } from './cron.js';
import type { TriggerDefinition } from './types.js';

/** What the scheduler reads of the function registry. */
export type TimerSource = Pick<FunctionRegistry, 'listNamespaces' | 'list' | 'has' | 'get'> &
  Partial<Pick<FunctionRegistry, 'sync'>>;

/** Where firings go: the asynchronous queue's `enqueue` (its contract is on `AsyncEventInput.dedupKey`). */
export interface TimerQueue {
  enqueue(input: AsyncEventInput): Promise<AsyncEnqueued>;
}

/** What a fault report concerns. */
export type TimerFaultContext = {
  namespace?: string;
  functionName?: string;
  triggerName?: string;
  /** The firing's time (ISO), for a failed enqueue. */
  fireTime?: string;
};

export interface TimerSchedulerOptions {
  /**
   * The offset from UTC, in minutes, of the wall clock cron expressions are read on (config
   * `apiTimeZoneOffsetMinutes`: UTC+8, 480, by default, as SCF).
   */
  timeZoneOffsetMinutes: number;
  /** Time between full rescans of the triggers (ms). Default 30 s. */
  rescanIntervalMs?: number;
  /** How late a firing may still be fired (ms). Default 10 s. */
  lateToleranceMs?: number;
  /** A fault (see the contract). Must not throw (a throw is ignored). Default: `error` lines on stderr. */
  onError?: (err: ScfError, context: TimerFaultContext) => void;
  /** A firing was enqueued (stored by this node, or found stored already: `created` false). Must not throw. */
  onFired?: (firing: TimerFiring) => void;
}

/** One firing, as `onFired` reports it. */
export type TimerFiring = {
  namespace: string;
  functionName: string;
  triggerName: string;
  /** Epoch ms of the firing's scheduled time. */
  fireTime: number;
  requestId: string;
  /** False when the firing was stored already (by another node, or before a restart). */
  created: boolean;
};

/** One scheduled timer. */
interface Entry {
  namespace: string;
  functionName: string;
  trigger: TriggerDefinition;
  schedule: CronSchedule;
  /** The next firing (epoch ms), undefined when the expression fires no more. */
  next: number | undefined;
}

const DEFAULT_RESCAN_MS = 30_000;
const DEFAULT_LATE_TOLERANCE_MS = 10_000;
/** setTimeout's largest delay; a longer wait is re-armed when it ends. */
const MAX_DELAY_MS = 2_147_483_647;

const keyOf = (ns: string, fn: string, trigger: string): string => `${ns}/${fn}/${trigger}`;

/** The triggers of a function definition (none before the definition carries them). */
export function triggersOf(def: FunctionDefinition): readonly TriggerDefinition[] {
  return (def as { triggers?: TriggerDefinition[] }).triggers ?? [];
}

/** SCF's `Time` of a timer event: ISO 8601 UTC to the second, `2019-02-21T11:49:00Z`. */
export function timerEventTime(fireTime: number): string {
  return `${new Date(fireTime).toISOString().slice(0, 19)}Z`;
}

/** SCF's timer event, as JSON text. */
export function timerEvent(triggerName: string, fireTime: number, message: string): string {
  return JSON.stringify({
    Type: 'Timer',
    TriggerName: triggerName,
    Time: timerEventTime(fireTime),
    Message: message,
  });
}

/** The dedup key of a firing: the queue stores one event per key. */
export function timerDedupKey(
  namespace: string,
  functionName: string,
  triggerName: string,
  fireTime: number,
): string {
  return `timer:${namespace}/${functionName}/${triggerName}@${fireTime}`;
}

/** Calls a report callback; a throw from it is ignored (nobody awaits a firing to receive it). */
function quietly(f: () => void): void {
  try {
    f();
  } catch {
    // Deliberately ignored: the callbacks' contract is not to throw, and a firing has no caller to tell.
  }
}

export class TimerScheduler {
  readonly #source: TimerSource;
  readonly #queue: TimerQueue;
  readonly #zone: { offsetMinutes: number };
  readonly #rescanMs: number;
  readonly #lateMs: number;
  readonly #onError: (err: ScfError, context: TimerFaultContext) => void;
  readonly #onFired: ((firing: TimerFiring) => void) | undefined;
  /** Scheduled timers by `ns/fn/trigger`. */
  readonly #entries = new Map<string, Entry>();
  /** Triggers whose last enqueue, parse or the last sync failed: reported once until they succeed. */
  readonly #failing = new Set<string>();
  /** Enqueues under way (awaited by `close`). */
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  /** The time the armed timer is for. */
  #armedFor: number | undefined;
  #rescanTimer: NodeJS.Timeout | undefined;
  #rescanning: Promise<void> | undefined;
  #started = false;
  #closed = false;

  constructor(parts: { functions: TimerSource; queue: TimerQueue }, options: TimerSchedulerOptions) {
    this.#source = parts.functions;
    this.#queue = parts.queue;
    this.#zone = { offsetMinutes: options.timeZoneOffsetMinutes };
    this.#rescanMs = options.rescanIntervalMs ?? DEFAULT_RESCAN_MS;
    this.#lateMs = options.lateToleranceMs ?? DEFAULT_LATE_TOLERANCE_MS;
    // Default report: nobody awaits a firing, so a failure must leave a trace somewhere.
    this.#onError = options.onError ?? stderrReport('timer triggers');
    this.#onFired = options.onFired;
  }

  /** Schedules every timer from now and starts the rescans. Idempotent; does nothing once closed. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#scanAll();
    this.#rescanTimer = setInterval(() => void this.rescan(), this.#rescanMs);
    // The rescans alone must not keep the process alive; neither must the firing timer (see #arm).
    this.#rescanTimer.unref();
  }

  /** The function's triggers changed, or it was created or deleted: re-read them. Never throws. */
  changed(namespace: string, functionName: string): void {
    if (!this.#started || this.#closed) return;
    try {
      this.#reconcile(namespace, functionName, this.#read(namespace, functionName), Date.now());
    } catch (err) {
      this.#report(`function:${namespace}/${functionName}`, err, { namespace, functionName });
    }
    this.#arm();
  }

  /**
   * Reads everything again (after catching up with a shared catalog): what `start` and the periodic
   * rescans do. Resolves when done, never rejects (faults go to `onError`). One at a time.
   */
  rescan(): Promise<void> {
    if (!this.#started || this.#closed) return Promise.resolve();
    this.#rescanning ??= (async () => {
      try {
        await this.#source.sync?.();
        this.#failing.delete('sync');
      } catch (err) {
        // The last state this node has is still the best guess: scan it anyway.
        this.#report('sync', err, {});
      }
      if (!this.#closed) this.#scanAll();
    })().finally(() => {
      this.#rescanning = undefined;
    });
    return this.#rescanning;
  }

  /** The timers scheduled now, with their next firing: for `scf-local` status and tests. */
  scheduled(): { namespace: string; functionName: string; triggerName: string; next: number | undefined }[] {
    return [...this.#entries.values()].map((e) => ({
      namespace: e.namespace,
      functionName: e.functionName,
      triggerName: e.trigger.triggerName,
      next: e.next,
    }));
  }

  /** Stops firing; resolves once the enqueues under way settled. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#rescanTimer) clearInterval(this.#rescanTimer);
    this.#timer = undefined;
    this.#rescanTimer = undefined;
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  /** The enabled timer triggers of a function; none when it does not exist (any more). */
  #read(namespace: string, functionName: string): TriggerDefinition[] {
    if (!this.#source.has(functionName, namespace)) return [];
    return triggersOf(this.#source.get(functionName, namespace)).filter(
      (t) => t.type === 'timer' && t.enable,
    );
  }

  #scanAll(): void {
    const now = Date.now();
    const seen = new Set<string>();
    try {
      for (const ns of this.#source.listNamespaces()) {
        const { functions } = this.#source.list({ namespace: ns.name, limit: Number.MAX_SAFE_INTEGER });
        for (const def of functions) {
          seen.add(`${def.namespace}/${def.functionName}`);
          const timers = triggersOf(def).filter((t) => t.type === 'timer' && t.enable);
          this.#reconcile(def.namespace, def.functionName, timers, now);
        }
      }
    } catch (err) {
      // A namespace deleted between listing and reading it: the next scan sees the state settled. Nothing
      // is unscheduled on a scan that did not finish.
      this.#report('scan', err, {});
      this.#arm();
      return;
    }
    this.#failing.delete('scan');
    // Functions gone (deleted while this node was not told): their timers go.
    for (const [key, e] of this.#entries) {
      if (!seen.has(`${e.namespace}/${e.functionName}`)) this.#entries.delete(key);
    }
    this.#arm();
  }

  /** Brings the entries of one function in line with its enabled timers. */
  #reconcile(namespace: string, functionName: string, timers: TriggerDefinition[], now: number): void {
    const names = new Set(timers.map((t) => t.triggerName));
    for (const [key, e] of this.#entries) {
      if (e.namespace === namespace && e.functionName === functionName && !names.has(e.trigger.triggerName)) {
        this.#entries.delete(key);
      }
    }
    for (const trigger of timers) {
      const key = keyOf(namespace, functionName, trigger.triggerName);
      const current = this.#entries.get(key);
      if (current && current.trigger.triggerDesc === trigger.triggerDesc) {
        // Same schedule: the next firing stays; the rest (message, qualifier) applies from it on.
        current.trigger = trigger;
        continue;
      }
      let schedule: CronSchedule;
      try {
        schedule = parseCron(trigger.triggerDesc);
      } catch (err) {
        // Validated when the trigger was stored; a trigger stored by another version of scf-local may
        // still not parse here. It is not scheduled.
        this.#entries.delete(key);
        this.#report(key, err, { namespace, functionName, triggerName: trigger.triggerName });
        continue;
      }
      this.#entries.set(key, {
        namespace,
        functionName,
        trigger,
        schedule,
        next: nextFireTime(schedule, now, this.#zone),
      });
    }
  }

  /** Arms the one timer for the earliest firing (or leaves it when it is already armed for that time). */
  #arm(): void {
    if (this.#closed) return;
    let earliest: number | undefined;
    for (const e of this.#entries.values()) {
      if (e.next !== undefined && (earliest === undefined || e.next < earliest)) earliest = e.next;
    }
    if (earliest === this.#armedFor && this.#timer) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = earliest;
    if (earliest === undefined) return;
    const delay = Math.min(Math.max(earliest - Date.now(), 0), MAX_DELAY_MS);
    this.#timer = setTimeout(() => this.#wake(), delay);
    // A server is kept alive by its HTTP server; timers must not hold up a process that is done.
    this.#timer.unref();
  }

  #wake(): void {
    this.#timer = undefined;
    this.#armedFor = undefined;
    if (this.#closed) return;
    const now = Date.now();
    for (const e of this.#entries.values()) {
      // Firings more than the tolerance late are skipped: straight to the first one within it.
      if (e.next !== undefined && now - e.next > this.#lateMs) {
        e.next = nextFireTime(e.schedule, now - this.#lateMs - 1, this.#zone);
      }
      while (e.next !== undefined && e.next <= now) {
        const at = e.next;
        this.#fire(e, at);
        e.next = nextFireTime(e.schedule, at, this.#zone);
      }
    }
    // A wake-up before the earliest time (timers may run a millisecond early) arms again for the rest.
    this.#arm();
  }

  #fire(e: Entry, fireTime: number): void {
    const { namespace, functionName, trigger } = e;
    const key = keyOf(namespace, functionName, trigger.triggerName);
    const input: AsyncEventInput = {
      namespace,
      functionName,
      qualifier: trigger.qualifier,
      event: timerEvent(trigger.triggerName, fireTime, trigger.customArgument),
      invokeType: 'timer',
      dedupKey: timerDedupKey(namespace, functionName, trigger.triggerName, fireTime),
    };
    let enqueued: Promise<AsyncEnqueued>;
    try {
      enqueued = this.#queue.enqueue(input);
    } catch (err) {
      // A queue that throws instead of rejecting: the same fault.
      enqueued = Promise.reject(err);
    }
    const done = enqueued.then(
      ({ requestId, created }) => {
        this.#failing.delete(key);
        const firing = {
          namespace,
          functionName,
          triggerName: trigger.triggerName,
          fireTime,
          requestId,
          created,
        };
        quietly(() => this.#onFired?.(firing));
      },
      (err: unknown) => {
        this.#report(key, err, {
          namespace,
          functionName,
          triggerName: trigger.triggerName,
          fireTime: timerEventTime(fireTime),
        });
      },
    );
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
  }

  /** Reports a fault of `what`, once until `what` succeeds again. */
  #report(what: string, err: unknown, context: TimerFaultContext): void {
    if (this.#failing.has(what)) return;
    this.#failing.add(what);
    quietly(() => this.#onError(toScfError(err), context));
  }
}
