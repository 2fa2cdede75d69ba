/** Shared helpers of the runtime tests: fixture functions, a runtime that is closed after the test. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createRuntime, type RuntimeOptions } from '../../../src/runtime/index.js';
import type { FunctionRunSpec, RunRequest, Runtime } from '../../../src/runtime/types.js';

/**
 * The fixture functions are plain JS (not compiled): they live in the source tree. This file runs from
 * `dist/test/unit/runtime/`, four levels below the repo root.
 */
export const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/functions/', import.meta.url));

let revision = 1;

/** A function spec for a fixture folder; `handler` defaults to `index.main_handler`. */
export function fixture(name: string, overrides: Partial<FunctionRunSpec> = {}): FunctionRunSpec {
  return {
    namespace: 'default',
    functionName: name,
    revision: revision++,
    handler: 'index.main_handler',
    runtime: 'Nodejs18.15',
    codeDir: `${FIXTURES}${name}`,
    memorySize: 128,
    timeout: 3,
    environment: {},
    ...overrides,
  };
}

export function request(fn: FunctionRunSpec, overrides: Partial<RunRequest> = {}): RunRequest {
  return { fn, requestId: randomUUID(), qualifier: '$LATEST', event: '{}', ...overrides };
}

export const DEFAULT_OPTIONS: RuntimeOptions = {
  maxInstancesPerFunction: 4,
  maxQueuedPerFunction: 100,
  idleTimeoutMs: 60_000,
  maxLogBytes: 1024 * 1024,
  logFormat: 'scf',
  region: 'ap-guangzhou',
  // The production defaults: every runtime test runs its 128 MB functions through stem cells.
  stemCells: 1,
  stemCellMemorySize: 128,
};

/** The runtimes each test made, closed together when it ends. */
const runtimesOf = new WeakMap<Pick<TestContext, 'after'>, Runtime[]>();

/**
 * A runtime closed when the test ends; once every runtime of the test is closed, checks that no child
 * process is left behind.
 */
export function makeRuntime(t: Pick<TestContext, 'after'>, overrides: Partial<RuntimeOptions> = {}): Runtime {
  const runtime = createRuntime({ ...DEFAULT_OPTIONS, ...overrides });
  let runtimes = runtimesOf.get(t);
  if (!runtimes) {
    const mine: Runtime[] = [];
    runtimes = mine;
    runtimesOf.set(t, mine);
    t.after(async () => {
      await Promise.all(mine.map((r) => r.close()));
      assert.deepEqual(childPids(), [], 'no function process outlives runtime.close()');
    });
  }
  runtimes.push(runtime);
  return runtime;
}

/** True while a process with that pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The user lines of a log (without START/END/Report), prefixes removed. */
export function userMessages(log: string): string[] {
  return log
    .split('\n')
    .filter((l) => l.length > 0 && !/^(START|END|Report|ERROR) RequestId:/.test(l))
    .map((l) => l.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t[^\t]+\t/, ''));
}

/** Pids of this process's live children (zombies excluded), from /proc. */
export function childPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue; // exited while we looked
    }
    // Fields after the parenthesised command: state, ppid, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === process.pid && fields[0] !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/**
 * Pids of the live children bound to a function: waiting stem cells (cwd `/` until bound, see
 * `stemcells.ts`) excluded.
 */
export function functionPids(): number[] {
  return childPids().filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`) !== '/';
    } catch {
      return false; // exited while we looked
    }
  });
}

/** Pids of the waiting stem cells among this process's children. */
export function stemPids(): number[] {
  const bound = new Set(functionPids());
  return childPids().filter((pid) => !bound.has(pid));
}

/** Waits until `cond()` holds, checking every 10 ms, failing after `timeoutMs` (for events with no hook). */
export async function eventually(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
