/**
 * The parent side of one Node.js instance: its state machine and the one invocation it runs at a time. The
 * parts live next to it: `child.ts` (the process, its sandbox, kill and waits), `frames.ts` (reading the
 * frame pipe), `invocation.ts` (timer, figures, results), `../results.ts` (retCodes and messages).
 *
 * States: starting -> [stem -> starting ->] busy <-> idle, then stopping -> dead. `starting` = spawned, until
 * the child said `ready` and acknowledged its function (`init` -> `bound`); `stem` = a stem cell: ready but
 * bound to no function yet (see `stemcells.ts`), back to `starting` while it is bound; `idle` = frozen
 * (every process of the instance stopped with SIGSTOP until its next invocation); `stopping` = SIGKILL
 * sent (or the process exited), waiting for its stdio to close so no byte it wrote is lost; `dead` = gone
 * for good. Every wait on the child is raced against its exit and a deadline.
 */
import { ScfError } from '../../errors/index.js';
import { userLogBudget } from '../log.js';
import type { MemoryWatchdog, Watched } from '../memory.js';
import { type Ending, errorJson, MAX_RESULT_BYTES, RET_CODE } from '../results.js';
import { CODE_MOUNT, fillSlot, RUNTIME_MOUNT } from '../sandbox/launcher.js';
import type { FunctionRunSpec, RunRequest, RunResult } from '../types.js';
import { InstanceProcess, type SandboxRuntime } from './child.js';
import { FrameReader } from './frames.js';
import { Invocation, type InvocationSettings } from './invocation.js';
import type {
  BoundFrame,
  ChildFrame,
  DoneErrorFrame,
  DoneOkFrame,
  InitMessage,
  ReadyFrame,
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

/** Deadline for a new process to say `ready`, and for `bound` after `init` (generous: the machine may be busy). */
const START_DEADLINE_MS = 15_000;

/** The bootstrap as a sandboxed process sees it. */
const SANDBOX_BOOTSTRAP = `${RUNTIME_MOUNT}/node/bootstrap.js`;

/** The fixed base environment of a function process: the server's own environment is never inherited. */
const BASE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/tmp',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  TZ: 'UTC',
};

/** What every instance of a runtime shares. */
export interface InstanceOptions extends InvocationSettings {
  nodePath: string;
  /** Host path of bootstrap.js (used as is without a sandbox). */
  bootstrapPath: string;
  /** The sandbox every instance runs in; undefined = plain processes (`runtime.sandbox: "off"`). */
  sandbox: SandboxRuntime | undefined;
  region: string;
  appId: string;
  uin: string;
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
  opts: Pick<InstanceOptions, 'region' | 'appId' | 'uin' | 'sandbox'>,
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
    SCF_CODE: opts.sandbox ? CODE_MOUNT : fn.codeDir,
    TENCENTCLOUD_REGION: opts.region,
    TENCENTCLOUD_APPID: opts.appId,
    TENCENTCLOUD_UIN: opts.uin,
    TENCENTCLOUD_RUNENV: 'SCF',
  };
}

/** A frame the parent is waiting for (`ready`, then `bound`). */
interface Expectation {
  frame: (ReadyFrame | BoundFrame)['t'];
  arrived: () => void;
}

export class NodeInstance implements Watched {
  /** MB: the V8 heap cap it was spawned with, which no later `init` can change. */
  readonly memorySize: number;
  readonly memoryLimitBytes: number;
  readonly #opts: InstanceOptions;
  #proc!: InstanceProcess;
  readonly #frames: FrameReader;
  #hooks: InstanceHooks;
  /** The function it runs; undefined while it is a stem cell. */
  #fn: FunctionRunSpec | undefined;
  #label: string;
  #state: InstanceState = InstanceState.Starting;
  #expecting: Expectation | undefined;
  #current: Invocation | undefined;
  #heapOom = false;
  #startupStderr = '';
  /** The function was retired, or the child dropped its IPC channel: do not reuse after this invocation. */
  #noReuse = false;
  #interrupted = false;
  #goneNotified = false;
  #dead: Promise<void> | undefined;
  /** `ready` arrived before `#handshake('ready')` began waiting for it. */
  #readySeen = false;
  /** A protocol fault seen while the process was still being set up (acted on once it exists). */
  #earlyFault: string | undefined;
  /** The code slot already holds the function's code (a fresh start fills it before spawning). */
  #slotFilled = false;

