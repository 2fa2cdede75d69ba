/**
 * v2 API benchmark: GetFunctionLogs over HTTP with signed requests, at N stored invocations (default
 * 1,000,000) across 100 functions.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/api-v2.js [records] [--seconds=10]
 *
 * The platform runs in a child process (its own event loop and core); this process is the client. The
 * store is filled directly through `LogStore.write` in batches of 10,000 records, not by invoking. Requests
 * are signed here with the server's own v2 signer (`signRequest`, the algorithm of scf-reference §1.3),
 * which is much cheaper than qcloudapi-sdk's `request`-based client, so the client costs little CPU.
 * Measured: first-page latency (offset 0, limit 20) of the default query and of every order x orderby x
 * filter combination, and requests/s with 16 concurrent keep-alive clients.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { signRequest } from '../src/api/protocol/v2/index.js';
import { createPlatform } from '../src/index.js';
import type { InvocationRecord, WriteOp } from '../src/store/types.js';

const SECRET_ID = 'AKIDbench';
const SECRET_KEY = 'bench-secret';
const FUNCTIONS = 100;
const fnName = (i: number): string => `fn-${String(i).padStart(3, '0')}`;

let seed = 7;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}

function makeRecord(i: number, t0: number): InvocationRecord {
  const requestId = randomUUID();
  const r = rand();
  const retCode = r < 0.95 ? 0 : r < 0.97 ? 430 : r < 0.985 ? 433 : r < 0.99 ? 434 : 439;
  const duration = Math.round(rand() * 3_000_000) / 1000;
  const startTime = t0 + i * 50 + Math.floor(rand() * 40);
  const ts = new Date(startTime).toISOString();
  const log =
    `START RequestId: ${requestId}\nEvent RequestId: ${requestId}\n` +
    `${ts}\t${requestId}\tHello World ${i}\n` +
    (retCode === 0 ? '' : `${ts}\t${requestId}\tError: boom\n`) +
    `END RequestId: ${requestId}\nReport RequestId: ${requestId} Duration:${Math.ceil(duration)}ms Memory:128MB MemUsage:12.5MB\n`;
  return {
    requestId,
    namespace: 'default',
    functionName: fnName(Math.floor(rand() * FUNCTIONS)),
    qualifier: '$LATEST',
    startTime,
    duration,
    billDuration: Math.ceil(duration / 100) * 100,
    memUsage: Math.floor(8_000_000 + rand() * 40_000_000),
    retCode,
    retMsg: retCode === 0 ? '"ok"' : '{"errorCode":-1,"errorMessage":"boom"}',
    invokeFinished: 1,
    retryNum: 0,
    log,
  };
}

/** Child: start the platform, create the functions, fill the store, report the port. */
async function serve(records: number): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'scf-bench-v2-'));
  const platform = await createPlatform({
    config: { port: 0, dataDir, auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] } },
    env: {},
  });
  for (let i = 0; i < FUNCTIONS; i++) {
    platform.functions.create({
      functionName: fnName(i),
      code: { zipBase64: 'UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==' },
    });
  }
  const t0 = Date.now() - records * 50;
  const started = performance.now();
  const BATCH = 10_000;
  for (let done = 0; done < records; done += BATCH) {
    const ops: WriteOp[] = [];
    for (let i = done; i < Math.min(records, done + BATCH); i++)
      ops.push({ op: 'finish', record: makeRecord(i, t0) });
    await platform.store.write(ops);
  }
  const fillSeconds = (performance.now() - started) / 1000;
  const { port } = await platform.listen();
  process.send?.({ port, fillSeconds });
  process.on('message', async () => {
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
let nonce = 0;

/** One signed GET; resolves with the latency (ms) after checking the answer is a success. */
function getLogs(port: number, params: Record<string, string | number>): Promise<number> {
  const host = `127.0.0.1:${port}`;
  const query = signRequest(
    {
      Action: 'GetFunctionLogs',
      Region: 'gz',
      SecretId: SECRET_ID,
      Timestamp: Math.floor(Date.now() / 1000),
      Nonce: ++nonce,
      ...params,
    },
    { method: 'GET', host, secretKey: SECRET_KEY },
  );
  const t = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port, path: `/v2/index.php?${query}`, agent, headers: { host } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const ms = Number(process.hrtime.bigint() - t) / 1e6;
          const body = Buffer.concat(chunks).toString('utf8');
          if (!body.startsWith('{"code":0,')) reject(new Error(`request failed: ${body.slice(0, 200)}`));
          else resolve(ms);
        });
      },
    );
    req.on('error', reject);
  });
}

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const f2 = (x: number): string => x.toFixed(2);

