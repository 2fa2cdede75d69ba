/** `scf-local serve`: starts the platform in this process until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { credentialsPath } from '../api/auth/index.js';
import { STREAM_PATH } from '../api/stream/protocol.js';
import type { ConfigInput } from '../config/index.js';
import { createPlatform } from '../platform.js';

interface ServeFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  config?: string;
  billingGranularity?: string;
  logFormat?: string;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('start the scf-local platform (HTTP API on 127.0.0.1:9000 by default, data in ./.scf-local)')
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('-p, --port <port>', 'port to listen on (default 9000; 0 = any free port)')
    .option(
      '-d, --data-dir <dir>',
      'data folder: SQLite database, function code, credentials (default .scf-local)',
    )
    .option('-c, --config <file>', 'JSON config file (see docs/configuration.md)')
    .option(
      '--billing-granularity <ms>',
      'billDuration rounding in ms (default 100, as the seed doc; SCF bills 1 today)',
    )
    .option('--log-format <format>', 'scf (START/END/Report lines) or legacy (function output only)')
    .action(async (own: ServeFlags, cmd: Command) => {
      // `--data-dir` is also a global option (the client's credentials folder): either spelling lands here.
      const flags = { ...cmd.optsWithGlobals<ServeFlags>(), ...own };
      const overrides: Record<string, unknown> = {};
      if (flags.host) overrides['host'] = flags.host;
      if (flags.port !== undefined) overrides['port'] = Number(flags.port);
      if (flags.dataDir) overrides['dataDir'] = flags.dataDir;
      const runtime: Record<string, unknown> = {};
      if (flags.billingGranularity !== undefined)
        runtime['billingGranularityMs'] = Number(flags.billingGranularity);
      if (flags.logFormat) runtime['logFormat'] = flags.logFormat;
      if (Object.keys(runtime).length > 0) overrides['runtime'] = runtime;
      const options: Parameters<typeof createPlatform>[0] = { config: overrides as ConfigInput };
      if (flags.config) options.configFile = flags.config;
      const platform = await createPlatform(options);
      const { url } = await platform.listen();
      const out = process.stdout;
      out.write(`scf-local listening on ${url}\n`);
      out.write(
        `  v2 API:   ${url}/v2/index.php\n  API 3.0:  ${url}/\n  tail:     ${url}${STREAM_PATH} (scf-local logs <name> --follow)\n`,
      );
      out.write(`  data:     ${platform.dataDir} (store: ${platform.config.store.backend})\n`);
      if (platform.generatedCredentialsAt) {
        out.write(
          `  generated credentials in ${platform.generatedCredentialsAt} (owner-only); the CLI uses them\n`,
        );
      } else if (platform.config.auth.credentials.length === 0) {
        out.write(`  credentials: ${credentialsPath(platform.dataDir)}\n`);
      }
      if (platform.recoveredInterrupted > 0) {
        out.write(
          `  ${platform.recoveredInterrupted} invocation(s) left running by a previous stop marked interrupted\n`,
        );
      }
      const stop = (signal: string): void => {
        out.write(`scf-local: ${signal}, stopping\n`);
        platform.close().then(
          () => process.exit(0),
          (err: unknown) => {
            console.error(err);
            process.exit(1);
          },
        );
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
}
