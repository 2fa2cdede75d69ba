/**
 * The parent side of one Node.js instance: one child process running `bootstrap.js`, its state machine, and
 * the bookkeeping of the one invocation it runs at a time (frames, raw output, timeout, memory, exit).
 *
 * States: starting -> [stem -> starting ->] busy <-> idle, then stopping -> dead. `starting` = spawned, until
 * the child said `ready` and acknowledged its function (`init` -> `bound`); `stem` = a stem cell: ready but
 * bound to no function yet (see `stemcells.ts`), back to `starting` while it is bound; `stopping` = SIGKILL
 * sent (or the process exited), waiting for its stdio to close so no byte it wrote is lost; `dead` = gone for
 * good. Every wait on the child is raced against its exit and a deadline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { ScfError } from '../../errors/index.js';
import { buildFinalLog, LogCollector, type LogFormat, userLogBudget } from '../log.js';
import { type MemoryWatchdog, readStatusBytes, type Watched } from '../memory.js';
import type { FunctionRunSpec, RunRequest, RunResult } from '../types.js';
import {
  type BoundFrame,
  type ChildFrame,
  type DoneErrorFrame,
  type DoneOkFrame,
  type InitMessage,
  parseChildFrame,
  type ReadyFrame,
} from './protocol.js';

export const InstanceState = {
  Starting: 'starting',
  Stem: 'stem',
  Idle: 'idle',
  Busy: 'busy',
  Stopping: 'stopping',
  Dead: 'dead',
} as const;
export type InstanceState = (typeof InstanceState)[keyof typeof InstanceState];

/** retCode of an invocation cut short by `close()`. */
export const RET_INTERRUPTED = 3;

/** Deadline for a new process to say `ready`, and for `bound` after `init` (generous: the machine may be busy). */
const START_DEADLINE_MS = 15_000;
/** After SIGKILL, deadline for the exit itself (a process in uninterruptible sleep may take a while). */
const KILL_DEADLINE_MS = 5_000;
/** After the exit, deadline for stdio to close (a grandchild outside the process group may hold it). */
const STDIO_GRACE_MS = 2_000;

/** The fixed base environment of a function process: the server's own environment is never inherited. */
const BASE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/tmp',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  TZ: 'UTC',
};

/** What every instance of a runtime shares. */
export interface InstanceOptions {
  nodePath: string;
  bootstrapPath: string;
  region: string;
  appId: string;
  uin: string;
  maxLogBytes: number;
  logFormat: LogFormat;
  watchdog: MemoryWatchdog;
  /** Called as soon as a process exists (before it is ready), so `close()` can reach it. */
  onSpawn: (instance: NodeInstance) => void;
}

/**
 * Who hears about the end of a process: the pool of its function, or the stem-cell reserve while it is bound
 * to none. Replaced when a stem cell is bound.
 */
export interface InstanceHooks {
  /** Called once when the process is gone or going (exit, kill, failure): the pool drops it. */
  onGone: (instance: NodeInstance) => void;
  /** Called once when the process has exited and its stdio is closed. */
  onDead: (instance: NodeInstance) => void;
}

/** The whole environment of a function's process, in order: base, the function's own, then SCF's. */
export function functionEnv(
  fn: FunctionRunSpec,
  opts: Pick<InstanceOptions, 'region' | 'appId' | 'uin'>,
): Record<string, string> {
  return {
    ...BASE_ENV,
    ...fn.environment,
    SCF_RUNTIME: fn.runtime,
    SCF_NAMESPACE: fn.namespace,
    SCF_FUNCTIONNAME: fn.functionName,
    SCF_FUNCTIONVERSION: '$LATEST',
    SCF_MEMORYSIZE: String(fn.memorySize),
    SCF_TIMEOUT: String(fn.timeout),
    SCF_CODE: fn.codeDir,
    TENCENTCLOUD_REGION: opts.region,
    TENCENTCLOUD_APPID: opts.appId,
    TENCENTCLOUD_UIN: opts.uin,
    TENCENTCLOUD_RUNENV: 'SCF',
  };
}

/** How one process is spawned. */
interface SpawnSpec {
  memorySize: number;
  cwd: string;
  env: Record<string, string>;
  /** For error messages: the function's name, or what the process is for. */
  label: string;
  /** A stem cell: it must not hold the server's event loop while it waits (like an idle instance). */
  stem: boolean;
}

