/**
 * `scf-local console`: opens the web console (`/console/` of the server) in a browser, already signed in.
 * The key never goes into the address: the CLI asks the server for a one-time code (valid once, for 60 s;
 * src/api/console/), and the page exchanges it by POST for the key, which it keeps in the tab's
 * sessionStorage, and removes it from the address bar. `--no-open` prints the address instead of
 * opening it (the code still works once).
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { type CliContext, type GlobalFlags, withClient } from '../context.js';
import type { CliEnvironment } from '../env.js';

/** The command that opens a URL here: $BROWSER, else the platform's opener. */
function opener(env: CliEnvironment): { cmd: string; args: string[] } {
  if (env.browser) return { cmd: env.browser, args: [] };
  if (process.platform === 'darwin') return { cmd: 'open', args: [] };
  if (process.platform === 'win32') return { cmd: 'cmd', args: ['/c', 'start', '""'] };
  return { cmd: 'xdg-open', args: [] };
}

/** Starts the browser, detached; resolves false when it could not be started (no display, no opener). */
function openUrl(url: string, env: CliEnvironment): Promise<boolean> {
  const { cmd, args } = opener(env);
  return new Promise((resolve) => {
    try {
      const child = spawn(cmd, [...args, url], { detached: true, stdio: 'ignore' });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      // spawn throws synchronously on a malformed command (an odd $BROWSER): the address is printed instead.
      resolve(false);
    }
  });
}

export function registerConsole(program: Command, ctx: CliContext): void {
  program
    .command('console')
    .description(
      'open the web console in a browser, signed in (a one-time code, never the key, in the address)',
    )
    .option('--no-open', 'print the address (with its one-time code) instead of opening a browser')
    .action(async (_opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<GlobalFlags & { open?: boolean }>();
      const { stdout, stderr } = ctx.io;
      await withClient(flags, ctx.env, async (client) => {
        const { code, expiresInSeconds } = await client.createConsoleLogin();
        const url = `${client.endpoint}/console/?login=${encodeURIComponent(code)}`;
        if (flags.open !== false && (await openUrl(url, ctx.env))) {
          stdout.write(`Opened the console at ${client.endpoint}/console/ (signed in)\n`);
          return;
        }
        if (flags.open !== false) stderr.write('could not start a browser; open this address yourself:\n');
        stdout.write(`${url}\n`);
        stderr.write(
          `(the sign-in code in it works once, within ${expiresInSeconds} s; afterwards ${client.endpoint}/console/ asks for the key)\n`,
        );
      });
    });
}
