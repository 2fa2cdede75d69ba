/**
 * What the bubblewrap sandbox costs (issue 8, item 3): cold start, warm invocation and an idle instance, each
 * measured with `runtime.sandbox: "auto"` (sandboxed) and `"off"` (plain processes) in the same run, rounds
 * interleaved so that the machine's load weighs on both alike. Real processes through the production path
 * (`createRuntime`), a no-op handler (`async () => 'ok'`, 128 MB).
 *
 * - Cold start = `invoke` of a function never seen before (a new name each time, retired afterwards) until
 *   its result. With a stem cell (`stemCells: 1`, the default) each cold start comes after a quiet gap long
 *   enough for the reserve to refill (at least `--gap` ms, then until none of our processes used CPU for 100 ms:
 *   the replacement is a whole sandbox start, bwrap, slirp4netns and Node, and idles once ready);
 *   without (`stemCells: 0`) it includes the start of the sandbox and of Node. The network variant `none`
 *   (no slirp4netns) is timed for fresh starts only: a stem cell has its network before it is taken.
 * - Warm = round trip of `invoke` on a warm (frozen between calls) instance of a no-op function, in rounds
 *   of sandbox on / off alternating; the figure is the difference of the medians (and the median of the
 *   per-round differences).
 * - Idle = CPU used by every process of a frozen instance (the host's view: /proc of our descendants) over
 *   2 s, for a no-op function and for one that leaves a busy timer and a busy child process behind, and the
 *   resident memory of an idle instance with all its processes (bwrap, slirp4netns, Node).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/sandbox.js [--rounds 15] [--gap 300] [--warm 1500]
 */

import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createRuntime, type RuntimeOptions } from '../src/runtime/index.js';
import type { FunctionRunSpec, RunRequest, Runtime } from '../src/runtime/types.js';
import { descendants, ticks } from './procfs.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    gap: { type: 'string', default: '300' },
    warm: { type: 'string', default: '1500' },
    idle: { type: 'string', default: '2000' },
  },
});
/** Cold starts per variant. */
const ROUNDS = Number(values.rounds);
/** Least quiet before each cold start, ms (then until our processes are idle: the reserve has refilled). */
const GAP_MS = Number(values.gap);
/** Warm invocations per mode (in 10 rounds). */
const WARM_RUNS = Number(values.warm);
const WARM_ROUNDS = 10;
const IDLE_MS = Number(values.idle);
const WARMUP = 200;

const codeDir = mkdtempSync(join(tmpdir(), 'scf-bench-sandbox-'));
writeFileSync(join(codeDir, 'package.json'), '{"type":"commonjs"}');
writeFileSync(join(codeDir, 'index.js'), "exports.main_handler = async () => 'ok';\n");
// Leaves work running after it returns: a timer busy 5 ms of every 10, and a shell looping forever.
writeFileSync(
  join(codeDir, 'busy.js'),
  `const { spawn } = require('node:child_process');
exports.main_handler = async (event, context) => {
  context.callbackWaitsForEmptyEventLoop = false;
  if (!global.started) {
    global.started = true;
    setInterval(() => { const end = Date.now() + 5; while (Date.now() < end); }, 10);
    spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  }
  return 'ok';
};
`,
);

const fn = (functionName: string, handler = 'index.main_handler'): FunctionRunSpec => ({
  namespace: 'bench',
  functionName,
  revision: 1,
  handler,
  runtime: 'Nodejs18.15',
  codeDir,
  memorySize: 128,
  timeout: 10,
  environment: {},
});

const req = (spec: FunctionRunSpec): RunRequest => ({
  fn: spec,
  requestId: randomUUID(),
  qualifier: '$LATEST',
  event: '{"key":"value"}',
});

const base: RuntimeOptions = {
  maxInstancesPerFunction: 4,
  maxQueuedPerFunction: 1000,
  idleTimeoutMs: 60_000,
  maxLogBytes: 4 * 1024 * 1024,
  logFormat: 'scf',
  region: 'ap-guangzhou',
  stemCells: 1,
  stemCellMemorySize: 128,
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}
const median = (xs: number[]): number => percentile(xs, 50);
const ms = (x: number, digits = 2): string => `${x.toFixed(digits)} ms`;
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

function summary(xs: number[], digits = 1): string {
  return `p50 ${ms(median(xs), digits)}, p99 ${ms(percentile(xs, 99), digits)}, min ${ms(Math.min(...xs), digits)}, max ${ms(Math.max(...xs), digits)}`;
}

/**
 * Waits until the runtimes' processes are quiet: at least GAP_MS, then until no process of ours used CPU
 * and none appeared for 100 ms (a stem cell being built, bwrap, slirp4netns and Node, burns CPU until it
 * is ready and waits); at most 10 s. Returns the time waited.
 */
