/**
 * GetFunctionLogs through qcloudapi-sdk against a plain in-memory model of the same records
 * (`test/helpers/model.ts`): every order x orderby x filter combination, paging, and random queries.
 * Records are written straight into the store (and the model), so the test is about the API, not runtime.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type {
  LogQuery,
  Order,
  OrderBy,
  RetCodeFilter,
  StoredRecord,
  WriteOp,
} from '../../src/store/types.js';
import { apiTime, SCF_ZONE } from '../helpers/api-time.js';
import { LogModel } from '../helpers/model.js';
import { type CapiData, freshNonce } from '../helpers/v2client.js';
import { codeParam, v2Suite } from './v2-platform.js';

/** The API zone: `apiTimeZoneOffsetMinutes`' documented default, UTC+8 (the suite leaves it unset). */
const TZ = SCF_ZONE;
const BASE = Date.UTC(2024, 0, 1, 0, 0, 0);
const FUNCTIONS = ['modelfn', 'otherfn'] as const;

/** A small deterministic generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function records(): WriteOp[] {
  const next = rng(20240101);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const ops: WriteOp[] = [];
  for (let i = 0; i < 90; i++) {
    const functionName = i % 3 === 2 ? 'otherfn' : 'modelfn';
    // Three records per second on average and repeated durations/memory: sort ties are common.
    const startTime = BASE + Math.floor(i / 3) * 1000 + pick([0, 0, 250, 999]);
    const duration = pick([0.5, 2.735, 2.735, 7.4371, 100, 100.0004, 250.25]);
    const retCode = pick([0, 0, 0, 0, 1, 430, 433, 434, 3]);
    const record = {
      requestId: randomUUID(),
      namespace: 'default',
      functionName,
      qualifier: '$LATEST',
      startTime,
      duration,
      billDuration: Math.ceil(duration / 100) * 100,
      memUsage: pick([131072, 131072, 45367296, 9000000]),
      retCode,
      retMsg: retCode === 0 ? '"ok"' : '{"errorCode":-1}',
      invokeFinished: retCode === 3 ? 0 : 1,
      retryNum: 0,
      log: `START RequestId: x\nline ${i}\n`,
    };
    ops.push({ op: 'finish', record });
  }
  // Two still running (retCode 2).
  for (const functionName of FUNCTIONS) {
    ops.push({
      op: 'begin',
      record: {
        requestId: randomUUID(),
        namespace: 'default',
        functionName,
        qualifier: '$LATEST',
        startTime: BASE + 45_000,
        retCode: 2,
        invokeFinished: 0,
        retryNum: 0,
        log: '',
      },
    });
  }
  return ops;
}

/**
 * One `data` item as docs/api-v2.md specifies it: the seed's fields in the seed's order, `startTime` in
 * the API zone, `duration` in ms to the µs (3 decimals), the other numbers integers.
 */
function expectedItem(r: StoredRecord): Record<string, unknown> {
  return {
    functionName: r.functionName,
    retMsg: r.retMsg,
    requestId: r.requestId,
    startTime: apiTime(r.startTime, TZ),
    retCode: r.retCode,
    invokeFinished: r.invokeFinished,
    duration: Number(r.duration.toFixed(3)),
    billDuration: r.billDuration,
    memUsage: r.memUsage,
    log: r.log,
  };
}

const ORDERS: Array<[string, Order]> = [
  ['desc', 'desc'],
  ['asc', 'asc'],
  ['acs', 'asc'],
];
const ORDER_BYS: Array<[string, OrderBy]> = [
  ['startTime', 'startTime'],
  ['functionName', 'functionName'],
  ['requestId', 'requestId'],
  ['duration', 'duration'],
  ['memUsage', 'memUsage'],
  ['start_time', 'startTime'],
  ['function_name', 'functionName'],
  ['request_id', 'requestId'],
  ['mem_usage', 'memUsage'],
];
const FILTERS: Array<RetCodeFilter | undefined> = [
  undefined,
  'is0',
  'not0',
  'TimeLimitExceeded',
  'ResourceLimitExceeded',
  'UserCodeException',
];
const TRANSPORTS = [
  { method: 'GET', sha256: false },
  { method: 'POST', sha256: true },
  { method: 'POST', sha256: false },
  { method: 'GET', sha256: true },
] as const;

