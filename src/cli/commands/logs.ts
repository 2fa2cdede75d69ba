/**
 * `scf-local logs <name>`: invocation records as a table (time in the user's zone with its offset, request
 * id, status, duration, billed, memory; the function too when no name narrows the output to one) with each
 * log beneath, or as JSON / NDJSON; filters map onto GetFunctionLogs. `--follow` tails live (see
 * `../tail.ts`): rows as invocations start and end, and their log lines as they are printed.
 *
 * What the API cannot answer directly is read from the namespace and narrowed here (`../lookup.ts`): the
 * records of a deleted function (GetFunctionLogs refuses its name, as SCF's does) and an invocation named
 * by part of its request id.
 *
 * Why one file of ~660 lines: one command whose two modes (a query, and `--follow`) take the same flags and
 * must agree on what each means (status, keyword, request id, time window, function, namespace, qualifier); kept
 * together, every flag's reading in both modes is in one place. The shared pieces that are not the
 * command's own already live apart (`../lookup.ts`, `../tail.ts`, `../format.ts`, `../live-log.ts`).
 */
import type { Command } from 'commander';
import { DEFAULT_LOG_LIMIT, MAX_OFFSET_PLUS_LIMIT } from '../../api/operations/limits.js';
import { formatApiTime } from '../../api/time.js';
import { ScfError } from '../../errors/index.js';
import { matchKeyword, parseKeyword } from '../../store/keyword.js';
import { searchText } from '../../store/search-text.js';
import { readApiZone } from '../api-zone.js';
import { type ApiClient, RemoteError } from '../client.js';
import { type CliContext, type GlobalFlags, styleFor, withClient } from '../context.js';
import {
  byRequestId,
  type CliRecord,
  fromFunctionLog,
  functionColumnWidth,
  liveLogLines,
  logBlock,
  matchesStatus,
  recordJson,
  STATUS_FILTER,
  type StatusOption,
  type Style,
  type TableOptions,
  tableHeader,
  tableRow,
  versionColumnWidth,
  versionsShown,
} from '../format.js';
import { ShownLines } from '../live-log.js';
import {
  ambiguousRequestId,
  functionNotFound,
  isRemote,
  listFunctionNames,
  matchesRequestId,
  onFunction,
  parseRequestIdArg,
  type RequestIdArg,
  scanRecords,
} from '../lookup.js';
import { Tail, type TailEvent } from '../tail.js';
import { parseTimeArg } from '../time.js';
import { isVersion, LATEST, resolveQualifier } from '../versions.js';

interface LogsFlags extends GlobalFlags {
  namespace?: string;
  status?: string;
  since?: string;
  until?: string;
  requestId?: string;
  grep?: string;
  sort: string;
  limit: string;
  json?: boolean;
  ndjson?: boolean;
  follow?: boolean;
  cursor?: string;
  utc?: boolean;
  qualifier?: string;
}

const SORTS = { time: 'start_time', duration: 'duration', memory: 'mem_usage' } as const;
type SortOption = keyof typeof SORTS;
const DAY_MS = 86_400_000;
const DEFAULT_NAMESPACE = 'default';

function usage(message: string): ScfError {
  return new ScfError('InvalidParameter', message);
}

function parseStatus(v: string | undefined): StatusOption | undefined {
  if (v === undefined) return undefined;
  if (!Object.hasOwn(STATUS_FILTER, v)) {
    throw usage(`--status must be one of ${Object.keys(STATUS_FILTER).join(', ')}; got ${JSON.stringify(v)}`);
  }
  return v as StatusOption;
}

/**
 * One-day windows (the API's limit for StartTime..EndTime), newest first, covering [from, to] in whole
 * seconds; EndTime includes its whole second.
 */
export function dayWindows(from: number, to: number): Array<[number, number]> {
  const first = Math.floor(from / 1000) * 1000;
  const out: Array<[number, number]> = [];
  for (let end = Math.floor(to / 1000) * 1000; end >= first; end -= DAY_MS) {
    out.push([Math.max(first, end - DAY_MS + 1000), end]);
  }
  return out;
}

