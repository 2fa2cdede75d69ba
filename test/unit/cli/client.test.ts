/**
 * The CLI's API client against a real platform on a real socket: two identical writes signed in the same
 * second both run (each request signs a fresh random header), where the same two requests signed without
 * it are refused as a replay, the server's rule for TC3 writes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { zipSync } from 'fflate';
import { ApiClient, NONCE_HEADER } from '../../../src/cli/client.js';
import { createPlatform } from '../../../src/platform.js';
import { tc3JsonHeaders } from '../../helpers/tc3-request.js';
import { tempDir } from '../../helpers/tmp.js';

const CRED = { secretId: 'AKIDclient', secretKey: 'client-secret' };

describe('ApiClient: identical writes in one second', () => {
  test('two identical Invoke calls with the same X-TC-Timestamp both run; unsigned by a nonce, the second is a replay', async (t) => {
    const dataDir = tempDir(t, 'scf-local-client-');
    const platform = await createPlatform({
      config: { port: 0, dataDir, auth: { credentials: [CRED] } },
      env: {},
    });
    t.after(() => platform.close());
    // What the server received: each Invoke's timestamp and signed headers.
    const seen: Array<{ timestamp: string; authorization: string }> = [];
    platform.http.addHook('onRequest', async (req) => {
      if (req.headers['x-tc-action'] === 'Invoke') {
        seen.push({
          timestamp: String(req.headers['x-tc-timestamp']),
          authorization: String(req.headers['authorization']),
        });
      }
    });
    const { url } = await platform.listen();

    // One clock reading for every request: whatever the machine's speed, they are signed in one second.
    const fixed = Date.now();
    const client = new ApiClient({ endpoint: url, ...CRED, now: () => fixed });
    t.after(() => client.close());
    const code = Buffer.from(
      zipSync({ 'index.js': Buffer.from('exports.main_handler = async (e) => ({ got: e.n });\n') }),
    );
    await client.call('CreateFunction', {
      FunctionName: 'same',
      Handler: 'index.main_handler',
      Code: { ZipFile: code.toString('base64') },
    });

    const params = { FunctionName: 'same', ClientContext: '{"n":1}', InvocationType: 'RequestResponse' };
    const first = await client.call<{ Result: { RetMsg: string; InvokeResult: number } }>('Invoke', params);
    const second = await client.call<{ Result: { RetMsg: string; InvokeResult: number } }>('Invoke', params);
    for (const r of [first, second]) {
      assert.equal(r.Result.InvokeResult, 0);
      assert.deepEqual(JSON.parse(r.Result.RetMsg), { got: 1 });
    }
    assert.notEqual(first.RequestId, second.RequestId, 'two invocations, not one answered twice');
    assert.equal(seen.length, 2);
    assert.equal(seen[0]?.timestamp, seen[1]?.timestamp, 'both signed in the same second');
    for (const s of seen)
      assert.match(s.authorization, new RegExp(`SignedHeaders=[^,]*;${NONCE_HEADER}[;,]`));
    assert.notEqual(seen[0]?.authorization, seen[1]?.authorization, 'the signatures differ');

    // The control: the very same request twice without the nonce is one signature, and the second refused.
    const body = Buffer.from(JSON.stringify(params));
    const headers = tc3JsonHeaders({ host: new URL(url).host, action: 'Invoke', body, ...CRED });
    const send = async (): Promise<{ Response: { Error?: { Code: string } } }> => {
      const res = await fetch(url, { method: 'POST', headers, body });
      return (await res.json()) as { Response: { Error?: { Code: string } } };
    };
    assert.equal((await send()).Response.Error, undefined);
    assert.equal((await send()).Response.Error?.Code, 'AuthFailure.InvalidAuthorization');
  });
});
