/**
 * API 3.0 spellings <-> the typed operation inputs and outputs, for the invocation records and
 * invocations. Each action's parameters are a zod schema of 3.0 field types (`params.ts`); `xInput`
 * turns what the schema read into the canonical input, `xResponse` writes the canonical output in the 3.0
 * response model. SCF's rules (windows, caps, event limits, `$DEFAULT`) are the operations'; only 3.0's
 * own parameter rules live here. Function and namespace management: `manage.ts`.
 */
import { z } from 'zod';
import { ScfError } from '../../../errors/index.js';
import { ORDER_BYS, type OrderBy, RET_CODE_FILTERS, type StoredRecord } from '../../../store/types.js';
import { DEFAULT_LOG_LIMIT, MAX_LOG_WINDOW_MS } from '../../operations/limits.js';
import type {
  GetFunctionLogsInput,
  GetFunctionLogsOutput,
  GetRequestStatusInput,
  GetRequestStatusOutput,
  InvokeInput,
  InvokeOutput,
} from '../../operations/types.js';
import { ms3, pascalKeys, recordView } from '../../record-view.js';
import { formatApiTime, parseApiTime } from '../../time.js';
import { type Json, readV3, v3 } from './params.js';

export * from './manage.js';
export { ms3 };

/** What the mapping needs besides the parameters. */
export interface MappingEnv {
  /** Zone of `YYYY-MM-DD HH:mm:ss` times (config.apiTimeZoneOffsetMinutes). */
  timeZoneOffsetMinutes: number;
  /** Server time, epoch ms. */
  now: number;
}

// ---------------------------------------------------------------------------------------------- logs

const snake = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** 3.0 `OrderBy` values (snake_case), plus the camelCase ones the 2018 docs and v2 use. */
const ORDER_BY: Readonly<Record<string, OrderBy>> = Object.fromEntries(
  ORDER_BYS.flatMap((o) => [
    [snake(o), o],
    [o, o],
  ]),
);

function apiTime(text: string | undefined, path: string, env: MappingEnv): number | undefined {
  if (text === undefined) return undefined;
  const t = parseApiTime(text, env.timeZoneOffsetMinutes);
  if (t === undefined) {
    throw new ScfError(
      'InvalidParameterValue',
      `${path} ${JSON.stringify(text)} is not a YYYY-MM-DD HH:mm:ss time`,
      {
        field: 'DateTime',
      },
    );
  }
  return t;
}

export const GET_FUNCTION_LOGS = z.object({
  FunctionName: v3.str(),
  Namespace: v3.str(),
  Qualifier: v3.str(),
  FunctionRequestId: v3.str(),
  Offset: v3.int({ min: 0 }),
  Limit: v3.int({ min: 1 }),
  Order: v3.oneOf(['desc', 'asc'] as const, { caseInsensitive: true }),
  OrderBy: v3.str(),
  Filter: v3.object({ RetCode: v3.oneOf(RET_CODE_FILTERS) }),
  StartTime: v3.str(),
  EndTime: v3.str(),
  // SearchContext.Offset/Limit were the 2019 paging cursor; honoured when the top-level ones are absent.
  SearchContext: v3.object({
    Offset: v3.int({ min: 0 }),
    Limit: v3.int({ min: 1 }),
    Keyword: v3.str(),
  }),
});

/**
 * GetFunctionLogs. Without StartTime/EndTime there is no time window (every stored record), so the
 * same query reads the same records through v2 (which has no time parameters) and 3.0. EndTime names a
 * whole second and includes it; 3.0 wants both or neither, at most a day apart.
 */
