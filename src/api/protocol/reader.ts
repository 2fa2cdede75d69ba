/**
 * The one parameter reader of both protocols. Each protocol declares an action's parameters as a zod schema
 * built from the field types below; `readParams` runs it and turns the first problem into a coded
 * ScfError through the protocol's own `IssueFormatter` (each protocol words its errors its own way and
 * names the parameter as its callers spell it). Absent means missing, `null` or `''`: SDKs send all three
 * for "not set".
 */
import { z } from 'zod';
import type { ScfError } from '../../errors/index.js';

/** What went wrong with one parameter; `kind` says which check, the rest its figures. */
export type Issue =
  | { kind: 'missing' }
  | { kind: 'string' }
  | { kind: 'integer' }
  | { kind: 'range'; min?: number; max?: number; value: number; got?: string }
  | { kind: 'oneOf'; shown: readonly string[]; got?: string }
  | { kind: 'object' }
  | { kind: 'array' };

/** A protocol's wording of the issue at `path` (dotted from the action's root); `got` is the text received. */
export type IssueFormatter = (issue: Issue, path: string) => ScfError;

export const isAbsent = (v: unknown): boolean => v === undefined || v === null || v === '';

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A check of a present value: its typed value, or the issue. */
export type Check<T> = (value: unknown) => { value: T } | { issue: Issue };

/** An optional parameter read by `check` when present. */
export function field<T>(check: Check<T>) {
  return z.optional(
    z.unknown().transform((v, ctx): T | undefined => {
      if (isAbsent(v)) return undefined;
      const r = check(v);
      if ('issue' in r) {
        ctx.issues.push({ code: 'custom', message: r.issue.kind, input: v, params: r.issue });
        return z.NEVER;
      }
      return r.value;
    }),
  );
}

/** A required parameter read by `check`. */
export function required<T>(check: Check<T>) {
  return z.unknown().transform((v, ctx): T => {
    const r: ReturnType<Check<T>> = isAbsent(v) ? { issue: { kind: 'missing' } } : check(v);
    if ('issue' in r) {
      ctx.issues.push({ code: 'custom', message: r.issue.kind, input: v, params: r.issue });
      return z.NEVER;
    }
    return r.value;
  });
}

/** A parameter holding an object of parameters (API 3.0's `Filter`, `Code`, ...), optional or required. */
export function object<S extends z.ZodRawShape>(shape: S, options: { required?: boolean } = {}) {
  const inner = z.object(shape);
  const schema = z
    .unknown()
    .transform((v, ctx): Record<string, unknown> | undefined => {
      if (isAbsent(v)) {
        if (!options.required) return undefined;
        ctx.issues.push({ code: 'custom', message: 'missing', input: v, params: { kind: 'missing' } });
        return z.NEVER;
      }
      if (!isPlainObject(v)) {
        ctx.issues.push({ code: 'custom', message: 'object', input: v, params: { kind: 'object' } });
        return z.NEVER;
      }
      return v;
    })
    .pipe(z.optional(inner));
  // A missing key never reaches the transform unless the key is optional in its parent.
  return options.required ? schema : z.optional(schema);
}

/** The value exactly as received, the empty string included (for fields where empty means "clear"). */
export const raw = () => z.optional(z.string());

/** Reads `params` with `schema`; the first problem, in the schema's order, is thrown as the protocol words it. */
export function readParams<S extends z.ZodType>(
  schema: S,
  params: unknown,
  format: IssueFormatter,
): z.output<S> {
  const r = schema.safeParse(params);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const path = (first?.path ?? []).map(String).join('.');
  const params_ = (first as { params?: Issue } | undefined)?.params;
  // zod's own issue for a required key that is missing altogether.
  const issue: Issue = params_?.kind ? params_ : { kind: 'missing' };
  throw format(issue, path);
}
