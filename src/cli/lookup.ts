/**
 * Finding what a user named on the command line: a function that may exist, may have been deleted (its
 * records outlive it) or may be misspelled ("did you mean"), and an invocation named by part of its
 * request id (the short id `logs --follow` prints, or the start of the id).
 *
 * The API is not changed for any of this: GetFunctionLogs with an unknown FunctionName stays
 * ResourceNotFound.Function, as in SCF. The CLI reads a deleted function's records from its namespace
 * (`scanRecords`) and keeps that function's.
 */
import { MAX_OFFSET_PLUS_LIMIT } from '../api/operations/limits.js';
import { ScfError } from '../errors/index.js';
import { type ApiClient, RemoteError } from './client.js';
import { type CliRecord, fromFunctionLog } from './format.js';

// ------------------------------------------------------------------------------------------ request ids

/** Hex digits a partial request id needs: as many as `--follow` prints (`shortId` in format.ts). */
export const MIN_PARTIAL_ID_DIGITS = 8;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `--request-id` as given: a whole id (sent to the API as FunctionRequestId), or part of one (hex digits,
 * dashes ignored, at least 8): the start of the id, or its end as `--follow` prints it.
 */
export type RequestIdArg = { kind: 'exact'; id: string } | { kind: 'partial'; hex: string; text: string };

export function parseRequestIdArg(text: string): RequestIdArg {
  const t = text.trim();
  if (UUID_RE.test(t)) return { kind: 'exact', id: t.toLowerCase() };
  const hex = t.replace(/-/g, '').toLowerCase();
  // Anything that is not hex is not part of an scf-local id: passed on whole (another server's ids).
  if (!/^[0-9a-f]+$/.test(hex) || hex.length > 32) return { kind: 'exact', id: t };
  if (hex.length < MIN_PARTIAL_ID_DIGITS) {
    throw new ScfError(
      'InvalidParameter',
      `--request-id ${JSON.stringify(text)}: give the whole id, or at least ${MIN_PARTIAL_ID_DIGITS} of its hex digits (its start, or the short id --follow prints)`,
    );
  }
  return { kind: 'partial', hex, text: t };
}

/** Does `requestId` match the argument: equal, or (partial) starting or ending with its digits? */
export function matchesRequestId(requestId: string, arg: RequestIdArg): boolean {
  if (arg.kind === 'exact') return requestId.toLowerCase() === arg.id.toLowerCase();
  const hex = requestId.replace(/-/g, '').toLowerCase();
  return hex.startsWith(arg.hex) || hex.endsWith(arg.hex);
}

/** The error for a partial id shared by several invocations: they are named so one can be picked. */
export function ambiguousRequestId(
  arg: RequestIdArg & { kind: 'partial' },
  ids: readonly string[],
): ScfError {
  return new ScfError(
    'InvalidParameter',
    `--request-id ${arg.text} is ambiguous: it matches ${ids.join(' and ')} (at least); give more of the id`,
  );
}

// ------------------------------------------------------------------------------------------ names

/** Edit distance with transpositions (optimal string alignment), so `alpah` is one step from `alpha`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The names close to `name` (case ignored), closest first, at most three: within one edit per three
 * characters (at least one), as git's and npm's "did you mean" do.
 */
export function suggestNames(name: string, candidates: Iterable<string>): string[] {
  const want = name.toLowerCase();
  const max = Math.max(1, Math.floor(name.length / 3));
  const scored: Array<[string, number]> = [];
  for (const c of new Set(candidates)) {
    if (c === name) continue;
    const d = editDistance(want, c.toLowerCase());
    if (d <= max) scored.push([c, d]);
  }
  scored.sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1));
  return scored.slice(0, 3).map(([c]) => c);
}

/** `; did you mean a?` / `; did you mean a or b?`, or nothing. */
export function didYouMean(suggestions: readonly string[]): string {
  return suggestions.length === 0 ? '' : `; did you mean ${suggestions.join(' or ')}?`;
}

