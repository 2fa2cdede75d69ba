/**
 * The parent side of one instance (a process of one language's bootstrap, `language.ts`): its state machine. The parts live next to it: `child.ts` (the
 * process, its sandbox, kill and waits), `frames.ts` (reading the frame pipe, the start-up handshake),
 * `environment.ts` (what the process is told), `invocation.ts` (the one invocation it runs at a time: timer,
 * watchdog, result, the platform's decision to end it), `../results.ts` (retCodes, messages, the result).
 *
 * States: starting -> [stem -> starting ->] busy <-> idle, then stopping -> dead. `starting` = spawned, until
 * the child said `ready` and acknowledged its function (`init` -> `bound`); `stem` = a stem cell: ready but
 * bound to no function yet (see `stemcells.ts`), back to `starting` while it is bound; `idle` = frozen
 * (every process of the instance stopped with SIGSTOP until its next invocation); `stopping` = SIGKILL
 * sent (or the process exited), waiting for its stdio to close so no byte it wrote is lost; `dead` = gone
 * for good. Every wait on the child is raced against its exit and a deadline.
 */
import { ScfError } from '../../errors/index.js';
import type { MemoryWatchdog, Watched } from '../memory.js';
import { fillSlot, RUNTIME_MOUNT } from '../sandbox/launcher.js';
import { DEFAULT_INIT_TIMEOUT_S, type FunctionRunSpec, type RunRequest, type RunResult } from '../types.js';
import { InstanceProcess } from './child.js';
import { initMessage, type PlatformFacts, spawnEnv } from './environment.js';
import { FrameReader, Handshake, type HandshakeFrame } from './frames.js';
import { InvocationRunner, type InvocationSettings } from './invocation.js';
import type { Language } from './language.js';
import type { ChildFrame } from './protocol.js';

export const InstanceState = {
  Starting: 'starting',
  Stem: 'stem',
  Idle: 'idle',
  Busy: 'busy',
  Stopping: 'stopping',
  Dead: 'dead',
} as const;
export type InstanceState = (typeof InstanceState)[keyof typeof InstanceState];

/** What every instance of a runtime shares. */
export interface InstanceOptions extends InvocationSettings, PlatformFacts {
  /** The language whose bootstrap the process runs. */
  language: Language;
  /** Host path of the runtime folder (`dist/src/runtime`; the process sees `/var/runtime` in a sandbox). */
  runtimeDir: string;
  watchdog: MemoryWatchdog;
  /** Called as soon as a process exists (before it is ready), so `close()` can reach it. */
  onSpawn: (instance: Instance) => void;
}

/**
 * Who hears about the end of a process: the pool of its function, or the stem-cell reserve while it is bound
 * to none. Replaced when a stem cell is bound.
 */
export interface InstanceHooks {
  /** Called once when the process is gone or going (exit, kill, failure): the pool drops it. */
  onGone: (instance: Instance) => void;
  /** Called once when the process has exited and its stdio is closed. */
  onDead: (instance: Instance) => void;
}

