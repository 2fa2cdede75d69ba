/**
 * The recorded set of requests: every API action through v2 and API 3.0, good and bad, over fixed
 * records. `answers.json` holds what the server answered to each, recorded before the protocol layers were
 * consolidated; the wire test replays them and wants the same bytes.
 */
import { zipSync } from 'fflate';
import type { InvocationRecord } from '../../src/store/types.js';

export type Proto = 'v2' | 'v2post' | 'v3' | 'v3form';

export interface Case {
  name: string;
  proto: Proto;
  action: string;
  params: Record<string, unknown>;
}

/** A zip with fixed bytes (a fixed local mtime: zip times are local, so the bytes are the same in every zone), so CodeSize and ShowCode answers do not move. */
export function codeZip(files: Record<string, string>): Buffer {
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {};
  for (const [name, text] of Object.entries(files)) {
    entries[name] = [Buffer.from(text), { mtime: new Date(2026, 0, 1) }];
  }
  return Buffer.from(zipSync(entries));
}

const ECHO = codeZip({
  'index.js':
    'exports.main_handler = async (event) => { console.log("echo", JSON.stringify(event)); return event; };\n',
});
const ZIP64 = ECHO.toString('base64');

/** Seeded records: fixed ids, times, figures and logs (UTC 2026-11-30 02:00:00 = 10:00:00 UTC+8). */
export function seedRecords(): InvocationRecord[] {
  const base = Date.UTC(2026, 10, 30, 2, 0, 0);
  const rows: Array<[string, string, number, number, number, number, string, string]> = [
    // fn, ns, offset s, retCode, duration, memUsage, retMsg, user line
    ['alpha', 'default', 0, 0, 12.3456, 31_457_280, '"ok"', 'first apple pie'],
    ['alpha', 'default', 5, 430, 3.2, 20_000_000, '{"errorCode":-1,"errorMessage":"boom"}', 'Error boom'],
    [
      'alpha',
      'default',
      10,
      433,
      3000,
      40_000_000,
      '{"errorCode":-1,"errorMessage":"timeout"}',
      'slow apple',
    ],
    [
      'alpha',
      'default',
      15,
      434,
      100.5,
      140_000_000,
      '{"errorCode":-1,"errorMessage":"oom"}',
      'memory grows',
    ],
    ['alpha', 'default', 20, 0, 0.532, 25_000_000, '{"a":1}', 'second banana split'],
    ['alpha', 'default', 3600 * 30, 0, 1.001, 25_000_000, '"later"', 'a day later'],
    ['beta', 'default', 2, 2, 0, 0, '', 'still running'],
    ['beta', 'default', 7, 3, 0, 0, '', 'interrupted here'],
    ['beta', 'default', 12, 437, 0.2, 10_000_000, '{"errorCode":-1,"errorMessage":"no handler"}', ''],
    ['beta', 'default', 12, 0, 7, 15_000_000, '"tie"', 'tie on start'],
    ['gamma', 'team', 1, 0, 2.5, 22_000_000, '"ns"', 'in a namespace apple'],
    ['gamma', 'team', 4, 439, 9, 30_000_000, '{"errorCode":-1,"errorMessage":"exit"}', '中文 日志 apple'],
  ];
  return rows.map(([functionName, namespace, at, retCode, duration, memUsage, retMsg, line], i) => {
    const requestId = `golden-${String(i + 1).padStart(2, '0')}`;
    const startTime = base + at * 1000;
    const iso = new Date(startTime).toISOString();
    const log =
      `START RequestId: ${requestId}\n` +
      (line ? `${iso}\t${requestId}\t${line}\n` : '') +
      (retCode === 2
        ? ''
        : `END RequestId: ${requestId}\nReport RequestId: ${requestId} Duration: ${duration}ms\n`);
    return {
      requestId,
      namespace,
      functionName,
      qualifier: '$LATEST',
      startTime,
      duration,
      billDuration: Math.ceil(duration),
      memUsage,
      retCode,
      retMsg,
      invokeFinished: retCode === 2 || retCode === 3 ? 0 : 1,
      retryNum: 0,
      log,
    };
  });
}

