/**
 * `scf-local functions` lists a namespace's functions, `functions show <name>` shows one function's
 * configuration, `rm <name>` deletes one. Output for people is a table; `--json` is the CLI's own shape, as
 * `logs --json` is: camelCase fields, times as ISO 8601 with the offset of the zone shown (plus epoch ms),
 * never the API's PascalCase and its zone-less API-zone times.
 */
import type { Command } from 'commander';
import { parseApiTime } from '../../api/time.js';
import { readApiZone } from '../api-zone.js';
import type { ApiClient } from '../client.js';
import { type CliContext, type GlobalFlags, styleFor, withClient } from '../context.js';
import { formatTime, isoTime, simpleTable } from '../format.js';
import { functionNotFound, isRemote } from '../lookup.js';

type Json = Record<string, unknown>;

interface ListFlags extends GlobalFlags {
  namespace?: string;
  search?: string;
  json?: boolean;
  utc?: boolean;
}

const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

/** An API time (`YYYY-MM-DD HH:mm:ss` in the server's zone) as the CLI's pair: ISO with offset, and ms. */
export function apiTimeFields(
  name: string,
  value: unknown,
  options: { zone: number; utc: boolean },
): Record<string, string | number | null> {
  const ms = parseApiTime(text(value), options.zone);
  return ms === undefined
    ? { [name]: null, [`${name}Ms`]: null }
    : { [name]: isoTime(ms, options), [`${name}Ms`]: ms };
}

/** An API time for people, in the user's zone with its offset (or as sent, if it is not one). */
export function showApiTime(value: unknown, options: { zone: number; utc: boolean }): string {
  const ms = parseApiTime(text(value), options.zone);
  return ms === undefined ? text(value) : formatTime(ms, options);
}

/** A ListFunctions item in the CLI's shape. */
export function functionSummaryJson(f: Json, options: { zone: number; utc: boolean }): Json {
  return {
    functionName: text(f['FunctionName']),
    namespace: text(f['Namespace']),
    runtime: text(f['Runtime']),
    description: text(f['Description']),
    status: text(f['Status']),
    ...apiTimeFields('addTime', f['AddTime'], options),
    ...apiTimeFields('modTime', f['ModTime'], options),
  };
}

/** A GetFunction answer in the CLI's shape: the configuration a deploy sets, and what the server adds. */
export function functionJson(f: Json, options: { zone: number; utc: boolean }, runsOn?: string): Json {
  const environment: Record<string, string> = {};
  const vars = (f['Environment'] as { Variables?: unknown } | undefined)?.Variables;
  if (Array.isArray(vars)) {
    for (const v of vars as Array<{ Key?: unknown; Value?: unknown }>)
      environment[text(v.Key)] = text(v.Value);
  }
  return {
    functionName: text(f['FunctionName']),
    namespace: text(f['Namespace']),
    description: text(f['Description']),
    handler: text(f['Handler']),
    runtime: text(f['Runtime']),
    // What runs it, when not the version `runtime` names (the server's /healthz); null when it is.
    runsOn: runsOn ?? null,
    memorySize: typeof f['MemorySize'] === 'number' ? f['MemorySize'] : null,
    timeout: typeof f['Timeout'] === 'number' ? f['Timeout'] : null,
    environment,
    codeSize: typeof f['CodeSize'] === 'number' ? f['CodeSize'] : null,
    status: text(f['Status']),
    functionId: text(f['FunctionId']),
    ...apiTimeFields('addTime', f['AddTime'], options),
    ...apiTimeFields('modTime', f['ModTime'], options),
  };
}

