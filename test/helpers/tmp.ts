/** Temp folders for tests, removed when the test ends. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh temp directory that is removed after the test (or suite) that asked for it. */
export function tempDir(t: Pick<TestContext, 'after'>, prefix = 'scf-local-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
