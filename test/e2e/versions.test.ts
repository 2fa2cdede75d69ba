/**
 * Versions and aliases through the real SDK on a real platform (issue 16's acceptance): two published
 * versions with different code, an alias splitting 80/20 between them, 1,000 invocations through the
 * alias, and GetFunctionLogs by Qualifier returning each version's records with that version's output in
 * a split within 5 % of the weights; a version an alias routes to cannot be deleted; v2 GetFunctionLogs
 * (no qualifier) keeps its shape and returns every version's records. On SQLite (files) across a restart,
 * and on PostgreSQL with two nodes sharing the catalog.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { zipSync } from 'fflate';
import type { ConfigInput } from '../../src/config/index.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { onCleanup } from '../helpers/cleanup.js';
import { dropSchema, PG_URL, schemaName } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { freshNonce, sdkCall, sdkClient } from '../helpers/v2client.js';
import { errorCodeOf, type V3Client, v3Client } from '../helpers/v3client.js';

const CREDS = { secretId: 'AKIDtest', secretKey: 'secret' };

const zipOf = (source: string): string =>
  Buffer.from(zipSync({ 'index.js': Buffer.from(source) })).toString('base64');

/** Code that says which code it is, in its log and its result. */
const codeSaying = (name: string): string => `exports.main_handler = async (e, ctx) => {
  console.log('running ${name} as ' + ctx.function_version);
  return '${name}';
};`;

async function start(
  t: TestContext,
  config: ConfigInput,
): Promise<{ p: Platform; c: V3Client; port: number }> {
  const p = await createPlatform({ config: { port: 0, auth: { credentials: [CREDS] }, ...config }, env: {} });
  onCleanup(t, () => p.close());
  const { port } = await p.listen();
  // Signed with a nonce: TC3 refuses the same write twice in one second as a replay.
  return { p, c: v3Client(port, { mode: 'hmac-sha256' }), port };
}

/** Every record of `fn` (optionally by Qualifier), oldest first, paging through GetFunctionLogs. */
async function recordsOf(c: V3Client, fn: string, qualifier?: string) {
  const all = [];
  for (let offset = 0; ; offset += 100) {
    const r = await c.GetFunctionLogs({
      FunctionName: fn,
      Offset: offset,
      Limit: 100,
      Order: 'asc',
      OrderBy: 'start_time',
      ...(qualifier === undefined ? {} : { Qualifier: qualifier }),
    });
    all.push(...(r.Data ?? []));
    if ((r.Data ?? []).length < 100) return { total: r.TotalCount ?? 0, records: all };
  }
}

/** Deploys `fn` with code v1, publishes it, deploys code v2, publishes it. */
async function twoVersions(c: V3Client, fn: string): Promise<void> {
  await c.CreateFunction({ FunctionName: fn, Code: { ZipFile: zipOf(codeSaying('code-one')) } });
  const one = await c.PublishVersion({ FunctionName: fn, Description: 'first' });
  assert.equal(one.FunctionVersion, '1');
  assert.equal(one.Description, 'first');
  await c.UpdateFunctionCode({ FunctionName: fn, ZipFile: zipOf(codeSaying('code-two')) });
  const two = await c.PublishVersion({ FunctionName: fn });
  assert.equal(two.FunctionVersion, '2');
}

