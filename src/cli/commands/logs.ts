/**
 * `scf-local logs <name>`: invocation records as a table (time in the user's zone with its offset, request
 * id, status, duration, billed, memory) with each log beneath, or as JSON / NDJSON; filters map onto
 * GetFunctionLogs. `--follow` tails live (see `../tail.ts`): rows as invocations start and end, and their log
 * lines as they are printed.
 */
import type { Command } from 'commander';
import { MAX_OFFSET_PLUS_LIMIT } from '../../api/operations/limits.js';
import { formatApiTime } from '../../api/time.js';
import { ScfError } from '../../errors/index.js';
import type { ApiClient } from '../client.js';
import { type CliContext, type GlobalFlags, styleFor, withClient } from '../context.js';
import {
  type CliRecord,
  fromFunctionLog,
  liveLogLines,
  logBlock,
  matchesStatus,
  recordJson,
  SCF_API_OFFSET_MINUTES,
  STATUS_FILTER,
  type StatusOption,
  type Style,
  tableHeader,
  tableRow,
} from '../format.js';
import { ShownLines } from '../live-log.js';
import { Tail, type TailEvent } from '../tail.js';
import { parseTimeArg } from '../time.js';

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
}

const SORTS = { time: 'start_time', duration: 'duration', memory: 'mem_usage' } as const;
type SortOption = keyof typeof SORTS;
const DAY_MS = 86_400_000;

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

interface QueryPlan {
  params: Record<string, unknown>;
  windows: Array<[number, number]> | undefined;
  limit: number;
  sort: SortOption;
}

/** Reads records through GetFunctionLogs; over several windows it merges and keeps the best `limit`. */
async function queryRecords(
  client: ApiClient,
  plan: QueryPlan,
  namespace: string,
): Promise<{ total: number; records: CliRecord[] }> {
  const key = (r: CliRecord): number =>
    plan.sort === 'duration' ? r.duration : plan.sort === 'memory' ? r.memUsage : r.startTime;
  let total = 0;
  const records: CliRecord[] = [];
  for (const window of plan.windows ?? [undefined]) {
    const params = { ...plan.params };
    if (window) {
      params['StartTime'] = formatApiTime(window[0], SCF_API_OFFSET_MINUTES);
      params['EndTime'] = formatApiTime(window[1], SCF_API_OFFSET_MINUTES);
    }
    const page = await client.call<{ TotalCount?: number; Data?: Array<Record<string, unknown>> }>(
      'GetFunctionLogs',
      params,
    );
    total += page.TotalCount ?? 0;
    records.push(...(page.Data ?? []).map((f) => fromFunctionLog(f, SCF_API_OFFSET_MINUTES, namespace)));
    // Windows come newest first: once a time-sorted query has its `limit`, older windows cannot displace any.
    if (plan.sort === 'time' && records.length >= plan.limit) break;
  }
  records.sort((a, b) => key(b) - key(a) || b.startTime - a.startTime);
  return { total, records: records.slice(0, plan.limit) };
}

function printRecord(r: CliRecord, style: Style, utc: boolean, out: NodeJS.WriteStream): void {
  out.write(`${tableRow(r, style, { utc })}\n${logBlock(r, style)}`);
}

export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs [name]')
    .description(
      'show invocation records with their logs (all functions of the namespace when no name is given)',
    )
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('-s, --status <status>', `only ${Object.keys(STATUS_FILTER).join('|')} invocations`)
    .option(
      '--since <when>',
      'only invocations started since: 90s, 15m, 1h30m, 2d, or a time (2024-05-01 14:30)',
    )
    .option('--until <when>', 'only invocations started until (same forms; default now)')
    .option('-r, --request-id <id>', 'only this invocation')
    .option(
      '-g, --grep <words>',
      'only invocations whose log has these words (case-insensitive; word* = prefix)',
    )
    .option('--sort <field>', 'time|duration|memory (time: oldest first; the others: largest first)', 'time')
    .option('-l, --limit <n>', 'how many invocations (1-10000)', '20')
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
      const now = Date.now();
      const since =
        flags.since === undefined ? undefined : parseTimeArg(flags.since, { now, utc, flag: '--since' });
      const until =
        flags.until === undefined ? undefined : parseTimeArg(flags.until, { now, utc, flag: '--until' });
      if (since !== undefined && until !== undefined && since > until)
        throw usage('--since is later than --until');
      const namespace = flags.namespace ?? 'default';
      if (flags.follow) {
        if (flags.json) throw usage('--json prints one array at the end; with --follow use --ndjson');
        if (
          flags.until !== undefined ||
          cmd.getOptionValueSource('sort') === 'cli' ||
          cmd.getOptionValueSource('limit') === 'cli'
        ) {
          throw usage('--until, --sort and --limit do not apply to --follow');
        }
        await follow(ctx, flags, { name, status, since, utc });
        return;
      }
      if (flags.cursor !== undefined) throw usage('--cursor applies only to --follow');

      const params: Record<string, unknown> = { Limit: limit, OrderBy: SORTS[sort], Order: 'desc' };
      if (name) params['FunctionName'] = name;
      if (flags.namespace) params['Namespace'] = flags.namespace;
      if (status) params['Filter'] = { RetCode: STATUS_FILTER[status] };
      if (flags.requestId) params['FunctionRequestId'] = flags.requestId;
      if (flags.grep) params['SearchContext'] = { Keyword: flags.grep };
      let windows: Array<[number, number]> | undefined;
      if (since !== undefined || until !== undefined) {
        // The API wants both ends, at most a day apart: --until alone means the day before it.
        const to = until ?? now + 1000;
        windows = dayWindows(since ?? to - DAY_MS + 1000, to);
      }
      const { stdout, stderr } = ctx.io;
      const style = styleFor(stdout, flags, ctx.env);
      const { total, records } = await withClient(flags, ctx.env, (client) =>
        queryRecords(client, { params, windows, limit, sort }, namespace),
      );
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
      stdout.write(`${tableHeader(style)}\n`);
      for (const r of records) printRecord(r, style, utc, stdout);
      if (total > records.length) {
        stderr.write(style.dim(`showing ${records.length} of ${total} (--limit to see more)\n`));
      }
    });
}

