/**
 * The PostgreSQL LogStore: records in a table partitioned by day, exact totals from a counts table, the
 * keyword index as a GIN over each record's tokens as a tsvector (with a lexeme naming its function),
 * and the cluster's live feed written with the records.
 * Contract: `../types.ts`; schema and its reasons: `schema.ts`; write path: `writes.ts`.
 *
 * Several nodes share one store: each writes as its `nodeId` (recorded with every record it writes), and
 * `recoverInterrupted()` marks only this node's running records interrupted (another node's are theirs to
 * recover on restart, or the cluster's once their lease expires: `src/cluster/`).
 *
 * Keyword queries are exact over running records too: final records carry their keyword text, running
 * ones (a handful, bounded by concurrency) are read and matched by the reference matcher, and both sources
 * are merged in sort order before paging.
 */
import type pg from 'pg';
import { ScfError } from '../../errors/index.js';
import { createPgPool, inTransaction, migratePg, pgError, transaction, withClient } from '../../pg/index.js';
import { matchKeyword, parseKeyword } from '../keyword.js';
import { finalOfRow, RollupDeltas } from '../rollup.js';
import { searchText } from '../search-text.js';
import type { LogPage, LogQuery, LogStore, RollupQuery, RollupRow, StoredRecord, WriteOp } from '../types.js';
import { RET_CODE } from '../types.js';
import { DAY_MS, dayOf, partitionName } from './days.js';
import { EVENT_TYPE, FEED_LOCK, feedChannel } from './feed-sql.js';
import { Partitions } from './partitions.js';
import { countSql, orderBy, recordWhere, sortKey, type Where } from './query.js';
import { addRollups, readRollups } from './rollups.js';
import { LOGSTORE_MIGRATIONS } from './schema.js';
import { functionLexeme, indexText, type KeywordSql, keywordSql } from './text.js';
import { addCounts, applyBatch, CountDeltas } from './writes.js';

export interface PostgresLogStoreOptions {
  /** A pool to use (shared with the server's other PostgreSQL parts); the store does not close it. */
  pool?: pg.Pool;
  /** Without `pool`: the database to connect to (the store makes and closes its own pool). */
  connectionString?: string;
  /** Schema of the tables (the pool's search_path must lead with it when a pool is given). */
  schema: string;
  /** This node's id, recorded with every record it writes. */
  nodeId: string;
  poolSize?: number;
  /** Keep the per-minute rollups (default true). `false` is for benchmarks that measure their cost only. */
  rollups?: boolean;
}

export const RECORD_SELECT =
  'seq, request_id, namespace, function_name, qualifier, start_time, duration, bill_duration, mem_usage, ' +
  'ret_code, invoke_finished, retry_num, ret_msg, log';

export interface RecordRow {
  seq: string;
  request_id: string;
  namespace: string;
  function_name: string;
  qualifier: string;
  start_time: string;
  duration: number;
  bill_duration: string;
  mem_usage: string;
  ret_code: number;
  invoke_finished: number;
  retry_num: number;
  ret_msg: string;
  log: string;
}

export function toRecord(r: RecordRow): StoredRecord {
  return {
    seq: Number(r.seq),
    requestId: r.request_id,
    namespace: r.namespace,
    functionName: r.function_name,
    qualifier: r.qualifier,
    startTime: Number(r.start_time),
    duration: r.duration,
    billDuration: Number(r.bill_duration),
    memUsage: Number(r.mem_usage),
    retCode: r.ret_code,
    retMsg: r.ret_msg,
    invokeFinished: r.invoke_finished,
    retryNum: r.retry_num,
    log: r.log,
  };
}

/** Session advisory lock of a prune ("scfprun"). */
const PRUNE_LOCK = '32487313097945710';

/** The bound of a prune under way, if one is (see `query.ts`). */
async function keptFrom(pool: pg.Pool): Promise<number | undefined> {
  const { rows } = await pool.query<{ k: string | null }>('SELECT kept_from AS k FROM store_state');
  const k = rows[0]?.k;
  return k === null || k === undefined ? undefined : Number(k);
}

/** Strings compare by code point (UTF-8 byte order), as the "C" collation sorts them. */
function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

interface Key {
  seq: number;
  k: number | string;
  request_id: string;
  start_time: string;
}

export class PostgresLogStore implements LogStore {
  readonly #options: PostgresLogStoreOptions;
  #pool: pg.Pool | undefined;
  #partitions: Partitions | undefined;
  #closed = false;

