/**
 * The console's function view at 1,000,000 records (issue 14, point 4: "answers its charts and first page
 * in <= 100 ms"): the requests the view makes when it opens (`web/src/metrics.ts` `functionCharts`: nine
 * GetMonitorData reads, one per chart series; `web/src/views/invocations.tsx`: the first page of
 * GetFunctionLogs over the range's last day), TC3-signed over HTTP as the browser sends them, against a
 * server whose one function holds N records spread over the last 7 days.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/console-view.js [records] [--rounds=20]
 *
 * The server runs in a child process (its own event loop and core); this process is the client. The store
 * is filled through `LogStore.write` in batches of 10,000 (not by invoking), then left to finish its
 * full-text indexing (which also counts the rollups, `src/store/sqlite/fts-indexer.ts`) before measuring.
 * Per preset (15m .. 7d): the view's ten requests at once over at most 6 keep-alive sockets (a browser's
 * limit per host), timed from the first sent to the last answered ("view"), `rounds` times; then each
 * request alone, one after another ("alone": the server's time plus a loopback round trip, ~0.3 ms).
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import os from 'node:os';
import { join } from 'node:path';
import { createPlatform } from '../src/index.js';
import type { InvocationRecord, WriteOp } from '../src/store/types.js';
import { signedCall } from './http-invoke.js';
import { median, pct } from './measure.js';
import { machineLine } from './store-shared.js';

const SECRET_ID = 'AKIDbench';
const SECRET_KEY = 'bench-secret';
const FUNCTION = 'view';
const DAY = 86_400_000;
const SPAN = 7 * DAY;

let seed = 11;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}

function makeRecord(i: number, n: number, end: number): InvocationRecord {
  const requestId = randomUUID();
  const r = rand();
  const retCode = r < 0.95 ? 0 : r < 0.97 ? 430 : r < 0.985 ? 433 : r < 0.99 ? 434 : 439;
  const duration = Math.round(rand() * rand() * 3_000_000) / 1000;
  const startTime = end - SPAN + Math.floor((i / n) * SPAN);
  const ts = new Date(startTime).toISOString();
  return {
    requestId,
    namespace: 'default',
    functionName: FUNCTION,
    qualifier: '$LATEST',
    startTime,
    duration,
    billDuration: Math.max(1, Math.ceil(duration)),
    memUsage: Math.floor(8_000_000 + rand() * 40_000_000),
    retCode,
    retMsg: retCode === 0 ? '"ok"' : '{"errorCode":-1,"errorMessage":"boom"}',
    invokeFinished: 1,
    retryNum: 0,
    log:
      `START RequestId: ${requestId}\n${ts}\t${requestId}\tINFO\thandled ${i}\n` +
      (retCode === 0 ? '' : `${ts}\t${requestId}\tERROR\tError: boom\n`) +
      `END RequestId: ${requestId}\nReport RequestId: ${requestId} Duration:${duration}ms Memory:128MB MemUsage:${12}MB\n`,
  };
}

/** Child: the platform, one function, N records over the last 7 days; reports its port. */
async function serve(records: number): Promise<void> {
  const dataDir = mkdtempSync(join(os.tmpdir(), 'scf-bench-console-'));
  const platform = await createPlatform({
    config: {
      port: 0,
      dataDir,
      auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
      // Request lines to a pipe cost the server time the view would not see in production.
      log: { level: 'warn' },
    },
    env: {},
  });
  const fnDir = join(dataDir, 'fn');
  mkdirSync(fnDir);
  writeFileSync(join(fnDir, 'index.js'), 'exports.main_handler = async () => "ok";\n');
  platform.functions.create({
    functionName: FUNCTION,
    handler: 'index.main_handler',
    code: { directory: fnDir },
  });
  const end = Date.now() - 60_000;
  const started = performance.now();
  const BATCH = 10_000;
  for (let done = 0; done < records; done += BATCH) {
    const ops: WriteOp[] = [];
    for (let i = done; i < Math.min(records, done + BATCH); i++)
      ops.push({ op: 'finish', record: makeRecord(i, records, end) });
    await platform.store.write(ops);
  }
  const fillSeconds = (performance.now() - started) / 1000;
  const store = platform.store as { whenIndexed?: () => Promise<void> };
  await store.whenIndexed?.();
  const indexedSeconds = (performance.now() - started) / 1000;
  const { port } = await platform.listen();
  process.send?.({ port, fillSeconds, indexedSeconds });
  process.on('message', async () => {
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: 6 });

/** One TC3-signed API 3.0 call; resolves with its latency (ms) once the answer is read and is a success. */
async function call(
  port: number,
  action: string,
  params: Record<string, unknown>,
  o: { version: string; service: string },
): Promise<number> {
  const { text, ms } = await signedCall(
    { port, agent, secretId: SECRET_ID, secretKey: SECRET_KEY },
    action,
    params,
    o,
  );
  if (text.includes('"Error"')) throw new Error(`${action} failed: ${text.slice(0, 300)}`);
  return ms;
}

const PRESETS: Array<[string, number]> = [
  ['15m', 15 * 60_000],
  ['1h', 3_600_000],
  ['6h', 6 * 3_600_000],
  ['24h', DAY],
  ['7d', SPAN],
];
const METRICS = [
  'Invocation',
  'Http4xx',
  'Http433',
  'Http434',
  'Syserr',
  'DurationP50',
  'DurationP95',
  'DurationP99',
  'Mem',
];
/** The console's period for a range (`web/src/metrics.ts` `periodFor`). */
function periodFor(rangeMs: number): number {
  for (const p of [60, 300, 3600, 86400]) if (rangeMs / 1000 / p <= 720) return p;
  return 86400;
}
const monitorTime = (ms: number): string =>
  `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}+00:00`;
/** GetFunctionLogs' time: the API's zone, UTC+8 by default. */
const apiTime = (ms: number): string =>
  new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');

interface Request {
  name: string;
  run: () => Promise<number>;
}

/** The view's requests for a range ending at `to` (each round moves `to`, so no two are the same request). */
function viewRequests(port: number, rangeMs: number, to: number): Request[] {
  const from = to - rangeMs;
  const period = periodFor(rangeMs);
  const monitor = { version: '2018-07-24', service: 'monitor' };
  const out: Request[] = METRICS.map((metric) => ({
    name: `GetMonitorData ${metric}`,
    run: () =>
      call(
        port,
        'GetMonitorData',
        {
          Namespace: 'QCE/SCF_V2',
          MetricName: metric,
          Instances: [
            {
              Dimensions: [
                { Name: 'functionName', Value: FUNCTION },
                { Name: 'namespace', Value: 'default' },
              ],
            },
          ],
          Period: period,
          StartTime: monitorTime(from),
          EndTime: monitorTime(to),
        },
        monitor,
      ),
  }));
  out.push({
    name: 'GetFunctionLogs first page',
    run: () =>
      call(
        port,
        'GetFunctionLogs',
        {
          FunctionName: FUNCTION,
          Namespace: 'default',
          Offset: 0,
          Limit: 20,
          Order: 'desc',
          OrderBy: 'start_time',
          StartTime: apiTime(Math.max(from, to - DAY)),
          EndTime: apiTime(to),
        },
        { version: '2018-04-16', service: 'scf' },
      ),
  });
  return out;
}

async function client(records: number, rounds: number): Promise<void> {
  console.log(machineLine());
  const child = fork(new URL(import.meta.url).pathname, ['--serve', String(records)], { stdio: 'inherit' });
  const ready = await new Promise<{ port: number; fillSeconds: number; indexedSeconds: number }>(
    (resolve, reject) => {
      child.once('message', (m) =>
        resolve(m as { port: number; fillSeconds: number; indexedSeconds: number }),
      );
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    },
  );
  console.log(
    `${records} records of one function over 7 days: filled in ${ready.fillSeconds.toFixed(1)} s, ` +
      `indexed (full text and rollups) at ${ready.indexedSeconds.toFixed(1)} s`,
  );
  const { port } = ready;
  let shift = 0;
  const nextTo = () => Date.now() - 1000 * ++shift;
  // Warm-up: one view of each preset.
  for (const [, ms] of PRESETS) await Promise.all(viewRequests(port, ms, nextTo()).map((r) => r.run()));
  console.log(
    `preset | view (10 requests at once, 6 sockets) p50 / p99 / max | slowest request alone, p50 (which)`,
  );
  for (const [name, ms] of PRESETS) {
    const views: number[] = [];
    const alone = new Map<string, number[]>();
    for (let i = 0; i < rounds; i++) {
      const t0 = performance.now();
      await Promise.all(viewRequests(port, ms, nextTo()).map((r) => r.run()));
      views.push(performance.now() - t0);
      for (const r of viewRequests(port, ms, nextTo())) {
        const list = alone.get(r.name) ?? [];
        list.push(await r.run());
        alone.set(r.name, list);
      }
    }
    const slowest = [...alone.entries()]
      .map(([n, xs]) => [n, median(xs)] as const)
      .sort((a, b) => b[1] - a[1])[0]!;
    console.log(
      `${name.padEnd(4)} | ${median(views).toFixed(1)} / ${pct(views, 99).toFixed(1)} / ${Math.max(...views).toFixed(1)} ms | ` +
        `${slowest[1].toFixed(2)} ms (${slowest[0]}); period ${periodFor(ms)} s`,
    );
  }
  console.log(
    `load average at the end: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  agent.destroy();
}

const args = process.argv.slice(2);
if (args[0] === '--serve') {
  await serve(Number(args[1]));
} else {
  const records = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
  const rounds = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 20);
  await client(records, rounds);
}
