/**
 * A store written before the rollups existed gets them when it migrates: the migration builds the rows
 * from the final records it holds (running ones left out), on SQLite (schema version 2) and PostgreSQL
 * (log store version 3). The database is taken back to the version before by dropping what the
 * migration adds.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresLogStore } from '../../../src/store/postgres/index.js';
import { sumByPeriod } from '../../../src/store/rollup.js';
import { searchText } from '../../../src/store/search-text.js';
import { SqliteLogStore } from '../../../src/store/sqlite/index.js';
import type { InvocationRecord, LogStore, RollupRow } from '../../../src/store/types.js';
import { freshSchema, PG_URL } from '../../helpers/pg.js';
import { tempDir } from '../../helpers/tmp.js';

const T0 = Date.UTC(2024, 2, 3, 4, 5, 0);

function records(): InvocationRecord[] {
  return [0, 430, 433, 434, 439, 0].map((retCode, i) => ({
    requestId: `m-${i}`,
    namespace: 'default',
    functionName: 'f',
    qualifier: i === 5 ? '1' : '$LATEST',
    startTime: T0 + i * 25_000,
    duration: 2 + i * 10,
    billDuration: 100,
    memUsage: (4 + i) * 1048576,
    retCode,
    retMsg: '',
    invokeFinished: 1,
    retryNum: 0,
    log: '',
  }));
}

const summary = (rows: RollupRow[]) =>
  rows.map((r) => ({
    q: r.qualifier,
    minute: r.minute,
    n: r.invocations,
    kinds: [r.success, r.functionErrors, r.timeouts, r.memoryErrors, r.platformErrors],
    durationSum: r.durationSum,
    durationMax: r.durationMax,
    memMax: r.memMax,
    histogram: Object.fromEntries(Object.entries(r.histogram).map(([k, n]) => [k, Number(n)])),
  }));

async function writeAndRead(store: LogStore): Promise<ReturnType<typeof summary>> {
  await store.open();
  const rs = records();
  await store.write(rs.map((record) => ({ op: 'finish', record })));
  // A running record is not counted, before or after the migration.
  await store.write([
    {
      op: 'begin',
      record: { ...rs[0]!, requestId: 'm-running', retCode: 2, invokeFinished: 0 },
    },
  ]);
  const rows = summary(await store.rollups({ namespace: 'default', functionName: 'f', from: 0, to: T0 * 2 }));
  await store.close();
  assert.equal(
    rows.reduce((s, r) => s + r.n, 0),
    rs.length,
  );
  return rows;
}

/** Takes `fts_queue` back to before schema version 3, and drops the hourly rollups (version 5). */
function dropQueueCounts(db: Database.Database): void {
  for (const c of ['uncounted', 'concurrency', 'fn_concurrency'])
    db.exec(`ALTER TABLE fts_queue DROP COLUMN ${c}`);
  db.exec('DROP TABLE invocation_rollups_hourly');
}

describe('rollups built by the migration from the records present', () => {
  it('SQLite (schema version 1 -> 2)', async (t) => {
    const path = join(tempDir(t), 'm.db');
    const want = await writeAndRead(new SqliteLogStore({ path, ftsIndexing: 'inline' }));
    const db = new Database(path);
    db.exec('DROP TABLE invocation_rollups');
    dropQueueCounts(db);
    db.pragma('user_version = 1');
    db.close();
    const store = new SqliteLogStore({ path, ftsIndexing: 'inline' });
    await store.open();
    t.after(() => store.close());
    const minutes = await store.rollups({ namespace: 'default', functionName: 'f', from: 0, to: T0 * 2 });
    assert.deepEqual(summary(minutes), want);
    // The hourly rows (schema version 5) built from them: an hourly read gives the minutes' sum.
    const hour = { ms: 3_600_000, offsetMs: 0 };
    const q = {
      namespace: 'default',
      functionName: 'f',
      from: T0 - (T0 % hour.ms),
      to: T0 - (T0 % hour.ms) + 3 * hour.ms,
    };
    const hourly = await store.rollups({ ...q, period: hour });
    assert.equal(
      hourly.reduce((n, r) => n + r.invocations, 0),
      6,
    );
    assert.deepEqual(summary(hourly), summary(sumByPeriod(minutes, { ...q, period: hour })));
  });

  it('SQLite (schema version 2 -> 3): records queued by version 2, counted already, are not counted again', async (t) => {
    const path = join(tempDir(t), 'm.db');
    const want = await writeAndRead(new SqliteLogStore({ path, ftsIndexing: 'inline' }));
    const indexed = new SqliteLogStore({ path, ftsIndexing: 'inline' });
    await indexed.open();
    await indexed.whenIndexed();
    await indexed.close();
    const db = new Database(path);
    // Version 2 counted a record in its write transaction and queued it for the full-text index: put
    // every final record back in the queue as such (its FTS entry taken out, as the queue's invariant
    // wants for a NULL indexed_text), then take the schema back to version 2.
    const finals = db
      .prepare<[], { seq: number; log: string }>('SELECT seq, log FROM invocations WHERE ret_code <> 2')
      .all();
    assert.ok(finals.length >= 6);
    db.exec('DELETE FROM fts_queue');
    for (const r of finals) {
      db.prepare(`INSERT INTO invocations_fts (invocations_fts, rowid, text) VALUES ('delete', ?, ?)`).run(
        r.seq,
        searchText(r.log),
      );
      db.prepare('INSERT INTO fts_queue (seq, indexed_text) VALUES (?, NULL)').run(r.seq);
    }
    dropQueueCounts(db);
    db.pragma('user_version = 2');
    db.close();
    const store = new SqliteLogStore({ path, ftsIndexing: 'inline' });
    await store.open();
    t.after(() => store.close());
    const read = async () =>
      summary(await store.rollups({ namespace: 'default', functionName: 'f', from: 0, to: T0 * 2 }));
    assert.deepEqual(await read(), want);
    // And once the indexer has taken them (counting none of them again).
    await store.whenIndexed();
    assert.equal(store.indexLag(), 0);
    assert.deepEqual(await read(), want);
  });

  it('PostgreSQL (log store version 2 -> 3)', async (t) => {
    const schema = freshSchema(t);
    const make = () => new PostgresLogStore({ connectionString: PG_URL, schema, nodeId: 'n', poolSize: 2 });
    const want = await writeAndRead(make());
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      await c.query(`SET search_path TO "${schema}"`);
      await c.query('DROP TABLE invocation_rollups');
      await c.query('DROP FUNCTION scf_hist_add(jsonb, jsonb)');
      await c.query("DELETE FROM scf_migrations WHERE component = 'logstore' AND version = 3");
    } finally {
      await c.end();
    }
    const store = make();
    await store.open();
    t.after(() => store.close());
    const got = summary(
      await store.rollups({ namespace: 'default', functionName: 'f', from: 0, to: T0 * 2 }),
    );
    // Sums computed by PostgreSQL may differ from JavaScript's in the last bits.
    for (const r of [...got, ...want]) r.durationSum = Math.round(r.durationSum * 1e9) / 1e9;
    assert.deepEqual(got, want);
  });
});