const v3 = (name: string, action: string, params: Record<string, unknown> = {}): Case => ({
  name,
  proto: 'v3',
  action,
  params,
});
const v2 = (name: string, action: string, params: Record<string, unknown> = {}): Case => ({
  name,
  proto: 'v2',
  action,
  params,
});

/** Set-up requests (answers recorded too): the functions and namespace the records belong to. */
export const SETUP: Case[] = [
  v3('setup CreateNamespace team', 'CreateNamespace', { Namespace: 'team', Description: 'the team' }),
  v3('setup CreateFunction alpha', 'CreateFunction', {
    FunctionName: 'alpha',
    Handler: 'index.main_handler',
    Runtime: 'Nodejs18.15',
    Code: { ZipFile: ZIP64 },
    MemorySize: 128,
    Timeout: 3,
    Description: 'first',
    Environment: { Variables: [{ Key: 'A', Value: '1' }] },
  }),
  v3('setup CreateFunction beta', 'CreateFunction', {
    FunctionName: 'beta',
    Handler: 'index.main_handler',
    Runtime: 'Nodejs16.13',
    Code: { ZipFile: ZIP64 },
  }),
  {
    name: 'setup v2 CreateFunction gamma',
    proto: 'v2post',
    action: 'CreateFunction',
    params: {
      functionName: 'gamma',
      namespace: 'team',
      handler: 'index.main_handler',
      runtime: 'Nodejs12.16',
      memorySize: 256,
      code: `@${ZIP64}`,
    },
  },
];

