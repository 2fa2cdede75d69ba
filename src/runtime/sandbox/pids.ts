/**
 * The host pids of a sandbox bwrap has just started: its init's (PID 1 of the namespace), which bwrap
 * writes as JSON to its info pipe (`--info-fd`, `LaunchPlan.infoFd`), and the function's main process,
 * the init's child, found in `/proc` once the init has forked. Both waits are bounded by INFO_DEADLINE_MS.
 */
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ProcessTree } from './tree.js';

/** Deadline for bwrap to say which pid the function's process has. */
const INFO_DEADLINE_MS = 15_000;

/**
 * A poll's pause. It holds the event loop: a start is awaited work, and once bwrap has exited (its pipes
 * closed) nothing else may be left to keep the loop alive until the poll sees it.
 */
const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Reads bwrap's info JSON (`{"child-pid": N, ...}`) from its info pipe (stdio index `fd` of `child`), to
 * its end: bwrap writes the namespace ids after the pid, and a pipe closed under it would kill it with
 * SIGPIPE. Rejects when bwrap exits or says nothing in time.
 */
export function readChildPid(child: ChildProcess, fd: number): Promise<number> {
  const pipe = child.stdio[fd] as Readable | null;
  return new Promise<number>((resolve, reject) => {
    if (!pipe) {
      reject(new Error('no info pipe'));
      return;
    }
    let text = '';
    let settled = false;
    const done = (err: Error | undefined, pid?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (err) reject(err);
      else resolve(pid as number);
    };
    const deadline = setTimeout(() => done(new Error('bwrap said nothing')), INFO_DEADLINE_MS);
    deadline.unref();
    pipe.setEncoding('utf8');
    pipe.on('data', (chunk: string) => {
      if (settled) return; // the rest is drained and ignored
      text += chunk;
      let info: { 'child-pid'?: unknown };
      try {
        info = JSON.parse(text) as { 'child-pid'?: unknown };
      } catch {
        return; // not whole yet
      }
      const pid = info['child-pid'];
      if (typeof pid === 'number') done(undefined, pid);
      else done(new Error('bwrap gave no child pid'));
    });
    pipe.once('end', () => done(new Error(`bwrap exited before starting the function's process`)));
    child.once('exit', () => done(new Error('bwrap exited')));
  });
}

/**
 * The host pid of `init`'s child, the function's main process, polled (every ms, then every 5 ms) until
 * it exists or `gone()` says the sandbox exited; undefined then, or after INFO_DEADLINE_MS.
 */
export async function waitForMain(init: number, gone: () => boolean): Promise<number | undefined> {
  const deadline = Date.now() + INFO_DEADLINE_MS;
  for (let i = 0; Date.now() < deadline; i++) {
    const found = ProcessTree.findChild(init);
    if (found !== undefined) return found;
    if (gone()) return undefined;
    await delay(i < 10 ? 1 : 5);
  }
  return undefined;
}