/** The function names of a namespace (ListFunctions, all pages). */
export async function listFunctionNames(client: ApiClient, namespace: string): Promise<string[]> {
  const names: string[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await client.call<{ Functions?: Array<{ FunctionName?: unknown }>; TotalCount?: number }>(
      'ListFunctions',
      { Namespace: namespace, Offset: offset, Limit: 100, Orderby: 'FunctionName', Order: 'ASC' },
    );
    const items = page.Functions ?? [];
    for (const f of items) if (typeof f.FunctionName === 'string') names.push(f.FunctionName);
    if (items.length < 100 || names.length >= (page.TotalCount ?? 0)) return names;
  }
}

/**
 * FunctionNotFound for a name the namespace does not have, with "did you mean" among its functions and
 * `alsoKnown` (e.g. deleted functions seen in records); `detail` adds what else was looked at.
 */
export async function functionNotFound(
  client: ApiClient,
  name: string,
  namespace: string,
  options: { detail?: string; alsoKnown?: Iterable<string> } = {},
): Promise<ScfError> {
  const names = [...(await listFunctionNames(client, namespace)), ...(options.alsoKnown ?? [])];
  const detail = options.detail === undefined ? '' : `, and ${options.detail}`;
  return new ScfError(
    'FunctionNotFound',
    `no function ${name} in namespace ${namespace}${detail}${didYouMean(suggestNames(name, names))}`,
  );
}

/**
 * Runs `body`, an action on one function; if the server says the function does not exist, that is said
 * with "did you mean" (`functionNotFound`).
 */
export async function onFunction<T>(
  client: ApiClient,
  ref: { name: string; namespace: string },
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (isRemote(err, 'ResourceNotFound.Function'))
      throw await functionNotFound(client, ref.name, ref.namespace);
    throw err;
  }
}

export const isRemote = (err: unknown, code: string): err is RemoteError =>
  err instanceof RemoteError && err.remoteCode === code;

// ------------------------------------------------------------------------------------------ scanning

export interface ScanOptions {
  /** Client-side filter applied to each record the API returns. */
  keep: (r: CliRecord) => boolean;
  /** Stop once this many records were kept. */
  stopAfter: number;
  /** The server's API zone (minutes east of UTC). */
  zone: number;
  /** The namespace records are labelled with (FunctionLog does not carry it). */
  namespace: string;
}

export interface ScanResult {
  records: CliRecord[];
  /** Every record the query selects was read (neither `stopAfter` nor the API's offset cap ended it). */
  complete: boolean;
  /** The API's Offset + Limit cap ended the scan before the records ran out. */
  capped: boolean;
  /** The function names of every record looked at (kept or not). */
  functionNames: Set<string>;
}

/** Records read per GetFunctionLogs call while scanning. */
const SCAN_PAGE = 500;

/**
 * Pages through GetFunctionLogs with `params` (in their order), keeping the records `keep` accepts, until
 * `stopAfter` are kept, the records run out, or Offset + Limit reaches the API's cap (10,000). Pages are
 * advanced by the records actually returned: an answer cut by the server's response budget holds fewer.
 */
export async function scanRecords(
  client: ApiClient,
  params: Record<string, unknown>,
  options: ScanOptions,
): Promise<ScanResult> {
  const records: CliRecord[] = [];
  const functionNames = new Set<string>();
  let offset = 0;
  for (;;) {
    const limit = Math.min(SCAN_PAGE, MAX_OFFSET_PLUS_LIMIT - offset);
    const page = await client.call<{ TotalCount?: number; Data?: Array<Record<string, unknown>> }>(
      'GetFunctionLogs',
      { ...params, Offset: offset, Limit: limit },
    );
    const items = page.Data ?? [];
    for (const f of items) {
      const r = fromFunctionLog(f, options.zone, options.namespace);
      functionNames.add(r.functionName);
      if (!options.keep(r)) continue;
      records.push(r);
      if (records.length >= options.stopAfter) {
        const more = offset + items.indexOf(f) + 1 < (page.TotalCount ?? 0);
        return { records, complete: !more, capped: false, functionNames };
      }
    }
    offset += items.length;
    if (items.length === 0 || offset >= (page.TotalCount ?? 0))
      return { records, complete: true, capped: false, functionNames };
    if (offset >= MAX_OFFSET_PLUS_LIMIT) return { records, complete: false, capped: true, functionNames };
  }
}
