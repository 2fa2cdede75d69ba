#!/usr/bin/env node
// The `scf-local` command. The TypeScript sources are compiled to dist/ by `npm ci` (prepare) or `npm run build`.
import '../dist/src/cli/main.js';
