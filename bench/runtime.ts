/**
 * Runtime benchmark: warm invocation overhead, warm throughput, cold start, with real processes.
 * Run: `npx tsc -p tsconfig.json && node dist/bench/runtime.js`. Figures go into bench/README.md ("Runtime").
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createNodeRuntime } from '../src/runtime/index.js';
import type { FunctionRunSpec, RunRequest, Runtime } from '../src/runtime/types.js';

const WARMUP = 300;
const OVERHEAD_RUNS = 3000;
const THROUGHPUT_MS = 3000;
const CONCURRENCY = 4;
const COLD_RUNS = 20;

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

async function coldStart(rt: Runtime): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const spec = fn(`cold-${i}`);
    const t0 = performance.now();
    const r = await rt.invoke(req(spec));
    times.push(performance.now() - t0);
    if (!r.coldStart || r.retCode !== 0) throw new Error('expected a successful cold start');
    await rt.retire('bench', spec.functionName);
  }
  times.sort((a, b) => a - b);
  console.log(
    `cold start (invoke -> first result, incl. spawn), ${COLD_RUNS} runs: ` +
      `p50 ${fmt(percentile(times, 50))}, min ${fmt(times[0] ?? Number.NaN)}, max ${fmt(times.at(-1) ?? Number.NaN)}`,
  );
}

/** Context for the cold-start figure: how long this machine takes to start and stop a bare Node at all. */
async function bareNode(): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
      child.on('error', reject);
      child.on('exit', () => resolve());
    });
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(
    `baseline: spawn of a bare \`node -e 0\` until exit, 10 runs: p50 ${fmt(percentile(times, 50))}`,
  );
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'} x ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `node ${process.version}, ${process.platform}/${process.arch}`,
  );
  const rt = createNodeRuntime({
    maxInstancesPerFunction: CONCURRENCY,
    maxQueuedPerFunction: 1000,
    idleTimeoutMs: 60_000,
    maxLogBytes: 4 * 1024 * 1024,
    logFormat: 'scf',
    region: 'ap-guangzhou',
  });
  try {
    await warmOverhead(rt);
    await warmThroughput(rt);
    await coldStart(rt);
    await bareNode();
  } finally {
    await rt.close();
    rmSync(codeDir, { recursive: true, force: true });
  }
}

await main();
