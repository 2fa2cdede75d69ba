/**
 * The v2 actions: each reads its v2 parameters (lowerCamelCase, flattened with dots) into an operation's
 * typed input, calls the operation, and shapes its output as the v2 documents show it. No business rules
 * live here beyond the wire format: limits and existence are the operations' job.
 */

import { ScfError } from '../../../errors/index.js';
import type { ListFunctionsInput } from '../../../functions/types.js';
import type { Order, OrderBy, RetCodeFilter, StoredRecord } from '../../../store/types.js';
import type * as operations from '../../operations/index.js';
import { DEFAULT_LIMIT, MAX_OFFSET_PLUS_LIMIT } from '../../operations/index.js';
import type { ActionContext, GetFunctionLogsInput, InvokeInput } from '../../operations/types.js';
import { formatApiTime, parseApiTime } from '../../time.js';
import type { ParamReader } from './reader.js';

/** The operations the v2 protocol calls (the real ones, or fakes in unit tests). */
export type V2Operations = Pick<
  typeof operations,
  | 'getFunctionLogs'
  | 'invoke'
  | 'createFunction'
  | 'updateFunctionCode'
  | 'updateFunctionConfiguration'
  | 'getFunction'
  | 'listFunctions'
  | 'deleteFunction'
>;

/** An action's result: fields placed in the envelope after code/message/codeDesc. */
export type V2Body = Record<string, unknown>;

export type V2Action = (r: ParamReader, ops: V2Operations, ctx: ActionContext) => Promise<V2Body>;

// SCF's GetFunctionLogs limits are the action layer's; the wire layer only names them in v2 spelling.
const MAX_LOG_WINDOW = MAX_OFFSET_PLUS_LIMIT;
const DEFAULT_LOG_LIMIT = DEFAULT_LIMIT;

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
const LOG_ORDER_BY = new Map<string, OrderBy>([
  ['starttime', 'startTime'],
  ['functionname', 'functionName'],
  ['requestid', 'requestId'],
  ['duration', 'duration'],
  ['memusage', 'memUsage'],
]);
const RET_CODE_FILTER = new Map<string, RetCodeFilter>([
  ['is0', 'is0'],
  ['not0', 'not0'],
  ['timelimitexceeded', 'TimeLimitExceeded'],
  ['resourcelimitexceeded', 'ResourceLimitExceeded'],
  ['usercodeexception', 'UserCodeException'],
]);
const RET_CODE_SHOWN = ['is0', 'not0', 'TimeLimitExceeded', 'ResourceLimitExceeded', 'UserCodeException'];

/** Durations keep the seed's precision (µs, e.g. 2.735): rounding is monotonic, so sorts still hold. */
const ms3 = (d: number): number => Math.round(d * 1000) / 1000;

/** One GetFunctionLogs item: exactly the seed's fields, in the seed's order, with its JSON types. */
export function logItem(r: StoredRecord, tzOffsetMinutes: number) {
  return {
    functionName: r.functionName,
    retMsg: r.retMsg,
    requestId: r.requestId,
    startTime: formatApiTime(r.startTime, tzOffsetMinutes),
    retCode: Math.trunc(r.retCode),
    invokeFinished: Math.trunc(r.invokeFinished),
    duration: ms3(r.duration),
    billDuration: Math.round(r.billDuration),
    memUsage: Math.round(r.memUsage),
    log: r.log,
  };
}

function readRetCodeFilter(r: ParamReader): RetCodeFilter | undefined {
  const spellings = ['filter.retCode', 'filter.RetCode'].filter((n) => r.has(n));
  const json = r.str('filter');
  if (spellings.length + (json === undefined ? 0 : 1) > 1) {
    throw new ScfError(
      'InvalidParameter',
      'give the retCode filter once: filter.retCode=..., or filter as JSON',
      {
        field: 'filter',
      },
    );
  }
  const opts = { shown: RET_CODE_SHOWN, normalize: lower };
  if (spellings[0] !== undefined) return r.oneOf(spellings[0], RET_CODE_FILTER, opts);
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
      `filter.retCode must be one of ${RET_CODE_SHOWN.join(', ')}, got ${JSON.stringify(value)}`,
      {
        field: 'filter.retCode',
      },
    );
  }
  return found;
}

