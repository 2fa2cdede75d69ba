/**
 * The wire protocol between the runtime (parent) and a Node.js instance (child bootstrap).
 *
 * Two channels, one per direction, chosen so that nothing the child says can be lost:
 * - parent -> child: Node IPC (`stdio[4] = 'ipc'`, JSON serialisation). Only `init` and `invoke`.
 * - child -> parent: newline-delimited JSON frames on a dedicated pipe at **fd 3**, written by the child
 *   with `fs.writeSync` on a blocking socket, so a frame is in the kernel before the next statement runs:
 *   a child that then spins forever (`while(true){}`), exits or is SIGKILLed has already delivered every
 *   log line and result it produced. IPC is not used in this direction because `process.send` is
 *   asynchronous (a blocked or dying child would lose what is still queued in it).
 * fds 1 and 2 are pipes too: raw output (native code, subprocesses, V8's fatal messages) is captured by the
 * parent and attributed to the running invocation.
 *
 * Both sides check every message on receipt (`parseChildFrame`, `parseParentMessage`): a malformed one is
 * a protocol fault, never trusted. This file imports nothing but the retCodes (`../results.ts`, itself
 * import-free): the bootstrap loads it inside the sandbox.
 */
import { type ChildRetCode, RET_CODE } from '../results.js';

/** The frame pipe, child -> parent (every bootstrap's; the Python one spells it again). */
export const FRAME_FD = 3;
/** A bootstrap's exit codes the parent knows (the Python bootstrap spells them again). */
export const CHILD_EXIT = {
  /** The parent talked nonsense or disappeared: the instance cannot be trusted any more. */
  PROTOCOL: 70,
  /** `init` could not be applied (no code folder; no scf_bootstrap): said on fd 2 to the parent. */
  INIT: 71,
} as const;

/**
 * Binds the instance to a function: static facts about it, sent once per instance after `ready`. The child
 * enters `codeDir`, replaces its whole `process.env` with `env`, then answers `bound`. A fresh process was
 * spawned with that cwd and env already (so this changes nothing); a stem cell (a process started ahead of
 * demand, before its function was known) gets them here, and ends up indistinguishable from a fresh one.
 */
export interface InitMessage {
  t: 'init';
  namespace: string;
  functionName: string;
  /** `file.export`, e.g. `index.main_handler`. */
  handler: string;
  codeDir: string;
  memorySize: number;
  /** Seconds. */
  timeout: number;
  region: string;
  appId: string;
  uin: string;
  /** The function's own environment variables (for `context.environment` / `context.environ`). */
  environment: Record<string, string>;
  /** The process's whole environment (base + function + SCF variables), in order. */
  env: Record<string, string>;
  /** Cap on the user log bytes the child sends per invocation (the rest is counted, not sent). */
  maxLogBytes: number;
  /** Seconds the function's own initialisation may take (a Custom Runtime's bootstrap, until ready). */
  initTimeout: number;
}

/** Run one invocation. The parent sends it only to an idle instance (one at a time). */
export interface InvokeMessage {
  t: 'invoke';
  /** Request id. */
  id: string;
  /** Qualifier (`context.function_version`). */
  q: string;
  /** The event as JSON text; parsed in the child. */
  ev: string;
}

/**
 * Load the function's code now, outside any invocation (a provisioned instance, started ahead of demand),
 * then answer `loaded`. Sent only to a bound, idle instance of a language that `preloads`. What the code
 * prints meanwhile belongs to no invocation and is not carried into the next one's log.
 */
export interface LoadMessage {
  t: 'load';
}

export type ParentMessage = InitMessage | InvokeMessage | LoadMessage;

/** The child is listening for IPC messages (sent once, before `init`). */
export interface ReadyFrame {
  t: 'ready';
  pid: number;
}

/** The child applied `init` (cwd, environment): it now runs that function. */
export interface BoundFrame {
  t: 'bound';
}

/** The function's code is loaded (answer to `load`). A code that fails to load ends the process instead. */
export interface LoadedFrame {
  t: 'loaded';
}

/** Formatted user log text of the running invocation (prefixed lines; may end mid-line). */
export interface LogFrame {
  t: 'log';
  d: string;
}

/** Fields common to both kinds of `done`. */
interface DoneBase {
  /** Request id this result belongs to. */
  id: string;
  /** User log bytes the child dropped because of the cap. */
  drop: number;
}

export interface DoneOkFrame extends DoneBase {
  t: 'done';
  ok: true;
  /** JSON text of the result (`null` for undefined). */
  ret: string;
}

export interface DoneErrorFrame extends DoneBase {
  t: 'done';
  ok: false;
  /** USER_CODE_EXCEPTION or HANDLER_NOT_FOUND. */
  code: ChildRetCode;
  msg: string;
  stack: string;
  /** The instance is unusable (module failed to load, uncaught exception): the child exits next. */
  fatal: boolean;
}

export type ChildFrame = ReadyFrame | BoundFrame | LoadedFrame | LogFrame | DoneOkFrame | DoneErrorFrame;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStrRecord = (v: unknown): v is Record<string, string> => isObj(v) && Object.values(v).every(isStr);

/** Parses and checks one frame line from the child; undefined when it is not a valid frame. */
export function parseChildFrame(line: string): ChildFrame | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObj(v)) return undefined;
  switch (v['t']) {
    case 'log':
      return isStr(v['d']) ? (v as unknown as LogFrame) : undefined;
    case 'ready':
      return isNum(v['pid']) ? (v as unknown as ReadyFrame) : undefined;
    case 'bound':
      return { t: 'bound' };
    case 'loaded':
      return { t: 'loaded' };
    case 'done': {
      if (!isStr(v['id']) || !isNum(v['drop'])) return undefined;
      if (v['ok'] === true) return isStr(v['ret']) ? (v as unknown as DoneOkFrame) : undefined;
      if (v['ok'] !== false) return undefined;
      const okShape =
        (v['code'] === RET_CODE.USER_CODE_EXCEPTION || v['code'] === RET_CODE.HANDLER_NOT_FOUND) &&
        isStr(v['msg']) &&
        isStr(v['stack']) &&
        typeof v['fatal'] === 'boolean';
      return okShape ? (v as unknown as DoneErrorFrame) : undefined;
    }
    default:
      return undefined;
  }
}

/** Checks a message received by the child over IPC; undefined when it is not a valid message. */
export function parseParentMessage(v: unknown): ParentMessage | undefined {
  if (!isObj(v)) return undefined;
  if (v['t'] === 'load') return { t: 'load' };
  if (v['t'] === 'invoke') {
    return isStr(v['id']) && isStr(v['q']) && isStr(v['ev']) ? (v as unknown as InvokeMessage) : undefined;
  }
  if (v['t'] === 'init') {
    const ok =
      isStr(v['namespace']) &&
      isStr(v['functionName']) &&
      isStr(v['handler']) &&
      isStr(v['codeDir']) &&
      isNum(v['memorySize']) &&
      isNum(v['timeout']) &&
      isStr(v['region']) &&
      isStr(v['appId']) &&
      isStr(v['uin']) &&
      isObj(v['environment']) &&
      isStrRecord(v['env']) &&
      isNum(v['maxLogBytes']);
    return ok ? (v as unknown as InitMessage) : undefined;
  }
  return undefined;
}
