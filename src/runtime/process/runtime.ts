/**
 * The Runtime of every language: one FunctionPool per function, Instance processes running the bootstrap
 * of the function's language (`language.ts`), a reserve of stem cells per language (pre-started processes
 * bound to a function at its cold start), one shared memory watchdog. Implements the `Runtime` contract of
 * `../types.ts`.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScfError } from '../../errors/index.js';
import { defaultLanguages } from '../languages.js';
import { MemoryWatchdog } from '../memory.js';
import { FunctionPool, type Lease } from '../pool.js';
import type { LogFormat } from '../results.js';
import { processlessResult } from '../results.js';
import { probeSandbox, type SandboxMode, type SandboxNetwork, sandboxIds } from '../sandbox/detect.js';
import { SandboxLauncher } from '../sandbox/launcher.js';
import type {
  FunctionRunSpec,
  FunctionType,
  RunRequest,
  RunResult,
  Runtime,
  RuntimeStats,
  SandboxStatus,
} from '../types.js';
import type { SandboxRuntime } from './child.js';
import { Instance, type InstanceHooks, type InstanceOptions, InstanceState } from './instance.js';
import type { Language } from './language.js';
import { StemCells } from './stemcells.js';

export interface RuntimeOptions {
  /** Concurrency limit of one function (`runtime.maxInstancesPerFunction`). */
  maxInstancesPerFunction: number;
  /** Waiting invocations per function beyond which ConcurrencyLimitReached (`runtime.maxQueuedPerFunction`). */
  maxQueuedPerFunction: number;
  /** Idle instances are stopped after this long (`runtime.idleTimeoutMs`). */
  idleTimeoutMs: number;
  /** Cap on one invocation's whole log (`runtime.maxLogBytes`). */
  maxLogBytes: number;
  logFormat: LogFormat;
  /**
   * The languages functions can be written in (default `defaultLanguages` of `nodePath`/`pythonPath`); a
   * function whose runtime none runs fails to start (439).
   */
  languages?: readonly Language[];
  /** Node binary for Node.js functions; default the one running scf-local. */
  nodePath?: string | undefined;
  /** Node binaries by major version, for the `Nodejs<major>.x` labels (`runtime.node.binaries`). */
  node?: { binaries?: Record<string, string> | undefined } | undefined;
  /** Python 3 interpreter for Python functions; default /usr/bin/python3. */
  pythonPath?: string | undefined;
  /** `context.tencentcloud_region`, `TENCENTCLOUD_REGION` (`config.region`). */
  region: string;
  /** `context.tencentcloud_appid`; scf-local has no accounts, so a fixed placeholder by default. */
  appId?: string;
  /** `context.tencentcloud_uin`; placeholder by default. */
  uin?: string;
  /** RSS watchdog period; 0 leaves only V8's heap cap. Default 25 ms. */
  memoryWatchIntervalMs?: number;
  /** Pre-started processes kept for cold starts (`runtime.stemCells`); 0 disables. */
  stemCells: number;
  /** The memory size (MB) stem cells are started for; they serve only functions of that size. */
  stemCellMemorySize: number;
  /**
   * `auto` (default): sandbox every instance when bubblewrap works here, else run plain processes and say
   * so loudly; `required`: refuse to start without it; `off`: plain processes (trusted code only).
   */
  sandbox?: SandboxMode;
  /** The sandbox's network: `slirp` (outbound only, not the host's loopback; default) or `none`. */
  sandboxNetwork?: SandboxNetwork;
  /** Size of each instance's private /tmp, MB (SCF: 512). */
  tmpSizeMb?: number;
  /** Host uid (and gid) sandboxed instances run as when scf-local runs as root (default 65534, nobody). */
  sandboxUid?: number;
  /** Folder for the sandbox's own files (code slots of stem cells, its /etc); default a temp folder. */
  workDir?: string;
}

/** The runtime folder (`dist/src/runtime`), where every language's bootstrap files are. */
const RUNTIME_DIR = fileURLToPath(new URL('..', import.meta.url));