const logsV3: Case[] = [
  v3('v3 logs default', 'GetFunctionLogs'),
  v3('v3 logs alpha', 'GetFunctionLogs', { FunctionName: 'alpha' }),
  v3('v3 logs alpha asc limit 2', 'GetFunctionLogs', { FunctionName: 'alpha', Order: 'asc', Limit: 2 }),
  v3('v3 logs alpha offset 2 limit 2', 'GetFunctionLogs', { FunctionName: 'alpha', Offset: 2, Limit: 2 }),
  v3('v3 logs order DESC', 'GetFunctionLogs', { Order: 'DESC', Limit: 3 }),
  v3('v3 logs by duration', 'GetFunctionLogs', { OrderBy: 'duration', Order: 'asc' }),
  v3('v3 logs by mem_usage', 'GetFunctionLogs', { OrderBy: 'mem_usage' }),
  v3('v3 logs by function_name', 'GetFunctionLogs', { OrderBy: 'function_name', Order: 'asc' }),
  v3('v3 logs by start_time', 'GetFunctionLogs', { OrderBy: 'start_time', Order: 'asc' }),
  v3('v3 logs by requestId', 'GetFunctionLogs', { OrderBy: 'requestId' }),
  v3('v3 logs is0', 'GetFunctionLogs', { Filter: { RetCode: 'is0' } }),
  v3('v3 logs not0', 'GetFunctionLogs', { Filter: { RetCode: 'not0' } }),
  v3('v3 logs timeout', 'GetFunctionLogs', { Filter: { RetCode: 'TimeLimitExceeded' } }),
  v3('v3 logs oom', 'GetFunctionLogs', { Filter: { RetCode: 'ResourceLimitExceeded' } }),
  v3('v3 logs user', 'GetFunctionLogs', { Filter: { RetCode: 'UserCodeException' } }),
  v3('v3 logs keyword', 'GetFunctionLogs', { SearchContext: { Keyword: 'apple' } }),
  v3('v3 logs keyword prefix', 'GetFunctionLogs', { SearchContext: { Keyword: 'ban*' } }),
  v3('v3 logs keyword phrase', 'GetFunctionLogs', { SearchContext: { Keyword: '"apple pie"' } }),
  v3('v3 logs keyword cjk', 'GetFunctionLogs', { SearchContext: { Keyword: '中文' } }),
  v3('v3 logs keyword blank', 'GetFunctionLogs', { SearchContext: { Keyword: '  ' } }),
  v3('v3 logs search context paging', 'GetFunctionLogs', { SearchContext: { Offset: 1, Limit: 2 } }),
  v3('v3 logs window', 'GetFunctionLogs', {
    StartTime: '2026-11-30 10:00:05',
    EndTime: '2026-11-30 10:00:12',
  }),
  v3('v3 logs request id', 'GetFunctionLogs', { FunctionRequestId: 'golden-03' }),
  v3('v3 logs namespace', 'GetFunctionLogs', { Namespace: 'team' }),
  v3('v3 logs qualifier default', 'GetFunctionLogs', {
    FunctionName: 'alpha',
    Qualifier: '$DEFAULT',
    Limit: 1,
  }),
  v3('v3 logs qualifier latest', 'GetFunctionLogs', {
    FunctionName: 'alpha',
    Qualifier: '$LATEST',
    Limit: 1,
  }),
  v3('v3 logs qualifier 1', 'GetFunctionLogs', { FunctionName: 'alpha', Qualifier: '1' }),
  v3('v3 logs limit string', 'GetFunctionLogs', { Limit: '2' }),
  // errors
  v3('v3 logs bad order', 'GetFunctionLogs', { Order: 'up' }),
  v3('v3 logs bad orderby', 'GetFunctionLogs', { OrderBy: 'size' }),
  v3('v3 logs bad filter', 'GetFunctionLogs', { Filter: { RetCode: 'nope' } }),
  v3('v3 logs filter not object', 'GetFunctionLogs', { Filter: 'is0' }),
  v3('v3 logs offset+limit', 'GetFunctionLogs', { Offset: 9990, Limit: 11 }),
  v3('v3 logs limit 0', 'GetFunctionLogs', { Limit: 0 }),
  v3('v3 logs offset -1', 'GetFunctionLogs', { Offset: -1 }),
  v3('v3 logs limit text', 'GetFunctionLogs', { Limit: 'ten' }),
  v3('v3 logs start only', 'GetFunctionLogs', { StartTime: '2026-11-30 10:00:00' }),
  v3('v3 logs end before start', 'GetFunctionLogs', {
    StartTime: '2026-11-30 10:00:10',
    EndTime: '2026-11-30 10:00:00',
  }),
  v3('v3 logs window over a day', 'GetFunctionLogs', {
    StartTime: '2026-11-29 10:00:00',
    EndTime: '2026-11-30 10:00:01',
  }),
  v3('v3 logs bad time', 'GetFunctionLogs', { StartTime: 'yesterday', EndTime: '2026-11-30 10:00:00' }),
  v3('v3 logs unknown function', 'GetFunctionLogs', { FunctionName: 'nope' }),
  v3('v3 logs unknown namespace', 'GetFunctionLogs', { Namespace: 'nope' }),
  v3('v3 logs function in wrong namespace', 'GetFunctionLogs', { FunctionName: 'alpha', Namespace: 'team' }),
  v3('v3 logs name not string', 'GetFunctionLogs', { FunctionName: { a: 1 } }),
];

