import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { renderErrorsDoc } from '../../../src/api/errors-doc.js';
import { V2_CODES } from '../../../src/api/protocol/v2/errors.js';
import { v3Code } from '../../../src/api/protocol/v3/errors.js';
import { ERROR_CODES } from '../../../src/errors/codes.js';
import { ScfError } from '../../../src/errors/index.js';

const docPath = new URL('../../../../docs/errors.md', import.meta.url);

test('docs/errors.md lists every error code as the code table defines it', () => {
  const doc = readFileSync(docPath, 'utf8');
  assert.equal(doc, renderErrorsDoc(), 'docs/errors.md is stale: run `npm run docs:errors`');
  for (const name of Object.keys(ERROR_CODES) as Array<keyof typeof ERROR_CODES>) {
    const [v2, v2Desc] = V2_CODES[name];
    assert.match(doc, new RegExp(`\\| ${name} \\| ${v2} \\| ${v2Desc} \\|`), `${name} missing from the doc`);
  }
});

test('a field turns InvalidParameterValue into its SCF sub-code in 3.0 spelling, and only that family', () => {
  assert.equal(
    v3Code(new ScfError('InvalidParameterValue', 'x', { field: 'order' })),
    'InvalidParameterValue.Order',
  );
  assert.equal(
    v3Code(new ScfError('MissingParameter', 'x', { field: 'FunctionName' })),
    'MissingParameter.FunctionName',
  );
  assert.equal(
    v3Code(new ScfError('FunctionNotFound', 'x', { field: 'FunctionName' })),
    'ResourceNotFound.Function',
  );
});
