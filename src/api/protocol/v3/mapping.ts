/**
 * API 3.0 spellings <-> the typed action inputs and outputs. Pure functions: `parseX(params, env)` reads
 * a 3.0 parameter object (PascalCase) into the canonical input and throws coded ScfErrors for bad values;
 * `xResponse(output, env)` writes the canonical output in the 3.0 response model. No action is called
 * here, so every rule is unit-testable without a platform.
 */
import { createHash } from 'node:crypto';
import { ScfError } from '../../../errors/index.js';
import type { OrderBy, RetCodeFilter, StoredRecord } from '../../../store/types.js';
import { DEFAULT_LIMIT, MAX_OFFSET_PLUS_LIMIT } from '../../operations/index.js';
import type {
  CreateFunctionInput,
  CreateNamespaceInput,
  FunctionDefinition,
  FunctionRef,
  GetFunctionInput,
  GetFunctionLogsInput,
  GetFunctionLogsOutput,
  GetFunctionOutput,
  GetRequestStatusInput,
  GetRequestStatusOutput,
  InvokeInput,
  InvokeOutput,
  ListFunctionsInput,
  ListFunctionsOutput,
  ListNamespacesInput,
  ListNamespacesOutput,
  NamespaceDefinition,
  UpdateFunctionCodeInput,
  UpdateFunctionConfigurationInput,
} from '../../operations/types.js';
import { formatApiTime, parseApiTime } from '../../time.js';
import { badValue, type Json, missing, Params } from './params.js';

/** What the mapping needs besides the parameters. */
export interface MappingEnv {
  /** Zone of `YYYY-MM-DD HH:mm:ss` times (config.apiTimeZoneOffsetMinutes). */
  timeZoneOffsetMinutes: number;
  /** Server time, epoch ms. */
  now: number;
}

/** SCF's window limits. */
const DEFAULT_LOG_LIMIT = DEFAULT_LIMIT;
export const ONE_DAY_MS = 24 * 3600_000;
export const REQUEST_STATUS_DEFAULT_WINDOW_MS = 15 * 60_000;
/** Invocation payload limits (SCF status 406 beyond). */
export const SYNC_EVENT_MAX_BYTES = 6 * 1024 * 1024;
export const ASYNC_EVENT_MAX_BYTES = 128 * 1024;

const LATEST = '$LATEST';

/** scf-local has one version per function: `$DEFAULT` (InvokeFunction's default alias) names it too. */
function qualifier(p: Params, path = 'Qualifier'): string | undefined {
  const q = p.str(path);
  return q === '$DEFAULT' ? LATEST : q;
}

const functionName = (p: Params): string => p.requiredStr('FunctionName');
const namespace = (p: Params): string | undefined => p.str('Namespace');

// ---------------------------------------------------------------------------------------------- logs

/** 3.0 `OrderBy` values (snake_case), plus the camelCase ones the 2018 docs and v2 use. */
const ORDER_BY: Record<string, OrderBy> = {
  start_time: 'startTime',
  function_name: 'functionName',
  request_id: 'requestId',
  duration: 'duration',
  mem_usage: 'memUsage',
  startTime: 'startTime',
  functionName: 'functionName',
  requestId: 'requestId',
  memUsage: 'memUsage',
};

const RET_CODE_FILTERS: readonly RetCodeFilter[] = [
  'is0',
  'not0',
  'TimeLimitExceeded',
  'ResourceLimitExceeded',
  'UserCodeException',
];

