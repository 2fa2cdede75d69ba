/**
 * Live tail under load, with the real binary: 1,000 invocations from 8 concurrent callers while
 * `scf-local logs --follow --ndjson` runs; midway its connection is cut (it must reconnect and resume from
 * its cursor by itself), and later the follower process is killed and a new one is started with the last
 * cursor the first printed. Every invocation must be shown exactly once running and then exactly once
 * final, and the cursors shown must run without a gap or a repeat.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../src/cli/client.js';
import { parseCursor } from '../../src/invocations/events.js';
import { createPlatform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = `${repo}bin/scf-local.js`;
const CRED = { secretId: 'AKIDtest', secretKey: 'secret' };
const TOTAL = 1000;
const CALLERS = 8;

interface Line {
  event: string;
  cursor?: string | null;
  requestId?: string;
  status?: string;
  log?: string;
}

/** A follower child: its complete NDJSON lines, and a way to wait for a condition on them. */
class Follower {
  readonly lines: Line[] = [];
  readonly child: ChildProcess;
  #partial = '';
  #waiters: Array<{ cond: () => boolean; resolve: () => void }> = [];
  stderr = '';

  constructor(url: string, extra: string[]) {
    this.child = spawn(
      process.execPath,
      [
        bin,
        '--endpoint',
        url,
        '--secret-id',
        CRED.secretId,
        '--secret-key',
        CRED.secretKey,
        'logs',
        'noop',
        '--follow',
        '--ndjson',
        ...extra,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop() ?? '';
      for (const p of parts) if (p) this.lines.push(JSON.parse(p) as Line);
      this.#check();
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (c: string) => (this.stderr += c));
  }

  #check(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.cond()) return true;
      w.resolve();
      return false;
    });
  }

  until(cond: () => boolean, what: string, ms = 90_000): Promise<void> {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${what}; stderr: ${this.stderr}`)),
        ms,
      );
      this.#waiters.push({
        cond,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  lastCursor(): string {
    const withCursor = this.lines.filter((l) => typeof l.cursor === 'string');
    return withCursor.at(-1)?.cursor as string;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}

test('tail: 1,000 invocations from 8 callers, a cut connection and a killed follower; each shown once', async (t) => {
  const dataDir = tempDir(t);
  const fnDir = tempDir(t);
  writeFileSync(
    join(fnDir, 'index.js'),
    "exports.main_handler = async (event) => { console.log('tick', event.i); return event.i; };\n",
  );
  const platform = await createPlatform({
    config: { port: 0, dataDir, auth: { credentials: [CRED] } },
    env: {},
  });
  t.after(() => platform.close());
  platform.functions.create({ functionName: 'noop', code: { directory: fnDir } });
  const { url } = await platform.listen();
  // The server side of every stream connection, so the test can cut it like a network fault would.
  const streamSockets = new Set<Socket>();
  platform.http.server.on('request', (req: { url?: string; socket: Socket }) => {
    if (req.url?.startsWith('/stream/logs')) streamSockets.add(req.socket);
  });

  const first = new Follower(url, []);
  t.after(() => first.kill());
  await first.until(() => first.lines.some((l) => l.event === 'ready'), 'the first follower to be ready');

  const client = new ApiClient({ endpoint: url, ...CRED });
  t.after(() => client.close());
  const requestIds: string[] = [];
  let done = 0;
  let second: Follower | undefined;
  let cut = false;
  const onProgress = async (): Promise<void> => {
    if (done === Math.floor(TOTAL / 3) && !cut) {
      cut = true;
      for (const s of streamSockets) s.destroy();
      streamSockets.clear();
    }
    if (done === Math.floor((2 * TOTAL) / 3) && !second) {
      await first.kill();
      second = new Follower(url, ['--cursor', first.lastCursor()]);
      t.after(() => second?.kill());
    }
  };
  const caller = async (c: number): Promise<void> => {
    for (let i = c; i < TOTAL; i += CALLERS) {
      const res = await client.call<{ Result: { FunctionRequestId: string; InvokeResult: number } }>(
        'Invoke',
        {
          FunctionName: 'noop',
          ClientContext: JSON.stringify({ i }),
        },
      );
      assert.equal(res.Result.InvokeResult, 0);
      requestIds.push(res.Result.FunctionRequestId);
      done++;
      await onProgress();
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, (_, c) => caller(c)));
  assert.equal(requestIds.length, TOTAL);
  assert.ok(second, 'the follower was replaced midway');
  const follower2 = second;
  const finals = (): number =>
    first.lines.filter((l) => l.event === 'end').length +
    follower2.lines.filter((l) => l.event === 'end').length;
  await follower2.until(() => finals() >= TOTAL, `${TOTAL} final records (have ${finals()})`);

  assert.ok(
    first.lines.filter((l) => l.event === 'ready').length >= 2,
    'the first follower reconnected by itself',
  );
  const all = [...first.lines, ...follower2.lines];
  const shown = all.filter((l) => l.event === 'start' || l.event === 'end');
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  shown.forEach((l, i) => {
    const map = l.event === 'start' ? starts : ends;
    assert.ok(!map.has(l.requestId!), `${l.requestId} shown ${l.event} twice`);
    map.set(l.requestId!, i);
  });
  assert.deepEqual([...ends.keys()].sort(), [...requestIds].sort(), 'every invocation shown final, once');
  for (const id of requestIds) {
    const s = starts.get(id);
    assert.ok(s !== undefined && s < ends.get(id)!, `${id} shown running before final`);
  }
  for (const l of shown.filter((x) => x.event === 'end')) {
    assert.equal(l.status, 'ok');
    assert.match(l.log ?? '', /\ttick \d+\n/);
  }
  const seqs = shown.map((l) => parseCursor(l.cursor ?? '')?.seq ?? -1);
  assert.deepEqual(
    seqs,
    Array.from({ length: 2 * TOTAL }, (_, i) => i + 1),
    'cursors run 1..2000 with no gap and no repeat',
  );
});

test('tail: across a server restart the follower is told of the gap and catches up through the query API', async (t) => {
  const dataDir = tempDir(t);
  const fnDir = tempDir(t);
  writeFileSync(
    join(fnDir, 'index.js'),
    "exports.main_handler = async () => { console.log('tick'); return 1; };\n",
  );
  const config = { port: 0, dataDir, auth: { credentials: [CRED] } };
  const a = await createPlatform({ config, env: {} });
  t.after(() => a.close());
  a.functions.create({ functionName: 'noop', code: { directory: fnDir } });
  const { url, port } = await a.listen();
  const follower = new Follower(url, []);
  t.after(() => follower.kill());
  await follower.until(() => follower.lines.some((l) => l.event === 'ready'), 'ready');
  const ids: string[] = [];
  const invokeSome = async (p: typeof a, n: number): Promise<void> => {
    for (let i = 0; i < n; i++)
      ids.push((await p.invoker.invoke({ functionName: 'noop', event: '{}' })).requestId);
  };
  await invokeSome(a, 10);
  await follower.until(() => follower.lines.filter((l) => l.event === 'end').length === 10, 'the first 10');
  await a.close();
  const b = await createPlatform({ config: { ...config, port }, env: {} });
  t.after(() => b.close());
  await b.listen();
  await invokeSome(b, 10);
  await follower.until(
    () => follower.lines.filter((l) => l.event === 'end').length >= 20,
    '20 final records',
  );
  await invokeSome(b, 5);
  await follower.until(
    () => follower.lines.filter((l) => l.event === 'end').length >= 25,
    '25 final records',
  );
  const gap = follower.lines.find((l) => l.event === 'gap') as (Line & { reason?: string }) | undefined;
  assert.equal(gap?.reason, 'unknown-epoch');
  const finals = follower.lines.filter((l) => l.event === 'end').map((l) => l.requestId);
  assert.equal(new Set(finals).size, finals.length, 'no invocation shown final twice');
  assert.deepEqual([...finals].sort(), [...ids].sort());
});