const statusV3: Case[] = [
  v3('v3 status found', 'GetRequestStatus', {
    FunctionName: 'alpha',
    FunctionRequestId: 'golden-02',
    StartTime: '2026-11-30 10:00:00',
    EndTime: '2026-11-30 10:00:10',
  }),
  v3('v3 status running', 'GetRequestStatus', {
    FunctionName: 'beta',
    FunctionRequestId: 'golden-07',
    EndTime: '2026-11-30 10:00:10',
  }),
  v3('v3 status default window', 'GetRequestStatus', {
    FunctionName: 'alpha',
    FunctionRequestId: 'golden-01',
  }),
  v3('v3 status missing id', 'GetRequestStatus', { FunctionName: 'alpha' }),
  v3('v3 status missing name', 'GetRequestStatus', { FunctionRequestId: 'golden-01' }),
  v3('v3 status start only', 'GetRequestStatus', {
    FunctionName: 'alpha',
    FunctionRequestId: 'golden-01',
    StartTime: '2026-11-30 10:00:00',
  }),
  v3('v3 status end before start', 'GetRequestStatus', {
    FunctionName: 'alpha',
    FunctionRequestId: 'golden-01',
    StartTime: '2026-11-30 10:00:10',
    EndTime: '2026-11-30 10:00:00',
  }),
  v3('v3 status unknown function', 'GetRequestStatus', { FunctionName: 'nope', FunctionRequestId: 'x' }),
];

const big = (n: number): string => JSON.stringify({ s: 'x'.repeat(n) });

const invokeV3: Case[] = [
  v3('v3 invoke missing name', 'Invoke', { ClientContext: '{"a":0}' }),
  v3('v3 invoke unknown function', 'Invoke', { FunctionName: 'nope' }),
  v3('v3 invoke bad type', 'Invoke', { FunctionName: 'alpha', InvocationType: 'Sync' }),
  v3('v3 invoke bad log type', 'Invoke', { FunctionName: 'alpha', LogType: 'All' }),
  v3('v3 invoke not json', 'Invoke', { FunctionName: 'alpha', ClientContext: '{oops' }),
  v3('v3 invoke async too large', 'Invoke', {
    FunctionName: 'alpha',
    InvocationType: 'Event',
    ClientContext: big(130 * 1024),
  }),
  v3('v3 invoke qualifier 1', 'Invoke', { FunctionName: 'alpha', Qualifier: '1' }),
  v3('v3 invokefunction missing name', 'InvokeFunction', { Event: '{}' }),
  v3('v3 invokefunction not json', 'InvokeFunction', { FunctionName: 'alpha', Event: 'nope' }),
  v3('v3 invokefunction bad log type', 'InvokeFunction', { FunctionName: 'alpha', LogType: 'x' }),
  v3('v3 invokefunction qualifier 2', 'InvokeFunction', { FunctionName: 'alpha', Qualifier: '2' }),
];

