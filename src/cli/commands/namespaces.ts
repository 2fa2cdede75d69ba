/**
 * `scf-local namespaces`: list them (ListNamespaces), `namespaces create <name>` and `namespaces delete
 * <name>` (CreateNamespace, DeleteNamespace). A function lives in one namespace (`--namespace` of deploy,
 * invoke, logs, functions; `default` when not given), which must exist before a function is deployed to it.
 */
import type { Command } from 'commander';
import { readApiZone } from '../api-zone.js';
import type { ApiClient } from '../client.js';
import { type CliContext, type GlobalFlags, styleFor, withClient } from '../context.js';
import { formatTime, simpleTable } from '../format.js';
import { apiTimeFields } from './functions.js';

type Json = Record<string, unknown>;

const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

async function listNamespaces(client: ApiClient): Promise<Json[]> {
  const all: Json[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await client.call<{ Namespaces?: Json[]; TotalCount?: number }>('ListNamespaces', {
      Offset: offset,
      Limit: 100,
    });
    const items = page.Namespaces ?? [];
    all.push(...items);
    if (items.length < 100 || all.length >= (page.TotalCount ?? 0)) return all;
  }
}

export function registerNamespaces(program: Command, ctx: CliContext): void {
  const namespaces = program
    .command('namespaces')
    .alias('ns')
    .description('list namespaces (`namespaces create <name>`, `namespaces delete <name>`)')
    .option('--json', 'print JSON (one array; camelCase, times in ISO 8601 with their offset)')
    .option('--utc', 'show times in UTC instead of your time zone')
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalFlags & { json?: boolean; utc?: boolean }>();
      const { stdout } = ctx.io;
      const style = styleFor(stdout, flags, ctx.env);
      const utc = flags.utc === true;
      await withClient(flags, ctx.env, async (client) => {
        const zone = await readApiZone(client);
        const all = (await listNamespaces(client)).map(
          (n): Json => ({
            name: text(n['Name']),
            description: text(n['Description']),
            type: text(n['Type']),
            ...apiTimeFields('addTime', n['AddTime'], { zone, utc }),
            ...apiTimeFields('modTime', n['ModTime'], { zone, utc }),
          }),
        );
        if (flags.json) {
          stdout.write(`${JSON.stringify(all)}\n`);
          return;
        }
        const rows = all.map((n) => [
          text(n['name']),
          text(n['description']) || '-',
          typeof n['addTimeMs'] === 'number' ? formatTime(n['addTimeMs'], { utc }) : '',
        ]);
        stdout.write(simpleTable(['NAME', 'DESCRIPTION', 'CREATED'], rows, style));
      });
    });

  namespaces
    .command('create <name>')
    .description('create a namespace')
    .option('--description <text>', 'description')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalFlags & { description?: string; json?: boolean }>();
      await withClient(flags, ctx.env, async (client) => {
        const params: Json = { Namespace: name };
        if (flags.description !== undefined) params['Description'] = flags.description;
        await client.call('CreateNamespace', params);
        ctx.io.stdout.write(
          flags.json ? `${JSON.stringify({ created: name })}\n` : `created namespace ${name}\n`,
        );
      });
    });

  namespaces
    .command('delete <name>')
    .alias('rm')
    .description('delete an empty namespace (delete its functions first)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalFlags & { json?: boolean }>();
      await withClient(flags, ctx.env, async (client) => {
        await client.call('DeleteNamespace', { Namespace: name });
        ctx.io.stdout.write(
          flags.json ? `${JSON.stringify({ deleted: name })}\n` : `deleted namespace ${name}\n`,
        );
      });
    });
}
