/**
 * A function cannot read what is not its own (issue 8, item 1), tried by a hostile function against a real
 * server that sandboxes every instance: the platform's credentials (by the relative path that used to work
 * and by the absolute data-folder path), the SQLite database, another function's code and function.json,
 * the server's /proc (its environment), and the memory and environment of another function's warm
 * instance. Each path is first shown to exist on the host, so a miss means the sandbox hid it; then the
 * whole file system the function can see is searched for the secrets. The server goes on serving.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  deploy,
  invokeRaw,
  pidsInNamespace,
  run,
  type Started,
  startSandboxed,
  stillServes,
  suiteScope,
} from './sandbox-helpers.js';

/** The victim keeps a secret in its environment (function.json) and in its warm process's memory. */
const VICTIM_SECRET = `victim-secret-${Math.random().toString(36).slice(2)}`;
const VICTIM = `
globalThis.kept = Buffer.from('in-memory-' + process.env.VICTIM_SECRET);
exports.main_handler = async () => ({ ns: require('fs').readlinkSync('/proc/self/ns/pid'), up: true });
`;

/** Reads each path; answers `{ path: true | error code }` (true = the read succeeded). */
const READ_EACH = `
const fs = require('fs');
const out = {};
for (const p of event.paths) {
  const r = await attempt(() => fs.readFileSync(p, 'latin1'));
  out[p] = r.ok ? (r.value.includes(event.needle) ? 'READ: secret found' : 'READ') : r.code;
}
return out;
`;

/**
 * Walks everything the function can see but the system's own read-only trees, reading each regular file
 * (up to 4 MB) and every visible process's environ, cmdline and mem maps; returns the paths holding any of
 * `event.needles`.
 */
const SEARCH_ALL = `
const fs = require('fs');
const found = [];
const check = (p, text) => { for (const n of event.needles) if (text.includes(n)) found.push(p + ' has ' + n); };
const walk = (dir, depth) => {
  if (depth > 12) return;
  let entries;
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
  for (const e of entries) {
    const p = (dir === '/' ? '' : dir) + '/' + e.name;
    if (['/proc', '/sys', '/usr', '/dev'].includes(p)) continue;
    if (e.isDirectory()) walk(p, depth + 1);
    else if (e.isFile()) {
      try { if (fs.statSync(p).size < 4 << 20) check(p, fs.readFileSync(p, 'latin1')); } catch {}
    }
  }
};
walk('/', 0);
const pids = fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n));
for (const pid of pids) {
  for (const f of ['environ', 'cmdline']) {
    try { check('/proc/' + pid + '/' + f, fs.readFileSync('/proc/' + pid + '/' + f, 'latin1')); } catch {}
  }
}
return { found, pids };
`;