const functionsV3: Case[] = [
  v3('v3 getfunction alpha', 'GetFunction', { FunctionName: 'alpha' }),
  v3('v3 getfunction gamma', 'GetFunction', { FunctionName: 'gamma', Namespace: 'team' }),
  v3('v3 getfunction show code', 'GetFunction', { FunctionName: 'beta', ShowCode: 'TRUE' }),
  v3('v3 getfunction unknown', 'GetFunction', { FunctionName: 'nope' }),
  v3('v3 getfunction missing name', 'GetFunction', {}),
  v3('v3 listfunctions', 'ListFunctions', {}),
  v3('v3 listfunctions team', 'ListFunctions', { Namespace: 'team' }),
  v3('v3 listfunctions search', 'ListFunctions', { SearchKey: 'alp' }),
  v3('v3 listfunctions order', 'ListFunctions', {
    Order: 'DESC',
    Orderby: 'FunctionName',
    Limit: 1,
    Offset: 1,
  }),
  v3('v3 listfunctions bad order', 'ListFunctions', { Order: 'sideways' }),
  // Description and Filters narrow the list (issue 17): a filter on what scf-local lacks matches nothing.
  v3('v3 listfunctions description', 'ListFunctions', { Description: 'FIR' }),
  v3('v3 listfunctions filter runtime', 'ListFunctions', {
    Filters: [{ Name: 'Runtime', Values: ['Nodejs16.13', 'Nodejs12.16'] }],
  }),
  v3('v3 listfunctions filter vpc', 'ListFunctions', { Filters: [{ Name: 'VpcId', Values: ['vpc-1'] }] }),
  v3('v3 listfunctions filter tag', 'ListFunctions', { Filters: [{ Name: 'tag-team', Values: ['a'] }] }),
  v3('v3 listfunctions filter status', 'ListFunctions', {
    Filters: [
      { Name: 'Status', Values: ['Active'] },
      { Name: 'Type', Values: ['Event'] },
    ],
  }),
  v3('v3 listfunctions filter unknown', 'ListFunctions', { Filters: [{ Name: 'Color', Values: ['red'] }] }),
  v3('v3 listfunctions filter two vpcs', 'ListFunctions', {
    Filters: [{ Name: 'VpcId', Values: ['vpc-1', 'vpc-2'] }],
  }),
  v3('v3 listnamespaces', 'ListNamespaces', {}),
  v3('v3 listnamespaces search', 'ListNamespaces', { SearchKey: [{ Key: 'Namespace', Value: 'te' }] }),
  v3('v3 createnamespace dup', 'CreateNamespace', { Namespace: 'team' }),
  v3('v3 createnamespace bad', 'CreateNamespace', { Namespace: 'Bad Name!' }),
  v3('v3 createfunction exists', 'CreateFunction', {
    FunctionName: 'alpha',
    Runtime: 'Nodejs18.15',
    Code: { ZipFile: ZIP64 },
  }),
  v3('v3 createfunction bad runtime', 'CreateFunction', {
    FunctionName: 'delta',
    Runtime: 'Python2.7',
    Code: { ZipFile: ZIP64 },
  }),
  v3('v3 createfunction bad memory', 'CreateFunction', {
    FunctionName: 'delta',
    MemorySize: 100,
    Code: { ZipFile: ZIP64 },
  }),
  v3('v3 createfunction bad timeout', 'CreateFunction', {
    FunctionName: 'delta',
    Timeout: 0,
    Code: { ZipFile: ZIP64 },
  }),
  v3('v3 createfunction bad name', 'CreateFunction', { FunctionName: '1bad', Code: { ZipFile: ZIP64 } }),
  v3('v3 createfunction no code', 'CreateFunction', { FunctionName: 'delta' }),
  v3('v3 createfunction cos', 'CreateFunction', {
    FunctionName: 'delta',
    Code: { CosBucketName: 'b', CosObjectName: 'o' },
  }),
  v3('v3 createfunction bad zip', 'CreateFunction', {
    FunctionName: 'delta',
    Code: { ZipFile: 'bm90IGEgemlw' },
  }),
  v3('v3 createfunction bad env', 'CreateFunction', {
    FunctionName: 'delta',
    Code: { ZipFile: ZIP64 },
    Environment: { Variables: [{ Value: 'x' }] },
  }),
  v3('v3 updatecode unknown', 'UpdateFunctionCode', { FunctionName: 'nope', ZipFile: ZIP64 }),
  v3('v3 updateconfig unknown', 'UpdateFunctionConfiguration', { FunctionName: 'nope', Timeout: 5 }),
  v3('v3 updateconfig bad memory', 'UpdateFunctionConfiguration', { FunctionName: 'alpha', MemorySize: 99 }),
  v3('v3 updateconfig', 'UpdateFunctionConfiguration', { FunctionName: 'beta', Description: 'second' }),
  v3('v3 getfunction after update', 'GetFunction', { FunctionName: 'beta' }),
  v3('v3 deletefunction unknown', 'DeleteFunction', { FunctionName: 'nope' }),
  // A Qualifier naming no version is refused (ResourceNotFound.*), never read as $LATEST.
  v3('v3 deletefunction qualifier 1', 'DeleteFunction', { FunctionName: 'alpha', Qualifier: '1' }),
  v3('v3 getfunction qualifier 1', 'GetFunction', { FunctionName: 'alpha', Qualifier: '1' }),
  v3('v3 updatecode publish', 'UpdateFunctionCode', {
    FunctionName: 'alpha',
    ZipFile: ZIP64,
    Publish: 'TRUE',
  }),
  v3('v3 deletenamespace unknown', 'DeleteNamespace', { Namespace: 'nope' }),
  v3('v3 deletenamespace default', 'DeleteNamespace', { Namespace: 'default' }),
  v3('v3 unsupported', 'GetAccount', {}),
  v3('v3 invalid action', 'MakeCoffee', {}),
];

