/**
 * Live tail under load, with the real binary: 1,000 invocations from 8 concurrent callers while
 * `scf-local logs --follow --ndjson` runs; midway its connection is cut (it must reconnect and resume from
 * its cursor by itself), and later the follower process is killed and a new one is started with the last
 * cursor the first printed. Every invocation must be shown exactly once running and then exactly once
 * final, its log line exactly once live in between, and the cursors shown must run without a gap or a
 * repeat. Log lines of a running invocation must reach the follower while it runs, not with its end.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiClient } from '../../src/cli/client.js';
import { parseCursor } from '../../src/invocations/events.js';
import { createPlatform } from '../../src/platform.js';
import { CRED, Follower, type Line } from '../helpers/follower.js';
import { tempDir } from '../helpers/tmp.js';

const TOTAL = 1000;
const CALLERS = 8;

test('tail: 1,000 invocations from 8 callers, a cut connection and a killed follower; each shown once', async (t) => {
  const dataDir = tempDir(t);
  const fnDir = tempDir(t);
  writeFileSync(
    join(fnDir, 'index.js'),
    "exports.main_handler = async (event) => { console.log('tick', event.i); return event.i; };\n",
  );
  const platform = await createPlatform({
    config: { port: 0, log: { level: 'warn' }, dataDir, auth: { credentials: [CRED] } },
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
  const shown = all.filter((l) => l.event === 'start' || l.event === 'end' || l.event === 'log');
  const starts = new Map<string, number>();
  const ends = new Map<string, number>();
  const logs = new Map<string, number>();
  shown.forEach((l, i) => {
    const map = l.event === 'start' ? starts : l.event === 'log' ? logs : ends;
    assert.ok(!map.has(l.requestId!), `${l.requestId} shown ${l.event} twice`);
    map.set(l.requestId!, i);
  });
  assert.deepEqual([...ends.keys()].sort(), [...requestIds].sort(), 'every invocation shown final, once');
  for (const id of requestIds) {
    const s = starts.get(id);
    assert.ok(s !== undefined && s < ends.get(id)!, `${id} shown running before final`);
    const g = logs.get(id);
    assert.ok(g !== undefined && s < g && g < ends.get(id)!, `${id}: its line shown live, after start`);
    assert.match(shown[g]!.text ?? '', /\ttick \d+\n$/);
  }
  // The end of an invocation whose line this same follower showed live adds only the platform lines.
  for (const f of [first, follower2]) {
    const live = new Set(f.lines.filter((l) => l.event === 'log').map((l) => l.requestId));
    for (const l of f.lines.filter((x) => x.event === 'end' && live.has(x.requestId))) {
      assert.doesNotMatch(l.logRemainder ?? '', /tick/);
      assert.match(l.logRemainder ?? '', /^START RequestId.*\nEND RequestId.*\nReport RequestId/);
    }
  }
  for (const l of shown.filter((x) => x.event === 'end')) {
    assert.equal(l.status, 'ok');
    assert.match(l.log ?? '', /\ttick \d+\n/);
  }
  const seqs = shown.map((l) => parseCursor(l.cursor ?? '')?.seq ?? -1);
  assert.deepEqual(
    seqs,
    Array.from({ length: 3 * TOTAL }, (_, i) => i + 1),
    'cursors run 1..3000 (start, log, end of each) with no gap and no repeat',
  );
});

test('tail: across a server restart the follower is told of the gap and catches up through the query API', async (t) => {
  const dataDir = tempDir(t);
  const fnDir = tempDir(t);
  writeFileSync(
    join(fnDir, 'index.js'),
    "exports.main_handler = async () => { console.log('tick'); return 1; };\n",
  );
  const config = { port: 0, log: { level: 'warn' } as const, dataDir, auth: { credentials: [CRED] } };
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

test('tail: a line printed by a running handler reaches the follower while it runs, then its end adds the rest', async (t) => {
  const dataDir = tempDir(t);
  const fnDir = tempDir(t);
  writeFileSync(
    join(fnDir, 'index.js'),
    "exports.main_handler = async () => { console.log('working on it'); await new Promise((r) => setTimeout(r, 1500)); console.log('finished'); return 1; };\n",
  );
  const platform = await createPlatform({
    config: { port: 0, log: { level: 'warn' }, dataDir, auth: { credentials: [CRED] } },
    env: {},
  });
  t.after(() => platform.close());
  platform.functions.create({ functionName: 'slow', code: { directory: fnDir } });
  const { url } = await platform.listen();
  const json = new Follower(url, [], { fn: 'slow' });
  t.after(() => json.kill());
  const human = new Follower(url, ['--no-color'], { fn: 'slow', ndjson: false });
  t.after(() => human.kill());
  await json.until(() => json.lines.some((l) => l.event === 'ready'), 'the NDJSON follower to be ready');
  // The human follower prints nothing until an event; its stream is up once the server counts it.
  await new Promise<void>((resolve) => {
    const poll = (): void => {
      if (platform.events.subscribers >= 2) resolve();
      else setTimeout(poll, 20);
    };
    poll();
  });

  const { requestId } = await platform.invoker.invoke({ functionName: 'slow', event: '{}' });
  await json.until(() => json.lines.some((l) => l.event === 'end'), 'the end event');
  // The final row and the lines printed under it may arrive in separate chunks: wait for the last one.
  await human.until(
    () => human.raw.some((l) => /Report RequestId/.test(l.text)),
    'the final row and its lines',
  );

  const at = (f: Follower, re: RegExp): number => {
    const hit = f.raw.find((l) => re.test(l.text));
    assert.ok(hit, `${re} in ${f.raw.map((l) => l.text).join('\n')}`);
    return hit.at;
  };
  // NDJSON: start, the first line live (well before the end), the second, then end with the rest.
  const events = json.lines.filter((l) => l.event !== 'ready').map((l) => [l.event, l.text ?? null]);
  assert.deepEqual(events.slice(0, 3), [
    ['start', null],
    ['log', events[1]![1]],
    ['log', events[2]![1]],
  ]);
  assert.match(String(events[1]![1]), new RegExp(`\\t${requestId}\\tworking on it\\n$`));
  assert.match(String(events[2]![1]), /\tfinished\n$/);
  assert.equal(events[3]?.[0], 'end');
  const gap = at(json, /"event":"end"/) - at(json, /working on it/);
  assert.ok(gap >= 1000, `the live line arrived only ${gap.toFixed(0)} ms before the end`);
  const end = json.lines.find((l) => l.event === 'end')!;
  assert.match(end.log ?? '', /working on it[\s\S]*finished/, 'the end record still carries the whole log');
  assert.doesNotMatch(end.logRemainder ?? '', /working on it|finished/);
  assert.match(
    end.logRemainder ?? '',
    /^START RequestId: \S+(?: Runtime: [^\n]+)?\nEND RequestId: \S+\nReport RequestId/,
  );

  // Human: the line appears under the invocation's short id while it runs; the end prints each line once.
  const short = requestId.replace(/-/g, '').slice(-8);
  const liveAt = at(human, new RegExp(`^  ${short} │ .*working on it$`));
  const humanGap = at(human, /\sok\s/) - liveAt;
  assert.ok(humanGap >= 1000, `the live line arrived only ${humanGap.toFixed(0)} ms before the final row`);
  const text = human.raw.map((l) => l.text);
  assert.equal(text.filter((l) => l.includes('working on it')).length, 1, text.join('\n'));
  assert.equal(text.filter((l) => l.includes('finished')).length, 1, text.join('\n'));
  const okRow = text.findIndex((l) => /\sok\s/.test(l));
  assert.match(
    text[okRow + 1] ?? '',
    new RegExp(`^  ${short} │ START RequestId: ${requestId}(?: Runtime: .+)?$`),
  );
});
