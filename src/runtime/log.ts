/**
 * Parent-side collection of one invocation's user log: the text formatted by the child, plus raw fd 1/2
 * output formatted here, within the user budget. The platform lines around it and the marker of a capped
 * log are the result's (`results.ts`, `buildFinalLog`).
 */

import { fitUtf8 } from './utf8.js';

/** A raw line longer than this (no newline in sight) is cut into lines, so no flood grows in memory. */
const MAX_RAW_LINE = 64 * 1024;

/**
 * Bytes kept out of the user budget for the platform lines (START, ERROR, END, Report: ~350 bytes with
 * a 36-char request id) and the truncation marker (~90), so the whole log stays within maxLogBytes.
 */
export const LOG_RESERVED_BYTES = 640;

/** The user-text budget of one invocation for a given maxLogBytes. */
export const userLogBudget = (maxLogBytes: number): number => Math.max(0, maxLogBytes - LOG_RESERVED_BYTES);

/** Collects one invocation's user log; enforces the budget; hands whole lines to `onLog` as they arrive. */
export class LogCollector {
  readonly #requestId: string;
  readonly #budget: number;
  readonly #onLog: ((text: string) => void) | undefined;
  #chunks: string[] = [];
  #bytes = 0;
  #dropped = 0;
  /** Text received but not yet given to onLog because its line is not finished. */
  #unsent = '';
  /** Partial raw lines per fd (raw output arrives in arbitrary pipe-sized chunks). */
  #rawPartial: [string, string] = ['', ''];
  /** Whether the framed text seen so far ends mid-line (then raw lines must start on a new line). */
  #openLine = false;

  constructor(requestId: string, budget: number, onLog?: (text: string) => void) {
    this.#requestId = requestId;
    this.#budget = budget;
    this.#onLog = onLog;
  }

  /** Bytes dropped so far on this side of the pipe. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Text already formatted by the child (a LogFrame). */
  addFormatted(text: string): void {
    this.#add(text);
  }

  /** Raw bytes the process wrote to fd 1 or 2 itself: each complete line is prefixed here. */
  addRaw(fd: 1 | 2, text: string): void {
    const idx = fd - 1;
    const all = (this.#rawPartial[idx] ?? '') + text;
    const nl = all.lastIndexOf('\n');
    if (nl < 0) {
      if (all.length <= MAX_RAW_LINE) {
        this.#rawPartial[idx] = all;
        return;
      }
      this.#rawPartial[idx] = '';
      this.#addRawLines(`${all}\n`);
      return;
    }
    this.#rawPartial[idx] = all.slice(nl + 1);
    this.#addRawLines(all.slice(0, nl + 1));
  }

  #addRawLines(lines: string): void {
    const prefix = `${new Date().toISOString()}\t${this.#requestId}\t`;
    let out = this.#openLine ? '\n' : '';
    const parts = lines.split('\n');
    parts.pop(); // `lines` ends with a newline: the last part is empty
    for (const line of parts) out += `${prefix}${line}\n`;
    this.#openLine = false;
    this.#add(out);
  }

  #add(text: string): void {
    if (text.length === 0) return;
    const fit = fitUtf8(text, { room: this.#budget - this.#bytes, dropping: this.#dropped > 0 });
    // A cut that keeps nothing (no whole character fits) changes nothing, not even whether a line is open.
    if (fit.kept) this.#push(fit.kept, fit.keptBytes);
    this.#dropped += fit.dropped;
  }

  #push(text: string, bytes: number): void {
    this.#chunks.push(text);
    this.#bytes += bytes;
    this.#openLine = !text.endsWith('\n');
    if (!this.#onLog) return;
    const all = this.#unsent + text;
    const nl = all.lastIndexOf('\n');
    if (nl < 0) {
      this.#unsent = all;
      return;
    }
    this.#unsent = all.slice(nl + 1);
    this.#onLog(all.slice(0, nl + 1));
  }

  /**
   * Flushes unfinished lines and returns the whole user text, ending with a newline when non-empty.
   * `extraDropped` = bytes the child dropped before they crossed the pipe.
   */
  finish(extraDropped: number): { text: string; dropped: number } {
    for (const fd of [1, 2] as const) {
      const rest = this.#rawPartial[fd - 1] ?? '';
      if (rest.length > 0) {
        this.#rawPartial[fd - 1] = '';
        this.#addRawLines(`${rest}\n`);
      }
    }
    if (this.#openLine) this.#push('\n', 1);
    return { text: this.#chunks.join(''), dropped: this.#dropped + extraDropped };
  }
}
