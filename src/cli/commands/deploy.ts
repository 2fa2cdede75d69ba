/**
 * `scf-local deploy <dir> --name <name>`: zips a function directory in memory and uploads it as base64
 * (CreateFunction, or UpdateFunctionCode + UpdateFunctionConfiguration when the function exists), with
 * progress on stderr for packages over 1 MB. (`functions` and `rm` are in `functions.ts`.)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Command } from 'commander';
import { type Zippable, zipSync } from 'fflate';
import { ScfError } from '../../errors/index.js';
import type { ApiClient } from '../client.js';
import { type CliContext, type GlobalFlags, styleFor, withClient } from '../context.js';

/** Folders never packaged: version control and scf-local's own data. */
const SKIP = new Set(['.git', '.hg', '.svn', '.scf-local', '.DS_Store']);
const PROGRESS_BYTES = 1024 * 1024;

export interface ZippedDir {
  zip: Uint8Array;
  files: number;
  bytes: number;
}

/** Zips every file under `dir` (paths relative to it, `/`-separated), skipping VCS and scf-local data. */
export function zipDirectory(dir: string): ZippedDir {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir);
  } catch (err) {
    throw new ScfError('InvalidParameter', `${dir} does not exist`, { cause: err });
  }
  if (!st.isDirectory()) throw new ScfError('InvalidParameter', `${dir} is not a directory`);
  const tree: Zippable = {};
  let files = 0;
  let bytes = 0;
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      if (SKIP.has(entry.name)) continue;
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() || entry.isSymbolicLink()) {
        const data = readFileSync(path);
        tree[relative(dir, path).split(sep).join('/')] = [data, { level: 6 }];
        files++;
        bytes += data.byteLength;
      }
    }
  };
  walk(dir);
  if (files === 0) throw new ScfError('InvalidParameter', `${dir} holds no files to deploy`);
  return { zip: zipSync(tree), files, bytes };
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

const intArg =
  (flag: string) =>
  (v: string): number => {
    if (!/^\d+$/.test(v))
      throw new ScfError('InvalidParameter', `${flag} must be a whole number, got ${JSON.stringify(v)}`);
    return Number(v);
  };

interface DeployFlags extends GlobalFlags {
  name: string;
  namespace?: string;
  handler?: string;
  runtime?: string;
  memory?: number;
  timeout?: number;
  env: string[];
  description?: string;
  json?: boolean;
}

async function functionExists(
  client: ApiClient,
  name: string,
  namespace: string | undefined,
): Promise<boolean> {
  const params: Record<string, unknown> = { FunctionName: name };
  if (namespace) params['Namespace'] = namespace;
  try {
    await client.call('GetFunction', params);
    return true;
  } catch (err) {
    if (err instanceof ScfError && (err.code === 'FunctionNotFound' || err.code === 'NamespaceNotFound'))
      return false;
    throw err;
  }
}

export function registerDeploy(program: Command, ctx: CliContext): void {
  program
    .command('deploy <dir>')
    .description('zip a function directory and create the function, or update its code and configuration')
    .requiredOption('-n, --name <name>', 'function name')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option('--handler <file.method>', 'handler (default index.main_handler on create)')
    .option('--runtime <runtime>', 'runtime, e.g. Nodejs18.15 (the default on create)')
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
    .option('--description <text>', 'description')
    .option('--json', 'print the result as JSON')
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<DeployFlags>();
      const { stderr, stdout } = ctx.io;
      const style = styleFor(stdout, flags, ctx.env);
      const abs = resolve(dir);
      const environment = flags.env.length > 0 ? parseEnvPairs(flags.env) : undefined;
      const zipped = zipDirectory(abs);
      const large = zipped.zip.byteLength > PROGRESS_BYTES;
      if (large) {
        stderr.write(
          `packaged ${zipped.files} files, ${(zipped.bytes / 1048576).toFixed(1)} MB -> ${(zipped.zip.byteLength / 1048576).toFixed(1)} MB zip\n`,
        );
      }
      const zipBase64 = Buffer.from(zipped.zip).toString('base64');
      await withClient(flags, ctx.env, async (client) => {
        let lastPct = -1;
        const onUploadProgress = large
          ? (sent: number, total: number) => {
              const pct = Math.floor((sent / total) * 100);
              if (pct === lastPct) return;
              lastPct = pct;
              const line = `uploading ${(sent / 1048576).toFixed(1)}/${(total / 1048576).toFixed(1)} MB ${pct}%`;
              if (stderr.isTTY) stderr.write(`\r${line}${pct === 100 ? '\n' : ''}`);
              else if (pct % 25 === 0) stderr.write(`${line}\n`);
            }
          : undefined;
        const callOptions = onUploadProgress ? { onUploadProgress } : {};
        const base: Record<string, unknown> = { FunctionName: flags.name };
        if (flags.namespace) base['Namespace'] = flags.namespace;
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
        const exists = await functionExists(client, flags.name, flags.namespace);
        if (!exists) {
          const params = { ...base, ...config, Code: { ZipFile: zipBase64 } } as Record<string, unknown>;
          if (flags.handler) params['Handler'] = flags.handler;
          await client.call('CreateFunction', params, callOptions);
        } else {
          const params = { ...base, ZipFile: zipBase64 } as Record<string, unknown>;
          if (flags.handler) params['Handler'] = flags.handler;
          await client.call('UpdateFunctionCode', params, callOptions);
          if (Object.keys(config).length > 0)
            await client.call('UpdateFunctionConfiguration', { ...base, ...config });
        }
        const fn = (await client.call('GetFunction', base)) as Record<string, unknown>;
        if (flags.json) {
          stdout.write(
            `${JSON.stringify({
              functionName: fn['FunctionName'],
              namespace: fn['Namespace'],
              created: !exists,
              handler: fn['Handler'],
              runtime: fn['Runtime'],
              memorySize: fn['MemorySize'],
              timeout: fn['Timeout'],
              codeSize: fn['CodeSize'],
              files: zipped.files,
            })}\n`,
          );
        } else {
          stdout.write(
            `${style.green(exists ? 'updated' : 'created')} ${style.bold(String(fn['FunctionName']))} ` +
              `(namespace ${String(fn['Namespace'] ?? 'default')}) from ${dir}: ${zipped.files} file(s), ` +
              `${(zipped.zip.byteLength / 1024).toFixed(1)} KB zip; ${String(fn['Handler'])}, ${String(fn['Runtime'])}, ` +
              `${String(fn['MemorySize'])} MB, ${String(fn['Timeout'])} s\n`,
          );
        }
      });
    });
}
