/**
 * The function catalog conformance suite: the registry's contract, through the API's (async) methods, as
 * every catalog backend must keep it (files and PostgreSQL). A backend's `catalog-*.test.ts` calls
 * `catalogConformance(name, subject)`. "Survives a restart" means: a new registry opened on the same
 * storage sees the same thing. Expected errors are written here from the contract (code, field, words),
 * so both backends are held to the same ones.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { zipSync } from 'fflate';
import { ScfError } from '../../src/errors/index.js';
import type { FunctionRegistry, FunctionRegistryOptions } from '../../src/functions/registry.js';

export interface CatalogSubject {
  /**
   * Makes a new, empty storage location and returns a function that opens a registry on it; called
   * again, it opens another one on the same storage (a restart). The subject closes every registry it
   * opened, and removes the location, when `t` ends.
   */
  fresh(t: TestContext): Promise<(options?: FunctionRegistryOptions) => Promise<FunctionRegistry>>;
}

const zip = (files: Record<string, string>): Uint8Array =>
  zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])));
/** The package of version `v` (made once: a zip made again carries another time). */
const versions = new Map<number, { zip: Uint8Array }>();
const version = (v: number): { zip: Uint8Array } => {
  const known = versions.get(v) ?? { zip: zip({ 'index.js': `exports.main_handler = () => ${v};` }) };
  versions.set(v, known);
  return known;
};
const code = version(1);

/** The coded error `p` rejects with; `field` and `message` checked when given. */
async function rejects(
  p: Promise<unknown>,
  expected: { code: string; field?: string; message?: string },
): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof ScfError, `expected ScfError, got ${String(err)}`);
    assert.equal(err.code, expected.code, err.message);
    if (expected.field !== undefined) assert.equal(err.field, expected.field);
    if (expected.message !== undefined) assert.equal(err.message, expected.message);
    return true;
  });
}

