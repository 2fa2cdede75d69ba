/**
 * One instance's operating-system side: spawning the bootstrap (inside a bubblewrap sandbox, or as a plain
 * process group when `runtime.sandbox` is off), the pipes, the kill of everything it started, and the waits
 * for its exit and for its pipes to drain. Everything it measures (memory, CPU) comes from `/proc` on the
 * host's side, never from the function's own process.
 *
 * stdio: 0 ignored, 1/2 raw output, 3 frames from the child, 4 IPC to the child (see protocol.ts); in a
 * sandbox also 5 = bwrap's info pipe (the host pid of the function's process, read by `../sandbox/pids.ts`),
 * 6 = its block pipe (the process waits there until slirp4netns has configured its network).
 */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { ScfError } from '../../errors/index.js';
import type { SandboxLauncher } from '../sandbox/launcher.js';
import { attachSlirp, type Slirp } from '../sandbox/network.js';
import { readChildPid, waitForMain } from '../sandbox/pids.js';
import { ProcessTree } from '../sandbox/tree.js';
import { launch } from './launch.js';

/** After SIGKILL, deadline for the exit itself (a process in uninterruptible sleep may take a while). */
const KILL_DEADLINE_MS = 5_000;
/** After the exit, deadline for stdio to close (a grandchild outside the process group may hold it). */
const STDIO_GRACE_MS = 2_000;

export interface SandboxRuntime {
  launcher: SandboxLauncher;
  /** slirp4netns, when the sandbox's network is `slirp`. */
  slirp4netns: string | undefined;
  /** Host uid/gid bwrap runs as (when the server is root). */
  ids: { uid: number; gid: number } | undefined;
}

export interface SpawnSpec {
  /** The interpreter and its arguments (the bootstrap as the process sees it: under /var/runtime in a sandbox). */
  command: string[];
  /** The main process's memory is the function's (see `ProcessTree`); false for a Custom Runtime's host. */
  countMain: boolean;
  /** Host code folder to mount (sandbox) or enter (plain); undefined for a stem cell. */
  codeDir: string | undefined;
  env: Record<string, string>;
  label: string;
  sandbox: SandboxRuntime | undefined;
}

export interface ChildEvents {
  frames: (chunk: string) => void;
  raw: (fd: 1 | 2, chunk: string) => void;
  exit: () => void;
  /** The IPC channel closed (the child disconnected). */
  disconnect: () => void;
}

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** How many times a sandbox is built before its failure is the instance's (see `InstanceProcess.spawn`). */
const SANDBOX_SETUP_ATTEMPTS = 3;

/**
 * bwrap's own failure to configure the namespace's loopback (seen a few times in hundreds of starts under
 * load, never twice in a row): nothing of the function ran, so the sandbox is built again. Any other start
 * failure (a missing binary, a bad code folder) is the instance's at once.
 */
function isTransientSandboxFailure(err: unknown): boolean {
  return (
    err instanceof ScfError && err.detail?.['sandboxSetup'] === true && /bwrap: loopback: /.test(err.message)
  );
}

/** The process behind an instance. */
export class InstanceProcess {
  #pid: number;
  /** Host pid of bwrap's init, PID 1 of the sandbox's namespace. */
  #init: number | undefined;
  /** `kill()` went through the namespace's init (bwrap follows it). */
  #killedInit = false;
  /** The first bytes the process wrote to stderr (bwrap's own complaints land there). */
  #stderr = '';
  tree: ProcessTree;
  /** The instance's code slot in a sandbox (a stem cell's is filled at binding). */
  slot: string | undefined;
  readonly #child: ChildProcess;
  readonly #sandbox: SandboxRuntime | undefined;
  /** A plain process started through `setpriv --pdeathsig KILL`. */
  #viaSetpriv = false;
  #slirp: Slirp | undefined;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #exitWaiters: (() => void)[] = [];
  #closed = false;
  #closeWaiters: (() => void)[] = [];
  #gone: Promise<void> | undefined;
  #clearRefs: number | undefined;

