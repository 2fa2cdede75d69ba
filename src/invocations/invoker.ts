/**
 * The Invoker: the one path every invocation takes. It looks the function up, runs it on the runtime and
 * writes its record: a running record (retCode 2) when the handler starts, the log as it arrives, and the
 * final record at the end. Each record is reported (`onRecord`) once durable, and each chunk of log text as
 * it arrives (`onLog`), for the live tail. A synchronous caller is answered only once the final record is durable; an
 * asynchronous (Event) caller once the running record is durable.
 */
import { type ScfError, toScfError } from '../errors/index.js';
import type { FunctionRegistry } from '../functions/registry.js';
import type { FunctionDefinition } from '../functions/types.js';
import { stderrReport } from '../logger/index.js';
import { processlessResult } from '../runtime/results.js';
import type { FunctionRunSpec, RunRequest, RunResult, Runtime } from '../runtime/types.js';
import { type InvocationRecord, RET_CODE, type StartConcurrency } from '../store/types.js';
import type { RecordWriter } from '../store/writer.js';
import { uuidv7 } from './request-id.js';

export interface InvokeRequest {
  functionName: string;
  namespace?: string;
  /** `$LATEST` (default), a published version, or an alias (`$DEFAULT` included). */
  qualifier?: string;
  /** The event as JSON text. */
  event: string;
  /** Event (async): resolve once the invocation has started and its running record is durable. */
  async?: boolean;
  /** The request id to record (an async event's attempt); default a new UUIDv7. */
  requestId?: string;
  /** The attempt of an async event this invocation is (its record's retryNum); default 0. */
  retryNum?: number;
  /** Aborting it ends the running invocation (TerminateAsyncEvent): retCode 3, the log kept. */
  signal?: AbortSignal;
}

export interface InvokeOutcome {
  requestId: string;
  /** The final record; absent for async invocations. */
  record?: InvocationRecord;
  /** Error message of a failed invocation ('' on success); absent for async. */
  errMsg?: string;
}

export interface InvokerOptions {
  /** billDuration = ceil(duration / g) * g. */
  billingGranularityMs: number;
  /**
   * Where the faults of async invocations that come after their answer (the final record could not be
   * written) are reported, with the invocation's request id. Default: `error` lines on stderr.
   */
  onBackgroundError?: (err: ScfError, fields: { requestId: string }) => void;
  /**
   * Called after a record is durable: `start` once the running record is committed, `end` once the
   * final one is. For one invocation `start` always comes before `end`. Must not throw.
   */
  onRecord?: (event: RecordEvent) => void;
  /**
   * Called with each chunk of an invocation's log (whole, formatted lines) as the function prints it, for
   * the live tail. For one invocation every chunk comes after its `start` onRecord and before its `end`;
   * chunks printed before the running record is durable are held until `start` has been reported. The
   * final record's log stays the authoritative whole (it adds the platform lines). Must not throw.
   */
  onLog?: (event: LogEvent) => void;
  /**
   * The runtime's log format (`runtime.logFormat`), for the one record the Invoker writes a log for itself:
   * an instance the runtime failed to start and reported by rejecting. Default `scf`.
   */
  logFormat?: 'scf' | 'legacy';
}

export interface RecordEvent {
  type: 'start' | 'end';
  record: InvocationRecord;
}

/** A chunk of one invocation's log, as the runtime formatted it. */
export interface LogChunk {
  requestId: string;
  functionName: string;
  namespace: string;
  /**
   * The version that runs (the record's `qualifier`), so a tail that follows one version can select its
   * chunks without having seen their invocation's `start`. Absent when the source cannot say (a cluster
   * feed row whose record is gone).
   */
  qualifier?: string;
  text: string;
}

export interface LogEvent {
  type: 'log';
  log: LogChunk;
}

export interface InvokerDeps {
  functions: FunctionRegistry;
  runtime: Runtime;
  writer: RecordWriter;
}