const formV3: Case[] = [
  {
    name: 'v3form logs',
    proto: 'v3form',
    action: 'GetFunctionLogs',
    params: { FunctionName: 'alpha', Limit: '2' },
  },
  {
    name: 'v3form logs filter',
    proto: 'v3form',
    action: 'GetFunctionLogs',
    params: { 'Filter.RetCode': 'not0', Limit: '3', OrderBy: 'duration' },
  },
  { name: 'v3form logs bad limit', proto: 'v3form', action: 'GetFunctionLogs', params: { Limit: 'x' } },
];

const logsV2: Case[] = [
  v2('v2 logs default', 'GetFunctionLogs'),
  v2('v2 logs alpha', 'GetFunctionLogs', { functionName: 'alpha' }),
  v2('v2 logs asc', 'GetFunctionLogs', { functionName: 'alpha', order: 'asc', limit: 2 }),
  v2('v2 logs acs', 'GetFunctionLogs', { order: 'acs', limit: 2 }),
  v2('v2 logs offset', 'GetFunctionLogs', { offset: 3, limit: 3 }),
  v2('v2 logs orderby duration', 'GetFunctionLogs', { orderby: 'duration' }),
  v2('v2 logs orderBy memUsage', 'GetFunctionLogs', { orderBy: 'memUsage', order: 'asc' }),
  v2('v2 logs orderby snake', 'GetFunctionLogs', { orderby: 'function_name' }),
  v2('v2 logs orderby requestId', 'GetFunctionLogs', { orderby: 'requestId', order: 'asc' }),
  v2('v2 logs filter dotted', 'GetFunctionLogs', { 'filter.retCode': 'not0' }),
  v2('v2 logs filter underscore', 'GetFunctionLogs', { filter_retCode: 'is0' }),
  v2('v2 logs filter json', 'GetFunctionLogs', { filter: '{"retCode":"UserCodeException"}' }),
  v2('v2 logs filter json empty', 'GetFunctionLogs', { filter: '{}' }),
  v2('v2 logs filter case', 'GetFunctionLogs', { 'filter.retCode': 'timelimitexceeded' }),
  v2('v2 logs filter oom', 'GetFunctionLogs', { 'filter.RetCode': 'ResourceLimitExceeded' }),
  v2('v2 logs keyword', 'GetFunctionLogs', { keyword: 'apple' }),
  v2('v2 logs window', 'GetFunctionLogs', {
    startTime: '2026-11-30 10:00:02',
    endTime: '2026-11-30 10:00:07',
  }),
  v2('v2 logs start only', 'GetFunctionLogs', { startTime: '2026-12-01 00:00:00' }),
  v2('v2 logs request id', 'GetFunctionLogs', { requestId: 'golden-12' }),
  v2('v2 logs namespace', 'GetFunctionLogs', { namespace: 'team' }),
  v2('v2 logs qualifier', 'GetFunctionLogs', { functionName: 'alpha', qualifier: '$DEFAULT', limit: 1 }),
  // errors
  v2('v2 logs bad order', 'GetFunctionLogs', { order: 'up' }),
  v2('v2 logs bad orderby', 'GetFunctionLogs', { orderby: 'size' }),
  v2('v2 logs both orderby', 'GetFunctionLogs', { orderby: 'duration', orderBy: 'duration' }),
  v2('v2 logs bad filter', 'GetFunctionLogs', { 'filter.retCode': 'nope' }),
  v2('v2 logs bad filter json', 'GetFunctionLogs', { filter: '{oops' }),
  v2('v2 logs filter json extra', 'GetFunctionLogs', { filter: '{"retCode":"is0","x":1}' }),
  v2('v2 logs filter json bad value', 'GetFunctionLogs', { filter: '{"retCode":"nope"}' }),
  v2('v2 logs filter twice', 'GetFunctionLogs', { 'filter.retCode': 'is0', filter: '{"retCode":"is0"}' }),
  v2('v2 logs offset+limit', 'GetFunctionLogs', { offset: 9990, limit: 11 }),
  v2('v2 logs limit 0', 'GetFunctionLogs', { limit: 0 }),
  v2('v2 logs limit big', 'GetFunctionLogs', { limit: 10001 }),
  v2('v2 logs offset text', 'GetFunctionLogs', { offset: 'x' }),
  v2('v2 logs end before start', 'GetFunctionLogs', {
    startTime: '2026-11-30 10:00:10',
    endTime: '2026-11-30 10:00:00',
  }),
  v2('v2 logs bad time', 'GetFunctionLogs', { startTime: '2026/11/30' }),
  v2('v2 logs unknown function', 'GetFunctionLogs', { functionName: 'nope' }),
  v2('v2 logs unknown namespace', 'GetFunctionLogs', { namespace: 'nope' }),
  v2('v2 logs unknown parameter', 'GetFunctionLogs', { functionname: 'alpha' }),
];

