/**
 * Two platforms (two "nodes") on one PostgreSQL database (store.backend postgres, a schema of the test
 * server), each with its own data folder and port, driven by the real API 3.0 SDK: a function deployed
 * through one is invoked through the other right after the deploy is answered, and so on both ways; the
 * nodes accept the same generated credential.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { zipSync } from 'fflate';
import { createPlatform, type Platform } from '../../src/platform.js';
import { pgTestSchema, TEST_DATABASE_URL } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { errorCodeOf, v3Client } from '../helpers/v3client.js';

const zipOf = (answer: number): string =>
  Buffer.from(
    zipSync({ 'index.js': Buffer.from(`exports.main_handler = async () => ({ answer: ${answer} });`) }),
  ).toString('base64');

describe('two platforms on one database', () => {
  test('deploy through one node, invoke through the other', async (t) => {
    const db = pgTestSchema(t);
    const start = async (): Promise<Platform> => {
      const p = await createPlatform({
        config: {
          port: 0,
          log: { level: 'warn' },
          dataDir: tempDir(t),
          store: {
            backend: 'postgres',
            postgres: { connectionString: TEST_DATABASE_URL, schema: db.schema },
          },
        },
        env: {},
      });
      db.closeFirst(() => p.close());
      return p;
    };
    const a = await start();
    const b = await start();
    const credential = a.credentials.first();
    assert.ok(credential);
    assert.deepEqual(b.credentials.first(), credential, 'both nodes accept the one generated credential');
    const [ca, cb] = [await a.listen(), await b.listen()].map(({ port }) => v3Client(port, credential));
    assert.ok(ca && cb);

    await ca.CreateFunction({ FunctionName: 'shared', Code: { ZipFile: zipOf(1) } });
    // Each Invoke carries its own event: TC3 as the SDK signs it makes two identical calls to one node
    // in one second a replay, refused.
    const first = await cb.Invoke({ FunctionName: 'shared', ClientContext: '{"n":1}' });
    assert.equal(first.Result?.InvokeResult, 0);
    assert.equal(first.Result?.RetMsg, '{"answer":1}');
    assert.equal((await cb.GetFunction({ FunctionName: 'shared' })).FunctionName, 'shared');

    await cb.UpdateFunctionCode({ FunctionName: 'shared', ZipFile: zipOf(2) });
    assert.equal(
      (await ca.Invoke({ FunctionName: 'shared', ClientContext: '{"n":2}' })).Result?.RetMsg,
      '{"answer":2}',
    );
    assert.equal(
      (await cb.Invoke({ FunctionName: 'shared', ClientContext: '{"n":3}' })).Result?.RetMsg,
      '{"answer":2}',
    );

    await ca.UpdateFunctionConfiguration({ FunctionName: 'shared', Timeout: 9 });
    // Not the same parameters as the first GetFunction on this node (which may be in the same second).
    assert.equal((await cb.GetFunction({ FunctionName: 'shared', Qualifier: '$LATEST' })).Timeout, 9);

    // The same body as the first GetFunction (TC3 does not sign the action): made different by Namespace.
    await cb.DeleteFunction({ FunctionName: 'shared', Namespace: 'default' });
    assert.equal(
      await errorCodeOf(ca.Invoke({ FunctionName: 'shared', ClientContext: '{"n":4}' })),
      'ResourceNotFound.Function',
    );
  });
});
