/**
 * The invocation event hub: the live feed behind `scf-local logs --follow`. The Invoker reports each
 * record once it is durable (`start` = the running record, `end` = the final one) and, in between, each
 * chunk of log text as the function prints it (`log`); the hub numbers every event with a cursor and fans
 * it out to subscribers, keeping a bounded ring of recent events so that a subscriber that lost its
 * connection resumes from its cursor with no gap and no duplicate.
 *
 * Cursors are `<epoch>-<n>`: `epoch` names this hub instance (a server start), `n` counts events from 1.
 * A cursor `E-n` means "I have seen every event up to and including n". A cursor from another epoch (the
 * server restarted) or older than the ring is never silently honoured: the subscriber is told which, and
 * catches up through the query API (GetFunctionLogs) instead.
 *
 * Ordering contract: for one invocation the publisher (the Invoker) reports `start`, then its `log`
 * chunks, then `end`; cursors follow publish order, so subscribers see that order too. `publish` is synchronous and delivers to every live subscriber before returning, in
 * cursor order; `subscribe` computes its backlog and registers the listener in the same tick, so nothing
 * published can fall between the two. Listeners must not throw; one that does is dropped (the invoker's
 * `onRecord` must never throw, and one broken subscriber must not starve the others).
 */
import { randomBytes } from 'node:crypto';
import type { InvocationRecord } from '../store/types.js';
import type { LogChunk, LogEvent, RecordEvent } from './invoker.js';

export const DEFAULT_RING_EVENTS = 100_000;
/** Estimated bytes of events kept; large logs evict older events before the count limit is reached. */
export const DEFAULT_RING_BYTES = 64 * 1024 * 1024;

export type { LogChunk } from './invoker.js';

export type HubEvent = {
  /** `<epoch>-<seq>`. */
  cursor: string;
  seq: number;
} & ({ type: 'start' | 'end'; record: InvocationRecord } | { type: 'log'; log: LogChunk });

export interface EventFilter {
  namespace?: string;
  functionName?: string;
  /**
   * Only these versions (a record's `qualifier`, a log chunk's): `1`, `$LATEST`. Never an alias: the hub
   * knows what ran, not how it was routed, so a caller resolves an alias to its versions first. A log
   * chunk whose version is not known does not match (its invocation's `end` carries its whole log).
   */
  qualifiers?: readonly string[];
}

/** Why a resume cursor could not be honoured from the ring. */
export type GapReason = 'unknown-epoch' | 'too-far-behind' | 'invalid-cursor';

export interface Subscription {
  /** Events after the requested cursor still in the ring (empty when none was given or on a gap). */
  backlog: HubEvent[];
  /** Set when the requested cursor could not be honoured: live events start after `cursor`. */
  gap?: { reason: GapReason; cursor: string };
  /** The cursor live delivery starts after (the newest event at subscription time). */
  cursor: string;
  unsubscribe(): void;
}

export interface SubscribeOptions {
  /** Resume after this cursor. Absent: live only, from now. */
  after?: string;
  filter?: EventFilter;
  /** Called once when the hub closes (not after unsubscribe). */
  onClose?: () => void;
}

interface Listener {
  filter: EventFilter;
  deliver: (e: HubEvent) => void;
  onClose: (() => void) | undefined;
}

const CURSOR_RE = /^([a-z0-9]+)-(0|[1-9]\d{0,15})$/;

/** Splits a cursor into its epoch and sequence, or undefined when it is not one. */
export function parseCursor(cursor: string): { epoch: string; seq: number } | undefined {
  const m = CURSOR_RE.exec(cursor);
  if (!m) return undefined;
  const seq = Number(m[2]);
  return Number.isSafeInteger(seq) ? { epoch: m[1]!, seq } : undefined;
}

/** What a filter looks at: the record of a start/end event, the chunk of a log event. */
const subject = (e: HubEvent): { namespace: string; functionName: string; qualifier?: string } =>
  e.type === 'log' ? e.log : e.record;

const matches = (f: EventFilter, e: HubEvent): boolean => {
  const s = subject(e);
  return (
    (f.namespace === undefined || f.namespace === s.namespace) &&
    (f.functionName === undefined || f.functionName === s.functionName) &&
    (f.qualifiers === undefined || (s.qualifier !== undefined && f.qualifiers.includes(s.qualifier)))
  );
};

/**
 * Rough in-memory size of an event: its strings (UTF-16) plus a fixed overhead for the object. A log
 * event's ids and names are strings of its own (not shared with a record), so they are counted.
 */
export const eventSize = (e: HubEvent): number =>
  e.type === 'log'
    ? 2 * (e.log.text.length + e.log.requestId.length + e.log.functionName.length + e.log.namespace.length) +
      256
    : 2 * (e.record.log.length + e.record.retMsg.length) + 512;

export interface HubOptions {
  /** Most events kept for resuming. */
  capacity?: number;
  /** Most estimated bytes of events kept. */
  maxBytes?: number;
  /** Names this hub's cursors; default: a new one per hub (a server start). */
  epoch?: string;
  /**
   * For a hub fed by `publishAt` (the cluster's feed, numbered by the database): the number of the last
   * event that happened before this hub started, which it will never hold. Default 0.
   */
  startAfter?: number;
}

