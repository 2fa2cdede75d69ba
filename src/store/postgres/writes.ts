/**
 * The PostgreSQL store's write path: one batch of write operations as one transaction of a few
 * set-based statements, whatever the batch's size.
 *
 * 1. The batch's request ids are looked up (and locked) in one query: which records exist, with the key
 *    fields the counts need.
 * 2. The operations are applied in order in memory, giving each record's net state: a new or replaced
 *    record (begin/finish), or text appended to a stored one. Seqs for new records are drawn from the
 *    sequence in the order they were first written.
 * 3. One multi-row INSERT (unnest of column arrays) for new records, one UPDATE for replaced ones, one for
 *    appends to running records; appends to final records (rare: a log line that arrived after the end)
 *    read the stored log to recompute its keyword text.
 * 4. The counts' net deltas, in one upsert in key order (so two nodes' batches lock count rows in the
 *    same order and cannot deadlock).
 * 5. The events (start, log, end) for the live feed, in operation order, after the feed's advisory lock,
 *    then NOTIFY; the lock is held only until the commit that follows.
 */
import type pg from 'pg';
import { NoRollups, RollupDeltas, type StartConcurrency } from '../rollup.js';
import { runningRecord } from '../sql-shape.js';
import type { InvocationRecord, WriteOp } from '../types.js';
import { RET_CODE } from '../types.js';
import { dayOf, partitionName } from './days.js';
import { EVENT_TYPE, FEED_LOCK } from './feed-sql.js';
import { addRollups } from './rollups.js';
import { indexText, pgText } from './text.js';

/** A stored record's key fields, as the lookup returns them. */
interface Existing {
  seq: string;
  request_id: string;
  start_time: string;
  namespace: string;
  function_name: string;
  qualifier: string;
  ret_code: number;
}

interface State {
  existing: Existing | undefined;
  /** The record's new full state, when the batch began or finished it. */
  record: InvocationRecord | undefined;
  /** Text appended to the stored log (only while `record` is undefined). */
  appended: string;
  /** What the record's start saw running, from its finish op. */
  concurrency: StartConcurrency | undefined;
}

interface Event {
  type: number;
  requestId: string;
  startTime: number;
  namespace: string;
  functionName: string;
  text: string | null;
}

/** Net changes to the counts within one batch. */
export class CountDeltas {
  readonly #deltas = new Map<string, { key: [number, string, string, string, number]; n: number }>();

  add(
    startTime: number,
    namespace: string,
    functionName: string,
    qualifier: string,
    retCode: number,
    n: number,
  ) {
    const key: [number, string, string, string, number] = [
      dayOf(startTime),
      namespace,
      functionName,
      qualifier,
      retCode,
    ];
    const id = JSON.stringify(key);
    const d = this.#deltas.get(id);
    if (d) d.n += n;
    else this.#deltas.set(id, { key, n });
  }

  /** The non-zero deltas in one order (the lock order of count rows). */
  sorted(): { key: [number, string, string, string, number]; n: number }[] {
    return [...this.#deltas.entries()]
      .filter(([, d]) => d.n !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, d]) => d);
  }
}

/** Adds a transaction's count deltas, in key order (the lock order of count rows). */
export async function addCounts(client: pg.PoolClient, deltas: CountDeltas): Promise<void> {
  const counts = deltas.sorted();
  if (counts.length === 0) return;
  await client.query(
    `INSERT INTO invocation_counts AS c (day, namespace, function_name, qualifier, ret_code, n)
     SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[])
     ON CONFLICT (day, namespace, function_name, qualifier, ret_code) DO UPDATE SET n = c.n + excluded.n`,
    [0, 1, 2, 3, 4].map((k) => counts.map((d) => d.key[k])).concat([counts.map((d) => d.n)]),
  );
}

const RECORD_COLUMNS =
  'seq, request_id, namespace, function_name, qualifier, start_time, duration, bill_duration, mem_usage, ' +
  'ret_code, invoke_finished, retry_num, node_id, ret_msg, log, search_text';
const RECORD_TYPES =
  '$1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::float8[], $8::bigint[], ' +
  '$9::bigint[], $10::int[], $11::smallint[], $12::int[], $13::text[], $14::text[], $15::text[], $16::text[]';

/** Full records as column arrays, in RECORD_COLUMNS order. */
function columns(rows: { seq: string; record: InvocationRecord }[], nodeId: string): unknown[] {
  const cols: unknown[][] = Array.from({ length: 16 }, () => []);
  for (const { seq, record: r } of rows) {
    const log = pgText(r.log);
    const values = [
      seq,
      pgText(r.requestId),
      pgText(r.namespace),
      pgText(r.functionName),
      pgText(r.qualifier),
      r.startTime,
      r.duration,
      r.billDuration,
      r.memUsage,
      r.retCode,
      r.invokeFinished,
      r.retryNum,
      nodeId,
      pgText(r.retMsg),
      log,
      r.retCode === RET_CODE.RUNNING ? null : indexText(log),
    ];
    for (let i = 0; i < values.length; i++) cols[i]!.push(values[i]);
  }
  return cols;
}

