/**
 * Every process of one instance, read from the host's side without trusting anything the function says.
 *
 * A sandboxed instance is a pid namespace: PID 1 is bwrap's init (host pid `init`, platform machinery, not
 * counted), PID 2 the function's main process, then whatever it starts. The namespace's own procfs, reached
 * from the host as `/proc/<init>/root/proc`, lists exactly the processes inside (a readdir of a handful of
 * entries): that is how the watchdog sums the memory of all of them, children, setsid'd daemons and all.
 * Signalling needs host pids: the main one is found once (the child of the init), the others, only when
 * there are any, by matching `/proc/<pid>/ns/pid` of the host's processes with the instance's namespace.
 *
 * Without a sandbox (`runtime.sandbox: "off"`) the instance is its process group: only the main process is
 * measured and frozen (children are not, as documented in docs/security.md).
 */
import {
  closeSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  writeFileSync,
} from 'node:fs';

/** One buffer for every small /proc read of this thread (stat, status: well under 4 KiB). */
const procBuf = Buffer.allocUnsafe(4096);

/**
 * A small /proc file's text: one open, one read, one close (12 µs here, where readFileSync takes 42:
 * procfs reports size 0, so it reads in growing chunks). A file that fills the buffer is read whole.
 * Throws as readFileSync does (the process is gone).
 */
function readProc(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const n = readSync(fd, procBuf, 0, procBuf.length, 0);
    if (n < procBuf.length) return procBuf.toString('latin1', 0, n);
  } finally {
    closeSync(fd);
  }
  return readFileSync(path, 'latin1');
}

/** Bytes of a `/proc/.../status` field (`VmRSS`, `VmHWM`), or undefined when unreadable (gone). */
export function statusBytes(path: string, field: 'VmRSS' | 'VmHWM'): number | undefined {
  let text: string;
  try {
    text = readProc(path);
  } catch {
    return undefined;
  }
  const at = text.indexOf(`${field}:`);
  if (at < 0) return undefined;
  const m = /^\w+:\s+(\d+) kB/.exec(text.slice(at, at + 40));
  return m?.[1] ? Number(m[1]) * 1024 : undefined;
}

/**
 * CPU time (user + system, of the process and of its children it reaped), clock ticks, or undefined.
 * `childrenOnly`: only the reaped children's part.
 */
