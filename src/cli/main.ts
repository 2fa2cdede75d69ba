/**
 * The `scf-local` command line: entry point. Every command except `serve` talks to a server over its HTTP
 * API, signed like any SDK, so it works against a remote scf-local too.
 *
 * Exit codes: 0 ok; 1 failure (server fault, unreachable server, or an invoked function that failed);
 * 2 usage or user error (bad flags, bad input, unknown function, rejected credentials).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { endWhenOutputCloses } from './closed-output.js';
import { registerAliases } from './commands/aliases.js';
import { registerConsole } from './commands/console.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDev } from './commands/dev.js';
import { registerFunctions } from './commands/functions.js';
import { registerInvoke } from './commands/invoke.js';
import { registerLogs } from './commands/logs.js';
import { registerNamespaces } from './commands/namespaces.js';
import { registerTriggers } from './commands/triggers.js';
import { registerVersions } from './commands/versions.js';
import { addGlobalOptions, type CliContext, refuseVersionAfterCommand } from './context.js';
import { readCliEnvironment } from './env.js';
import { describeError } from './report.js';
import { registerServe } from './serve.js';

export { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './report.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export function buildProgram(ctx: CliContext): Command {
  const program = new Command();
  program
    .name('scf-local')
    .description('Self-hosted Tencent Cloud SCF-compatible function platform, and its client')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  addGlobalOptions(program);
  registerServe(program);
  registerDeploy(program, ctx);
  registerDev(program, ctx);
  registerInvoke(program, ctx);
  registerLogs(program, ctx);
  registerFunctions(program, ctx);
  registerNamespaces(program, ctx);
  registerTriggers(program, ctx);
  registerVersions(program, ctx);
  registerAliases(program, ctx);
  registerConsole(program, ctx);
  for (const cmd of program.commands) cmd.exitOverride();
  program.addHelpText(
    'after',
    `
Server: --endpoint, else SCF_LOCAL_ENDPOINT, else where the \`scf-local serve\` of the data folder listens
(<data dir>/endpoint.json), else http://127.0.0.1:9000.
Credentials: --secret-id/--secret-key, else SCF_LOCAL_SECRET_ID/SCF_LOCAL_SECRET_KEY, else the pair a local
\`scf-local serve\` generated in <data dir>/credentials.json (--data-dir, default .scf-local).
Exit codes: 0 ok, 1 failure (including an invoked function that failed), 2 usage or user error.
Colour only on a terminal, never with NO_COLOR or --no-color. Docs: docs/cli.md`,
  );
  return program;
}

function report(err: unknown): number {
  const { message, exitCode } = describeError(err, process.argv);
  if (message !== undefined) console.error(`scf-local: ${message}`);
  // Not one of ours (a bug): its stack is what there is to go on.
  else if (!(err instanceof CommanderError)) console.error(err);
  return exitCode;
}

endWhenOutputCloses([process.stdout, process.stderr]);
const ctx: CliContext = {
  env: readCliEnvironment(),
  io: { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin },
};
const program = buildProgram(ctx);
Promise.resolve()
  .then(() => {
    refuseVersionAfterCommand(program, process.argv.slice(2));
    return program.parseAsync(process.argv);
  })
  .catch((err: unknown) => {
    process.exitCode = report(err);
  });
