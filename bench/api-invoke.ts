/**
 * What the server's request and invocation log lines cost on the hottest path: Invoke over HTTP (API 3.0,
 * TC3-signed POST over a kept-alive connection) of a warm no-op function. Three platforms in this process,
 * one per log mode, each with the server's own logger writing to a file in a temp folder, as `serve` writes
 * to a stderr that is not a terminal:
 *
 * - `warn`: no request or invocation lines (what the server wrote before they existed);
 * - `info`: a JSON request line and an invocation line per Invoke, written synchronously (the default);
 * - `pretty`: the same lines through pino-pretty (what a terminal gets).
 *
 * Rounds alternate the modes (the order rotates) so the machine's load weighs on each alike. Per round and
 * mode: sequential invocations (latency), then 8 concurrent callers for a fixed time (throughput). Functions
 * run without the sandbox (`runtime.sandbox: "off"`), so the HTTP and logging part of each call is as large
 * a share of it as it can be.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/api-invoke.js [--rounds 10] [--sequential 300] [--seconds 1.5]
 */
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createLogger, prettyDestination } from '../src/logger/index.js';
import { createPlatform, type Platform } from '../src/platform.js';
import { invoke as signedInvoke } from './http-invoke.js';
import { concurrent, median, pct, sequential } from './measure.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    sequential: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '1.5' },
    concurrency: { type: 'string', default: '8' },
  },
});
const ROUNDS = Number(values.rounds);
const SEQUENTIAL = Number(values.sequential);
const CONCURRENT_MS = Number(values.seconds) * 1000;
const CONCURRENCY = Number(values.concurrency);
const SECRET_ID = 'AKIDbenchinvoke';
const SECRET_KEY = 'bench-invoke-secret';
const MODES = ['warn', 'info', 'pretty'] as const;
type Mode = (typeof MODES)[number];

const work = mkdtempSync(join(tmpdir(), 'scf-bench-invoke-'));
const fnDir = mkdtempSync(join(work, 'fn-'));
writeFileSync(join(fnDir, 'package.json'), '{"type":"commonjs"}');
writeFileSync(join(fnDir, 'index.js'), "exports.main_handler = async () => 'ok';\n");

interface Target {
  mode: Mode;
  platform: Platform;
  port: number;
  logFile: string;
  agent: Agent;
  latencies: number[];
  throughput: number[];
  /** Invocations answered, warm-up included (for the log bytes per call). */
  calls: number;
}

/** One signed Invoke of this target's no-op; counts it. */
async function invoke(t: Target): Promise<void> {
  await signedInvoke({
    port: t.port,
    agent: t.agent,
    secretId: SECRET_ID,
    secretKey: SECRET_KEY,
    functionName: 'noop',
  });
  t.calls++;
}

async function start(mode: Mode): Promise<Target> {
  const dataDir = mkdtempSync(join(work, `data-${mode}-`));
  const logFile = join(work, `${mode}.log`);
  const level = mode === 'warn' ? 'warn' : 'info';
  const destination =
    mode === 'pretty'
      ? prettyDestination(openSync(logFile, 'w'))
      : pino.destination({ dest: logFile, sync: true });
  const platform = await createPlatform({
    config: {
      port: 0,
      dataDir,
      auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
      runtime: { sandbox: 'off' },
    },
    env: {},
    logger: createLogger({ level }, destination),
  });
  platform.functions.create({
    functionName: 'noop',
    handler: 'index.main_handler',
    code: { directory: fnDir },
  });
  const { port } = await platform.listen();
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  return { mode, platform, port, logFile, agent, latencies: [], throughput: [], calls: 0 };
}

const targets: Target[] = [];
try {
  console.log(
    `Invoke over HTTP (3.0, TC3, keep-alive), warm no-op, sandbox off; ${cpus().length} CPUs, ${cpus()[0]?.model ?? ''}, Node ${process.version}`,
  );
  console.log(
    `load average at start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const mode of MODES) targets.push(await start(mode));
  // Warm-up: each function's instance started and V8 warm on every path.
  for (const t of targets) for (let i = 0; i < 200; i++) await invoke(t);
  for (const t of targets) t.latencies.length = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const order = targets.map((_, k) => targets[(k + r) % targets.length]!);
    for (const t of order) await sequential(t, SEQUENTIAL, () => invoke(t));
    for (const t of order) await concurrent(t, { callers: CONCURRENCY, ms: CONCURRENT_MS }, () => invoke(t));
  }
  console.log(
    `load average at end:   ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const base = targets[0]!;
  console.log(
    `\n${ROUNDS} rounds; per round and mode ${SEQUENTIAL} sequential calls, then ${CONCURRENCY} callers for ${CONCURRENT_MS / 1000} s`,
  );
  console.log(
    'mode     p50 ms   p99 ms   calls/s (median of rounds)   p50 ratio   calls/s ratio   log bytes/call',
  );
  for (const t of targets) {
    const bytes = readFileSync(t.logFile).length;
    console.log(
      `${t.mode.padEnd(8)} ${median(t.latencies).toFixed(3).padStart(6)}   ${pct(t.latencies, 99).toFixed(3).padStart(6)}   ${median(t.throughput).toFixed(0).padStart(7)}                      ${(median(t.latencies) / median(base.latencies)).toFixed(3)}       ${(median(t.throughput) / median(base.throughput)).toFixed(3)}           ${(bytes / t.calls).toFixed(0)}`,
    );
  }
} finally {
  for (const t of targets) {
    t.agent.destroy();
    await t.platform.close();
  }
  rmSync(work, { recursive: true, force: true });
}
