/** Invoke: runs a function synchronously (RequestResponse) or asynchronously (Event). */
import { invalidValue, RULE, ScfError } from '../../errors/index.js';
import { DEFAULT_NAMESPACE } from '../../functions/types.js';
import { requireQualifier } from '../../functions/versions.js';
import { LATEST, MAX_ASYNC_EVENT_BYTES, MAX_SYNC_EVENT_BYTES, TAIL_BYTES } from './limits.js';
import type { ActionContext, InvokeInput, InvokeOutput } from './types.js';

/** The last `maxBytes` bytes of a log, cut at a line start where possible, never inside a character. */
export function tailLog(log: string, maxBytes = TAIL_BYTES): string {
  const buf = Buffer.from(log, 'utf8');
  if (buf.byteLength <= maxBytes) return log;
  let start = buf.byteLength - maxBytes;
  while (start < buf.byteLength && (buf[start]! & 0xc0) === 0x80) start++;
  const tail = buf.subarray(start).toString('utf8');
  const nl = tail.indexOf('\n');
  return nl >= 0 && nl < tail.length - 1 ? tail.slice(nl + 1) : tail;
}

export async function invoke(ctx: ActionContext, input: InvokeInput): Promise<InvokeOutput> {
  const type = input.invocationType ?? 'RequestResponse';
  if (type !== 'RequestResponse' && type !== 'Event') {
    throw invalidValue(
      'invocationType',
      `InvocationType must be RequestResponse or Event, got ${String(type)}`,
    );
  }
  const logType = input.logType ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') {
    throw invalidValue('logType', `LogType must be None or Tail, got ${String(logType)}`);
  }
  const event = input.event === undefined || input.event === '' ? '{}' : input.event;
  const async = type === 'Event';
  const limit = async ? MAX_ASYNC_EVENT_BYTES : MAX_SYNC_EVENT_BYTES;
  const size = Buffer.byteLength(event, 'utf8');
  if (size > limit) {
    throw new ScfError(
      'RequestTooLarge',
      `the event is ${size} bytes, more than the ${limit} bytes allowed for ${async ? 'asynchronous' : 'synchronous'} invocations`,
      { field: 'event', rule: RULE.eventSize, detail: { size, limit, async } },
    );
  }
  try {
    JSON.parse(event);
  } catch (err) {
    throw new ScfError('InvalidParameterValue', 'the event is not valid JSON', {
      field: 'event',
      rule: RULE.eventJson,
      cause: err,
    });
  }
  // `$LATEST`, a published version or an alias; an alias picks its version when the invocation runs.
  // Checked before anything runs or is accepted: an event for a Qualifier that names nothing would only
  // fail later.
  const qualifier = input.qualifier ?? LATEST;
  await ctx.functions.sync();
  requireQualifier(ctx.functions.get(input.functionName, input.namespace), qualifier);
  if (async) {
    // Stored durably before the answer; run (and retried) by the dispatcher.
    const { requestId } = await ctx.async.enqueue({
      functionName: input.functionName,
      namespace: input.namespace ?? DEFAULT_NAMESPACE,
      qualifier,
      event,
      invokeType: 'Invoke',
    });
    return { requestId };
  }
  const req = { functionName: input.functionName, event, qualifier };
  const outcome = await ctx.invoker.invoke(
    input.namespace === undefined ? req : { ...req, namespace: input.namespace },
  );
  const r = outcome.record;
  if (!r) return { requestId: outcome.requestId };
  return {
    requestId: outcome.requestId,
    result: {
      log: logType === 'Tail' ? tailLog(r.log) : '',
      retMsg: r.retMsg,
      errMsg: outcome.errMsg ?? '',
      memUsage: r.memUsage,
      duration: r.duration,
      billDuration: r.billDuration,
      invokeResult: r.retCode,
      retCode: r.retCode,
    },
  };
}