  constructor(options: PostgresLogStoreOptions) {
    if (!options.pool && !options.connectionString) {
      throw new ScfError('InternalError', 'PostgresLogStore needs a pool or a connection string');
    }
    this.#options = options;
  }

  get nodeId(): string {
    return this.#options.nodeId;
  }

  /** The NOTIFY channel on which each write with events wakes the feed's readers. */
  get channel(): string {
    return feedChannel(this.#options.schema);
  }

  async open(): Promise<void> {
    if (this.#closed) throw new ScfError('InternalError', 'log store is closed');
    if (this.#pool) return;
    const o = this.#options;
    const pool =
      o.pool ??
      createPgPool({ connectionString: o.connectionString!, schema: o.schema, max: o.poolSize ?? 10 });
    try {
      await migratePg(pool, o.schema, 'logstore', LOGSTORE_MIGRATIONS);
      const partitions = new Partitions(pool);
      // Today's and tomorrow's partitions exist before the first write needs them.
      const today = dayOf(Date.now());
      await partitions.ensure([today, today + 1]);
      this.#partitions = partitions;
      this.#pool = pool;
    } catch (err) {
      if (!o.pool) await pool.end().catch(() => {});
      throw pgError(err, 'opening the log store');
    }
  }

  async write(batch: readonly WriteOp[]): Promise<void> {
    const { pool, partitions } = this.#ready();
    if (batch.length === 0) return;
    const days = new Set<number>();
    for (const op of batch) if (op.op === 'begin' || op.op === 'finish') days.add(dayOf(op.record.startTime));
    const attempt = async (): Promise<void> => {
      await partitions.ensure(days);
      await inTransaction(pool, (client) =>
        applyBatch(client, batch, {
          nodeId: this.#options.nodeId,
          channel: this.channel,
          rollups: this.#options.rollups ?? true,
        }),
      );
    };
    try {
      try {
        await attempt();
      } catch (err) {
        // A day's partition this node knew of was dropped meanwhile (another node's retention): forget
        // what it knew and try once more (the batch rolled back whole).
        const code = (err as { code?: unknown }).code;
        // A deadlock or serialization failure (PostgreSQL's advice: run the transaction again). Every
        // write takes its row locks in one order, so this is a safety net, not a path (issue 11's cluster
        // test met one when a lease recovery took them in another).
        if (code === '40P01' || code === '40001') {
          await attempt();
          return;
        }
        if (code !== '42P01' && code !== '23514') throw err;
        partitions.forgetAll();
        await attempt();
      }
    } catch (err) {
      // The transaction rolled back: nothing of the batch is applied, so the caller may retry it.
      throw pgError(err, 'writing records');
    }
  }

  async recoverInterrupted(): Promise<number> {
    return this.recoverNode(this.#options.nodeId);
  }

  /**
   * Marks every running record of node `nodeId` interrupted (retCode 3, invokeFinished 0), keeping its
   * log and giving it its keyword text, adjusting the counts and writing an `end` event for each. The
   * caller makes sure that node is not running them (it is this node at start, or a dead one).
   */
  async recoverNode(nodeId: string, client?: pg.PoolClient): Promise<number> {
    const { pool } = this.#ready();
    const run = async (c: pg.PoolClient): Promise<number> => {
      const { rows } = await c.query<RecordRow & { node_id: string }>(
        `SELECT ${RECORD_SELECT} FROM invocations WHERE ret_code = ${RET_CODE.RUNNING} AND node_id = $1 FOR UPDATE`,
        [nodeId],
      );
      if (rows.length === 0) return 0;
      await c.query(
        `UPDATE invocations i SET ret_code = ${RET_CODE.INTERRUPTED}, invoke_finished = 0, search_text = u.t
           FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(request_id, start_time, t)
          WHERE i.request_id = u.request_id AND i.start_time = u.start_time`,
        [rows.map((r) => r.request_id), rows.map((r) => r.start_time), rows.map((r) => indexText(r.log))],
      );
      // Counts (each record moves from running to interrupted within its day), then rollups (each record
      // is final from now on, counted in its minute): in the lock order of every write (`writes.ts`), so a
      // recovery beside other nodes' batches cannot deadlock with them.
      const deltas = new CountDeltas();
      const rollups = new RollupDeltas();
      for (const r of rows) {
        const start = Number(r.start_time);
        deltas.add(start, r.namespace, r.function_name, r.qualifier, RET_CODE.RUNNING, -1);
        deltas.add(start, r.namespace, r.function_name, r.qualifier, RET_CODE.INTERRUPTED, 1);
        rollups.addFinal(finalOfRow(r, RET_CODE.INTERRUPTED));
      }
      await addCounts(c, deltas);
      if (this.#options.rollups ?? true) await addRollups(c, rollups.sorted());
      await c.query('SELECT pg_advisory_xact_lock($1)', [FEED_LOCK]);
      await c.query(
        `INSERT INTO invocation_events (id, type, request_id, start_time, namespace, function_name, node_id, text)
         SELECT nextval('invocation_events_id'), ${EVENT_TYPE.end}, u.r, u.s, u.ns, u.fn, $5, NULL
           FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) WITH ORDINALITY AS u(r, s, ns, fn, n)
          ORDER BY u.n`,
        [
          rows.map((r) => r.request_id),
          rows.map((r) => r.start_time),
          rows.map((r) => r.namespace),
          rows.map((r) => r.function_name),
          nodeId,
        ],
      );
      await c.query('SELECT pg_notify($1, $2)', [this.channel, '']);
      return rows.length;
    };
    try {
      return client ? await run(client) : await inTransaction(pool, run);
    } catch (err) {
      throw pgError(err, 'recovering interrupted records');
    }
  }

  async query(q: LogQuery): Promise<LogPage> {
    const { pool } = this.#ready();
    try {
      const kw = keywordSql(q.keyword);
      if (kw) return await this.#keywordQuery(pool, q, kw);
      const limit = Math.max(0, q.limit);
      const offset = Math.max(0, q.offset);
      const kept = await keptFrom(pool);
      const count = countSql(q, kept);
      const w = recordWhere(q, kept);
      const [total, page] = await Promise.all([
        pool.query<{ total: number }>(count.sql, count.params),
        limit === 0
          ? undefined
          : pool.query<RecordRow>(
              `SELECT ${RECORD_SELECT} FROM invocations WHERE ${w.sql} ORDER BY ${orderBy(q)}
                LIMIT ${limit} OFFSET ${offset}`,
              w.params,
            ),
      ]);
      return { total: total.rows[0]?.total ?? 0, items: page ? page.rows.map(toRecord) : [] };
    } catch (err) {
      throw pgError(err, 'querying records');
    }
  }

  /**
   * A keyword query: final records by their indexed keyword text, running ones through the reference
   * matcher, merged in sort order; the page's rows are read last, by key.
   */
  async #keywordQuery(pool: pg.Pool, q: LogQuery, kw: KeywordSql): Promise<LogPage> {
    const { partitions } = this.#ready();
    const limit = Math.max(0, q.limit);
    const offset = Math.max(0, q.offset);
    const want = offset + limit;
    const key = sortKey(q);
    const kept = await keptFrom(pool);
    // Final records come from two disjoint sources.
    // 1. Texts in the keyword index, found by its GIN: the terms' tokens (a one-token term is decided by
    //    it; phrases and cut tokens are rechecked by LIKE), within one function ANDed with that function's
    //    lexeme (`functionLexeme`), which then stands for the namespace and function conditions. Running
    //    records are not in it (their text is NULL).
    // 2. Texts too large for it (its expression is NULL), through their own small index and every term's
    //    LIKE. Two sources, not one OR: an OR would put the whole condition in every matched row's filter.
    // (One LIKE per term: a GIN index serves no `LIKE ALL (array)`.)
    const place =
      q.namespace !== undefined && q.functionName !== undefined
        ? functionLexeme(q.namespace, q.functionName)
        : undefined;
    const tsquery = place ? `${kw.tsquery} & ${place.lexeme}` : kw.tsquery;
    const unplaced: LogQuery = place?.exact ? { ...q, namespace: undefined, functionName: undefined } : q;
    const indexed = (params?: unknown[], day?: number): Where => {
      const w = recordWhere(unplaced, kept, params);
      if (day !== undefined) {
        w.add('start_time >= ?', day * DAY_MS);
        w.add('start_time < ?', (day + 1) * DAY_MS);
      }
      w.add('scf_index_tokens(namespace, function_name, search_text) @@ ?::tsquery', tsquery);
      for (const p of kw.recheck) w.add('search_text LIKE ?', p);
      return w;
    };
    const big = (params?: unknown[]): Where => {
      const w = recordWhere(q, kept, params);
      w.add(`ret_code <> ${RET_CODE.RUNNING}`);
      w.add('octet_length(search_text) > 262144');
      for (const p of kw.all) w.add('search_text LIKE ?', p);
      return w;
    };
    // The first `n` matches in sort order: the matches first, then their order. Left to itself the
    // planner may walk an index in the sort's order and test every row until it has a page, which for a
    // rare word is most of the table.
    const order = orderBy(q, key === 'seq' ? 'seq' : 'k');
    const first = async (sources: Where[], n: number): Promise<Key[]> => {
      const union = sources
        .map((w) => `SELECT seq, ${key} AS k, request_id, start_time FROM invocations WHERE ${w.sql}`)
        .join(' UNION ALL ');
      const { rows } = await pool.query<Key>(
        `WITH m AS MATERIALIZED (${union})
         SELECT seq::float8 AS seq, k, request_id, start_time FROM m ORDER BY ${order} LIMIT ${n}`,
        sources[0]!.params,
      );
      return rows;
    };
    // By start time, the day partitions are consecutive slices of the order: they are read one day at a
    // time, from the first in sort order, until the page is full (a first page reads the matches of the
    // latest day or two, not all of them).
    const byDay = async (): Promise<Key[]> => {
      const lo = dayOf(Math.max(q.startTimeFrom ?? Number.MIN_SAFE_INTEGER, kept ?? Number.MIN_SAFE_INTEGER));
      const hi = dayOf(q.startTimeTo ?? Number.MAX_SAFE_INTEGER);
      const days = (await partitions.list(pool)).filter((d) => d >= lo && d <= hi);
      if (q.order !== 'asc') days.reverse();
      const large = first([big()], want);
      const out: Key[] = [];
      for (const day of days) {
        if (out.length >= want) break;
        out.push(...(await first([indexed(undefined, day)], want - out.length)));
      }
      return [...(await large), ...out];
    };
    const runningWhere = recordWhere(q, kept);
    runningWhere.add(`ret_code = ${RET_CODE.RUNNING}`);
    const count = indexed();
    const [counted, top, running] = await Promise.all([
      pool.query<{ total: number }>(
        `SELECT ((SELECT count(*) FROM invocations WHERE ${count.sql})
               + (SELECT count(*) FROM invocations WHERE ${big(count.params).sql}))::float8 AS total`,
        count.params,
      ),
      want === 0
        ? undefined
        : key === 'start_time'
          ? byDay()
          : first(((w) => [w, big(w.params)])(indexed()), want),
      pool.query<Key & { log: string }>(
        `SELECT seq::float8 AS seq, ${key} AS k, request_id, start_time, log FROM invocations WHERE ${runningWhere.sql}`,
        runningWhere.params,
      ),
    ]);
    const terms = parseKeyword(q.keyword ?? '');
    const live = running.rows.filter((r) => matchKeyword(searchText(r.log), terms));
    const total = (counted.rows[0]?.total ?? 0) + live.length;
    const dir = q.order === 'asc' ? 1 : -1;
    const numeric = key !== 'function_name' && key !== 'request_id';
    const cmp = (a: Key, b: Key): number => {
      const byKey = numeric ? Number(a.k) - Number(b.k) : compareCodePoints(String(a.k), String(b.k));
      return dir * (byKey || a.seq - b.seq);
    };
    const keys = [...(top ?? []), ...live].sort(cmp).slice(offset, offset + limit);
    if (keys.length === 0) return { total, items: [] };
    const { rows } = await pool.query<RecordRow>(
      `SELECT ${RECORD_SELECT} FROM invocations
        WHERE (request_id, start_time) IN (SELECT * FROM unnest($1::text[], $2::bigint[]))`,
      [keys.map((k) => k.request_id), keys.map((k) => k.start_time)],
    );
    const bySeq = new Map(rows.map((r) => [Number(r.seq), r]));
    const items: StoredRecord[] = [];
    for (const k of keys) {
      const r = bySeq.get(k.seq);
      if (r) items.push(toRecord(r));
    }
    return { total, items };
  }

  async get(requestId: string): Promise<StoredRecord | undefined> {
    const { pool } = this.#ready();
    try {
      const { rows } = await pool.query<RecordRow>(
        `SELECT ${RECORD_SELECT} FROM invocations
          WHERE request_id = $1 AND start_time >= coalesce((SELECT kept_from FROM store_state), $2)`,
        [requestId, Number.MIN_SAFE_INTEGER],
      );
      return rows[0] ? toRecord(rows[0]) : undefined;
    } catch (err) {
      throw pgError(err, 'reading a record');
    }
  }

  async rollups(q: RollupQuery): Promise<RollupRow[]> {
    const { pool } = this.#ready();
    try {
      return await readRollups(pool, q);
    } catch (err) {
      throw pgError(err, 'reading rollups');
    }
  }

  /**
   * Retention: every day before `before` goes, a whole partition at a time. First one transaction moves
   * `kept_from` and deletes those days' counts (from then on every read excludes them, so totals stay
   * exact); then each partition is detached CONCURRENTLY (no lock that blocks reads or writes of the
   * others) and dropped; last, `kept_from` is reset so a record later written to an old day is seen.
   */
  async prune(before: number): Promise<number> {
    const { pool, partitions } = this.#ready();
    const lastDay = dayOf(before) - 1;
    // One connection for the whole prune, holding a session advisory lock: every node runs retention,
    // and one prune at a time is enough (another node's attempt meanwhile finds the lock taken and
    // leaves the work to the one under way).
    try {
      return await withClient(pool, async (client, conn) => {
        const { rows: got } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
          PRUNE_LOCK,
        ]);
        if (got[0]?.ok !== true) return 0;
        try {
          // Rollup rows before the cutoff go whatever the partitions: a throttle-only minute has no record.
          await client.query('DELETE FROM invocation_rollups WHERE minute < $1', [before]);
          const days = (await partitions.list(client)).filter((d) => d <= lastDay);
          if (days.length === 0) return 0;
          const pruned = await transaction(client, conn, async () => {
            await client.query('UPDATE store_state SET kept_from = $1', [(lastDay + 1) * DAY_MS]);
            const { rows } = await client.query<{ n: number }>(
              'SELECT COALESCE(sum(n), 0)::float8 AS n FROM invocation_counts WHERE day <= $1',
              [lastDay],
            );
            await client.query('DELETE FROM invocation_counts WHERE day <= $1', [lastDay]);
            await client.query('DELETE FROM invocation_rollups WHERE minute < $1', [before]);
            return rows[0]?.n ?? 0;
          });
          // Outside any transaction: DETACH ... CONCURRENTLY cannot run in one.
          for (const day of days) {
            const name = partitionName(day);
            await client.query(`ALTER TABLE invocations DETACH PARTITION ${name} CONCURRENTLY`);
            await client.query(`DROP TABLE ${name}`);
            partitions.forget(day);
          }
          await client.query('UPDATE store_state SET kept_from = NULL');
          return pruned;
        } finally {
          if (!conn.broken()) {
            await client
              .query('SELECT pg_advisory_unlock($1)', [PRUNE_LOCK])
              .catch((e: Error) => conn.fail(e));
          }
        }
      });
    } catch (err) {
      throw pgError(err, 'pruning records');
    }
  }

  /**
   * Deletes the live feed's events older than `keepMs` (they were read by every node's feed long ago;
   * a follower further behind catches up through the query API). Returns how many went.
   */
  async trimEvents(keepMs: number): Promise<number> {
    const { pool } = this.#ready();
    try {
      // The cutoff id is found by walking the oldest events up to the first recent one: work in
      // proportion to what is deleted, with no index on created_at to keep up on every insert.
      const { rowCount } = await pool.query(
        `DELETE FROM invocation_events WHERE id < (
           SELECT coalesce(
             (SELECT id FROM invocation_events WHERE created_at >= now() - make_interval(secs => $1)
               ORDER BY id LIMIT 1),
             (SELECT max(id) + 1 FROM invocation_events)))`,
        [keepMs / 1000],
      );
      return rowCount ?? 0;
    } catch (err) {
      throw pgError(err, 'trimming the event feed');
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool && !this.#options.pool) await pool.end();
  }

  /** The pool, for the cluster parts that read the same tables (the feed, recovery of dead nodes). */
  get pool(): pg.Pool {
    return this.#ready().pool;
  }

  #ready(): { pool: pg.Pool; partitions: Partitions } {
    if (!this.#pool || !this.#partitions) {
      throw new ScfError('InternalError', this.#closed ? 'log store is closed' : 'log store is not open');
    }
    return { pool: this.#pool, partitions: this.#partitions };
  }
}
