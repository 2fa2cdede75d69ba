/**
 * Store benchmark: ingest rate through the RecordWriter into SQLite, then GetFunctionLogs-shaped query
 * latencies at N records (default 1,000,000) across 100 functions.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/store.js [records] [--keep]
 *
 * Records are SCF-like: ~300-byte logs (START/END/Report lines), 95 % success, 5 % errors spread over
 * 430/433/434/439; one word ("quasar") appears in 0.1 % of logs, another ("retrying") in 10 %.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import {
  type InvocationRecord,
  type LogQuery,
  type Order,
  type OrderBy,
  RecordWriter,
  type RetCodeFilter,
  SqliteLogStore,
} from '../src/store/index.js';

const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const KEEP = args.includes('--keep');
const FUNCTIONS = 100;
const BATCH = 1000;
const NEEDLE = 'quasar';
const COMMON = 'retrying';

// Deterministic pseudo-random numbers, so two runs ingest the same data.
let seed = 42;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

const WORDS = Array.from({ length: 2000 }, (_, i) => {
  const syl = ['ka', 'lo', 'mi', 'ren', 'dus', 'tor', 'vex', 'pa', 'qui', 'zel', 'no', 'bri'];
  let w = '';
  for (let n = i; w.length < 6; n = Math.floor(n / 12) + 7) w += syl[n % 12];
  return w;
});
const fn = (i: number) => `fn-${String(i).padStart(3, '0')}`;
const T0 = Date.UTC(2024, 0, 1);

function makeRecord(i: number): InvocationRecord {
  const requestId = randomUUID();
  const r = rand();
  const retCode = r < 0.95 ? 0 : r < 0.97 ? 430 : r < 0.985 ? 433 : r < 0.99 ? 434 : 439;
  const duration = Math.round(rand() * 3_000_000) / 1000;
  const startTime = T0 + i * 50 + Math.floor(rand() * 40);
  const words = Array.from({ length: 6 }, () => pick(WORDS));
  if (rand() < 0.001) words[2] = NEEDLE;
  if (rand() < 0.1) words[4] = COMMON;
  const ts = new Date(startTime).toISOString();
  const log =
    `START RequestId: ${requestId}\n` +
    `Event RequestId: ${requestId}\n` +
    `${ts} ${requestId} INFO handling order ${i} for ${words.join(' ')}\n` +
    (retCode === 0 ? '' : `${ts} ${requestId} ERROR something failed: ${pick(WORDS)}\n`) +
    `END RequestId: ${requestId}\n` +
    `Report RequestId: ${requestId} Duration:${duration}ms Memory:128MB MaxMemoryUsed:${(12 + rand() * 40).toFixed(3)}MB\n`;
  return {
    requestId,
    namespace: 'default',
    functionName: fn(Math.floor(rand() * FUNCTIONS)),
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

/** Feeds `count` records through a RecordWriter; `lifecycle` = begin + appendLog + finish per record. */
async function ingest(store: SqliteLogStore, from: number, count: number, lifecycle: boolean) {
  const writer = new RecordWriter(store, { batchMaxSize: BATCH });
  const t0 = performance.now();
  const CHUNK = 10 * BATCH;
  for (let done = 0; done < count; done += CHUNK) {
    const waits: Promise<void>[] = [];
    for (let i = done; i < Math.min(count, done + CHUNK); i++) {
      const rec = makeRecord(from + i);
      if (lifecycle) {
        const { duration: _d, billDuration: _b, memUsage: _m, retMsg: _r, ...begin } = rec;
        waits.push(writer.begin({ ...begin, retCode: 2, invokeFinished: 0, log: '' }));
        writer.appendLog(rec.requestId, rec.log);
      }
      waits.push(writer.finish(rec));
    }
    // Bounded backlog, as an invoker would have: wait for this chunk to commit.
    await Promise.all(waits);
  }
  await writer.close();
  return count / ((performance.now() - t0) / 1000);
}

