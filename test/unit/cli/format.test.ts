import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import { parseEndpoint } from '../../../src/cli/client.js';
import { parseEnvPairs, zipDirectory } from '../../../src/cli/commands/deploy.js';
import { readEvent } from '../../../src/cli/commands/invoke.js';
import { dayWindows } from '../../../src/cli/commands/logs.js';
import { readCliEnvironment } from '../../../src/cli/env.js';
import {
  type CliRecord,
  createStyle,
  formatTime,
  fromFunctionLog,
  isoTime,
  logBlock,
  matchesStatus,
  statusName,
  tableRow,
} from '../../../src/cli/format.js';
import { readSse } from '../../../src/cli/sse.js';
import { parseDuration, parseTimeArg } from '../../../src/cli/time.js';
import { ScfError } from '../../../src/errors/index.js';
import { tempDir } from '../../helpers/tmp.js';

/**
 * Runs `fn` with the process in the IANA zone `tz` and restores the zone after: Node re-reads TZ when it
 * is assigned, so the expected values below are fixed, whatever zone the suite runs in.
 */
function inZone<T>(tz: string, fn: () => T): T {
  const before = process.env['TZ'];
  process.env['TZ'] = tz;
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env['TZ'];
    else process.env['TZ'] = before;
  }
}

describe('times', () => {
  test('inZone really changes the zone of Date', () => {
    const at = Date.UTC(2024, 4, 1, 12);
    assert.equal(
      inZone('Asia/Kolkata', () => new Date(at).getTimezoneOffset()),
      -330,
    );
    assert.equal(
      inZone('America/Los_Angeles', () => new Date(at).getTimezoneOffset()),
      420,
    );
  });

  test('durations', () => {
    assert.equal(parseDuration('90s'), 90_000);
    assert.equal(parseDuration('1h30m'), 5_400_000);
    assert.equal(parseDuration('2d'), 172_800_000);
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('1x'), undefined);
    assert.equal(parseDuration(''), undefined);
  });

  test('--since/--until: durations back from now, local or UTC times, ISO with a zone', () => {
    const now = Date.UTC(2024, 4, 1, 12, 0, 0);
    assert.equal(parseTimeArg('1h', { now, utc: false, flag: '--since' }), now - 3_600_000);
    assert.equal(
      parseTimeArg('2024-05-01 10:00', { now, utc: true, flag: '--since' }),
      Date.UTC(2024, 4, 1, 10),
    );
    assert.equal(parseTimeArg('2024-05-01', { now, utc: true, flag: '--since' }), Date.UTC(2024, 4, 1));
    // Without --utc, a time without a zone is read in the user's zone, whatever the machine's.
    const local = (tz: string) =>
      inZone(tz, () => parseTimeArg('2024-05-01 10:00:30', { now, utc: false, flag: '--since' }));
    assert.equal(local('UTC'), Date.UTC(2024, 4, 1, 10, 0, 30));
    assert.equal(local('America/Los_Angeles'), Date.UTC(2024, 4, 1, 17, 0, 30));
    assert.equal(local('Asia/Kolkata'), Date.UTC(2024, 4, 1, 4, 30, 30));
    assert.equal(
      inZone('America/Los_Angeles', () => parseTimeArg('2024-01-15', { now, utc: false, flag: '--since' })),
      Date.UTC(2024, 0, 15, 8),
    );
    assert.equal(
      parseTimeArg('2024-05-01T10:00:00+08:00', { now, utc: false, flag: '--since' }),
      Date.UTC(2024, 4, 1, 2),
    );
    for (const bad of ['yesterday', '2024-13-01', '2024-02-30 10:00', '10:00']) {
      assert.throws(
        () => parseTimeArg(bad, { now, utc: true, flag: '--until' }),
        (e: unknown) => e instanceof ScfError && e.isUserError && /--until/.test(e.message),
        bad,
      );
    }
  });

  test('times are shown with their offset; --utc shows +00:00', () => {
    const ms = Date.UTC(2024, 4, 1, 12, 3, 7, 123);
    assert.equal(formatTime(ms, { utc: true }), '2024-05-01 12:03:07 +00:00');
    assert.equal(isoTime(ms, { utc: true }), '2024-05-01T12:03:07.123Z');
    const shown = (tz: string, at = ms) =>
      inZone(tz, () => [formatTime(at, { utc: false }), isoTime(at, { utc: false })]);
    assert.deepEqual(shown('UTC'), ['2024-05-01 12:03:07 +00:00', '2024-05-01T12:03:07.123+00:00']);
    assert.deepEqual(shown('Asia/Kolkata'), ['2024-05-01 17:33:07 +05:30', '2024-05-01T17:33:07.123+05:30']);
    // West of UTC, with summer time, and a half-hour offset west (the sign covers the minutes too).
    assert.deepEqual(shown('America/Los_Angeles'), [
      '2024-05-01 05:03:07 -07:00',
      '2024-05-01T05:03:07.123-07:00',
    ]);
    assert.deepEqual(shown('America/Los_Angeles', Date.UTC(2024, 0, 15, 12)), [
      '2024-01-15 04:00:00 -08:00',
      '2024-01-15T04:00:00.000-08:00',
    ]);
    assert.deepEqual(shown('America/St_Johns'), [
      '2024-05-01 09:33:07 -02:30',
      '2024-05-01T09:33:07.123-02:30',
    ]);
    // Whatever the zone, --utc shows UTC.
    assert.equal(
      inZone('Asia/Kolkata', () => formatTime(ms, { utc: true })),
      '2024-05-01 12:03:07 +00:00',
    );
  });

  test('API times are UTC+8 and converted', () => {
    const r = fromFunctionLog(
      { StartTime: '2024-05-01 20:00:00', RequestId: 'x', RetCode: 0, Duration: 1.5 },
      480,
      'default',
    );
    assert.equal(r.startTime, Date.UTC(2024, 4, 1, 12));
    assert.equal(r.duration, 1.5);
    assert.equal(r.namespace, 'default');
  });

  test('windows of at most a day cover a longer span, newest first', () => {
    const day = 86_400_000;
    const to = Date.UTC(2024, 4, 3, 12);
    const windows = dayWindows(to - 2.5 * day, to);
    assert.equal(windows.length, 3);
    assert.deepEqual(windows[0], [to - day + 1000, to]);
    for (const [a, b] of windows) assert.ok(b - a < day && b >= a);
    assert.equal(windows.at(-1)?.[0], to - 2.5 * day);
    for (let i = 1; i < windows.length; i++) assert.equal(windows[i]![1], windows[i - 1]![0] - 1000);
  });
});

