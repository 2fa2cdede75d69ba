/**
 * The deploy package (src/cli/pack.ts): which files go in, the zip and its cap, the request body around
 * it, sizes as the CLI writes them. Oracles: Node's own base64 and JSON, fflate's unzip, the spec's units.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { unzipSync } from 'fflate';
import {
  assembleBody,
  checkHandlerFile,
  defaultFunctionName,
  formatSize,
  listPackage,
  maxZipInBody,
  outsidePackage,
  uploadFrame,
  zipPackage,
} from '../../../src/cli/pack.js';
import { ScfError } from '../../../src/errors/index.js';
import { tempDir } from '../../helpers/tmp.js';

describe('deploy package', () => {
  test('sizes: MB of 1,048,576 bytes with one decimal, KB of 1,024 below', () => {
    assert.equal(formatSize(20_028_000), '19.1 MB');
    assert.equal(formatSize(1_048_576), '1.0 MB');
    assert.equal(formatSize(1_048_575), '1.0 MB', 'not "1024.0 KB"');
    assert.equal(formatSize(1_000_000), '976.6 KB');
    assert.equal(formatSize(300), '0.3 KB');
  });

  test('files: by name, without VCS and scf-local data; links followed but not up the tree, a link to nothing refused', (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'lib'));
    mkdirSync(join(dir, '.git'));
    mkdirSync(join(dir, 'node_modules', 'dep'), { recursive: true });
    writeFileSync(join(dir, 'index.js'), 'x');
    writeFileSync(join(dir, 'b.js'), 'xx');
    writeFileSync(join(dir, 'lib', 'a.js'), 'xxx');
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref');
    writeFileSync(join(dir, 'node_modules', 'dep', 'index.js'), 'xxxx');
    symlinkSync(join(dir, 'lib'), join(dir, 'shared'));
    symlinkSync(dir, join(dir, 'lib', 'up'));
    const list = listPackage(dir);
    assert.deepEqual(
      list.files.map((f) => f.name),
      ['b.js', 'index.js', 'lib/a.js', 'node_modules/dep/index.js', 'shared/a.js'],
    );
    assert.equal(list.bytes, 2 + 1 + 3 + 4 + 3);
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    assert.throws(() => listPackage(dir), /dangling is a symbolic link to nothing/);
    assert.throws(() => listPackage(join(dir, 'missing')), /does not exist/);
    assert.throws(() => listPackage(join(dir, 'index.js')), /not a directory/);
  });

  test('the zip holds every file; with a cap it stops once past it, having read little', (t) => {
    const dir = tempDir(t);
    const contents: Record<string, Buffer> = {};
    for (let i = 0; i < 8; i++) contents[`f${i}.bin`] = randomBytes(256 * 1024);
    contents['index.js'] = Buffer.from('exports.main_handler = async () => 1;\n');
    for (const [name, data] of Object.entries(contents)) writeFileSync(join(dir, name), data);
    const list = listPackage(dir);
    const unpacked = unzipSync(zipPackage(list));
    assert.deepEqual(Object.keys(unpacked).sort(), Object.keys(contents).sort());
    for (const [name, data] of Object.entries(contents)) assert.ok(Buffer.from(unpacked[name]!).equals(data));

    let seen: { zipBytes: number; readBytes: number; files: number } | undefined;
    assert.throws(
      () =>
        zipPackage(list, {
          maxBytes: 300 * 1024,
          tooLarge: (p) => {
            seen = p;
            return new ScfError('RequestSizeLimitExceeded', 'too large');
          },
        }),
      /too large/,
    );
    assert.ok(seen);
    assert.ok(seen.zipBytes > 300 * 1024);
    assert.ok(seen.readBytes < list.bytes / 2, `read ${seen.readBytes} of ${list.bytes}`);
    assert.ok(seen.files <= 3);
  });

  test('the body is the parameters as JSON with the zip as base64 in its place', () => {
    const zip = randomBytes(7 * 1024 * 1024 + 1);
    const params = (zipFile: string) => ({
      FunctionName: 'f',
      Description: 'a "quoted" ünïcode description',
      Code: { ZipFile: zipFile },
    });
    const body = assembleBody(uploadFrame(params), zip);
    assert.ok(body.equals(Buffer.from(JSON.stringify(params(zip.toString('base64'))), 'utf8')));
  });

  test('the largest zip a body limit carries', () => {
    const params = (zipFile: string) => ({ FunctionName: 'f', ZipFile: zipFile });
    const frame = uploadFrame(params);
    const size = (n: number): number =>
      Buffer.byteLength(JSON.stringify(params(Buffer.alloc(n).toString('base64'))));
    for (const limit of [1000, 1001, 1002, 1003, 65_536]) {
      const max = maxZipInBody(frame, limit);
      assert.ok(size(max) <= limit, `${limit}: ${max} fits`);
      assert.ok(size(max + 1) > limit, `${limit}: ${max + 1} does not`);
    }
    assert.equal(maxZipInBody(frame, 10), 0);
  });

  test("a folder's name is the function's when it is a valid function name", () => {
    assert.equal(defaultFunctionName('/x/hello-world_2'), 'hello-world_2');
    for (const bad of ['/x/9lives', '/x/ends-', '/x/a', '/x/has space', `/x/${'a'.repeat(61)}`]) {
      assert.throws(() => defaultFunctionName(bad), /give the function's name with --name/);
    }
  });
});

describe('the handler file check, again and again in one process (as dev deploys)', () => {
  test('a handler file removed after a check that found it is missing at the next; put back, found', (t) => {
    const dir = tempDir(t, 'scf-local-pack-handler-');
    writeFileSync(join(dir, 'index.js'), 'exports.main_handler = () => 1;');
    checkHandlerFile(dir, 'index.main_handler');
    renameSync(join(dir, 'index.js'), join(dir, 'main.js'));
    assert.throws(
      () => checkHandlerFile(dir, 'index.main_handler'),
      /handler index\.main_handler needs index\.js or index\.mjs/,
    );
    // Another form the runtime loads: a folder with index.js.
    mkdirSync(join(dir, 'index'));
    writeFileSync(join(dir, 'index', 'index.js'), 'exports.main_handler = () => 2;');
    checkHandlerFile(dir, 'index.main_handler');
  });

  test('what packaging leaves out, at any depth', () => {
    for (const p of ['.git', '.git/HEAD', 'a/.svn/x', '.scf-local/db', 'sub/.DS_Store', 'a\\.hg\\x']) {
      assert.equal(outsidePackage(p), true, p);
    }
    for (const p of ['', 'index.js', 'git/x', '.gitignore', 'node_modules/a/index.js', 'a.scf-local']) {
      assert.equal(outsidePackage(p), false, p);
    }
  });
});
