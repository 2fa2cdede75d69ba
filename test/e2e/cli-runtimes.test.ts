/**
 * The CLI with Python and Custom Runtime folders, as a newcomer runs them: `deploy` of a folder holding
 * `index.py` makes a Python3.9 function, of one holding only an executable `scf_bootstrap` a CustomRuntime
 * one, each saying what runs it; `invoke` runs them and shows their logs.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { createPlatform } from '../../src/platform.js';
import { cli, repo } from '../helpers/cli-shell.js';
import { tempDir } from '../helpers/tmp.js';

test('deploy and invoke examples/hello-python and examples/hello-custom', async (t) => {
  const dataDir = tempDir(t, 'scf-local-cli-runtimes-');
  const platform = await createPlatform({ config: { port: 0, log: { level: 'warn' }, dataDir }, env: {} });
  t.after(() => platform.close());
  const { url } = await platform.listen();
  const base = ['--endpoint', url, '--data-dir', dataDir];

  const python = execFileSync('/usr/bin/python3', ['-c', 'import sys; print(sys.version.split()[0])'], {
    encoding: 'utf8',
  }).trim();
  const py = await cli([...base, 'deploy', `${repo}examples/hello-python`]);
  assert.equal(py.code, 0, py.stderr);
  const runsOn = python.startsWith('3.9.') ? '' : ` \\(runs on Python ${python.replaceAll('.', '\\.')}\\)`;
  assert.match(
    py.stdout,
    new RegExp(`^created hello-python .*index\\.main_handler, Python3\\.9${runsOn}, 128 MB`),
  );
  const pyRun = await cli([...base, 'invoke', 'hello-python', '--data', '{"name":"py"}', '--log']);
  assert.equal(pyRun.code, 0, pyRun.stderr);
  assert.equal((JSON.parse(pyRun.stdout) as { message: string }).message, 'hello py');
  assert.match(pyRun.stderr, /\ncold start at \d{4}-/);
  assert.match(pyRun.stderr, /\[INFO\]\t\S+\t[0-9a-f-]{36}\trequest [0-9a-f-]{36}\n/);

  if (!existsSync('/usr/bin/curl')) {
    t.diagnostic('curl is not installed: the bash Custom Runtime example is not run');
    return;
  }
  const custom = await cli([...base, 'deploy', `${repo}examples/hello-custom`]);
  assert.equal(custom.code, 0, custom.stderr);
  assert.match(custom.stdout, /^created hello-custom .*index\.main_handler, CustomRuntime, 128 MB/);
  const customRun = await cli([...base, 'invoke', 'hello-custom', '--data', '{"n":1}', '--log']);
  assert.equal(customRun.code, 0, customRun.stderr);
  assert.deepEqual(JSON.parse(customRun.stdout), { message: 'hello from bash', event: { n: 1 } });
  assert.match(customRun.stderr, /bootstrap ready \(handler index\.main_handler\)\ngot event: \{"n":1\}\n/);
});
