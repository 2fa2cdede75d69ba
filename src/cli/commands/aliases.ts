/**
 * `scf-local alias create|list|show|update|delete`: a function's aliases (CreateAlias, ListAliases,
 * GetAlias, UpdateAlias, DeleteAlias). An alias names a version (`--function-version`) and may send a share
 * of its invocations to one other (`--weight 2=0.2`: 20% to version 2); `invoke --qualifier <alias>` runs
 * through it, `logs --qualifier <alias>` reads the invocations of the versions it routes to.
 *
 * The version flag is `--function-version` (SCF's FunctionVersion, the AWS CLI's `--function-version`),
 * not `--version`: the program's `--version` is recognised after a command name too, and would print the
 * CLI's own version instead.
 */
import type { Command } from 'commander';
import { readApiZone } from '../api-zone.js';
import type { ApiClient } from '../client.js';
import { type CliContext, type GlobalFlags, styleFor, withClient } from '../context.js';
import { formatTime, simpleTable } from '../format.js';
import { onFunction } from '../lookup.js';
import { additionalWeights, collect, formatRouting, parseWeight, type Routing } from '../versions.js';
import { apiTimeFields } from './functions.js';

type Json = Record<string, unknown>;

const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

/** ListAliases' page size. */
const PAGE = 50;

interface AliasFlags extends GlobalFlags {
  namespace?: string;
  functionVersion?: string;
  /** `--weight` values; false with `--no-weight`. */
  weight?: string[] | false;
  description?: string;
  json?: boolean;
  utc?: boolean;
}

/** A GetAlias answer or ListAliases item in the CLI's shape (camelCase, times ISO with offset and ms). */
export function aliasJson(
  a: Json,
  ref: { functionName: string; namespace: string },
  options: { zone: number; utc: boolean },
): Json {
  return {
    name: text(a['Name']),
    functionName: ref.functionName,
    namespace: ref.namespace,
    version: text(a['FunctionVersion']),
    additionalVersionWeights: additionalWeights(a),
    description: text(a['Description']),
    ...apiTimeFields('addTime', a['AddTime'], options),
    ...apiTimeFields('modTime', a['ModTime'], options),
  };
}

const routingOf = (alias: Json): Routing => ({
  version: text(alias['version']),
  additional: (alias['additionalVersionWeights'] as Routing['additional'] | undefined) ?? [],
});

const shownTime = (ms: unknown, options: { utc: boolean }): string =>
  typeof ms === 'number' ? formatTime(ms, options) : '-';

