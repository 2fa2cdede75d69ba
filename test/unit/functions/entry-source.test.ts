/** GetFunction's ShowCode source: the handler's file, or scf_bootstrap; nothing over 1 MB or missing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { zipSync } from 'fflate';
import { entrySource, MAX_SHOWN_ENTRY_BYTES } from '../../../src/functions/code.js';

const zip = (files: Record<string, string>): Uint8Array =>
  zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)])));

test('the entry file of each runtime, and nothing when it is missing or too large', () => {
  const pkg = zip({
    'index.js': 'exports.main_handler = 1;',
    'lib/app.mjs': 'export const h = 2;',
    'index.py': 'def main_handler(e, c): pass',
    scf_bootstrap: '#!/bin/sh\nexec node server.js',
    'big.js': 'x'.repeat(MAX_SHOWN_ENTRY_BYTES + 1),
  });
  assert.equal(
    entrySource(pkg, { handler: 'index.main_handler', runtime: 'Nodejs18.15' }),
    'exports.main_handler = 1;',
  );
  assert.equal(entrySource(pkg, { handler: 'lib/app.h', runtime: 'Nodejs16.13' }), 'export const h = 2;');
  assert.equal(
    entrySource(pkg, { handler: 'index.main_handler', runtime: 'Python3.9' }),
    'def main_handler(e, c): pass',
  );
  assert.equal(
    entrySource(pkg, { handler: 'index.main_handler', runtime: 'CustomRuntime' }),
    '#!/bin/sh\nexec node server.js',
  );
  assert.equal(
    entrySource(pkg, { handler: 'index.main_handler', runtime: 'Nodejs18.15', type: 'HTTP' }),
    '#!/bin/sh\nexec node server.js',
  );
  assert.equal(entrySource(pkg, { handler: 'big.main_handler', runtime: 'Nodejs18.15' }), '');
  assert.equal(entrySource(pkg, { handler: 'none.main_handler', runtime: 'Nodejs18.15' }), '');
  assert.equal(
    entrySource(Buffer.from('not a zip'), { handler: 'index.main_handler', runtime: 'Nodejs18.15' }),
    '',
  );
});
