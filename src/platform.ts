/**
 * Composition root: config -> data folder lock -> backend (the log store; with store.backend postgres also
 * the pool every PostgreSQL part shares, this node's cluster membership and the live feed:
 * `cluster/backend.ts`) -> function catalog and registry -> credentials -> runtime -> invoker -> API.
 * Wiring only; it owns the start and stop order. Start order matters: the data folder's lock comes before
 * anything in the folder is opened (a second server on the folder must change nothing, least of all mark the
 * first one's running invocations interrupted); retention starts last, once the store is open and
 * everything is built, and the timer triggers once the async queue they fire onto is open. Stop order
 * matters: retention stops starting prunes, the timers stop firing (the firings being stored are stored
 * first), the HTTP server stops taking
 * requests and gives those in flight until the drain deadline to be answered, the runtime stops
 * (invocations still running end as interrupted, and their callers are answered so), their final records
 * are written, the writer flushes, the node leaves the cluster, the registry closes, then the store and
 * the pool, and the lock goes last. The server's one logger is made here (from `log`) and every part's
 * fault report is wired to it.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import {
  type CredentialSetup,
  type CredentialStore,
  ReplayGuard,
  setupCredentials,
  setupSharedCredentials,
} from './api/auth/index.js';
import { registerConsole } from './api/console/index.js';
import { createHttpServer } from './api/http.js';
import type { ActionContext } from './api/operations/types.js';
import { createV2Admission, createV2Handler } from './api/protocol/v2/index.js';
import { createV3Admission, createV3Handler } from './api/protocol/v3/index.js';
import { registerLogStream } from './api/stream/index.js';
import { AsyncInvocations } from './async/invocations.js';
import { PgAsyncQueue } from './async/postgres.js';
import { SqliteAsyncQueue } from './async/sqlite.js';
import type { AsyncQueue } from './async/types.js';
import { type Backend, openBackend } from './cluster/backend.js';
import { type Config, type ConfigInput, loadConfig } from './config/index.js';
import { type DataDirLock, lockDataDir } from './datadir/index.js';
import { createCatalog } from './functions/catalog/index.js';
import { MAX_ZIP_BYTES } from './functions/code.js';
import { FunctionRegistry } from './functions/registry.js';
import { RUNTIMES } from './functions/validate.js';
import { ConcurrencyReconciler } from './invocations/concurrency.js';
import type { InvocationEventHub } from './invocations/events.js';
import { Invoker, type LogEvent, type RecordEvent } from './invocations/invoker.js';
import { logInvocationEnds } from './invocations/log.js';
import { createLogger, type Logger, reportTo } from './logger/index.js';
import { assertSandbox, createRuntime } from './runtime/index.js';
import type { Runtime } from './runtime/types.js';
import { logPruned, Retention } from './store/index.js';
import type { LogStore } from './store/types.js';
import { RecordWriter } from './store/writer.js';
import { registerApigwRoutes } from './triggers/apigw/index.js';
import { TimerScheduler } from './triggers/timer.js';

/** How long answers written after the runtime stopped may take to reach their clients, at a stop. */
const ANSWER_GRACE_MS = 2000;

export interface PlatformOptions {
  /** Config values that win over file and environment. */
  config?: ConfigInput;
  /** A JSON config file. */
  configFile?: string;
  /** Environment read for config; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The logger to use instead of one made from `config.log` (tests capture the server's log this way). */
  logger?: Logger;
}

export interface ListenInfo {
  host: string;
  port: number;
  url: string;
}

