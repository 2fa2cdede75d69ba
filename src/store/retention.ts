/**
 * Retention: keeps a LogStore to `store.retentionDays` days of records. The cutoff is the start (UTC) of
 * the day `retentionDays` days before today, so today's records and those of the last `retentionDays`
 * full UTC days are kept, and every record whose startTime is before it is deleted through
 * `LogStore.prune` (which may delete whole days: the cutoff is always a UTC day's start). SCF keeps an
 * invocation's logs only while the function has a CLS log topic, for that topic's retention;
 * scf-local's default is 7 days, and 0 keeps records forever.
 *
 * Contract: `start()` runs a prune at once and then every `intervalMs` (default one hour: the cutoff moves
 * once a day, so a run a day would do, but an hourly one catches up soon after a server that was stopped
 * at midnight comes back). Runs never overlap: a tick that finds one under way is skipped. A failed run is
 * reported through `onError` and never thrown; the next tick tries again. `close()` is idempotent, stops
 * the ticks and does not wait for a run under way: the store's own close ends that one (its rejection is
 * then not reported), and what it had not deleted yet the next start deletes. Backend-neutral: nothing
 * here knows how a store deletes.
 */
import { ScfError, toScfError } from '../errors/index.js';
import { type Logger, stderrReport } from '../logger/index.js';
import type { LogStore } from './types.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * The cutoff of a retention of `retentionDays` days at `now` (epoch ms): the start of the current UTC
 * day minus that many days. Records with a startTime before it are deleted.
 */
export function retentionCutoff(now: number, retentionDays: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS - retentionDays * DAY_MS;
}

/** Calls a report callback; a throw from it is ignored (nobody awaits a run to receive it). */
function report(f: () => void): void {
  try {
    f();
  } catch {
    // Deliberately ignored: the callbacks' contract is not to throw, and a run has no caller to tell.
  }
}

/** An `onPruned` that logs each run that deleted something, at `info`, on `logger`. */
export function logPruned(logger: Logger): NonNullable<RetentionOptions['onPruned']> {
  return ({ cutoff, deleted }) => {
    if (deleted === 0) return;
    const before = new Date(cutoff).toISOString();
    logger.info({ deleted, before }, `retention: deleted ${deleted} records that started before ${before}`);
  };
}

export interface RetentionOptions {
  /** Full UTC days kept before today (config `store.retentionDays`); 0 keeps everything (no runs). */
  retentionDays: number;
  /** Time between runs after the first, at start (ms). Default one hour. */
  intervalMs?: number;
  /** The clock (epoch ms). Default `Date.now`. */
  now?: () => number;
  /**
   * A run failed (the next one tries again). Must not throw (a throw is ignored). Default: `error` lines
   * on stderr.
   */
  onError?: (err: ScfError) => void;
  /** A run completed: its cutoff and how many records it deleted. Must not throw (a throw is ignored). */
  onPruned?: (run: { cutoff: number; deleted: number }) => void;
}

export class Retention {
  readonly #store: Pick<LogStore, 'prune'>;
  readonly #days: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #onError: (err: ScfError) => void;
  readonly #onPruned: ((run: { cutoff: number; deleted: number }) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #started = false;
  #closed = false;

  constructor(store: Pick<LogStore, 'prune'>, options: RetentionOptions) {
    const { retentionDays, intervalMs = HOUR_MS } = options;
    if (!Number.isSafeInteger(retentionDays) || retentionDays < 0) {
      throw new ScfError('InternalError', `retentionDays must be a whole number >= 0, not ${retentionDays}`);
    }
    if (!(intervalMs > 0))
      throw new ScfError('InternalError', `retention intervalMs must be > 0, not ${intervalMs}`);
    this.#store = store;
    this.#days = retentionDays;
    this.#intervalMs = intervalMs;
    this.#now = options.now ?? Date.now;
    // Default report: nobody awaits a run, so a failure must leave a trace somewhere.
    this.#onError = options.onError ?? stderrReport('retention: deleting old records failed');
    this.#onPruned = options.onPruned;
  }

  /** Whether it deletes anything at all (`retentionDays` > 0). */
  get enabled(): boolean {
    return this.#days > 0;
  }

  /** Runs a prune now and then every `intervalMs`. Idempotent; does nothing when disabled or closed. */
  start(): void {
    if (this.#started || this.#closed || !this.enabled) return;
    this.#started = true;
    void this.runNow();
    this.#timer = setInterval(() => void this.runNow(), this.#intervalMs);
    // The ticks alone must not keep the process alive (a run under way is the store's to hold).
    this.#timer.unref();
  }

  /**
   * One run now, or the one under way: resolves when it ends, never rejects (failures go to `onError`).
   * Does nothing when disabled or closed.
   */
  runNow(): Promise<void> {
    if (this.#closed || !this.enabled) return Promise.resolve();
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(): Promise<void> {
    const cutoff = retentionCutoff(this.#now(), this.#days);
    let deleted: number;
    try {
      deleted = await this.#store.prune(cutoff);
    } catch (err) {
      // Closing cut it short (the store closes right after): expected, and the next start carries on.
      if (this.#closed) return;
      report(() => this.#onError(toScfError(err)));
      return;
    }
    report(() => this.#onPruned?.({ cutoff, deleted }));
  }

  /** Stops the runs; does not wait for one under way (see the contract above). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
