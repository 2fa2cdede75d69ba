/**
 * The v2 actions: each declares its v2 parameters (lowerCamelCase, flattened with dots) as a zod schema,
 * read by the shared reader, turns them into an operation's typed input, calls the operation, and shapes
 * its output as the v2 documents show it. No SCF rule lives here: limits, windows and defaults are the
 * operations' (`api/operations/limits.ts`); this file only knows v2's spellings.
 */
import { z } from 'zod';
import { ScfError } from '../../../errors/index.js';
import type { ListFunctionsInput } from '../../../functions/types.js';
import { ORDER_BYS, type Order, RET_CODE_FILTERS, type RetCodeFilter } from '../../../store/types.js';
import * as ops from '../../operations/index.js';
import { MAX_OFFSET_PLUS_LIMIT } from '../../operations/limits.js';
import type { ActionContext, GetFunctionLogsInput, InvokeInput } from '../../operations/types.js';
import { ms3, recordView } from '../../record-view.js';
import { formatApiTime, parseApiTime } from '../../time.js';
import { raw } from '../reader.js';
import { readV2, v2, withPrefix } from './reader.js';

/** An action's result: fields placed in the envelope after code/message/codeDesc. */
export type V2Body = Record<string, unknown>;

/**
 * One v2 action: its parameters as a schema (names under `prefixes` are read by `run` itself) and what it
 * does with them. The same shape as API 3.0's table (`../v3/actions.ts`).
 */
export interface V2Action<S extends z.ZodObject = z.ZodObject> {
  params: S;
  prefixes?: readonly string[];
  run(p: z.output<S>, call: V2Call): Promise<V2Body>;
}

/** What a v2 action runs with: the operations' context, and every parameter (for prefixed ones). */
export interface V2Call {
  ctx: ActionContext;
  params: ReadonlyMap<string, string>;
}

const action = <S extends z.ZodObject>(a: V2Action<S>): V2Action => a as unknown as V2Action;

/** Drops undefined properties, so operations see absent fields as absent. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

const lower = (v: string): string => v.toLowerCase();
const lowerNoUnderscore = (v: string): string => v.toLowerCase().replaceAll('_', '');

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

/**
 * The environment, in either v2 form: flattened like API 3.0's `Environment.Variables[{Key,Value}]`
 * (`environment.variables.0.key=A&environment.variables.0.value=1`, what qcloudapi-sdk sends for
 * `{environment:{variables:[{key,value}]}}`), or one `environment` parameter holding JSON: that same object,
 * or a plain `{"A":"1"}` map. Key/Value may be capitalised as in 3.0.
 */
function readEnvironment(
  json: string | undefined,
  params: ReadonlyMap<string, string>,
): Record<string, string> | undefined {
  const flat = withPrefix(params, 'environment');
  if (json !== undefined && flat.length > 0) {
    throw new ScfError(
      'InvalidParameter',
      'give environment either as JSON or flattened (environment.variables.N.key), not both',
      {
        field: 'environment',
      },
    );
  }
  const bad = (why: string): ScfError =>
    new ScfError('InvalidParameterValue', `parameter environment is invalid: ${why}`, {
      field: 'environment',
    });
  const out: Record<string, string> = {};
  const put = (key: unknown, value: unknown): void => {
    if (typeof key !== 'string' || key === '') throw bad('every variable needs a key');
    if (Object.hasOwn(out, key)) throw bad(`variable ${key} is given twice`);
    if (value !== undefined && value !== null && typeof value === 'object')
      throw bad(`variable ${key} must be a string`);
    out[key] = value === undefined || value === null ? '' : String(value);
  };
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw new ScfError('InvalidParameterValue', 'parameter environment is not valid JSON', {
        field: 'environment',
        cause: err,
      });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw bad('expected a JSON object');
    const obj = parsed as Record<string, unknown>;
    const vars = obj['variables'] ?? obj['Variables'];
    if (Array.isArray(vars) && Object.keys(obj).length === 1) {
      for (const v of vars) {
        if (typeof v !== 'object' || v === null) throw bad('variables must hold {key, value} objects');
        const e = v as Record<string, unknown>;
        put(e['key'] ?? e['Key'], e['value'] ?? e['Value']);
      }
    } else {
      for (const [k, v] of Object.entries(obj)) put(k, v);
    }
    return out;
  }
  if (flat.length === 0) return undefined;
  const entries = new Map<number, { key?: string; value?: string }>();
  for (const [name, value] of flat) {
    const m = /^environment\.[vV]ariables\.(\d+)\.([kK]ey|[vV]alue)$/.exec(name);
    if (!m)
      throw bad(
        `unexpected parameter ${name}; use environment.variables.N.key and environment.variables.N.value`,
      );
    const entry = entries.get(Number(m[1])) ?? {};
    if (m[2]?.toLowerCase() === 'key') entry.key = value;
    else entry.value = value;
    entries.set(Number(m[1]), entry);
  }
  for (const i of [...entries.keys()].sort((a, b) => a - b)) {
    const e = entries.get(i);
    put(e?.key, e?.value);
  }
  return out;
}