/**
 * `--grep`: the server's keyword rule (`SearchContext.Keyword`, `store/keyword.ts`), applied by the CLI
 * itself where the API does not search (`--follow`): every term a whole word of the function's own lines
 * (platform lines and line prefixes are not searched), `word*` a prefix, `"..."` a phrase, case ignored.
 * One rule, one implementation, so `logs` and `logs --follow` select the same invocations.
 */
export function keywordMatcher(keyword: string): ((log: string) => boolean) | undefined {
  const terms = parseKeyword(keyword);
  if (terms.length === 0) return undefined;
  return (log) => matchKeyword(searchText(log), terms);
}

interface QueryPlan {
  /** GetFunctionLogs parameters but FunctionName, the time window, Offset and Limit. */
  params: Record<string, unknown>;
  name: string | undefined;
  namespace: string;
  idArg: RequestIdArg | undefined;
  windows: Array<[number, number]> | undefined;
  limit: number;
  sort: SortOption;
  /** The server's API zone. */
  zone: number;
  /** Filters beyond the name (status, keyword, request id, a time range) are set. */
  filtered: boolean;
  /** Only this version's records (`Qualifier`), which are labelled with it (GetFunctionLogs does not say it). */
  version?: string;
}

interface QueryResult {
  records: CliRecord[];
  /** TotalCount, when the API could count the records (not when the CLI narrowed them itself). */
  total: number | undefined;
  /** More records than shown may match (a narrowed read stopped at --limit). */
  more: boolean;
  /** The API's offset cap ended a narrowed read: older records were not looked at. */
  capped: boolean;
  /** The named function no longer exists; its records were read from its namespace. */
  deleted: boolean;
  /** Function names seen in the records a narrowed read looked at (for "did you mean"). */
  seen?: Set<string>;
}

const sortKey =
  (sort: SortOption) =>
  (r: CliRecord): number =>
    sort === 'duration' ? r.duration : sort === 'memory' ? r.memUsage : r.startTime;

function windowParams(plan: QueryPlan, window: [number, number] | undefined, narrow: boolean) {
  const params = { ...plan.params };
  if (plan.name !== undefined && !narrow) params['FunctionName'] = plan.name;
  if (window) {
    params['StartTime'] = formatApiTime(window[0], plan.zone);
    params['EndTime'] = formatApiTime(window[1], plan.zone);
  }
  return params;
}

/** Reads records through GetFunctionLogs; over several windows it merges and keeps the best `limit`. */
async function queryRecords(client: ApiClient, plan: QueryPlan): Promise<QueryResult> {
  const key = sortKey(plan.sort);
  let total = 0;
  const records: CliRecord[] = [];
  for (const window of plan.windows ?? [undefined]) {
    const page = await client.call<{ TotalCount?: number; Data?: Array<Record<string, unknown>> }>(
      'GetFunctionLogs',
      { ...windowParams(plan, window, false), Limit: plan.limit },
    );
    total += page.TotalCount ?? 0;
    records.push(...(page.Data ?? []).map((f) => fromFunctionLog(f, plan.zone, plan.namespace)));
    // Windows come newest first: once a time-sorted query has its `limit`, older windows cannot displace any.
    if (plan.sort === 'time' && records.length >= plan.limit) break;
  }
  records.sort((a, b) => key(b) - key(a) || b.startTime - a.startTime);
  return { total, records: records.slice(0, plan.limit), more: false, capped: false, deleted: false };
}

/**
 * Reads records the API cannot select by itself, keeping them here: those of a deleted function (`narrow`:
 * its namespace's records, in the same order and with the same filters, kept by function name), and those
 * whose request id has the partial id given (stopping at two: then it is ambiguous).
 */
