/**
 * Log throughput (issue 10): a function that prints 60,000 lines, `for (let i = 0; i < 60000; i++)
 * console.log('line', i)`, run through the whole platform as a user runs it, against the same loop in a bare
 * `node -e` child process whose stdout is a pipe this process reads.
 *
 * - Platform: `createPlatform` (the real wiring: runtime, Invoker, RecordWriter, SQLite store, live event
 *   hub) in this process, the function created from a folder, invoked with API 3.0 `Invoke`
 *   (RequestResponse) over HTTP through `tencentcloud-sdk-nodejs`, as `scf-local invoke` or any SDK does; the
 *   call returns once the final record, with its whole log, is durable. Warm instance (the cold start is not
 *   counted). Two platforms: the default (`runtime.sandbox: "auto"`, bubblewrap) and `sandbox: "off"`, to
 *   separate the sandbox's cost. The log cap is the default `runtime.maxLogBytes` unless `--max-log-mb` is
 *   given (60,000 SCF-prefixed lines are ~4.4 MB, a little over the default 4 MiB: the default record is
 *   capped near line 57,000, as a user's would be).
 * - Bare: `node -e "<the same loop>"`, stdout a pipe read by this process, from spawn to the pipe's close
 *   (Node's own start-up included, as a user timing `node -e` would see it); and the loop alone, timed inside
 *   that child. `node -e 0` is timed too (start-up only).
 *
 * Rounds interleave the three (order rotating), so the machine's load weighs on all alike; medians are
 * reported. Steps run back to back by default, so what the platform still does after answering (the
 * full-text indexer's worker thread indexing the 4 MB log it just stored) competes with the next step, as
 * it would with the next invocation; `--gap <ms>` waits that long before each step to take it out. For each
 * platform call, where the CPU went: this process (server, its indexer thread and the SDK client:
 * `process.cpuUsage`) and the instance's processes (node, and bwrap/slirp4netns in a sandbox: utime+stime of
 * our descendants from /proc, 10 ms ticks).
 *
 *   npm run build && node dist/bench/log-throughput.js [--rounds 9] [--gap 0] [--lines 60000] [--max-log-mb N]
 */

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { createPlatform, type Platform } from '../src/platform.js';
import { descendants, ticks } from './procfs.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    gap: { type: 'string', default: '0' },
    lines: { type: 'string', default: '60000' },
    'max-log-mb': { type: 'string' },
  },
});
const ROUNDS = Number(values.rounds);
/** Quiet before each measured step, ms. */
const GAP_MS = Number(values.gap);
const LINES = Number(values.lines);
const MAX_LOG_BYTES =
  values['max-log-mb'] === undefined ? undefined : Math.round(Number(values['max-log-mb']) * 1024 * 1024);

const LOOP = `for (let i = 0; i < ${LINES}; i++) console.log('line', i)`;
const cred = { secretId: 'AKIDbench', secretKey: 'bench' };
const dir = mkdtempSync(join(tmpdir(), 'scf-local-bench-logs-'));
const fnDir = join(dir, 'fn');
mkdirSync(fnDir);
writeFileSync(
  join(fnDir, 'index.js'),
  `exports.main_handler = async () => {\n  ${LOOP};\n  return 'ok';\n};\n`,
);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ms = (x: number): string => `${x.toFixed(0)} ms`;
const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

interface Variant {
  label: string;
  platform: Platform;
  client: InstanceType<typeof scf.v20180416.Client>;
  wall: number[];
  duration: number[];
  serverCpu: number[];
  instanceCpu: number[];
  liveEvents: number[];
  /** Lines in the record, and whether it was capped (checked every call). */
  lines: number;
  capped: boolean;
}

async function platformVariant(label: string, sandbox: 'auto' | 'off'): Promise<Variant> {
  const platform = await createPlatform({
    config: {
      port: 0,
      dataDir: join(dir, `data-${label}`),
      auth: { credentials: [cred] },
      log: { level: 'warn' },
      runtime: {
        sandbox,
        ...(MAX_LOG_BYTES === undefined ? {} : { maxLogBytes: MAX_LOG_BYTES }),
      },
    },
    env: {},
  });
  platform.functions.create({ functionName: 'lines', timeout: 60, code: { directory: fnDir } });
  const { port } = await platform.listen();
  const client = new scf.v20180416.Client({
    credential: cred,
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 120 } },
  });
  return {
    label,
    platform,
    client,
    wall: [],
    duration: [],
    serverCpu: [],
    instanceCpu: [],
    liveEvents: [],
    lines: 0,
    capped: false,
  };
}

let calls = 0;