export class Platform {
  readonly config: Config;
  /** The server's one logger: Fastify's, and where every fault nobody awaits is reported. */
  readonly logger: Logger;
  readonly dataDir: string;
  readonly store: LogStore;
  readonly writer: RecordWriter;
  /** Deletes the records older than `store.retentionDays` (at start, then hourly). */
  readonly retention: Retention;
  readonly runtime: Runtime;
  readonly functions: FunctionRegistry;
  readonly invoker: Invoker;
  /** Asynchronous invocations: the durable queue and this node's dispatcher. */
  readonly async: AsyncInvocations;
  /** Fires the timer triggers onto the async queue (started once the queue is open). */
  readonly timers: TimerScheduler;
  /** Applies the functions' reserved and provisioned concurrency to the runtime. */
  readonly concurrency: ConcurrencyReconciler;
  /** Live invocation events (start/end), numbered with cursors: the feed of `GET /stream/logs`. */
  readonly events: InvocationEventHub;
  readonly credentials: CredentialStore;
  /** Set when this start generated the credentials: the file holding them. */
  readonly generatedCredentialsAt: string | undefined;
  /** Running records found at start (left by a crash) and turned into interrupted ones. */
  readonly recoveredInterrupted: number;
  readonly http: FastifyInstance;
  readonly #lock: DataDirLock;
  /** The server's one PostgreSQL pool (store.backend postgres), closed after every part using it. */
  #closing: Promise<void> | undefined;
  /** Resolved by `interrupt()`: a stop stops waiting for the requests in flight. */
  readonly #interrupted: Promise<void>;
  #interrupt!: () => void;

  /** PostgreSQL: this node's id in the cluster (recorded with the invocations it runs). */
  readonly nodeId: string | undefined;
  readonly #backend: Backend;