/**
 * True when `uid` can traverse every folder down to `dir` (or `dir` does not exist yet below folders it
 * can traverse): checked on the "other" bits, as the sandbox user is nobody's owner.
 */
function openToOthers(dir: string): boolean {
  for (let d = dirname(dir); ; d = dirname(d)) {
    try {
      if ((statSync(d).mode & 0o001) === 0) return false;
    } catch {
      // Not there yet: created later, with an open mode.
    }
    if (dirname(d) === d) return true;
  }
}

/**
 * Decides, once per runtime, whether instances are sandboxed (see `RuntimeOptions.sandbox`). Throws a
 * coded error when `required` and bubblewrap cannot work here.
 */
function setUpSandbox(
  opts: RuntimeOptions,
  languages: readonly Language[],
): { sandbox: SandboxRuntime | undefined; status: SandboxStatus } {
  const mode = opts.sandbox ?? 'auto';
  if (mode === 'off')
    return { sandbox: undefined, status: { isolated: false, reason: 'runtime.sandbox is "off"' } };
  const uid = opts.sandboxUid ?? 65534;
  const probe = probeSandbox(uid);
  if (!probe.bwrap) {
    const reason = probe.problem ?? 'bubblewrap is unavailable';
    if (mode === 'required') {
      throw new ScfError('InternalError', `runtime.sandbox is "required" but ${reason}`);
    }
    return { sandbox: undefined, status: { isolated: false, reason } };
  }
  let network = opts.sandboxNetwork ?? 'slirp';
  let reason: string | undefined;
  if (network === 'slirp' && !probe.slirp4netns) {
    // Isolation holds without it; only outbound networking is lost, and that is said.
    network = 'none';
    reason = 'slirp4netns is not installed: functions have no network';
  }
  const launcher = new SandboxLauncher({
    bwrap: probe.bwrap,
    network,
    tmpBytes: (opts.tmpSizeMb ?? 512) * 1024 * 1024,
    runtimeDir: RUNTIME_DIR,
    runtimeFiles: [...new Set(languages.flatMap((l) => l.files))],
    binaries: languages.map((l) => l.binary),
    // Under the data folder when bwrap (the sandbox user) can reach it there (hard links then stay on one
    // file system), else a temp folder.
    workDir: opts.workDir && openToOthers(opts.workDir) ? opts.workDir : undefined,
  });
  return {
    sandbox: { launcher, slirp4netns: probe.slirp4netns, ids: sandboxIds(uid) },
    status: { isolated: true, network, ...(reason ? { reason } : {}) },
  };
}

const closedError = (): ScfError => new ScfError('InternalError', 'runtime closed');

export function createRuntime(options: RuntimeOptions): Runtime {
  return new ProcessRuntime(options);
}

