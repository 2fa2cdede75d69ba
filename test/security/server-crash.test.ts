/**
 * The server never dies of what a function or a caller does (issue 8, item 4). Each path that used to
 * kill the server with an unhandled rejection is driven against a real server over the real API 3.0 SDK:
 * the caller gets an answer, the invocation (when it started) has a final record with a coded retCode and
 * message, and the server goes on serving. An unhandled rejection in the server would end this test
 * process, which runs the server, so each test also fails if the server still crashes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Client, client, errorCode, startPlatform, zipOf } from './server-helpers.js';

const OK_SOURCE = `exports.main_handler = async (event) => ({ ok: true, echo: event.echo });\n`;

/** A final record as GetFunctionLogs shows it, found by request id. */
async function recordOf(c: Client, functionName: string, requestId: string) {
  const page = await c.GetFunctionLogs({ FunctionName: functionName, FunctionRequestId: requestId });
  assert.equal(page.TotalCount, 1, `one record for ${requestId}`);
  return page.Data![0]!;
}

/** The server still serves: another function is invoked and succeeds. */
async function stillServes(c: Client, functionName: string): Promise<void> {
  const echo = `alive-${Date.now()}`;
  const r = await c.Invoke({ FunctionName: functionName, ClientContext: JSON.stringify({ echo }) });
  assert.equal(r.Result?.InvokeResult, 0, r.Result?.ErrMsg);
  assert.deepEqual(JSON.parse(r.Result?.RetMsg ?? 'null'), { ok: true, echo });
}

