/**
 * HTTP triggers against their floor (issue 13): requests per second and latency of
 *
 * - `floor`: a plain Fastify route answering a small JSON body (no function at all: what any HTTP
 *   request to Node costs here);
 * - `apigw`: the same JSON from a warm Node.js function behind an API Gateway trigger
 *   (`/apigw/default/<fn>/`): the request becomes SCF's event, one sandboxed invocation with its record in
 *   SQLite, the integrated response becomes the answer;
 * - `web`: the same JSON from a web function (`Type: "HTTP"`), a node:http server in the sandbox, the
 *   request replayed to it;
 * - `invoke`: the `apigw` target's function through API 3.0 `Invoke` (TC3-signed POST): the same
 *   invocation and record without the trigger, to tell the trigger's own cost from the invocation's.
 *
 * One process: the floor server and one platform (sandbox as configured: `auto`, sandboxed where bubblewrap
 * works; `--sandbox off` for plain processes), each on its own port, requests from node:http with
 * kept-alive connections. Rounds alternate the targets (the order rotates) so the machine's load weighs on
 * each alike. Per round and target: sequential requests (latency), then `--concurrency` callers for a fixed
 * time (throughput). The platform's request and invocation lines are off (`log.level: warn`), as in the
 * other invoke benchmarks' base mode.
 *
 *   npm run build && node dist/bench/http-trigger.js [--rounds 6] [--sequential 300] [--seconds 2] [--concurrency 8] [--sandbox auto|off]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { createTrigger } from '../src/api/operations/triggers.js';
import { createPlatform } from '../src/platform.js';
import { invoke as signedInvoke } from './http-invoke.js';
import { concurrent, median, pct, sequential } from './measure.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    sequential: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    sandbox: { type: 'string', default: 'auto' },
  },
});
const ROUNDS = Number(values.rounds);
const SEQUENTIAL = Number(values.sequential);
const CONCURRENT_MS = Number(values.seconds) * 1000;
const CONCURRENCY = Number(values.concurrency);
const SANDBOX = values.sandbox === 'off' ? 'off' : 'auto';

/** What every target answers. */
const ANSWER = JSON.stringify({ ok: true, message: 'hello from scf-local' });

const work = mkdtempSync(join(tmpdir(), 'scf-bench-http-'));
const eventFn = join(work, 'event-fn');
mkdirSync(eventFn);
writeFileSync(join(eventFn, 'package.json'), '{"type":"commonjs"}');
writeFileSync(
  join(eventFn, 'index.js'),
  `const body = ${JSON.stringify(ANSWER)};\n` +
    "exports.main_handler = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body });\n",
);
const webFn = join(work, 'web-fn');
mkdirSync(webFn);
writeFileSync(join(webFn, 'package.json'), '{"type":"commonjs"}');
writeFileSync(join(webFn, 'scf_bootstrap'), '#!/bin/sh\nexec node server.js\n', { mode: 0o755 });
writeFileSync(
  join(webFn, 'server.js'),
  `const body = ${JSON.stringify(ANSWER)};\n` +
    "require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => {" +
    " res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); }); })" +
    '.listen(Number(process.env.PORT || 9000));\n',
);

const SECRET_ID = 'AKIDbenchhttp';
const SECRET_KEY = 'bench-http-secret';

interface Target {
  name: 'floor' | 'apigw' | 'web' | 'invoke';
  port: number;
  path: string;
  agent: Agent;
  latencies: number[];
  throughput: number[];
}