function readApiTime(r: ParamReader, name: string, tz: number): number | undefined {
  const v = r.str(name);
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

const getFunctionLogs: V2Action = async (r, ops, ctx) => {
  r.rejectUnknown('GetFunctionLogs', [
    'functionName',
    'namespace',
    'qualifier',
    'requestId',
    'offset',
    'limit',
    'order',
    'orderby',
    'orderBy',
    'filter',
    'filter.retCode',
    'filter.RetCode',
    'startTime',
    'endTime',
    'keyword',
  ]);
  const tz = ctx.config.apiTimeZoneOffsetMinutes;
  const offset = r.int('offset', { min: 0, max: MAX_LOG_WINDOW }) ?? 0;
  const limit = r.int('limit', { min: 1, max: MAX_LOG_WINDOW }) ?? DEFAULT_LOG_LIMIT;
  if (offset + limit > MAX_LOG_WINDOW) {
    throw new ScfError(
      'LimitExceededOffset',
      `offset + limit must not exceed ${MAX_LOG_WINDOW}, got ${offset} + ${limit}`,
      { field: 'offset' },
    );
  }
  if (r.has('orderby') && r.has('orderBy')) {
    throw new ScfError('InvalidParameter', 'give orderby once (orderby or orderBy)', { field: 'orderby' });
  }
  const orderByName = r.has('orderBy') ? 'orderBy' : 'orderby';
  const startTime = readApiTime(r, 'startTime', tz);
  // endTime names a whole second: records started anywhere in it are included.
  const endSecond = readApiTime(r, 'endTime', tz);
  const endTime = endSecond === undefined ? undefined : endSecond + 999;
  if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
    throw new ScfError('InvalidParameterValue', 'startTime must not be later than endTime', {
      field: 'startTime',
    });
  }
  const input: GetFunctionLogsInput = compact({
    functionName: r.str('functionName'),
    namespace: r.str('namespace'),
    qualifier: r.str('qualifier'),
    requestId: r.str('requestId'),
    keyword: r.str('keyword'),
    offset,
    limit,
    order: r.oneOf('order', LOG_ORDER, { shown: ['desc', 'asc'], normalize: lower }),
    orderBy: r.oneOf(orderByName, LOG_ORDER_BY, {
      shown: [
        'startTime',
        'functionName',
        'requestId',
        'duration',
        'memUsage',
        '(or their snake_case spellings)',
      ],
      normalize: lowerNoUnderscore,
    }),
    retCode: readRetCodeFilter(r),
    startTime,
    endTime,
  });
  const page = await ops.getFunctionLogs(ctx, input);
  return { total: page.total, data: page.items.map((item) => logItem(item, tz)) };
};

const INVOKE_TYPE = new Map<string, 'RequestResponse' | 'Event'>([
  ['requestresponse', 'RequestResponse'],
  ['event', 'Event'],
]);
const LOG_TYPE = new Map<string, 'None' | 'Tail'>([
  ['none', 'None'],
  ['tail', 'Tail'],
]);

