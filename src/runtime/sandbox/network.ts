/**
 * Outbound networking for a sandbox: slirp4netns (user-mode TCP/IP, as rootless Podman uses) attached to
 * the sandbox's own network namespace. `--disable-host-loopback` keeps the host's 127.0.0.1 (the platform's
 * API, a trust-auth PostgreSQL) out of reach, also through the gateway address 10.0.2.2; other hosts are
 * reachable. slirp4netns runs in its own sandbox (`--enable-sandbox`, `--enable-seccomp`) and exits when the
 * server does (`--exit-fd`: the server holds the other end).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';

export interface Slirp {
  readonly process: ChildProcess;
  /** Resolves when the tap device is configured inside the namespace. */
  readonly ready: Promise<void>;
  /** Kills it; resolves once it has exited (bounded: a process that will not die is left to the kernel). */
  stop(): Promise<void>;
}

/** Deadline for slirp4netns to configure the namespace (generous: a busy machine). */
const READY_DEADLINE_MS = 15_000;

/**
 * Attaches slirp4netns to the network namespace of host process `pid`. Joins only the network namespace
 * (by path): the sandbox's nested user namespaces would refuse a join through them.
 */
export function attachSlirp(slirp4netns: string, pid: number): Slirp {
  const child = spawn(
    slirp4netns,
    [
      '--configure',
      '--mtu=65520',
      '--disable-host-loopback',
      '--enable-sandbox',
      '--enable-seccomp',
      '--ready-fd=3',
      '--exit-fd=4',
      '--netns-type=path',
      `/proc/${pid}/ns/net`,
      'tap0',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true },
  );
  // slirp4netns must not keep the server alive by itself; the instance it serves does.
  child.unref();
  for (const s of child.stdio) {
    (s as { unref?: () => void } | null)?.unref?.();
    // Resets of its pipes come with its end, which `ready`/`stop` handle.
    s?.on('error', () => {});
  }
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => {
    if (stderr.length < 2000) stderr += d;
  });
  const ready = new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => fail('no answer'), READY_DEADLINE_MS);
    deadline.unref();
    const fail = (why: string) => {
      clearTimeout(deadline);
      reject(new Error(`slirp4netns failed (${why}): ${stderr.trim()}`));
    };
    const readyPipe = child.stdio[3] as Readable | null;
    readyPipe?.once('data', () => {
      clearTimeout(deadline);
      resolve();
    });
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => fail(signal ?? `exit ${code}`));
  });
  // A rejection nobody awaits any more (the instance already died) must not become an unhandled one.
  ready.catch(() => {});
  return {
    process: child,
    ready,
    stop: () => {
      const exited =
        child.exitCode !== null || child.signalCode !== null
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              child.once('exit', () => resolve());
              setTimeout(resolve, 5_000).unref();
            });
      // Whoever awaits the stop holds the loop until slirp4netns is reaped.
      child.ref();
      try {
        child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
      for (const s of child.stdio) s?.destroy();
      return exited;
    },
  };
}
