/**
 * The shape of a v2 action and the small helpers every v2 action file uses (`actions.ts` for the records
 * and invocations, `manage.ts` for function management).
 */
import type { z } from 'zod';
import type { ActionContext } from '../../operations/types.js';

/** An action's result: fields placed in the envelope after code/message/codeDesc. */
export type V2Body = Record<string, unknown>;

/**
 * One v2 action: its parameters as a schema (names under `prefixes` are read by `run` itself) and what it
 * does with them. The same shape as API 3.0's table (`../v3/actions.ts`).
 */
export interface V2Action<S extends z.ZodObject = z.ZodObject> {
  params: S;
  prefixes?: readonly string[];
  run(p: z.output<S>, call: V2Call): Promise<V2Body>;
}

/** What a v2 action runs with: the operations' context, and every parameter (for prefixed ones). */
export interface V2Call {
  ctx: ActionContext;
  params: ReadonlyMap<string, string>;
}

export const action = <S extends z.ZodObject>(a: V2Action<S>): V2Action => a as unknown as V2Action;

/** Drops undefined properties, so operations see absent fields as absent. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

export const lower = (v: string): string => v.toLowerCase();
export const lowerNoUnderscore = (v: string): string => v.toLowerCase().replaceAll('_', '');
