/** Unflattening dotted parameters and 3.0's field types for the shared reader. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { v3Code } from '../../../../src/api/protocol/v3/errors.js';
import { readV3, unflatten, v3 } from '../../../../src/api/protocol/v3/params.js';
import { ScfError } from '../../../../src/errors/index.js';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ScfError, String(err));
    return v3Code(err);
  }
  assert.fail('expected a ScfError');
};

test('unflatten builds objects and arrays from dotted names', () => {
  assert.deepEqual(
    unflatten([
      ['FunctionName', 'f'],
      ['Filter.RetCode', 'not0'],
      ['Environment.Variables.1.Key', 'b'],
      ['Environment.Variables.0.Key', 'a'],
      ['Environment.Variables.0.Value', '1'],
      ['Environment.Variables.1.Value', '2'],
      ['SearchKey.0.Key', 'Namespace'],
    ]),
    {
      FunctionName: 'f',
      Filter: { RetCode: 'not0' },
      Environment: {
        Variables: [
          { Key: 'a', Value: '1' },
          { Key: 'b', Value: '2' },
        ],
      },
      SearchKey: [{ Key: 'Namespace' }],
    },
  );
});

test('unflatten orders array indices numerically (10 after 9)', () => {
  const pairs: Array<[string, string]> = [];
  for (let i = 11; i >= 0; i--) pairs.push([`L.${i}`, String(i)]);
  assert.deepEqual(
    unflatten(pairs)['L'],
    Array.from({ length: 12 }, (_, i) => String(i)),
  );
});

test('unflatten rejects ambiguous and hostile names', () => {
  assert.equal(
    code(() =>
      unflatten([
        ['A', '1'],
        ['A.B', '2'],
      ]),
    ),
    'InvalidParameter',
  );
  assert.equal(
    code(() =>
      unflatten([
        ['A.B', '2'],
        ['A', '1'],
      ]),
    ),
    'InvalidParameter',
  );
  assert.equal(
    code(() => unflatten([['__proto__.x', '1']])),
    'InvalidParameter',
  );
  assert.equal(
    code(() => unflatten([['A..B', '1']])),
    'InvalidParameter',
  );
  assert.equal(({} as Record<string, unknown>)['x'], undefined);
});

test('3.0 field types coerce form strings and name the field at fault', () => {
  const given = {
    Limit: '5',
    Offset: 3,
    Bad: 'x',
    Filter: { RetCode: 'nope' },
    Empty: '',
    Nul: null,
  };
  const read = (shape: z.ZodRawShape) => readV3(z.object(shape), given);
  assert.deepEqual(read({ Limit: v3.int(), Offset: v3.int(), Empty: v3.int(), Nul: v3.str() }), {
    Limit: 5,
    Offset: 3,
    Empty: undefined,
    Nul: undefined,
  });
  assert.equal(
    code(() => read({ Bad: v3.int() })),
    'InvalidParameterValue.Bad',
  );
  assert.equal(
    code(() => read({ Offset: v3.int({ max: 2 }) })),
    'InvalidParameterValue.Offset',
  );
  assert.equal(
    code(() => read({ Filter: v3.object({ RetCode: v3.oneOf(['is0', 'not0']) }) })),
    'InvalidParameterValue.RetCode',
  );
  assert.equal(
    code(() => read({ FunctionName: v3.required() })),
    'MissingParameter',
  );
  assert.equal(
    code(() => read({ Filter: v3.str() })),
    'InvalidParameterValue.Filter',
  );
  assert.deepEqual(
    readV3(z.object({ O: v3.oneOf(['desc', 'asc'] as const, { caseInsensitive: true }) }), { O: 'DESC' }),
    { O: 'desc' },
  );
  assert.throws(
    () => read({ Limit: v3.int({ min: 6 }) }),
    (err: unknown) => err instanceof ScfError && err.message === 'Limit must be at least 6, got 5',
  );
});
