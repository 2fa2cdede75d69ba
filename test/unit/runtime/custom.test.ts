/**
 * What only SCF's Custom Runtime has (the contract it shares with Node.js and Python is `contract.ts`):
 * the runtime API as a bootstrap sees it (address, headers, `_HANDLER`), bootstraps in Node.js and in
 * bash with curl as SCF's examples write them, plain-text responses and `/invocation/error`, the host
 * process left out of memUsage, and the ways an initialisation fails (no `scf_bootstrap`, an exit before
 * ready, no ready within the init timeout), each recorded with what the bootstrap printed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import type { FunctionRunSpec } from '../../../src/runtime/types.js';
import { fixture, makeRuntime, request, userMessages } from './helpers.js';

const custom = (name: string, overrides: Partial<FunctionRunSpec> = {}): FunctionRunSpec =>
  fixture(name, { runtime: 'CustomRuntime', ...overrides });

test('a Node.js bootstrap: the event, SCF headers and variables, then answers in JSON, text or error', async (t) => {
  const rt = makeRuntime(t);
  const sandboxed = rt.sandboxStatus().isolated;
  const f = custom('custom-node', { memorySize: 256, timeout: 4 });
  const req = request(f, { event: '{"hello":"world"}' });
  const first = await rt.invoke(req);
  assert.equal(first.retCode, 0, first.retMsg);
  const seen = JSON.parse(first.retMsg);
  assert.deepEqual(
    { ...seen, port: undefined },
    {
      requestId: req.requestId,
      memory: '256',
      time: '4000',
      api: '127.0.0.1',
      port: undefined,
      handler: 'index.main_handler',
      event: { hello: 'world' },
    },
  );
  // In a sandbox the loopback is the instance's own, and the port SCF's.
  if (sandboxed) assert.equal(seen.port, '9001');
  else assert.match(seen.port, /^\d+$/);
  // The bootstrap's start-up output is in the first invocation's log, raw; then its own lines.
  const lines = userMessages(first.log);
  assert.deepEqual(lines, ['node bootstrap starting for index.main_handler', `handling ${req.requestId}`]);

  const text = await rt.invoke(request(f, { event: '{"text":"plain words"}' }));
  assert.equal(text.retCode, 0);
  assert.equal(text.retMsg, '"plain words"');
  assert.equal(text.coldStart, false);

  const failed = await rt.invoke(request(f, { event: '{"fail":"on purpose"}' }));
  assert.equal(failed.retCode, 430);
  assert.equal(JSON.parse(failed.retMsg).errorMessage, 'it failed: on purpose');
  const after = await rt.invoke(request(f, { event: '{"text":"still here"}' }));
  assert.equal(after.retCode, 0, 'an error answer does not end the instance');
  assert.equal(after.coldStart, false);
});

test('SCF’s bash + curl bootstrap; memUsage is the function’s processes, not the runtime API host', async (t) => {
  if (!existsSync('/usr/bin/curl')) {
    t.skip('curl is not installed');
    return;
  }
  const rt = makeRuntime(t);
  const f = custom('custom-shell');
  const r = await rt.invoke(request(f, { event: '{"n":1}' }));
  assert.equal(r.retCode, 0, r.retMsg);
  assert.deepEqual(JSON.parse(r.retMsg), { shell: true, event: { n: 1 } });
  assert.ok(userMessages(r.log).includes('shell bootstrap ready'), r.log);
  const again = await rt.invoke(request(f, { event: '{"n":2}' }));
  assert.deepEqual(JSON.parse(again.retMsg), { shell: true, event: { n: 2 } });
  // bash and a curl or two: a few MB. The host (a Node process, ~40 MB) is platform machinery.
  assert.ok(again.memUsage > 0 && again.memUsage < 25 * 1024 * 1024, `memUsage ${again.memUsage}`);
});

test('no scf_bootstrap in the code: the invocation fails (439) and says so', async (t) => {
  const rt = makeRuntime(t);
  const r = await rt.invoke(request(custom('custom-noboot')));
  assert.equal(r.retCode, 439);
  assert.match(r.retMsg, /the code has no executable scf_bootstrap/);
});

test('a bootstrap that exits before ready: 439 with its exit code and what it printed', async (t) => {
  const rt = makeRuntime(t);
  const r = await rt.invoke(request(custom('custom-early-exit')));
  assert.equal(r.retCode, 439);
  assert.match(r.retMsg, /scf_bootstrap ended \(exit code 4\) before it reported ready/);
  assert.match(r.retMsg, /cannot configure the database/);
});

test('a bootstrap never ready: 439 once the init timeout passes, with what it printed', async (t) => {
  const rt = makeRuntime(t);
  const t0 = performance.now();
  const r = await rt.invoke(request(custom('custom-never-ready', { initTimeout: 1 })));
  const wall = performance.now() - t0;
  assert.equal(r.retCode, 439);
  assert.match(r.retMsg, /did not call POST \/runtime\/init\/ready within 1 s \(init timeout\)/);
  assert.match(r.retMsg, /warming up forever/);
  assert.ok(wall >= 1000 && wall < 5000, `wall ${wall.toFixed(0)} ms`);
});

test('what the bootstrap prints before it answers is in that invocation’s log, every time', async (t) => {
  // Its stdout and the runtime API are two channels: the answer can be read before the line printed just
  // ahead of it, unless the result waits for that turn's reads (as it does).
  const rt = makeRuntime(t);
  const f = custom('custom-node');
  for (let i = 0; i < 40; i++) {
    const req = request(f, { event: `{"text":"n${i}"}` });
    const r = await rt.invoke(req);
    assert.equal(r.retCode, 0, r.retMsg);
    assert.ok(userMessages(r.log).includes(`handling ${req.requestId}`), `invocation ${i}: ${r.log}`);
  }
});
