/**
 * The child side of a Node.js instance: one OS process per instance, started by `instance.ts` as
 * `node [--max-old-space-size=N] dist/src/runtime/node/bootstrap.js` with
 * `stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'ipc']`, and either `cwd` = the code folder and the function's
 * environment (a fresh start) or `/` and the base environment only (a stem cell, bound to a function later).
 * Nothing here depends on the function until `init`, which sets the cwd and the whole environment: both kinds
 * of start then look the same to the function.
 *
 * It receives `init` then `invoke` messages over IPC, and answers on fd 3 with synchronous NDJSON frames
 * (see `protocol.ts` for why). It loads the user module lazily, inside the first invocation, so module
 * code runs once per instance and its output lands in that first invocation's log.
 *
 * It imports nothing of the project but its own message types, the UTF-8 budget and the retCodes
 * (`protocol.ts`, `utf8.ts`, `../results.ts`, which load nothing else): it must stay a small, dependency-free
 * program whose behaviour does not change with the server's code. Each file it loads is copied into every
 * sandbox (`BOOTSTRAP_FILES` in `runtime.ts`).
 *
 * Why one file of ~520 lines: it is one small program around one piece of state (the bound function, the
 * running invocation, the output carried between invocations), which the log capture, the handler's loading
 * and the invocation all read and write. Split into modules, that state would have to be passed around or
 * shared through exports, and every new module would be one more file to copy into each sandbox.
 */
import { writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import {
  CHILD_EXIT,
  type ChildFrame,
  FRAME_FD,
  type InitMessage,
  type InvokeMessage,
  parseParentMessage,
} from '../process/protocol.js';
import { type ChildRetCode, RET_CODE } from '../results.js';
import { fitUtf8 } from '../utf8.js';

const EXIT_PROTOCOL = CHILD_EXIT.PROTOCOL;
const EXIT_INIT = CHILD_EXIT.INIT;

// ---------------------------------------------------------------------------------------------------
// Frames out

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `text` to fd 3 before returning. The child's end of that socket is blocking (libuv creates
 * it so; only fds 0-2 are touched by Node), so writeSync blocks while the parent is slow, which is the
 * backpressure we want. EAGAIN is still handled in case a future Node opens it non-blocking. One write of
 * the string is the common case; a short write (interrupted by a signal) is finished from a Buffer.
 */
function writeFrameText(text: string): void {
  let off = 0;
  try {
    off = writeSync(FRAME_FD, text);
  } catch (err) {
    frameWriteFailed(err);
  }
  const total = Buffer.byteLength(text, 'utf8');
  if (off === total) return;
  const buf = Buffer.from(text, 'utf8');
  while (off < buf.length) {
    try {
      off += writeSync(FRAME_FD, buf, off, buf.length - off);
    } catch (err) {
      frameWriteFailed(err);
    }
  }
}

/** EAGAIN: waits a millisecond (the caller tries again); anything else: the parent is gone. */
function frameWriteFailed(err: unknown): void {
  if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
    Atomics.wait(sleepCell, 0, 0, 1);
    return;
  }
  // EPIPE and friends: the parent is gone, nobody will ever read our results.
  process.exit(EXIT_PROTOCOL);
}

function send(frame: ChildFrame): void {
  writeFrameText(`${JSON.stringify(frame)}\n`);
}

// ---------------------------------------------------------------------------------------------------
// Log capture

interface Running {
  id: string;
  /** User log bytes sent for this invocation. */
  sent: number;
  /** User log bytes dropped (cap reached). */
  dropped: number;
}

let init: InitMessage | undefined;
let running: Running | undefined;
/** The request id that prefixes output produced between invocations (work left by the last one). */
let lastId = 'undefined';
/** True when the next byte of output starts a new line (then it gets the `time\tid\t` prefix). */
let atLineStart = true;
let lastFd = 1;
/** Output produced between invocations, delivered with the next one (as if the instance had been frozen). */
let pending: string[] = [];
let pendingBytes = 0;
let pendingDropped = 0;

const userCap = (): number => init?.maxLogBytes ?? 1024 * 1024;

/** Sends formatted text for the running invocation, or keeps it for the next one; enforces the cap. */
function emit(text: string): void {
  const cap = userCap();
  if (!running) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (pendingBytes + bytes > cap) {
      pendingDropped += bytes;
      return;
    }
    pending.push(text);
    pendingBytes += bytes;
    return;
  }
  // Past the cap nothing crosses the pipe any more: a 100 MB flood costs the parent nothing.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (running.dropped === 0 && bytes <= cap - running.sent) {
    sendLog(text);
    running.sent += bytes;
    return;
  }
  const fit = fitUtf8(text, { room: cap - running.sent, dropping: running.dropped > 0 });
  if (fit.kept) sendLog(fit.kept);
  running.sent += fit.keptBytes;
  running.dropped += fit.dropped;
}

