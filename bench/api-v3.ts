/**
 * API 3.0 benchmark, on a real platform listening on a real socket:
 * 1. keyword search through GetFunctionLogs (`SearchContext.Keyword`) at N stored invocations (default
 *    1,000,000, written straight through the store layer in big batches), for words that each match 0.1 %
 *    of the records: through the action (no HTTP) and through tencentcloud-sdk-nodejs over TC3;
 * 2. TC3 request overhead against v2: the same GetFunctionLogs query by the signed v4 SDK (TC3-HMAC-SHA256
 *    POST) and by qcloudapi-sdk (v2, HmacSHA1 GET), interleaved in one run; medians and their ratio.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/api-v3.js [records]
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { getFunctionLogs } from '../src/api/operations/index.js';
import type { ActionContext } from '../src/api/operations/types.js';
import { createPlatform } from '../src/platform.js';
import { SqliteLogStore } from '../src/store/sqlite/index.js';
import type { InvocationRecord, WriteOp } from '../src/store/types.js';
import { sdkCall, sdkClient } from '../test/helpers/v2client.js';

const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const BATCH = 20_000;
/** Word `tag<k>` is in record i when i % 1000 === k: each matches 0.1 % of the records. */
const TAGS = 1000;
const SEARCHES = 200;
const OVERHEAD_ROUNDS = 400;
const SECRET_ID = 'AKIDbench';
const SECRET_KEY = 'benchsecret';
const repo = fileURLToPath(new URL('../../', import.meta.url));

let seed = 7;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const WORDS = [
  'order',
  'payment',
  'user',
  'cache',
  'miss',
  'retry',
  'ok',
  'queue',
  'sent',
  'fetched',
  'parsed',
];
const pickWord = (): string => WORDS[Math.floor(rand() * WORDS.length)]!;
const T0 = Date.now() - 10 * 86_400_000;

