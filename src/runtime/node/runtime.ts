/**
 * The Node.js Runtime: one FunctionPool per function, NodeInstance processes, a reserve of stem cells
 * (pre-started processes bound to a function at its cold start), one shared memory watchdog.
 * Implements the `Runtime` contract of `../types.ts`.
 */
import { fileURLToPath } from 'node:url';
import { ScfError } from '../../errors/index.js';
import { buildFinalLog, type LogFormat } from '../log.js';
import { MemoryWatchdog } from '../memory.js';
import { FunctionPool, type Lease } from '../pool.js';
import type { FunctionRunSpec, RunRequest, RunResult, Runtime, RuntimeStats } from '../types.js';
import {
  errorJson,
  type InstanceHooks,
  type InstanceOptions,
  InstanceState,
  NodeInstance,
  RET_INTERRUPTED,
} from './instance.js';
import { StemCells } from './stemcells.js';

export interface NodeRuntimeOptions {
  /** Concurrency limit of one function (`runtime.maxInstancesPerFunction`). */
  maxInstancesPerFunction: number;
  /** Waiting invocations per function beyond which ConcurrencyLimitReached (`runtime.maxQueuedPerFunction`). */
  maxQueuedPerFunction: number;
  /** Idle instances are stopped after this long (`runtime.idleTimeoutMs`). */
  idleTimeoutMs: number;
  /** Cap on one invocation's whole log (`runtime.maxLogBytes`). */
  maxLogBytes: number;
  logFormat: LogFormat;
  /** Node binary for function processes; default the one running scf-local. */
  nodePath?: string | undefined;
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
}

/** The compiled bootstrap next to this file (`dist/src/runtime/node/bootstrap.js`). */
const BOOTSTRAP_PATH = fileURLToPath(new URL('./bootstrap.js', import.meta.url));

const closedError = (): ScfError => new ScfError('InternalError', 'runtime closed');

export function createNodeRuntime(options: NodeRuntimeOptions): Runtime {
  return new NodeRuntime(options);
}

class NodeRuntime implements Runtime {
  readonly #opts: NodeRuntimeOptions;
  readonly #pools = new Map<string, FunctionPool<NodeInstance>>();
  /** Every process not yet dead, whatever its state: what `close()` must stop. */
  readonly #all = new Set<NodeInstance>();
  readonly #watchdog: MemoryWatchdog;
  readonly #instanceOpts: InstanceOptions;
  readonly #stems: StemCells;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(opts: NodeRuntimeOptions) {
    this.#opts = opts;
    this.#watchdog = new MemoryWatchdog(opts.memoryWatchIntervalMs ?? 25);
    this.#instanceOpts = {
      nodePath: opts.nodePath ?? process.execPath,
      bootstrapPath: BOOTSTRAP_PATH,
      region: opts.region,
      appId: opts.appId ?? '0',
      uin: opts.uin ?? '0',
      maxLogBytes: opts.maxLogBytes,
      logFormat: opts.logFormat,
      watchdog: this.#watchdog,
      onSpawn: (i) => this.#all.add(i),
    };
    this.#stems = new StemCells({
      count: opts.stemCells,
      memorySize: opts.stemCellMemorySize,
      start: (memorySize, hooks) => NodeInstance.startStem(this.#instanceOpts, memorySize, hooks),
      onDead: (i) => this.#all.delete(i),
    });
  }

  async invoke(req: RunRequest): Promise<RunResult> {
    if (this.#closed) throw closedError();
    const { fn } = req;
    const pool = this.#pool(fn);
    const acquired = pool.acquire(fn.revision);
    const lease: Lease<NodeInstance> = acquired instanceof Promise ? await acquired : acquired;
    const startTime = Date.now();
    try {
      req.onStart?.({ startTime });
    } catch (err) {
      // The caller's callback failed: give the slot back before reporting it, or it would leak.
      if ('spawn' in lease) pool.startFailed();
      else this.#afterRun(pool, lease.instance);
      throw err;
    }
    let inst: NodeInstance;
    let coldStart = false;
    const stemmed = 'spawn' in lease && this.#stems.serves(fn);
    if ('spawn' in lease) {
      try {
        inst = await this.#coldStart(fn, pool, stemmed);
      } catch (err) {
        if (stemmed) this.#stems.replenish();
        pool.startFailed();
        if (this.#closed) return interruptedResult(req, startTime, this.#opts);
        throw err;
      }
      pool.adopt(inst);
      coldStart = true;
    } else {
      inst = lease.instance;
    }
    const running = inst.run(req, { startTime, coldStart });
    // The invoke message is on its way: now start the replacement stem cell, whose spawn (a fork, a few ms of
    // this thread) would otherwise delay this invocation.
    if (stemmed) this.#stems.replenish();
    const result = await running;
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
    pool: FunctionPool<NodeInstance>,
    stemmed: boolean,
  ): Promise<NodeInstance> {
    const hooks: InstanceHooks = {
      onGone: (i) => pool.remove(i),
      onDead: (i) => {
        this.#all.delete(i);
        if (pool.empty && this.#pools.get(poolKey(fn)) === pool) this.#pools.delete(poolKey(fn));
      },
    };
    const stem = stemmed ? this.#stems.take() : undefined;
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
    return NodeInstance.start(this.#instanceOpts, fn, hooks);
  }

  #afterRun(pool: FunctionPool<NodeInstance>, inst: NodeInstance): void {
    if (inst.state === InstanceState.Idle) pool.release(inst);
    else pool.remove(inst);
  }

  #pool(fn: FunctionRunSpec): FunctionPool<NodeInstance> {
    const key = poolKey(fn);
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new FunctionPool<NodeInstance>({
        key,
        maxInstances: this.#opts.maxInstancesPerFunction,
        maxQueued: this.#opts.maxQueuedPerFunction,
        idleTimeoutMs: this.#opts.idleTimeoutMs,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  async retire(namespace: string, functionName: string): Promise<void> {
    await this.#pools.get(`${namespace}/${functionName}`)?.retire();
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
    this.#stems.close();
    for (const pool of this.#pools.values()) pool.close(closedError());
    this.#closing = Promise.all([...this.#all].map((i) => i.interrupt())).then(() => {
      this.#watchdog.close();
      this.#pools.clear();
    });
    return this.#closing;
  }
}

const poolKey = (fn: FunctionRunSpec): string => `${fn.namespace}/${fn.functionName}`;

/** Result of an invocation whose instance was still starting when the runtime closed. */
function interruptedResult(req: RunRequest, startTime: number, opts: NodeRuntimeOptions): RunResult {
  const message = 'Invocation interrupted: scf-local is shutting down';
  const duration = Date.now() - startTime;
  return {
    startTime,
    duration,
    memUsage: 0,
    retCode: RET_INTERRUPTED,
    retMsg: errorJson(message, req.requestId, RET_INTERRUPTED),
    errMsg: message,
    log: buildFinalLog({
      format: opts.logFormat,
      requestId: req.requestId,
      user: '',
      dropped: 0,
      maxLogBytes: opts.maxLogBytes,
      platformError: message,
      duration,
      memorySize: req.fn.memorySize,
      memUsage: 0,
    }),
    coldStart: true,
  };
}
