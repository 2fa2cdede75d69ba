/**
 * What an instance's process is started as: the command line and stdio of a sandboxed or a plain instance
 * (`child.ts` owns the process once it exists).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { ScfError } from '../../errors/index.js';
import { findSetpriv } from '../sandbox/detect.js';
import type { SandboxLauncher } from '../sandbox/launcher.js';
import type { SpawnSpec } from './child.js';

type LaunchPlan = ReturnType<SandboxLauncher['plan']>;

/**
 * Starts the bootstrap's process: bwrap with the launcher's plan (a fresh code slot), or a plain process
 * group through `setpriv --pdeathsig KILL` when there is one, so it dies with the server (see
 * `InstanceProcess.diesWithServer`). Throws InternalError, having removed the slot, when spawn throws.
 */
export function launch(spec: SpawnSpec): {
  child: ChildProcess;
  plan: LaunchPlan | undefined;
  /** A plain process started through `setpriv --pdeathsig KILL`: the kernel kills it with the server. */
  viaSetpriv: boolean;
} {
  const sandbox = spec.sandbox;
  let child: ChildProcess;
  let plan: LaunchPlan | undefined;
  let viaSetpriv = false;
  try {
    if (sandbox) {
      plan = sandbox.launcher.plan(spec.codeDir, spec.command);
      const stdio: ('pipe' | 'ipc' | 'ignore')[] = ['ignore', 'pipe', 'pipe', 'pipe', 'ipc', 'pipe'];
      if (plan.blockFd !== undefined) stdio.push('pipe');
      child = spawn(plan.file, plan.args, {
        env: spec.env,
        stdio,
        serialization: 'json',
        detached: true,
        ...(sandbox.ids ?? {}),
      });
    } else {
      // spawn reports a missing cwd as the binary's ENOENT: say which is missing.
      if (spec.codeDir !== undefined && !existsSync(spec.codeDir)) {
        throw new Error(`the code folder ${spec.codeDir} does not exist`);
      }
      // Through setpriv when there is one, so the instance dies with the server (see `diesWithServer`).
      const setpriv = findSetpriv();
      viaSetpriv = setpriv !== undefined;
      const [file, args] = setpriv
        ? [setpriv, ['--pdeathsig', 'KILL', '--', ...spec.command]]
        : [spec.command[0]!, spec.command.slice(1)];
      child = spawn(file, args, {
        cwd: spec.codeDir ?? '/',
        env: spec.env,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'ipc'],
        serialization: 'json',
        // Own process group: a kill takes the function's subprocesses with it.
        detached: true,
      });
    }
  } catch (err) {
    if (plan?.slot) sandbox?.launcher.removeSlot(plan.slot);
    throw new ScfError('InternalError', `cannot start a process for ${spec.label}`, { cause: err });
  }
  return { child, plan, viaSetpriv };
}
