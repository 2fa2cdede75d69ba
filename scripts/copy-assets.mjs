#!/usr/bin/env node
/**
 * The build's second step (after tsc): files of `src/` that are not TypeScript but ship with the compiled
 * code, copied to the same place under `dist/src/` (today: the Python bootstrap, which the runtime copies
 * into each sandbox from there).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ASSETS = ['runtime/python/bootstrap.py'];
for (const rel of ASSETS) {
  const to = join(root, 'dist/src', rel);
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(join(root, 'src', rel), to);
}
