/**
 * What both async queue backends share: a row as read back, the views made from it, the WHERE and ORDER BY
 * of a listing, a new event's values, and the refusal of a full queue.
 */
import { ScfError } from '../errors/index.js';
import type {
  AsyncEventInput,
  AsyncEventQuery,
  AsyncEventStatus,
  AsyncEventView,
  AsyncInvokeType,
  ClaimedEvent,
} from './types.js';

export interface EventRow {
  request_id: string;
  namespace: string;
  function_name: string;
  qualifier: string;
  invoke_type: string;
  event: string;
  status: string;
  attempts: number | string;
  attempt_ids: string | string[];
  expires_at: number | string;
  accepted_at: number | string;
  start_time: number | string | null;
  end_time: number | string | null;
  status_code: number | null;
  terminate: number | boolean;
}

const num = (v: number | string): number => (typeof v === 'number' ? v : Number(v));
const opt = (v: number | string | null): number | undefined => (v === null ? undefined : num(v));

/** A row as the API sees it (both backends). */
export function eventView(r: EventRow): AsyncEventView & { terminate: boolean } {
  const view: AsyncEventView & { terminate: boolean } = {
    requestId: r.request_id,
    namespace: r.namespace,
    functionName: r.function_name,
    qualifier: r.qualifier,
    invokeType: r.invoke_type as AsyncInvokeType,
    status: r.status as AsyncEventStatus,
    acceptedAt: num(r.accepted_at),
    attempts: num(r.attempts),
    attemptIds: typeof r.attempt_ids === 'string' ? (JSON.parse(r.attempt_ids) as string[]) : r.attempt_ids,
    terminate: r.terminate === true || r.terminate === 1,
  };
  const start = opt(r.start_time);
  const end = opt(r.end_time);
  if (start !== undefined) view.startTime = start;
  if (end !== undefined) view.endTime = end;
  if (r.status_code !== null) view.statusCode = r.status_code;
  return view;
}

export function claimedEvent(r: EventRow): ClaimedEvent {
  const ids = typeof r.attempt_ids === 'string' ? (JSON.parse(r.attempt_ids) as string[]) : r.attempt_ids;
  return {
    attemptId: ids[ids.length - 1] ?? r.request_id,
    ...(ids.length >= 2 ? { previousAttemptId: ids[ids.length - 2] as string } : {}),
    requestId: r.request_id,
    namespace: r.namespace,
    functionName: r.function_name,
    qualifier: r.qualifier,
    invokeType: r.invoke_type as AsyncInvokeType,
    event: r.event,
    // `attempts` already counts the attempt being claimed.
    attempt: num(r.attempts) - 1,
    expiresAt: num(r.expires_at),
  };
}

/** SQL shared by both backends' list: the WHERE clause and its parameters, with `p(n)` the placeholder. */
export function listWhere(
  q: AsyncEventQuery,
  p: (n: number) => string,
): { where: string; params: unknown[] } {
  const params: unknown[] = [q.namespace, q.functionName];
  const conds = [`namespace = ${p(1)}`, `function_name = ${p(2)}`];
  const add = (sql: (ph: string) => string, v: unknown): void => {
    params.push(v);
    conds.push(sql(p(params.length)));
  };
  if (q.qualifier !== undefined) add((ph) => `qualifier = ${ph}`, q.qualifier);
  if (q.requestId !== undefined) add((ph) => `request_id = ${ph}`, q.requestId);
  if (q.invokeTypes?.length) {
    const phs = q.invokeTypes.map((t) => {
      params.push(t);
      return p(params.length);
    });
    conds.push(`invoke_type IN (${phs.join(', ')})`);
  }
  if (q.statuses?.length) {
    // PENDING shows as RUNNING (SCF has no word for an event not started yet).
    const wanted = new Set<string>(q.statuses);
    if (wanted.has('RUNNING')) wanted.add('PENDING');
    const phs = [...wanted].map((s) => {
      params.push(s);
      return p(params.length);
    });
    conds.push(`status IN (${phs.join(', ')})`);
  }
  if (q.startTime) {
    add((ph) => `start_time >= ${ph}`, q.startTime.start);
    add((ph) => `start_time < ${ph}`, q.startTime.end);
  }
  if (q.endTime) {
    add((ph) => `end_time >= ${ph}`, q.endTime.start);
    add((ph) => `end_time < ${ph}`, q.endTime.end);
  }
  return { where: conds.join(' AND '), params };
}

/**
 * The values of a new event's row, both backends: request_id, namespace, function_name, qualifier,
 * invoke_type, event, dedup_key, not_before (now: due at once), expires_at.
 */
export function enqueueParams(
  input: AsyncEventInput & { requestId: string },
  now: number,
  ttlMs: number,
): unknown[] {
  return [
    input.requestId,
    input.namespace,
    input.functionName,
    input.qualifier,
    input.invokeType,
    input.event,
    input.dedupKey ?? null,
    now,
    now + ttlMs,
  ];
}

/** ORDER BY of list: events not started (or not ended) sort by acceptance among themselves. */
export function listOrder(q: AsyncEventQuery): string {
  const col = q.orderBy === 'EndTime' ? 'end_time' : 'start_time';
  const dir = q.order === 'ASC' ? 'ASC' : 'DESC';
  return `COALESCE(${col}, accepted_at) ${dir}, request_id ${dir}`;
}

/** The queue holds as many events as it may: SCF's throttling answer. */
export function queueFull(maxQueued: number): ScfError {
  return new ScfError(
    'ConcurrencyLimitReached',
    `the asynchronous queue is full: ${maxQueued} events are waiting or running (async.maxQueued); retry later`,
  );
}
