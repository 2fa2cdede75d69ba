/**
 * `logs`, `functions` and `namespaces` with the real binary against a real server whose API zone is not
 * SCF's UTC+8 (issue 10, part B): times printed and `--since` right whatever the server's zone; a function
 * column when several functions are shown; records of a deleted function; a misspelled name refused
 * (also by `--follow`); the short request id `--follow` prints accepted by `--request-id`; one keyword rule
 * for `--grep` with and without `--follow`; namespaces and one function's configuration from the command
 * line, and `functions --json` in the CLI's own shape.
 *
 * Times are checked against the test's own clock: a printed `YYYY-MM-DD HH:mm:ss +hh:mm` is read with the
 * offset it carries (never with the code under test) and must fall within the seconds the invocation ran.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApiClient } from '../../src/cli/client.js';
import { Tail, type TailEvent } from '../../src/cli/tail.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { CliProcess, repo, runCli } from '../helpers/cli.js';

const CRED = { secretId: 'AKIDlogs', secretKey: 'logs-secret' };
/** UTC-5: neither SCF's UTC+8 nor the children's Asia/Kolkata (+05:30) nor UTC. */
const API_ZONE_MINUTES = -300;

/** `2024-05-01 14:03:07 +05:30` (as printed) -> epoch ms, read from the text alone. */
function printedTime(text: string): number {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ([+-]\d\d:\d\d)$/.exec(text);
  assert.ok(m, `not a printed time: ${text}`);
  return Date.parse(`${m[1]}T${m[2]}${m[3]}`);
}

/** API times have whole seconds: a time read back lies in [the second `from` is in, `to`]. */
function assertWithin(ms: number, from: number, to: number, what: string): void {
  const lo = Math.floor(from / 1000) * 1000;
  assert.ok(
    ms >= lo && ms <= to,
    `${what}: ${new Date(ms).toISOString()} is not within ${new Date(lo).toISOString()}..${new Date(to).toISOString()}`,
  );
}