describe('v2 GetFunctionLogs against the in-memory model', () => {
  const suite = v2Suite();
  const model = new LogModel();
  let ready: Promise<void> | undefined;

  const setup = (): Promise<void> => {
    ready ??= (async () => {
      const env = suite.get();
      for (const functionName of FUNCTIONS) {
        const r = await env.call(
          {
            Action: 'CreateFunction',
            functionName,
            code: codeParam({ 'index.js': 'exports.main_handler=()=>1' }),
          },
          { method: 'POST' },
        );
        assert.equal(r.code, 0, r.message);
      }
      const ops = records();
      await env.platform.store.write(ops);
      model.write(ops);
    })();
    return ready;
  };

  /** The API's answer and the model's for the same query. */
  async function both(
    wire: CapiData,
    q: LogQuery,
    transport: (typeof TRANSPORTS)[number] = TRANSPORTS[0],
  ): Promise<void> {
    const env = suite.get();
    const res = await env.call({ Action: 'GetFunctionLogs', Nonce: freshNonce(), ...wire }, transport);
    assert.equal(res.code, 0, `${res.message} for ${JSON.stringify(wire)}`);
    const want = model.query(q);
    assert.equal(res['total'], want.total, `total for ${JSON.stringify(wire)}`);
    const data = res['data'] as Array<Record<string, unknown>>;
    const expected = want.items.map(expectedItem);
    assert.deepEqual(data, expected, `page for ${JSON.stringify(wire)}`);
    // deepEqual ignores key order; the seed's order is part of the contract.
    for (const item of data) assert.deepEqual(Object.keys(item), Object.keys(expected[0]!));
  }

  test('the expected items are right: the seed example in UTC+8, durations to the µs', () => {
    // The seed's startTime 17:14:01 is its log's 09:14:01.236Z.
    assert.equal(apiTime(Date.parse('2017-09-18T09:14:01.236Z'), TZ), '2017-09-18 17:14:01');
    assert.equal(apiTime(Date.UTC(2023, 11, 31, 20, 0, 0, 999), TZ), '2024-01-01 04:00:00');
    assert.equal(apiTime(Date.UTC(2024, 0, 1, 3, 0, 0), -300), '2023-12-31 22:00:00');
    const item = expectedItem({
      seq: 1,
      requestId: 'r',
      namespace: 'default',
      functionName: 'f',
      qualifier: '$LATEST',
      startTime: BASE,
      duration: 7.4371,
      billDuration: 100,
      memUsage: 131072,
      retCode: 0,
      retMsg: '"ok"',
      invokeFinished: 1,
      retryNum: 0,
      log: '',
    });
    assert.equal(item['duration'], 7.437);
    assert.equal(item['startTime'], '2024-01-01 08:00:00');
    assert.deepEqual(Object.keys(item), [
      'functionName',
      'retMsg',
      'requestId',
      'startTime',
      'retCode',
      'invokeFinished',
      'duration',
      'billDuration',
      'memUsage',
      'log',
    ]);
  });

  test('every order x orderby x filter, with and without functionName, by GET/POST and SHA1/SHA256', async () => {
    await setup();
    let i = 0;
    for (const [orderWire, order] of ORDERS) {
      for (const [orderByWire, orderBy] of ORDER_BYS) {
        for (const retCode of FILTERS) {
          const functionName = i % 2 === 0 ? 'modelfn' : undefined;
          const offset = (i * 3) % 11;
          const limit = 1 + (i % 13);
          const wire: CapiData = { order: orderWire, orderby: orderByWire, offset, limit };
          if (functionName) wire['functionName'] = functionName;
          if (retCode) wire['filter'] = { retCode };
          const q: LogQuery = { order, orderBy, offset, limit };
          if (functionName) q.functionName = functionName;
          if (retCode) q.retCode = retCode;
          await both(wire, q, TRANSPORTS[i % TRANSPORTS.length]);
          i++;
        }
      }
    }
    assert.equal(i, 3 * 9 * 6);
  });

  test('defaults: offset 0, limit 20, newest first', async () => {
    await setup();
    await both(
      { functionName: 'modelfn' },
      { functionName: 'modelfn', order: 'desc', orderBy: 'startTime', offset: 0, limit: 20 },
    );
    await both({}, { order: 'desc', orderBy: 'startTime', offset: 0, limit: 20 });
  });

  test('paging through with any sort never repeats or skips a record', async () => {
    await setup();
    const env = suite.get();
    for (const [, orderBy] of ORDER_BYS.slice(0, 5)) {
      for (const order of ['asc', 'desc'] as const) {
        for (const retCode of [undefined, 'not0'] as const) {
          const seen: string[] = [];
          for (let offset = 0; ; offset += 7) {
            const wire: CapiData = {
              Action: 'GetFunctionLogs',
              functionName: 'modelfn',
              order,
              orderby: orderBy,
              offset,
              limit: 7,
              Nonce: freshNonce(),
            };
            if (retCode) wire['filter.retCode'] = retCode;
            const res = await env.call(wire);
            const page = res['data'] as Array<{ requestId: string }>;
            seen.push(...page.map((r) => r.requestId));
            if (page.length < 7) break;
          }
          const q: LogQuery = { functionName: 'modelfn', order, orderBy, offset: 0, limit: 10_000 };
          if (retCode) q.retCode = retCode;
          const all = model.query(q).items.map((r) => r.requestId);
          assert.equal(new Set(seen).size, seen.length, 'no repeats');
          assert.deepEqual(seen, all, `${orderBy} ${order} ${retCode}`);
        }
      }
    }
  });

  test('random queries (fast-check): filters, time ranges, requestId, sort, paging', async () => {
    await setup();
    const ids = [...model.records.values()].map((r) => r.requestId);
    const second = fc.integer({ min: -2, max: 35 }).map((s) => BASE + s * 1000);
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            functionName: fc.constantFrom(...FUNCTIONS),
            requestId: fc.oneof(fc.constantFrom(...ids), fc.constant('00000000-0000-0000-0000-000000000000')),
            startTime: second,
            endTime: second,
            order: fc.constantFrom(...ORDERS),
            orderBy: fc.constantFrom(...ORDER_BYS),
            retCode: fc.constantFrom(...FILTERS),
            offset: fc.integer({ min: 0, max: 60 }),
            limit: fc.integer({ min: 1, max: 40 }),
          },
          { requiredKeys: ['order', 'orderBy', 'offset', 'limit'] },
        ),
        fc.constantFrom(...TRANSPORTS),
        async (p, transport) => {
          // A reversed range is an error case (v2-errors.test.ts), not a page: generate another.
          fc.pre(p.startTime === undefined || p.endTime === undefined || p.startTime <= p.endTime);
          const wire: CapiData = {
            order: p.order[0],
            orderby: p.orderBy[0],
            offset: p.offset,
            limit: p.limit,
          };
          const q: LogQuery = { order: p.order[1], orderBy: p.orderBy[1], offset: p.offset, limit: p.limit };
          if (p.functionName) wire['functionName'] = q.functionName = p.functionName;
          if (p.requestId) wire['requestId'] = q.requestId = p.requestId;
          if (p.retCode) {
            wire['filter.retCode'] = p.retCode;
            q.retCode = p.retCode;
          }
          if (p.startTime !== undefined) {
            wire['startTime'] = apiTime(p.startTime, TZ);
            q.startTimeFrom = p.startTime;
          }
          if (p.endTime !== undefined) {
            wire['endTime'] = apiTime(p.endTime, TZ);
            // endTime names a whole second.
            q.startTimeTo = p.endTime + 999;
          }
          await both(wire, q, transport);
        },
      ),
      { numRuns: 150, seed: 4242 },
    );
  });
});
