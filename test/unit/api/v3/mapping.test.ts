/** API 3.0 parameters -> action inputs, and outputs -> the 3.0 models. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { v3Code } from '../../../../src/api/protocol/v3/errors.js';
import * as map from '../../../../src/api/protocol/v3/mapping.js';
import { ScfError } from '../../../../src/errors/index.js';
import { withSettingDefaults } from '../../../../src/functions/settings.js';
import type { StoredRecord } from '../../../../src/store/types.js';
import { validateFunctionType } from '../../../../src/triggers/validate.js';

const env: map.MappingEnv = { timeZoneOffsetMinutes: 480, now: Date.UTC(2024, 0, 2, 12) };

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ScfError, String(err));
    return v3Code(err);
  }
  assert.fail('expected a ScfError');
};

test('GetFunctionLogs: full model maps onto the canonical input', () => {
  const input = map.parseGetFunctionLogs(
    {
      FunctionName: 'f',
      Namespace: 'ns',
      Qualifier: '$DEFAULT',
      FunctionRequestId: 'r1',
      Offset: '10',
      Limit: 5,
      Order: 'ASC',
      OrderBy: 'mem_usage',
      Filter: { RetCode: 'TimeLimitExceeded' },
      StartTime: '2024-01-02 08:00:00',
      EndTime: '2024-01-02 20:00:00',
      SearchContext: { Keyword: 'boom' },
    },
    env,
  );
  assert.deepEqual(input, {
    functionName: 'f',
    namespace: 'ns',
    // `$DEFAULT` is read as `$LATEST` by the operation (api/operations/limits.ts), not here.
    qualifier: '$DEFAULT',
    requestId: 'r1',
    offset: 10,
    limit: 5,
    order: 'asc',
    orderBy: 'memUsage',
    retCode: 'TimeLimitExceeded',
    // UTC+8: 08:00 Beijing is 00:00 UTC; EndTime covers its whole second.
    startTime: Date.UTC(2024, 0, 2, 0),
    endTime: Date.UTC(2024, 0, 2, 12) + 999,
    keyword: 'boom',
  });
});

test('GetFunctionLogs: defaults leave no time window and accept camelCase OrderBy', () => {
  // Offset and Limit defaults are the operation's.
  assert.deepEqual(map.parseGetFunctionLogs({}, env), {});
  assert.deepEqual(map.parseGetFunctionLogs({ SearchContext: { Offset: 3, Limit: 4 } }, env), {
    offset: 3,
    limit: 4,
  });
  for (const [given, want] of [
    ['function_name', 'functionName'],
    ['functionName', 'functionName'],
    ['start_time', 'startTime'],
    ['startTime', 'startTime'],
    ['duration', 'duration'],
    ['memUsage', 'memUsage'],
  ] as const) {
    assert.equal(map.parseGetFunctionLogs({ OrderBy: given }, env).orderBy, want);
  }
  for (const rc of ['is0', 'not0', 'TimeLimitExceeded', 'ResourceLimitExceeded', 'UserCodeException']) {
    assert.equal(map.parseGetFunctionLogs({ Filter: { RetCode: rc } }, env).retCode, rc);
  }
});

test('GetFunctionLogs: each bad value has its SCF code', () => {
  const c = (params: Record<string, unknown>) => code(() => map.parseGetFunctionLogs(params, env));
  // Offset + Limit over 10000 and EndTime before StartTime are the operation's rules
  // (test/unit/api/operations.test.ts).
  assert.equal(map.parseGetFunctionLogs({ Offset: 9990, Limit: 10 }, env).offset, 9990);
  assert.equal(c({ Offset: -1 }), 'InvalidParameterValue.Offset');
  assert.equal(c({ Limit: 'many' }), 'InvalidParameterValue.Limit');
  assert.equal(c({ Order: 'sideways' }), 'InvalidParameterValue.Order');
  assert.equal(c({ OrderBy: 'retCode' }), 'InvalidParameterValue.OrderBy');
  assert.equal(c({ OrderBy: 'toString' }), 'InvalidParameterValue.OrderBy');
  assert.equal(c({ Filter: { RetCode: 'is1' } }), 'InvalidParameterValue.RetCode');
  assert.equal(c({ StartTime: '2024-01-02 08:00:00' }), 'InvalidParameterValue.StartTimeOrEndTime');
  assert.equal(c({ EndTime: '2024-01-02 08:00:00' }), 'InvalidParameterValue.StartTimeOrEndTime');
  assert.equal(
    c({ StartTime: '2024-01-02', EndTime: '2024-01-02 08:00:00' }),
    'InvalidParameterValue.DateTime',
  );
  assert.equal(
    c({ StartTime: '2024-02-30 00:00:00', EndTime: '2024-03-01 08:00:00' }),
    'InvalidParameterValue.DateTime',
  );
  assert.equal(
    c({ StartTime: '2024-01-01 08:00:00', EndTime: '2024-01-02 08:00:01' }),
    'InvalidParameterValue.DateTime',
  );
  // Exactly one day apart is allowed.
  assert.ok(
    map.parseGetFunctionLogs({ StartTime: '2024-01-01 08:00:00', EndTime: '2024-01-02 08:00:00' }, env),
  );
});

const record: StoredRecord = {
  seq: 7,
  requestId: 'req-1',
  namespace: 'default',
  functionName: 'f',
  qualifier: '$LATEST',
  startTime: Date.UTC(2024, 0, 2, 1, 2, 3, 456),
  duration: 12.5,
  billDuration: 100,
  memUsage: 3 * 1048576 + 524288,
  retCode: 433,
  retMsg: '{"errorCode":-1}',
  invokeFinished: 1,
  retryNum: 0,
  log: 'START RequestId: req-1\n',
};

test('FunctionLog: every field, StartTime in UTC+8', () => {
  const out = map.getFunctionLogsResponse({ total: 41, items: [record] }, { offset: 20, limit: 20 }, env);
  assert.deepEqual(out, {
    TotalCount: 41,
    Data: [
      {
        FunctionName: 'f',
        RetMsg: '{"errorCode":-1}',
        RequestId: 'req-1',
        StartTime: '2024-01-02 09:02:03',
        RetCode: 433,
        InvokeFinished: 1,
        Duration: 12.5,
        BillDuration: 100,
        MemUsage: 3 * 1048576 + 524288,
        Log: 'START RequestId: req-1\n',
        Level: 'ERROR',
        Source: 'Application',
        RetryNum: 0,
      },
    ],
    SearchContext: { Offset: '21', Limit: 20, Keyword: '', Type: 'Application' },
  });
});

test('GetRequestStatus: own units (MB, 0/1/-1) and windows', () => {
  const out = map.getRequestStatusResponse(
    { total: 3, items: [record, { ...record, retCode: 0 }, { ...record, retCode: 2 }] },
    env,
  );
  const data = out['Data'] as Array<Record<string, unknown>>;
  assert.deepEqual(
    data.map((d) => d['RetCode']),
    [-1, 0, 1],
  );
  assert.equal(data[0]!['MemUsage'], 3.5);
  assert.equal(map.requestStatusRetCode(3), -1);
  assert.equal(
    code(() => map.parseGetRequestStatus({ FunctionName: 'f' }, env)),
    'MissingParameter',
  );
  assert.equal(
    code(() => map.parseGetRequestStatus({ FunctionRequestId: 'r' }, env)),
    'MissingParameter',
  );
  assert.equal(
    code(() =>
      map.parseGetRequestStatus(
        { FunctionName: 'f', FunctionRequestId: 'r', StartTime: '2024-01-02 08:00:00' },
        env,
      ),
    ),
    'InvalidParameterValue.StartTimeOrEndTime',
  );
  const onlyEnd = map.parseGetRequestStatus(
    { FunctionName: 'f', FunctionRequestId: 'r', EndTime: '2024-01-02 08:15:00' },
    env,
  );
  // EndTime alone: the operation takes the 15 minutes before it.
  assert.equal(onlyEnd.startTime, undefined);
  assert.equal(onlyEnd.endTime, Date.UTC(2024, 0, 2, 0, 15) + 999);
  const none = map.parseGetRequestStatus({ FunctionName: 'f', FunctionRequestId: 'r' }, env);
  assert.equal(none.startTime, undefined);
});

test('Invoke and InvokeFunction: parameters, $DEFAULT, payload limits', () => {
  assert.deepEqual(
    map.parseInvoke({
      FunctionName: 'f',
      InvocationType: 'Event',
      ClientContext: '{"a":1}',
      LogType: 'Tail',
      Qualifier: '$LATEST',
      Namespace: 'n',
    }),
    {
      functionName: 'f',
      namespace: 'n',
      qualifier: '$LATEST',
      invocationType: 'Event',
      logType: 'Tail',
      event: '{"a":1}',
    },
  );
  assert.deepEqual(map.parseInvokeFunction({ FunctionName: 'f', Event: { a: 1 } }), {
    functionName: 'f',
    invocationType: 'RequestResponse',
    event: '{"a":1}',
  });
  assert.equal(
    code(() => map.parseInvoke({})),
    'MissingParameter',
  );
  assert.equal(
    code(() => map.parseInvoke({ FunctionName: 'f', InvocationType: 'Later' })),
    'InvalidParameterValue.InvocationType',
  );
  assert.equal(
    code(() => map.parseInvoke({ FunctionName: 'f', LogType: 'All' })),
    'InvalidParameterValue.LogType',
  );
  // The event's JSON and size, and the Qualifier, are the operation's rules (test/unit/api/operations.test.ts).
  const big = JSON.stringify('x'.repeat(128 * 1024));
  assert.equal(map.parseInvoke({ FunctionName: 'f', ClientContext: big }).event, big);
  const async = map.invokeResponse({ requestId: 'r' });
  assert.deepEqual(async['Result'], {
    Log: '',
    RetMsg: '',
    ErrMsg: '',
    MemUsage: 0,
    Duration: 0,
    BillDuration: 0,
    FunctionRequestId: 'r',
    InvokeResult: 0,
  });
});

test('CreateFunction / UpdateFunctionCode / UpdateFunctionConfiguration', () => {
  assert.deepEqual(
    map.parseCreateFunction({
      FunctionName: 'f',
      Code: { ZipFile: 'UEsDBA==' },
      Handler: 'index.main',
      Runtime: 'Nodejs18.15',
      MemorySize: '256',
      Timeout: 5,
      Description: 'd',
      Environment: {
        Variables: [
          { Key: 'A', Value: '1' },
          { Key: 'B', Value: '2' },
        ],
      },
      Namespace: 'n',
      Role: 'kept',
      ProtocolType: 'WS',
    }),
    {
      functionName: 'f',
      code: { zipBase64: 'UEsDBA==' },
      handler: 'index.main',
      runtime: 'Nodejs18.15',
      memorySize: 256,
      timeout: 5,
      description: 'd',
      environment: { A: '1', B: '2' },
      namespace: 'n',
      attributes: { role: 'kept', protocolType: 'WS' },
    },
  );
  // SCF refuses a variable without a value; only the all-empty pair (which clears) is taken.
  assert.equal(
    code(() =>
      map.parseCreateFunction({
        FunctionName: 'f',
        Code: { ZipFile: 'UEsDBA==' },
        Environment: { Variables: [{ Key: 'B' }] },
      }),
    ),
    'InvalidParameterValue.Environment',
  );
  assert.equal(
    code(() => map.parseCreateFunction({ FunctionName: 'f' })),
    'MissingParameter.Code',
  );
  assert.equal(
    code(() =>
      map.parseCreateFunction({ FunctionName: 'f', Code: { CosBucketName: 'b', CosObjectName: 'o' } }),
    ),
    'UnsupportedOperation',
  );
  // HTTP is a web function; a Type SCF does not have at all is a bad value (SCF: InvalidParameterValue.Type),
  // refused by the registry's rule.
  assert.equal(
    map.parseCreateFunction({ FunctionName: 'f', Code: { ZipFile: 'x' }, Type: 'HTTP' }).type,
    'HTTP',
  );
  assert.equal(
    code(() =>
      validateFunctionType(
        map.parseCreateFunction({ FunctionName: 'f', Code: { ZipFile: 'x' }, Type: 'Lambda' }).type,
      ),
    ),
    'InvalidParameterValue.Type',
  );
  assert.equal(
    code(() => map.parseCreateFunction({ FunctionName: 'f', Code: { ZipFile: 'x' }, MemorySize: 'big' })),
    'InvalidParameterValue.MemorySize',
  );
  assert.deepEqual(map.parseUpdateFunctionCode({ FunctionName: 'f', ZipFile: 'UEs=' }), {
    functionName: 'f',
    code: { zipBase64: 'UEs=' },
  });
  assert.deepEqual(
    map.parseUpdateFunctionCode({ FunctionName: 'f', Code: { ZipFile: 'UEs=' }, Handler: 'a.b' }),
    {
      functionName: 'f',
      code: { zipBase64: 'UEs=' },
      handler: 'a.b',
    },
  );
  assert.equal(
    code(() => map.parseUpdateFunctionCode({ FunctionName: 'f', CosBucketName: 'b' })),
    'UnsupportedOperation',
  );
  assert.deepEqual(
    map.parseUpdateFunctionConfiguration({ FunctionName: 'f', Description: '', Timeout: '9' }),
    {
      functionName: 'f',
      description: '',
      timeout: 9,
    },
  );
});

test('GetFunction / ListFunctions / namespaces', () => {
  assert.deepEqual(map.parseGetFunction({ FunctionName: 'f', ShowCode: 'TRUE', Qualifier: '$LATEST' }), {
    functionName: 'f',
    qualifier: '$LATEST',
    showCode: true,
  });
  assert.equal(
    code(() => map.parseGetFunction({ FunctionName: 'f', ShowCode: 'yes' })),
    'InvalidParameterValue.ShowCode',
  );
  assert.deepEqual(
    map.parseListFunctions({
      Order: 'desc',
      Orderby: 'FunctionName',
      SearchKey: 'ab',
      Offset: '1',
      Limit: '2',
    }),
    { order: 'DESC', orderBy: 'FunctionName', searchKey: 'ab', offset: 1, limit: 2 },
  );
  assert.equal(
    code(() => map.parseListFunctions({ Orderby: 'Size' })),
    'InvalidParameterValue.Orderby',
  );
  assert.deepEqual(map.parseListNamespaces({ SearchKey: [{ Key: 'Namespace', Value: 'pro' }] }), {
    searchKey: 'pro',
  });
  assert.equal(
    code(() => map.parseListNamespaces({ SearchKey: [{ Key: 'Size', Value: '1' }] })),
    'InvalidParameterValue.SearchKey',
  );
  assert.equal(
    code(() => map.parseCreateNamespace({})),
    'MissingParameter',
  );
  const def = {
    namespace: 'default',
    functionName: 'f',
    handler: 'index.main',
    runtime: 'Nodejs18.15',
    memorySize: 128,
    timeout: 3,
    description: '',
    environment: { A: '1' },
    codeSize: 10,
    codeSha256: 'x',
    addTime: Date.UTC(2024, 0, 1),
    modTime: Date.UTC(2024, 0, 1, 16),
    revision: 1,
    ...withSettingDefaults({}),
  };
  const got = map.getFunctionResponse(def, env);
  assert.equal(got['AddTime'], '2024-01-01 08:00:00');
  assert.equal(got['ModTime'], '2024-01-02 00:00:00');
  assert.deepEqual(got['Environment'], { Variables: [{ Key: 'A', Value: '1' }] });
  // The id is derived from namespace/name/addTime, so it survives restarts: pinned, since a change would
  // rename every existing function's id. Another function, or the same name re-created, gets another.
  assert.equal(got['FunctionId'], 'lam-a1b7aac8');
  const other = (d: Partial<typeof def>) => map.getFunctionResponse({ ...def, ...d }, env)['FunctionId'];
  assert.equal(other({ modTime: Date.UTC(2025, 0, 1), revision: 2 }), 'lam-a1b7aac8');
  assert.notEqual(other({ functionName: 'g' }), 'lam-a1b7aac8');
  assert.notEqual(other({ addTime: Date.UTC(2024, 0, 2) }), 'lam-a1b7aac8');
});
