import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createStyle, liveLogLines, shortId } from '../../../src/cli/format.js';
import { ShownLines, splitLines } from '../../../src/cli/live-log.js';

const ID = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';

describe('ShownLines', () => {
  const log = 'START\na\nb\nb\nc\nEND\nReport\n';

  test('the end shows only what no live chunk showed: the platform lines', () => {
    const shown = new ShownLines();
    shown.add(ID, 'a\n');
    shown.add(ID, 'b\nb\nc\n');
    assert.equal(shown.remainder(ID, log), 'START\nEND\nReport\n');
    assert.equal(shown.has(ID), false, 'forgotten once final');
  });

  test('after a gap the missed chunks come from the final log, in log order, once', () => {
    const shown = new ShownLines();
    shown.add(ID, 'a\n');
    // `b\nb\n` fell in the gap; `c` arrived live after it.
    shown.add(ID, 'c\n');
    assert.equal(shown.remainder(ID, log), 'START\nb\nb\nEND\nReport\n');
  });

  test('a repeated line shown once live is subtracted once', () => {
    const shown = new ShownLines();
    shown.add(ID, 'b\n');
    assert.equal(shown.remainder(ID, log), 'START\na\nb\nc\nEND\nReport\n');
  });

  test('nothing shown: the whole log, ending with a newline', () => {
    const shown = new ShownLines();
    assert.equal(shown.remainder(ID, log), log);
    assert.equal(shown.remainder(ID, 'x'), 'x\n');
    assert.equal(shown.remainder(ID, ''), '');
  });

  test('splitLines', () => {
    assert.deepEqual(splitLines(''), []);
    assert.deepEqual(splitLines('a\n'), ['a']);
    assert.deepEqual(splitLines('a\n\nb'), ['a', '', 'b']);
  });
});

describe('liveLogLines', () => {
  test('each line behind a gutter naming the invocation by the random end of its id', () => {
    assert.equal(shortId(ID), '2e3f4a5b');
    assert.equal(liveLogLines(ID, 'one\ntwo\n', createStyle(false)), '  2e3f4a5b │ one\n  2e3f4a5b │ two\n');
    assert.equal(liveLogLines(ID, '', createStyle(false)), '');
    assert.match(liveLogLines(ID, 'one\n', createStyle(true)), /\u001b\[3\dm2e3f4a5b\u001b\[39m/);
  });
});
