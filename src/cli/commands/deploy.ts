/**
 * `scf-local deploy <dir> [--name <name>]`: packages a function folder (src/cli/pack.ts) and uploads it as
 * base64 (CreateFunction, or UpdateFunctionCode + UpdateFunctionConfiguration when the function exists).
 * Before anything is zipped or sent it checks what it can: the handler's file is in the folder, and the
 * package fits what the server says it takes (its `/healthz`); zipping stops as soon as it does not.
 * Packages over 1 MB show their size and upload progress on stderr. `--timer "<cron>"` then keeps a timer
 * trigger named `timer` on the function (`triggers.ts`). `functions` lists, `rm` deletes.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ScfError } from '../../errors/index.js';
import { DEFAULT_HANDLER, DEFAULT_RUNTIME, validateHandler } from '../../functions/validate.js';
import { type ApiClient, type Json, runsOnIn } from '../client.js';
import { type CliContext, type GlobalFlags, styleFor, withClient } from '../context.js';
import {
  assembleBody,
  assertDirectory,
  checkHandlerFile,
  defaultFunctionName,
  formatSize,
  inferRuntime,
  listPackage,
  maxZipInBody,
  type PackageList,
  type UploadFrame,
  uploadFrame,
  type ZipCap,
  type ZipProgress,
  zipPackage,
} from '../pack.js';
import { checkTimerFlag, DEPLOY_TIMER_NAME, ensureTimer } from './triggers.js';

/** Packages from this size on show their size and upload progress. */
const PROGRESS_BYTES = 1024 * 1024;

export interface ZippedDir {
  zip: Uint8Array;
  files: number;
  bytes: number;
}

/** Zips every file under `dir` (paths relative to it, `/`-separated), skipping VCS and scf-local data. */
export function zipDirectory(dir: string): ZippedDir {
  const list = listPackage(dir);
  return { zip: zipPackage(list), files: list.files.length, bytes: list.bytes };
}

