/**
 * Retention benchmark: the SQLite store pruning one UTC day of N records (default 1,000,000) while a
 * reader asks for GetFunctionLogs' first page (`startTime desc, offset 0, limit 20`, with its total) at a
 * steady rate, against the same reader on the same store without a prune.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/prune.js [records] [--mode worker|inline|both]
 *     [--rate 100] [--baseline-s 5] [--keep]
 *
 * Data: N records on day 0 (all pruned) and N/10 on day 1 (kept: the reader's pages come from it), over
 * 100 functions, ~300-byte SCF-format logs (START, a user line, END, Report; 5 % errors), filled through
 * `LogStore.write` in batches of 1000 and fully indexed before anything is measured. Each mode works on
 * its own copy of the filled file.
 *
 * Modes: `worker`, the default for files, prunes in the full-text indexer's thread; `inline` prunes on
 * the store's connection, one transaction per `setImmediate` (what `:memory:` stores do), which is the
 * alternative the worker was chosen over.
 *
 * The reader is open-loop: query k is due at start + k / rate, and its latency counts from when it was
 * due, so time spent waiting for a blocked event loop counts (a closed loop would hide it). Also printed:
 * the event loop's longest delay (perf_hooks), the process's CPU time per deleted record (all threads),
 * and the WAL and database sizes after the prune.
 */
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type InvocationRecord, type LogQuery, SqliteLogStore, type WriteOp } from '../src/store/index.js';

/** `--name value` flags, and the positional arguments left. */
const VALUED = new Set(['--mode', '--rate', '--baseline-s']);
const flags = new Map<string, string>();
const positional: string[] = [];
for (const argv = process.argv.slice(2); argv.length > 0; ) {
  const a = argv.shift()!;
  if (VALUED.has(a)) flags.set(a.slice(2), argv.shift() ?? '');
  else if (a.startsWith('--')) flags.set(a.slice(2), 'true');
  else positional.push(a);
}
const N = Number(positional[0] ?? 1_000_000);
const KEPT = Math.max(1000, Math.floor(N / 10));
const MODE = flags.get('mode') ?? 'both';
if (!['worker', 'inline', 'both'].includes(MODE)) throw new Error(`--mode worker|inline|both, not ${MODE}`);
const MODES = MODE === 'both' ? (['worker', 'inline'] as const) : [MODE as 'worker' | 'inline'];
const RATE = Number(flags.get('rate') ?? 100);
const BASELINE_S = Number(flags.get('baseline-s') ?? 5);
const KEEP = flags.has('keep');
const DAY = 86_400_000;
const DAY0 = Date.UTC(2024, 0, 1);
const FUNCTIONS = 100;

// Deterministic pseudo-random numbers, so two runs write the same data.
let seed = 42;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const WORDS = ['kalomi', 'renvex', 'dustor', 'paqui', 'zelno', 'brika', 'torlo', 'mipa', 'quiren', 'vexdus'];
const word = () => WORDS[Math.floor(rand() * WORDS.length)]!;

function makeRecord(i: number, startTime: number): InvocationRecord {
  const r = rand();
  const retCode = r < 0.95 ? 0 : r < 0.97 ? 430 : r < 0.985 ? 433 : r < 0.99 ? 434 : 439;
  const requestId = `${startTime.toString(16)}-${i.toString(16).padStart(8, '0')}-bench`;
  const duration = Math.round(rand() * 3_000_000) / 1000;
  const line = `${new Date(startTime + 2).toISOString()}\t${requestId}\t`;
  const log =
    `START RequestId: ${requestId}\n` +
    `${line}handling order ${i} for ${word()} ${word()} ${word()} ${word()} ${word()} ${word()}\n` +
    (retCode === 430 ? `${line}Error: something failed: ${word()}\n` : '') +
    `END RequestId: ${requestId}\n` +
    `Report RequestId: ${requestId} Duration:${Math.round(duration)}ms Memory:128MB MemUsage:12.5MB\n`;
  return {
    requestId,
    namespace: 'default',
    functionName: `fn-${String(Math.floor(rand() * FUNCTIONS)).padStart(3, '0')}`,
    qualifier: '$LATEST',
    startTime,
    duration,
    billDuration: Math.ceil(duration),
    memUsage: Math.floor(8_000_000 + rand() * 40_000_000),
    retCode,
    retMsg: retCode === 0 ? '"ok"' : '{"errorCode":-1,"errorMessage":"boom"}',
    invokeFinished: 1,
    retryNum: 0,
    log,
  };
}

