/** Log assembly and the child protocol checks, without processes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { LogCollector, userLogBudget } from '../../../src/runtime/log.js';
import { FrameReader } from '../../../src/runtime/process/frames.js';
import {
  type ChildFrame,
  parseChildFrame,
  parseParentMessage,
} from '../../../src/runtime/process/protocol.js';
import { buildFinalLog, truncationMarker } from '../../../src/runtime/results.js';

const ID = '1d71ddf8-5022-4461-84b7-e3a152403ffc';

test('raw output: each line prefixed, partial lines held until complete, onLog gets whole lines', () => {
  const seen: string[] = [];
  const c = new LogCollector(ID, 10_000, (t) => seen.push(t));
  c.addFormatted(`T\t${ID}\tfrom console\n`);
  c.addRaw(1, 'raw one\nraw tw');
  c.addRaw(1, 'o\n\nlast without newline');
  const { text, dropped } = c.finish(0);
  assert.equal(dropped, 0);
  const lines = text.split('\n');
  assert.equal(lines[0], `T\t${ID}\tfrom console`);
  assert.match(lines[1] ?? '', new RegExp(`^\\d{4}-.*Z\\t${ID}\\traw one$`));
  assert.match(lines[2] ?? '', /\traw two$/);
  assert.match(lines[3] ?? '', new RegExp(`\\t${ID}\\t$`), 'an empty raw line is kept');
  assert.match(lines[4] ?? '', /\tlast without newline$/);
  assert.equal(lines[5], '');
  assert.ok(seen.every((s) => s.endsWith('\n')));
  assert.equal(seen.join(''), text);
});

test('a framed line left open is closed before raw lines', () => {
  const c = new LogCollector(ID, 10_000);
  c.addFormatted(`T\t${ID}\tpartial`);
  c.addRaw(2, 'raw\n');
  const { text } = c.finish(0);
  assert.match(text, new RegExp(`^T\\t${ID}\\tpartial\\n\\d{4}-[^\\n]+\\traw\\n$`));
});

test('the budget cuts on a character boundary and counts what was dropped on both sides', () => {
  const c = new LogCollector(ID, 10);
  c.addFormatted('12345678é€'); // 8 + 2 + 3 bytes: 'é' fits, '€' does not
  c.addFormatted('more');
  const { text, dropped } = c.finish(100);
  assert.equal(text, '12345678é\n');
  assert.equal(dropped, 3 + 4 + 100);
});

test('final log: scf frame with ERROR line and marker; legacy = user lines only', () => {
  const parts = {
    requestId: ID,
    user: `T\t${ID}\thello\n`,
    dropped: 5,
    maxLogBytes: 4096,
    platformError: 'Invoking task timed out after 3 seconds',
    duration: 3000.4,
    memorySize: 128,
    memUsage: 11112448,
  };
  assert.equal(
    buildFinalLog({ ...parts, format: 'scf' }),
    `START RequestId: ${ID}\n` +
      `T\t${ID}\thello\n` +
      truncationMarker(5, 4096) +
      `ERROR RequestId: ${ID} Result: Invoking task timed out after 3 seconds\n` +
      `END RequestId: ${ID}\n` +
      `Report RequestId: ${ID} Duration:3000ms Memory:128MB MemUsage:10.597656MB\n`,
  );
  assert.equal(
    buildFinalLog({ ...parts, format: 'legacy' }),
    `T\t${ID}\thello\n[scf-local] log truncated: 5 bytes dropped (limit 4096 bytes)\n`,
  );
  // The reserve keeps the whole log within maxLogBytes.
  const full = buildFinalLog({ ...parts, format: 'scf', user: 'x'.repeat(userLogBudget(4096) - 1) + '\n' });
  assert.ok(Buffer.byteLength(full) <= 4096);
});

test('protocol: frames and messages are checked on receipt', () => {
  assert.deepEqual(parseChildFrame('{"t":"log","d":"x"}'), { t: 'log', d: 'x' });
  assert.equal(parseChildFrame('{"t":"log","d":1}'), undefined);
  assert.equal(parseChildFrame('not json'), undefined);
  assert.equal(parseChildFrame('{"t":"done","id":"a","ok":true,"dur":1,"mem":1}'), undefined);
  assert.ok(parseChildFrame('{"t":"done","id":"a","ok":true,"ret":"1","dur":1,"mem":1,"drop":0}'));
  assert.equal(
    parseChildFrame(
      '{"t":"done","id":"a","ok":false,"code":500,"msg":"","stack":"","fatal":false,"dur":1,"mem":1,"drop":0}',
    ),
    undefined,
    'only 430 and 437 come from the child',
  );
  assert.equal(parseChildFrame('{"t":"surprise"}'), undefined);
  assert.ok(parseParentMessage({ t: 'invoke', id: 'a', q: '$LATEST', ev: '{}' }));
  assert.equal(parseParentMessage({ t: 'invoke', id: 'a' }), undefined);
  assert.equal(parseParentMessage(null), undefined);
});

test('frame reader: the log frames of one read are handed on as one, in order; other frames and faults after the text before them', () => {
  const got: string[] = [];
  const reader = new FrameReader(
    (f: ChildFrame) => got.push(f.t === 'log' ? `log:${f.d}` : f.t),
    (why) => got.push(`fault:${why}`),
  );
  const log = (d: string) => `${JSON.stringify({ t: 'log', d })}\n`;
  const done = `${JSON.stringify({ t: 'done', id: 'a', ok: true, ret: 'null', drop: 0 })}\n`;
  // One read: three log frames, a done, two more log frames, garbage, one log frame cut by the read's end.
  const all = `${log('a\n')}${log('b\n')}${log('é€😀\n')}${done}${log('c\n')}${log('d')}not json\n${log('e\n')}`;
  const cut = all.length - 4;
  reader.push(all.slice(0, cut));
  assert.deepEqual(got, ['log:a\nb\né€😀\n', 'done', 'log:c\nd', 'fault:malformed frame']);
  reader.push(all.slice(cut));
  assert.deepEqual(got.slice(4), ['log:e\n']);
});

/** Kept text of `pieces` under `budget` UTF-8 bytes, from the rule: the longest prefix that fits, whole characters. */
function expectedKept(pieces: string[], budget: number): { kept: string; dropped: number } {
  const all = pieces.join('');
  let kept = '';
  let bytes = 0;
  for (const ch of all) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > budget) break;
    kept += ch;
    bytes += n;
  }
  return { kept, dropped: Buffer.byteLength(all) - bytes };
}

test('the budget keeps the same whole-character prefix whether the pieces come one by one or joined (fast-check)', () => {
  const piece = fc
    .array(fc.constantFrom('a', 'b', '\n', 'é', '€', '😀', '\t'), { maxLength: 30 })
    .map((cs) => cs.join(''));
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), fc.integer({ min: 0, max: 200 }), (pieces, budget) => {
      const { kept, dropped } = expectedKept(pieces, budget);
      const expected = kept === '' || kept.endsWith('\n') ? kept : `${kept}\n`;
      for (const feed of [pieces, [pieces.join('')]]) {
        const live: string[] = [];
        const c = new LogCollector(ID, budget, (t) => live.push(t));
        for (const p of feed) c.addFormatted(p);
        const out = c.finish(0);
        assert.equal(out.text, expected);
        assert.equal(out.dropped, dropped);
        // Live: whole lines only, never a character split, adding up to the log (its last line closed).
        assert.ok(live.every((t) => t.endsWith('\n') && !t.includes('\uFFFD')));
        assert.equal(live.join(''), expected);
      }
    }),
    { numRuns: 500 },
  );
});
