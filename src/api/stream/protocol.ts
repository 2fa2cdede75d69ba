/**
 * The live-tail wire protocol (`GET /stream/logs`, Server-Sent Events), shared by the server and the CLI.
 * This is scf-local's own endpoint, not an SCF API, so its records use scf-local's canonical shape
 * (camelCase, epoch-millisecond times) rather than GetFunctionLogs' second-resolution UTC+8 strings.
 *
 * Request: `GET /stream/logs?FunctionName=&Namespace=&Qualifier=&Cursor=&Nonce=` signed like an API 3.0
 * GET (TC3-HMAC-SHA256 over the path and raw query, `X-TC-Action: TailFunctionLogs`, `X-TC-Version`,
 * `X-TC-Timestamp`); `Nonce` makes every connection's signature single-use. `Last-Event-ID` may carry the
 * cursor instead of `Cursor` (browsers' EventSource sends it on reconnect). `Qualifier` selects versions
 * (`1`, `$LATEST`, or several separated by commas: `1,2`), never an alias: the stream selects by what ran,
 * and a client resolves an alias to its versions (GetAlias) before it connects.
 *
 * Frames, in order: `ready` (where live delivery starts), then `gap` if the resume cursor could not be
 * honoured, then `start`/`log`/`end` events each with `id: <cursor>`. For one invocation: `start`, then its
 * `log` chunks as the function prints them, then `end` (whose record carries the whole, authoritative log,
 * platform lines included). Events of concurrent invocations interleave. The stream ends with `overflow`
 * (the client fell behind; resume from `cursor`) or `close` (the server is stopping), or just drops.
 */
import type { InvocationRecord } from '../../store/types.js';

export const STREAM_PATH = '/stream/logs';
export const STREAM_ACTION = 'TailFunctionLogs';

/**
 * `ready`: the stream is live. `cursor`: events after it follow (the resume cursor when it was honoured,
 * otherwise the newest event at connect time). `epoch` names the server start.
 */
export interface ReadyFrame {
  cursor: string;
  epoch: string;
  /** The offset (minutes) of the zone the server's API times are written in (SCF: UTC+8 = 480). */
  apiTimeZoneOffsetMinutes: number;
}

/**
 * `gap`: the requested cursor is not in the ring. `reason`: `unknown-epoch` (the server restarted, or the
 * cursor is not this server's), `too-far-behind` (older than the ring), `invalid-cursor`. Live events
 * follow from `cursor`; what happened in between must be read through GetFunctionLogs.
 */
export interface GapFrame {
  reason: 'unknown-epoch' | 'too-far-behind' | 'invalid-cursor';
  requested: string;
  cursor: string;
}

/** `start` (running record, retCode 2, empty log) and `end` (final record with its log). */
export interface RecordFrame {
  type: 'start' | 'end';
  cursor: string;
  record: InvocationRecord;
}

/**
 * `log`: a chunk of a running invocation's log, whole formatted lines (`<ISO time>\t<requestId>\t<text>`
 * in SCF format), in the order printed. Concatenated, an invocation's chunks are its user log; the `end`
 * record's log is that text framed by the platform lines (START, END, Report; ERROR and a truncation
 * marker when they apply).
 */
export interface LogFrame {
  type: 'log';
  cursor: string;
  requestId: string;
  functionName: string;
  namespace: string;
  /** The version that runs, when the server knows it. */
  qualifier?: string;
  text: string;
}

/** `overflow` and `close`: the last cursor this connection delivered; resume from it. */
export interface EndFrame {
  cursor: string;
  reason: string;
}

export type StreamFrame =
  | { event: 'ready'; data: ReadyFrame }
  | { event: 'gap'; data: GapFrame }
  | { event: 'start' | 'end'; id: string; data: RecordFrame }
  | { event: 'log'; id: string; data: LogFrame }
  | { event: 'overflow' | 'close'; data: EndFrame };

/** One SSE frame. JSON.stringify never emits a raw newline, so `data` is always a single line. */
export function formatFrame(frame: StreamFrame): string {
  const id = 'id' in frame ? `id: ${frame.id}\n` : '';
  return `${id}event: ${frame.event}\ndata: ${JSON.stringify(frame.data)}\n\n`;
}
