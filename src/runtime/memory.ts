/**
 * The one shared memory watchdog that enforces memorySize on busy instances. V8's own heap cap
 * (`--max-old-space-size`) cannot see Buffers, native allocations or subprocesses; the watchdog sees the
 * resident memory of every process of the instance (see `sandbox/tree.ts`).
 */

/** What the watchdog needs from an instance. */
export interface Watched {
  /** Total resident memory of the instance now, bytes; undefined once it is gone. */
  rss(): number | undefined;
  /** Called with each sample; the instance compares it with its limit (and keeps the peak). */
  onMemorySample(rss: number): void;
}

/**
 * Samples the watched (busy) instances every `intervalMs` with one timer, which runs only while something
 * is watched. Interval 0 disables it (V8's heap cap and the end-of-invocation check still apply).
 */
export class MemoryWatchdog {
  readonly #intervalMs: number;
  readonly #watched = new Set<Watched>();
  #timer: NodeJS.Timeout | undefined;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  watch(w: Watched): void {
    if (this.#intervalMs <= 0) return;
    this.#watched.add(w);
    if (!this.#timer) {
      this.#timer = setInterval(() => this.#sample(), this.#intervalMs);
      // The watchdog never keeps the server alive on its own: busy children do.
      this.#timer.unref();
    }
  }

  unwatch(w: Watched): void {
    this.#watched.delete(w);
    if (this.#watched.size === 0 && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #sample(): void {
    for (const w of [...this.#watched]) {
      const rss = w.rss();
      if (rss !== undefined) w.onMemorySample(rss);
    }
  }

  close(): void {
    this.#watched.clear();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
