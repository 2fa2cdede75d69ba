/**
 * Tail latency: from a handler's `console.log` to that line appearing in a follower, the real
 * `scf-local logs --follow --ndjson` process, while the invocation is still running and invocations arrive
 * at a fixed rate.
 *
 *   node dist/bench/tail.js [--rate 500] [--seconds 10] [--warmup 1] [--hold 200]
 *
 * The handler logs its wall-clock time (performance.timeOrigin + now, sub-ms), waits `--hold` ms, logs the
 * time again and returns. The bench stamps each follower stdout line as it arrives. Two figures:
 * - live: the first line to its `log` event in the follower (it must arrive before the invocation's `end`,
 *   which comes `--hold` ms later at the earliest; lines that arrived only with `end` are counted apart);
 * - end: the handler's last line to the invocation's `end` event (the final record: commit + stream).
 * Both clocks are this machine's. The platform runs in this process (as `scf-local serve` would),
 * invocations go through the Invoker at the target rate (open loop: started on schedule, not after the
 * previous one ends), and the follower reaches it over HTTP like any client. A held invocation occupies an
 * instance, so about rate x hold instances run at once; they are started (and not measured) first.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPlatform } from '../src/platform.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    hold: { type: 'string', default: '200' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const hold = Number(values.hold);
// Instances busy at once: rate x (hold + run overhead), with headroom for jitter on shared cores.
const instances = Math.max(8, Math.ceil((rate * (hold + 30)) / 1000) * 1.3 + 8);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const now = (): number => performance.timeOrigin + performance.now();

const cpu = cpus();
console.log(
  `machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM ` +
    `(${(freemem() / 2 ** 30).toFixed(1)} GB free), ${process.platform} ${process.arch}, Node ${process.version}`,
);
console.log(
  `load: ${rate} invocations/s for ${seconds} s after a ${warmupSeconds} s warm-up, each logging a line then ` +
    `holding ${hold} ms (up to ${Math.round(instances)} instances); follower: scf-local logs --follow --ndjson; ` +
    `machine load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(', ')}`,
);

const dir = mkdtempSync(join(tmpdir(), 'scf-local-bench-tail-'));
const fnDir = join(dir, 'fn');
const dataDir = join(dir, 'data');
const cred = { secretId: 'AKIDbench', secretKey: 'bench' };
mkdirSync(fnDir);
writeFileSync(
  join(fnDir, 'index.js'),
  'const now = () => performance.timeOrigin + performance.now();\n' +
    'exports.main_handler = async (event) => {\n' +
    "  console.log('t=' + now() + ' i=' + event.i);\n" +
    '  if (event.hold > 0) await new Promise((r) => setTimeout(r, event.hold));\n' +
    "  console.log('e=' + now() + ' i=' + event.i);\n" +
    '  return 1;\n' +
    '};\n',
);

const platform = await createPlatform({
  config: {
    port: 0,
    dataDir,
    auth: { credentials: [cred] },
    runtime: { maxInstancesPerFunction: Math.round(instances), maxQueuedPerFunction: 100_000 },
  },
  env: {},
});
platform.functions.create({ functionName: 'bench', code: { directory: fnDir } });
const { url } = await platform.listen();

const follower = spawn(
  process.execPath,
  [
    `${repo}bin/scf-local.js`,
    '--endpoint',
    url,
    '--secret-id',
    cred.secretId,
    '--secret-key',
    cred.secretKey,
    'logs',
    'bench',
    '--follow',
    '--ndjson',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
/** i -> console.log-to-follower ms of the first line, when it came as a live `log` event. */
const live = new Map<number, number>();
/** i -> the same, for lines that came only with the `end` event (not live). */
const lateOnly = new Map<number, number>();
/** i -> last line to `end` event ms. */
const ends = new Map<number, number>();
/**
 * i -> console.log-to-hub ms of the first line: where the server's share ends (runtime IPC, the wait for
 * the running record's commit, publish); the rest is SSE, the follower's parsing and its stdout pipe.
 */