const restV2: Case[] = [
  v2('v2 invoke missing name', 'InvokeFunction', {}),
  v2('v2 invoke unknown', 'InvokeFunction', { functionName: 'nope' }),
  v2('v2 invoke bad type', 'InvokeFunction', { functionName: 'alpha', invokeType: 'sync' }),
  v2('v2 invoke bad log type', 'InvokeFunction', { functionName: 'alpha', logType: 'all' }),
  v2('v2 invoke not json', 'InvokeFunction', { functionName: 'alpha', param: '{oops' }),
  {
    name: 'v2 invoke async too large',
    proto: 'v2post',
    action: 'InvokeFunction',
    params: { functionName: 'alpha', invokeType: 'Event', param: big(130 * 1024) },
  },
  v2('v2 invoke qualifier', 'InvokeFunction', { functionName: 'alpha', qualifier: '3' }),
  v2('v2 invoke unknown parameter', 'InvokeFunction', { functionName: 'alpha', event: '{}' }),
  v2('v2 getfunction', 'GetFunction', { functionName: 'alpha' }),
  v2('v2 getfunction ns', 'GetFunction', { functionName: 'gamma', namespace: 'team' }),
  v2('v2 getfunction code', 'GetFunction', { functionName: 'beta', code: '1' }),
  v2('v2 getfunction bad code flag', 'GetFunction', { functionName: 'beta', code: 'yes' }),
  v2('v2 getfunction unknown', 'GetFunction', { functionName: 'nope' }),
  v2('v2 getfunction qualifier 1', 'GetFunction', { functionName: 'alpha', qualifier: '1' }),
  v2('v2 logs qualifier 1', 'GetFunctionLogs', { functionName: 'alpha', qualifier: '1' }),
  v2('v2 listfunctions', 'ListFunctions', {}),
  v2('v2 listfunctions order', 'ListFunctions', { order: 'desc', orderby: 'functionName', limit: 2 }),
  v2('v2 listfunctions bad orderby', 'ListFunctions', { orderby: 'size' }),
  v2('v2 listfunctions ns', 'ListFunctions', { namespace: 'team' }),
  v2('v2 createfunction missing code', 'CreateFunction', { functionName: 'delta' }),
  v2('v2 createfunction cos', 'CreateFunction', { functionName: 'delta', codeType: 'Cos', code: 'x' }),
  v2('v2 createfunction bad memory', 'CreateFunction', {
    functionName: 'delta',
    memorySize: 'big',
    code: `@${ZIP64}`,
  }),
  v2('v2 createfunction env both', 'CreateFunction', {
    functionName: 'delta',
    code: `@${ZIP64}`,
    environment: '{"A":"1"}',
    'environment.variables.0.key': 'B',
  }),
  v2('v2 createfunction env bad json', 'CreateFunction', {
    functionName: 'delta',
    code: `@${ZIP64}`,
    environment: '{',
  }),
  v2('v2 updatefunction unknown', 'UpdateFunction', { functionName: 'nope' }),
  v2('v2 updatefunction bad codetype', 'UpdateFunction', { functionName: 'alpha', codeType: 'Ftp' }),
  v2('v2 updatefunction config', 'UpdateFunction', {
    functionName: 'beta',
    timeout: 9,
    'environment.variables.0.key': 'K',
    'environment.variables.0.value': 'V',
  }),
  v2('v2 getfunction after update', 'GetFunction', { functionName: 'beta' }),
  v2('v2 deletefunction unknown', 'DeleteFunction', { functionName: 'nope' }),
  v2('v2 invalid action', 'MakeCoffee', {}),
];

