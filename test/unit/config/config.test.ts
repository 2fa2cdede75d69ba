/**
 * Configuration as docs/configuration.md describes it, through the public `loadConfig` (what
 * `createPlatform` and `scf-local serve` call) with real JSON files: defaults < file < environment <
 * overrides, nested keys merged rather than replaced, and every refusal a message that names the key.
 * (`scf-local serve` with its flags: test/e2e/serve-config.test.ts.)
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { loadConfig, ScfError } from '../../../src/index.js';
import { tempDir } from '../../helpers/tmp.js';

function configFile(t: TestContext, content: unknown): string {
  const path = join(tempDir(t), 'config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The coded error's message, asserting it is a user error with code InvalidParameter. */
function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ScfError, String(err));
    assert.equal(err.code, 'InvalidParameter');
    assert.equal(err.isUserError, true);
    return err.message;
  }
  assert.fail('expected the configuration to be refused');
}

describe('configuration sources', () => {
  test('the documented defaults, with no file and an empty environment', () => {
    const c = loadConfig({ env: {} });
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.port, 9000);
    assert.equal(c.dataDir, '.scf-local');
    assert.equal(c.region, 'ap-guangzhou');
    assert.equal(c.apiTimeZoneOffsetMinutes, 480);
    assert.deepEqual(c.auth.credentials, []);
    assert.equal(c.auth.maxSkewSeconds, 300);
    assert.equal(c.api.maxResponseBytes, 6 * 1024 * 1024);
    assert.equal(c.store.backend, 'sqlite');
    assert.equal(c.runtime.billingGranularityMs, 100);
    assert.equal(c.runtime.logFormat, 'scf');
    assert.equal(c.runtime.sandbox, 'auto');
  });

  test('file < environment < overrides, key by key', (t) => {
    const file = configFile(t, {
      port: 1111,
      region: 'ap-shanghai',
      apiTimeZoneOffsetMinutes: 0,
      runtime: { logFormat: 'legacy', billingGranularityMs: 7, stemCells: 0 },
    });
    const env = { SCF_LOCAL_PORT: '2222', SCF_LOCAL_BILLING_GRANULARITY_MS: '1' };
    const overrides = { port: 3333 };

    const fileOnly = loadConfig({ file, env: {} });
    assert.equal(fileOnly.port, 1111);
    assert.equal(fileOnly.runtime.billingGranularityMs, 7);

    const fileAndEnv = loadConfig({ file, env });
    assert.equal(fileAndEnv.port, 2222);
    assert.equal(fileAndEnv.runtime.billingGranularityMs, 1);

    const all = loadConfig({ file, env, overrides });
    assert.equal(all.port, 3333);
    assert.equal(all.runtime.billingGranularityMs, 1);
    // What a higher source does not set comes from the lower one, also inside a nested object.
    assert.equal(all.region, 'ap-shanghai');
    assert.equal(all.apiTimeZoneOffsetMinutes, 0);
    assert.equal(all.runtime.logFormat, 'legacy');
    assert.equal(all.runtime.stemCells, 0);
    // And defaults fill the rest of that object.
    assert.equal(all.runtime.maxInstancesPerFunction, 8);

    // Overrides beat the environment inside a nested object too, without dropping the file's siblings.
    const nested = loadConfig({ file, env, overrides: { runtime: { billingGranularityMs: 50 } } });
    assert.equal(nested.runtime.billingGranularityMs, 50);
    assert.equal(nested.runtime.logFormat, 'legacy');
    assert.equal(nested.port, 2222);
  });

  test('every documented environment variable lands on its key', () => {
    const c = loadConfig({
      env: {
        SCF_LOCAL_HOST: '0.0.0.0',
        SCF_LOCAL_PORT: '0',
        SCF_LOCAL_DATA_DIR: '/tmp/somewhere',
        SCF_LOCAL_REGION: 'ap-beijing',
        SCF_LOCAL_STORE: 'postgres',
        SCF_LOCAL_SQLITE_PATH: '/tmp/x.db',
        SCF_LOCAL_PG_URL: 'postgres://db/x',
        SCF_LOCAL_BILLING_GRANULARITY_MS: '1',
        SCF_LOCAL_LOG_FORMAT: 'legacy',
        SCF_LOCAL_SANDBOX: 'off',
        SCF_LOCAL_SECRET_ID: 'AKIDenv',
        SCF_LOCAL_SECRET_KEY: 'envkey',
      },
    });
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.port, 0);
    assert.equal(c.dataDir, '/tmp/somewhere');
    assert.equal(c.region, 'ap-beijing');
    assert.equal(c.store.backend, 'postgres');
    assert.equal(c.store.sqlite.path, '/tmp/x.db');
    assert.equal(c.store.postgres.connectionString, 'postgres://db/x');
    assert.equal(c.runtime.billingGranularityMs, 1);
    assert.equal(c.runtime.logFormat, 'legacy');
    assert.equal(c.runtime.sandbox, 'off');
    assert.deepEqual(c.auth.credentials, [{ secretId: 'AKIDenv', secretKey: 'envkey' }]);
  });

  test('the result is frozen, nested objects included', () => {
    const c = loadConfig({ env: {} });
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.runtime) && Object.isFrozen(c.auth.credentials));
    assert.throws(() => {
      (c as { port: number }).port = 1;
    }, TypeError);
  });
});

describe('configuration refused, with a message naming the key', () => {
  test('an unknown key in the file, at the top or nested', (t) => {
    assert.match(
      refusal(() => loadConfig({ file: configFile(t, { prot: 9001 }), env: {} })),
      /unknown config key prot\b/,
    );
    assert.match(
      refusal(() => loadConfig({ file: configFile(t, { runtime: { stemcells: 2 } }), env: {} })),
      /unknown config key runtime\.stemcells\b/,
    );
    assert.match(
      refusal(() =>
        loadConfig({
          file: configFile(t, { auth: { credentials: [{ secretId: 'a', secretKey: 'b', x: 1 }] } }),
          env: {},
        }),
      ),
      /auth\.credentials\.0\.x\b/,
    );
  });

  test('an unknown key in the overrides (flags, createPlatform)', () => {
    assert.match(
      refusal(() => loadConfig({ env: {}, overrides: { api: { maxBody: 1 } } as never })),
      /unknown config key api\.maxBody\b/,
    );
  });

  test('a bad value, from any source, names its key', (t) => {
    assert.match(
      refusal(() => loadConfig({ env: { SCF_LOCAL_PORT: 'eighty' } })),
      /config port:/,
    );
    assert.match(
      refusal(() => loadConfig({ env: { SCF_LOCAL_LOG_FORMAT: 'json' } })),
      /runtime\.logFormat/,
    );
    assert.match(
      refusal(() => loadConfig({ file: configFile(t, { apiTimeZoneOffsetMinutes: 1000 }), env: {} })),
      /apiTimeZoneOffsetMinutes/,
    );
    assert.match(
      refusal(() => loadConfig({ env: {}, overrides: { runtime: { sandbox: 'maybe' } } as never })),
      /runtime\.sandbox/,
    );
  });

  test('a file that cannot be read or is not a JSON object names the file', (t) => {
    const missing = join(tempDir(t), 'nope.json');
    assert.match(
      refusal(() => loadConfig({ file: missing, env: {} })),
      /cannot read config file .*nope\.json/,
    );
    for (const text of ['{ "port": ', '[1, 2]', '"port"']) {
      const file = configFile(t, text);
      assert.ok(refusal(() => loadConfig({ file, env: {} })).includes(file), text);
    }
  });
});
