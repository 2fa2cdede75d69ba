/**
 * Issue 8, item 5: the API refuses before it spends. Against a real server in its own process (so its RSS
 * is the server's alone), over real sockets: unsigned and unknown-credential large bodies are refused
 * in the protocol's own envelope without being buffered, bodies beyond an action's limit are refused up
 * front or as they stream, concurrent large bodies are bounded, and the server keeps answering signed
 * calls from the real SDK throughout.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { scf } from 'tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js';
import { tempDir } from '../helpers/tmp.js';
import { memoryOf, type ServerChild, startServerChild, streamPost } from './unsigned.js';

const MB = 1024 * 1024;

function sdk(port: number, secretId = 'AKIDtest', secretKey = 'secret') {
  return new scf.v20180416.Client({
    credential: { secretId, secretKey },
    region: 'ap-guangzhou',
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 60 } },
  });
}

/** The API 3.0 error code of an answer ('' when there was no parsable answer). */
function v3Code(body: string): string {
  try {
    return (JSON.parse(body) as { Response: { Error: { Code: string } } }).Response.Error.Code;
  } catch {
    return '';
  }
}

function v2Answer(body: string): { code: number; codeDesc: string } | undefined {
  try {
    return JSON.parse(body) as { code: number; codeDesc: string };
  } catch {
    return undefined;
  }
}

/** An Authorization header of the right shape for `secretId`; its signature is never reached. */
function tc3Headers(secretId: string, action: string, timestamp = Math.floor(Date.now() / 1000)) {
  const date = new Date(timestamp * 1000).toISOString().slice(0, 10);
  return {
    'content-type': 'application/json',
    authorization: `TC3-HMAC-SHA256 Credential=${secretId}/${date}/scf/tc3_request, SignedHeaders=content-type;host, Signature=${'0'.repeat(64)}`,
    'x-tc-action': action,
    'x-tc-timestamp': String(timestamp),
    'x-tc-version': '2018-04-16',
  };
}

