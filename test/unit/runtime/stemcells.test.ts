/** Stem cells: pre-started processes bound at a cold start, indistinguishable from a fresh start. Real processes. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findSetpriv } from '../../../src/runtime/sandbox/detect.js';
import type { FunctionRunSpec, RunResult, Runtime } from '../../../src/runtime/types.js';
import {
  alive,
  childPids,
  DEFAULT_OPTIONS,
  eventually,
  FIXTURES,
  fixture,
  makeRuntime,
  request,
  stemPids,
  userMessages,
} from './helpers.js';

interface ContextReport {
  fields: Record<string, unknown>;
  env: Record<string, string>;
  cwd: string;
  pid: number;
}

const report = (r: RunResult): ContextReport => JSON.parse(r.retMsg) as ContextReport;

/**
 * The stem-cell mechanics are checked on plain processes, where the host can tell a waiting cell from a
 * bound one by its pid and cwd; the last test checks stem cells inside sandboxes the function's way.
 */
const PLAIN = { sandbox: 'off' } as const;

/** Waits for exactly one waiting stem cell and returns its pid. */
async function waitingStem(): Promise<number> {
  await eventually(() => stemPids().length === 1, 5000, 'a waiting stem cell');
  return stemPids()[0] ?? 0;
}

/** Invokes `fn` (the `context` handler) and checks the result is a successful cold start. */
async function coldContext(rt: Runtime, fn: FunctionRunSpec): Promise<{ r: RunResult; v: ContextReport }> {
  const r = await rt.invoke(request(fn, { qualifier: '$LATEST' }));
  assert.equal(r.retCode, 0, r.retMsg);
  assert.equal(r.coldStart, true);
  return { r, v: report(r) };
}

test('a 128 MB cold start binds a pre-started process that looks exactly like a fresh one', async (t) => {
  const withStems = makeRuntime(t, PLAIN);
  const fresh = makeRuntime(t, { ...PLAIN, stemCells: 0 });
  const fnA = fixture('basics', {
    functionName: 'stem-a',
    handler: 'index.context',
    environment: { GREETING: 'hi', MODE: 'a' },
  });
  const fnB = fixture('basics', {
    functionName: 'stem-b',
    handler: 'index.context',
    namespace: 'ns2',
    environment: { ONLY_B: 'b' },
  });

  const stemA = await waitingStem();
  const a = await coldContext(withStems, fnA);
  assert.equal(a.v.pid, stemA, 'the process existed before the invocation');
  // The replacement is started in the background, and the next matching cold start takes it.
  const stemB = await waitingStem();
  assert.notEqual(stemB, stemA);
  const b = await coldContext(withStems, fnB);
  assert.equal(b.v.pid, stemB);

  // The same functions started fresh: every observable detail must match (env including key order).
  const freshA = await coldContext(fresh, fnA);
  const freshB = await coldContext(fresh, fnB);
  for (const [stem, ref, fn] of [
    [a, freshA, fnA],
    [b, freshB, fnB],
  ] as const) {
    assert.deepEqual(
      Object.entries(stem.v.env),
      Object.entries(ref.v.env),
      `${fn.functionName}: process.env`,
    );
    assert.equal(stem.v.cwd, fn.codeDir);
    assert.equal(stem.v.cwd, ref.v.cwd);
    const { request_id: _a, ...stemFields } = stem.v.fields;
    const { request_id: _b, ...refFields } = ref.v.fields;
    assert.deepEqual(stemFields, refFields, `${fn.functionName}: context`);
    assert.deepEqual(userMessages(stem.r.log), ['module loaded'], 'module code ran in the first invocation');
    assert.deepEqual(userMessages(ref.r.log), ['module loaded']);
  }
  assert.equal(a.v.env['GREETING'], 'hi');
  assert.equal(b.v.env['GREETING'], undefined, "no variable of another function's");
  assert.equal(b.v.env['ONLY_B'], 'b');
  assert.equal(b.v.env['SCF_NAMESPACE'], 'ns2');
  assert.equal(b.v.env['SCF_FUNCTIONNAME'], 'stem-b');

  // Warm reuse of a bound stem cell is ordinary: same process, module not loaded again.
  const again = await withStems.invoke(request(fnA));
  assert.equal(again.coldStart, false);
  assert.equal(report(again).pid, stemA);
  assert.deepEqual(userMessages(again.log), []);
});

