/**
 * Near-real-time full-text indexing of the SQLite store: queued records are found by keyword before the
 * indexer gets to them; `whenIndexed()` empties the queue without changing any result; a queue left by
 * `close()` survives and drains after reopening; a killed indexer thread is reported and restarted; and
 * keyword + functionName queries agree with the model whatever is indexed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { ScfError } from '../../../src/errors/index.js';
import {
  type InvocationRecord,
  type LogQuery,
  SqliteLogStore,
  type StoredRecord,
  type WriteOp,
} from '../../../src/store/index.js';
import { LogModel } from '../../helpers/model.js';
import { sqliteStores } from '../../helpers/sqlite-store.js';

const { dbPath, openStore } = sqliteStores('scf-local-fts-');

let n = 0;
const FUNCTIONS = ['fa', 'fb', 'fc'];
const WORDS = ['otter', 'heron', 'lynx', 'ibis', 'marten', 'stoat'];

function rec(over: Partial<InvocationRecord> = {}): InvocationRecord {
  n++;
  const id = `req-${String(n).padStart(6, '0')}`;
  return {
    requestId: id,
    namespace: 'default',
    functionName: FUNCTIONS[n % FUNCTIONS.length]!,
    qualifier: '$LATEST',
    startTime: 1_700_000_000_000 + (n % 7),
    duration: n % 5,
    billDuration: 100,
    memUsage: 1000 + (n % 3),
    retCode: n % 10 === 0 ? 430 : 0,
    retMsg: '"ok"',
    invokeFinished: 1,
    retryNum: 0,
    log:
      `START RequestId: ${id}\n2024-01-01T00:00:00.000Z\t${id}\t` +
      `${WORDS[n % WORDS.length]} ${WORDS[(n * 7) % WORDS.length]} n${n}\nEND RequestId: ${id}\n`,
    ...over,
  };
}

const finishAll = (rs: InvocationRecord[]): WriteOp[] => rs.map((record) => ({ op: 'finish', record }));
const q = (over: Partial<LogQuery>): LogQuery => ({
  orderBy: 'startTime',
  order: 'desc',
  offset: 0,
  limit: 1000,
  ...over,
});
const ids = (items: StoredRecord[]) => items.map((r) => r.requestId);

/** The FTS table's own answer (indexed records only), through a separate connection. */
function ftsHits(path: string, word: string): number[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare('SELECT rowid FROM invocations_fts WHERE invocations_fts MATCH ? ORDER BY rowid')
      .pluck()
      .all(word) as number[];
  } finally {
    db.close();
  }
}

function queueSize(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT COUNT(*) FROM fts_queue').pluck().get() as number;
  } finally {
    db.close();
  }
}

/** Every keyword x functionName x order query compared with the model. */
async function assertMatchesModel(store: SqliteLogStore, model: LogModel, label: string): Promise<void> {
  for (const keyword of [...WORDS, 'ott*', 'otter heron', 'n1*', 'nothing']) {
    for (const functionName of [undefined, ...FUNCTIONS]) {
      for (const orderBy of ['startTime', 'duration', 'functionName', 'requestId'] as const) {
        for (const [offset, limit] of [
          [0, 1000],
          [2, 3],
        ] as const) {
          const query = q({ keyword, functionName, orderBy, offset, limit });
          const got = await store.query(query);
          const want = model.query(query);
          const what = `${label}: ${JSON.stringify(query)}`;
          assert.equal(got.total, want.total, what);
          assert.deepEqual(ids(got.items), ids(want.items), what);
        }
      }
    }
  }
}