/** A frame the parent is waiting for (`ready`, then `bound`). */
interface Expectation {
  frame: (ReadyFrame | BoundFrame)['t'];
  arrived: () => void;
}

type Ending =
  | { kind: 'timeout' }
  | { kind: 'memory'; rss: number }
  | { kind: 'interrupt' }
  | { kind: 'exit' }
  | { kind: 'protocol'; why: string };

interface Invocation {
  req: RunRequest;
  startTime: number;
  coldStart: boolean;
  t0: number;
  log: LogCollector;
  timer: NodeJS.Timeout;
  /** Highest VmRSS the watchdog saw during this invocation (the only figure left once a process died). */
  maxRss: number;
  ending: Ending | undefined;
  resolve: (r: RunResult) => void;
}

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

/** SCF's error JSON (`retMsg` of a failed invocation), keys in SCF's order. */
export function errorJson(
  message: string,
  requestId: string,
  statusCode: number,
  stackTrace?: string,
): string {
  return JSON.stringify({
    errorCode: -1,
    errorMessage: message,
    requestId,
    ...(stackTrace === undefined ? {} : { stackTrace }),
    statusCode,
  });
}

export class NodeInstance implements Watched {
  readonly pid: number;
  /** MB: the V8 heap cap it was spawned with, which no later `init` can change. */
  readonly memorySize: number;
  readonly memoryLimitBytes: number;
  readonly #opts: InstanceOptions;
  readonly #child: ChildProcess;
  #hooks: InstanceHooks;
  /** The function it runs; undefined while it is a stem cell. */
  #fn: FunctionRunSpec | undefined;
  #label: string;
  #state: InstanceState = InstanceState.Starting;
  #frameTail = '';
  #expecting: Expectation | undefined;
  #current: Invocation | undefined;
  #exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  #exitWaiters: (() => void)[] = [];
  #closed = false;
  #closeWaiters: (() => void)[] = [];
  #gone: Promise<void> | undefined;
  #heapOom = false;
  #startupStderr = '';
  /** The function was retired, or the child dropped its IPC channel: do not reuse after this invocation. */
  #noReuse = false;
  #interrupted = false;
  #goneNotified = false;

  private constructor(
    opts: InstanceOptions,
    hooks: InstanceHooks,
    child: ChildProcess,
    pid: number,
    spec: SpawnSpec,
  ) {
    this.#opts = opts;
    this.#hooks = hooks;
    this.#child = child;
    this.pid = pid;
    this.memorySize = spec.memorySize;
    this.memoryLimitBytes = spec.memorySize * 1024 * 1024;
    this.#label = spec.label;
  }

  get state(): InstanceState {
    return this.#state;
  }

