/**
 * The server log's line per invocation: at `info`, once its final record is durable (the Invoker's `end`
 * record event), for every invocation however it was started (Invoke over either API, async or not) and
 * however it ended (success, the function's failure, interrupted by a stop: retCode 3). The line carries
 * the record's own figures and request id, so it reads beside the record (`GetFunctionLogs`) and beside the
 * request line of the Invoke that started it (its `functionRequestId`).
 */
import type { Logger } from '../logger/index.js';
import type { RecordEvent } from './invoker.js';

/** An `onRecord` listener that logs each invocation's end on `logger`. Never throws. */
export function logInvocationEnds(logger: Logger): (event: RecordEvent) => void {
  return (event) => {
    if (event.type !== 'end' || !logger.isLevelEnabled('info')) return;
    const r = event.record;
    const durationMs = Math.round(r.duration * 10) / 10;
    const mb = (r.memUsage / (1024 * 1024)).toFixed(1);
    const fn = r.namespace === 'default' ? r.functionName : `${r.namespace}/${r.functionName}`;
    try {
      logger.info(
        {
          functionName: r.functionName,
          namespace: r.namespace,
          requestId: r.requestId,
          retCode: r.retCode,
          durationMs,
          memUsage: r.memUsage,
        },
        `invocation ${fn} ended: retCode ${r.retCode} in ${durationMs} ms, ${mb} MB`,
      );
    } catch {
      // A log line that cannot be written (stderr gone) must not fail the invocation: this runs in the
      // Invoker's record chain, whose listeners must not throw. The record itself is already durable.
    }
  };
}
