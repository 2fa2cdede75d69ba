/**
 * Issue 8, item 5: GetFunctionLogs never answers more than api.maxResponseBytes (default 6 MB, SCF's
 * response cap), through v2 and API 3.0, with real functions printing megabytes of log: what does not fit
 * moves to the next page (the caller pages on with Offset + the number returned), and a record too large
 * for a page alone comes with its log cut and marked.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { tc3JsonHeaders } from '../helpers/tc3-request.js';
import { tempDir } from '../helpers/tmp.js';
import { sdkClient } from '../helpers/v2client.js';

const MB = 1024 * 1024;
const BUDGET = 6 * MB;

const HANDLER = `
exports.main_handler = async (event) => {
  const line = 'y'.repeat(1000);
  for (let i = 0; i < event.lines; i++) console.log(line);
  return 'printed ' + event.lines;
};
`;

interface LogItem {
  RequestId: string;
  Log: string;
}

describe('GetFunctionLogs response budget', () => {
  let platform: Platform;
  let port: number;
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const ids: string[] = [];

  before(async () => {
    const dataDir = tempDir({ after: (fn: () => unknown) => cleanups.push(fn) });
    const code = join(dataDir, 'src');
    mkdirSync(code);
    writeFileSync(join(code, 'index.js'), HANDLER);
    platform = await createPlatform({
      config: {
        port: 0,
        // Request lines (info) would fill the test output; warnings and faults still show.
        log: { level: 'warn' },
        dataDir: join(dataDir, 'data'),
        auth: { credentials: [{ secretId: 'AKIDtest', secretKey: 'secret' }] },
        runtime: { maxLogBytes: 12 * MB },
      },
      env: {},
    });
    cleanups.push(() => platform.close());
    ({ port } = await platform.listen());
    platform.functions.create({ functionName: 'loud', timeout: 60, code: { directory: code } });
    // Oldest first: one 9 MB log (too large for a page alone), then four of ~2.5 MB.
    for (const lines of [9000, 2500, 2500, 2500, 2500]) {
      const r = await platform.invoker.invoke({ functionName: 'loud', event: JSON.stringify({ lines }) });
      ids.push(r.requestId);
    }
  });

  /** A raw TC3 GetFunctionLogs: the answer's bytes as received. */
  async function v3Raw(params: object): Promise<Buffer> {
    const body = JSON.stringify(params);
    const headers = tc3JsonHeaders({
      host: `127.0.0.1:${port}`,
      action: 'GetFunctionLogs',
      body,
      secretId: 'AKIDtest',
      secretKey: 'secret',
    });
    const res = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', headers, body });
    return Buffer.from(await res.arrayBuffer());
  }

  /** A raw v2 GetFunctionLogs signed by qcloudapi-sdk: the answer's bytes as received. */
  async function v2Raw(params: Record<string, unknown>): Promise<Buffer> {
    const capi = sdkClient('AKIDtest', 'secret');
    const opts = { host: `127.0.0.1:${port}`, protocol: 'http', method: 'GET' as const };
    const query = capi.generateQueryString({ Action: 'GetFunctionLogs', ...params }, opts);
    const res = await fetch(`http://127.0.0.1:${port}/v2/index.php?${query}`);
    return Buffer.from(await res.arrayBuffer());
  }

  test('API 3.0: every page within 6 MB, pageable by SearchContext.Offset to every record, the oversized one cut and marked', async () => {
    const seen: LogItem[] = [];
    let offset = 0;
    let pages = 0;
    for (;;) {
      const raw = await v3Raw({ FunctionName: 'loud', Offset: offset, Limit: 5 });
      assert.ok(raw.length <= BUDGET, `page at ${offset} is ${raw.length} bytes`);
      const r = (
        JSON.parse(raw.toString()) as {
          Response: { TotalCount: number; Data: LogItem[]; SearchContext: { Offset: string } };
        }
      ).Response;
      assert.equal(r.TotalCount, 5);
      assert.ok(r.Data.length >= 1, 'a page made no progress');
      assert.equal(Number(r.SearchContext.Offset), offset + r.Data.length);
      seen.push(...r.Data);
      offset += r.Data.length;
      pages += 1;
      if (offset >= r.TotalCount) break;
    }
    assert.ok(pages >= 3, `17 MB of logs came in ${pages} pages`);
    assert.deepEqual(
      seen.map((d) => d.RequestId),
      [...ids].reverse(),
    );
    for (const d of seen.slice(0, 4)) {
      assert.doesNotMatch(d.Log, /cut from this response/);
      assert.match(d.Log, /Report RequestId/);
      assert.ok(d.Log.length > 2_500_000);
    }
    const big = seen[4]!;
    assert.match(big.Log, /\[scf-local\] cut from this response: \d+ bytes not shown/);
    assert.match(big.Log, /^START RequestId/);
    assert.match(big.Log, /Report RequestId: [^\n]+\n?$/, 'the end of the log is kept');
  });

  test('API 3.0 via the SDK: a page of Limit 5 holds fewer records, the rest on the next page', async () => {
    const c = new scf.v20180416.Client({
      credential: { secretId: 'AKIDtest', secretKey: 'secret' },
      region: 'ap-guangzhou',
      profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 60 } },
    });
    const first = await c.GetFunctionLogs({ FunctionName: 'loud', Limit: 5 });
    assert.equal(first.TotalCount, 5);
    const n = first.Data?.length ?? 0;
    assert.ok(n >= 1 && n < 5, `first page has ${n} records`);
    const next = await c.GetFunctionLogs({ FunctionName: 'loud', Offset: n, Limit: 5 });
    assert.equal(next.Data?.[0]?.RequestId, [...ids].reverse()[n]);
  });

  test('v2: the same budget and paging by offset + data.length', async () => {
    const seen: string[] = [];
    let offset = 0;
    for (let guard = 0; guard < 10; guard++) {
      const raw = await v2Raw({ functionName: 'loud', offset, limit: 5 });
      assert.ok(raw.length <= BUDGET, `v2 page at ${offset} is ${raw.length} bytes`);
      const body = JSON.parse(raw.toString()) as {
        code: number;
        total: number;
        data: Array<{ requestId: string; log: string }>;
      };
      assert.equal(body.code, 0);
      assert.ok(body.data.length >= 1);
      seen.push(...body.data.map((d) => d.requestId));
      offset += body.data.length;
      if (offset >= body.total) break;
    }
    assert.deepEqual(seen, [...ids].reverse());
    // The server went on serving small pages as before.
    const small = JSON.parse((await v2Raw({ functionName: 'loud', limit: 1, offset: 1 })).toString()) as {
      data: Array<{ requestId: string }>;
    };
    assert.equal(small.data[0]?.requestId, ids[3]);
  });
});