export function billDuration(duration: number, granularityMs: number): number {
  // A tiny epsilon keeps float noise (e.g. 100.0000000001) from billing an extra unit.
  return Math.max(granularityMs, Math.ceil(duration / granularityMs - 1e-9) * granularityMs);
}

/** What the runtime is told about `def` (version `version` of its function), whose code is (held) at `codeDir`. */
export function runSpec(def: FunctionDefinition, codeDir: string, version: string): FunctionRunSpec {
  return {
    namespace: def.namespace,
    functionName: def.functionName,
    revision: def.revision,
    version,
    handler: def.handler,
    runtime: def.runtime,
    type: def.type,
    codeDir,
    memorySize: def.memorySize,
    timeout: def.timeout,
    initTimeout: def.attributes.initTimeout,
    environment: def.environment,
  };
}

/** Calls `f`, turning a synchronous throw into a rejection. */
function settle<T>(f: () => Promise<T>): Promise<T> {
  try {
    return f();
  } catch (err) {
    return Promise.reject(err);
  }
}

/** A key of the running counts: a function, or one version of it. NUL never occurs in names. */
const runKey = (namespace: string, functionName: string, qualifier?: string): string =>
  qualifier === undefined ? `${namespace}\0${functionName}` : `${namespace}\0${functionName}\0${qualifier}`;

export class Invoker {
  readonly #deps: InvokerDeps;
  readonly #options: InvokerOptions;
  readonly #onBackgroundError: NonNullable<InvokerOptions['onBackgroundError']>;
  readonly #inFlight = new Set<Promise<unknown>>();
  /**
   * Invocations running on this node, by function and by function version (keys from `runKey`), counted
   * from their start (onStart) to their end: what each start saw is written with its final record, for
   * the rollups' ConcurrentExecutions (`store/rollup.ts`).
   */
  readonly #running = new Map<string, number>();

  constructor(deps: InvokerDeps, options: InvokerOptions) {
    this.#deps = deps;
    this.#options = options;
    this.#onBackgroundError =
      options.onBackgroundError ?? stderrReport('async invocation failed after its answer');
  }