  /** The function it runs (only asked of bound instances: the pool never sees a stem cell). */
  get fn(): FunctionRunSpec {
    if (!this.#fn) throw new ScfError('InternalError', `${this.#label} is bound to no function`);
    return this.#fn;
  }

  get revision(): number {
    return this.fn.revision;
  }

  /**
   * Spawns a process for `fn` with its cwd and environment, waits for `ready`, binds it (`init` -> `bound`),
   * each raced against its exit and a deadline. Resolves busy. Rejects with InternalError when the process
   * cannot be started; the process is then gone.
   */
  static async start(
    opts: InstanceOptions,
    fn: FunctionRunSpec,
    hooks: InstanceHooks,
  ): Promise<NodeInstance> {
    const inst = await NodeInstance.#spawn(opts, hooks, {
      memorySize: fn.memorySize,
      cwd: fn.codeDir,
      env: functionEnv(fn, opts),
      label: fn.functionName,
      stem: false,
    });
    await inst.bind(fn, hooks);
    return inst;
  }

  /**
   * Spawns a stem cell: a process bound to no function yet, cwd `/`, the base environment only, the V8 heap
   * cap of `memorySize`. Resolves once it is ready (state `stem`); it never holds the event loop until bound.
   */
  static async startStem(
    opts: InstanceOptions,
    memorySize: number,
    hooks: InstanceHooks,
  ): Promise<NodeInstance> {
    const inst = await NodeInstance.#spawn(opts, hooks, {
      memorySize,
      cwd: '/',
      env: { ...BASE_ENV },
      label: `a stem cell (${memorySize} MB)`,
      stem: true,
    });
    inst.#state = InstanceState.Stem;
    return inst;
  }

  static async #spawn(opts: InstanceOptions, hooks: InstanceHooks, spec: SpawnSpec): Promise<NodeInstance> {
    let child: ChildProcess;
    try {
      child = spawn(opts.nodePath, [`--max-old-space-size=${spec.memorySize}`, opts.bootstrapPath], {
        cwd: spec.cwd,
        env: spec.env,
        // fd 3 = frames from the child, fd 4 = IPC to the child (see protocol.ts).
        stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'ipc'],
        serialization: 'json',
        // Own process group: a kill takes the function's subprocesses with it.
        detached: true,
      });
    } catch (err) {
      throw new ScfError('InternalError', `cannot start a process for ${spec.label}`, { cause: err });
    }
    const pid = child.pid;
    if (pid === undefined) {
      // spawn failed (ENOENT, EACCES, missing cwd): the error event carries why.
      const cause = await new Promise<unknown>((resolve) => {
        child.once('error', resolve);
        setTimeout(() => resolve(undefined), 1000).unref();
      });
      throw new ScfError('InternalError', `cannot start a process for ${spec.label}`, { cause });
    }
    const inst = new NodeInstance(opts, hooks, child, pid, spec);
    opts.onSpawn(inst);
    inst.#listen();
    if (spec.stem) inst.#holdLoop(false);
    await inst.#handshake('ready');
    return inst;
  }

  /**
   * Binds a ready process to `fn`: sends `init` (cwd, environment, context facts) and waits for `bound`,
   * raced against its exit and a deadline; from then on `hooks` hear about its end. Resolves busy. Rejects
   * with InternalError (the process is then stopped) when it died or cannot enter the code folder, or when
   * it is not a ready, unbound process of `fn`'s memory size.
   */
  async bind(fn: FunctionRunSpec, hooks: InstanceHooks): Promise<void> {
    const bindable =
      this.#fn === undefined &&
      this.#expecting === undefined &&
      this.#exit === undefined &&
      !this.#interrupted;
    if (
      !bindable ||
      fn.memorySize !== this.memorySize ||
      (this.#state !== InstanceState.Starting && this.#state !== InstanceState.Stem)
    ) {
      throw new ScfError(
        'InternalError',
        `${this.#label} cannot be bound to ${fn.functionName} (${this.#state})`,
      );
    }
    this.#fn = fn;
    this.#hooks = hooks;
    this.#label = fn.functionName;
    this.#state = InstanceState.Starting;
    this.#startupStderr = '';
    this.#holdLoop(true);
    const bound = this.#handshake('bound');
    const init: InitMessage = {
      t: 'init',
      namespace: fn.namespace,
      functionName: fn.functionName,
      handler: fn.handler,
      codeDir: fn.codeDir,
      memorySize: fn.memorySize,
      timeout: fn.timeout,
      region: this.#opts.region,
      appId: this.#opts.appId,
      uin: this.#opts.uin,
      environment: fn.environment,
      env: functionEnv(fn, this.#opts),
      maxLogBytes: userLogBudget(this.#opts.maxLogBytes),
    };
    this.#child.send(init);
    await bound;
    this.#state = InstanceState.Busy;
  }

  #listen(): void {
    const child = this.#child;
    const frames = child.stdio[3] as Readable | null;
    if (!frames || !child.stdout || !child.stderr) throw new ScfError('InternalError', 'child stdio missing');
    frames.setEncoding('utf8');
    frames.on('data', (chunk: string) => this.#onFrameData(chunk));
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.#onRaw(1, chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => this.#onRaw(2, chunk));
    child.on('exit', (code, signal) => this.#onExit(code, signal));
    child.on('close', () => {
      this.#closed = true;
      for (const w of this.#closeWaiters.splice(0)) w();
    });
    // Errors on the IPC channel (send after the child died, EPIPE): the exit handler does the cleanup.
    child.on('error', () => this.#kill());
    child.on('disconnect', () => {
      this.#noReuse = true;
      if (this.#state === InstanceState.Idle || this.#state === InstanceState.Stem) void this.stop();
    });
  }

  /**
   * Waits for the child's next handshake frame, raced against its exit, a deadline and `close()`. On failure
   * the process is stopped and the error carries what it printed to stderr meanwhile.
   */
  #handshake(frame: Expectation['frame']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(deadline);
        if (this.#expecting === expectation) this.#expecting = undefined;
        void this.stop();
        const detail = this.#startupStderr.trim();
        reject(
          new ScfError(
            'InternalError',
            `instance of ${this.#label} failed to start: ${why}${detail ? `: ${detail}` : ''}`,
          ),
        );
      };
      const expectation: Expectation = {
        frame,
        arrived: () => {
          clearTimeout(deadline);
          this.#expecting = undefined;
          if (this.#interrupted) fail('runtime closed');
          else resolve();
        },
      };
      // Unref'd: whoever waits on a process holds the loop through its handles; a stem cell must not.
      const deadline = setTimeout(
        () => fail(`no ${frame} signal within ${START_DEADLINE_MS} ms`),
        START_DEADLINE_MS,
      );
      deadline.unref();
      this.#expecting = expectation;
      if (this.#exit) {
        fail(`process exited (${this.#describeExit()})`);
        return;
      }
      this.#exitWaiters.push(() => {
        if (this.#expecting === expectation) fail(`process exited (${this.#describeExit()})`);
      });
    });
  }

  /** Marks an instance handed out by the pool as running (idle -> busy). */
  take(): void {
    this.#state = InstanceState.Busy;
  }

  /** Marks that this instance must not be reused once its current invocation ends. */
  retire(): void {
    this.#noReuse = true;
  }

  /** True when the instance can take another invocation. */
  get reusable(): boolean {
    return this.#state === InstanceState.Idle && !this.#noReuse;
  }

  /**
   * Runs one invocation. Resolves with the result whatever the function does; the instance is then `idle`
   * (reusable) or on its way out (`stopping`/`dead`).
   */
  run(req: RunRequest, opts: { startTime: number; coldStart: boolean }): Promise<RunResult> {
    return new Promise<RunResult>((resolve) => {
      const log = new LogCollector(req.requestId, userLogBudget(this.#opts.maxLogBytes), req.onLog);
      const inv: Invocation = {
        req,
        startTime: opts.startTime,
        coldStart: opts.coldStart,
        t0: performance.now(),
        log,
        timer: setTimeout(() => this.#abort({ kind: 'timeout' }), req.fn.timeout * 1000),
        maxRss: 0,
        ending: undefined,
        resolve,
      };
      this.#current = inv;
      this.#state = InstanceState.Busy;
      if (this.#interrupted || this.#exit) {
        this.#abort(this.#interrupted ? { kind: 'interrupt' } : { kind: 'exit' });
        return;
      }
      this.#holdLoop(true);
      this.#opts.watchdog.watch(this);
      this.#child.send({ t: 'invoke', id: req.requestId, q: req.qualifier, ev: req.event });
    });
  }

  /** Watchdog sample: remembers the peak; kills the invocation when over memorySize. */
  onMemorySample(rss: number): void {
    const inv = this.#current;
    if (!inv) return;
    if (rss > inv.maxRss) inv.maxRss = rss;
    if (rss > this.memoryLimitBytes) this.#abort({ kind: 'memory', rss });
  }

  /** Stops the process (SIGKILL to its group); resolves once it is dead. A running invocation ends as 439. */
  stop(): Promise<void> {
    if (this.#current && !this.#current.ending) {
      this.#abort({ kind: 'exit' });
      return this.#waitGone();
    }
    if (this.#state !== InstanceState.Dead) this.#state = InstanceState.Stopping;
    this.#kill();
    return this.#waitGone();
  }

  /** For `close()`: a running invocation ends with retCode 3, then the process is stopped. */
  interrupt(): Promise<void> {
    this.#interrupted = true;
    if (this.#current && !this.#current.ending) {
      this.#abort({ kind: 'interrupt' });
      return this.#waitGone();
    }
    return this.stop();
  }

  // --------------------------------------------------------------------------------------------------

  #onFrameData(chunk: string): void {
    const buf = this.#frameTail + chunk;
    let start = 0;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n', start)) {
      const line = buf.slice(start, nl);
      start = nl + 1;
      if (line.length === 0) continue;
      const frame = parseChildFrame(line);
      if (!frame) {
        this.#protocolFault('malformed frame');
        continue;
      }
      this.#onFrame(frame);
    }
    this.#frameTail = buf.slice(start);
  }

  #onFrame(frame: ChildFrame): void {
    switch (frame.t) {
      case 'log':
        // Frames after an ending was decided still count: they were written before the kill.
        this.#current?.log.addFormatted(frame.d);
        return;
      case 'ready':
      case 'bound':
        if (this.#expecting?.frame === frame.t) this.#expecting.arrived();
        else this.#protocolFault(`unexpected ${frame.t} frame`);
        return;
      case 'done':
        this.#onDone(frame);
        return;
    }
  }

  #onRaw(fd: 1 | 2, text: string): void {
    if (fd === 2 && /JavaScript heap out of memory|Reached heap limit/.test(text)) this.#heapOom = true;
    const inv = this.#current;
    if (inv) {
      inv.log.addRaw(fd, text);
      return;
    }
    if (this.#state === InstanceState.Starting && this.#startupStderr.length < 2000) {
      this.#startupStderr += text;
    }
    // Otherwise raw output between invocations (a subprocess left running) belongs to no invocation and is
    // dropped; the child's own formatted output between invocations is carried into the next one instead.
  }

  #protocolFault(why: string): void {
    if (this.#current && !this.#current.ending) this.#abort({ kind: 'protocol', why });
    else void this.stop();
  }

  #onDone(frame: DoneOkFrame | DoneErrorFrame): void {
    const inv = this.#current;
    if (!inv || frame.id !== inv.req.requestId) {
      this.#protocolFault('result for no running invocation');
      return;
    }
    // A result written after we decided to kill is ignored: the decision stands (timeout wins a tie).
    if (inv.ending) return;
    clearTimeout(inv.timer);
    this.#opts.watchdog.unwatch(this);
    this.#current = undefined;
    const requestId = inv.req.requestId;
    const base = { duration: frame.dur, memUsage: frame.mem };
    let result: RunResult;
    if (frame.ok) {
      result = this.#result(inv, { ...base, retCode: 0, retMsg: frame.ret, errMsg: '', drop: frame.drop });
    } else {
      result = this.#result(inv, {
        ...base,
        retCode: frame.code,
        retMsg: errorJson(frame.msg, requestId, frame.code, frame.stack),
        errMsg: frame.msg,
        drop: frame.drop,
      });
    }
    const fatal = !frame.ok && frame.fatal;
    if (fatal || this.#noReuse || this.#interrupted || this.#exit) {
      // The child exits by itself after a fatal result; the kill makes sure of it.
      this.#state = InstanceState.Stopping;
      this.#notifyGone();
      this.#kill();
      void this.#waitGone();
    } else {
      this.#state = InstanceState.Idle;
      this.#holdLoop(false);
    }
    inv.resolve(result);
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.#exit = { code, signal };
    for (const w of this.#exitWaiters.splice(0)) w();
    if (this.#current && !this.#current.ending) {
      this.#abort({ kind: 'exit' });
      return;
    }
    if (this.#state !== InstanceState.Dead) this.#state = InstanceState.Stopping;
    this.#notifyGone();
    void this.#waitGone();
  }

  #describeExit(): string {
    const e = this.#exit;
    if (!e) return 'still running';
    return e.signal ? `signal ${e.signal}` : `exit code ${e.code}`;
  }

  /**
   * Ends the running invocation on the parent's decision (timeout, memory, interrupt, protocol fault) or
   * because the process exited. The peak memory is read before the kill; the result is built only once the
   * child's stdio has closed, so every line it wrote before dying is in the log.
   */
  #abort(ending: Ending): void {
    const inv = this.#current;
    if (!inv || inv.ending) return;
    inv.ending = ending;
    clearTimeout(inv.timer);
    this.#opts.watchdog.unwatch(this);
    const elapsed = performance.now() - inv.t0;
    // libuv timers run on a millisecond loop clock and can fire a fraction of a ms before the monotonic
    // clock says the timeout has passed; a timed-out invocation ran at least its whole limit.
    const duration = ending.kind === 'timeout' ? Math.max(elapsed, inv.req.fn.timeout * 1000) : elapsed;
    const hwm = this.#exit ? undefined : readStatusBytes(this.pid, 'VmHWM');
    const memUsage = Math.max(hwm ?? 0, inv.maxRss);
    this.#state = InstanceState.Stopping;
    this.#notifyGone();
    this.#kill();
    void this.#waitGone().then(() => {
      this.#current = undefined;
      inv.resolve(this.#killedResult(inv, ending, duration, memUsage));
    });
  }

  #killedResult(inv: Invocation, ending: Ending, duration: number, memUsage: number): RunResult {
    const { fn, requestId } = inv.req;
    let retCode: number;
    let message: string;
    let platformError: string | undefined;
    let kind = ending.kind;
    const why = ending.kind === 'protocol' ? ending.why : '';
    // A V8 heap abort shows as an exit (SIGABRT) with its message on stderr: that is a memory failure.
    if (kind === 'exit' && this.#heapOom) kind = 'memory';
    switch (kind) {
      case 'timeout':
        retCode = 433;
        message = `Invoking task timed out after ${fn.timeout} seconds`;
        platformError = message;
        break;
      case 'memory':
        retCode = 434;
        message = `Task memory exceeded ${fn.memorySize} MB`;
        platformError = message;
        break;
      case 'interrupt':
        retCode = RET_INTERRUPTED;
        message = 'Invocation interrupted: scf-local is shutting down';
        platformError = message;
        break;
      case 'protocol':
        retCode = 439;
        message = `User process exit when running (instance protocol violated: ${why})`;
        platformError = message;
        break;
      default:
        retCode = 439;
        message = `User process exit when running (${this.#describeExit()})`;
        platformError = message;
    }
    return this.#result(inv, {
      duration,
      memUsage,
      retCode,
      retMsg: errorJson(message, requestId, retCode),
      errMsg: message,
      drop: 0,
      platformError,
    });
  }

  #result(
    inv: Invocation,
    r: {
      duration: number;
      memUsage: number;
      retCode: number;
      retMsg: string;
      errMsg: string;
      drop: number;
      platformError?: string;
    },
  ): RunResult {
    const { text, dropped } = inv.log.finish(r.drop);
    const log = buildFinalLog({
      format: this.#opts.logFormat,
      requestId: inv.req.requestId,
      user: text,
      dropped,
      maxLogBytes: this.#opts.maxLogBytes,
      platformError: r.platformError,
      duration: r.duration,
      memorySize: inv.req.fn.memorySize,
      memUsage: r.memUsage,
    });
    return {
      startTime: inv.startTime,
      duration: r.duration,
      memUsage: r.memUsage,
      retCode: r.retCode,
      retMsg: r.retMsg,
      errMsg: r.errMsg,
      log,
      coldStart: inv.coldStart,
    };
  }

  #notifyGone(): void {
    if (this.#goneNotified) return;
    this.#goneNotified = true;
    this.#hooks.onGone(this);
  }

  /**
   * An idle instance is a cache: it must not keep the server's event loop alive by itself (a process that
   * is otherwise done may exit; its children then see the IPC channel close and exit too). While an
   * invocation runs, or while it is being stopped, its handles hold the loop so the result is delivered.
   */
  #holdLoop(hold: boolean): void {
    const c = this.#child;
    const handles: ({ ref(): unknown; unref(): unknown } | null | undefined)[] = [
      c,
      c.channel,
      // The stdio ends are net.Sockets (pipes), which can be unref'd.
      ...(c.stdio as unknown as (Socket | null)[]),
    ];
    for (const h of handles) {
      if (hold) h?.ref();
      else h?.unref();
    }
  }

  #kill(): void {
    this.#holdLoop(true);
    if (this.#exit) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // No such group (already reaped, or setsid not done yet): kill the process itself.
      this.#child.kill('SIGKILL');
    }
  }

  /** Resolves when the process has exited and its stdio is drained (each raced against a deadline). */
  #waitGone(): Promise<void> {
    if (this.#gone) return this.#gone;
    this.#gone = (async () => {
      if (!this.#exit) {
        const exited = new Promise<void>((resolve) => this.#exitWaiters.push(resolve));
        await Promise.race([exited, delay(KILL_DEADLINE_MS)]);
      }
      if (!this.#closed) {
        const closed = new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
        await Promise.race([closed, delay(STDIO_GRACE_MS)]);
      }
      // Whatever is still open after the deadlines is abandoned so no handle outlives the instance.
      for (const s of this.#child.stdio) s?.destroy();
      if (this.#child.connected) this.#child.disconnect();
      this.#state = InstanceState.Dead;
      this.#notifyGone();
      this.#hooks.onDead(this);
    })();
    return this.#gone;
  }
}