export interface ApplyResult {
  /** Events written (the feed's readers are woken by the NOTIFY sent with them). */
  events: number;
}

/** Applies `batch` inside the caller's transaction on `client`, as this node (`nodeId`). */
export async function applyBatch(
  client: pg.PoolClient,
  batch: readonly WriteOp[],
  opts: { nodeId: string; channel: string; rollups?: boolean },
): Promise<ApplyResult> {
  const ids = [
    ...new Set(
      batch.flatMap((op) =>
        op.op === 'throttle' ? [] : [pgText(op.op === 'appendLog' ? op.requestId : op.record.requestId)],
      ),
    ),
  ];
  const rollups = (opts.rollups ?? true) ? new RollupDeltas() : new NoRollups();
  // Every statement of a batch finds its rows by key, so the batch never scans a table: said outright
  // (SET LOCAL, this transaction only), because before a day's partition has statistics the planner
  // takes `request_id = ANY (1000 ids)` for most of the table and scans all of it (measured: the lookup
  // grew from 9 to 45 ms per batch over the first 250k records of a day; a LATERAL probe per id, the
  // statistics-proof alternative, cost 88 ms).
  await client.query('SET LOCAL enable_seqscan = off');
  const found =
    ids.length === 0
      ? { rows: [] as Existing[] }
      : await client.query<Existing>(
          `SELECT seq, request_id, start_time, namespace, function_name, qualifier, ret_code
       FROM invocations WHERE request_id = ANY($1::text[]) FOR UPDATE`,
          [ids],
        );
  const states = new Map<string, State>();
  for (const row of found.rows)
    states.set(row.request_id, { existing: row, record: undefined, appended: '', concurrency: undefined });
  /** Ids of records this batch creates, in the order of their first write. */
  const created: string[] = [];
  const events: Event[] = [];
  const put = (record: InvocationRecord): State => {
    const id = pgText(record.requestId);
    let st = states.get(id);
    if (!st) {
      st = { existing: undefined, record: undefined, appended: '', concurrency: undefined };
      states.set(id, st);
      created.push(id);
    }
    st.record = record;
    st.appended = '';
    st.concurrency = undefined;
    return st;
  };
  for (const op of batch) {
    if (op.op === 'throttle') {
      rollups.addThrottles(op.throttle);
    } else if (op.op === 'begin') {
      const r = runningRecord(op.record);
      put(r);
      events.push({ type: EVENT_TYPE.start, ...keyOf(r), text: pgText(r.log) });
    } else if (op.op === 'finish') {
      put(op.record).concurrency = op.concurrency;
      events.push({ type: EVENT_TYPE.end, ...keyOf(op.record), text: null });
    } else {
      const st = states.get(pgText(op.requestId));
      // Text for a record that was never begun has nowhere to go; its finish will carry the full log.
      if (!st) continue;
      if (st.record) st.record = { ...st.record, log: st.record.log + op.text };
      else st.appended += op.text;
      const key = st.record ? keyOf(st.record) : keyOfRow(st.existing!);
      events.push({ type: EVENT_TYPE.log, ...key, text: pgText(op.text) });
    }
  }

  const deltas = new CountDeltas();
  const inserts: { seq: string; record: InvocationRecord }[] = [];
  const replaces: { seq: string; record: InvocationRecord; oldStart: number }[] = [];
  const runningAppends: Existing[] = [];
  const finalAppends: Existing[] = [];
  if (created.length > 0) {
    const seqs = await client.query<{ s: string }>(
      "SELECT nextval('invocations_seq') AS s FROM generate_series(1, $1::int)",
      [created.length],
    );
    created.forEach((id, i) => {
      const record = states.get(id)!.record!;
      inserts.push({ seq: seqs.rows[i]!.s, record });
    });
  }
  for (const st of states.values()) {
    const old = st.existing;
    if (st.record) {
      const r = st.record;
      deltas.add(r.startTime, pgText(r.namespace), pgText(r.functionName), pgText(r.qualifier), r.retCode, 1);
      // Counted once: when the record becomes final (new, or replacing its running state).
      if (r.retCode !== RET_CODE.RUNNING && (!old || old.ret_code === RET_CODE.RUNNING))
        rollups.addFinal(r, st.concurrency);
      if (!old) continue;
      deltas.add(Number(old.start_time), old.namespace, old.function_name, old.qualifier, old.ret_code, -1);
      replaces.push({ seq: old.seq, record: r, oldStart: Number(old.start_time) });
    } else if (old && st.appended !== '') {
      if (old.ret_code === RET_CODE.RUNNING) runningAppends.push(old);
      else finalAppends.push(old);
    }
  }

  // New records go straight into their day's partition (it exists: the store made sure before the
  // transaction), one INSERT per day: routing each row through the parent costs ~35 % more per row.
  const byDay = new Map<number, { seq: string; record: InvocationRecord }[]>();
  for (const row of inserts) {
    const day = dayOf(row.record.startTime);
    const rows = byDay.get(day);
    if (rows) rows.push(row);
    else byDay.set(day, [row]);
  }
  for (const [day, rows] of byDay) {
    await client.query(
      `INSERT INTO ${partitionName(day)} (${RECORD_COLUMNS}) SELECT * FROM unnest(${RECORD_TYPES})`,
      columns(rows, opts.nodeId),
    );
  }
  if (replaces.length > 0) {
    // A replaced record keeps its seq; its node is the one that wrote its new state.
    await client.query(
      `UPDATE invocations i SET (${RECORD_COLUMNS}) = (n.seq, n.request_id, n.namespace, n.function_name,
           n.qualifier, n.start_time, n.duration, n.bill_duration, n.mem_usage, n.ret_code, n.invoke_finished,
           n.retry_num, n.node_id, n.ret_msg, n.log, n.search_text)
         FROM unnest(${RECORD_TYPES}, $17::bigint[])
           AS n(${RECORD_COLUMNS}, old_start)
        WHERE i.request_id = n.request_id AND i.start_time = n.old_start`,
      [...columns(replaces, opts.nodeId), replaces.map((r) => r.oldStart)],
    );
  }
  if (runningAppends.length > 0) {
    await client.query(
      `UPDATE invocations i SET log = i.log || a.text
         FROM unnest($1::text[], $2::bigint[], $3::text[]) AS a(request_id, start_time, text)
        WHERE i.request_id = a.request_id AND i.start_time = a.start_time`,
      [
        runningAppends.map((r) => r.request_id),
        runningAppends.map((r) => r.start_time),
        runningAppends.map((r) => pgText(states.get(r.request_id)!.appended)),
      ],
    );
  }
  for (const row of finalAppends) {
    // A final record's keyword text follows its log: read the log, recompute, write both.
    const { rows } = await client.query<{ log: string }>(
      'SELECT log FROM invocations WHERE request_id = $1 AND start_time = $2',
      [row.request_id, row.start_time],
    );
    const log = (rows[0]?.log ?? '') + pgText(states.get(row.request_id)!.appended);
    await client.query(
      'UPDATE invocations SET log = $3, search_text = $4 WHERE request_id = $1 AND start_time = $2',
      [row.request_id, row.start_time, log, indexText(log)],
    );
  }

  // Lock order, the same in every transaction that writes them (`recoverNode` too): count rows in key
  // order, then rollup rows in key order, then the feed's lock.
  await addCounts(client, deltas);
  await addRollups(client, rollups.sorted());

  if (events.length > 0) await writeEvents(client, events, opts);
  return { events: events.length };
}