const published = new Map<number, number>();
platform.events.subscribe((e) => {
  if (e.type !== 'log') return;
  const m = /t=([\d.]+) i=(\d+)/.exec(e.log.text);
  if (m) published.set(Number(m[2]), now() - Number(m[1]));
});
let ready!: () => void;
const isReady = new Promise<void>((r) => {
  ready = r;
});
let partial = '';
follower.stdout.setEncoding('utf8');
follower.stdout.on('data', (chunk: string) => {
  const arrived = now();
  const parts = (partial + chunk).split('\n');
  partial = parts.pop() ?? '';
  for (const line of parts) {
    if (line.startsWith('{"event":"ready"')) ready();
    if (line.startsWith('{"event":"log"')) {
      const m = /t=([\d.]+) i=(\d+)/.exec((JSON.parse(line) as { text: string }).text);
      if (m) live.set(Number(m[2]), arrived - Number(m[1]));
    } else if (line.startsWith('{"event":"end"')) {
      const log = (JSON.parse(line) as { log: string }).log;
      const first = /t=([\d.]+) i=(\d+)/.exec(log);
      const last = /e=([\d.]+) i=(\d+)/.exec(log);
      if (first && !live.has(Number(first[2]))) lateOnly.set(Number(first[2]), arrived - Number(first[1]));
      if (last) ends.set(Number(last[2]), arrived - Number(last[1]));
    }
  }
});
await isReady;

// Start the instances the held invocations need, so cold starts are not measured.
await Promise.all(
  Array.from({ length: Math.round(instances) }, () =>
    platform.invoker.invoke({ functionName: 'bench', event: JSON.stringify({ i: -1, hold: 100 }) }),
  ),
);
await new Promise((r) => setTimeout(r, 500));

const total = Math.round(rate * (seconds + warmupSeconds));
const warm = Math.round(rate * warmupSeconds);
const start = now();
const pending: Array<Promise<unknown>> = [];
let refused = 0;
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / rate;
  const wait = due - now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  pending.push(
    platform.invoker.invoke({ functionName: 'bench', event: JSON.stringify({ i, hold }) }).catch(() => {
      refused++;
    }),
  );
}
await Promise.all(pending);
const elapsed = (now() - start) / 1000;
const deadline = now() + 10_000;
while (ends.size < total - refused && now() < deadline) await new Promise((r) => setTimeout(r, 50));

const sorted = (m: Map<number, number>): number[] =>
  [...m]
    .filter(([i]) => i >= warm)
    .map(([, ms]) => ms)
    .sort((a, b) => a - b);
const pct = (xs: number[], p: number): number =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? Number.NaN;
const summary = (xs: number[]): string =>
  `p50 ${pct(xs, 50).toFixed(1)} ms, p90 ${pct(xs, 90).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, ` +
  `max ${(xs.at(-1) ?? Number.NaN).toFixed(1)} ms`;
const measured = sorted(live);
const measuredEnds = sorted(ends);
console.log(
  `sent ${total} invocations in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)}/s achieved), ${refused} refused`,
);
console.log(
  `shown by the follower: ${ends.size}/${total - refused} final; first line live (before its end) for ` +
    `${live.size}, only with the end for ${lateOnly.size}`,
);
console.log(
  `live tail latency (console.log -> line in follower while running), ${measured.length} after warm-up: ${summary(measured)}`,
);
console.log(`  of which in the server (console.log -> hub publish): ${summary(sorted(published))}`);
console.log(
  `end latency (last console.log -> final record in follower), ${measuredEnds.length} after warm-up: ${summary(measuredEnds)}`,
);
console.log(
  `machine load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);
const exited = new Promise((r) => follower.once('exit', r));
follower.kill();
await exited;
await platform.close();
rmSync(dir, { recursive: true, force: true });
const p99 = pct(measured, 99);
const allLive = lateOnly.size === 0 && measured.length > 0;
console.log(p99 <= 100 && allLive ? 'target live p99 <= 100 ms: met' : 'target live p99 <= 100 ms: NOT met');
