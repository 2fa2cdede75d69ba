import assert from 'node:assert/strict';
import { test } from 'node:test';
import { billDuration } from '../../../src/invocations/invoker.js';
import { uuidv7 } from '../../../src/invocations/request-id.js';

test('request ids are RFC 9562 UUIDv7 that carry their time and increase', () => {
  const t = Date.UTC(2026, 10, 25, 12, 0, 0, 123);
  const id = uuidv7(t);
  assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16), t);
  const ids = Array.from({ length: 5000 }, () => uuidv7());
  assert.equal(new Set(ids).size, ids.length, 'unique');
  assert.deepEqual([...ids].sort(), ids, 'monotonic, also within one millisecond');
});

test('billDuration rounds up to the granularity, at least one unit', () => {
  assert.equal(billDuration(2.735, 100), 100);
  assert.equal(billDuration(100, 100), 100);
  assert.equal(billDuration(100.0001, 100), 200);
  assert.equal(billDuration(0.2, 1), 1);
  assert.equal(billDuration(7.437, 1), 8);
  assert.equal(billDuration(3, 1), 3);
});
