/** The keyword language: parsing and the reference matcher. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchKeyword, parseKeyword, toFts5Query } from '../../../src/store/keyword.js';

describe('keyword', () => {
  it('parses terms, phrases, prefixes; drops terms without tokens', () => {
    assert.deepEqual(parseKeyword('  Foo   bar* "Baz qux"* "open phrase'), [
      { tokens: ['foo'], prefix: false },
      { tokens: ['bar'], prefix: true },
      { tokens: ['baz', 'qux'], prefix: true },
      { tokens: ['open', 'phrase'], prefix: false },
    ]);
    assert.deepEqual(parseKeyword('--- * ""'), []);
    assert.deepEqual(parseKeyword('a"b OR'), [
      { tokens: ['a'], prefix: false },
      { tokens: ['b', 'or'], prefix: false },
    ]);
  });

  it('builds an FTS5 query of quoted tokens only', () => {
    assert.equal(toFts5Query(parseKeyword('x-y* NEAR( "a b"')), '"x y"* AND "near" AND "a b"');
  });

  it('matches whole tokens, case-insensitively, in order for phrases', () => {
    const log = 'ERROR: Database-timeout after 30s\nretrying';
    assert.ok(matchKeyword(log, parseKeyword('database timeout')));
    assert.ok(matchKeyword(log, parseKeyword('"database timeout"')));
    assert.ok(!matchKeyword(log, parseKeyword('"timeout database"')));
    assert.ok(!matchKeyword(log, parseKeyword('data')));
    assert.ok(matchKeyword(log, parseKeyword('data*')));
    assert.ok(matchKeyword(log, parseKeyword('30s retry*')));
    assert.ok(!matchKeyword(log, parseKeyword('30s missing')));
    assert.ok(matchKeyword(log, parseKeyword('')));
  });
});
