/**
 * The real `scf-local` binary (child processes) against a real server (a platform in this process on a
 * free port, with its generated credentials): deploy example directories, invoke them, read them back
 * with `logs` as a table, JSON and NDJSON, and every filter; exit codes and colour rules.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPlatform, type Platform } from '../../src/platform.js';
import { cli, repo } from '../helpers/cli-shell.js';

describe('scf-local CLI against a real server', () => {
  let platform: Platform;
  let base: string[];
  const ids: Record<string, string> = {};
  let dataDir = '';

  after(async () => {
    await platform?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'scf-local-cli-'));
    // No configured credentials: the server generates a pair in dataDir, which the CLI reads (--data-dir).
    platform = await createPlatform({ config: { port: 0, log: { level: 'warn' }, dataDir }, env: {} });
    const { url } = await platform.listen();
    base = ['--endpoint', url, '--data-dir', dataDir];
  });

  test('deploy example directories (create, then update)', async () => {
    const hello = await cli([
      ...base,
      'deploy',
      `${repo}examples/hello-async`,
      '--name',
      'hello',
      '--env',
      'A=1',
    ]);
    assert.equal(hello.code, 0, hello.stderr);
    assert.match(hello.stdout, /^created hello \(namespace default\)/);
    const again = await cli([
      ...base,
      'deploy',
      `${repo}examples/hello-async`,
      '--name',
      'hello',
      '--memory',
      '256',
      '--json',
    ]);
    assert.equal(again.code, 0, again.stderr);
    const out = JSON.parse(again.stdout) as Record<string, unknown>;
    assert.equal(out['created'], false);
    assert.equal(out['memorySize'], 256);
    for (const [name, dir, extra] of [
      ['throws', 'throws', []],
      ['slow', 'timeout', ['--timeout', '1']],
    ] as const) {
      const r = await cli([...base, 'deploy', `${repo}examples/${dir}`, '-n', name, ...extra]);
      assert.equal(r.code, 0, r.stderr);
    }
    const list = await cli([...base, 'functions']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^NAME +NAMESPACE +RUNTIME +MODIFIED\n/);
    assert.match(list.stdout, /\nhello +default +Nodejs18\.15 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+05:30\n/);
    const json = JSON.parse((await cli([...base, 'functions', '--json'])).stdout) as Array<{
      functionName: string;
    }>;
    assert.deepEqual(json.map((f) => f.functionName).sort(), ['hello', 'slow', 'throws']);
  });

  test('invoke: result on stdout, summary and log on stderr; a failing function exits 1 and says so', async () => {
    const ok = await cli([...base, 'invoke', 'hello', '--data', '{"name":"cli"}', '--log']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { message: string }).message, 'hello cli');
    assert.match(ok.stderr, /START RequestId: [0-9a-f-]{36}(?: Runtime: [^\n]+)?\n/);
    assert.match(ok.stderr, /\n[0-9a-f-]{36} {2}ok {2}/);
    assert.doesNotMatch(ok.stdout + ok.stderr, /\u001b\[/, 'no colour without a TTY');

    const json = await cli([...base, 'invoke', 'hello', '--file', '-', '--json'], {
      input: '{"name":"stdin"}',
    });
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout) as Record<string, unknown>;
    assert.equal(result['status'], 'ok');
    assert.equal(JSON.parse(result['retMsg'] as string).message, 'hello stdin');
    ids['ok'] = result['requestId'] as string;

    const fail = await cli([...base, 'invoke', 'throws', '--data', '{"x":1}']);
    assert.equal(fail.code, 1);
    assert.match(
      fail.stderr,
      /scf-local: function throws failed: exception \(retCode 430\): something went wrong/,
    );
    ids['exception'] = /^([0-9a-f-]{36}) {2}exception/m.exec(fail.stderr)?.[1] ?? '';
    assert.ok(ids['exception']);

    const slow = await cli([...base, 'invoke', 'slow', '--json']);
    assert.equal(slow.code, 1);
    assert.equal((JSON.parse(slow.stdout) as { status: string }).status, 'timeout');

    const async = await cli([...base, 'invoke', 'hello', '--async']);
    assert.equal(async.code, 0, async.stderr);
    assert.match(async.stdout, /^[0-9a-f-]{36}\n$/);
  });

  test('logs: a table in the user zone with each log beneath, and JSON', async () => {
    const table = await cli([...base, 'logs', 'hello']);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.split('\n');
    assert.match(lines[0] ?? '', /^TIME +REQUEST ID +STATUS +DURATION +BILLED +MEMORY$/);
    assert.match(
      table.stdout,
      new RegExp(
        `\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\+05:30  ${ids['ok']}  ok +[\\d.]+ ms +\\d+ ms +[\\d.]+ MB\\n  │ START RequestId: ${ids['ok']}(?: Runtime: [^\\n]+)?\\n`,
      ),
    );
    assert.match(table.stdout, /│ .*request [0-9a-f-]{36} remaining ms/);
    const utc = await cli([...base, 'logs', 'hello', '--utc']);
    assert.match(utc.stdout, /\n\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00 {2}/);

    const json = await cli([...base, 'logs', 'hello', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const records = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    assert.equal(records.length, 3);
    const mine = records.find((r) => r['requestId'] === ids['ok']);
    assert.ok(mine);
    assert.equal(mine['status'], 'ok');
    assert.match(mine['startTime'] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+05:30$/);
    assert.equal(typeof mine['duration'], 'number');
    assert.match(mine['log'] as string, /^START RequestId/);
    const times = records.map((r) => r['startTimeMs'] as number);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      'oldest first',
    );
  });

  test('logs: every filter', async () => {
    const q = async (...args: string[]): Promise<Array<Record<string, unknown>>> => {
      const r = await cli([...base, 'logs', ...args, '--json']);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    };
    const statuses = (rs: Array<Record<string, unknown>>): string[] => rs.map((r) => r['status'] as string);
    assert.deepEqual(statuses(await q('throws', '--status', 'exception')), ['exception']);
    assert.deepEqual(statuses(await q('throws', '--status', 'error')), ['exception']);
    assert.deepEqual(statuses(await q('throws', '--status', 'ok')), []);
    assert.deepEqual(statuses(await q('slow', '--status', 'timeout')), ['timeout']);
    assert.deepEqual(statuses(await q('slow', '--status', 'oom')), []);
    assert.deepEqual(statuses(await q('hello', '--status', 'ok')), ['ok', 'ok', 'ok']);
    const byId = await q('hello', '--request-id', ids['ok']!);
    assert.deepEqual(
      byId.map((r) => r['requestId']),
      [ids['ok']],
    );
    assert.equal((await q('hello', '--grep', 'stdin')).length, 0, 'the event is not in the log');
    assert.equal((await q('throws', '--grep', 'something went')).length, 1);
    assert.equal((await q('throws', '--grep', 'nothing-like-this')).length, 0);
    assert.equal((await q('hello', '--since', '10m')).length, 3);
    assert.equal((await q('hello', '--since', '3d')).length, 3, 'a span over a day is read in day windows');
    assert.equal((await q('hello', '--until', '1h')).length, 0);
    assert.equal((await q('hello', '--since', '2000-01-01', '--until', '2000-01-02')).length, 0);
    assert.equal((await q('hello', '--limit', '2')).length, 2);
    const byDuration = await q('hello', '--sort', 'duration');
    const durations = byDuration.map((r) => r['duration'] as number);
    assert.deepEqual(
      durations,
      [...durations].sort((a, b) => b - a),
    );
    const byMemory = (await q('hello', '--sort', 'memory')).map((r) => r['memUsage'] as number);
    assert.deepEqual(
      byMemory,
      [...byMemory].sort((a, b) => b - a),
    );
    const all = await q('--limit', '100');
    assert.equal(all.length, 5, 'without a name: every function of the namespace');
    const nd = await cli([...base, 'logs', 'hello', '--ndjson', '--limit', '3']);
    const ndLines = nd.stdout.trim().split('\n');
    assert.equal(ndLines.length, 3);
    for (const l of ndLines) assert.equal((JSON.parse(l) as { functionName: string }).functionName, 'hello');
    const limited = await cli([...base, 'logs', 'hello', '--limit', '1']);
    assert.match(limited.stderr, /showing 1 of 3/);
  });

  test('exit codes: usage and user errors are 2, an unreachable server is 1; help everywhere', async () => {
    // Without --name the folder's name is the function's, when it is a valid one: this one is not.
    const badlyNamed = join(dataDir, 'packages', '9lives');
    mkdirSync(badlyNamed, { recursive: true });
    writeFileSync(join(badlyNamed, 'index.js'), 'exports.main_handler = async () => 1;');
    for (const args of [
      ['logs', 'hello', '--status', 'weird'],
      ['logs', 'hello', '--since', 'someday'],
      ['logs', 'hello', '--limit', '0'],
      ['logs', 'hello', '--follow', '--json'],
      ['invoke', 'hello', '--data', '{not json'],
      ['invoke', 'nope'],
      ['deploy', `${repo}examples/none`, '--name', 'x'],
      ['deploy', badlyNamed],
      ['no-such-command'],
    ]) {
      const r = await cli([...base, ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.length > 0, `${args.join(' ')} says why`);
    }
    const badKey = await cli([...base, '--secret-id', 'AKIDnope', '--secret-key', 'x', 'functions']);
    assert.equal(badKey.code, 2);
    assert.match(badKey.stderr, /AuthFailure\.SecretIdNotFound/);
    const down = await cli([
      '--endpoint',
      'http://127.0.0.1:1',
      '--secret-id',
      'a',
      '--secret-key',
      'b',
      'functions',
    ]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /cannot reach scf-local at http:\/\/127\.0\.0\.1:1/);
    const noCreds = await cli([
      '--endpoint',
      'http://127.0.0.1:1',
      '--data-dir',
      '/nonexistent',
      'functions',
    ]);
    assert.equal(noCreds.code, 2);
    assert.match(noCreds.stderr, /no credentials/);
    for (const cmd of [[], ['serve'], ['deploy'], ['functions'], ['rm'], ['invoke'], ['logs']]) {
      const h = await cli([...cmd, '--help']);
      assert.equal(h.code, 0, cmd.join(' '));
      assert.match(h.stdout, /^Usage: scf-local/);
    }
  });

  test('credentials from the environment; rm', async () => {
    const cred = platform.credentials.first();
    assert.ok(cred);
    const env = {
      SCF_LOCAL_SECRET_ID: cred.secretId,
      SCF_LOCAL_SECRET_KEY: cred.secretKey,
      SCF_LOCAL_ENDPOINT: base[1]!,
    };
    const r = await cli(['--data-dir', '/nonexistent', 'rm', 'slow'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'deleted slow\n');
    const list = JSON.parse((await cli([...base, 'functions', '--json'])).stdout) as Array<{
      functionName: string;
    }>;
    assert.deepEqual(list.map((f) => f.functionName).sort(), ['hello', 'throws']);
  });
});
