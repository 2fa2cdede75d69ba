/**
 * The API 3.0 contract against the SDK's own models: every implemented action (`V3_ACTIONS`) is called
 * through the real `tencentcloud-sdk-nodejs` client over a real socket to a real platform, and
 *
 * - each success answer is checked against the action's `<Action>Response` interface, read from the
 *   installed `scf_models.d.ts` at test time (`../helpers/sdk-models.ts` states the rule: a field the model
 *   does not mark "may return null" (注意：此字段可能返回 null) nor `@deprecated` must be present, with its
 *   declared JSON type, objects and array items checked recursively; no field the model lacks);
 * - each error answer's code is one the action's row of the error-code table allows
 *   (`src/api/protocol/v3/error-codes.ts`, sourced from SCF's per-action lists), and the main error paths
 *   answer the code SCF gives for them;
 * - every action of `V3_ACTIONS` is exercised on a success path and an error path, so a new action cannot
 *   slip past the contract.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { IDEMPOTENT_ACTIONS, V3_ACTIONS } from '../../src/api/protocol/v3/actions.js';
import { V3_ACTION_CODES, v3ActionMayAnswer } from '../../src/api/protocol/v3/error-codes.js';
import { zipDirectory } from '../../src/functions/code.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { SdkModels } from '../helpers/sdk-models.js';

/** A valid timer: every minute. */
const CRON = '0 */1 * * * * *';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const SECRET_ID = 'AKIDmodels';
const SECRET_KEY = 'secret';
const basicsZip = Buffer.from(zipDirectory(`${repo}test/fixtures/functions/basics`)).toString('base64');
type Client = InstanceType<typeof scf.v20180416.Client>;

const models = new SdkModels();

/** Actions answered successfully and with an error, to check that every action was covered. */
const succeeded = new Set<string>();
const failed = new Set<string>();

