/**
 * Parent-side assembly of one invocation's log: the user text (formatted by the child, plus raw fd 1/2
 * output formatted here), the cap with its visible marker, and the SCF platform lines around it.
 */

import { cutUtf8 } from './node/utf8.js';

export type LogFormat = 'scf' | 'legacy';

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
    const bytes = Buffer.byteLength(text, 'utf8');
    if (this.#dropped > 0 || this.#bytes + bytes > this.#budget) {
      const room = this.#budget - this.#bytes;
      if (this.#dropped === 0 && room > 0) {
        const head = cutUtf8(text, room);
        const headBytes = Buffer.byteLength(head, 'utf8');
        this.#push(head, headBytes);
        this.#dropped += bytes - headBytes;
      } else {
        this.#dropped += bytes;
      }
      return;
    }
    this.#push(text, bytes);
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

export interface FinalLogParts {
  format: LogFormat;
  requestId: string;
  user: string;
  dropped: number;
  maxLogBytes: number;
  /** Platform error text (e.g. `Invoking task timed out after 3 seconds`), printed as an ERROR line. */
  platformError?: string | undefined;
  duration: number;
  memorySize: number;
  memUsage: number;
}

/** The marker that ends a capped log. */
export const truncationMarker = (dropped: number, maxLogBytes: number): string =>
  `[scf-local] log truncated: ${dropped} bytes dropped (limit ${maxLogBytes} bytes)\n`;

/**
 * The whole log as SCF writes it (`scf`), or only the user lines (`legacy`, the 2017 format, where the
 * platform error shows only in retMsg/errMsg):
 * START, user lines, [marker], [ERROR line], END, Report.
 */
export function buildFinalLog(p: FinalLogParts): string {
  const marker = p.dropped > 0 ? truncationMarker(p.dropped, p.maxLogBytes) : '';
  if (p.format === 'legacy') {
    return p.user + marker;
  }
  const id = p.requestId;
  const mb = (p.memUsage / 1048576).toFixed(6);
  return (
    `START RequestId: ${id}\n` +
    p.user +
    marker +
    (p.platformError ? `ERROR RequestId: ${id} Result: ${p.platformError}\n` : '') +
    `END RequestId: ${id}\n` +
    `Report RequestId: ${id} Duration:${Math.round(p.duration)}ms Memory:${p.memorySize}MB MemUsage:${mb}MB\n`
  );
}
