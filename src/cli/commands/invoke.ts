/**
 * `scf-local invoke <name>`: runs a function (Invoke, RequestResponse or Event) with an event from --data,
 * --file (`-` = stdin) or piped stdin. The return value goes to stdout, the summary (and the log with
 * --log) to stderr, so `scf-local invoke f | jq` works. A failed invocation exits 1 and says why.
 */
import { fstatSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ScfError } from '../../errors/index.js';
import { type CliContext, type GlobalFlags, styleFor, withClient } from '../context.js';
import { formatMb, formatMs, statusName, styleStatus } from '../format.js';

interface InvokeFlags extends GlobalFlags {
  data?: string;
  file?: string;
  async?: boolean;
  log?: boolean;
  json?: boolean;
  namespace?: string;
  qualifier?: string;
}

interface InvokeResult {
  Log?: string;
  RetMsg?: string;
  ErrMsg?: string;
  MemUsage?: number;
  Duration?: number;
  BillDuration?: number;
  FunctionRequestId?: string;
  InvokeResult?: number;
}

/** Is stdin a pipe or a file (something a user redirected into us), rather than a terminal or nothing? */
function stdinIsPiped(): boolean {
  try {
    const st = fstatSync(0);
    return st.isFIFO() || st.isFile();
  } catch {
    // No stdin at all (closed descriptor): nothing to read.
    return false;
  }
}

/**
 * Reads a stream to its end. Stdin is read as a stream, never with `readFileSync(0)`: Node puts a piped
 * stdin in non-blocking mode, so a synchronous read fails with EAGAIN whenever the writer is slower than
 * us (`(sleep 1; echo '{}') | scf-local invoke f`) or the event is larger than the pipe's buffer.
 */
export async function readToEnd(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/** The event text: --data, --file (`-` = stdin), piped stdin, or `{}`; it must be JSON. */
export async function readEvent(
  flags: { data?: string; file?: string },
  readStdin: () => Promise<string>,
  piped: boolean,
): Promise<string> {
  if (flags.data !== undefined && flags.file !== undefined) {
    throw new ScfError('InvalidParameter', 'give the event with --data or --file, not both');
  }
  let text: string;
  let source: string;
  if (flags.data !== undefined) {
    text = flags.data;
    source = '--data';
  } else if (flags.file === '-') {
    source = 'stdin';
    try {
      text = await readStdin();
    } catch (err) {
      throw new ScfError('InvalidParameter', 'cannot read the event from stdin', { cause: err });
    }
  } else if (flags.file !== undefined) {
    source = flags.file;
    try {
      text = await readFile(flags.file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ScfError('InvalidParameter', `cannot read ${flags.file}${code ? ` (${code})` : ''}`, {
        cause: err,
      });
    }
  } else if (piped) {
    text = await readStdin();
    source = 'stdin';
  } else {
    return '{}';
  }
  if (text.trim() === '') return '{}';
  try {
    JSON.parse(text);
  } catch (err) {
    throw new ScfError('InvalidParameter', `the event from ${source} is not valid JSON`, { cause: err });
  }
  return text;
}

export function registerInvoke(program: Command, ctx: CliContext): void {
  program
    .command('invoke <name>')
    .description('invoke a function and print its result (event: --data, --file, or piped stdin; default {})')
    .option('--data <json>', 'the event, as JSON text')
    .option('-f, --file <path>', 'read the event from a file (- = stdin)')
    .option(
      '--async',
      'asynchronous (Event) invocation: print the request id once the event is queued (it runs, and is retried on failure, in the background)',
    )
    .option('--log', 'also print the log (its last 4 KB, as SCF returns it) to stderr')
    .option('--namespace <ns>', 'namespace (default "default")')
    .option(
      '-q, --qualifier <version|alias>',
      'run this version (1, $LATEST) or alias (which picks a version by its weights); default $LATEST',
    )
    .option('--json', 'print the whole result as JSON')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<InvokeFlags>();
      const { stdout, stderr, stdin } = ctx.io;
      const style = styleFor(stderr, flags, ctx.env);
      if (flags.file === '-' && stdin.isTTY) {
        stderr.write(style.dim('reading the event from the terminal; end it with Ctrl-D\n'));
      }
      const event = await readEvent(flags, () => readToEnd(stdin), stdinIsPiped());
      await withClient(flags, ctx.env, async (client) => {
        const params: Record<string, unknown> = {
          FunctionName: name,
          InvocationType: flags.async ? 'Event' : 'RequestResponse',
          ClientContext: event,
          LogType: flags.log ? 'Tail' : 'None',
        };
        if (flags.namespace) params['Namespace'] = flags.namespace;
        if (flags.qualifier !== undefined) params['Qualifier'] = flags.qualifier;
        const { Result: r = {} } = await client.call<{ Result?: InvokeResult }>('Invoke', params);
        const requestId = r.FunctionRequestId ?? '';
        if (flags.async) {
          stdout.write(flags.json ? `${JSON.stringify({ requestId })}\n` : `${requestId}\n`);
          if (!flags.json) {
            stderr.write(
              style.dim(`started; follow it with: scf-local logs ${name} --request-id ${requestId}\n`),
            );
          }
          return;
        }
        const retCode = r.InvokeResult ?? 0;
        const failed = retCode !== 0;
        if (flags.json) {
          const out: Record<string, unknown> = {
            requestId,
            status: statusName(retCode),
            retCode,
            retMsg: r.RetMsg ?? '',
            errMsg: r.ErrMsg ?? '',
            duration: r.Duration ?? 0,
            billDuration: r.BillDuration ?? 0,
            memUsage: r.MemUsage ?? 0,
          };
          if (flags.log) out['log'] = r.Log ?? '';
          stdout.write(`${JSON.stringify(out)}\n`);
        } else {
          if (flags.log && r.Log) stderr.write(r.Log.endsWith('\n') ? r.Log : `${r.Log}\n`);
          if (!failed) {
            const text = r.RetMsg ?? '';
            let shown = text;
            try {
              shown = JSON.stringify(JSON.parse(text), null, 2);
            } catch {
              // Not JSON (a callback-style function may return plain text): print it as it is.
            }
            stdout.write(`${shown}\n`);
          }
          stderr.write(
            style.dim(
              `${requestId}  ${styleStatus(retCode, style)}  ${formatMs(r.Duration ?? 0)} (billed ${r.BillDuration ?? 0} ms)  ${formatMb(r.MemUsage ?? 0)}\n`,
            ),
          );
        }
        if (failed) {
          const why = r.ErrMsg || r.RetMsg || '';
          stderr.write(
            `scf-local: function ${name} failed: ${statusName(retCode)} (retCode ${retCode})${why ? `: ${why}` : ''}\n`,
          );
          process.exitCode = 1;
        }
      });
    });
}
