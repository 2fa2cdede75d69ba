/**
 * The real `scf-local` binary against real servers, where a newcomer's first hour broke it (issue 10, part
 * A): output piped to a reader that goes away, events piped in slowly or large, a server on another port,
 * packages larger than the server takes, upload progress and sizes, a folder without the handler's file,
 * and a function named after its folder.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, type TestContext, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import type { ConfigInput } from '../../src/config/index.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { bin, cli, cliClosedStdout, cliCommand, shell } from '../helpers/cli-shell.js';
import { tempDir } from '../helpers/tmp.js';

const MB = 1024 * 1024;
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
  const platform = await createPlatform({
    config: { port: 0, log: { level: 'warn' }, dataDir, ...options.config },
    env: {},
  });
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

  test('upload progress moves in even steps, and every size line says the same size', async () => {
    // Random bytes do not compress: a zip of about 2.9 MB, uploaded as about 3.8 MB of base64.
    const data = randomBytes(3_000_000);
    const dir = folder(work, 'sizes', { 'index.js': ECHO, 'data.bin': data });
    const rawMb = ((data.byteLength + Buffer.byteLength(ECHO)) / MB).toFixed(1);
    const created = await cli([...t0.base, 'deploy', dir, '--name', 'sizes']);
    assert.equal(created.code, 0, created.stderr);
    const updated = await cli([...t0.base, 'deploy', dir, '--name', 'sizes', '--json']);
    assert.equal(updated.code, 0, updated.stderr);
    // The same files make a zip of the same size (only its timestamps differ).
    const { zipBytes } = JSON.parse(updated.stdout) as { zipBytes: number };
    const zipMb = (zipBytes / MB).toFixed(1); // 1 MB = 1,048,576 bytes, one decimal
    for (const r of [created, updated]) {
      assert.match(
        r.stderr,
        new RegExp(`^packaging 2 files \\(${rawMb} MB\\) from .*sizes: ${zipMb} MB zip$`, 'm'),
      );
      const steps = [...r.stderr.matchAll(/^uploading (\d+\.\d)\/(\d+\.\d) MB \((\d+)%\)$/gm)].map((m) => ({
        sent: m[1],
        total: m[2],
        pct: Number(m[3]),
      }));
      assert.deepEqual(
        steps.map((x) => x.pct),
        [25, 50, 75, 100],
        r.stderr,
      );
      for (const step of steps) {
        assert.equal(step.total, zipMb, 'progress is in MB of the zip');
        assert.equal(step.sent, ((zipBytes * step.pct) / 100 / MB).toFixed(1));
      }
    }
    assert.match(created.stdout, new RegExp(`^created sizes .*: 2 file\\(s\\), ${zipMb} MB zip;`));
  });

  test("deploy refuses a folder without the handler's file before uploading, naming the file", async () => {
    const before = t0.uploads();
    const noIndex = folder(work, 'noindex', { 'app.js': ECHO });
    const r = await cli([...t0.base, 'deploy', noIndex, '--name', 'noindex']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /handler index\.main_handler needs index\.js or index\.mjs in .*noindex/);
    assert.equal(t0.uploads(), before, 'nothing was uploaded');
    const gone = await cli([...t0.base, 'invoke', 'noindex']);
    assert.match(gone.stderr, /ResourceNotFound\.Function/, 'no function was created');

    // The file the handler names instead is found.
    const other = await cli([
      ...t0.base,
      'deploy',
      noIndex,
      '--name',
      'noindex',
      '--handler',
      'app.main_handler',
    ]);
    assert.equal(other.code, 0, other.stderr);
    // An update checks the function's own handler when --handler is not given.
    const update = folder(work, 'noindex2', { 'index.js': ECHO });
    const r2 = await cli([...t0.base, 'deploy', update, '--name', 'noindex']);
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /handler app\.main_handler needs app\.js or app\.mjs/);
  });

  test('what deploy accepts as the handler file is what the runtime loads', async () => {
    // name, files, handler, whether the runtime can load it (the oracle: an invocation of the same code
    // created through the platform, never through the CLI's check).
    const layouts: Array<[string, Record<string, string>, string, boolean]> = [
      ['h-js', { 'index.js': ECHO }, 'index.main_handler', true],
      [
        'h-mjs',
        { 'index.mjs': 'export const main_handler = async () => ({ a: 1 });\n' },
        'index.main_handler',
        true,
      ],
      ['h-dir', { 'index/index.js': ECHO }, 'index.main_handler', true],
      ['h-sub', { 'src/app.js': ECHO }, 'src/app.main_handler', true],
      ['h-cjs', { 'index.cjs': ECHO }, 'index.main_handler', false],
      ['h-ts', { 'index.ts': 'export const main_handler = async () => 1;\n' }, 'index.main_handler', false],
    ];
    for (const [name, files, handler, loads] of layouts) {
      const dir = folder(work, name, files);
      t0.platform.functions.create({ functionName: `${name}-direct`, handler, code: { directory: dir } });
      const direct = await cli([...t0.base, 'invoke', `${name}-direct`]);
      assert.equal(direct.code === 0, loads, `${name}: the runtime ${loads ? 'loads' : 'does not load'} it`);
      if (!loads) assert.match(direct.stderr, /retCode 437/);
      const r = await cli([...t0.base, 'deploy', dir, '--name', name, '--handler', handler]);
      assert.equal(r.code === 0, loads, `${name}: deploy agrees with the runtime: ${r.stderr}`);
      if (!loads) {
        assert.match(
          r.stderr,
          new RegExp(`; it has ${name === 'h-cjs' ? 'index\\.cjs' : 'index\\.ts'}, which`),
        );
      }
    }
  });

  test('deploy names the function after its folder when --name is not given', async () => {
    const dir = folder(work, 'my-func_2', { 'index.js': ECHO });
    const r = await cli([...t0.base, 'deploy', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^created my-func_2 /);
    const inv = await cli([...t0.base, 'invoke', 'my-func_2', '--data', '{"a":7}']);
    assert.equal(inv.code, 0, inv.stderr);
    // `deploy .` from the folder.
    const again = await cli([...t0.base, 'deploy', '.'], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^updated my-func_2 /);
    for (const bad of ['9lives', 'ends-', 'a']) {
      const b = await cli([...t0.base, 'deploy', folder(work, bad, { 'index.js': ECHO })]);
      assert.equal(b.code, 2, bad);
      assert.match(b.stderr, new RegExp(`give the function's name with --name: the folder's name "${bad}"`));
    }
    const help = await cli(['deploy', '--help']);
    assert.match(help.stdout, /default: the folder's name/);
  });
});

describe('scf-local CLI: a package larger than the server takes', () => {
  test("is refused before it is uploaded, with the server's limit, as soon as its zip passes it", async (t) => {
    const s = await startServer(t, { config: { api: { maxUploadBodyBytes: MB } } });
    const work = tempDir(t, 'scf-local-cli-io-big-');
    // 24 files of 1 MB of random bytes (no two alike: nothing compresses), far over the 1 MB limit.
    const files: Record<string, Buffer | string> = { 'index.js': ECHO };
    for (let i = 0; i < 24; i++) files[`data/${String(i).padStart(2, '0')}.bin`] = randomBytes(MB);
    const dir = folder(work, 'big', files);
    // Which files deploy reads shows in their access times (set in the past, so the first read moves them);
    // a file system mounted noatime does not show it, and the check is skipped there.
    const past = new Date(Date.now() - 86_400_000);
    const names = Object.keys(files).filter((n) => n.endsWith('.bin'));
    for (const n of names) utimesSync(join(dir, n), past, past);
    const probe = join(work, 'atime-probe');
    writeFileSync(probe, 'x');
    utimesSync(probe, past, past);
    readFileSync(probe);
    const atimeWorks = statSync(probe).atimeMs > past.getTime() + 1000;

    const r = await cli([...s.base, 'deploy', dir, '--name', 'big']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /big is too large to deploy: its zip passed 768\.0 KB/);
    assert.match(r.stderr, /takes code uploads of at most 1\.0 MB \(api\.maxUploadBodyBytes\)/);
    assert.match(r.stderr, /\(RequestSizeLimitExceeded\)$/m);
    assert.doesNotMatch(r.stderr, /cannot reach|uploading/);
    assert.equal(s.uploads(), 0, 'nothing was sent');
    if (atimeWorks) {
      const read = names.filter((n) => statSync(join(dir, n)).atimeMs > past.getTime() + 1000);
      assert.ok(read.length <= 2, `zipping stopped early: read ${read.length} of ${names.length} files`);
    } else {
      t.diagnostic('access times are not updated on this file system: which files were read is not checked');
    }
  });

  test('when the server refuses an upload while it is being sent, its answer is reported', async (t) => {
    // A server that does not say what it takes (no /healthz, as a server of another make), and closes the
    // connection as soon as it has answered: the CLI's next write may fail before it reads the answer.
    const s = await startServer(t, {
      config: { api: { maxUploadBodyBytes: MB } },
      hooks: (platform) => {
        platform.http.addHook('onRequest', async (req, reply) => {
          if (req.url === '/healthz') return reply.code(404).send('not here');
          return undefined;
        });
        platform.http.addHook('onResponse', async (req) => {
          if (UPLOADS.has(String(req.headers['x-tc-action']))) req.raw.socket?.destroy();
        });
      },
    });
    const work = tempDir(t, 'scf-local-cli-io-refused-');
    const dir = folder(work, 'refused', { 'index.js': ECHO, 'data.bin': randomBytes(3 * MB) });
    // Whether the write fails first is a race; each run must report the answer either way.
    for (let run = 0; run < 10; run++) {
      const r = await cli([...s.base, 'deploy', dir, '--name', 'refused']);
      assert.equal(r.code, 2, `run ${run}: ${r.stderr}`);
      assert.match(
        r.stderr,
        /larger than 1048576 bytes, the limit of code uploads\. \(RequestSizeLimitExceeded\)/,
        `run ${run}`,
      );
      assert.doesNotMatch(r.stderr, /cannot reach/, `run ${run}`);
    }
    assert.ok(s.uploads() >= 10);
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