function record(i: number, functionName: string): InvocationRecord {
  const requestId = randomUUID();
  const startTime = T0 + Math.floor((i * 10 * 86_400_000) / N);
  const failed = rand() < 0.05;
  const duration = Math.round(rand() * 2_000_000) / 1000;
  const ts = new Date(startTime).toISOString();
  const log =
    `START RequestId: ${requestId}\nEvent RequestId: ${requestId}\n` +
    `${ts}\t${requestId}\t${pickWord()} ${pickWord()} item${i % 50_000} tag${i % TAGS}\n` +
    `${ts}\t${requestId}\t${pickWord()} ${pickWord()} ${pickWord()} in ${Math.floor(duration)} ms\n` +
    `END RequestId: ${requestId}\n` +
    `Report RequestId: ${requestId} Duration:${Math.ceil(duration)}ms Memory:128MB MemUsage:12.5MB\n`;
  return {
    requestId,
    namespace: 'default',
    functionName,
    qualifier: '$LATEST',
    startTime,
    duration,
    billDuration: Math.ceil(duration / 100) * 100,
    memUsage: 12 * 1048576 + Math.floor(rand() * 1048576),
    retCode: failed ? 430 : 0,
    retMsg: failed ? '{"errorCode":-1,"errorMessage":"user code exception caught"}' : '"ok"',
    invokeFinished: 1,
    retryNum: 0,
    log,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};
const fmt = (ms: number): string => `${ms.toFixed(2)} ms`;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown CPU'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `${os.type()} ${os.release()} ${os.arch()}, Node ${process.version}`,
  );
  const dataDir = mkdtempSync(join(os.tmpdir(), 'scf-bench-v3-'));
  const platform = await createPlatform({
    config: { port: 0, dataDir, auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] } },
    env: {},
  });
  try {
    const { port } = await platform.listen();
    platform.functions.create({ functionName: 'bench', code: { directory: `${repo}examples/hello-async` } });

    // Fill: every record under one function, the worst case for a query filtered by FunctionName.
    const t0 = Date.now();
    for (let i = 0; i < N; i += BATCH) {
      const ops: WriteOp[] = [];
      for (let j = i; j < Math.min(N, i + BATCH); j++) ops.push({ op: 'finish', record: record(j, 'bench') });
      await platform.store.write(ops);
    }
    const fillS = (Date.now() - t0) / 1000;
    console.log(
      `filled ${N.toLocaleString('en')} records in ${fillS.toFixed(1)} s (${Math.round(N / fillS)} records/s)`,
    );
    // Full-text indexing runs behind ingest (a worker thread); search is measured once it has caught up.
    // While a backlog is pending, queued records are matched one by one (exact, but slower).
    const t1 = Date.now();
    if (platform.store instanceof SqliteLogStore) await platform.store.whenIndexed();
    console.log(`full-text index caught up ${((Date.now() - t1) / 1000).toFixed(1)} s after the fill`);

    const ctx: ActionContext = {
      config: platform.config,
      functions: platform.functions,
      invoker: platform.invoker,
      store: platform.store,
      async: platform.async,
    };
    const client = new scf.v20180416.Client({
      credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
      region: 'ap-guangzhou',
      profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://' } },
    });

    // Warm-up: first queries page the index in.
    for (let k = 0; k < 5; k++) {
      await client.GetFunctionLogs({
        FunctionName: 'bench',
        SearchContext: { Offset: '', Limit: 20, Keyword: `tag${k}` },
      });
    }
    const tags = Array.from({ length: SEARCHES }, () => `tag${Math.floor(rand() * TAGS)}`);
    const direct: number[] = [];
    const viaSdk: number[] = [];
    const noFn: number[] = [];
    let total = -1;
    for (const tag of tags) {
      direct.push(
        await timed(async () => {
          total = (await getFunctionLogs(ctx, { functionName: 'bench', keyword: tag })).total;
        }),
      );
      viaSdk.push(
        await timed(() =>
          client.GetFunctionLogs({
            FunctionName: 'bench',
            SearchContext: { Offset: '', Limit: 20, Keyword: tag },
          }),
        ),
      );
      noFn.push(
        await timed(() => client.GetFunctionLogs({ SearchContext: { Offset: '', Limit: 20, Keyword: tag } })),
      );
    }
    console.log(
      `keyword search, ${SEARCHES} words each matching ${total} records (${((100 * total) / N).toFixed(2)} %), page of 20 + TotalCount:`,
    );
    console.log(
      `  action (no HTTP), FunctionName=bench:   p50 ${fmt(median(direct))}  p95 ${fmt(pct(direct, 95))}`,
    );
    console.log(
      `  SDK 4 TC3 over HTTP, FunctionName=bench: p50 ${fmt(median(viaSdk))}  p95 ${fmt(pct(viaSdk, 95))}`,
    );
    console.log(
      `  SDK 4 TC3 over HTTP, all functions:      p50 ${fmt(median(noFn))}  p95 ${fmt(pct(noFn, 95))}`,
    );

    // TC3 vs v2: the same query, interleaved so both see the same machine state.
    const v2 = sdkClient(SECRET_ID, SECRET_KEY);
    let nonce = 1;
    const v3Times: number[] = [];
    const v2Times: number[] = [];
    const v3Call = () => client.GetFunctionLogs({ FunctionName: 'bench', Offset: 0, Limit: 20 });
    const v2Call = async () => {
      const body = await sdkCall(
        v2,
        { Action: 'GetFunctionLogs', Nonce: nonce++, functionName: 'bench', offset: 0, limit: 20 },
        { port },
      );
      if (body.code !== 0) throw new Error(`v2 call failed: ${body.message}`);
    };
    for (let k = 0; k < 20; k++) {
      await v3Call();
      await v2Call();
    }
    for (let k = 0; k < OVERHEAD_ROUNDS; k++) {
      if (k % 2 === 0) {
        v3Times.push(await timed(v3Call));
        v2Times.push(await timed(v2Call));
      } else {
        v2Times.push(await timed(v2Call));
        v3Times.push(await timed(v3Call));
      }
    }
    const m3 = median(v3Times);
    const m2 = median(v2Times);
    console.log(
      `request overhead, GetFunctionLogs FunctionName=bench Limit=20 (${OVERHEAD_ROUNDS} each, interleaved):`,
    );
    console.log(
      `  API 3.0, tencentcloud-sdk-nodejs 4, TC3-HMAC-SHA256 POST: p50 ${fmt(m3)}  p95 ${fmt(pct(v3Times, 95))}`,
    );
    console.log(
      `  v2, qcloudapi-sdk, HmacSHA1 GET:                         p50 ${fmt(m2)}  p95 ${fmt(pct(v2Times, 95))}`,
    );
    console.log(`  ratio TC3 / v2 (p50): ${(m3 / m2).toFixed(2)}`);
  } finally {
    await platform.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
