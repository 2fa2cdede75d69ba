/**
 * Issue 8, item 5: code packages are extracted off the event loop with an unpacked-size cap (SCF: 500 MB)
 * and an entry-count cap. A zip bomb (under 1 MB, 510 MB unpacked) sent through the real SDK is refused
 * with InvalidParameterValue.ZipFile, leaves nothing behind, and the server answers others meanwhile.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Zip, ZipDeflate, zipSync } from 'fflate';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { zipDirectory } from '../../src/functions/code.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';
import { freshNonce, sdkCall, sdkClient, type V2Body } from '../helpers/v2client.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const MB = 1024 * 1024;

/** One file of `size` zero bytes, deflated, streamed so the test never holds it unpacked. */
function bomb(size: number): Buffer {
  const parts: Uint8Array[] = [];
  const zip = new Zip((err, data) => {
    if (err) throw err;
    parts.push(data);
  });
  const file = new ZipDeflate('index.js', { level: 1 });
  zip.add(file);
  const zeros = new Uint8Array(4 * MB);
  for (let at = 0; at < size; at += zeros.length)
    file.push(zeros.subarray(0, Math.min(zeros.length, size - at)), at + zeros.length >= size);
  zip.end();
  return Buffer.concat(parts);
}

describe('zip bombs and oversized packages', () => {
  let platform: Platform;
  let port: number;
  let dataDir: string;
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const bomb510 = bomb(510 * MB);
  let client: InstanceType<typeof scf.v20180416.Client>;

  before(async () => {
    dataDir = tempDir({ after: (fn: () => unknown) => cleanups.push(fn) });
    platform = await createPlatform({
      config: { port: 0, dataDir, auth: { credentials: [{ secretId: 'AKIDtest', secretKey: 'secret' }] } },
      env: {},
    });
    cleanups.push(() => platform.close());
    ({ port } = await platform.listen());
    client = new scf.v20180416.Client({
      credential: { secretId: 'AKIDtest', secretKey: 'secret' },
      region: 'ap-guangzhou',
      profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 120 } },
    });
    const basics = Buffer.from(zipDirectory(`${repo}test/fixtures/functions/basics`)).toString('base64');
    await client.CreateFunction({ FunctionName: 'kept', Code: { ZipFile: basics } });
  });

  /** Runs `work` while timing /healthz every 10 ms; returns work's outcome and the slowest answer. */
  async function whileProbing<T>(
    work: () => Promise<T>,
  ): Promise<{ result: T | Error; slowestMs: number; probes: number }> {
    let running = true;
    let slowestMs = 0;
    let probes = 0;
    const probe = (async () => {
      while (running) {
        const t0 = performance.now();
        await (await fetch(`http://127.0.0.1:${port}/healthz`)).text();
        slowestMs = Math.max(slowestMs, performance.now() - t0);
        probes += 1;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    let result: T | Error;
    try {
      result = await work();
    } catch (err) {
      result = err as Error;
    }
    running = false;
    await probe;
    return { result, slowestMs, probes };
  }

  const codeOf = (r: unknown): string | undefined =>
    r instanceof Error ? (r as { code?: string }).code : undefined;

  test('CreateFunction with a 510 MB bomb: refused, no trace on disk, server responsive throughout', async () => {
    assert.ok(bomb510.length < MB, `the bomb is ${bomb510.length} bytes`);
    const { result, slowestMs, probes } = await whileProbing(() =>
      client.CreateFunction({ FunctionName: 'bomb', Code: { ZipFile: bomb510.toString('base64') } }),
    );
    assert.equal(codeOf(result), 'InvalidParameterValue.ZipFile', String(result));
    assert.match((result as Error).message, /more than 524288000 bytes/);
    assert.ok(probes >= 3, `only ${probes} probes`);
    assert.ok(slowestMs < 300, `the server stalled ${slowestMs.toFixed(0)} ms while unpacking`);
    assert.equal(existsSync(join(dataDir, 'functions', 'default', 'bomb')), false);
    await assert.rejects(
      client.GetFunction({ FunctionName: 'bomb' }),
      (e: { code?: string }) => e.code === 'ResourceNotFound.Function',
    );
  });

  test('UpdateFunctionCode with the bomb: refused, the old code still runs, no staging left', async () => {
    const r = await whileProbing(() =>
      client.UpdateFunctionCode({ FunctionName: 'kept', ZipFile: bomb510.toString('base64') }),
    );
    assert.equal(codeOf(r.result), 'InvalidParameterValue.ZipFile');
    const fnDir = join(dataDir, 'functions', 'default', 'kept');
    assert.deepEqual(
      readdirSync(fnDir).filter((e) => e.startsWith('.staging')),
      [],
    );
    // Packages are extracted in the catalog's staging folder (src/functions/code-cache.ts).
    const staging = join(dataDir, 'functions', '.staging');
    assert.deepEqual(existsSync(staging) ? readdirSync(staging) : [], []);
    const out = await client.Invoke({ FunctionName: 'kept', ClientContext: '{"name":"after"}' });
    assert.equal(out.Result?.InvokeResult, 0);
  });

  test('a package with more entries than functions.maxFiles (20,000) is refused', async () => {
    const files: Record<string, Uint8Array> = {
      'index.js': new TextEncoder().encode('exports.main_handler = async () => 1;'),
    };
    for (let i = 0; i < 20_001; i++) files[`f/${i}.txt`] = new Uint8Array(0);
    const many = Buffer.from(zipSync(files, { level: 0 }));
    await assert.rejects(
      client.CreateFunction({ FunctionName: 'many', Code: { ZipFile: many.toString('base64') } }),
      (e: { code?: string; message?: string }) =>
        e.code === 'InvalidParameterValue.ZipFile' && /20000 entries/.test(e.message ?? ''),
    );
    assert.equal(existsSync(join(dataDir, 'functions', 'default', 'many')), false);
  });
});

/**
 * A zip whose headers say `name` unpacks to `declared` bytes, whatever it really holds: the uncompressed
 * size is patched in its local header and its central directory entry.
 */
function lyingAbout(zip: Uint8Array, name: string, declared: number): Buffer {
  const out = Buffer.from(zip);
  for (let at = 0; at + 46 <= out.length; at++) {
    const sig = out.readUInt32LE(at);
    if (sig === 0x04034b50) {
      const n = out.readUInt16LE(at + 26);
      if (out.toString('utf8', at + 30, at + 30 + n) === name) out.writeUInt32LE(declared, at + 22);
    } else if (sig === 0x02014b50) {
      const n = out.readUInt16LE(at + 28);
      if (out.toString('utf8', at + 46, at + 46 + n) === name) out.writeUInt32LE(declared, at + 24);
    }
  }
  return out;
}

describe('the unpacked-size cap through the v2 API (functions.maxUnpackedBytes 1 MiB)', () => {
  let platform: Platform;
  let port: number;
  let dataDir: string;
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  const v2 = sdkClient('AKIDtest', 'secret');
  const call = (data: Record<string, unknown>): Promise<V2Body> =>
    sdkCall(v2, { Nonce: freshNonce(), ...data }, { port, method: 'POST' });
  const handler = new TextEncoder().encode('exports.main_handler = async () => "v1";');
  /** `@` + base64, the v2 `code` parameter. */
  const code = (zip: Uint8Array): string => `@${Buffer.from(zip).toString('base64')}`;

  before(async () => {
    dataDir = tempDir({ after: (fn: () => unknown) => cleanups.push(fn) });
    platform = await createPlatform({
      config: {
        port: 0,
        // Request lines (info) would fill the test output; warnings and faults still show.
        log: { level: 'warn' },
        dataDir,
        auth: { credentials: [{ secretId: 'AKIDtest', secretKey: 'secret' }] },
        functions: { maxUnpackedBytes: MB },
        // Packages, not isolation, are under test here: plain processes start faster and steadier.
        runtime: { stemCells: 0, sandbox: 'off' },
      },
      env: {},
    });
    cleanups.push(() => platform.close());
    ({ port } = await platform.listen());
    const made = await call({
      Action: 'CreateFunction',
      functionName: 'kept',
      code: code(zipSync({ 'index.js': handler })),
    });
    assert.equal(made.code, 0, made.message);
  });

  const packages: Array<[string, () => Uint8Array]> = [
    // Its header says 2 MiB: refused before anything is inflated.
    [
      'an honest header over the cap',
      () => zipSync({ 'index.js': handler, 'big.bin': new Uint8Array(2 * MB) }),
    ],
    // Its header says 100 bytes; the inflated bytes are counted.
    [
      'a header that lies (says 100 bytes, holds 2 MiB)',
      () => lyingAbout(zipSync({ 'index.js': handler, 'big.bin': new Uint8Array(2 * MB) }), 'big.bin', 100),
    ],
    // Each file under the cap, all together over it.
    [
      'files each under the cap, together over it',
      () =>
        zipSync({
          'index.js': handler,
          'a.bin': new Uint8Array(0.6 * MB),
          'b.bin': new Uint8Array(0.6 * MB),
        }),
    ],
  ];

  for (const [what, make] of packages) {
    test(`CreateFunction and UpdateFunction refuse ${what}; nothing is left; the old code runs`, async () => {
      const zip = make();
      const name = `z${packages.findIndex(([w]) => w === what)}`;
      const created = await call({ Action: 'CreateFunction', functionName: name, code: code(zip) });
      assert.equal(created.code, 4000, JSON.stringify(created));
      assert.match(created.message, /unpacks to more than 1048576 bytes/);
      assert.equal(existsSync(join(dataDir, 'functions', 'default', name)), false);
      assert.equal((await call({ Action: 'GetFunction', functionName: name })).code, 5000);

      const updated = await call({
        Action: 'UpdateFunction',
        functionName: 'kept',
        codeType: 'Zipfile',
        code: code(zip),
      });
      assert.equal(updated.code, 4000, JSON.stringify(updated));
      assert.match(updated.message, /unpacks to more than 1048576 bytes/);
      const ran = await call({ Action: 'InvokeFunction', functionName: 'kept' });
      assert.equal((ran['data'] as { retMsg: string }).retMsg, '"v1"');
    });
  }

  test('a package just under the cap is accepted (control)', async () => {
    const zip = zipSync({ 'index.js': handler, 'a.bin': new Uint8Array(0.9 * MB) });
    const created = await call({ Action: 'CreateFunction', functionName: 'under', code: code(zip) });
    assert.equal(created.code, 0, created.message);
  });
});
