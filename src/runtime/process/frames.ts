/**
 * The parent's side of the frame pipe (protocol.ts): reading frames, and the start-up handshake.
 *
 * Reading: NDJSON split into lines, each line checked on receipt. A line longer than any honest frame (the
 * largest is a 6 MB result, escaped) is a protocol fault, so a function writing garbage to fd 3 cannot grow
 * the server's memory. Consecutive `log` frames of one read are handed on as one `log` frame (their texts
 * joined, in order): a function printing 60,000 lines costs the server one log step per pipe read (up to
 * 64 KB, ~700 lines), not one per line. Every other frame, and a fault, comes after the log text read before it.
 *
 * Handshake: a new process says `ready` once it listens; after `init` it says `bound`. Each is waited for
 * raced against the process's exit and a deadline.
 */
import {
  type BoundFrame,
  type ChildFrame,
  type LoadedFrame,
  parseChildFrame,
  type ReadyFrame,
} from './protocol.js';

/** Longest frame line accepted: a result at SCF's 6 MB cap, JSON-escaped twice at worst, plus room. */
export const MAX_FRAME_CHARS = 16 * 1024 * 1024;

/** Deadline for a new process to say `ready`, and for `bound` after `init` (generous: the machine may be busy). */
export const START_DEADLINE_MS = 15_000;

export class FrameReader {
  #tail = '';
  readonly #onFrame: (frame: ChildFrame) => void;
  readonly #onFault: (why: string) => void;

  constructor(onFrame: (frame: ChildFrame) => void, onFault: (why: string) => void) {
    this.#onFrame = onFrame;
    this.#onFault = onFault;
  }

  push(chunk: string): void {
    const buf = this.#tail + chunk;
    let start = 0;
    /** Texts of the `log` frames read since the last other frame, not handed on yet. */
    let logs: string[] = [];
    const flushLogs = (): void => {
      if (logs.length === 0) return;
      const d = logs.length === 1 ? (logs[0] as string) : logs.join('');
      logs = [];
      this.#onFrame({ t: 'log', d });
    };
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', start)) {
      const line = buf.slice(start, nl);
      start = nl + 1;
      if (line.length === 0) continue;
      const frame = parseChildFrame(line);
      if (frame?.t === 'log') {
        logs.push(frame.d);
        continue;
      }
      flushLogs();
      if (frame) this.#onFrame(frame);
      else this.#onFault('malformed frame');
    }
    flushLogs();
    this.#tail = buf.slice(start);
    if (this.#tail.length > MAX_FRAME_CHARS) {
      this.#tail = '';
      this.#onFault('frame too long');
    }
  }
}

/** A frame of the handshake. */
export type HandshakeFrame = (ReadyFrame | BoundFrame | LoadedFrame)['t'];

/** What a handshake wait needs of the process (`InstanceProcess`). */
export interface Exiting {
  onExit(fn: () => void): void;
  describeExit(): string;
}

export interface HandshakeWait {
  /** Asked when the frame arrives: true when the wait must fail anyway (the runtime is closing). */
  cancelled: () => boolean;
  /**
   * Called once, synchronously, when the wait fails (`why`: the process exited, the deadline passed, or it
   * was cancelled); the wait rejects with what it returns.
   */
  fail: (why: string) => Error;
  /** The wait's deadline, ms (default START_DEADLINE_MS). */
  deadlineMs?: number;
}

/** One instance's handshake: at most one wait open at a time. */
export class Handshake {
  #expecting: { frame: HandshakeFrame; arrived: () => void } | undefined;
  /** `ready` arrived before the wait for it began. */
  #readySeen = false;

  /** True while a wait is open. */
  get waiting(): boolean {
    return this.#expecting !== undefined;
  }

  /**
   * Hands over a `ready` or `bound` frame; false when nothing expected it (a protocol fault). `early`: the
   * process is still being set up, when a sandbox's process can be ready before the set-up finished on this
   * side (before the wait began): that `ready` is kept for the wait.
   */
  receive(frame: HandshakeFrame, early: boolean): boolean {
    if (this.#expecting?.frame === frame) this.#expecting.arrived();
    else if (frame === 'ready' && early && !this.#readySeen) this.#readySeen = true;
    else return false;
    return true;
  }

  /** Waits for `frame`, raced against `proc`'s exit and a deadline (START_DEADLINE_MS unless told). */
  wait(frame: HandshakeFrame, proc: Exiting, hooks: HandshakeWait): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (this.#expecting === expectation) this.#expecting = undefined;
        reject(hooks.fail(why));
      };
      const expectation = {
        frame,
        arrived: () => {
          if (settled) return;
          clearTimeout(deadline);
          this.#expecting = undefined;
          if (hooks.cancelled()) fail('runtime closed');
          else {
            settled = true;
            resolve();
          }
        },
      };
      // Unref'd: whoever waits on a process holds the loop through its handles; a stem cell must not.
      const deadlineMs = hooks.deadlineMs ?? START_DEADLINE_MS;
      const deadline = setTimeout(() => fail(`no ${frame} signal within ${deadlineMs} ms`), deadlineMs);
      deadline.unref();
      if (frame === 'ready' && this.#readySeen) {
        clearTimeout(deadline);
        settled = true;
        resolve();
        return;
      }
      this.#expecting = expectation;
      proc.onExit(() => {
        if (this.#expecting === expectation) fail(`process exited (${proc.describeExit()})`);
      });
    });
  }
}