export function getFunctionLogsInput(
  p: z.output<typeof GET_FUNCTION_LOGS>,
  env: MappingEnv,
): GetFunctionLogsInput {
  const input: GetFunctionLogsInput = {};
  if (p.FunctionName !== undefined) input.functionName = p.FunctionName;
  if (p.Namespace !== undefined) input.namespace = p.Namespace;
  if (p.Qualifier !== undefined) input.qualifier = p.Qualifier;
  if (p.FunctionRequestId !== undefined) input.requestId = p.FunctionRequestId;
  const offset = p.Offset ?? p.SearchContext?.Offset;
  if (offset !== undefined) input.offset = offset;
  const limit = p.Limit ?? p.SearchContext?.Limit;
  if (limit !== undefined) input.limit = limit;
  if (p.Order !== undefined) input.order = p.Order;
  if (p.OrderBy !== undefined) {
    const mapped = Object.hasOwn(ORDER_BY, p.OrderBy) ? ORDER_BY[p.OrderBy] : undefined;
    if (mapped === undefined) {
      throw new ScfError(
        'InvalidParameterValue',
        `OrderBy must be one of function_name, duration, mem_usage, start_time; got ${JSON.stringify(p.OrderBy)}`,
        { field: 'OrderBy' },
      );
    }
    input.orderBy = mapped;
  }
  if (p.Filter?.RetCode !== undefined) input.retCode = p.Filter.RetCode;
  const start = apiTime(p.StartTime, 'StartTime', env);
  const end = apiTime(p.EndTime, 'EndTime', env);
  if ((start === undefined) !== (end === undefined)) {
    throw new ScfError('InvalidParameterValue', 'StartTime and EndTime must be given together.', {
      field: 'StartTimeOrEndTime',
    });
  }
  if (start !== undefined && end !== undefined) {
    if (end - start > MAX_LOG_WINDOW_MS) {
      throw new ScfError('InvalidParameterValue', 'StartTime and EndTime must be at most one day apart.', {
        field: 'DateTime',
      });
    }
    input.startTime = start;
    input.endTime = end + 999;
  }
  const keyword = p.SearchContext?.Keyword;
  if (keyword !== undefined && keyword.trim() !== '') input.keyword = keyword;
  return input;
}

/** GetFunctionLogs' parameters (JSON) as the canonical input; for tests. */
export const parseGetFunctionLogs = (params: Json, env: MappingEnv): GetFunctionLogsInput =>
  getFunctionLogsInput(readV3(GET_FUNCTION_LOGS, params), env);

/** FunctionLog's `Level` (deprecated in the v4 model, values never documented): INFO, or ERROR on failure. */
function level(r: StoredRecord): string {
  return r.retCode === 0 || r.retCode === 2 ? 'INFO' : 'ERROR';
}

/** One FunctionLog: the shared record view in 3.0 casing, plus the fields only 3.0 has. */
export function functionLog(r: StoredRecord, env: MappingEnv): Json {
  return {
    ...pascalKeys(recordView(r, env.timeZoneOffsetMinutes)),
    Level: level(r),
    // The function's own output and the platform lines are one text here, as in the legacy log API.
    Source: 'Application',
    RetryNum: r.retryNum,
  };
}

export function getFunctionLogsResponse(
  out: GetFunctionLogsOutput,
  input: GetFunctionLogsInput,
  env: MappingEnv,
): Json {
  const offset = input.offset ?? 0;
  return {
    TotalCount: out.total,
    Data: out.items.map((r) => functionLog(r, env)),
    // Echoed as the cursor of the next page (the 2019 paging scheme); retired in the v4 model.
    SearchContext: {
      Offset: String(offset + out.items.length),
      Limit: input.limit ?? DEFAULT_LOG_LIMIT,
      Keyword: input.keyword ?? '',
      Type: 'Application',
    },
  };
}

// ----------------------------------------------------------------------------------- request status

export const GET_REQUEST_STATUS = z.object({
  FunctionName: v3.required(),
  FunctionRequestId: v3.required(),
  Namespace: v3.str(),
  StartTime: v3.str(),
  EndTime: v3.str(),
});

/**
 * GetRequestStatus. StartTime alone is refused (SCF: EndTime must come with it); EndTime alone means the
 * operation's window before it; neither, the window before now.
 */
export function getRequestStatusInput(
  p: z.output<typeof GET_REQUEST_STATUS>,
  env: MappingEnv,
): GetRequestStatusInput {
  const input: GetRequestStatusInput = {
    functionName: p.FunctionName,
    functionRequestId: p.FunctionRequestId,
  };
  if (p.Namespace !== undefined) input.namespace = p.Namespace;
  const start = apiTime(p.StartTime, 'StartTime', env);
  const end = apiTime(p.EndTime, 'EndTime', env);
  if (start !== undefined && end === undefined) {
    throw new ScfError('InvalidParameterValue', 'EndTime must be given with StartTime.', {
      field: 'StartTimeOrEndTime',
    });
  }
  if (start !== undefined) input.startTime = start;
  if (end !== undefined) input.endTime = end + 999;
  return input;
}

