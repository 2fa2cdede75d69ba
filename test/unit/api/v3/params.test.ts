/** Unflattening dotted parameters and the typed readers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Params, unflatten } from '../../../../src/api/protocol/v3/params.js';
import { ScfError } from '../../../../src/errors/index.js';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ScfError, String(err));
    return err.v3Code;
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

test('readers coerce form strings and name the field at fault', () => {
  const p = new Params({
    Limit: '5',
    Offset: 3,
    Bad: 'x',
    Filter: { RetCode: 'nope' },
    Empty: '',
    Nul: null,
  });
  assert.equal(p.int('Limit'), 5);
  assert.equal(p.int('Offset'), 3);
  assert.equal(p.int('Empty'), undefined);
  assert.equal(p.str('Nul'), undefined);
  assert.equal(
    code(() => p.int('Bad')),
    'InvalidParameterValue.Bad',
  );
  assert.equal(
    code(() => p.int('Offset', { max: 2 })),
    'InvalidParameterValue.Offset',
  );
  assert.equal(
    code(() => p.oneOf('Filter.RetCode', ['is0', 'not0'])),
    'InvalidParameterValue.RetCode',
  );
  assert.equal(
    code(() => p.requiredStr('FunctionName')),
    'MissingParameter',
  );
  assert.equal(
    code(() => p.str('Filter')),
    'InvalidParameterValue.Filter',
  );
  assert.equal(
    new Params({ O: 'DESC' }).oneOf('O', ['desc', 'asc'] as const, { caseInsensitive: true }),
    'desc',
  );
});
