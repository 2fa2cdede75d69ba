/**
 * What a function's process is told: the environment it is spawned with (a fresh start: the base, the
 * function's own variables, then SCF's; a stem cell: the base only) and the `init` message that binds it to
 * its function (cwd, the whole environment, the context facts). Both kinds of start end up with the same.
 */
import { userLogBudget } from '../log.js';
import { CODE_MOUNT } from '../sandbox/launcher.js';
import { DEFAULT_INIT_TIMEOUT_S, type FunctionRunSpec } from '../types.js';
import type { SandboxRuntime } from './child.js';
import type { InitMessage } from './protocol.js';

/** The fixed base environment of a function process: the server's own environment is never inherited. */
const BASE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/tmp',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  TZ: 'UTC',
};

/** Where every function of this platform runs, as its processes are told. */
export interface PlatformFacts {
  region: string;
  appId: string;
  uin: string;
  /** The sandbox every instance runs in; undefined = plain processes (`runtime.sandbox: "off"`). */
  sandbox: SandboxRuntime | undefined;
}

/** The whole environment of a function's process, in order: base, the function's own, then SCF's. */
function functionEnv(fn: FunctionRunSpec, facts: PlatformFacts): Record<string, string> {
  return {
    ...BASE_ENV,
    ...fn.environment,
    SCF_RUNTIME: fn.runtime,
    SCF_NAMESPACE: fn.namespace,
    SCF_FUNCTIONNAME: fn.functionName,
    SCF_FUNCTIONVERSION: fn.version ?? '$LATEST',
    SCF_MEMORYSIZE: String(fn.memorySize),
    SCF_TIMEOUT: String(fn.timeout),
    SCF_CODE: facts.sandbox ? CODE_MOUNT : fn.codeDir,
    TENCENTCLOUD_REGION: facts.region,
    TENCENTCLOUD_APPID: facts.appId,
    TENCENTCLOUD_UIN: facts.uin,
    TENCENTCLOUD_RUNENV: 'SCF',
  };
}

/** The environment a process is spawned with: `fn`'s whole one, or the base only for a stem cell (no `fn`). */
export function spawnEnv(fn: FunctionRunSpec | undefined, facts: PlatformFacts): Record<string, string> {
  return fn ? functionEnv(fn, facts) : { ...BASE_ENV };
}

/** The `init` message that binds a ready process to `fn`; `maxLogBytes` is the whole log's cap. */
export function initMessage(
  fn: FunctionRunSpec,
  facts: PlatformFacts & { maxLogBytes: number },
): InitMessage {
  return {
    t: 'init',
    namespace: fn.namespace,
    functionName: fn.functionName,
    handler: fn.handler,
    codeDir: facts.sandbox ? CODE_MOUNT : fn.codeDir,
    memorySize: fn.memorySize,
    timeout: fn.timeout,
    region: facts.region,
    appId: facts.appId,
    uin: facts.uin,
    environment: fn.environment,
    env: functionEnv(fn, facts),
    maxLogBytes: userLogBudget(facts.maxLogBytes),
    initTimeout: fn.initTimeout ?? DEFAULT_INIT_TIMEOUT_S,
  };
}
