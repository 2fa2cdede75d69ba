/**
 * Tail latency: from a handler's `console.log` to that line appearing in a follower, the real
 * `scf-local logs --follow --ndjson` process, while invocations arrive at a fixed rate.
 *
 *   node dist/bench/tail.js [--rate 500] [--seconds 10] [--warmup 1]
 *
 * The handler logs its wall-clock time (performance.timeOrigin + now, sub-ms); the bench stamps each line
 * as it arrives on the follower's stdout. Both clocks are this machine's. The platform runs in this process
 * (as `scf-local serve` would), invocations go through the Invoker at the target rate (open loop: started on
 * schedule, not after the previous one ends), and the follower reaches it over HTTP like any client.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createPlatform } from '../src/platform.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const warmupSeconds = Number(values.warmup);
const repo = fileURLToPath(new URL('../../', import.meta.url));
const now = (): number => performance.timeOrigin + performance.now();

const cpu = cpus();
console.log(
  `machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM ` +
    `(${(freemem() / 2 ** 30).toFixed(1)} GB free), ${process.platform} ${process.arch}, Node ${process.version}`,
);
console.log(
  `load: ${rate} invocations/s for ${seconds} s after a ${warmupSeconds} s warm-up; follower: scf-local logs --follow`,
);

const dir = mkdtempSync(join(tmpdir(), 'scf-local-bench-tail-'));
const fnDir = join(dir, 'fn');
const dataDir = join(dir, 'data');
const cred = { secretId: 'AKIDbench', secretKey: 'bench' };
mkdirSync(fnDir);
writeFileSync(
  join(fnDir, 'index.js'),
  "exports.main_handler = async (event) => { console.log('t=' + (performance.timeOrigin + performance.now()) + ' i=' + event.i); return 1; };\n",
);

const platform = await createPlatform({
  config: { port: 0, dataDir, auth: { credentials: [cred] } },
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
const latencies = new Map<number, number>();
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
    if (!line.startsWith('{"event":"end"')) continue;
    const m = /t=([\d.]+) i=(\d+)/.exec((JSON.parse(line) as { log: string }).log);
    if (m) latencies.set(Number(m[2]), arrived - Number(m[1]));
  }
});
await isReady;

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
    platform.invoker.invoke({ functionName: 'bench', event: JSON.stringify({ i }) }).catch(() => {
      refused++;
    }),
  );
}
await Promise.all(pending);
const elapsed = (now() - start) / 1000;
const deadline = now() + 10_000;
while (latencies.size < total - refused && now() < deadline) await new Promise((r) => setTimeout(r, 50));

const measured = [...latencies]
  .filter(([i]) => i >= warm)
  .map(([, ms]) => ms)
  .sort((a, b) => a - b);
const pct = (p: number): number =>
  measured[Math.min(measured.length - 1, Math.floor((p / 100) * measured.length))] ?? Number.NaN;
console.log(
  `sent ${total} invocations in ${elapsed.toFixed(1)} s (${(total / elapsed).toFixed(0)}/s achieved), ${refused} refused`,
);
console.log(`shown by the follower: ${latencies.size}/${total - refused}`);
console.log(
  `tail latency (console.log -> line in follower), ${measured.length} after warm-up: ` +
    `p50 ${pct(50).toFixed(1)} ms, p90 ${pct(90).toFixed(1)} ms, p99 ${pct(99).toFixed(1)} ms, max ${(measured.at(-1) ?? Number.NaN).toFixed(1)} ms`,
);
const exited = new Promise((r) => follower.once('exit', r));
follower.kill();
await exited;
await platform.close();
rmSync(dir, { recursive: true, force: true });
const p99 = pct(99);
console.log(p99 <= 100 ? 'target p99 <= 100 ms: met' : 'target p99 <= 100 ms: NOT met');
