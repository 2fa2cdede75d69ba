/**
 * What the store benchmarks share (`store.ts` on SQLite, `postgres.ts` on PostgreSQL): the same generated
 * records, the same fill (the ingest measurement) and the same GetFunctionLogs-shaped queries, so their
 * figures compare side by side.
 *
 * Records: UUIDv7 request ids (as the Invoker makes them) and SCF-format logs of ~300 bytes: START, user
 * lines (one, two on errors) prefixed `<ISO time>\t<requestId>\t`, an ERROR line for platform errors, END,
 * Report; 100 functions; 95 % success, 5 % errors over 430/433/434/439; one word ("quasar") in 0.1 % of
 * logs, another ("retrying") in 10 %; record i starts ~50 ms after record i-1 (`spacingMs`).
 */
import os from 'node:os';
import { uuidv7 } from '../src/invocations/request-id.js';
import type {
  InvocationRecord,
  LogQuery,
  LogStore,
  Order,
  OrderBy,
  RetCodeFilter,
  WriteOp,
} from '../src/store/index.js';

export const FUNCTIONS = 100;
export const BATCH = 1000;
export const NEEDLE = 'quasar';
export const COMMON = 'retrying';
/** Milliseconds between consecutive records' start times (20 invocations/s). */
export let spacingMs = 50;
/** Sets the spacing (a day of 1M records: 86.4 ms). */
export const setSpacing = (msBetween: number): void => {
  spacingMs = msBetween;
};