async function scanPlan(client: ApiClient, plan: QueryPlan, narrow: boolean): Promise<QueryResult> {
  const key = sortKey(plan.sort);
  const partial = plan.idArg?.kind === 'partial' ? plan.idArg : undefined;
  const keep = (r: CliRecord): boolean =>
    (!narrow || r.functionName === plan.name) &&
    (partial === undefined || matchesRequestId(r.requestId, partial));
  const wanted = partial ? 2 : plan.limit;
  const records: CliRecord[] = [];
  let more = false;
  let capped = false;
  const seen = new Set<string>();
  const windows = plan.windows ?? [undefined];
  for (const [i, window] of windows.entries()) {
    // Time order over windows newest first: the first `wanted` found are the newest. Other orders need
    // the best `wanted` of every window.
    const stopAfter = plan.sort === 'time' || partial ? wanted - records.length : wanted;
    const res = await scanRecords(client, windowParams(plan, window, narrow), {
      keep,
      stopAfter,
      zone: plan.zone,
      namespace: plan.namespace,
    });
    records.push(...res.records);
    for (const n of res.functionNames) seen.add(n);
    more ||= !res.complete && !res.capped;
    capped ||= res.capped;
    if ((plan.sort === 'time' || partial) && records.length >= wanted) {
      more ||= i < windows.length - 1;
      break;
    }
  }
  records.sort((a, b) => key(b) - key(a) || b.startTime - a.startTime);
  // A partial id keeps both of an ambiguous pair whatever --limit says, so that readLogs can tell.
  const shown = partial ? records : records.slice(0, plan.limit);
  return { records: shown, total: undefined, more, capped, deleted: narrow, seen };
}

/**
 * The records `logs` shows. A name GetFunctionLogs does not know is read as a deleted function's (see
 * scanPlan); if it has no records at all it is an unknown name, answered with "did you mean".
 */
async function readLogs(client: ApiClient, plan: QueryPlan): Promise<QueryResult> {
  const partial = plan.idArg?.kind === 'partial' ? plan.idArg : undefined;
  let result: QueryResult;
  try {
    result = partial ? await scanPlan(client, plan, false) : await queryRecords(client, plan);
  } catch (err) {
    if (plan.name === undefined || !isRemote(err, 'ResourceNotFound.Function')) throw err;
    // A deleted function's versions went with it: its records are not read by version.
    if (plan.version !== undefined) throw await functionNotFound(client, plan.name, plan.namespace);
    result = await scanPlan(client, plan, true);
    if (result.records.length === 0) {
      // Nothing matched: a deleted function whose records the filters excluded, or a name never used.
      const everything = !plan.filtered && !result.capped;
      const any = everything
        ? { records: result.records, capped: result.capped, functionNames: result.seen ?? new Set<string>() }
        : await scanRecords(
            client,
            { Namespace: plan.namespace, OrderBy: 'start_time', Order: 'desc' },
            {
              keep: (r) => r.functionName === plan.name,
              stopAfter: 1,
              zone: plan.zone,
              namespace: plan.namespace,
            },
          );
      if (any.records.length === 0) {
        throw await functionNotFound(client, plan.name, plan.namespace, {
          detail: any.capped
            ? `no records of it among the namespace's newest ${MAX_OFFSET_PLUS_LIMIT} invocations`
            : 'no invocation records of that name either',
          alsoKnown: any.functionNames,
        });
      }
    }
  }
  if (partial) {
    const ids = [...new Set(result.records.map((r) => r.requestId))];
    if (ids.length > 1) throw ambiguousRequestId(partial, ids);
  }
  if (plan.version !== undefined) for (const r of result.records) r.version ??= plan.version;
  return result;
}

/**
 * The records of some versions (`--qualifier`: a version, or the versions an alias routes to now), each
 * version read on its own: SCF's FunctionLog has no field for the version that ran, so a record's version
 * is known from the `Qualifier` it was read with. Merged as one read over several windows is: in `--sort`
 * order, the best `limit`.
 */
async function readVersions(client: ApiClient, plan: QueryPlan, versions: string[]): Promise<QueryResult> {
  const results: QueryResult[] = [];
  for (const version of versions) {
    const params = { ...plan.params, Qualifier: version };
    results.push(await readLogs(client, { ...plan, params, version }));
  }
  if (results.length === 1) return results[0]!;
  const key = sortKey(plan.sort);
  const records = results
    .flatMap((r) => r.records)
    .sort((a, b) => key(b) - key(a) || b.startTime - a.startTime || byRequestId(b, a));
  const partial = plan.idArg?.kind === 'partial' ? plan.idArg : undefined;
  if (partial) {
    const ids = [...new Set(records.map((r) => r.requestId))];
    if (ids.length > 1) throw ambiguousRequestId(partial, ids);
  }
  const totals = results.map((r) => r.total);
  const total = totals.every((t) => t !== undefined) ? totals.reduce((a, b) => a + b, 0) : undefined;
  return {
    records: records.slice(0, plan.limit),
    total,
    more: results.some((r) => r.more) || (total === undefined && records.length > plan.limit),
    capped: results.some((r) => r.capped),
    deleted: false,
  };
}

