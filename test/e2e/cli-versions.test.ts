/**
 * Versions and aliases from the command line (issue 16), the real binary against a real server: two
 * versions published from different code, an alias splitting 50/50 between them, `invoke --qualifier`
 * through a version and through the alias, `logs --qualifier 1` showing version 1's invocations only,
 * `logs --follow --qualifier 2` seeing only version 2's, an alias followed as the versions it routes to, and
 * the alias commands' round trip (create, list, show, update, delete).
 *
 * Which version ran is read from what the function returns (each version's code says its own name), never
 * from the code under test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPlatform, type Platform } from '../../src/platform.js';
import { CliProcess, runCli } from '../helpers/cli.js';

const CRED = { secretId: 'AKIDversions', secretKey: 'versions-secret' };

interface Invoked {
  requestId: string;
  /** What the code that ran returned: `v1` or `v2`. */
  ran: string;
  /** The version that ran: the one named, or for the alias the one whose code answered. */
  version: string;
}

describe('scf-local publish, versions, alias and --qualifier', () => {
  let platform: Platform;
  let base: string[];
  let fnDir = '';
  let dataDir = '';
  const cleanups: Array<() => Promise<void> | void> = [];
  /** Every invocation made through the CLI, with the version its answer says ran. */
  const invoked: Invoked[] = [];

  const cli = (...args: string[]) => runCli([...base, ...args]);
  const ok = async (...args: string[]): Promise<string> => {
    const r = await cli(...args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const code = (version: string): void =>
    writeFileSync(
      join(fnDir, 'index.js'),
      `exports.main_handler = async () => { console.log('running ${version}'); return '${version}'; };\n`,
    );
  const invoke = async (qualifier: string): Promise<Invoked> => {
    const out = JSON.parse(await ok('invoke', 'canary', '--qualifier', qualifier, '--json')) as {
      requestId: string;
      status: string;
      retMsg: string;
    };
    assert.equal(out.status, 'ok');
    const ran = JSON.parse(out.retMsg) as string;
    const version = qualifier === 'half' ? (ran === 'v1' ? '1' : '2') : qualifier;
    const one = { requestId: out.requestId, ran, version };
    invoked.push(one);
    return one;
  };
  /** A follower of `args`; resolves once its stream is connected (the server counts one more subscriber). */
  const follow = async (...args: string[]): Promise<CliProcess> => {
    const subscribers = platform.events.subscribers;
    const p = new CliProcess([...base, 'logs', ...args]);
    cleanups.push(() => p.kill());
    await new Promise<void>((resolve, reject) => {
      const poll = (): void => {
        if (platform.events.subscribers > subscribers) resolve();
        else if (p.child.exitCode !== null) reject(new Error(`the follower exited: ${p.stderr}`));
        else setTimeout(poll, 20);
      };
      poll();
    });
    return p;
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'scf-local-cli-versions-'));
    fnDir = mkdtempSync(join(tmpdir(), 'scf-local-cli-versions-fn-'));
    platform = await createPlatform({
      config: { port: 0, log: { level: 'warn' }, dataDir, auth: { credentials: [CRED] } },
      env: {},
    });
    const { url } = await platform.listen();
    base = ['--endpoint', url, '--secret-id', CRED.secretId, '--secret-key', CRED.secretKey];
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await platform?.close();
    for (const d of [dataDir, fnDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test('publish prints each new version; versions lists them with the aliases routing to each', async () => {
    code('v1');
    await ok('deploy', fnDir, '--name', 'canary');
    const first = await cli('publish', 'canary', '--description', 'first');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, '1\n', 'the number alone on stdout');
    assert.match(
      first.stderr,
      /published canary version 1; invoke it with: scf-local invoke canary --qualifier 1/,
    );
    code('v2');
    await ok('deploy', fnDir, '--name', 'canary');
    const second = JSON.parse(await ok('publish', 'canary', '--json')) as Record<string, unknown>;
    assert.equal(second['version'], '2');
    assert.equal(second['functionName'], 'canary');
    assert.equal(second['namespace'], 'default');

    const created = await ok(
      'alias',
      'create',
      'canary',
      'half',
      '--function-version',
      '1',
      '--weight',
      '2=0.5',
      '--description',
      'a 50/50 split',
    );
    assert.equal(created, 'created alias half of canary: 1 50%, 2 50%\n');

    const versions = JSON.parse(await ok('versions', 'canary', '--json')) as Array<{
      version: string;
      description: string;
      aliases: Array<{ name: string; weight: number }>;
    }>;
    const published = versions.filter((v) => v.version !== '$LATEST');
    assert.deepEqual(
      published.map((v) => [v.version, v.description, v.aliases]),
      [
        ['1', 'first', [{ name: 'half', weight: 0.5 }]],
        ['2', '', [{ name: 'half', weight: 0.5 }]],
      ],
    );
    const table = await ok('versions', 'canary');
    assert.match(table, /^VERSION +DESCRIPTION +ALIASES +CREATED\n/);
    assert.match(table, /\n1 +first +half 50% +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+05:30\n/);
  });

  test('invoke --qualifier runs the version named, or one of the alias’s by its weights', async () => {
    assert.equal((await invoke('1')).ran, 'v1');
    assert.equal((await invoke('2')).ran, 'v2');
    assert.equal((await invoke('$LATEST')).ran, 'v2');
    const through = new Set<string>();
    // 50/50 over 24 invocations: both versions run, but for odds of 2^-23.
    for (let i = 0; i < 24; i++) through.add((await invoke('half')).ran);
    assert.deepEqual([...through].sort(), ['v1', 'v2']);
    const plain = await cli('invoke', 'canary', '--qualifier', '1');
    assert.equal(plain.stdout, '"v1"\n');
    const requestId = /^(\S+) {2}ok /.exec(plain.stderr)?.[1];
    assert.ok(requestId, plain.stderr);
    invoked.push({ requestId, ran: 'v1', version: '1' });
  });

  test('logs --qualifier 1 shows version 1’s invocations only, and says their version', async () => {
    const v1 = invoked.filter((i) => i.version === '1').map((i) => i.requestId);
    const records = JSON.parse(
      await ok('logs', 'canary', '--qualifier', '1', '--limit', '100', '--json'),
    ) as Array<{
      requestId: string;
      version: string | null;
      log: string;
    }>;
    assert.deepEqual(records.map((r) => r.requestId).sort(), [...v1].sort());
    for (const r of records) {
      assert.equal(r.version, '1');
      assert.match(r.log, /running v1/);
    }
    // One version shown: the table is as it always was.
    const table = await ok('logs', 'canary', '--qualifier', '1', '--limit', '100');
    assert.match(table, /^TIME +REQUEST ID +STATUS/);

    // Through the alias: the invocations of both versions it routes to (not those of $LATEST).
    const viaAlias = JSON.parse(
      await ok('logs', 'canary', '--qualifier', 'half', '--limit', '100', '--json'),
    ) as Array<{ requestId: string; version: string | null }>;
    const published = invoked.filter((i) => i.version === '1' || i.version === '2');
    assert.deepEqual(viaAlias.map((r) => r.requestId).sort(), published.map((i) => i.requestId).sort());
    // Each version is read on its own, so each record says which ran; merged oldest first.
    for (const r of viaAlias) {
      assert.equal(r.version, invoked.find((i) => i.requestId === r.requestId)?.version, r.requestId);
    }
    // Oldest first, as invoked, across the two versions (within one of the API's seconds too).
    assert.deepEqual(
      viaAlias.map((r) => r.requestId),
      published.map((i) => i.requestId),
    );
    const split = await ok('logs', 'canary', '--qualifier', 'half', '--limit', '100', '--no-color');
    assert.match(split, /^TIME {24}VERSION {2}REQUEST ID +STATUS/, 'two versions shown: a VERSION column');
    const [a1, a2] = [published.find((i) => i.version === '1')!, published.find((i) => i.version === '2')!];
    assert.match(split, new RegExp(`\\n\\S+ \\S+ \\S+ {2}1 {8}${a1.requestId}  ok `));
    assert.match(split, new RegExp(`\\n\\S+ \\S+ \\S+ {2}2 {8}${a2.requestId}  ok `));
    // --limit keeps the newest over both versions, and says how many there are.
    const few = await cli('logs', 'canary', '--qualifier', 'half', '--limit', '3', '--json');
    const newest = [...published].slice(-3).map((i) => i.requestId);
    assert.deepEqual(
      (JSON.parse(few.stdout) as Array<{ requestId: string }>).map((r) => r.requestId),
      newest,
    );
    // Without --qualifier, GetFunctionLogs does not say the version: null, and no column.
    const any = JSON.parse(await ok('logs', 'canary', '--limit', '5', '--json')) as Array<{
      version: unknown;
    }>;
    assert.ok(any.every((r) => r.version === null));

    const noName = await cli('logs', '--qualifier', '1');
    assert.equal(noName.code, 2);
    assert.match(noName.stderr, /--qualifier names a version or alias of one function/);
  });

  test('logs --follow --qualifier 2 sees only version 2’s invocations, and says which it follows', async () => {
    const f = await follow('canary', '--follow', '--qualifier', '2', '--ndjson');
    const one = await invoke('1');
    const mixed: Invoked[] = [];
    for (let i = 0; i < 6; i++) mixed.push(await invoke('half'));
    const last = await invoke('2');
    // Events come in cursor order: once the last invocation's end is there, every earlier one would be.
    await f.until(
      () => f.json().some((l) => l['event'] === 'end' && l['requestId'] === last.requestId),
      'the end of the last version 2 invocation',
    );
    const lines = f.json().filter((l) => l['event'] !== 'ready');
    const seen = new Set(lines.map((l) => l['requestId'] as string));
    const expected = [...mixed.filter((i) => i.version === '2'), last].map((i) => i.requestId);
    assert.deepEqual([...seen].sort(), [...expected].sort());
    assert.ok(!seen.has(one.requestId));
    for (const l of lines) assert.equal(l['version'], '2', JSON.stringify(l));
    assert.ok(
      lines.some((l) => l['event'] === 'log' && /running v2/.test(String(l['text']))),
      'live lines of version 2 come through',
    );
  });

  test('an alias is followed as the versions it routes to, with a VERSION column', async () => {
    const f = await follow('canary', '--follow', '--qualifier', 'half', '--no-color');
    const latest = await invoke('$LATEST');
    const a = await invoke('1');
    const b = await invoke('2');
    await f.until(() => f.lines.some((l) => l.includes(b.requestId) && / ok /.test(l)), 'the final row of b');
    assert.match(f.stderr, /following canary versions 1, 2 \(alias half as it routes now\)/);
    assert.match(f.lines[0] ?? '', /^TIME {24}VERSION {2}REQUEST ID +STATUS/);
    assert.ok(
      f.lines.some((l) => new RegExp(`^\\S+ \\S+ \\S+ {2}1 {8}${a.requestId}  ok `).test(l)),
      f.lines.join('\n'),
    );
    assert.ok(f.lines.some((l) => new RegExp(`^\\S+ \\S+ \\S+ {2}2 {8}${b.requestId}  ok `).test(l)));
    assert.ok(!f.lines.some((l) => l.includes(latest.requestId)), '$LATEST is not routed to by the alias');

    // History first (--since): read through GetFunctionLogs one version at a time, merged in time order.
    const h = await follow('canary', '--follow', '--qualifier', 'half', '--since', '1h', '--ndjson');
    const d = await invoke('2');
    await h.until(() => h.json().some((l) => l['event'] === 'end' && l['requestId'] === d.requestId), 'd');
    const history = h.json().filter((l) => l['source'] === 'query' && l['requestId'] !== d.requestId);
    const routed = invoked.filter((i) => (i.version === '1' || i.version === '2') && i !== d);
    // d may be read by the history too, if it started while that read ran: either way it is shown once.
    assert.deepEqual(history.map((l) => l['requestId']).sort(), routed.map((i) => i.requestId).sort());
    for (const l of history) {
      const which = invoked.find((i) => i.requestId === l['requestId']);
      assert.equal(l['version'], which?.version, JSON.stringify(l));
    }
    assert.deepEqual(
      history.map((l) => l['requestId']),
      routed.map((i) => i.requestId),
      'in the order they started, across versions',
    );

    // Without --qualifier, a function with published versions is followed with the VERSION column too.
    const all = await follow('canary', '--follow', '--no-color');
    const c = await invoke('$LATEST');
    await all.until(
      () => all.lines.some((l) => l.includes(c.requestId) && / ok /.test(l)),
      'the final row of c',
    );
    assert.match(all.lines[0] ?? '', /^TIME {24}VERSION {2}REQUEST ID/);
    assert.ok(
      all.lines.some((l) => new RegExp(`^\\S+ \\S+ \\S+ {2}\\$LATEST {2}${c.requestId}  ok `).test(l)),
    );
  });

  test('alias list, show, update (what is not given stays) and delete', async () => {
    assert.match(
      await ok('alias', 'list', 'canary'),
      // $DEFAULT always exists (routing to $LATEST until changed).
      /^NAME +ROUTES TO +DESCRIPTION +MODIFIED\n\$DEFAULT +\$LATEST +- +\S+ \S+ \+05:30\nhalf +1 50%, 2 50% +a 50\/50 split +/,
    );
    const shown = JSON.parse(await ok('alias', 'show', 'canary', 'half', '--json')) as Record<
      string,
      unknown
    >;
    assert.equal(shown['version'], '1');
    assert.deepEqual(shown['additionalVersionWeights'], [{ version: '2', weight: 0.5 }]);
    assert.equal(shown['description'], 'a 50/50 split');

    assert.equal(
      await ok('alias', 'update', 'canary', 'half', '--weight', '2=0.25'),
      'updated alias half of canary: 1 75%, 2 25%\n',
    );
    assert.equal(
      await ok('alias', 'update', 'canary', 'half', '-v', '2', '--no-weight'),
      'updated alias half of canary: 2\n',
    );
    const after = JSON.parse(await ok('alias', 'show', 'canary', 'half', '--json')) as Record<
      string,
      unknown
    >;
    assert.equal(after['description'], 'a 50/50 split', 'the description stays');
    assert.equal((await invoke('half')).ran, 'v2');

    const bad = await cli('alias', 'create', 'canary', 'bad', '--function-version', '1', '--weight', '2:0.5');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--weight takes <version>=<share/);
    const missing = await cli('publish', 'canery');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /did you mean canary\?/);

    assert.equal(await ok('alias', 'delete', 'canary', 'half'), 'deleted alias half of canary\n');
    const left = JSON.parse(await ok('alias', 'list', 'canary', '--json')) as Array<{ name: string }>;
    assert.deepEqual(
      left.map((a) => a.name),
      ['$DEFAULT'],
    );
  });
});
