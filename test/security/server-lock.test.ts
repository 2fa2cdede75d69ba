/**
 * One server per data folder (issue 8, item 6), with the real `scf-local serve` in child processes: a
 * second server on a folder exits 2 naming the holder's pid and changes nothing (the first server's running
 * invocation stays running); a port in use (EADDRINUSE) ends a start at once with one line, having created
 * nothing; `kill -9` of the holder frees the folder for the next server, which then (and only then) marks
 * the dead server's invocation interrupted. The programmatic API refuses a second platform too.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { v3Code } from '../../src/api/protocol/v3/errors.js';
import { ScfError } from '../../src/errors/index.js';
import { createPlatform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';
import { bin, client, freshPath, SECRET_ID, SECRET_KEY, zipOf } from './server-helpers.js';

interface Served {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<number | string>;
}

/** Starts `scf-local serve` with the test credentials; killed (with its process group) when the suite ends. */
function serve(args: string[], cleanups: Array<() => void>): Served {
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    env: {
      PATH: process.env['PATH'] ?? '',
      SCF_LOCAL_SECRET_ID: SECRET_ID,
      SCF_LOCAL_SECRET_KEY: SECRET_KEY,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? String(signal))),
  );
  cleanups.push(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  });
  return { child, pid: child.pid!, stdout: () => out, stderr: () => err, exited };
}

/** The port a server printed once it listens. */
async function portOf(s: Served): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /scf-local listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(s.stdout());
    if (m) return Number(m[1]);
    const gone = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r(undefined), 25))]);
    if (gone !== undefined) assert.fail(`serve exited (${gone}) before listening: ${s.stderr()}`);
    assert.ok(Date.now() < deadline, 'serve did not start listening');
  }
}

/** Waits (at most `ms`) for a process to end; its exit code, or fails. */
async function exitWithin(s: Served, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    s.exited,
    new Promise<'timeout'>((r) => {
      timer = setTimeout(() => r('timeout'), ms);
    }),
  ]);
  clearTimeout(timer);
  assert.notEqual(code, 'timeout', `still running after ${ms} ms: ${s.stderr()}`);
  return code;
}

/** The lines of a stream's text, without the final newline. */
const lines = (text: string): string[] => text.replace(/\n$/, '').split('\n');

