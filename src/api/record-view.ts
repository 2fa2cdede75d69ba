/**
 * The invocation record as both protocols show it: the seed document's fields, in its order, with its JSON
 * types and the API zone's `YYYY-MM-DD HH:mm:ss` time. v2 writes this view as it is; API 3.0 writes the
 * same view with its names cased by `pascalKeys` (plus the fields only 3.0 has). One view, so the same
 * record reads the same through either protocol.
 */
import type { StoredRecord } from '../store/types.js';
import { formatApiTime } from './time.js';

/** Durations to the µs, as SCF's examples (2.735, 0.532) show them; rounding is monotonic, so sorts hold. */
export const ms3 = (d: number): number => Math.round(d * 1000) / 1000;

export function recordView(r: StoredRecord, tzOffsetMinutes: number) {
  return {
    functionName: r.functionName,
    retMsg: r.retMsg,
    requestId: r.requestId,
    startTime: formatApiTime(r.startTime, tzOffsetMinutes),
    retCode: Math.trunc(r.retCode),
    invokeFinished: Math.trunc(r.invokeFinished),
    duration: ms3(r.duration),
    billDuration: Math.round(r.billDuration),
    memUsage: Math.round(r.memUsage),
    log: r.log,
  };
}

type Pascal<T> = { [K in keyof T as K extends string ? Capitalize<K> : K]: T[K] };

/** `{functionName: x}` -> `{FunctionName: x}`, keeping the order of the keys. */
export function pascalKeys<T extends Record<string, unknown>>(view: T): Pascal<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(view)) out[k.charAt(0).toUpperCase() + k.slice(1)] = v;
  return out as Pascal<T>;
}
