/**
 * A `scf-local logs <fn> --follow` child process (NDJSON by default): its complete lines, and a way to wait
 * for a condition on them (bounded by a deadline, so a follower that never sees an event fails the test
 * with what it printed rather than hanging).
 */
import type { ChildProcess } from 'node:child_process';
import { CliProcess } from './cli.js';

export const CRED = { secretId: 'AKIDtest', secretKey: 'secret' };

export interface Line {
  event: string;
  cursor?: string | null;
  requestId?: string;
  status?: string;
  log?: string;
  text?: string;
  logRemainder?: string;
}

/** A follower child: its complete NDJSON lines, and a way to wait for a condition on them. */
export class Follower {
  readonly #process: CliProcess;
  readonly #ndjson: boolean;
  /** `lines`, parsed so far (parsing is incremental: conditions read them on every output). */
  readonly #parsed: Line[] = [];
  #seen = 0;

  constructor(url: string, extra: string[], options: { fn?: string; ndjson?: boolean } = {}) {
    this.#ndjson = options.ndjson ?? true;
    this.#process = new CliProcess(
      [
        '--endpoint',
        url,
        '--secret-id',
        CRED.secretId,
        '--secret-key',
        CRED.secretKey,
        'logs',
        options.fn ?? 'noop',
        '--follow',
        ...(this.#ndjson ? ['--ndjson'] : []),
        ...extra,
      ],
      { env: { ...process.env } as Record<string, string> },
    );
  }

  get child(): ChildProcess {
    return this.#process.child;
  }

  get stderr(): string {
    return this.#process.stderr;
  }

  /** Every non-empty stdout line as printed, with the time it arrived here. */
  get raw(): Array<{ text: string; at: number }> {
    const { lines, arrivals } = this.#process;
    return lines.flatMap((text, i) => (text === '' ? [] : [{ text, at: arrivals[i]! }]));
  }

  /** The NDJSON lines (none without `--ndjson`). */
  get lines(): Line[] {
    const all = this.#process.lines;
    for (; this.#seen < all.length; this.#seen++) {
      const text = all[this.#seen]!;
      if (this.#ndjson && text !== '') this.#parsed.push(JSON.parse(text) as Line);
    }
    return this.#parsed;
  }

  until(cond: () => boolean, what: string, ms = 90_000): Promise<void> {
    return this.#process.until(cond, what, ms);
  }

  lastCursor(): string {
    const withCursor = this.lines.filter((l) => typeof l.cursor === 'string');
    return withCursor.at(-1)?.cursor as string;
  }

  kill(): Promise<void> {
    return this.#process.kill();
  }
}
