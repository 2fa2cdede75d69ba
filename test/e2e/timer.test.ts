/**
 * Timer triggers end to end, with the real `scf-local serve` and the real SDK: a function with a timer
 * every 2 seconds (`CreateTrigger` Type timer, `*∕2 * * * * * *`), its invocations read back through
 * GetFunctionLogs.
 *
 * - One node on SQLite, stopped and started again on its data folder: every firing runs once (one record
 *   per event `Time`, every one an even second), those due while it was down are not run afterwards, and
 *   each record's StartTime is the second of its firing.
 * - Two nodes on one PostgreSQL schema, both firing every timer: each firing still runs once.
 *
 * How close to the second each invocation started is read from the records' exact start times (the API
 * shows whole seconds), through the store classes on the same database once the servers stopped; the
 * figures are printed as diagnostics. The target is 100 ms; a firing's start includes the async queue's
 * dispatch and, for the first invocation of a process, the instance's cold start.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PostgresLogStore, SqliteLogStore, type StoredRecord } from '../../src/store/index.js';
import { freshSchema, PG_URL } from '../helpers/pg.js';
import { type Served, serve } from '../helpers/serve.js';
import { tempDir } from '../helpers/tmp.js';
import { type V3Client, v3Client } from '../helpers/v3client.js';
import { zipOf } from '../security/server-helpers.js';

const CRED = { secretId: 'AKIDtimer', secretKey: 'timer-secret' };
const BASE_ENV = {
  SCF_LOCAL_SECRET_ID: CRED.secretId,
  SCF_LOCAL_SECRET_KEY: CRED.secretKey,
  SCF_LOCAL_SANDBOX: 'off',
  SCF_LOCAL_LOG_LEVEL: 'warn',
};
const FN = 'ticker';
/** The function prints the event it was given, on a line of its own. */
const SOURCE =
  "exports.main_handler = async (event) => { console.log('EVENT ' + JSON.stringify(event)); return 'ok'; };\n";
/** The schedule's target: a firing's invocation starts within this of its second. */
const TARGET_MS = 100;

interface TimerEvent {
  Type: string;
  TriggerName: string;
  Time: string;
  Message: string;
}

/** The timer event a record's log shows (the function printed it). */
function eventOf(log: string): TimerEvent {
  const m = /EVENT (\{.*\})/.exec(log);
  assert.ok(m, `no event in the log: ${log}`);
  return JSON.parse(m[1]!) as TimerEvent;
}

