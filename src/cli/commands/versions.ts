/**
 * `scf-local publish <function>` freezes the function's current code and configuration as a new version
 * (PublishVersion) and prints its number; `scf-local versions <function>` lists the versions
 * (ListVersionByFunction) with the aliases that route to each (ListAliases). Invoke one with
 * `invoke --qualifier <version>`; route to them with `alias` (`aliases.ts`).
 */
import type { Command } from 'commander';
import { readApiZone } from '../api-zone.js';
import type { ApiClient } from '../client.js';
import { type CliContext, type GlobalFlags, styleFor, withClient } from '../context.js';
import { formatTime, simpleTable } from '../format.js';
import { onFunction } from '../lookup.js';
import { additionalWeights, LATEST, percent } from '../versions.js';
import { listAliases } from './aliases.js';
import { apiTimeFields } from './functions.js';

type Json = Record<string, unknown>;

const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

/** ListVersionByFunction's page size. */
const PAGE = 50;

/** A ListVersionByFunction `Versions` item in the CLI's shape (camelCase, times ISO with offset and ms). */
export function versionJson(v: Json, options: { zone: number; utc: boolean }): Json {
  return {
    version: text(v['Version']),
    description: text(v['Description']),
    status: text(v['Status']),
    ...apiTimeFields('addTime', v['AddTime'], options),
    ...apiTimeFields('modTime', v['ModTime'], options),
  };
}

/** `$LATEST` first, then the versions in the order they were published. */
export function compareVersions(a: string, b: string): number {
  if (a === b) return 0;
  if (a === LATEST) return -1;
  if (b === LATEST) return 1;
  const na = Number(a);
  const nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a.localeCompare(b);
}

/** Every version of a function (all pages of ListVersionByFunction). */
export async function listVersions(client: ApiClient, ref: Json): Promise<Json[]> {
  const all: Json[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await client.call<{ Versions?: Json[]; TotalCount?: number }>('ListVersionByFunction', {
      ...ref,
      Offset: offset,
      Limit: PAGE,
    });
    const items = page.Versions ?? [];
    all.push(...items);
    if (items.length < PAGE || all.length >= (page.TotalCount ?? 0)) return all;
  }
}

export function registerVersions(program: Command, ctx: CliContext): void {
  program
    .command('publish <function>')
    .description(
      'publish the function’s current code and configuration as a new version, and print its number',
    )
    .option('--description <text>', 'what this version is')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--json', 'print the new version as one JSON object')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<
        GlobalFlags & { namespace?: string; description?: string; json?: boolean }
      >();
      const { stdout, stderr } = ctx.io;
      const style = styleFor(stderr, flags, ctx.env);
      const namespace = flags.namespace ?? 'default';
      await withClient(flags, ctx.env, async (client) => {
        const params: Json = { FunctionName: name, Namespace: namespace };
        if (flags.description !== undefined) params['Description'] = flags.description;
        const v = await onFunction(client, { name, namespace }, () =>
          client.call<Json>('PublishVersion', params),
        );
        const version = text(v['FunctionVersion']);
        if (flags.json) {
          stdout.write(
            `${JSON.stringify({
              functionName: name,
              namespace: text(v['Namespace']) || namespace,
              version,
              description: text(v['Description']),
              handler: text(v['Handler']),
              runtime: text(v['Runtime']),
              memorySize: typeof v['MemorySize'] === 'number' ? v['MemorySize'] : null,
              timeout: typeof v['Timeout'] === 'number' ? v['Timeout'] : null,
              codeSize: typeof v['CodeSize'] === 'number' ? v['CodeSize'] : null,
            })}\n`,
          );
          return;
        }
        // The number alone on stdout, for `V=$(scf-local publish f)`; the rest is for people.
        stdout.write(`${version}\n`);
        stderr.write(
          style.dim(
            `published ${name} version ${version}; invoke it with: scf-local invoke ${name} --qualifier ${version}\n`,
          ),
        );
      });
    });

  program
    .command('versions <function>')
    .description('list a function’s versions, with the aliases that route to each')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--json', 'print JSON (one array; camelCase, times in ISO 8601 with their offset)')
    .option('--utc', 'show times in UTC instead of your time zone')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<
        GlobalFlags & { namespace?: string; json?: boolean; utc?: boolean }
      >();
      const { stdout } = ctx.io;
      const style = styleFor(stdout, flags, ctx.env);
      const utc = flags.utc === true;
      const namespace = flags.namespace ?? 'default';
      const ref: Json = { FunctionName: name, Namespace: namespace };
      await withClient(flags, ctx.env, async (client) => {
        const zone = await readApiZone(client);
        const [versions, aliases] = await onFunction(client, { name, namespace }, () =>
          Promise.all([listVersions(client, ref), listAliases(client, ref)]),
        );
        // Which aliases route to each version, and with what share.
        const routes = new Map<string, Array<{ name: string; weight: number }>>();
        const route = (version: string, alias: string, weight: number): void => {
          routes.set(version, [...(routes.get(version) ?? []), { name: alias, weight }]);
        };
        for (const a of aliases) {
          const alias = text(a['Name']);
          const additional = additionalWeights(a);
          const others = additional.reduce((sum, w) => sum + w.weight, 0);
          route(text(a['FunctionVersion']), alias, 1 - others);
          for (const w of additional) route(w.version, alias, w.weight);
        }
        const all = versions
          .map((v) => versionJson(v, { zone, utc }))
          .sort((a, b) => compareVersions(text(a['version']), text(b['version'])))
          .map((v): Json & { aliases: Array<{ name: string; weight: number }> } => ({
            ...v,
            aliases: routes.get(text(v['version'])) ?? [],
          }));
        if (flags.json) {
          stdout.write(`${JSON.stringify(all)}\n`);
          return;
        }
        const rows = all.map((v) => [
          text(v['version']),
          text(v['description']) || '-',
          v.aliases.length === 0
            ? '-'
            : v.aliases.map((a) => (a.weight < 1 ? `${a.name} ${percent(a.weight)}` : a.name)).join(', '),
          typeof v['addTimeMs'] === 'number' ? formatTime(v['addTimeMs'], { utc }) : '-',
        ]);
        stdout.write(simpleTable(['VERSION', 'DESCRIPTION', 'ALIASES', 'CREATED'], rows, style));
        if (all.every((v) => v['version'] === LATEST)) {
          ctx.io.stderr.write(
            styleFor(ctx.io.stderr, flags, ctx.env).dim(
              `${name} has no published versions (publish one with \`scf-local publish ${name}\`)\n`,
            ),
          );
        }
      });
    });
}