async function time(f: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function main() {
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `${os.platform()} ${os.release()}, node ${process.version}`,
  );
  const dir = mkdtempSync(join(os.tmpdir(), 'scf-bench-store-'));
  try {
    // 1. Ingest rates.
    const small = Math.min(N, 100_000);
    const scratch = new SqliteLogStore({ path: join(dir, 'finish-only.db') });
    await scratch.open();
    const finishOnly = await ingest(scratch, 0, small, false);
    await scratch.close();
    console.log(`ingest, finish only (1 op/record), ${small} records: ${Math.round(finishOnly)} records/s`);

    const path = join(dir, 'scf-local.db');
    const store = new SqliteLogStore({ path });
    await store.open();
    const lifecycle = await ingest(store, 0, N, true);
    console.log(
      `ingest, begin+appendLog+finish per record, ${N} records: ${Math.round(lifecycle)} records/s ` +
        `(db ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB)`,
    );
    // Reopen, as a server would after ingest, so planner statistics are in place.
    await store.close();
    const db = new SqliteLogStore({ path });
    await db.open();

    const base = (over: Partial<LogQuery>): LogQuery => ({
      namespace: 'default',
      functionName: fn(Math.floor(Math.random() * FUNCTIONS)),
      orderBy: 'startTime',
      order: 'desc',
      offset: 0,
      limit: 20,
      ...over,
    });

    // 2. First page of GetFunctionLogs, with its total.
    for (let i = 0; i < 20; i++) await db.query(base({})); // warm the cache
    const first: number[] = [];
    for (let i = 0; i < 300; i++) first.push(await time(() => db.query(base({}))));
    console.log(
      `first page (function, startTime desc, limit 20, total): p50 ${ms(pct(first, 50))}, p99 ${ms(pct(first, 99))}`,
    );

    // 3. Every orderBy x order x retCode filter.
    const orderBys: OrderBy[] = ['startTime', 'functionName', 'requestId', 'duration', 'memUsage'];
    const orders: Order[] = ['asc', 'desc'];
    const filters: (RetCodeFilter | undefined)[] = [
      undefined,
      'is0',
      'not0',
      'TimeLimitExceeded',
      'ResourceLimitExceeded',
      'UserCodeException',
    ];
    const all: number[] = [];
    let worst = { p99: 0, name: '' };
    for (const orderBy of orderBys)
      for (const order of orders)
        for (const retCode of filters) {
          const xs: number[] = [];
          for (let i = 0; i < 30; i++) xs.push(await time(() => db.query(base({ orderBy, order, retCode }))));
          all.push(...xs);
          const p99 = pct(xs, 99);
          if (p99 > worst.p99) worst = { p99, name: `${orderBy} ${order} ${retCode ?? 'all'}` };
        }
    console.log(
      `all ${orderBys.length * orders.length * filters.length} orderBy x order x retCode combos: p50 ${ms(pct(all, 50))}, ` +
        `p99 ${ms(pct(all, 99))}, worst combo p99 ${ms(worst.p99)} (${worst.name})`,
    );

    // 4. Time range (last ~10 % of the timeline), and a deep page.
    const tEnd = T0 + N * 50;
    const ranged: number[] = [];
    for (const orderBy of orderBys)
      for (const retCode of filters) {
        const from = tEnd - N * 5;
        for (let i = 0; i < 10; i++)
          ranged.push(
            await time(() => db.query(base({ orderBy, retCode, startTimeFrom: from, startTimeTo: tEnd }))),
          );
      }
    console.log(
      `time range (last 10 %), every orderBy x retCode: p50 ${ms(pct(ranged, 50))}, p99 ${ms(pct(ranged, 99))}`,
    );
    const deep: number[] = [];
    for (let i = 0; i < 30; i++) deep.push(await time(() => db.query(base({ offset: 9980 }))));
    console.log(`deep page (offset 9980, limit 20): p50 ${ms(pct(deep, 50))}, p99 ${ms(pct(deep, 99))}`);

    // 5. Keyword search.
    const kw = async (keyword: string, scoped: boolean, runs = 30) => {
      const xs: number[] = [];
      let total = 0;
      for (let i = 0; i < runs; i++) {
        const q = base({ keyword });
        if (!scoped) delete q.functionName;
        xs.push(await time(async () => (total = (await db.query(q)).total)));
      }
      return `p50 ${ms(pct(xs, 50))}, p99 ${ms(pct(xs, 99))} (total ${total})`;
    };
    console.log(`keyword "${NEEDLE}" (0.1 %), whole namespace: ${await kw(NEEDLE, false)}`);
    console.log(`keyword "${NEEDLE}" (0.1 %), one function: ${await kw(NEEDLE, true)}`);
    console.log(`keyword "quas*" (prefix), whole namespace: ${await kw('quas*', false)}`);
    console.log(`keyword "${COMMON}" (10 %), one function: ${await kw(COMMON, true, 10)}`);
    console.log(`keyword "${COMMON}" (10 %), whole namespace: ${await kw(COMMON, false, 5)}`);
    await db.close();
  } finally {
    if (KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
