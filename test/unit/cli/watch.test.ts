/**
 * The folder watcher behind `scf-local dev`, on a real folder: a burst of changes is one batch, batches
 * never overlap, what packaging skips is not seen, and saves by rename are seen every time.
 *
 * The absence of a batch is shown by the next one: after the change under test, one more file is written,
 * and the batch that carries it must be the next one handed over, with only what is expected in it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { FolderWatcher } from '../../../src/cli/watch.js';
import { tempDir } from '../../helpers/tmp.js';

/** A watcher whose batches can be awaited one by one; `hold` makes each batch wait until released. */
async function watching(
  t: TestContext,
  dir: string,
  options: { debounceMs?: number; hold?: boolean } = {},
): Promise<{
  next: () => Promise<string[]>;
  release: () => void;
  watcher: FolderWatcher;
  overlaps: () => number;
}> {
  const batches: string[][] = [];
  const waiting: Array<(paths: string[]) => void> = [];
  let gate: (() => void) | undefined;
  let inBatch = 0;
  let overlaps = 0;
  const errors: unknown[] = [];
  const watcher = await FolderWatcher.open(dir, {
    debounceMs: options.debounceMs ?? 150,
    onBatch: async (paths) => {
      inBatch += 1;
      if (inBatch > 1) overlaps += 1;
      const w = waiting.shift();
      if (w) w(paths);
      else batches.push(paths);
      if (options.hold) await new Promise<void>((r) => (gate = r));
      inBatch -= 1;
    },
    onError: (err) => errors.push(err),
  });
  t.after(async () => {
    gate?.();
    await watcher.close();
    assert.deepEqual(errors, []);
  });
  return {
    watcher,
    next: () => {
      const b = batches.shift();
      return b ? Promise.resolve(b) : new Promise((r) => waiting.push(r));
    },
    release: () => {
      const g = gate;
      gate = undefined;
      g?.();
    },
    overlaps: () => overlaps,
  };
}

describe('FolderWatcher', () => {
  test('a storm of 200 files in 20 folders is one batch; the next change is the next batch', async (t) => {
    const dir = tempDir(t, 'scf-local-watch-');
    writeFileSync(join(dir, 'index.js'), '1');
    const w = await watching(t, dir);
    const written: string[] = [];
    for (let d = 0; d < 20; d++) {
      mkdirSync(join(dir, `lib${d}`));
      for (let f = 0; f < 10; f++) {
        writeFileSync(join(dir, `lib${d}`, `f${f}.js`), String(f));
        written.push(`lib${d}/f${f}.js`);
      }
    }
    const storm = await w.next();
    // Each new folder is a change; which of the files written into it before it was watched are named
    // too depends on how soon its scan runs. What matters: they are this one batch, not batches of their own.
    for (let d = 0; d < 20; d++) assert.ok(storm.includes(`lib${d}`), `lib${d} in the batch`);
    for (const p of storm) assert.ok(/^lib\d+$/.test(p) || written.includes(p), `${p}: one of the storm's`);
    writeFileSync(join(dir, 'index.js'), '2');
    assert.deepEqual(await w.next(), ['index.js']);
  });

  test('version control and .scf-local are not seen, at any depth', async (t) => {
    const dir = tempDir(t, 'scf-local-watch-');
    for (const d of ['.git', '.scf-local', 'sub/.git']) mkdirSync(join(dir, d), { recursive: true });
    const w = await watching(t, dir);
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref');
    writeFileSync(join(dir, '.scf-local', 'scf-local.db'), 'x');
    writeFileSync(join(dir, 'sub', '.git', 'index'), 'x');
    mkdirSync(join(dir, 'new', '.svn'), { recursive: true });
    writeFileSync(join(dir, 'new', '.svn', 'entries'), 'x');
    writeFileSync(join(dir, '.DS_Store'), 'x');
    writeFileSync(join(dir, 'index.js'), 'x');
    assert.deepEqual(await w.next(), ['index.js', 'new']);
  });

  test('a file saved by renaming a temporary file over it is seen at every save, and so are later writes', async (t) => {
    const dir = tempDir(t, 'scf-local-watch-');
    writeFileSync(join(dir, 'index.js'), '0');
    const w = await watching(t, dir, { debounceMs: 50 });
    for (let i = 1; i <= 3; i++) {
      writeFileSync(join(dir, '.index.js.swp'), String(i));
      renameSync(join(dir, '.index.js.swp'), join(dir, 'index.js'));
      const batch = await w.next();
      assert.ok(batch.includes('index.js'), `save ${i}: ${batch.join(', ')}`);
    }
    writeFileSync(join(dir, 'index.js'), 'in place');
    assert.deepEqual(await w.next(), ['index.js']);
    rmSync(join(dir, 'index.js'));
    assert.deepEqual(await w.next(), ['index.js'], 'a removal is a change too');
  });

  test('changes made while a batch runs are the next batch, after it; batches never overlap', async (t) => {
    const dir = tempDir(t, 'scf-local-watch-');
    const w = await watching(t, dir, { hold: true, debounceMs: 50 });
    w.watcher.runNow();
    assert.deepEqual(await w.next(), [], 'runNow: a batch of no paths');
    // The first batch is still running: these wait for it, however long it takes.
    writeFileSync(join(dir, 'a.js'), 'a');
    writeFileSync(join(dir, 'b.js'), 'b');
    const second = w.next();
    let handed = false;
    void second.then(() => {
      handed = true;
    });
    // Long enough for the debounce to have run out several times over.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(handed, false, 'not handed over while the first batch runs');
    w.release();
    assert.deepEqual(await second, ['a.js', 'b.js']);
    w.release();
    assert.equal(w.overlaps(), 0);
  });
});
