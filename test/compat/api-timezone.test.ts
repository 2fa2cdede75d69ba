/**
 * `apiTimeZoneOffsetMinutes`: SCF writes and reads its `YYYY-MM-DD HH:mm:ss` times in UTC+8; a platform
 * configured for another zone must write answers and read filters in that zone, through v2
 * (qcloudapi-sdk) and API 3.0 (tencentcloud-sdk-nodejs) alike. Two records at known instants are written
 * through the store; every expected time is a literal, worked out by hand for each zone.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import type { InvocationRecord } from '../../src/store/types.js';
import { freshNonce } from '../helpers/v2client.js';
import { type V3Client, v3Client } from '../helpers/v3client.js';
import { v2Suite } from './v2-platform.js';

/** 2024-01-01 02:30:15.500 UTC and 05:00:00 UTC. */
const R1 = Date.UTC(2024, 0, 1, 2, 30, 15, 500);
const R2 = Date.UTC(2024, 0, 1, 5, 0, 0);

interface Zone {
  offset: number;
  /** How the v2 error message names the zone. */
  name: string;
  /** R1 and R2 as this zone writes them. */
  r1: string;
  r2: string;
  /** An hour around R1, in this zone. */
  hour: [string, string];
}

const ZONES: Zone[] = [
  {
    offset: 0,
    name: 'UTC+0',
    r1: '2024-01-01 02:30:15',
    r2: '2024-01-01 05:00:00',
    hour: ['2024-01-01 02:00:00', '2024-01-01 03:00:00'],
  },
  {
    offset: -300,
    name: 'UTC-5',
    r1: '2023-12-31 21:30:15',
    r2: '2024-01-01 00:00:00',
    hour: ['2023-12-31 21:00:00', '2023-12-31 22:00:00'],
  },
  // SCF's own zone, the default, as a control.
  {
    offset: 480,
    name: 'UTC+8',
    r1: '2024-01-01 10:30:15',
    r2: '2024-01-01 13:00:00',
    hour: ['2024-01-01 10:00:00', '2024-01-01 11:00:00'],
  },
];

function record(requestId: string, startTime: number): InvocationRecord {
  return {
    requestId,
    namespace: 'default',
    functionName: 'tzfn',
    qualifier: '$LATEST',
    startTime,
    duration: 1.5,
    billDuration: 100,
    memUsage: 1048576,
    retCode: 0,
    retMsg: '"ok"',
    invokeFinished: 1,
    retryNum: 0,
    log: 'tz\n',
  };
}

