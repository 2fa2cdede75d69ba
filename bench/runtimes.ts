/**
 * The languages side by side (one run, the same runtime, interleaved): warm invocation round trip (invoke
 * -> result, a no-op handler) and cold start (invoke -> first result of a function never run before) with
 * a stem cell and without, for Node.js, Python and the Custom Runtime (a Node.js `scf_bootstrap`, the
 * runtime API over the instance's loopback). Sandboxed as by default (`runtime.sandbox: "auto"`).
 *
 *   npm run build && node dist/bench/runtimes.js [warm-runs] [cold-runs]
 *
 * (`npm run build`, not `tsc` alone: the build also copies the Python bootstrap into dist.)
 *
 * Targets (issue 12): Python warm p50 ≤ 1 ms and cold ≤ 30 ms with a stem cell; Custom Runtime warm p50
 * ≤ 1 ms. Figures go into bench/README.md ("Runtimes").
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createRuntime } from '../src/runtime/index.js';
import type { FunctionRunSpec, Runtime } from '../src/runtime/types.js';

const WARM = Number(process.argv[2] ?? 2000);
const COLD = Number(process.argv[3] ?? 20);
/** Quiet before each cold start, so a stem cell's replacement is ready (as after some quiet in real use). */
const COLD_GAP_MS = 600;

const dir = mkdtempSync(join(tmpdir(), 'scf-local-bench-runtimes-'));
chmodSync(dir, 0o755);
/** A code folder readable by the sandbox's user, with `exec` files executable. */
function folder(name: string, files: Record<string, string>, exec: string[] = []): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true, mode: 0o755 });
  for (const [f, text] of Object.entries(files)) {
    writeFileSync(join(d, f), text);
    chmodSync(join(d, f), exec.includes(f) ? 0o755 : 0o644);
  }
  return d;
}

const CUSTOM_BOOTSTRAP = `#!${process.execPath}
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true });
const api = 'http://' + process.env.SCF_RUNTIME_API + ':' + process.env.SCF_RUNTIME_API_PORT;
const call = (method, path, body) => new Promise((resolve, reject) => {
  const req = http.request(api + path, { method, agent }, (res) => {
    let d = ''; res.setEncoding('utf8'); res.on('data', (c) => { d += c; }); res.on('end', () => resolve(d));
  });
  req.on('error', reject); req.end(body);
});
(async () => {
  await call('POST', '/runtime/init/ready', '');
  for (;;) { await call('GET', '/runtime/invocation/next'); await call('POST', '/runtime/invocation/response', '"ok"'); }
})();
`;

const LANGUAGES = [
  {
    name: 'Node.js',
    runtime: 'Nodejs18.15',
    code: folder('node', { 'index.js': "exports.main_handler = async () => 'ok';\n", 'package.json': '{}' }),
  },
  {
    name: 'Python',
    runtime: 'Python3.9',
    code: folder('python', { 'index.py': 'def main_handler(event, context):\n    return "ok"\n' }),
  },
  {
    name: 'Custom Runtime',
    runtime: 'CustomRuntime',
    code: folder('custom', { scf_bootstrap: CUSTOM_BOOTSTRAP }, ['scf_bootstrap']),
  },
] as const;

let revision = 1;
const spec = (l: (typeof LANGUAGES)[number], name: string): FunctionRunSpec => ({
  namespace: 'bench',
  functionName: name,
  revision: revision++,
  handler: 'index.main_handler',
  runtime: l.runtime,
  codeDir: l.code,
  memorySize: 128,
  timeout: 3,
  environment: {},
});

/** One invocation: its round trip (invoke -> result) and the duration its record says, ms. */
async function timed(rt: Runtime, fn: FunctionRunSpec): Promise<{ roundTrip: number; duration: number }> {
  const t0 = performance.now();
  const r = await rt.invoke({ fn, requestId: randomUUID(), qualifier: '$LATEST', event: '{"k":1}' });
  const roundTrip = performance.now() - t0;
  if (r.retCode !== 0) throw new Error(`${fn.runtime}: ${r.retMsg}`);
  return { roundTrip, duration: r.duration };
}

