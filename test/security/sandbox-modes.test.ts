/**
 * Where bubblewrap is missing: `runtime.sandbox: "auto"` still starts but says loudly, at start-up and in
 * /healthz, that functions are not isolated; `"required"` refuses to start, in one line, before the data
 * folder changes; `"off"` says NOT ISOLATED too. Real `scf-local serve` processes whose PATH has no bwrap.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bin, SECRET_ID, SECRET_KEY } from './server-helpers.js';

interface Run {
  out: () => string;
  err: () => string;
  exited: Promise<number | string>;
  kill: () => void;
}

function serve(dataDir: string, env: Record<string, string>): Run {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--data-dir', dataDir], {
    env: { SCF_LOCAL_SECRET_ID: SECRET_ID, SCF_LOCAL_SECRET_KEY: SECRET_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? String(signal))),
  );
  return {
    out: () => out,
    err: () => err,
    exited,
    kill: () => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A PATH with no bwrap on it (an empty folder). */
function pathWithoutBwrap(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'scf-local-nobwrap-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('without bwrap, "required" refuses to start in one line and changes nothing', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'scf-local-required-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = serve(dataDir, { PATH: pathWithoutBwrap(t), SCF_LOCAL_SANDBOX: 'required' });
  t.after(run.kill);
  const code = await run.exited;
  assert.notEqual(code, 0);
  const lines = run.err().trim().split('\n');
  assert.equal(lines.length, 1, run.err());
  assert.match(lines[0] ?? '', /runtime\.sandbox is "required" but bubblewrap \(bwrap\) is not installed/);
  assert.equal(existsSync(join(dataDir, 'scf-local.db')), false, 'no database was created');
  assert.equal(existsSync(join(dataDir, 'credentials.json')), false);
});

for (const mode of ['auto', 'off'] as const) {
  test(`"${mode}" without a sandbox starts, and says NOT ISOLATED at start-up and in /healthz`, async (t) => {
    const dataDir = mkdtempSync(join(tmpdir(), `scf-local-${mode}-`));
    mkdirSync(dataDir, { recursive: true });
    t.after(() => rmSync(dataDir, { recursive: true, force: true }));
    const run = serve(dataDir, { PATH: pathWithoutBwrap(t), SCF_LOCAL_SANDBOX: mode });
    t.after(run.kill);
    await until(() => /listening on http:\/\/127\.0\.0\.1:(\d+)/.test(run.out()), 'the server to listen');
    const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.out())?.[1]);
    await until(() => run.err().includes('NOT ISOLATED'), 'the warning');
    assert.match(run.err(), /WARNING: functions are NOT ISOLATED/);
    const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as {
      status: string;
      isolation: string;
      sandbox: { isolated: boolean; reason: string };
    };
    assert.equal(health.status, 'ok');
    assert.equal(health.isolation, 'NOT ISOLATED');
    assert.equal(health.sandbox.isolated, false);
    assert.match(health.sandbox.reason, mode === 'off' ? /"off"/ : /not installed/);
  });
}

test('with bwrap, /healthz says the functions are sandboxed', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'scf-local-sandboxed-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const run = serve(dataDir, { PATH: process.env['PATH'] ?? '' });
  t.after(run.kill);
  await until(() => /listening on http:\/\/127\.0\.0\.1:(\d+)/.test(run.out()), 'the server to listen');
  const port = Number(/listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(run.out())?.[1]);
  const health = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { isolation: string };
  if (health.isolation !== 'sandboxed') {
    t.skip('bubblewrap cannot create sandboxes on this machine');
    return;
  }
  assert.match(run.out(), /functions: sandboxed \(bubblewrap/);
  // No warning: stderr is the server's log alone (JSON lines, stderr is not a terminal here), at info (its
  // listening address; the health check is a debug line, not shown), nothing at warn or above.
  const logged = run
    .err()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { level: number; msg: string });
  assert.ok(logged.length > 0, 'the listening address is logged');
  assert.deepEqual(
    logged.filter((l) => l.level >= 40 || /healthz/.test(l.msg)),
    [],
    run.err(),
  );
});
