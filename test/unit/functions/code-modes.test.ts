/**
 * Unix permissions through a code package: what `deploy` and `zipDirectory` zip keeps its `x` bits once
 * extracted (a Custom Runtime's `scf_bootstrap`, a binary it starts), and a top-level `scf_bootstrap` from
 * a zip without permissions (made on Windows) is made executable anyway.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { zipSync } from 'fflate';
import { listPackage, zipPackage } from '../../../src/cli/pack.js';
import { executableEntries, extractZip, zipDirectory } from '../../../src/functions/code.js';
import { tempDir } from '../../helpers/tmp.js';

const modeOf = (p: string) => statSync(p).mode & 0o777;

function folder(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'scf_bootstrap'), '#!/bin/sh\n');
  writeFileSync(join(dir, 'bin', 'tool'), '#!/bin/sh\n');
  writeFileSync(join(dir, 'data.txt'), 'plain\n');
  chmodSync(join(dir, 'scf_bootstrap'), 0o755);
  chmodSync(join(dir, 'bin', 'tool'), 0o750);
  return dir;
}

test('executable files keep their x bits through zipDirectory and the CLI packager', (t) => {
  const dir = folder(t);
  for (const zip of [zipDirectory(dir), new Uint8Array(zipPackage(listPackage(dir)))]) {
    assert.deepEqual(executableEntries(zip).sort(), ['bin/tool', 'scf_bootstrap']);
    const out = join(tempDir(t), 'code');
    extractZip(zip, out);
    assert.equal(modeOf(join(out, 'scf_bootstrap')), 0o755);
    assert.equal(modeOf(join(out, 'bin', 'tool')), 0o755);
    assert.equal(modeOf(join(out, 'data.txt')) & 0o111, 0, 'a plain file stays plain');
  }
});

test('a zip without permissions: scf_bootstrap at the top is made executable, nothing else', (t) => {
  const zip = zipSync({
    scf_bootstrap: new TextEncoder().encode('#!/bin/sh\n'),
    'sub/scf_bootstrap': new TextEncoder().encode('#!/bin/sh\n'),
    'run.sh': new TextEncoder().encode('#!/bin/sh\n'),
  });
  assert.deepEqual(executableEntries(zip), []);
  const out = join(tempDir(t), 'code');
  extractZip(zip, out);
  assert.equal(modeOf(join(out, 'scf_bootstrap')), 0o755);
  assert.equal(modeOf(join(out, 'sub', 'scf_bootstrap')) & 0o111, 0);
  assert.equal(modeOf(join(out, 'run.sh')) & 0o111, 0);
});
