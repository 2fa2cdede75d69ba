/**
 * API 3.0 spellings <-> the trigger operations (CreateTrigger, UpdateTrigger, UpdateTriggerStatus,
 * DeleteTrigger, ListTriggers) and the async invocation settings (UpdateFunctionEventInvokeConfig, with
 * PutFunctionEventInvokeConfig as another name for it, and GetFunctionEventInvokeConfig). Response models:
 * `Trigger`, `TriggerInfo`, `AsyncTriggerConfig` of `scf_models.d.ts`.
 */
import { z } from 'zod';
import type { AsyncInvokeConfig, TriggerDefinition } from '../../../triggers/types.js';
import type { CreateTriggerInput, ListTriggersInput, UpdateTriggerInput } from '../../operations/triggers.js';
import { formatApiTime } from '../../time.js';
import { functionRefInput } from './manage.js';
import type { MappingEnv } from './mapping.js';
import { badValue, filtersInput, isPlainObject, type Json, v3 } from './params.js';

const REF = { FunctionName: v3.required(), Namespace: v3.str() };
const TRIGGER_REF = { ...REF, TriggerName: v3.required(), Type: v3.required() };

export const CREATE_TRIGGER = z.object({
  ...TRIGGER_REF,
  TriggerDesc: v3.str(),
  Qualifier: v3.str(),
  Enable: v3.str(),
  CustomArgument: v3.str(),
  Description: v3.str(),
});

const triggerRef = (p: z.output<z.ZodObject<typeof TRIGGER_REF>>) => ({
  ...functionRefInput(p),
  triggerName: p.TriggerName,
  type: p.Type,
});

/** The optional trigger fields, where given. */
function triggerFields(p: {
  TriggerDesc?: string | undefined;
  Qualifier?: string | undefined;
  Enable?: string | undefined;
  CustomArgument?: string | undefined;
  Description?: string | undefined;
}): Omit<UpdateTriggerInput, 'functionName' | 'triggerName' | 'type'> {
  return {
    ...(p.TriggerDesc === undefined ? {} : { triggerDesc: p.TriggerDesc }),
    ...(p.Qualifier === undefined ? {} : { qualifier: p.Qualifier }),
    ...(p.Enable === undefined ? {} : { enable: p.Enable }),
    ...(p.CustomArgument === undefined ? {} : { customArgument: p.CustomArgument }),
    ...(p.Description === undefined ? {} : { description: p.Description }),
  };
}

export const createTriggerInput = (p: z.output<typeof CREATE_TRIGGER>): CreateTriggerInput => ({
  ...triggerRef(p),
  ...triggerFields(p),
});

export const UPDATE_TRIGGER = CREATE_TRIGGER;
export const updateTriggerInput = createTriggerInput;

/** UpdateTriggerStatus: Enable is required; TriggerDesc only names a COS trigger's event (ignored here). */
export const UPDATE_TRIGGER_STATUS = z.object({
  ...TRIGGER_REF,
  Enable: v3.required(),
  Qualifier: v3.str(),
  TriggerDesc: v3.str(),
});

export const updateTriggerStatusInput = (p: z.output<typeof UPDATE_TRIGGER_STATUS>): UpdateTriggerInput => ({
  ...triggerRef(p),
  enable: p.Enable,
  ...(p.Qualifier === undefined ? {} : { qualifier: p.Qualifier }),
});

export const DELETE_TRIGGER = z.object({ ...TRIGGER_REF, TriggerDesc: v3.str(), Qualifier: v3.str() });

export const deleteTriggerInput = (p: z.output<typeof DELETE_TRIGGER>) => ({
  ...triggerRef(p),
  ...(p.Qualifier === undefined ? {} : { qualifier: p.Qualifier }),
});

export const LIST_TRIGGERS = z.object({
  ...REF,
  Offset: v3.int({ min: 0 }),
  Limit: v3.int({ min: 0 }),
  OrderBy: v3.oneOf(['add_time', 'mod_time'] as const, { caseInsensitive: true }),
  Order: v3.oneOf(['ASC', 'DESC'] as const, { caseInsensitive: true }),
  Filters: v3.list(),
});

