/**
 * The v2 actions (records and invocations here, function management in `manage.ts`): each declares its v2 parameters (lowerCamelCase, flattened with dots) as a zod schema,
 * read by the shared reader, turns them into an operation's typed input, calls the operation, and shapes
 * its output as the v2 documents show it. No SCF rule lives here: limits, windows and defaults are the
 * operations' (`api/operations/limits.ts`); this file only knows v2's spellings.
 */
import { z } from 'zod';
import { ScfError } from '../../../errors/index.js';
import { ORDER_BYS, type Order, RET_CODE_FILTERS, type RetCodeFilter } from '../../../store/types.js';
import * as ops from '../../operations/index.js';
import { MAX_OFFSET_PLUS_LIMIT } from '../../operations/limits.js';
import type { GetFunctionLogsInput, InvokeInput } from '../../operations/types.js';
import { ms3, recordView } from '../../record-view.js';
import { parseApiTime } from '../../time.js';
import {
  action,
  compact,
  lower,
  lowerNoUnderscore,
  type V2Action,
  type V2Body,
  type V2Call,
} from './action.js';
import { createFunction, deleteFunction, getFunction, listFunctions, updateFunction } from './manage.js';
import { readV2, v2 } from './reader.js';

export type { V2Action, V2Body, V2Call } from './action.js';

const LOG_ORDER = new Map<string, Order>([
  ['desc', 'desc'],
  ['asc', 'asc'],
  // The seed document's spelling.
  ['acs', 'asc'],
]);
/** Sort fields in any case, snake_case too (`start_time`, `StartTime`). */
const LOG_ORDER_BY = new Map(ORDER_BYS.map((o) => [o.toLowerCase(), o]));
const RET_CODE_FILTER = new Map(RET_CODE_FILTERS.map((f) => [f.toLowerCase(), f]));

/** The retCode filter: `filter.retCode=...` (either casing), or `filter` holding JSON. */
function retCodeFilter(p: {
  filter?: string | undefined;
  'filter.retCode'?: RetCodeFilter | undefined;
  'filter.RetCode'?: RetCodeFilter | undefined;
}): RetCodeFilter | undefined {
  const given = [p['filter.retCode'], p['filter.RetCode']].filter((v) => v !== undefined);
  const json = p.filter;
  if (given.length + (json === undefined ? 0 : 1) > 1) {
    throw new ScfError(
      'InvalidParameter',
      'give the retCode filter once: filter.retCode=..., or filter as JSON',
      {
        field: 'filter',
      },
    );
  }
  if (given[0] !== undefined) return given[0];
  if (json === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new ScfError(
      'InvalidParameterValue',
      'parameter filter, when given whole, must be JSON like {"retCode":"not0"}',
      {
        field: 'filter',
        cause: err,
      },
    );
  }
  const obj = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const extra = Object.keys(obj).filter((k) => k !== 'retCode' && k !== 'RetCode');
  const value = obj['retCode'] ?? obj['RetCode'];
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    extra.length > 0 ||
    (value !== undefined && typeof value !== 'string')
  ) {
    throw new ScfError(
      'InvalidParameterValue',
      'parameter filter, when given whole, must be JSON like {"retCode":"not0"}',
      {
        field: 'filter',
      },
    );
  }
  if (value === undefined || value === '') return undefined;
  const found = RET_CODE_FILTER.get(lower(value));
  if (!found) {
    throw new ScfError(
      'InvalidParameterValue',
      `filter.retCode must be one of ${RET_CODE_FILTERS.join(', ')}, got ${JSON.stringify(value)}`,
      {
        field: 'filter.retCode',
      },
    );
  }
  return found;
}

function readApiTime(v: string | undefined, name: string, tz: number): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseApiTime(v, tz);
  if (ms === undefined) {
    throw new ScfError(
      'InvalidParameterValue',
      `parameter ${name} must be a time "YYYY-MM-DD HH:mm:ss" (UTC${tz >= 0 ? '+' : '-'}${Math.abs(tz) / 60}), got ${JSON.stringify(v)}`,
      { field: name },
    );
  }
  return ms;
}

