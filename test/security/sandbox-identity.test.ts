/**
 * Who a function is inside its sandbox (issue 8, item 1): an unprivileged uid (65534 on the host too, when
 * the server is root), no capability in any set, no_new_privs; a /proc that shows only its own processes; a
 * private /tmp that no other function sees, that is gone with the instance and is bounded by
 * runtime.tmpSizeMb; and no file descriptor of the server's but its own pipes (0-4).
 */
import assert from 'node:assert/strict';
import { closeSync, openSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import {
  deploy,
  hostView,
  pidsInNamespace,
  run,
  type Started,
  startSandboxed,
  stillServes,
  suiteScope,
} from './sandbox-helpers.js';

const TMP_MB = 16;

describe('sandbox: identity, /proc, /tmp and file descriptors', () => {
  const scope = suiteScope(after);
  let s: Started;

  /**
   * A file the server holds open without close-on-exec, as a server started by a shell or a supervisor
   * inherits descriptors (node and SQLite open their own with O_CLOEXEC): a sandbox must not pass it on.
   */
  let inherited: number;

  before(async () => {
    const secretFile = join(tempDir(scope, 'scf-local-fd-'), 'server-secret.txt');
    writeFileSync(secretFile, 'server secret');
    inherited = openSync(secretFile, 'r');
    scope.after(() => closeSync(inherited));
    const { fcntlSync } = createRequire(import.meta.url)('fs-ext') as {
      fcntlSync(fd: number, cmd: 'setfd', arg: number): void;
    };
    fcntlSync(inherited, 'setfd', 0);
    s = await startSandboxed(scope, { runtime: { tmpSizeMb: TMP_MB } });
    await deploy(scope, s.c, 'one');
    await deploy(scope, s.c, 'two');
  });

  test('uid 65534 inside and on the host, every capability set empty, NoNewPrivs 1', async () => {
    const out = await run(
      s.c,
      'one',
      `const st = require('fs').readFileSync('/proc/self/status', 'utf8');
       const f = (k) => (new RegExp('^' + k + ':\\\\s*(.*)$', 'm').exec(st) || [])[1];
       return { uid: process.getuid(), gid: process.getgid(), euid: process.geteuid(),
         caps: ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb'].map((k) => k + '=' + f(k)),
         noNewPrivs: f('NoNewPrivs'), ns: require('fs').readlinkSync('/proc/self/ns/pid'),
         setuid: await attempt(() => process.setuid(0)) };`,
    );
    assert.equal(out.uid, 65534);
    assert.equal(out.euid, 65534);
    assert.equal(out.gid, 65534);
    assert.deepEqual(out.caps, [
      'CapInh=0000000000000000',
      'CapPrm=0000000000000000',
      'CapEff=0000000000000000',
      'CapBnd=0000000000000000',
      'CapAmb=0000000000000000',
    ]);
    assert.equal(out.noNewPrivs, '1');
    // Root is not even mapped in its user namespace (EINVAL); either way the change is refused.
    assert.ok(['EPERM', 'EINVAL'].includes(out.setuid.code), out.setuid.code);
    // On the host, every process of the sandbox (bwrap's init included) belongs to nobody.
    const pids = pidsInNamespace(out.ns);
    assert.ok(pids.length >= 2, `processes of the sandbox on the host: ${pids}`);
    for (const pid of pids) assert.equal(hostView(pid)?.uid, 65534, `host uid of ${pid}`);
  });

  test('/proc shows only the sandbox’s own processes, children included', async () => {
    const out = await run(
      s.c,
      'one',
      `const cp = require('child_process');
       const child = cp.spawn('sleep', ['30'], { stdio: 'ignore' });
       await new Promise((r) => setTimeout(r, 100));
       const pids = require('fs').readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).map(Number);
       const childPid = child.pid;
       child.kill('SIGKILL');
       return { pids, childPid };`,
    );
    assert.deepEqual(
      out.pids.sort((a: number, b: number) => a - b),
      [1, 2, out.childPid],
    );
  });

  test('/tmp is private to the instance, gone with it, and bounded by runtime.tmpSizeMb', async () => {
    const write = `require('fs').writeFileSync('/tmp/' + event.file, 'mine'); return require('fs').readdirSync('/tmp');`;
    const list = `return require('fs').readdirSync('/tmp');`;
    assert.deepEqual(await run(s.c, 'one', write, { file: 'one-was-here' }), ['one-was-here']);
    // Another function's instance does not see it; its own next invocation (same instance) does.
    assert.deepEqual(await run(s.c, 'two', list), []);
    assert.deepEqual(await run(s.c, 'one', list), ['one-was-here']);
    // A configuration change retires the instance: the next one starts with an empty /tmp.
    await s.c.UpdateFunctionConfiguration({ FunctionName: 'one', Description: 'new instance please' });
    assert.deepEqual(await run(s.c, 'one', list), []);
    const out = await run(
      s.c,
      'one',
      `const fs = require('fs');
       const st = fs.statfsSync('/tmp');
       const chunk = Buffer.alloc(1 << 20, 1);
       let written = 0;
       const r = await attempt(() => { for (let i = 0; i < 4 * ${TMP_MB}; i++) { fs.appendFileSync('/tmp/fill', chunk); written++; } });
       fs.rmSync('/tmp/fill');
       return { size: st.blocks * st.bsize, written, code: r.code };`,
    );
    assert.equal(out.size, TMP_MB * 1024 * 1024);
    assert.equal(out.code, 'ENOSPC');
    assert.ok(out.written <= TMP_MB, `wrote ${out.written} MB`);
  });

  test('no file descriptor of the server is open in the function’s process but its own 0-4', async () => {
    const serverFds = new Map<string, string>();
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        serverFds.set(readlinkSync(`/proc/self/fd/${fd}`), fd);
      } catch {
        // The directory's own fd, closed once read.
      }
    }
    const out: Record<string, string> = await run(
      s.c,
      'one',
      `const fs = require('fs');
       const out = {};
       for (const fd of fs.readdirSync('/proc/self/fd')) {
         try { out[fd] = fs.readlinkSync('/proc/self/fd/' + fd); } catch (e) { out[fd] = e.code; }
       }
       return out;`,
    );
    assert.equal(serverFds.get(readlinkSync(`/proc/self/fd/${inherited}`)), String(inherited));
    assert.equal(out['0'], '/dev/null');
    // Node's 'pipe' stdio are socket pairs; 4 is the IPC channel.
    for (const fd of ['1', '2', '3', '4']) assert.match(out[fd] ?? '', /^(pipe|socket):\[\d+\]$/, `fd ${fd}`);
    for (const [fd, target] of Object.entries(out)) {
      if (Number(fd) <= 4) continue;
      // Node's own (its event loop's epoll/eventfd/signal pipe, the readdir itself) are new objects; anything
      // shared with the server (its sockets, its database, the pipes of other instances) would show here.
      // anon_inode names are shared by every epoll/eventfd; /dev/null is opened afresh by node itself.
      if (target.startsWith('anon_inode:') || target === '/dev/null' || target === 'ENOENT') continue;
      assert.ok(!serverFds.has(target), `fd ${fd} (${target}) is the server's fd ${serverFds.get(target)}`);
      assert.doesNotMatch(target, /socket:|\.db|scf-local-/, `fd ${fd} is ${target}`);
    }
    await stillServes(scope, s.c);
  });
});
