/**
 * Asynchronous events: ListAsyncEvents, GetAsyncEventStatus, TerminateAsyncEvent (the queue and its
 * dispatcher are `async/invocations.ts`). An event waiting for its first or next attempt is PENDING inside
 * scf-local and RUNNING on the wire (SCF has no word for it); StatusCode is the retCode of its last attempt
 * that ended (0 before any did: Status tells).
 */
import type { AsyncEventQuery, AsyncEventStatus, AsyncEventView } from '../../async/types.js';
import { invalidValue, ScfError } from '../../errors/index.js';
import { requireFunction } from './functions.js';
import type { ActionContext, FunctionRef } from './types.js';

/** ListAsyncEvents: events per page when Limit is absent, and at most. */
export const DEFAULT_ASYNC_EVENT_LIMIT = 20;
export const MAX_ASYNC_EVENT_LIMIT = 100;

export const SCF_ASYNC_STATUSES = ['RUNNING', 'FINISHED', 'ABORTED', 'FAILED'] as const;
export type ScfAsyncStatus = (typeof SCF_ASYNC_STATUSES)[number];

export interface ListAsyncEventsInput extends FunctionRef {
  qualifier?: string;
  invokeTypes?: string[];
  statuses?: string[];
  requestId?: string;
  startTime?: { start: number; end: number };
  endTime?: { start: number; end: number };
  order?: 'ASC' | 'DESC';
  orderBy?: 'StartTime' | 'EndTime';
  offset?: number;
  limit?: number;
}

/** An event as the API shows it. */
export interface AsyncEventOutput extends Omit<AsyncEventView, 'status'> {
  status: ScfAsyncStatus;
}

const scfStatus = (s: AsyncEventStatus): ScfAsyncStatus => (s === 'PENDING' ? 'RUNNING' : s);
const output = (v: AsyncEventView): AsyncEventOutput => ({ ...v, status: scfStatus(v.status) });

export async function listAsyncEvents(
  ctx: ActionContext,
  input: ListAsyncEventsInput,
): Promise<{ total: number; events: AsyncEventOutput[] }> {
  const limit = input.limit ?? DEFAULT_ASYNC_EVENT_LIMIT;
  if (limit < 1 || limit > MAX_ASYNC_EVENT_LIMIT) {
    throw invalidValue('limit', `Limit must be from 1 to ${MAX_ASYNC_EVENT_LIMIT}; got ${limit}`);
  }
  for (const s of input.statuses ?? []) {
    if (!(SCF_ASYNC_STATUSES as readonly string[]).includes(s)) {
      throw invalidValue(
        'status',
        `Status ${JSON.stringify(s)} is not one of ${SCF_ASYNC_STATUSES.join(', ')}`,
      );
    }
  }
  const def = await requireFunction(ctx, input);
  const q: AsyncEventQuery = {
    namespace: def.namespace,
    functionName: input.functionName,
    orderBy: input.orderBy ?? 'StartTime',
    order: input.order ?? 'DESC',
    offset: input.offset ?? 0,
    limit,
  };
  if (input.qualifier !== undefined) q.qualifier = input.qualifier;
  if (input.invokeTypes?.length) q.invokeTypes = input.invokeTypes as AsyncEventQuery['invokeTypes'];
  if (input.statuses?.length) q.statuses = input.statuses as AsyncEventStatus[];
  if (input.requestId !== undefined) q.requestId = input.requestId;
  if (input.startTime) q.startTime = input.startTime;
  if (input.endTime) q.endTime = input.endTime;
  const { total, events } = await ctx.async.list(q);
  return { total, events: events.map(output) };
}

function notFound(requestId: string): ScfError {
  return new ScfError('AsyncEventNotFound', `no asynchronous event has request id ${requestId}`);
}

export async function getAsyncEventStatus(
  ctx: ActionContext,
  input: { requestId: string },
): Promise<AsyncEventOutput> {
  const ev = await ctx.async.get(input.requestId);
  if (!ev) throw notFound(input.requestId);
  return output(ev);
}

export async function terminateAsyncEvent(
  ctx: ActionContext,
  input: FunctionRef & { requestId: string },
): Promise<void> {
  const def = await requireFunction(ctx, input);
  const ev = await ctx.async.get(input.requestId);
  if (!ev || ev.namespace !== def.namespace || ev.functionName !== input.functionName) {
    throw notFound(input.requestId);
  }
  const r = await ctx.async.terminate(input.requestId);
  if (r === 'missing') throw notFound(input.requestId);
  if (r === 'final') {
    throw new ScfError(
      'AsyncEventFinal',
      `the asynchronous event ${input.requestId} already ended (${ev.status}); it cannot be terminated`,
    );
  }
}
