/**
 * Versions and aliases in the registry (file catalog): a published version keeps its code and
 * configuration whatever `$LATEST` becomes, across a restart; its package and extracted code stay while it
 * exists and go with it; an alias routes by weight; the rules refuse what SCF refuses.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { zipSync } from 'fflate';
import { ScfError } from '../../../src/errors/index.js';
import { sha256Hex } from '../../../src/functions/code.js';
import { FunctionRegistry } from '../../../src/functions/registry.js';
import type { AliasDefinition } from '../../../src/functions/types.js';
import { pickVersion, versionsNamed } from '../../../src/functions/versions.js';
import { tempDir } from '../../helpers/tmp.js';

const codeOf = (v: number) => ({
  zip: zipSync({ 'index.js': Buffer.from(`exports.main_handler = () => ${v};`) }),
});

async function rejects(p: Promise<unknown>, code: string): Promise<ScfError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ScfError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}

describe('versions in the registry', () => {
  test('a version keeps its code and configuration while $LATEST changes, across a restart', async (t) => {
    const dir = tempDir(t);
    const reg = new FunctionRegistry(dir);
    reg.create({ functionName: 'fn', timeout: 5, code: codeOf(1) });
    const v1 = await reg.publishVersionAsync({ functionName: 'fn' }, 'one');
    assert.deepEqual([v1.version, v1.description, v1.function.timeout], ['1', 'one', 5]);
    await reg.updateCodeAsync({ functionName: 'fn', code: codeOf(2) });
    await reg.updateConfigurationAsync({ functionName: 'fn', timeout: 9, environment: { A: 'x' } });

    const run1 = reg.resolve('fn', undefined, '1');
    assert.equal(run1.version, '1');
    assert.deepEqual([run1.def.timeout, run1.def.environment], [5, {}]);
    assert.match(readFileSync(join(reg.codeDir(run1.def), 'index.js'), 'utf8'), /=> 1/);
    const latest = reg.resolve('fn', undefined, undefined);
    assert.deepEqual([latest.version, latest.def.timeout], ['$LATEST', 9]);
    assert.match(readFileSync(join(reg.codeDir(latest.def), 'index.js'), 'utf8'), /=> 2/);

    // The package of version 1 is kept apart from $LATEST's, and found again after a restart.
    const again = new FunctionRegistry(dir);
    const back = again.resolve('fn', undefined, '1').def;
    assert.deepEqual(await again.readCode(back), Buffer.from(codeOf(1).zip));
    assert.match(readFileSync(join(again.codeDir(back), 'index.js'), 'utf8'), /=> 1/);
    // Numbers are never reused.
    await again.deleteVersionAsync({ functionName: 'fn' }, '1');
    assert.equal((await again.publishVersionAsync({ functionName: 'fn' })).version, '2');
  });

  test('deleting a version removes its package and extracted code, and only its own', async (t) => {
    const dir = tempDir(t);
    const reg = new FunctionRegistry(dir);
    reg.create({ functionName: 'fn', code: codeOf(1) });
    const v1 = await reg.publishVersionAsync({ functionName: 'fn' });
    await reg.updateCodeAsync({ functionName: 'fn', code: codeOf(2) });
    const v2 = await reg.publishVersionAsync({ functionName: 'fn' });
    const fnDir = join(dir, 'functions', 'default', 'fn');
    const packages = () =>
      readdirSync(fnDir)
        .filter((f) => f.endsWith('.zip'))
        .sort();
    const sha1 = sha256Hex(codeOf(1).zip);
    const sha2 = sha256Hex(codeOf(2).zip);
    assert.deepEqual(packages(), ['code.zip', `code-${sha1}.zip`, `code-${sha2}.zip`].sort());
    const dir1 = reg.codeDir(reg.resolve('fn', undefined, '1').def);
    const dir2 = reg.codeDir(reg.resolve('fn', undefined, '2').def);
    assert.notEqual(dir1, dir2);
    await reg.deleteVersionAsync({ functionName: 'fn' }, v1.version);
    assert.deepEqual(packages(), ['code.zip', `code-${sha2}.zip`].sort());
    assert.equal(existsSync(dir1), false, "version 1's extracted code went with it");
    assert.ok(existsSync(dir2), "version 2's stays");
    await rejects(reg.deleteVersionAsync({ functionName: 'fn' }, '1'), 'VersionNotFound');
    assert.equal(reg.get('fn').versions.length, 1);
    assert.equal(v2.version, '2');
  });

  test('aliases: routing rules, the version they hold, $DEFAULT', async (t) => {
    const reg = new FunctionRegistry(tempDir(t));
    reg.create({ functionName: 'fn', code: codeOf(1) });
    await reg.publishVersionAsync({ functionName: 'fn' });
    await reg.publishVersionAsync({ functionName: 'fn' });
    const ref = { functionName: 'fn' };
    await rejects(
      reg.createAliasAsync(ref, {
        name: 'a',
        functionVersion: '1',
        additionalVersionWeights: [{ version: '1', weight: 0.5 }],
      }),
      'InvalidParameterValue',
    );
    await rejects(
      reg.createAliasAsync(ref, {
        name: 'a',
        functionVersion: '1',
        additionalVersionWeights: [
          { version: '2', weight: 0.1 },
          { version: '$LATEST', weight: 0.1 },
        ],
      }),
      'InvalidParameterValue',
    );
    for (const weight of [0, 1, -0.5, Number.NaN]) {
      await rejects(
        reg.createAliasAsync(ref, {
          name: 'a',
          functionVersion: '1',
          additionalVersionWeights: [{ version: '2', weight }],
        }),
        'InvalidParameterValue',
      );
    }
    await rejects(reg.createAliasAsync(ref, { name: 'a', functionVersion: '7' }), 'InvalidParameterValue');
    await rejects(reg.createAliasAsync(ref, { name: '$DEFAULT', functionVersion: '1' }), 'AliasInUse');
    const a = await reg.createAliasAsync(ref, {
      name: 'a',
      functionVersion: '1',
      additionalVersionWeights: [{ version: '2', weight: 0.25 }],
    });
    assert.deepEqual(a.additionalVersionWeights, [{ version: '2', weight: 0.25 }]);
    await rejects(reg.createAliasAsync(ref, { name: 'a', functionVersion: '1' }), 'AliasInUse');
    await rejects(reg.deleteVersionAsync(ref, '2'), 'VersionInUse');
    assert.deepEqual(versionsNamed(reg.get('fn'), 'a'), ['1', '2']);

    // $DEFAULT routes to $LATEST until it is updated, and is then stored like any alias.
    assert.equal(reg.resolve('fn', undefined, '$DEFAULT').version, '$LATEST');
    await reg.updateAliasAsync(ref, { name: '$DEFAULT', functionVersion: '2' });
    assert.equal(reg.resolve('fn', undefined, '$DEFAULT').version, '2');
    await rejects(reg.deleteAliasAsync(ref, '$DEFAULT'), 'UnsupportedOperation');
    await rejects(reg.deleteAliasAsync(ref, 'zz'), 'AliasNotFound');
    await reg.deleteAliasAsync(ref, 'a');
    await rejects(reg.deleteVersionAsync(ref, '2'), 'VersionInUse');
    await reg.updateAliasAsync(ref, { name: '$DEFAULT', functionVersion: '$LATEST' });
    await reg.deleteVersionAsync(ref, '2');
  });

  test('an alias sends each additional version its weight of invocations', () => {
    const alias: AliasDefinition = {
      name: 'a',
      functionVersion: '1',
      description: '',
      additionalVersionWeights: [{ version: '2', weight: 0.3 }],
      addTime: 0,
      modTime: 0,
    };
    // Evenly spread draws: exactly the weight.
    const n = 10_000;
    let two = 0;
    for (let i = 0; i < n; i++) if (pickVersion(alias, () => (i + 0.5) / n) === '2') two++;
    assert.equal(two, 3000);
    // Random draws: within a few percent.
    let random = 0;
    for (let i = 0; i < n; i++) if (pickVersion(alias) === '2') random++;
    assert.ok(Math.abs(random / n - 0.3) < 0.03, `${random / n}`);
  });
});
