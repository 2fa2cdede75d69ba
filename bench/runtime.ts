/**
 * Runtime benchmark: warm invocation overhead, warm throughput, cold start with and without stem cells (one
 * run, interleaved), the bare `node -e 0` baseline, with real processes.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/runtime.js`. Figures go into bench/README.md ("Runtime").
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRuntime } from '../src/runtime/index.js';
import type { FunctionRunSpec, RunRequest, Runtime } from '../src/runtime/types.js';

const WARMUP = 300;
const OVERHEAD_RUNS = 3000;
const THROUGHPUT_MS = 3000;
const CONCURRENCY = 4;
const COLD_RUNS = 30;
/**
 * Quiet time before each cold start: a stem cell's replacement needs one Node start-up (~100 ms, more when
 * the machine is busy) to be ready again, and a cold start normally follows some quiet. Both variants get it.
 */
const COLD_GAP_MS = 400;

const codeDir = mkdtempSync(join(tmpdir(), 'scf-local-bench-'));
writeFileSync(join(codeDir, 'package.json'), '{"type":"commonjs"}');
writeFileSync(join(codeDir, 'index.js'), "exports.main_handler = async () => 'ok';\n");

const fn = (functionName: string, revision = 1): FunctionRunSpec => ({
  namespace: 'bench',
  functionName,
  revision,
  handler: 'index.main_handler',
  runtime: 'Nodejs18.15',
  codeDir,
  memorySize: 128,
  timeout: 3,
  environment: {},
});

const req = (spec: FunctionRunSpec): RunRequest => ({
  fn: spec,
  requestId: randomUUID(),
  qualifier: '$LATEST',
  event: '{"key":"value"}',
});

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const fmt = (ms: number): string => `${ms.toFixed(3)} ms`;

async function warmOverhead(rt: Runtime): Promise<void> {
  const spec = fn('overhead');
  for (let i = 0; i < WARMUP; i++) await rt.invoke(req(spec));
  const overheads: number[] = [];
  const roundTrips: number[] = [];
  for (let i = 0; i < OVERHEAD_RUNS; i++) {
    const t0 = performance.now();
    const r = await rt.invoke(req(spec));
    const rt_ = performance.now() - t0;
    if (r.retCode !== 0) throw new Error(`unexpected result ${r.retMsg}`);
    roundTrips.push(rt_);
    overheads.push(rt_ - r.duration);
  }
  overheads.sort((a, b) => a - b);
  roundTrips.sort((a, b) => a - b);
  console.log(
    `warm overhead (round trip - handler duration), ${OVERHEAD_RUNS} sequential invocations: ` +
      `p50 ${fmt(percentile(overheads, 50))}, p99 ${fmt(percentile(overheads, 99))} ` +
      `(round trip p50 ${fmt(percentile(roundTrips, 50))}, p99 ${fmt(percentile(roundTrips, 99))})`,
  );
}

async function warmThroughput(rt: Runtime): Promise<void> {
  const spec = fn('throughput');
  // Warm CONCURRENCY instances first.
  await Promise.all(Array.from({ length: CONCURRENCY }, () => rt.invoke(req(spec))));
  for (let i = 0; i < WARMUP; i++) await rt.invoke(req(spec));
  let done = 0;
  const end = performance.now() + THROUGHPUT_MS;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const r = await rt.invoke(req(spec));
        if (r.retCode !== 0) throw new Error(`unexpected result ${r.retMsg}`);
        done++;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  console.log(
    `warm throughput, ${CONCURRENCY} concurrent callers, ${CONCURRENCY} instances: ` +
      `${Math.round(done / secs)} invocations/s (${done} in ${secs.toFixed(2)} s)`,
  );
}

const baseOptions = {
  maxInstancesPerFunction: CONCURRENCY,
  maxQueuedPerFunction: 1000,
  idleTimeoutMs: 60_000,
  maxLogBytes: 4 * 1024 * 1024,
  logFormat: 'scf' as const,
  region: 'ap-guangzhou',
  stemCellMemorySize: 128,
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One cold start (invoke -> first result, spawn or bind included) of a function never seen before, ms. */
async function oneColdStart(rt: Runtime, name: string): Promise<number> {
  const spec = fn(name);
  const t0 = performance.now();
  const r = await rt.invoke(req(spec));
  const ms = performance.now() - t0;
  if (!r.coldStart || r.retCode !== 0) throw new Error('expected a successful cold start');
  await rt.retire('bench', spec.functionName);
  return ms;
}

function summary(times: number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  return (
    `p50 ${fmt(percentile(sorted, 50))}, p99 ${fmt(percentile(sorted, 99))}, ` +
    `min ${fmt(sorted[0] ?? Number.NaN)}, max ${fmt(sorted.at(-1) ?? Number.NaN)}`
  );
}

/**
 * Cold starts with the default single stem cell and with none, alternated run by run so that the machine's
 * load weighs on both alike; then back-to-back cold starts (no gap), where the replacement may still be
 * starting when the next one comes.
 */
async function coldStart(): Promise<void> {
  const withStems = createRuntime({ ...baseOptions, stemCells: 1 });
  const without = createRuntime({ ...baseOptions, stemCells: 0 });
  try {
    const stem: number[] = [];
    const plain: number[] = [];
    for (let i = 0; i < COLD_RUNS; i++) {
      await sleep(COLD_GAP_MS);
      if (i % 2 === 0) {
        stem.push(await oneColdStart(withStems, `stem-${i}`));
        await sleep(COLD_GAP_MS);
        plain.push(await oneColdStart(without, `plain-${i}`));
      } else {
        plain.push(await oneColdStart(without, `plain-${i}`));
        await sleep(COLD_GAP_MS);
        stem.push(await oneColdStart(withStems, `stem-${i}`));
      }
    }
    const p50 = (t: number[]) =>
      percentile(
        [...t].sort((a, b) => a - b),
        50,
      );
    console.log(`cold start (invoke -> first result), ${COLD_RUNS} runs each, ${COLD_GAP_MS} ms apart:`);
    console.log(`  stem cells 1 (default): ${summary(stem)}`);
    console.log(`  stem cells 0:           ${summary(plain)}`);
    console.log(`  ratio of p50s (1 / 0): ${(p50(stem) / p50(plain)).toFixed(2)}`);
    await sleep(COLD_GAP_MS);
    const burst: number[] = [];
    for (let i = 0; i < 10; i++) burst.push(await oneColdStart(withStems, `burst-${i}`));
    console.log(`  stem cells 1, 10 back-to-back (no gap): ${summary(burst)}`);
  } finally {
    await Promise.all([withStems.close(), without.close()]);
  }
}

/** Context for the cold-start figure: how long this machine takes to start and stop a bare Node at all. */
async function bareNode(): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
    times.push(performance.now() - t0);
  }
  console.log(`baseline: spawn of a bare \`node -e 0\` until exit, 20 runs: ${summary(times)}`);
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'} x ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `node ${process.version}, ${process.platform}/${process.arch}`,
  );
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const rt = createRuntime({ ...baseOptions, stemCells: 1 });
  try {
    await warmOverhead(rt);
    await warmThroughput(rt);
  } finally {
    await rt.close();
  }
  try {
    await coldStart();
    await bareNode();
  } finally {
    rmSync(codeDir, { recursive: true, force: true });
  }
  console.log(
    `load average at end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

await main();
