/**
 * A function cannot kill the server or outlive its instance (issue 8, item 1): killing its parent (bwrap's
 * init, PID 1 of its namespace, which ignores it), the server's pid (not visible) and `kill -9 -1` (which
 * kills only the sandbox's own processes: the invocation ends as the function's own failure, 439) leave the
 * server serving. Children started detached or with `setsid`, and a listening socket, do not outlive the
 * instance when it is retired, when the invocation times out, or when the server closes: checked on the
 * host, by the command lines (unique sleep lengths) and by the sandbox's pid and network namespaces.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  deploy,
  eventually,
  invokeRaw,
  pidsInNamespace,
  pidsWithCmdline,
  run,
  type Started,
  startSandboxed,
  stillServes,
  suiteScope,
} from './sandbox-helpers.js';

/**
 * Leaves behind: a detached `sleep <a>`, a `setsid sh -c` with `sleep <b>` in it, and a setsid'd node
 * holding a listening socket; then waits `event.hang` ms (a timeout) or returns the namespaces.
 */
const LEAVE_BEHIND = `
const cp = require('child_process');
cp.spawn('sleep', [String(event.a)], { detached: true, stdio: 'ignore' }).unref();
cp.execSync("setsid sh -c 'sleep " + event.b + " ; true' >/dev/null 2>&1 < /dev/null &");
cp.spawn('setsid', [process.execPath, '-e', "require('net').createServer().listen(7777, '127.0.0.1'); setInterval(() => {}, 1000); // " + event.b], { detached: true, stdio: 'ignore' }).unref();
await new Promise((r) => setTimeout(r, 300));
const fs = require('fs');
const ns = { pid: fs.readlinkSync('/proc/self/ns/pid'), net: fs.readlinkSync('/proc/self/ns/net') };
console.log(JSON.stringify(ns));
if (event.hang) await new Promise((r) => setTimeout(r, event.hang));
return ns;
`;

let mark = 700_000 + Math.floor(Math.random() * 200_000);
const marks = (): { a: number; b: number } => ({ a: ++mark, b: ++mark });

/** The left-behind processes exist on the host (frozen or not). */
function assertLeftBehind(m: { a: number; b: number }, ns: { pid: string; net: string }): void {
  assert.ok(pidsWithCmdline(`sleep ${m.a}`).length >= 1, 'the detached sleep runs');
  // The setsid'd shell and its sleep.
  assert.equal(pidsWithCmdline(`sleep ${m.b}`).length, 2, 'the setsid sleep runs');
  assert.equal(pidsWithCmdline(`// ${m.b}`).length, 1, 'the setsid listener runs');
  assert.ok(pidsInNamespace(ns.net, 'net').length >= 4);
}

/** Nothing of the instance is left on the host: no process of its command lines or namespaces. */
async function nothingLeft(m: { a: number; b: number }, ns: { pid: string; net: string }): Promise<void> {
  await eventually(
    () =>
      pidsWithCmdline(`sleep ${m.a}`).length === 0 &&
      pidsWithCmdline(`sleep ${m.b}`).length === 0 &&
      pidsWithCmdline(`// ${m.b}`).length === 0 &&
      pidsInNamespace(ns.pid).length === 0 &&
      pidsInNamespace(ns.net, 'net').length === 0,
    'every process of the instance (and its network namespace, with the listener) to be gone',
  );
}

describe('sandbox: killing the server, outliving the instance', () => {
  const scope = suiteScope(after);
  let s: Started;

  before(async () => {
    s = await startSandboxed(scope);
    await deploy(scope, s.c, 'killer');
    await deploy(scope, s.c, 'lingerer', { timeout: 2 });
  });

  test('kill of the parent, of the server’s pid and kill -9 -1: the server survives', async () => {
    const out = await run(
      s.c,
      'killer',
      `return { ppid: process.ppid,
        parent: await attempt(() => process.kill(process.ppid, 'SIGKILL')),
        server: await attempt(() => process.kill(event.serverPid, 'SIGKILL')),
        group: await attempt(() => process.kill(-event.serverPid, 'SIGKILL')) };`,
      { serverPid: process.pid },
    );
    assert.equal(out.ppid, 1, 'its parent is the namespace’s init');
    assert.equal(out.server.code, 'ESRCH');
    assert.equal(out.group.code, 'ESRCH');
    // The init ignored the kill (a pid namespace's init cannot be killed from inside): the instance still works.
    assert.equal((await invokeRaw(s.c, 'killer', { code: 'return 1;' })).InvokeResult, 0);

    // kill(-1) from the function's own process reaches every process it may signal but itself and the
    // init: here only its own child.
    const all = await run(
      s.c,
      'killer',
      `const child = require('child_process').spawn('sleep', ['60'], { stdio: 'ignore' });
       await new Promise((r) => setTimeout(r, 100));
       const k = await attempt(() => process.kill(-1, 'SIGKILL'));
       const how = await new Promise((r) => child.on('exit', (code, signal) => r(signal)));
       return { k, how };`,
    );
    assert.deepEqual(all, { k: { ok: true, value: true }, how: 'SIGKILL' });
    // `kill -9 -1` from a shell also kills the function's process: the function's own failure, 439.
    const r = await invokeRaw(s.c, 'killer', {
      code: `require('child_process').execSync('kill -9 -1'); return 'survived';`,
    });
    assert.equal(r.InvokeResult, 439, r.RetMsg);
    assert.match(r.ErrMsg ?? '', /User process exit when running \(signal SIGKILL\)/);
    const rec = await s.c.GetFunctionLogs({ FunctionName: 'killer', FunctionRequestId: r.FunctionRequestId });
    assert.equal(rec.Data?.[0]?.RetCode, 439, 'recorded as the function’s own failure');
    // A new instance serves the next call.
    assert.equal((await invokeRaw(s.c, 'killer', { code: 'return 2;' })).RetMsg, '2');
    await stillServes(scope, s.c);
  });

  test('detached and setsid children and a listener do not outlive a retired instance', async () => {
    const m = marks();
    const ns = await run(s.c, 'lingerer', LEAVE_BEHIND, m);
    assertLeftBehind(m, ns);
    // A configuration change retires the (idle, frozen) instance: it is stopped.
    await s.c.UpdateFunctionConfiguration({ FunctionName: 'lingerer', Description: 'retire it' });
    await nothingLeft(m, ns);
  });

  test('… nor an invocation that timed out', async () => {
    const m = marks();
    const r = await invokeRaw(s.c, 'lingerer', { ...m, code: LEAVE_BEHIND, hang: 60_000 });
    assert.equal(r.InvokeResult, 433, r.ErrMsg);
    const rec = await s.c.GetFunctionLogs({
      FunctionName: 'lingerer',
      FunctionRequestId: r.FunctionRequestId,
    });
    const log = rec.Data?.[0]?.Log ?? '';
    const ns = JSON.parse(/\{"pid":"[^"]+","net":"[^"]+"\}/.exec(log)?.[0] ?? 'null');
    assert.ok(ns, `the namespaces are in the log: ${log}`);
    await nothingLeft(m, ns);
    await stillServes(scope, s.c);
  });

  test('… nor the server’s close', async (t) => {
    const other = await startSandboxed(t);
    await deploy(t, other.c, 'lingerer');
    const m = marks();
    const ns = await run(other.c, 'lingerer', LEAVE_BEHIND, m);
    assertLeftBehind(m, ns);
    await other.platform.close();
    await nothingLeft(m, ns);
  });
});