function apiTime(p: Params, path: string, env: MappingEnv): number | undefined {
  const text = p.str(path);
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

/** Offset/Limit with SCF's cap on their sum. */
function window(p: Params, offsetPath: string, limitPath: string): { offset: number; limit: number } {
  const offset = p.int(offsetPath, { min: 0 }) ?? 0;
  const limit = p.int(limitPath, { min: 1 }) ?? DEFAULT_LOG_LIMIT;
  if (offset + limit > MAX_OFFSET_PLUS_LIMIT) {
    throw new ScfError(
      'LimitExceededOffset',
      `Offset + Limit must not exceed ${MAX_OFFSET_PLUS_LIMIT} (got ${offset} + ${limit}).`,
    );
  }
  return { offset, limit };
}

/**
 * GetFunctionLogs. Without StartTime/EndTime there is no time window (every stored record), so the
 * same query reads the same records through v2 (which has no time parameters) and 3.0. EndTime names a
 * whole second and includes it.
 */
export function parseGetFunctionLogs(params: Json, env: MappingEnv): GetFunctionLogsInput {
  const p = new Params(params);
  const input: GetFunctionLogsInput = {};
  const fn = p.str('FunctionName');
  if (fn !== undefined) input.functionName = fn;
  const ns = namespace(p);
  if (ns !== undefined) input.namespace = ns;
  const q = qualifier(p);
  if (q !== undefined) input.qualifier = q;
  const rid = p.str('FunctionRequestId');
  if (rid !== undefined) input.requestId = rid;

  // SearchContext.Offset/Limit were the 2019 paging cursor; honoured when the top-level ones are absent.
  const offsetPath = !p.has('Offset') && p.has('SearchContext.Offset') ? 'SearchContext.Offset' : 'Offset';
  const limitPath = !p.has('Limit') && p.has('SearchContext.Limit') ? 'SearchContext.Limit' : 'Limit';
  Object.assign(input, window(p, offsetPath, limitPath));

  const order = p.oneOf('Order', ['desc', 'asc'] as const, { caseInsensitive: true });
  if (order !== undefined) input.order = order;
  const orderBy = p.str('OrderBy');
  if (orderBy !== undefined) {
    const mapped = Object.hasOwn(ORDER_BY, orderBy) ? ORDER_BY[orderBy] : undefined;
    if (mapped === undefined) {
      throw badValue(
        'OrderBy',
        `OrderBy must be one of function_name, duration, mem_usage, start_time; got ${JSON.stringify(orderBy)}`,
      );
    }
    input.orderBy = mapped;
  }
  if (p.has('Filter')) p.obj('Filter');
  const retCode = p.oneOf('Filter.RetCode', RET_CODE_FILTERS);
  if (retCode !== undefined) input.retCode = retCode;

  const start = apiTime(p, 'StartTime', env);
  const end = apiTime(p, 'EndTime', env);
  if ((start === undefined) !== (end === undefined)) {
    throw new ScfError('InvalidParameterValue', 'StartTime and EndTime must be given together.', {
      field: 'StartTimeOrEndTime',
    });
  }
  if (start !== undefined && end !== undefined) {
    if (end < start) {
      throw new ScfError('InvalidParameterValue', 'EndTime is earlier than StartTime.', {
        field: 'DateTime',
      });
    }
    if (end - start > ONE_DAY_MS) {
      throw new ScfError('InvalidParameterValue', 'StartTime and EndTime must be at most one day apart.', {
        field: 'DateTime',
      });
    }
    input.startTime = start;
    input.endTime = end + 999;
  }

  if (p.has('SearchContext')) p.obj('SearchContext');
  const keyword = p.str('SearchContext.Keyword');
  if (keyword !== undefined && keyword.trim() !== '') input.keyword = keyword;
  return input;
}

/** FunctionLog's `Level` (deprecated in the v4 model, values never documented): INFO, or ERROR on failure. */
function level(r: StoredRecord): string {
  return r.retCode === 0 || r.retCode === 2 ? 'INFO' : 'ERROR';
}

/**
 * Durations to the µs, as SCF's examples (0.532) and the v2 protocol show them, so the same record reads
 * the same through both; rounding is monotonic, so sorts still hold.
 */
export const ms3 = (d: number): number => Math.round(d * 1000) / 1000;

export function functionLog(r: StoredRecord, env: MappingEnv): Json {
  return {
    FunctionName: r.functionName,
    RetMsg: r.retMsg,
    RequestId: r.requestId,
    StartTime: formatApiTime(r.startTime, env.timeZoneOffsetMinutes),
    RetCode: Math.trunc(r.retCode),
    InvokeFinished: Math.trunc(r.invokeFinished),
    Duration: ms3(r.duration),
    BillDuration: Math.round(r.billDuration),
    MemUsage: Math.round(r.memUsage),
    Log: r.log,
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

/**
 * GetRequestStatus. Default window: the last 15 minutes. StartTime alone is refused (SCF: EndTime must
 * come with it); EndTime alone means the 15 minutes before it.
 */
export function parseGetRequestStatus(params: Json, env: MappingEnv): GetRequestStatusInput {
  const p = new Params(params);
  const input: GetRequestStatusInput = {
    functionName: functionName(p),
    functionRequestId: p.requiredStr('FunctionRequestId'),
  };
  const ns = namespace(p);
  if (ns !== undefined) input.namespace = ns;
  const start = apiTime(p, 'StartTime', env);
  const end = apiTime(p, 'EndTime', env);
  if (start !== undefined && end === undefined) {
    throw new ScfError('InvalidParameterValue', 'EndTime must be given with StartTime.', {
      field: 'StartTimeOrEndTime',
    });
  }
  if (end !== undefined) {
    const from = start ?? end - REQUEST_STATUS_DEFAULT_WINDOW_MS;
    if (end < from) {
      throw new ScfError('InvalidParameterValue', 'EndTime is earlier than StartTime.', {
        field: 'DateTime',
      });
    }
    input.startTime = from;
    input.endTime = end + 999;
  }
  // Neither: the action's default window (the last 15 minutes).
  return input;
}

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
function eventText(p: Params, path: string): string | undefined {
  const raw = p.raw(path);
  if (raw !== undefined && typeof raw === 'object') return JSON.stringify(raw);
  return p.str(path);
}

function checkEvent(event: string, path: string, async: boolean): void {
  const limit = async ? ASYNC_EVENT_MAX_BYTES : SYNC_EVENT_MAX_BYTES;
  const size = Buffer.byteLength(event, 'utf8');
  if (size > limit) {
    throw new ScfError(
      'RequestTooLarge',
      `${path} is ${size} bytes; ${async ? 'asynchronous' : 'synchronous'} invocations take at most ${limit} bytes.`,
    );
  }
  try {
    JSON.parse(event);
  } catch (err) {
    throw new ScfError('InvalidParameterValue', `${path} is not valid JSON.`, { field: path, cause: err });
  }
}

export function parseInvoke(params: Json): InvokeInput {
  const p = new Params(params);
  const input: InvokeInput = { functionName: functionName(p) };
  const ns = namespace(p);
  if (ns !== undefined) input.namespace = ns;
  const q = qualifier(p);
  if (q !== undefined) input.qualifier = q;
  const type = p.oneOf('InvocationType', ['RequestResponse', 'Event'] as const);
  if (type !== undefined) input.invocationType = type;
  const logType = p.oneOf('LogType', ['None', 'Tail'] as const);
  if (logType !== undefined) input.logType = logType;
  const event = eventText(p, 'ClientContext');
  if (event !== undefined) {
    checkEvent(event, 'ClientContext', type === 'Event');
    input.event = event;
  }
  return input;
}

/** InvokeFunction: synchronous only, the event in `Event`, Qualifier default `$DEFAULT` (= `$LATEST`). */
export function parseInvokeFunction(params: Json): InvokeInput {
  const p = new Params(params);
  const input: InvokeInput = { functionName: functionName(p), invocationType: 'RequestResponse' };
  const ns = namespace(p);
  if (ns !== undefined) input.namespace = ns;
  input.qualifier = qualifier(p) ?? LATEST;
  const logType = p.oneOf('LogType', ['None', 'Tail'] as const);
  if (logType !== undefined) input.logType = logType;
  const event = eventText(p, 'Event');
  if (event !== undefined) {
    checkEvent(event, 'Event', false);
    input.event = event;
  }
  return input;
}

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

// -------------------------------------------------------------------------------- function management

function environment(p: Params): Record<string, string> | undefined {
  if (!p.has('Environment')) return undefined;
  p.obj('Environment');
  const vars = p.list('Environment.Variables') ?? [];
  const env: Record<string, string> = {};
  for (const [i, v] of vars.entries()) {
    const item = new Params({ v });
    const key = item.str('v.Key');
    if (key === undefined) throw badValue('Environment', `Environment.Variables.${i}.Key is missing`);
    env[key] = item.str('v.Value') ?? '';
  }
  return env;
}

function unsupportedCodeSource(p: Params, prefix: string): void {
  for (const field of ['CosBucketName', 'CosObjectName', 'TempCosObjectName', 'DemoId', 'ImageConfig']) {
    if (p.has(`${prefix}${field}`)) {
      throw new ScfError(
        'UnsupportedOperation',
        `${prefix}${field}: scf-local takes code only as a base64 zip (ZipFile); COS, demo and image code are not supported.`,
      );
    }
  }
  const source = p.str('CodeSource');
  if (source !== undefined && source !== 'ZipFile') {
    throw new ScfError(
      'UnsupportedOperation',
      `CodeSource ${source} is not supported by scf-local; use ZipFile.`,
    );
  }
}

/** Fields shared by CreateFunction and UpdateFunctionConfiguration. */
function configFields(p: Params): Omit<UpdateFunctionConfigurationInput, 'functionName'> {
  const out: Omit<UpdateFunctionConfigurationInput, 'functionName'> = {};
  const ns = namespace(p);
  if (ns !== undefined) out.namespace = ns;
  const runtime = p.str('Runtime');
  if (runtime !== undefined) out.runtime = runtime;
  const memory = p.int('MemorySize');
  if (memory !== undefined) out.memorySize = memory;
  const timeout = p.int('Timeout');
  if (timeout !== undefined) out.timeout = timeout;
  const description = p.raw('Description');
  if (description !== undefined) out.description = p.str('Description') ?? '';
  const env = environment(p);
  if (env !== undefined) out.environment = env;
  return out;
}

export function parseCreateFunction(params: Json): CreateFunctionInput {
  const p = new Params(params);
  const name = functionName(p);
  if (!p.has('Code')) throw missing('Code');
  p.obj('Code');
  unsupportedCodeSource(p, 'Code.');
  const zip = p.str('Code.ZipFile');
  if (zip === undefined) throw missing('Code.ZipFile');
  const type = p.str('Type');
  if (type !== undefined && type !== 'Event') {
    throw new ScfError(
      'UnsupportedOperation',
      `function Type ${type} is not supported by scf-local; only Event.`,
    );
  }
  const input: CreateFunctionInput = { functionName: name, code: { zipBase64: zip }, ...configFields(p) };
  const handler = p.str('Handler');
  if (handler !== undefined) input.handler = handler;
  return input;
}

export function parseUpdateFunctionCode(params: Json): UpdateFunctionCodeInput {
  const p = new Params(params);
  const name = functionName(p);
  unsupportedCodeSource(p, '');
  if (p.has('Code')) unsupportedCodeSource(p, 'Code.');
  const zip = p.str('ZipFile') ?? p.str('Code.ZipFile');
  if (zip === undefined) throw missing('ZipFile');
  const input: UpdateFunctionCodeInput = { functionName: name, code: { zipBase64: zip } };
  const ns = namespace(p);
  if (ns !== undefined) input.namespace = ns;
  const handler = p.str('Handler');
  if (handler !== undefined) input.handler = handler;
  return input;
}

export function parseUpdateFunctionConfiguration(params: Json): UpdateFunctionConfigurationInput {
  const p = new Params(params);
  const input: UpdateFunctionConfigurationInput = { functionName: functionName(p), ...configFields(p) };
  const handler = p.str('Handler');
  if (handler !== undefined) input.handler = handler;
  return input;
}

export function parseFunctionRef(params: Json): FunctionRef {
  const p = new Params(params);
  const ref: FunctionRef = { functionName: functionName(p) };
  const ns = namespace(p);
  if (ns !== undefined) ref.namespace = ns;
  return ref;
}

export function parseGetFunction(params: Json): GetFunctionInput {
  const p = new Params(params);
  const input: GetFunctionInput = parseFunctionRef(params);
  const q = qualifier(p);
  if (q !== undefined) input.qualifier = q;
  const show = p.oneOf('ShowCode', ['TRUE', 'FALSE'] as const, { caseInsensitive: true });
  if (show !== undefined) input.showCode = show === 'TRUE';
  return input;
}

/** A stable SCF-looking id (`lam-` + 8 characters), derived so that it survives restarts. */
export function functionId(def: Pick<FunctionDefinition, 'namespace' | 'functionName' | 'addTime'>): string {
  const h = createHash('sha256').update(`${def.namespace}/${def.functionName}/${def.addTime}`).digest('hex');
  return `lam-${h.slice(0, 8)}`;
}

function functionSummary(def: FunctionDefinition, env: MappingEnv): Json {
  return {
    ModTime: formatApiTime(def.modTime, env.timeZoneOffsetMinutes),
    AddTime: formatApiTime(def.addTime, env.timeZoneOffsetMinutes),
    Runtime: def.runtime,
    FunctionName: def.functionName,
    FunctionId: functionId(def),
    Namespace: def.namespace,
    Status: 'Active',
    StatusDesc: '',
    Description: def.description,
    Tags: [],
    Type: 'Event',
    AsyncRunEnable: 'FALSE',
    TraceEnable: 'FALSE',
  };
}

export function getFunctionResponse(out: GetFunctionOutput, env: MappingEnv): Json {
  return {
    ...functionSummary(out, env),
    CodeInfo: out.code ?? '',
    Triggers: [],
    Handler: out.handler,
    CodeSize: out.codeSize,
    Timeout: out.timeout,
    FunctionVersion: LATEST,
    MemorySize: out.memorySize,
    VpcConfig: { VpcId: '', SubnetId: '' },
    Environment: { Variables: Object.entries(out.environment).map(([Key, Value]) => ({ Key, Value })) },
    CodeResult: 'success',
    CodeError: '',
    ErrNo: 0,
    Role: '',
    InstallDependency: 'FALSE',
    ClsLogsetId: '',
    ClsTopicId: '',
    Layers: [],
    AvailableStatus: 'Available',
    Qualifier: LATEST,
    InitTimeout: 65,
    StatusReasons: [],
  };
}

export function parseListFunctions(params: Json): ListFunctionsInput {
  const p = new Params(params);
  const input: ListFunctionsInput = {};
  const ns = namespace(p);
  if (ns !== undefined) input.namespace = ns;
  const order = p.oneOf('Order', ['ASC', 'DESC'] as const, { caseInsensitive: true });
  if (order !== undefined) input.order = order;
  const orderBy = p.oneOf('Orderby', ['AddTime', 'ModTime', 'FunctionName'] as const, {
    caseInsensitive: true,
  });
  if (orderBy !== undefined) input.orderBy = orderBy;
  const offset = p.int('Offset', { min: 0 });
  if (offset !== undefined) input.offset = offset;
  const limit = p.int('Limit', { min: 0 });
  if (limit !== undefined) input.limit = limit;
  const search = p.str('SearchKey');
  if (search !== undefined) input.searchKey = search;
  return input;
}

export function listFunctionsResponse(out: ListFunctionsOutput, env: MappingEnv): Json {
  return { Functions: out.functions.map((f) => functionSummary(f, env)), TotalCount: out.total };
}

// ------------------------------------------------------------------------------------------ namespaces

export function parseCreateNamespace(params: Json): CreateNamespaceInput {
  const p = new Params(params);
  const input: CreateNamespaceInput = { namespace: p.requiredStr('Namespace') };
  const description = p.str('Description');
  if (description !== undefined) input.description = description;
  return input;
}

export function parseDeleteNamespace(params: Json): { namespace: string } {
  return { namespace: new Params(params).requiredStr('Namespace') };
}

/** ListNamespaces' SearchKey is `[{Key, Value}]`; `Namespace` (or `Name`) keys search the name. */
export function parseListNamespaces(params: Json): ListNamespacesInput {
  const p = new Params(params);
  const input: ListNamespacesInput = {};
  const offset = p.int('Offset', { min: 0 });
  if (offset !== undefined) input.offset = offset;
  const limit = p.int('Limit', { min: 0 });
  if (limit !== undefined) input.limit = limit;
  const keys = p.list('SearchKey') ?? [];
  for (const [i, k] of keys.entries()) {
    const item = new Params({ k });
    const key = item.str('k.Key');
    if (key === undefined) throw badValue('SearchKey', `SearchKey.${i}.Key is missing`);
    if (key !== 'Namespace' && key !== 'Name') {
      throw badValue('SearchKey', `SearchKey.${i}.Key must be Namespace; got ${JSON.stringify(key)}`);
    }
    const value = item.str('k.Value');
    if (value !== undefined) input.searchKey = value;
  }
  return input;
}

function namespaceItem(ns: NamespaceDefinition, env: MappingEnv): Json {
  return {
    ModTime: formatApiTime(ns.modTime, env.timeZoneOffsetMinutes),
    AddTime: formatApiTime(ns.addTime, env.timeZoneOffsetMinutes),
    Description: ns.description,
    Name: ns.name,
    Type: ns.name === 'default' ? 'default' : 'custom',
  };
}

export function listNamespacesResponse(out: ListNamespacesOutput, env: MappingEnv): Json {
  return { Namespaces: out.namespaces.map((n) => namespaceItem(n, env)), TotalCount: out.total };
}