export function cpuTicks(pid: number, childrenOnly = false): number | undefined {
  let text: string;
  try {
    text = readProc(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  // Fields after the command name (which may contain spaces and parentheses): state is field 3.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // utime, stime, cutime, cstime are fields 14-17, i.e. rest[11..14].
  let sum = 0;
  for (let i = childrenOnly ? 13 : 11; i <= 14; i++) sum += Number(rest[i] ?? 0);
  return Number.isFinite(sum) ? sum : undefined;
}

/** The pids listed in a procfs folder (its numeric entries); empty when it cannot be read (gone). */
function pidsIn(proc: string): number[] {
  let names: string[];
  try {
    names = readdirSync(proc);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    const c = name.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(name));
  }
  return out;
}

/**
 * The direct children of a host process: the kernel's own list (`/proc/<pid>/task/<pid>/children`), or
 * where the kernel has none, a scan of every process's parent.
 */
function childrenOf(pid: number): number[] {
  try {
    const text = readProc(`/proc/${pid}/task/${pid}/children`).trim();
    return text === '' ? [] : text.split(' ').map(Number);
  } catch {
    return pidsIn('/proc').filter((p) => parentOf(p) === pid);
  }
}

/** The parent pid of a host process, or undefined when it is gone. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readProc(`/proc/${pid}/stat`);
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** True when host process `pid` is in the pid namespace `ns` (its `/proc/<pid>/ns/pid` link). */
function inNamespace(pid: number, ns: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`) === ns;
  } catch {
    // Gone, or not ours to read: not in the namespace either way.
    return false;
  }
}

/** Linux's USER_HZ: /proc reports CPU times in these ticks (100 on every mainstream architecture). */
export const TICKS_PER_SECOND = 100;

/** The pid of the namespace's main process, in the namespace's own numbering (bwrap's init is 1). */
const MAIN = 2;

export class ProcessTree {
  /** Host pid of the main process. */
  readonly root: number;
  /** Host pid of bwrap's init (the namespace's PID 1); undefined without a sandbox. */
  readonly #init: number | undefined;
  #pidns: string | undefined;
  /** Host pids stopped by `freeze()`, continued by `thaw()`. */
  #frozen: number[] = [];

  /**
   * The main process's memory is the function's (true), or the platform's (false: a language whose main
   * process only hosts the function's own processes, as the Custom Runtime's runtime API server does):
   * then only the other processes of the instance are measured.
   */
  readonly #countMain: boolean;

  /** `root` = the main process's host pid; `init` = the namespace's PID 1 host pid, when sandboxed. */
  constructor(root: number, init?: number, countMain = true) {
    this.root = root;
    this.#init = init;
    this.#countMain = countMain;
  }

  /**
   * The host pid of the child of `init` (the main process of a sandbox), or undefined: a scan of /proc,
   * done once per instance when it starts.
   */
  static findChild(init: number): number | undefined {
    // Pids are handed out in order: the child is almost always one of the next few.
    for (let pid = init + 1; pid <= init + 8; pid++) if (parentOf(pid) === init) return pid;
    return pidsIn('/proc').find((pid) => parentOf(pid) === init);
  }

  /** Pids inside the namespace but its init (its own numbering; 2 = the main process). */
  #inside(): number[] {
    if (this.#init === undefined) return [MAIN];
    return pidsIn(`/proc/${this.#init}/root/proc`).filter((pid) => pid !== 1);
  }

  /**
   * `/proc/.../status` paths of the processes measured besides the main one's, when the main process is
   * not counted: every other process of the sandbox, or without one the main process's direct children.
   */
  #othersStatus(): string[] {
    if (this.#init !== undefined) {
      return this.#inside()
        .filter((pid) => pid !== MAIN)
        .map((pid) => `/proc/${this.#init}/root/proc/${pid}/status`);
    }
    return childrenOf(this.root).map((pid) => `/proc/${pid}/status`);
  }

  /** The sum of one status field over `#othersStatus()` (a process gone meanwhile counts 0). */
  #othersTotal(field: 'VmRSS' | 'VmHWM'): number {
    let total = 0;
    for (const path of this.#othersStatus()) total += statusBytes(path, field) ?? 0;
    return total;
  }

  /** Total resident memory of every process of the instance, bytes; undefined once it is gone. */
  rss(): number | undefined {
    if (!this.#countMain) {
      if (statusBytes(`/proc/${this.root}/status`, 'VmRSS') === undefined) return undefined;
      return this.#othersTotal('VmRSS');
    }
    const inside = this.#inside();
    if (inside.length <= 1) return statusBytes(`/proc/${this.root}/status`, 'VmRSS');
    let total = 0;
    for (const pid of inside) {
      total += statusBytes(`/proc/${this.#init}/root/proc/${pid}/status`, 'VmRSS') ?? 0;
    }
    return total;
  }

  /**
   * Memory the instance holds at the end of an invocation, bytes: the main process's high-water mark
   * (reset by `resetPeak()` at the start) plus what every other process of the instance holds now.
   */
  peak(): number | undefined {
    const main = statusBytes(`/proc/${this.root}/status`, 'VmHWM');
    if (main === undefined) return undefined;
    // The others' high-water marks, reset at the start (`resetOthers`): long-lived processes, such as a
    // Custom Runtime's bootstrap, peak within the invocation.
    if (!this.#countMain) return this.#othersTotal('VmHWM');
    const inside = this.#inside();
    let others = 0;
    for (const pid of inside) {
      if (pid === MAIN) continue;
      others += statusBytes(`/proc/${this.#init}/root/proc/${pid}/status`, 'VmRSS') ?? 0;
    }
    return main + others;
  }

  /** When the main process is not counted: resets the others' high-water marks (the invocation starts). */
  resetOthers(): void {
    if (this.#countMain) return;
    for (const path of this.#othersStatus()) {
      try {
        writeFileSync(path.replace(/status$/, 'clear_refs'), '5');
      } catch {
        // Gone, or not allowed: the watchdog's samples still bound the figure.
      }
    }
  }

  /**
   * CPU ticks used so far by every process of the instance: the main process with the children it reaped,
   * the others alive now, and (through the init's reaped-children count) the orphans that already ended.
   */
  cpu(): number {
    let total = cpuTicks(this.root) ?? 0;
    if (this.#init !== undefined) {
      total += cpuTicks(this.#init, true) ?? 0;
      const inside = this.#inside();
      if (inside.length > 1) {
        for (const pid of this.#hostPids(inside)) if (pid !== this.root) total += cpuTicks(pid) ?? 0;
      }
    }
    return total;
  }

  /**
   * The last scan's answer, and the namespace's own pid list it was made for: while that list is the same
   * (nothing forked or exited inside), the same host pids are the answer, each checked to still be in the
   * namespace (a pid reused by another process never is). A scan reads every host process's namespace
   * link (milliseconds on a busy host); an instance of several processes (a Custom Runtime's, a function
   * with a subprocess) is frozen, thawed and measured at every invocation.
   */
  #scan: { inside: string; pids: number[] } | undefined;

  /** Host pids of every process in the namespace but its init (the main process first). */
  #hostPids(inside: number[] = this.#inside()): number[] {
    if (this.#init === undefined) return [this.root];
    const ns = this.#namespace();
    if (ns === undefined) return [];
    const key = inside.join(',');
    const last = this.#scan;
    if (last && last.inside === key && last.pids.every((pid) => inNamespace(pid, ns))) return last.pids;
    const out = [this.root];
    for (const pid of pidsIn('/proc')) {
      if (pid === this.root || pid === this.#init) continue;
      if (inNamespace(pid, ns)) out.push(pid);
    }
    this.#scan = { inside: key, pids: out };
    return out;
  }

  #namespace(): string | undefined {
    if (this.#pidns) return this.#pidns;
    try {
      this.#pidns = readlinkSync(`/proc/${this.root}/ns/pid`);
    } catch {
      return undefined;
    }
    return this.#pidns;
  }

  /**
   * Stops every process of the instance (SIGSTOP): between invocations it uses no CPU and cannot grow, as
   * SCF and Lambda freeze their instances. A process cannot fork while stopped, so a second look that finds
   * nothing new means the whole namespace is stopped.
   */
  freeze(): void {
    const stopped = new Set<number>();
    const stop = (pid: number) => {
      if (stopped.has(pid)) return;
      try {
        process.kill(pid, 'SIGSTOP');
        stopped.add(pid);
      } catch {
        // Gone already.
      }
    };
    stop(this.root);
    let inside = this.#inside();
    for (let round = 0; inside.length > stopped.size && round < 10; round++) {
      for (const pid of this.#hostPids(inside)) stop(pid);
      inside = this.#inside();
    }
    this.#frozen = [...stopped];
  }

  /** Continues what `freeze()` stopped (timers then fire, work resumes). */
  thaw(): void {
    for (const pid of this.#frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // Gone: nothing to continue.
      }
    }
    this.#frozen = [];
  }
}
