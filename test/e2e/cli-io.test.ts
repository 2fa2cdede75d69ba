/**
 * The real `scf-local` binary against real servers, where a newcomer's first hour broke it (issue 10, part
 * A): output piped to a reader that goes away, events piped in slowly or large, a server on another port.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import type { ConfigInput } from '../../src/config/index.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { bin, cli, cliClosedStdout, cliCommand, shell } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const UPLOADS = new Set(['CreateFunction', 'UpdateFunctionCode']);

interface Server {
  platform: Platform;
  url: string;
  /** Global flags that point the binary at this server. */
  base: string[];
  /** Code uploads (CreateFunction, UpdateFunctionCode) that reached the server, whatever became of them. */
  uploads: () => number;
}

/**
 * A platform on a free port with its generated credentials; `hooks` may add Fastify hooks before it
 * listens (to vary how it behaves on the wire, as another server might).
 */
async function startServer(
  t: Pick<TestContext, 'after'>,
  options: { config?: ConfigInput; hooks?: (platform: Platform) => void } = {},
): Promise<Server> {
  const dataDir = tempDir(t, 'scf-local-cli-io-');
  const platform = await createPlatform({ config: { port: 0, dataDir, ...options.config }, env: {} });
  t.after(() => platform.close());
  let uploads = 0;
  platform.http.addHook('onRequest', async (req: FastifyRequest) => {
    if (UPLOADS.has(String(req.headers['x-tc-action']))) uploads += 1;
  });
  options.hooks?.(platform);
  const { url } = await platform.listen();
  return { platform, url, base: ['--endpoint', url, '--data-dir', dataDir], uploads: () => uploads };
}

/** A function folder: `files` maps paths to contents. */
function folder(parent: string, name: string, files: Record<string, string | Buffer>): string {
  const dir = join(parent, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Returns the event's size and its `a`, so a test sees the whole event arrived. */
const ECHO = `exports.main_handler = async (event) => ({ a: event.a, padLength: (event.pad || '').length });\n`;

describe('scf-local CLI: pipes, events, packages', () => {
  let t0: Server;
  let work: string;
  // What the suite's server and folders register to undo, undone once the suite is over.
  const cleanup: Array<() => unknown> = [];
  const suite = { after: (fn: () => unknown) => cleanup.push(fn) };
  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  before(async () => {
    t0 = await startServer(suite);
    work = tempDir(suite, 'scf-local-cli-io-work-');
    const echo = folder(work, 'echo', { 'index.js': ECHO });
    const r = await cli([...t0.base, 'deploy', echo, '--name', 'echo']);
    assert.equal(r.code, 0, r.stderr);
    for (let i = 0; i < 3; i++) {
      const inv = await cli([...t0.base, 'invoke', 'echo', '--data', `{"a":${i}}`]);
      assert.equal(inv.code, 0, inv.stderr);
    }
  });

  test('a reader that goes away (| head) ends the CLI quietly, exit 0', async () => {
    for (const args of [
      ['--help'],
      ['deploy', '--help'],
      [...t0.base, 'logs', 'echo'],
      [...t0.base, 'logs', 'echo', '--json'],
      [...t0.base, 'functions'],
      // A follower would otherwise follow forever into a closed pipe.
      [...t0.base, 'logs', 'echo', '--follow', '--since', '1h'],
    ]) {
      const r = await cliClosedStdout(args);
      assert.equal(r.code, 0, `${args.join(' ')}: exit ${r.code}, ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /EPIPE|^\s+at /m, `${args.join(' ')}: no error, no stack trace`);
      // Only the follower's notice, which is written before the first line of output.
      if (!args.includes('--follow')) assert.equal(r.stderr, '', `${args.join(' ')}: nothing on stderr`);
    }
  });

  test('an event piped in slowly, with --file - or without, and a 200 KB one, arrive whole', async () => {
    const invoke = cliCommand([...t0.base, 'invoke', 'echo']);
    const slow = await shell(`(sleep 1; echo '{"a":1}') | ${invoke}`);
    assert.equal(slow.code, 0, slow.stderr);
    assert.deepEqual(JSON.parse(slow.stdout), { a: 1, padLength: 0 });

    const dash = await shell(`(sleep 1; echo '{"a":2}') | ${invoke} --file -`);
    assert.equal(dash.code, 0, dash.stderr);
    assert.deepEqual(JSON.parse(dash.stdout), { a: 2, padLength: 0 });

    // Larger than a pipe's buffer, written in two parts with a pause between.
    const pad = 'x'.repeat(200_000);
    const event = join(work, 'big-event.json');
    writeFileSync(event, JSON.stringify({ a: 3, pad }));
    const big = await shell(`(head -c 1000 ${event}; sleep 1; tail -c +1001 ${event}) | ${invoke}`);
    assert.equal(big.code, 0, big.stderr);
    assert.deepEqual(JSON.parse(big.stdout), { a: 3, padLength: 200_000 });

    const missing = await cli([...t0.base, 'invoke', 'echo', '--file', join(work, 'none.json')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /cannot read .*none\.json \(ENOENT\)/);
  });
});

describe('scf-local CLI: the endpoint a local server records', () => {
  let server: ChildProcess | undefined;
  after(() => {
    server?.kill('SIGKILL');
  });

  test('`serve` on another port is found from its folder; --endpoint and SCF_LOCAL_ENDPOINT still win', async (t) => {
    const cwd = tempDir(t, 'scf-local-cli-io-serve-');
    // Port 0: whatever port it gets, which only the server knows.
    const child = spawn(process.execPath, [bin, 'serve'], {
      cwd,
      env: { PATH: process.env['PATH'] ?? '', SCF_LOCAL_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server = child;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    child.stdout.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: string) => {
        out += d;
        const m = /^scf-local listening on (http:\/\/\S+)$/m.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    const found = await cli(['functions'], { cwd });
    assert.equal(found.code, 0, found.stderr);
    assert.match(found.stdout, /^no functions/);
    const recordPath = join(cwd, '.scf-local', 'endpoint.json');
    const record = JSON.parse(readFileSync(recordPath, 'utf8')) as { url: string; port: number; pid: number };
    assert.equal(record.url, url);
    assert.equal(record.pid, child.pid);
    assert.notEqual(record.port, 9000);

    const flag = await cli(['--endpoint', 'http://127.0.0.1:1', 'functions'], { cwd });
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /cannot reach scf-local at http:\/\/127\.0\.0\.1:1 /);
    const env = await cli(['functions'], { cwd, env: { SCF_LOCAL_ENDPOINT: 'http://127.0.0.1:1' } });
    assert.equal(env.code, 1);
    assert.match(env.stderr, /cannot reach scf-local at http:\/\/127\.0\.0\.1:1 /);

    child.kill('SIGTERM');
    assert.equal(await exited, 0);
    server = undefined;
    assert.equal(existsSync(recordPath), false, 'the record goes with the server');
  });
});
