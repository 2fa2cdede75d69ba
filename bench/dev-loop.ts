/**
 * The dev loop: from saving a function's file to the new code's log line appearing in `scf-local dev`'s
 * output. Both halves are the real binary, as a user runs them: `scf-local serve` in one process,
 * `scf-local dev <dir> --invoke` in another (redeploy on save, then invoke, then the line through the live
 * tail); the bench only writes the file and reads dev's output.
 *
 *   node dist/bench/dev-loop.js [--rounds 15] [--debounce <ms>] [--sandbox auto|off]
 *
 * Each round rewrites `index.js` (one `writeFileSync`, as an editor's save) with a new marker in the line
 * it logs, stamps the time just before the write, and stamps the time the first stdout chunk holding that
 * marker arrives from dev. dev's own notices (stderr) are stamped as they arrive too, which splits each
 * round into: the change noticed and the quiet time (`--debounce`) waited, the redeploy (package, upload,
 * the server's unpacking and switch), and the invocation to the line on screen (a cold start of the new
 * code, the record, the tail). Rounds are a second apart, so each starts from a settled loop. A small
 * function: one file, a handler that logs a line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '15' },
    debounce: { type: 'string' },
    sandbox: { type: 'string', default: 'auto' },
  },
});
const rounds = Number(values.rounds);
const bin = fileURLToPath(new URL('../../bin/scf-local.js', import.meta.url));
const now = (): number => performance.timeOrigin + performance.now();

const cpu = cpus();
console.log(
  `machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GB RAM ` +
    `(${(freemem() / 2 ** 30).toFixed(1)} GB free), ${process.platform} ${process.arch}, Node ${process.version}`,
);
console.log(
  `load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(
      ', ',
    )}; ${rounds} rounds; dev --debounce ${values.debounce ?? 'default'}; sandbox ${values.sandbox}`,
);

const work = mkdtempSync(join(tmpdir(), 'scf-local-bench-dev-'));
const fnDir = join(work, 'hello');
const dataDir = join(work, 'data');
mkdirSync(fnDir);
const source = (marker: string): string =>
  `exports.main_handler = async (event) => {\n  console.log('${marker}');\n  return { ok: true };\n};\n`;
writeFileSync(join(fnDir, 'index.js'), source('marker-0'));

const children: ChildProcess[] = [];
const cleanup = (): void => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGINT');
};
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** A child's output as timed chunks, and waits on it. */
class Output {
  text = '';
  readonly #waiters: Array<{ re: RegExp; from: number; resolve: (at: number) => void }> = [];

  constructor(stream: NodeJS.ReadableStream) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const at = now();
      this.text += chunk;
      for (let i = this.#waiters.length - 1; i >= 0; i--) {
        const w = this.#waiters[i]!;
        if (w.re.test(this.text.slice(w.from))) {
          this.#waiters.splice(i, 1);
          w.resolve(at);
        }
      }
    });
  }

  /** The arrival time of the chunk that first makes `re` match the output written after `from`. */
  when(re: RegExp, from: number, what: string, ms = 30_000): Promise<number> {
    if (re.test(this.text.slice(from))) return Promise.resolve(now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}:\n${this.text}`)), ms);
      this.#waiters.push({
        re,
        from,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      });
    });
  }
}

const env = { PATH: process.env['PATH'] ?? '', NO_COLOR: '1' };
const serve = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dataDir], {
  env: { ...env, SCF_LOCAL_SANDBOX: values.sandbox },
  stdio: ['ignore', 'pipe', 'pipe'],
});
children.push(serve);
const serveOut = new Output(serve.stdout!);
new Output(serve.stderr!);
await serveOut.when(/listening on (http:\/\/\S+)/, 0, 'the server');
const url = /listening on (http:\/\/\S+)/.exec(serveOut.text)?.[1] ?? '';
console.log(`server: ${url} (scf-local serve, its own process)`);

const devArgs = [bin, '--endpoint', url, '--data-dir', dataDir, 'dev', fnDir, '--invoke'];
if (values.debounce !== undefined) devArgs.push('--debounce', values.debounce);
const dev = spawn(process.execPath, devArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
children.push(dev);
const out = new Output(dev.stdout!);
const err = new Output(dev.stderr!);
await out.when(/marker-0/, 0, 'the first deploy and invocation');
await err.when(/invoked hello/, 0, 'the first invocation to end');

interface Round {
  total: number;
  noticed: number;
  deployed: number;
  shown: number;
}
const results: Round[] = [];
for (let i = 1; i <= rounds; i++) {
  await new Promise((r) => setTimeout(r, 1000));
  const outFrom = out.text.length;
  const errFrom = err.text.length;
  const marker = `marker-${i}`;
  const line = out.when(new RegExp(`${marker}\\b`), outFrom, `round ${i}'s line`);
  const noticed = err.when(/changed; redeploying/, errFrom, `round ${i}'s change`);
  const deployed = err.when(/updated hello/, errFrom, `round ${i}'s redeploy`);
  const ended = err.when(/invoked hello/, errFrom, `round ${i}'s invocation`);
  const saved = now();
  writeFileSync(join(fnDir, 'index.js'), source(marker));
  const [tLine, tNoticed, tDeployed] = await Promise.all([line, noticed, deployed]);
  await ended;
  const r = {
    total: tLine - saved,
    noticed: tNoticed - saved,
    deployed: tDeployed - tNoticed,
    shown: tLine - tDeployed,
  };
  results.push(r);
  console.log(
    `round ${String(i).padStart(2)}: ${r.total.toFixed(1).padStart(6)} ms  (noticed + debounce ${r.noticed.toFixed(1)}, ` +
      `redeploy ${r.deployed.toFixed(1)}, invoke to line ${r.shown.toFixed(1)})`,
  );
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pick = (k: keyof Round): number[] => results.map((r) => r[k]);
const totals = pick('total');
console.log(
  `\nsave -> new log line in dev's output: median ${median(totals).toFixed(1)} ms ` +
    `(min ${Math.min(...totals).toFixed(1)}, max ${Math.max(...totals).toFixed(1)}) over ${rounds} rounds; target <= 300 ms`,
);
console.log(
  `  of which (medians): change noticed + debounce ${median(pick('noticed')).toFixed(1)} ms, ` +
    `redeploy ${median(pick('deployed')).toFixed(1)} ms, invocation to the line ${median(pick('shown')).toFixed(1)} ms`,
);
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);

cleanup();
await Promise.all(
  children.map((c) =>
    c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)),
  ),
);
