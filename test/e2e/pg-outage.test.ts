/**
 * A node that loses its PostgreSQL database: the connection goes through a TCP proxy the test cuts and
 * restores. While the database is away the server stays up and answers with the coded error
 * (API 3.0 `ResourceUnavailable`, through the real SDK); when it comes back the node recovers by itself:
 * invocations run and are recorded, reads work, and the live feed delivers again. No acknowledged
 * invocation loses its record.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HubEvent } from '../../src/invocations/events.js';
import { createPlatform } from '../../src/platform.js';
import { CRED } from '../helpers/follower.js';
import { freshSchema, pgBehindProxy } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { errorCodeOf, v3Client } from '../helpers/v3client.js';

test('postgres outage: coded errors while the database is away, recovery without losing a record', {
  timeout: 120_000,
}, async (t) => {
  const schema = freshSchema(t, 'scf_out');
  const { proxy, url: viaProxy } = await pgBehindProxy(t);
  const fnDir = tempDir(t);
  writeFileSync(
    join(fnDir, 'index.js'),
    'exports.main_handler = async (e) => { console.log("n", e.n); return e.n; };\n',
  );
  const platform = await createPlatform({
    config: {
      port: 0,
      dataDir: tempDir(t),
      log: { level: 'fatal' },
      auth: { credentials: [CRED] },
      store: { backend: 'postgres', postgres: { connectionString: viaProxy, schema } },
      cluster: { nodeId: 'solo', leaseMs: 2000 },
      runtime: { sandbox: 'off' },
    },
    env: {},
  });
  t.after(() => platform.close());
  await platform.functions.createAsync({ functionName: 'echo', timeout: 30, code: { directory: fnDir } });
  const { port } = await platform.listen();
  const sdk = v3Client(port);
  const ends: string[] = [];
  platform.events.subscribe((e: HubEvent) => {
    if (e.type === 'end') ends.push(e.record.requestId);
  });
  const invoke = async (n: number): Promise<string> => {
    const r = await sdk.Invoke({ FunctionName: 'echo', ClientContext: JSON.stringify({ n }) });
    assert.equal(r.Result?.RetMsg, String(n));
    return r.Result!.FunctionRequestId!;
  };
  const acknowledged = [await invoke(1), await invoke(2)];

  await proxy.cut();
  // Reads answer at once with the coded error; the server stays up.
  assert.equal(await errorCodeOf(sdk.GetFunctionLogs({ FunctionName: 'echo' })), 'ResourceUnavailable');
  assert.equal(await errorCodeOf(sdk.GetFunctionLogs({ FunctionName: 'echo' })), 'ResourceUnavailable');
  // An invocation during the outage either fails with the coded error or, if the database is back in
  // time, succeeds and is recorded (the writer retries a batch while the database is away).
  const during = invoke(3).then(
    (id) => ({ id }),
    (err: { code?: string }) => ({ code: err.code }),
  );
  await new Promise((r) => setTimeout(r, 1500));
  await proxy.restore();
  const outcome = await during;
  if ('id' in outcome) acknowledged.push(outcome.id);
  else assert.equal(outcome.code, 'ResourceUnavailable');

  // Recovered: invocations, reads and the live feed work again.
  acknowledged.push(await invoke(4), await invoke(5));
  const logs = await sdk.GetFunctionLogs({ FunctionName: 'echo', Limit: 100 });
  const stored = new Map((logs.Data ?? []).map((r) => [r.RequestId, r]));
  for (const id of acknowledged) assert.equal(stored.get(id)?.RetCode, 0, `acknowledged ${id} is recorded`);
  const deadline = Date.now() + 20_000;
  while (!acknowledged.every((id) => ends.includes(id))) {
    assert.ok(Date.now() < deadline, `the live feed delivered ${ends.length} of ${acknowledged.length} ends`);
    await new Promise((r) => setTimeout(r, 50));
  }
});
