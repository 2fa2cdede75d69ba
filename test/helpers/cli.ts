/**
 * Running the real `scf-local` binary from tests: one-shot commands (`runCli`) and long-lived ones such as
 * `logs --follow` (`CliProcess`), whose stdout lines can be awaited. Every child gets a minimal environment
 * (PATH, a TZ) so that nothing of the machine's leaks in; stdin is closed unless the test gives input.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const bin = `${repo}bin/scf-local.js`;

export interface CliRun {
  /** The exit code; a child killed by `timeoutMs` (or a signal) reads as -1. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  env?: Record<string, string>;
  input?: string;
  /** The child is killed after this long (a guard against a command that never ends). Default 60 s. */
  timeoutMs?: number;
}

const childEnv = (extra: Record<string, string> | undefined): Record<string, string> => ({
  PATH: process.env['PATH'] ?? '',
  TZ: 'Asia/Kolkata',
  ...extra,
});

/** Runs the binary to its end. */
export function runCli(args: string[], options: CliRunOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: childEnv(options.env), timeout: options.timeoutMs ?? 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** A long-lived child (e.g. `logs --follow`): its stdout lines as they arrive, and waits on them. */
export class CliProcess {
  readonly lines: string[] = [];
  /** When each of `lines` arrived here (performance.now()), index for index. */
  readonly arrivals: number[] = [];
  readonly child: ChildProcess;
  stderr = '';
  #partial = '';
  #waiters: Array<{ cond: () => boolean; resolve: () => void }> = [];

  constructor(args: string[], options: { env?: Record<string, string> } = {}) {
    this.child = spawn(process.execPath, [bin, ...args], {
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      const at = performance.now();
      for (const p of parts) {
        this.lines.push(p);
        this.arrivals.push(at);
      }
      this.#check();
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (c: string) => {
      this.stderr += c;
      this.#check();
    });
    this.child.once('exit', () => this.#check());
  }

  /** The stdout lines parsed as JSON (for `--ndjson`). */
  json<T = Record<string, unknown>>(): T[] {
    return this.lines.filter((l) => l !== '').map((l) => JSON.parse(l) as T);
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.cond()) return true;
      w.resolve();
      return false;
    });
  }

  /** Resolves once `cond` holds (checked on every output); rejects after `ms` saying what it waited for. */
  until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `timed out waiting for ${what}; stdout:\n${this.lines.join('\n')}\nstderr: ${this.stderr}`,
            ),
          ),
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

  /** Kills the child (SIGKILL) and waits for it to be gone. Idempotent. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}
