/**
 * The wire record: every case of `cases.ts` is sent to a real server over a socket, and the answer's bytes
 * must equal the ones recorded in `answers.json`. Only what cannot repeat is masked: the envelope's random
 * RequestId, function add/mod times and ids (derived from the add time), and the live figures of real invocations (duration, memory, ids,
 * logs). Record anew (after a deliberate wire change only) with `SCF_GOLDEN_RECORD=1`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createPlatform, type Platform } from '../../src/index.js';
import { CASES, type Case, LIVE, SETUP, seedRecords } from './cases.js';
import { httpCall, SECRET_ID, SECRET_KEY, v2Call, v3Call, v3FormCall } from './wire.js';

const ANSWERS = new URL('../../../test/golden/answers.json', import.meta.url);
const RECORD = process.env['SCF_GOLDEN_RECORD'] === '1';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** Masks what differs from run to run; everything else is compared byte for byte. */
export function mask(answer: string, live: boolean): string {
  let s = answer
    .replace(new RegExp(`"RequestId":"${UUID}"\\}\\}$`), '"RequestId":"<envelope>"}}')
    .replace(/"(AddTime|ModTime|addTime|modTime)":"[^"]*"/g, '"$1":"<time>"')
    .replace(/"FunctionId":"lam-[0-9a-f]+"/g, '"FunctionId":"<id>"')
    // The host's Node or Python version (what runs a function, said in GetFunction's StatusDesc).
    .replace(/ runs on [^"]* here"/g, ' runs on <interpreter> here"')
    .replace(/away from server time \d+/, 'away from server time <now>');
  if (live) {
    s = s
      .replace(/"(Duration|duration|MemUsage|memUsage|BillDuration|billDuration)":[0-9.e+-]+/g, '"$1":<n>')
      .replace(new RegExp(`"(FunctionRequestId|requestId)":"${UUID}"`, 'g'), '"$1":"<id>"')
      .replace(/"(Log|log)":"(?:[^"\\]|\\.)*"/g, '"$1":"<log>"');
  }
  return s;
}

async function send(port: number, c: Case): Promise<string> {
  const { __secretKey, __secretId, __timestamp, __version, __common, ...params } = c.params as Record<
    string,
    unknown
  > & {
    __secretKey?: string;
    __secretId?: string;
    __timestamp?: number;
    __version?: string;
    __common?: Record<string, string | number>;
  };
  switch (c.proto) {
    case 'v2':
    case 'v2post': {
      const opts: Parameters<typeof v2Call>[3] = { method: c.proto === 'v2' ? 'GET' : 'POST' };
      if (__secretKey) opts.secretKey = __secretKey;
      if (__common) opts.common = __common;
      return v2Call(port, c.action, params as Record<string, string | number>, opts);
    }
    case 'v3': {
      const opts: Parameters<typeof v3Call>[3] = {};
      if (__secretKey) opts.secretKey = __secretKey;
      if (__secretId) opts.secretId = __secretId;
      if (__timestamp) opts.timestamp = __timestamp;
      if (__version) opts.version = __version;
      return v3Call(port, c.action, params, opts);
    }
    case 'v3form':
      return v3FormCall(port, c.action, params as Record<string, string>);
  }
}

describe('the wire record: v2 and API 3.0 answers are the recorded bytes', () => {
  let platform: Platform;
  let port = 0;
  const dataDir = mkdtempSync(join(tmpdir(), 'scf-local-golden-'));
  const got = new Map<string, string>();
  const recorded: Record<string, string> = RECORD
    ? {}
    : (JSON.parse(readFileSync(ANSWERS, 'utf8')) as Record<string, string>);

  before(async () => {
    platform = await createPlatform({
      config: {
        port: 0,
        // Request lines (info) would fill the test output; warnings and faults still show.
        log: { level: 'warn' },
        // The seed records have fixed dates: retention must not delete them once they are a week old.
        store: { retentionDays: 0 },
        dataDir,
        auth: { credentials: [{ secretId: SECRET_ID, secretKey: SECRET_KEY }] },
      },
      env: {},
    });
    port = (await platform.listen()).port;
    for (const c of SETUP) got.set(c.name, mask(await send(port, c), false));
    await platform.store.write(seedRecords().map((record) => ({ op: 'finish' as const, record })));
    for (const c of CASES) got.set(c.name, mask(await send(port, c), false));
    for (const c of LIVE) got.set(c.name, mask(await send(port, c), true));
  });
  after(async () => {
    await platform?.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (RECORD) writeFileSync(ANSWERS, `${JSON.stringify(Object.fromEntries(got), null, 2)}\n`);
  });

  test('every case answered as recorded', { skip: RECORD ? 'recording' : false }, () => {
    const names = [...SETUP, ...CASES, ...LIVE].map((c) => c.name);
    assert.equal(new Set(names).size, names.length, 'case names are unique');
    assert.deepEqual(Object.keys(recorded).sort(), [...names].sort(), 'the recorded set is the case set');
    const differ = names.filter((n) => got.get(n) !== recorded[n]);
    for (const n of differ.slice(0, 5)) assert.equal(got.get(n), recorded[n], n);
    assert.deepEqual(differ, []);
  });

  test('a masked answer still shows a change in the fields it keeps', () => {
    const a =
      '200 {"Response":{"Error":{"Code":"X","Message":"m"},"RequestId":"0e9e2d26-1b6b-4c8e-9f1a-2b7c3d4e5f60"}}';
    assert.equal(
      mask(a, false),
      '200 {"Response":{"Error":{"Code":"X","Message":"m"},"RequestId":"<envelope>"}}',
    );
    assert.notEqual(mask(a, false), mask(a.replace('"m"', '"n"'), false));
    assert.ok(httpCall);
  });
});