/** A `log` frame (the same bytes as `send({ t: 'log', d: text })`, without building the object). */
function sendLog(text: string): void {
  writeFrameText(`{"t":"log","d":${JSON.stringify(text)}}\n`);
}

let stampMs = Number.NaN;
let stamp = '';

/** `<ISO time>` of now; the string is made once per millisecond (a loop of `console.log` asks far more often). */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== stampMs) {
    stampMs = ms;
    stamp = new Date(ms).toISOString();
  }
  return stamp;
}

/**
 * One write of user output (a `console` call is one write). A write that starts a line gets the SCF prefix
 * `<ISO time>\t<requestId>\t`; the following lines of the same write are continuation lines, unprefixed. A
 * line left open by stdout is closed before stderr writes (and vice versa) so the streams never interleave
 * mid-line.
 */
function userWrite(fd: 1 | 2, text: string): void {
  if (text.length === 0) return;
  let out = '';
  if (!atLineStart && fd !== lastFd) {
    out = '\n';
    atLineStart = true;
  }
  if (atLineStart) out += `${isoNow()}\t${running?.id ?? lastId}\t`;
  out += text;
  atLineStart = text.endsWith('\n');
  lastFd = fd;
  emit(out);
}

function chunkToString(chunk: unknown, encoding: unknown): string {
  if (typeof chunk === 'string') {
    if (
      typeof encoding === 'string' &&
      encoding !== 'utf8' &&
      encoding !== 'utf-8' &&
      Buffer.isEncoding(encoding)
    ) {
      return Buffer.from(chunk, encoding).toString('utf8');
    }
    return chunk;
  }
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString();
  return String(chunk);
}

type WriteFn = (chunk: unknown, encoding?: unknown, cb?: unknown) => boolean;

/** Write callbacks due (every `console` call passes one), called in order on one next tick, as Node does. */
let writeCallbacks: (() => void)[] = [];

function runWriteCallbacks(): void {
  const due = writeCallbacks;
  writeCallbacks = [];
  for (const cb of due) cb();
}

/** Routes a stdio stream's writes (and so `console` calls, which write to them) into the log. */
function captureStream(stream: NodeJS.WriteStream, fd: 1 | 2): void {
  const write: WriteFn = (chunk, encoding, cb) => {
    userWrite(fd, chunkToString(chunk, encoding));
    const done = typeof encoding === 'function' ? encoding : cb;
    // The text is in the kernel already: the callback only says so, after this tick.
    if (typeof done === 'function' && writeCallbacks.push(done as () => void) === 1) {
      process.nextTick(runWriteCallbacks);
    }
    return true;
  };
  (stream as unknown as { write: WriteFn }).write = write;
}

captureStream(process.stdout, 1);
captureStream(process.stderr, 2);

// ---------------------------------------------------------------------------------------------------
// Loading the handler

type Handler = (event: unknown, context: unknown, callback: unknown) => unknown;

/** A failure to produce a handler: not found (437), or the module threw while loading (430). */
class InitFailure {
  constructor(
    readonly code: ChildRetCode,
    readonly error: unknown,
  ) {}
}

let handlerFn: Handler | undefined;

