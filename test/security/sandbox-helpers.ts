/**
 * What the sandbox security tests share (issue 8, item 1): a real platform on port 0 with the sandbox
 * required, a hostile "shell" function that runs whatever JavaScript the test sends in its event (a tenant
 * controls its code anyway; this only saves a deploy per attack), and host-side views of the processes of a
 * sandbox, read from the host's /proc without trusting anything the function says.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { createPlatform, type Platform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';
import { type Client, client, SECRET_ID, SECRET_KEY, zipOf } from './server-helpers.js';

type After = Pick<TestContext, 'after'>;

/**
 * The hostile function: runs `event.code` as the body of an async function with `require`, `event`,
 * `context` and `attempt` (runs a thunk, and says what it returned or how it failed: `{ ok, value }` or
 * `{ ok: false, code, message }`). Returns whatever the body returns.
 */
export const SHELL = `
const AsyncFunction = (async () => {}).constructor;
const attempt = async (f) => {
  try { return { ok: true, value: await f() }; }
  catch (e) { return { ok: false, code: e && e.code, message: String(e && e.message) }; }
};
exports.main_handler = async (event, context) =>
  new AsyncFunction('require', 'event', 'context', 'attempt', event.code)(require, event, context, attempt);
`;

export interface Started {
  platform: Platform;
  port: number;
  dataDir: string;
  c: Client;
}

/**
 * A platform on port 0 in a fresh data folder with `runtime.sandbox: "required"` (so a test can never pass
 * by running unsandboxed), closed when `t` ends. `generatedCredentials`: no configured credentials, so the
 * server writes `<dataDir>/credentials.json` (what the attacker wants) and the client uses that file.
 */
export async function startSandboxed(
  t: After,
  opts: { runtime?: Record<string, unknown>; generatedCredentials?: boolean } = {},
): Promise<Started> {
  const dataDir = tempDir(t, 'scf-local-sbx-');
  const platform = await createPlatform({
    config: {
      port: 0,
      // Request lines (info) would fill the test output; warnings and faults still show.
      log: { level: 'warn' },
      dataDir,
      auth: {
        credentials: opts.generatedCredentials ? [] : [{ secretId: SECRET_ID, secretKey: SECRET_KEY }],
      },
      runtime: { sandbox: 'required', ...(opts.runtime ?? {}) },
    },
    env: {},
  });
  t.after(() => platform.close());
  const { port } = await platform.listen();
  assert.equal(platform.runtime.sandboxStatus().isolated, true, 'the sandbox is in use');
  let c = client(port);
  if (opts.generatedCredentials) {
    const { secretId, secretKey } = JSON.parse(readFileSync(`${dataDir}/credentials.json`, 'utf8')) as {
      secretId: string;
      secretKey: string;
    };
    const { scf } = await import('tencentcloud-sdk-nodejs/tencentcloud/services/scf/index.js');
    c = new scf.v20180416.Client({
      credential: { secretId, secretKey },
      region: 'ap-guangzhou',
      profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: 'http://', reqTimeout: 120 } },
    });
  }
  return { platform, port, dataDir, c };
}

/** Deploys `source` (default: the shell) as `name`. */
export async function deploy(
  t: After,
  c: Client,
  name: string,
  opts: { source?: string; memorySize?: number; timeout?: number; env?: Record<string, string> } = {},
): Promise<void> {
  await c.CreateFunction({
    FunctionName: name,
    Code: { ZipFile: zipOf(t, opts.source ?? SHELL) },
    ...(opts.memorySize ? { MemorySize: opts.memorySize } : {}),
    ...(opts.timeout ? { Timeout: opts.timeout } : {}),
    ...(opts.env
      ? { Environment: { Variables: Object.entries(opts.env).map(([Key, Value]) => ({ Key, Value })) } }
      : {}),
  });
}

export type InvokeResult = NonNullable<Awaited<ReturnType<Client['Invoke']>>['Result']>;

let nonce = 0;

/**
 * Invokes `name` with `event`; the raw result. Each event carries a fresh `nonce`, so two identical calls in
 * one second are not refused as a TC3 replay.
 */
export async function invokeRaw(c: Client, name: string, event: object = {}): Promise<InvokeResult> {
  const ctx = JSON.stringify({ ...event, nonce: `${process.pid}-${++nonce}` });
  const r = await c.Invoke({ FunctionName: name, ClientContext: ctx });
  assert.ok(r.Result, 'a result');
  return r.Result;
}

/** Runs `code` in the shell function `name`; asserts the invocation succeeded and returns what it returned. */
// biome-ignore lint/suspicious/noExplicitAny: the function's answer is free-form JSON, checked by each test.
export async function run(c: Client, name: string, code: string, event: object = {}): Promise<any> {
  const r = await invokeRaw(c, name, { ...event, code });
  assert.equal(r.InvokeResult, 0, `invocation failed: ${r.ErrMsg}\n${r.Log}`);
  return JSON.parse(r.RetMsg ?? 'null');
}

/** The server still serves: a fresh trivial function deploys and its invocation succeeds. */
export async function stillServes(t: After, c: Client): Promise<void> {
  const name = `alive${Math.random().toString(36).slice(2, 8)}`;
  await deploy(t, c, name, { source: `exports.main_handler = async (e) => ({ alive: e.n });\n` });
  const r = await invokeRaw(c, name, { n: 7 });
  assert.equal(r.InvokeResult, 0, r.ErrMsg);
  assert.deepEqual(JSON.parse(r.RetMsg ?? 'null'), { alive: 7 });
}

// ------------------------------------------------------------------------------------- the host's view

/** Numeric entries of the host's /proc. */
function hostPids(): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/**
 * Host pids of the processes in the pid namespace `ns` (`pid:[4026…]`, as `readlink /proc/self/ns/pid`
 * shows it inside the sandbox: the same inode seen from the host).
 */
export function pidsInNamespace(ns: string, kind: 'pid' | 'net' = 'pid'): number[] {
  const out: number[] = [];
  for (const pid of hostPids()) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/${kind}`) === ns) out.push(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Host pids whose command line (NUL-separated, joined with spaces) contains `needle`. */
export function pidsWithCmdline(needle: string): number[] {
  const out: number[] = [];
  for (const pid of hostPids()) {
    if (pid === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ');
      if (cmd.includes(needle)) out.push(pid);
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** What the host sees of one process: state letter, CPU ticks (utime+stime), VmRSS bytes, uid. */
export function hostView(
  pid: number,
): { state: string; ticks: number; rss: number; uid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    const uid = /Uid:\s+(\d+)/.exec(status)?.[1];
    return {
      state: rest[0] ?? '?',
      ticks: Number(rest[11]) + Number(rest[12]),
      rss: Number(rss ?? 0) * 1024,
      uid: Number(uid),
    };
  } catch {
    return undefined;
  }
}

/** Polls `check` every 25 ms until it is true; fails with `what` after `ms`. */
export async function eventually(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A cleanup scope for a whole `describe` (for helpers that take a test context): what is registered runs,
 * in reverse and awaited, when the suite ends. Call it in the describe body.
 */
export function suiteScope(after: (fn: () => Promise<void>) => void): After {
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c();
  });
  return { after: (fn: () => unknown) => void cleanups.push(fn) } as After;
}