const authCases: Case[] = [
  { name: 'v2 auth bad signature', proto: 'v2', action: 'GetFunctionLogs', params: { __secretKey: 'wrong' } },
  {
    name: 'v2 auth unknown id',
    proto: 'v2',
    action: 'GetFunctionLogs',
    params: { __common: { SecretId: 'AKIDnope' } },
  },
  {
    name: 'v2 auth old timestamp',
    proto: 'v2',
    action: 'GetFunctionLogs',
    params: { __common: { Timestamp: 1000 } },
  },
  { name: 'v3 auth bad signature', proto: 'v3', action: 'GetFunctionLogs', params: { __secretKey: 'wrong' } },
  { name: 'v3 auth unknown id', proto: 'v3', action: 'GetFunctionLogs', params: { __secretId: 'AKIDnope' } },
  { name: 'v3 auth old timestamp', proto: 'v3', action: 'GetFunctionLogs', params: { __timestamp: 1000 } },
  {
    name: 'v3 auth bad version',
    proto: 'v3',
    action: 'GetFunctionLogs',
    params: { __version: '2017-01-01' },
  },
];

/** Run after every other case: the successful invocations add records with live figures. */
export const LIVE: Case[] = [
  v3('v3 invoke ok', 'Invoke', {
    FunctionName: 'alpha',
    ClientContext: '{"hello":"world"}',
    LogType: 'Tail',
  }),
  v3('v3 invokefunction ok', 'InvokeFunction', { FunctionName: 'alpha', Event: { n: 1 } }),
  v3('v3 invoke event', 'Invoke', {
    FunctionName: 'alpha',
    InvocationType: 'Event',
    ClientContext: '{"n":2}',
  }),
  v2('v2 invoke ok', 'InvokeFunction', { functionName: 'alpha', param: '{"v":2}', logType: 'Tail' }),
  v2('v2 invoke event', 'InvokeFunction', { functionName: 'alpha', param: '{"v":3}', invokeType: 'Event' }),
  v3('v3 deletefunction gamma', 'DeleteFunction', { FunctionName: 'gamma', Namespace: 'team' }),
  v3('v3 deletenamespace team', 'DeleteNamespace', { Namespace: 'team' }),
  v2('v2 deletefunction beta', 'DeleteFunction', { functionName: 'beta' }),
];

export const CASES: Case[] = [
  ...logsV3,
  ...statusV3,
  ...invokeV3,
  ...functionsV3,
  ...formV3,
  ...logsV2,
  ...restV2,
  ...authCases,
];
