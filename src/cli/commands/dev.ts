/**
 * `scf-local dev <dir>`: the inner loop in one terminal. Deploys the folder (creating the function if it
 * does not exist, as `deploy` does), follows that function's logs (as `logs --follow`), watches the folder
 * and redeploys its code after every change, and with `--invoke` invokes the function at start and after
 * each redeploy that succeeded.
 *
 * - Watching and batching are `../watch.ts`: one redeploy per burst of changes (`--debounce`), never two
 *   at once, the folders packaging skips left out.
 * - The configuration flags (`--memory`, `--env`, ...) are applied by the first deploy; later ones replace
 *   the code only (UpdateFunctionCode), which the server switches to in one step: an invocation runs the
 *   old code or the new, whole (`docs/runtime.md`).
 * - A deploy that fails (no handler file, a folder over the server's upload limit, the server refusing or
 *   unreachable) is reported, and the loop goes on watching; the next change tries again. What cannot
 *   work at all (no server at start, rejected credentials, a missing namespace) ends the command.
 * - Ctrl-C (SIGINT) or SIGTERM stops watching and following and ends with exit 0; the function stays
 *   deployed.
 */
import type { Command } from 'commander';
import { ScfError } from '../../errors/index.js';
import type { ApiClient } from '../client.js';
import { type CliContext, createClient, styleFor } from '../context.js';
import { formatMs, shortId, statusName, styleStatus } from '../format.js';
import { formatSize } from '../pack.js';
import { describeError } from '../report.js';
import { Tail } from '../tail.js';
import { FolderWatcher } from '../watch.js';
import { addDeployOptions, type DeployFlags, deployFolder, deployPlan, intArg } from './deploy.js';
import { followPrinter } from './logs.js';

interface DevFlags extends DeployFlags {
  /** The event as JSON text; `true` for `--invoke` alone (the event `{}`). */
  invoke?: string | true;
  debounce: number;
  utc?: boolean;
}

/** Quiet time after the last change before redeploying: a save storm settles well within it. */
export const DEFAULT_DEBOUNCE_MS = 100;
/** The most of a return value `--invoke` shows. */
const SHOWN_RESULT_CHARS = 500;

/** `--invoke`'s event: `{}` alone, else JSON text (a usage error otherwise). */
function invokeEvent(value: string | true | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === true || value.trim() === '') return '{}';
  try {
    JSON.parse(value);
  } catch (err) {
    throw new ScfError('InvalidParameter', `--invoke: the event is not valid JSON: ${value}`, { cause: err });
  }
  return value;
}

/** `a.js changed`, `a.js and b.js changed`, `a.js and 41 more changed`. */
function changedText(paths: readonly string[]): string {
  if (paths.length === 0) return 'redeploying';
  const [first, second] = paths;
  const what =
    paths.length === 1
      ? first
      : paths.length === 2
        ? `${first} and ${second}`
        : `${first} and ${paths.length - 1} more`;
  return `${what} changed; redeploying`;
}

export function registerDev(program: Command, ctx: CliContext): void {
  addDeployOptions(
    program
      .command('dev <dir>')
      .description(
        'deploy a function folder, follow its logs, and redeploy on every change (Ctrl-C stops; the ' +
          'function stays deployed)',
      ),
  )
    .option(
      '-i, --invoke [json]',
      'invoke the function with this event (default {}) at start and after each redeploy',
    )
    .option(
      '--debounce <ms>',
      `redeploy once the folder has been quiet this long (default ${DEFAULT_DEBOUNCE_MS})`,
      intArg('--debounce'),
      DEFAULT_DEBOUNCE_MS,
    )
    .option('--utc', 'show times in UTC instead of your time zone')
    .action(async (dir: string, _opts: unknown, cmd: Command) => {
      const flags = cmd.optsWithGlobals<DevFlags>();
      // Everything that can be refused without the server is, first.
      const plan = deployPlan(dir, flags);
      const event = invokeEvent(flags.invoke);
      const client = createClient(flags, ctx.env);
      try {
        await runDev(ctx, client, { flags, plan, event });
      } finally {
        client.close();
      }
    });
}

