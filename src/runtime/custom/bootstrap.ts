/**
 * The child side of a Custom Runtime instance: it hosts the function's own `scf_bootstrap` (any language)
 * and serves it SCF's runtime API, translating to scf-local's instance protocol (`../process/protocol.ts`:
 * `init`/`invoke` as JSON lines on fd 4, frames on fd 3).
 *
 * - `init`: enters the code folder, starts an HTTP server on the instance's own loopback (in a sandbox the
 *   network namespace is the instance's: 127.0.0.1:9001, SCF's port; without one, a free port), starts
 *   `./scf_bootstrap` with the function's environment plus `SCF_RUNTIME_API`, `SCF_RUNTIME_API_PORT` and
 *   `_HANDLER`, and answers `bound` once it calls `POST /runtime/init/ready`. A bootstrap that is missing,
 *   exits first, or is not ready within the init timeout fails the start: what it printed, and why, go to
 *   fd 2 (the parent's start-up error) and this process exits.
 * - `invoke`: the event is the answer to the bootstrap's `GET /runtime/invocation/next` (with SCF's headers
 *   `request_id`, `memory_limit_in_mb`, `time_limit_in_ms`); `POST /runtime/invocation/response` is the
 *   result (its body, as JSON when it is JSON, else as a JSON string) and `POST /runtime/invocation/error`
 *   a 430 whose message is the body.
 * - The bootstrap's stdout and stderr are the function's log, raw; output while no invocation runs (its
 *   init, work after a response) is delivered with the next one, as after a thaw. If the bootstrap exits,
 *   so does this process, with its code: the parent records a 439 ("exit code N").
 *
 * This process is platform machinery: its own memory is not the function's (`countMain: false` in
 * `language.ts`). It imports nothing of the project but the protocol's types, the UTF-8 budget and the
 * retCodes, which are copied into every sandbox with it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants as os } from 'node:os';
import {
  CHILD_EXIT,
  type ChildFrame,
  FRAME_FD,
  type InitMessage,
  type InvokeMessage,
  parseParentMessage,
} from '../process/protocol.js';
import { RET_CODE } from '../results.js';
import { fitUtf8 } from '../utf8.js';

const EXIT_PROTOCOL = CHILD_EXIT.PROTOCOL;
const EXIT_INIT = CHILD_EXIT.INIT;
/** SCF's runtime API port; inside a sandbox the loopback is the instance's own. */
const SCF_PORT = 9001;
const BOOTSTRAP = 'scf_bootstrap';
/** The largest request body the runtime API reads (SCF's 6 MB response limit, and some room). */
const MAX_BODY = 8 * 1024 * 1024;

function writeFrame(frame: ChildFrame): void {
  const buf = Buffer.from(`${JSON.stringify(frame)}\n`, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(FRAME_FD, buf, off, buf.length - off);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') continue;
      process.exit(EXIT_PROTOCOL);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The log: the bootstrap's output, raw, within the invocation's budget

let init: InitMessage | undefined;
let running: { id: string; sent: number; dropped: number } | undefined;
let pending: string[] = [];
let pendingBytes = 0;
let pendingDropped = 0;

function emit(text: string): void {
  const cap = init?.maxLogBytes ?? 1024 * 1024;
  if (!running) {
    const fit = fitUtf8(text, { room: cap - pendingBytes, dropping: pendingDropped > 0 });
    if (fit.kept) pending.push(fit.kept);
    pendingBytes += fit.keptBytes;
    pendingDropped += fit.dropped;
    return;
  }
  const fit = fitUtf8(text, { room: cap - running.sent, dropping: running.dropped > 0 });
  if (fit.kept) writeFrame({ t: 'log', d: fit.kept });
  running.sent += fit.keptBytes;
  running.dropped += fit.dropped;
}

// ---------------------------------------------------------------------------------------------------
// The runtime API

let child: ChildProcess | undefined;
let ready: (() => void) | undefined;
/** The bootstrap's `GET /runtime/invocation/next`, waiting for an event. */
let waitingNext: ServerResponse | undefined;
/** An event that arrived before the bootstrap asked for it. */
let queued: InvokeMessage | undefined;

function reply(
  res: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

function deliver(msg: InvokeMessage): void {
  const res = waitingNext;
  if (!res || !init) {
    queued = msg;
    return;
  }
  waitingNext = undefined;
  reply(res, 200, msg.ev, {
    request_id: msg.id,
    memory_limit_in_mb: String(init.memorySize),
    time_limit_in_ms: String(init.timeout * 1000),
  });
}

function finish(frame: ChildFrame): void {
  writeFrame(frame);
  running = undefined;
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size <= MAX_BODY ? Buffer.concat(chunks).toString('utf8') : undefined));
    req.on('error', () => resolve(undefined));
  });
}

