/**
 * `scf-local dev`, the real binary against a real platform: it deploys a folder, follows the function's
 * logs and redeploys on every change, while invocations keep arriving through the API. No invocation fails
 * during a swap, and each one's output comes wholly from one version of the code. Then: `--invoke`, a
 * redeploy that fails (no handler file, a folder over the server's upload limit) and the loop going on, a
 * syntax error (deployed; the invocation fails), a save storm (one redeploy), and Ctrl-C (exit 0, the
 * function stays).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import type { ConfigInput } from '../../src/config/index.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { CliProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { v3Client } from '../helpers/v3client.js';

const CRED = { secretId: 'AKIDdev', secretKey: 'dev-secret' };

interface Server {
  platform: Platform;
  port: number;
  /** Global flags that point the binary at this server. */
  base: string[];
  /** UpdateFunctionCode requests that reached the server. */
  codeUpdates: () => number;
}

async function startServer(t: TestContext, config: ConfigInput = {}): Promise<Server> {
  const dataDir = tempDir(t, 'scf-local-dev-data-');
  const platform = await createPlatform({
    config: { port: 0, dataDir, auth: { credentials: [CRED] }, ...config },
    env: {},
  });
  t.after(() => platform.close());
  let codeUpdates = 0;
  platform.http.addHook('onRequest', async (req: FastifyRequest) => {
    if (req.headers['x-tc-action'] === 'UpdateFunctionCode') codeUpdates += 1;
  });
  const { url, port } = await platform.listen();
  return {
    platform,
    port,
    base: ['--endpoint', url, '--secret-id', CRED.secretId, '--secret-key', CRED.secretKey],
    codeUpdates: () => codeUpdates,
  };
}

/** Starts `scf-local dev`; it is killed after the test if it is still running. */
function dev(t: TestContext, args: string[]): CliProcess {
  const p = new CliProcess(['dev', ...args], { env: { NO_COLOR: '1' } });
  t.after(() => p.kill());
  return p;
}

/** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
async function interrupt(p: CliProcess): Promise<number | null> {
  const exited = new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)));
  p.child.kill('SIGINT');
  return exited;
}

/** How many times `text` occurs in `s`. */
const count = (s: string, text: string): number => s.split(text).length - 1;

/**
 * Version `v` of a function in two files: `index.js` logs its version, waits `event.ms`, then loads
 * `lib.js` (a `require` inside the handler, so a swap in the middle would show) and returns both versions.
 */
function writeVersion(dir: string, v: number): void {
  writeFileSync(
    join(dir, 'index.js'),
    'exports.main_handler = async (event) => {\n' +
      `  console.log('index v${v} n=' + event.n);\n` +
      '  await new Promise((r) => setTimeout(r, event.ms || 0));\n' +
      `  return { index: ${v}, lib: require('./lib').v };\n` +
      '};\n',
  );
  writeFileSync(join(dir, 'lib.js'), `exports.v = ${v};\n`);
}

