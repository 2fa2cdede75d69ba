/**
 * v2's parameter types and wording for the shared reader (`../reader.ts`). Every failure is a coded 4000
 * error whose message names the parameter as the v2 caller spelled it and the values it accepts. Values
 * are text; an empty value counts as absent (qcloudapi-sdk sends `undefined`/`null` as `name=`).
 */
import type { z } from 'zod';
import { ScfError } from '../../../errors/index.js';
import { field, type IssueFormatter, readParams, required } from '../reader.js';

export const v2 = {
  str: () => field<string>((v) => ({ value: String(v) })),
  required: () => required<string>((v) => ({ value: String(v) })),
  /** A decimal integer in [min, max]. */
  int: (min: number, max: number) =>
    field<number>((v) => {
      const text = String(v).trim();
      const n = /^[0-9]{1,10}$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isInteger(n) || n < min || n > max) {
        return { issue: { kind: 'range', min, max, value: n, got: String(v) } };
      }
      return { value: n };
    }),
  /**
   * One of a fixed set of values. `values` maps each accepted spelling, in the form `normalize` gives it,
   * to the canonical value; `shown` is the list the error message offers.
   */
  oneOf: <T>(values: ReadonlyMap<string, T>, shown: readonly string[], normalize?: (v: string) => string) =>
    field<T>((v) => {
      const found = values.get(normalize ? normalize(String(v)) : String(v));
      return found === undefined ? { issue: { kind: 'oneOf', shown, got: String(v) } } : { value: found };
    }),
};

export const formatV2Issue: IssueFormatter = (issue, name) => {
  const got = 'got' in issue ? JSON.stringify(issue.got) : 'an invalid value';
  switch (issue.kind) {
    case 'missing':
      return new ScfError('MissingParameter', `parameter ${name} is required`, { field: name });
    case 'range':
      return new ScfError(
        'InvalidParameterValue',
        `parameter ${name} must be an integer from ${issue.min} to ${issue.max}, got ${got}`,
        { field: name },
      );
    case 'oneOf':
      return new ScfError(
        'InvalidParameterValue',
        `parameter ${name} must be one of ${issue.shown.join(', ')}, got ${got}`,
        { field: name },
      );
    default:
      return new ScfError('InvalidParameterValue', `parameter ${name} is invalid, got ${got}`, {
        field: name,
      });
  }
};

/** Parameters every v2 request may carry; names starting with an upper-case letter are common ones. */
const isCommonName = (name: string): boolean => /^[A-Z]/.test(name);

/**
 * Reads one action's parameters (by lookup name). Action parameters the schema does not declare are
 * refused first (common, upper-case parameters pass; so do names under `prefixes`, read by the action):
 * a misspelt name would otherwise be silently ignored and the caller would get an unfiltered answer.
 */
export function readV2<S extends z.ZodObject>(
  schema: S,
  params: ReadonlyMap<string, string>,
  options: { action?: string; prefixes?: readonly string[] } = {},
): z.output<S> {
  if (options.action !== undefined) {
    const known = Object.keys(schema.shape);
    const prefixes = options.prefixes ?? [];
    for (const name of params.keys()) {
      if (name === '' || isCommonName(name) || known.includes(name)) continue;
      if (prefixes.some((p) => name.startsWith(`${p}.`))) continue;
      const accepted = [...known, ...prefixes.map((p) => `${p}.*`)].join(', ');
      throw new ScfError(
        'UnknownParameter',
        `${options.action} does not take parameter ${name}; it accepts ${accepted} and the common parameters`,
        { field: name },
      );
    }
  }
  return readParams(schema, Object.fromEntries(params), formatV2Issue);
}

/** Names (lookup form) that start with `prefix.`, with their values. */
export function withPrefix(params: ReadonlyMap<string, string>, prefix: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [name, value] of params) if (name.startsWith(`${prefix}.`)) out.push([name, value]);
  return out;
}
