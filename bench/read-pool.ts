/**
 * What the SQLite store's reader threads cost and give, in process (issue 15; the HTTP figures are
 * `api-v2.ts`'s): the same file read with `readers: 0` (every read on the event loop) and with reader
 * threads, side by side.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/read-pool.js [records] [--readers=N] [--seconds=3]
 *
 * Per mode: a `get` of a request id (the round trip alone), the first page of a function with its total
 * (GetFunctionLogs' default), 16 concurrent callers looping over every order x orderBy x retCode with a
 * function, and the event loop's delay (`monitorEventLoopDelay`, 1 ms resolution) while they run and one
 * more caller loops all-function sorts by duration. Also: what structured-cloning a page costs (the
 * price of a thread hop, paid on both sides), as objects and as the flat array the readers send.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { SqliteLogStore } from '../src/store/index.js';
import { decodePage, encodePage } from '../src/store/sqlite/read-protocol.js';
import type { LogQuery, Order, OrderBy, RetCodeFilter } from '../src/store/types.js';
import { fill, machineLine, ms, pageQuery, pct, time } from './store-shared.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const N = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
const readersOpt = opt('readers');
const seconds = Number(opt('seconds') ?? 3);

const ORDER_BYS: OrderBy[] = ['startTime', 'functionName', 'requestId', 'duration', 'memUsage'];
const ORDERS: Order[] = ['desc', 'asc'];
const FILTERS: (RetCodeFilter | undefined)[] = [undefined, 'is0', 'not0', 'TimeLimitExceeded'];
const combos: Partial<LogQuery>[] = [];
for (const orderBy of ORDER_BYS)
  for (const order of ORDERS)
    for (const retCode of FILTERS) combos.push(retCode ? { orderBy, order, retCode } : { orderBy, order });

console.log(machineLine());
const dir = mkdtempSync(join(os.tmpdir(), 'scf-bench-readpool-'));
const path = join(dir, 'scf-local.db');
try {
  const seed = new SqliteLogStore({ path, readers: 0 });
  await seed.open();
  const filled = await fill(seed, N);
  await seed.whenIndexed();
  const ids = (await seed.query(pageQuery({ limit: 100 }))).items.map((r) => r.requestId);
  await seed.close();
  console.log(`filled ${N.toLocaleString('en')} records (${Math.round(filled.write)} records/s in write)`);

  const modes = [
    { name: 'inline (readers: 0)', readers: 0 },
    { name: 'reader threads', readers: readersOpt === undefined ? undefined : Number(readersOpt) },
  ];
  for (const mode of modes) {
    const store = new SqliteLogStore({
      path,
      ...(mode.readers === undefined ? {} : { readers: mode.readers }),
    });
    await store.open();
    const threads = await store.whenReadersReady();
    for (let i = 0; i < 50; i++) await store.query(pageQuery({}));
    const gets: number[] = [];
    for (let i = 0; i < 2000; i++) gets.push(await time(() => store.get(ids[i % ids.length]!)));
    const first: number[] = [];
    for (let i = 0; i < 1000; i++) first.push(await time(() => store.query(pageQuery({}))));

    const loop = monitorEventLoopDelay({ resolution: 1 });
    const run = async (sorts: boolean) => {
      loop.reset();
      loop.enable();
      const deadline = performance.now() + seconds * 1000;
      let done = 0;
      let sorted = 0;
      const callers = Array.from({ length: 16 }, async (_, w) => {
        for (let i = w; performance.now() < deadline; i++) {
          await store.query(pageQuery(combos[i % combos.length]));
          done++;
          // The next request arrives through I/O, as a server's does: the loop turns (and timers fire).
          await new Promise((resolve) => setImmediate(resolve));
        }
      });
      if (sorts) {
        callers.push(
          (async () => {
            for (let i = 0; performance.now() < deadline; i++) {
              const q = pageQuery({ orderBy: 'duration', order: i % 2 ? 'asc' : 'desc' });
              delete q.functionName;
              await store.query(q);
              sorted++;
              await new Promise((resolve) => setImmediate(resolve));
            }
          })(),
        );
      }
      const t0 = performance.now();
      await Promise.all(callers);
      loop.disable();
      const rate = done / ((performance.now() - t0) / 1000);
      return `${Math.round(rate)}/s, loop delay p99 ${ms(loop.percentile(99) / 1e6)}, max ${ms(loop.max / 1e6)}${
        sorts ? `, ${sorted} all-function duration sorts` : ''
      }`;
    };
    const alone = await run(false);
    const withSorts = await run(true);
    console.log(
      `${mode.name}, ${threads} thread(s): get p50 ${ms(pct(gets, 50))}, first page + total p50 ${ms(pct(first, 50))} ` +
        `(p99 ${ms(pct(first, 99))}); 16 callers over ${combos.length} combinations: ${alone}; with sorts: ${withSorts}`,
    );
    await store.close();
  }

  // The thread hop's copy: a page of 20 (and 100) records, cloned through a MessagePort.
  const store = new SqliteLogStore({ path, readers: 0 });
  await store.open();
  for (const limit of [20, 100]) {
    const page = await store.query(pageQuery({ functionName: undefined, limit }));
    const { port1, port2 } = new MessageChannel();
    const n = 2000;
    /** Posting `make()`'s value n times, then receiving (and `read`ing) them: us per message, each side. */
    const cost = (make: () => unknown, read: (v: unknown) => unknown) => {
      let t = performance.now();
      for (let i = 0; i < n; i++) port1.postMessage(make());
      const post = ((performance.now() - t) / n) * 1000;
      t = performance.now();
      for (let i = 0; i < n; i++) read(receiveMessageOnPort(port2)?.message);
      return `post ${post.toFixed(1)} us, receive ${(((performance.now() - t) / n) * 1000).toFixed(1)} us`;
    };
    const objects = cost(
      () => page,
      (v) => v,
    );
    const flat = cost(
      () => encodePage(page),
      (v) => decodePage(v as unknown[]),
    );
    port1.close();
    console.log(
      `a page of ${page.items.length} records (${JSON.stringify(page).length.toLocaleString('en')} bytes as JSON) through a MessagePort: ` +
        `as objects ${objects}; as a flat array (what the readers send; encoding and decoding included) ${flat}`,
    );
  }
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
