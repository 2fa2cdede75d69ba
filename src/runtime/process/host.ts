/**
 * The child side shared by the languages whose function is a program of its own, `scf_bootstrap` (the
 * Custom Runtime, `../custom/bootstrap.ts`; web functions, `../web/bootstrap.ts`): a small Node process
 * that speaks the instance protocol (`protocol.ts`) with the parent and hosts that program.
 *
 * - Frames go to fd 3 with synchronous writes (`writeFrame`).
 * - The program's stdout and stderr are the function's log, raw, within the invocation's budget; output
 *   while no invocation runs (its init, work after an answer) is kept (within one budget) and delivered
 *   with the next invocation, as after a thaw.
 * - `start` enters the code folder and starts `./scf_bootstrap` there; a start that fails (`failInit`)
 *   says why and the last of what the program printed on fd 2 (the parent's start-up error), then exits
 *   with CHILD_EXIT.INIT. Once the program is up (`follow`), its exit is this process's, with its code: the
 *   parent records a 439 ("exit code N") when an invocation was running.
 * - `serve` runs the message loop: `init` once, then `invoke`s one at a time; when the parent is gone the
 *   program goes with this process.
 *
 * This process is platform machinery: its own memory is not the function's (`countMain: false`). It imports
 * nothing of the project but the protocol's types, the UTF-8 budget and the retCodes, all copied into
 * every sandbox with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, writeSync } from 'node:fs';
import { constants as os } from 'node:os';
import { fitUtf8 } from '../utf8.js';
import {
  CHILD_EXIT,
  type ChildFrame,
  FRAME_FD,
  type InitMessage,
  type InvokeMessage,
  parseParentMessage,
} from './protocol.js';

/** The function's own program, in its code folder. */
export const BOOTSTRAP = 'scf_bootstrap';

/** Writes one frame to the parent, synchronously (a frame is in the kernel before the next statement). */
export function writeFrame(frame: ChildFrame): void {
  const buf = Buffer.from(`${JSON.stringify(frame)}\n`, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(FRAME_FD, buf, off, buf.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      process.exit(CHILD_EXIT.PROTOCOL);
    }
  }
}

/** What the host knows of the running invocation. */
interface Running {
  id: string;
  /** Log bytes sent for it. */
  sent: number;
  /** Log bytes dropped for it (the budget was spent). */
  dropped: number;
  /** Its result is on its way (a second one is ignored). */
  finishing: boolean;
}

export class BootstrapHost {
  /** The function this process is bound to, once `init` came. */
  init: InitMessage | undefined;
  /** The function's program, once started. */
  child: ChildProcess | undefined;
  #running: Running | undefined;
  /** Output while no invocation runs, for the next one. */
  #pending: string[] = [];
  #pendingBytes = 0;
  #pendingDropped = 0;

  /** The request id of the invocation running now. */
  get runningId(): string | undefined {
    return this.#running?.id;
  }

