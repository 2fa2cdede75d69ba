/**
 * `scf-local triggers <function>`: a function's triggers (ListTriggers), with the next firing of each
 * enabled timer; `triggers rm <function> <trigger>` deletes one (DeleteTrigger). `deploy --timer "<cron>"`
 * keeps a timer named `timer` on the function it deploys (`ensureTimer`). The next firing is computed here
 * with the server's own cron dialect (`triggers/cron.ts`, pure) on the server's zone (its `/healthz`), which
 * is the zone the server reads cron expressions on.
 */
import type { Command } from 'commander';
import { ScfError } from '../../errors/index.js';
import { CronError, nextFireTime, parseCron } from '../../triggers/cron.js';
import { readApiZone } from '../api-zone.js';
import type { ApiClient } from '../client.js';
import { type CliContext, type GlobalFlags, styleFor, withClient } from '../context.js';
import { formatTime, isoTime, simpleTable } from '../format.js';
import { functionNotFound, isRemote } from '../lookup.js';
import { apiTimeFields } from './functions.js';

type Json = Record<string, unknown>;

/** The name of the timer `deploy --timer` keeps. */
export const DEPLOY_TIMER_NAME = 'timer';

const text = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

/** Checks a `--timer` expression here, before anything is deployed (the server checks it again). */
export function checkTimerFlag(cron: string): void {
  try {
    parseCron(cron);
  } catch (err) {
    if (err instanceof CronError) throw new ScfError('InvalidParameter', `--timer: ${err.message}`);
    throw err;
  }
}

/** The next firing of an enabled timer (epoch ms) on the server's zone; undefined for anything else. */
function nextFiring(t: Json, zone: number, now: number): number | undefined {
  if (text(t['Type']) !== 'timer' || t['Enable'] !== 1) return undefined;
  try {
    return nextFireTime(parseCron(text(t['TriggerDesc'])), now, { offsetMinutes: zone });
  } catch {
    // An expression this CLI does not read (a newer server's): no next firing shown.
    return undefined;
  }
}

async function listTriggers(client: ApiClient, ref: Json): Promise<Json[]> {
  const all: Json[] = [];
  for (let offset = 0; ; offset += 100) {
    const page = await client.call<{ Triggers?: Json[]; TotalCount?: number }>('ListTriggers', {
      ...ref,
      Offset: offset,
      Limit: 100,
      OrderBy: 'add_time',
      Order: 'ASC',
    });
    const items = page.Triggers ?? [];
    all.push(...items);
    if (items.length < 100 || all.length >= (page.TotalCount ?? 0)) return all;
  }
}

/** A ListTriggers item in the CLI's shape (camelCase, times ISO with offset and ms). */
export function triggerJson(t: Json, options: { zone: number; utc: boolean; now: number }): Json {
  const next = nextFiring(t, options.zone, options.now);
  return {
    triggerName: text(t['TriggerName']),
    type: text(t['Type']),
    enabled: t['Enable'] === 1,
    triggerDesc: text(t['TriggerDesc']),
    customArgument: text(t['CustomArgument']),
    qualifier: text(t['Qualifier']),
    description: text(t['Description']),
    nextFire: next === undefined ? null : isoTime(next, options),
    nextFireMs: next ?? null,
    ...apiTimeFields('addTime', t['AddTime'], options),
    ...apiTimeFields('modTime', t['ModTime'], options),
  };
}

/** Long descriptions (an API Gateway trigger's JSON) are cut for the table. */
const cut = (s: string, max = 48): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

/**
 * Makes the function's timer named `timer` fire on `cron` (and carry `message`, when given): created when
 * missing, updated when it differs or is disabled, left alone when it already is so (a change of a trigger
 * is a change of the function, which retires its warm instances). `fn` is GetFunction's answer.
 */
export async function ensureTimer(
  client: ApiClient,
  fn: Json,
  options: { cron: string; message?: string },
): Promise<'created' | 'updated' | 'unchanged'> {
  const ref: Json = { FunctionName: fn['FunctionName'], Namespace: fn['Namespace'] ?? 'default' };
  const triggers = Array.isArray(fn['Triggers']) ? (fn['Triggers'] as Json[]) : [];
  const current = triggers.find((t) => t['Type'] === 'timer' && t['TriggerName'] === DEPLOY_TIMER_NAME);
  const params: Json = { ...ref, TriggerName: DEPLOY_TIMER_NAME, Type: 'timer', TriggerDesc: options.cron };
  if (options.message !== undefined) params['CustomArgument'] = options.message;
  if (!current) {
    await client.call('CreateTrigger', params);
    return 'created';
  }
  const same =
    text(current['TriggerDesc']) === options.cron.trim().split(/\s+/).join(' ') &&
    current['Enable'] === 1 &&
    (options.message === undefined || text(current['CustomArgument']) === options.message);
  if (same) return 'unchanged';
  await client.call('UpdateTrigger', { ...params, Enable: 'OPEN' });
  return 'updated';
}

export function registerTriggers(program: Command, ctx: CliContext): void {
  const triggers = program
    .command('triggers <function>')
    .description(
      "list a function's triggers, with each enabled timer's next firing (`triggers rm <function> <trigger>`)",
    )
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
      await withClient(flags, ctx.env, async (client) => {
        const zone = await readApiZone(client);
        let items: Json[];
        try {
          items = await listTriggers(client, { FunctionName: name, Namespace: namespace });
        } catch (err) {
          if (isRemote(err, 'ResourceNotFound.Function'))
            throw await functionNotFound(client, name, namespace);
          throw err;
        }
        const now = Date.now();
        const all = items.map((t) => triggerJson(t, { zone, utc, now }));
        if (flags.json) {
          stdout.write(`${JSON.stringify(all)}\n`);
          return;
        }
        if (all.length === 0) {
          stdout.write(
            `${name} has no triggers (add a timer with \`scf-local deploy <dir> --timer "<cron>"\`)\n`,
          );
          return;
        }
        const rows = all.map((t) => [
          text(t['triggerName']),
          text(t['type']),
          t['enabled'] ? 'on' : 'off',
          cut(text(t['triggerDesc'])),
          typeof t['nextFireMs'] === 'number' ? formatTime(t['nextFireMs'], { utc }) : '-',
          text(t['customArgument']) ? cut(text(t['customArgument']), 24) : '-',
        ]);
        stdout.write(simpleTable(['NAME', 'TYPE', 'ENABLED', 'DESC', 'NEXT', 'MESSAGE'], rows, style));
      });
    });

  triggers
    .command('rm <function> <trigger>')
    .alias('delete')
    .description('delete a trigger')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--type <type>', 'its type: timer (the default) or apigw', 'timer')
    .option('--json', 'print the result as JSON')
    .action(async (fn: string, trigger: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalFlags & { namespace?: string; type: string; json?: boolean }>();
      await withClient(flags, ctx.env, async (client) => {
        const params: Json = { FunctionName: fn, TriggerName: trigger, Type: flags.type };
        if (flags.namespace) params['Namespace'] = flags.namespace;
        await client.call('DeleteTrigger', params);
        ctx.io.stdout.write(
          flags.json
            ? `${JSON.stringify({ deleted: trigger, type: flags.type, functionName: fn })}\n`
            : `deleted ${flags.type} trigger ${trigger} of ${fn}\n`,
        );
      });
    });
}
