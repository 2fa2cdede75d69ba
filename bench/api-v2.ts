/**
 * v2 API benchmark: GetFunctionLogs over HTTP with signed requests, at N stored invocations (default
 * 1,000,000) across 100 functions.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/api-v2.js [records] [--seconds=10] [--rounds=2] [--readers=N]
 *
 * The platform runs in a child process (its own event loop and core); this process is the client. The
 * store is filled directly through `LogStore.write` in batches of 10,000 records, not by invoking. Requests
 * are signed here with the server's own v2 signer (`signRequest`, the algorithm of scf-reference §1.3),
 * which is much cheaper than qcloudapi-sdk's `request`-based client, so the client costs little CPU.
 * Measured: first-page latency (offset 0, limit 20) of the default query and of every order x orderby x
 * filter combination, and requests/s with 16 concurrent keep-alive clients.
 *
 * The 16-client figures are taken side by side for the SQLite store's reader threads (issue 15: reads off
 * the event loop; `--readers=N`, default the store's own default) and without them (`store.sqlite.readers`
 * 0: every read on the event loop), in `--rounds` interleaved rounds on the same filled file (the server
 * reopens its platform between phases), each alone and again while one more client loops all-function
 * sorts by duration (no functionName: the slowest read there is). For each phase the server reports its
 * event loop's delay (`perf_hooks.monitorEventLoopDelay`, 1 ms resolution, so a figure includes up to the
 * 1 ms sampling interval) over that phase only.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { signRequest } from '../src/api/protocol/v2/index.js';
import { createPlatform, type Platform } from '../src/index.js';
import { SqliteLogStore } from '../src/store/index.js';
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

/** Messages from the client to the server child. */
type ToServer =
  | { type: 'restart'; readers: number | undefined }
  | { type: 'delayReset' }
  | { type: 'delay' }
  | { type: 'stop' };

/** The platform on `dataDir`, listening, its reader threads (if any) ready. */
async function startPlatform(dataDir: string, readers: number | undefined): Promise<Platform> {
  const platform = await createPlatform({
    config: {
      port: 0,
      dataDir,
      auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
      // No request lines: the server's work is what is measured (as before issue 10 added them).
      log: { level: 'warn' },
      ...(readers === undefined ? {} : { store: { sqlite: { readers } } }),
    },
    env: {},
  });
  if (platform.store instanceof SqliteLogStore) await platform.store.whenReadersReady();
  return platform;
}

/**
 * Child: start the platform, create the functions, fill the store, report the port; then, on the
 * client's word, reopen the platform with another reader count, and report the event loop's delay.
 */
async function serve(records: number): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'scf-bench-v2-'));
  let platform = await startPlatform(dataDir, undefined);
  for (let i = 0; i < FUNCTIONS; i++) {
    platform.functions.create({
      functionName: fnName(i),
      code: { directory: fileURLToPath(new URL('../../examples/hello-async', import.meta.url)) },
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
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const readersNow = () =>
    platform.store instanceof SqliteLogStore ? platform.store.readerThreads.length : 0;
  process.send?.({ port, fillSeconds, readers: readersNow() });
  process.on('message', async (m: ToServer) => {
    switch (m.type) {
      case 'restart': {
        await platform.close();
        platform = await startPlatform(dataDir, m.readers);
        const { port } = await platform.listen();
        process.send?.({ port, readers: readersNow() });
        break;
      }
      case 'delayReset':
        delay.reset();
        process.send?.({});
        break;
      case 'delay':
        process.send?.({
          p50: delay.percentile(50) / 1e6,
          p99: delay.percentile(99) / 1e6,
          max: delay.max / 1e6,
        });
        break;
      case 'stop':
        await platform.close();
        rmSync(dataDir, { recursive: true, force: true });
        process.exit(0);
    }
  });
}

let agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
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

/** One request/answer with the server child. */
function ask<T>(child: ChildProcess, m: ToServer): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (a) => resolve(a as T));
    child.send(m);
  });
}

interface Phase {
  rps: number;
  p50: number;
  p99: number;
  loop: { p50: number; p99: number; max: number };
  /** The all-function duration sorts, when they ran. */
  sorts?: { n: number; p50: number };
}

/**
 * 16 clients in a closed loop over the combinations for `seconds` (plus, with `sorts`, one client looping
 * all-function sorts by duration, not counted in requests/s); the server's loop delay over the phase.
 */
async function phase(child: ChildProcess, port: number, seconds: number, sorts: boolean): Promise<Phase> {
  const list = combos();
  const fn = (): string => fnName(Math.floor(Math.random() * FUNCTIONS));
  await ask(child, { type: 'delayReset' });
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const lat: number[] = [];
  const sortLat: number[] = [];
  const t0 = performance.now();
  const clients = Array.from({ length: 16 }, async (_, w) => {
    for (let i = w; performance.now() < deadline; i++) {
      lat.push(await getLogs(port, { functionName: fn(), ...list[i % list.length]! }));
      done++;
    }
  });
  if (sorts) {
    clients.push(
      (async () => {
        for (let i = 0; performance.now() < deadline; i++) {
          sortLat.push(await getLogs(port, { order: i % 2 ? 'asc' : 'desc', orderby: 'duration' }));
        }
      })(),
    );
  }
  await Promise.all(clients);
  const elapsed = (performance.now() - t0) / 1000;
  const loop = await ask<Phase['loop']>(child, { type: 'delay' });
  const out: Phase = { rps: done / elapsed, p50: pct(lat, 50), p99: pct(lat, 99), loop };
  if (sorts) out.sorts = { n: sortLat.length, p50: pct(sortLat, 50) };
  return out;
}