/**
 * Appends events to the feed. The advisory lock is held from here to the end of the transaction (the
 * commit that follows at once), so ids are drawn, and become visible, in one order across every node.
 */
async function writeEvents(
  client: pg.PoolClient,
  events: Event[],
  opts: { nodeId: string; channel: string },
): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [FEED_LOCK]);
  await client.query(
    `INSERT INTO invocation_events (id, type, request_id, start_time, namespace, function_name, node_id, text)
     SELECT nextval('invocation_events_id'), e.type, e.request_id, e.start_time, e.namespace, e.function_name, $7, e.text
       FROM unnest($1::smallint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[])
            WITH ORDINALITY AS e(type, request_id, start_time, namespace, function_name, text, n)
      ORDER BY e.n`,
    [
      events.map((e) => e.type),
      events.map((e) => pgText(e.requestId)),
      events.map((e) => e.startTime),
      events.map((e) => pgText(e.namespace)),
      events.map((e) => pgText(e.functionName)),
      events.map((e) => e.text),
      opts.nodeId,
    ],
  );
  // A wake-up only: readers read the table from their cursor. Delivered at commit, once per transaction.
  await client.query('SELECT pg_notify($1, $2)', [opts.channel, '']);
}

const keyOf = (r: InvocationRecord) => ({
  requestId: r.requestId,
  startTime: r.startTime,
  namespace: r.namespace,
  functionName: r.functionName,
});

const keyOfRow = (r: Existing) => ({
  requestId: r.request_id,
  startTime: Number(r.start_time),
  namespace: r.namespace,
  functionName: r.function_name,
});
