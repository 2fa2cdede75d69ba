/**
 * Asynchronous invocation throughput, from acceptance to final record: N events of a warm no-op are
 * enqueued (in process, through the same `AsyncInvocations.enqueue` Invoke uses, each durable before it
 * returns), and the clock runs until the last one is FINISHED in the queue (its record written). Side by
 * side, the floor: the same N invocations run synchronously through the Invoker with the same concurrency
 * (a record each, no queue). The ratio is queue / floor. SQLite (the default) and PostgreSQL, rounds
 * interleaved; medians of the rounds.
 *
 *   npm run build && node dist/bench/async.js [--events 2000] [--rounds 3] [--no-postgres]
 *
 * Sandbox off, so the platform's own work is as large a share of each invocation as it can be.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { zipSync } from 'fflate';
import pg from 'pg';
import { createPlatform, type Platform } from '../src/platform.js';
import { machineLine } from './store-shared.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    'no-postgres': { type: 'boolean', default: false },
  },
});
const N = Number(values.events);
const ROUNDS = Number(values.rounds);
const PG_URL = process.env['SCF_LOCAL_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const CONCURRENCY = 16;
const zip = zipSync({ 'index.js': Buffer.from('exports.main_handler = async (e) => e.n;\n') });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

async function withPlatform<T>(backend: 'sqlite' | 'postgres', f: (p: Platform) => Promise<T>): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'scf-bench-async-'));
  const schema = `scf_bench_${randomBytes(4).toString('hex')}`;
  const p = await createPlatform({
    config: {
      port: 0,
      dataDir,
      runtime: { sandbox: 'off' },
      log: { level: 'warn' },
      async: { concurrency: CONCURRENCY, pollMs: 1000 },
      ...(backend === 'postgres'
        ? { store: { backend: 'postgres', postgres: { connectionString: PG_URL, schema } } }
        : {}),
    },
    env: {},
  });
  try {
    await p.functions.createAsync({ functionName: 'noop', code: { zip } });
    // Warm: the instances exist before the clock starts.
    await Promise.all(
      Array.from({ length: 8 }, (_, n) => p.invoker.invoke({ functionName: 'noop', event: `{"n":${n}}` })),
    );
    return await f(p);
  } finally {
    await p.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (backend === 'postgres') {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
  }
}

/** Events/s from the first acceptance to the last FINISHED; also the acceptance rate alone. */
async function queued(p: Platform): Promise<{ perS: number; acceptPerS: number }> {
  const t0 = performance.now();
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < N) {
        const n = next++;
        ids.push(
          (
            await p.async.enqueue({
              functionName: 'noop',
              namespace: 'default',
              qualifier: '$LATEST',
              event: `{"n":${n}}`,
              invokeType: 'Invoke',
            })
          ).requestId,
        );
      }
    }),
  );
  const accepted = performance.now();
  for (;;) {
    const r = await p.async.list({
      namespace: 'default',
      functionName: 'noop',
      statuses: ['FINISHED'],
      orderBy: 'StartTime',
      order: 'DESC',
      offset: 0,
      limit: 1,
    });
    if (r.total >= N) break;
    // Counting is a scan of the function's events: every 50 ms (at most 50 ms late, ~2 % of a round).
    await new Promise((r) => setTimeout(r, 50));
  }
  const ms = performance.now() - t0;
  return { perS: (N * 1000) / ms, acceptPerS: (N * 1000) / (accepted - t0) };
}

/** The same N invocations through the Invoker, CONCURRENCY at a time: records, no queue. */
async function floor(p: Platform): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        const n = next++;
        for (;;) {
          try {
            await p.invoker.invoke({ functionName: 'noop', event: `{"n":${n}}` });
            break;
          } catch {
            // Throttled (every instance busy): as the dispatcher does, try again shortly.
            await new Promise((r) => setTimeout(r, 1));
          }
        }
      }
    }),
  );
  return (N * 1000) / (performance.now() - t0);
}

console.log(machineLine());
console.log(`${N} events per round, ${ROUNDS} rounds, dispatcher concurrency ${CONCURRENCY}, sandbox off`);
const backends = values['no-postgres'] ? (['sqlite'] as const) : (['sqlite', 'postgres'] as const);
for (const backend of backends) {
  const q: number[] = [];
  const a: number[] = [];
  const f: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    await withPlatform(backend, async (p) => {
      // The order alternates, so the machine's drift weighs on both alike.
      if (r % 2 === 0) f.push(await floor(p));
      const got = await queued(p);
      q.push(got.perS);
      a.push(got.acceptPerS);
      if (r % 2 === 1) f.push(await floor(p));
    });
  }
  console.log(
    `${backend}: acceptance to FINISHED ${median(q).toFixed(0)} events/s (accepting alone ${median(a).toFixed(0)}/s); ` +
      `synchronous floor ${median(f).toFixed(0)} invocations/s; ratio ${(median(q) / median(f)).toFixed(2)} ` +
      `(rounds: ${q.map((x) => x.toFixed(0)).join(' ')} / ${f.map((x) => x.toFixed(0)).join(' ')})`,
  );
}
