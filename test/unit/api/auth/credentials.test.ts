import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';
import {
  credentialsPath,
  ReplayGuard,
  readGeneratedCredential,
  setupCredentials,
} from '../../../../src/api/auth/index.js';
import { ScfError } from '../../../../src/errors/index.js';
import { tempDir } from '../../../helpers/tmp.js';

test('with no credentials configured, a pair is generated once, owner-only, and reused', (t) => {
  const dir = tempDir(t);
  const first = setupCredentials([], dir);
  assert.equal(first.generatedAt, credentialsPath(dir));
  assert.equal(statSync(credentialsPath(dir)).mode & 0o777, 0o600);
  const pair = first.store.first();
  assert.ok(pair);
  assert.match(pair.secretId, /^AKID[A-Za-z0-9]{32}$/);
  assert.equal(pair.secretKey.length, 32);
  const again = setupCredentials([], dir);
  assert.equal(again.generatedAt, undefined, 'not generated twice');
  assert.deepEqual(again.store.first(), pair);
  assert.deepEqual(readGeneratedCredential(dir), pair);
});

test('configured credentials win and nothing is written', (t) => {
  const dir = tempDir(t);
  const { store, generatedAt } = setupCredentials([{ secretId: 'AKIDa', secretKey: 'ka' }], dir);
  assert.equal(generatedAt, undefined);
  assert.equal(store.secretKey('AKIDa'), 'ka');
  assert.equal(store.secretKey('AKIDother'), undefined);
  assert.equal(readGeneratedCredential(dir), undefined);
});

test('replay guard: 300 s skew either way, and a nonce is single-use within the window', () => {
  let now = 1_700_000_000_000;
  const g = new ReplayGuard({ maxSkewSeconds: 300, now: () => now });
  g.checkTimestamp(now / 1000 - 300);
  g.checkTimestamp(now / 1000 + 300);
  for (const ts of [now / 1000 - 301, now / 1000 + 301, Number.NaN]) {
    assert.throws(
      () => g.checkTimestamp(ts),
      (e: unknown) => e instanceof ScfError && e.code === 'SignatureExpire',
    );
  }
  g.useNonce('AKIDa', '1');
  g.useNonce('AKIDb', '1');
  assert.throws(
    () => g.useNonce('AKIDa', '1'),
    (e: unknown) => e instanceof ScfError && e.code === 'NonceReused',
  );
  now += 601_000; // past twice the window: forgotten, and a request that old fails the timestamp check anyway
  g.useNonce('AKIDa', '1');
});
