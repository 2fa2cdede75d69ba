/**
 * SCF's rules for triggers and the async invocation settings, each failure a coded error naming its field
 * (canonical names: `type`, `triggerName`, `triggerDesc`, `enable`, `customArgument`, `description`,
 * `retryNum`, `msgTtl`). The trigger description's own grammar belongs to its type: a timer's cron
 * (`cron.ts`), an API Gateway trigger's JSON (`apigw/`).
 */
import { invalidValue, RULE, ScfError } from '../errors/index.js';
import {
  type AsyncInvokeConfig,
  CLOUD_TRIGGER_TYPES,
  FUNCTION_TYPES,
  type FunctionType,
  MAX_ASYNC_RETRY_NUM,
  MAX_MSG_TTL_S,
  MIN_MSG_TTL_S,
  TRIGGER_TYPES,
  type TriggerType,
} from './types.js';

/** SCF: a timer trigger's name has letters, digits, `-` and `_`, at most 100 characters. */
const TRIGGER_NAME_RE = /^[A-Za-z0-9_-]{1,100}$/;
/** A timer's `CustomArgument` (its events' `Message`): at most 4 KB. */
export const MAX_CUSTOM_ARGUMENT_BYTES = 4096;
/** A trigger's description: at most 100 characters, as SCF's console allows. */
export const MAX_TRIGGER_DESCRIPTION = 100;

export function validateFunctionType(t: unknown): FunctionType {
  if (typeof t !== 'string' || !(FUNCTION_TYPES as readonly string[]).includes(t)) {
    throw invalidValue('type', `Type must be Event or HTTP; got ${JSON.stringify(t)}`);
  }
  return t as FunctionType;
}

export function validateTriggerType(t: unknown): TriggerType {
  if (typeof t === 'string' && (TRIGGER_TYPES as readonly string[]).includes(t)) return t as TriggerType;
  if (typeof t === 'string' && CLOUD_TRIGGER_TYPES.includes(t)) {
    throw new ScfError(
      'UnsupportedOperation',
      `trigger type ${t} is not supported by scf-local (its event source is a cloud service); it runs ${TRIGGER_TYPES.join(' and ')} triggers`,
      { field: 'type', rule: RULE.cloudTrigger },
    );
  }
  throw invalidValue(
    'type',
    `Type ${JSON.stringify(t)} is not a trigger type; scf-local runs ${TRIGGER_TYPES.join(' and ')} triggers`,
  );
}

export function validateTriggerName(name: unknown): string {
  if (typeof name !== 'string' || !TRIGGER_NAME_RE.test(name)) {
    throw invalidValue(
      'triggerName',
      `TriggerName ${JSON.stringify(name)} is invalid: 1 to 100 letters, digits, "-" or "_"`,
    );
  }
  return name;
}

/** `OPEN` -> true, `CLOSE` -> false. */
export function validateEnable(e: unknown): boolean {
  if (e === 'OPEN') return true;
  if (e === 'CLOSE') return false;
  throw invalidValue('enable', `Enable must be OPEN or CLOSE; got ${JSON.stringify(e)}`);
}

export function validateCustomArgument(type: TriggerType, arg: unknown): string {
  if (typeof arg !== 'string') throw invalidValue('customArgument', 'CustomArgument must be a string');
  if (arg !== '' && type !== 'timer') {
    throw invalidValue('customArgument', 'CustomArgument is taken by timer triggers only');
  }
  const bytes = Buffer.byteLength(arg);
  if (bytes > MAX_CUSTOM_ARGUMENT_BYTES) {
    throw invalidValue(
      'customArgument',
      `CustomArgument is ${bytes} bytes, more than the ${MAX_CUSTOM_ARGUMENT_BYTES} allowed`,
    );
  }
  return arg;
}

export function validateTriggerDescription(d: unknown): string {
  if (typeof d !== 'string' || d.length > MAX_TRIGGER_DESCRIPTION) {
    throw invalidValue(
      'description',
      `Description must be a string of at most ${MAX_TRIGGER_DESCRIPTION} characters`,
    );
  }
  return d;
}

/**
 * The trigger description as stored, checked by its type's grammar (`parse` throws an Error whose message
 * says what is wrong), or its default when absent.
 */
export function validateTriggerDesc(
  type: TriggerType,
  desc: unknown,
  grammar: Readonly<Record<TriggerType, TriggerDescGrammar>>,
): string {
  const g = grammar[type];
  if (desc === undefined || desc === '') {
    if (g.defaultDesc === undefined) {
      throw invalidValue('triggerDesc', `TriggerDesc is required for a ${type} trigger`);
    }
    return g.defaultDesc;
  }
  if (typeof desc !== 'string') throw invalidValue('triggerDesc', 'TriggerDesc must be a string');
  try {
    return g.normalize(desc);
  } catch (err) {
    throw new ScfError(
      'InvalidParameterValue',
      `TriggerDesc of a ${type} trigger is invalid: ${err instanceof Error ? err.message : String(err)}`,
      { field: 'triggerDesc', cause: err },
    );
  }
}

/** One trigger type's description grammar. */
export interface TriggerDescGrammar {
  /** The description stored for `desc` (normalised); throws an Error saying what is wrong. */
  normalize(desc: string): string;
  /** Used when TriggerDesc is absent; undefined: it is required. */
  defaultDesc?: string;
}

export function validateAsyncConfig(cfg: { retryNum?: unknown; msgTtl?: unknown }, prev: AsyncInvokeConfig) {
  const out: AsyncInvokeConfig = { ...prev };
  if (cfg.retryNum !== undefined) {
    const n = cfg.retryNum;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      throw invalidValue('retryNum', 'RetryNum must be an integer');
    }
    if (n < 0 || n > MAX_ASYNC_RETRY_NUM) {
      throw new ScfError(
        'InvalidParameterValue',
        `RetryNum ${n} is out of range: 0 to ${MAX_ASYNC_RETRY_NUM}`,
        {
          field: 'retryNum',
          rule: RULE.retryNumRange,
          detail: { max: MAX_ASYNC_RETRY_NUM },
        },
      );
    }
    out.retryNum = n;
  }
  if (cfg.msgTtl !== undefined) {
    const t = cfg.msgTtl;
    if (typeof t !== 'number' || !Number.isInteger(t))
      throw invalidValue('msgTtl', 'MsgTTL must be an integer');
    if (t < MIN_MSG_TTL_S || t > MAX_MSG_TTL_S) {
      throw new ScfError(
        'InvalidParameterValue',
        `MsgTTL ${t} is out of range: ${MIN_MSG_TTL_S} to ${MAX_MSG_TTL_S} seconds`,
        { field: 'msgTtl', rule: RULE.msgTtlRange, detail: { min: MIN_MSG_TTL_S, max: MAX_MSG_TTL_S } },
      );
    }
    out.msgTtl = t;
  }
  return out;
}