const orderBy = () => v2.oneOf(LOG_ORDER_BY, ORDER_BY_SHOWN, lowerNoUnderscore);
const ORDER_BY_SHOWN = [...ORDER_BYS, '(or their snake_case spellings)'];
const retCode = () => v2.oneOf(RET_CODE_FILTER, RET_CODE_FILTERS, lower);

const getFunctionLogs = action({
  params: z.object({
    functionName: v2.str(),
    namespace: v2.str(),
    qualifier: v2.str(),
    requestId: v2.str(),
    offset: v2.int(0, MAX_OFFSET_PLUS_LIMIT),
    limit: v2.int(1, MAX_OFFSET_PLUS_LIMIT),
    order: v2.oneOf(LOG_ORDER, ['desc', 'asc'], lower),
    orderby: orderBy(),
    orderBy: orderBy(),
    filter: v2.str(),
    'filter.retCode': retCode(),
    'filter.RetCode': retCode(),
    startTime: v2.str(),
    endTime: v2.str(),
    keyword: v2.str(),
  }),
  run: async (p, { ctx }) => {
    if (p.orderby !== undefined && p.orderBy !== undefined) {
      throw new ScfError('InvalidParameter', 'give orderby once (orderby or orderBy)', { field: 'orderby' });
    }
    const tz = ctx.config.apiTimeZoneOffsetMinutes;
    const startTime = readApiTime(p.startTime, 'startTime', tz);
    // endTime names a whole second: records started anywhere in it are included.
    const endSecond = readApiTime(p.endTime, 'endTime', tz);
    const input: GetFunctionLogsInput = compact({
      functionName: p.functionName,
      namespace: p.namespace,
      qualifier: p.qualifier,
      requestId: p.requestId,
      keyword: p.keyword,
      offset: p.offset,
      limit: p.limit,
      order: p.order,
      orderBy: p.orderby ?? p.orderBy,
      retCode: retCodeFilter(p),
      startTime,
      endTime: endSecond === undefined ? undefined : endSecond + 999,
    });
    const page = await ops.getFunctionLogs(ctx, input);
    return { total: page.total, data: page.items.map((item) => recordView(item, tz)) };
  },
});

const INVOKE_TYPE = new Map<string, 'RequestResponse' | 'Event'>([
  ['requestresponse', 'RequestResponse'],
  ['event', 'Event'],
]);
const LOG_TYPE = new Map<string, 'None' | 'Tail'>([
  ['none', 'None'],
  ['tail', 'Tail'],
]);

const invokeFunction = action({
  params: z.object({
    functionName: v2.required(),
    namespace: v2.str(),
    qualifier: v2.str(),
    invokeType: v2.oneOf(INVOKE_TYPE, ['RequestResponse', 'Event'], lower),
    param: v2.str(),
    logType: v2.oneOf(LOG_TYPE, ['None', 'Tail'], lower),
  }),
  run: async (p, { ctx }) => {
    const input: InvokeInput = compact({
      functionName: p.functionName,
      namespace: p.namespace,
      qualifier: p.qualifier,
      invocationType: p.invokeType,
      logType: p.logType,
      event: p.param,
    });
    const out = await ops.invoke(ctx, input);
    const res = out.result;
    if (!res) return { data: { requestId: out.requestId } };
    return {
      data: {
        requestId: out.requestId,
        log: res.log,
        retMsg: res.retMsg,
        errMsg: res.errMsg,
        memUsage: Math.round(res.memUsage),
        duration: ms3(res.duration),
        billDuration: Math.round(res.billDuration),
        invokeResult: res.invokeResult,
      },
    };
  },
});

/** Every v2 action scf-local serves, by its `Action` name. */
export const V2_ACTIONS: ReadonlyMap<string, V2Action> = new Map([
  ['GetFunctionLogs', getFunctionLogs],
  ['InvokeFunction', invokeFunction],
  ['CreateFunction', createFunction],
  ['UpdateFunction', updateFunction],
  ['GetFunction', getFunction],
  ['ListFunctions', listFunctions],
  ['DeleteFunction', deleteFunction],
]);

/** Runs one v2 action over the request's parameters (by lookup name). */
export function runV2Action(name: string, a: V2Action, call: V2Call): Promise<V2Body> {
  const p = readV2(
    a.params,
    call.params,
    a.prefixes ? { action: name, prefixes: a.prefixes } : { action: name },
  );
  return a.run(p, call);
}
