/**
 * `scf-local serve`: starts the platform in this process until SIGINT/SIGTERM.
 *
 * Stopping: the first SIGINT (Ctrl-C) or SIGTERM stops accepting and gives the requests in flight
 * `api.drainTimeoutMs` to be answered, then interrupts what still runs (`Platform.close`); a second one
 * interrupts the invocations in flight at once, their callers answered with an interrupted result (retCode 3)
 * before the process exits (`Platform.interrupt`); a third exits at once.
 *
 * Start-up either succeeds or ends the process promptly with one line on stderr, having changed nothing:
 * exit 2 when the data folder is held by another server (its pid named) or the configuration is wrong,
 * exit 1 for anything else (the port taken, an unreadable folder or database). The port is tried before the
 * data folder is touched; whatever was opened before a later failure is closed before exiting.
 */
import { createServer } from 'node:net';
import type { Command } from 'commander';
import { credentialsPath } from '../api/auth/index.js';
import { STREAM_PATH } from '../api/stream/protocol.js';
import { type ConfigInput, loadConfig } from '../config/index.js';
import { ScfError } from '../errors/index.js';
import type { createPlatform, Platform } from '../platform.js';
import { ignoreClosedOutput } from './closed-output.js';
import { recordEndpoint } from './endpoint-file.js';

interface ServeFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  config?: string;
  billingGranularity?: string;
  logFormat?: string;
  logLevel?: string;
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
    .option(
      '--log-level <level>',
      "the server's log on stderr: info (default: each request and invocation), warn, error, debug, silent, ...",
    )
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
      if (flags.logLevel !== undefined) overrides['log'] = { level: flags.logLevel };
      const options: Parameters<typeof createPlatform>[0] = { config: overrides as ConfigInput };
      if (flags.config) options.configFile = flags.config;
      let platform: Platform | undefined;
      let url: string;
      let host: string;
      let port: number;
      try {
        // Config first (it names the port and folder), then the port, then the platform: a port someone
        // else holds fails here, before anything in the data folder is created or changed.
        const loadOptions: Parameters<typeof loadConfig>[0] = { overrides: options.config ?? {} };
        if (options.configFile) loadOptions.file = options.configFile;
        const config = loadConfig(loadOptions);
        await probePort(config.host, config.port);
        // Loaded here, not with the CLI: the server's native modules (SQLite, flock) are for `serve` alone,
        // so the client commands and --help start without them.
        const { createPlatform } = await import('../platform.js');
        platform = await createPlatform(options);
        ({ url, host, port } = await platform.listen());
      } catch (err) {
        // Close what was opened (processes, store, the folder's lock) so the process can end; a failure
        // to close is not the news, the start-up failure is.
        await platform?.close().catch(() => {});
        const { line, exitCode } = startupFailure(err);
        process.stderr.write(`scf-local: ${line}\n`);
        process.exit(exitCode);
      }
      // Where this server listens, for the CLI run from the same folder (src/cli/endpoint-file.ts); gone
      // when this process exits, however it exits short of being killed (a killed server's record names a
      // pid that no longer runs, and clients ignore it).
      try {
        const recorded = recordEndpoint(platform.dataDir, { host, port });
        process.once('exit', () => recorded.remove());
      } catch (err) {
        // The server works without it; only clients that are not told the endpoint miss it.
        process.stderr.write(
          `scf-local: warning: cannot record the endpoint in ${platform.dataDir} (${(err as NodeJS.ErrnoException).code ?? String(err)}); ` +
            'clients need --endpoint or SCF_LOCAL_ENDPOINT\n',
        );
      }
      const out = process.stdout;
      ignoreClosedOutput(out);
      ignoreClosedOutput(process.stderr);
      // Stop handlers before the banner: whoever waits for "listening" and then sends SIGTERM must get a clean
      // stop, not the default disposition's kill (no handler yet).
      let signals = 0;
      const stop = (signal: NodeJS.Signals): void => {
        signals += 1;
        if (signals === 1) {
          const { busy, queued } = platform.runtime.stats();
          const running = busy + queued;
          const wait = `${platform.config.api.drainTimeoutMs / 1000} s`;
          out.write(
            running === 0
              ? `scf-local: ${signal}, stopping\n`
              : `scf-local: ${signal}, stopping: ${running} invocation(s) in flight have ${wait} to finish (Ctrl-C again to interrupt them)\n`,
          );
          platform.close().then(
            () => process.exit(0),
            (err: unknown) => {
              // A fault of the running server, so its log's (written synchronously: nothing is lost at exit).
              platform.logger.fatal({ err }, 'stopping failed');
              process.exit(1);
            },
          );
        } else if (signals === 2) {
          out.write(
            `scf-local: ${signal} again, interrupting the invocations in flight (their callers are told)\n`,
          );
          // The stop under way (above) exits once the interrupted invocations are answered.
          void platform.interrupt();
        } else {
          out.write(`scf-local: ${signal} a third time, exiting at once\n`);
          process.exit(1);
        }
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      out.write(`scf-local listening on ${url}\n`);
      out.write(
        `  v2 API:   ${url}/v2/index.php\n  API 3.0:  ${url}/\n  tail:     ${url}${STREAM_PATH} (scf-local logs <name> --follow)\n`,
      );
      out.write(`  data:     ${platform.dataDir} (store: ${platform.config.store.backend})\n`);
      const sandbox = platform.runtime.sandboxStatus();
      if (sandbox.isolated) {
        const net = sandbox.network === 'slirp' ? 'outbound only, not the host loopback' : 'no network';
        out.write(
          `  functions: sandboxed (bubblewrap; network: ${net})${sandbox.reason ? `; ${sandbox.reason}` : ''}\n`,
        );
      } else {
        process.stderr.write(
          `WARNING: functions are NOT ISOLATED: ${sandbox.reason}. Any function can read this folder's credentials and records.\n` +
            '  Install bubblewrap (apt-get install bubblewrap slirp4netns) or set runtime.sandbox to "required" to refuse this.\n',
        );
      }
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
    });
}

/** Binds and releases `host:port`, so a port already in use fails before the data folder is touched. */
async function probePort(host: string, port: number): Promise<void> {
  // Port 0 takes any free port: nothing to probe. Another process may still take the port between the
  // probe and the real bind; that start then fails at listen, after the folder was opened (and closed).
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => resolve());
  });
  await new Promise<void>((resolve) => probe.close(() => resolve()));
}

/** One line for a failed start, and the exit code: 2 for what the user must change, 1 otherwise. */
function startupFailure(err: unknown): { line: string; exitCode: number } {
  if (err instanceof ScfError) {
    return { line: `cannot start: ${err.message}`, exitCode: err.isUserError ? 2 : 1 };
  }
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number };
  if (e?.code === 'EADDRINUSE' || e?.code === 'EACCES' || e?.code === 'EADDRNOTAVAIL') {
    const where =
      e.address === undefined ? '' : ` ${e.address.includes(':') ? `[${e.address}]` : e.address}:${e.port}`;
    const why =
      e.code === 'EADDRINUSE'
        ? 'the address is already in use (another server on that port? pick one with --port)'
        : e.code === 'EACCES'
          ? 'permission denied'
          : 'the address is not available on this machine';
    return { line: `cannot listen on${where}: ${why} (${e.code})`, exitCode: 1 };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { line: `cannot start: ${message.split('\n')[0]}${e?.code ? ` (${e.code})` : ''}`, exitCode: 1 };
}