  /** Use `createPlatform()`. */
  constructor(parts: {
    config: Config;
    dataDir: string;
    backend: Backend;
    lock: DataDirLock;
    logger: Logger;
    functions: FunctionRegistry;
    credentials: CredentialSetup;
    asyncQueue: AsyncQueue;
  }) {
    const { config, dataDir, backend, logger } = parts;
    const { store } = backend;
    this.#backend = backend;
    this.nodeId = backend.nodeId;
    this.#lock = parts.lock;
    this.#interrupted = new Promise<void>((resolve) => {
      this.#interrupt = resolve;
    });
    this.config = config;
    this.logger = logger;
    this.dataDir = dataDir;
    this.store = store;
    this.recoveredInterrupted = backend.recovered;
    this.events = backend.hub;
    // With PostgreSQL the hub is filled from the database (every node's events, in one order); else the
    // invoker publishes into it.
    const publish = backend.fedFromDatabase
      ? undefined
      : (e: RecordEvent | LogEvent) => this.events.publish(e);
    this.writer = new RecordWriter(store, {
      batchMaxSize: config.store.batchMaxSize,
      onError: reportTo(logger, 'record writes lost: committing a batch failed'),
    });
    this.retention = new Retention(store, {
      retentionDays: config.store.retentionDays,
      onError: reportTo(logger, 'retention: deleting old records failed (tried again in an hour)'),
      onPruned: logPruned(logger),
    });
    // What reads the folder (and can fail on it) came before the runtime, which starts processes.
    this.functions = parts.functions;
    this.credentials = parts.credentials.store;
    this.generatedCredentialsAt = parts.credentials.generatedAt;
    // The sandbox's own files (code slots, its /etc) live in the data folder when bwrap's user can reach it.
    const runtimeOptions = { ...config.runtime, region: config.region, workDir: join(dataDir, 'run') };
    this.runtime = createRuntime(runtimeOptions);
    this.concurrency = new ConcurrencyReconciler({ functions: this.functions, runtime: this.runtime });
    const logEnd = logInvocationEnds(logger);
    this.invoker = new Invoker(
      { functions: this.functions, runtime: this.runtime, writer: this.writer },
      {
        billingGranularityMs: config.runtime.billingGranularityMs,
        logFormat: config.runtime.logFormat,
        onBackgroundError: reportTo(logger, 'async invocation failed after its answer'),
        onRecord: (e) => {
          publish?.(e);
          logEnd(e);
        },
        ...(publish ? { onLog: publish } : {}),
      },
    );
    this.async = new AsyncInvocations(
      {
        queue: parts.asyncQueue,
        store,
        invoker: this.invoker,
        functions: this.functions,
        owner: this.nodeId ?? 'local',
        onError: (err, what) => reportTo(logger, what)(err),
      },
      { ...config.async, retentionDays: config.store.retentionDays },
    );
    const reportTimer = reportTo(
      logger,
      'timer triggers: a firing was not stored, or a trigger not scheduled',
    );
    this.timers = new TimerScheduler(
      { functions: this.functions, queue: this.async },
      {
        timeZoneOffsetMinutes: config.apiTimeZoneOffsetMinutes,
        onError: (err, context) => reportTimer(err, context),
      },
    );
    const actions: ActionContext = {
      config,
      functions: this.functions,
      invoker: this.invoker,
      store,
      async: this.async,
      concurrency: this.concurrency,
    };
    const context = {
      actions,
      credentials: this.credentials,
      replay: new ReplayGuard({ maxSkewSeconds: config.auth.maxSkewSeconds }),
    };
    const stream = { hub: this.events, context, apiTimeZoneOffsetMinutes: config.apiTimeZoneOffsetMinutes };
    const v2 = { onInternalError: reportTo(logger, 'v2 API internal error') };
    const v3 = { onInternalError: reportTo(logger, 'API 3.0 internal error') };
    this.http = createHttpServer({
      context,
      logger,
      v2: createV2Handler(v2),
      v3: createV3Handler(v3),
      v2Admission: createV2Admission(v2),
      v3Admission: createV3Admission(v3),
      extend: (app, shared) => {
        registerLogStream(app, stream);
        registerConsole(app, { context });
        registerApigwRoutes(app, {
          functions: this.functions,
          invoker: this.invoker,
          bodyBudget: shared.bodyBudget,
          onInternalError: reportTo(logger, 'HTTP trigger internal error'),
        });
      },
      health: () => {
        const sandbox = this.runtime.sandboxStatus();
        return {
          isolation: sandbox.isolated ? 'sandboxed' : 'NOT ISOLATED',
          store: config.store.backend,
          ...(this.nodeId !== undefined ? { nodeId: this.nodeId } : {}),
          sandbox,
          apiTimeZoneOffsetMinutes: config.apiTimeZoneOffsetMinutes,
          // What a code upload may be, so a client checks a package before sending it (`scf-local deploy`).
          limits: { maxUploadBodyBytes: config.api.maxUploadBodyBytes, maxZipBytes: MAX_ZIP_BYTES },
          // What runs each runtime name that is not run by the version it names (`Nodejs16.13`: Node.js
          // v20.20.2), for the CLI's deploy and `functions show`.
          runsOn: Object.fromEntries(
            RUNTIMES.flatMap((r) => {
              const on = this.runtime.ranOn(r);
              return on === undefined ? [] : [[r, on]];
            }),
          ),
        };
      },
    });
    // Last, once everything else is built (the store is open already): its first prune starts now.
    this.retention.start();
  }

  /** Starts the HTTP server on the configured host and port. */
  async listen(): Promise<ListenInfo> {
    await this.http.listen({ host: this.config.host, port: this.config.port });
    const addr = this.http.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : this.config.port;
    const host = this.config.host;
    const urlHost = host.includes(':') ? `[${host}]` : host;
    const url = `http://${urlHost}:${port}`;
    await this.#backend.announce(url);
    return { host, port, url };
  }

  /**
   * Stops everything, in order. Idempotent. The HTTP server stops accepting at once (idle keep-alive
   * connections are closed, every later answer closes its connection); requests in flight have
   * `api.drainTimeoutMs` to be answered, or until `interrupt()`. Then the runtime stops: invocations still
   * running (those callers wait for, and async ones) end as interrupted (retCode 3), and their callers are
   * answered with that result before the last connections are closed. Then the records, the store, the lock.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      // No prune starts during the stop; one under way ends when the store closes (the rest is left to
      // the next start). No async event is claimed any more; those running are interrupted below and
      // return to the queue.
      await this.retention.close();
      // No timer fires any more; the firings it is storing are stored before the queue closes.
      await this.timers.close();
      this.async.stop();
      const httpClosed = this.http.close();
      const deadline = new AbortController();
      await Promise.race([
        httpClosed,
        this.#interrupted,
        sleep(this.config.api.drainTimeoutMs, undefined, { signal: deadline.signal }).catch(() => {}),
      ]);
      deadline.abort();
      await this.runtime.close();
      this.concurrency.close();
      // The interrupted invocations' answers are on their way; a client that does not read its answer
      // does not hold the stop up for long.
      const grace = new AbortController();
      await Promise.race([
        httpClosed,
        sleep(ANSWER_GRACE_MS, undefined, { signal: grace.signal }).catch(() => {}),
      ]);
      grace.abort();
      this.http.server.closeAllConnections();
      await httpClosed;
      await this.invoker.drain();
      await this.async.close();
      await this.writer.close();
      await this.#backend.stopCluster();
      this.events.close();
      await this.functions.close();
      await this.#backend.close();
    })().finally(() => this.#lock.release());
    return this.#closing;
  }

  /**
   * Ends a stop's wait for the requests in flight now (a second Ctrl-C): their invocations are interrupted
   * (retCode 3) and their callers answered so. Starts the stop when none is under way. Idempotent.
   */
  interrupt(): Promise<void> {
    this.#interrupt();
    return this.close();
  }
}