async function quiet(): Promise<number> {
  const t0 = performance.now();
  await sleep(GAP_MS);
  let before = ticks(descendants());
  while (performance.now() - t0 < 10_000) {
    await sleep(100);
    const now = ticks(descendants());
    let busy = now.size !== before.size;
    for (const [pid, t] of now) if (before.get(pid) !== t) busy = true;
    if (!busy) break;
    before = now;
  }
  return performance.now() - t0;
}

/** Cold starts that ended in a 439 "failed to start" result, by why (counted, not timed). */
const failures = new Map<string, number>();

/** One cold start, ms; undefined (and counted) when the instance failed to start. */
async function coldStart(rt: Runtime, name: string): Promise<number | undefined> {
  const spec = fn(name);
  const t0 = performance.now();
  const r = await rt.invoke(req(spec));
  const t = performance.now() - t0;
  await rt.retire('bench', spec.functionName);
  if (r.retCode === 439 && r.errMsg.includes('failed to start')) {
    const why = r.errMsg.replace(/^.*failed to start: /, '').replace(/ for [^:]+:/, ':');
    failures.set(why, (failures.get(why) ?? 0) + 1);
    return undefined;
  }
  if (!r.coldStart || r.retCode !== 0) throw new Error(`expected a successful cold start: ${r.retMsg}`);
  return t;
}

function reportFailures(): void {
  if (failures.size === 0) return;
  console.log('  cold starts that FAILED (439, not timed):');
  for (const [why, n] of failures) console.log(`    ${n} x ${why}`);
  failures.clear();
}

async function cold(): Promise<void> {
  const variants: { label: string; rt: Runtime; times: number[]; failed: number }[] = [
    {
      label: 'sandbox, stem cell  ',
      rt: createRuntime({ ...base, sandbox: 'required' }),
      times: [],
      failed: 0,
    },
    {
      label: 'off,     stem cell  ',
      rt: createRuntime({ ...base, sandbox: 'off' }),
      times: [],
      failed: 0,
    },
    {
      label: 'sandbox, fresh      ',
      rt: createRuntime({ ...base, sandbox: 'required', stemCells: 0 }),
      times: [],
      failed: 0,
    },
    {
      label: 'sandbox, fresh, none',
      rt: createRuntime({ ...base, sandbox: 'required', stemCells: 0, sandboxNetwork: 'none' }),
      times: [],
      failed: 0,
    },
    {
      label: 'off,     fresh      ',
      rt: createRuntime({ ...base, sandbox: 'off', stemCells: 0 }),
      times: [],
      failed: 0,
    },
  ];
  const waits: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate who goes first, so no variant always follows the same one.
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(round + k) % variants.length]!;
        waits.push(await quiet());
        const t = await coldStart(v.rt, `c${round}-${k}`);
        if (t === undefined) v.failed++;
        else v.times.push(t);
      }
    }
    console.log(
      `cold start (invoke -> result, new function each time), ${ROUNDS} per variant, each after its reserve refilled ` +
        `(waited p50 ${ms(median(waits), 0)}, max ${ms(Math.max(...waits), 0)}):`,
    );
    for (const v of variants) {
      console.log(
        `  ${v.label}: ${summary(v.times)}${v.failed ? `; ${v.failed} of ${ROUNDS} failed to start` : ''}`,
      );
    }
    const [sStem, oStem, sFresh, sNone, oFresh] = variants.map((v) => median(v.times));
    console.log(
      `  ratios of p50s: stem cell sandbox/off ${(sStem! / oStem!).toFixed(2)}; fresh sandbox/off ${(sFresh! / oFresh!).toFixed(2)}; ` +
        `sandbox stem/fresh ${(sStem! / sFresh!).toFixed(2)}; fresh slirp/none ${(sFresh! / sNone!).toFixed(2)}`,
    );
    // The other extreme: no quiet, so the replacement is still being built when the next cold start comes.
    const burst: Record<string, number[]> = { sandbox: [], off: [] };
    for (let i = 0; i < 8; i++) {
      const s = await coldStart(variants[0]!.rt, `b-s${i}`);
      if (s !== undefined) burst['sandbox']!.push(s);
      const o = await coldStart(variants[1]!.rt, `b-o${i}`);
      if (o !== undefined) burst['off']!.push(o);
    }
    console.log(
      `  stem cell, 8 back-to-back (no quiet): sandbox ${summary(burst['sandbox']!)}; off ${summary(burst['off']!)}`,
    );
    reportFailures();
  } finally {
    await Promise.all(variants.map((v) => v.rt.close()));
  }
}

