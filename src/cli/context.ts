/**
 * What every client command shares: the global flags, how they resolve against the environment into an
 * API client (flags > SCF_LOCAL_* environment > what the local server recorded in --data-dir: its
 * generated pair and where it listens), output streams and the colour decision.
 */
import type { Command } from 'commander';
import { readGeneratedCredential } from '../api/auth/credentials.js';
import { ScfError } from '../errors/index.js';
import { ApiClient, DEFAULT_ENDPOINT } from './client.js';
import { ENDPOINT_FILE, readEndpointRecord } from './endpoint-file.js';
import type { CliEnvironment } from './env.js';
import { createStyle, type Style } from './format.js';

export interface GlobalFlags {
  endpoint?: string;
  secretId?: string;
  secretKey?: string;
  dataDir?: string;
  region?: string;
  /** false with --no-color. */
  color?: boolean;
}

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
}

export interface CliContext {
  readonly env: CliEnvironment;
  readonly io: CliIo;
}

export const DEFAULT_DATA_DIR = '.scf-local';

/** Adds the options every client command accepts (also accepted before the command name). */
export function addGlobalOptions(program: Command): Command {
  return program
    .option(
      '--endpoint <url>',
      `scf-local server (env SCF_LOCAL_ENDPOINT; default: where the server of --data-dir listens, else ${DEFAULT_ENDPOINT})`,
    )
    .option('--secret-id <id>', 'SecretId to sign with (env SCF_LOCAL_SECRET_ID)')
    .option('--secret-key <key>', 'SecretKey to sign with (env SCF_LOCAL_SECRET_KEY)')
    .option(
      '-d, --data-dir <dir>',
      `the local server's data folder: without a key, its generated pair (<dir>/credentials.json); without an endpoint, where it listens (<dir>/${ENDPOINT_FILE}) (env SCF_LOCAL_DATA_DIR; default ${DEFAULT_DATA_DIR})`,
    )
    .option('--region <region>', 'X-TC-Region to send (default ap-guangzhou)')
    .option(
      '--no-color',
      'never colour the output (colour is used only on a terminal, and never with NO_COLOR)',
    );
}

/**
 * Refuses `--version` (`-V`) after a command name. Commander reads the program's options anywhere on the
 * line (that is how global options work after a command), so there it would print the CLI's version and
 * exit 0 without running the command: `alias create f prod --version 1` would do nothing, successfully.
 * An alias's version is `--function-version`.
 */
export function refuseVersionAfterCommand(program: Command, args: readonly string[]): void {
  const commands = new Set(program.commands.flatMap((c) => [c.name(), ...c.aliases()]));
  const takesValue = new Set(
    program.options
      .filter((o) => o.required || o.optional)
      .flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined)),
  );
  let command: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return;
    if (command === undefined) {
      if (takesValue.has(arg)) i++;
      else if (commands.has(arg)) command = arg;
    } else if (arg === '--version' || arg === '-V') {
      throw new ScfError(
        'InvalidParameter',
        `--version after \`${command}\` would print scf-local's version instead of running it; ` +
          (command === 'alias'
            ? "an alias's version is --function-version (-v)"
            : 'give it alone: scf-local --version'),
      );
    }
  }
}

/**
 * Builds the API client from flags, then the environment, then what a local server recorded in the data
 * folder (its endpoint while it runs, its generated credentials), then the default endpoint.
 */
export function createClient(flags: GlobalFlags, env: CliEnvironment): ApiClient {
  const dataDir = flags.dataDir ?? env.dataDir ?? DEFAULT_DATA_DIR;
  const endpoint = flags.endpoint ?? env.endpoint ?? readEndpointRecord(dataDir)?.url ?? DEFAULT_ENDPOINT;
  if ((flags.secretId === undefined) !== (flags.secretKey === undefined)) {
    throw new ScfError('InvalidParameter', '--secret-id and --secret-key go together');
  }
  let secretId = flags.secretId ?? env.secretId;
  let secretKey = flags.secretKey ?? env.secretKey;
  if (flags.secretId === undefined && (env.secretId === undefined) !== (env.secretKey === undefined)) {
    throw new ScfError(
      'InvalidParameter',
      'SCF_LOCAL_SECRET_ID and SCF_LOCAL_SECRET_KEY must be set together',
    );
  }
  if (secretId === undefined || secretKey === undefined) {
    const generated = readGeneratedCredential(dataDir);
    if (!generated) {
      throw new ScfError(
        'InvalidParameter',
        `no credentials: pass --secret-id/--secret-key, set SCF_LOCAL_SECRET_ID/SCF_LOCAL_SECRET_KEY, or run where ` +
          `\`scf-local serve\` keeps its data (${dataDir}/credentials.json not found; see --data-dir)`,
      );
    }
    secretId = generated.secretId;
    secretKey = generated.secretKey;
  }
  return new ApiClient({ endpoint, secretId, secretKey, region: flags.region ?? 'ap-guangzhou' });
}

/** Colour on a TTY only, never with NO_COLOR or --no-color. */
export function styleFor(stream: NodeJS.WriteStream, flags: GlobalFlags, env: CliEnvironment): Style {
  return createStyle(stream.isTTY === true && !env.noColor && flags.color !== false);
}

/** Runs a command body with a client that is closed afterwards, whatever happens. */
export async function withClient<T>(
  flags: GlobalFlags,
  env: CliEnvironment,
  body: (client: ApiClient) => Promise<T>,
): Promise<T> {
  const client = createClient(flags, env);
  try {
    return await body(client);
  } finally {
    client.close();
  }
}