function printRecord(
  r: CliRecord,
  style: Style,
  options: { utc: boolean } & TableOptions,
  out: NodeJS.WriteStream,
): void {
  out.write(`${tableRow(r, style, options)}\n${logBlock(r, style)}`);
}

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs [name]')
    .description(
      'show invocation records with their logs (every function of the namespace when no name is given)',
    )
    .option('--namespace <ns>', 'namespace (default "default")')
    .option(
      '-q, --qualifier <version|alias>',
      'only invocations of this version (1, $LATEST), or of the versions this alias routes to',
    )
    .option('-s, --status <status>', `only ${Object.keys(STATUS_FILTER).join('|')} invocations`)
    .option(
      '--since <when>',
      'only invocations started since: 90s, 15m, 1h30m, 2d, or a time (2024-05-01 14:30)',
    )
    .option('--until <when>', 'only invocations started until (same forms; default now)')
    .option(
      '-r, --request-id <id>',
      'only this invocation: its id, or 8+ of its hex digits (its start, or the short id --follow prints)',
    )
    .option(
      '-g, --grep <words>',
      'only invocations whose own log lines have these words (whole words, case-insensitive; word* = prefix; \'"a phrase"\')',
    )
    .option('--sort <field>', 'time|duration|memory (time: oldest first; the others: largest first)', 'time')
    .option('-l, --limit <n>', `how many invocations (1-${MAX_OFFSET_PLUS_LIMIT})`, String(DEFAULT_LOG_LIMIT))
    .option('--json', 'print one JSON array')
    .option('--ndjson', 'print one JSON object per line')
    .option(
      '-f, --follow',
      'keep printing invocations live as they start and end, and their log lines as printed (Ctrl-C stops)',
    )
    .option('--cursor <cursor>', 'with --follow: resume after this cursor (as printed by --ndjson)')
    .option('--utc', 'show times in UTC instead of your time zone')
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<LogsFlags>();
      const status = parseStatus(flags.status);
      const utc = flags.utc === true;
      if (!Object.hasOwn(SORTS, flags.sort))
        throw usage(`--sort must be time, duration or memory; got ${JSON.stringify(flags.sort)}`);
      const sort = flags.sort as SortOption;
      if (
        !/^\d+$/.test(flags.limit) ||
        Number(flags.limit) < 1 ||
        Number(flags.limit) > MAX_OFFSET_PLUS_LIMIT
      ) {
        throw usage(
          `--limit must be a whole number from 1 to ${MAX_OFFSET_PLUS_LIMIT}; got ${JSON.stringify(flags.limit)}`,
        );
      }
      const limit = Number(flags.limit);
      if (flags.json && flags.ndjson) throw usage('--json and --ndjson: choose one');
      const idArg = flags.requestId === undefined ? undefined : parseRequestIdArg(flags.requestId);
      const now = Date.now();
      const since =
        flags.since === undefined ? undefined : parseTimeArg(flags.since, { now, utc, flag: '--since' });
      const until =
        flags.until === undefined ? undefined : parseTimeArg(flags.until, { now, utc, flag: '--until' });
      if (since !== undefined && until !== undefined && since > until)
        throw usage('--since is later than --until');
      // Without a name the output is one namespace's functions: GetFunctionLogs does not say a record's
      // namespace, so a read over every namespace could not label its records.
      const namespace = flags.namespace ?? DEFAULT_NAMESPACE;
      const qualifier = flags.qualifier;
      if (qualifier !== undefined && name === undefined)
        throw usage('--qualifier names a version or alias of one function: give its name');
      if (flags.follow) {
        if (flags.json) throw usage('--json prints one array at the end; with --follow use --ndjson');
        if (
          flags.until !== undefined ||
          cmd.getOptionValueSource('sort') === 'cli' ||
          cmd.getOptionValueSource('limit') === 'cli'
        ) {
          throw usage('--until, --sort and --limit do not apply to --follow');
        }
        await follow(ctx, flags, { name, namespace, status, since, utc, idArg, qualifier });
        return;
      }
      if (flags.cursor !== undefined) throw usage('--cursor applies only to --follow');

      const params: Record<string, unknown> = { OrderBy: SORTS[sort], Order: 'desc', Namespace: namespace };
      if (status) params['Filter'] = { RetCode: STATUS_FILTER[status] };
      if (idArg?.kind === 'exact') params['FunctionRequestId'] = idArg.id;
      if (flags.grep) params['SearchContext'] = { Keyword: flags.grep };
      let windows: Array<[number, number]> | undefined;
      if (since !== undefined || until !== undefined) {
        // The API wants both ends, at most a day apart: --until alone means the day before it.
        const to = until ?? now + 1000;
        windows = dayWindows(since ?? to - DAY_MS + 1000, to);
      }
      const filtered =
        status !== undefined || idArg !== undefined || flags.grep !== undefined || windows !== undefined;
      const { stdout, stderr } = ctx.io;
      const style = styleFor(stdout, flags, ctx.env);
      const result = await withClient(flags, ctx.env, async (client) => {
        const zone = await readApiZone(client);
        const plan: QueryPlan = { params, name, namespace, idArg, windows, limit, sort, zone, filtered };
        if (qualifier === undefined || name === undefined) return readLogs(client, plan);
        const ref = { functionName: name, namespace, qualifier };
        const { versions } = await onFunction(client, { name, namespace }, () =>
          resolveQualifier(client, ref),
        );
        return readVersions(client, plan, versions);
      });
      const { records } = result;
      if (result.deleted) {
        stderr.write(
          style.dim(
            `function ${name ?? ''} no longer exists in namespace ${namespace}; showing its records\n`,
          ),
        );
      }
      if (result.capped) {
        stderr.write(
          style.dim(
            `read only the namespace's newest ${MAX_OFFSET_PLUS_LIMIT} invocations (the API's cap); narrow with --since/--until to reach older ones\n`,
          ),
        );
      }
      // Time order reads like a log: oldest first, the newest at the bottom.
      if (sort === 'time') records.reverse();
      if (flags.json) {
        stdout.write(
          `${JSON.stringify(
            records.map((r) => recordJson(r, { utc })),
            null,
            2,
          )}\n`,
        );
        return;
      }
      if (flags.ndjson) {
        for (const r of records) stdout.write(`${JSON.stringify(recordJson(r, { utc }))}\n`);
        return;
      }
      if (records.length === 0) {
        stderr.write(`no invocations${name ? ` of ${name}` : ''} match\n`);
        return;
      }
      const table: TableOptions =
        name === undefined ? { functionWidth: functionColumnWidth(records.map((r) => r.functionName)) } : {};
      // A VERSION column only when the records show more than one version.
      const versions = versionsShown(records);
      if (versions) table.versionWidth = versionColumnWidth(versions);
      stdout.write(`${tableHeader(style, table)}\n`);
      for (const r of records) printRecord(r, style, { utc, ...table }, stdout);
      if (result.total !== undefined && result.total > records.length) {
        stderr.write(style.dim(`showing ${records.length} of ${result.total} (--limit to see more)\n`));
      } else if (result.more) {
        stderr.write(style.dim(`showing ${records.length}; there may be more (--limit to see more)\n`));
      }
    });
}

