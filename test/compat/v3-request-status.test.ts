/**
 * GetRequestStatus' time window through the real tencentcloud SDK: without StartTime/EndTime it looks at
 * the last 15 minutes only (SCF: "StartTime defaults to now − 15 min, EndTime to now"), so an older
 * invocation is not found unless the window is given. Records are written through the platform's store
 * with start times in the past.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import type { InvocationRecord } from '../../src/store/types.js';
import { apiTime } from '../helpers/api-time.js';
import { errorCodeOf, type V3Client, v3Client } from '../helpers/v3client.js';
import { v2Suite } from './v2-platform.js';

const MINUTE = 60_000;

describe('GetRequestStatus: the default window is the last 15 minutes', () => {
  const suite = v2Suite();
  let c: V3Client;
  let now = 0;
  /** Request ids of records that started this long ago. */
  const ids = { min20: randomUUID(), min16: randomUUID(), min14: randomUUID(), min1: randomUUID() };
  const ago: Record<keyof typeof ids, number> = { min20: 20, min16: 16, min14: 14, min1: 1 };
  const startOf = (k: keyof typeof ids) => now - ago[k] * MINUTE;

  before(async () => {
    const env = suite.get();
    c = v3Client(env.port);
    await c.CreateFunction({
      FunctionName: 'statusfn',
      Code: {
        ZipFile: Buffer.from(
          zipSync({ 'index.js': strToU8('exports.main_handler = async () => 1;') }),
        ).toString('base64'),
      },
    });
    now = Date.now();
    const records: InvocationRecord[] = (Object.keys(ids) as Array<keyof typeof ids>).map((k) => ({
      requestId: ids[k],
      namespace: 'default',
      functionName: 'statusfn',
      qualifier: '$LATEST',
      startTime: startOf(k),
      duration: 3,
      billDuration: 100,
      memUsage: 2 * 1048576,
      retCode: 0,
      retMsg: '"ok"',
      invokeFinished: 1,
      retryNum: 0,
      log: '',
    }));
    await env.platform.store.write(records.map((record) => ({ op: 'finish' as const, record })));
  });

  const status = (id: string, window: { StartTime?: string; EndTime?: string } = {}) =>
    c.GetRequestStatus({ FunctionName: 'statusfn', FunctionRequestId: id, ...window });

  test('without StartTime/EndTime: found if it started in the last 15 minutes, not otherwise', async () => {
    for (const k of ['min14', 'min1'] as const) {
      const found = await status(ids[k]);
      assert.equal(found.TotalCount, 1, k);
      assert.equal(found.Data?.[0]?.RequestId, ids[k]);
      assert.equal(found.Data?.[0]?.StartTime, apiTime(startOf(k)));
      assert.equal(found.Data?.[0]?.MemUsage, 2);
    }
    for (const k of ['min16', 'min20'] as const) {
      const missing = await status(ids[k]);
      assert.equal(missing.TotalCount, 0, k);
      assert.deepEqual(missing.Data, []);
    }
  });

  test('with StartTime and EndTime (UTC+8): found', async () => {
    const window = { StartTime: apiTime(now - 25 * MINUTE), EndTime: apiTime(now) };
    for (const k of ['min20', 'min16', 'min14', 'min1'] as const) {
      const found = await status(ids[k], window);
      assert.equal(found.TotalCount, 1, k);
      assert.equal(found.Data?.[0]?.StartTime, apiTime(startOf(k)));
    }
    // A window that ends before it started does not find it.
    const before = await status(ids.min20, {
      StartTime: apiTime(now - 60 * MINUTE),
      EndTime: apiTime(startOf('min20') - 2000),
    });
    assert.equal(before.TotalCount, 0);
  });

  test('EndTime alone means the 15 minutes before it; StartTime alone is refused', async () => {
    const end = apiTime(startOf('min20') + MINUTE);
    assert.equal((await status(ids.min20, { EndTime: end })).TotalCount, 1);
    assert.equal((await status(ids.min1, { EndTime: end })).TotalCount, 0);
    // Fifteen minutes, not more: EndTime now finds the 14-minute-old record, not the 16-minute-old one.
    assert.equal((await status(ids.min14, { EndTime: apiTime(now) })).TotalCount, 1);
    assert.equal((await status(ids.min16, { EndTime: apiTime(now) })).TotalCount, 0);
    assert.equal(
      await errorCodeOf(status(ids.min20, { StartTime: apiTime(now - 25 * MINUTE) })),
      'InvalidParameterValue.StartTimeOrEndTime',
    );
  });
});
