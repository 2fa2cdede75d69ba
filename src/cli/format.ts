/**
 * Output of the CLI: records in one shape whatever their source (GetFunctionLogs or the live stream),
 * times in the user's zone with the offset written out (SCF's API speaks UTC+8 without saying so), the
 * table with each invocation's log beneath, and colour only when asked for (a TTY, no NO_COLOR).
 */
import { parseApiTime } from '../api/time.js';
import type { InvocationRecord } from '../store/types.js';

/**
 * SCF's API zone (UTC+8): assumed only when a server does not say its own (`api-zone.ts`; the stream's
 * `ready` frame says it for `--follow`).
 */
export const SCF_API_OFFSET_MINUTES = 480;

/**
 * An invocation as the CLI shows it: the record's own fields but retries. Times are epoch ms. `version` is
 * the version that ran (the record's `qualifier`: `1`, `$LATEST`), when the source says it: the stream
 * always does; GetFunctionLogs' FunctionLog has no field for it (SCF's model), so a record read through it
 * has a version only when it was read for one version (`Qualifier`).
 */
export type CliRecord = Omit<InvocationRecord, 'qualifier' | 'retryNum'> & { version?: string };

/** One GetFunctionLogs `FunctionLog` -> CliRecord (its StartTime is in the API zone). */
export function fromFunctionLog(
  f: Record<string, unknown>,
  apiOffsetMinutes: number,
  namespace: string,
): CliRecord {
  const num = (k: string): number => (typeof f[k] === 'number' ? (f[k] as number) : Number(f[k] ?? 0));
  const text = (k: string): string => (typeof f[k] === 'string' ? (f[k] as string) : '');
  return {
    requestId: text('RequestId'),
    functionName: text('FunctionName'),
    namespace: text('Namespace') || namespace,
    startTime: parseApiTime(text('StartTime'), apiOffsetMinutes) ?? 0,
    duration: num('Duration'),
    billDuration: num('BillDuration'),
    memUsage: num('MemUsage'),
    retCode: num('RetCode'),
    retMsg: text('RetMsg'),
    invokeFinished: num('InvokeFinished'),
    log: text('Log'),
  };
}

export function fromStreamRecord(r: InvocationRecord): CliRecord {
  return {
    version: r.qualifier,
    requestId: r.requestId,
    functionName: r.functionName,
    namespace: r.namespace,
    startTime: r.startTime,
    duration: r.duration,
    billDuration: r.billDuration,
    memUsage: r.memUsage,
    retCode: r.retCode,
    retMsg: r.retMsg,
    invokeFinished: r.invokeFinished,
    log: r.log,
  };
}

/**
 * Orders two records that started in the same second of the API's times (which have no milliseconds) as
 * they started: scf-local's request ids are UUIDv7, whose first digits are the start time to the
 * millisecond (another server's ids just make the order deterministic). Ascending, as `a - b` is.
 */
export const byRequestId = (a: CliRecord, b: CliRecord): number =>
  a.requestId < b.requestId ? -1 : a.requestId > b.requestId ? 1 : 0;

/** CLI status names; `--status` takes the first five. */
const STATUS: Record<number, string> = {
  0: 'ok',
  2: 'running',
  3: 'interrupted',
  430: 'exception',
  433: 'timeout',
  434: 'oom',
  437: 'no-handler',
  439: 'exited',
};

export function statusName(retCode: number): string {
  return STATUS[retCode] ?? `error ${retCode}`;
}

/** `--status` value -> GetFunctionLogs Filter.RetCode. */
export const STATUS_FILTER = {
  ok: 'is0',
  error: 'not0',
  timeout: 'TimeLimitExceeded',
  oom: 'ResourceLimitExceeded',
  exception: 'UserCodeException',
} as const;
export type StatusOption = keyof typeof STATUS_FILTER;

