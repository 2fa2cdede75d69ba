/**
 * Reading a process's memory from /proc, and the one shared RSS watchdog that enforces memorySize on busy
 * instances. V8's own heap cap (`--max-old-space-size`) cannot see Buffers and native allocations, which live
 * outside the heap; the watchdog sees the whole resident set.
 */
import { readFileSync } from 'node:fs';

/** A `/proc/<pid>/status` field in bytes (`VmRSS`, `VmHWM`), or undefined when unreadable (gone). */
export function readStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const at = text.indexOf(`${field}:`);
  if (at < 0) return undefined;
  const m = /^\w+:\s+(\d+) kB/.exec(text.slice(at, at + 40));
  return m?.[1] ? Number(m[1]) * 1024 : undefined;
}

/** What the watchdog needs from an instance. */
export interface Watched {
  readonly pid: number;
  /** Called with each VmRSS sample; the instance compares it with its limit (and keeps the peak). */
  onMemorySample(rss: number): void;
}

/**
 * Samples VmRSS of the watched (busy) instances every `intervalMs` with one timer, which runs only while
 * something is watched. Interval 0 disables it (V8's heap cap still applies).
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
      const rss = readStatusBytes(w.pid, 'VmRSS');
      if (rss !== undefined) w.onMemorySample(rss);
    }
  }

  close(): void {
    this.#watched.clear();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
