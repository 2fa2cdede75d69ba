/** The SSE text rule the CLI and the console share: messages cut anywhere still come out whole, once. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drainSse, type SseMessage } from '../../../src/api/stream/sse-text.js';

const BODY =
  ': keep-alive\n\n' +
  'event: ready\ndata: {"a":1}\n\n' +
  // A line may end in CR LF; messages end with a blank line of LF (what the server writes).
  'id: c1\r\nevent: log\r\ndata: line one\r\ndata: line two\n\n' +
  'data:no space\n\n' +
  'event: empty\n\n';

test('every cut of a body gives the same messages, and only whole ones', () => {
  const expected: SseMessage[] = [
    { event: 'ready', id: undefined, data: '{"a":1}' },
    { event: 'log', id: 'c1', data: 'line one\nline two' },
    { event: 'message', id: undefined, data: 'no space' },
  ];
  for (let cut = 0; cut <= BODY.length; cut++) {
    const first = drainSse(BODY.slice(0, cut));
    const second = drainSse(first.rest + BODY.slice(cut));
    assert.deepEqual([...first.messages, ...second.messages], expected, `cut at ${cut}`);
    assert.equal(second.rest, '');
  }
  // An unfinished message stays in the rest.
  assert.deepEqual(drainSse('data: half'), { messages: [], rest: 'data: half' });
});