describe('SQLite store: near-real-time full-text indexing', () => {
  it('queued, not yet indexed records are found by keyword; whenIndexed() changes no result', async (t) => {
    const store = await openStore(t, { path: dbPath(), ftsIndexing: 'inline' });
    const model = new LogModel();
    const batch = finishAll(Array.from({ length: 60 }, () => rec()));
    await store.write(batch);
    model.write(batch);
    // Inline indexing runs on a later setImmediate: right after the write, everything is still queued.
    assert.equal(store.indexLag(), 60);
    await assertMatchesModel(store, model, 'queued');
    await store.whenIndexed();
    assert.equal(store.indexLag(), 0);
    await assertMatchesModel(store, model, 'indexed');
  });

  it('replacing or extending an indexed record re-indexes it, exact before and after', async (t) => {
    const path = dbPath();
    const store = await openStore(t, { path });
    const model = new LogModel();
    const rs = Array.from({ length: 30 }, () => rec());
    const apply = async (b: WriteOp[]) => {
      await store.write(b);
      model.write(b);
    };
    await apply(finishAll(rs));
    await store.whenIndexed();
    const [a, b, c] = rs as [InvocationRecord, InvocationRecord, InvocationRecord];
    await apply([
      { op: 'finish', record: { ...a, log: 'replaced by wombat\n' } },
      { op: 'appendLog', requestId: b.requestId, text: 'late wombat otter\n' },
      // A final record begun again is running: out of the index until its finish.
      { op: 'begin', record: { ...c, log: 'again wombat\n', retCode: 2, invokeFinished: 0 } },
    ]);
    await assertMatchesModel(store, model, 'replaced, queued');
    assert.equal((await store.query(q({ keyword: 'wombat' }))).total, 3);
    await store.whenIndexed();
    await assertMatchesModel(store, model, 'replaced, indexed');
    // The stale entries are gone from the FTS table itself, the running record has none.
    const seqOf = async (r: InvocationRecord) => (await store.get(r.requestId))!.seq;
    assert.deepEqual(ftsHits(path, 'wombat'), [await seqOf(a), await seqOf(b)]);
    await apply([{ op: 'finish', record: { ...c, log: 'done wombat\n' } }]);
    await store.whenIndexed();
    assert.equal(ftsHits(path, 'wombat').length, 3);
    await assertMatchesModel(store, model, 'finished again, indexed');
  });

  it('every commit is indexed promptly, also one made just as the indexer goes idle (no lost wake-up)', async (t) => {
    // The indexer thread is woken only when it was idle (a commit while it has work scheduled posts
    // nothing, and the thread looks at the queue once more as it goes idle). A lost wake-up would leave a
    // record queued until the thread's 1 s poll. Writes here follow each drain at once or a few ms later,
    // around the moments the thread finishes; the narrowest window (a commit between the thread's last,
    // empty read of the queue and its going idle) is microseconds wide and not forced.
    const path = dbPath();
    const store = await openStore(t, { path });
    const probe = new Database(path, { readonly: true });
    t.after(() => probe.close());
    const pending = probe.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM fts_queue');
    const waits: number[] = [];
    for (let i = 0; i < 60; i++) {
      if (i % 3 > 0) await new Promise((r) => setTimeout(r, i % 7));
      await store.write(finishAll([rec()]));
      const t0 = performance.now();
      while ((pending.get()?.n ?? 0) > 0) {
        if (performance.now() - t0 > 3000) break;
        await new Promise((r) => setImmediate(r));
      }
      waits.push(performance.now() - t0);
    }
    const worst = Math.max(...waits);
    assert.ok(
      worst < 700,
      `the slowest record waited ${worst.toFixed(0)} ms to be indexed (the poll is 1 s)`,
    );
  });

  it('close() leaves the queue; it drains after reopening, nothing lost', async (t) => {
    const path = dbPath();
    const model = new LogModel();
    const first = new SqliteLogStore({ path, ftsIndexing: 'inline' });
    await first.open();
    const batch = finishAll(Array.from({ length: 500 }, () => rec()));
    await first.write(batch);
    model.write(batch);
    // Closed before the deferred indexing step ran.
    await first.close();
    assert.equal(queueSize(path), 500);
    assert.equal(ftsHits(path, 'otter').length, 0);

    const store = await openStore(t, { path }); // worker mode: the thread drains the leftovers
    await assertMatchesModel(store, model, 'reopened, queued');
    await store.whenIndexed();
    assert.equal(store.indexLag(), 0);
    assert.equal(queueSize(path), 0);
    assert.equal(ftsHits(path, 'otter').length, model.query(q({ keyword: 'otter' })).total);
    await assertMatchesModel(store, model, 'reopened, indexed');
  });

  it('a killed indexer thread is reported and restarted, and the queue drains', async (t) => {
    const path = dbPath();
    const errors: ScfError[] = [];
    const store = await openStore(t, { path, onIndexerError: (err) => errors.push(err) });
    const model = new LogModel();
    const warm = finishAll([rec()]);
    await store.write(warm);
    model.write(warm);
    await store.whenIndexed(); // the thread is up and working
    const first = store.indexerThread;
    assert.ok(first, 'worker mode runs an indexer thread');
    const batch = finishAll(Array.from({ length: 2000 }, () => rec()));
    await store.write(batch);
    model.write(batch);
    await first.terminate();
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'InternalError');
    const more = finishAll(Array.from({ length: 100 }, () => rec()));
    await store.write(more);
    model.write(more);
    await store.whenIndexed();
    assert.notEqual(store.indexerThread, first, 'a new thread took over');
    assert.equal(store.indexLag(), 0);
    assert.equal(ftsHits(path, 'heron').length, model.query(q({ keyword: 'heron' })).total);
    await assertMatchesModel(store, model, 'after restart');
  });

  it('close() is idempotent and stops the indexer thread; whenIndexed() callers are released', async (t) => {
    const store = await openStore(t, { path: dbPath() });
    const thread = store.indexerThread!;
    const exited = new Promise((resolve) => thread.once('exit', resolve));
    await store.write(finishAll(Array.from({ length: 3000 }, () => rec())));
    const waiting = store.whenIndexed();
    await Promise.all([store.close(), store.close()]);
    await exited;
    await waiting;
    assert.throws(() => store.indexLag());
  });

  it(':memory: indexes inline', async (t) => {
    const store = await openStore(t, { path: ':memory:' });
    assert.equal(store.indexerThread, undefined);
    const r = rec({ log: 'quokka\n' });
    await store.write(finishAll([r]));
    assert.deepEqual(ids((await store.query(q({ keyword: 'quokka' }))).items), [r.requestId]);
    await store.whenIndexed();
    assert.equal(store.indexLag(), 0);
    assert.deepEqual(ids((await store.query(q({ keyword: 'quokka' }))).items), [r.requestId]);
  });
});
