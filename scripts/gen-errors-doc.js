#!/usr/bin/env node
// Rewrites docs/errors.md from the compiled code table (run `npm run build` first; `npm run docs:errors` does).
import { writeFileSync } from 'node:fs';
import { renderErrorsDoc } from '../dist/src/api/errors-doc.js';

writeFileSync(new URL('../docs/errors.md', import.meta.url), renderErrorsDoc());
