/**
 * A function cannot write anything the platform later trusts (issue 8, item 1): not another function's
 * code folder (whose next call would run the attacker's code), not its own code (/var/user is read-only:
 * EROFS), not the runtime's bootstrap, not the records (the database file does not exist inside). After
 * the attempts the victim still runs its own code, its record is as it was, and the files on the host are
 * unchanged.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  deploy,
  invokeRaw,
  run,
  SHELL,
  type Started,
  startSandboxed,
  stillServes,
  suiteScope,
} from './sandbox-helpers.js';

const VICTIM = `exports.main_handler = async () => 'victim code ran';\n`;

/** Tries each write; answers `{ path: 'WRITTEN' | error code }`. */
const WRITE_EACH = `
const fs = require('fs');
const out = {};
for (const p of event.paths) {
  const w = await attempt(() => fs.writeFileSync(p, 'exports.main_handler = async () => "TAMPERED";'));
  out[p] = w.ok ? 'WRITTEN' : w.code;
}
for (const p of event.unlink) {
  const u = await attempt(() => fs.unlinkSync(p));
  out['unlink ' + p] = u.ok ? 'UNLINKED' : u.code;
}
return out;
`;

describe('sandbox: writing what is not its own', () => {
  const scope = suiteScope(after);
  let s: Started;

  before(async () => {
    s = await startSandboxed(scope);
    await deploy(scope, s.c, 'victim', { source: VICTIM });
    await deploy(scope, s.c, 'attacker');
  });

  test('another function’s code, its own code, the bootstrap and the database: refused, nothing changed', async () => {
    const first = await invokeRaw(s.c, 'victim');
    assert.equal(first.RetMsg, '"victim code ran"');
    const fnDir = join(s.dataDir, 'functions', 'default');
    const victimCode = join(fnDir, 'victim', 'code-r1', 'index.js');
    const ownCode = join(fnDir, 'attacker', 'code-r1', 'index.js');
    const db = join(s.dataDir, 'scf-local.db');
    const before = { victim: readFileSync(victimCode), own: readFileSync(ownCode), db: readFileSync(db) };

    const out = await run(s.c, 'attacker', WRITE_EACH, {
      paths: [victimCode, '../../victim/code-r1/index.js', '../victim/index.js', db, `${db}-wal`],
      unlink: [victimCode, db],
    });
    for (const [what, got] of Object.entries(out)) {
      assert.ok(['ENOENT', 'EROFS', 'EACCES'].includes(got as string), `${what}: ${got}`);
    }
    // Its own code and the runtime: there, but read-only.
    const own = await run(s.c, 'attacker', WRITE_EACH, {
      paths: ['/var/user/index.js', '/var/user/new.js', 'index.js', '/var/runtime/node/bootstrap.js'],
      unlink: ['/var/user/index.js'],
    });
    assert.deepEqual(own, {
      '/var/user/index.js': 'EROFS',
      '/var/user/new.js': 'EROFS',
      'index.js': 'EROFS',
      '/var/runtime/node/bootstrap.js': 'EROFS',
      'unlink /var/user/index.js': 'EROFS',
    });
    const chmod = await run(
      s.c,
      'attacker',
      `return attempt(() => require('fs').chmodSync('/var/user/index.js', 0o777));`,
    );
    assert.equal(chmod.code, 'EROFS');

    // Nothing changed: on the host, in the victim's next run, in its record.
    assert.deepEqual(readFileSync(victimCode), before.victim);
    assert.deepEqual(readFileSync(ownCode), before.own);
    assert.equal(readFileSync(ownCode, 'utf8'), SHELL);
    const again = await invokeRaw(s.c, 'victim');
    assert.equal(again.RetMsg, '"victim code ran"');
    const record = await s.c.GetFunctionLogs({
      FunctionName: 'victim',
      FunctionRequestId: first.FunctionRequestId,
    });
    assert.equal(record.TotalCount, 1);
    assert.equal(record.Data?.[0]?.RetCode, 0);
    assert.equal(record.Data?.[0]?.RetMsg, '"victim code ran"');
    await stillServes(scope, s.c);
  });
});
