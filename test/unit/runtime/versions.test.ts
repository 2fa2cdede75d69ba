/**
 * Honest versions: a `Nodejs<major>.x` function runs on the Node binary configured for its major
 * (`runtime.node.binaries`), else on the default one; whenever what runs it is not the version its runtime
 * name says, its record's START line says what did (`Runtime: Node.js v20.…`), and `Runtime.ranOn` (which
 * GetFunction and deploy show) says the same. Python labels likewise.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/tmp.js';
import { fixture, makeRuntime, request } from './helpers.js';

const CONTRACT = fileURLToPath(new URL('../../../../test/fixtures/contract/', import.meta.url));
const node = (runtime: string) =>
  fixture('contract-node', {
    runtime,
    codeDir: `${CONTRACT}node`,
    functionName: `v-${runtime.replace('.', '')}`,
  });
const python = (runtime: string) =>
  fixture('contract-python', {
    runtime,
    codeDir: `${CONTRACT}python`,
    functionName: `v-${runtime.replace('.', '')}`,
  });
const startLine = (log: string) => log.split('\n')[0];

/**
 * A stand-in "Node 16": a script that says `v16.20.2` when asked its version and otherwise runs this
 * machine's Node with a process title of its own, so a test can see which binary ran a function.
 */
function fakeNode16(t: Parameters<typeof tempDir>[0]): string {
  const root = tempDir(t);
  // Readable by the sandbox's user, as an installed Node (/opt/node16) is.
  chmodSync(root, 0o755);
  const bin = join(root, 'node16', 'bin');
  mkdirSync(bin, { recursive: true, mode: 0o755 });
  const path = join(bin, 'node');
  writeFileSync(
    path,
    `#!/bin/sh\n[ "$1" = "--version" ] && { echo v16.20.2; exit 0; }\nexec ${process.execPath} --title=node16-stand-in "$@"\n`,
  );
  chmodSync(path, 0o755);
  return path;
}

test('a Node label with no binary of its own runs on the default Node, and its START line says so', async (t) => {
  const rt = makeRuntime(t);
  const r = await rt.invoke(request(node('Nodejs16.13'), { event: '{"do":"runtime"}' }));
  assert.equal(r.retCode, 0, r.retMsg);
  assert.equal(JSON.parse(r.retMsg).version, process.version);
  assert.match(
    startLine(r.log) ?? '',
    new RegExp(`^START RequestId: \\S+ Runtime: Node\\.js ${process.version}$`),
  );
  assert.equal(rt.ranOn('Nodejs16.13'), `Node.js ${process.version}`);
  assert.equal(rt.ranOn('CustomRuntime'), undefined);
});

test('a Node label with a configured binary runs on it; when that is its version, nothing is added', async (t) => {
  const rt = makeRuntime(t, { node: { binaries: { '16': fakeNode16(t) } } });
  const on16 = await rt.invoke(request(node('Nodejs16.13'), { event: '{"do":"runtime"}' }));
  assert.equal(on16.retCode, 0, on16.retMsg);
  assert.equal(JSON.parse(on16.retMsg).title, 'node16-stand-in', 'the configured binary ran it');
  assert.match(startLine(on16.log) ?? '', /^START RequestId: \S+$/);
  assert.equal(rt.ranOn('Nodejs16.13'), undefined);
  // Another major still runs on the default binary, and says so.
  const on14 = await rt.invoke(request(node('Nodejs14.18'), { event: '{"do":"runtime"}' }));
  assert.notEqual(JSON.parse(on14.retMsg).title, 'node16-stand-in');
  assert.match(startLine(on14.log) ?? '', / Runtime: Node\.js v\d+/);
});

test('Python labels: the one of the interpreter adds nothing, any other says which Python ran it', async (t) => {
  const rt = makeRuntime(t);
  const version = execFileSync('/usr/bin/python3', ['-c', 'import sys; print(sys.version.split()[0])'], {
    encoding: 'utf8',
  }).trim();
  const own = `Python${version.split('.').slice(0, 2).join('.')}`;
  const other = own === 'Python3.9' ? 'Python3.10' : 'Python3.9';
  const same = await rt.invoke(request(python(own), { event: '{"do":"runtime"}' }));
  assert.equal(JSON.parse(same.retMsg).version, version);
  assert.match(startLine(same.log) ?? '', /^START RequestId: \S+$/);
  const differs = await rt.invoke(request(python(other), { event: '{"do":"runtime"}' }));
  assert.equal(
    startLine(differs.log),
    `START RequestId: ${differs.log.split(' ')[2]} Runtime: Python ${version}`,
  );
  assert.equal(rt.ranOn(other), `Python ${version}`);
  assert.equal(rt.ranOn(own), undefined);
});
