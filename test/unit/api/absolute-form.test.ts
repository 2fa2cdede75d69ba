/**
 * A request target in absolute form (`POST http://scf.tencentcloudapi.com/ HTTP/1.1`), as clients behind a
 * proxy send it, is served as its origin form: the signature, computed over `/`, verifies, and the action
 * is answered. Sent over a raw socket, so the request line is exactly what such a client writes.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { originForm } from '../../../src/api/http.js';
import { createPlatform } from '../../../src/platform.js';
import { tc3JsonHeaders } from '../../helpers/tc3-request.js';
import { tempDir } from '../../helpers/tmp.js';

const CRED = { secretId: 'AKIDabs', secretKey: 'absolute' };

function rawRequest(port: number, head: string, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(`${head}\r\n\r\n${body}`));
    let out = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    s.on('end', () => resolve(out)).on('error', reject);
  });
}

test('originForm keeps the path and query of an absolute-form target, and leaves others alone', () => {
  assert.equal(originForm('http://scf.tencentcloudapi.com/?a=b'), '/?a=b');
  assert.equal(originForm('HTTPS://h:9000/v2/index.php?x=1'), '/v2/index.php?x=1');
  assert.equal(originForm('http://h:9000'), '/');
  assert.equal(originForm('http://h?x=1'), '/?x=1');
  assert.equal(originForm('/v2/index.php?x=1'), '/v2/index.php?x=1');
  assert.equal(originForm('*'), '*');
});

test('a TC3 call with an absolute-form request target is verified and answered', async (t) => {
  const p = await createPlatform({
    config: { port: 0, dataDir: tempDir(t), auth: { credentials: [CRED] }, log: { level: 'silent' } },
    env: {},
  });
  t.after(() => p.close());
  const { port } = await p.listen();
  const host = `127.0.0.1:${port}`;
  const send = async (target: string, body: string): Promise<string> => {
    const headers = tc3JsonHeaders({ host, action: 'ListNamespaces', body, ...CRED });
    const lines = Object.entries({
      ...headers,
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
    })
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n');
    return rawRequest(port, `POST ${target} HTTP/1.1\r\n${lines}`, body);
  };
  const absolute = await send(`http://${host}/`, '{}');
  assert.match(absolute, /^HTTP\/1\.1 200/);
  assert.match(absolute, /"Namespaces":\[\{[^\]]*"Name":"default"/);
  assert.doesNotMatch(absolute, /"Error"/);
  // The same request in origin form, for comparison (another body: the first one's signature is spent).
  const origin = await send('/', '{"Limit":5}');
  assert.match(origin, /"Namespaces":\[\{[^\]]*"Name":"default"/);
});
