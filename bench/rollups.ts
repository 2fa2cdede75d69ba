/**
 * What the per-minute rollups (GetMonitorData's source, `src/store/rollup.ts`) cost on ingest: the
 * records of the store benchmarks (`store-shared.ts`: batches of 1000 `finish` ops through
 * `LogStore.write`, 100 functions, ~20 invocations/s of start times, so a batch spans ~50 s and touches
 * ~100-200 rollup rows) written to two fresh stores side by side, rollups off and on (see `round`),
 * several rounds, in one run, on SQLite and on PostgreSQL. The figure is the `write` rate (time spent in
 * the store); the cost is the median of the rounds' (off - on) / off. SQLite is measured twice: with its
 * indexer in its own thread (the write path alone: since schema V3 the indexer counts the rollups), and
 * with the indexer inline, each batch's drain timed with its write (a record's whole cost on one thread).
 *
 *   npx tsc -p tsconfig.json && node dist/bench/rollups.js [records per round] [--rounds=N] [--spacing=ms] [--no-pg] [--no-inline]
 *
 * `--spacing` sets the ms between records' start times: at the default 50 (20 invocations/s spread over
 * 100 functions) a function-minute holds ~12 records and a batch of 1000 touches ~150 rows, the worst
 * case for the rollups; at 1 (1000/s) a batch touches ~100 rows holding 10 records each of the batch.
 *
 * SCF_LOCAL_BENCH_PG_URL overrides the database (default postgres://postgres@127.0.0.1:5432/test); each
 * round gets a schema of its own, dropped after it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresLogStore } from '../src/store/postgres/index.js';
import { SqliteLogStore } from '../src/store/sqlite/index.js';
import type { LogStore, WriteOp } from '../src/store/types.js';
import { BATCH, machineLine, makeRecord, setSpacing } from './store-shared.js';

const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 100_000);
const ROUNDS = Number(args.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3);
const PG = !args.includes('--no-pg');
/** ms between records' start times (default the store benchmarks' 50: 20 invocations/s over 100 functions). */
const SPACING = Number(args.find((a) => a.startsWith('--spacing='))?.slice(10) ?? 50);
setSpacing(SPACING);
const URL = process.env['SCF_LOCAL_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

async function pgAdmin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: URL });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

interface Made {
  store: LogStore;
  dispose: () => Promise<void>;
  /** Awaited after each write, inside the timed span (the inline indexer's drain on this thread). */
  settle?: () => Promise<void>;
}

interface Backend {
  name: string;
  /** A fresh store (rollups on or off) and how to dispose of it. */
  make(rollups: boolean): Promise<Made>;
}

const sqlite: Backend = {
  name: 'SQLite',
  async make(rollups) {
    const dir = mkdtempSync(join(os.tmpdir(), 'scf-bench-rollups-'));
    const store = new SqliteLogStore({ path: join(dir, 'scf-local.db'), rollups });
    return {
      store,
      dispose: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/**
 * SQLite with the indexer inline: its drains (the full-text entries, and the rollups since schema V3) run
 * on this thread after each write and are timed with it, so the figure is the whole cost of a record.
 */
const sqliteInline: Backend = {
  name: 'SQLite, write + index inline',
  async make(rollups) {
    const dir = mkdtempSync(join(os.tmpdir(), 'scf-bench-rollups-'));
    const store = new SqliteLogStore({ path: join(dir, 'scf-local.db'), rollups, ftsIndexing: 'inline' });
    return {
      store,
      settle: () => store.whenIndexed(),
      dispose: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: Backend = {
  name: 'PostgreSQL',
  async make(rollups) {
    const schema = `scf_bench_rollups_${randomBytes(4).toString('hex')}`;
    const store = new PostgresLogStore({
      connectionString: URL,
      schema,
      nodeId: 'bench',
      poolSize: 4,
      rollups,
    });
    return {
      store,
      dispose: async () => {
        await store.close();
        await pgAdmin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      },
    };
  },
};

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * One round: two fresh stores, rollups off and on, fed the same batches; each batch goes to both, in
 * alternating order, and the time each store spends in `write` is summed. Feeding them side by side,
 * batch by batch, puts the machine's changing load (two cores shared with other work) on both alike,
 * which separate fills one after the other did not (their rates differed by up to 20 % either way).
 */
async function round(b: Backend): Promise<{ off: number; on: number }> {
  const off = await b.make(false);
  const on = await b.make(true);
  const spent = { off: 0, on: 0 };
  try {
    await off.store.open();
    await on.store.open();
    for (let done = 0, k = 0; done < N; k++) {
      const batch: WriteOp[] = [];
      for (const end = Math.min(N, done + BATCH); done < end; done++)
        batch.push({ op: 'finish', record: makeRecord(done) });
      const order = k % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const which of order) {
        const made = which === 'off' ? off : on;
        const t = performance.now();
        await made.store.write(batch);
        await made.settle?.();
        spent[which] += performance.now() - t;
      }
    }
  } finally {
    await off.dispose();
    await on.dispose();
  }
  return { off: N / (spent.off / 1000), on: N / (spent.on / 1000) };
}

async function measure(b: Backend): Promise<void> {
  const rates: Record<'on' | 'off', number[]> = { on: [], off: [] };
  const costs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const got = await round(b);
    rates.on.push(got.on);
    rates.off.push(got.off);
    costs.push((got.off - got.on) / got.off);
    console.log(
      `${b.name} round ${r + 1}: without rollups ${Math.round(got.off)} records/s, with ${Math.round(got.on)} records/s (cost ${(((got.off - got.on) / got.off) * 100).toFixed(1)} %)`,
    );
  }
  console.log(
    `${b.name}, ${N} records per store, ${ROUNDS} rounds: without rollups ${Math.round(median(rates.off))} records/s, ` +
      `with ${Math.round(median(rates.on))} records/s (medians); cost ${(median(costs) * 100).toFixed(1)} % ` +
      `(median of rounds; range ${(Math.min(...costs) * 100).toFixed(1)} .. ${(Math.max(...costs) * 100).toFixed(1)} %)`,
  );
}

console.log(machineLine());
console.log(`records ${SPACING} ms apart (${Math.round(1000 / SPACING)} invocations/s over 100 functions)`);
await measure(sqlite);
if (!args.includes('--no-inline')) await measure(sqliteInline);
if (PG) await measure(postgres);
console.log(
  `load average at the end: ${os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
