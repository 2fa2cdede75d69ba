/**
 * API 3.0 spellings <-> the async event operations: ListAsyncEvents, GetAsyncEventStatus,
 * TerminateAsyncEvent (models `AsyncEvent`, `AsyncEventStatus`, `TimeInterval` of `scf_models.d.ts`).
 * Times are SCF's API times in the configured zone; an event's StartTime and EndTime carry microseconds
 * (`%Y-%m-%d %H:%M:%S.%f`), empty while it has none.
 */
import { z } from 'zod';
import type { AsyncEventOutput, ListAsyncEventsInput } from '../../operations/async.js';
import { formatApiTime, parseApiTime } from '../../time.js';
import type { MappingEnv } from './mapping.js';
import { badValue, isPlainObject, itemText, type Json, v3 } from './params.js';

export const LIST_ASYNC_EVENTS = z.object({
  FunctionName: v3.required(),
  Namespace: v3.str(),
  Qualifier: v3.str(),
  InvokeType: v3.list(),
  Status: v3.list(),
  StartTimeInterval: v3.object({}),
  EndTimeInterval: v3.object({}),
  Order: v3.oneOf(['ASC', 'DESC'] as const, { caseInsensitive: true }),
  Orderby: v3.oneOf(['StartTime', 'EndTime'] as const, { caseInsensitive: true }),
  Offset: v3.int({ min: 0 }),
  Limit: v3.int(),
  InvokeRequestId: v3.str(),
});

/** `{Start, End}`: [Start, End) in the API zone. */
function interval(raw: unknown, field: string, env: MappingEnv): { start: number; end: number } {
  const at = (key: string): number => {
    const text = isPlainObject(raw) ? itemText(raw, key, `${field}.${key}`) : undefined;
    const t = text === undefined ? undefined : parseApiTime(text, env.timeZoneOffsetMinutes);
    if (t === undefined) throw badValue(field, `${field}.${key} must be a time as YYYY-MM-DD HH:mm:ss`);
    return t;
  };
  return { start: at('Start'), end: at('End') };
}

const texts = (list: unknown[], field: string): string[] =>
  list.map((v, i) => itemText({ v }, 'v', `${field}.${i}`) ?? '');

export function listAsyncEventsInput(
  p: z.output<typeof LIST_ASYNC_EVENTS>,
  params: Json,
  env: MappingEnv,
): ListAsyncEventsInput {
  const input: ListAsyncEventsInput = { functionName: p.FunctionName };
  if (p.Namespace !== undefined) input.namespace = p.Namespace;
  if (p.Qualifier !== undefined) input.qualifier = p.Qualifier;
  if (p.InvokeType !== undefined) input.invokeTypes = texts(p.InvokeType, 'InvokeType');
  if (p.Status !== undefined) input.statuses = texts(p.Status, 'Status');
  if (p.StartTimeInterval !== undefined) {
    input.startTime = interval(params['StartTimeInterval'], 'StartTimeInterval', env);
  }
  if (p.EndTimeInterval !== undefined)
    input.endTime = interval(params['EndTimeInterval'], 'EndTimeInterval', env);
  if (p.Order !== undefined) input.order = p.Order;
  if (p.Orderby !== undefined) input.orderBy = p.Orderby;
  if (p.Offset !== undefined) input.offset = p.Offset;
  if (p.Limit !== undefined) input.limit = p.Limit;
  if (p.InvokeRequestId !== undefined) input.requestId = p.InvokeRequestId;
  return input;
}

/** `%Y-%m-%d %H:%M:%S.%f` in the API zone ('' when absent). */
function eventTime(ms: number | undefined, env: MappingEnv): string {
  if (ms === undefined) return '';
  const micro = String(Math.floor(ms) % 1000).padStart(3, '0');
  return `${formatApiTime(ms, env.timeZoneOffsetMinutes)}.${micro}000`;
}

export function listAsyncEventsResponse(
  out: { total: number; events: AsyncEventOutput[] },
  env: MappingEnv,
): Json {
  return {
    TotalCount: out.total,
    EventList: out.events.map((e) => ({
      InvokeRequestId: e.requestId,
      InvokeType: e.invokeType,
      Qualifier: e.qualifier,
      Status: e.status,
      StartTime: eventTime(e.startTime, env),
      EndTime: eventTime(e.endTime, env),
    })),
  };
}

export const GET_ASYNC_EVENT_STATUS = z.object({ InvokeRequestId: v3.required() });

export const getAsyncEventStatusResponse = (e: AsyncEventOutput): Json => ({
  Result: { Status: e.status, StatusCode: e.statusCode ?? 0, InvokeRequestId: e.requestId },
});

export const TERMINATE_ASYNC_EVENT = z.object({
  FunctionName: v3.required(),
  InvokeRequestId: v3.required(),
  Namespace: v3.str(),
  GraceShutdown: z.optional(z.unknown()),
});

export const terminateAsyncEventInput = (p: z.output<typeof TERMINATE_ASYNC_EVENT>) => ({
  functionName: p.FunctionName,
  requestId: p.InvokeRequestId,
  ...(p.Namespace === undefined ? {} : { namespace: p.Namespace }),
});