async function listFunctions(client: ApiClient, flags: ListFlags): Promise<Json[]> {
  const all: Json[] = [];
  for (let offset = 0; ; offset += 100) {
    const params: Json = { Offset: offset, Limit: 100, Orderby: 'FunctionName', Order: 'ASC' };
    if (flags.namespace) params['Namespace'] = flags.namespace;
    if (flags.search) params['SearchKey'] = flags.search;
    const page = await client.call<{ Functions?: Json[]; TotalCount?: number }>('ListFunctions', params);
    const items = page.Functions ?? [];
    all.push(...items);
    if (items.length < 100 || all.length >= (page.TotalCount ?? 0)) return all;
  }
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

/** `functions show` for people: one `key  value` line per setting (the environment one line per variable). */
function showFunction(fn: Json, options: { zone: number; utc: boolean }): string {
  const env = Object.entries((fn['environment'] as Record<string, string> | undefined) ?? {});
  const rows: Array<[string, string]> = [
    ['name', text(fn['functionName'])],
    ['namespace', text(fn['namespace'])],
    ['description', text(fn['description']) || '-'],
    ['handler', text(fn['handler'])],
    [
      'runtime',
      fn['runsOn'] ? `${text(fn['runtime'])} (runs on ${text(fn['runsOn'])})` : text(fn['runtime']),
    ],
    ['memory', fn['memorySize'] === null ? '-' : `${text(fn['memorySize'])} MB`],
    ['timeout', fn['timeout'] === null ? '-' : `${text(fn['timeout'])} s`],
    ...(env.length === 0
      ? [['environment', '-'] as [string, string]]
      : env.map(([k, v], i): [string, string] => [i === 0 ? 'environment' : '', `${k}=${v}`])),
    ['code size', typeof fn['codeSize'] === 'number' ? kb(fn['codeSize']) : '-'],
    ['status', text(fn['status'])],
    ['created', fn['addTimeMs'] === null ? '-' : formatTime(fn['addTimeMs'] as number, options)],
    ['modified', fn['modTimeMs'] === null ? '-' : formatTime(fn['modTimeMs'] as number, options)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n');
}

export function registerFunctions(program: Command, ctx: CliContext): void {
  const functions = program
    .command('functions')
    .alias('ls')
    .description('list functions (`functions show <name>`: one function’s configuration)')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--search <text>', 'only names containing this text')
    .option('--json', 'print JSON (one array; camelCase, times in ISO 8601 with their offset)')
    .option('--utc', 'show times in UTC instead of your time zone')
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<ListFlags>();
      const { stdout } = ctx.io;
      const style = styleFor(stdout, flags, ctx.env);
      const utc = flags.utc === true;
      await withClient(flags, ctx.env, async (client) => {
        const zone = await readApiZone(client);
        const all = (await listFunctions(client, flags)).map((f) => functionSummaryJson(f, { zone, utc }));
        if (flags.json) {
          stdout.write(`${JSON.stringify(all)}\n`);
          return;
        }
        if (all.length === 0) {
          stdout.write('no functions (deploy one with `scf-local deploy <dir> --name <name>`)\n');
          return;
        }
        const rows = all.map((f) => [
          text(f['functionName']),
          text(f['namespace']),
          text(f['runtime']),
          f['modTimeMs'] === null ? '' : formatTime(f['modTimeMs'] as number, { utc }),
        ]);
        stdout.write(simpleTable(['NAME', 'NAMESPACE', 'RUNTIME', 'MODIFIED'], rows, style));
      });
    });

  functions
    .command('show <name>')
    .description('show one function’s configuration')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--json', 'print one JSON object')
    .option('--utc', 'show times in UTC instead of your time zone')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<
        GlobalFlags & { namespace?: string; json?: boolean; utc?: boolean }
      >();
      const namespace = flags.namespace ?? 'default';
      const utc = flags.utc === true;
      await withClient(flags, ctx.env, async (client) => {
        const zone = await readApiZone(client);
        let answer: Json;
        try {
          answer = await client.call<Json>('GetFunction', { FunctionName: name, Namespace: namespace });
        } catch (err) {
          if (isRemote(err, 'ResourceNotFound.Function'))
            throw await functionNotFound(client, name, namespace);
          throw err;
        }
        const fn = functionJson(answer, { zone, utc }, await client.runsOn(text(answer['Runtime'])));
        ctx.io.stdout.write(
          flags.json ? `${JSON.stringify(fn, null, 2)}\n` : `${showFunction(fn, { zone, utc })}\n`,
        );
      });
    });

  program
    .command('rm <name>')
    .alias('delete')
    .description('delete a function (its invocation records stay: `logs <name>` still shows them)')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalFlags & { namespace?: string; json?: boolean }>();
      await withClient(flags, ctx.env, async (client) => {
        const params: Json = { FunctionName: name };
        if (flags.namespace) params['Namespace'] = flags.namespace;
        await client.call('DeleteFunction', params);
        ctx.io.stdout.write(flags.json ? `${JSON.stringify({ deleted: name })}\n` : `deleted ${name}\n`);
      });
    });
}
