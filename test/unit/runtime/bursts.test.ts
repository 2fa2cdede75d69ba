/**
 * Bursts of output with real processes (sandboxed where bubblewrap works, as by default): every line a
 * function printed is in its record, in order, whole, however the invocation ends, including when the
 * frame pipe was still full of unread lines at the moment the process was killed; and the live chunks
 * (`onLog`) are whole lines, in order, adding up to the record's log.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, makeRuntime, request, userMessages } from './helpers.js';

/** What the `lines` fixture prints for n, written from its source (not from the runtime's code). */
function expectedLines(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (i % 1000 === 999 ? `line ${i} é€😀` : `line ${i}`));
}

/** The user lines of a log (no START/END/Report/ERROR), each checked to carry the SCF prefix of `id`. */
function userLines(log: string, id: string): string[] {
  const prefixed = log
    .split('\n')
    .filter((l) => l.length > 0 && !/^(START|END|Report|ERROR) RequestId:/.test(l));
  const prefix = new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${id}\\t`);
  for (const l of prefixed) assert.match(l, prefix);
  return userMessages(log);
}

// 8 MiB: 60,000 prefixed lines (~4.4 MB) fit, so nothing is capped.
const BIG_LOG = { maxLogBytes: 8 * 1024 * 1024 };

test('60,000 lines printed in one loop: all in the record, in order; live chunks are whole lines adding up to it', async (t) => {
  const rt = makeRuntime(t, BIG_LOG);
  const req = request(fixture('lines', { timeout: 60 }), { event: '{"n":60000}' });
  const live: string[] = [];
  req.onLog = (text) => live.push(text);
  const r = await rt.invoke(req);
  assert.equal(r.retCode, 0, r.retMsg);
  const lines = userLines(r.log, req.requestId);
  assert.equal(lines.length, 60_000);
  assert.deepEqual(lines, expectedLines(60_000));
  assert.ok(live.length > 0);
  for (const chunk of live) {
    assert.ok(chunk.endsWith('\n'), 'a live chunk ends with a whole line');
    assert.ok(!chunk.includes('\uFFFD'), 'no character split');
  }
  const start = r.log.indexOf('\n') + 1;
  const end = r.log.indexOf(`END RequestId: ${req.requestId}`);
  assert.equal(live.join(''), r.log.slice(start, end), "the live chunks, joined, are the record's user text");
  // Warm, the same again: nothing of the first invocation leaks into the second.
  const again = await rt.invoke(request(req.fn, { event: '{"n":1000}' }));
  assert.equal(again.coldStart, false);
  assert.deepEqual(userMessages(again.log), expectedLines(1000));
});

test('a burst, then an ending the platform decides or a crash: every line printed before it is recorded', async (t) => {
  // 20,000 lines (~1.9 MB of frames) fill the frame pipe many times over: when the process is killed, the
  // last lines are still unread in the kernel, and must be read before the record is made.
  const n = 20_000;
  const rt = makeRuntime(t, BIG_LOG);
  const cases = [
    { handler: 'thenSpin', retCode: 433, last: 'last line before the spin', timeout: 3 },
    { handler: 'thenExit', retCode: 439, last: 'last line before the exit', timeout: 30 },
    { handler: 'thenKill', retCode: 439, last: 'last line before SIGKILL', timeout: 30 },
    { handler: 'thenOom', retCode: 434, last: 'last line before running out of memory', timeout: 30 },
  ];
  for (const c of cases) {
    const req = request(fixture('lines', { handler: `index.${c.handler}`, timeout: c.timeout }), {
      event: JSON.stringify({ n }),
    });
    const r = await rt.invoke(req);
    assert.equal(r.retCode, c.retCode, `${c.handler}: ${r.retMsg}`);
    const lines = userLines(r.log, req.requestId);
    assert.deepEqual(lines.slice(0, n + 1), [...expectedLines(n), c.last], c.handler);
  }
});
