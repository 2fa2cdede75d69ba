/**
 * The API 3.0 error-code table (`error-codes.ts`) is complete and consistent, and the rules SCF answers with
 * codes of their own are spelled as SCF's per-action lists spell them (written here from the lists in
 * `tencentcloud-sdk-go` scf/v20180416/client.go, not read from `src/`).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { V3_ACTIONS } from '../../../../src/api/protocol/v3/actions.js';
import {
  COMMON_V3_CODES,
  V3_ACTION_CODES,
  v3ActionMayAnswer,
} from '../../../../src/api/protocol/v3/error-codes.js';
import { v3Code } from '../../../../src/api/protocol/v3/errors.js';
import { RULE, ScfError } from '../../../../src/errors/index.js';

describe('API 3.0 error-code table', () => {
  test('has one row per implemented action, and no other', () => {
    assert.deepEqual(Object.keys(V3_ACTION_CODES).sort(), [...V3_ACTIONS.keys()].sort());
  });

  test('a code is in one place only, and every local code says why', () => {
    for (const [action, row] of Object.entries(V3_ACTION_CODES)) {
      const local = Object.keys(row.local ?? {});
      for (const code of [...row.scf, ...local]) {
        assert.ok(!COMMON_V3_CODES.includes(code), `${action}: ${code} is a common code`);
      }
      for (const code of local) {
        assert.ok(!row.scf.includes(code), `${action}: ${code} is both SCF's and local`);
        assert.ok((row.local?.[code] ?? '').length > 10, `${action}: ${code} has no reason`);
      }
      assert.equal(new Set(row.scf).size, row.scf.length, `${action}: a code listed twice`);
    }
  });

  test('v3ActionMayAnswer: the row, the common codes, nothing else', () => {
    assert.ok(v3ActionMayAnswer('DeleteNamespace', 'FailedOperation.DeleteNamespace'));
    assert.ok(v3ActionMayAnswer('DeleteNamespace', 'AuthFailure.SignatureFailure'));
    assert.ok(v3ActionMayAnswer('Invoke', 'LimitExceeded.Concurrency'));
    assert.ok(!v3ActionMayAnswer('DeleteNamespace', 'ResourceNotFound.Function'));
    assert.ok(!v3ActionMayAnswer('Invoke', 'InvalidParameterValue.Event'));
    assert.ok(!v3ActionMayAnswer('NoSuchAction', 'InternalError'));
  });

  const cases: Array<[string, ScfError, string, string]> = [
    [
      'an event that is not JSON',
      new ScfError('InvalidParameterValue', 'x', { field: 'event', rule: RULE.eventJson }),
      'Invoke',
      'InvalidParameterValue.Param',
    ],
    [
      'a Timeout out of range',
      new ScfError('InvalidParameterValue', 'x', { field: 'timeout', rule: RULE.timeoutRange }),
      'UpdateFunctionConfiguration',
      'LimitExceeded.Timeout',
    ],
    [
      'a ZipFile that is not base64',
      new ScfError('InvalidParameterValue', 'x', { field: 'zipFile', rule: RULE.zipBase64 }),
      'CreateFunction',
      'InvalidParameterValue.ZipFileBase64BinasciiError',
    ],
    [
      'creating the default namespace',
      new ScfError('NamespaceInUse', 'x', { rule: RULE.createDefaultNamespace }),
      'CreateNamespace',
      'InvalidParameterValue.DefaultNamespace',
    ],
    [
      'deleting the default namespace',
      new ScfError('UnsupportedOperation', 'x', { rule: RULE.deleteDefaultNamespace }),
      'DeleteNamespace',
      'FailedOperation.DeleteNamespace',
    ],
  ];
  for (const [what, err, action, code] of cases) {
    test(`${what} is ${code}, in ${action}'s row`, () => {
      assert.equal(v3Code(err), code);
      assert.ok(v3ActionMayAnswer(action, code));
    });
  }

  test('a rule without a code of its own keeps the canonical code and field', () => {
    const err = new ScfError('InvalidParameterValue', 'x', { field: 'timeout' });
    assert.equal(v3Code(err), 'InvalidParameterValue.Timeout');
  });
});