for (const backend of ['sqlite', 'postgres'] as const)
  describe(`versions and aliases (${backend})`, () => {
    const storeOf = (t: TestContext): ConfigInput['store'] => {
      if (backend === 'sqlite') return {};
      const schema = schemaName('scf_ver');
      onCleanup(t, () => dropSchema(schema));
      return { backend: 'postgres', postgres: { connectionString: PG_URL, schema } };
    };

    test('1,000 invocations through an 80/20 alias: each version runs its own code, split within 5 %', async (t) => {
      const store = storeOf(t);
      const { c, port } = await start(t, { dataDir: tempDir(t, 'scf-local-ver-'), store });
      // TC3 for the many invocations (each event differs, so no two requests are the same): the form
      // signature's random Nonce would repeat now and then over 1,000 calls and be refused as a replay.
      const tc3 = v3Client(port);
      await twoVersions(c, 'canary');
      // $LATEST moves on: the versions keep what they were published with.
      await c.UpdateFunctionCode({ FunctionName: 'canary', ZipFile: zipOf(codeSaying('code-three')) });

      const versions = await c.ListVersionByFunction({ FunctionName: 'canary' });
      assert.deepEqual(versions.FunctionVersion, ['$LATEST', '1', '2']);
      assert.equal(versions.TotalCount, 3);
      const v1 = await c.GetFunction({ FunctionName: 'canary', Qualifier: '1' });
      assert.equal(v1.Qualifier, '1');
      assert.equal(v1.FunctionVersion, '1');
      // Its own code, not $LATEST's.
      const shown = await c.GetFunction({ FunctionName: 'canary', Qualifier: '1', ShowCode: 'TRUE' });
      assert.match(shown.CodeInfo ?? '', /code-one/);
      const latestShown = await c.GetFunction({ FunctionName: 'canary', ShowCode: 'TRUE' });
      assert.match(latestShown.CodeInfo ?? '', /code-three/);

      await c.CreateAlias({
        FunctionName: 'canary',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: [{ Version: '2', Weight: 0.2 }] },
      });
      const alias = await c.GetAlias({ FunctionName: 'canary', Name: 'live' });
      assert.equal(alias.FunctionVersion, '1');
      assert.deepEqual(alias.RoutingConfig?.AdditionalVersionWeights, [{ Version: '2', Weight: 0.2 }]);

      const N = 1000;
      const results = new Map<string, number>();
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (next < N) {
            const i = next++;
            const r = await tc3.Invoke({
              FunctionName: 'canary',
              Qualifier: 'live',
              ClientContext: JSON.stringify({ i }),
            });
            const ret = JSON.parse(r.Result?.RetMsg ?? 'null') as string;
            results.set(ret, (results.get(ret) ?? 0) + 1);
          }
        }),
      );
      assert.equal((results.get('code-one') ?? 0) + (results.get('code-two') ?? 0), N);
      assert.equal(results.get('code-three'), undefined, '$LATEST never ran through the alias');

      const one = await recordsOf(c, 'canary', '1');
      const two = await recordsOf(c, 'canary', '2');
      assert.equal(one.total + two.total, N);
      // Each version's records are its own code's.
      for (const r of one.records) assert.match(r.Log ?? '', /running code-one as 1\n/);
      for (const r of two.records) assert.match(r.Log ?? '', /running code-two as 2\n/);
      assert.equal(one.total, results.get('code-one'));
      const share = two.total / N;
      t.diagnostic(`alias live 80/20 over ${N} invocations: version 1 ${one.total}, version 2 ${two.total}`);
      assert.ok(Math.abs(share - 0.2) <= 0.05, `version 2 took ${share} of the invocations, not 0.2 ± 0.05`);
      // The alias names both versions' records.
      assert.equal((await recordsOf(c, 'canary', 'live')).total, N);

      // A version an alias routes to cannot be deleted; once the alias moves off it, it can.
      assert.equal(
        await errorCodeOf(c.DeleteFunction({ FunctionName: 'canary', Qualifier: '2' })),
        'UnsupportedOperation.AliasBind',
      );
      await c.UpdateAlias({
        FunctionName: 'canary',
        Name: 'live',
        FunctionVersion: '1',
        RoutingConfig: { AdditionalVersionWeights: [] },
      });
      await c.DeleteFunction({ FunctionName: 'canary', Qualifier: '2' });
      assert.deepEqual((await c.ListVersionByFunction({ FunctionName: 'canary' })).FunctionVersion, [
        '$LATEST',
        '1',
      ]);
      assert.equal(
        await errorCodeOf(c.Invoke({ FunctionName: 'canary', Qualifier: '2', ClientContext: '{}' })),
        'ResourceNotFound.Version',
      );
      // The deleted version's records stay, and still answer to its name.
      assert.equal((await recordsOf(c, 'canary', '2')).total, two.total);
      // The function itself is still there.
      const latest = await c.Invoke({ FunctionName: 'canary', ClientContext: '{}' });
      assert.equal(latest.Result?.RetMsg, '"code-three"');

      // v2 GetFunctionLogs (no qualifier) keeps its shape and returns every version's records.
      const v2 = sdkClient(CREDS.secretId, CREDS.secretKey);
      const body = await sdkCall(
        v2,
        { Action: 'GetFunctionLogs', functionName: 'canary', limit: 10, Nonce: freshNonce() },
        { port },
      );
      assert.equal(body.code, 0, body.message);
      assert.equal(body['total'], N + 1);
      const data = body['data'] as Record<string, unknown>[];
      assert.equal(data.length, 10);
      // The seed's fields, no others (no qualifier in v2).
      assert.deepEqual(Object.keys(data[0] ?? {}).sort(), [
        'billDuration',
        'duration',
        'functionName',
        'invokeFinished',
        'log',
        'memUsage',
        'requestId',
        'retCode',
        'retMsg',
        'startTime',
      ]);
    });

    test('versions and aliases survive a restart; the next version number is never reused', async (t) => {
      const dataDir = tempDir(t, 'scf-local-ver-');
      const store = storeOf(t);
      const first = await start(t, { dataDir, store });
      await twoVersions(first.c, 'keep');
      await first.c.CreateAlias({ FunctionName: 'keep', Name: 'stable', FunctionVersion: '1' });
      await first.c.DeleteFunction({ FunctionName: 'keep', Qualifier: '2' });
      await first.p.close();

      const second = await start(t, { dataDir, store });
      const r = await second.c.Invoke({ FunctionName: 'keep', Qualifier: 'stable', ClientContext: '{}' });
      assert.equal(r.Result?.RetMsg, '"code-one"');
      const three = await second.c.PublishVersion({ FunctionName: 'keep' });
      assert.equal(three.FunctionVersion, '3', 'version 2 was deleted, its number is not reused');
      const v3 = await second.c.Invoke({ FunctionName: 'keep', Qualifier: '3', ClientContext: '{}' });
      assert.equal(v3.Result?.RetMsg, '"code-two"');
      const aliases = await second.c.ListAliases({ FunctionName: 'keep' });
      assert.deepEqual(
        aliases.Aliases?.map((a) => [a.Name, a.FunctionVersion]),
        [
          ['$DEFAULT', '$LATEST'],
          ['stable', '1'],
        ],
      );
    });

    test("a version's warm instance outlives changes of $LATEST and of the aliases", async (t) => {
      const { c } = await start(t, { dataDir: tempDir(t, 'scf-local-ver-'), store: storeOf(t) });
      // Counts the invocations its instance served: a new instance starts again at 1.
      const counting = (tag: string) => `let n = 0; exports.main_handler = async () => '${tag}' + ++n;`;
      await c.CreateFunction({ FunctionName: 'warm', Code: { ZipFile: zipOf(counting('v')) } });
      await c.PublishVersion({ FunctionName: 'warm' });
      const run = async (q: string, i: number) =>
        (await c.Invoke({ FunctionName: 'warm', Qualifier: q, ClientContext: JSON.stringify({ i }) })).Result
          ?.RetMsg;
      assert.equal(await run('1', 1), '"v1"');
      assert.equal(await run('1', 2), '"v2"');
      await c.UpdateFunctionCode({ FunctionName: 'warm', ZipFile: zipOf(counting('latest')) });
      await c.CreateAlias({ FunctionName: 'warm', Name: 'x', FunctionVersion: '1' });
      await c.UpdateFunctionConfiguration({ FunctionName: 'warm', Timeout: 7 });
      assert.equal(await run('1', 3), '"v3"', 'the same instance served version 1 throughout');
      assert.equal(await run('x', 4), '"v4"');
      assert.equal(await run('$LATEST', 5), '"latest1"');
    });

    if (backend === 'postgres')
      test('two nodes on one database: a version published on one runs on the other', async (t) => {
        const store = storeOf(t);
        const a = await start(t, { dataDir: tempDir(t, 'scf-local-ver-a-'), store });
        const b = await start(t, { dataDir: tempDir(t, 'scf-local-ver-b-'), store });
        await twoVersions(a.c, 'shared');
        await a.c.CreateAlias({ FunctionName: 'shared', Name: 'prod', FunctionVersion: '1' });
        const r1 = await b.c.Invoke({ FunctionName: 'shared', Qualifier: 'prod', ClientContext: '{}' });
        assert.equal(r1.Result?.RetMsg, '"code-one"');
        const r2 = await b.c.Invoke({ FunctionName: 'shared', Qualifier: '2', ClientContext: '{}' });
        assert.equal(r2.Result?.RetMsg, '"code-two"');
        await b.c.UpdateAlias({ FunctionName: 'shared', Name: 'prod', FunctionVersion: '2' });
        const r3 = await a.c.Invoke({ FunctionName: 'shared', Qualifier: 'prod', ClientContext: '{}' });
        assert.equal(r3.Result?.RetMsg, '"code-two"');
      });
  });

