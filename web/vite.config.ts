/**
 * The console's build: web/ -> dist/console/ (served by `scf-local serve` at /console/, see
 * src/api/console/). Preact's JSX through Vite's own transform; no plugin.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // One small bundle: no source maps shipped (the sources are in the repository).
    sourcemap: false,
  },
});
