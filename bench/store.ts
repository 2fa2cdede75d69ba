/**
 * Store benchmark: ingest rate of the SQLite LogStore while filling it with N records (default 1,000,000)
 * across 100 functions, then GetFunctionLogs-shaped query latencies on the filled store.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/store.js [records] [--keep] [--no-lifecycle]
 *
 * The fill IS the ingest measurement: `LogStore.write` in batches of 1000 `finish` ops (what a
 * RecordWriter commits under load), records with UUIDv7 request ids (as the Invoker makes them) and
 * SCF-format logs of ~300 bytes: START, user lines (one, two on errors) prefixed `<ISO time>\t<requestId>\t`, an ERROR line
 * for platform errors, END, Report. 95 % success, 5 % errors spread over 430/433/434/439; one word
 * ("quasar") appears in 0.1 % of logs, another ("retrying") in 10 %, and each log has one unique number.
 * A second, smaller store measures the begin + appendLog + finish lifecycle through a RecordWriter.
 *
 * Full-text indexing runs in the store's indexer thread, concurrently with the fill (near-real-time), so
 * it is measured on its own: the backlog left at the end of the fill, the time from the end of the fill
 * until the queue is empty, and the indexer's rate over the whole run. A keyword query is also timed
 * while that backlog is pending. Every other query runs after the indexer has caught up.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { type LogQuery, RecordWriter, SqliteLogStore } from '../src/store/index.js';
import { BATCH, fill, fn, machineLine, makeRecord, ms, NEEDLE, queryFigures, time } from './store-shared.js';

const args = process.argv.slice(2);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const KEEP = args.includes('--keep');
const LIFECYCLE = !args.includes('--no-lifecycle');

/** begin + appendLog + finish per record through a RecordWriter (the Invoker's path). */
async function lifecycle(store: SqliteLogStore, count: number) {
  const writer = new RecordWriter(store, { batchMaxSize: BATCH });
  const t0 = performance.now();
  const CHUNK = 10 * BATCH;
  for (let done = 0; done < count; done += CHUNK) {
    const waits: Promise<void>[] = [];
    for (let i = done; i < Math.min(count, done + CHUNK); i++) {
      const rec = makeRecord(i);
      const { duration: _d, billDuration: _b, memUsage: _m, retMsg: _r, ...begin } = rec;
      waits.push(writer.begin({ ...begin, retCode: 2, invokeFinished: 0, log: '' }));
      writer.appendLog(rec.requestId, rec.log);
      waits.push(writer.finish(rec));
    }
    // Bounded backlog, as an invoker would have: wait for this chunk to commit.
    await Promise.all(waits);
  }
  await writer.close();
  return count / ((performance.now() - t0) / 1000);
}

async function main() {
  console.log(machineLine());
  const dir = mkdtempSync(join(os.tmpdir(), 'scf-bench-store-'));
  try {
    // 1. Ingest: the fill.
    const path = join(dir, 'scf-local.db');
    const store = new SqliteLogStore({ path });
    await store.open();
    const fillStart = performance.now();
    const rate = await fill(store, N);
    const fillEnd = performance.now();
    const backlog = store.indexLag();
    console.log(
      `ingest (fill), finish-only batches of ${BATCH} via LogStore.write, ${N} records: ` +
        `${Math.round(rate.write)} records/s in write (${Math.round(rate.wall)}/s wall, with record generation); ` +
        `by tenths: ${rate.tenths.map((x) => Math.round(x / 1000)).join(' ')} k/s`,
    );
    // Keyword queries while the backlog is pending: the queued records go through the reference matcher.
    const pendingQ = (functionName?: string): LogQuery => ({
      namespace: 'default',
      ...(functionName === undefined ? {} : { functionName }),
      keyword: NEEDLE,
      orderBy: 'startTime',
      order: 'desc',
      offset: 0,
      limit: 20,
    });
    const lagBefore = store.indexLag();
    const tPendScoped = await time(() => store.query(pendingQ(fn(7))));
    const tPendAll = await time(() => store.query(pendingQ()));
    console.log(
      `keyword "${NEEDLE}" with ~${lagBefore} records pending indexing: one function ${ms(tPendScoped)}, ` +
        `whole namespace ${ms(tPendAll)} (one run each)`,
    );
    await store.whenIndexed();
    const indexedAt = performance.now();
    console.log(
      `full-text indexer (worker thread): ${backlog} records queued at the end of the fill ` +
        `(${Math.round((100 * backlog) / N)} %); caught up ${((indexedAt - fillEnd) / 1000).toFixed(1)} s after ` +
        `the fill ended (${Math.round(backlog / ((indexedAt - fillEnd) / 1000))} records/s while catching up); ` +
        `${Math.round(N / ((indexedAt - fillStart) / 1000))} records/s over fill + catch-up`,
    );
    await store.close();
    const mib = (p: string) => (statSync(p, { throwIfNoEntry: false })?.size ?? 0) / 2 ** 20;
    console.log(`db ${mib(path).toFixed(0)} MiB, WAL ${mib(`${path}-wal`).toFixed(0)} MiB`);

    if (LIFECYCLE) {
      const small = Math.min(N, 100_000);
      const scratch = new SqliteLogStore({ path: join(dir, 'lifecycle.db') });
      await scratch.open();
      const lc = await lifecycle(scratch, small);
      await scratch.close();
      console.log(
        `ingest, begin+appendLog+finish per record via RecordWriter, ${small} records: ${Math.round(lc)} records/s`,
      );
    }

    // Reopen, as a server would after ingest, so planner statistics are in place.
    const db = new SqliteLogStore({ path });
    await db.open();
    await db.whenIndexed(); // nothing queued: the fill's store caught up before closing

    await queryFigures(db, N);
    await db.close();
    console.log(
      `load average at the end: ${os
        .loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  } finally {
    if (KEEP) console.log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

await main();