  private constructor(
    child: ChildProcess,
    sandbox: SandboxRuntime | undefined,
    events: ChildEvents,
    countMain: boolean,
  ) {
    this.#child = child;
    this.#pid = child.pid ?? 0;
    this.#sandbox = sandbox;
    this.tree = new ProcessTree(this.#pid, undefined, countMain);
    // Exit bookkeeping first, then the instance hears of it (it asks how the process ended).
    child.on('exit', (code, signal) => {
      this.#exit = { code, signal };
      for (const w of this.#exitWaiters.splice(0)) w();
      events.exit();
    });
    child.on('close', () => {
      this.#closed = true;
      for (const w of this.#closeWaiters.splice(0)) w();
    });
    child.stderr?.on('data', (chunk: Buffer | string) => {
      if (this.#stderr.length < 2000) this.#stderr += String(chunk).slice(0, 2000);
    });
    wire(child, events);
  }

  #stderrHead(): string {
    const t = this.#stderr.trim();
    return t ? `: ${t}` : '';
  }

  /**
   * Whether the kernel kills this instance when the server dies, whatever it is doing: a sandbox's init
   * (`bwrap --die-with-parent`) or a plain process started through `setpriv --pdeathsig KILL`. Only such an
   * instance may be frozen when idle: a stopped plain process would never notice its server is gone.
   */
  get diesWithServer(): boolean {
    return this.#sandbox !== undefined || this.#viaSetpriv;
  }

  /** Host pid of the function's own process (PID 1 of the sandbox's namespace). */
  get pid(): number {
    return this.#pid;
  }

  /**
   * Starts the bootstrap. Resolves once the process exists and (in a sandbox) its network is up; rejects with
   * InternalError when it cannot be started, having cleaned up what it started.
   */
  static async spawn(spec: SpawnSpec, events: ChildEvents): Promise<InstanceProcess> {
    // A sandbox that fails while it is being built (before any of the function's code runs) is tried again:
    // bwrap very rarely fails a namespace step on this kind of host (`loopback: Failed RTM_NEWADDR`).
    for (let attempt = 1; ; attempt++) {
      try {
        return await InstanceProcess.#spawnOnce(spec, events);
      } catch (err) {
        // The failed attempt's exit and disconnect came while the instance had no process yet, which it
        // leaves to this set-up (see Instance): they do not reach the process the next attempt starts.
        if (!isTransientSandboxFailure(err) || attempt >= SANDBOX_SETUP_ATTEMPTS) throw err;
      }
    }
  }

  static async #spawnOnce(spec: SpawnSpec, events: ChildEvents): Promise<InstanceProcess> {
    const sandbox = spec.sandbox;
    const { child, plan, viaSetpriv } = launch(spec);
    if (child.pid === undefined) {
      // spawn failed (ENOENT, EACCES, missing cwd): the error event carries why.
      const cause = await new Promise<unknown>((resolve) => {
        child.once('error', resolve);
        // Held: the start is awaited, and the failed child leaves no handle to keep the loop alive.
        setTimeout(() => resolve(undefined), 1000);
      });
      if (plan?.slot) sandbox?.launcher.removeSlot(plan.slot);
      throw new ScfError('InternalError', `cannot start a process for ${spec.label}`, { cause });
    }
    const proc = new InstanceProcess(child, sandbox, events, spec.countMain);
    proc.#viaSetpriv = viaSetpriv;
    if (!sandbox || !plan) return proc;
    proc.slot = plan.slot;
    // What bwrap printed says why it failed (and whether trying again can help), so a failure waits for
    // the process and its pipes to be done before it is described.
    const fail = async (why: string, cause?: unknown): Promise<ScfError> => {
      proc.kill();
      await proc.waitGone();
      return new ScfError(
        'InternalError',
        `cannot start a sandbox for ${spec.label}: ${why}${proc.#stderrHead()}`,
        {
          cause,
          detail: { sandboxSetup: true },
        },
      );
    };
    let init: number;
    try {
      init = await readChildPid(child, plan.infoFd);
    } catch (err) {
      throw await fail((err as Error).message, err);
    }
    proc.#init = init;
    if (plan.blockFd !== undefined) {
      const block = child.stdio[plan.blockFd] as Writable | null;
      try {
        if (!sandbox.slirp4netns) throw new Error('slirp4netns is not installed');
        proc.#slirp = attachSlirp(sandbox.slirp4netns, init);
        await Promise.race([
          proc.#slirp.ready,
          new Promise((_, reject) => proc.onExit(() => reject(new Error('the sandbox exited')))),
        ]);
      } catch (err) {
        void proc.#slirp?.stop();
        throw await fail((err as Error).message, err);
      }
      block?.end('1');
    }
    // The function's process is the init's child; it exists once the init has forked (right after the
    // block pipe released it).
    const main = await waitForMain(init, () => proc.exited);
    if (main === undefined) throw await fail('the sandbox exited');
    proc.#pid = main;
    proc.tree = new ProcessTree(main, init, spec.countMain);
    return proc;
  }

  get exited(): boolean {
    return this.#exit !== undefined;
  }

  /** How the process ended, in words (`signal SIGKILL`, `exit code 1`). */
  describeExit(): string {
    const e = this.#exit;
    if (!e) return 'still running';
    if (e.signal) return `signal ${e.signal}`;
    // bwrap reports a child killed by a signal as 128 + the signal's number.
    if (this.#sandbox && e.code !== null && e.code > 128) return `signal ${signalName(e.code - 128)}`;
    return `exit code ${e.code}`;
  }

  /** Calls `fn` when the process exits (at once if it has). */
  onExit(fn: () => void): void {
    if (this.#exit) fn();
    else this.#exitWaiters.push(fn);
  }

  send(message: unknown): boolean {
    if (!this.#child.connected) return false;
    try {
      // `send` also says false when the message waits behind a backlog (an event of a megabyte or more
      // does, its write not done in this tick): it is still delivered. Only a closed channel is a failure.
      this.#child.send(message as object);
      return true;
    } catch {
      // The channel closed between the check and the send: the exit handler reports it.
      return false;
    }
  }

  /**
   * Resets the kernel's peak-RSS mark of the main process to what it holds now (`/proc/<pid>/clear_refs`,
   * written by the parent: the function cannot fake it).
   */
  resetPeak(): void {
    try {
      this.#clearRefs ??= openSync(`/proc/${this.pid}/clear_refs`, 'w');
      writeSync(this.#clearRefs, '5');
    } catch {
      // Not allowed here: memUsage then falls back to the watchdog's samples and the peak since start.
    }
    this.tree.resetOthers();
  }

  /**
   * An idle instance is a cache: it must not keep the server's event loop alive by itself. While an
   * invocation runs, or while it is being stopped, its handles hold the loop so the result is delivered.
   */
  holdLoop(hold: boolean): void {
    const c = this.#child;
    const handles: ({ ref(): unknown; unref(): unknown } | null | undefined)[] = [
      c,
      c.channel,
      ...(c.stdio as unknown as (Socket | null)[]),
    ];
    for (const h of handles) {
      // A destroyed pipe (bwrap's info pipe, once read) has nothing to hold, and ref() on it would queue
      // a 'connect' listener each time.
      if (!h || (h as { destroyed?: boolean }).destroyed) continue;
      if (hold) h.ref();
      else h.unref();
    }
  }

  /** SIGKILL to everything the instance started (thawed first is not needed: SIGKILL ends stopped ones). */
  kill(): void {
    this.holdLoop(true);
    if (!this.#exit) {
      if (this.#init !== undefined) {
        // PID 1 of the namespace: its death kills every process left inside, and bwrap, its parent, then
        // reaps it and exits (we reap bwrap). Killing bwrap at the same time would leave the init's corpse
        // to the host's PID 1, in the namespace, until that one gets round to reaping it.
        try {
          process.kill(this.#init, 'SIGKILL');
          this.#killedInit = true;
        } catch {
          killGroup(this.#child.pid ?? this.#pid, this.#child);
        }
      } else {
        killGroup(this.#child.pid ?? this.#pid, this.#child);
      }
    }
    void this.#slirp?.stop();
  }

  /** Resolves when the process has exited and its stdio is drained (each raced against a deadline). */
  waitGone(): Promise<void> {
    this.#gone ??= (async () => {
      if (!this.#exit) {
        const exited = new Promise<void>((resolve) => this.#exitWaiters.push(resolve));
        await Promise.race([exited, delay(KILL_DEADLINE_MS)]);
        if (!this.#exit && this.#killedInit) {
          // bwrap did not follow its init: kill it too.
          killGroup(this.#child.pid ?? this.#pid, this.#child);
          await Promise.race([exited, delay(KILL_DEADLINE_MS)]);
        }
      }
      if (!this.#closed) {
        const closed = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
        await Promise.race([closed, delay(STDIO_GRACE_MS)]);
      }
      // Whatever is still open after the deadlines is abandoned so no handle outlives the instance.
      for (const s of this.#child.stdio) s?.destroy();
      if (this.#child.connected) this.#child.disconnect();
      await this.#slirp?.stop();
      if (this.#clearRefs !== undefined) {
        try {
          closeSync(this.#clearRefs);
        } catch {
          // Already closed.
        }
        this.#clearRefs = undefined;
      }
      if (this.slot) this.#sandbox?.launcher.removeSlot(this.slot);
    })();
    return this.#gone;
  }
}

/** `SIGSEGV` for 11, as Node names signals. */
function signalName(n: number): string {
  const found = Object.entries(constants.signals).find(([, v]) => v === n);
  return found ? found[0] : String(n);
}

function killGroup(pid: number, child: ChildProcess): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // No such group (already reaped, or setsid not done yet): kill the process itself.
    try {
      child.kill('SIGKILL');
    } catch {
      // Gone.
    }
  }
}

function wire(child: ChildProcess, events: ChildEvents): void {
  // A pipe reset by the other side (bwrap closes its info and block pipes once used; a process killed mid-
  // write) is part of a process's end, which the exit handler reports: never an uncaught error.
  for (const s of child.stdio) s?.on('error', () => {});
  const frames = child.stdio[3] as Readable | null;
  if (!frames || !child.stdout || !child.stderr) throw new ScfError('InternalError', 'child stdio missing');
  // A fault of ours while handling what a child sent must not take the server down (it would be an
  // uncaught exception in a socket handler): the instance is killed instead, and its invocation ends as an
  // exit with every line it wrote before.
  const guarded =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch {
        try {
          child.kill('SIGKILL');
        } catch {
          // Gone already.
        }
      }
    };
  frames.setEncoding('utf8');
  frames.on(
    'data',
    guarded((chunk: string) => events.frames(chunk)),
  );
  child.stdout.setEncoding('utf8');
  child.stdout.on(
    'data',
    guarded((chunk: string) => events.raw(1, chunk)),
  );
  child.stderr.setEncoding('utf8');
  child.stderr.on(
    'data',
    guarded((chunk: string) => events.raw(2, chunk)),
  );
  // Errors on the IPC channel (send after the child died, EPIPE): the exit handler does the cleanup.
  child.on('error', () => {
    try {
      child.kill('SIGKILL');
    } catch {
      // Gone.
    }
  });
  child.on('disconnect', () => events.disconnect());
}