/**
 * Does the function have versions besides `$LATEST`? Then its invocations may have run different ones,
 * and `--follow` shows a VERSION column. A server without versions (it refuses ListVersionByFunction)
 * has none.
 */
async function hasPublishedVersions(
  client: ApiClient,
  ref: { functionName: string; namespace: string },
): Promise<boolean> {
  try {
    const page = await client.call<{ Versions?: Array<{ Version?: unknown }> }>('ListVersionByFunction', {
      FunctionName: ref.functionName,
      Namespace: ref.namespace,
      Limit: 2,
    });
    return (page.Versions ?? []).some((v) => v.Version !== LATEST);
  } catch (err) {
    // An scf-local from before versions, or another server without them: nothing to tell apart.
    if (err instanceof RemoteError && /^(UnsupportedOperation|InvalidAction)/.test(err.remoteCode))
      return false;
    throw err;
  }
}

/**
 * Before following a name: the function exists (false), or it was deleted but has records (true: they
 * are read from its namespace, and it may come back). A name that is neither is refused with "did you
 * mean", rather than followed forever.
 */
async function checkFollowedFunction(client: ApiClient, name: string, namespace: string): Promise<boolean> {
  try {
    await client.call('GetFunction', { FunctionName: name, Namespace: namespace });
    return false;
  } catch (err) {
    if (!isRemote(err, 'ResourceNotFound.Function')) throw err;
  }
  const zone = await readApiZone(client);
  const any = await scanRecords(
    client,
    { Namespace: namespace, OrderBy: 'start_time', Order: 'desc' },
    { keep: (r) => r.functionName === name, stopAfter: 1, zone, namespace },
  );
  if (any.records.length === 0) {
    throw await functionNotFound(client, name, namespace, {
      detail: any.capped
        ? `no records of it among the namespace's newest ${MAX_OFFSET_PLUS_LIMIT} invocations`
        : 'no invocation records of that name either',
      alsoKnown: any.functionNames,
    });
  }
  return true;
}