export function listTriggersInput(p: z.output<typeof LIST_TRIGGERS>): ListTriggersInput {
  return {
    ...functionRefInput(p),
    ...(p.Offset === undefined ? {} : { offset: p.Offset }),
    ...(p.Limit === undefined ? {} : { limit: p.Limit }),
    ...(p.OrderBy === undefined ? {} : { orderBy: p.OrderBy }),
    ...(p.Order === undefined ? {} : { order: p.Order }),
    ...(p.Filters === undefined ? {} : { filters: filtersInput(p.Filters) }),
  };
}

/** A trigger as the `Trigger` model (CreateTrigger's TriggerInfo, GetFunction's Triggers). */
export function triggerModel(t: TriggerDefinition, env: MappingEnv): Json {
  return {
    ModTime: formatApiTime(t.modTime, env.timeZoneOffsetMinutes),
    Type: t.type,
    TriggerDesc: t.triggerDesc,
    TriggerName: t.triggerName,
    AddTime: formatApiTime(t.addTime, env.timeZoneOffsetMinutes),
    Enable: t.enable ? 1 : 0,
    CustomArgument: t.customArgument,
    AvailableStatus: 'Available',
    ResourceId: '',
    BindStatus: '',
    TriggerAttribute: '',
    Qualifier: t.qualifier,
    Description: t.description,
  };
}

/** A trigger as the `TriggerInfo` model (ListTriggers). */
export function triggerInfoModel(t: TriggerDefinition, env: MappingEnv): Json {
  return { ...triggerModel(t, env), BoundResources: '' };
}

export const listTriggersResponse = (
  out: { total: number; triggers: TriggerDefinition[] },
  env: MappingEnv,
): Json => ({ TotalCount: out.total, Triggers: out.triggers.map((t) => triggerInfoModel(t, env)) });

export const UPDATE_EVENT_INVOKE_CONFIG = z.object({ ...REF, AsyncTriggerConfig: v3.object({}) });

/** `AsyncTriggerConfig: {RetryConfig: [{RetryNum}], MsgTTL}`: either part may be left out. */
export function updateEventInvokeConfigInput(
  p: z.output<typeof UPDATE_EVENT_INVOKE_CONFIG>,
  params: Json,
): { functionName: string; namespace?: string; retryNum?: number; msgTtl?: number } {
  const cfg = params['AsyncTriggerConfig'];
  if (!isPlainObject(cfg)) throw badValue('AsyncTriggerConfig', 'AsyncTriggerConfig is required');
  const out: { functionName: string; namespace?: string; retryNum?: number; msgTtl?: number } =
    functionRefInput(p);
  const retry = cfg['RetryConfig'];
  if (retry !== undefined) {
    const first = Array.isArray(retry) ? retry[0] : undefined;
    if (!isPlainObject(first) || first['RetryNum'] === undefined) {
      throw badValue('AsyncTriggerConfig', 'AsyncTriggerConfig.RetryConfig must be [{RetryNum}]');
    }
    out.retryNum = numeric(first['RetryNum'], 'AsyncTriggerConfig');
  }
  if (cfg['MsgTTL'] !== undefined) out.msgTtl = numeric(cfg['MsgTTL'], 'AsyncTriggerConfig');
  return out;
}

/** A number, or a numeric string (GET and form requests carry every value as text). */
function numeric(v: unknown, field: string): number {
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw badValue(field, `${field} values must be integers`);
  return n;
}

export const GET_EVENT_INVOKE_CONFIG = z.object({ ...REF, Qualifier: v3.str() });

export const getEventInvokeConfigInput = (p: z.output<typeof GET_EVENT_INVOKE_CONFIG>) => ({
  ...functionRefInput(p),
  ...(p.Qualifier === undefined ? {} : { qualifier: p.Qualifier }),
});

export const eventInvokeConfigResponse = (c: AsyncInvokeConfig): Json => ({
  AsyncTriggerConfig: { RetryConfig: [{ RetryNum: c.retryNum }], MsgTTL: c.msgTtl },
});