/** N records spread over day 0, then KEPT over day 1, in batches of 1000. */
async function fill(store: SqliteLogStore): Promise<void> {
  const total = N + KEPT;
  for (let i = 0; i < total; ) {
    const batch: WriteOp[] = [];
    for (const end = Math.min(total, i + 1000); i < end; i++) {
      const startTime =
        i < N ? DAY0 + Math.floor((i * DAY) / N) : DAY0 + DAY + Math.floor(((i - N) * DAY) / KEPT);
      batch.push({ op: 'finish', record: makeRecord(i, startTime) });
    }
    await store.write(batch);
  }
}

const FIRST_PAGE: LogQuery = { orderBy: 'startTime', order: 'desc', offset: 0, limit: 20 };

/** Runs the open-loop reader until `stop` settles: latencies (ms) from each query's due time to its answer. */
async function reader(store: SqliteLogStore, stop: Promise<unknown>): Promise<number[]> {
  const latencies: number[] = [];
  let stopped = false;
  void stop.finally(() => {
    stopped = true;
  });
  const period = 1000 / RATE;
  const t0 = performance.now();
  for (let k = 0; !stopped; k++) {
    const due = t0 + k * period;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (stopped) break;
    await store.query(FIRST_PAGE);
    latencies.push(performance.now() - due);
  }
  return latencies;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}
const ms = (x: number) => `${x.toFixed(2)} ms`;
const mib = (p: string) => (statSync(p, { throwIfNoEntry: false })?.size ?? 0) / 2 ** 20;
const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

async function measure(mode: 'worker' | 'inline', path: string): Promise<void> {
  const store = new SqliteLogStore({ path, ftsIndexing: mode });
  await store.open();
  try {
    for (let i = 0; i < 200; i++) await store.query(FIRST_PAGE); // warm the cache
    const baseline = await reader(store, new Promise((resolve) => setTimeout(resolve, BASELINE_S * 1000)));
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const pruning = store.prune(DAY0 + DAY);
    const [during, deleted] = await Promise.all([reader(store, pruning), pruning]);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    const total = (await store.query({ ...FIRST_PAGE, limit: 0 })).total;
    console.log(
      `[${mode}] pruned ${deleted} records (${N} expected; ${total} left, ${KEPT} expected) in ` +
        `${elapsed.toFixed(1)} s: ${Math.round(deleted / elapsed)} records/s; process CPU ` +
        `${((cpu.user + cpu.system) / deleted).toFixed(1)} us per record (all threads)`,
    );
    console.log(
      `[${mode}] reader, first page at ${RATE}/s: without prune p50 ${ms(pct(baseline, 50))}, ` +
        `p99 ${ms(pct(baseline, 99))}, max ${ms(pct(baseline, 100))} (${baseline.length} queries); ` +
        `during prune p50 ${ms(pct(during, 50))}, p99 ${ms(pct(during, 99))}, max ${ms(pct(during, 100))} ` +
        `(${during.length} queries)`,
    );
    console.log(
      `[${mode}] event loop delay during prune: max ${ms(loop.max / 1e6)}, p99 ${ms(loop.percentile(99) / 1e6)}; ` +
        `after it: db ${mib(path).toFixed(0)} MiB, WAL ${mib(`${path}-wal`).toFixed(0)} MiB; load average ${loadavg()}`,
    );
  } finally {
    await store.close();
  }
  console.log(
    `[${mode}] after close: db ${mib(path).toFixed(0)} MiB, WAL ${mib(`${path}-wal`).toFixed(0)} MiB`,
  );
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus[0]?.model ?? 'unknown'} x${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
      `${os.platform()} ${os.release()}, node ${process.version}; load average ${loadavg()}`,
  );
  const dir = mkdtempSync(join(os.tmpdir(), 'scf-bench-prune-'));
  try {
    const seedPath = join(dir, 'seed.db');
    const t0 = performance.now();
    const seeding = new SqliteLogStore({ path: seedPath });
    await seeding.open();
    await fill(seeding);
    await seeding.whenIndexed();
    await seeding.close();
    console.log(
      `filled ${N} records on day 0 and ${KEPT} on day 1, indexed, in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
        `db ${mib(seedPath).toFixed(0)} MiB`,
    );
    for (const mode of MODES) {
      const path = join(dir, `${mode}.db`);
      copyFileSync(seedPath, path);
      await measure(mode, path);
    }
  } finally {
    if (KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
