/** The search text of a log: user lines without their prefixes, platform lines removed. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchKeyword, parseKeyword } from '../../../src/store/keyword.js';
import { searchText } from '../../../src/store/search-text.js';

const ID = '0190a6b2-7c3d-7e4f-8a1b-2c3d4e5f6a7b';
const T = '2024-06-30T12:34:56.789Z';

describe('searchText', () => {
  it('keeps the user text of an SCF log and drops the platform lines and line prefixes', () => {
    const log =
      `START RequestId: ${ID}\n` +
      `${T}\t${ID}\thello from the handler\n` +
      `{"multi": "line",\n` +
      `  "continuation": true}\n` +
      `${T}\t${ID}\tsecond message\n` +
      `[scf-local] log truncated: 1024 bytes dropped (limit 8192 bytes)\n` +
      `ERROR RequestId: ${ID} Result: Invoking task timed out after 3 seconds\n` +
      `END RequestId: ${ID}\n` +
      `Report RequestId: ${ID} Duration:3001ms Memory:128MB MemUsage:12.500000MB\n`;
    assert.equal(
      searchText(log),
      'hello from the handler\n{"multi": "line",\n  "continuation": true}\nsecond message\n',
    );
  });

  it('drops a START line that says what ran the function (`Runtime: …`)', () => {
    const log = `START RequestId: ${ID} Runtime: Node.js v20.20.2\n${T}\t${ID}\tok\nEND RequestId: ${ID}\n`;
    assert.equal(searchText(log), 'ok\n');
  });

  it('leaves text without prefixes or platform lines alone (legacy format, free text)', () => {
    for (const text of [
      '',
      'plain line',
      'a\nb\n',
      'x START RequestId: y\n',
      '2024-06-30 not an ISO prefix\n',
    ]) {
      assert.equal(searchText(text), text);
    }
  });

  it('keeps lines that only resemble platform lines', () => {
    const lines = [
      'START RequestId: two words\n',
      'Report RequestId: x without a duration\n',
      'ERROR something else\n',
      'start RequestId: lowercase\n',
    ];
    for (const line of lines) assert.equal(searchText(line), line);
  });

  it('strips prefixes with any request id (the bootstrap uses `undefined` between invocations)', () => {
    assert.equal(searchText(`${T}\tundefined\tleft over\n`), 'left over\n');
    assert.equal(searchText(`2024-06-30T12:34:56Z\t\tno millis\n`), 'no millis\n');
  });

  it('handles CRLF line ends and a log without a final newline', () => {
    assert.equal(searchText(`START RequestId: ${ID}\r\n${T}\t${ID}\tmsg\r\nEND RequestId: ${ID}`), 'msg\r\n');
  });

  it('makes the request id and time unsearchable through keyword, user words still searchable', () => {
    const log = `START RequestId: ${ID}\n${T}\t${ID}\tpayment accepted\nEND RequestId: ${ID}\n`;
    const text = searchText(log);
    assert.ok(matchKeyword(text, parseKeyword('payment accepted')));
    assert.ok(!matchKeyword(text, parseKeyword(ID)));
    assert.ok(!matchKeyword(text, parseKeyword('RequestId')));
    assert.ok(!matchKeyword(text, parseKeyword('2024')));
    // A request id the user printed is the user's text, and stays searchable.
    assert.ok(matchKeyword(searchText(`${T}\t${ID}\tcalled ${ID}\n`), parseKeyword(ID)));
  });
});