/** Does a record fall in a `--status` class (the same classes the store filters on)? */
export function matchesStatus(retCode: number, status: StatusOption): boolean {
  switch (status) {
    case 'ok':
      return retCode === 0;
    case 'error':
      return retCode !== 0;
    case 'timeout':
      return retCode === 433;
    case 'oom':
      return retCode === 434;
    case 'exception':
      return retCode === 430;
  }
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `2024-05-01 14:03:07 +02:00` in the local zone (or `+00:00` with utc). */
export function formatTime(ms: number, options: { utc: boolean }): string {
  const d = new Date(ms);
  const offset = options.utc ? 0 : -d.getTimezoneOffset();
  const shifted = new Date(ms + offset * 60_000);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return (
    `${pad(shifted.getUTCFullYear(), 4)}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())} ` +
    `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())} ` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** ISO 8601 with the offset of the zone shown (`2024-05-01T14:03:07.123+02:00`), for JSON output. */
export function isoTime(ms: number, options: { utc: boolean }): string {
  if (options.utc) return new Date(ms).toISOString();
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const shifted = new Date(ms + offset * 60_000).toISOString().slice(0, -1);
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  return `${shifted}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

export const formatMs = (ms: number): string => (ms < 10 ? `${ms.toFixed(2)} ms` : `${Math.round(ms)} ms`);
export const formatMb = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/** The record as JSON for scripts: canonical fields plus the status name and an ISO time with offset. */
export function recordJson(r: CliRecord, options: { utc: boolean }): Record<string, unknown> {
  return {
    requestId: r.requestId,
    functionName: r.functionName,
    namespace: r.namespace,
    version: r.version ?? null,
    startTime: isoTime(r.startTime, options),
    startTimeMs: r.startTime,
    status: statusName(r.retCode),
    retCode: r.retCode,
    duration: r.duration,
    billDuration: r.billDuration,
    memUsage: r.memUsage,
    retMsg: r.retMsg,
    invokeFinished: r.invokeFinished,
    log: r.log,
  };
}

export interface Style {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
  blue(s: string): string;
}

const sgr = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const plain = (s: string): string => s;

/** Colour only when writing to a terminal and NO_COLOR is not set (and --no-color was not given). */
export function createStyle(enabled: boolean): Style {
  return enabled
    ? {
        enabled,
        bold: sgr(1, 22),
        dim: sgr(2, 22),
        red: sgr(31, 39),
        green: sgr(32, 39),
        yellow: sgr(33, 39),
        cyan: sgr(36, 39),
        magenta: sgr(35, 39),
        blue: sgr(34, 39),
      }
    : {
        enabled,
        bold: plain,
        dim: plain,
        red: plain,
        green: plain,
        yellow: plain,
        cyan: plain,
        magenta: plain,
        blue: plain,
      };
}

export function styleStatus(retCode: number, style: Style): string {
  const name = statusName(retCode);
  if (retCode === 0) return style.green(name);
  if (retCode === 2) return style.yellow(name);
  return style.red(name);
}

/** Pads plain text; `shown` is the (possibly coloured) text that takes the plain text's width. */
function cell(plainText: string, shown: string, width: number, right = false): string {
  const fill = ' '.repeat(Math.max(0, width - plainText.length));
  return right ? fill + shown : shown + fill;
}

export const TABLE_COLUMNS = ['TIME', 'REQUEST ID', 'STATUS', 'DURATION', 'BILLED', 'MEMORY'] as const;
const WIDTHS = [26, 36, 11, 10, 8, 9];

/**
 * How the log table is laid out. `functionWidth`: when the output covers several functions (no name
 * given), a FUNCTION column after TIME, this wide (a longer name pushes the rest of its row right).
 * `versionWidth`: when the invocations shown may have run different versions, a VERSION column before
 * REQUEST ID, this wide (`-` where the version is not known). Without either, the table is as it always was.
 */
export interface TableOptions {
  functionWidth?: number;
  versionWidth?: number;
}

/** The FUNCTION column's width for these names (at least the heading's). */
export const functionColumnWidth = (names: Iterable<string>): number =>
  Math.max('FUNCTION'.length, ...Array.from(names, (n) => n.length));

/** The VERSION column's width for these versions (at least the heading's, which `$LATEST` fits). */
export const versionColumnWidth = (versions: Iterable<string>): number =>
  Math.max('VERSION'.length, ...Array.from(versions, (v) => v.length));

/**
 * The versions of these records, when they show more than one: the VERSION column is worth its room
 * only then (a table of one version, `$LATEST` above all, reads as it always did).
 */
export function versionsShown(records: Iterable<CliRecord>): string[] | undefined {
  const versions = new Set<string>();
  for (const r of records) if (r.version !== undefined) versions.add(r.version);
  return versions.size > 1 ? [...versions] : undefined;
}

/**
 * Cells (plain text, shown text) in column order, with the FUNCTION and VERSION ones when the options
 * ask for them.
 */
function layout(
  cells: Array<[string, string]>,
  extra: { function: [string, string]; version: [string, string] },
  options: TableOptions,
): string {
  const all = cells.map(([p, shown], i) => ({ p, shown, width: WIDTHS[i]!, right: i >= 3 }));
  if (options.versionWidth !== undefined) {
    const [p, shown] = extra.version;
    all.splice(1, 0, { p, shown, width: options.versionWidth, right: false });
  }
  if (options.functionWidth !== undefined) {
    const [p, shown] = extra.function;
    all.splice(1, 0, { p, shown, width: options.functionWidth, right: false });
  }
  return all
    .map((c) => cell(c.p, c.shown, c.width, c.right))
    .join('  ')
    .trimEnd();
}

/** The header line of the log table. */
export function tableHeader(style: Style, options: TableOptions = {}): string {
  return style.bold(
    layout(
      TABLE_COLUMNS.map((c) => [c, c]),
      { function: ['FUNCTION', 'FUNCTION'], version: ['VERSION', 'VERSION'] },
      options,
    ),
  );
}

/** One invocation's row; running ones show no figures yet. */
export function tableRow(r: CliRecord, style: Style, options: { utc: boolean } & TableOptions): string {
  const running = r.retCode === 2;
  const values = [
    formatTime(r.startTime, options),
    r.requestId,
    statusName(r.retCode),
    running ? '-' : formatMs(r.duration),
    running ? '-' : `${r.billDuration} ms`,
    running ? '-' : formatMb(r.memUsage),
  ];
  const shown = [...values];
  shown[2] = styleStatus(r.retCode, style);
  return layout(
    values.map((v, i) => [v, shown[i]!]),
    {
      function: [r.functionName, r.functionName],
      version: [r.version ?? '-', r.version === undefined ? style.dim('-') : r.version],
    },
    options,
  );
}

/** The log beneath a row, each line behind a gutter so it cannot be mistaken for a row. */
export function logBlock(r: CliRecord, style: Style): string {
  if (r.log === '') return '';
  const lines = r.log.replace(/\n$/, '').split('\n');
  return `${lines.map((l) => style.dim('  │ ') + l).join('\n')}\n`;
}

/**
 * A short name for an invocation in interleaved live output: the request id's last 8 hex digits. Its
 * first ones are the UUIDv7 timestamp, the same for every invocation started within a minute; its last
 * ones are random.
 */
export const shortId = (requestId: string): string => requestId.replace(/-/g, '').slice(-8);

/** One colour per invocation (from its id), so concurrent invocations' lines are told apart on a terminal. */
function tint(requestId: string, style: Style): (s: string) => string {
  const palette = [style.cyan, style.magenta, style.blue, style.green, style.yellow];
  let h = 0;
  for (let i = 0; i < requestId.length; i++) h = (h * 31 + requestId.charCodeAt(i)) >>> 0;
  return palette[h % palette.length]!;
}

/**
 * Log lines of a followed invocation (live chunks, or what its final record adds), each behind a gutter
 * naming the invocation (`  1a2b3c4d │ line`), as `stern` and `kubectl logs --prefix` do: lines of
 * concurrent invocations interleave. With `functionName` (output covering several functions) the gutter
 * names the function too (`  hello 1a2b3c4d │ line`).
 */
export function liveLogLines(
  requestId: string,
  text: string,
  style: Style,
  options: { functionName?: string } = {},
): string {
  if (text === '') return '';
  const fn = options.functionName === undefined ? '' : `${options.functionName} `;
  const gutter = `  ${tint(requestId, style)(`${fn}${shortId(requestId)}`)} ${style.dim('│')} `;
  const lines = text.replace(/\n$/, '').split('\n');
  return `${lines.map((l) => gutter + l).join('\n')}\n`;
}

/** A plain table (a bold header, columns padded to their widest cell), for lists such as `functions`. */
export function simpleTable(head: readonly string[], rows: readonly string[][], style: Style): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${style.bold(line(head))}\n${rows.map((r) => `${line(r)}\n`).join('')}`;
}
