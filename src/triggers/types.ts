/**
 * Triggers and the asynchronous invocation settings of a function, as its definition keeps them
 * (`functions/types.ts`): stored with the function in its catalog (files or PostgreSQL), so they survive
 * restarts and every node of a shared catalog sees the same. Changing them is a change of the function's
 * configuration (a new revision), as on SCF, where the function's `ModTime` moves too.
 */

/** Trigger types scf-local runs. */
export const TRIGGER_TYPES = ['timer', 'apigw'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/**
 * Trigger types SCF has that scf-local does not run (their event sources are cloud services that do not
 * exist here): refused with SCF's `UnsupportedOperation.Trigger`. Any other type is `InvalidParameterValue.Type`.
 */
export const CLOUD_TRIGGER_TYPES = ['cos', 'cmq', 'ckafka', 'cls', 'http', 'mps', 'cm', 'clb', 'tdmq', 'vod'];

export interface TriggerDefinition {
  /** Unique per function and type (SCF: letters, digits, `-` and `_`, at most 100). */
  triggerName: string;
  type: TriggerType;
  /**
   * timer: the cron expression (SCF's seven fields, or its legacy five; `triggers/cron.ts`);
   * apigw: the API Gateway configuration JSON as SCF takes it (scf-local reads only what it documents).
   */
  triggerDesc: string;
  /** The version or alias the trigger invokes; `$LATEST` until versions exist. */
  qualifier: string;
  /** OPEN (true) / CLOSE (false). A closed trigger fires nothing and its HTTP route answers 404. */
  enable: boolean;
  /** timer: the event's `Message`. */
  customArgument: string;
  description: string;
  /** Epoch ms. */
  addTime: number;
  /** Epoch ms. */
  modTime: number;
}

/**
 * SCF's asynchronous invocation settings (`UpdateFunctionEventInvokeConfig`'s `AsyncTriggerConfig`):
 * how many times a failed asynchronous invocation is tried again, and how long an accepted event may wait
 * before it is dropped unrun.
 */
export interface AsyncInvokeConfig {
  /** 0–2; SCF's default 2. */
  retryNum: number;
  /** Seconds an event is kept before its first or next attempt: 60–21600; default 21600 (6 hours). */
  msgTtl: number;
}

export const DEFAULT_ASYNC_CONFIG: AsyncInvokeConfig = Object.freeze({ retryNum: 2, msgTtl: 21600 });
export const MAX_ASYNC_RETRY_NUM = 2;
export const MIN_MSG_TTL_S = 60;
export const MAX_MSG_TTL_S = 21600;

/** SCF's two function types: `Event` functions run a handler; `HTTP` (web) functions serve HTTP on port 9000. */
export const FUNCTION_TYPES = ['Event', 'HTTP'] as const;
export type FunctionType = (typeof FUNCTION_TYPES)[number];