describe('versions and aliases: refusals', () => {
  test('each mistake has its code, and none changes anything', async (t) => {
    const { c } = await start(t, { dataDir: tempDir(t, 'scf-local-ver-') });
    await c.CreateFunction({ FunctionName: 'rules', Code: { ZipFile: zipOf(codeSaying('one')) } });
    await c.PublishVersion({ FunctionName: 'rules' });
    const code = (call: Promise<unknown>) => errorCodeOf(call);
    assert.equal(await code(c.PublishVersion({ FunctionName: 'nope' })), 'ResourceNotFound.Function');
    assert.equal(
      await code(c.CreateAlias({ FunctionName: 'rules', Name: 'a', FunctionVersion: '9' })),
      'ResourceNotFound.FunctionVersion',
    );
    assert.equal(
      await code(c.CreateAlias({ FunctionName: 'rules', Name: '1bad', FunctionVersion: '1' })),
      'InvalidParameterValue.Name',
    );
    assert.equal(
      await code(
        c.CreateAlias({
          FunctionName: 'rules',
          Name: 'w',
          FunctionVersion: '1',
          RoutingConfig: { AdditionalVersionWeights: [{ Version: '$LATEST', Weight: 1.5 }] },
        }),
      ),
      'InvalidParameterValue.AdditionalVersionWeights',
    );
    await c.CreateAlias({ FunctionName: 'rules', Name: 'a', FunctionVersion: '1' });
    assert.equal(
      await code(c.CreateAlias({ FunctionName: 'rules', Name: 'a', FunctionVersion: '1' })),
      'ResourceInUse.Alias',
    );
    assert.equal(await code(c.GetAlias({ FunctionName: 'rules', Name: 'zz' })), 'ResourceNotFound.Alias');
    assert.equal(await code(c.DeleteAlias({ FunctionName: 'rules', Name: 'zz' })), 'ResourceNotFound.Alias');
    assert.equal(
      await code(c.GetFunction({ FunctionName: 'rules', Qualifier: '7' })),
      'ResourceNotFound.Version',
    );
    assert.equal(
      await code(c.DeleteFunction({ FunctionName: 'rules', Qualifier: '7' })),
      'ResourceNotFound.Qualifier',
    );
    assert.equal(
      await code(c.Invoke({ FunctionName: 'rules', Qualifier: 'zz', ClientContext: '{}' })),
      'ResourceNotFound.Alias',
    );
    assert.equal(
      await code(c.DeleteFunctionVersion({ FunctionName: 'rules', Qualifier: '$LATEST' })),
      'InvalidParameterValue.Qualifier',
    );
    // Nothing above changed the function.
    assert.deepEqual((await c.ListVersionByFunction({ FunctionName: 'rules' })).FunctionVersion, [
      '$LATEST',
      '1',
    ]);
    assert.deepEqual(
      (await c.ListAliases({ FunctionName: 'rules' })).Aliases?.map((a) => a.Name),
      ['$DEFAULT', 'a'],
    );
    // $DEFAULT routes to $LATEST until changed, and cannot be deleted.
    const dflt = await c.InvokeFunction({ FunctionName: 'rules', Event: '{}' });
    assert.equal(dflt.Result?.RetMsg, '"one"');
    assert.equal(
      await code(c.DeleteAlias({ FunctionName: 'rules', Name: '$DEFAULT' })),
      'UnsupportedOperation',
    );
  });
});
