/**
 * The real `scf-local serve` in a child process, for tests of what the binary does: a fresh data folder,
 * port 0 (the port is read from its banner), the given credentials, its stdout and stderr collected. Every
 * wait is on the process's own output or exit, never a sleep. The process group is killed when the test ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from './tmp.js';

export const repo = fileURLToPath(new URL('../../../', import.meta.url));
export const bin = `${repo}bin/scf-local.js`;

export interface Served {
  child: ChildProcess;
  dataDir: string;
  stdout(): string;
  stderr(): string;
  /** The exit code, or the signal's name. */
  exited: Promise<number | string>;
  /** Resolves once `cond()` holds (checked at each output and at exit); rejects if the process ends first. */
  until(cond: () => boolean, what: string): Promise<void>;
  /** The port, once the banner says it listens. */
  port(): Promise<number>;
  signal(sig: NodeJS.Signals): void;
}

export interface ServeOptions {
  /** Extra arguments after `serve --port 0 --data-dir <dir>`. */
  args?: string[];
  env?: Record<string, string>;
  /** The data folder (default a fresh one, removed after the test). */
  dataDir?: string;
  /** Run through `script` so the server's stdout and stderr are a terminal (merged into `stdout()`). */
  tty?: boolean;
}

export function serve(t: Pick<TestContext, 'after'>, options: ServeOptions = {}): Served {
  const dataDir = options.dataDir ?? tempDir(t, 'scf-local-serve-');
  const argv = [bin, 'serve', '--port', '0', '--data-dir', dataDir, ...(options.args ?? [])];
  const env = { PATH: process.env['PATH'] ?? '', ...options.env };
  const quoted = [process.execPath, ...argv].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = options.tty
    ? spawn('script', ['-qfec', `exec ${quoted}`, '/dev/null'], {
        env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      })
    : spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const poke = (): void => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    poke();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
    poke();
  });
  let gone: number | string | undefined;
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, sig) => {
      gone = code ?? String(sig);
      resolve(gone);
      poke();
    }),
  );
  t.after(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Already gone.
    }
  });
  const until = (cond: () => boolean, what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (cond()) {
          waiters.delete(check);
          resolve();
        } else if (gone !== undefined) {
          waiters.delete(check);
          reject(new Error(`serve exited (${gone}) before ${what}; stdout:\n${out}\nstderr:\n${err}`));
        }
      };
      waiters.add(check);
      check();
    });
  const LISTENING = /scf-local listening on http:\/\/127\.0\.0\.1:(\d+)/;
  return {
    child,
    dataDir,
    stdout: () => out,
    stderr: () => err,
    exited,
    until,
    port: async () => {
      await until(() => LISTENING.test(out), 'it listens');
      return Number(LISTENING.exec(out)![1]);
    },
    signal: (sig) => {
      // Through `script`, the server is script's child: signal the whole group, as a terminal's Ctrl-C does.
      process.kill(options.tty ? -child.pid! : child.pid!, sig);
    },
  };
}