/**
 * Loads config, locks the data folder, opens the store (recovering records a crash left running) and wires
 * the platform, whose retention then starts pruning. Rejects with ScfError `DataDirInUse` (naming the holder's pid, having changed nothing) when
 * another platform, in this process or another, holds the folder. On any failure everything it opened is
 * closed again and the lock released.
 */
export async function createPlatform(options: PlatformOptions = {}): Promise<Platform> {
  const loadOptions: Parameters<typeof loadConfig>[0] = {};
  if (options.config) loadOptions.overrides = options.config;
  if (options.configFile) loadOptions.file = options.configFile;
  if (options.env) loadOptions.env = options.env;
  const config = loadConfig(loadOptions);
  const logger = options.logger ?? createLogger(config.log);
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const lock = lockDataDir(dataDir);
  let backend: Backend | undefined;
  let functions: FunctionRegistry | undefined;
  try {
    // A sandbox that is required but cannot work refuses the start before anything in the folder changes.
    if (config.runtime.sandbox === 'required') assertSandbox(config.runtime.sandboxUid);
    backend = await openBackend(config, dataDir, logger);
    const catalog = createCatalog(config, {
      dataDir,
      pool: backend.pool,
      onError: reportTo(logger, 'function catalog: lost the database connection it listens on (retried)'),
    });
    // The platform, and so its runtime, is made after the registry: a change seen before has nothing to
    // retire.
    let platform: Platform | undefined;
    functions = await FunctionRegistry.open(catalog, {
      extract: config.functions,
      onChange: (ns, name) => {
        // Retiring waits for running invocations; nothing awaits it here, and it cannot fail the change.
        // A published version never changes: its instances stay while it exists.
        const kept = functions?.has(name, ns)
          ? new Set(functions.get(name, ns).versions.map((v) => v.version))
          : new Set<string>();
        void platform?.runtime.retire(ns, name, kept).catch(() => {});
        // Its reservation and provisioned instances as it says now (those of a changed revision are started
        // again, those of a version still there kept).
        platform?.concurrency.changed(ns, name);
        // Its timer triggers may have changed (or it is gone): rescheduled from now. Never throws.
        platform?.timers.changed(ns, name);
      },
      onBackgroundError: reportTo(logger, 'function catalog: catching up with other nodes failed (retried)'),
    });
    const credentials =
      catalog.kind === 'shared'
        ? await setupSharedCredentials(config.auth.credentials, dataDir, (c) => catalog.shareCredential(c))
        : setupCredentials(config.auth.credentials, dataDir);
    const asyncQueue: AsyncQueue = backend.pool
      ? new PgAsyncQueue(backend.pool, {
          schema: config.store.postgres.schema,
          onWake: () => platform?.async.wake(),
        })
      : new SqliteAsyncQueue(join(dataDir, 'async.db'));
    platform = new Platform({ config, dataDir, backend, lock, logger, functions, credentials, asyncQueue });
    try {
      // Reservations apply before the first invocation; provisioned instances start now.
      platform.concurrency.start();
      await platform.async.start();
      // After the queue is open: the first firings are stored on it.
      platform.timers.start();
    } catch (err) {
      await platform.close().catch(() => {});
      throw err;
    }
    return platform;
  } catch (err) {
    // The first failure is the one to report; closing what was opened is best effort after it.
    await functions?.close().catch(() => {});
    await backend?.close().catch(() => {});
    lock.release();
    throw err;
  }
}
