/**
 * Provisioned instances in the runtime: started ahead with their code loaded (Node.js and Python), warm
 * for their first invocation, kept through the idle timeout, replaced when lost, and a code that fails to
 * load reported. Real processes.
 */
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import type { FunctionRunSpec } from '../../../src/runtime/types.js';
import { tempDir } from '../../helpers/tmp.js';
import { eventually, fixture, makeRuntime, request } from './helpers.js';

/** A code folder holding `files`, readable by the sandbox's user. */
function codeDir(t: TestContext, files: Record<string, string>): string {
  const dir = tempDir(t);
  chmodSync(dir, 0o755);
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o644);
  }
  return dir;
}

const NODE = `console.log('module loading');
const loadedAt = Date.now();
const id = Math.random();
exports.main_handler = async () => ({ loadedAt, id });
`;
const PYTHON = `import random, time
print("module loading")
loaded_at = int(time.time() * 1000)
ident = random.random()
def main_handler(event, context):
    return {"loadedAt": loaded_at, "id": ident}
`;

const spec = (dir: string, overrides: Partial<FunctionRunSpec> = {}): FunctionRunSpec =>
  fixture('basics', { functionName: 'warm', codeDir: dir, ...overrides });

for (const [language, files, runtime] of [
  ['Node.js', { 'index.js': NODE }, 'Nodejs18.15'],
  ['Python', { 'index.py': PYTHON }, 'Python3.9'],
] as const) {
  test(`${language}: provisioned instances load their code ahead and serve warm, through the idle timeout`, async (t) => {
    const rt = makeRuntime(t, { idleTimeoutMs: 150 });
    const fn = spec(codeDir(t, files), { runtime });
    rt.provision(fn, 2);
    const state = () => rt.provisioned('default', 'warm').get('$LATEST');
    assert.equal(state()?.target, 2);
    await eventually(() => state()?.available === 2, 20_000, 'two provisioned instances');
    assert.deepEqual(rt.stats(), { instances: 2, busy: 0, queued: 0 });
    // Several idle timeouts later they are still there.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(state()?.available, 2);
    const results = await Promise.all([rt.invoke(request(fn)), rt.invoke(request(fn))]);
    for (const r of results) {
      assert.equal(r.retCode, 0, r.log);
      assert.equal(r.coldStart, false);
      const ret = JSON.parse(r.retMsg) as { loadedAt: number };
      assert.ok(ret.loadedAt < r.startTime - 500, 'loaded before the invocation, and the idle timeouts');
      // A warm start: what the module printed while loading is in no invocation's log.
      assert.doesNotMatch(r.log, /module loading/);
    }
    assert.equal(new Set(results.map((r) => (JSON.parse(r.retMsg) as { id: number }).id)).size, 2);
    rt.provision(fn, 0);
    assert.equal(rt.provisioned('default', 'warm').size, 0);
  });
}

test('a provisioned instance that is lost is replaced', async (t) => {
  const rt = makeRuntime(t, { sandbox: 'off' });
  const fn = spec(codeDir(t, { 'index.js': 'exports.main_handler = async () => process.exit(3);\n' }));
  rt.provision(fn, 1);
  const state = () => rt.provisioned('default', 'warm').get('$LATEST');
  await eventually(() => state()?.available === 1, 20_000, 'the provisioned instance');
  const r = await rt.invoke(request(fn));
  assert.equal(r.retCode, 439);
  await eventually(() => state()?.available === 1, 20_000, 'its replacement');
});

test('code that fails to load: the provisioned state says why', async (t) => {
  const rt = makeRuntime(t, { sandbox: 'off' });
  const fn = spec(codeDir(t, { 'index.js': "throw new Error('no config here');\n" }));
  rt.provision(fn, 1);
  const state = () => rt.provisioned('default', 'warm').get('$LATEST');
  await eventually(() => state()?.failure !== undefined, 20_000, 'the failure');
  assert.match(state()?.failure ?? '', /no config here/);
  assert.equal(state()?.available, 0);
});