/** `2024-03-10T00:00:02Z` -> `2024-03-10 08:00:02`: the API's UTC+8 wall clock, written out by hand. */
function beijing(isoUtc: string): string {
  const d = new Date(Date.parse(isoUtc) + 8 * 3600_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** The finished records of the function, through GetFunctionLogs. */
async function finished(client: V3Client): Promise<{ StartTime: string; Log: string; RetCode: number }[]> {
  const page = await client.GetFunctionLogs({
    FunctionName: FN,
    Limit: 100,
    Order: 'ASC',
    OrderBy: 'start_time',
  });
  return (page.Data ?? [])
    .filter((r) => r.InvokeFinished === 1)
    .map((r) => ({ StartTime: r.StartTime ?? '', Log: r.Log ?? '', RetCode: r.RetCode ?? -1 }));
}

/** Asks until `cond` holds on the finished records (a deadline fails the test with what was seen). */
async function until(
  client: V3Client,
  cond: (records: Awaited<ReturnType<typeof finished>>) => boolean,
  what: string,
  deadlineMs = 30_000,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const records = await finished(client);
    if (cond(records)) return;
    if (Date.now() > end)
      assert.fail(`${what}: not after ${deadlineMs} ms; records: ${JSON.stringify(records)}`);
    await sleep(250);
  }
}

/** Waits until the clock is `from`..`to` ms past an even second: well away from the next firing. */
async function betweenFirings(from = 400, to = 1200): Promise<void> {
  for (;;) {
    const phase = Date.now() % 2000;
    if (phase >= from && phase <= to) return;
    await sleep(phase < from ? from - phase : 2000 - phase + from);
  }
}

async function deploy(client: V3Client, t: TestContext): Promise<void> {
  await client.CreateFunction({
    FunctionName: FN,
    Handler: 'index.main_handler',
    Runtime: 'Nodejs18.15',
    Code: { ZipFile: zipOf(t, SOURCE) },
  });
  const created = await client.CreateTrigger({
    FunctionName: FN,
    TriggerName: 'every2s',
    Type: 'timer',
    TriggerDesc: '*/2 * * * * * *',
    CustomArgument: 'tick',
  });
  assert.equal(created.TriggerInfo?.TriggerDesc, '*/2 * * * * * *');
}

/** The user-visible checks on a set of records: SCF's event, once per firing, started on its second. */
function checkRecords(records: Awaited<ReturnType<typeof finished>>): TimerEvent[] {
  const events = records.map((r) => eventOf(r.Log));
  for (const [i, r] of records.entries()) {
    const e = events[i]!;
    assert.equal(r.RetCode, 0);
    assert.deepEqual(Object.keys(e), ['Type', 'TriggerName', 'Time', 'Message']);
    assert.equal(e.Type, 'Timer');
    assert.equal(e.TriggerName, 'every2s');
    assert.equal(e.Message, 'tick');
    assert.match(e.Time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d[02468]Z$/);
    // The record's StartTime (the API's UTC+8 wall clock, whole seconds) is the second it fired on.
    assert.equal(r.StartTime, beijing(e.Time), `record ${i} started ${r.StartTime}, fired for ${e.Time}`);
  }
  const times = events.map((e) => e.Time);
  assert.equal(new Set(times).size, times.length, `a firing ran twice: ${times.join(' ')}`);
  return events;
}

/** Start lag (ms) of each record after its firing, from the exact start times the store keeps. */
function lags(stored: StoredRecord[]): number[] {
  return stored
    .filter((r) => r.invokeFinished === 1)
    .map((r) => r.startTime - Date.parse(eventOf(r.log).Time))
    .sort((a, b) => a - b);
}

function summarise(t: TestContext, label: string, l: number[]): void {
  const q = (p: number): number => l[Math.min(l.length - 1, Math.floor(p * l.length))]!;
  t.diagnostic(
    `${label}: ${l.length} firings, start lag after the cron second ms: min ${l[0]} median ${q(0.5)} ` +
      `max ${l[l.length - 1]}; all: ${l.join(', ')}`,
  );
}

test('a timer every 2 s on one node (SQLite): on schedule, once per firing, none replayed after a restart', {
  timeout: 120_000,
}, async (t) => {
  const dataDir = tempDir(t, 'scf-local-timer-');
  const first = serve(t, { env: BASE_ENV, dataDir });
  const c1 = v3Client(await first.port(), CRED);
  await deploy(c1, t);
  await until(c1, (r) => r.length >= 4, 'four firings');
  // Stopped well away from the next firing, so no firing is left between storing and running.
  await betweenFirings();
  first.signal('SIGTERM');
  assert.equal(await first.exited, 0, first.stderr());
  const stoppedAt = Date.now();
  // Down for at least two firings.
  await sleep(4500);

  const restartedAt = Date.now();
  const second: Served = serve(t, { env: BASE_ENV, dataDir });
  const c2 = v3Client(await second.port(), CRED);
  const before = (await finished(c2)).length;
  await until(c2, (r) => r.length >= before + 4, 'four firings after the restart');
  const records = await finished(c2);
  await betweenFirings();
  second.signal('SIGTERM');
  assert.equal(await second.exited, 0, second.stderr());

  const times = checkRecords(records).map((e) => Date.parse(e.Time));
  const gap = times.findIndex((x, i) => i > 0 && x - times[i - 1]! > 2000);
  // Every 2 s before the stop and after the restart; nothing fired for the seconds it was down, and the
  // first firing after it is the new process's (after it started), not a replay.
  assert.ok(gap > 0, `no gap in ${records.map((r) => r.StartTime).join(' ')}`);
  for (const [i, x] of times.entries()) {
    if (i > 0 && i !== gap) assert.equal(x - times[i - 1]!, 2000, `firings ${i - 1} and ${i}`);
  }
  assert.ok(times[gap - 1]! < stoppedAt);
  assert.ok(times[gap]! > restartedAt, 'the first firing after the restart is after the start');
  assert.ok(times[gap]! - times[gap - 1]! >= 6000);

  const store = new SqliteLogStore({ path: join(dataDir, 'scf-local.db') });
  await store.open();
  try {
    const page = await store.query({
      functionName: FN,
      orderBy: 'startTime',
      order: 'asc',
      offset: 0,
      limit: 100,
    });
    assert.equal(page.items.length, records.length);
    const l = lags(page.items);
    summarise(t, 'SQLite, one node, across a restart', l);
    for (const lag of l) assert.ok(lag >= 0, `started ${lag} ms before its firing`);
    // All but the two slowest within the target (room for each process's first, cold invocation on a
    // loaded machine); every one within a second.
    const warm = l.slice(0, l.length - 2);
    for (const lag of warm)
      assert.ok(lag <= TARGET_MS, `a firing started ${lag} ms after its second: ${l.join(', ')}`);
    for (const lag of l) assert.ok(lag <= 1000, `a firing started ${lag} ms after its second`);
  } finally {
    await store.close();
  }
});

test('a timer every 2 s on two nodes sharing one PostgreSQL schema: each firing runs once', {
  timeout: 120_000,
}, async (t) => {
  const schema = freshSchema(t, 'scf_timer');
  const env = (id: string): Record<string, string> => ({
    ...BASE_ENV,
    SCF_LOCAL_STORE: 'postgres',
    SCF_LOCAL_DATABASE_URL: PG_URL,
    SCF_LOCAL_PG_SCHEMA: schema,
    SCF_LOCAL_NODE_ID: id,
  });
  const nodes = [serve(t, { env: env('t1') }), serve(t, { env: env('t2') })];
  const [c1, c2] = await Promise.all(nodes.map(async (n) => v3Client(await n.port(), CRED)));
  // Deployed through one node; the other learns of the trigger from the database.
  await deploy(c1!, t);
  await until(c2!, (r) => r.length >= 6, 'six firings');
  await betweenFirings();
  for (const n of nodes) n.signal('SIGTERM');
  for (const n of nodes) assert.equal(await n.exited, 0, n.stderr());

  const store = new PostgresLogStore({ connectionString: PG_URL, schema, nodeId: 'test' });
  await store.open();
  try {
    const page = await store.query({
      functionName: FN,
      orderBy: 'startTime',
      order: 'asc',
      offset: 0,
      limit: 100,
    });
    const records = page.items.filter((r) => r.invokeFinished === 1);
    const times = records.map((r) => Date.parse(eventOf(r.log).Time));
    assert.equal(new Set(times).size, times.length, 'a firing ran twice');
    for (const [i, x] of times.entries())
      if (i > 0) assert.equal(x - times[i - 1]!, 2000, `firings ${i - 1}, ${i}`);
    const l = lags(page.items);
    summarise(t, 'PostgreSQL, two nodes', l);
    // As above: all but the two slowest within the target, every one within a second.
    for (const lag of l) assert.ok(lag >= 0 && lag <= 1000, `a firing started ${lag} ms after its second`);
    const warm = l.slice(0, l.length - 2);
    for (const lag of warm)
      assert.ok(lag <= TARGET_MS, `a firing started ${lag} ms after its second: ${l.join(', ')}`);
  } finally {
    await store.close();
  }
});