export const parseGetRequestStatus = (params: Json, env: MappingEnv): GetRequestStatusInput =>
  getRequestStatusInput(readV3(GET_REQUEST_STATUS, params), env);

/** RequestStatus.RetCode: 0 success, 1 running, −1 anything else (failed or interrupted). */
export function requestStatusRetCode(retCode: number): number {
  if (retCode === 0) return 0;
  if (retCode === 2) return 1;
  return -1;
}

/** Bytes -> MB, as RequestStatus reports memory (6 decimals, like the Report line). */
export const bytesToMb = (bytes: number): number => Math.round((bytes / 1048576) * 1e6) / 1e6;

export function getRequestStatusResponse(out: GetRequestStatusOutput, env: MappingEnv): Json {
  return {
    TotalCount: out.total,
    Data: out.items.map((r) => ({
      FunctionName: r.functionName,
      RetMsg: r.retMsg,
      RequestId: r.requestId,
      StartTime: formatApiTime(r.startTime, env.timeZoneOffsetMinutes),
      RetCode: requestStatusRetCode(r.retCode),
      Duration: ms3(r.duration),
      MemUsage: bytesToMb(r.memUsage),
      RetryNum: r.retryNum,
    })),
  };
}

// ------------------------------------------------------------------------------------------- invoke

/** An event given as a JSON object (possible in a JSON body) is taken as its JSON text. */
const event = () =>
  z
    .optional(z.unknown().transform((v) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : v)))
    .pipe(v3.str());

export const INVOKE = z.object({
  FunctionName: v3.required(),
  Namespace: v3.str(),
  Qualifier: v3.str(),
  InvocationType: v3.oneOf(['RequestResponse', 'Event'] as const),
  LogType: v3.oneOf(['None', 'Tail'] as const),
  ClientContext: event(),
});

export function invokeInput(p: z.output<typeof INVOKE>): InvokeInput {
  const input: InvokeInput = { functionName: p.FunctionName };
  if (p.Namespace !== undefined) input.namespace = p.Namespace;
  if (p.Qualifier !== undefined) input.qualifier = p.Qualifier;
  if (p.InvocationType !== undefined) input.invocationType = p.InvocationType;
  if (p.LogType !== undefined) input.logType = p.LogType;
  if (p.ClientContext !== undefined) input.event = p.ClientContext;
  return input;
}

export const parseInvoke = (params: Json): InvokeInput => invokeInput(readV3(INVOKE, params));

export const INVOKE_FUNCTION = z.object({
  FunctionName: v3.required(),
  Namespace: v3.str(),
  Qualifier: v3.str(),
  LogType: v3.oneOf(['None', 'Tail'] as const),
  Event: event(),
});

/** InvokeFunction: synchronous only, the event in `Event`, Qualifier default `$DEFAULT`. */
export function invokeFunctionInput(p: z.output<typeof INVOKE_FUNCTION>): InvokeInput {
  const input: InvokeInput = { functionName: p.FunctionName, invocationType: 'RequestResponse' };
  if (p.Namespace !== undefined) input.namespace = p.Namespace;
  if (p.Qualifier !== undefined) input.qualifier = p.Qualifier;
  if (p.LogType !== undefined) input.logType = p.LogType;
  if (p.Event !== undefined) input.event = p.Event;
  return input;
}

export const parseInvokeFunction = (params: Json): InvokeInput =>
  invokeFunctionInput(readV3(INVOKE_FUNCTION, params));

export function invokeResponse(out: InvokeOutput): Json {
  const r = out.result;
  // An Event invocation returns only its request id; the other fields are empty, as SCF documents.
  return {
    Result: {
      Log: r?.log ?? '',
      RetMsg: r?.retMsg ?? '',
      ErrMsg: r?.errMsg ?? '',
      MemUsage: Math.round(r?.memUsage ?? 0),
      Duration: ms3(r?.duration ?? 0),
      BillDuration: Math.round(r?.billDuration ?? 0),
      FunctionRequestId: out.requestId,
      InvokeResult: r?.invokeResult ?? 0,
    },
  };
}