/** One Invoke over HTTP; checks the record. */
async function invokeOnce(v: Variant, measured: boolean): Promise<void> {
  let events = 0;
  const sub = v.platform.events.subscribe(
    (e) => {
      if (e.type === 'log') events++;
    },
    { filter: { functionName: 'lines' } },
  );
  const before = ticks(descendants());
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // A distinct event per call: TC3 refuses a second identical request signed in the same second (replay).
  const res = await v.client.Invoke({
    FunctionName: 'lines',
    InvocationType: 'RequestResponse',
    ClientContext: JSON.stringify({ call: ++calls }),
  });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const after = ticks(descendants());
  sub.unsubscribe();
  const r = res.Result;
  const requestId = r?.FunctionRequestId;
  if (r?.InvokeResult !== 0 || !requestId) throw new Error(`${v.label}: ${JSON.stringify(res)}`);
  const rec = await v.platform.store.get(requestId);
  if (!rec) throw new Error(`${v.label}: no record for ${requestId}`);
  const userLines = rec.log.split('\n').filter((l) => /\tline \d+$/.test(l));
  for (let i = 0; i < userLines.length; i++) {
    if (!userLines[i]!.endsWith(`\tline ${i}`)) throw new Error(`${v.label}: line ${i} out of order`);
  }
  v.lines = userLines.length;
  v.capped = rec.log.includes('[scf-local] log truncated');
  if (!v.capped && v.lines !== LINES) throw new Error(`${v.label}: ${v.lines} lines, not capped`);
  if (!measured) return;
  let used = 0;
  for (const [pid, t] of after) used += t - (before.get(pid) ?? 0);
  v.wall.push(wall);
  v.duration.push(r.Duration ?? Number.NaN);
  v.serverCpu.push((cpu.user + cpu.system) / 1000);
  v.instanceCpu.push(used * 10);
  v.liveEvents.push(events);
}

interface Bare {
  total: number[];
  loop: number[];
  startup: number[];
  bytes: number;
}

/** `node -e <script>`: spawn to the close of its stdout pipe (read here), and what it printed on stderr. */
function runNode(script: string): Promise<{ ms: number; bytes: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      bytes += b.length;
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`node -e exited with ${code}: ${stderr}`));
      else resolve({ ms: performance.now() - t0, bytes, stderr });
    });
  });
}

async function bareOnce(b: Bare, measured: boolean): Promise<void> {
  const timed = `const t0 = performance.now(); ${LOOP}; process.stderr.write(String(performance.now() - t0))`;
  const r = await runNode(timed);
  const s = await runNode('0');
  b.bytes = r.bytes;
  if (!measured) return;
  b.total.push(r.ms);
  b.loop.push(Number(r.stderr));
  b.startup.push(s.ms);
}

async function main(): Promise<void> {
  const cpu = cpus();
  console.log(
    `machine: ${cpu[0]?.model ?? 'unknown cpu'} x ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
      `node ${process.version}, ${process.platform}/${process.arch}`,
  );
  console.log(`load average at start: ${load()}`);
  const variants = [await platformVariant('sandbox', 'auto'), await platformVariant('off', 'off')];
  const sandboxed = variants[0]!.platform.runtime.sandboxStatus();
  if (!sandboxed.isolated) console.log('NOTE: bubblewrap cannot run here: "sandbox" is NOT sandboxed');
  const bare: Bare = { total: [], loop: [], startup: [], bytes: 0 };
  try {
    // Cold start and warm-up, not counted.
    for (const v of variants) for (let i = 0; i < 2; i++) await invokeOnce(v, false);
    await bareOnce(bare, false);
    const steps: Array<() => Promise<void>> = [
      () => bareOnce(bare, true),
      () => invokeOnce(variants[0]!, true),
      () => invokeOnce(variants[1]!, true),
    ];
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < steps.length; k++) {
        if (GAP_MS > 0) await new Promise((resolve) => setTimeout(resolve, GAP_MS));
        await steps[(round + k) % steps.length]!();
      }
    }
  } finally {
    await Promise.all(variants.map((v) => v.platform.close()));
    rmSync(dir, { recursive: true, force: true });
  }
  const bareTotal = median(bare.total);
  const bareLoop = median(bare.loop);
  console.log(
    `${LINES} lines, ${ROUNDS} interleaved rounds${GAP_MS > 0 ? ` (${GAP_MS} ms quiet before each step)` : ', back to back'}, medians. Bare \`node -e\` (stdout a pipe read here, ` +
      `${(bare.bytes / 1e6).toFixed(2)} MB): spawn -> close ${ms(bareTotal)} (loop alone ${ms(bareLoop)}; ` +
      `\`node -e 0\` ${ms(median(bare.startup))})`,
  );
  for (const v of variants) {
    const wall = median(v.wall);
    console.log(
      `  ${v.label.padEnd(7)}: Invoke over HTTP ${ms(wall)} (record duration ${ms(median(v.duration))}); ` +
        `ratio to bare node ${(wall / bareTotal).toFixed(2)} (to the bare loop alone ${(wall / bareLoop).toFixed(2)}); ` +
        `CPU: server process ${ms(median(v.serverCpu))}, instance processes ${ms(median(v.instanceCpu))}; ` +
        `${median(v.liveEvents)} live log events; record: ${v.lines} lines${v.capped ? ' (capped by runtime.maxLogBytes)' : ''}`,
    );
  }
  console.log(`  all rounds (ms): bare ${bare.total.map((x) => x.toFixed(0)).join(' ')}`);
  for (const v of variants) {
    console.log(`                   ${v.label} ${v.wall.map((x) => x.toFixed(0)).join(' ')}`);
  }
  console.log(`load average at end: ${load()}`);
}

await main();