/** `code` is `@` + base64 of the zip (not signed on POST); a bare base64 value is accepted too. */
function readCode(
  p: { code?: string | undefined; codeType?: string | undefined },
  params: ReadonlyMap<string, string>,
): { zipBase64: string } | undefined {
  if (withPrefix(params, 'codeObject').length > 0 || p.codeType?.toLowerCase() === 'cos') {
    throw new ScfError(
      'UnsupportedOperation',
      'code from COS (codeObject, codeType=Cos) is not supported by scf-local; send the zip as code=@<base64>',
      {
        field: 'codeObject',
      },
    );
  }
  if (p.code === undefined) return undefined;
  return { zipBase64: p.code.startsWith('@') ? p.code.slice(1) : p.code };
}

const MAX_INT = 2 ** 31 - 1;
const CODE_TYPE = new Map([
  ['inline', 'Inline'],
  ['zipfile', 'Zipfile'],
  ['cos', 'Cos'],
]);

/** CreateFunction's and UpdateFunction's parameters (environment.* and codeObject.* are read by prefix). */
const functionParams = (code: 'required' | 'optional') =>
  z.object({
    functionName: v2.required(),
    namespace: v2.str(),
    handler: v2.str(),
    runtime: v2.str(),
    memorySize: v2.int(0, MAX_INT),
    timeout: v2.int(0, MAX_INT),
    // An empty description clears it, so presence (not emptiness) decides.
    description: raw(),
    environment: v2.str(),
    // UpdateFunction checks the code type; CreateFunction only looks for Cos.
    codeType: code === 'required' ? v2.str() : v2.oneOf(CODE_TYPE, ['Inline', 'Zipfile', 'Cos'], lower),
    code: code === 'required' ? v2.required() : v2.str(),
  });
const FUNCTION_PREFIXES = ['environment', 'codeObject'];

const createFunction = action({
  params: functionParams('required'),
  prefixes: FUNCTION_PREFIXES,
  run: async (p, { ctx, params }) => {
    const code = readCode(p, params);
    if (!code) throw new ScfError('MissingParameter', 'parameter code is required', { field: 'code' });
    await ops.createFunction(
      ctx,
      compact({
        functionName: p.functionName,
        namespace: p.namespace,
        handler: p.handler,
        runtime: p.runtime,
        memorySize: p.memorySize,
        timeout: p.timeout,
        description: p.description === '' ? undefined : p.description,
        environment: readEnvironment(p.environment, params),
        code,
      }),
    );
    return {};
  },
});

/**
 * UpdateFunction changes code and configuration in one v2 call; scf-local applies the code first, then
 * the configuration (two operations: a configuration error after a good code update keeps the new code).
 */
