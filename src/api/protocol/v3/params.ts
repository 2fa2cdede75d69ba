/**
 * API 3.0 action parameters: one JSON-shaped object whatever the transport. TC3 POST bodies are JSON
 * already; GET queries and v1 forms arrive flattened with dots (`Filter.RetCode`,
 * `Environment.Variables.0.Key`) and every value a string, so they are unflattened here and the readers
 * accept numeric strings where numbers are expected. Every bad value is an
 * `InvalidParameterValue.<Field>` naming the last segment of the parameter's path, as SCF does
 * (`Filter.RetCode` -> `InvalidParameterValue.RetCode`).
 */
import { ScfError } from '../../../errors/index.js';

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

interface IntOptions {
  min?: number;
  max?: number;
}

/**
 * Typed reads from one parameter object. Paths are dotted from the action's root (`Filter.RetCode`).
 * `null` and `''` read as absent: SDKs send both for "not set" (the Node SDK drops nulls, forms send '').
 */
export class Params {
  readonly #root: Json;

  constructor(root: Json) {
    this.#root = root;
  }

  /** The raw value at a dotted path, or undefined. */
  raw(path: string): unknown {
    let node: unknown = this.#root;
    for (const seg of path.split('.')) {
      if (!isPlainObject(node) || !Object.hasOwn(node, seg)) return undefined;
      node = node[seg];
    }
    return node === null ? undefined : node;
  }

  has(path: string): boolean {
    const v = this.raw(path);
    return v !== undefined && v !== '';
  }

  /** A string; numbers and booleans are accepted as their text (forms carry only text anyway). */
  str(path: string): string | undefined {
    const v = this.raw(path);
    if (v === undefined || v === '') return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
    throw badValue(path, `${path} must be a string`);
  }

  requiredStr(path: string): string {
    const v = this.str(path);
    if (v === undefined) throw missing(path);
    return v;
  }

  /** An integer, from a JSON number or a decimal string. */
  int(path: string, options: IntOptions = {}): number | undefined {
    const v = this.raw(path);
    if (v === undefined || v === '') return undefined;
    let n: number;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'bigint') n = Number(v);
    else if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) n = Number(v);
    else throw badValue(path, `${path} must be an integer`);
    if (!Number.isSafeInteger(n)) throw badValue(path, `${path} must be an integer`);
    if (options.min !== undefined && n < options.min) {
      throw badValue(path, `${path} must be at least ${options.min}, got ${n}`);
    }
    if (options.max !== undefined && n > options.max) {
      throw badValue(path, `${path} must be at most ${options.max}, got ${n}`);
    }
    return n;
  }

  /** One of `values`; `caseInsensitive` maps any casing onto the listed spelling. */
  oneOf<T extends string>(
    path: string,
    values: readonly T[],
    options: { caseInsensitive?: boolean } = {},
  ): T | undefined {
    const v = this.str(path);
    if (v === undefined) return undefined;
    const hit = options.caseInsensitive
      ? values.find((x) => x.toLowerCase() === v.toLowerCase())
      : values.find((x) => x === v);
    if (hit === undefined)
      throw badValue(path, `${path} must be one of ${values.join(', ')}; got ${JSON.stringify(v)}`);
    return hit;
  }

  /** An object (absent -> undefined). */
  obj(path: string): Json | undefined {
    const v = this.raw(path);
    if (v === undefined || v === '') return undefined;
    if (!isPlainObject(v)) throw badValue(path, `${path} must be an object`);
    return v;
  }

  /** An array (absent -> undefined). */
  list(path: string): unknown[] | undefined {
    const v = this.raw(path);
    if (v === undefined || v === '') return undefined;
    if (!Array.isArray(v)) throw badValue(path, `${path} must be an array`);
    return v;
  }
}
