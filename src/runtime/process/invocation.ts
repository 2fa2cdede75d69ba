/**
 * The invocation side of an instance. `Invocation`: one invocation as the parent sees it: its log, its
 * timer, the peak memory the watchdog saw, its CPU start mark, the decision that ended it (if the platform
 * ended it), and the figures its result is built from (`../results.ts` assembles it). `InvocationRunner`:
 * the one invocation an instance runs at a time, from `invoke` to its result: the watchdog's samples, the
 * `done` frame, and the platform's decision to end it (timeout, memory, exit, protocol fault, interrupt).
 *
 * Every figure is measured here, on the host's side: duration on the parent's monotonic clock from the
 * `invoke` message to the `done` frame, memory and CPU from `/proc`; nothing the function's process says
 * about itself is believed.
 */
import { performance } from 'node:perf_hooks';
import { LogCollector, userLogBudget } from '../log.js';
import type { MemoryWatchdog, Watched } from '../memory.js';
import {
  type Ending,
  endedResult,
  errorJson,
  type LogSettings,
  MAX_RESULT_BYTES,
  type Outcome,
  outcomeResult,
  RET_CODE,
} from '../results.js';
import { type ProcessTree, TICKS_PER_SECOND } from '../sandbox/tree.js';
import type { RunRequest, RunResult } from '../types.js';
import type { InstanceProcess } from './child.js';
import type { DoneErrorFrame, DoneOkFrame } from './protocol.js';

export interface InvocationSettings extends LogSettings {
  /** stderr text by which the interpreter says it ran out of memory (the language's `memoryFailure`). */
  memoryFailure?: RegExp | undefined;
}

/** What the parent measured of an invocation. */
export interface Figures {
  /** ms. */
  duration: number;
  /** Bytes. */
  memUsage: number;
  /** ms. */
  cpuTime: number;
}

export class Invocation {
  readonly req: RunRequest;
  readonly startTime: number;
  readonly coldStart: boolean;
  readonly log: LogCollector;
  readonly #settings: InvocationSettings;
  readonly #t0 = performance.now();
  readonly #cpu0: number;
  #timer: NodeJS.Timeout;
  /** Highest total RSS the watchdog saw (the only figure left once a process died). */
  maxRss = 0;
  /** Set once the platform decided to end it (then a late `done` is ignored, but for an exit's: see below). */
  ending: Ending | undefined;
  /**
   * A result the process wrote before it exited, read only after its exit was seen (the pipes and the exit
   * are separate events): it stands, as the function's own answer (e.g. 437, then the bootstrap exits).
   */
  resultBeforeExit: DoneOkFrame | DoneErrorFrame | undefined;

  constructor(
    req: RunRequest,
    opts: { startTime: number; coldStart: boolean; cpu0: number; onTimeout: () => void },
    settings: InvocationSettings,
  ) {
    this.req = req;
    this.startTime = opts.startTime;
    this.coldStart = opts.coldStart;
    this.#cpu0 = opts.cpu0;
    this.#settings = settings;
    this.log = new LogCollector(req.requestId, userLogBudget(settings.maxLogBytes), req.onLog);
    this.#timer = setTimeout(opts.onTimeout, req.fn.timeout * 1000);
  }

  /** ms since the invoke message went out; a timed-out invocation ran at least its whole limit. */
  elapsed(): number {
    const ms = performance.now() - this.#t0;
    // libuv timers run on a millisecond loop clock and can fire a fraction of a ms before the monotonic
    // clock says the timeout has passed.
    return this.ending?.kind === 'timeout' ? Math.max(ms, this.req.fn.timeout * 1000) : ms;
  }

