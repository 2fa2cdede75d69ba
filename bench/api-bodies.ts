/**
 * Memory of many concurrent unsigned large POSTs (issue 8, item 5): 100 clients at once each start a 60 MB
 * POST without valid credentials, at the server in its own process (the platform alone, so its RSS is
 * the server's). Kinds, in turn: API 3.0 JSON without Authorization; TC3 with an unknown SecretId; TC3
 * with an expired timestamp; a v1 form on `/` and a v2 form on `/v2/index.php` that never name SecretId.
 * Bodies are streamed from one 64 KB chunk, so the clients hold nothing either.
 *
 * Figures per round: the server's RSS growth (peak VmHWM during the round, reset before it through
 * /proc/<pid>/clear_refs, minus VmRSS before), the time until every POST was answered or cut, how many
 * saw the coded refusal, and the latency of signed ListFunctions calls (real SDK) made meanwhile. Medians
 * over the rounds are printed last.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/api-bodies.js [--rounds 5] [--clients 100] [--mb 60]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { memoryOf, startServerChild, streamPost } from '../test/security/unsigned.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    clients: { type: 'string', default: '100' },
    mb: { type: 'string', default: '60' },
  },
});
const ROUNDS = Number(values.rounds);
const CLIENTS = Number(values.clients);
const SIZE = Number(values.mb) * 1024 * 1024;
const MB = 1024 * 1024;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function tc3(secretId: string, timestamp: number): Record<string, string> {
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  return {
    'content-type': 'application/json',
    authorization: `TC3-HMAC-SHA256 Credential=${secretId}/${date}/scf/tc3_request, SignedHeaders=content-type;host, Signature=${'0'.repeat(64)}`,
    'x-tc-action': 'CreateFunction',
    'x-tc-timestamp': String(timestamp),
    'x-tc-version': '2018-04-16',
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'scf-bench-bodies-'));
const server = await startServerChild(dataDir);
const pid = server.child.pid!;
const client = new scf.v20180416.Client({
  credential: { secretId: 'AKIDtest', secretKey: 'secret' },
  region: 'ap-guangzhou',
  profile: { httpProfile: { endpoint: `127.0.0.1:${server.port}`, protocol: 'http://', reqTimeout: 60 } },
});
for (let i = 0; i < 20; i++) await client.ListFunctions({});

const cpu = cpus();
console.log(
  `machine: ${cpu[0]?.model ?? '?'} x${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(`${CLIENTS} concurrent unsigned POSTs of ${SIZE / MB} MB, ${ROUNDS} rounds`);

const growths: number[] = [];
const firstRss = memoryOf(pid).rss;
let highest = firstRss;
const durations: number[] = [];
const probesP50: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  let canReset = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    canReset = false;
  }
  const before = memoryOf(pid);
  let sampledPeak = before.rss;
  const sampler = setInterval(() => {
    sampledPeak = Math.max(sampledPeak, memoryOf(pid).rss);
  }, 10);
  const now = Math.floor(Date.now() / 1000);
  const kinds: Array<[string, Record<string, string>]> = [
    ['/', { 'content-type': 'application/json' }],
    ['/', tc3('AKIDnobody', now)],
    ['/', tc3('AKIDtest', now - 3600)],
    ['/', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['/v2/index.php', { 'content-type': 'application/x-www-form-urlencoded' }],
  ];
  const t0 = performance.now();
  const posts = Array.from({ length: CLIENTS }, (_, i) => {
    const [path, headers] = kinds[i % kinds.length]!;
    return streamPost(server.port, path, headers, SIZE);
  });
  const latencies: number[] = [];
  let running = true;
  const probing = (async () => {
    while (running) {
      const s = performance.now();
      await client.ListFunctions({});
      latencies.push(performance.now() - s);
    }
  })();
  const results = await Promise.all(posts);
  const elapsed = performance.now() - t0;
  running = false;
  await probing;
  clearInterval(sampler);
  const after = memoryOf(pid);
  const peak = canReset ? Math.max(after.peak, sampledPeak) : sampledPeak;
  const growth = peak - before.rss;
  highest = Math.max(highest, peak);
  const answered = results.filter((r) => /"Code":|"codeDesc":/.test(r.body)).length;
  const sentMb = results.reduce((a, r) => a + r.sent, 0) / MB;
  growths.push(growth / MB);
  durations.push(elapsed);
  probesP50.push(median(latencies));
  console.log(
    `round ${round}: RSS ${(before.rss / MB).toFixed(1)} MB -> peak ${(peak / MB).toFixed(1)} MB (growth ${(growth / MB).toFixed(1)} MB${canReset ? '' : ', sampled'}); ` +
      `all ${CLIENTS} done in ${elapsed.toFixed(0)} ms; coded refusal read by ${answered}/${CLIENTS}; ` +
      `${sentMb.toFixed(0)} MB written by clients before the cut (socket buffers); ` +
      `signed ListFunctions meanwhile: ${latencies.length} calls, p50 ${median(latencies).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`,
  );
  await new Promise((r) => setTimeout(r, 1500));
}
console.log(
  `over all rounds: RSS ${(firstRss / MB).toFixed(1)} MB before the first -> highest peak ${(highest / MB).toFixed(1)} MB ` +
    `(growth ${((highest - firstRss) / MB).toFixed(1)} MB, the heap settling at a higher size after the first bursts)`,
);
console.log(
  `median over ${ROUNDS} rounds: RSS growth ${median(growths).toFixed(1)} MB (target < 64 MB), ` +
    `all refused in ${median(durations).toFixed(0)} ms, signed call p50 ${median(probesP50).toFixed(1)} ms`,
);
await server.stop();
rmSync(dataDir, { recursive: true, force: true });