const updateFunction = action({
  params: functionParams('optional'),
  prefixes: FUNCTION_PREFIXES,
  run: async (p, { ctx, params }) => {
    const { functionName, namespace, handler } = p;
    const code = readCode(p, params);
    const config = compact({
      runtime: p.runtime,
      memorySize: p.memorySize,
      timeout: p.timeout,
      description: p.description,
      environment: readEnvironment(p.environment, params),
      handler: code ? undefined : handler,
    });
    if (code) await ops.updateFunctionCode(ctx, compact({ functionName, namespace, handler, code }));
    if (Object.keys(config).length > 0)
      await ops.updateFunctionConfiguration(ctx, compact({ functionName, namespace, ...config }));
    // Nothing to change still answers "not found" for an unknown function.
    if (!code && Object.keys(config).length === 0)
      await ops.getFunction(ctx, compact({ functionName, namespace }));
    return {};
  },
});

const getFunction = action({
  params: z.object({
    functionName: v2.required(),
    namespace: v2.str(),
    qualifier: v2.str(),
    code: v2.oneOf(
      new Map([
        ['0', false],
        ['1', true],
        ['false', false],
        ['true', true],
      ]),
      ['0', '1'],
      lower,
    ),
  }),
  run: async (p, { ctx }) => {
    const fn = await ops.getFunction(
      ctx,
      compact({
        functionName: p.functionName,
        namespace: p.namespace,
        qualifier: p.qualifier,
        showCode: p.code,
      }),
    );
    const tz = ctx.config.apiTimeZoneOffsetMinutes;
    return {
      data: compact({
        modTime: formatApiTime(fn.modTime, tz),
        addTime: formatApiTime(fn.addTime, tz),
        functionName: fn.functionName,
        namespace: fn.namespace,
        handler: fn.handler,
        codeSize: fn.codeSize,
        memorySize: fn.memorySize,
        version: 'LATEST',
        timeout: fn.timeout,
        runtime: fn.runtime,
        description: fn.description,
        environment: { variables: Object.entries(fn.environment).map(([key, value]) => ({ key, value })) },
        // scf-local has no triggers; the field keeps the documented shape.
        triggers: [],
        code: fn.code,
      }),
    };
  },
});

const LIST_ORDER = new Map<string, 'ASC' | 'DESC'>([
  ['asc', 'ASC'],
  ['desc', 'DESC'],
]);
const LIST_ORDER_BY = new Map<string, 'AddTime' | 'ModTime' | 'FunctionName'>([
  ['addtime', 'AddTime'],
  ['modtime', 'ModTime'],
  ['functionname', 'FunctionName'],
]);

const listFunctions = action({
  params: z.object({
    namespace: v2.str(),
    order: v2.oneOf(LIST_ORDER, ['asc', 'desc'], lower),
    orderby: v2.oneOf(LIST_ORDER_BY, ['addtime', 'modtime', 'functionname'], lowerNoUnderscore),
    offset: v2.int(0, MAX_INT),
    limit: v2.int(1, MAX_INT),
    searchKey: v2.str(),
  }),
  run: async (p, { ctx }) => {
    const input: ListFunctionsInput = compact({
      namespace: p.namespace,
      searchKey: p.searchKey,
      order: p.order,
      orderBy: p.orderby,
      offset: p.offset,
      limit: p.limit,
    });
    const out = await ops.listFunctions(ctx, input);
    const tz = ctx.config.apiTimeZoneOffsetMinutes;
    return {
      data: {
        functions: out.functions.map((f) => ({
          modTime: formatApiTime(f.modTime, tz),
          addTime: formatApiTime(f.addTime, tz),
          runtime: f.runtime,
          functionName: f.functionName,
          namespace: f.namespace,
        })),
        total: out.total,
      },
    };
  },
});

const deleteFunction = action({
  params: z.object({ functionName: v2.required(), namespace: v2.str() }),
  run: async (p, { ctx }) => {
    await ops.deleteFunction(ctx, compact({ functionName: p.functionName, namespace: p.namespace }));
    return {};
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
