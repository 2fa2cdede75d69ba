/**
 * Running the real `scf-local` binary in tests: as a child process with a clean environment (only PATH, and
 * a non-UTC zone), with stdin given or closed, with its stdout closed before it starts (a reader that went
 * away, as `| head` does), or inside a shell pipeline (a FIFO stdin fed slowly, as a user's pipe is).
 */
import { execFile, spawn } from 'node:child_process';

import { bin, repo } from './cli.js';

export { bin, repo };

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  input?: string;
  cwd?: string;
}

const baseEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: process.env['PATH'] ?? '',
  TZ: 'Asia/Kolkata',
  ...extra,
});

/** Runs the binary; stdin is closed (never a TTY), so there is no colour and nothing is read from it. */
export function cli(args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: baseEnv(options.env), timeout: 60_000, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/**
 * Runs the binary with its stdout closed by the reader before the binary has started, so its first write
 * to stdout fails with EPIPE (what `scf-local logs f | head -2` meets once head has its lines).
 */
export function cliClosedStdout(args: string[], options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: baseEnv(options.env),
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Closed here, synchronously after the spawn: the child's node has not run a line of the CLI yet.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout: '', stderr });
    });
  });
}

/** Quotes a word for sh. */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line that runs the binary, for a shell script. */
export function cliCommand(args: string[]): string {
  return [process.execPath, bin, ...args].map(shq).join(' ');
}

/** Runs `sh -c script` (a pipeline around the binary: see `cliCommand`). */
export function shell(script: string, options: RunOptions = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      '/bin/sh',
      ['-c', script],
      { env: baseEnv(options.env), timeout: 60_000, cwd: options.cwd, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}
