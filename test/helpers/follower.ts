/**
 * A `scf-local logs <fn> --follow` child process (NDJSON by default): its complete lines, and a way to wait
 * for a condition on them (bounded by a deadline, so a follower that never sees an event fails the test
 * with what it printed rather than hanging).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { bin } from './serve.js';

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
  readonly lines: Line[] = [];
  /** Every stdout line as printed, with the time it arrived here. */
  readonly raw: Array<{ text: string; at: number }> = [];
  readonly child: ChildProcess;
  #partial = '';
  #waiters: Array<{ cond: () => boolean; resolve: () => void }> = [];
  stderr = '';

  constructor(url: string, extra: string[], options: { fn?: string; ndjson?: boolean } = {}) {
    const ndjson = options.ndjson ?? true;
    this.child = spawn(
      process.execPath,
      [
        bin,
        '--endpoint',
        url,
        '--secret-id',
        CRED.secretId,
        '--secret-key',
        CRED.secretKey,
        'logs',
        options.fn ?? 'noop',
        '--follow',
        ...(ndjson ? ['--ndjson'] : []),
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      const at = performance.now();
      for (const p of parts) {
        if (!p) continue;
        this.raw.push({ text: p, at });
        if (ndjson) this.lines.push(JSON.parse(p) as Line);
      }
      this.#check();
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (c: string) => (this.stderr += c));
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.cond()) return true;
      w.resolve();
      return false;
    });
  }

  until(cond: () => boolean, what: string, ms = 90_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; stderr: ${this.stderr}`)),
        ms,
      );
      this.#waiters.push({
        cond,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  lastCursor(): string {
    const withCursor = this.lines.filter((l) => typeof l.cursor === 'string');
    return withCursor.at(-1)?.cursor as string;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}
