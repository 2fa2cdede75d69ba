/**
 * The console's routes on a bare Fastify (src/api/console/): its files, and the sign-in codes of
 * `scf-local console` — minted only for a signed, fresh request, valid once, for 60 s.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Fastify from 'fastify';
import { CredentialStore } from '../../../src/api/auth/credentials.js';
import { ReplayGuard } from '../../../src/api/auth/replay.js';
import { registerConsole } from '../../../src/api/console/index.js';
import type { ProtocolContext } from '../../../src/api/wire.js';
import { signTc3 } from '../../../src/cli/tc3.js';
import { tempDir } from '../../helpers/tmp.js';

const ID = 'AKIDconsole';
const KEY = 'console-secret';

async function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  let clock = Date.now();
  const app = Fastify();
  // As the server does (api/http.ts): every body kept as raw bytes.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const context = {
    // Only what authentication reads of the operations' context.
    actions: { config: { auth: { requireSignedAction: false } } },
    credentials: new CredentialStore([{ secretId: ID, secretKey: KEY }]),
    replay: new ReplayGuard({ maxSkewSeconds: 300 }),
  } as unknown as ProtocolContext;
  registerConsole(app, { context, dir, now: () => clock });
  t.after(() => app.close());
  const mint = async (options: { key?: string; nonce?: string; timestamp?: number } = {}) => {
    const body = JSON.stringify(
      options.nonce === '' ? {} : { Nonce: options.nonce ?? String(Math.random()) },
    );
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      host: 'localhost:80',
      'x-tc-action': 'CreateConsoleLogin',
    };
    const { authorization } = signTc3({
      method: 'POST',
      path: '/console/login',
      query: '',
      headers,
      body,
      timestamp,
      service: 'scf',
      secretId: ID,
      secretKey: options.key ?? KEY,
    });
    const res = await app.inject({
      method: 'POST',
      url: '/console/login',
      headers: {
        ...headers,
        authorization,
        'x-tc-timestamp': String(timestamp),
        'x-tc-version': '2018-04-16',
      },
      payload: body,
    });
    return (res.json() as { Response: { Code?: string; Error?: { Code: string } } }).Response;
  };
  const redeem = async (code: string) =>
    (
      await app.inject({
        method: 'POST',
        url: '/console/session',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ Code: code }),
      })
    ).json() as { Response: { SecretId?: string; SecretKey?: string; Error?: { Code: string } } };
  const advance = (ms: number): void => {
    clock += ms;
  };
  return { app, mint, redeem, advance };
}

test('console sign-in code: minted for a signed request, redeemed once for the key pair', async (t) => {
  const { mint, redeem } = await setup(t);
  const { Code } = await mint();
  assert.match(Code!, /^[A-Za-z0-9_-]{43}$/);
  const first = (await redeem(Code!)).Response;
  assert.equal(first.SecretId, ID);
  assert.equal(first.SecretKey, KEY);
  assert.equal((await redeem(Code!)).Response.Error?.Code, 'AuthFailure.InvalidAuthorization');
  assert.equal((await redeem('made-up')).Response.Error?.Code, 'AuthFailure.InvalidAuthorization');
});

test('console sign-in code: expires after 60 s, even unused', async (t) => {
  const { mint, redeem, advance } = await setup(t);
  const a = (await mint()).Code!;
  const b = (await mint()).Code!;
  advance(59_999);
  assert.equal((await redeem(a)).Response.SecretKey, KEY);
  advance(1);
  assert.equal((await redeem(b)).Response.Error?.Code, 'AuthFailure.InvalidAuthorization');
});

test('console sign-in code: refused without a valid signature, a nonce, or when replayed', async (t) => {
  const { app, mint } = await setup(t);
  assert.equal((await mint({ key: 'wrong' })).Error?.Code, 'AuthFailure.SignatureFailure');
  assert.equal((await mint({ nonce: '' })).Error?.Code, 'MissingParameter.Nonce');
  const timestamp = Math.floor(Date.now() / 1000);
  assert.ok((await mint({ nonce: 'n1', timestamp })).Code);
  // The same signed request again (a captured one, resent): refused, no second code.
  assert.equal((await mint({ nonce: 'n1', timestamp })).Error?.Code, 'AuthFailure.InvalidAuthorization');
  const unsigned = await app.inject({ method: 'POST', url: '/console/login', payload: '{}' });
  assert.equal(
    (unsigned.json() as { Response: { Error: { Code: string } } }).Response.Error.Code,
    'AuthFailure.InvalidAuthorization',
  );
});

test('console files: a view is the page, an asset is itself, anything else is not found', async (t) => {
  const { app } = await setup(t);
  const view = await app.inject({ method: 'GET', url: '/console/functions/default/f?status=not0' });
  assert.equal(view.statusCode, 200);
  assert.match(view.body, /<title>console<\/title>/);
  assert.match(String(view.headers['content-security-policy']), /default-src 'self'/);
  assert.equal(view.headers['cache-control'], 'no-cache');
  const asset = await app.inject({ method: 'GET', url: '/console/assets/index-abc.js' });
  assert.equal(asset.statusCode, 200);
  assert.match(String(asset.headers['content-type']), /^text\/javascript/);
  assert.match(String(asset.headers['cache-control']), /immutable/);
  assert.equal((await app.inject({ method: 'GET', url: '/console/assets/nope.js' })).statusCode, 404);
  assert.equal(
    (await app.inject({ method: 'GET', url: '/console/%2e%2e/%2e%2e/package.json' })).statusCode,
    404,
  );
  const bare = await app.inject({ method: 'GET', url: '/console' });
  assert.equal(bare.statusCode, 302);
  assert.equal(bare.headers['location'], '/console/');
});