/** One request; resolves when the answer is read, rejects unless it is the expected one. */
function get(t: Target): Promise<void> {
  if (t.name === 'invoke') {
    return signedInvoke({
      port: t.port,
      agent: t.agent,
      secretId: SECRET_ID,
      secretKey: SECRET_KEY,
      functionName: 'hello',
    });
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.port, path: t.path, agent: t.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200 || text !== ANSWER) {
          // The record says why (the answer never does).
          const id = res.headers['x-scf-request-id'];
          void (typeof id === 'string' ? platform.store.get(id) : Promise.resolve(undefined)).then((r) =>
            reject(
              new Error(
                `${t.name}: unexpected answer ${res.statusCode}: ${text.slice(0, 300)}` +
                  (r ? `; record ${r.retCode}: ${r.retMsg.slice(0, 300)}` : ''),
              ),
            ),
          );
        } else resolve();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

const floor = Fastify();
floor.get('/', async (_req, reply) => reply.header('content-type', 'application/json').send(ANSWER));
const platform = await createPlatform({
  config: {
    port: 0,
    dataDir: join(work, 'data'),
    log: { level: 'warn' },
    auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
    runtime: { sandbox: SANDBOX },
  },
  env: {},
});
const targets: Target[] = [];
try {
  platform.functions.create({ functionName: 'hello', code: { directory: eventFn } });
  await createTrigger(
    {
      config: platform.config,
      functions: platform.functions,
      invoker: platform.invoker,
      store: platform.store,
      async: platform.async,
    },
    { functionName: 'hello', triggerName: 'web', type: 'apigw' },
  );
  platform.functions.create({ functionName: 'hello-web', type: 'HTTP', code: { directory: webFn } });
  const { port } = await platform.listen();
  await floor.listen({ host: '127.0.0.1', port: 0 });
  const floorPort = (floor.server.address() as { port: number }).port;
  const agent = (): Agent => new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const mk = (name: Target['name'], p: number, path: string): Target => ({
    name,
    port: p,
    path,
    agent: agent(),
    latencies: [],
    throughput: [],
  });
  targets.push(
    mk('floor', floorPort, '/'),
    mk('apigw', port, '/apigw/default/hello/'),
    mk('web', port, '/apigw/default/hello-web/'),
    mk('invoke', port, '/'),
  );
  const sandbox = platform.runtime.sandboxStatus();
  console.log(
    `HTTP trigger vs a plain Fastify route; ${cpus().length} CPUs, ${cpus()[0]?.model ?? ''}, ` +
      `${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; functions ${sandbox.isolated ? 'sandboxed' : 'NOT sandboxed'}`,
  );
  console.log(`load average at start: ${load()}`);
  // Warm-up: the functions' instances started (all the concurrent callers' too) and V8 warm on every path.
  for (const t of targets) {
    for (let i = 0; i < 200; i++) await get(t);
    await Promise.all(Array.from({ length: CONCURRENCY }, () => get(t)));
    t.latencies.length = 0;
  }
  for (let r = 0; r < ROUNDS; r++) {
    const order = targets.map((_, k) => targets[(k + r) % targets.length]!);
    for (const t of order) await sequential(t, SEQUENTIAL, () => get(t));
    for (const t of order) await concurrent(t, { callers: CONCURRENCY, ms: CONCURRENT_MS }, () => get(t));
  }
  console.log(`load average at end:   ${load()}`);
  console.log(
    `\n${ROUNDS} rounds; per round and target ${SEQUENTIAL} sequential requests, then ${CONCURRENCY} callers for ${CONCURRENT_MS / 1000} s`,
  );
  console.log(
    'target   p50 ms   p99 ms   req/s (median of rounds)   p50 / floor   req/s / floor   p50 / invoke',
  );
  const inv = targets[3]!;
  const base = targets[0]!;
  for (const t of targets) {
    console.log(
      `${t.name.padEnd(8)} ${median(t.latencies).toFixed(3).padStart(6)}   ${pct(t.latencies, 99).toFixed(3).padStart(6)}   ${median(t.throughput).toFixed(0).padStart(7)}                    ${(median(t.latencies) / median(base.latencies)).toFixed(2).padStart(6)}        ${(median(t.throughput) / median(base.throughput)).toFixed(3)}           ${(median(t.latencies) / median(inv.latencies)).toFixed(2)}`,
    );
  }
} finally {
  for (const t of targets) t.agent.destroy();
  await floor.close();
  await platform.close();
  rmSync(work, { recursive: true, force: true });
}
