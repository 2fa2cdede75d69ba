/**
 * A sandbox whose bwrap fails a namespace step while it is being built (seen here, rarely, under load:
 * `bwrap: loopback: Failed RTM_NEWADDR`) is built again, and the failed attempt leaves no trace on the
 * instance: its late exit must not make the working one look dead. Its own file: the sandbox probe (which
 * finds `bwrap` on PATH) is made once per process, and this test puts a flaky `bwrap` first on PATH.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { which } from '../../../src/runtime/sandbox/detect.js';
import { fixture, makeRuntime, request } from './helpers.js';

test('a sandbox that fails while being built is built again; the instance then serves warm', async (t) => {
  const real = which('bwrap');
  if (!real) {
    t.skip('bubblewrap is not installed here');
    return;
  }
  // bwrap runs as the sandbox user: the folder must be open to it.
  const dir = mkdtempSync(join(tmpdir(), 'scf-local-flaky-bwrap-'));
  chmodSync(dir, 0o777);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const marker = join(dir, 'failed-once');
  // The first instance start (the one with --info-fd; the probe has none) fails as bwrap does, then works.
  writeFileSync(
    join(dir, 'bwrap'),
    `#!/bin/sh
case " $* " in
  *" --info-fd "*)
    if [ ! -e ${marker} ]; then
      : > ${marker}
      echo "bwrap: loopback: Failed RTM_NEWADDR: No child processes" >&2
      exit 1
    fi ;;
esac
exec ${real} "$@"
`,
  );
  chmodSync(join(dir, 'bwrap'), 0o755);
  const path = process.env['PATH'];
  process.env['PATH'] = `${dir}:${path}`;
  t.after(() => {
    process.env['PATH'] = path;
  });

  const rt = makeRuntime(t, { sandbox: 'required', stemCells: 0 });
  assert.ok(rt.sandboxStatus().isolated, rt.sandboxStatus().reason);
  const fn = fixture('basics');
  const first = await rt.invoke(request(fn, { event: '{"name":"a"}' }));
  assert.equal(first.retCode, 0, first.retMsg);
  assert.ok(existsSync(marker), 'the first build failed (the flaky bwrap ran)');
  // Give the failed attempt's process time to be reaped: its exit must not reach the live instance.
  await new Promise((r) => setTimeout(r, 200));
  const second = await rt.invoke(request(fn, { event: '{"name":"b"}' }));
  assert.equal(second.retCode, 0, second.retMsg);
  assert.equal(second.coldStart, false, 'the same instance served again');
  const pids = [first, second].map((r) => (JSON.parse(r.retMsg) as { pid: number }).pid);
  assert.equal(pids[0], pids[1]);
});
