/**
 * A language's part of the process runtime (`runtime.ts`): which SCF runtime names it runs, the
 * interpreter and bootstrap that make an instance's process, and the few facts about that process the
 * shared machinery must know. Everything else (the sandbox, the frame protocol, pools, stem cells,
 * memory, timeouts, the record) is the same for every language. One implementation per language, in
 * `src/runtime/<language>/language.ts`; nothing outside those folders branches on the language.
 *
 * Every bootstrap speaks the protocol of `protocol.ts`: `init`/`invoke` as JSON lines on fd 4, frames as
 * JSON lines on fd 3, the function's own output on fds 1 and 2.
 */
import { execFileSync } from 'node:child_process';
import type { FunctionRunSpec, FunctionType } from '../types.js';

/**
 * What an interpreter prints of its version when run with `args` (`--version`), trimmed; undefined when
 * it cannot run here. Asked once per language, when the runtime is made.
 */
export function askVersion(binary: string, args: readonly string[]): string | undefined {
  try {
    const out = execFileSync(binary, args, {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface Language {
  /** Short name (`node`, `python`): names its stem cells and appears in messages. */
  readonly id: string;
  /** What actually runs the functions, as said to users (`Node.js v20.11.1`, `Python 3.11.2`). */
  readonly label: string;
  /**
   * The SCF function type it runs: `Event` (default; a handler called with events) or `HTTP` (web
   * functions: a server answering HTTP requests). A function is run by the first language of its type
   * that `runs` its runtime name.
   */
  readonly functionType?: FunctionType;
  /** True for the SCF runtime names it runs (`Nodejs18.15`, `Python3.9`). */
  runs(runtime: string): boolean;
  /**
   * `label` when it is not the version `runtime` names (`Node.js v20.20.2` for `Nodejs16.13`), else
   * undefined: said on each record's START line and by GetFunction, so nothing claims a version that is
   * not running.
   */
  ranOn(runtime: string): string | undefined;
  /** Host path of the interpreter; the sandbox binds its install prefix when it is outside `/usr`. */
  readonly binary: string;
  /**
   * The bootstrap's files, relative to the runtime folder (`dist/src/runtime`): each is copied to the same
   * path under `/var/runtime` in every sandbox.
   */
  readonly files: readonly string[];
  /**
   * The command line of an instance's process. `runtimeDir` is the runtime folder as the process sees it
   * (`/var/runtime` in a sandbox); `memorySize` (MB) is fixed for the process's life.
   */
  command(runtimeDir: string, memorySize: number): string[];
  /**
   * Environment variables read when the process starts (by the interpreter or the C library): setting them
   * in a running process would not act as a fresh start does, so a function that sets one never gets a
   * stem cell.
   */
  readonly startupVariable: RegExp;
  /** Stem cells are started with the runtime (true), or after the language's first cold start. */
  readonly eagerStemCells: boolean;
  /**
   * Its bootstrap loads the function's code on a `load` message (provisioned instances load it ahead of
   * their first invocation). Without it, a provisioned instance is started and bound ahead, and its code
   * loads in its first invocation.
   */
  readonly preloads?: boolean;
  /** stderr text by which the interpreter says it ran out of memory: the exit that follows is a 434. */
  readonly memoryFailure?: RegExp;
  /**
   * The main process's memory is the function's (default true). False for a language whose main process
   * only hosts the function's own processes (the Custom Runtime's runtime API server): then memUsage and
   * the memory limit count every other process of the instance.
   */
  readonly countMain?: boolean;
  /** How long binding a process to `fn` may take, ms (default START_DEADLINE_MS): the function's own init. */
  bindDeadlineMs?(fn: FunctionRunSpec): number;
}
