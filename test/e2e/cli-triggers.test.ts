/**
 * The real `scf-local` binary's trigger commands against a real server (a platform in this process on a
 * free port, API zone UTC+8 by default; the CLI runs in Asia/Kolkata, UTC+05:30): `deploy --timer` creates,
 * leaves alone and updates a timer named `timer`, and the timer fires; `triggers <fn>` lists the triggers
 * with the next firing in the user's zone (table and JSON); `triggers rm` deletes one; a bad expression is
 * refused before anything is deployed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createPlatform, type Platform } from '../../src/platform.js';
import { cli } from '../helpers/cli-shell.js';

/** `ms` as the CLI shows it in Asia/Kolkata: `YYYY-MM-DD HH:mm:ss +05:30`, written out here. */
function kolkata(ms: number): string {
  const d = new Date(ms + 330 * 60_000);
  const p = (n: number): string => String(n).padStart(2, '0');
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +05:30`
  );
}

describe('scf-local triggers and deploy --timer', () => {
  let platform: Platform;
  let base: string[];
  let fnDir: string;

  const dirs: string[] = [];
  before(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'scf-local-cli-triggers-'));
    fnDir = mkdtempSync(join(tmpdir(), 'scf-local-fn-'));
    dirs.push(dataDir, fnDir);
    writeFileSync(
      join(fnDir, 'index.js'),
      "exports.main_handler = async (event) => { console.log('EVENT ' + JSON.stringify(event)); return 1; };\n",
    );
    platform = await createPlatform({
      config: { port: 0, log: { level: 'warn' }, dataDir, runtime: { sandbox: 'off' } },
      env: {},
    });
    const { url } = await platform.listen();
    base = ['--endpoint', url, '--data-dir', dataDir];
  });
  after(async () => {
    await platform?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test('deploy --timer creates the timer, leaves it when unchanged, updates it; it fires', async () => {
    const created = await cli([...base, 'deploy', fnDir, '--name', 'cron', '--timer', '0 0 8 * * * *']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^created cron \(namespace default\)/);
    assert.match(created.stdout, /\ntimer timer: "0 0 8 \* \* \* \*" \(created\)\n$/);

    // 08:00 on the server's zone (UTC+8) is 00:00 UTC, 05:30 in Kolkata: the next one is the next UTC midnight.
    const nextMidnight = Math.floor(Date.now() / 86_400_000 + 1) * 86_400_000;
    const list = await cli([...base, 'triggers', 'cron']);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(
      list.stdout,
      `NAME   TYPE   ENABLED  DESC           ${'NEXT'.padEnd(26)}  MESSAGE\n` +
        `timer  timer  on       0 0 8 * * * *  ${kolkata(nextMidnight)}  -\n`,
    );

    const same = await cli([...base, 'deploy', fnDir, '--name', 'cron', '--timer', ' 0 0 8  * * * * ']);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /\(unchanged\)\n$/);

    const updated = await cli([
      ...base,
      'deploy',
      fnDir,
      '--name',
      'cron',
      '--timer',
      '* * * * * * *',
      '--timer-message',
      'from the CLI',
      '--json',
    ]);
    assert.equal(updated.code, 0, updated.stderr);
    const out = JSON.parse(updated.stdout) as { timer: unknown; created: boolean };
    assert.equal(out.created, false);
    assert.deepEqual(out.timer, { triggerName: 'timer', triggerDesc: '* * * * * * *', status: 'updated' });

    // It fires: a record whose log shows the timer event with the message.
    let log = '';
    for (let i = 0; i < 40 && !log.includes('from the CLI'); i++) {
      const logs = await cli([...base, 'logs', 'cron', '--json']);
      assert.equal(logs.code, 0, logs.stderr);
      log = logs.stdout;
      await sleep(250);
    }
    assert.match(
      log,
      /EVENT \{\\"Type\\":\\"Timer\\",\\"TriggerName\\":\\"timer\\",\\"Time\\":\\"[^"]+Z\\",\\"Message\\":\\"from the CLI\\"\}/,
    );

    const json = await cli([...base, 'triggers', 'cron', '--json', '--utc']);
    assert.equal(json.code, 0, json.stderr);
    const [timer, ...rest] = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(rest, []);
    assert.equal(timer!['triggerName'], 'timer');
    assert.equal(timer!['type'], 'timer');
    assert.equal(timer!['enabled'], true);
    assert.equal(timer!['triggerDesc'], '* * * * * * *');
    assert.equal(timer!['customArgument'], 'from the CLI');
    assert.equal(timer!['qualifier'], '$LATEST');
    // Every second: the next firing is the next whole second after it was asked.
    const next = timer!['nextFireMs'] as number;
    assert.equal(next % 1000, 0);
    assert.ok(next > Date.now() - 5000 && next < Date.now() + 1000, String(next));
    assert.equal(timer!['nextFire'], new Date(next).toISOString());
    assert.match(String(timer!['modTime']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  test('triggers rm deletes one; a function without triggers says so', async () => {
    const rm = await cli([...base, 'triggers', 'rm', 'cron', 'timer']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.equal(rm.stdout, 'deleted timer trigger timer of cron\n');
    const list = await cli([...base, 'triggers', 'cron']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^cron has no triggers/);
    assert.deepEqual(JSON.parse((await cli([...base, 'triggers', 'cron', '--json'])).stdout), []);
  });

  test('a bad --timer is refused before anything is deployed; unknown functions and triggers are named', async () => {
    const bad = await cli([...base, 'deploy', fnDir, '--name', 'never', '--timer', '0 0 25 * * * *']);
    assert.notEqual(bad.code, 0);
    assert.match(
      bad.stderr,
      /--timer: invalid cron expression "0 0 25 \* \* \* \*": hour 25 is out of range/,
    );
    const six = await cli([...base, 'deploy', fnDir, '--name', 'never', '--timer', '0 0 8 * * *']);
    assert.notEqual(six.code, 0);
    assert.match(six.stderr, /it has 6 fields; SCF takes seven/);
    const lonely = await cli([...base, 'deploy', fnDir, '--name', 'never', '--timer-message', 'x']);
    assert.notEqual(lonely.code, 0);
    assert.match(lonely.stderr, /--timer-message goes with --timer/);
    const fns = JSON.parse((await cli([...base, 'functions', '--json'])).stdout) as Array<{
      functionName: string;
    }>;
    assert.deepEqual(
      fns.map((f) => f.functionName),
      ['cron'],
    );

    const missing = await cli([...base, 'triggers', 'nosuch']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no function nosuch in namespace default \(ResourceNotFound\.Function\)/);
    const noTrigger = await cli([...base, 'triggers', 'rm', 'cron', 'nosuch']);
    assert.notEqual(noTrigger.code, 0);
    assert.match(
      noTrigger.stderr,
      /function default\/cron has no timer trigger named nosuch \(ResourceNotFound\.Trigger\)/,
    );
  });
});