/** `alias show` for people: one `key  value` line per field. */
export function showAlias(alias: Json, options: { utc: boolean }): string {
  const rows: Array<[string, string]> = [
    ['name', text(alias['name'])],
    ['function', text(alias['functionName'])],
    ['namespace', text(alias['namespace'])],
    ['routes to', formatRouting(routingOf(alias))],
    ['description', text(alias['description']) || '-'],
    ['created', shownTime(alias['addTimeMs'], options)],
    ['modified', shownTime(alias['modTimeMs'], options)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n');
}

/** Every alias of a function (all pages of ListAliases), as the API answers them. */
export async function listAliases(client: ApiClient, ref: Json): Promise<Json[]> {
  const all: Json[] = [];
  for (let offset = 0; ; offset += PAGE) {
    // ListAliases' Offset and Limit are strings in SCF's model.
    const page = await client.call<{ Aliases?: Json[]; TotalCount?: number }>('ListAliases', {
      ...ref,
      Offset: String(offset),
      Limit: String(PAGE),
    });
    const items = page.Aliases ?? [];
    all.push(...items);
    if (items.length < PAGE || all.length >= (page.TotalCount ?? 0)) return all;
  }
}

/** RoutingConfig from `--weight` flags: absent when none was given, empty with `--no-weight`. */
export function routingConfig(weight: string[] | false | undefined): Json | undefined {
  if (weight === undefined) return undefined;
  return { AdditionalVersionWeights: weight === false ? [] : weight.map(parseWeight) };
}

export function registerAliases(program: Command, ctx: CliContext): void {
  const alias = program
    .command('alias')
    .description(
      "manage a function's aliases: create, list, show, update, delete (`invoke --qualifier <alias>` runs through one)",
    );

  /** Reads one alias back (GetAlias) and prints it: what `create`, `update` and `show` print. */
  const printAlias = async (
    client: ApiClient,
    ref: { fn: string; name: string; namespace: string },
    flags: AliasFlags,
    verb?: string,
  ): Promise<void> => {
    const zone = await readApiZone(client);
    const utc = flags.utc === true;
    const answer = await onFunction(client, { name: ref.fn, namespace: ref.namespace }, () =>
      client.call<Json>('GetAlias', { FunctionName: ref.fn, Namespace: ref.namespace, Name: ref.name }),
    );
    const json = aliasJson(answer, { functionName: ref.fn, namespace: ref.namespace }, { zone, utc });
    if (flags.json) {
      ctx.io.stdout.write(`${JSON.stringify(json, null, verb === undefined ? 2 : undefined)}\n`);
    } else if (verb !== undefined) {
      ctx.io.stdout.write(`${verb} alias ${ref.name} of ${ref.fn}: ${formatRouting(routingOf(json))}\n`);
    } else {
      ctx.io.stdout.write(`${showAlias(json, { utc })}\n`);
    }
  };

  alias
    .command('create <function> <name>')
    .description('create an alias routing to a version, and optionally a share to one other')
    .requiredOption('-v, --function-version <version>', 'the version it routes to ($LATEST, 1, 2, ...)')
    .option(
      '--weight <version=share>',
      'also route this share of the invocations to another version: 2=0.2 sends 20% to version 2',
      collect,
    )
    .option('--description <text>', 'what the alias is for')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--json', 'print the alias as one JSON object')
    .action(async (fn: string, name: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<AliasFlags>();
      const namespace = flags.namespace ?? 'default';
      const params: Json = {
        FunctionName: fn,
        Namespace: namespace,
        Name: name,
        FunctionVersion: flags.functionVersion,
      };
      const routing = routingConfig(flags.weight);
      if (routing) params['RoutingConfig'] = routing;
      if (flags.description !== undefined) params['Description'] = flags.description;
      await withClient(flags, ctx.env, async (client) => {
        await onFunction(client, { name: fn, namespace }, () => client.call('CreateAlias', params));
        await printAlias(client, { fn, name, namespace }, flags, 'created');
      });
    });

  alias
    .command('list <function>')
    .alias('ls')
    .description("list a function's aliases and the versions each routes to")
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--json', 'print JSON (one array; camelCase, times in ISO 8601 with their offset)')
    .option('--utc', 'show times in UTC instead of your time zone')
    .action(async (fn: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<AliasFlags>();
      const { stdout } = ctx.io;
      const style = styleFor(stdout, flags, ctx.env);
      const namespace = flags.namespace ?? 'default';
      const utc = flags.utc === true;
      await withClient(flags, ctx.env, async (client) => {
        const zone = await readApiZone(client);
        const items = await onFunction(client, { name: fn, namespace }, () =>
          listAliases(client, { FunctionName: fn, Namespace: namespace }),
        );
        const all = items.map((a) => aliasJson(a, { functionName: fn, namespace }, { zone, utc }));
        if (flags.json) {
          stdout.write(`${JSON.stringify(all)}\n`);
          return;
        }
        if (all.length === 0) {
          stdout.write(
            `${fn} has no aliases (add one with \`scf-local alias create ${fn} <name> --function-version <version>\`)\n`,
          );
          return;
        }
        const rows = all.map((a) => [
          text(a['name']),
          formatRouting(routingOf(a)),
          text(a['description']) || '-',
          shownTime(a['modTimeMs'], { utc }),
        ]);
        stdout.write(simpleTable(['NAME', 'ROUTES TO', 'DESCRIPTION', 'MODIFIED'], rows, style));
      });
    });

  alias
    .command('show <function> <name>')
    .description('show one alias: the versions it routes to, with their shares')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--json', 'print one JSON object')
    .option('--utc', 'show times in UTC instead of your time zone')
    .action(async (fn: string, name: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<AliasFlags>();
      const namespace = flags.namespace ?? 'default';
      await withClient(flags, ctx.env, (client) => printAlias(client, { fn, name, namespace }, flags));
    });

  alias
    .command('update <function> <name>')
    .description(
      'change what an alias routes to (what is not given stays as it is: its version, its weights, its description)',
    )
    .option('-v, --function-version <version>', 'the version it routes to')
    .option(
      '--weight <version=share>',
      'route this share of the invocations to another version (replaces the alias’s weights)',
      collect,
    )
    .option('--no-weight', 'route every invocation to its version (drops the weights)')
    .option('--description <text>', 'what the alias is for')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--json', 'print the alias as one JSON object')
    .action(async (fn: string, name: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<AliasFlags>();
      const namespace = flags.namespace ?? 'default';
      // `--weight` parsed before anything is sent.
      const routing = routingConfig(flags.weight);
      await withClient(flags, ctx.env, async (client) => {
        const ref = { FunctionName: fn, Namespace: namespace, Name: name };
        // UpdateAlias takes the whole alias (FunctionVersion is required): what is not given is sent as
        // it is now, so a change of weights keeps the version and the other way round.
        const current = await onFunction(client, { name: fn, namespace }, () =>
          client.call<Json>('GetAlias', ref),
        );
        const params: Json = {
          ...ref,
          FunctionVersion: flags.functionVersion ?? text(current['FunctionVersion']),
          RoutingConfig: routing ?? {
            AdditionalVersionWeights: additionalWeights(current).map((w) => ({
              Version: w.version,
              Weight: w.weight,
            })),
          },
          Description: flags.description ?? text(current['Description']),
        };
        await client.call('UpdateAlias', params);
        await printAlias(client, { fn, name, namespace }, flags, 'updated');
      });
    });

  alias
    .command('delete <function> <name>')
    .alias('rm')
    .description('delete an alias (its versions stay)')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--json', 'print the result as JSON')
    .action(async (fn: string, name: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<AliasFlags>();
      const namespace = flags.namespace ?? 'default';
      await withClient(flags, ctx.env, async (client) => {
        await onFunction(client, { name: fn, namespace }, () =>
          client.call('DeleteAlias', { FunctionName: fn, Namespace: namespace, Name: name }),
        );
        ctx.io.stdout.write(
          flags.json
            ? `${JSON.stringify({ deleted: name, functionName: fn, namespace })}\n`
            : `deleted alias ${name} of ${fn}\n`,
        );
      });
    });
}
