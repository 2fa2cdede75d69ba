#!/usr/bin/env node
// Rewrites docs/api-v3-actions.md from the compiled action table, parameter notes, error codes and the
// installed SDK's request models (run `npm run build` first; `npm run docs:errors` does).
import { writeFileSync } from 'node:fs';
import { renderActionsDoc } from '../dist/test/helpers/actions-doc.js';
import { SdkModels } from '../dist/test/helpers/sdk-models.js';

writeFileSync(new URL('../docs/api-v3-actions.md', import.meta.url), renderActionsDoc(new SdkModels()));