test('a time zone set by the function applies in a stem cell as in a fresh process', async (t) => {
  const withStems = makeRuntime(t, PLAIN);
  const fresh = makeRuntime(t, { ...PLAIN, stemCells: 0 });
  const fn = fixture('basics', { handler: 'index.startup', environment: { TZ: 'Asia/Shanghai' } });
  const stem = await waitingStem();
  const a = await withStems.invoke(request(fn));
  const b = await fresh.invoke(request(fn));
  const va = JSON.parse(a.retMsg) as { pid: number };
  assert.equal(va.pid, stem);
  const { pid: _a, ...fromStem } = va;
  const { pid: _b, ...fromFresh } = JSON.parse(b.retMsg) as { pid: number };
  assert.deepEqual(fromStem, fromFresh);
  assert.deepEqual(fromStem, { noDeprecation: false, epochHour: 8, timeZone: 'Asia/Shanghai' });
});

test('other memory sizes, and functions setting start-up variables (NODE_OPTIONS), start fresh', async (t) => {
  const rt = makeRuntime(t, PLAIN);
  const stem = await waitingStem();
  const big = await rt.invoke(request(fixture('basics', { memorySize: 256 })));
  assert.equal(big.retCode, 0, big.retMsg);
  assert.notEqual((JSON.parse(big.retMsg) as { pid: number }).pid, stem);
  assert.match(big.log, /Memory:256MB/);
  const opts = await rt.invoke(
    request(
      fixture('basics', { handler: 'index.startup', environment: { NODE_OPTIONS: '--no-deprecation' } }),
    ),
  );
  const v = JSON.parse(opts.retMsg) as { pid: number; noDeprecation: boolean };
  assert.notEqual(v.pid, stem);
  assert.equal(v.noDeprecation, true, 'NODE_OPTIONS took effect: the process was started with it');
  assert.deepEqual(stemPids(), [stem], 'the stem cell is still waiting, untouched');
});

test('stemCells: 0 starts nothing ahead of demand', async (t) => {
  const rt = makeRuntime(t, { ...PLAIN, stemCells: 0 });
  assert.deepEqual(childPids(), []);
  const r = await rt.invoke(request(fixture('basics')));
  assert.equal(r.retCode, 0);
  assert.equal(r.coldStart, true);
  assert.deepEqual(childPids(), [(JSON.parse(r.retMsg) as { pid: number }).pid], 'no replacement either');
});

test('a stem cell that dies while waiting is replaced; a cold start that took it falls back', async (t) => {
  const rt = makeRuntime(t, PLAIN);
  const first = await waitingStem();
  process.kill(first, 'SIGKILL');
  // Taken before its death was noticed, or after: the invocation succeeds either way.
  const r = await rt.invoke(request(fixture('basics')));
  assert.equal(r.retCode, 0, r.retMsg);
  assert.equal(r.coldStart, true);
  assert.notEqual((JSON.parse(r.retMsg) as { pid: number }).pid, first);
  const next = await waitingStem();
  assert.notEqual(next, first);
  process.kill(next, 'SIGKILL');
  // Not taken this time: noticed while waiting, and replaced.
  await eventually(() => stemPids().length === 1 && stemPids()[0] !== next, 5000, 'a replacement');
});

test('a missing code folder is still a 439 result with a stem cell (bound, then a fresh start)', async (t) => {
  const rt = makeRuntime(t, { ...PLAIN, maxInstancesPerFunction: 1, maxQueuedPerFunction: 0 });
  await waitingStem();
  const missing = fixture('basics', { codeDir: '/nonexistent/scf-local-code' });
  const failed = await rt.invoke(request(missing));
  assert.equal(failed.retCode, 439);
  assert.match(failed.errMsg, /failed to start/);
  assert.deepEqual(rt.stats(), { instances: 0, busy: 0, queued: 0 });
  const ok = await rt.invoke(request(fixture('basics', { functionName: 'after' })));
  assert.equal(ok.retCode, 0);
});

test('close() stops stem cells, even one still starting', async (t) => {
  const rt = makeRuntime(t, { ...PLAIN, stemCells: 2 });
  const pids = childPids();
  assert.equal(pids.length, 2);
  await rt.close();
  assert.deepEqual(childPids(), []);
  assert.ok(pids.every((p) => !alive(p)));
});

