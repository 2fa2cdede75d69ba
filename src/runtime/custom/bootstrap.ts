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
 * The hosting itself (frames, the log, starting the program, its exit) is shared with web functions:
 * `../process/host.ts`. This process is platform machinery: its own memory is not the function's
 * (`countMain: false` in `language.ts`). It imports nothing of the project but the host, the protocol's
 * types, the UTF-8 budget and the retCodes, which are copied into every sandbox with it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { awaitReady, BOOTSTRAP, BootstrapHost, serve, writeFrame } from '../process/host.js';
import type { InitMessage, InvokeMessage } from '../process/protocol.js';
import { RET_CODE } from '../results.js';

/** SCF's runtime API port; inside a sandbox the loopback is the instance's own. */
const SCF_PORT = 9001;
/** The largest request body the runtime API reads (SCF's 6 MB response limit, and some room). */
const MAX_BODY = 8 * 1024 * 1024;

const host = new BootstrapHost();

// ---------------------------------------------------------------------------------------------------
// The runtime API

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
  const init = host.init;
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
    if (host.runningId === undefined) {
      reply(res, 409, '{"error":"no invocation is running"}');
      return;
    }
    if (body === undefined) {
      reply(res, 413, '{"error":"body too large"}');
      return;
    }
    reply(res, 200, '{}');
    if (route.endsWith('/response')) {
      await host.finish({ ok: true, ret: resultJson(body) });
    } else {
      await host.finish({
        ok: false,
        code: RET_CODE.USER_CODE_EXCEPTION,
        msg: body,
        stack: '',
        fatal: false,
      });
    }
    return;
  }
  reply(res, 404, JSON.stringify({ error: `no route ${route}` }));
}

// ---------------------------------------------------------------------------------------------------
// Binding: the bootstrap starts and reports ready

async function bind(msg: InitMessage): Promise<void> {
  const server = createServer((req, res) => void handle(req, res));
  // In a sandbox the code is at SCF's /var/user and the loopback is the instance's own: SCF's port is free.
  // Without one the loopback is the host's, shared by every instance: any free port.
  const inSandbox = msg.codeDir === '/var/user';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(inSandbox ? SCF_PORT : 0, '127.0.0.1', () => resolve());
  }).catch((err: Error) => host.failInit(`cannot serve the runtime API: ${err.message}`));
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
  const { child, exited } = host.start(env, 'a Custom Runtime');
  await awaitReady(host, {
    ready: isReady,
    exited,
    initTimeoutS: msg.initTimeout,
    notReady: `${BOOTSTRAP} did not call POST /runtime/init/ready`,
    readyWord: 'reported ready',
  });
  host.follow(child, exited);
  writeFrame({ t: 'bound' });
}

serve(host, { bind, invoke: deliver });
