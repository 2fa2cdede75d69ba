/**
 * Several scf-local nodes on one PostgreSQL database, as processes: three `scf-local serve` on one schema,
 * a function deployed through one of them, 8 callers spreading sync invocations over all three, and
 * `logs --follow` attached to one node. Midway, one node is killed with SIGKILL while it runs slow
 * invocations. Every acknowledged invocation must have its final record; the dead node's running ones
 * must become interrupted (retCode 3) within its lease, through the survivors; the survivors' own running
 * invocations must end normally; and the follower must see every invocation of all three nodes, once,
 * in increasing cursor order.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ApiClient } from '../../src/cli/client.js';
import { parseCursor } from '../../src/invocations/events.js';
import { runCli } from '../helpers/cli.js';
import { CRED, Follower } from '../helpers/follower.js';
import { freshSchema, PG_URL } from '../helpers/pg.js';
import { type Served, serve } from '../helpers/serve.js';
import { tempDir } from '../helpers/tmp.js';

const LEASE_MS = 2000;
const TOTAL = 240;
const CALLERS = 8;

interface LogItem {
  RequestId: string;
  RetCode: number;
  RetMsg: string;
}

test('cluster: 3 nodes on one database, 8 callers, one node killed mid-load', {
  timeout: 240_000,
}, async (t) => {
  const schema = freshSchema(t, 'scf_cl');
  const nodeEnv = (id: string): Record<string, string> => ({
    SCF_LOCAL_STORE: 'postgres',
    SCF_LOCAL_DATABASE_URL: PG_URL,
    SCF_LOCAL_PG_SCHEMA: schema,
    SCF_LOCAL_NODE_ID: id,
    SCF_LOCAL_LEASE_MS: String(LEASE_MS),
    SCF_LOCAL_SECRET_ID: CRED.secretId,
    SCF_LOCAL_SECRET_KEY: CRED.secretKey,
    SCF_LOCAL_SANDBOX: 'off',
    SCF_LOCAL_LOG_LEVEL: 'warn',
  });
  const nodes: Served[] = ['n1', 'n2', 'n3'].map((id) => serve(t, { env: nodeEnv(id) }));
  const urls = await Promise.all(nodes.map(async (n) => `http://127.0.0.1:${await n.port()}`));
  const clients = urls.map((endpoint) => new ApiClient({ endpoint, ...CRED }));
  t.after(() => {
    for (const c of clients) c.close();
  });

  const fnDir = tempDir(t);
  writeFileSync(
    join(fnDir, 'index.js'),
    "exports.main_handler = async (event) => { console.log('tick', event.i); if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs)); return event.i; };\n",
  );
  const deployed = await runCli([
    '--endpoint',
    urls[0]!,
    '--secret-id',
    CRED.secretId,
    '--secret-key',
    CRED.secretKey,
    'deploy',
    fnDir,
    '--name',
    'work',
    '--timeout',
    '300',
  ]);
  assert.equal(deployed.code, 0, deployed.stderr);

  const follower = new Follower(urls[1]!, [], { fn: 'work' });
  t.after(() => follower.kill());
  await follower.until(() => follower.lines.some((l) => l.event === 'ready'), 'the follower to be ready');

  const invoke = async (node: number, event: object): Promise<string> => {
    const res = await clients[node]!.call<{ Result: { FunctionRequestId: string; InvokeResult?: number } }>(
      'Invoke',
      {
        FunctionName: 'work',
        ClientContext: JSON.stringify(event),
      },
    );
    return res.Result.FunctionRequestId;
  };
  // Slow invocations running when n3 dies: n3's must end interrupted, n1's and n2's normally. They are
  // synchronous calls left in flight (an Event would go to the platform's shared queue, which any node
  // runs); their request ids come from the follower, which sees each one's first log line.
  const doomedCalls = [0, 1, 2, 3].map((k) =>
    invoke(2, { i: 1000 + k, sleepMs: 120_000 }).catch(() => undefined),
  );
  const survivorCalls = [0, 1, 2, 3].map((k) => invoke(k % 2, { i: 2000 + k, sleepMs: 8000 }));
  const idOfTick = (i: number): string | undefined =>
    follower.lines.find((l) => l.event === 'log' && (l.text ?? '').includes(`tick ${i}\n`))?.requestId;
  const ticks = [1000, 1001, 1002, 1003, 2000, 2001, 2002, 2003];
  await follower.until(() => ticks.every((i) => idOfTick(i) !== undefined), 'the slow invocations to start');
  const doomed = ticks.slice(0, 4).map((i) => idOfTick(i) ?? '');
  const survivors = ticks.slice(4).map((i) => idOfTick(i) ?? '');

  const acknowledged = new Map<string, number>();
  let done = 0;
  let killedAt = 0;
  const caller = async (c: number): Promise<void> => {
    for (let i = c; i < TOTAL; i += CALLERS) {
      for (let attempt = 0; ; attempt++) {
        // Spread over the three nodes; once n3 is gone, over the two others.
        const node = killedAt === 0 ? (i + attempt) % 3 : (i + attempt) % 2;
        try {
          const id = await invoke(node, { i });
          acknowledged.set(id, i);
          break;
        } catch (err) {
          // Only calls to the killed node may fail (its connection drops): try another node.
          assert.ok(
            node === 2 && killedAt > 0,
            `call to n${node + 1} failed: ${String(err)}; its stderr ends:\n${nodes[node]?.stderr().slice(-4000)}`,
          );
          assert.ok(attempt < 3, 'retried too often');
        }
      }
      done++;
      if (done === Math.floor(TOTAL / 3) && killedAt === 0) {
        killedAt = Date.now();
        nodes[2]!.child.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: CALLERS }, (_, c) => caller(c)));
  assert.equal(acknowledged.size, TOTAL);
  await nodes[2]!.exited;

  // The dead node's running records become interrupted, through the survivors, within the lease (plus
  // the reaper's period and this poll's).
  const records = async (node: number): Promise<Map<string, LogItem>> => {
    const out = new Map<string, LogItem>();
    for (let offset = 0; ; offset += 500) {
      const page = await clients[node]!.call<{ Data: LogItem[]; TotalCount: number }>('GetFunctionLogs', {
        FunctionName: 'work',
        Offset: offset,
        Limit: 500,
      });
      for (const r of page.Data) out.set(r.RequestId, r);
      if (offset + 500 >= page.TotalCount) return out;
    }
  };
  let interruptedAt = 0;
  for (;;) {
    const rs = await records(0);
    if (doomed.every((id) => rs.get(id)?.RetCode === 3)) {
      interruptedAt = Date.now();
      break;
    }
    assert.ok(Date.now() - killedAt < 5 * LEASE_MS + 10_000, 'n3 was never recovered');
    await new Promise((r) => setTimeout(r, 100));
  }
  const recoveryMs = interruptedAt - killedAt;
  assert.ok(
    recoveryMs <= 2 * LEASE_MS + 3000,
    `interrupted ${recoveryMs} ms after the kill (lease ${LEASE_MS} ms)`,
  );

  // The survivors' slow invocations end normally.
  await follower.until(
    () => survivors.every((id) => follower.lines.some((l) => l.event === 'end' && l.requestId === id)),
    "the survivors' slow invocations to end",
    60_000,
  );
  const all = await records(1);
  for (const id of survivors) assert.equal(all.get(id)?.RetCode, 0, `survivor ${id} ended normally`);
  // Their callers were answered; n3's callers lost their connection.
  assert.deepEqual((await Promise.all(survivorCalls)).sort(), [...survivors].sort());
  assert.deepEqual(await Promise.all(doomedCalls), [undefined, undefined, undefined, undefined]);
  for (const [id, i] of acknowledged) {
    const r = all.get(id);
    assert.equal(r?.RetCode, 0, `acknowledged ${id} has its final record`);
    assert.equal(r?.RetMsg, String(i));
  }
  // Only the dead node's invocations were interrupted (those four, and calls it had in flight).
  const interrupted = [...all.values()].filter((r) => r.RetCode === 3).map((r) => r.RequestId);
  for (const id of interrupted)
    assert.ok(!acknowledged.has(id) && !survivors.includes(id), `${id} interrupted`);
  assert.ok(![...all.values()].some((r) => r.RetCode === 2), 'no record left running');

  // The follower on n2 saw every invocation of all three nodes end, once each, in cursor order.
  const expected = [...acknowledged.keys(), ...doomed, ...survivors];
  await follower.until(
    () => expected.every((id) => follower.lines.some((l) => l.event === 'end' && l.requestId === id)),
    'every invocation to end at the follower',
    60_000,
  );
  const shown = follower.lines.filter((l) => l.event === 'start' || l.event === 'end' || l.event === 'log');
  const ends = shown.filter((l) => l.event === 'end').map((l) => l.requestId);
  assert.equal(new Set(ends).size, ends.length, 'no invocation shown final twice');
  const starts = shown.filter((l) => l.event === 'start').map((l) => l.requestId);
  assert.equal(new Set(starts).size, starts.length, 'no invocation shown running twice');
  const seqs = shown.map((l) => parseCursor(l.cursor ?? '')?.seq ?? Number.NaN);
  for (let k = 1; k < seqs.length; k++)
    assert.ok(seqs[k]! > seqs[k - 1]!, `cursor order at ${k}: ${seqs[k - 1]} then ${seqs[k]}`);
  assert.ok(!follower.lines.some((l) => l.event === 'gap'), 'no gap');
  t.diagnostic(
    `n3 recovered ${recoveryMs} ms after SIGKILL (lease ${LEASE_MS} ms); ${interrupted.length} interrupted`,
  );

  // A clean stop of the survivors leaves the schema to be dropped.
  for (const n of nodes.slice(0, 2)) n.signal('SIGTERM');
  await Promise.all(nodes.slice(0, 2).map((n) => n.exited));
});