describe('one server per data folder', () => {
  const cleanups: Array<() => void> = [];
  after(() => {
    for (const c of cleanups.reverse()) c();
  });
  // Suite-level cleanup for the helpers that take a test context (run by `after` above, in reverse).
  const suite = { after: (fn: () => unknown) => void cleanups.push(() => void fn()) } as Parameters<
    typeof tempDir
  >[0];
  const dataDir = tempDir(suite, 'scf-local-lock-');
  let first: Served;
  let port: number;
  let running = '';

  before(async () => {
    first = serve(['--port', '0', '--data-dir', dataDir], cleanups);
    port = await portOf(first);
    const c = client(port);
    await c.CreateFunction({
      FunctionName: 'sleeper',
      Timeout: 900,
      Code: {
        ZipFile: zipOf(
          suite,
          `exports.main_handler = async () => { console.log('started'); await new Promise((r) => setTimeout(r, 900000)); };\n`,
        ),
      },
    });
    await c.CreateFunction({
      FunctionName: 'ok',
      Code: { ZipFile: zipOf(suite, `exports.main_handler = async () => 'ok';\n`) },
    });
    const r = await c.Invoke({ FunctionName: 'sleeper', InvocationType: 'Event', ClientContext: '{}' });
    running = r.Result!.FunctionRequestId!;
    // The Event is answered once queued: wait for its attempt to run (its running record).
    for (const end = Date.now() + 20_000; (await runningRecord())?.RetCode !== 2; ) {
      assert.ok(Date.now() < end, 'the queued event never started');
      await new Promise((r) => setTimeout(r, 25));
    }
  });

  /** The first server's long invocation, as its API shows it. */
  const runningRecord = async () => {
    const page = await client(port).GetFunctionLogs({ FunctionName: 'sleeper', FunctionRequestId: running });
    return page.Data?.[0];
  };

  test('a second serve on the folder exits 2 naming the holder pid; the running invocation stays running', async () => {
    assert.equal((await runningRecord())?.RetCode, 2);
    const lockBefore = readFileSync(join(dataDir, 'scf-local.lock'), 'utf8');
    const filesBefore = readdirSync(dataDir).sort();
    assert.equal(JSON.parse(lockBefore).pid, first.pid, 'the lock file names the holder');

    const second = serve(['--port', '0', '--data-dir', dataDir], cleanups);
    assert.equal(await exitWithin(second, 15_000), 2);
    assert.equal(second.stdout(), '', 'it never started');
    assert.equal(lines(second.stderr()).length, 1, second.stderr());
    assert.match(
      second.stderr(),
      new RegExp(`^scf-local: .*in use by another scf-local server \\(pid ${first.pid}\\)`),
    );

    const rec = await runningRecord();
    assert.equal(rec?.RetCode, 2, 'still running: not marked interrupted by the second server');
    assert.equal(rec?.InvokeFinished, 0);
    assert.equal(readFileSync(join(dataDir, 'scf-local.lock'), 'utf8'), lockBefore);
    assert.deepEqual(readdirSync(dataDir).sort(), filesBefore, 'nothing created in the folder');
    const ok = await client(port).Invoke({ FunctionName: 'ok', ClientContext: '{}' });
    assert.equal(ok.Result?.RetMsg, '"ok"', 'the first server goes on serving');
  });

  test('createPlatform on a folder another process serves is refused with DataDirInUse naming its pid', async () => {
    await assert.rejects(
      createPlatform({ config: { port: 0, log: { level: 'warn' }, dataDir }, env: {} }),
      (err: unknown) =>
        err instanceof ScfError &&
        err.code === 'DataDirInUse' &&
        v3Code(err) === 'ResourceInUse.DataDir' &&
        err.message.includes(`pid ${first.pid}`),
    );
    assert.equal((await runningRecord())?.RetCode, 2);
  });

  test('EADDRINUSE: a serve on a taken port exits promptly with one line and creates nothing', async (t) => {
    const elsewhere = freshPath(t, 'never-created');
    const started = Date.now();
    const other = serve(['--port', String(port), '--data-dir', elsewhere], cleanups);
    assert.equal(await exitWithin(other, 15_000), 1);
    assert.ok(Date.now() - started < 15_000);
    assert.equal(other.stdout(), '');
    assert.deepEqual(lines(other.stderr()).length, 1, other.stderr());
    assert.match(
      other.stderr(),
      new RegExp(`^scf-local: cannot listen on 127\\.0\\.0\\.1:${port}: .*\\(EADDRINUSE\\)\\n$`),
    );
    assert.equal(existsSync(elsewhere), false, 'the data folder was not even created');

    // The same port on the first server's own folder: refused as promptly, and nothing there changes.
    const same = serve(['--port', String(port), '--data-dir', dataDir], cleanups);
    assert.notEqual(await exitWithin(same, 15_000), 0);
    assert.equal(lines(same.stderr()).length, 1, same.stderr());
    assert.equal((await runningRecord())?.RetCode, 2, 'the running invocation is still running');
  });

  test('kill -9 of the holder frees the folder: the next server starts and marks the dead one interrupted', async () => {
    process.kill(first.pid, 'SIGKILL');
    assert.equal(await exitWithin(first, 10_000), 'SIGKILL');
    const next = serve(['--port', '0', '--data-dir', dataDir], cleanups);
    const nextPort = await portOf(next);
    // The banner's lines may arrive in more than one read.
    const said = /1 invocation\(s\) left running by a previous stop marked interrupted/;
    for (const end = Date.now() + 5000; !said.test(next.stdout()) && Date.now() < end; ) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.match(next.stdout(), said);
    assert.equal(JSON.parse(readFileSync(join(dataDir, 'scf-local.lock'), 'utf8')).pid, next.pid);
    const page = await client(nextPort).GetFunctionLogs({
      FunctionName: 'sleeper',
      FunctionRequestId: running,
    });
    assert.equal(page.Data?.[0]?.RetCode, 3, 'interrupted, now that its server is gone');
    assert.match(page.Data?.[0]?.Log ?? '', /started/);
    next.child.kill('SIGTERM');
    assert.equal(await exitWithin(next, 15_000), 0);
    // And a clean stop frees it too.
    const last = serve(['--port', '0', '--data-dir', dataDir], cleanups);
    await portOf(last);
    last.child.kill('SIGTERM');
    assert.equal(await exitWithin(last, 15_000), 0);
  });
});

describe('one platform per data folder in one process', () => {
  test('a second createPlatform on a folder is refused until the first is closed', async (t) => {
    const dataDir = tempDir(t);
    const p1 = await createPlatform({ config: { port: 0, log: { level: 'warn' }, dataDir }, env: {} });
    t.after(() => p1.close());
    await assert.rejects(
      createPlatform({ config: { port: 0, log: { level: 'warn' }, dataDir }, env: {} }),
      (err: unknown) =>
        err instanceof ScfError && err.code === 'DataDirInUse' && err.message.includes(`pid ${process.pid}`),
    );
    await p1.close();
    const p2 = await createPlatform({ config: { port: 0, log: { level: 'warn' }, dataDir }, env: {} });
    await p2.close();
  });
});