/** The middle value; with an even count, the mean of the two middle ones. */
function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function client(
  records: number,
  seconds: number,
  rounds: number,
  readers: number | undefined,
): Promise<void> {
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `${os.type()} ${os.release()}, Node ${process.version}; load average ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}; ${new Date().toISOString()}`,
  );
  const child = fork(new URL(import.meta.url).pathname, ['--serve', String(records)], { stdio: 'inherit' });
  let {
    port,
    fillSeconds,
    readers: poolSize,
  } = await new Promise<{ port: number; fillSeconds: number; readers: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { port: number; fillSeconds: number; readers: number }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  console.log(
    `filled ${records.toLocaleString('en')} records across ${FUNCTIONS} functions in ${fillSeconds.toFixed(1)} s (LogStore.write, batches of 10,000)`,
  );
  const restart = async (n: number | undefined) => {
    agent.destroy();
    agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
    ({ port, readers: poolSize } = await ask<{ port: number; readers: number }>(child, {
      type: 'restart',
      readers: n,
    }));
  };
  if (readers !== undefined) await restart(readers);
  const fn = (): string => fnName(Math.floor(Math.random() * FUNCTIONS));

  // Warm-up: every combination once per a few functions (page cache, statement caches, JIT).
  for (const c of combos()) for (let i = 0; i < 3; i++) await getLogs(port, { functionName: fn(), ...c });

  const first: number[] = [];
  for (let i = 0; i < 500; i++) first.push(await getLogs(port, { functionName: fn() }));
  console.log(
    `first page, default query (functionName, limit 20 default, desc startTime), sequential, ${poolSize} reader thread(s): p50 ${f2(pct(first, 50))} ms, p99 ${f2(pct(first, 99))} ms`,
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

  // Throughput and loop delay: reader threads vs none, interleaved rounds, each alone and with sorts.
  const modes = [
    { name: 'readers', readers },
    { name: 'inline', readers: 0 },
  ] as const;
  const results = new Map<string, Phase[]>();
  const show = (label: string, r: Phase) =>
    console.log(
      `  ${label}: ${Math.round(r.rps)} req/s (latency p50 ${f2(r.p50)} ms, p99 ${f2(r.p99)} ms); ` +
        `server loop delay p50 ${f2(r.loop.p50)} ms, p99 ${f2(r.loop.p99)} ms, max ${f2(r.loop.max)} ms` +
        (r.sorts ? `; all-function duration sorts: ${r.sorts.n}, p50 ${f2(r.sorts.p50)} ms` : ''),
    );
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? modes : [...modes].reverse();
    for (const mode of order) {
      await restart(mode.readers);
      // A short warm-up after the reopen (statement caches, the new threads' JIT).
      for (const c of combos()) await getLogs(port, { functionName: fn(), ...c });
      for (const sorts of [false, true]) {
        const label = `${mode.name}${sorts ? '+sorts' : ''}`;
        const r = await phase(child, port, seconds, sorts);
        results.set(label, [...(results.get(label) ?? []), r]);
        show(`round ${round + 1}, 16 clients, ${label} (${poolSize} reader threads)`, r);
      }
    }
  }
  console.log(
    `16 concurrent clients, all combinations, ${seconds} s per phase, medians of ${rounds} round(s):`,
  );
  for (const label of ['readers', 'inline', 'readers+sorts', 'inline+sorts']) {
    const rs = results.get(label) ?? [];
    const m = (f: (r: Phase) => number) => median(rs.map(f));
    console.log(
      `  ${label.padEnd(13)} ${String(Math.round(m((r) => r.rps))).padStart(5)} req/s, latency p50 ${f2(m((r) => r.p50))} ms, ` +
        `p99 ${f2(m((r) => r.p99))} ms; loop delay p99 ${f2(m((r) => r.loop.p99))} ms, max ${f2(m((r) => r.loop.max))} ms` +
        (label.endsWith('sorts') ? `; sorts p50 ${f2(m((r) => r.sorts?.p50 ?? 0))} ms` : ''),
    );
  }
  const ratio = (a: string, b: string, f: (r: Phase) => number) =>
    median((results.get(a) ?? []).map(f)) / median((results.get(b) ?? []).map(f));
  console.log(
    `  ratio readers/inline: req/s ${ratio('readers', 'inline', (r) => r.rps).toFixed(2)} ` +
      `(with sorts ${ratio('readers+sorts', 'inline+sorts', (r) => r.rps).toFixed(2)}), ` +
      `loop delay p99 ${ratio('readers', 'inline', (r) => r.loop.p99).toFixed(2)} ` +
      `(with sorts ${ratio('readers+sorts', 'inline+sorts', (r) => r.loop.p99).toFixed(2)})`,
  );
  agent.destroy();
  child.send({ type: 'stop' } satisfies ToServer);
  await new Promise((r) => child.once('exit', r));
}

const args = process.argv.slice(2);
const opt = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
if (args[0] === '--serve') {
  await serve(Number(args[1]));
} else {
  const records = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
  const readers = opt('readers');
  await client(
    records,
    Number(opt('seconds') ?? 10),
    Number(opt('rounds') ?? 2),
    readers === undefined ? undefined : Number(readers),
  );
}