describe('scf-local logs, functions and namespaces (API zone UTC-5)', () => {
  let platform: Platform;
  let base: string[];
  let fnDir = '';
  let dataDir = '';
  let createdFrom = 0;
  let createdTo = 0;
  const cleanups: Array<() => Promise<void> | void> = [];

  const cli = (...args: string[]) => runCli([...base, ...args]);
  const json = async <T = Array<Record<string, unknown>>>(...args: string[]): Promise<T> => {
    const r = await cli(...args, '--json');
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const invoke = async (functionName: string, say?: string): Promise<string> => {
    const event = JSON.stringify(say === undefined ? {} : { say });
    return (await platform.invoker.invoke({ functionName, event })).requestId;
  };
  /** A follower of `args`; resolves once its stream is connected (the server counts one more subscriber). */
  const follow = async (...args: string[]): Promise<CliProcess> => {
    const before = platform.events.subscribers;
    const p = new CliProcess([...base, 'logs', ...args]);
    cleanups.push(() => p.kill());
    await new Promise<void>((resolve, reject) => {
      const poll = (): void => {
        if (platform.events.subscribers > before) resolve();
        else if (p.child.exitCode !== null) reject(new Error(`the follower exited: ${p.stderr}`));
        else setTimeout(poll, 20);
      };
      poll();
    });
    return p;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'scf-local-cli-logs-'));
    fnDir = mkdtempSync(join(tmpdir(), 'scf-local-cli-logs-fn-'));
    writeFileSync(
      join(fnDir, 'index.js'),
      "exports.main_handler = async (event) => { console.log(event.say ?? 'hello'); return 'done'; };\n",
    );
    platform = await createPlatform({
      config: {
        port: 0,
        // Request lines (info) would fill the test output; warnings and faults still show.
        log: { level: 'warn' },
        dataDir,
        apiTimeZoneOffsetMinutes: API_ZONE_MINUTES,
        auth: { credentials: [CRED] },
      },
      env: {},
    });
    const { url } = await platform.listen();
    base = ['--endpoint', url, '--secret-id', CRED.secretId, '--secret-key', CRED.secretKey];
    createdFrom = Date.now();
    for (const functionName of ['alpha', 'beta', 'gone'])
      platform.functions.create({ functionName, code: { directory: fnDir } });
    createdTo = Date.now();
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await platform?.close();
    for (const d of [dataDir, fnDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test('times are read in the server’s API zone: printed right, and --since/--until find the record', async () => {
    const from = Date.now();
    const id = await invoke('alpha', 'zone check');
    const to = Date.now();

    const [rec] = await json('logs', 'alpha', '--request-id', id);
    assert.ok(rec, 'the record is found by its id');
    assertWithin(rec['startTimeMs'] as number, from, to, 'startTimeMs');
    assertWithin(Date.parse(rec['startTime'] as string), from, to, 'startTime (ISO)');
    assert.match(rec['startTime'] as string, /\+05:30$/, 'ISO in the user zone');

    const table = await cli('logs', 'alpha', '--request-id', id);
    assert.equal(table.code, 0, table.stderr);
    const row = table.stdout.split('\n').find((l) => l.includes(id));
    assert.ok(row, table.stdout);
    assertWithin(printedTime(row.slice(0, 26)), from, to, 'the table row');
    const utc = await cli('logs', 'alpha', '--request-id', id, '--utc');
    const utcRow = utc.stdout.split('\n').find((l) => l.includes(id)) ?? '';
    assert.match(utcRow, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+00:00 /);
    assertWithin(printedTime(utcRow.slice(0, 26)), from, to, 'the --utc row');

    const ids = async (...args: string[]) =>
      (await json('logs', 'alpha', ...args)).map((r) => r['requestId'] as string);
    assert.ok((await ids('--since', '10m')).includes(id), '--since 10m finds it');
    assert.ok((await ids('--since', '2d')).includes(id), 'over several day windows too');
    assert.ok(!(await ids('--until', '10m')).includes(id), '--until 10m ago does not');

    // The functions list shows its times in the user zone too.
    const fns = await json('functions');
    const alpha = fns.find((f) => f['functionName'] === 'alpha');
    assert.ok(alpha, JSON.stringify(fns));
    assertWithin(Date.parse(alpha['modTime'] as string), createdFrom, createdTo, 'functions --json modTime');
    const list = await cli('functions');
    const line = list.stdout.split('\n').find((l) => l.startsWith('alpha '));
    const mod = /(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d)$/.exec(line ?? '');
    assert.ok(mod, list.stdout);
    assertWithin(printedTime(mod[1]!), createdFrom, createdTo, 'the functions table');
  });

  test('logs without a name shows which function each invocation is of, as a table and when followed', async () => {
    const a = await invoke('alpha');
    const b = await invoke('beta');
    const all = await cli('logs', '--limit', '100');
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.split('\n');
    assert.match(lines[0] ?? '', /^TIME +FUNCTION +REQUEST ID +STATUS +DURATION +BILLED +MEMORY$/);
    assert.match(all.stdout, new RegExp(`\\n\\S+ \\S+ \\S+ {2}alpha +${a}  ok `));
    assert.match(all.stdout, new RegExp(`\\n\\S+ \\S+ \\S+ {2}beta +${b}  ok `));
    const one = await cli('logs', 'alpha', '--limit', '1');
    assert.match(one.stdout, /^TIME +REQUEST ID +STATUS/, 'one function: no function column');

    const f = await follow('--follow', '--no-color');
    const c = await invoke('beta', 'followed line');
    await f.until(() => f.lines.some((l) => l.includes(c) && / ok /.test(l)), 'the final row');
    assert.match(f.lines[0] ?? '', /^TIME +FUNCTION +REQUEST ID +STATUS/);
    for (const l of f.lines.filter((x) => x.includes(c) && !x.startsWith(' '))) {
      assert.match(l, new RegExp(`^\\S+ \\S+ \\S+ {2}beta +${c}  (running|ok) `));
    }
    const short = c.replace(/-/g, '').slice(-8);
    assert.ok(
      f.lines.some((l) => l.startsWith(`  beta ${short} │ `) && l.endsWith('followed line')),
      `the live line names its function:\n${f.lines.join('\n')}`,
    );
  });

  test('logs of a deleted function: its records are shown, with a note; followed with --since too', async () => {
    const ids = [await invoke('gone', 'first'), await invoke('gone', 'second')];
    await invoke('alpha', 'not gone');
    const rm = await cli('rm', 'gone');
    assert.equal(rm.code, 0, rm.stderr);

    const table = await cli('logs', 'gone');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stderr, /function gone no longer exists/);
    for (const id of ids) assert.ok(table.stdout.includes(id), table.stdout);
    assert.doesNotMatch(table.stdout, /FUNCTION/, 'one function: no function column');
    const records = await json('logs', 'gone');
    assert.deepEqual(records.map((r) => r['requestId']).sort(), [...ids].sort());
    assert.ok(records.every((r) => r['functionName'] === 'gone' && r['namespace'] === 'default'));
    const byId = await json('logs', 'gone', '--request-id', ids[1]!);
    assert.deepEqual(
      byId.map((r) => r['requestId']),
      [ids[1]],
    );
    assert.equal((await json('logs', 'gone', '--status', 'error')).length, 0);
    const none = await cli('logs', 'gone', '--status', 'error');
    assert.equal(none.code, 0, 'a deleted function with no matching record is not an error');

    const f = await follow('gone', '--follow', '--since', '1h', '--ndjson');
    await f.until(
      () => f.json().filter((l) => l['event'] === 'end').length >= 2,
      'the deleted function’s history',
    );
    const ends = f.json().filter((l) => l['event'] === 'end');
    assert.deepEqual(ends.map((l) => l['requestId']).sort(), [...ids].sort());
    assert.match(f.stderr, /function gone no longer exists/);
  });

  test('a tail finds out by itself that its function was deleted, and reads its records from the namespace', async () => {
    platform.functions.create({ functionName: 'later-gone', code: { directory: fnDir } });
    const ids = [await invoke('later-gone', 'one'), await invoke('later-gone', 'two')];
    await invoke('beta', 'another function');
    platform.functions.delete('later-gone');
    const client = new ApiClient({ endpoint: base[1]!, ...CRED });
    cleanups.push(() => client.close());
    const events: TailEvent[] = [];
    const notices: string[] = [];
    let tail: Tail | undefined;
    // Not told the function is gone: the history read (--since) meets ResourceNotFound.Function.
    tail = new Tail(client, {
      functionName: 'later-gone',
      namespace: 'default',
      since: Date.now() - 3_600_000,
      onEvent: (e) => {
        events.push(e);
        if (events.filter((x) => x.kind === 'end').length === ids.length) tail?.stop();
      },
      onNotice: (m) => notices.push(m),
    });
    // A guard only: without the fix the tail never shows them and would wait forever.
    const guard = setTimeout(() => tail?.stop(), 30_000);
    await tail.run();
    clearTimeout(guard);
    const ends = events.flatMap((e) => (e.kind === 'end' ? [e.record] : []));
    assert.deepEqual(ends.map((r) => r.requestId).sort(), [...ids].sort());
    assert.ok(ends.every((r) => r.functionName === 'later-gone'));
    assert.ok(
      notices.some((m) => /later-gone no longer exists/.test(m)),
      notices.join('\n'),
    );
  });

  test('a misspelled function is refused, with a suggestion, by logs and by logs --follow', async () => {
    for (const extra of [[], ['--follow'], ['--follow', '--ndjson']]) {
      const r = await runCli([...base, 'logs', 'alpah', ...extra], { timeoutMs: 20_000 });
      assert.equal(r.code, 2, `logs alpah ${extra.join(' ')} exits 2 (got ${r.code}): ${r.stderr}`);
      assert.match(r.stderr, /alpah/);
      assert.match(r.stderr, /did you mean alpha\?/);
      assert.equal(r.stdout, '');
    }
    const far = await runCli([...base, 'logs', 'zzzzzzzz', '--follow'], { timeoutMs: 20_000 });
    assert.equal(far.code, 2, far.stderr);
    assert.doesNotMatch(far.stderr, /did you mean/);
    const ns = await runCli([...base, 'logs', '--namespace', 'nowhere', '--follow'], { timeoutMs: 20_000 });
    assert.equal(ns.code, 2, ns.stderr);
    assert.match(ns.stderr, /ResourceNotFound\.Namespace/);
  });

  test('--request-id takes the short id --follow prints, or a unique start of the id; ambiguity is said', async () => {
    const f = await follow('alpha', '--follow', '--no-color');
    const id = await invoke('alpha', 'pick me');
    await f.until(() => f.lines.some((l) => l.endsWith('\tpick me')), 'the live line');
    const live = f.lines.find((l) => l.endsWith('\tpick me'))!;
    const short = /^ {2}(\S+) │ /.exec(live)?.[1];
    assert.ok(short, live);

    const byShort = await json('logs', 'alpha', '--request-id', short);
    assert.deepEqual(
      byShort.map((r) => r['requestId']),
      [id],
    );
    const table = await cli('logs', 'alpha', '--request-id', short);
    assert.ok(table.stdout.includes(id), table.stdout + table.stderr);
    const byStart = await json('logs', 'alpha', '--request-id', id.slice(0, 30));
    assert.deepEqual(
      byStart.map((r) => r['requestId']),
      [id],
    );
    // Without a name: the namespace's records.
    const anyFn = await json('logs', '--request-id', short);
    assert.deepEqual(
      anyFn.map((r) => r['requestId']),
      [id],
    );

    // UUIDv7 ids made close together share their first digits (the time): such a start is ambiguous.
    const more = [await invoke('alpha'), await invoke('alpha'), await invoke('alpha')];
    let common = '';
    for (const x of more)
      for (const y of [id, ...more]) {
        if (x === y) continue;
        let n = 0;
        while (n < x.length && x[n] === y[n]) n++;
        if (n > common.length) common = x.slice(0, n);
      }
    assert.ok(common.replace(/-/g, '').length >= 8, `ids made together share a start: ${common}`);
    const ambiguous = await cli('logs', 'alpha', '--request-id', common);
    assert.equal(ambiguous.code, 2, ambiguous.stderr);
    assert.match(ambiguous.stderr, /ambiguous/);
    assert.equal(ambiguous.stdout, '');
    const ambiguousOne = await cli('logs', 'alpha', '--request-id', common, '--limit', '1');
    assert.equal(ambiguousOne.code, 2, 'ambiguous whatever --limit says');

    const tooShort = await cli('logs', 'alpha', '--request-id', short.slice(0, 4));
    assert.equal(tooShort.code, 2, tooShort.stderr);
    assert.match(tooShort.stderr, /at least 8/);
    const unknown = await json('logs', 'alpha', '--request-id', 'ffffffff');
    assert.equal(unknown.length, 0);

    // --follow accepts it too: the history read with --since shows that invocation only.
    const g = await follow('alpha', '--follow', '--since', '1h', '--ndjson', '--request-id', short);
    await g.until(() => g.json().some((l) => l['event'] === 'end'), 'the invocation');
    const ends = g.json().filter((l) => l['event'] === 'end');
    assert.deepEqual(
      ends.map((l) => l['requestId']),
      [id],
    );
  });

  test('--grep is the same keyword search with and without --follow: whole words, word* for a prefix', async () => {
    const f = await follow('alpha', '--follow', '--ndjson', '--grep', 'omething');
    const partWord = await invoke('alpha', 'something happened');
    const wholeWord = await invoke('alpha', 'omething, a whole word');
    await f.until(() => f.json().some((l) => l['event'] === 'end'), 'the matching invocation');
    const ends = f.json().filter((l) => l['event'] === 'end');
    assert.deepEqual(
      ends.map((l) => l['requestId']),
      [wholeWord],
      '“omething” is not a word of “something happened”',
    );

    const q = async (...args: string[]) =>
      (await json('logs', 'alpha', '--limit', '100', ...args)).map((r) => r['requestId']);
    assert.deepEqual(await q('--grep', 'omething'), [wholeWord]);
    assert.ok((await q('--grep', 'someth*')).includes(partWord));
    assert.deepEqual(await q('--grep', '"something happened"'), [partWord]);
    // What the platform writes (START/END/Report lines, time and id prefixes) is not searched, either way.
    assert.deepEqual(await q('--grep', 'Report'), []);
    const g = await follow('alpha', '--follow', '--ndjson', '--grep', 'Report');
    const plain = await invoke('alpha', 'a plain line');
    const own = await invoke('alpha', 'a Report-less line');
    await g.until(() => g.json().some((l) => l['event'] === 'end'), 'the follower’s match');
    const matched = g.json().filter((l) => l['event'] === 'end');
    assert.deepEqual(
      matched.map((l) => l['requestId']),
      [own],
      `only the invocation whose own line says Report, not ${plain}`,
    );
  });

  test('namespaces: list, create, delete; deploy to a missing one says how to create it', async () => {
    const missing = await cli('deploy', `${repo}examples/hello-async`, '--name', 'p1', '--namespace', 'prod');
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /ResourceNotFound\.Namespace/);
    assert.match(missing.stderr, /scf-local namespaces create prod/);
    const logsMissing = await cli('logs', '--namespace', 'prod');
    assert.equal(logsMissing.code, 2);
    assert.match(logsMissing.stderr, /scf-local namespaces create prod/);

    const from = Date.now();
    const created = await cli('namespaces', 'create', 'prod', '--description', 'production');
    const to = Date.now();
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created namespace prod/);
    const again = await cli('namespaces', 'create', 'prod');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /ResourceInUse\.Namespace/);

    const list = await json('namespaces');
    const prod = list.find((n) => n['name'] === 'prod');
    assert.ok(prod, JSON.stringify(list));
    assert.equal(prod['description'], 'production');
    assertWithin(Date.parse(prod['addTime'] as string), from, to, 'namespace addTime');
    assert.ok(list.some((n) => n['name'] === 'default'));
    const table = await cli('namespaces');
    assert.match(table.stdout, /^NAME +DESCRIPTION +CREATED\n/);
    assert.match(table.stdout, /\nprod +production +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+05:30\n/);

    const deployed = await cli(
      'deploy',
      `${repo}examples/hello-async`,
      '--name',
      'p1',
      '--namespace',
      'prod',
      '--env',
      'MODE=live',
      '--memory',
      '256',
    );
    assert.equal(deployed.code, 0, deployed.stderr);
    const listed = await json('functions', '--namespace', 'prod');
    assert.deepEqual(
      listed.map((f) => [f['functionName'], f['namespace']]),
      [['p1', 'prod']],
    );
    const busy = await cli('namespaces', 'delete', 'prod');
    assert.equal(busy.code, 2);
    assert.match(busy.stderr, /ResourceInUse\.Namespace/);
    // Another namespace, not `prod` again: a write signed in the same second with the same body as the
    // refused one would be taken for its replay (docs/api-v3.md), which this test is not about.
    assert.equal((await cli('namespaces', 'create', 'staging')).code, 0);
    const deleted = await cli('namespaces', 'delete', 'staging');
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, /deleted namespace staging/);
    const names = (await json('namespaces')).map((n) => n['name']);
    assert.ok(names.includes('prod') && !names.includes('staging'), names.join(' '));
    assert.equal((await cli('rm', 'p1', '--namespace', 'prod')).code, 0);
  });

  test('help for the new commands', async () => {
    for (const cmd of [
      ['namespaces'],
      ['namespaces', 'create'],
      ['namespaces', 'delete'],
      ['functions', 'show'],
    ]) {
      const h = await runCli([...cmd, '--help']);
      assert.equal(h.code, 0, cmd.join(' '));
      assert.match(h.stdout, new RegExp(`^Usage: scf-local ${cmd.join(' ')}`));
    }
  });

  test('functions show one function’s configuration; functions --json is the CLI’s shape', async () => {
    const from = Date.now();
    const d = await cli(
      'deploy',
      `${repo}examples/hello-async`,
      '--name',
      'shown',
      '--env',
      'A=1',
      '--env',
      'B=two',
      '--memory',
      '256',
      '--timeout',
      '5',
      '--description',
      'a function to show',
    );
    const to = Date.now();
    assert.equal(d.code, 0, d.stderr);

    const show = await cli('functions', 'show', 'shown');
    assert.equal(show.code, 0, show.stderr);
    for (const re of [
      /^name +shown$/m,
      /^namespace +default$/m,
      /^handler +index\.main_handler$/m,
      // What runs it follows when it is not Node 18 (docs/runtime.md).
      process.version.startsWith('v18.')
        ? /^runtime +Nodejs18\.15$/m
        : new RegExp(
            `^runtime +Nodejs18\\.15 \\(runs on Node\\.js ${process.version.replaceAll('.', '\\.')}\\)$`,
            'm',
          ),
      /^memory +256 MB$/m,
      /^timeout +5 s$/m,
      /^description +a function to show$/m,
      /^environment +A=1$/m,
      /^ +B=two$/m,
      /^code size +[\d.]+ KB$/m,
      /^created +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+05:30$/m,
    ]) {
      assert.match(show.stdout, re);
    }
    const one = await json<Record<string, unknown>>('functions', 'show', 'shown');
    assert.equal(one['functionName'], 'shown');
    assert.equal(one['memorySize'], 256);
    assert.equal(one['timeout'], 5);
    assert.equal(one['runsOn'], process.version.startsWith('v18.') ? null : `Node.js ${process.version}`);
    assert.deepEqual(one['environment'], { A: '1', B: 'two' });
    assertWithin(Date.parse(one['addTime'] as string), from, to, 'addTime');
    assert.match(one['addTime'] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+05:30$/);
    assertWithin(one['addTimeMs'] as number, from, to, 'addTimeMs');

    const missing = await cli('functions', 'show', 'shwn');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /did you mean shown\?/);

    const list = await json('functions');
    const shown = list.find((f) => f['functionName'] === 'shown');
    assert.ok(shown);
    for (const k of Object.keys(shown)) assert.match(k, /^[a-z][A-Za-z]*$/, `camelCase key ${k}`);
    assert.equal(shown['namespace'], 'default');
    assert.equal(shown['runtime'], 'Nodejs18.15');
    assert.equal(shown['description'], 'a function to show');
    assert.match(shown['modTime'] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+05:30$/);
    assertWithin(shown['modTimeMs'] as number, from, to, 'modTimeMs');
    const utc = (await json('functions', '--utc')).find((f) => f['functionName'] === 'shown');
    assert.match(utc?.['modTime'] as string, /Z$/);
  });
});