export function catalogConformance(name: string, subject: CatalogSubject): void {
  describe(`function catalog conformance: ${name}`, () => {
    it('keeps type, triggers and async settings across a restart', async (t) => {
      const open = await subject.fresh(t);
      const reg = await open();
      const created = await reg.createAsync({ functionName: 'web', code, type: 'HTTP' });
      assert.equal(created.type, 'HTTP');
      assert.deepEqual(created.triggers, []);
      assert.deepEqual(created.asyncConfig, { retryNum: 2, msgTtl: 21600 });
      const trigger = {
        triggerName: 'tick',
        type: 'timer' as const,
        triggerDesc: '*/2 * * * * * *',
        qualifier: '$LATEST',
        enable: true,
        customArgument: 'hi',
        description: '',
        addTime: 1,
        modTime: 2,
      };
      const changed = await reg.updateSettingsAsync({ functionName: 'web' }, () => ({
        triggers: [trigger],
        asyncConfig: { retryNum: 0, msgTtl: 60 },
      }));
      assert.ok(changed.revision > created.revision);
      const again = await open();
      const def = again.get('web');
      assert.equal(def.type, 'HTTP');
      assert.deepEqual(def.triggers, [trigger]);
      assert.deepEqual(def.asyncConfig, { retryNum: 0, msgTtl: 60 });
      // A refused change stores nothing.
      await rejects(
        again.updateSettingsAsync({ functionName: 'web' }, () => {
          throw new ScfError('TriggerInUse', 'taken');
        }),
        { code: 'TriggerInUse' },
      );
      assert.deepEqual((await open()).get('web').triggers, [trigger]);
      await rejects(again.createAsync({ functionName: 'odd', code, type: 'Lambda' as 'HTTP' }), {
        code: 'InvalidParameterValue',
        field: 'type',
      });
    });

    it('creates with SCF defaults, extracts the code, and survives a restart', async (t) => {
      const open = await subject.fresh(t);
      const reg = await open();
      const def = await reg.createAsync({ functionName: 'hello', code });
      assert.equal(def.namespace, 'default');
      assert.equal(def.handler, 'index.main_handler');
      assert.equal(def.memorySize, 128);
      assert.equal(def.timeout, 3);
      assert.equal(def.runtime, 'Nodejs18.15');
      assert.equal(def.description, '');
      assert.deepEqual(def.environment, {});
      assert.equal(def.codeSize, code.zip.byteLength);
      assert.deepEqual(reg.get('hello'), def);
      assert.match(readFileSync(join(reg.codeDir(def), 'index.js'), 'utf8'), /=> 1/);

      const again = await open();
      assert.deepEqual(again.get('hello'), def);
      assert.deepEqual(Buffer.from((await again.readCode(def)) ?? []), Buffer.from(code.zip));
      assert.match(readFileSync(join(again.codeDir(def), 'index.js'), 'utf8'), /=> 1/);
      const { def: shown, zip: shownZip } = await again.getWithCode('hello');
      assert.deepEqual(shown, def);
      assert.deepEqual(Buffer.from(shownZip), Buffer.from(code.zip));
      assert.deepEqual(
        again.listNamespaces().map((n) => n.name),
        ['default'],
      );
    });

    it('refuses what SCF refuses, with the same codes, fields and words', async (t) => {
      const open = await subject.fresh(t);
      const reg = await open();
      for (const bad of ['a', '1abc', 'abc-', 'ab c', 'x'.repeat(61)]) {
        await rejects(reg.createAsync({ functionName: bad, code }), {
          code: 'InvalidParameterValue',
          field: 'functionName',
        });
      }
      await rejects(reg.createAsync({ functionName: 'mem', memorySize: 100, code }), {
        code: 'InvalidParameterValue',
        field: 'memorySize',
      });
      await rejects(reg.createAsync({ functionName: 'to', timeout: 901, code }), {
        code: 'InvalidParameterValue',
        field: 'timeout',
      });
      await rejects(reg.createAsync({ functionName: 'rt', runtime: 'Python2.7', code }), {
        code: 'InvalidParameterValue',
        field: 'runtime',
      });
      await rejects(reg.createAsync({ functionName: 'zz', namespace: 'nope', code }), {
        code: 'NamespaceNotFound',
        message: 'namespace nope does not exist',
      });
      await rejects(reg.createAsync({ functionName: 'badzip', code: { zipBase64: 'bm90IGEgemlw' } }), {
        code: 'InvalidParameterValue',
        field: 'zipFile',
      });
      await rejects(reg.createAsync({ functionName: 'slip', code: { zip: zip({ '../../evil.js': 'x' }) } }), {
        code: 'InvalidParameterValue',
        field: 'zipFile',
      });
      assert.equal(reg.has('badzip'), false, 'a refused package leaves nothing behind');
      assert.equal(reg.has('slip'), false);

      await reg.createAsync({ functionName: 'taken', code });
      await rejects(reg.createAsync({ functionName: 'taken', code }), {
        code: 'FunctionInUse',
        message: 'function taken already exists in namespace default',
      });
      await rejects(reg.updateCodeAsync({ functionName: 'missing', code }), {
        code: 'FunctionNotFound',
        message: 'function not found: [missing] in namespace [default]',
      });
      await rejects(reg.updateConfigurationAsync({ functionName: 'missing', timeout: 5 }), {
        code: 'FunctionNotFound',
      });
      await rejects(reg.deleteAsync('missing'), {
        code: 'FunctionNotFound',
        message: 'function not found: [missing] in namespace [default]',
      });
      await rejects(reg.updateConfigurationAsync({ functionName: 'taken', memorySize: 100 }), {
        code: 'InvalidParameterValue',
        field: 'memorySize',
      });
      await rejects(reg.updateCodeAsync({ functionName: 'taken', handler: 'nodot', code }), {
        code: 'InvalidParameterValue',
        field: 'handler',
      });
      await rejects(reg.updateCodeAsync({ functionName: 'taken', code: { zipBase64: 'bm90IGEgemlw' } }), {
        code: 'InvalidParameterValue',
        field: 'zipFile',
      });
      const taken = reg.get('taken');
      assert.equal(taken.memorySize, 128, 'a refused update changes nothing');
      assert.match(readFileSync(join(reg.codeDir(taken), 'index.js'), 'utf8'), /=> 1/);

      const again = await open();
      assert.deepEqual(again.get('taken'), taken);
      assert.equal(again.has('badzip'), false);
    });

    it('updates code and configuration: a new revision each time, onChange, the code carried over', async (t) => {
      const open = await subject.fresh(t);
      const changes: string[] = [];
      const reg = await open({ onChange: (ns, n) => changes.push(`${ns}/${n}`) });
      const v1 = await reg.createAsync({ functionName: 'fn', code, environment: { A: '1' } });
      const v2 = await reg.updateCodeAsync({ functionName: 'fn', code: version(2), handler: 'index.other' });
      assert.ok(v2.revision > v1.revision, `${v2.revision} > ${v1.revision}`);
      assert.equal(v2.handler, 'index.other');
      assert.equal(v2.codeSha256 !== v1.codeSha256, true);
      assert.match(readFileSync(join(reg.codeDir(v2), 'index.js'), 'utf8'), /=> 2/);
      const v3 = await reg.updateConfigurationAsync({
        functionName: 'fn',
        memorySize: 256,
        timeout: 10,
        description: 'third',
        environment: { B: '2', A: '3' },
      });
      assert.ok(v3.revision > v2.revision);
      assert.equal(v3.memorySize, 256);
      assert.equal(v3.timeout, 10);
      assert.equal(v3.description, 'third');
      assert.deepEqual(v3.environment, { B: '2', A: '3' });
      assert.deepEqual(Object.keys(v3.environment), ['B', 'A'], 'the order given is kept');
      assert.equal(v3.handler, 'index.other');
      assert.equal(v3.codeSha256, v2.codeSha256);
      assert.equal(v3.addTime, v1.addTime);
      assert.match(readFileSync(join(reg.codeDir(v3), 'index.js'), 'utf8'), /=> 2/, 'code carried over');
      assert.equal(existsSync(reg.codeDir(v2)), false, 'a superseded revision nobody holds is removed');
      assert.deepEqual(changes, ['default/fn', 'default/fn'], 'onChange on each update, not on create');

      const again = await open();
      assert.deepEqual(again.get('fn'), v3);
      assert.deepEqual(Object.keys(again.get('fn').environment), ['B', 'A']);
      assert.match(readFileSync(join(again.codeDir(v3), 'index.js'), 'utf8'), /=> 2/);
      assert.deepEqual(Buffer.from((await again.readCode(v3)) ?? []), Buffer.from(version(2).zip));
    });

    it("a held revision's code stays until its last release", async (t) => {
      const reg = await (await subject.fresh(t))();
      const v1 = await reg.createAsync({ functionName: 'fn', code });
      const held = reg.holdCode(reg.get('fn'));
      const v2 = await reg.updateCodeAsync({ functionName: 'fn', code: version(2) });
      const v3 = await reg.updateCodeAsync({ functionName: 'fn', code: version(3) });
      assert.match(readFileSync(join(held.codeDir, 'index.js'), 'utf8'), /=> 1/, 'held: kept');
      assert.equal(existsSync(reg.codeDir(v2)), false, 'superseded and never held: removed');
      held.release();
      held.release();
      assert.equal(
        existsSync(reg.codeDir(v1)),
        false,
        'the last release of a superseded revision removes it',
      );
      assert.match(readFileSync(join(reg.codeDir(v3), 'index.js'), 'utf8'), /=> 3/);
    });

    it('lists with search, order and paging; deletes, and a delete survives a restart', async (t) => {
      const open = await subject.fresh(t);
      let clock = 1000;
      const reg = await open({ now: () => clock++ });
      for (const functionName of ['alpha', 'beta', 'gamma']) {
        await reg.createAsync({ functionName, code, description: `the ${functionName}` });
      }
      assert.deepEqual(
        reg.list({ order: 'ASC', orderBy: 'FunctionName' }).functions.map((f) => f.functionName),
        ['alpha', 'beta', 'gamma'],
      );
      assert.deepEqual(
        reg.list({}).functions.map((f) => f.functionName),
        ['gamma', 'beta', 'alpha'],
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
      const changes: string[] = [];
      const watched = await open({ onChange: (ns, n) => changes.push(`${ns}/${n}`) });
      await watched.deleteAsync('alpha');
      assert.equal(watched.has('alpha'), false);
      assert.deepEqual(changes, ['default/alpha']);
      const again = await open();
      assert.equal(again.has('alpha'), false);
      assert.deepEqual(
        again.list({ order: 'ASC', orderBy: 'FunctionName' }).functions.map((f) => f.functionName),
        ['beta', 'gamma'],
      );
      // The name is free again.
      const reborn = await again.createAsync({ functionName: 'alpha', code: version(9) });
      assert.match(readFileSync(join(again.codeDir(reborn), 'index.js'), 'utf8'), /=> 9/);
    });

    it("a namespace deleted while a create's code is being extracted: the create is refused, nothing left", async (t) => {
      const open = await subject.fresh(t);
      const reg = await open();
      await reg.createNamespaceAsync('brief');
      const creating = reg.createAsync({ functionName: 'fn', namespace: 'brief', code });
      // Queued behind nothing: it runs while the create's package is in the extraction worker.
      await reg.deleteNamespaceAsync('brief');
      await rejects(creating, { code: 'NamespaceNotFound', message: 'namespace brief does not exist' });
      assert.equal(reg.has('fn', 'brief'), false);
      const again = await open();
      assert.equal(again.getNamespace('brief'), undefined);
      assert.equal(again.has('fn', 'brief'), false);
    });

    it('namespaces: create, list, refuse deleting a non-empty one or the default, delete; survive a restart', async (t) => {
      const open = await subject.fresh(t);
      const reg = await open();
      const ns = await reg.createNamespaceAsync('team-a', 'the A team');
      assert.equal(ns.name, 'team-a');
      assert.equal(ns.description, 'the A team');
      await rejects(reg.createNamespaceAsync('team-a'), {
        code: 'NamespaceInUse',
        message: 'namespace team-a already exists',
      });
      await rejects(reg.createNamespaceAsync('bad ns'), {
        code: 'InvalidParameterValue',
        field: 'namespace',
      });
      await reg.createAsync({ functionName: 'fn', namespace: 'team-a', code });
      assert.deepEqual(
        reg.listNamespaces().map((n) => n.name),
        ['default', 'team-a'],
      );
      await rejects(reg.deleteNamespaceAsync('team-a'), {
        code: 'NamespaceInUse',
        message: 'namespace team-a still holds functions; delete them first',
      });
      await rejects(reg.deleteNamespaceAsync('default'), { code: 'UnsupportedOperation' });
      await rejects(reg.deleteNamespaceAsync('nope'), {
        code: 'NamespaceNotFound',
        message: 'namespace nope does not exist',
      });

      const again = await open();
      assert.deepEqual(again.getNamespace('team-a'), ns);
      assert.deepEqual(again.get('fn', 'team-a').namespace, 'team-a');
      await again.deleteAsync('fn', 'team-a');
      await again.deleteNamespaceAsync('team-a');
      assert.deepEqual(
        again.listNamespaces().map((n) => n.name),
        ['default'],
      );
      assert.deepEqual(
        (await open()).listNamespaces().map((n) => n.name),
        ['default'],
      );
    });
  });
}
