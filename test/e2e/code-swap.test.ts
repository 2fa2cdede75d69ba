/**
 * Updating a function's code while it is invoked: an invocation runs the code of the revision that was
 * current when it arrived, whole, to its end; one that arrives after the update runs the new code. The
 * platform is real (registry, runtime, child processes), with one instance per function so that an
 * invocation waits in the queue while the code changes twice, and the handler loads part of its code
 * lazily, after the update, as a function's `require` inside the handler does.
 */
import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { zipSync } from 'fflate';
import type { ConfigInput } from '../../src/config/index.js';
import type { InvokeOutcome } from '../../src/invocations/invoker.js';
import { createPlatform, type Platform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';

/** Version `v` of the function: `index.js` waits `event.ms`, then loads `lib.js`; both name `v`. */
function code(v: number): { zip: Uint8Array } {
  return {
    zip: zipSync({
      'index.js': Buffer.from(
        `exports.main_handler = async (event) => {\n` +
          `  console.log('index v${v}');\n` +
          `  await new Promise((r) => setTimeout(r, event.ms || 0));\n` +
          `  return { index: ${v}, lib: require('./lib').v };\n` +
          `};\n`,
      ),
      'lib.js': Buffer.from(`exports.v = ${v};\n`),
    }),
  };
}

async function platformWith(t: TestContext, runtime: ConfigInput['runtime']): Promise<Platform> {
  const platform = await createPlatform({
    config: {
      port: 0,
      // Request lines (info) would fill the test output; warnings and faults still show.
      log: { level: 'warn' },
      dataDir: tempDir(t, 'scf-local-swap-'),
      runtime: { maxInstancesPerFunction: 1, ...runtime },
    },
    env: {},
  });
  t.after(() => platform.close());
  return platform;
}

/** Resolves once `cond()` holds, checking at each turn of the event loop (the runtime's counters have no event). */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function result(outcome: InvokeOutcome): unknown {
  const r = outcome.record;
  assert.ok(r, 'a synchronous invocation has its record');
  assert.equal(r.retCode, 0, `the invocation succeeded: ${r.retMsg}\n${r.log}`);
  return JSON.parse(r.retMsg);
}

for (const sandbox of ['off', 'auto'] as const) {
  describe(`code updated under invocations (sandbox ${sandbox})`, () => {
    test('a running and a queued invocation finish on the old code; the next runs the new', async (t) => {
      const platform = await platformWith(t, { sandbox });
      platform.functions.create({ functionName: 'swap', code: code(1) });
      const started: string[] = [];
      const stop = platform.events.subscribe((e) => {
        if (e.type === 'start') started.push(e.record.requestId);
      });
      t.after(() => stop.unsubscribe());

      // One runs (and loads lib.js only after the updates), the other waits for the only instance slot.
      const running = platform.invoker.invoke({ functionName: 'swap', event: '{"ms":1500}' });
      await until(() => started.length === 1, 'the first invocation to start');
      const queued = platform.invoker.invoke({ functionName: 'swap', event: '{}' });
      await until(() => platform.runtime.stats().queued === 1, 'the second invocation to queue');

      // Two updates while both wait: revision 1 is two revisions old before either is done with it.
      await platform.functions.updateCodeAsync({ functionName: 'swap', code: code(2) });
      await platform.functions.updateCodeAsync({ functionName: 'swap', code: code(3) });
      // Or the test would prove nothing: both are still where they were when the code changed.
      assert.deepEqual(platform.runtime.stats(), { instances: 1, busy: 1, queued: 1 });

      assert.deepEqual(result(await running), { index: 1, lib: 1 });
      assert.deepEqual(result(await queued), { index: 1, lib: 1 });
      const after = await platform.invoker.invoke({ functionName: 'swap', event: '{}' });
      assert.deepEqual(result(after), { index: 3, lib: 3 });
    });
  });
}
