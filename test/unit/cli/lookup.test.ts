/**
 * What `logs` and friends find from what the user typed: partial request ids, "did you mean", the hint
 * for a missing namespace, the `--grep` rule applied to followed records, and the FUNCTION column. The
 * expected values are written from docs/cli.md, not computed with the code under test.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keywordMatcher } from '../../../src/cli/commands/logs.js';
import { type CliRecord, createStyle, liveLogLines, tableHeader, tableRow } from '../../../src/cli/format.js';
import { optionValue, remoteHint } from '../../../src/cli/hints.js';
import {
  didYouMean,
  editDistance,
  matchesRequestId,
  parseRequestIdArg,
  suggestNames,
} from '../../../src/cli/lookup.js';
import { ScfError } from '../../../src/errors/index.js';

const ID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

describe('--request-id', () => {
  test('a whole id is sent as it is; 8 or more hex digits are part of one; fewer are refused', () => {
    assert.deepEqual(parseRequestIdArg(ID), { kind: 'exact', id: ID });
    assert.deepEqual(parseRequestIdArg(ID.toUpperCase()), { kind: 'exact', id: ID });
    assert.deepEqual(parseRequestIdArg('2e3f4a5b'), { kind: 'partial', hex: '2e3f4a5b', text: '2e3f4a5b' });
    assert.deepEqual(parseRequestIdArg('0190A1B2-c3'), {
      kind: 'partial',
      hex: '0190a1b2c3',
      text: '0190A1B2-c3',
    });
    assert.deepEqual(parseRequestIdArg('req-not-hex'), { kind: 'exact', id: 'req-not-hex' });
    assert.throws(
      () => parseRequestIdArg('2e3f'),
      (e: unknown) => e instanceof ScfError && e.code === 'InvalidParameter' && /at least 8/.test(e.message),
    );
  });

  test('part of an id matches its start or its end (the short id --follow prints), dashes ignored', () => {
    const m = (text: string): boolean => matchesRequestId(ID, parseRequestIdArg(text));
    assert.ok(m('2e3f4a5b'), 'the last 8 hex digits');
    assert.ok(m('0190a1b2'), 'the first 8');
    assert.ok(m('0190a1b2-c3d4-7e'), 'a longer start, with dashes');
    assert.ok(m('0190a1b2c3d47e5f8a9b0c1d2e3f4a5b'), 'the whole id without dashes');
    assert.ok(m(ID));
    assert.ok(!m('c3d47e5f'), 'the middle is neither');
    assert.ok(!m('2e3f4a5c'));
  });
});

describe('did you mean', () => {
  test('edit distance counts a swap of neighbours as one step', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('alpah', 'alpha'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
  });

  test('close names only, closest first, at most three, case ignored', () => {
    assert.deepEqual(suggestNames('alpah', ['beta', 'alpha', 'gamma']), ['alpha']);
    assert.deepEqual(suggestNames('HELLO', ['hello', 'yellow']), ['hello']);
    assert.deepEqual(suggestNames('zzzzzzzz', ['alpha', 'beta']), []);
    assert.deepEqual(suggestNames('fn', ['fn']), [], 'not the name itself');
    assert.deepEqual(suggestNames('fn-abcde', ['fn-abcdf', 'fn-abcde1', 'fn-abcd', 'fn-abcdx', 'x']), [
      'fn-abcd',
      'fn-abcde1',
      'fn-abcdf',
    ]);
    assert.equal(didYouMean([]), '');
    assert.equal(didYouMean(['a', 'b']), '; did you mean a or b?');
  });
});

describe('hints', () => {
  test('a missing namespace: create it with the name given, else list them', () => {
    assert.equal(optionValue(['deploy', '.', '--namespace', 'prod'], '--namespace'), 'prod');
    assert.equal(optionValue(['deploy', '--namespace=a', '--namespace=b'], '--namespace'), 'b');
    assert.equal(optionValue(['logs', '--', '--namespace', 'x'], '--namespace'), undefined);
    assert.equal(
      remoteHint('ResourceNotFound.Namespace', ['node', 'scf-local', 'deploy', '--namespace', 'prod']),
      '; create it with `scf-local namespaces create prod`',
    );
    assert.equal(
      remoteHint('ResourceNotFound.Namespace', ['node', 'scf-local', 'namespaces', 'delete', 'x']),
      '; list them with `scf-local namespaces`',
    );
    assert.equal(remoteHint('ResourceNotFound.Function', ['--namespace', 'prod']), '');
  });
});

describe('--grep on followed records: the keyword rule of docs/cli.md', () => {
  const log =
    `START RequestId: ${ID}\n` +
    `2024-05-01T12:03:07.131Z\t${ID}\tsomething happened: Disk-Full at stage 2\n` +
    `END RequestId: ${ID}\n` +
    `Report RequestId: ${ID} Duration:1ms Memory:128MB MemUsage:43.1MB\n`;
  const grep = (k: string): boolean | undefined => keywordMatcher(k)?.(log);

  test('whole words, case ignored; word* a prefix; quotes a phrase; every term', () => {
    assert.equal(grep('omething'), false, 'not part of a word');
    assert.equal(grep('something'), true);
    assert.equal(grep('SOMETHING happened'), true);
    assert.equal(grep('someth*'), true);
    assert.equal(grep('"something happened"'), true);
    assert.equal(grep('"happened something"'), false);
    assert.equal(grep('disk-full'), true, 'disk full, as a phrase');
    assert.equal(grep('something missing'), false);
  });

  test('what the platform writes is not searched: START/END/Report lines, time and id prefixes', () => {
    assert.equal(grep('Report'), false);
    assert.equal(grep('RequestId'), false);
    assert.equal(grep('0190a1b2'), false);
    assert.equal(grep('2024'), false);
  });

  test('a keyword with nothing searchable filters nothing, as on the server', () => {
    assert.equal(keywordMatcher('---'), undefined);
  });
});

describe('the FUNCTION column', () => {
  const rec: CliRecord = {
    requestId: ID,
    functionName: 'hello',
    namespace: 'default',
    startTime: Date.UTC(2024, 4, 1),
    duration: 12.5,
    billDuration: 100,
    memUsage: 44 * 1024 * 1024,
    retCode: 0,
    retMsg: '',
    invokeFinished: 1,
    log: '',
  };
  const plain = createStyle(false);

  test('after TIME, as wide as asked, only when asked', () => {
    assert.equal(
      tableHeader(plain, { functionWidth: 10 }),
      'TIME                        FUNCTION    REQUEST ID                            STATUS         DURATION    BILLED     MEMORY',
    );
    assert.match(
      tableRow(rec, plain, { utc: true, functionWidth: 10 }),
      new RegExp(`^2024-05-01 00:00:00 \\+00:00  hello       ${ID}  ok +13 ms +100 ms +44\\.0 MB$`),
    );
    assert.doesNotMatch(tableHeader(plain), /FUNCTION/);
    assert.match(tableRow(rec, plain, { utc: true }), new RegExp(`^2024-05-01 00:00:00 \\+00:00  ${ID}  ok`));
  });

  test('live lines name the function when asked', () => {
    assert.equal(liveLogLines(ID, 'one\n', plain, { functionName: 'hello' }), '  hello 2e3f4a5b │ one\n');
    assert.equal(liveLogLines(ID, 'one\n', plain), '  2e3f4a5b │ one\n');
  });
});
