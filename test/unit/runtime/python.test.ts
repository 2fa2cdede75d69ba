/**
 * What only Python functions have (the contract both languages share is `contract.ts`): raw output and
 * the `logging` module's lines, vendored packages, a missing dependency (437) and failing module code
 * (430), async handlers, unserialisable results, `sys.exit(0)`, output that looks like frames, and the
 * Python stem cells that start after the first cold start.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import type { FunctionRunSpec } from '../../../src/runtime/types.js';
import { fixture, makeRuntime, request } from './helpers.js';

const py = (overrides: Partial<FunctionRunSpec> = {}): FunctionRunSpec =>
  fixture('python', { runtime: 'Python3.10', ...overrides });

/**
 * Host pids of this process's Python bootstraps (its descendants only: other test files run too), the
 * interpreter processes themselves (bwrap's, whose command line names the bootstrap too, are not).
 */
function pythonBootstraps(): number[] {
  const parent = new Map<number, number>();
  const python: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (
        readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes('python/bootstrap.py') &&
        /python/.test(readlinkSync(`/proc/${entry}/exe`))
      )
        python.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  const mine = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === process.pid) return true;
    }
    return false;
  };
  return python.filter(mine);
}

test('print is raw in the log; logging writes [LEVEL]\\ttime\\trequestId\\tmessage', async (t) => {
  const rt = makeRuntime(t);
  const req = request(py(), { event: '{"do":"logging"}' });
  const r = await rt.invoke(req);
  assert.equal(r.retCode, 0, r.retMsg);
  assert.equal(r.retMsg, 'null');
  const lines = r.log.split('\n');
  const id = req.requestId;
  assert.ok(
    lines.some((l) =>
      new RegExp(
        `^\\[INFO\\]\\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${id}\\tan info line$`,
      ).test(l),
    ),
    r.log,
  );
  assert.ok(
    lines.some((l) => l.endsWith(`\t${id}\tan error: 42`) && l.startsWith('[ERROR]\t')),
    r.log,
  );
});

test('a vendored package next to the code imports; an async handler is awaited', async (t) => {
  const rt = makeRuntime(t);
  const r = await rt.invoke(request(py(), { event: '{"do":"vendored"}' }));
  assert.equal(JSON.parse(r.retMsg), 'hello scf from a vendored package');
  const a = await rt.invoke(request(py({ handler: 'index.async_handler' })));
  assert.deepEqual(JSON.parse(a.retMsg), { async: true });
});

test('a module the handler imports is missing: 437, and the instance is not reused', async (t) => {
  const rt = makeRuntime(t);
  const f = py({ handler: 'broken.main_handler' });
  const r = await rt.invoke(request(f));
  assert.equal(r.retCode, 437);
  assert.match(r.retMsg, /Unable to import module 'broken': No module named 'a_module_that_is_not_there'/);
  assert.match(r.log, /ModuleNotFoundError/);
  const again = await rt.invoke(request(f));
  assert.equal(again.retCode, 437);
  assert.equal(again.coldStart, true);
});

test('module code that raises: 430 with what it printed and its traceback', async (t) => {
  const rt = makeRuntime(t);
  const r = await rt.invoke(request(py({ handler: 'loadfail.main_handler' })));
  assert.equal(r.retCode, 430);
  assert.match(
    r.log,
    /\nloading\nTraceback \(most recent call last\):\n[\s\S]*RuntimeError: module code failed\n/,
  );
  assert.equal(JSON.parse(r.retMsg).errorMessage, 'user code exception caught');
});

test('a result JSON cannot express is a 430 naming the type', async (t) => {
  const rt = makeRuntime(t);
  const r = await rt.invoke(request(py(), { event: '{"do":"unserializable"}' }));
  assert.equal(r.retCode, 430);
  assert.match(JSON.parse(r.retMsg).stackTrace, /TypeError: Object of type object is not JSON serializable/);
});

test('sys.exit(0) mid-invocation is still a 439: the process ended before answering', async (t) => {
  const rt = makeRuntime(t);
  const r = await rt.invoke(request(py(), { event: '{"do":"exit0"}' }));
  assert.equal(r.retCode, 439);
  assert.match(r.retMsg, /exit code 0/);
});

test('output that looks like frames is only text: the result is the handler’s', async (t) => {
  const rt = makeRuntime(t);
  const r = await rt.invoke(request(py(), { event: '{"do":"forge"}' }));
  assert.equal(r.retCode, 0);
  assert.equal(r.retMsg, '"real"');
  assert.match(r.log, /\{"t": "done", .*"forged/);
  assert.match(r.log, /\{"t":"log","d":"forged line"\}\n/);
});

test('Python stem cells start after the first Python cold start, and the next cold start binds one', async (t) => {
  const rt = makeRuntime(t, { stemCells: 1 });
  // Node's reserve starts with the runtime; Python's waits for Python to be used.
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(pythonBootstraps(), []);
  const first = await rt.invoke(request(py({ functionName: 'py-a' })));
  assert.equal(first.retCode, 0);
  let waiting: number[] = [];
  for (let i = 0; i < 100 && waiting.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 50));
    waiting = pythonBootstraps();
  }
  assert.equal(waiting.length, 2, 'the instance and one stem cell');
  // A process bound to a function sees its code in its working folder; a stem cell's is empty (its
  // sandbox's /var/user, until binding fills it) or `/` (without a sandbox).
  const hasCode = (pid: number) => existsSync(`/proc/${pid}/cwd/index.py`);
  const stem = waiting.filter((pid) => !hasCode(pid));
  assert.equal(stem.length, 1, 'one process bound to no function yet');
  const second = await rt.invoke(request(py({ functionName: 'py-b' })));
  assert.equal(second.retCode, 0);
  assert.equal(second.coldStart, true);
  assert.ok(hasCode(stem[0]!), 'the stem cell now runs py-b');
});