/** The machine and its load, the first line of every store benchmark. */
export function machineLine(): string {
  const cpus = os.cpus();
  return (
    `machine: ${cpus[0]?.model ?? 'unknown'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `${os.platform()} ${os.release()}, node ${process.version}; load average ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`
  );
}

// Deterministic pseudo-random numbers, so two runs ingest the same data (request ids aside).
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
export const fn = (i: number) => `fn-${String(i).padStart(3, '0')}`;
export const T0 = Date.UTC(2024, 0, 1);

/** Record i starts ~`spacingMs` after record i-1 (default: a steady 20 invocations/s, ~14 hours at 1M). */
export function makeRecord(i: number): InvocationRecord {
  const r = rand();
  const retCode = r < 0.95 ? 0 : r < 0.97 ? 430 : r < 0.985 ? 433 : r < 0.99 ? 434 : 439;
  const startTime = T0 + Math.floor(i * spacingMs + rand() * 0.8 * spacingMs);
  const requestId = uuidv7(startTime);
  const duration = Math.round(rand() * 3_000_000) / 1000;
  const memUsage = Math.floor(8_000_000 + rand() * 40_000_000);
  const words = Array.from({ length: 6 }, () => pick(WORDS));
  if (rand() < 0.001) words[2] = NEEDLE;
  if (rand() < 0.1) words[4] = COMMON;
  const line = (dt: number, text: string) =>
    `${new Date(startTime + dt).toISOString()}\t${requestId}\t${text}\n`;
  const log =
    `START RequestId: ${requestId}\n` +
    line(2, `handling order ${i} for ${words.join(' ')}`) +
    (retCode === 430 ? line(3, `Error: something failed: ${pick(WORDS)}`) : '') +
    (retCode === 433
      ? `ERROR RequestId: ${requestId} Result: Invoking task timed out after 3 seconds\n`
      : '') +
    `END RequestId: ${requestId}\n` +
    `Report RequestId: ${requestId} Duration:${Math.round(duration)}ms Memory:128MB ` +
    `MemUsage:${(memUsage / 1048576).toFixed(6)}MB\n`;
  return {
    requestId,
    namespace: 'default',
    functionName: fn(Math.floor(rand() * FUNCTIONS)),
    qualifier: '$LATEST',
    startTime,
    duration,
    billDuration: Math.ceil(duration),
    memUsage,
    retCode,
    retMsg: retCode === 0 ? '"ok"' : '{"errorCode":-1,"errorMessage":"boom"}',
    invokeFinished: 1,
    retryNum: 0,
    log,
  };
}

/**
 * Fills the store with `count` finish-only records through `LogStore.write`, BATCH per call. Returns the
 * rate over the time spent in `write` (the store's cost) and over wall time (record generation included),
 * and the `write` rate of each tenth of the fill (does ingest slow down as the store grows?).
 */
export async function fill(store: LogStore, count: number) {
  let inWrite = 0;
  const t0 = performance.now();
  const tenths: number[] = [];
  let tenthWrite = 0;
  let tenthDone = 0;
  for (let done = 0; done < count; ) {
    const batch: WriteOp[] = [];
    for (const end = Math.min(count, done + BATCH); done < end; done++)
      batch.push({ op: 'finish', record: makeRecord(done) });
    const t = performance.now();
    await store.write(batch);
    const dt = performance.now() - t;
    inWrite += dt;
    tenthWrite += dt;
    tenthDone += batch.length;
    if (tenthDone >= count / 10 || done === count) {
      tenths.push(tenthDone / (tenthWrite / 1000));
      tenthWrite = 0;
      tenthDone = 0;
    }
  }
  return { write: count / (inWrite / 1000), wall: count / ((performance.now() - t0) / 1000), tenths };
}

export async function time(f: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await f();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
export const ms = (x: number) => `${x.toFixed(2)} ms`;

/** GetFunctionLogs' first page of a random function, newest first, 20 records; `over` changes it. */
export const pageQuery = (over: Partial<LogQuery> = {}): LogQuery => ({
  namespace: 'default',
  functionName: fn(Math.floor(Math.random() * FUNCTIONS)),
  orderBy: 'startTime',
  order: 'desc',
  offset: 0,
  limit: 20,
  ...over,
});

/**
 * GetFunctionLogs-shaped query latencies on a filled store of `n` records (printed): the first page with
 * its total, every orderBy x order x retCode combination with and without a function, a time range, a
 * deep page, and keyword searches.
 */
export async function queryFigures(db: LogStore, N: number, opts: { quick?: boolean } = {}): Promise<void> {
  const base = pageQuery;

  // 2. First page of GetFunctionLogs, with its total.
  for (let i = 0; i < 20; i++) await db.query(base({})); // warm the cache
  const first: number[] = [];
  for (let i = 0; i < 300; i++) first.push(await time(() => db.query(base({}))));
  console.log(
    `first page (function, startTime desc, limit 20, total): p50 ${ms(pct(first, 50))}, p99 ${ms(pct(first, 99))}`,
  );

  // 3. Every orderBy x order x retCode filter, with a function, then without one.
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
  const combos = async (scoped: boolean, runs: number) => {
    const all: number[] = [];
    const perCombo: { p50: number; p99: number; name: string }[] = [];
    for (const orderBy of orderBys)
      for (const order of orders)
        for (const retCode of filters) {
          const xs: number[] = [];
          for (let i = 0; i < runs; i++) {
            const q = base({ orderBy, order, retCode });
            if (!scoped) delete q.functionName;
            xs.push(await time(() => db.query(q)));
          }
          all.push(...xs);
          perCombo.push({
            p50: pct(xs, 50),
            p99: pct(xs, 99),
            name: `${orderBy} ${order} ${retCode ?? 'all'}`,
          });
        }
    perCombo.sort((a, b) => b.p99 - a.p99);
    const worst = perCombo
      .slice(0, 3)
      .map((c) => `${c.name}: p50 ${ms(c.p50)}, p99 ${ms(c.p99)}`)
      .join('; ');
    return `p50 ${ms(pct(all, 50))}, p99 ${ms(pct(all, 99))}; worst combos: ${worst}`;
  };
  const n = orderBys.length * orders.length * filters.length;
  if (!opts.quick) {
    console.log(`all ${n} orderBy x order x retCode combos, one function: ${await combos(true, 30)}`);
    console.log(`all ${n} orderBy x order x retCode combos, no function: ${await combos(false, 5)}`);
  }

  // 4. Time range (last ~10 % of the timeline), and a deep page.
  const tEnd = T0 + N * spacingMs;
  const ranged: number[] = [];
  for (const orderBy of orderBys)
    for (const retCode of filters) {
      const from = tEnd - N * spacingMs * 0.1;
      for (let i = 0; i < 10; i++)
        ranged.push(
          await time(() => db.query(base({ orderBy, retCode, startTimeFrom: from, startTimeTo: tEnd }))),
        );
    }
  console.log(
    `time range (last 10 %), one function, every orderBy x retCode: p50 ${ms(pct(ranged, 50))}, p99 ${ms(pct(ranged, 99))}`,
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
}