const ORDERS = ['desc', 'asc'];
const ORDER_BYS = ['startTime', 'functionName', 'requestId', 'duration', 'memUsage'];
const FILTERS = [undefined, 'is0', 'not0', 'TimeLimitExceeded', 'ResourceLimitExceeded', 'UserCodeException'];

function combos(): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (const order of ORDERS) {
    for (const orderby of ORDER_BYS) {
      for (const f of FILTERS) out.push(f ? { order, orderby, 'filter.retCode': f } : { order, orderby });
    }
  }
  return out;
}

async function client(records: number, seconds: number): Promise<void> {
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `${os.type()} ${os.release()}, Node ${process.version}`,
  );
  const child = fork(new URL(import.meta.url).pathname, ['--serve', String(records)], { stdio: 'inherit' });
  const { port, fillSeconds } = await new Promise<{ port: number; fillSeconds: number }>(
    (resolve, reject) => {
      child.once('message', (m) => resolve(m as { port: number; fillSeconds: number }));
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    },
  );
  console.log(
    `filled ${records.toLocaleString('en')} records across ${FUNCTIONS} functions in ${fillSeconds.toFixed(1)} s (LogStore.write, batches of 10,000)`,
  );
  const fn = (): string => fnName(Math.floor(Math.random() * FUNCTIONS));

  // Warm-up: every combination once per a few functions (page cache, statement caches, JIT).
  for (const c of combos()) for (let i = 0; i < 3; i++) await getLogs(port, { functionName: fn(), ...c });

  const first: number[] = [];
  for (let i = 0; i < 500; i++) first.push(await getLogs(port, { functionName: fn() }));
  console.log(
    `first page, default query (functionName, limit 20 default, desc startTime), sequential: p50 ${f2(pct(first, 50))} ms, p99 ${f2(pct(first, 99))} ms`,
  );

  const all: number[] = [];
  let worst = { p99: 0, name: '' };
  for (const c of combos()) {
    const xs: number[] = [];
    for (let i = 0; i < 40; i++) xs.push(await getLogs(port, { functionName: fn(), ...c }));
    all.push(...xs);
    const p99 = pct(xs, 99);
    if (p99 > worst.p99) worst = { p99, name: JSON.stringify(c) };
  }
  console.log(
    `first page, all ${combos().length} order x orderby x filter combinations (40 requests each), sequential: ` +
      `p50 ${f2(pct(all, 50))} ms, p99 ${f2(pct(all, 99))} ms, max ${f2(Math.max(...all))} ms; slowest combination p99 ${f2(worst.p99)} ms ${worst.name}`,
  );

  // Throughput: 16 clients in a closed loop over the combinations for `seconds`.
  const list = combos();
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const lat: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async (_, w) => {
      for (let i = w; performance.now() < deadline; i++) {
        lat.push(await getLogs(port, { functionName: fn(), ...list[i % list.length]! }));
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  console.log(
    `16 concurrent clients, all combinations, ${elapsed.toFixed(1)} s: ${Math.round(done / elapsed)} requests/s ` +
      `(latency p50 ${f2(pct(lat, 50))} ms, p99 ${f2(pct(lat, 99))} ms)`,
  );
  agent.destroy();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
}

const args = process.argv.slice(2);
if (args[0] === '--serve') {
  await serve(Number(args[1]));
} else {
  const records = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
  const seconds = Number(args.find((a) => a.startsWith('--seconds='))?.slice(10) ?? 10);
  await client(records, seconds);
}