async function runDev(
  ctx: CliContext,
  client: ApiClient,
  options: { flags: DevFlags; plan: ReturnType<typeof deployPlan>; event: string | undefined },
): Promise<void> {
  const { flags, plan, event } = options;
  const { stdout, stderr } = ctx.io;
  const style = styleFor(stdout, flags, ctx.env);
  const note = (text: string): void => {
    stderr.write(`${style.dim(`scf-local: ${text}`)}\n`);
  };
  const namespace = plan.namespace ?? 'default';
  const base: Record<string, unknown> = { FunctionName: plan.name };
  if (plan.namespace) base['Namespace'] = plan.namespace;

  // The server is there, takes these credentials, and has the namespace: otherwise nothing can work.
  await client.call('ListFunctions', { Namespace: namespace, Limit: 1 });

  /** Set once the loop is ending (a signal, or a failure): what is cut off then is not reported. */
  let stopping = false;
  let signalled = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => {
    stop = () => {
      stopping = true;
      signalled = true;
      resolve();
    };
  });
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  // Following starts before the first deploy, so the first invocation's lines are shown too.
  let ready!: () => void;
  const connected = new Promise<void>((resolve) => {
    ready = resolve;
  });
  const print = followPrinter({
    stdout,
    style,
    utc: flags.utc === true,
    ndjson: false,
    table: {},
    several: false,
  });
  const tail = new Tail(client, {
    functionName: plan.name,
    namespace,
    onEvent: (e) => {
      if (e.kind === 'ready') ready();
      print(e);
    },
    onNotice: note,
  });
  const following = tail.run();
  // A tail that cannot go on (credentials withdrawn) ends the command with its error.
  const tailFailed = following.then(
    () => new Promise<never>(() => {}),
    (err: unknown) => Promise.reject(err),
  );

  let configured = false;
  const invoke = async (): Promise<void> => {
    if (event === undefined) return;
    const { Result: r = {} } = await client.call<{
      Result?: {
        RetMsg?: string;
        ErrMsg?: string;
        Duration?: number;
        FunctionRequestId?: string;
        InvokeResult?: number;
      };
    }>('Invoke', { ...base, InvocationType: 'RequestResponse', ClientContext: event, LogType: 'None' });
    const retCode = r.InvokeResult ?? 0;
    const id = shortId(r.FunctionRequestId ?? '');
    if (retCode === 0) {
      const text = r.RetMsg ?? '';
      const shown = text.length > SHOWN_RESULT_CHARS ? `${text.slice(0, SHOWN_RESULT_CHARS)}…` : text;
      note(
        `invoked ${plan.name} (${id}): ${styleStatus(retCode, style)} in ${formatMs(r.Duration ?? 0)} → ${shown}`,
      );
    } else {
      note(
        `invoked ${plan.name} (${id}): ${statusName(retCode)} (retCode ${retCode})${r.ErrMsg ? `: ${r.ErrMsg}` : ''}`,
      );
    }
  };
  const cycle = async (paths: string[]): Promise<void> => {
    if (stopping) return;
    if (paths.length > 0) note(changedText(paths));
    const started = performance.now();
    let result: Awaited<ReturnType<typeof deployFolder>>;
    try {
      result = await deployFolder(client, plan, { stderr, codeOnly: configured });
    } catch (err) {
      if (stopping) return; // cut off by Ctrl-C: nothing to report
      const { message } = describeError(err, process.argv);
      stderr.write(
        `scf-local: deploy failed: ${message ?? String(err)}; still watching ${plan.dir} (save to try again)\n`,
      );
      return;
    }
    configured = true;
    const ms = Math.round(performance.now() - started);
    note(
      `${result.created ? 'created' : 'updated'} ${plan.name} (namespace ${namespace}) in ${ms} ms: ` +
        `${result.files} file(s), ${formatSize(result.zipBytes)} zip`,
    );
    try {
      await invoke();
    } catch (err) {
      if (stopping) return;
      const { message } = describeError(err, process.argv);
      stderr.write(`scf-local: invoke failed: ${message ?? String(err)}\n`);
    }
  };

  let watcher: FolderWatcher | undefined;
  try {
    await Promise.race([connected, tailFailed, stopped]);
    if (stopping) return;
    watcher = await FolderWatcher.open(plan.abs, {
      debounceMs: flags.debounce,
      onBatch: cycle,
      onError: (err) => note(`watching ${plan.dir}: ${err instanceof Error ? err.message : String(err)}`),
    });
    note(
      `watching ${plan.dir} for function ${plan.name} (namespace ${namespace}); Ctrl-C stops, the function stays deployed`,
    );
    watcher.runNow();
    await Promise.race([stopped, tailFailed]);
  } finally {
    stopping = true;
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    tail.stop();
    // Cuts off a request in flight (a deploy or an invocation): its outcome is no longer anyone's.
    client.close();
    await watcher?.close();
    await following.catch(() => {
      // Already reported through tailFailed, or cut off by the stop itself.
    });
    if (signalled) {
      note(
        `stopped; ${plan.name} stays deployed in namespace ${namespace} (scf-local rm ${plan.name} deletes it)`,
      );
    }
  }
}