describe('API 3.0 answers against the SDK models (scf_models.d.ts)', () => {
  let platform: Platform;
  let c: Client;
  let e: Client;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'scf-local-models-'));
    platform = await createPlatform({
      config: { port: 0, dataDir, auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] } },
      env: {},
    });
    const { port } = await platform.listen();
    const client = (signMethod: 'TC3-HMAC-SHA256' | 'HmacSHA256'): Client =>
      new scf.v20180416.Client({
        credential: { secretId: SECRET_ID, secretKey: SECRET_KEY },
        region: 'ap-guangzhou',
        profile: {
          signMethod,
          httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 30 },
        },
      });
    c = client('TC3-HMAC-SHA256');
    // Error paths sign with a nonce: TC3 signs neither the action nor a nonce, so the same parameters sent
    // to two write actions within one second are one signature, and the second is refused as a replay.
    e = client('HmacSHA256');
  });
  after(async () => {
    await platform?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  /** Calls `action` through the SDK and checks its answer against `<action>Response`. */
  async function ok(action: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    // Writes sign with a nonce too (see `e`): DeleteFunction after GetFunction of the same function in the
    // same second would otherwise be a replay of its TC3 signature.
    const via = IDEMPOTENT_ACTIONS.has(action) ? c : e;
    const resp = (await via.request(action, params)) as Record<string, unknown>;
    assert.deepEqual(models.conforms(resp, `${action}Response`), [], `${action} ${JSON.stringify(params)}`);
    succeeded.add(action);
    return resp;
  }

  /** Calls `action`, expects SCF's `code`, and checks the code is in the action's row of the table. */
  async function fails(action: string, params: Record<string, unknown>, code: string): Promise<void> {
    let got: string | undefined;
    try {
      await e.request(action, params);
    } catch (err) {
      got = (err as { code?: string }).code;
    }
    assert.ok(got !== undefined, `${action} ${JSON.stringify(params)} succeeded; expected ${code}`);
    assert.ok(v3ActionMayAnswer(action, got), `${action} answered ${got}, not in its row of error-codes.ts`);
    assert.equal(got, code, `${action} ${JSON.stringify(params).slice(0, 120)} answered ${got}`);
    failed.add(action);
  }

  test('the models are read from the installed SDK', () => {
    for (const action of V3_ACTIONS.keys()) assert.ok(models.has(`${action}Response`), action);
    // The rule is not vacuous: GetFunction's objects SCF always returns are required by it.
    const eip = models.fields('GetFunctionResponse').find((f) => f.name === 'EipConfig');
    assert.ok(eip?.optional && !eip.nullable);
    assert.deepEqual(models.conforms({ RequestId: 'x' }, 'CreateFunctionResponse'), []);
    assert.ok(models.conforms({ RequestId: 'x', Extra: 1 }, 'CreateFunctionResponse').length > 0);
    assert.ok(models.conforms({}, 'CreateFunctionResponse').length > 0);
    assert.ok(models.conforms({ RequestId: 1 }, 'CreateFunctionResponse').length > 0);
  });

  test('namespaces', async () => {
    await ok('CreateNamespace', { Namespace: 'models-ns', Description: 'contract' });
    await fails('CreateNamespace', { Namespace: 'models-ns' }, 'ResourceInUse.Namespace');
    await fails('CreateNamespace', { Namespace: 'default' }, 'InvalidParameterValue.DefaultNamespace');
    await fails('CreateNamespace', {}, 'MissingParameter');
    await ok('ListNamespaces', {});
    await ok('ListNamespaces', { Limit: 1, Offset: 1 });
    await fails(
      'ListNamespaces',
      { SearchKey: [{ Key: 'Colour', Value: 'x' }] },
      'InvalidParameterValue.SearchKey',
    );
    // Search by description, order by name both ways; every namespace made here is of SCF's `default` kind.
    await ok('CreateNamespace', { Namespace: 'models-ns2', Description: 'contract too' });
    const names = async (params: Record<string, unknown>): Promise<unknown[]> =>
      ((await ok('ListNamespaces', params))['Namespaces'] as Array<Record<string, unknown>>).map((n) => [
        n['Name'],
        n['Type'],
      ]);
    assert.deepEqual(
      await names({ SearchKey: [{ Key: 'Description', Value: 'CONTRACT' }], Orderby: 'Name' }),
      [
        ['models-ns', 'default'],
        ['models-ns2', 'default'],
      ],
    );
    assert.deepEqual(
      await names({ SearchKey: [{ Key: 'Description', Value: 'contract' }], Orderby: 'Name', Order: 'DESC' }),
      [
        ['models-ns2', 'default'],
        ['models-ns', 'default'],
      ],
    );
    await ok('DeleteNamespace', { Namespace: 'models-ns2' });
    await fails('DeleteNamespace', { Namespace: 'default' }, 'FailedOperation.DeleteNamespace');
    await fails('DeleteNamespace', { Namespace: 'models-none' }, 'ResourceNotFound.Namespace');
  });

  test('functions: create, read, list, update, delete', async () => {
    await ok('CreateFunction', {
      FunctionName: 'models-fn',
      Code: { ZipFile: basicsZip },
      Handler: 'index.main_handler',
      Runtime: 'Nodejs18.15',
      MemorySize: 256,
      Timeout: 5,
      Description: 'contract',
      Environment: { Variables: [{ Key: 'GREETING', Value: 'hi' }] },
    });
    await ok('CreateFunction', {
      FunctionName: 'models-fn2',
      Namespace: 'models-ns',
      Code: { ZipFile: basicsZip },
    });
    await fails(
      'CreateFunction',
      { FunctionName: 'models-fn', Code: { ZipFile: basicsZip } },
      'ResourceInUse.Function',
    );
    await fails(
      'CreateFunction',
      { FunctionName: '1bad', Code: { ZipFile: basicsZip } },
      'InvalidParameterValue.FunctionName',
    );
    await fails('CreateFunction', { FunctionName: 'models-x' }, 'MissingParameter.Code');
    await fails('CreateFunction', { FunctionName: 'models-x', Code: {} }, 'MissingParameter.Code');
    await fails(
      'CreateFunction',
      { FunctionName: 'models-x', Code: { ZipFile: 'not base64!' } },
      'InvalidParameterValue.ZipFileBase64BinasciiError',
    );
    await fails(
      'CreateFunction',
      { FunctionName: 'models-x', Code: { ZipFile: basicsZip }, Timeout: 901 },
      'LimitExceeded.Timeout',
    );
    await fails(
      'CreateFunction',
      { FunctionName: 'models-x', Code: { ZipFile: basicsZip }, Timeout: 0 },
      'LimitExceeded.Timeout',
    );
    await fails(
      'CreateFunction',
      { FunctionName: 'models-x', Code: { ZipFile: basicsZip }, MemorySize: 100 },
      'InvalidParameterValue.MemorySize',
    );
    await fails(
      'CreateFunction',
      { FunctionName: 'models-x', Code: { ZipFile: basicsZip }, Type: 'Nonsense' },
      'InvalidParameterValue.Type',
    );
    await fails(
      'CreateFunction',
      { FunctionName: 'models-x', Code: { ZipFile: basicsZip }, Namespace: 'models-none' },
      'ResourceNotFound.Namespace',
    );

    await ok('GetFunction', { FunctionName: 'models-fn' });
    await ok('GetFunction', { FunctionName: 'models-fn', ShowCode: 'TRUE' });
    await ok('GetFunction', { FunctionName: 'models-fn2', Namespace: 'models-ns' });
    await fails('GetFunction', { FunctionName: 'models-none' }, 'ResourceNotFound.Function');
    await fails(
      'GetFunction',
      { FunctionName: 'models-fn', Namespace: 'models-none' },
      'ResourceNotFound.Namespace',
    );
    await fails('GetFunction', {}, 'MissingParameter');

    await ok('ListFunctions', {});
    await ok('ListFunctions', { Namespace: 'models-ns', Order: 'ASC', Orderby: 'FunctionName', Limit: 1 });
    await fails('ListFunctions', { Order: 'sideways' }, 'InvalidParameterValue.Order');

    await ok('UpdateFunctionConfiguration', {
      FunctionName: 'models-fn',
      Description: 'updated',
      Timeout: 7,
    });
    await fails(
      'UpdateFunctionConfiguration',
      { FunctionName: 'models-fn', Timeout: 1000 },
      'LimitExceeded.Timeout',
    );
    await fails('UpdateFunctionConfiguration', { FunctionName: 'models-none' }, 'ResourceNotFound.Function');

    await ok('UpdateFunctionCode', {
      FunctionName: 'models-fn',
      ZipFile: basicsZip,
      Handler: 'index.main_handler',
    });
    await fails(
      'UpdateFunctionCode',
      { FunctionName: 'models-fn', ZipFile: '%%%' },
      'InvalidParameterValue.ZipFileBase64BinasciiError',
    );
    await fails(
      'UpdateFunctionCode',
      { FunctionName: 'models-none', ZipFile: basicsZip },
      'ResourceNotFound.Function',
    );

    await ok('DeleteFunction', { FunctionName: 'models-fn2', Namespace: 'models-ns' });
    await fails(
      'DeleteFunction',
      { FunctionName: 'models-fn2', Namespace: 'models-ns' },
      'ResourceNotFound.Function',
    );
    await ok('DeleteNamespace', { Namespace: 'models-ns' });
  });

  test('invocations and their records', async () => {
    await ok('CreateFunction', { FunctionName: 'models-run', Code: { ZipFile: basicsZip } });
    const sync = await ok('Invoke', {
      FunctionName: 'models-run',
      ClientContext: '{"name":"m"}',
      LogType: 'Tail',
    });
    await ok('Invoke', { FunctionName: 'models-run', InvocationType: 'Event', ClientContext: '{}' });
    await ok('InvokeFunction', { FunctionName: 'models-run', Event: '{"name":"f"}' });
    await fails(
      'Invoke',
      { FunctionName: 'models-run', ClientContext: 'not json' },
      'InvalidParameterValue.Param',
    );
    await fails('InvokeFunction', { FunctionName: 'models-run', Event: '{' }, 'InvalidParameterValue.Param');
    await fails('Invoke', { FunctionName: 'models-none' }, 'ResourceNotFound.Function');
    await fails('InvokeFunction', { FunctionName: 'models-none' }, 'ResourceNotFound.Function');

    const requestId = (sync['Result'] as { FunctionRequestId: string }).FunctionRequestId;
    await ok('GetFunctionLogs', { FunctionName: 'models-run' });
    await ok('GetFunctionLogs', { FunctionName: 'models-run', FunctionRequestId: requestId, Limit: 1 });
    await fails('GetFunctionLogs', { Order: 'sideways' }, 'InvalidParameterValue.Order');
    await fails('GetFunctionLogs', { Offset: 9990, Limit: 20 }, 'LimitExceeded.Offset');
    await fails(
      'GetFunctionLogs',
      { StartTime: '2024-01-01 00:00:00' },
      'InvalidParameterValue.StartTimeOrEndTime',
    );
    await fails('GetFunctionLogs', { FunctionName: 'models-none' }, 'ResourceNotFound.Function');

    await ok('GetRequestStatus', { FunctionName: 'models-run', FunctionRequestId: requestId });
    await fails('GetRequestStatus', { FunctionName: 'models-run' }, 'MissingParameter');
    await fails(
      'GetRequestStatus',
      { FunctionName: 'models-run', FunctionRequestId: requestId, StartTime: '2024-01-01 00:00:00' },
      'InvalidParameterValue.StartTimeOrEndTime',
    );
    await fails(
      'GetRequestStatus',
      { FunctionName: 'models-none', FunctionRequestId: requestId },
      'ResourceNotFound.Function',
    );
  });

  test('triggers and the async settings', async () => {
    const FunctionName = 'models-trig';
    await ok('CreateFunction', { FunctionName, Code: { ZipFile: basicsZip } });
    const created = await ok('CreateTrigger', {
      FunctionName,
      TriggerName: 'every-minute',
      Type: 'timer',
      TriggerDesc: '0 */1 * * * * *',
      CustomArgument: 'hello',
      Enable: 'CLOSE',
    });
    const info = created['TriggerInfo'] as Record<string, unknown>;
    assert.equal(info['TriggerName'], 'every-minute');
    assert.equal(info['Enable'], 0);
    assert.equal(info['CustomArgument'], 'hello');
    assert.equal(info['Qualifier'], '$LATEST');
    await ok('CreateTrigger', { FunctionName, TriggerName: 'web', Type: 'apigw' });
    const names = async (params: Record<string, unknown> = {}): Promise<unknown[]> => {
      const r = await ok('ListTriggers', { FunctionName, OrderBy: 'add_time', Order: 'ASC', ...params });
      return (r['Triggers'] as Array<Record<string, unknown>>).map((t) => t['TriggerName']);
    };
    assert.deepEqual(await names(), ['every-minute', 'web']);
    assert.deepEqual(await names({ Filters: [{ Name: 'TriggerName', Values: ['web'] }] }), ['web']);
    await ok('UpdateTriggerStatus', {
      FunctionName,
      TriggerName: 'every-minute',
      Type: 'timer',
      Enable: 'OPEN',
    });
    await ok('UpdateTrigger', {
      FunctionName,
      TriggerName: 'every-minute',
      Type: 'timer',
      TriggerDesc: '0 0 */2 * * * *',
      CustomArgument: 'bye',
    });
    const got = await ok('GetFunction', { FunctionName });
    const shown = (got['Triggers'] as Array<Record<string, unknown>>).find(
      (t) => t['TriggerName'] === 'every-minute',
    );
    assert.equal(shown?.['Enable'], 1);
    assert.equal(shown?.['TriggerDesc'], '0 0 */2 * * * *');
    assert.equal(shown?.['CustomArgument'], 'bye');
    await ok('DeleteTrigger', { FunctionName, TriggerName: 'web', Type: 'apigw' });
    assert.deepEqual(await names({ Limit: 5 }), ['every-minute']);

    const config = async (): Promise<unknown> =>
      (await ok('GetFunctionEventInvokeConfig', { FunctionName }))['AsyncTriggerConfig'];
    assert.deepEqual(await config(), { RetryConfig: [{ RetryNum: 2 }], MsgTTL: 21600 });
    await ok('UpdateFunctionEventInvokeConfig', {
      FunctionName,
      AsyncTriggerConfig: { RetryConfig: [{ RetryNum: 0 }], MsgTTL: 600 },
    });
    assert.deepEqual(await config(), { RetryConfig: [{ RetryNum: 0 }], MsgTTL: 600 });
  });

  /** An Event invocation's request id, once its event has `status` (polled). */
  async function eventReaching(params: Record<string, unknown>, status: string): Promise<string> {
    const r = await ok('Invoke', { InvocationType: 'Event', ...params });
    const id = (r['Result'] as Record<string, unknown>)['FunctionRequestId'] as string;
    for (let i = 0; i < 200; i++) {
      const s = await ok('GetAsyncEventStatus', { InvokeRequestId: id });
      if ((s['Result'] as Record<string, unknown>)['Status'] === status) return id;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`event ${id} never reached ${status}`);
  }

  test('asynchronous events', async () => {
    const FunctionName = 'models-async';
    await ok('CreateFunction', { FunctionName, Code: { ZipFile: basicsZip } });
    await ok('CreateFunction', {
      FunctionName: 'models-async2',
      Handler: 'index.sleep',
      Timeout: 10,
      Code: { ZipFile: basicsZip },
    });
    const done = await eventReaching({ FunctionName }, 'FINISHED');
    const list = await ok('ListAsyncEvents', { FunctionName, Status: ['FINISHED'] });
    const events = list['EventList'] as Array<Record<string, unknown>>;
    assert.deepEqual(
      events.map((e) => [e['InvokeRequestId'], e['Status'], e['InvokeType'], e['Qualifier']]),
      [[done, 'FINISHED', 'Invoke', '$LATEST']],
    );
    assert.match(String(events[0]?.['StartTime']), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    const sleeping = await eventReaching(
      { FunctionName: 'models-async2', ClientContext: JSON.stringify({ ms: 5000 }) },
      'RUNNING',
    );
    await ok('TerminateAsyncEvent', { FunctionName: 'models-async2', InvokeRequestId: sleeping });
    await eventReaching({ FunctionName: 'models-async' }, 'FINISHED');
  });

  test('infrastructure as code: every setting written reads back the same, after create and each update', async () => {
    const FunctionName = 'models-iac';
    const settings = {
      Handler: 'index.main_handler',
      Runtime: 'Nodejs16.13',
      MemorySize: 256,
      Timeout: 7,
      Description: 'iac',
      Environment: { Variables: [{ Key: 'A', Value: '1' }] },
      Role: 'SCF_QcsRole',
      InstallDependency: 'TRUE',
      VpcConfig: { VpcId: 'vpc-1', SubnetId: 'subnet-1' },
      PublicNetConfig: { PublicNetStatus: 'ENABLE', EipConfig: { EipStatus: 'DISABLE' } },
      InitTimeout: 30,
      ClsLogsetId: 'logset-1',
      ClsTopicId: 'topic-1',
      DnsCache: 'TRUE',
      DeadLetterConfig: { Type: 'CMQ', Name: 'dlq', FilterType: '' },
      CfsConfig: {
        CfsInsList: [
          {
            UserId: '10000',
            UserGroupId: '10000',
            CfsId: 'cfs-1',
            MountInsId: 'cfs-1',
            LocalMountDir: '/mnt/a',
            RemoteMountDir: '/',
          },
        ],
      },
      ProtocolParams: { WSParams: { IdleTimeOut: 30 } },
      InstanceConcurrencyConfig: { DynamicEnabled: 'FALSE', MaxConcurrency: 10 },
      IntranetConfig: { IpFixed: 'DISABLE' },
    };
    const readBack = async (): Promise<Record<string, unknown>> => {
      const g = await ok('GetFunction', { FunctionName });
      const net = g['PublicNetConfig'] as { PublicNetStatus: string; EipConfig: { EipStatus: string } };
      const intranet = g['IntranetConfig'] as { IpFixed: string; IpAddress: string[] };
      const concurrency = g['InstanceConcurrencyConfig'] as Record<string, unknown> | undefined;
      assert.deepEqual(intranet.IpAddress, [], 'no fixed intranet address here');
      return {
        ...Object.fromEntries(Object.keys(settings).map((k) => [k, g[k]])),
        PublicNetConfig: {
          PublicNetStatus: net.PublicNetStatus,
          EipConfig: { EipStatus: net.EipConfig.EipStatus },
        },
        IntranetConfig: { IpFixed: intranet.IpFixed },
        InstanceConcurrencyConfig: concurrency && {
          DynamicEnabled: concurrency['DynamicEnabled'],
          MaxConcurrency: concurrency['MaxConcurrency'],
        },
        Tags: g['Tags'],
        AsyncRunEnable: g['AsyncRunEnable'],
        TraceEnable: g['TraceEnable'],
        Type: g['Type'],
        ProtocolType: g['ProtocolType'],
      };
    };
    const created = {
      Tags: [{ Key: 'team', Value: 'a' }],
      AsyncRunEnable: 'TRUE',
      TraceEnable: 'TRUE',
      Type: 'Event',
      ProtocolType: 'WS',
    };
    await ok('CreateFunction', { FunctionName, Code: { ZipFile: basicsZip }, ...settings, ...created });
    assert.deepEqual(await readBack(), { ...settings, ...created });
    const changes: Record<string, unknown> = {
      Handler: 'index.context',
      Runtime: 'Nodejs18.15',
      MemorySize: 512,
      Timeout: 9,
      Description: 'iac 2',
      Environment: { Variables: [{ Key: 'B', Value: '2' }] },
      Role: 'OtherRole',
      InstallDependency: 'FALSE',
      VpcConfig: { VpcId: 'vpc-2', SubnetId: 'subnet-2' },
      PublicNetConfig: { PublicNetStatus: 'DISABLE', EipConfig: { EipStatus: 'DISABLE' } },
      InitTimeout: 90,
      ClsLogsetId: 'logset-2',
      ClsTopicId: 'topic-2',
      DnsCache: 'FALSE',
      DeadLetterConfig: { Type: 'CKafka', Name: 'dlq2', FilterType: 'x' },
      // (An empty list cannot be told apart from none in a form-signed request, SCF's included.)
      CfsConfig: {
        CfsInsList: [
          {
            UserId: '10001',
            UserGroupId: '10001',
            CfsId: 'cfs-2',
            MountInsId: 'cfs-2',
            LocalMountDir: '/mnt/b',
            RemoteMountDir: '/data',
          },
        ],
      },
      ProtocolParams: { WSParams: { IdleTimeOut: 600 } },
      InstanceConcurrencyConfig: { DynamicEnabled: 'TRUE', MaxConcurrency: 2 },
      IntranetConfig: { IpFixed: 'ENABLE' },
    };
    let expected: Record<string, unknown> = { ...settings, ...created };
    for (const [key, value] of Object.entries(changes)) {
      await ok('UpdateFunctionConfiguration', { FunctionName, [key]: value });
      expected = { ...expected, [key]: value };
      assert.deepEqual(await readBack(), expected, `after updating ${key}`);
    }
    // ListFunctions filters on what is stored: a "list by filter, then act" script finds this one only.
    const listed = async (filters: Array<{ Name: string; Values: string[] }>): Promise<unknown[]> =>
      ((await ok('ListFunctions', { Filters: filters }))['Functions'] as Array<Record<string, unknown>>).map(
        (f) => f['FunctionName'],
      );
    assert.deepEqual(await listed([{ Name: 'Role', Values: ['OtherRole'] }]), [FunctionName]);
    assert.deepEqual(await listed([{ Name: 'VpcId', Values: ['vpc-2'] }]), [FunctionName]);
    assert.deepEqual(await listed([{ Name: 'tag-team', Values: ['a'] }]), [FunctionName]);
    assert.deepEqual(await listed([{ Name: 'tag-team', Values: ['b'] }]), []);
    assert.deepEqual(
      await listed([
        { Name: 'ClsTopicId', Values: ['topic-2'] },
        { Name: 'TraceEnable', Values: ['TRUE'] },
      ]),
      [FunctionName],
    );
    // SCF's tooling clears every variable with one empty pair.
    await ok('UpdateFunctionConfiguration', {
      FunctionName,
      Environment: { Variables: [{ Key: '', Value: '' }] },
    });
    assert.deepEqual((await readBack())['Environment'], { Variables: [] });
    // Publish: the configuration written is published as the next version as well.
    await ok('UpdateFunctionConfiguration', { FunctionName, Timeout: 11, Publish: 'TRUE' });
    const published = await ok('GetFunction', { FunctionName, Qualifier: '1' });
    assert.equal(published['Timeout'], 11);
  });

  test('versions and aliases', async () => {
    const FunctionName = 'models-versions';
    await ok('CreateFunction', { FunctionName, Code: { ZipFile: basicsZip } });
    const one = await ok('PublishVersion', { FunctionName, Description: 'first' });
    assert.equal(one['FunctionVersion'], '1');
    await ok('UpdateFunctionConfiguration', { FunctionName, Timeout: 7 });
    await ok('PublishVersion', { FunctionName });
    const listed = await ok('ListVersionByFunction', { FunctionName, Order: 'DESC', OrderBy: 'AddTime' });
    assert.equal(listed['TotalCount'], 3);
    const v1 = await ok('GetFunction', { FunctionName, Qualifier: '1' });
    assert.deepEqual([v1['Qualifier'], v1['Timeout']], ['1', 3]);
    await ok('CreateAlias', {
      FunctionName,
      Name: 'canary',
      FunctionVersion: '1',
      RoutingConfig: { AdditionalVersionWeights: [{ Version: '2', Weight: 0.1 }] },
      Description: 'ten percent',
    });
    await ok('UpdateAlias', { FunctionName, Name: 'canary', FunctionVersion: '2' });
    const alias = await ok('GetAlias', { FunctionName, Name: 'canary' });
    assert.deepEqual([alias['FunctionVersion'], alias['Description']], ['2', 'ten percent']);
    const aliases = await ok('ListAliases', { FunctionName, FunctionVersion: '2' });
    assert.equal(aliases['TotalCount'], 1);
    const run = await ok('Invoke', { FunctionName, Qualifier: 'canary' });
    assert.equal((run['Result'] as Record<string, unknown>)['InvokeResult'], 0);
    const logs = await ok('GetFunctionLogs', { FunctionName, Qualifier: 'canary' });
    assert.equal(logs['TotalCount'], 1);
    await ok('DeleteAlias', { FunctionName, Name: 'canary' });
    await ok('DeleteFunctionVersion', { FunctionName, Qualifier: '2' });
    await ok('DeleteFunction', { FunctionName, Qualifier: '1' });
    const left = await ok('ListVersionByFunction', { FunctionName });
    assert.deepEqual(left['FunctionVersion'], ['$LATEST']);
  });

  test('every code in the error-code table is answered by its action', async () => {
    const fn = 'models-reach';
    const zipOf = (text: string): string => Buffer.from(text).toString('base64');
    const code = { Code: { ZipFile: basicsZip } };
    await ok('CreateNamespace', { Namespace: 'models-full' });
    await ok('CreateFunction', { FunctionName: fn, ...code });
    await ok('CreateFunction', { FunctionName: fn, Namespace: 'models-full', ...code });
    await ok('CreateTrigger', { FunctionName: fn, TriggerName: 'dup', Type: 'timer', TriggerDesc: CRON });
    await ok('CreateTrigger', { FunctionName: fn, TriggerName: 'web', Type: 'apigw' });
    const timer = { FunctionName: fn, TriggerName: 'dup', Type: 'timer' };
    const newTimer = { FunctionName: fn, TriggerName: 'new', Type: 'timer', TriggerDesc: CRON };
    const finished = await eventReaching({ FunctionName: fn }, 'FINISHED');
    await ok('PublishVersion', { FunctionName: fn, Description: 'one' });
    await ok('CreateAlias', { FunctionName: fn, Name: 'bound', FunctionVersion: '1' });
    const cases: Array<[string, Record<string, unknown>, string]> = [
      [
        'PublishVersion',
        { FunctionName: fn, Description: 'd'.repeat(1001) },
        'InvalidParameterValue.Description',
      ],
      ['PublishVersion', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['PublishVersion', { FunctionName: fn, Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      ['ListVersionByFunction', { FunctionName: fn, Order: 'UP' }, 'InvalidParameterValue.Order'],
      ['ListVersionByFunction', { FunctionName: fn, OrderBy: 'Size' }, 'InvalidParameterValue.OrderBy'],
      ['ListVersionByFunction', { FunctionName: fn, Limit: -1 }, 'InvalidParameterValue.Limit'],
      ['ListVersionByFunction', { FunctionName: fn, Offset: -1 }, 'InvalidParameterValue.Offset'],
      ['ListVersionByFunction', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['ListVersionByFunction', { FunctionName: fn, Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      [
        'DeleteFunctionVersion',
        { FunctionName: fn, Qualifier: '$LATEST' },
        'InvalidParameterValue.Qualifier',
      ],
      ['DeleteFunctionVersion', { FunctionName: 'models-none', Qualifier: '1' }, 'ResourceNotFound.Function'],
      [
        'DeleteFunctionVersion',
        { FunctionName: fn, Namespace: 'models-none', Qualifier: '1' },
        'ResourceNotFound.Namespace',
      ],
      ['DeleteFunctionVersion', { FunctionName: fn, Qualifier: '9' }, 'ResourceNotFound.Qualifier'],
      ['DeleteFunctionVersion', { FunctionName: fn, Qualifier: '1' }, 'UnsupportedOperation.AliasBind'],
      [
        'CreateAlias',
        {
          FunctionName: fn,
          Name: 'w',
          FunctionVersion: '1',
          RoutingConfig: { AdditionalVersionWeights: [{ Version: '$LATEST', Weight: 2 }] },
        },
        'InvalidParameterValue.AdditionalVersionWeights',
      ],
      [
        'CreateAlias',
        { FunctionName: fn, Name: 'w', FunctionVersion: '1', Description: 'd'.repeat(1001) },
        'InvalidParameterValue.Description',
      ],
      ['CreateAlias', { FunctionName: fn, Name: '-w', FunctionVersion: '1' }, 'InvalidParameterValue.Name'],
      [
        'CreateAlias',
        { FunctionName: fn, Name: 'w', FunctionVersion: '1', RoutingConfig: 'half' },
        'InvalidParameterValue.RoutingConfig',
      ],
      ['CreateAlias', { FunctionName: fn, Name: 'bound', FunctionVersion: '1' }, 'ResourceInUse.Alias'],
      [
        'CreateAlias',
        { FunctionName: 'models-none', Name: 'w', FunctionVersion: '1' },
        'ResourceNotFound.Function',
      ],
      [
        'CreateAlias',
        { FunctionName: fn, Name: 'w', FunctionVersion: '9' },
        'ResourceNotFound.FunctionVersion',
      ],
      [
        'CreateAlias',
        { FunctionName: fn, Namespace: 'models-none', Name: 'w', FunctionVersion: '1' },
        'ResourceNotFound.Namespace',
      ],
      [
        'UpdateAlias',
        {
          FunctionName: fn,
          Name: 'bound',
          FunctionVersion: '1',
          RoutingConfig: { AdditionalVersionWeights: [{ Version: '1', Weight: 0.5 }] },
        },
        'InvalidParameterValue.AdditionalVersionWeights',
      ],
      [
        'UpdateAlias',
        { FunctionName: fn, Name: 'bound', FunctionVersion: '1', Description: 'd'.repeat(1001) },
        'InvalidParameterValue.Description',
      ],
      ['UpdateAlias', { FunctionName: fn, Name: '-w', FunctionVersion: '1' }, 'InvalidParameterValue.Name'],
      [
        'UpdateAlias',
        { FunctionName: fn, Name: 'bound', FunctionVersion: '1', RoutingConfig: 'half' },
        'InvalidParameterValue.RoutingConfig',
      ],
      ['UpdateAlias', { FunctionName: fn, Name: 'nope', FunctionVersion: '1' }, 'ResourceNotFound.Alias'],
      [
        'UpdateAlias',
        { FunctionName: 'models-none', Name: 'bound', FunctionVersion: '1' },
        'ResourceNotFound.Function',
      ],
      [
        'UpdateAlias',
        { FunctionName: fn, Name: 'bound', FunctionVersion: '9' },
        'ResourceNotFound.FunctionVersion',
      ],
      [
        'UpdateAlias',
        { FunctionName: fn, Namespace: 'models-none', Name: 'bound', FunctionVersion: '1' },
        'ResourceNotFound.Namespace',
      ],
      ['GetAlias', { FunctionName: fn, Name: 'nope' }, 'ResourceNotFound.Alias'],
      ['GetAlias', { FunctionName: 'models-none', Name: 'bound' }, 'ResourceNotFound.Function'],
      [
        'GetAlias',
        { FunctionName: fn, Namespace: 'models-none', Name: 'bound' },
        'ResourceNotFound.Namespace',
      ],
      ['ListAliases', { FunctionName: fn, FunctionVersion: '9' }, 'InvalidParameterValue.FunctionVersion'],
      ['ListAliases', { FunctionName: fn, Limit: -1 }, 'InvalidParameterValue.Limit'],
      ['ListAliases', { FunctionName: fn, Offset: -1 }, 'InvalidParameterValue.Offset'],
      ['ListAliases', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['ListAliases', { FunctionName: fn, Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      ['DeleteAlias', { FunctionName: fn, Name: 'nope' }, 'ResourceNotFound.Alias'],
      ['DeleteAlias', { FunctionName: 'models-none', Name: 'bound' }, 'ResourceNotFound.Function'],
      [
        'DeleteAlias',
        { FunctionName: fn, Namespace: 'models-none', Name: 'bound' },
        'ResourceNotFound.Namespace',
      ],
      ['ListAsyncEvents', { FunctionName: fn, Limit: 101 }, 'InvalidParameterValue.Limit'],
      ['ListAsyncEvents', { FunctionName: fn, Order: 'UP' }, 'InvalidParameterValue.Order'],
      ['ListAsyncEvents', { FunctionName: fn, Status: ['DONE'] }, 'InvalidParameterValue.Status'],
      ['ListAsyncEvents', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['ListAsyncEvents', { FunctionName: fn, Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      ['ListAsyncEvents', { FunctionName: fn, Orderby: 'Size' }, 'InvalidParameterValue.Orderby'],
      ['ListAsyncEvents', { FunctionName: fn, Offset: -1 }, 'InvalidParameterValue.Offset'],
      [
        'ListAsyncEvents',
        { FunctionName: fn, StartTimeInterval: { Start: 'x', End: 'y' } },
        'InvalidParameterValue.StartTimeInterval',
      ],
      [
        'ListAsyncEvents',
        { FunctionName: fn, EndTimeInterval: { Start: '2024-01-01 00:00:00', End: 'y' } },
        'InvalidParameterValue.EndTimeInterval',
      ],
      ['GetAsyncEventStatus', { InvokeRequestId: 'none' }, 'ResourceNotFound.AsyncEvent'],
      [
        'TerminateAsyncEvent',
        { FunctionName: fn, InvokeRequestId: finished },
        'FailedOperation.AsyncEventStatus',
      ],
      ['TerminateAsyncEvent', { FunctionName: fn, InvokeRequestId: 'none' }, 'ResourceNotFound.AsyncEvent'],
      [
        'TerminateAsyncEvent',
        { FunctionName: 'models-none', InvokeRequestId: finished },
        'ResourceNotFound.Function',
      ],
      [
        'TerminateAsyncEvent',
        { FunctionName: fn, Namespace: 'models-none', InvokeRequestId: finished },
        'ResourceNotFound.Namespace',
      ],
      [
        'CreateTrigger',
        { ...newTimer, CustomArgument: 'x'.repeat(5000) },
        'InvalidParameterValue.CustomArgument',
      ],
      ['CreateTrigger', { ...newTimer, Description: 'd'.repeat(101) }, 'InvalidParameterValue.Description'],
      ['CreateTrigger', { ...newTimer, Enable: 'ON' }, 'InvalidParameterValue.Enable'],
      ['CreateTrigger', { ...newTimer, TriggerDesc: 'every minute' }, 'InvalidParameterValue.TriggerDesc'],
      ['CreateTrigger', { ...newTimer, TriggerName: 'bad name!' }, 'InvalidParameterValue.TriggerName'],
      ['CreateTrigger', { ...newTimer, Type: 'carrier-pigeon' }, 'InvalidParameterValue.Type'],
      ['CreateTrigger', { ...newTimer, TriggerName: 'dup' }, 'ResourceInUse.Trigger'],
      ['CreateTrigger', { ...newTimer, FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['CreateTrigger', { ...newTimer, Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      ['CreateTrigger', { ...newTimer, Type: 'cos' }, 'UnsupportedOperation.Trigger'],
      ['CreateTrigger', { ...newTimer, Qualifier: '9' }, 'InvalidParameterValue.Qualifier'],
      ['UpdateTrigger', { ...timer, Description: 'd'.repeat(101) }, 'InvalidParameterValue.Description'],
      ['UpdateTrigger', { ...timer, Enable: 'ON' }, 'InvalidParameterValue.Enable'],
      ['UpdateTrigger', { ...timer, TriggerDesc: '* *' }, 'InvalidParameterValue.TriggerDesc'],
      ['UpdateTrigger', { ...timer, TriggerName: 'bad name!' }, 'InvalidParameterValue.TriggerName'],
      ['UpdateTrigger', { ...timer, Type: 'carrier-pigeon' }, 'InvalidParameterValue.Type'],
      ['UpdateTrigger', { ...timer, FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['UpdateTrigger', { ...timer, Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      ['UpdateTrigger', { ...timer, TriggerName: 'none' }, 'ResourceNotFound.Trigger'],
      [
        'UpdateTrigger',
        { FunctionName: fn, TriggerName: 'web', Type: 'apigw', CustomArgument: 'x' },
        'InvalidParameterValue.CustomArgument',
      ],
      ['UpdateTrigger', { ...timer, Qualifier: '9' }, 'InvalidParameterValue.Qualifier'],
      ['UpdateTriggerStatus', { ...timer, Enable: 'ON' }, 'InvalidParameterValue.Enable'],
      [
        'UpdateTriggerStatus',
        { ...timer, Enable: 'OPEN', TriggerName: 'bad name!' },
        'InvalidParameterValue.TriggerName',
      ],
      ['UpdateTriggerStatus', { ...timer, Enable: 'OPEN', Type: 'pigeon' }, 'InvalidParameterValue.Type'],
      [
        'UpdateTriggerStatus',
        { ...timer, Enable: 'OPEN', FunctionName: 'models-none' },
        'ResourceNotFound.Function',
      ],
      [
        'UpdateTriggerStatus',
        { ...timer, Enable: 'OPEN', Namespace: 'models-none' },
        'ResourceNotFound.Namespace',
      ],
      ['UpdateTriggerStatus', { ...timer, Enable: 'OPEN', TriggerName: 'none' }, 'ResourceNotFound.Trigger'],
      [
        'UpdateTriggerStatus',
        { ...timer, Enable: 'OPEN', Qualifier: '9' },
        'InvalidParameterValue.Qualifier',
      ],
      ['DeleteTrigger', { ...timer, Type: 'pigeon' }, 'InvalidParameterValue.Type'],
      ['DeleteTrigger', { ...timer, FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['DeleteTrigger', { ...timer, TriggerName: 'none' }, 'ResourceNotFound.Trigger'],
      ['DeleteTrigger', { ...timer, Qualifier: '9' }, 'InvalidParameterValue.Qualifier'],
      ['DeleteTrigger', { ...timer, Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      [
        'ListTriggers',
        { FunctionName: fn, Filters: [{ Name: 'Colour', Values: ['x'] }] },
        'InvalidParameterValue.Filters',
      ],
      ['ListTriggers', { FunctionName: fn, Order: 'UP' }, 'InvalidParameterValue.Order'],
      ['ListTriggers', { FunctionName: fn, OrderBy: 'size' }, 'InvalidParameterValue.OrderBy'],
      ['ListTriggers', { FunctionName: fn, Limit: -1 }, 'InvalidParameterValue.Limit'],
      ['ListTriggers', { FunctionName: fn, Offset: -1 }, 'InvalidParameterValue.Offset'],
      ['ListTriggers', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['ListTriggers', { FunctionName: fn, Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      [
        'UpdateFunctionEventInvokeConfig',
        { FunctionName: fn, AsyncTriggerConfig: { RetryConfig: 'x' } },
        'InvalidParameterValue.AsyncTriggerConfig',
      ],
      [
        'UpdateFunctionEventInvokeConfig',
        { FunctionName: fn, AsyncTriggerConfig: { RetryConfig: [{ RetryNum: 3 }] } },
        'LimitExceeded.RetryNum',
      ],
      [
        'UpdateFunctionEventInvokeConfig',
        { FunctionName: fn, AsyncTriggerConfig: { MsgTTL: 10 } },
        'LimitExceeded.MsgTTL',
      ],
      [
        'UpdateFunctionEventInvokeConfig',
        { FunctionName: 'models-none', AsyncTriggerConfig: { MsgTTL: 600 } },
        'ResourceNotFound.Function',
      ],
      [
        'UpdateFunctionEventInvokeConfig',
        { FunctionName: fn, Namespace: 'models-none', AsyncTriggerConfig: { MsgTTL: 600 } },
        'ResourceNotFound.Namespace',
      ],
      ['GetFunctionEventInvokeConfig', { FunctionName: fn, Qualifier: '9' }, 'ResourceNotFound.Version'],
      ['GetFunctionEventInvokeConfig', { FunctionName: fn, Qualifier: 'nope' }, 'ResourceNotFound.Alias'],
      ['GetFunctionEventInvokeConfig', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      [
        'GetFunctionEventInvokeConfig',
        { FunctionName: fn, Namespace: 'models-none' },
        'ResourceNotFound.Namespace',
      ],
      [
        'GetFunctionLogs',
        { StartTime: 'yesterday', EndTime: '2024-01-03 00:00:00' },
        'InvalidParameterValue.DateTime',
      ],
      ['GetFunctionLogs', { Offset: -1 }, 'InvalidParameterValue.Offset'],
      ['GetFunctionLogs', { Order: 'sideways' }, 'InvalidParameterValue.Order'],
      ['GetFunctionLogs', { OrderBy: 'size' }, 'InvalidParameterValue.OrderBy'],
      ['GetFunctionLogs', { Filter: { RetCode: 'bad' } }, 'InvalidParameterValue.RetCode'],
      ['GetFunctionLogs', { EndTime: '2024-01-03 00:00:00' }, 'InvalidParameterValue.StartTimeOrEndTime'],
      ['GetFunctionLogs', { Offset: 9990, Limit: 20 }, 'LimitExceeded.Offset'],
      ['GetFunctionLogs', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['GetFunctionLogs', { Limit: 0 }, 'InvalidParameterValue.Limit'],
      ['GetFunctionLogs', { Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      ['GetFunctionLogs', { FunctionName: fn, Namespace: 'models-none' }, 'ResourceNotFound.Function'],
      [
        'GetRequestStatus',
        { FunctionName: fn, FunctionRequestId: 'r', StartTime: 'soon', EndTime: '2024-01-03 00:00:00' },
        'InvalidParameterValue.DateTime',
      ],
      [
        'GetRequestStatus',
        { FunctionName: fn, FunctionRequestId: 'r', StartTime: '2024-01-03 00:00:00' },
        'InvalidParameterValue.StartTimeOrEndTime',
      ],
      [
        'GetRequestStatus',
        { FunctionName: 'models-none', FunctionRequestId: 'r' },
        'ResourceNotFound.Function',
      ],
      [
        'GetRequestStatus',
        { FunctionName: fn, FunctionRequestId: 'r', Namespace: 'models-none' },
        'ResourceNotFound.Function',
      ],
      ['Invoke', { FunctionName: fn, ClientContext: 'nope' }, 'InvalidParameterValue.Param'],
      ['Invoke', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      [
        'Invoke',
        { FunctionName: fn, InvocationType: 'Event', ClientContext: JSON.stringify('x'.repeat(200 * 1024)) },
        'InvalidParameterValue.ClientContext',
      ],
      ['Invoke', { FunctionName: fn, InvocationType: 'Later' }, 'InvalidParameterValue.InvocationType'],
      ['Invoke', { FunctionName: fn, LogType: 'All' }, 'InvalidParameterValue.LogType'],
      ['Invoke', { FunctionName: fn, Qualifier: '9' }, 'ResourceNotFound.Version'],
      ['Invoke', { FunctionName: fn, Qualifier: 'nope' }, 'ResourceNotFound.Alias'],
      ['Invoke', { FunctionName: fn, Namespace: 'models-none' }, 'ResourceNotFound.Function'],
      ['InvokeFunction', { FunctionName: fn, Event: 'nope' }, 'InvalidParameterValue.Param'],
      ['InvokeFunction', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['InvokeFunction', { FunctionName: fn, LogType: 'All' }, 'InvalidParameterValue.LogType'],
      ['InvokeFunction', { FunctionName: fn, Qualifier: '9' }, 'ResourceNotFound.Version'],
      ['InvokeFunction', { FunctionName: fn, Qualifier: 'nope' }, 'ResourceNotFound.Alias'],
      ['InvokeFunction', { FunctionName: fn, Namespace: 'models-none' }, 'ResourceNotFound.Function'],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, Description: 'd'.repeat(1001) },
        'InvalidParameterValue.Description',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, Environment: { Variables: [{ Value: 'v' }] } },
        'InvalidParameterValue.Environment',
      ],
      ['CreateFunction', { FunctionName: '1bad', ...code }, 'InvalidParameterValue.FunctionName'],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, Handler: 'nodot' },
        'InvalidParameterValue.Handler',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, MemorySize: 100 },
        'InvalidParameterValue.MemorySize',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, Namespace: 'bad name' },
        'InvalidParameterValue.Namespace',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, Runtime: 'Cobol85' },
        'InvalidParameterValue.Runtime',
      ],
      ['CreateFunction', { FunctionName: 'models-c', ...code, Type: 'Lambda' }, 'InvalidParameterValue.Type'],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, AsyncRunEnable: 'YES' },
        'InvalidParameterValue.AsyncRunEnable',
      ],
      ['CreateFunction', { FunctionName: 'models-c', ...code, Layers: 'x' }, 'InvalidParameterValue.Layers'],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, Layers: [{ LayerName: 'numpy', LayerVersion: 1 }] },
        'ResourceNotFound.Layer',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, PublicNetConfig: { PublicNetStatus: 'OPEN' } },
        'InvalidParameterValue.PublicNetConfig',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, InitTimeout: 301 },
        'LimitExceeded.InitTimeout',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, Tags: [{ Value: 'v' }] },
        'InvalidParameterValue.Tags',
      ],
      ['UpdateFunctionConfiguration', { FunctionName: fn, Layers: 'x' }, 'InvalidParameterValue.Layers'],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, Layers: [{ LayerName: 'numpy', LayerVersion: 1 }] },
        'ResourceNotFound.Layer',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, PublicNetConfig: { PublicNetStatus: 'OPEN' } },
        'InvalidParameterValue.PublicNetConfig',
      ],
      ['UpdateFunctionConfiguration', { FunctionName: fn, InitTimeout: 0 }, 'LimitExceeded.InitTimeout'],
      [
        'CreateFunction',
        { FunctionName: 'models-c', Code: { ZipFile: zipOf('not a zip') } },
        'InvalidParameterValue.ZipFile',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', Code: { ZipFile: '***' } },
        'InvalidParameterValue.ZipFileBase64BinasciiError',
      ],
      ['CreateFunction', { FunctionName: 'models-c', ...code, Timeout: 901 }, 'LimitExceeded.Timeout'],
      ['CreateFunction', { FunctionName: 'models-c' }, 'MissingParameter.Code'],
      ['CreateFunction', { FunctionName: fn, ...code }, 'ResourceInUse.Function'],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, Namespace: 'models-none' },
        'ResourceNotFound.Namespace',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, Timeout: 2.5 },
        'InvalidParameterValue.Timeout',
      ],
      [
        'UpdateFunctionCode',
        { FunctionName: fn, ZipFile: basicsZip, Handler: 'nodot' },
        'InvalidParameterValue.Handler',
      ],
      [
        'UpdateFunctionCode',
        { FunctionName: fn, ZipFile: zipOf('not a zip') },
        'InvalidParameterValue.ZipFile',
      ],
      [
        'UpdateFunctionCode',
        { FunctionName: fn, ZipFile: '***' },
        'InvalidParameterValue.ZipFileBase64BinasciiError',
      ],
      [
        'UpdateFunctionCode',
        { FunctionName: 'models-none', ZipFile: basicsZip },
        'ResourceNotFound.Function',
      ],
      [
        'UpdateFunctionCode',
        { FunctionName: fn, ZipFile: basicsZip, Namespace: 'models-none' },
        'ResourceNotFound.Namespace',
      ],
      [
        'UpdateFunctionCode',
        { FunctionName: fn, ZipFile: basicsZip, Publish: 'MAYBE' },
        'InvalidParameterValue.Publish',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, Description: 'd'.repeat(1001) },
        'InvalidParameterValue.Description',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, Environment: { Variables: [{ Value: 'v' }] } },
        'InvalidParameterValue.Environment',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, Handler: 'nodot' },
        'InvalidParameterValue.Handler',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, MemorySize: 100 },
        'InvalidParameterValue.MemorySize',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, Runtime: 'Cobol85' },
        'InvalidParameterValue.Runtime',
      ],
      ['UpdateFunctionConfiguration', { FunctionName: fn, Timeout: 0 }, 'LimitExceeded.Timeout'],
      ['UpdateFunctionConfiguration', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, Namespace: 'models-none' },
        'ResourceNotFound.Namespace',
      ],
      ['UpdateFunctionConfiguration', { FunctionName: fn, Timeout: 'long' }, 'InvalidParameterValue.Timeout'],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, CfsConfig: { CfsInsList: 'all' } },
        'InvalidParameterValue.CfsParameterError',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, ProtocolParams: { WSParams: { IdleTimeOut: 0 } } },
        'InvalidParameterValue.IdleTimeOut',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, InstanceConcurrencyConfig: 'many' },
        'InvalidParameterValue.InstanceConcurrencyConfig',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, InstanceConcurrencyConfig: { MaxConcurrency: 101 } },
        'InvalidParameterValue.MaxConcurrency',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, IntranetConfig: { IpFixed: 'YES' } },
        'InvalidParameterValue.IntranetConfig',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, Publish: 'MAYBE' },
        'InvalidParameterValue.Publish',
      ],
      [
        'UpdateFunctionConfiguration',
        { FunctionName: fn, Environment: { Variables: [{ Key: 'A', Value: '' }] } },
        'InvalidParameterValue.Environment',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, CfsConfig: { CfsInsList: ['x'] } },
        'InvalidParameterValue.CfsParameterError',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, ProtocolParams: { WSParams: { IdleTimeOut: 1801 } } },
        'InvalidParameterValue.IdleTimeOut',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, InstanceConcurrencyConfig: [1] },
        'InvalidParameterValue.InstanceConcurrencyConfig',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, InstanceConcurrencyConfig: { MaxConcurrency: 0 } },
        'InvalidParameterValue.MaxConcurrency',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, ProtocolType: 'SMTP' },
        'InvalidParameterValue.ProtocolType',
      ],
      [
        'CreateFunction',
        { FunctionName: 'models-c', ...code, IntranetConfig: { IpFixed: 1 } },
        'InvalidParameterValue.IntranetConfig',
      ],
      ['GetFunction', { FunctionName: fn, Qualifier: '9' }, 'ResourceNotFound.Version'],
      ['GetFunction', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['GetFunction', { FunctionName: fn, Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      ['GetFunction', { FunctionName: fn, ShowCode: 'MAYBE' }, 'InvalidParameterValue.ShowCode'],
      ['ListFunctions', { Limit: -1 }, 'InvalidParameterValue.Limit'],
      ['ListFunctions', { Namespace: 'bad name' }, 'InvalidParameterValue.Namespace'],
      ['ListFunctions', { Offset: -1 }, 'InvalidParameterValue.Offset'],
      ['ListFunctions', { Order: 'UP' }, 'InvalidParameterValue.Order'],
      ['ListFunctions', { Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      ['ListFunctions', { Orderby: 'Size' }, 'InvalidParameterValue.Orderby'],
      ['ListFunctions', { Filters: [{ Name: 'Runtime' }] }, 'InvalidParameterValue.Filters'],
      ['ListFunctions', { SearchKey: { a: 1 } }, 'InvalidParameterValue.SearchKey'],
      ['ListFunctions', { Description: { a: 1 } }, 'InvalidParameterValue.Description'],
      ['DeleteFunction', { FunctionName: fn, Qualifier: '9' }, 'ResourceNotFound.Qualifier'],
      ['DeleteFunction', { FunctionName: fn, Qualifier: '1' }, 'UnsupportedOperation.AliasBind'],
      ['DeleteFunction', { FunctionName: 'models-none' }, 'ResourceNotFound.Function'],
      ['DeleteFunction', { FunctionName: fn, Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
      ['CreateNamespace', { Namespace: 'default' }, 'InvalidParameterValue.DefaultNamespace'],
      [
        'CreateNamespace',
        { Namespace: 'models-d', Description: 'd'.repeat(1001) },
        'InvalidParameterValue.Description',
      ],
      ['CreateNamespace', { Namespace: 'bad name' }, 'InvalidParameterValue.Namespace'],
      ['CreateNamespace', { Namespace: 'models-full' }, 'ResourceInUse.Namespace'],
      ['ListNamespaces', { SearchKey: [{ Key: 'Colour', Value: 'x' }] }, 'InvalidParameterValue.SearchKey'],
      ['ListNamespaces', { Limit: -1 }, 'InvalidParameterValue.Limit'],
      ['ListNamespaces', { Order: 'UP' }, 'InvalidParameterValue.Order'],
      ['ListNamespaces', { Orderby: 'Size' }, 'InvalidParameterValue.Orderby'],
      ['ListNamespaces', { Offset: -1 }, 'InvalidParameterValue.Offset'],
      ['DeleteNamespace', { Namespace: 'default' }, 'FailedOperation.DeleteNamespace'],
      ['DeleteNamespace', { Namespace: 'bad name' }, 'InvalidParameterValue.Namespace'],
      ['DeleteNamespace', { Namespace: 'models-full' }, 'ResourceInUse.Namespace'],
      ['DeleteNamespace', { Namespace: 'models-none' }, 'ResourceNotFound.Namespace'],
    ];
    const seen = new Map<string, Set<string>>();
    const wrong: string[] = [];
    for (const [action, params, expected] of cases) {
      try {
        await fails(action, params, expected);
      } catch (err) {
        wrong.push((err as Error).message.split('\n')[0] ?? '');
        continue;
      }
      seen.set(action, (seen.get(action) ?? new Set()).add(expected));
    }
    assert.deepEqual(wrong, []);
    // Codes whose cause cannot be set up cheaply here, each provoked by another test.
    const elsewhere: Readonly<Record<string, string>> = {
      'Invoke LimitExceeded.Concurrency': 'test/security/server-crash.test.ts saturates a function',
      'InvokeFunction LimitExceeded.Concurrency': 'as Invoke (the same operation)',
      'InvokeFunction InvalidParameterValue.Event': 'a 6 MB event; the operation test checks its spelling',
    };
    for (const [action, row] of Object.entries(V3_ACTION_CODES)) {
      for (const c of [...row.scf, ...Object.keys(row.local ?? {})]) {
        const key = `${action} ${c}`;
        assert.ok(
          seen.get(action)?.has(c) || Object.hasOwn(elsewhere, key),
          `${key}: in the table, never answered`,
        );
      }
    }
  });

  test('every implemented action was checked on a success and an error path', () => {
    for (const action of V3_ACTIONS.keys()) {
      assert.ok(succeeded.has(action), `${action}: no success answer checked`);
      assert.ok(failed.has(action), `${action}: no error answer checked`);
    }
  });
});