/** `K=V` pairs -> object; a pair without `=` is a usage error. */
export function parseEnvPairs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new ScfError('InvalidParameter', `--env ${JSON.stringify(p)}: expected KEY=VALUE`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

export const intArg =
  (flag: string) =>
  (v: string): number => {
    if (!/^\d+$/.test(v))
      throw new ScfError('InvalidParameter', `${flag} must be a whole number, got ${JSON.stringify(v)}`);
    return Number(v);
  };

/** The flags that say what to deploy and how (`deploy`'s, and `dev`'s too). */
export interface DeployFlags extends GlobalFlags {
  name?: string;
  namespace?: string;
  handler?: string;
  runtime?: string;
  memory?: number;
  timeout?: number;
  env: string[];
  description?: string;
}

/** What a deploy of a folder does, checked as far as it can be without the server. */
export interface DeployPlan {
  /** The folder as the user wrote it (for messages). */
  dir: string;
  /** The folder, absolute. */
  abs: string;
  name: string;
  namespace?: string;
  handler?: string;
  /** The configuration flags as API parameters (Runtime, MemorySize, Timeout, Description, Environment). */
  config: Record<string, unknown>;
}

/** Reads and checks the flags; throws a usage error for a bad one (before the server is asked anything). */
export function deployPlan(dir: string, flags: DeployFlags): DeployPlan {
  const abs = resolve(dir);
  const environment = flags.env.length > 0 ? parseEnvPairs(flags.env) : undefined;
  if (flags.handler !== undefined) validateHandler(flags.handler);
  const config: Record<string, unknown> = {};
  if (flags.runtime) config['Runtime'] = flags.runtime;
  if (flags.memory !== undefined) config['MemorySize'] = flags.memory;
  if (flags.timeout !== undefined) config['Timeout'] = flags.timeout;
  if (flags.description !== undefined) config['Description'] = flags.description;
  if (environment) {
    config['Environment'] = {
      Variables: Object.entries(environment).map(([Key, Value]) => ({ Key, Value })),
    };
  }
  // A missing folder is said before a folder name that cannot be a function's.
  assertDirectory(abs);
  const plan: DeployPlan = { dir, abs, name: flags.name ?? defaultFunctionName(abs), config };
  if (flags.namespace) plan.namespace = flags.namespace;
  if (flags.handler) plan.handler = flags.handler;
  return plan;
}

/** Adds the options that say what to deploy and how (`deploy` and `dev`). */
export function addDeployOptions(command: Command): Command {
  return command
    .option(
      '-n, --name <name>',
      "function name (default: the folder's name, when it is a valid function name)",
    )
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--handler <file.method>', 'handler (default index.main_handler on create)')
    .option(
      '--runtime <runtime>',
      'runtime: Nodejs18.15 (the default on create), Python3.9 (the default when the handler file is a .py), CustomRuntime (the default for a folder with only an scf_bootstrap)',
    )
    .option(
      '--memory <mb>',
      'memory size in MB: 64, or 128-3072 in steps of 128 (default 128)',
      intArg('--memory'),
    )
    .option('--timeout <s>', 'timeout in seconds, 1-900 (default 3)', intArg('--timeout'))
    .option(
      '-e, --env <KEY=VALUE>',
      'environment variable (repeatable); replaces the whole set',
      (v, acc: string[]) => [...acc, v],
      [],
    )
    .option('--description <text>', 'description');
}

export interface DeployResult {
  /** The function did not exist and was created. */
  created: boolean;
  /** The function as GetFunction shows it after the deploy. */
  fn: Record<string, unknown>;
  files: number;
  zipBytes: number;
  /** What runs it when not the version its runtime names (the server's `/healthz`). */
  runsOn: string | undefined;
}

/**
 * Deploys `plan`'s folder: lists and checks it (the handler's file, the server's upload limits), zips it
 * and uploads it, creating the function with the plan's configuration or updating its code. For an
 * existing function the configuration is applied too (UpdateFunctionConfiguration, after the code) unless
 * `codeOnly`. Throws a coded error: a usage error for the folder, the server's refusal as a RemoteError.
 */
export async function deployFolder(
  client: ApiClient,
  plan: DeployPlan,
  options: { stderr: NodeJS.WriteStream; codeOnly?: boolean; list?: PackageList },
): Promise<DeployResult> {
  const { stderr } = options;
  const list = options.list ?? listPackage(plan.abs);
  // The server's facts, read once: its upload limits, and what runs each runtime name.
  const health = await client.health();
  const limits = uploadLimits(health);
  const existing = await getFunction(client, plan.name, plan.namespace);
  const handler = plan.handler ?? (existing ? String(existing['Handler'] ?? '') : DEFAULT_HANDLER);
  const config = { ...plan.config };
  // A new function of a folder whose handler file is Python's runs on Python unless told otherwise.
  const inferred = existing || config['Runtime'] ? undefined : inferRuntime(plan.abs, handler);
  if (inferred) config['Runtime'] = inferred;
  const runtime = String(config['Runtime'] ?? existing?.['Runtime'] ?? DEFAULT_RUNTIME);
  checkHandlerFile(plan.abs, handler, runtime);
  const base: Record<string, unknown> = { FunctionName: plan.name };
  if (plan.namespace) base['Namespace'] = plan.namespace;
  const own = plan.handler ? { Handler: plan.handler } : {};
  const frame = uploadFrame((zipPlace) =>
    existing
      ? { ...base, ...own, ZipFile: zipPlace }
      : { ...base, ...config, ...own, Code: { ZipFile: zipPlace } },
  );
  const cap = zipCap(frame, limits, {
    dir: plan.dir,
    endpoint: client.endpoint,
    files: list.files.length,
    bytes: list.bytes,
  });
  const announce = list.bytes > PROGRESS_BYTES;
  if (announce) {
    stderr.write(`packaging ${list.files.length} files (${formatSize(list.bytes)}) from ${plan.dir}: `);
  }
  let zip: Buffer;
  try {
    zip = zipPackage(list, cap);
  } catch (err) {
    if (announce) stderr.write('stopped\n');
    throw err;
  }
  if (announce) stderr.write(`${formatSize(zip.byteLength)} zip\n`);
  const body = assembleBody(frame, zip);
  const callOptions =
    zip.byteLength > PROGRESS_BYTES ? { onUploadProgress: uploadProgress(stderr, zip.byteLength) } : {};
  await client.callWithBody(existing ? 'UpdateFunctionCode' : 'CreateFunction', body, callOptions);
  if (existing && !options.codeOnly && Object.keys(config).length > 0) {
    await client.call('UpdateFunctionConfiguration', { ...base, ...config });
  }
  const fn = (await client.call('GetFunction', base)) as Record<string, unknown>;
  return {
    created: !existing,
    fn,
    files: list.files.length,
    zipBytes: zip.byteLength,
    runsOn: runsOnIn(health, String(fn['Runtime'])),
  };
}

/** What the server says it takes in a code upload (its `/healthz`); a figure it does not give is absent. */
interface UploadLimits {
  /** The largest code upload request body (the server's api.maxUploadBodyBytes). */
  maxBodyBytes?: number;
  /** The largest zip. */
  maxZipBytes?: number;
}

function uploadLimits(health: Json | undefined): UploadLimits {
  const limits = health?.['limits'];
  if (typeof limits !== 'object' || limits === null) return {};
  const figure = (v: unknown): number | undefined =>
    typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;
  const out: UploadLimits = {};
  const body = figure((limits as Record<string, unknown>)['maxUploadBodyBytes']);
  const zip = figure((limits as Record<string, unknown>)['maxZipBytes']);
  if (body !== undefined) out.maxBodyBytes = body;
  if (zip !== undefined) out.maxZipBytes = zip;
  return out;
}

/** The function as GetFunction shows it, or undefined when it does not exist. */
export async function getFunction(
  client: ApiClient,
  name: string,
  namespace: string | undefined,
): Promise<Record<string, unknown> | undefined> {
  const params: Record<string, unknown> = { FunctionName: name };
  if (namespace) params['Namespace'] = namespace;
  try {
    return await client.call('GetFunction', params);
  } catch (err) {
    if (err instanceof ScfError && (err.code === 'FunctionNotFound' || err.code === 'NamespaceNotFound'))
      return undefined;
    throw err;
  }
}

/**
 * The most zip the server takes in this request: the smaller of its zip limit and what its body limit
 * carries as base64 beside the other parameters. Undefined when the server gives neither figure (then it
 * decides, and says so in its answer).
 */
function zipCap(
  frame: UploadFrame,
  limits: UploadLimits,
  what: { dir: string; endpoint: string; files: number; bytes: number },
): ZipCap | undefined {
  const byBody = limits.maxBodyBytes === undefined ? undefined : maxZipInBody(frame, limits.maxBodyBytes);
  const byZip = limits.maxZipBytes;
  if (byBody === undefined && byZip === undefined) return undefined;
  const bodyBinds = byBody !== undefined && (byZip === undefined || byBody < byZip);
  const maxBytes = bodyBinds ? byBody : (byZip ?? 0);
  const why = bodyBinds
    ? `the server at ${what.endpoint} takes code uploads of at most ${formatSize(limits.maxBodyBytes ?? 0)} ` +
      `(api.maxUploadBodyBytes), which carry a zip of at most ${formatSize(maxBytes)} as base64`
    : `the server at ${what.endpoint} takes zips of at most ${formatSize(maxBytes)} (SCF's limit for code sent in the request)`;
  return {
    maxBytes,
    tooLarge: (p: ZipProgress) =>
      new ScfError(
        'RequestSizeLimitExceeded',
        `${what.dir} is too large to deploy: its zip passed ${formatSize(maxBytes)} after ${formatSize(p.readBytes)} ` +
          `of its ${formatSize(what.bytes)} had been read (file ${p.files} of ${what.files}), and ${why}. ` +
          `Deploy a folder with only what the function needs${bodyBinds ? ", or raise the server's api.maxUploadBodyBytes" : ''}.`,
      ),
  };
}

/**
 * Upload progress for a zip of `zipBytes`, in MB of that zip: on a terminal, one line updated at each
 * percent; otherwise a line at 25%, 50%, 75% and 100%, each once.
 */
function uploadProgress(stderr: NodeJS.WriteStream, zipBytes: number): (sent: number, total: number) => void {
  const mb = (bytes: number): string => (bytes / 1048576).toFixed(1);
  const line = (pct: number): string =>
    `uploading ${mb((zipBytes * pct) / 100)}/${mb(zipBytes)} MB (${pct}%)`;
  let shown = -1;
  let quarters = 0;
  return (sent, total) => {
    const pct = Math.min(100, Math.floor((sent / total) * 100));
    if (stderr.isTTY) {
      if (pct === shown) return;
      shown = pct;
      stderr.write(`\r${line(pct)}${pct === 100 ? '\n' : ''}`);
      return;
    }
    while (quarters < 4 && pct >= (quarters + 1) * 25) {
      quarters += 1;
      stderr.write(`${line(quarters * 25)}\n`);
    }
  };
}

export function registerDeploy(program: Command, ctx: CliContext): void {
  addDeployOptions(
    program
      .command('deploy <dir>')
      .description(
        'zip a function directory and create the function, or update its code and configuration ' +
          '(the function is named after the folder unless --name says otherwise)',
      ),
  )
    .option(
      '--timer <cron>',
      `keep a timer trigger named "${DEPLOY_TIMER_NAME}" firing on this cron expression (SCF's seven fields, ` +
        'e.g. "0 */5 * * * * *"; created, or updated when it differs)',
    )
    .option('--timer-message <text>', "the timer's message (its events' Message; with --timer)")
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<
        DeployFlags & { json?: boolean; timer?: string; timerMessage?: string }
      >();
      const { stderr, stdout } = ctx.io;
      const style = styleFor(stdout, flags, ctx.env);
      // What can be checked here is, before the server is asked anything.
      const plan = deployPlan(dir, flags);
      if (flags.timerMessage !== undefined && flags.timer === undefined) {
        throw new ScfError('InvalidParameter', '--timer-message goes with --timer');
      }
      if (flags.timer !== undefined) checkTimerFlag(flags.timer);
      const list = listPackage(plan.abs);
      await withClient(flags, ctx.env, async (client) => {
        const { created, fn, files, zipBytes, runsOn } = await deployFolder(client, plan, { stderr, list });
        const timer =
          flags.timer === undefined
            ? undefined
            : await ensureTimer(client, fn, {
                cron: flags.timer,
                ...(flags.timerMessage === undefined ? {} : { message: flags.timerMessage }),
              });
        if (flags.json) {
          stdout.write(
            `${JSON.stringify({
              functionName: fn['FunctionName'],
              namespace: fn['Namespace'],
              created,
              handler: fn['Handler'],
              runtime: fn['Runtime'],
              ...(runsOn === undefined ? {} : { runsOn }),
              memorySize: fn['MemorySize'],
              timeout: fn['Timeout'],
              codeSize: fn['CodeSize'],
              files,
              zipBytes,
              ...(timer === undefined
                ? {}
                : { timer: { triggerName: DEPLOY_TIMER_NAME, triggerDesc: flags.timer, status: timer } }),
            })}\n`,
          );
        } else {
          stdout.write(
            `${style.green(created ? 'created' : 'updated')} ${style.bold(String(fn['FunctionName']))} ` +
              `(namespace ${String(fn['Namespace'] ?? 'default')}) from ${dir}: ${files} file(s), ` +
              `${formatSize(zipBytes)} zip; ${String(fn['Handler'])}, ${String(fn['Runtime'])}` +
              `${runsOn === undefined ? '' : ` (runs on ${runsOn})`}, ` +
              `${String(fn['MemorySize'])} MB, ${String(fn['Timeout'])} s\n`,
          );
          if (timer !== undefined) {
            stdout.write(`timer ${DEPLOY_TIMER_NAME}: ${JSON.stringify(flags.timer)} (${timer})\n`);
          }
        }
      });
    });
}
