/**
 * The Runtime seam: runs one invocation of a function in an instance (its own OS process) and reports
 * what happened. It never writes records: the Invoker (`src/invocations/`) turns results into records.
 *
 * Contract:
 * - `invoke()` never rejects for anything the function does (throw, hang, OOM, exit, flood): those are
 *   results with their retCode. It rejects only with a ScfError for platform conditions
 *   (ConcurrencyLimitReached when the function's pool and queue are full) before `onStart`, or when the
 *   runtime is closed (InternalError; also for invocations still queued at `close()`, which never started).
 *   Once `onStart` was called it always resolves: an instance that cannot start is a result (retCode 439,
 *   "the instance failed to start: ...").
 * - `onStart` is called when the invocation gets its instance slot (after queueing, before the cold start)
 *   with the invocation's start time, which is also the result's `startTime`; on a warm instance the handler
 *   starts within a fraction of a millisecond of it. `onLog` receives the invocation's user log text
 *   incrementally, already formatted (whole lines), so a running invocation's log can be persisted before it
 *   ends. The final `log` in the result is the whole log (capped at maxLogBytes with a visible marker),
 *   including platform lines.
 * - retCodes: 0 success; 430 the function threw / rejected / called back with an error, or an exception
 *   escaped it (uncaught, unhandled rejection: the instance is then replaced); 433 timeout; 434 memory;
 *   437 handler not found; 439 the process exited or crashed mid-invocation; 3 interrupted by `close()`.
 * - After a failure that kills the instance (timeout, OOM, exit, uncaught exception, failed module load), the
 *   next invocation gets a fresh one.
 * - `retire(key)` stops the warm instances of a function (its code or configuration changed): idle ones at
 *   once (it resolves when they are gone); running invocations finish first, their instances are then
 *   stopped. `close()` stops everything; invocations still running end with retCode 3 (interrupted), and it
 *   resolves when every process is gone. Both idempotent.
 */

/** SCF's default InitTimeout, seconds: how long a Custom Runtime's bootstrap may take to be ready. */
export const DEFAULT_INIT_TIMEOUT_S = 65;

/** SCF's function types: `Event` functions run a handler; `HTTP` (web) functions serve HTTP on port 9000. */
export type FunctionType = 'Event' | 'HTTP';

/** What the runtime needs to know about a function to run it. */
export interface FunctionRunSpec {
  namespace: string;
  functionName: string;
  /** Changes whenever code or configuration changes; instances of an older revision are not reused. */
  revision: number;
  /**
   * The version this is (`$LATEST`, or a published version's number; default `$LATEST`): each version has
   * its own instances and limits, so publishing or changing `$LATEST` leaves a version's warm instances be.
   */
  version?: string;
  /** `file.export`, e.g. `index.main_handler`. */
  handler: string;
  /** SCF runtime name, e.g. `Nodejs18.15`, `Python3.9`, `CustomRuntime` (see `languages.ts`). */
  runtime: string;
  /** `Event` (default) or `HTTP` (a web function: its event is an HTTP request, `web/protocol.ts`). */
  type?: FunctionType;
  /** Absolute path of the extracted code. */
  codeDir: string;
  /** MB. */
  memorySize: number;
  /** Seconds. */
  timeout: number;
  /** Seconds a Custom Runtime's bootstrap may take to report ready (SCF's InitTimeout; default 65). */
  initTimeout?: number;
  environment: Record<string, string>;
}

export interface RunRequest {
  fn: FunctionRunSpec;
  requestId: string;
  /** Qualifier reported to the function (`context.function_version`). */
  qualifier: string;
  /** The event as JSON text (the function receives it parsed). */
  event: string;
  /** Called once, when the invocation starts (the moment its startTime is taken). */
  onStart?: (info: { startTime: number }) => void;
  /** Incremental, formatted log text (whole lines). */
  onLog?: (text: string) => void;
  /** Aborted: the running invocation is ended (`terminated`: retCode 3, its log kept). */
  signal?: AbortSignal;
}

export interface RunResult {
  /** Epoch ms UTC. */
  startTime: number;
  /**
   * ms, the parent's monotonic clock, sub-ms precision: from the `invoke` message to the result (a cold
   * start's module load included; process start excluded). Never what the function's process claims.
   */
  duration: number;
  /** Bytes: peak resident memory of every process of the instance during this invocation. */
  memUsage: number;
  /** CPU time (user + system) of every process of the instance during this invocation, ms. */
  cpuTime: number;
  /** 0, 407, 430, 433, 434, 437, 439, or 3 (interrupted by shutdown): see `results.ts`. */
  retCode: number;
  /** JSON of the return value, or SCF's error JSON. */
  retMsg: string;
  /** Error message for failed invocations ('' on success). */
  errMsg: string;
  /** The whole log of the invocation, formatted as SCF does, capped. */
  log: string;
  /** True when this invocation started the instance (module code ran in it). */
  coldStart: boolean;
}

export interface RuntimeStats {
  instances: number;
  busy: number;
  queued: number;
}

/** Whether function instances are isolated, and if not why (shown at start-up and by `/healthz`). */
export interface SandboxStatus {
  isolated: boolean;
  /** The sandbox's network when isolated: `slirp` (outbound, no host loopback) or `none`. */
  network?: 'slirp' | 'none';
  /** Why not isolated, or what is degraded. */
  reason?: string;
}

export interface Runtime {
  invoke(req: RunRequest): Promise<RunResult>;
  /**
   * What runs functions of an SCF runtime name (`Node.js v20.20.2`), when it is not the version the name
   * says; undefined when it is, or when the name claims no version (CustomRuntime).
   */
  ranOn(runtime: string): string | undefined;
  sandboxStatus(): SandboxStatus;
  /**
   * Retires the instances of the function's `$LATEST`, and of each published version not in
   * `keepVersions` (default: none kept; a version never changes, so only a deleted one needs retiring).
   */
  retire(namespace: string, functionName: string, keepVersions?: ReadonlySet<string>): Promise<void>;
  stats(): RuntimeStats;
  close(): Promise<void>;
}