class ProcessRuntime implements Runtime {
  readonly #opts: RuntimeOptions;
  readonly #pools = new Map<string, FunctionPool<Instance>>();
  /** Every process not yet dead, whatever its state: what `close()` must stop. */
  readonly #all = new Set<Instance>();
  /** Process starts under way (a sandbox takes a while to set up): `close()` waits for them too. */
  readonly #starting = new Set<Promise<unknown>>();
  readonly #watchdog: MemoryWatchdog;
  /** Per language: what its instances share, and its reserve of stem cells. */
  readonly #languages: { language: Language; instanceOpts: InstanceOptions; stems: StemCells }[];
  readonly #sandbox: SandboxRuntime | undefined;
  readonly #status: SandboxStatus;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(opts: RuntimeOptions) {
    this.#opts = opts;
    this.#watchdog = new MemoryWatchdog(opts.memoryWatchIntervalMs ?? 25);
    const languages =
      opts.languages ??
      defaultLanguages({
        nodePath: opts.nodePath,
        pythonPath: opts.pythonPath,
        nodeBinaries: opts.node?.binaries,
      });
    const { sandbox, status } = setUpSandbox(opts, languages);
    this.#sandbox = sandbox;
    this.#status = status;
    this.#languages = languages.map((language) => {
      const instanceOpts: InstanceOptions = {
        language,
        runtimeDir: RUNTIME_DIR,
        sandbox,
        region: opts.region,
        appId: opts.appId ?? '0',
        uin: opts.uin ?? '0',
        maxLogBytes: opts.maxLogBytes,
        logFormat: opts.logFormat,
        ranOn: (runtime) => language.ranOn(runtime),
        memoryFailure: language.memoryFailure,
        watchdog: this.#watchdog,
        onSpawn: (i) => {
          this.#all.add(i);
          // Started while the runtime closed: nothing will ever use it.
          if (this.#closed) void i.interrupt();
        },
      };
      const stems = new StemCells({
        count: opts.stemCells,
        memorySize: opts.stemCellMemorySize,
        startupVariable: language.startupVariable,
        eager: language.eagerStemCells,
        start: (memorySize, hooks) => this.#track(Instance.startStem(instanceOpts, memorySize, hooks)),
        onDead: (i) => this.#all.delete(i),
      });
      return { language, instanceOpts, stems };
    });
  }

  ranOn(runtime: string): string | undefined {
    return this.#languageOf(runtime)?.language.ranOn(runtime);
  }

  /**
   * The language that runs an SCF runtime name for a function of `type` (default `Event`), or undefined
   * (one no language runs here).
   */
  #languageOf(runtime: string, type: FunctionType = 'Event') {
    return this.#languages.find(
      (l) => (l.language.functionType ?? 'Event') === type && l.language.runs(runtime),
    );
  }

  async invoke(req: RunRequest): Promise<RunResult> {
    if (this.#closed) throw closedError();
    const { fn } = req;
    const pool = this.#pool(fn);
    const acquired = pool.acquire(fn.revision);
    const lease: Lease<Instance> = acquired instanceof Promise ? await acquired : acquired;
    const startTime = Date.now();
    try {
      req.onStart?.({ startTime });
    } catch (err) {
      // The caller's callback failed: give the slot back before reporting it, or it would leak.
      if ('spawn' in lease) pool.startFailed();
      else this.#afterRun(pool, lease.instance);
      throw err;
    }
    let inst: Instance;
    let coldStart = false;
    const lang = this.#languageOf(fn.runtime, fn.type);
    const stemmed = 'spawn' in lease && lang !== undefined && lang.stems.serves(fn);
    if ('spawn' in lease) {
      try {
        if (!lang) throw new ScfError('InternalError', `no language here runs ${fn.runtime}`);
        inst = await this.#coldStart(fn, pool, lang, stemmed);
      } catch (err) {
        if (stemmed) lang?.stems.replenish();
        pool.startFailed();
        // The invocation has started (its record exists): it ends with a result, never a rejection.
        const ending = this.#closed
          ? ({ kind: 'interrupt' } as const)
          : ({ kind: 'start', why: startFailure(err) } as const);
        return processlessResult(req, startTime, ending, this.#opts);
      }
      pool.adopt(inst);
      coldStart = true;
    } else {
      inst = lease.instance;
    }
    const running = inst.run(req, { startTime, coldStart });
    // The replacement stem cell is started once this invocation is over: its spawn and sandbox set-up take
    // a few ms of this thread, which would otherwise delay the very cold start it replaces.
    const result = await running;
    if (stemmed) lang?.stems.replenish();
    this.#afterRun(pool, inst);
    return result;
  }

  /**
   * A new instance of `fn`, busy: a stem cell bound to it when one serves, else a fresh process. A stem cell
   * that turns out dead (or cannot be bound) costs nothing but the fallback: a fresh start, which reports
   * the function's own failure if there is one (a missing code folder, say).
   */
  async #coldStart(
    fn: FunctionRunSpec,
    pool: FunctionPool<Instance>,
    lang: { instanceOpts: InstanceOptions; stems: StemCells },
    stemmed: boolean,
  ): Promise<Instance> {
    const hooks: InstanceHooks = {
      onGone: (i) => pool.remove(i),
      onDead: (i) => {
        this.#all.delete(i);
        if (pool.empty && this.#pools.get(poolKey(fn)) === pool) this.#pools.delete(poolKey(fn));
      },
    };
    const stem = stemmed ? lang.stems.take() : undefined;
    if (stem) {
      // A cell still starting holds no event loop handle (it was a cache): this invocation must keep the server
      // alive while it waits for it; binding then refs the process's own handles.
      const keepAlive = setInterval(() => {}, 60_000);
      try {
        const inst = await stem.finally(() => clearInterval(keepAlive));
        await inst.bind(fn, hooks);
        return inst;
      } catch (err) {
        // Fall back to a fresh start (the cell is stopped already), unless the runtime is closing.
        if (this.#closed) throw err;
      }
    }
    return this.#track(Instance.start(lang.instanceOpts, fn, hooks));
  }

  #track<T>(start: Promise<T>): Promise<T> {
    const settled = start.then(
      () => undefined,
      () => undefined,
    );
    this.#starting.add(settled);
    void settled.then(() => this.#starting.delete(settled));
    return start;
  }

  #afterRun(pool: FunctionPool<Instance>, inst: Instance): void {
    if (inst.state === InstanceState.Idle) pool.release(inst);
    else pool.remove(inst);
  }

  #pool(fn: FunctionRunSpec): FunctionPool<Instance> {
    const key = poolKey(fn);
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new FunctionPool<Instance>({
        key,
        maxInstances: this.#opts.maxInstancesPerFunction,
        maxQueued: this.#opts.maxQueuedPerFunction,
        idleTimeoutMs: this.#opts.idleTimeoutMs,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  async retire(namespace: string, functionName: string, keepVersions?: ReadonlySet<string>): Promise<void> {
    const base = `${namespace}/${functionName}`;
    const retiring: Promise<void>[] = [];
    for (const [key, pool] of this.#pools) {
      if (key === base) retiring.push(pool.retire());
      else if (key.startsWith(`${base}@`) && !keepVersions?.has(key.slice(base.length + 1))) {
        retiring.push(pool.retire());
      }
    }
    await Promise.all(retiring);
  }

  sandboxStatus(): SandboxStatus {
    return this.#status;
  }

  stats(): RuntimeStats {
    let instances = 0;
    let busy = 0;
    let queued = 0;
    for (const p of this.#pools.values()) {
      instances += p.instances;
      busy += p.busy;
      queued += p.queued;
    }
    return { instances, busy, queued };
  }

  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    for (const l of this.#languages) l.stems.close();
    for (const pool of this.#pools.values()) pool.close(closedError());
    this.#closing = (async () => {
      // Starts under way end first (each interrupts itself on arrival, see onSpawn), then everything stops.
      // Stem cells hold no event loop handle while they start: this wait must, or the process could exit
      // with close() unresolved.
      const keepAlive = setInterval(() => {}, 60_000);
      try {
        while (this.#starting.size > 0) await Promise.all([...this.#starting]);
      } finally {
        clearInterval(keepAlive);
      }
      await Promise.all([...this.#all].map((i) => i.interrupt()));
    })().then(() => {
      this.#watchdog.close();
      this.#pools.clear();
      this.#sandbox?.launcher.close();
    });
    return this.#closing;
  }
}

/** One pool per version: `ns/fn` for `$LATEST`, `ns/fn@<version>` for a published one. */
const poolKey = (fn: FunctionRunSpec): string =>
  fn.version === undefined || fn.version === LATEST_VERSION
    ? `${fn.namespace}/${fn.functionName}`
    : `${fn.namespace}/${fn.functionName}@${fn.version}`;
const LATEST_VERSION = '$LATEST';

/** Words for a failed start: the error and what caused it (`spawn ... ENOENT`, a missing folder). */
function startFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : undefined;
  return cause && !message.includes(cause) ? `${message}: ${cause}` : message;
}