  /** Counts a start; returns what it saw running (itself included). */
  #started(namespace: string, functionName: string, qualifier: string): StartConcurrency {
    const fn = runKey(namespace, functionName);
    const v = runKey(namespace, functionName, qualifier);
    const f = (this.#running.get(fn) ?? 0) + 1;
    const q = (this.#running.get(v) ?? 0) + 1;
    this.#running.set(fn, f);
    this.#running.set(v, q);
    return { qualifier: q, function: f };
  }

  #ended(namespace: string, functionName: string, qualifier: string): void {
    for (const key of [runKey(namespace, functionName), runKey(namespace, functionName, qualifier)]) {
      const n = (this.#running.get(key) ?? 1) - 1;
      if (n > 0) this.#running.set(key, n);
      else this.#running.delete(key);
    }
  }

  /** What actually runs functions of `runtime`, when it is not the version the name says (`Runtime.ranOn`). */
  ranOn(runtime: string): string | undefined {
    return this.#deps.runtime.ranOn(runtime);
  }

  /**
   * Runs one invocation. Rejects (ScfError) only when it never started (FunctionNotFound; StoreUnavailable
   * while a shared catalog cannot be read; or the runtime refused it before giving it an instance slot:
   * ConcurrencyLimitReached, runtime closed) or on a store fault. Whatever the function does is in the
   * record, and so is a runtime that fails to start or run an instance after `onStart`: it should resolve
   * with a result then, but if it rejects instead the invocation still ends in a final record (retCode
   * 439, "instance failed to start: ...").
   */
  async invoke(req: InvokeRequest): Promise<InvokeOutcome> {
    // A function deployed through another node of a shared catalog is seen here (StoreUnavailable while
    // the database is away).
    await this.#deps.functions.sync();
    // The Qualifier names `$LATEST`, a published version or an alias (which picks one of its versions):
    // the record carries the version that ran.
    const { def, version: qualifier } = this.#deps.functions.resolve(
      req.functionName,
      req.namespace,
      req.qualifier,
    );
    // Taken in the same tick as the definition is read, released when the runtime is done: the
    // invocation runs this revision's code whole, however often the function is updated meanwhile.
    const code = this.#deps.functions.holdCode(def);
    const requestId = req.requestId ?? uuidv7();
    const retryNum = req.retryNum ?? 0;
    const { writer } = this.#deps;
    /** Set by onStart: from then on the invocation has a record, which must end final. */
    let startTime: number | undefined;
    let began: Promise<void> | undefined;
    /** What this invocation's start saw running (set by onStart, released when the runtime is done). */
    let concurrency: StartConcurrency | undefined;
    let startedResolve!: () => void;
    const started = new Promise<void>((r) => {
      startedResolve = r;
    });
    // Live log chunks (onLog). `start` is reported only once the running record is durable, which is
    // usually after the function's first lines arrived (they come while the writer's batch commits, and a
    // cold start's module-level `console` output comes before the handler even runs). Chunks are held here
    // until then and reported right after `start`, rather than reported early: a follower then always
    // sees start, log..., end in cursor order (its per-invocation state machine relies on it), and a line
    // it shows belongs to an invocation the query API already knows. The hold lasts one batch commit and
    // is bounded by the invocation's log budget. If the running record never becomes durable no `start`
    // is reported and the held chunks are dropped: the final record carries the whole log anyway.
    const onLogHook = this.#options.onLog;
    let liveLog: 'holding' | 'live' | 'off' = 'holding';
    let held: string[] = [];
    const reportLog = (text: string): void => {
      onLogHook?.({
        type: 'log',
        log: { requestId, functionName: def.functionName, namespace: def.namespace, qualifier, text },
      });
    };

    const runRequest: RunRequest = {
      fn: runSpec(def, code.codeDir, qualifier),
      requestId,
      qualifier,
      event: req.event,
      ...(req.signal ? { signal: req.signal } : {}),
      onStart: (info) => {
        startTime = info.startTime;
        concurrency = this.#started(def.namespace, def.functionName, qualifier);
        const running = {
          requestId,
          namespace: def.namespace,
          functionName: def.functionName,
          qualifier,
          startTime: info.startTime,
          duration: 0,
          billDuration: 0,
          memUsage: 0,
          retCode: RET_CODE.RUNNING,
          retMsg: '',
          invokeFinished: 0,
          retryNum,
          log: '',
        };
        began = writer.begin(running);
        const onRecord = this.#options.onRecord;
        // Always observed here: a failed begin also surfaces through `began` (async callers) and through
        // the final write (its batch fails too, or the finish replaces the record anyway); the `start`
        // event is then simply not emitted.
        began.then(
          () => {
            onRecord?.({ type: 'start', record: running });
            liveLog = 'live';
            for (const text of held) reportLog(text);
            held = [];
          },
          () => {
            liveLog = 'off';
            held = [];
          },
        );
        startedResolve();
      },
      onLog: (text) => {
        try {
          writer.appendLog(requestId, text);
        } catch {
          // Only a closed writer throws here; this callback runs inside the runtime's message handling,
          // where a throw would escape as an uncaught exception. The final write reports the closed writer.
        }
        if (!onLogHook) return;
        if (liveLog === 'live') reportLog(text);
        else if (liveLog === 'holding') held.push(text);
      },
    };

    const run = settle(() => this.#deps.runtime.invoke(runRequest))
      .finally(() => {
        code.release();
        if (concurrency) this.#ended(def.namespace, def.functionName, qualifier);
      })
      .then(
        (result) => result,
        (err: unknown) => {
          const e = toScfError(err);
          // Refused before the invocation got its instance slot (throttled, or the runtime is closing; see
          // the runtime contract): nothing ran and no record was begun, so the caller gets the coded error.
          // A throttle is counted for the monitoring rollups (Throttle), which records cannot give.
          if (startTime === undefined && e.code === 'ConcurrencyLimitReached') {
            try {
              writer.throttle({
                namespace: def.namespace,
                functionName: def.functionName,
                qualifier,
                time: Date.now(),
              });
            } catch {
              // Only a closed writer throws: the platform is stopping, and the caller gets the code anyway.
            }
          }
          if (startTime === undefined) throw e;
          // After onStart a running record exists: it must end final, whatever the runtime did.
          return this.#failedStart(def, code.codeDir, { requestId, qualifier, startTime, err: e });
        },
      )
      .then(async (result) => {
        const record = this.#record(def, requestId, qualifier, result, retryNum);
        await writer.finish(record, concurrency ? { concurrency } : {});
        this.#options.onRecord?.({ type: 'end', record });
        return { record, errMsg: result.errMsg };
      });

    // `drain()` waits for every invocation to settle; its outcome is observed below (caller or
    // onBackgroundError), so the tracking promise itself must never reject.
    const tracked: Promise<void> = run.then(
      () => {
        this.#inFlight.delete(tracked);
      },
      () => {
        this.#inFlight.delete(tracked);
      },
    );
    this.#inFlight.add(tracked);

    if (!req.async) {
      const { record, errMsg } = await run;
      return { requestId, record, errMsg };
    }
    // Async: answer once the running record is durable (or the invocation is over, or refused); faults
    // after the answer go to the server log.
    run.catch((err: unknown) => {
      if (startTime !== undefined) this.#onBackgroundError(toScfError(err), { requestId });
    });
    await Promise.race([started, run]);
    if (began) await began;
    return { requestId };
  }

  /**
   * The result of an invocation whose instance the runtime could neither start nor run, and reported by
   * rejecting instead of with a result: a 439 with the platform's reason. The log has only the platform
   * lines: text the function printed before is in the runtime's hands, not the Invoker's.
   */
  #failedStart(
    def: FunctionDefinition,
    codeDir: string,
    {
      requestId,
      qualifier,
      startTime,
      err,
    }: { requestId: string; qualifier: string; startTime: number; err: ScfError },
  ): RunResult {
    const cause = err.cause instanceof Error ? err.cause.message : undefined;
    // Formatting only (the code decides nothing on it): the runtime's own wording often says "... failed
    // to start: <why>" already, which would read twice after this record's fixed prefix.
    const detail = err.message.replace(/^.*?failed to start: /, '');
    const why = `${detail}${cause && !detail.includes(cause) ? `: ${cause}` : ''}`;
    const req = { fn: runSpec(def, codeDir, qualifier), requestId, qualifier, event: '' };
    return processlessResult(
      req,
      startTime,
      { kind: 'start', why },
      {
        logFormat: this.#options.logFormat ?? 'scf',
        // The log holds only the platform lines: no cap can be reached.
        maxLogBytes: Number.MAX_SAFE_INTEGER,
      },
    );
  }

  #record(
    def: FunctionDefinition,
    requestId: string,
    qualifier: string,
    r: RunResult,
    retryNum: number,
  ): InvocationRecord {
    return {
      requestId,
      namespace: def.namespace,
      functionName: def.functionName,
      qualifier,
      startTime: r.startTime,
      duration: r.duration,
      billDuration: billDuration(r.duration, this.#options.billingGranularityMs),
      memUsage: r.memUsage,
      retCode: r.retCode,
      retMsg: r.retMsg,
      // 1 = the invocation reached its end (successful or not); 0 = interrupted by a platform stop.
      invokeFinished: r.retCode === RET_CODE.INTERRUPTED ? 0 : 1,
      retryNum,
      log: r.log,
    };
  }

  /** Resolves when every invocation in flight has written its final record (or failed to). */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}