describe('scf-local dev', () => {
  test('redeploys each change under concurrent invocations: none fails, each runs one version whole', async (t) => {
    // Two instances for three callers: invocations also wait in the queue while the code changes.
    const s = await startServer(t, { runtime: { maxInstancesPerFunction: 2 } });
    const dir = join(tempDir(t, 'scf-local-dev-fn-'), 'svc');
    mkdirSync(dir);
    writeVersion(dir, 1);
    const p = dev(t, [...s.base, dir, '--debounce', '300']);
    await p.until(() => /created svc \(namespace default\)/.test(p.stderr), 'the first deploy');

    // Callers through the API (the SDK), each invoking in a loop until told to stop.
    const sdk = v3Client(s.port, CRED);
    let n = 0;
    let running = true;
    const failures: string[] = [];
    const loop = async (): Promise<Array<{ index: number; lib: number }>> => {
      const seen: Array<{ index: number; lib: number }> = [];
      while (running) {
        const i = ++n;
        try {
          const r = await sdk.Invoke({
            FunctionName: 'svc',
            ClientContext: JSON.stringify({ n: i, ms: 20 }),
          });
          const result = r.Result;
          if (result?.InvokeResult !== 0)
            failures.push(`n=${i}: retCode ${result?.InvokeResult}: ${result?.RetMsg}`);
          else seen.push(JSON.parse(result.RetMsg ?? '') as { index: number; lib: number });
        } catch (err) {
          failures.push(`n=${i}: ${(err as { code?: string }).code ?? ''} ${String(err)}`);
        }
      }
      return seen;
    };
    const loops = [loop(), loop(), loop()];
    const logged = (text: string) => () => p.lines.some((l) => l.includes(text));

    await p.until(logged('index v1 n='), 'a line of version 1 in dev');
    // Both files in one save: one redeploy, the two files together.
    writeVersion(dir, 2);
    await p.until(logged('index v2 n='), 'a line of version 2 in dev');
    writeVersion(dir, 3);
    await p.until(logged('index v3 n='), 'a line of version 3 in dev');
    // Some invocations of version 3 finish, through the API, before the callers stop.
    const mark = n;
    await p.until(() => n > mark + 6, 'more invocations of version 3');
    running = false;
    const results = await Promise.all(loops);

    assert.deepEqual(failures, [], 'no invocation failed');
    for (const seen of results) {
      for (const r of seen) assert.equal(r.lib, r.index, `one version whole: ${JSON.stringify(r)}`);
      // A caller that has seen a version never gets an older one: the switch is one step.
      const versions = seen.map((r) => r.index);
      assert.deepEqual(
        versions,
        [...versions].sort((a, b) => a - b),
      );
    }
    const all = new Set(results.flat().map((r) => r.index));
    assert.ok(all.has(1) && all.has(3), `versions seen: ${[...all].join(', ')}`);
    assert.equal(count(p.stderr, 'updated svc'), 2, `one redeploy per save:\n${p.stderr}`);
    assert.equal(s.codeUpdates(), 2);

    assert.equal(await interrupt(p), 0);
    assert.match(p.stderr, /stopped; svc stays deployed in namespace default/);
    assert.equal(
      s.platform.functions.get('svc').revision,
      3,
      'the function stays, at the code of the last save',
    );
  });

  test('--invoke; failed redeploys are reported and the loop goes on; a save storm is one redeploy', async (t) => {
    const s = await startServer(t, { api: { maxUploadBodyBytes: 256 * 1024 } });
    const dir = join(tempDir(t, 'scf-local-dev-fn-'), 'inv');
    mkdirSync(dir);
    const version = (v: string): void =>
      writeFileSync(
        join(dir, 'index.js'),
        `exports.main_handler = async (event) => { console.log('say ${v}', event.k); return '${v}'; };\n`,
      );
    version('one');
    const p = dev(t, [...s.base, dir, '--invoke', '{"k":"same"}', '--debounce', '200', '--memory', '256']);
    const logged = (text: string) => () => p.lines.some((l) => l.includes(text));
    const said = (re: RegExp) => () => re.test(p.stderr);

    // At start: created with the configuration flags, invoked once.
    await p.until(logged('say one same'), 'the first invocation in the log');
    await p.until(said(/invoked inv \([0-9a-f]{8}\): ok in .* → "one"/), 'its result');
    assert.equal(s.platform.functions.get('inv').memorySize, 256);

    // Each successful redeploy invokes again, with the same event.
    version('two');
    await p.until(logged('say two same'), 'the invocation after the redeploy');

    // The handler's file gone: reported, nothing sent, still watching.
    const before = s.codeUpdates();
    renameSync(join(dir, 'index.js'), join(dir, 'main.js'));
    await p.until(
      said(/deploy failed: handler index\.main_handler needs index\.js or index\.mjs/),
      'the refusal',
    );
    assert.match(p.stderr, /still watching/);
    rmSync(join(dir, 'main.js'));
    version('three');
    await p.until(logged('say three same'), 'the redeploy after the fix');

    // Over the server's upload limit (random bytes do not compress): refused before sending.
    writeFileSync(join(dir, 'blob.bin'), randomBytes(512 * 1024));
    await p.until(said(/deploy failed: .* is too large to deploy/), 'the size refusal');
    rmSync(join(dir, 'blob.bin'));
    version('four');
    await p.until(logged('say four same'), 'the redeploy after the size fix');
    assert.equal(s.codeUpdates(), before + 2, 'the refused deploys sent nothing');

    // A syntax error deploys (the server cannot know); its invocation fails, and dev goes on.
    writeFileSync(join(dir, 'index.js'), 'exports.main_handler = async () => {\n');
    await p.until(said(/invoked inv \([0-9a-f]{8}\): \S+ \(retCode 4\d\d\)/), 'the failed invocation');
    version('five');
    await p.until(logged('say five same'), 'the redeploy after the syntax error');

    // A storm: 100 files in 10 new folders at once, one redeploy. (Which of the files the watcher names
    // varies: those written before their new folder is watched are found by its scan or not; the
    // redeploy packages the folder as it is either way.)
    const updates = s.codeUpdates();
    const updated = count(p.stderr, 'updated inv');
    for (let d = 0; d < 10; d++) {
      mkdirSync(join(dir, `lib${d}`));
      for (let f = 0; f < 10; f++) writeFileSync(join(dir, `lib${d}`, `f${f}.js`), `exports.f = ${f};\n`);
    }
    await p.until(said(/lib0 and \d+ more changed; redeploying/), 'the storm, one batch');
    // The next change is the next redeploy: the storm made no other.
    version('six');
    await p.until(() => count(p.stderr, 'updated inv') === updated + 2, 'the redeploy after the storm');
    await p.until(logged('say six same'), 'the invocation after the storm');
    const afterStorm = p.stderr.slice(p.stderr.search(/lib0 and \d+ more changed/));
    assert.deepEqual(afterStorm.match(/\S+ changed; redeploying/g), [
      'more changed; redeploying',
      'index.js changed; redeploying',
    ]);
    assert.match(afterStorm, /updated inv \(namespace default\) in \d+ ms: 101 file\(s\)/);
    assert.equal(s.codeUpdates(), updates + 2, p.stderr);
    assert.equal(s.platform.functions.get('inv').memorySize, 256, 'redeploys replace the code only');

    assert.equal(await interrupt(p), 0);
    assert.ok(s.platform.functions.has('inv'), 'Ctrl-C leaves the function deployed');
  });

  test('what cannot work ends dev at once: an unknown namespace, a bad --invoke event', async (t) => {
    const s = await startServer(t);
    const dir = join(tempDir(t, 'scf-local-dev-fn-'), 'fn');
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.js'), 'exports.main_handler = async () => 1;\n');
    const ns = dev(t, [...s.base, dir, '--namespace', 'nope']);
    const nsCode = await new Promise((r) => ns.child.once('exit', r));
    assert.equal(nsCode, 2);
    assert.match(ns.stderr, /ResourceNotFound\.Namespace.*scf-local namespaces create nope/);
    const bad = dev(t, [...s.base, dir, '--invoke', '{nope']);
    const badCode = await new Promise((r) => bad.child.once('exit', r));
    assert.equal(badCode, 2);
    assert.match(bad.stderr, /--invoke: the event is not valid JSON/);
    assert.equal(s.platform.functions.has('fn'), false, 'nothing was deployed');
  });
});