describe('sandbox: reading what is not its own', () => {
  const scope = suiteScope(after);
  let s: Started;
  let secretKey: string;
  let victimDir: string;
  let victimNs: string;

  before(async () => {
    s = await startSandboxed(scope, { generatedCredentials: true });
    secretKey = (
      JSON.parse(readFileSync(join(s.dataDir, 'credentials.json'), 'utf8')) as { secretKey: string }
    ).secretKey;
    await deploy(scope, s.c, 'victim', { source: VICTIM, env: { VICTIM_SECRET } });
    await deploy(scope, s.c, 'attacker');
    victimDir = join(s.dataDir, 'functions', 'default', 'victim');
    // The victim is warm (and frozen) while the attacker runs.
    const r = await invokeRaw(s.c, 'victim');
    assert.equal(r.InvokeResult, 0, r.ErrMsg);
    victimNs = (JSON.parse(r.RetMsg ?? '{}') as { ns: string }).ns;
  });

  test('the credentials, the database and the victim’s function.json and code: not there', async () => {
    const hostPaths = [
      join(s.dataDir, 'credentials.json'),
      join(s.dataDir, 'scf-local.db'),
      join(victimDir, 'function.json'),
      join(victimDir, 'code.zip'),
      join(victimDir, 'code-r1', 'index.js'),
    ];
    for (const p of hostPaths) assert.ok(existsSync(p), `${p} exists on the host`);
    assert.ok(readFileSync(join(victimDir, 'function.json'), 'utf8').includes(VICTIM_SECRET));
    const paths = [
      // What read the SecretKey before the sandbox: up from the code folder to the data folder.
      '../../../../credentials.json',
      '../../../credentials.json',
      '../../victim/function.json',
      '../../victim/code-r1/index.js',
      ...hostPaths,
      // Through the init's view of the root, and through the code path the function is told.
      `/proc/1/root${join(s.dataDir, 'credentials.json')}`,
      '/var/user/../../credentials.json',
    ];
    const out = await run(s.c, 'attacker', READ_EACH, { paths, needle: secretKey });
    for (const p of paths) {
      assert.ok(out[p] === 'ENOENT' || out[p] === 'EACCES', `${p}: ${out[p]}`);
    }
  });

  test('the server’s /proc: its pid is not visible, its environ cannot be read; only the sandbox’s processes are', async () => {
    const code = `
      const fs = require('fs');
      const pids = fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).map(Number);
      const cmd = (p) => fs.readFileSync('/proc/' + p + '/cmdline', 'latin1').split('\\0').join(' ').trim();
      return {
        pids,
        cmds: pids.map((p) => { try { return cmd(p); } catch (e) { return e.code; } }),
        environ: await attempt(() => fs.readFileSync('/proc/' + event.serverPid + '/environ', 'latin1').length),
        stat: await attempt(() => fs.statSync('/proc/' + event.serverPid).isDirectory()),
        signal: await attempt(() => process.kill(event.serverPid, 0)),
        ppid: process.ppid,
        self: process.pid,
      };
    `;
    const out = await run(s.c, 'attacker', code, { serverPid: process.pid });
    assert.equal(out.environ.code, 'ENOENT', JSON.stringify(out.environ));
    assert.equal(out.stat.code, 'ENOENT');
    assert.equal(out.signal.code, 'ESRCH', 'the server cannot even be signalled');
    // PID 1 is bwrap's init, PID 2 the function's own node process: nothing else exists.
    assert.deepEqual(out.pids, [1, 2], JSON.stringify(out.cmds));
    assert.equal(out.self, 2);
    assert.equal(out.ppid, 1);
    assert.match(out.cmds[0], /bwrap/);
    assert.match(out.cmds[1], /\/var\/runtime\/node\/bootstrap\.js/);
  });

  test('another function’s warm instance: its processes, memory and environment cannot be reached', async () => {
    const victimPids = pidsInNamespace(victimNs);
    assert.ok(victimPids.length >= 2, `the victim's instance is alive on the host (${victimPids})`);
    const code = `
      const fs = require('fs');
      const out = {};
      for (const pid of event.victimPids) {
        out[pid] = {
          mem: (await attempt(() => fs.openSync('/proc/' + pid + '/mem', 'r'))).code,
          environ: (await attempt(() => fs.readFileSync('/proc/' + pid + '/environ'))).code,
          root: (await attempt(() => fs.readdirSync('/proc/' + pid + '/root'))).code,
          signal: (await attempt(() => process.kill(pid, 0))).code,
        };
      }
      return out;
    `;
    const out = await run(s.c, 'attacker', code, { victimPids });
    for (const pid of victimPids) {
      assert.deepEqual(
        out[pid],
        { mem: 'ENOENT', environ: 'ENOENT', root: 'ENOENT', signal: 'ESRCH' },
        `victim process ${pid}`,
      );
    }
    // The victim is intact: its next call still runs its own code.
    const r = await invokeRaw(s.c, 'victim');
    assert.equal(r.InvokeResult, 0, r.ErrMsg);
  });

  test('searching everything the function can see finds neither the SecretKey nor the victim’s secret', async () => {
    const out = await run(s.c, 'attacker', SEARCH_ALL, {
      needles: [secretKey, VICTIM_SECRET, `in-memory-${VICTIM_SECRET}`],
    });
    assert.deepEqual(out.found, []);
    assert.deepEqual(out.pids, ['1', '2']);
    await stillServes(scope, s.c);
  });
});