const once = async (rt: Runtime, fn: FunctionRunSpec): Promise<number> => (await timed(rt, fn)).roundTrip;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const ms = (x: number): string => `${x.toFixed(2)} ms`;

const options = {
  maxInstancesPerFunction: 4,
  maxQueuedPerFunction: 100,
  idleTimeoutMs: 600_000,
  maxLogBytes: 1024 * 1024,
  logFormat: 'scf' as const,
  region: 'ap-guangzhou',
  stemCellMemorySize: 128,
};

async function main(): Promise<void> {
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
      `Node ${process.version}, load ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
  );
  const withStems = createRuntime({ ...options, stemCells: 1 });
  const without = createRuntime({ ...options, stemCells: 0 });
  console.log(`sandbox: ${JSON.stringify(withStems.sandboxStatus())}`);
  try {
    // Warm round trips, the languages interleaved in rounds of 100. The overhead is bench/runtime.ts's
    // (issue 2's): the round trip less the invocation's recorded duration, i.e. what the platform adds
    // outside the invocation; a Custom Runtime's duration holds its bootstrap's two runtime API requests.
    const warm = new Map<string, number[]>(LANGUAGES.map((l) => [l.name, []]));
    const overhead = new Map<string, number[]>(LANGUAGES.map((l) => [l.name, []]));
    const durations = new Map<string, number[]>(LANGUAGES.map((l) => [l.name, []]));
    const warmFns = LANGUAGES.map((l) => spec(l, `warm-${l.runtime}`));
    for (const f of warmFns) for (let i = 0; i < 200; i++) await once(withStems, f);
    for (let round = 0; round < WARM / 100; round++) {
      for (const [i, l] of LANGUAGES.entries()) {
        for (let k = 0; k < 100; k++) {
          const x = await timed(withStems, warmFns[i]!);
          warm.get(l.name)!.push(x.roundTrip);
          overhead.get(l.name)!.push(x.roundTrip - x.duration);
          durations.get(l.name)!.push(x.duration);
        }
      }
    }
    console.log(`warm, no-op handler, ${WARM} each, interleaved (p50 / p99):`);
    for (const l of LANGUAGES) {
      const xs = warm.get(l.name)!;
      const os = overhead.get(l.name)!;
      const ds = durations.get(l.name)!;
      console.log(
        `  ${l.name.padEnd(15)} overhead (round trip - duration) ${ms(pct(os, 50))} / ${ms(pct(os, 99))};  ` +
          `duration ${ms(pct(ds, 50))} / ${ms(pct(ds, 99))};  round trip ${ms(pct(xs, 50))} / ${ms(pct(xs, 99))}`,
      );
    }
    // Cold starts: a new function each time, with a stem cell and without, interleaved.
    const cold = new Map<string, { stem: number[]; fresh: number[] }>(
      LANGUAGES.map((l) => [l.name, { stem: [], fresh: [] }]),
    );
    // One cold start each first: the Python and Custom Runtime reserves fill after their first use.
    for (const l of LANGUAGES) await once(withStems, spec(l, `first-${l.runtime}`));
    for (let i = 0; i < COLD; i++) {
      for (const l of LANGUAGES) {
        await new Promise((r) => setTimeout(r, COLD_GAP_MS));
        cold.get(l.name)!.stem.push(await once(withStems, spec(l, `cold-s-${i}-${l.runtime}`)));
        await new Promise((r) => setTimeout(r, COLD_GAP_MS));
        cold.get(l.name)!.fresh.push(await once(without, spec(l, `cold-f-${i}-${l.runtime}`)));
      }
    }
    console.log(`cold start (invoke -> first result), ${COLD} each, ${COLD_GAP_MS} ms apart, interleaved:`);
    for (const l of LANGUAGES) {
      const c = cold.get(l.name)!;
      console.log(
        `  ${l.name.padEnd(15)} stem cell p50 ${ms(pct(c.stem, 50))} p90 ${ms(pct(c.stem, 90))}; ` +
          `fresh p50 ${ms(pct(c.fresh, 50))} p90 ${ms(pct(c.fresh, 90))}; ratio of p50s ${(pct(c.stem, 50) / pct(c.fresh, 50)).toFixed(2)}`,
      );
    }
  } finally {
    await Promise.all([withStems.close(), without.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