describe('unsigned and oversized bodies are refused without being read', () => {
  let server: ServerChild;
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    await server?.stop();
    for (const c of cleanups) c();
  });
  before(async () => {
    const dataDir = tempDir({ after: (fn: () => unknown) => cleanups.push(fn) });
    server = await startServerChild(dataDir, {
      api: { maxBufferedBodyBytes: 24 * MB, maxBodyBytes: 10 * MB, maxUploadBodyBytes: 70 * MB },
    });
  });

  test('40 concurrent unsigned 60 MB POSTs: each refused in its envelope, server RSS stays flat, signed calls still answered', async () => {
    const client = sdk(server.port);
    await client.ListFunctions({});
    const before = memoryOf(server.child.pid!);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const kinds = [
      // API 3.0 JSON without an Authorization header: refused from the headers alone.
      {
        path: '/',
        headers: { 'content-type': 'application/json' },
        expect: 'AuthFailure.InvalidAuthorization',
      },
      // TC3 with a SecretId the server does not know.
      {
        path: '/',
        headers: tc3Headers('AKIDnobody', 'CreateFunction'),
        expect: 'AuthFailure.SecretIdNotFound',
      },
      // TC3 with a timestamp an hour old.
      {
        path: '/',
        headers: tc3Headers('AKIDtest', 'CreateFunction', Math.floor(Date.now() / 1000) - 3600),
        expect: 'AuthFailure.SignatureExpire',
      },
      // Form bodies that never name SecretId (v1 on `/`, v2): read no further than the pre-auth prefix.
      { path: '/', headers: form, expect: 'RequestSizeLimitExceeded|RequestLimitExceeded' },
      { path: '/v2/index.php', headers: form, expect: 'v2' },
    ];
    const posts = Array.from({ length: 40 }, (_, i) => {
      const k = kinds[i % kinds.length]!;
      return streamPost(server.port, k.path, k.headers, 60 * MB).then((r) => ({ ...r, kind: k }));
    });
    // While they are in flight, a signed call is answered.
    const t0 = Date.now();
    const listed = await client.ListFunctions({});
    const signedMs = Date.now() - t0;
    assert.equal(typeof listed.TotalCount, 'number');
    const results = await Promise.all(posts);
    const after = memoryOf(server.child.pid!);

    let answered = 0;
    for (const r of results) {
      // Nothing near the 60 MB was taken: the server answered (and closed) long before.
      assert.ok(r.sent < 60 * MB, `a ${r.kind.path} POST was read to its end`);
      if (r.body === '') continue;
      answered += 1;
      if (r.kind.expect === 'v2') {
        const a = v2Answer(r.body);
        assert.ok(a, `v2 answer is its envelope: ${r.body}`);
        assert.ok(['RequestSizeLimitExceeded', 'LimitExceeded'].includes(a.codeDesc), r.body);
      } else {
        assert.match(v3Code(r.body), new RegExp(`^(${r.kind.expect})$`), r.body);
      }
    }
    // Most callers see the refusal itself (some may see only the closed connection while still writing).
    assert.ok(answered >= 30, `only ${answered} of 40 POSTs got an answer`);
    const grown = after.peak - before.rss;
    assert.ok(grown < 64 * MB, `server peak RSS grew by ${(grown / MB).toFixed(1)} MB`);
    assert.ok(signedMs < 5000, `a signed call took ${signedMs} ms meanwhile`);
    // And after.
    assert.equal(typeof (await client.ListFunctions({})).TotalCount, 'number');
  });

  test("a known caller's body beyond its action's limit is refused up front (Content-Length) and as it streams (chunked)", async () => {
    // GetFunction is not a code upload: 10 MB limit here.
    const upFront = await streamPost(server.port, '/', tc3Headers('AKIDtest', 'GetFunction'), 20 * MB);
    assert.equal(v3Code(upFront.body), 'RequestSizeLimitExceeded');
    assert.ok(upFront.sent < 20 * MB);
    const chunked = await streamPost(server.port, '/', tc3Headers('AKIDtest', 'GetFunction'), 30 * MB, {
      chunked: true,
    });
    assert.ok(chunked.sent < 30 * MB, 'a chunked body past the limit was read to its end');
    if (chunked.body !== '') assert.equal(v3Code(chunked.body), 'RequestSizeLimitExceeded');
    // A code upload may be bigger, but not past its own limit.
    const upload = await streamPost(server.port, '/', tc3Headers('AKIDtest', 'CreateFunction'), 80 * MB);
    assert.equal(v3Code(upload.body), 'RequestSizeLimitExceeded');
    // A v2 form naming its credentials first gets its action's limit (InvokeFunction: 10 MB).
    const ts = Math.floor(Date.now() / 1000);
    const v2 = await streamPost(
      server.port,
      '/v2/index.php',
      { 'content-type': 'application/x-www-form-urlencoded' },
      20 * MB,
      { prefix: `Action=InvokeFunction&SecretId=AKIDtest&Timestamp=${ts}&Nonce=1&param=` },
    );
    assert.equal(v2Answer(v2.body)?.codeDesc, 'RequestSizeLimitExceeded', v2.body);
    assert.equal(v2Answer(v2.body)?.code, 4000);
  });

  test('bodies held at once are bounded: past api.maxBufferedBodyBytes a caller is told to retry later', async () => {
    // Two 9 MB uploads hold 18 of the 24 MB while their senders are slow; a third is refused at once.
    const holders = [0, 1].map(() => {
      const req = request({
        host: '127.0.0.1',
        port: server.port,
        path: '/',
        method: 'POST',
        headers: { ...tc3Headers('AKIDtest', 'CreateFunction'), 'content-length': String(9 * MB) },
      });
      req.on('error', () => {});
      req.write('{');
      return req;
    });
    await new Promise((r) => setTimeout(r, 300));
    const third = await streamPost(server.port, '/', tc3Headers('AKIDtest', 'CreateFunction'), 9 * MB);
    assert.equal(v3Code(third.body), 'RequestLimitExceeded');
    for (const h of holders) h.destroy();
    // Once they are gone, the same upload is let in (it then fails its signature, having been read).
    await new Promise((r) => setTimeout(r, 300));
    const later = await streamPost(server.port, '/', tc3Headers('AKIDtest', 'CreateFunction'), 9 * MB);
    assert.equal(v3Code(later.body), 'AuthFailure.SignatureFailure');
  });
});