describe('output', () => {
  const rec: CliRecord = {
    requestId: 'rid',
    functionName: 'f',
    namespace: 'default',
    startTime: Date.UTC(2024, 4, 1),
    duration: 12.5,
    billDuration: 100,
    memUsage: 44 * 1024 * 1024,
    retCode: 430,
    retMsg: '',
    invokeFinished: 1,
    log: 'a\nb\n',
  };

  test('status names and classes', () => {
    assert.equal(statusName(0), 'ok');
    assert.equal(statusName(2), 'running');
    assert.equal(statusName(433), 'timeout');
    assert.equal(statusName(434), 'oom');
    assert.equal(statusName(430), 'exception');
    assert.equal(statusName(500), 'error 500');
    assert.ok(matchesStatus(430, 'error') && matchesStatus(430, 'exception') && !matchesStatus(430, 'ok'));
    assert.ok(matchesStatus(433, 'timeout') && matchesStatus(434, 'oom') && matchesStatus(0, 'ok'));
  });

  test('rows and log blocks; colour only when enabled', () => {
    const plain = createStyle(false);
    const row = tableRow(rec, plain, { utc: true });
    assert.match(row, /^2024-05-01 00:00:00 \+00:00 {2}rid +exception +13 ms +100 ms +44\.0 MB$/);
    assert.equal(logBlock(rec, plain), '  │ a\n  │ b\n');
    assert.doesNotMatch(row, /\u001b/);
    assert.match(tableRow(rec, createStyle(true), { utc: true }), /\u001b\[31mexception\u001b\[39m/);
    assert.match(tableRow({ ...rec, retCode: 2 }, plain, { utc: true }), /running +- +- +-$/);
  });

  test('NO_COLOR and the CLI environment', () => {
    assert.equal(readCliEnvironment({ NO_COLOR: '1' }).noColor, true);
    assert.equal(readCliEnvironment({ NO_COLOR: '' }).noColor, false);
    const env = readCliEnvironment({
      SCF_LOCAL_SECRET_ID: 'a',
      SCF_LOCAL_SECRET_KEY: 'b',
      SCF_LOCAL_ENDPOINT: 'x:1',
    });
    assert.deepEqual([env.secretId, env.secretKey, env.endpoint], ['a', 'b', 'x:1']);
    assert.ok(Object.isFrozen(env));
  });
});

describe('inputs', () => {
  test('endpoints', () => {
    assert.equal(parseEndpoint('127.0.0.1:9000').origin, 'http://127.0.0.1:9000');
    assert.equal(parseEndpoint('https://example.com').origin, 'https://example.com');
    assert.throws(() => parseEndpoint('ftp://x'), ScfError);
  });

  test('--env pairs', () => {
    assert.deepEqual(parseEnvPairs(['A=1', 'B=x=y', 'C=']), { A: '1', B: 'x=y', C: '' });
    assert.throws(() => parseEnvPairs(['nope']), ScfError);
  });

  test('events: --data, --file, stdin, default, and bad JSON', async (t) => {
    const dir = tempDir(t);
    const file = join(dir, 'e.json');
    writeFileSync(file, '{"a":1}');
    const noStdin = (): Promise<string> => assert.fail('stdin must not be read');
    assert.equal(await readEvent({ data: '{"x":2}' }, noStdin, true), '{"x":2}');
    assert.equal(await readEvent({ file }, noStdin, false), '{"a":1}');
    assert.equal(await readEvent({ file: '-' }, async () => '[1]', false), '[1]');
    assert.equal(await readEvent({}, async () => '{"s":1}', true), '{"s":1}');
    assert.equal(await readEvent({}, noStdin, false), '{}');
    await assert.rejects(readEvent({ data: '{' }, noStdin, false), /not valid JSON/);
    await assert.rejects(readEvent({ data: '{}', file }, noStdin, false), /not both/);
    await assert.rejects(readEvent({ file: join(dir, 'none.json') }, noStdin, false), /cannot read .*ENOENT/);
  });

  test('zipping a directory keeps relative paths and skips VCS and scf-local data', (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'lib'));
    mkdirSync(join(dir, '.git'));
    mkdirSync(join(dir, '.scf-local'));
    writeFileSync(join(dir, 'index.js'), 'exports.main_handler = async () => 1;');
    writeFileSync(join(dir, 'lib', 'a.js'), 'module.exports = 1;');
    writeFileSync(join(dir, '.git', 'HEAD'), 'x');
    writeFileSync(join(dir, '.scf-local', 'credentials.json'), '{}');
    const z = zipDirectory(dir);
    assert.equal(z.files, 2);
    const files = unzipSync(z.zip);
    assert.deepEqual(Object.keys(files).sort(), ['index.js', 'lib/a.js']);
    assert.throws(() => zipDirectory(join(dir, 'missing')), /does not exist/);
    assert.throws(() => zipDirectory(join(dir, 'index.js')), /not a directory/);
  });
});

test('SSE reader: frames split across chunks, comments skipped', async () => {
  const body = new PassThrough();
  const got: Array<[string, string | undefined, string]> = [];
  const done = (async () => {
    for await (const m of readSse(body)) got.push([m.event, m.id, m.data]);
  })();
  body.write(': keep-alive\n\nevent: ready\ndata: {"a"');
  body.write(':1}\n\nid: e-1\nevent: start\r\ndata: x\n\n');
  body.end();
  await done;
  assert.deepEqual(got, [
    ['ready', undefined, '{"a":1}'],
    ['start', 'e-1', 'x'],
  ]);
});