  /** Takes a piece of the program's output into the log of the running invocation, or keeps it for the next. */
  emit = (text: string): void => {
    const cap = this.init?.maxLogBytes ?? 1024 * 1024;
    const cur = this.#running;
    if (!cur) {
      const fit = fitUtf8(text, { room: cap - this.#pendingBytes, dropping: this.#pendingDropped > 0 });
      if (fit.kept) this.#pending.push(fit.kept);
      this.#pendingBytes += fit.keptBytes;
      this.#pendingDropped += fit.dropped;
      return;
    }
    const fit = fitUtf8(text, { room: cap - cur.sent, dropping: cur.dropped > 0 });
    if (fit.kept) writeFrame({ t: 'log', d: fit.kept });
    cur.sent += fit.keptBytes;
    cur.dropped += fit.dropped;
  };

  /** An invocation starts: what was printed since the last one is the top of its log. */
  begin(msg: InvokeMessage): void {
    if (!this.init || this.#running) process.exit(CHILD_EXIT.PROTOCOL);
    this.#running = { id: msg.id, sent: 0, dropped: this.#pendingDropped, finishing: false };
    const carried = this.#pending;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#pendingDropped = 0;
    for (const text of carried) this.emit(text);
  }

  /**
   * The running invocation's result. What the program printed just before it answered is in its stdout
   * and stderr pipes, which may be read in this same turn of the event loop but after the answer: the
   * result goes once this turn's reads are done, so those lines are this invocation's. Only the first
   * result of an invocation counts.
   */
  async finish(
    frame:
      | { ok: true; ret: string }
      | { ok: false; code: 430 | 437; msg: string; stack: string; fatal: boolean },
  ): Promise<void> {
    const cur = this.#running;
    if (!cur || cur.finishing) return;
    cur.finishing = true;
    await new Promise((resolve) => setImmediate(resolve));
    writeFrame({ t: 'done', id: cur.id, drop: cur.dropped, ...frame });
    this.#running = undefined;
  }

  /** Fails the start: why and the last of what the program printed go to fd 2, then this process exits. */
  failInit(why: string, code: number = CHILD_EXIT.INIT): never {
    const printed = this.#pending.join('').trim();
    writeSync(2, `${why}${printed ? `; it printed: ${printed.slice(-1500)}` : ''}\n`);
    this.child?.kill('SIGKILL');
    process.exit(code);
  }

  /**
   * Enters the code folder and starts `./scf_bootstrap` with `env`, its output into the log. Resolves
   * `exited` with how it ended (`exit code N`, `signal S`, or why it could not start). Fails the start
   * when there is no executable scf_bootstrap (`what` says which kind of function needs it).
   */
  start(env: Record<string, string>, what: string): { child: ChildProcess; exited: Promise<string> } {
    const msg = this.init;
    if (!msg) process.exit(CHILD_EXIT.PROTOCOL);
    try {
      process.chdir(msg.codeDir);
      accessSync(BOOTSTRAP, constants.X_OK);
    } catch {
      this.failInit(`the code has no executable ${BOOTSTRAP}: ${what} starts ./${BOOTSTRAP}`);
    }
    const c = spawn(`./${BOOTSTRAP}`, [], { cwd: msg.codeDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = c;
    c.stdout?.setEncoding('utf8').on('data', this.emit);
    c.stderr?.setEncoding('utf8').on('data', this.emit);
    const exited = new Promise<string>((resolve) => {
      c.once('error', (err) => resolve(`${BOOTSTRAP} could not start: ${err.message}`));
      c.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
    });
    return { child: c, exited };
  }

  /** From now on the program's end is the instance's: this process exits with its code. */
  follow(c: ChildProcess, exited: Promise<string>): void {
    void exited.then(() => {
      const code = c.exitCode ?? (c.signalCode ? 128 + (os.signals[c.signalCode] ?? 9) : 1);
      // Its last output is read before leaving (the pipes close after the exit).
      setImmediate(() => process.exit(code));
    });
  }
}

/**
 * The message loop: `bind` for `init` (once; it answers `bound` itself when the program is ready),
 * `invoke` for each invocation (after `host.begin`). Says `ready` to the parent first.
 */
export function serve(
  host: BootstrapHost,
  handlers: { bind(msg: InitMessage): Promise<void>; invoke(msg: InvokeMessage): void },
): void {
  process.on('message', (raw: unknown) => {
    const msg = parseParentMessage(raw);
    if (!msg) process.exit(CHILD_EXIT.PROTOCOL);
    if (msg.t === 'init') {
      if (host.init || typeof (raw as { initTimeout?: unknown }).initTimeout !== 'number') {
        process.exit(CHILD_EXIT.PROTOCOL);
      }
      host.init = msg;
      void handlers.bind(msg);
    } else if (msg.t === 'load') {
      // Never sent: the languages served here do not preload (their init is the binding).
      process.exit(CHILD_EXIT.PROTOCOL);
    } else {
      host.begin(msg);
      handlers.invoke(msg);
    }
  });
  // The parent is gone: nobody can send work any more; the program goes with us.
  process.on('disconnect', () => {
    host.child?.kill('SIGKILL');
    process.exit(0);
  });
  writeFrame({ t: 'ready', pid: process.pid });
}

/** Races the program's readiness against its exit and the init timeout; fails the start on either. */
export async function awaitReady(
  host: BootstrapHost,
  parts: {
    ready: Promise<void>;
    exited: Promise<string>;
    initTimeoutS: number;
    /** What did not happen in time (`scf_bootstrap did not call POST /runtime/init/ready`). */
    notReady: string;
    /** Ready, as said of an exit that came first (`reported ready`). */
    readyWord: string;
  },
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, parts.initTimeoutS * 1000);
  });
  const first = await Promise.race([
    parts.ready.then(() => 'ready' as const),
    parts.exited.then((how) => ({ how })),
    timedOut.then(() => 'timeout' as const),
  ]);
  clearTimeout(timer);
  if (first === 'timeout') host.failInit(`${parts.notReady} within ${parts.initTimeoutS} s (init timeout)`);
  if (first !== 'ready') host.failInit(`${BOOTSTRAP} ended (${first.how}) before it ${parts.readyWord}`);
}
