/**
 * The one config schema: defaults, validation and documentation in one place. Unknown keys are rejected
 * (strict objects) with a message that names the key. `docs/configuration.md` describes each key.
 */
import { z } from 'zod';

const credential = z.strictObject({
  secretId: z.string().min(1),
  secretKey: z.string().min(1),
});

export const configSchema = z.strictObject({
  /** Interface the HTTP server binds to. Loopback by default: exposing it is an explicit choice. */
  host: z.string().default('127.0.0.1'),
  /** HTTP port; 0 picks a free port (tests). */
  port: z.number().int().min(0).max(65535).default(9000),
  /** Folder for the SQLite database, function code and generated credentials. */
  dataDir: z.string().default('.scf-local'),
  /** SCF region reported to functions (`context.tencentcloud_region`) and accepted in requests. */
  region: z.string().default('ap-guangzhou'),
  /**
   * Offset of the zone in which API times (`startTime`, `StartTime`/`EndTime`) are written and read.
   * SCF uses UTC+8 (Beijing) without saying so; so does scf-local by default.
   */
  apiTimeZoneOffsetMinutes: z.number().int().min(-720).max(840).default(480),

  auth: z
    .strictObject({
      /** SecretId/SecretKey pairs accepted. Empty: a pair is generated in `<dataDir>/credentials.json`. */
      credentials: z.array(credential).default([]),
      /** Largest allowed |Timestamp - now| in seconds (SCF: 300). Nonces are remembered for this long. */
      maxSkewSeconds: z.number().int().min(1).default(300),
      /**
       * Refuse API 3.0 TC3 requests whose SignedHeaders leave out `x-tc-action`. The official SDKs sign only
       * `content-type;host`, so the action of a request captured in flight can be changed (see
       * docs/security.md); the scf-local CLI signs it. Off by default so the SDKs keep working.
       */
      requireSignedAction: z.boolean().default(false),
    })
    .prefault({}),

  /** What the API reads and writes per request (docs/security.md). */
  api: z
    .strictObject({
      /**
       * Largest request body of every action but code uploads, in bytes: a 6 MB event with its JSON or form
       * encoding (API 3.0 also caps TC3 POST bodies at 10 MB).
       */
      maxBodyBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .default(10 * 1024 * 1024),
      /** Largest body of a code upload (CreateFunction, UpdateFunctionCode): a 50 MB zip as base64 in JSON. */
      maxUploadBodyBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .default(70 * 1024 * 1024),
      /**
       * Request body bytes the server holds at once, all requests together; a body that would pass it is
       * refused with RequestLimitExceeded (retry later) instead of being read. Bounds memory under many
       * concurrent uploads.
       */
      maxBufferedBodyBytes: z
        .number()
        .int()
        .min(1024 * 1024)
        .default(256 * 1024 * 1024),
      /**
       * Bytes of a form body (v2, and v1 signing on `/`, whose SecretId is in the body) read before its
       * SecretId and Timestamp must have been seen; a body that has not named them by then is refused. 1 MB:
       * API 3.0's own limit for v1-signed POSTs, and the tencentcloud SDKs put the common parameters last.
       */
      preAuthBodyBytes: z
        .number()
        .int()
        .min(1024)
        .default(1024 * 1024),
      /** Bytes of such not-yet-checked form bodies held at once, all requests together. */
      maxPreAuthBufferedBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .default(16 * 1024 * 1024),
      /** Largest GetFunctionLogs response, in bytes (SCF caps responses at 6 MB); see docs/api-v3.md. */
      maxResponseBytes: z
        .number()
        .int()
        .min(64 * 1024)
        .default(6 * 1024 * 1024),
      /**
       * At a stop (SIGTERM, the first Ctrl-C, `close()`), how long requests in flight may take to be
       * answered, in ms; then their invocations are interrupted (retCode 3) and answered so. A second Ctrl-C
       * (`interrupt()`) ends the wait at once. Below a container's stop timeout (Docker's is 10 s).
       */
      drainTimeoutMs: z.number().int().min(0).default(8000),
    })
    .prefault({}),

  /** Code packages. */
  functions: z
    .strictObject({
      /** Largest unpacked size of a code package, in bytes (SCF: 500 MB). */
      maxUnpackedBytes: z
        .number()
        .int()
        .min(1024)
        .default(500 * 1024 * 1024),
      /** Most entries (files and folders) in a code package. */
      maxFiles: z.number().int().min(1).default(20_000),
    })
    .prefault({}),

  store: z
    .strictObject({
      backend: z.enum(['sqlite', 'postgres']).default('sqlite'),
      sqlite: z
        .strictObject({
          /** Database file; default `<dataDir>/scf-local.db`. */
          path: z.string().optional(),
          /**
           * `normal`: a committed record survives a crash of scf-local (kill -9) but the last batch may be
           * lost on power failure. `full`: fsync on every batch commit, survives power failure too.
           */
          synchronous: z.enum(['normal', 'full']).default('normal'),
          /**
           * Reader threads running GetFunctionLogs, GetRequestStatus and metrics reads off the event loop,
           * each with its own read-only connection. Default: one per core but one, 2 to 4. `0`: reads run
           * on the store's connection, on the event loop.
           */
          readers: z.number().int().min(0).max(64).optional(),
        })
        .prefault({}),
      postgres: z
        .strictObject({
          /** libpq-style URL of the database every node of one platform shares. */
          connectionString: z.string().default('postgres://127.0.0.1:5432/test'),
          /** Schema holding scf-local's tables (created if missing); one platform per schema. */
          schema: z.string().min(1).max(63).default('public'),
          /** Most connections one node opens. */
          poolSize: z.number().int().min(2).max(1000).default(10),
        })
        .prefault({}),
      /**
       * Days of records kept: records whose startTime falls before the start (UTC) of the day
       * `retentionDays` days before today are deleted, a whole day at a time, by every backend alike.
       * 0 keeps records forever.
       */
      retentionDays: z.number().int().min(0).max(36_500).default(7),
      /** Largest number of record writes committed in one transaction. */
      batchMaxSize: z.number().int().min(1).default(1000),
    })
    .prefault({}),

  /**
   * Several nodes on one PostgreSQL database (store.backend postgres): who this node is, and how long it
   * may miss heartbeats before the others take it for dead and mark its running invocations interrupted.
   */
  cluster: z
    .strictObject({
      /** This node's id, recorded with the invocations it runs. Default: kept in `<dataDir>/node-id`. */
      nodeId: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'letters, digits, ".", "_" and "-", at most 63')
        .optional(),
      /** A node that has not renewed its lease for this long is dead (ms). */
      leaseMs: z.number().int().min(500).max(600_000).default(10_000),
    })
    .prefault({}),

  /**
   * Asynchronous invocations (Invoke with InvocationType Event, timer firings): a durable queue (a SQLite
   * file in the data folder, or PostgreSQL tables shared by the nodes) and this node's dispatcher.
   */
  async: z
    .strictObject({
      /** Events this node runs at once. */
      concurrency: z.number().int().min(1).max(1024).default(16),
      /** Events waiting or running, platform-wide, beyond which Invoke (Event) is refused (throttled). */
      maxQueued: z.number().int().min(1).default(100_000),
      /**
       * Delay before each retry of a failed event, ms: the first retry after [0], the second after [1] (the
       * last value repeats). SCF waits longer; short delays let a test watch the retries.
       */
      retryDelaysMs: z.array(z.number().int().min(0).max(3600_000)).min(1).default([1000, 5000]),
      /** A node's hold on an event it runs, renewed every third of it; a dead node's events return then (ms). */
      leaseMs: z.number().int().min(500).max(600_000).default(10_000),
      /** Longest pause between two looks at the queue (ms); enqueues wake the dispatcher at once. */
      pollMs: z.number().int().min(10).max(60_000).default(1000),
    })
    .prefault({}),

  runtime: z
    .strictObject({
      /** Most instances (processes) one function may run at once (its concurrency limit). */
      maxInstancesPerFunction: z.number().int().min(1).default(8),
      /** Invocations that may wait for a busy function's instance before new ones are refused. */
      maxQueuedPerFunction: z.number().int().min(0).default(1000),
      /**
       * MB of instance memory every function together may hold at once (SCF's account concurrency quota,
       * 128000 MB by default there too). Reserved concurrency (PutReservedConcurrencyConfig) is carved out
       * of it; functions without a reservation share the rest.
       */
      totalConcurrencyMem: z.number().int().min(64).default(128_000),
      /** An idle warm instance is stopped after this long (SCF keeps instances warm for minutes). */
      idleTimeoutMs: z
        .number()
        .int()
        .min(100)
        .default(10 * 60_000),
      /** Billing granularity: billDuration = ceil(duration / g) * g. 100 as the seed doc; SCF bills 1 ms today. */
      billingGranularityMs: z.number().int().min(1).default(100),
      /** Largest log kept per invocation, in bytes; beyond it the log is cut with a visible marker. */
      maxLogBytes: z
        .number()
        .int()
        .min(1024)
        .default(4 * 1024 * 1024),
      /**
       * `scf`: START/END/Report platform lines frame the function's output (SCF since 2019).
       * `legacy`: only the function's own lines, as in the seed document's 2017 example.
       */
      logFormat: z.enum(['scf', 'legacy']).default('scf'),
      /** Node.js binary that runs functions; default the one running scf-local. */
      nodePath: z.string().optional(),
      /**
       * Python 3 interpreter that runs Python functions (every `Python3.x` label runs on it); default
       * /usr/bin/python3. Outside /usr it is mounted read-only into each sandbox with its install folder.
       */
      pythonPath: z.string().optional(),
      /**
       * Node binaries by major version: each `Nodejs<major>.x` function runs on the one for its major
       * (`{ "16": "/opt/node16/bin/node" }`); other labels run on `nodePath`, and their records and
       * GetFunction say which Node that is.
       */
      node: z
        .object({ binaries: z.record(z.string().regex(/^\d+$/), z.string()).default({}) })
        .default({ binaries: {} }),
      /**
       * Stem cells: function processes started ahead of demand, bound to a function at its cold start, which
       * then skips Node's own start-up (~100 ms). 1 covers cold starts one after another (a replacement is
       * ready within one start-up time) for ~40 MB of RSS; bursts are bounded by how fast 2 cores start Node
       * anyway. 0 disables.
       */
      stemCells: z.number().int().min(0).max(16).default(1),
      /** Memory size (MB) stem cells are started for: they serve only functions of that size (SCF's default). */
      stemCellMemorySize: z.number().int().min(64).max(3072).default(128),
      /**
       * Function isolation (docs/security.md). `auto`: every instance in a bubblewrap sandbox when bwrap works
       * here, else plain processes with a loud warning (start-up and /healthz); `required`: refuse to start
       * without it; `off`: plain processes, for code you trust.
       */
      sandbox: z.enum(['auto', 'required', 'off']).default('auto'),
      /**
       * The sandbox's network: `slirp` (slirp4netns: other hosts reachable, the host's loopback not) or
       * `none` (no network at all).
       */
      sandboxNetwork: z.enum(['slirp', 'none']).default('slirp'),
      /** Size of each instance's private /tmp, MB (SCF gives 512). */
      tmpSizeMb: z.number().int().min(1).max(65536).default(512),
      /** Host uid/gid sandboxed instances run as when scf-local runs as root (65534 = nobody). */
      sandboxUid: z.number().int().min(1).default(65534),
    })
    .prefault({}),

  /** The server's own log (not functions' output): on stderr, JSON lines, readable lines on a terminal. */
  log: z
    .strictObject({
      /**
       * Least severe level written. `info` (the default): one line per API request once answered (method,
       * protocol, action, function, status, error code, duration, request ids) and one per invocation once
       * its record is final (function, request id, retCode, duration, memUsage); refusals are request lines
       * with their code. Faults (an API InternalError, a failed batch of record writes, indexing and async
       * invocation failures) are `error`. `/healthz` requests are `debug`. `warn` keeps only what is wrong;
       * `silent` writes nothing.
       */
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = Readonly<z.output<typeof configSchema>>;
