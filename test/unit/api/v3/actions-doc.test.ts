/**
 * docs/api-v3-actions.md is what the code does: rendered from the action table, the parameter notes, the
 * error codes and the SDK's request models, and complete — no parameter of SCF's model is dropped without
 * a note saying why, and no note names a parameter that does not exist.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { V3_ACTIONS } from '../../../../src/api/protocol/v3/actions.js';
import { EXTRA_PARAMS, PARAM_NOTES } from '../../../../src/api/protocol/v3/param-notes.js';
import { readParams, renderActionsDoc } from '../../../helpers/actions-doc.js';
import { SdkModels } from '../../../helpers/sdk-models.js';

const models = new SdkModels();
const modelParams = (action: string): string[] =>
  models.has(`${action}Request`) ? models.fields(`${action}Request`).map((f) => f.name) : [];

describe('docs/api-v3-actions.md', () => {
  test('is current (`npm run docs:errors` rewrites it)', () => {
    const doc = readFileSync(new URL('../../../../../docs/api-v3-actions.md', import.meta.url), 'utf8');
    assert.equal(doc, renderActionsDoc(models), 'docs/api-v3-actions.md is stale: run `npm run docs:errors`');
  });

  test("every parameter of SCF's model that an action does not read has a note saying why", () => {
    const silent: string[] = [];
    for (const action of V3_ACTIONS.keys()) {
      const read = readParams(action);
      assert.ok(read.length > 0 || action === 'GetAccount', `${action}: no parameters read`);
      for (const p of modelParams(action)) {
        if (!read.includes(p) && PARAM_NOTES[action]?.[p] === undefined) silent.push(`${action}.${p}`);
      }
    }
    assert.deepEqual(silent, []);
  });

  test('every note and extra names a parameter that exists', () => {
    const unknown: string[] = [];
    for (const [action, notes] of Object.entries(PARAM_NOTES)) {
      assert.ok(V3_ACTIONS.has(action), `${action} is not an implemented action`);
      const known = new Set([...readParams(action), ...modelParams(action)]);
      for (const p of Object.keys(notes)) if (!known.has(p)) unknown.push(`${action}.${p}`);
    }
    for (const [action, extras] of Object.entries(EXTRA_PARAMS)) {
      for (const p of Object.keys(extras)) {
        if (!readParams(action).includes(p) || modelParams(action).includes(p))
          unknown.push(`extra ${action}.${p}`);
      }
    }
    assert.deepEqual(unknown, []);
    // And every parameter read beyond SCF's model is explained.
    for (const action of V3_ACTIONS.keys()) {
      for (const p of readParams(action)) {
        if (!modelParams(action).includes(p))
          assert.ok(EXTRA_PARAMS[action]?.[p], `${action}.${p} is not explained`);
      }
    }
  });
});