async function follow(
  ctx: CliContext,
  flags: LogsFlags,
  options: {
    name: string | undefined;
    namespace: string;
    status: StatusOption | undefined;
    since: number | undefined;
    utc: boolean;
    idArg: RequestIdArg | undefined;
    qualifier: string | undefined;
  },
): Promise<void> {
  const { stdout, stderr } = ctx.io;
  const style = styleFor(stdout, flags, ctx.env);
  const grep = flags.grep === undefined ? undefined : keywordMatcher(flags.grep);
  const filtered = options.status !== undefined || grep !== undefined;
  const { idArg } = options;
  // A partial --request-id that turns out to match several invocations is said once (they are all shown).
  const idMatches = new Set<string>();
  // Filters the stream cannot apply are applied here; a running record (and its live lines) cannot match
  // --status or --grep yet, so with those the whole log is printed with the final record.
  const wanted = (e: Exclude<TailEvent, { kind: 'ready' | 'gap' }>): boolean => {
    const requestId = e.kind === 'log' ? e.chunk.requestId : e.record.requestId;
    if (idArg) {
      if (!matchesRequestId(requestId, idArg)) return false;
      if (idArg.kind === 'partial' && !idMatches.has(requestId)) {
        idMatches.add(requestId);
        if (idMatches.size === 2) {
          stderr.write(
            `${style.dim(`scf-local: --request-id ${idArg.text} matches more than one invocation (${[...idMatches].join(', ')}); showing each`)}\n`,
          );
        }
      }
    }
    if (e.kind !== 'end') return !filtered;
    if (options.status && !matchesStatus(e.record.retCode, options.status)) return false;
    return grep === undefined || grep(e.record.log);
  };
  await withClient(flags, ctx.env, async (client) => {
    let deleted = false;
    let table: TableOptions = {};
    let versions: string[] | undefined;
    if (options.name !== undefined) {
      deleted = await checkFollowedFunction(client, options.name, options.namespace);
      const ref = { functionName: options.name, namespace: options.namespace };
      if (options.qualifier !== undefined) {
        if (deleted) throw await functionNotFound(client, options.name, options.namespace);
        // An alias is resolved once, here: the stream selects by version, and later changes of the alias
        // are not followed.
        ({ versions } = await resolveQualifier(client, { ...ref, qualifier: options.qualifier }));
        if (versions.length > 1) table = { versionWidth: versionColumnWidth(versions) };
      } else if (!deleted && (await hasPublishedVersions(client, ref))) {
        table = { versionWidth: versionColumnWidth([LATEST]) };
      }
    } else {
      // Also refuses a namespace that does not exist (ResourceNotFound.Namespace).
      table = { functionWidth: functionColumnWidth(await listFunctionNames(client, options.namespace)) };
    }
    const tailOptions: ConstructorParameters<typeof Tail>[1] = {
      namespace: options.namespace,
      onEvent: followPrinter({
        stdout,
        style,
        utc: options.utc,
        ndjson: flags.ndjson === true,
        table,
        several: options.name === undefined,
        wanted,
      }),
      onNotice: (m) => stderr.write(`${style.dim(`scf-local: ${m}`)}\n`),
    };
    if (options.name) tailOptions.functionName = options.name;
    if (versions) tailOptions.versions = versions;
    if (deleted) tailOptions.functionDeleted = true;
    if (flags.cursor) tailOptions.cursor = flags.cursor;
    if (options.since !== undefined) tailOptions.since = options.since;
    const tail = new Tail(client, tailOptions);
    const stop = (): void => tail.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (deleted) {
      stderr.write(
        style.dim(
          `function ${options.name ?? ''} no longer exists in namespace ${options.namespace}; following its records (it may be deployed again)\n`,
        ),
      );
    }
    if (!flags.ndjson) {
      const which =
        versions === undefined
          ? ''
          : options.qualifier !== undefined && !isVersion(options.qualifier)
            ? ` ${versions.length > 1 ? 'versions' : 'version'} ${versions.join(', ')} (alias ${options.qualifier} as it routes now)`
            : ` version ${versions.join(', ')}`;
      stderr.write(
        style.dim(
          `following ${options.name ?? `all functions of namespace ${options.namespace}`}${which} (Ctrl-C to stop)\n`,
        ),
      );
    }
    try {
      await tail.run();
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}

export interface FollowPrinterOptions {
  stdout: NodeJS.WriteStream;
  style: Style;
  utc: boolean;
  /** One JSON object per event instead of the table. */
  ndjson: boolean;
  table: TableOptions;
  /** Following several functions: each live line's gutter names its function. */
  several: boolean;
  /** Which events to show (the filters the stream does not apply); default all. */
  wanted?: (e: Exclude<TailEvent, { kind: 'ready' | 'gap' }>) => boolean;
}

/**
 * Shows a tail's events as `logs --follow` does (`dev` too): the table's header before the first row, a
 * row when an invocation starts and when it ends, its log lines live behind their gutter, and with the
 * final row the lines of its log not shown live; or, with `ndjson`, each event as one JSON object.
 */
export function followPrinter(options: FollowPrinterOptions): (e: TailEvent) => void {
  const { stdout, style, table } = options;
  // Lines printed live, so that an invocation's end prints only the rest of its (authoritative) log.
  const shown = new ShownLines();
  let headerShown = false;
  const header = (): void => {
    if (headerShown) return;
    stdout.write(`${tableHeader(style, table)}\n`);
    headerShown = true;
  };
  const lines = (requestId: string, functionName: string, text: string): string =>
    liveLogLines(requestId, text, style, options.several ? { functionName } : {});
  return (e) => {
    if (e.kind === 'ready' || e.kind === 'gap') {
      if (options.ndjson) stdout.write(`${JSON.stringify({ event: e.kind, ...e, kind: undefined })}\n`);
      return;
    }
    if (options.wanted && !options.wanted(e)) return;
    if (e.kind === 'log') {
      shown.add(e.chunk.requestId, e.chunk.text);
      if (options.ndjson) {
        stdout.write(`${JSON.stringify({ event: 'log', cursor: e.cursor, source: 'stream', ...e.chunk })}\n`);
      } else {
        header();
        stdout.write(lines(e.chunk.requestId, e.chunk.functionName, e.chunk.text));
      }
      return;
    }
    // A running record read through the query API may carry the part of its log stored so far; it is
    // not printed here but with the final record, so live chunks held during that read cannot repeat it.
    const rest = e.kind === 'end' ? shown.remainder(e.record.requestId, e.record.log) : '';
    if (options.ndjson) {
      const line: Record<string, unknown> = {
        event: e.kind,
        cursor: e.cursor ?? null,
        source: e.source,
        ...recordJson(e.record, { utc: options.utc }),
      };
      if (e.kind === 'end') line['logRemainder'] = rest;
      stdout.write(`${JSON.stringify(line)}\n`);
      return;
    }
    header();
    stdout.write(`${tableRow(e.record, style, { utc: options.utc, ...table })}\n`);
    stdout.write(lines(e.record.requestId, e.record.functionName, rest));
  };
}
