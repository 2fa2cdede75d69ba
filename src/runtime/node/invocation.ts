/**
 * One invocation as the parent sees it: its log, its timer, the peak memory the watchdog saw, its CPU
 * start mark, the decision that ended it (if the platform ended it), and how its result is built. Every
 * figure of the result is measured here, on the host's side: duration on the parent's monotonic clock from
 * the `invoke` message to the `done` frame, memory and CPU from `/proc`; nothing the function's process
 * says about itself is believed.
 */
import { performance } from 'node:perf_hooks';
import { buildFinalLog, LogCollector, type LogFormat, userLogBudget } from '../log.js';
import { describeEnding, type Ending, errorJson } from '../results.js';
import { TICKS_PER_SECOND } from '../sandbox/tree.js';
import type { RunRequest, RunResult } from '../types.js';

export interface InvocationSettings {
  maxLogBytes: number;
  logFormat: LogFormat;
}

/** What the function itself produced (a `done` frame), as far as the parent accepts it. */
export interface Outcome {
  ok: boolean;
  /** JSON text of the result, or SCF's error JSON. */
  retMsg: string;
  retCode: number;
  errMsg: string;
  /** Log bytes the child dropped before they crossed the pipe. */
  drop: number;
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
  /** Set once the platform decided to end it (then a late `done` is ignored). */
  ending: Ending | undefined;

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

  /** CPU ms since the start, from the tree's tick count now. */
  cpuSince(ticksNow: number): number {
    return Math.max(0, ((ticksNow - this.#cpu0) * 1000) / TICKS_PER_SECOND);
  }

  /** The result of what the function produced. */
  result(outcome: Outcome, figures: { duration: number; memUsage: number; cpuTime: number }): RunResult {
    return this.#build({ ...figures, ...outcome, platformError: undefined });
  }

  /** The result of an invocation the platform ended (`this.ending`). */
  endedResult(figures: { duration: number; memUsage: number; cpuTime: number }): RunResult {
    const ending = this.ending ?? { kind: 'exit', how: 'unknown' };
    const { retCode, message } = describeEnding(ending, this.req.fn);
    return this.#build({
      ...figures,
      retCode,
      retMsg: errorJson(message, this.req.requestId, retCode),
      errMsg: message,
      drop: 0,
      platformError: message,
    });
  }

  #build(r: {
    duration: number;
    memUsage: number;
    cpuTime: number;
    retCode: number;
    retMsg: string;
    errMsg: string;
    drop: number;
    platformError: string | undefined;
  }): RunResult {
    const { text, dropped } = this.log.finish(r.drop);
    const log = buildFinalLog({
      format: this.#settings.logFormat,
      requestId: this.req.requestId,
      user: text,
      dropped,
      maxLogBytes: this.#settings.maxLogBytes,
      platformError: r.platformError,
      duration: r.duration,
      memorySize: this.req.fn.memorySize,
      memUsage: r.memUsage,
    });
    return {
      startTime: this.startTime,
      duration: r.duration,
      memUsage: r.memUsage,
      cpuTime: r.cpuTime,
      retCode: r.retCode,
      retMsg: r.retMsg,
      errMsg: r.errMsg,
      log,
      coldStart: this.coldStart,
    };
  }
}