  stopTimer(): void {
    clearTimeout(this.#timer);
  }

  /** Figures of an invocation that reached its end in a live process, read from its process tree. */
  measure(tree: ProcessTree): Figures {
    // The clock first: the /proc reads after it are not the function's time.
    const duration = this.elapsed();
    const peak = tree.peak();
    const cpuTime = Math.max(0, ((tree.cpu() - this.#cpu0) * 1000) / TICKS_PER_SECOND);
    return { duration, memUsage: Math.max(peak ?? 0, this.maxRss), cpuTime };
  }

  /**
   * Figures of an invocation the platform ends: from its tree while the process lives (`tree`), else what
   * is known without one (the watchdog's peak, no CPU time).
   */
  measureEnded(tree: ProcessTree | undefined): Figures {
    const figures = tree
      ? this.measure(tree)
      : { duration: this.elapsed(), memUsage: this.maxRss, cpuTime: 0 };
    figures.memUsage = Math.max(figures.memUsage, this.maxRss);
    return figures;
  }

  /**
   * The result of what the function produced (its `done` frame): its value, its error, or retCode 407 when
   * the value is larger than SCF's 6 MB limit (then `ending` says so).
   */
  resultOf(frame: DoneOkFrame | DoneErrorFrame, figures: Figures): RunResult {
    const retBytes = frame.ok ? Buffer.byteLength(frame.ret, 'utf8') : 0;
    if (frame.ok && retBytes > MAX_RESULT_BYTES) {
      this.ending = { kind: 'too-large', bytes: retBytes };
      return this.endedResult(figures);
    }
    const outcome: Outcome = frame.ok
      ? { retCode: RET_CODE.SUCCESS, retMsg: frame.ret, errMsg: '' }
      : {
          retCode: frame.code,
          retMsg: errorJson(frame.msg, this.req.requestId, frame.code, frame.stack),
          errMsg: frame.msg,
        };
    return outcomeResult(this.req, { run: this.#run(figures, frame.drop), outcome, log: this.#settings });
  }

  /** The result of an invocation the platform ended (`this.ending`). */
  endedResult(figures: Figures): RunResult {
    const ending = this.ending ?? { kind: 'exit', how: 'unknown' };
    return endedResult(this.req, { run: this.#run(figures, 0), ending, log: this.#settings });
  }

  /** `figures` with the collected log; `drop` = log bytes the child dropped before they crossed the pipe. */
  #run(figures: Figures, drop: number) {
    const { text, dropped } = this.log.finish(drop);
    return { ...figures, startTime: this.startTime, coldStart: this.coldStart, user: text, dropped };
  }
}

/** What an instance's invocation side needs of the instance: its process, and its state machine's moves. */
export interface RunHost {
  proc: () => InstanceProcess;
  watchdog: MemoryWatchdog;
  /** The instance, as the watchdog samples it. */
  watched: Watched;
  memoryLimitBytes: number;
  settings: InvocationSettings;
  /** A result is in: the process rests (frozen) for the next invocation, or is stopped (`fatal`, or not reusable). */
  rest: (fatal: boolean) => void;
  /** The platform ends the invocation: the process is stopped; resolves once it is gone and its stdio closed. */
  end: () => Promise<void>;
}

/** Runs an instance's invocations, one at a time; every one of them ends with a result. */
export class InvocationRunner {
  readonly #host: RunHost;
  #current: Invocation | undefined;
  #resolve: ((r: RunResult) => void) | undefined;
  /** The interpreter said on stderr that its memory is exhausted: the exit that follows is a memory failure. */
  #heapOom = false;

  constructor(host: RunHost) {
    this.#host = host;
  }

  /** True while an invocation runs that the platform has not decided to end. */
  get running(): boolean {
    return this.#current !== undefined && !this.#current.ending;
  }

  /**
   * Runs one invocation (`invoke` to the process); resolves with its result whatever the function does. One
   * that cannot start (`interrupted`: the runtime is closing; or the process exited) ends at once.
   */
  run(
    req: RunRequest,
    opts: { startTime: number; coldStart: boolean; interrupted: boolean },
  ): Promise<RunResult> {
    return new Promise<RunResult>((resolve) => {
      const proc = this.#host.proc();
      proc.tree.thaw();
      proc.resetPeak();
      const inv = new Invocation(
        req,
        {
          startTime: opts.startTime,
          coldStart: opts.coldStart,
          cpu0: proc.tree.cpu(),
          onTimeout: () => this.abort({ kind: 'timeout' }),
        },
        this.#host.settings,
      );
      this.#resolve = resolve;
      this.#current = inv;
      if (opts.interrupted || proc.exited) {
        this.abort(opts.interrupted ? { kind: 'interrupt' } : { kind: 'exit', how: proc.describeExit() });
        return;
      }
      proc.holdLoop(true);
      this.#host.watchdog.watch(this.#host.watched);
      const signal = req.signal;
      if (signal) {
        const onAbort = (): void => {
          if (this.#current === inv) this.abort({ kind: 'terminated' });
        };
        if (signal.aborted) queueMicrotask(onAbort);
        else signal.addEventListener('abort', onAbort, { once: true });
      }
      if (!proc.send({ t: 'invoke', id: req.requestId, q: req.qualifier, ev: req.event })) {
        this.abort({ kind: 'protocol', why: 'the instance no longer listens' });
      }
    });
  }

  /** Watchdog sample: remembers the peak; ends the invocation when over memorySize. */
  sample(rss: number): void {
    const inv = this.#current;
    if (!inv) return;
    if (rss > inv.maxRss) inv.maxRss = rss;
    if (rss > this.#host.memoryLimitBytes) this.abort({ kind: 'memory' });
  }

  /** Formatted log text (a `log` frame). Frames after an ending was decided still count: they were written before the kill. */
  log(text: string): void {
    this.#current?.log.addFormatted(text);
  }

  /** Raw output on fd 1 or 2; false when no invocation takes it. */
  raw(fd: 1 | 2, text: string): boolean {
    if (fd === 2 && this.#host.settings.memoryFailure?.test(text)) this.#heapOom = true;
    const inv = this.#current;
    if (!inv) return false;
    inv.log.addRaw(fd, text);
    return true;
  }

  /** A `done` frame; false when it belongs to no running invocation (a protocol fault). */
  done(frame: DoneOkFrame | DoneErrorFrame): boolean {
    const inv = this.#current;
    if (!inv || frame.id !== inv.req.requestId) return false;
    // A result written after we decided to kill is ignored: the decision stands (timeout wins a tie). A
    // process that exits wrote its result before its exit, whenever the exit was seen.
    if (inv.ending) {
      if (inv.ending.kind === 'exit') inv.resultBeforeExit ??= frame;
      return true;
    }
    const figures = inv.measure(this.#host.proc().tree);
    // The peak at the end counts as much as a sample: a short burst past the limit between two samples is
    // still a memory failure, not a success that reports more memory than the function has.
    if (figures.memUsage > this.#host.memoryLimitBytes) {
      if (figures.memUsage > inv.maxRss) inv.maxRss = figures.memUsage;
      this.abort({ kind: 'memory' });
      return true;
    }
    inv.stopTimer();
    this.#host.watchdog.unwatch(this.#host.watched);
    this.#current = undefined;
    const result = inv.resultOf(frame, figures);
    // The child exits by itself after a fatal result; the host's kill makes sure of it.
    this.#host.rest(!frame.ok && frame.fatal);
    this.#settle(result);
    return true;
  }

  /**
   * Ends the running invocation on the parent's decision (timeout, memory, interrupt, protocol fault) or
   * because the process exited. The peak memory is read before the kill; the result is built only once the
   * child's stdio has closed, so every line it wrote before dying is in the log.
   */
  abort(ending: Ending): void {
    const inv = this.#current;
    if (!inv || inv.ending) return;
    // An interpreter's memory abort (V8's heap) shows as an exit with its message on stderr: a memory failure.
    inv.ending = ending.kind === 'exit' && this.#heapOom ? { kind: 'memory' } : ending;
    inv.stopTimer();
    this.#host.watchdog.unwatch(this.#host.watched);
    const proc = this.#host.proc();
    const figures = inv.measureEnded(proc.exited ? undefined : proc.tree);
    // Settled a turn after the process and its pipes are done: a result frame read in that last turn (its
    // handling waits for the turn's reads, see Instance) is taken first.
    void this.#host.end().then(() =>
      setImmediate(() => {
        this.#current = undefined;
        if (inv.ending?.kind === 'exit' && this.#heapOom) inv.ending = { kind: 'memory' };
        const before = inv.resultBeforeExit;
        this.#settle(
          before && inv.ending?.kind === 'exit' ? inv.resultOf(before, figures) : inv.endedResult(figures),
        );
      }),
    );
  }

  #settle(result: RunResult): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(result);
  }
}