const invokeFunction: V2Action = async (r, ops, ctx) => {
  r.rejectUnknown('InvokeFunction', [
    'functionName',
    'namespace',
    'qualifier',
    'invokeType',
    'param',
    'logType',
  ]);
  const input: InvokeInput = compact({
    functionName: r.required('functionName'),
    namespace: r.str('namespace'),
    qualifier: r.str('qualifier'),
    invocationType: r.oneOf('invokeType', INVOKE_TYPE, {
      shown: ['RequestResponse', 'Event'],
      normalize: lower,
    }),
    logType: r.oneOf('logType', LOG_TYPE, { shown: ['None', 'Tail'], normalize: lower }),
    event: r.str('param'),
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
};

/**
 * The environment, in either v2 form: flattened like API 3.0's `Environment.Variables[{Key,Value}]`
 * (`environment.variables.0.key=A&environment.variables.0.value=1`, what qcloudapi-sdk sends for
 * `{environment:{variables:[{key,value}]}}`), or one `environment` parameter holding JSON: that same object,
 * or a plain `{"A":"1"}` map. Key/Value may be capitalised as in 3.0.
 */
function readEnvironment(r: ParamReader): Record<string, string> | undefined {
  const json = r.str('environment');
  const flat = r.withPrefix('environment');
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
    if (m[2]!.toLowerCase() === 'key') entry.key = value;
    else entry.value = value;
    entries.set(Number(m[1]), entry);
  }
  for (const i of [...entries.keys()].sort((a, b) => a - b)) {
    const e = entries.get(i)!;
    put(e.key, e.value);
  }
  return out;
}

/** `code` is `@` + base64 of the zip (not signed on POST); a bare base64 value is accepted too. */
function readCode(r: ParamReader, required: boolean): { zipBase64: string } | undefined {
  if (r.withPrefix('codeObject').length > 0 || r.str('codeType')?.toLowerCase() === 'cos') {
    throw new ScfError(
      'UnsupportedOperation',
      'code from COS (codeObject, codeType=Cos) is not supported by scf-local; send the zip as code=@<base64>',
      {
        field: 'codeObject',
      },
    );
  }
  const code = required ? r.required('code') : r.str('code');
  if (code === undefined) return undefined;
  return { zipBase64: code.startsWith('@') ? code.slice(1) : code };
}

const MAX_INT = 2 ** 31 - 1;
const FUNCTION_FIELDS = [
  'functionName',
  'namespace',
  'handler',
  'runtime',
  'memorySize',
  'timeout',
  'description',
  'environment',
  'code',
];

const createFunction: V2Action = async (r, ops, ctx) => {
  r.rejectUnknown('CreateFunction', [...FUNCTION_FIELDS, 'codeType'], ['environment', 'codeObject']);
  const functionName = r.required('functionName');
  const code = readCode(r, true)!;
  await ops.createFunction(
    ctx,
    compact({
      functionName,
      namespace: r.str('namespace'),
      handler: r.str('handler'),
      runtime: r.str('runtime'),
      memorySize: r.int('memorySize', { min: 0, max: MAX_INT }),
      timeout: r.int('timeout', { min: 0, max: MAX_INT }),
      description: r.str('description'),
      environment: readEnvironment(r),
      code,
    }),
  );
  return {};
};

/**
 * UpdateFunction changes code and configuration in one v2 call; scf-local applies the code first, then
 * the configuration (two operations: a configuration error after a good code update keeps the new code).
 */
const updateFunction: V2Action = async (r, ops, ctx) => {
  r.rejectUnknown('UpdateFunction', [...FUNCTION_FIELDS, 'codeType'], ['environment', 'codeObject']);
  const functionName = r.required('functionName');
  const namespace = r.str('namespace');
  r.oneOf(
    'codeType',
    new Map([
      ['inline', 1],
      ['zipfile', 1],
      ['cos', 1],
    ]),
    { shown: ['Inline', 'Zipfile', 'Cos'], normalize: lower },
  );
  const code = readCode(r, false);
  const handler = r.str('handler');
  const config = compact({
    runtime: r.str('runtime'),
    memorySize: r.int('memorySize', { min: 0, max: MAX_INT }),
    timeout: r.int('timeout', { min: 0, max: MAX_INT }),
    // An empty description clears it, so presence (not emptiness) decides here.
    description: r.raw('description'),
    environment: readEnvironment(r),
    handler: code ? undefined : handler,
  });
  if (code) await ops.updateFunctionCode(ctx, compact({ functionName, namespace, handler, code }));
  if (Object.keys(config).length > 0)
    await ops.updateFunctionConfiguration(ctx, compact({ functionName, namespace, ...config }));
  // Nothing to change still answers "not found" for an unknown function.
  if (!code && Object.keys(config).length === 0)
    await ops.getFunction(ctx, compact({ functionName, namespace }));
  return {};
};

const getFunction: V2Action = async (r, ops, ctx) => {
  r.rejectUnknown('GetFunction', ['functionName', 'namespace', 'qualifier', 'code']);
  const showCode = r.oneOf(
    'code',
    new Map([
      ['0', false],
      ['1', true],
      ['false', false],
      ['true', true],
    ]),
    { shown: ['0', '1'], normalize: lower },
  );
  const fn = await ops.getFunction(
    ctx,
    compact({
      functionName: r.required('functionName'),
      namespace: r.str('namespace'),
      qualifier: r.str('qualifier'),
      showCode,
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
};

const LIST_ORDER = new Map<string, 'ASC' | 'DESC'>([
  ['asc', 'ASC'],
  ['desc', 'DESC'],
]);
const LIST_ORDER_BY = new Map<string, 'AddTime' | 'ModTime' | 'FunctionName'>([
  ['addtime', 'AddTime'],
  ['modtime', 'ModTime'],
  ['functionname', 'FunctionName'],
]);

const listFunctions: V2Action = async (r, ops, ctx) => {
  r.rejectUnknown('ListFunctions', ['namespace', 'order', 'orderby', 'offset', 'limit', 'searchKey']);
  const input: ListFunctionsInput = compact({
    namespace: r.str('namespace'),
    searchKey: r.str('searchKey'),
    order: r.oneOf('order', LIST_ORDER, { shown: ['asc', 'desc'], normalize: lower }),
    orderBy: r.oneOf('orderby', LIST_ORDER_BY, {
      shown: ['addtime', 'modtime', 'functionname'],
      normalize: lowerNoUnderscore,
    }),
    offset: r.int('offset', { min: 0, max: MAX_INT }),
    limit: r.int('limit', { min: 1, max: MAX_INT }),
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
};

const deleteFunction: V2Action = async (r, ops, ctx) => {
  r.rejectUnknown('DeleteFunction', ['functionName', 'namespace']);
  await ops.deleteFunction(
    ctx,
    compact({ functionName: r.required('functionName'), namespace: r.str('namespace') }),
  );
  return {};
};

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
