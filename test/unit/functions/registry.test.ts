import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { zipSync } from 'fflate';
import { ScfError } from '../../../src/errors/index.js';
import { FunctionRegistry } from '../../../src/functions/registry.js';
import { tempDir } from '../../helpers/tmp.js';

const zip = (files: Record<string, string>): Uint8Array =>
  zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])));
const code = { zip: zip({ 'index.js': 'exports.main_handler = async () => "ok";' }) };

/** `field` is the parameter at fault in the operations' canonical spelling (`memorySize`). */
function rejects(fn: () => unknown, code: string, field?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ScfError, `expected ScfError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (field) assert.equal(err.field, field);
    return true;
  });
}

describe('FunctionRegistry', () => {
  test('creates with SCF defaults, extracts the code, and survives a restart', async (t) => {
    const dir = tempDir(t);
    const reg = new FunctionRegistry(dir);
    const def = reg.create({ functionName: 'hello', code });
    assert.equal(def.namespace, 'default');
    assert.equal(def.handler, 'index.main_handler');
    assert.equal(def.memorySize, 128);
    assert.equal(def.timeout, 3);
    assert.equal(def.runtime, 'Nodejs18.15');
    assert.equal(def.codeSize, code.zip.byteLength);
    assert.match(readFileSync(join(reg.codeDir(def), 'index.js'), 'utf8'), /main_handler/);

    const again = new FunctionRegistry(dir);
    assert.deepEqual(again.get('hello'), def);
    assert.deepEqual(await again.readCode(def), Buffer.from(code.zip));
  });

  test('enforces the SCF naming and limit rules with coded errors naming the field', (t) => {
    const reg = new FunctionRegistry(tempDir(t));
    for (const bad of ['a', '1abc', 'abc-', 'abc_', 'ab c', 'x'.repeat(61), 'héllo']) {
      rejects(() => reg.create({ functionName: bad, code }), 'InvalidParameterValue', 'functionName');
    }
    for (const ok of ['ab', 'a-b_c1', 'A'.repeat(60)]) reg.create({ functionName: ok, code });
    for (const memorySize of [0, 32, 100, 129, 3200, 64.5]) {
      rejects(
        () => reg.create({ functionName: 'mem', memorySize, code }),
        'InvalidParameterValue',
        'memorySize',
      );
    }
    for (const memorySize of [64, 128, 256, 3072])
      reg.create({ functionName: `mem${memorySize}`, memorySize, code });
    for (const timeout of [0, 901, 1.5]) {
      rejects(() => reg.create({ functionName: 'to', timeout, code }), 'InvalidParameterValue', 'timeout');
    }
    rejects(() => reg.create({ functionName: 'h', handler: 'nodot', code }), 'InvalidParameterValue');
    rejects(
      () => reg.create({ functionName: 'hh', handler: 'nodot', code }),
      'InvalidParameterValue',
      'handler',
    );
    for (const runtime of ['Python2.7', 'Php7', 'Nodejs20', 'python3.9']) {
      rejects(() => reg.create({ functionName: 'rt', runtime, code }), 'InvalidParameterValue', 'runtime');
    }
    for (const runtime of ['Python3.6', 'Python3.12', 'Nodejs6.10'])
      reg.create({ functionName: `rt-${runtime.replace('.', '')}`, runtime, code });
    rejects(
      () => reg.create({ functionName: 'desc', description: 'x'.repeat(1001), code }),
      'InvalidParameterValue',
      'description',
    );
    rejects(
      () => reg.create({ functionName: 'env', environment: { 'BAD-NAME': 'x' }, code }),
      'InvalidParameterValue',
      'environment',
    );
    rejects(() => reg.create({ functionName: 'ab', code }), 'FunctionInUse');
    rejects(() => reg.create({ functionName: 'zz', namespace: 'nope', code }), 'NamespaceNotFound');
    rejects(() => reg.get('missing'), 'FunctionNotFound');
    rejects(
      () => reg.create({ functionName: 'badzip', code: { zipBase64: 'bm90IGEgemlw' } }),
      'InvalidParameterValue',
      'zipFile',
    );
    assert.equal(reg.has('badzip'), false, 'a failed create leaves nothing behind');
  });

  test('refuses zip entries that escape the code folder', (t) => {
    const reg = new FunctionRegistry(tempDir(t));
    rejects(
      () => reg.create({ functionName: 'slip', code: { zip: zip({ '../../evil.js': 'x' }) } }),
      'InvalidParameterValue',
    );
    assert.equal(reg.has('slip'), false);
  });

  test('updates code and configuration, bumping the revision and notifying', (t) => {
    const changes: string[] = [];
    const reg = new FunctionRegistry(tempDir(t), { onChange: (ns, n) => changes.push(`${ns}/${n}`) });
    const v1 = reg.create({ functionName: 'fn', code, environment: { A: '1' } });
    const v2 = reg.updateCode({
      functionName: 'fn',
      code: { zip: zip({ 'index.js': 'exports.main_handler = () => 2;' }) },
    });
    assert.equal(v2.revision, v1.revision + 1);
    assert.match(readFileSync(join(reg.codeDir(v2), 'index.js'), 'utf8'), /=> 2/);
    const v3 = reg.updateConfiguration({
      functionName: 'fn',
      memorySize: 256,
      timeout: 10,
      environment: { B: '2' },
    });
    assert.equal(v3.memorySize, 256);
    assert.equal(v3.timeout, 10);
    assert.deepEqual(v3.environment, { B: '2' });
    assert.equal(v3.handler, v1.handler);
    assert.match(
      readFileSync(join(reg.codeDir(v3), 'index.js'), 'utf8'),
      /=> 2/,
      'code carried to the new revision',
    );
    assert.deepEqual(changes, ['default/fn', 'default/fn']);
    rejects(() => reg.updateConfiguration({ functionName: 'fn', memorySize: 100 }), 'InvalidParameterValue');
    assert.equal(reg.get('fn').memorySize, 256, 'a rejected update changes nothing');
  });

  test("a held revision's code stays until its last release; superseded unheld ones go at once", async (t) => {
    const reg = new FunctionRegistry(tempDir(t));
    const version = (v: number) => ({ zip: zip({ 'index.js': `exports.main_handler = () => ${v};` }) });
    const v1 = reg.create({ functionName: 'fn', code: version(1) });
    const held = reg.holdCode(reg.get('fn'));
    const again = reg.holdCode(reg.get('fn'));
    assert.equal(held.codeDir, reg.codeDir(v1));
    const v2 = reg.updateCode({ functionName: 'fn', code: version(2) });
    const v3 = await reg.updateCodeAsync({ functionName: 'fn', code: version(3) });
    assert.ok(existsSync(join(reg.codeDir(v1), 'index.js')), 'held: kept, two revisions on');
    assert.equal(existsSync(reg.codeDir(v2)), false, 'superseded and never held: removed');
    held.release();
    held.release(); // idempotent: the other hold still counts
    assert.match(readFileSync(join(reg.codeDir(v1), 'index.js'), 'utf8'), /=> 1/, 'one hold left');
    again.release();
    assert.equal(existsSync(reg.codeDir(v1)), false, 'the last release of a superseded revision removes it');

    // Releasing a hold on the current revision leaves it in place.
    const current = reg.holdCode(reg.get('fn'));
    current.release();
    assert.match(readFileSync(join(reg.codeDir(v3), 'index.js'), 'utf8'), /=> 3/);
    // A configuration change is a revision too: the code moves to it and the old folder goes.
    const v4 = await reg.updateConfigurationAsync({ functionName: 'fn', timeout: 9 });
    assert.equal(existsSync(reg.codeDir(v3)), false);
    assert.match(readFileSync(join(reg.codeDir(v4), 'index.js'), 'utf8'), /=> 3/);
  });

  test('deploys a directory, lists with search/order/paging, deletes', (t) => {
    const dir = tempDir(t);
    const src = join(dir, 'src');
    mkdirSync(join(src, 'lib'), { recursive: true });
    writeFileSync(join(src, 'index.js'), 'exports.main_handler = () => require("./lib/x").x;');
    writeFileSync(join(src, 'lib', 'x.js'), 'exports.x = 42;');
    let clock = 1000;
    const reg = new FunctionRegistry(join(dir, 'data'), { now: () => clock++ });
    const def = reg.create({ functionName: 'dirfn', code: { directory: src } });
    assert.ok(existsSync(join(reg.codeDir(def), 'lib', 'x.js')));
    reg.create({ functionName: 'alpha', code });
    reg.create({ functionName: 'beta', code });
    assert.deepEqual(
      reg.list({ order: 'ASC', orderBy: 'FunctionName' }).functions.map((f) => f.functionName),
      ['alpha', 'beta', 'dirfn'],
    );
    assert.deepEqual(
      reg.list({}).functions.map((f) => f.functionName),
      ['beta', 'alpha', 'dirfn'],
      'newest first by default',
    );
    assert.deepEqual(
      reg.list({ searchKey: 'ALP' }).functions.map((f) => f.functionName),
      ['alpha'],
    );
    const page = reg.list({ order: 'ASC', orderBy: 'FunctionName', offset: 1, limit: 1 });
    assert.equal(page.total, 3);
    assert.deepEqual(
      page.functions.map((f) => f.functionName),
      ['beta'],
    );
    reg.delete('alpha');
    assert.equal(reg.has('alpha'), false);
    assert.equal(new FunctionRegistry(join(dir, 'data')).has('alpha'), false);
  });

  test('namespaces: create, list, refuse deleting a non-empty one, delete', (t) => {
    const reg = new FunctionRegistry(tempDir(t));
    reg.createNamespace('team-a', 'the A team');
    rejects(() => reg.createNamespace('team-a'), 'NamespaceInUse');
    reg.create({ functionName: 'fn', namespace: 'team-a', code });
    assert.deepEqual(
      reg.listNamespaces().map((n) => n.name),
      ['default', 'team-a'],
    );
    rejects(() => reg.deleteNamespace('team-a'), 'NamespaceInUse');
    rejects(() => reg.deleteNamespace('default'), 'UnsupportedOperation');
    reg.delete('fn', 'team-a');
    reg.deleteNamespace('team-a');
    assert.deepEqual(
      reg.listNamespaces().map((n) => n.name),
      ['default'],
    );
  });
});
