/**
 * scf-local outside a checkout: `npm pack`, then the tarball installed into an empty project as a user
 * installs it, and used from there: `npx scf-local --help`, the docs it and the README point to, the
 * programmatic API's entry and types through `exports`, the license. The install must not warn EBADENGINE
 * on this Node (cookie@2, through light-my-request, wants Node 22: package.json pins light-my-request to the
 * last version on cookie@1).
 *
 * The install is from the npm cache where it can be (--prefer-offline) and skips dependencies' install
 * scripts (--ignore-scripts): compiling better-sqlite3 takes minutes and is that package's business, and
 * neither --help nor resolving the package needs it (`serve` loads the server's native modules itself). The
 * whole path, native builds and a served request included, is `scripts/check-package.sh`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createPlatform } from '../../src/platform.js';
import { tempDir } from '../helpers/tmp.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

function run(
  cmd: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      cmd,
      args,
      {
        cwd,
        env: { ...process.env, npm_config_update_notifier: 'false' },
        timeout: 170_000,
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Relative Markdown links (`[text](path)`, no scheme, no anchor-only), without their `#anchor`. */
function relativeLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((href) => !/^[a-z]+:/i.test(href) && !href.startsWith('#'))
    .map((href) => href.split('#')[0]!);
}

test('npm pack, install the tarball elsewhere: npx scf-local --help, its docs, exports, types, license', {
  timeout: 180_000,
}, async (t) => {
  const out = tempDir(t, 'scf-local-pack-');
  // dist/ is built by the test run; the tarball takes it as it is.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', out], repo);
  assert.equal(packed.code, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = new Set(info!.files.map((f) => f.path));
  for (const f of [
    'LICENSE',
    'README.md',
    'docs/cli.md',
    'dist/src/index.js',
    'dist/src/index.d.ts',
    'bin/scf-local.js',
    // The web console, built: `npm start` serves it with no extra step.
    'dist/console/index.html',
  ]) {
    assert.ok(files.has(f), `${f} is in the package`);
  }
  assert.ok(
    ![...files].some((f) => f.startsWith('dist/test/') || f.startsWith('src/')),
    'no tests or sources',
  );

  const project = tempDir(t, 'scf-local-user-');
  writeFileSync(
    join(project, 'package.json'),
    '{ "name": "user-project", "private": true, "type": "module" }\n',
  );
  const installed = await run(
    'npm',
    ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', join(out, info!.filename)],
    project,
  );
  assert.equal(installed.code, 0, installed.stderr);
  assert.doesNotMatch(installed.stdout + installed.stderr, /EBADENGINE/);

  const help = await run('npx', ['--no-install', 'scf-local', '--help'], project);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /Usage: scf-local/);
  const pkg = join(project, 'node_modules', 'scf-local');
  // --help's "Docs: docs/cli.md" and every relative link of the README and the docs, in the installed copy.
  assert.match(help.stdout, /Docs: docs\/cli\.md/);
  assert.ok(existsSync(join(pkg, 'docs/cli.md')));
  for (const doc of ['README.md', ...[...files].filter((f) => f.startsWith('docs/') && f.endsWith('.md'))]) {
    for (const href of relativeLinks(readFileSync(join(pkg, doc), 'utf8'))) {
      assert.ok(
        existsSync(resolve(dirname(join(pkg, doc)), href)),
        `${doc} links to ${href}, which is installed`,
      );
    }
  }
  assert.match(readFileSync(join(pkg, 'LICENSE'), 'utf8'), /^MIT License/);

  // `import { createPlatform } from 'scf-local'` resolves to the programmatic API; its types are there.
  const resolved = await run(
    process.execPath,
    ['--input-type=module', '-e', "console.log(import.meta.resolve('scf-local'))"],
    project,
  );
  assert.equal(resolved.code, 0, resolved.stderr);
  assert.equal(fileURLToPath(resolved.stdout.trim()), join(pkg, 'dist/src/index.js'));
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as {
    exports: { '.': { types: string; default: string } };
  };
  assert.ok(existsSync(join(pkg, manifest.exports['.'].types)));
  assert.match(readFileSync(join(pkg, manifest.exports['.'].types), 'utf8'), /createPlatform/);
  assert.match(readFileSync(join(pkg, manifest.exports['.'].default), 'utf8'), /createPlatform/);
});

test('fastify.inject works with the light-my-request version package.json pins', async (t) => {
  const p = await createPlatform({
    config: { port: 0, dataDir: tempDir(t), log: { level: 'warn' }, runtime: { sandbox: 'off' } },
    env: {},
  });
  t.after(() => p.close());
  const res = await p.http.inject({ method: 'GET', url: '/healthz', cookies: { a: 'b' } });
  assert.equal(res.statusCode, 200);
  assert.equal((res.json() as { status: string }).status, 'ok');
});
