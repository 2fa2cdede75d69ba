/**
 * The PostgreSQL LogStore beside the SQLite one (`store.ts`): the same records, fill and queries
 * (`store-shared.ts`), against the real server, in a schema of its own that is dropped at the end.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/postgres.js [records] [--keep] [--quick] [--index=trgm|fts|none]
 *   node dist/bench/postgres.js [records] --schema=<kept schema> [--quick]
 *   node dist/bench/postgres.js --retention [records-per-day]
 *
 * - The fill is the ingest measurement (batches of 1000 `finish` ops through `LogStore.write`, each one
 *   transaction: records, counts, feed events).
 * - `--index` swaps the keyword index before the fill, to choose it by measurement: `fts` (the schema's:
 *   a GIN over the keyword text's tokens as a tsvector, `scf_index_tokens`), `trgm` (pg_trgm's GIN over the
 *   keyword text, for LIKE), `none`. With `trgm` the keyword searches are timed as raw SQL LIKE counts
 *   (the store's queries need its own index).
 * - `--keep` leaves the schema (its name is printed) for `--schema=<name>`, which runs only the queries on
 *   it, no fill (`records` should then say how many it holds: the time range is computed from it).
 * - `--quick` skips the 60-combination sections of the queries (first page, time range, deep page and
 *   keyword searches remain).
 * - `--retention`: fills one UTC day with `records-per-day` records (default 1,000,000) and the next day
 *   with a tenth of that, then prunes the first day while two readers loop on first pages; prints the
 *   readers' p50/p99 before and during the prune.
 * SCF_LOCAL_BENCH_PG_URL overrides the database (default postgres://postgres@127.0.0.1:5432/test).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PostgresLogStore } from '../src/store/postgres/index.js';
import type { LogQuery } from '../src/store/types.js';
import { ticks, ticksBetween } from './procfs.js';
import {
  FUNCTIONS,
  fill,
  fn,
  machineLine,
  ms,
  NEEDLE,
  pageQuery,
  pct,
  queryFigures,
  setSpacing,
  T0,
  time,
} from './store-shared.js';

const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const KEEP = args.includes('--keep');
const INDEX = (args.find((a) => a.startsWith('--index='))?.slice(8) ?? 'fts') as 'trgm' | 'fts' | 'none';
const RETENTION = args.includes('--retention');
const QUICK = args.includes('--quick');
const REUSE = args.find((a) => a.startsWith('--schema='))?.slice(9);
const URL = process.env['SCF_LOCAL_BENCH_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const DAY = 86_400_000;
const POOL = 6;

async function admin<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: URL });
  await c.connect();
  try {
    return await f(c);
  } finally {
    await c.end();
  }
}

async function openStore(schema: string): Promise<PostgresLogStore> {
  const store = new PostgresLogStore({ connectionString: URL, schema, nodeId: 'bench', poolSize: POOL });
  await store.open();
  return store;
}

async function setIndex(store: PostgresLogStore): Promise<void> {
  if (INDEX === 'fts') return;
  await store.pool.query('DROP INDEX invocations_keyword');
  if (INDEX === 'trgm') {
    await store.pool.query('CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public');
    await store.pool.query(
      'CREATE INDEX invocations_search_trgm ON invocations USING gin (search_text public.gin_trgm_ops)',
    );
  }
}

/** The store pool's backends (every connection of it) and the server's background writers. */
async function serverPids(store: PostgresLogStore): Promise<{ backends: number[]; server: number[] }> {
  const clients = await Promise.all(Array.from({ length: POOL }, () => store.pool.connect()));
  try {
    const backends = await Promise.all(
      clients.map(async (c) => (await c.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p),
    );
    const { rows } = await clients[0]!.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE backend_type IN ('walwriter', 'checkpointer', 'background writer')`,
    );
    return { backends, server: rows.map((r) => r.pid) };
  } finally {
    for (const c of clients) c.release();
  }
}

async function sizes(store: PostgresLogStore): Promise<string> {
  const { rows } = await store.pool.query<{ t: string; i: string }>(
    `SELECT pg_size_pretty(sum(pg_table_size(c.oid))) AS t, pg_size_pretty(sum(pg_indexes_size(c.oid))) AS i
       FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid WHERE h.inhparent = 'invocations'::regclass`,
  );
  return `tables ${rows[0]?.t}, indexes ${rows[0]?.i}`;
}

async function main(schema: string): Promise<void> {
  const t0 = performance.now();
  const store = await openStore(schema);
  try {
    if (REUSE !== undefined) {
      console.log(
        `queries only, on kept schema ${schema} (opened, with any migration, in ${ms(performance.now() - t0)}): ` +
          (await sizes(store)),
      );
      await queryFigures(store, N, { quick: QUICK });
      return;
    }
    await setIndex(store);
    const { backends, server } = await serverPids(store);
    const [b0, s0] = [ticks(backends), ticks(server)];
    const cpu0 = process.cpuUsage();
    const rate = await fill(store, N);
    const cpu = process.cpuUsage(cpu0);
    const pgTicks = ticksBetween(b0, ticks(backends));
    const serverTicks = ticksBetween(s0, ticks(server));
    console.log(
      `ingest (fill), keyword index ${INDEX}, finish-only batches of 1000 via LogStore.write, ${N} records: ` +
        `${Math.round(rate.write)} records/s in write (${Math.round(rate.wall)}/s wall, with record generation); ` +
        `by tenths: ${rate.tenths.map((x) => Math.round(x / 1000)).join(' ')} k/s`,
    );
    // CPU per record: Node's in `write` (its CPU minus record generation, which is the wall time outside
    // `write`), the store's PostgreSQL backends', and the server's WAL writer, checkpointer and
    // background writer (shared with whatever else runs on the server).
    const wallS = N / rate.wall;
    const writeS = N / rate.write;
    const us = (ticks100: number) => ((ticks100 / 100) * 1e6) / N;
    const nodeUs = ((cpu.user + cpu.system) / 1e6 - (wallS - writeS)) * (1e6 / N);
    const wallUs = (writeS * 1e6) / N;
    console.log(
      `CPU per record in write: node ${nodeUs.toFixed(1)} us, PostgreSQL backends ${us(pgTicks).toFixed(1)} us, ` +
        `WAL writer + checkpointer + bgwriter ${us(serverTicks).toFixed(1)} us; wall ${wallUs.toFixed(1)} us ` +
        `(${((nodeUs + us(pgTicks) + us(serverTicks)) / wallUs).toFixed(2)} cores busy on average)`,
    );
    const tv = await time(() => store.pool.query('VACUUM ANALYZE invocations'));
    console.log(`VACUUM ANALYZE after the fill: ${(tv / 1000).toFixed(1)} s; ${await sizes(store)}`);
    if (INDEX === 'trgm') {
      // The same searches as LIKE counts over the trigram index (raw SQL: the store queries its own index).
      for (const [label, pattern, scoped] of [
        [`"${NEEDLE}" whole store`, `% ${NEEDLE} %`, false],
        [`"${NEEDLE}" one function`, `% ${NEEDLE} %`, true],
        ['"quas*" whole store', '% quas%', false],
        ['"retrying" one function', '% retrying %', true],
      ] as const) {
        const xs: number[] = [];
        for (let i = 0; i < 20; i++) {
          const f = fn(Math.floor(Math.random() * FUNCTIONS));
          xs.push(
            await time(() =>
              store.pool.query(
                `SELECT count(*) FROM invocations WHERE search_text LIKE $1 ${scoped ? 'AND function_name = $2' : ''}`,
                scoped ? [pattern, f] : [pattern],
              ),
            ),
          );
        }
        console.log(`trigram LIKE count ${label}: p50 ${ms(pct(xs, 50))}, p99 ${ms(pct(xs, 99))}`);
      }
    }
    if (INDEX === 'fts') await queryFigures(store, N, { quick: QUICK });
  } finally {
    await store.close();
  }
}

/** Fills two days, prunes the first while readers run; prints the readers' latencies. */
async function retention(schema: string): Promise<void> {
  const store = await openStore(schema);
  try {
    setSpacing(DAY / N);
    const day1 = await fill(store, N);
    console.log(`retention: day 1 filled with ${N} records (${Math.round(day1.write)} records/s)`);
    // Day 2: a tenth as many, starting at the next UTC day (record i of the fill starts at T0 + i*spacing).
    setSpacing(DAY / (N / 10));
    const offsetRecords = N / 10;
    const { makeRecord } = await import('./store-shared.js');
    for (let done = 0; done < offsetRecords; ) {
      const batch = [];
      for (const end = Math.min(offsetRecords, done + 1000); done < end; done++) {
        const r = makeRecord(done);
        batch.push({ op: 'finish' as const, record: { ...r, startTime: r.startTime + DAY } });
      }
      await store.write(batch);
    }
    await store.pool.query('VACUUM ANALYZE invocations');
    const query = (): LogQuery => pageQuery();
    const readers = async (until: () => boolean): Promise<number[]> => {
      const xs: number[] = [];
      await Promise.all(
        [0, 1].map(async () => {
          while (!until()) xs.push(await time(() => store.query(query())));
        }),
      );
      return xs;
    };
    const baseEnd = performance.now() + 5000;
    const base = await readers(() => performance.now() > baseEnd);
    let pruning = true;
    const during = readers(() => !pruning);
    const t0 = performance.now();
    const deleted = await store.prune(T0 + DAY);
    const took = performance.now() - t0;
    pruning = false;
    const xs = await during;
    const total = (await store.query({ ...query(), functionName: undefined })).total;
    console.log(
      `retention: pruned ${deleted} records (one day) in ${ms(took)}; ${total} left (expected ${offsetRecords}); ` +
        `first page + total, 2 readers: before p50 ${ms(pct(base, 50))} p99 ${ms(pct(base, 99))} (${base.length} reads), ` +
        `during p50 ${ms(pct(xs, 50))} p99 ${ms(pct(xs, 99))} max ${ms(Math.max(...xs))} (${xs.length} reads)`,
    );
  } finally {
    await store.close();
  }
}

const schema = REUSE ?? `scf_bench_${randomBytes(4).toString('hex')}`;
console.log(machineLine());
console.log(await admin(async (c) => (await c.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v));
try {
  if (RETENTION) await retention(schema);
  else await main(schema);
} finally {
  if (KEEP || REUSE !== undefined) console.log(`kept schema ${schema}`);
  else await admin((c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}