async function warm(): Promise<void> {
  const modes = [
    {
      label: 'sandbox',
      rt: createRuntime({ ...base, sandbox: 'required' }),
      rtt: [] as number[],
      dur: [] as number[],
    },
    {
      label: 'off',
      rt: createRuntime({ ...base, sandbox: 'off' }),
      rtt: [] as number[],
      dur: [] as number[],
    },
  ];
  const spec = fn('warm');
  const perRound: number[] = [];
  try {
    // A failed start (see reportFailures) is simply followed by another cold start.
    for (const m of modes) for (let i = 0; i < WARMUP; i++) await m.rt.invoke(req(spec));
    reportFailures();
    const n = Math.ceil(WARM_RUNS / WARM_ROUNDS);
    for (let round = 0; round < WARM_ROUNDS; round++) {
      const roundMedians: number[] = [];
      for (const m of round % 2 ? [...modes].reverse() : modes) {
        const these: number[] = [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          const r = await m.rt.invoke(req(spec));
          const t = performance.now() - t0;
          if (r.retCode !== 0 || r.coldStart) throw new Error(`unexpected result ${r.retMsg}`);
          these.push(t);
          m.rtt.push(t);
          m.dur.push(r.duration);
        }
        roundMedians[modes.indexOf(m)] = median(these);
      }
      perRound.push(roundMedians[0]! - roundMedians[1]!);
    }
    console.log(
      `warm no-op invocation (invoke -> result, sequential), ${n * WARM_ROUNDS} per mode in ${WARM_ROUNDS} interleaved rounds:`,
    );
    for (const m of modes) {
      console.log(
        `  ${m.label.padEnd(7)}: round trip ${summary(m.rtt, 3)}; recorded duration p50 ${ms(median(m.dur), 3)}`,
      );
    }
    const [s, o] = modes;
    console.log(
      `  added by the sandbox: p50 ${ms(median(s!.rtt) - median(o!.rtt), 3)} (ratio ${(median(s!.rtt) / median(o!.rtt)).toFixed(2)}), ` +
        `p99 ${ms(percentile(s!.rtt, 99) - percentile(o!.rtt, 99), 3)}; median of the ${WARM_ROUNDS} per-round differences ${ms(median(perRound), 3)}`,
    );
  } finally {
    await Promise.all(modes.map((m) => m.rt.close()));
  }
}

function rssMb(pids: number[]): number {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // Gone.
    }
  }
  return kb / 1024;
}

/** CPU ms used by every process of the runtime's (only) instance over IDLE_MS, and its processes' RSS. */
async function idleOf(
  rt: Runtime,
  spec: FunctionRunSpec,
): Promise<{ cpuMs: number; rss: number; procs: number }> {
  for (let tries = 0; (await rt.invoke(req(spec))).retCode !== 0; tries++) {
    if (tries > 5) throw new Error('the instance never started');
  }
  await sleep(100);
  const pids = descendants();
  const before = ticks(pids);
  await sleep(IDLE_MS);
  const after = ticks(pids);
  let used = 0;
  for (const [pid, t] of after) used += t - (before.get(pid) ?? t);
  return { cpuMs: used * 10, rss: rssMb(pids), procs: pids.length };
}

async function idle(): Promise<void> {
  console.log(
    `idle instance (frozen between invocations), CPU over ${IDLE_MS} ms, every process of the instance:`,
  );
  for (const mode of ['required', 'off'] as const) {
    for (const [label, handler] of [
      ['no-op', 'index.main_handler'],
      ['busy timer + busy child left behind', 'busy.main_handler'],
    ] as const) {
      // No stem cell: the runtime's only processes are the instance's own.
      const rt = createRuntime({ ...base, sandbox: mode, stemCells: 0 });
      try {
        const r = await idleOf(rt, fn(`idle-${label.length}`, handler));
        console.log(
          `  ${mode === 'required' ? 'sandbox' : 'off    '}, ${label}: ${r.cpuMs} ms CPU; ${r.procs} processes, ${r.rss.toFixed(1)} MB resident`,
        );
      } finally {
        await rt.close();
      }
    }
  }
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'} x ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `node ${process.version}, ${process.platform}/${process.arch}, uid ${process.getuid?.()}`,
  );
  console.log(`load average at start: ${load()}`);
  const t0 = performance.now();
  try {
    await cold();
    console.log(`load average: ${load()}`);
    await warm();
    console.log(`load average: ${load()}`);
    await idle();
  } finally {
    rmSync(codeDir, { recursive: true, force: true });
  }
  console.log(`load average at end: ${load()}; ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

await main();