/** The result's JSON: the body when it is JSON, else the body as a JSON string. */
function resultJson(body: string): string {
  try {
    JSON.parse(body);
    return body;
  } catch {
    return JSON.stringify(body);
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '').split('?')[0];
  const route = `${req.method} ${path}`;
  if (route === 'POST /runtime/init/ready') {
    await readBody(req);
    reply(res, 200, '{}');
    const r = ready;
    ready = undefined;
    r?.();
    return;
  }
  if (route === 'GET /runtime/invocation/next') {
    if (waitingNext) {
      reply(res, 409, '{"error":"another GET /runtime/invocation/next is waiting"}');
      return;
    }
    waitingNext = res;
    res.on('close', () => {
      if (waitingNext === res) waitingNext = undefined;
    });
    const q = queued;
    queued = undefined;
    if (q) deliver(q);
    return;
  }
  if (route === 'POST /runtime/invocation/response' || route === 'POST /runtime/invocation/error') {
    const body = await readBody(req);
    const cur = running;
    if (!cur) {
      reply(res, 409, '{"error":"no invocation is running"}');
      return;
    }
    if (body === undefined) {
      reply(res, 413, '{"error":"body too large"}');
      return;
    }
    reply(res, 200, '{}');
    // What the bootstrap printed before it answered is in its stdout/stderr pipes, which may be read in
    // this same turn of the event loop but after this request: the result goes once this turn's reads
    // are done, so those lines are this invocation's.
    await new Promise((resolve) => setImmediate(resolve));
    if (route.endsWith('/response')) {
      finish({ t: 'done', id: cur.id, ok: true, ret: resultJson(body), drop: cur.dropped });
    } else {
      finish({
        t: 'done',
        id: cur.id,
        ok: false,
        code: RET_CODE.USER_CODE_EXCEPTION,
        msg: body,
        stack: '',
        fatal: false,
        drop: cur.dropped,
      });
    }
    return;
  }
  reply(res, 404, JSON.stringify({ error: `no route ${route}` }));
}

// ---------------------------------------------------------------------------------------------------
// Binding: the bootstrap starts and reports ready

/** Fails the start: what the bootstrap printed and why go to fd 2 (the parent's start-up error), then exit. */
function initFailed(why: string, code = EXIT_INIT): never {
  const printed = pending.join('').trim();
  writeSync(2, `${why}${printed ? `; it printed: ${printed.slice(-1500)}` : ''}\n`);
  child?.kill('SIGKILL');
  process.exit(code);
}

async function bind(msg: InitMessage): Promise<void> {
  if (init) process.exit(EXIT_PROTOCOL);
  init = msg;
  try {
    process.chdir(msg.codeDir);
    accessSync(BOOTSTRAP, constants.X_OK);
  } catch {
    initFailed(`the code has no executable ${BOOTSTRAP}: a Custom Runtime starts ./${BOOTSTRAP}`);
  }
  const server = createServer((req, res) => void handle(req, res));
  // In a sandbox the code is at SCF's /var/user and the loopback is the instance's own: SCF's port is free.
  // Without one the loopback is the host's, shared by every instance: any free port.
  const inSandbox = msg.codeDir === '/var/user';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(inSandbox ? SCF_PORT : 0, '127.0.0.1', () => resolve());
  }).catch((err: Error) => initFailed(`cannot serve the runtime API: ${err.message}`));
  const port = (server.address() as AddressInfo).port;
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const env = {
    ...msg.env,
    SCF_RUNTIME_API: '127.0.0.1',
    SCF_RUNTIME_API_PORT: String(port),
    _HANDLER: msg.handler,
  };
  const c = spawn(`./${BOOTSTRAP}`, [], { cwd: msg.codeDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child = c;
  c.stdout?.setEncoding('utf8').on('data', emit);
  c.stderr?.setEncoding('utf8').on('data', emit);
  const exited = new Promise<string>((resolve) => {
    c.once('error', (err) => resolve(`${BOOTSTRAP} could not start: ${err.message}`));
    c.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`));
  });
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, msg.initTimeout * 1000);
  });
  const first = await Promise.race([
    isReady.then(() => 'ready' as const),
    exited.then((how) => ({ how })),
    timedOut.then(() => 'timeout' as const),
  ]);
  clearTimeout(timer);
  if (first === 'timeout') {
    initFailed(
      `${BOOTSTRAP} did not call POST /runtime/init/ready within ${msg.initTimeout} s (init timeout)`,
    );
  }
  if (first !== 'ready') initFailed(`${BOOTSTRAP} ended (${first.how}) before it reported ready`);
  // From now on the bootstrap's end is the instance's: the parent sees this process exit with its code.
  void exited.then(() => {
    const code = c.exitCode ?? (c.signalCode ? 128 + (os.signals[c.signalCode] ?? 9) : 1);
    // Its last output is read before leaving (the pipes close after the exit).
    setImmediate(() => process.exit(code));
  });
  writeFrame({ t: 'bound' });
}

function invoke(msg: InvokeMessage): void {
  if (!init || running) process.exit(EXIT_PROTOCOL);
  running = { id: msg.id, sent: 0, dropped: pendingDropped };
  const carried = pending;
  pending = [];
  pendingBytes = 0;
  pendingDropped = 0;
  for (const text of carried) emit(text);
  deliver(msg);
}

process.on('message', (raw: unknown) => {
  const msg = parseParentMessage(raw);
  if (!msg) process.exit(EXIT_PROTOCOL);
  if (msg.t === 'init') {
    if (typeof (raw as { initTimeout?: unknown }).initTimeout !== 'number') process.exit(EXIT_PROTOCOL);
    void bind(msg);
  } else {
    invoke(msg);
  }
});

// The parent is gone: nobody can send work any more; the bootstrap goes with us.
process.on('disconnect', () => {
  child?.kill('SIGKILL');
  process.exit(0);
});

writeFrame({ t: 'ready', pid: process.pid });
