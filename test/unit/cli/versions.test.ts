/**
 * Versions and aliases in the CLI, without a server: `--qualifier` told apart as a version or an alias,
 * `--weight` parsed into SCF's RoutingConfig, an alias's routing and the version list for people and as
 * JSON, and the log table's VERSION column (only when the records show more than one version).
 * Expected values are written out here from SCF's models, not computed with the code under test.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Command } from 'commander';
import { aliasJson, routingConfig, showAlias } from '../../../src/cli/commands/aliases.js';
import { compareVersions, versionJson } from '../../../src/cli/commands/versions.js';
import { addGlobalOptions, refuseVersionAfterCommand } from '../../../src/cli/context.js';
import {
  byRequestId,
  type CliRecord,
  createStyle,
  fromFunctionLog,
  fromStreamRecord,
  recordJson,
  tableHeader,
  tableRow,
  versionColumnWidth,
  versionsShown,
} from '../../../src/cli/format.js';
import { formatRouting, isVersion, parseWeight, percent } from '../../../src/cli/versions.js';
import { ScfError } from '../../../src/errors/index.js';

describe('qualifiers and weights', () => {
  test('a version is $LATEST or a number; anything else is an alias', () => {
    for (const v of ['$LATEST', '1', '12']) assert.equal(isVersion(v), true, v);
    for (const a of ['prod', '$DEFAULT', 'v1', 'latest', '', '01']) assert.equal(isVersion(a), false, a);
  });

  test('--weight V=W: a version and its share; anything else is a usage error', () => {
    assert.deepEqual(parseWeight('2=0.2'), { Version: '2', Weight: 0.2 });
    assert.deepEqual(parseWeight(' 3 = .5 '), { Version: '3', Weight: 0.5 });
    // The range is the server's rule: passed on as written.
    assert.deepEqual(parseWeight('2=1.5'), { Version: '2', Weight: 1.5 });
    for (const bad of ['2', '=0.5', '2=', '2=half', '2=0.5=1', '2 0.5']) {
      assert.throws(
        () => parseWeight(bad),
        (err: unknown) =>
          err instanceof ScfError && err.code === 'InvalidParameter' && /--weight/.test(err.message),
        bad,
      );
    }
  });

  test('RoutingConfig: absent without --weight, empty with --no-weight, one entry per --weight', () => {
    assert.equal(routingConfig(undefined), undefined);
    assert.deepEqual(routingConfig(false), { AdditionalVersionWeights: [] });
    assert.deepEqual(routingConfig(['2=0.25']), {
      AdditionalVersionWeights: [{ Version: '2', Weight: 0.25 }],
    });
  });

  test('--version after a command name is refused (it would print the CLI version and do nothing)', () => {
    const program = addGlobalOptions(new Command().version('1.2.3'));
    program.command('alias').command('create <f> <n>');
    program.command('logs').alias('log');
    const refused = (args: string[]): boolean => {
      try {
        refuseVersionAfterCommand(program, args);
        return false;
      } catch (err) {
        assert.ok(err instanceof ScfError && err.code === 'InvalidParameter');
        return true;
      }
    };
    assert.equal(refused(['--version']), false);
    assert.equal(refused(['-V']), false);
    assert.equal(
      refused(['--endpoint', 'logs', '--version']),
      false,
      'a global option’s value is not a command',
    );
    assert.equal(refused(['alias', 'create', 'f', 'prod', '--version', '1']), true);
    assert.equal(refused(['--region', 'x', 'log', '-V']), true);
    assert.equal(refused(['logs', '--', '--version']), false);
    assert.throws(
      () => refuseVersionAfterCommand(program, ['alias', 'create', 'f', 'p', '--version', '1']),
      /--function-version \(-v\)/,
    );
  });

  test('routing for people', () => {
    assert.equal(percent(0.2), '20%');
    assert.equal(percent(0.125), '12.5%');
    assert.equal(percent(1 - 0.7), '30%');
    assert.equal(formatRouting({ version: '1', additional: [] }), '1');
    assert.equal(
      formatRouting({ version: '1', additional: [{ version: '2', weight: 0.2 }] }),
      '1 80%, 2 20%',
    );
  });
});

describe('aliases and versions as shown', () => {
  // 2024-05-01 08:00:00 in the API's UTC+8 is 00:00 UTC.
  const apiAlias = {
    Name: 'prod',
    FunctionVersion: '1',
    RoutingConfig: { AdditionalVersionWeights: [{ Version: '2', Weight: 0.5 }], AddtionVersionMatchs: [] },
    Description: 'canary',
    AddTime: '2024-05-01 08:00:00',
    ModTime: '2024-05-01 09:30:00',
  };

  test('an alias as JSON: camelCase, its weights, times with their offset', () => {
    assert.deepEqual(
      aliasJson(apiAlias, { functionName: 'f', namespace: 'default' }, { zone: 480, utc: true }),
      {
        name: 'prod',
        functionName: 'f',
        namespace: 'default',
        version: '1',
        additionalVersionWeights: [{ version: '2', weight: 0.5 }],
        description: 'canary',
        addTime: '2024-05-01T00:00:00.000Z',
        addTimeMs: Date.UTC(2024, 4, 1, 0, 0, 0),
        modTime: '2024-05-01T01:30:00.000Z',
        modTimeMs: Date.UTC(2024, 4, 1, 1, 30, 0),
      },
    );
    const bare = aliasJson(
      { Name: 'a', FunctionVersion: '$LATEST' },
      { functionName: 'f', namespace: 'n' },
      {
        zone: 480,
        utc: true,
      },
    );
    assert.deepEqual(bare['additionalVersionWeights'], []);
    assert.equal(bare['addTime'], null);
  });

  test('alias show: one line per field', () => {
    const json = aliasJson(apiAlias, { functionName: 'f', namespace: 'default' }, { zone: 480, utc: true });
    assert.equal(
      showAlias(json, { utc: true }),
      [
        'name         prod',
        'function     f',
        'namespace    default',
        'routes to    1 50%, 2 50%',
        'description  canary',
        'created      2024-05-01 00:00:00 +00:00',
        'modified     2024-05-01 01:30:00 +00:00',
      ].join('\n'),
    );
  });

  test('versions: JSON shape, $LATEST first then in the order published', () => {
    assert.deepEqual(
      versionJson(
        { Version: '3', Description: 'third', Status: 'Active', AddTime: '2024-05-01 08:00:00' },
        { zone: 480, utc: true },
      ),
      {
        version: '3',
        description: 'third',
        status: 'Active',
        addTime: '2024-05-01T00:00:00.000Z',
        addTimeMs: Date.UTC(2024, 4, 1),
        modTime: null,
        modTimeMs: null,
      },
    );
    assert.deepEqual(['10', '2', '$LATEST', '1'].sort(compareVersions), ['$LATEST', '1', '2', '10']);
  });
});

describe('the log table and JSON with versions', () => {
  const rec = (requestId: string, version?: string): CliRecord => ({
    ...(version === undefined ? {} : { version }),
    requestId,
    functionName: 'f',
    namespace: 'default',
    startTime: Date.UTC(2024, 4, 1),
    duration: 12.5,
    billDuration: 100,
    memUsage: 44 * 1024 * 1024,
    retCode: 0,
    retMsg: '',
    invokeFinished: 1,
    log: '',
  });
  const plain = createStyle(false);

  test('a VERSION column only when the records show more than one version', () => {
    assert.equal(versionsShown([rec('a', '$LATEST'), rec('b', '$LATEST')]), undefined);
    assert.equal(versionsShown([rec('a', '1'), rec('b')]), undefined);
    assert.deepEqual(versionsShown([rec('a', '1'), rec('b', '2'), rec('c', '1')]), ['1', '2']);
    assert.equal(versionColumnWidth(['1', '2']), 'VERSION'.length);
    assert.equal(versionColumnWidth(['123456789']), 9);
  });

  test('without a version column the table is unchanged; with it, VERSION comes before REQUEST ID', () => {
    const without = tableRow(rec('rid', '1'), plain, { utc: true });
    assert.match(without, /^2024-05-01 00:00:00 \+00:00 {2}rid +ok +13 ms +100 ms +44\.0 MB$/);
    assert.match(tableHeader(plain), /^TIME {24}REQUEST ID/);
    const options = { utc: true, versionWidth: 7 };
    assert.match(tableHeader(plain, options), /^TIME {24}VERSION {2}REQUEST ID {28}STATUS/);
    assert.match(tableRow(rec('rid', '2'), plain, options), /^2024-05-01 00:00:00 \+00:00 {2}2 {8}rid +ok/);
    assert.match(tableRow(rec('rid'), plain, options), /^2024-05-01 00:00:00 \+00:00 {2}- {8}rid +ok/);
    const both = { utc: true, versionWidth: 7, functionWidth: 8 };
    assert.match(tableHeader(plain, both), /^TIME {24}FUNCTION {2}VERSION {2}REQUEST ID/);
    assert.match(
      tableRow(rec('rid', '$LATEST'), plain, both),
      /^2024-05-01 00:00:00 \+00:00 {2}f {9}\$LATEST {2}rid/,
    );
  });

  test('records of one second of the API are ordered by their UUIDv7 request ids (their start, in ms)', () => {
    const early = rec('01a234fb-7f20-7000-bc02-a4ec20bce3c0', '1');
    const late = rec('01a234fb-8176-7000-8b64-789dabf4428c', '2');
    assert.deepEqual(
      [late, early].sort(byRequestId).map((r) => r.version),
      ['1', '2'],
    );
  });

  test('JSON has the version that ran, null when the source did not say', () => {
    assert.equal(recordJson(rec('a', '2'), { utc: true })['version'], '2');
    assert.equal(recordJson(rec('a'), { utc: true })['version'], null);
    const log = { RequestId: 'r', FunctionName: 'f', StartTime: '2024-05-01 08:00:00', RetCode: 0 };
    // SCF's FunctionLog does not say the version: unknown until read for one version.
    assert.equal(fromFunctionLog(log, 480, 'default').version, undefined);
    const streamed = fromStreamRecord({
      requestId: 'r',
      namespace: 'default',
      functionName: 'f',
      qualifier: '4',
      startTime: 1,
      duration: 0,
      billDuration: 0,
      memUsage: 0,
      retCode: 2,
      retMsg: '',
      invokeFinished: 0,
      retryNum: 0,
      log: '',
    });
    assert.equal(streamed.version, '4');
  });
});