async function loadHandler(spec: InitMessage): Promise<Handler> {
  const dot = spec.handler.lastIndexOf('.');
  const notFound = (why: string) =>
    new InitFailure(RET_CODE.HANDLER_NOT_FOUND, new Error(`Handler not found: ${spec.handler} (${why})`));
  if (dot <= 0 || dot === spec.handler.length - 1) throw notFound('expected file.export');
  const file = spec.handler.slice(0, dot);
  const exportName = spec.handler.slice(dot + 1);
  const req = createRequire(join(spec.codeDir, '__scf_bootstrap__.js'));
  let resolved: string;
  try {
    resolved = req.resolve(`./${file}`);
  } catch {
    try {
      resolved = req.resolve(`./${file}.mjs`);
    } catch {
      throw notFound(`cannot find ${file}.js or ${file}.mjs in the code`);
    }
  }
  let mod: Record<string, unknown>;
  try {
    if (resolved.endsWith('.mjs')) {
      mod = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
    } else {
      try {
        mod = req(resolved) as Record<string, unknown>;
      } catch (err) {
        // `.js` under `"type": "module"`: Node 20's require refuses it, import() is the way in.
        if ((err as NodeJS.ErrnoException)?.code !== 'ERR_REQUIRE_ESM') throw err;
        mod = (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
      }
    }
  } catch (err) {
    throw new InitFailure(RET_CODE.USER_CODE_EXCEPTION, err);
  }
  let fn = mod?.[exportName];
  const dflt = mod?.['default'];
  if (fn === undefined && typeof dflt === 'object' && dflt !== null) {
    fn = (dflt as Record<string, unknown>)[exportName];
  }
  if (typeof fn !== 'function')
    throw notFound(`${exportName} is ${fn === undefined ? 'not exported' : 'not a function'}`);
  return fn as Handler;
}

// ---------------------------------------------------------------------------------------------------
// Running one invocation

type Completion = { ok: true; value: unknown } | { ok: false; error: unknown };

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') &&
  v !== null &&
  typeof (v as { then?: unknown }).then === 'function';

let envCache: { environment: string; environ: string } | undefined;

/** `context.environment` / `context.environ`, computed once per instance (the init never changes). */
function envStrings(spec: InitMessage): { environment: string; environ: string } {
  if (envCache) return envCache;
  const vars: Record<string, string> = { ...spec.environment, SCF_NAMESPACE: spec.namespace };
  envCache = {
    environment: JSON.stringify(vars),
    environ: Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join(';'),
  };
  return envCache;
}

/**
 * Calls the handler and settles when the invocation is over, following SCF/Lambda: the first of
 * callback / context.done|succeed|fail / returned promise / non-undefined sync return is the result. With
 * `callbackWaitsForEmptyEventLoop` (default true) the invocation then lasts until the event loop is empty;
 * detected with 'beforeExit' while the IPC channel (our only handle) is unref'd. A handler that returns
 * undefined and never calls back ends with `null` once the loop is empty. A returned promise that never
 * settles keeps the invocation open until the parent's timeout, as on SCF.
 */
function runHandler(
  fn: Handler,
  event: unknown,
  spec: InitMessage,
  msg: InvokeMessage,
  t0: number,
): Promise<Completion> {
  return new Promise((resolve) => {
    let waits = true;
    let completion: Completion | undefined;
    let settled = false;
    let waitingEmpty = false;
    const channel = process.channel;

    const stopWaiting = () => {
      if (!waitingEmpty) return;
      waitingEmpty = false;
      process.removeListener('beforeExit', onEmpty);
      channel?.ref();
    };
    const finish = () => {
      if (settled) return;
      settled = true;
      stopWaiting();
      resolve(completion ?? { ok: true, value: null });
    };
    function onEmpty() {
      finish();
    }
    const waitEmpty = () => {
      if (waitingEmpty || settled) return;
      waitingEmpty = true;
      process.once('beforeExit', onEmpty);
      channel?.unref();
    };
    const complete = (c: Completion) => {
      if (completion || settled) return;
      completion = c;
      if (waits) waitEmpty();
      else finish();
    };
    const failWith = (error: unknown) => complete({ ok: false, error: error ?? new Error(String(error)) });
    const callback = (err: unknown, result?: unknown) => {
      if (err !== null && err !== undefined) failWith(err);
      else complete({ ok: true, value: result });
    };

    const deadline = Date.now() - (performance.now() - t0) + spec.timeout * 1000;
    const { environment, environ } = envStrings(spec);
    const context = {
      get callbackWaitsForEmptyEventLoop() {
        return waits;
      },
      set callbackWaitsForEmptyEventLoop(v: boolean) {
        waits = Boolean(v);
      },
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      memory_limit_in_mb: spec.memorySize,
      time_limit_in_ms: spec.timeout * 1000,
      request_id: msg.id,
      environment,
      environ,
      function_version: msg.q,
      function_name: spec.functionName,
      namespace: spec.namespace,
      tencentcloud_region: spec.region,
      tencentcloud_appid: spec.appId,
      tencentcloud_uin: spec.uin,
      done: callback,
      succeed: (result?: unknown) => complete({ ok: true, value: result }),
      fail: (err: unknown) => failWith(err),
    };

    let ret: unknown;
    try {
      ret = fn(event, context, callback);
    } catch (err) {
      failWith(err);
      return;
    }
    if (isThenable(ret)) {
      ret.then(
        (value) => complete({ ok: true, value }),
        (err: unknown) => failWith(err),
      );
    } else if (ret !== undefined) {
      complete({ ok: true, value: ret });
    } else {
      // Old-style handler: the result comes through the callback, or is null once the loop is empty.
      waitEmpty();
    }
  });
}

function describeError(error: unknown): { msg: string; stack: string } {
  if (error instanceof Error) return { msg: error.message, stack: error.stack ?? '' };
  if (typeof error === 'string') return { msg: error, stack: '' };
  try {
    return { msg: JSON.stringify(error) ?? String(error), stack: '' };
  } catch {
    return { msg: String(error), stack: '' };
  }
}

/** Ends the running invocation with a user error (printed to its log like SCF does). */
function sendError(code: ChildRetCode, error: unknown, fatal: boolean): void {
  const cur = running;
  if (!cur) return;
  userWrite(2, `${format(error)}\n`);
  const { msg, stack } = describeError(error);
  send({
    t: 'done',
    id: cur.id,
    ok: false,
    code,
    msg,
    stack,
    fatal,
    drop: cur.dropped,
  });
  running = undefined;
  atLineStart = true;
}

async function invoke(msg: InvokeMessage): Promise<void> {
  const spec = init;
  if (!spec || running) process.exit(EXIT_PROTOCOL);
  running = { id: msg.id, sent: 0, dropped: pendingDropped };
  lastId = msg.id;
  atLineStart = true;
  // Work left running by the previous invocation printed while no invocation was running: it shows
  // up at the top of this one, as on SCF where such work resumes when the instance is thawed.
  const carried = pending;
  pending = [];
  pendingBytes = 0;
  pendingDropped = 0;
  for (const text of carried) emit(text);
  process.env['SCF_FUNCTIONVERSION'] = msg.q;

  const t0 = performance.now();
  let completion: Completion;
  try {
    if (!handlerFn) handlerFn = await loadHandler(spec);
    const event: unknown = JSON.parse(msg.ev);
    completion = await runHandler(handlerFn, event, spec, msg, t0);
  } catch (err) {
    if (err instanceof InitFailure) sendError(err.code, err.error, true);
    else sendError(RET_CODE.USER_CODE_EXCEPTION, err, false);
    if (err instanceof InitFailure) process.exit(1);
    return;
  }
  if (!completion.ok) {
    sendError(RET_CODE.USER_CODE_EXCEPTION, completion.error, false);
    return;
  }
  let ret: string;
  try {
    ret = JSON.stringify(completion.value) ?? 'null';
  } catch (err) {
    sendError(RET_CODE.USER_CODE_EXCEPTION, err, false);
    return;
  }
  const cur = running;
  if (!cur) return;
  send({ t: 'done', id: cur.id, ok: true, ret, drop: cur.dropped });
  running = undefined;
  atLineStart = true;
}

// ---------------------------------------------------------------------------------------------------
// Wiring

/**
 * An exception nobody caught (including an unhandled rejection, which Node 20 raises as one) ends the
 * running invocation with 430 (user code exception, the error's own message) and then the instance: its
 * state can no longer be trusted. Between invocations it just ends the instance.
 */
process.on('uncaughtException', (err) => {
  if (running) sendError(RET_CODE.USER_CODE_EXCEPTION, err, true);
  else userWrite(2, `Uncaught ${format(err)}\n`);
  process.exit(1);
});

/**
 * Binds this process to its function: enters the code folder and replaces the whole environment (deleting
 * every variable, then assigning the function's in order, so even the key order matches a fresh start).
 * Runs before any user code. A failure goes to fd 2 directly (not through the captured stream: no
 * invocation owns it), where the parent reads it while the instance is still starting.
 */
function bind(msg: InitMessage): void {
  if (init) process.exit(EXIT_PROTOCOL);
  try {
    process.chdir(msg.codeDir);
  } catch (err) {
    writeSync(2, `cannot enter the code folder: ${(err as Error).message}\n`);
    process.exit(EXIT_INIT);
  }
  for (const key of Object.keys(process.env)) delete process.env[key];
  Object.assign(process.env, msg.env);
  init = msg;
  send({ t: 'bound' });
}

/**
 * Loads the function's code outside any invocation (a provisioned instance) and answers `loaded`. What it
 * prints while loading belongs to no invocation: it is not carried into the next one's log (whose record
 * shows a warm start, with no init lines). Code that fails to load ends the process, saying why on fd 2 (the
 * parent reports the start as failed, with what it printed); an invocation would fail the same way.
 */
async function preload(): Promise<void> {
  const spec = init;
  if (!spec || running) process.exit(EXIT_PROTOCOL);
  try {
    handlerFn ??= await loadHandler(spec);
  } catch (err) {
    const error = err instanceof InitFailure ? err.error : err;
    writeSync(2, `the function's code failed to load: ${format(error)}\n`);
    process.exit(EXIT_INIT);
  }
  pending = [];
  pendingBytes = 0;
  pendingDropped = 0;
  send({ t: 'loaded' });
}

process.on('message', (raw: unknown) => {
  const msg = parseParentMessage(raw);
  if (!msg) process.exit(EXIT_PROTOCOL);
  if (msg.t === 'init') {
    bind(msg);
    return;
  }
  if (msg.t === 'load') {
    void preload();
    return;
  }
  void invoke(msg);
});

// The parent is gone (or the user called process.disconnect()): nobody can send work any more.
process.on('disconnect', () => process.exit(0));

send({ t: 'ready', pid: process.pid });