export class InvocationEventHub {
  readonly #epoch: string;
  readonly #capacity: number;
  readonly #maxBytes: number;
  /** The events held, oldest first, from `#head` on (a deque: evicting advances `#head`). */
  #ring: HubEvent[] = [];
  #head = 0;
  /** Every event numbered up to here is not held (evicted, or before this hub started). */
  #floor: number;
  #last: number;
  #bytes = 0;
  readonly #listeners = new Set<Listener>();
  #closed = false;

  constructor(options: HubOptions = {}) {
    // Start time in base 36 plus randomness: distinct across restarts and across hubs in one process.
    this.#epoch = options.epoch ?? `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
    if (!/^[a-z0-9]+$/.test(this.#epoch)) throw new RangeError('epoch must be lower-case alphanumerics');
    this.#capacity = Math.max(1, options.capacity ?? DEFAULT_RING_EVENTS);
    this.#maxBytes = options.maxBytes ?? DEFAULT_RING_BYTES;
    this.#floor = options.startAfter ?? 0;
    this.#last = this.#floor;
  }

  get epoch(): string {
    return this.#epoch;
  }

  /** The cursor of the newest event (`<epoch>-0` before the first). */
  get cursor(): string {
    return `${this.#epoch}-${this.#last}`;
  }

  /** The number of the newest event. */
  get last(): number {
    return this.#last;
  }

  /** The oldest event still held, as a cursor that resumes just before it. */
  get oldestResumable(): string {
    return `${this.#epoch}-${this.#floor}`;
  }

  /**
   * Numbers an event (a record's `start`/`end`, or a `log` chunk), keeps it in the ring and delivers it to
   * every matching subscriber. Never throws. The caller keeps one invocation's events in order.
   */
  publish(e: RecordEvent | LogEvent): void {
    this.publishAt(this.#last + 1, e);
  }

  /**
   * `publish` with the event's number given by its source (the cluster's feed: the database's event id).
   * Numbers must increase; they may skip (an id the database drew but never committed). An event whose
   * number is not above the newest is ignored (the feed re-read it).
   */
  publishAt(seq: number, e: RecordEvent | LogEvent): void {
    if (this.#closed || seq <= this.#last) return;
    this.#last = seq;
    const cursor = `${this.#epoch}-${seq}`;
    const event: HubEvent =
      e.type === 'log'
        ? { cursor, seq, type: 'log', log: e.log }
        : { cursor, seq, type: e.type, record: e.record };
    this.#ring.push(event);
    this.#bytes += eventSize(event);
    while (this.#ring.length - this.#head > this.#capacity) this.#evictOldest();
    while (this.#bytes > this.#maxBytes && this.#ring.length - this.#head > 1) this.#evictOldest();
    for (const l of this.#listeners) {
      if (!matches(l.filter, event)) continue;
      try {
        l.deliver(event);
      } catch {
        // A listener that throws is broken; dropping it keeps the others (and the invoker) unaffected.
        this.#listeners.delete(l);
      }
    }
  }

  #evictOldest(): void {
    const old = this.#ring[this.#head];
    if (!old) return;
    this.#bytes -= eventSize(old);
    this.#floor = old.seq;
    this.#head++;
    // Compact now and then, so the array does not grow with everything ever evicted.
    if (this.#head >= 1024 && this.#head * 2 >= this.#ring.length) {
      this.#ring = this.#ring.slice(this.#head);
      this.#head = 0;
    }
  }

  /**
   * Registers a listener. With `after`, events after that cursor still in the ring are returned as the
   * backlog (to be delivered before any live event); a cursor of another epoch, from the future, or older
   * than the ring yields `gap` instead and live delivery from now.
   */
  subscribe(deliver: (e: HubEvent) => void, options: SubscribeOptions = {}): Subscription {
    const filter = options.filter ?? {};
    const listener: Listener = { filter, deliver, onClose: options.onClose };
    const unsubscribe = (): void => {
      this.#listeners.delete(listener);
    };
    const cursor = this.cursor;
    let backlog: HubEvent[] = [];
    let gap: Subscription['gap'];
    if (options.after !== undefined) {
      const parsed = parseCursor(options.after);
      if (!parsed) gap = { reason: 'invalid-cursor', cursor };
      else if (parsed.epoch !== this.#epoch || parsed.seq > this.#last)
        gap = { reason: 'unknown-epoch', cursor };
      else if (parsed.seq < this.#floor) gap = { reason: 'too-far-behind', cursor };
      else backlog = this.#since(parsed.seq, filter);
    }
    if (this.#closed) {
      queueMicrotask(() => options.onClose?.());
    } else {
      this.#listeners.add(listener);
    }
    return gap ? { backlog, gap, cursor, unsubscribe } : { backlog, cursor, unsubscribe };
  }

  #since(seq: number, filter: EventFilter): HubEvent[] {
    // Binary search for the first held event numbered above `seq`.
    let lo = this.#head;
    let hi = this.#ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#ring[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    const out: HubEvent[] = [];
    for (let i = lo; i < this.#ring.length; i++) {
      const e = this.#ring[i]!;
      if (matches(filter, e)) out.push(e);
    }
    return out;
  }

  /** Estimated bytes held by the ring (for tests and diagnostics). */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of live subscribers (for tests and diagnostics). */
  get subscribers(): number {
    return this.#listeners.size;
  }

  /** Stops publishing and tells every subscriber. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const listeners = [...this.#listeners];
    this.#listeners.clear();
    for (const l of listeners) {
      try {
        l.onClose?.();
      } catch {
        // Closing must finish for every subscriber; a failing close callback has nothing left to break.
      }
    }
  }
}
