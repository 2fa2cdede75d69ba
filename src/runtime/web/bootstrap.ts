/**
 * The child side of a web function's instance (SCF's `Type: "HTTP"` functions): it hosts the function's
 * own `scf_bootstrap`, which starts an HTTP server on port 9000, and replays each invocation's HTTP request
 * to it (`protocol.ts`: the request is the event, the response the result).
 *
 * - `init`: starts `./scf_bootstrap` in the code folder with the function's environment plus `PORT` (9000
 *   in a sandbox, whose loopback is the instance's own; without one a free port of the host's shared
 *   loopback, which the server must read from `PORT`), then answers `bound` once 127.0.0.1:PORT accepts a
 *   connection. A bootstrap that is missing, exits first, or does not listen within the init timeout fails
 *   the start with what it printed (`../process/host.ts`).
 * - `invoke`: sends the request (method, path and query, headers, body) to the server as it came, plus
 *   `x-scf-request-id` (the invocation's request id, SCF's header), and answers with the server's response
 *   (status, headers, body) whatever its status: any HTTP answer is a successful invocation. A server that
 *   closes the connection without an answer fails the invocation (430); a body over SCF's 6 MB response
 *   limit makes the result too large (407, decided by the parent from the result's size).
 * - The bootstrap's stdout and stderr are the function's log, raw; its exit is the instance's (439).
 *
 * This process is platform machinery (`countMain: false`); it imports nothing of the project but the host,
 * the protocols, the UTF-8 budget and the retCodes, which are copied into every sandbox with it.
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { awaitReady, BOOTSTRAP, BootstrapHost, serve, writeFrame } from '../process/host.js';
import type { InitMessage, InvokeMessage } from '../process/protocol.js';
import { MAX_RESULT_BYTES, RET_CODE } from '../results.js';
import { encodeBody, HOP_BY_HOP, parseWebRequest, type WebResponse } from './protocol.js';

/** SCF's port for a web function's server. */
const WEB_PORT = 9000;
/** How often the port is tried while the server starts (there is no event for "now listening"). */
const LISTEN_POLL_MS = 10;

/**
 * How long a connection that ended without an answer waits for the program's exit: a server that dies
 * resets its connections a moment before its exit is seen, and that invocation is the exit's (439).
 */
const EXIT_GRACE_MS = 200;

const host = new BootstrapHost();
let port = WEB_PORT;
/** Resolves when the program has exited (set at binding). */
let programExited: Promise<string> = new Promise(() => {});
/** One kept-alive connection to the server: instances take one invocation at a time. */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** A free port of the host's loopback (without a sandbox, where 9000 may be anyone's). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** True once 127.0.0.1:port accepts a connection. */
function accepts(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port: p });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

async function bind(msg: InitMessage): Promise<void> {
  // In a sandbox the code is at SCF's /var/user and the loopback is the instance's own: SCF's port is free.
  const inSandbox = msg.codeDir === '/var/user';
  port = inSandbox ? WEB_PORT : await freePort();
  const { child, exited } = host.start({ ...msg.env, PORT: String(port) }, 'a web function (Type HTTP)');
  programExited = exited;
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const listening = (async () => {
    while (!gone && !(await accepts(port))) await sleep(LISTEN_POLL_MS);
  })();
  await awaitReady(host, {
    // A program gone is reported through `exited`, which wins the race.
    ready: listening,
    exited,
    initTimeoutS: msg.initTimeout,
    notReady: `${BOOTSTRAP} did not listen on port ${port}`,
    readyWord: `listened on port ${port}`,
  });
  host.follow(child, exited);
  writeFrame({ t: 'bound' });
}

/** The server's response, its body read up to one byte past SCF's limit (the parent then says 407). */
function collect(res: IncomingMessage): Promise<WebResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      const headers: Record<string, string | string[]> = {};
      for (const [name, values] of Object.entries(res.headersDistinct)) {
        if (values === undefined || HOP_BY_HOP.has(name) || name === 'content-length') continue;
        headers[name] = values.length === 1 ? values[0]! : values;
      }
      const ct = res.headers['content-type'];
      resolve({ statusCode: res.statusCode ?? 502, headers, ...encodeBody(Buffer.concat(chunks), ct) });
    };
    res.on('data', (c: Buffer) => {
      if (size > MAX_RESULT_BYTES) return;
      size += c.length;
      chunks.push(c);
      if (size > MAX_RESULT_BYTES) {
        // Enough to be too large: the rest is not read, and this connection is not reused.
        res.destroy();
        done();
      }
    });
    res.once('end', done);
    res.once('error', (err) => (size > MAX_RESULT_BYTES ? undefined : reject(err)));
  });
}

function replay(msg: InvokeMessage): void {
  const req = parseWebRequest(msg.ev);
  if (!req) {
    void host.finish({
      ok: false,
      code: RET_CODE.USER_CODE_EXCEPTION,
      msg: 'a web function (Type HTTP) answers HTTP requests at its URL; this event is not one',
      stack: '',
      fatal: false,
    });
    return;
  }
  const body = Buffer.from(req.body, req.isBase64Encoded ? 'base64' : 'utf8');
  const headers: string[] = [];
  for (const [name, value] of req.headers) {
    if (HOP_BY_HOP.has(name) || name === 'content-length' || name === 'x-scf-request-id') continue;
    headers.push(name, value);
  }
  headers.push('x-scf-request-id', msg.id);
  // HTTP/1.1 requires a Host; a request without one (an event written by hand) gets the server's.
  if (!req.headers.some(([name]) => name === 'host')) headers.push('host', `127.0.0.1:${port}`);
  if (body.length > 0 || !['GET', 'HEAD'].includes(req.method))
    headers.push('content-length', `${body.length}`);
  send({ method: req.method, path: req.path, headers, body }, true);
}

/**
 * Sends one request to the server; its answer or failure ends the invocation. A kept-alive connection
 * the server closed while idle (its keep-alive timeout, which fires at once when the instance is thawed
 * after a long freeze) fails as soon as it is written to, before the server read anything: such a request
 * is sent once more on a new connection (`retry`), as Node's documentation advises.
 */
function send(out: { method: string; path: string; headers: string[]; body: Buffer }, retry: boolean): void {
  let answered = false;
  const outgoing = httpRequest(
    { host: '127.0.0.1', port, method: out.method, path: out.path, headers: out.headers, agent },
    (res) => {
      answered = true;
      collect(res).then(
        (answer) => void host.finish({ ok: true, ret: JSON.stringify(answer) }),
        (err: Error) => void failed(err),
      );
    },
  );
  outgoing.once('error', (err: NodeJS.ErrnoException) => {
    const stale = outgoing.reusedSocket && !answered && (err.code === 'ECONNRESET' || err.code === 'EPIPE');
    if (stale && retry) send(out, false);
    else void failed(err);
  });
  outgoing.end(out.body);
}

/** The request got no answer: a 430, unless the server's program is gone (then its exit, a 439). */
async function failed(err: Error): Promise<void> {
  const grace = new AbortController();
  const exit = await Promise.race([
    programExited.then(() => true),
    sleep(EXIT_GRACE_MS, false, { signal: grace.signal }).catch(() => false),
  ]);
  grace.abort();
  // The program is gone: this process follows it, and the parent records the exit.
  if (exit) return;
  void host.finish({
    ok: false,
    code: RET_CODE.USER_CODE_EXCEPTION,
    msg: `the web server on port ${port} did not answer: ${err.message}`,
    stack: '',
    fatal: false,
  });
}

serve(host, { bind, invoke: replay });