for (const zone of ZONES) {
  describe(`API times with apiTimeZoneOffsetMinutes ${zone.offset} (${zone.name})`, () => {
    const suite = v2Suite({ apiTimeZoneOffsetMinutes: zone.offset });
    let c: V3Client;
    const ids = { r1: randomUUID(), r2: randomUUID() };
    let createdAt = 0;

    before(async () => {
      const env = suite.get();
      c = v3Client(env.port);
      createdAt = Date.now();
      await c.CreateFunction({
        FunctionName: 'tzfn',
        Code: {
          ZipFile: Buffer.from(
            zipSync({ 'index.js': strToU8('exports.main_handler = async () => 1;') }),
          ).toString('base64'),
        },
      });
      await env.platform.store.write([
        { op: 'finish', record: record(ids.r1, R1) },
        { op: 'finish', record: record(ids.r2, R2) },
      ]);
    });

    /** v2 GetFunctionLogs of tzfn, oldest first: [requestId, startTime] pairs. */
    async function v2Logs(extra: Record<string, unknown> = {}): Promise<string[][]> {
      const res = await suite.get().call({
        Action: 'GetFunctionLogs',
        Nonce: freshNonce(),
        functionName: 'tzfn',
        order: 'asc',
        ...extra,
      });
      assert.equal(res.code, 0, res.message);
      return (res['data'] as Array<{ requestId: string; startTime: string }>).map((d) => [
        d.requestId,
        d.startTime,
      ]);
    }

    async function v3Logs(extra: Record<string, string> = {}): Promise<string[][]> {
      const res = await c.GetFunctionLogs({ FunctionName: 'tzfn', Order: 'asc', ...extra });
      return (res.Data ?? []).map((d) => [d.RequestId ?? '', d.StartTime ?? '']);
    }

    test('GetFunctionLogs writes StartTime in the zone (v2 and 3.0)', async () => {
      const want = [
        [ids.r1, zone.r1],
        [ids.r2, zone.r2],
      ];
      assert.deepEqual(await v2Logs(), want);
      assert.deepEqual(await v3Logs(), want);
    });

    test('StartTime/EndTime filters are read in the zone (v2 and 3.0)', async () => {
      const both = async (from: string, to: string): Promise<string[]> => {
        const v2 = (await v2Logs({ startTime: from, endTime: to })).map(([id]) => id!);
        const v3 = (await v3Logs({ StartTime: from, EndTime: to })).map(([id]) => id!);
        assert.deepEqual(v3, v2, `${from} .. ${to}`);
        return v2;
      };
      assert.deepEqual(await both(zone.hour[0], zone.hour[1]), [ids.r1]);
      // Each bound names a whole second: R1 (at .500) is inside [r1, r1], R2 inside [r2, r2].
      assert.deepEqual(await both(zone.r1, zone.r1), [ids.r1]);
      assert.deepEqual(await both(zone.r2, zone.r2), [ids.r2]);
      assert.deepEqual(await both(zone.r1, zone.r2), [ids.r1, ids.r2]);
      // The same wall-clock hours of the other zones are other instants here: nothing in them.
      for (const other of ZONES.filter((z) => z !== zone)) {
        assert.deepEqual(await both(other.hour[0], other.hour[1]), [], `${other.name}'s hour`);
      }
      // A bad time is refused with the zone named (v2).
      const bad = await suite
        .get()
        .call({ Action: 'GetFunctionLogs', Nonce: freshNonce(), startTime: 'soon' });
      assert.equal(bad.code, 4000);
      assert.ok(bad.message.includes(`(${zone.name})`), bad.message);
    });

    test('GetRequestStatus reads StartTime/EndTime and writes StartTime in the zone', async () => {
      const found = await c.GetRequestStatus({
        FunctionName: 'tzfn',
        FunctionRequestId: ids.r1,
        StartTime: zone.hour[0],
        EndTime: zone.hour[1],
      });
      assert.equal(found.TotalCount, 1);
      assert.equal(found.Data?.[0]?.StartTime, zone.r1);
      for (const other of ZONES.filter((z) => z !== zone)) {
        const none = await c.GetRequestStatus({
          FunctionName: 'tzfn',
          FunctionRequestId: ids.r1,
          StartTime: other.hour[0],
          EndTime: other.hour[1],
        });
        assert.equal(none.TotalCount, 0, `${other.name}'s hour`);
      }
    });

    test("a function's AddTime/ModTime are in the zone too (v2 and 3.0)", async () => {
      /** A `YYYY-MM-DD HH:mm:ss` of this zone as epoch ms. */
      const instant = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`) - zone.offset * 60_000;
      const got = await c.GetFunction({ FunctionName: 'tzfn' });
      const v2 = await suite.get().call({ Action: 'GetFunction', functionName: 'tzfn' });
      const v2data = v2['data'] as { addTime: string; modTime: string };
      for (const text of [got.AddTime ?? '', got.ModTime ?? '', v2data.addTime, v2data.modTime]) {
        assert.match(text, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
        // Written to the second (truncated) when the function was created, a moment after createdAt.
        const at = instant(text);
        assert.ok(
          at > createdAt - 1000 && at < createdAt + 30_000,
          `${text} vs ${new Date(createdAt).toISOString()}`,
        );
      }
    });
  });
}