describe('server crash paths', () => {
  test('1,200 concurrent Invokes of one function: those past the queue get LimitExceeded, all others run, the server goes on', async (t) => {
    // Default limits: 8 instances and 1,000 queued. Every call waits until `until`, so the first 8 hold
    // their instances while the rest arrive and queue; the 1,009th and later are refused.
    const { port } = await startPlatform(t);
    const c = client(port);
    await c.CreateFunction({
      FunctionName: 'gate',
      Code: {
        ZipFile: zipOf(
          t,
          `exports.main_handler = async (e) => { const ms = e.until - Date.now(); if (ms > 0) await new Promise((r) => setTimeout(r, ms)); return e.i; };\n`,
        ),
      },
      Timeout: 60,
    });
    await c.CreateFunction({ FunctionName: 'ok', Code: { ZipFile: zipOf(t, OK_SOURCE) } });
    const until = Date.now() + 8_000;
    const results = await Promise.allSettled(
      Array.from({ length: 1200 }, (_, i) =>
        // Each event differs, so no two requests are byte-identical (and no replay check can mistake one).
        c.Invoke({ FunctionName: 'gate', ClientContext: JSON.stringify({ until, i }) }),
      ),
    );
    let ran = 0;
    let limited = 0;
    const other: string[] = [];
    for (const [i, r] of results.entries()) {
      if (r.status === 'fulfilled') {
        assert.equal(r.value.Result?.InvokeResult, 0, r.value.Result?.ErrMsg);
        assert.equal(r.value.Result?.RetMsg, String(i));
        ran++;
      } else if ((r.reason as { code?: string }).code === 'LimitExceeded.Concurrency') {
        limited++;
      } else {
        other.push(String((r.reason as Error).message ?? r.reason));
      }
    }
    assert.deepEqual(other.slice(0, 3), [], 'every caller got an answer: a result or LimitExceeded');
    assert.ok(limited > 0, 'the queue was full and some calls were refused');
    assert.ok(ran >= 1008, `at least the 8 running and the 1,000 queued ran (ran ${ran})`);
    assert.equal(ran + limited, 1200);
    const logs = await c.GetFunctionLogs({ FunctionName: 'gate', Limit: 1 });
    assert.equal(logs.TotalCount, ran, 'a record for every call that ran, none for a refused one');
    const running = await c.GetFunctionLogs({ FunctionName: 'gate', Filter: { RetCode: 'not0' } });
    assert.equal(running.TotalCount, 0, 'no record is left running or failed');
    await stillServes(c, 'ok');
  });

  test('NODE_OPTIONS=--no-such-flag: the instance cannot start; a final 439 record, the server goes on', async (t) => {
    const { port } = await startPlatform(t);
    const c = client(port);
    await c.CreateFunction({ FunctionName: 'ok', Code: { ZipFile: zipOf(t, OK_SOURCE) } });
    await c.CreateFunction({
      FunctionName: 'badopts',
      Code: { ZipFile: zipOf(t, OK_SOURCE) },
      Environment: { Variables: [{ Key: 'NODE_OPTIONS', Value: '--no-such-flag' }] },
    });
    for (let attempt = 0; attempt < 2; attempt++) {
      // Distinct payloads: TC3 replay protection refuses a write signed identically in the same second.
      const r = await c.Invoke({ FunctionName: 'badopts', ClientContext: JSON.stringify({ attempt }) });
      assert.equal(r.Result?.InvokeResult, 439, 'the caller is answered with the platform failure');
      assert.match(r.Result?.ErrMsg ?? '', /start/i);
      const rec = await recordOf(c, 'badopts', r.Result!.FunctionRequestId!);
      assert.equal(rec.RetCode, 439);
      assert.equal(rec.InvokeFinished, 1, 'final, not left running');
      assert.equal(JSON.parse(rec.RetMsg ?? '{}').statusCode, 439);
      assert.equal(JSON.parse(rec.RetMsg ?? '{}').errorMessage, r.Result?.ErrMsg);
      assert.match(rec.Log ?? '', /--no-such-flag|start/);
    }
    // Asynchronously too: the caller gets its request id, the record ends final.
    const a = await c.Invoke({
      FunctionName: 'badopts',
      InvocationType: 'Event',
      ClientContext: '{"async":1}',
    });
    const rid = a.Result!.FunctionRequestId!;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const page = await c.GetFunctionLogs({ FunctionName: 'badopts', FunctionRequestId: rid });
      const rec = page.Data?.[0];
      if (rec && rec.RetCode !== 2) {
        assert.equal(rec.RetCode, 439);
        assert.equal(rec.InvokeFinished, 1);
        break;
      }
      assert.ok(Date.now() < deadline, 'the async invocation never got its final record');
      await new Promise((r) => setTimeout(r, 50));
    }
    await stillServes(c, 'ok');
  });

  test('a function that deletes its own code folder, invoked twice: final records, the server goes on', async (t) => {
    const { port } = await startPlatform(t);
    const c = client(port);
    await c.CreateFunction({ FunctionName: 'ok', Code: { ZipFile: zipOf(t, OK_SOURCE) } });
    // Deletes the folder it runs from (its code), then ends its own instance, so the next call needs a
    // new one started in a folder that is gone. Where the code is read-only the delete fails; the exit
    // still forces a fresh start.
    await c.CreateFunction({
      FunctionName: 'selfdelete',
      Code: {
        ZipFile: zipOf(
          t,
          `exports.main_handler = async () => {\n  try { require('fs').rmSync(process.cwd(), { recursive: true, force: true }); } catch (err) { console.log('cannot delete', err.code); }\n  process.exit(3);\n};\n`,
        ),
      },
    });
    for (let call = 1; call <= 3; call++) {
      const r = await c.Invoke({ FunctionName: 'selfdelete', ClientContext: JSON.stringify({ call }) });
      assert.equal(r.Result?.InvokeResult, 439, `call ${call}: ${r.Result?.ErrMsg}`);
      assert.notEqual(r.Result?.ErrMsg, '');
      const rec = await recordOf(c, 'selfdelete', r.Result!.FunctionRequestId!);
      assert.equal(rec.RetCode, 439);
      assert.equal(rec.InvokeFinished, 1);
      assert.equal(JSON.parse(rec.RetMsg ?? '{}').errorMessage, r.Result?.ErrMsg);
      await stillServes(c, 'ok');
    }
    const all = await c.GetFunctionLogs({ FunctionName: 'selfdelete' });
    assert.equal(all.TotalCount, 3);
    assert.ok(all.Data?.every((d) => d.RetCode === 439 && d.InvokeFinished === 1));
  });

  test('a synchronous invocation refused before it starts is a coded API error with no record; an async one waits its turn', async (t) => {
    const { port } = await startPlatform(t, { maxInstancesPerFunction: 1, maxQueuedPerFunction: 0 });
    const c = client(port);
    await c.CreateFunction({
      FunctionName: 'hold',
      Code: {
        ZipFile: zipOf(
          t,
          `exports.main_handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms)); return 'held'; };\n`,
        ),
      },
      Timeout: 30,
    });
    await c.CreateFunction({ FunctionName: 'ok', Code: { ZipFile: zipOf(t, OK_SOURCE) } });
    const holding = c.Invoke({ FunctionName: 'hold', ClientContext: '{"ms":3000}' });
    // The one instance is busy as soon as the hold call's running record exists.
    const deadline = Date.now() + 20_000;
    while ((await c.GetFunctionLogs({ FunctionName: 'hold' })).TotalCount === 0) {
      assert.ok(Date.now() < deadline, 'the holding call never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(
      await errorCode(c.Invoke({ FunctionName: 'hold', ClientContext: '{"ms":1}' })),
      'LimitExceeded.Concurrency',
    );
    // An Event is queued (SCF retries throttled async invocations): it runs once the instance is free.
    const queued = await c.Invoke({
      FunctionName: 'hold',
      InvocationType: 'Event',
      ClientContext: '{"ms":2}',
    });
    const eventId = queued.Result?.FunctionRequestId ?? '';
    const held = await holding;
    assert.equal(held.Result?.RetMsg, '"held"');
    for (;;) {
      const s = await c.GetAsyncEventStatus({ InvokeRequestId: eventId });
      if (s.Result?.Status === 'FINISHED') break;
      assert.ok(Date.now() < deadline, `the queued event never finished: ${s.Result?.Status}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const logs = await c.GetFunctionLogs({ FunctionName: 'hold' });
    assert.deepEqual(
      new Set(logs.Data?.map((d) => d.RequestId)),
      new Set([held.Result?.FunctionRequestId, eventId]),
      'the refused call left no record',
    );
    await stillServes(c, 'ok');
  });
});
