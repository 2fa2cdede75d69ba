/**
 * The live tail behind `scf-local logs --follow`: shows every invocation once as running (when its start
 * arrives before its end) and once as final, across reconnects, server restarts and slow terminals.
 *
 * - It follows `GET /stream/logs` and remembers the cursor of the last event it handled. On a dropped
 *   connection or an `overflow` it reconnects with that cursor and the server replays what it missed from
 *   its ring: no gap, no duplicate.
 * - When the server cannot honour the cursor (`gap`: restarted, or the cursor fell out of its ring) it
 *   keeps streaming live and fills the hole through the query API (GetFunctionLogs over the time since the
 *   last record it saw, minus a margin for the API's one-second resolution). Live events that arrive while
 *   a fill runs are held and handled after it, so output stays in a sensible order.
 * - Every record passes one state machine per requestId (unseen -> running -> final, never backwards), so
 *   the overlap between a fill and the stream, or between `--since` history and the stream, is shown once.
 * - `log` chunks of running invocations are passed on as they arrive; cursors make them exactly-once across
 *   ring resumes. A chunk of an invocation already final is dropped (its record carried the whole log). A
 *   gap loses the chunks in it: they are not read back, the final record's log supplies them (the printer
 *   shows the lines of it no chunk showed, see `live-log.ts`).
 * - A followed function that no longer exists (deleted before or during the tail) still has records, but
 *   GetFunctionLogs refuses its name: fills then read its namespace and keep that function's records.
 * - Following some versions (`versions`: an alias is resolved to its versions before, once), the stream
 *   selects their events itself and fills read each version through GetFunctionLogs' Qualifier, merged
 *   into time order; the cursor is the stream's as ever, so resuming stays gap-free.
 */
import type { IncomingMessage } from 'node:http';
import { MAX_OFFSET_PLUS_LIMIT } from '../api/operations/limits.js';
import type { GapFrame, LogFrame, ReadyFrame, RecordFrame } from '../api/stream/protocol.js';
import { formatApiTime } from '../api/time.js';
import { ScfError } from '../errors/index.js';
import { type ApiClient, RemoteError } from './client.js';
import {
  byRequestId,
  type CliRecord,
  fromFunctionLog,
  fromStreamRecord,
  SCF_API_OFFSET_MINUTES,
} from './format.js';
import { readSse } from './sse.js';

export type TailEvent =
  | { kind: 'start' | 'end'; record: CliRecord; cursor: string | undefined; source: 'stream' | 'query' }
  | { kind: 'log'; chunk: LiveChunk; cursor: string }
  | { kind: 'ready'; cursor: string; epoch: string }
  | { kind: 'gap'; reason: string; requested: string; cursor: string };

/** A chunk of a running invocation's log (whole formatted lines), from a `log` frame. */
export interface LiveChunk {
  requestId: string;
  functionName: string;
  namespace: string;
  /** The version that runs, when the server says it. */
  version?: string;
  text: string;
}

export interface TailOptions {
  functionName?: string;
  namespace?: string;
  /**
   * Only invocations of these versions (`1`, `$LATEST`; an alias resolved beforehand): the stream selects
   * them, and fills read each through GetFunctionLogs' Qualifier.
   */
  versions?: readonly string[];
  /**
   * The function no longer exists (its records do): fills read its namespace and keep its records. Found
   * out by the tail itself when the function is deleted while followed.
   */
  functionDeleted?: boolean;
  /** Resume after this cursor (e.g. the last one a previous `--follow` printed). */
  cursor?: string;
  /** Also show invocations that started since this time (epoch ms), from the query API. */
  since?: number;
  /** Each event to show, in order. */
  onEvent: (e: TailEvent) => void;
  /** Human notices (reconnecting, gap filled, ...). */
  onNotice: (message: string) => void;
  /** Longest wait between reconnection attempts. Default 5 s. */
  maxBackoffMs?: number;
  /** Idle time after which a silent stream counts as dead (the server sends keep-alives). Default 45 s. */
  idleTimeoutMs?: number;
}

/** Requests remembered for deduplication; the oldest are forgotten beyond this. */
const MAX_REMEMBERED = 200_000;
/** The query API's times have one-second resolution; fills reach back this much further. */
const FILL_MARGIN_MS = 2_000;
const DAY_MS = 86_400_000;
const PAGE = 500;

export class Tail {
  readonly #client: ApiClient;
  readonly #options: TailOptions;
  readonly #state = new Map<string, 'running' | 'final'>();
  /** Invocations shown running and not yet final, with their start times (a gap fill must reach them). */
  readonly #running = new Map<string, number>();
  /** Fills in progress; live frames are held while there is one. */
  #filling = 0;
  #cursor: string | undefined;
  /** Newest startTime handled: where a gap fill starts. */
  #lastStart: number | undefined;
  #apiOffset = SCF_API_OFFSET_MINUTES;
  #held: Array<RecordFrame | LogFrame> | undefined;
  /** Fills read the namespace and keep the followed function's records (it was deleted). */
  #narrow: boolean;
  #response: IncomingMessage | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;
  readonly #startedAt = Date.now();

