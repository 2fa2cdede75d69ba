/**
 * API 3.0 action parameters: one JSON-shaped object whatever the transport. TC3 POST bodies are JSON
 * already; GET queries and v1 forms arrive flattened with dots (`Filter.RetCode`,
 * `Environment.Variables.0.Key`) and every value a string, so they are unflattened here, and 3.0's field
 * types for the shared reader (`../reader.ts`) accept numeric strings where numbers are expected. Every bad
 * value is an `InvalidParameterValue.<Field>` naming the last segment of the parameter's path, as SCF does
 * (`Filter.RetCode` -> `InvalidParameterValue.RetCode`).
 */
import type { z } from 'zod';
import { ScfError } from '../../../errors/index.js';
import { type Check, field, type IssueFormatter, object, readParams, required } from '../reader.js';

export type Json = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// Parameter names that would reach Object.prototype; never a real SCF field.
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

/**
 * `[['Filter.RetCode','not0'], ['Environment.Variables.0.Key','k']]` ->
 * `{Filter:{RetCode:'not0'}, Environment:{Variables:[{Key:'k'}]}}`. An object whose keys are all array
 * indices becomes an array (SDKs flatten arrays as `.0`, `.1`, ...). A name used both as a value and as a
 * prefix (`A=1&A.B=2`) is ambiguous and rejected.
 */
export function unflatten(pairs: Iterable<readonly [string, string]>): Json {
  const root: Json = Object.create(null) as Json;
  for (const [name, value] of pairs) {
    const path = name.split('.');
    if (path.some((s) => s === '' || FORBIDDEN_SEGMENTS.has(s))) {
      throw new ScfError('InvalidParameter', `parameter name ${JSON.stringify(name)} is not valid`);
    }
    let node = root;
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i]!;
      const next = node[seg];
      if (next === undefined) {
        const child = Object.create(null) as Json;
        node[seg] = child;
        node = child;
      } else if (isPlainObject(next)) {
        node = next;
      } else {
        throw new ScfError('InvalidParameter', `parameter ${path.slice(0, i + 1).join('.')} is given twice`);
      }
    }
    const leaf = path[path.length - 1]!;
    if (node[leaf] !== undefined) throw new ScfError('InvalidParameter', `parameter ${name} is given twice`);
    node[leaf] = value;
  }
  return arraysFromIndices(root) as Json;
}

function arraysFromIndices(v: unknown): unknown {
  if (!isPlainObject(v)) return v;
  const keys = Object.keys(v);
  for (const k of keys) v[k] = arraysFromIndices(v[k]);
  if (keys.length > 0 && keys.every((k) => /^(0|[1-9]\d*)$/.test(k))) {
    const arr: unknown[] = [];
    for (const k of keys.sort((a, b) => Number(a) - Number(b))) arr.push(v[k]);
    return arr;
  }
  return { ...v };
}

/** `InvalidParameterValue.<last segment>` for a bad value at `path`. */
export function badValue(path: string, message: string): ScfError {
  const field = path.slice(path.lastIndexOf('.') + 1);
  return new ScfError('InvalidParameterValue', message, { field });
}

/**
 * SCF's common 3.0 message for a missing parameter. The code stays plain `MissingParameter`, as the
 * 3.0 gateway answers it for every action.
 */
export function missing(path: string): ScfError {
  return new ScfError('MissingParameter', `The request is missing a required parameter \`${path}\`.`);
}

/** A string; numbers and booleans are accepted as their text (forms carry only text anyway). */
const text: Check<string> = (v) => {
  if (typeof v === 'string') return { value: v };
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return { value: String(v) };
  return { issue: { kind: 'string' } };
};

/** An integer, from a JSON number or a decimal string, within the bounds given. */
const integer =
  (bounds: { min?: number; max?: number }): Check<number> =>
  (v) => {
    let n: number;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'bigint') n = Number(v);
    else if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) n = Number(v);
    else return { issue: { kind: 'integer' } };
    if (!Number.isSafeInteger(n)) return { issue: { kind: 'integer' } };
    if (bounds.min !== undefined && n < bounds.min)
      return { issue: { kind: 'range', min: bounds.min, value: n } };
    if (bounds.max !== undefined && n > bounds.max)
      return { issue: { kind: 'range', max: bounds.max, value: n } };
    return { value: n };
  };

/** API 3.0's field types. */
export const v3 = {
  str: () => field(text),
  required: () => required(text),
  int: (bounds: { min?: number; max?: number } = {}) => field(integer(bounds)),
  /** One of `values`; `caseInsensitive` maps any casing onto the listed spelling. */
  oneOf: <T extends string>(values: readonly T[], options: { caseInsensitive?: boolean } = {}) =>
    field<T>((v) => {
      const t = text(v);
      if ('issue' in t) return t;
      const hit = options.caseInsensitive
        ? values.find((x) => x.toLowerCase() === t.value.toLowerCase())
        : values.find((x) => x === t.value);
      return hit === undefined ? { issue: { kind: 'oneOf', shown: values, got: t.value } } : { value: hit };
    }),
  list: () => field<unknown[]>((v) => (Array.isArray(v) ? { value: v } : { issue: { kind: 'array' } })),
  object,
};

export const formatV3Issue: IssueFormatter = (issue, path) => {
  switch (issue.kind) {
    case 'missing':
      return missing(path);
    case 'string':
      return badValue(path, `${path} must be a string`);
    case 'integer':
      return badValue(path, `${path} must be an integer`);
    case 'range':
      return issue.min !== undefined && issue.value < issue.min
        ? badValue(path, `${path} must be at least ${issue.min}, got ${issue.value}`)
        : badValue(path, `${path} must be at most ${issue.max}, got ${issue.value}`);
    case 'oneOf':
      return badValue(
        path,
        `${path} must be one of ${issue.shown.join(', ')}; got ${JSON.stringify(issue.got)}`,
      );
    case 'object':
      return badValue(path, `${path} must be an object`);
    case 'array':
      return badValue(path, `${path} must be an array`);
  }
};

/** Reads one action's 3.0 parameters with its schema. */
export function readV3<S extends z.ZodType>(schema: S, params: Json): z.output<S> {
  return readParams(schema, params, formatV3Issue);
}

/** A string inside a list item (`Environment.Variables.N.Key`), read like a parameter. */
export function itemText(item: unknown, key: string, path: string): string | undefined {
  if (!isPlainObject(item) || !Object.hasOwn(item, key)) return undefined;
  const v = item[key];
  if (v === undefined || v === null || v === '') return undefined;
  const t = text(v);
  if ('issue' in t) throw badValue(path, `${path} must be a string`);
  return t.value;
}

export { isPlainObject };

/** `Filters: [{Name, Values: [...]}]`, as ListFunctions and ListTriggers take them. */
export function filtersInput(list: unknown[]): { name: string; values: string[] }[] {
  return list.map((f, i) => {
    const name = itemText(f, 'Name', `Filters.${i}.Name`);
    if (name === undefined) throw badValue('Filters', `Filters.${i}.Name is missing`);
    const values = isPlainObject(f) ? f['Values'] : undefined;
    if (!Array.isArray(values)) throw badValue('Filters', `Filters.${i}.Values must be a list of strings`);
    return { name, values: values.map((v, j) => itemText({ v }, 'v', `Filters.${i}.Values.${j}`) ?? '') };
  });
}