  private constructor(opts: InstanceOptions, hooks: InstanceHooks, memorySize: number, label: string) {
    this.#opts = opts;
    this.#hooks = hooks;
    this.memorySize = memorySize;
    this.memoryLimitBytes = memorySize * 1024 * 1024;
    this.#label = label;
    this.#frames = new FrameReader(
      (f) => this.#onFrame(f),
      (why) => this.#protocolFault(why),
    );
  }

  get state(): InstanceState {
    return this.#state;
  }

  /** Host pid of the function's main process. */
  get pid(): number {
    return this.#proc.pid;
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
   * Spawns a process for `fn` (its code mounted, its environment set), waits for `ready`, binds it (`init`
   * -> `bound`), each raced against its exit and a deadline. Resolves busy. Rejects with InternalError when
   * the process cannot be started; the process is then gone.
   */
  static async start(
    opts: InstanceOptions,
    fn: FunctionRunSpec,
    hooks: InstanceHooks,
  ): Promise<NodeInstance> {
    const inst = await NodeInstance.#spawn(opts, hooks, fn.memorySize, fn.functionName, fn);
    await inst.bind(fn, hooks);
    return inst;
  }

  /**
   * Spawns a stem cell: a process bound to no function yet (an empty code slot in a sandbox, cwd `/`
   * without), the base environment only, the V8 heap cap of `memorySize`. Resolves once it is ready (state
   * `stem`); it never holds the event loop until bound.
   */
  static async startStem(
    opts: InstanceOptions,
    memorySize: number,
    hooks: InstanceHooks,
  ): Promise<NodeInstance> {
    const inst = await NodeInstance.#spawn(
      opts,
      hooks,
      memorySize,
      `a stem cell (${memorySize} MB)`,
      undefined,
    );
    inst.#state = InstanceState.Stem;
    return inst;
  }

  static async #spawn(
    opts: InstanceOptions,
    hooks: InstanceHooks,
    memorySize: number,
    label: string,
    fn: FunctionRunSpec | undefined,
  ): Promise<NodeInstance> {
    const inst = new NodeInstance(opts, hooks, memorySize, label);
    inst.#proc = await InstanceProcess.spawn(
      {
        nodePath: opts.nodePath,
        bootstrapPath: opts.sandbox ? SANDBOX_BOOTSTRAP : opts.bootstrapPath,
        memorySize,
        codeDir: fn?.codeDir,
        env: fn ? functionEnv(fn, opts) : { ...BASE_ENV },
        label,
        sandbox: opts.sandbox,
      },
      {
        frames: (chunk) => inst.#frames.push(chunk),
        raw: (fd, chunk) => inst.#onRaw(fd, chunk),
        exit: () => inst.#onExit(),
        disconnect: () => {
          inst.#noReuse = true;
          if (inst.#state === InstanceState.Idle || inst.#state === InstanceState.Stem) void inst.stop();
        },
      },
    );
    inst.#slotFilled = fn !== undefined;
    if (inst.#earlyFault !== undefined) {
      void inst.stop();
      throw new ScfError('InternalError', `instance of ${label} failed to start: ${inst.#earlyFault}`);
    }
    opts.onSpawn(inst);
    if (!fn) inst.#proc.holdLoop(false);
    await inst.#handshake('ready');
    return inst;
  }

  /**
   * Binds a ready process to `fn`: (in a sandbox, a stem cell's slot gets the code) sends `init` (cwd,
   * environment, context facts) and waits for `bound`, raced against its exit and a deadline; from then on
   * `hooks` hear about its end. Resolves busy. Rejects with InternalError (the process is then stopped)
   * when it died or cannot enter the code folder, or when it is not a ready, unbound process of `fn`'s
   * memory size.
   */
  async bind(fn: FunctionRunSpec, hooks: InstanceHooks): Promise<void> {
    const bindable =
      this.#fn === undefined && this.#expecting === undefined && !this.#proc.exited && !this.#interrupted;
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
    this.#proc.holdLoop(true);
    if (this.#proc.slot && this.#opts.sandbox && !this.#slotFilled) {
      try {
        fillSlot(fn.codeDir, this.#proc.slot);
      } catch (err) {
        void this.stop();
        throw new ScfError(
          'InternalError',
          `cannot give ${fn.functionName} its code: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
    const bound = this.#handshake('bound');
    const init: InitMessage = {
      t: 'init',
      namespace: fn.namespace,
      functionName: fn.functionName,
      handler: fn.handler,
      codeDir: this.#opts.sandbox ? CODE_MOUNT : fn.codeDir,
      memorySize: fn.memorySize,
      timeout: fn.timeout,
      region: this.#opts.region,
      appId: this.#opts.appId,
      uin: this.#opts.uin,
      environment: fn.environment,
      env: functionEnv(fn, this.#opts),
      maxLogBytes: userLogBudget(this.#opts.maxLogBytes),
    };
    this.#proc.send(init);
    await bound;
    this.#state = InstanceState.Busy;
  }

  /**
   * Waits for the child's next handshake frame, raced against its exit, a deadline and `close()`. On failure
   * the process is stopped and the error carries what it printed to stderr meanwhile.
   */
  #handshake(frame: Expectation['frame']): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
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
          if (settled) return;
          clearTimeout(deadline);
          this.#expecting = undefined;
          if (this.#interrupted) fail('runtime closed');
          else {
            settled = true;
            resolve();
          }
        },
      };
      // Unref'd: whoever waits on a process holds the loop through its handles; a stem cell must not.
      const deadline = setTimeout(
        () => fail(`no ${frame} signal within ${START_DEADLINE_MS} ms`),
        START_DEADLINE_MS,
      );
      deadline.unref();
      if (frame === 'ready' && this.#readySeen) {
        clearTimeout(deadline);
        settled = true;
        resolve();
        return;
      }
      this.#expecting = expectation;
      this.#proc.onExit(() => {
        if (this.#expecting === expectation) fail(`process exited (${this.#proc.describeExit()})`);
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
   * (frozen, reusable) or on its way out (`stopping`/`dead`).
   */
  run(req: RunRequest, opts: { startTime: number; coldStart: boolean }): Promise<RunResult> {
    return new Promise<RunResult>((resolve) => {
      const proc = this.#proc;
      proc.tree.thaw();
      proc.resetPeak();
      const inv = new Invocation(
        req,
        { ...opts, cpu0: proc.tree.cpu(), onTimeout: () => this.#abort({ kind: 'timeout' }) },
        this.#opts,
      );
      this.#resolve = resolve;
      this.#current = inv;
      this.#state = InstanceState.Busy;
      if (this.#interrupted || proc.exited) {
        this.#abort(this.#interrupted ? { kind: 'interrupt' } : { kind: 'exit', how: proc.describeExit() });
        return;
      }
      proc.holdLoop(true);
      this.#opts.watchdog.watch(this);
      if (!proc.send({ t: 'invoke', id: req.requestId, q: req.qualifier, ev: req.event })) {
        this.#abort({ kind: 'protocol', why: 'the instance no longer listens' });
      }
    });
  }

  #resolve: ((r: RunResult) => void) | undefined;

  rss(): number | undefined {
    return this.#proc.tree.rss();
  }

  /** Watchdog sample: remembers the peak; kills the invocation when over memorySize. */
  onMemorySample(rss: number): void {
    const inv = this.#current;
    if (!inv) return;
    if (rss > inv.maxRss) inv.maxRss = rss;
    if (rss > this.memoryLimitBytes) this.#abort({ kind: 'memory' });
  }

  /** Stops the process (SIGKILL to everything in it); resolves once it is dead. A running invocation ends as 439. */
  stop(): Promise<void> {
    // Still being set up: InstanceProcess.spawn cleans up after itself when it fails.
    if (this.#proc === undefined) return Promise.resolve();
    if (this.#current && !this.#current.ending) {
      this.#abort({ kind: 'exit', how: 'stopped by the platform' });
      return this.#waitGone();
    }
    if (this.#state !== InstanceState.Dead) this.#state = InstanceState.Stopping;
    this.#notifyGone();
    this.#proc.kill();
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

  #onFrame(frame: ChildFrame): void {
    switch (frame.t) {
      case 'log':
        // Frames after an ending was decided still count: they were written before the kill.
        this.#current?.log.addFormatted(frame.d);
        return;
      case 'ready':
      case 'bound':
        if (this.#expecting?.frame === frame.t) this.#expecting.arrived();
        // A sandbox's process can be ready before its set-up finished on this side (before the wait began).
        else if (frame.t === 'ready' && this.#state === InstanceState.Starting && !this.#readySeen) {
          this.#readySeen = true;
        } else this.#protocolFault(`unexpected ${frame.t} frame`);
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
      this.#startupStderr += text.slice(0, 2000);
    }
    // Otherwise raw output between invocations (a subprocess left running) belongs to no invocation and is
    // dropped; the child's own formatted output between invocations is carried into the next one instead.
  }

  #protocolFault(why: string): void {
    if (this.#proc === undefined) {
      this.#earlyFault = why;
      return;
    }
    if (this.#current && !this.#current.ending) this.#abort({ kind: 'protocol', why });
    else void this.stop();
  }

  /** Figures of an invocation that reached its end in a live process. */
  #figures(inv: Invocation): { duration: number; memUsage: number; cpuTime: number } {
    // The clock first: the /proc reads after it are not the function's time.
    const duration = inv.elapsed();
    const tree = this.#proc.tree;
    const peak = tree.peak();
    return {
      duration,
      memUsage: Math.max(peak ?? 0, inv.maxRss),
      cpuTime: inv.cpuSince(tree.cpu()),
    };
  }

  #onDone(frame: DoneOkFrame | DoneErrorFrame): void {
    const inv = this.#current;
    if (!inv || frame.id !== inv.req.requestId) {
      this.#protocolFault('result for no running invocation');
      return;
    }
    // A result written after we decided to kill is ignored: the decision stands (timeout wins a tie).
    if (inv.ending) return;
    const figures = this.#figures(inv);
    // The peak at the end counts as much as a sample: a short burst past the limit between two samples is
    // still a memory failure, not a success that reports more memory than the function has.
    if (figures.memUsage > this.memoryLimitBytes) {
      if (figures.memUsage > inv.maxRss) inv.maxRss = figures.memUsage;
      this.#abort({ kind: 'memory' });
      return;
    }
    inv.stopTimer();
    this.#opts.watchdog.unwatch(this);
    this.#current = undefined;
    let result: RunResult;
    const retBytes = frame.ok ? Buffer.byteLength(frame.ret, 'utf8') : 0;
    if (frame.ok && retBytes > MAX_RESULT_BYTES) {
      inv.ending = { kind: 'too-large', bytes: retBytes };
      result = inv.endedResult(figures);
    } else if (frame.ok) {
      result = inv.result(
        { ok: true, retCode: RET_CODE.SUCCESS, retMsg: frame.ret, errMsg: '', drop: frame.drop },
        figures,
      );
    } else {
      result = inv.result(
        {
          ok: false,
          retCode: frame.code,
          retMsg: errorJson(frame.msg, inv.req.requestId, frame.code, frame.stack),
          errMsg: frame.msg,
          drop: frame.drop,
        },
        figures,
      );
    }
    const fatal = !frame.ok && frame.fatal;
    if (fatal || this.#noReuse || this.#interrupted || this.#proc.exited) {
      // The child exits by itself after a fatal result; the kill makes sure of it.
      this.#state = InstanceState.Stopping;
      this.#notifyGone();
      this.#proc.kill();
      void this.#waitGone();
    } else {
      this.#state = InstanceState.Idle;
      this.#proc.tree.freeze();
      this.#proc.holdLoop(false);
    }
    this.#settle(result);
  }

  #settle(result: RunResult): void {
    const resolve = this.#resolve;
    this.#resolve = undefined;
    resolve?.(result);
  }

  #onExit(): void {
    // An exit while the process is still being set up is reported by `InstanceProcess.spawn` itself.
    if (this.#proc === undefined) return;
    if (this.#current && !this.#current.ending) {
      this.#abort({ kind: 'exit', how: this.#proc.describeExit() });
      return;
    }
    if (this.#state !== InstanceState.Dead) this.#state = InstanceState.Stopping;
    this.#notifyGone();
    void this.#waitGone();
  }

  /**
   * Ends the running invocation on the parent's decision (timeout, memory, interrupt, protocol fault) or
   * because the process exited. The peak memory is read before the kill; the result is built only once the
   * child's stdio has closed, so every line it wrote before dying is in the log.
   */
  #abort(ending: Ending): void {
    const inv = this.#current;
    if (!inv || inv.ending) return;
    // A V8 heap abort shows as an exit (SIGABRT) with its message on stderr: that is a memory failure.
    inv.ending = ending.kind === 'exit' && this.#heapOom ? { kind: 'memory' } : ending;
    inv.stopTimer();
    this.#opts.watchdog.unwatch(this);
    const live = this.#proc.exited ? undefined : this.#figures(inv);
    const figures = live ?? { duration: inv.elapsed(), memUsage: inv.maxRss, cpuTime: 0 };
    figures.memUsage = Math.max(figures.memUsage, inv.maxRss);
    this.#state = InstanceState.Stopping;
    this.#notifyGone();
    this.#proc.kill();
    void this.#waitGone().then(() => {
      this.#current = undefined;
      if (inv.ending?.kind === 'exit' && this.#heapOom) inv.ending = { kind: 'memory' };
      this.#settle(inv.endedResult(figures));
    });
  }

  #notifyGone(): void {
    if (this.#goneNotified) return;
    this.#goneNotified = true;
    this.#hooks.onGone(this);
  }

  #waitGone(): Promise<void> {
    this.#dead ??= this.#proc.waitGone().then(() => {
      this.#state = InstanceState.Dead;
      this.#notifyGone();
      this.#hooks.onDead(this);
    });
    return this.#dead;
  }
}