test('stem cells never keep the server process alive', async () => {
  // A server that invoked a function and then has nothing left to do exits by itself; its instance and
  // its stem cells see their IPC channel close and exit too.
  const runtimeUrl = new URL('../../../src/runtime/index.js', import.meta.url).href;
  const helpersUrl = new URL('./helpers.js', import.meta.url).href;
  const script = `
    import { createRuntime } from ${JSON.stringify(runtimeUrl)};
    import { childPids } from ${JSON.stringify(helpersUrl)};
    const rt = createRuntime(${JSON.stringify({ ...DEFAULT_OPTIONS, stemCells: 2 })});
    const fn = { namespace: 'default', functionName: 'basics', revision: 1, handler: 'index.main_handler',
      runtime: 'Nodejs18.15', codeDir: ${JSON.stringify(`${FIXTURES}basics`)}, memorySize: 128, timeout: 3,
      environment: {} };
    const r = await rt.invoke({ fn, requestId: 'r1', qualifier: '$LATEST', event: '{}' });
    console.log(JSON.stringify({ retCode: r.retCode, pids: childPids() }));
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const code = await exited;
  clearTimeout(deadline);
  assert.equal(code, 0, 'the server process exited by itself');
  const { retCode, pids } = JSON.parse(out) as { retCode: number; pids: number[] };
  assert.equal(retCode, 0);
  assert.ok(pids.length >= 2, `an instance and stem cells were running: ${pids.join(' ')}`);
  await eventually(() => pids.every((p) => !alive(p)), 5000, 'the orphaned processes to exit');
});

test('in a sandbox, a stem cell bound at a cold start looks exactly like a fresh sandbox', async (t) => {
  const withStems = makeRuntime(t, { sandbox: 'auto' });
  if (!withStems.sandboxStatus().isolated) {
    t.skip(`no sandbox here: ${withStems.sandboxStatus().reason}`);
    return;
  }
  const fresh = makeRuntime(t, { sandbox: 'auto', stemCells: 0 });
  const fn = fixture('basics', {
    functionName: 'sandboxed-stem',
    handler: 'index.context',
    environment: { GREETING: 'hi' },
  });
  // The reserve's cell is ready once a first cold start has been served from it and replaced: warm it up
  // with another function, then wait for the replacement (a bwrap child of this process) to be there.
  await coldContext(withStems, fixture('basics', { functionName: 'warm-up', handler: 'index.context' }));
  await eventually(() => childPids().length >= 2, 10_000, 'the replacement stem cell');
  await new Promise((r) => setTimeout(r, 300));
  const stem = await coldContext(withStems, fn);
  const ref = await coldContext(fresh, fn);
  assert.deepEqual(Object.entries(stem.v.env), Object.entries(ref.v.env), 'process.env, key order included');
  assert.equal(stem.v.cwd, '/var/user');
  assert.equal(ref.v.cwd, '/var/user');
  assert.equal(stem.v.env['SCF_CODE'], '/var/user');
  assert.equal(stem.v.pid, 2, "PID 2 of the sandbox's namespace (bwrap's init is 1)");
  const { request_id: _a, ...stemFields } = stem.v.fields;
  const { request_id: _b, ...refFields } = ref.v.fields;
  assert.deepEqual(stemFields, refFields);
  assert.deepEqual(userMessages(stem.r.log), ['module loaded'], 'module code ran in the first invocation');
  const again = await withStems.invoke(request(fn));
  assert.equal(again.coldStart, false);
  assert.deepEqual(userMessages(again.log), []);
});

test('without a sandbox, a server killed outright takes its idle (frozen) and its spinning instances with it', async (t) => {
  // SIGKILL gives the server no chance to stop its instances: a plain instance is started through
  // `setpriv --pdeathsig KILL`, so the kernel ends it even while it is stopped or spinning.
  if (findSetpriv() === undefined) {
    t.skip('setpriv (util-linux) is not installed here');
    return;
  }
  const runtimeUrl = new URL('../../../src/runtime/index.js', import.meta.url).href;
  const helpersUrl = new URL('./helpers.js', import.meta.url).href;
  const script = `
    import { createRuntime } from ${JSON.stringify(runtimeUrl)};
    import { childPids } from ${JSON.stringify(helpersUrl)};
    const rt = createRuntime(${JSON.stringify({ ...DEFAULT_OPTIONS, stemCells: 0, sandbox: 'off' })});
    const spec = (functionName, handler) => ({ namespace: 'default', functionName, revision: 1, handler,
      runtime: 'Nodejs18.15', codeDir: ${JSON.stringify(`${FIXTURES}timeouts`)}, memorySize: 128, timeout: 30,
      environment: {} });
    const r = await rt.invoke({ fn: spec('idle', 'index.ok'), requestId: 'r1', qualifier: '$LATEST', event: '{}' });
    void rt.invoke({ fn: spec('spinning', 'index.spin'), requestId: 'r2', qualifier: '$LATEST', event: '{}' });
    setTimeout(() => console.log(JSON.stringify({ retCode: r.retCode, pids: childPids() })), 1000);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.after(() => child.kill('SIGKILL'));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out);
    });
    child.once('exit', () => reject(new Error(`the server exited before it reported: ${out}`)));
  });
  const { retCode, pids } = JSON.parse(line) as { retCode: number; pids: number[] };
  assert.equal(retCode, 0);
  assert.equal(pids.length, 2, `an idle and a spinning instance: ${pids.join(' ')}`);
  assert.ok(
    pids.some((p) => readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]?.startsWith('T')),
    'the idle instance is frozen',
  );
  child.kill('SIGKILL');
  await eventually(() => pids.every((p) => !alive(p)), 5000, 'both instances to die with their server');
});
