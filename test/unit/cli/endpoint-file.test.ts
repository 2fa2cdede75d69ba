/** The endpoint a server records in its data folder (src/cli/endpoint-file.ts). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { connectUrl, readEndpointRecord, recordEndpoint } from '../../../src/cli/endpoint-file.js';
import { tempDir } from '../../helpers/tmp.js';

test('a record is read while its server runs, and removed by it', (t) => {
  const dir = tempDir(t);
  assert.equal(readEndpointRecord(dir), undefined, 'none yet');
  const recorded = recordEndpoint(dir, { host: '127.0.0.1', port: 9107 });
  const record = readEndpointRecord(dir);
  assert.equal(record?.url, 'http://127.0.0.1:9107');
  assert.equal(record?.pid, process.pid);
  recorded.remove();
  assert.equal(existsSync(join(dir, 'endpoint.json')), false);
  assert.equal(readEndpointRecord(dir), undefined);
  recorded.remove();
});

test("a record whose server is gone (killed, never removed) is ignored, as is one that isn't JSON", (t) => {
  const dir = tempDir(t);
  const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  const pid = Number(gone.stdout);
  assert.ok(pid > 0);
  writeFileSync(
    join(dir, 'endpoint.json'),
    JSON.stringify({ url: 'http://127.0.0.1:9107', host: '127.0.0.1', port: 9107, pid, since: '' }),
  );
  assert.equal(readEndpointRecord(dir), undefined);
  writeFileSync(join(dir, 'endpoint.json'), '{"url":');
  assert.equal(readEndpointRecord(dir), undefined);
});

test('a server bound to every interface is reached through loopback', () => {
  assert.equal(connectUrl('0.0.0.0', 9000), 'http://127.0.0.1:9000');
  assert.equal(connectUrl('::', 9000), 'http://[::1]:9000');
  assert.equal(connectUrl('::1', 9000), 'http://[::1]:9000');
  assert.equal(connectUrl('192.168.1.5', 80), 'http://192.168.1.5:80');
});
