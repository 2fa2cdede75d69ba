#!/usr/bin/env node
/**
 * `npm test`: builds once, runs the whole suite under TZ=UTC, then the unit suite (dist/test/unit) again
 * under TZ=America/Los_Angeles — west of UTC, with summer time, unlike both UTC and SCF's UTC+8 — so that a
 * test which only passes in one zone fails here. Each run prints node --test's own report under a heading
 * naming its zone, and a summary of both runs (pass/fail counts) ends the output. Exits 1 if either run
 * failed (both always run).
 *
 * `node scripts/test.mjs --unit` (`npm run test:unit`): builds, then the unit suite alone, in the caller's
 * zone. `--whole`: the whole suite once, in the caller's zone (`TZ=Asia/Tokyo node scripts/test.mjs --whole`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.includes('--unit')
  ? 'unit'
  : process.argv.includes('--whole')
    ? 'whole'
    : undefined;

/** Every compiled test file under `dir` (relative to the repository), sorted. */
function testFiles(dir) {
  return readdirSync(join(root, dir), { recursive: true })
    .filter((f) => f.endsWith('.test.js'))
    .map((f) => join(dir, f))
    .sort();
}

const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const work = mkdtempSync(join(tmpdir(), 'scf-local-test-'));

/**
 * One node --test run. Its usual report goes to the terminal; a TAP copy goes to a file, from which the
 * counts of the closing summary are read.
 */
function run({ label, zone, dir }) {
  const tap = join(work, `${label.replace(/\W+/g, '-')}.tap`);
  process.stdout.write(`\n=== ${label} ===\n`);
  const result = spawnSync(
    process.execPath,
    [
      '--test',
      '--test-concurrency=2',
      '--test-timeout=180000',
      `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...testFiles(dir),
    ],
    { cwd: root, stdio: 'inherit', env: zone === undefined ? process.env : { ...process.env, TZ: zone } },
  );
  const counts = {};
  try {
    // The run's totals are the last `# name N` lines of the TAP stream (nested suites print none).
    for (const m of readFileSync(tap, 'utf8').matchAll(
      /^# (tests|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/gm,
    ))
      counts[m[1]] = Number(m[2]);
  } catch {
    // No report at all (node --test did not start): the exit status below says it failed.
  }
  const ok = result.status === 0;
  const summary =
    `${label}: ${counts.pass ?? '?'} passed, ${counts.fail ?? '?'} failed` +
    `${counts.cancelled ? `, ${counts.cancelled} cancelled` : ''}` +
    `${counts.skipped ? `, ${counts.skipped} skipped` : ''}${counts.todo ? `, ${counts.todo} todo` : ''}` +
    ` of ${counts.tests ?? '?'}` +
    `${counts.duration_ms ? ` in ${(counts.duration_ms / 1000).toFixed(1)} s` : ''}` +
    `${ok ? '' : ` — FAILED (exit ${result.status ?? result.signal})`}`;
  process.stdout.write(`=== ${summary} ===\n`);
  return { ok, summary };
}

const callerZone = `TZ=${process.env.TZ ?? '(unset)'}`;
const runs =
  only === 'unit'
    ? [run({ label: `unit suite, ${callerZone}`, zone: undefined, dir: 'dist/test/unit' })]
    : only === 'whole'
      ? [run({ label: `whole suite, ${callerZone}`, zone: undefined, dir: 'dist/test' })]
      : [
          run({ label: 'whole suite, TZ=UTC', zone: 'UTC', dir: 'dist/test' }),
          run({
            label: 'unit suite, TZ=America/Los_Angeles',
            zone: 'America/Los_Angeles',
            dir: 'dist/test/unit',
          }),
        ];
rmSync(work, { recursive: true, force: true });

process.stdout.write(`\n${runs.map((r) => r.summary).join('\n')}\n`);
process.exit(runs.every((r) => r.ok) ? 0 : 1);