export class Instance implements Watched {
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
  readonly #handshake = new Handshake();
  readonly #runner: InvocationRunner;
  #startupStderr = '';
  /** The function was retired, or the child dropped its IPC channel: do not reuse after this invocation. */
  #noReuse = false;
  #interrupted = false;
  #goneNotified = false;
  #dead: Promise<void> | undefined;
  /** A protocol fault seen while the process was still being set up (acted on once it exists). */
  #earlyFault: string | undefined;
  /** Loading the function's code ahead (`preload`): what it says on stderr is kept as at a start. */
  #preloading = false;
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
    this.#runner = new InvocationRunner({
      proc: () => this.#proc,
      watchdog: opts.watchdog,
      watched: this,
      memoryLimitBytes: this.memoryLimitBytes,
      settings: opts,
      rest: (fatal) => this.#rest(fatal),
      end: () => {
        this.#state = InstanceState.Stopping;
        this.#notifyGone();
        this.#proc.kill();
        return this.#waitGone();
      },
    });
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
  static async start(opts: InstanceOptions, fn: FunctionRunSpec, hooks: InstanceHooks): Promise<Instance> {
    const inst = await Instance.#spawn(opts, hooks, fn.memorySize, fn.functionName, fn);
    await inst.bind(fn, hooks);
    return inst;
  }

  /**
   * Spawns a stem cell: a process bound to no function yet (an empty code slot in a sandbox, cwd `/`
   * without), the base environment only, the V8 heap cap of `memorySize`. Resolves once it is ready (state
   * `stem`); it never holds the event loop until bound.
   */
  static async startStem(opts: InstanceOptions, memorySize: number, hooks: InstanceHooks): Promise<Instance> {
    const inst = await Instance.#spawn(opts, hooks, memorySize, `a stem cell (${memorySize} MB)`, undefined);
    inst.#state = InstanceState.Stem;
    return inst;
  }

  static async #spawn(
    opts: InstanceOptions,
    hooks: InstanceHooks,
    memorySize: number,
    label: string,
    fn: FunctionRunSpec | undefined,
  ): Promise<Instance> {
    const inst = new Instance(opts, hooks, memorySize, label);
    inst.#proc = await InstanceProcess.spawn(
      {
        command: opts.language.command(opts.sandbox ? RUNTIME_MOUNT : opts.runtimeDir, memorySize),
        countMain: opts.language.countMain ?? true,
        codeDir: fn?.codeDir,
        env: spawnEnv(fn, opts),
        label,
        sandbox: opts.sandbox,
      },
      {
        frames: (chunk) => inst.#frames.push(chunk),
        raw: (fd, chunk) => inst.#onRaw(fd, chunk),
        exit: () => inst.#onExit(),
        disconnect: () => {
          // Like an exit, a disconnect while the process is being set up is the set-up's to report (a failed
          // sandbox attempt that is tried again must not mark the instance it then serves).
          if (inst.#proc === undefined) return;
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
    await inst.#shake('ready');
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
      this.#fn === undefined && !this.#handshake.waiting && !this.#proc.exited && !this.#interrupted;
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
        const why = `cannot give ${fn.functionName} its code: ${(err as Error).message}`;
        throw new ScfError('InternalError', why, { cause: err });
      }
    }
    const bound = this.#shake('bound', this.#opts.language.bindDeadlineMs?.(fn));
    this.#proc.send(initMessage(fn, this.#opts));
    await bound;
    this.#state = InstanceState.Busy;
  }

  /**
   * Waits for the child's next handshake frame, raced against its exit, a deadline and `close()`. On failure
   * the process is stopped and the error carries what it printed to stderr meanwhile.
   */
  #shake(frame: HandshakeFrame, deadlineMs?: number): Promise<void> {
    return this.#handshake.wait(frame, this.#proc, {
      ...(deadlineMs === undefined ? {} : { deadlineMs }),
      cancelled: () => this.#interrupted,
      fail: (why) => {
        void this.stop();
        const detail = this.#startupStderr.trim();
        return new ScfError(
          'InternalError',
          `instance of ${this.#label} failed to start: ${why}${detail ? `: ${detail}` : ''}`,
        );
      },
    });
  }

  /**
   * A started instance that runs nothing yet (provisioned ahead of demand): busy -> idle, frozen as after
   * an invocation, or stopped when it may not be reused.
   */
  rest(): void {
    if (this.#state === InstanceState.Busy && !this.#runner.running) this.#rest(false);
  }

  /**
   * Loads the function's code ahead of its first invocation (a provisioned instance, still busy from its
   * start), when its language can; raced against its exit and the init timeout. Rejects with InternalError
   * (the process is then stopped) when the code fails to load: what it printed says why.
   */
  async preload(): Promise<void> {
    if (!this.#opts.language.preloads || this.#state !== InstanceState.Busy || this.#runner.running) return;
    this.#startupStderr = '';
    this.#preloading = true;
    try {
      const loaded = this.#shake('loaded', (this.#fn?.initTimeout ?? DEFAULT_INIT_TIMEOUT_S) * 1000);
      this.#proc.send({ t: 'load' });
      await loaded;
    } finally {
      this.#preloading = false;
    }
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
    this.#state = InstanceState.Busy;
    return this.#runner.run(req, { ...opts, interrupted: this.#interrupted });
  }

  rss(): number | undefined {
    return this.#proc.tree.rss();
  }

  /** Watchdog sample: remembers the peak; kills the invocation when over memorySize. */
  onMemorySample(rss: number): void {
    this.#runner.sample(rss);
  }

  /**
   * Stops the process (SIGKILL to everything in it); resolves once it is dead. A running invocation ends as
   * an exit (PROCESS_EXITED).
   */
  stop(): Promise<void> {
    // Still being set up: InstanceProcess.spawn cleans up after itself when it fails.
    if (this.#proc === undefined) return Promise.resolve();
    if (this.#runner.running) {
      this.#runner.abort({ kind: 'exit', how: 'stopped by the platform' });
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
    if (this.#runner.running) {
      this.#runner.abort({ kind: 'interrupt' });
      return this.#waitGone();
    }
    return this.stop();
  }

  // --------------------------------------------------------------------------------------------------

  #onFrame(frame: ChildFrame): void {
    switch (frame.t) {
      case 'log':
        this.#runner.log(frame.d);
        return;
      case 'ready':
      case 'bound':
      case 'loaded':
        if (!this.#handshake.receive(frame.t, this.#state === InstanceState.Starting)) {
          this.#protocolFault(`unexpected ${frame.t} frame`);
        }
        return;
      case 'done':
        // A subprocess's raw output (fd 1/2), written before the result, can be read in the same turn as the
        // result but after it: the result is taken once this turn's reads are done, so that output is the
        // invocation's.
        setImmediate(() => {
          if (!this.#runner.done(frame)) this.#protocolFault('result for no running invocation');
        });
        return;
    }
  }

  #onRaw(fd: 1 | 2, text: string): void {
    if (this.#runner.raw(fd, text)) return;
    const starting = this.#state === InstanceState.Starting || this.#preloading;
    if (starting && this.#startupStderr.length < 2000) {
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
    if (this.#runner.running) this.#runner.abort({ kind: 'protocol', why });
    else void this.stop();
  }

  /** A result is in and the invocation is over: the process rests frozen until the next one, or is stopped. */
  #rest(fatal: boolean): void {
    if (fatal || this.#noReuse || this.#interrupted || this.#proc.exited) {
      this.#state = InstanceState.Stopping;
      this.#notifyGone();
      this.#proc.kill();
      void this.#waitGone();
    } else {
      this.#state = InstanceState.Idle;
      // Frozen only when the kernel kills it with the server: a stopped process cannot see its server go.
      if (this.#proc.diesWithServer) this.#proc.tree.freeze();
      this.#proc.holdLoop(false);
    }
  }

  #onExit(): void {
    // An exit while the process is still being set up is reported by `InstanceProcess.spawn` itself.
    if (this.#proc === undefined) return;
    if (this.#runner.running) {
      this.#runner.abort({ kind: 'exit', how: this.#proc.describeExit() });
      return;
    }
    if (this.#state !== InstanceState.Dead) this.#state = InstanceState.Stopping;
    this.#notifyGone();
    void this.#waitGone();
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
