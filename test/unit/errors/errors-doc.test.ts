import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ERROR_CODES } from '../../../src/errors/codes.js';
import { renderErrorsDoc } from '../../../src/errors/doc.js';
import { ScfError } from '../../../src/errors/index.js';

const docPath = new URL('../../../../docs/errors.md', import.meta.url);

test('docs/errors.md lists every error code as the code table defines it', () => {
  const doc = readFileSync(docPath, 'utf8');
  assert.equal(doc, renderErrorsDoc(), 'docs/errors.md is stale: run `npm run docs:errors`');
  for (const [name, spec] of Object.entries(ERROR_CODES)) {
    assert.match(
      doc,
      new RegExp(`\\| ${name} \\| ${spec.v2} \\| ${spec.v2Desc} \\|`),
      `${name} missing from the doc`,
    );
  }
});

test('a field turns InvalidParameterValue into its SCF sub-code, and only that family', () => {
  assert.equal(
    new ScfError('InvalidParameterValue', 'x', { field: 'Order' }).v3Code,
    'InvalidParameterValue.Order',
  );
  assert.equal(
    new ScfError('MissingParameter', 'x', { field: 'FunctionName' }).v3Code,
    'MissingParameter.FunctionName',
  );
  assert.equal(
    new ScfError('FunctionNotFound', 'x', { field: 'FunctionName' }).v3Code,
    'ResourceNotFound.Function',
  );
});
