/** `log.level`: its default, its environment variable, and a refused value naming the key. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/index.js';
import { ScfError } from '../../../src/errors/index.js';

test('log.level is info by default, SCF_LOCAL_LOG_LEVEL sets it, flags win over it', () => {
  assert.equal(loadConfig({ env: {} }).log.level, 'info');
  assert.equal(loadConfig({ env: { SCF_LOCAL_LOG_LEVEL: 'debug' } }).log.level, 'debug');
  assert.equal(
    loadConfig({ env: { SCF_LOCAL_LOG_LEVEL: 'debug' }, overrides: { log: { level: 'silent' } } }).log.level,
    'silent',
  );
});

test('an unknown log level is refused with a message naming log.level', () => {
  assert.throws(
    () => loadConfig({ env: { SCF_LOCAL_LOG_LEVEL: 'verbose' } }),
    (err: unknown) =>
      err instanceof ScfError && err.code === 'InvalidParameter' && /log\.level/.test(err.message),
  );
});