async function follow(
  ctx: CliContext,
  flags: LogsFlags,
  options: {
    name: string | undefined;
    status: StatusOption | undefined;
    since: number | undefined;
    utc: boolean;
  },
): Promise<void> {
  const { stdout, stderr } = ctx.io;
  const style = styleFor(stdout, flags, ctx.env);
  const grep = flags.grep?.toLowerCase().split(/\s+/).filter(Boolean);
  const filtered = options.status !== undefined || grep !== undefined;
  // Filters the stream cannot apply are applied here; a running record (and its live lines) cannot match
  // --status or --grep yet, so with those the whole log is printed with the final record.
  const wanted = (e: Exclude<TailEvent, { kind: 'ready' | 'gap' }>): boolean => {
    const requestId = e.kind === 'log' ? e.chunk.requestId : e.record.requestId;
    if (flags.requestId && requestId !== flags.requestId) return false;
    if (e.kind !== 'end') return !filtered;
    if (options.status && !matchesStatus(e.record.retCode, options.status)) return false;
    const log = e.record.log.toLowerCase();
    return grep === undefined || grep.every((w) => log.includes(w.replace(/\*$/, '')));
  };
  // Lines printed live, so that an invocation's end prints only the rest of its (authoritative) log.
  const shown = new ShownLines();
  let headerShown = false;
  const header = (): void => {
    if (headerShown) return;
    stdout.write(`${tableHeader(style)}\n`);
    headerShown = true;
  };
  await withClient(flags, ctx.env, async (client) => {
    const tailOptions: ConstructorParameters<typeof Tail>[1] = {
      onEvent: (e) => {
        if (e.kind === 'ready' || e.kind === 'gap') {
          if (flags.ndjson) stdout.write(`${JSON.stringify({ event: e.kind, ...e, kind: undefined })}\n`);
          return;
        }
        if (!wanted(e)) return;
        if (e.kind === 'log') {
          shown.add(e.chunk.requestId, e.chunk.text);
          if (flags.ndjson) {
            stdout.write(
              `${JSON.stringify({ event: 'log', cursor: e.cursor, source: 'stream', ...e.chunk })}\n`,
            );
          } else {
            header();
            stdout.write(liveLogLines(e.chunk.requestId, e.chunk.text, style));
          }
          return;
        }
        // A running record read through the query API may carry the part of its log stored so far; it is
        // not printed here but with the final record, so live chunks held during that read cannot repeat it.
        const rest = e.kind === 'end' ? shown.remainder(e.record.requestId, e.record.log) : '';
        if (flags.ndjson) {
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
        stdout.write(`${tableRow(e.record, style, { utc: options.utc })}\n`);
        stdout.write(liveLogLines(e.record.requestId, rest, style));
      },
      onNotice: (m) => stderr.write(`${style.dim(`scf-local: ${m}`)}\n`),
    };
    if (options.name) tailOptions.functionName = options.name;
    if (flags.namespace) tailOptions.namespace = flags.namespace;
    if (flags.cursor) tailOptions.cursor = flags.cursor;
    if (options.since !== undefined) tailOptions.since = options.since;
    const tail = new Tail(client, tailOptions);
    const stop = (): void => tail.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (!flags.ndjson)
      stderr.write(style.dim(`following ${options.name ?? 'all functions'} (Ctrl-C to stop)\n`));
    try {
      await tail.run();
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}
