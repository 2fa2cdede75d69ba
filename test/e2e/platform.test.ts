/**
 * The whole platform through its programmatic API: real function processes, a real SQLite file, and a
 * platform process killed with SIGKILL mid-invocation and restarted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createPlatform, type Platform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const CREDS = { credentials: [{ secretId: 'AKIDtest', secretKey: 'secret' }] };

async function start(t: Parameters<typeof tempDir>[0], dataDir = tempDir(t)): Promise<Platform> {
  const p = await createPlatform({
    config: { port: 0, log: { level: 'warn' }, dataDir, auth: CREDS },
    env: {},
  });
  t.after(() => p.close());
  return p;
}

const cmqEvent = {
  Records: [
    {
      CMQ: {
        msgBody: '4',
        msgId: '3096224743817224',
        msgTag: '',
        publishTime: '2017-09-18T17:14:01Z',
        requestId: '5761047512720426890',
        subscriptionName: 'alfred-test',
        topicName: 'alfred-test',
        topicOwner: 1251762227,
        type: 'topic',
      },
    },
  ],
};

describe('platform', () => {
  test('records the seed example (testnode) exactly as SCF does', async (t) => {
    const p = await start(t);
    p.functions.create({ functionName: 'testnode', code: { directory: `${repo}examples/testnode` } });
    const before = Date.now();
    const { requestId, record } = await p.invoker.invoke({
      functionName: 'testnode',
      event: JSON.stringify(cmqEvent),
    });
    assert.ok(record);
    assert.match(requestId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(record.retCode, 0);
    assert.equal(record.retMsg, '"ok"');
    assert.equal(record.invokeFinished, 1);
    assert.equal(record.qualifier, '$LATEST');
    assert.ok(record.startTime >= before - 5 && record.startTime <= Date.now());
    assert.ok(record.duration > 0 && record.duration < 1000);
    assert.equal(record.billDuration, Math.ceil(record.duration / 100) * 100);
    assert.ok(record.memUsage > 10 * 1024 * 1024, `memUsage ${record.memUsage} is a real RSS`);
    const esc = requestId.replace(/-/g, '\\-');
    assert.match(record.log, new RegExp(`^START RequestId: ${esc}(?: Runtime: [^\\n]+)?\\n`));
    assert.match(
      record.log,
      new RegExp(`\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${esc}\\tHello World\\n`),
    );
    // The seed's lines: the event, then its CMQ message as util.inspect prints it, then the context.
    assert.match(record.log, new RegExp(`\\t${esc}\\t\\{ Records: \\[ \\{ CMQ: \\[Object\\] \\} \\] \\}\\n`));
    assert.match(
      record.log,
      new RegExp(`\\t${esc}\\t\\{\\n  msgBody: '4',\\n  msgId: '3096224743817224',\\n`),
    );
    assert.match(record.log, /\n {2}memory_limit_in_mb: 128,\n {2}time_limit_in_ms: 3000,\n/);
    assert.match(
      record.log,
      new RegExp(
        `END RequestId: ${esc}\\nReport RequestId: ${esc} Duration:\\d+ms Memory:128MB MemUsage:[\\d.]+MB\\n$`,
      ),
    );

    const stored = await p.store.get(requestId);
    assert.ok(stored);
    const { seq: _seq, ...fields } = stored;
    assert.deepEqual(fields, record, 'the stored record is the one the caller got');
  });

  test('a failing invocation is recorded with its logs and the next one still works', async (t) => {
    const p = await start(t);
    p.functions.create({ functionName: 'throws', code: { directory: `${repo}examples/throws` } });
    const { record } = await p.invoker.invoke({ functionName: 'throws', event: '{"x":1}' });
    assert.equal(record?.retCode, 430);
    assert.match(record?.log ?? '', /about to fail on \{"x":1\}/);
    assert.equal(JSON.parse(record?.retMsg ?? '{}').statusCode, 430);
    p.functions.create({ functionName: 'ok', code: { directory: `${repo}examples/hello-async` } });
    const ok = await p.invoker.invoke({ functionName: 'ok', event: '{"name":"scf"}' });
    assert.equal(ok.record?.retCode, 0);
    assert.equal(JSON.parse(ok.record?.retMsg ?? '{}').message, 'hello scf');
  });

  test('billing granularity is configurable (1 ms as SCF bills today)', async (t) => {
    const p = await createPlatform({
      config: {
        port: 0,
        log: { level: 'warn' },
        dataDir: tempDir(t),
        auth: CREDS,
        runtime: { billingGranularityMs: 1 },
      },
      env: {},
    });
    t.after(() => p.close());
    p.functions.create({ functionName: 'ok', code: { directory: `${repo}examples/hello-async` } });
    const { record } = await p.invoker.invoke({ functionName: 'ok', event: '{}' });
    assert.ok(record);
    assert.equal(record.billDuration, Math.max(1, Math.ceil(record.duration)));
  });

  test('CommonJS functions run even when the data folder sits inside an ESM package (npm start in a repo)', async (t) => {
    const project = tempDir(t);
    writeFileSync(join(project, 'package.json'), '{ "type": "module" }');
    const p = await start(t, join(project, '.scf-local'));
    p.functions.create({ functionName: 'testnode', code: { directory: `${repo}examples/testnode` } });
    const { record } = await p.invoker.invoke({ functionName: 'testnode', event: '{}' });
    assert.equal(record?.retCode, 0, record?.log);
    assert.equal(record?.retMsg, '"ok"');
  });

  test('functions and records survive a restart', async (t) => {
    const dataDir = tempDir(t);
    const p1 = await createPlatform({
      config: { port: 0, log: { level: 'warn' }, dataDir, auth: CREDS },
      env: {},
    });
    p1.functions.create({ functionName: 'ok', code: { directory: `${repo}examples/hello-async` } });
    const { requestId } = await p1.invoker.invoke({ functionName: 'ok', event: '{}' });
    await p1.close();
    const p2 = await start(t, dataDir);
    assert.equal(p2.functions.get('ok').functionName, 'ok');
    assert.equal((await p2.store.get(requestId))?.retCode, 0);
    const again = await p2.invoker.invoke({ functionName: 'ok', event: '{}' });
    assert.equal(again.record?.retCode, 0);
  });

  test('retention: a start deletes the records older than store.retentionDays; 0 keeps them', async (t) => {
    const dataDir = tempDir(t);
    const DAY = 86_400_000;
    const today = Math.floor(Date.now() / DAY) * DAY;
    const record = (requestId: string, startTime: number) => ({
      requestId,
      namespace: 'default',
      functionName: 'old',
      qualifier: '$LATEST',
      startTime,
      duration: 1,
      billDuration: 100,
      memUsage: 1,
      retCode: 0,
      retMsg: '"ok"',
      invokeFinished: 1,
      retryNum: 0,
      log: 'kept or not\n',
    });
    const keepAll = {
      port: 0,
      log: { level: 'warn' as const },
      dataDir,
      auth: CREDS,
      store: { retentionDays: 0 },
    };
    const p1 = await createPlatform({ config: keepAll, env: {} });
    await p1.store.write([
      { op: 'finish', record: record('too-old', today - 3 * DAY - 1) },
      { op: 'finish', record: record('oldest-kept', today - 3 * DAY) },
      { op: 'finish', record: record('today', today) },
    ]);
    await p1.retention.runNow(); // disabled: nothing happens
    await p1.close();
    const p2 = await createPlatform({ config: { ...keepAll, store: { retentionDays: 3 } }, env: {} });
    t.after(() => p2.close());
    await p2.retention.runNow(); // the run its start began (the unit tests pin that start() runs one)
    assert.equal(await p2.store.get('too-old'), undefined);
    assert.equal((await p2.store.get('oldest-kept'))?.requestId, 'oldest-kept');
    assert.equal((await p2.store.get('today'))?.requestId, 'today');
    assert.equal(
      (await p2.store.query({ orderBy: 'startTime', order: 'desc', offset: 0, limit: 0 })).total,
      2,
    );
  });

  test('a platform killed with SIGKILL mid-invocation: the record becomes interrupted and keeps its log', async (t) => {
    const dataDir = tempDir(t);
    const child = spawn(
      process.execPath,
      [`${repo}dist/test/helpers/platform-child.js`, dataDir, `${repo}test/fixtures/e2e/sleeper`],
      { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
    );
    // The whole process group (platform + its function instance) dies at once, as in a host crash.
    const killGroup = (): void => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    t.after(killGroup);
    let out = '';
    child.stdout.setEncoding('utf8');
    const requestId = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: string) => {
        out += d;
        const m = /STARTED (\S+)\n/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`platform child exited early (${code}): ${out}`)));
    });

    // Wait until the line the function printed is durable in the running record (read by another process).
    const { SqliteLogStore } = await import('../../src/store/sqlite/index.js');
    const reader = new SqliteLogStore({ path: `${dataDir}/scf-local.db` });
    await reader.open();
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await reader.get(requestId);
      if (r?.log.includes('line before the crash')) {
        assert.equal(r.retCode, 2, 'visible as running');
        assert.equal(r.invokeFinished, 0);
        break;
      }
      assert.ok(Date.now() < deadline, 'the running record never showed the line');
      await new Promise((res) => setTimeout(res, 20));
    }
    await reader.close();

    const exited = once(child, 'exit');
    killGroup();
    await exited;

    const p = await start(t, dataDir);
    assert.equal(p.recoveredInterrupted, 1);
    const r = await p.store.get(requestId);
    assert.ok(r);
    assert.equal(r.retCode, 3);
    assert.equal(r.invokeFinished, 0);
    assert.match(r.log, /line before the crash/);
  });
});