  constructor(client: ApiClient, options: TailOptions) {
    this.#client = client;
    this.#options = options;
    this.#cursor = options.cursor;
    this.#narrow = options.functionDeleted === true;
  }

  /** The cursor of the last event handled (resume point). */
  get cursor(): string | undefined {
    return this.#cursor;
  }

  /** Stops following; `run()` then resolves. Idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#response?.destroy();
    this.#wake?.();
  }

  /** Follows until `stop()`; rejects only on errors a retry cannot fix (credentials, bad parameters). */
  async run(): Promise<void> {
    let backoff = 100;
    let pendingSince = this.#options.since;
    let unreachableSaid = false;
    while (!this.#stopped) {
      let res: IncomingMessage;
      try {
        const params: Parameters<ApiClient['openStream']>[0] = {};
        if (this.#options.functionName) params.functionName = this.#options.functionName;
        if (this.#options.namespace) params.namespace = this.#options.namespace;
        if (this.#options.versions) params.versions = this.#options.versions;
        if (this.#cursor) params.cursor = this.#cursor;
        res = await this.#client.openStream(params);
      } catch (err) {
        if (err instanceof ScfError && err.code === 'ServerUnreachable') {
          if (!unreachableSaid) this.#options.onNotice(`${err.message}; retrying`);
          unreachableSaid = true;
          await this.#sleep(backoff);
          backoff = Math.min(backoff * 2, this.#options.maxBackoffMs ?? 5_000);
          continue;
        }
        throw err;
      }
      if (unreachableSaid) this.#options.onNotice('connected');
      unreachableSaid = false;
      backoff = 100;
      this.#response = res;
      if (this.#stopped) {
        res.destroy();
        break;
      }
      const idle = this.#options.idleTimeoutMs ?? 45_000;
      res.socket.setTimeout(idle, () => res.destroy());
      let reconnectAt = 0;
      try {
        for await (const msg of readSse(res)) {
          if (msg.event === 'ready') {
            const ready = JSON.parse(msg.data) as ReadyFrame;
            this.#apiOffset = ready.apiTimeZoneOffsetMinutes;
            this.#cursor ??= ready.cursor;
            this.#options.onEvent({ kind: 'ready', cursor: this.#cursor, epoch: ready.epoch });
            if (pendingSince !== undefined) {
              this.#fill(pendingSince, 'history');
              pendingSince = undefined;
            }
          } else if (msg.event === 'gap') {
            const gap = JSON.parse(msg.data) as GapFrame;
            this.#options.onEvent({ kind: 'gap', ...gap });
            this.#options.onNotice(
              `the server cannot replay from cursor ${gap.requested} (${gap.reason}); catching up through GetFunctionLogs`,
            );
            this.#cursor = gap.cursor;
            const from = Math.min(this.#lastStart ?? this.#startedAt, ...this.#running.values());
            this.#fill(from - FILL_MARGIN_MS, 'gap');
          } else if (msg.event === 'start' || msg.event === 'end' || msg.event === 'log') {
            const frame = JSON.parse(msg.data) as RecordFrame | LogFrame;
            if (this.#held) this.#held.push(frame);
            else this.#handleFrame(frame);
          } else if (msg.event === 'overflow') {
            this.#options.onNotice(
              'the server cut this tail off for falling behind; resuming from its cursor',
            );
            break;
          } else if (msg.event === 'close') {
            this.#options.onNotice('the server is stopping; reconnecting when it is back');
            reconnectAt = 500;
            break;
          }
        }
      } catch (err) {
        if (err instanceof SyntaxError) {
          throw new ScfError('InternalError', 'the stream sent a malformed frame', { cause: err });
        }
        // A dropped connection ends the body with an error; reconnecting from the cursor is the remedy.
        reconnectAt = 100;
      } finally {
        res.destroy();
        this.#response = undefined;
      }
      if (!this.#stopped && reconnectAt > 0) await this.#sleep(reconnectAt);
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  #handleFrame(frame: RecordFrame | LogFrame): void {
    if (frame.type === 'log') {
      // A chunk for an invocation already shown final is a duplicate of part of that record's log (a gap
      // fill read the record while this chunk was held). Otherwise pass it on, whatever the state.
      if (this.#state.get(frame.requestId) !== 'final') {
        const { requestId, functionName, namespace, qualifier, text } = frame;
        const chunk: LiveChunk = {
          requestId,
          functionName,
          namespace,
          ...(qualifier === undefined ? {} : { version: qualifier }),
          text,
        };
        this.#options.onEvent({ kind: 'log', chunk, cursor: frame.cursor });
      }
    } else {
      this.#show(frame.type, fromStreamRecord(frame.record), frame.cursor, 'stream');
    }
    this.#cursor = frame.cursor;
  }

  /** The one state machine: unseen -> running -> final; anything else is a duplicate and not shown. */
  #show(
    kind: 'start' | 'end',
    record: CliRecord,
    cursor: string | undefined,
    source: 'stream' | 'query',
  ): void {
    const prev = this.#state.get(record.requestId);
    if (prev === 'final' || (prev === 'running' && kind === 'start')) {
      return;
    }
    this.#state.set(record.requestId, kind === 'end' ? 'final' : 'running');
    if (kind === 'start') this.#running.set(record.requestId, record.startTime);
    else this.#running.delete(record.requestId);
    if (this.#state.size > MAX_REMEMBERED) {
      const oldest = this.#state.keys().next();
      if (!oldest.done) this.#state.delete(oldest.value);
    }
    if (this.#lastStart === undefined || record.startTime > this.#lastStart)
      this.#lastStart = record.startTime;
    this.#options.onEvent({ kind, record, cursor, source });
  }

  /**
   * Pages through GetFunctionLogs over one window (whole seconds, at most a day) in time order, passing
   * each record of the followed function (of `version`, when given) to `each`.
   */
  async #readWindow(
    window: [number, number],
    version: string | undefined,
    each: (r: CliRecord) => void,
  ): Promise<void> {
    const [windowStart, windowEnd] = window;
    let startSec = windowStart;
    let offset = 0;
    for (;;) {
      const params: Record<string, unknown> = {
        StartTime: formatApiTime(startSec, this.#apiOffset),
        EndTime: formatApiTime(windowEnd, this.#apiOffset),
        OrderBy: 'start_time',
        Order: 'asc',
        Offset: offset,
        Limit: PAGE,
      };
      const name = this.#options.functionName;
      if (name && !this.#narrow) params['FunctionName'] = name;
      const namespace = this.#options.namespace ?? 'default';
      if (this.#options.namespace || this.#narrow) params['Namespace'] = namespace;
      if (version !== undefined) params['Qualifier'] = version;
      let page: { Data?: Array<Record<string, unknown>> };
      try {
        page = await this.#client.call<{ Data?: Array<Record<string, unknown>> }>('GetFunctionLogs', params);
      } catch (err) {
        if (
          !name ||
          this.#narrow ||
          !(err instanceof RemoteError) ||
          err.remoteCode !== 'ResourceNotFound.Function'
        )
          throw err;
        // Deleted while followed: its records outlive it; read them from its namespace from now on.
        this.#narrow = true;
        this.#options.onNotice(
          `function ${name} no longer exists in namespace ${namespace}; reading its records from the namespace`,
        );
        continue;
      }
      const items = (page.Data ?? []).map((f) => {
        const r = fromFunctionLog(f, this.#apiOffset, namespace);
        // Read for one version: that is the version that ran, whether or not the server says it.
        if (version !== undefined) r.version ??= version;
        return r;
      });
      for (const r of items) {
        if (this.#narrow && r.functionName !== name) continue;
        each(r);
      }
      if (items.length < PAGE) return;
      offset += PAGE;
      if (offset + PAGE > MAX_OFFSET_PLUS_LIMIT) {
        // Offset + Limit is capped (10000): move the window's start to the last second seen instead.
        const lastSec = Math.floor(items[items.length - 1]!.startTime / 1000) * 1000;
        if (lastSec <= startSec)
          throw new ScfError('InternalError', `more than ${MAX_OFFSET_PLUS_LIMIT} invocations in one second`);
        startSec = lastSec;
        offset = 0;
      }
    }
  }

  /**
   * Reads every invocation that started in [from, now] through GetFunctionLogs (one-day windows, as the
   * API requires; pages of 500 in time order) while live frames are held; then releases them.
   */
  #fill(from: number, why: 'history' | 'gap'): void {
    this.#held ??= [];
    this.#filling++;
    const to = Date.now() + FILL_MARGIN_MS;
    const run = async (): Promise<void> => {
      let count = 0;
      // One read per followed version (the stream's selection, whatever the alias routes to by now). With
      // several, a window's records are merged into time order before they are shown.
      const versions: ReadonlyArray<string | undefined> = this.#options.versions ?? [undefined];
      const show = (r: CliRecord): void => {
        this.#show(r.retCode === 2 ? 'start' : 'end', r, undefined, 'query');
        count++;
      };
      for (let windowStart = Math.floor(from / 1000) * 1000; windowStart <= to; ) {
        const windowEnd = Math.min(to, windowStart + DAY_MS - 1000);
        const merged: CliRecord[] = [];
        for (const version of versions) {
          await this.#readWindow([windowStart, windowEnd], version, (r) => {
            if (r.startTime < from) return;
            if (versions.length > 1) merged.push(r);
            else show(r);
          });
        }
        merged.sort((a, b) => a.startTime - b.startTime || byRequestId(a, b));
        for (const r of merged) show(r);
        windowStart = windowEnd + 1000;
      }
      if (why === 'gap') this.#options.onNotice(`caught up: ${count} record(s) read through GetFunctionLogs`);
    };
    run()
      .catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        this.#options.onNotice(
          `could not read ${why === 'gap' ? 'the missed invocations' : 'history'}: ${message}`,
        );
      })
      .finally(() => {
        if (--this.#filling > 0) return;
        const held = this.#held ?? [];
        this.#held = undefined;
        for (const frame of held) this.#handleFrame(frame);
      });
  }
}
