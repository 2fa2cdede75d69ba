/**
 * Trigger management (CreateTrigger, UpdateTrigger, UpdateTriggerStatus, DeleteTrigger, ListTriggers) and
 * the asynchronous invocation settings (Update/GetFunctionEventInvokeConfig). A function's triggers and
 * settings live in its definition (`triggers/types.ts`); each change is one registry change, planned from
 * the function as it is when stored. A trigger is named by its function, name and type, as on SCF.
 */
import { invalidValue, ScfError, toScfError } from '../../errors/index.js';
import type { FunctionDefinition } from '../../functions/types.js';
import { requireQualifier as qualifierOf } from '../../functions/versions.js';
import { TRIGGER_GRAMMAR } from '../../triggers/grammar.js';
import {
  type AsyncInvokeConfig,
  CLOUD_TRIGGER_TYPES,
  type TriggerDefinition,
  type TriggerType,
} from '../../triggers/types.js';
import {
  validateAsyncConfig,
  validateCustomArgument,
  validateEnable,
  validateTriggerDesc,
  validateTriggerDescription,
  validateTriggerName,
  validateTriggerType,
} from '../../triggers/validate.js';
import { requireFunction } from './functions.js';
import { LATEST } from './limits.js';
import type { ActionContext, FunctionRef } from './types.js';

/** ListTriggers: triggers per page when Limit is absent. */
export const DEFAULT_TRIGGER_LIMIT = 20;

export interface TriggerRef extends FunctionRef {
  triggerName: string;
  type: string;
}

export interface CreateTriggerInput extends TriggerRef {
  triggerDesc?: string;
  qualifier?: string;
  /** OPEN / CLOSE; default OPEN. */
  enable?: string;
  customArgument?: string;
  description?: string;
}

export interface UpdateTriggerInput extends TriggerRef {
  triggerDesc?: string;
  qualifier?: string;
  enable?: string;
  customArgument?: string;
  description?: string;
}

export interface ListTriggersInput extends FunctionRef {
  offset?: number;
  limit?: number;
  orderBy?: 'add_time' | 'mod_time';
  order?: 'ASC' | 'DESC';
  /** Filters by Qualifier, TriggerName or Description (exact values, any of them). */
  filters?: { name: string; values: string[] }[];
}

export interface ListTriggersOutput {
  total: number;
  triggers: TriggerDefinition[];
}

const TRIGGER_FILTERS = ['Qualifier', 'TriggerName', 'Description'] as const;

function find(def: FunctionDefinition, name: string, type: TriggerType): number {
  return def.triggers.findIndex((t) => t.triggerName === name && t.type === type);
}

function notFound(def: FunctionDefinition, name: string, type: string): ScfError {
  return new ScfError(
    'TriggerNotFound',
    `function ${def.namespace}/${def.functionName} has no ${type} trigger named ${name}`,
  );
}

/**
 * The type of a trigger an update or delete names, its function checked first: a type scf-local does not
 * run names no trigger here (TriggerNotFound); a type SCF does not have is refused as create refuses it.
 */
async function existingType(ctx: ActionContext, input: TriggerRef): Promise<TriggerType> {
  const fn = await requireFunction(ctx, input);
  if (CLOUD_TRIGGER_TYPES.includes(input.type)) throw notFound(fn, input.triggerName, input.type);
  return validateTriggerType(input.type);
}

/** A trigger's Qualifier: a version or alias the function has (InvalidParameterValue.Qualifier otherwise). */
function triggerQualifier(def: FunctionDefinition, qualifier: string): string {
  try {
    return qualifierOf(def, qualifier);
  } catch (err) {
    throw new ScfError('InvalidParameterValue', toScfError(err).message, { field: 'qualifier', cause: err });
  }
}

export async function createTrigger(
  ctx: ActionContext,
  input: CreateTriggerInput,
): Promise<TriggerDefinition> {
  const fn = await requireFunction(ctx, input);
  const type = validateTriggerType(input.type);
  const triggerName = validateTriggerName(input.triggerName);
  // A version or alias it has; an alias picks its version each time the trigger fires.
  const qualifier = triggerQualifier(fn, input.qualifier ?? LATEST);
  const enable = input.enable === undefined ? true : validateEnable(input.enable);
  const customArgument = validateCustomArgument(type, input.customArgument ?? '');
  const description = validateTriggerDescription(input.description ?? '');
  const triggerDesc = validateTriggerDesc(type, input.triggerDesc, TRIGGER_GRAMMAR);
  let created: TriggerDefinition | undefined;
  await ctx.functions.updateSettingsAsync(input, (prev) => {
    if (find(prev, triggerName, type) >= 0) {
      throw new ScfError(
        'TriggerInUse',
        `function ${prev.namespace}/${prev.functionName} already has a ${type} trigger named ${triggerName}`,
      );
    }
    const now = Date.now();
    created = {
      triggerName,
      type,
      triggerDesc,
      qualifier,
      enable,
      customArgument,
      description,
      addTime: now,
      modTime: now,
    };
    return { triggers: [...prev.triggers, created] };
  });
  if (!created) throw new ScfError('InternalError', 'the trigger was not created');
  return created;
}

/** UpdateTrigger and UpdateTriggerStatus: the fields given replace the trigger's. */
export async function updateTrigger(
  ctx: ActionContext,
  input: UpdateTriggerInput,
): Promise<TriggerDefinition> {
  const type = await existingType(ctx, input);
  const triggerName = validateTriggerName(input.triggerName);
  const qualifier =
    input.qualifier === undefined
      ? undefined
      : triggerQualifier(await requireFunction(ctx, input), input.qualifier);
  const enable = input.enable === undefined ? undefined : validateEnable(input.enable);
  const customArgument =
    input.customArgument === undefined ? undefined : validateCustomArgument(type, input.customArgument);
  const description =
    input.description === undefined ? undefined : validateTriggerDescription(input.description);
  const triggerDesc =
    input.triggerDesc === undefined || input.triggerDesc === ''
      ? undefined
      : validateTriggerDesc(type, input.triggerDesc, TRIGGER_GRAMMAR);
  let updated: TriggerDefinition | undefined;
  await ctx.functions.updateSettingsAsync(input, (prev) => {
    const i = find(prev, triggerName, type);
    const cur = prev.triggers[i];
    if (!cur) throw notFound(prev, triggerName, type);
    updated = {
      ...cur,
      ...(triggerDesc === undefined ? {} : { triggerDesc }),
      ...(qualifier === undefined ? {} : { qualifier }),
      ...(enable === undefined ? {} : { enable }),
      ...(customArgument === undefined ? {} : { customArgument }),
      ...(description === undefined ? {} : { description }),
      modTime: Date.now(),
    };
    const triggers = [...prev.triggers];
    triggers[i] = updated;
    return { triggers };
  });
  if (!updated) throw new ScfError('InternalError', 'the trigger was not updated');
  return updated;
}

export async function deleteTrigger(
  ctx: ActionContext,
  input: TriggerRef & { qualifier?: string },
): Promise<void> {
  const type = await existingType(ctx, input);
  if (input.qualifier !== undefined) triggerQualifier(await requireFunction(ctx, input), input.qualifier);
  await ctx.functions.updateSettingsAsync(input, (prev) => {
    const i = find(prev, input.triggerName, type);
    if (i < 0) throw notFound(prev, input.triggerName, type);
    return { triggers: prev.triggers.filter((_, j) => j !== i) };
  });
}

export async function listTriggers(
  ctx: ActionContext,
  input: ListTriggersInput,
): Promise<ListTriggersOutput> {
  const def = await requireFunction(ctx, input);
  let all = [...def.triggers];
  for (const f of input.filters ?? []) {
    if (!(TRIGGER_FILTERS as readonly string[]).includes(f.name)) {
      throw invalidValue('filters', `Filters.Name ${f.name} is not one of ${TRIGGER_FILTERS.join(', ')}`);
    }
    const pick = (t: TriggerDefinition): string =>
      f.name === 'Qualifier' ? t.qualifier : f.name === 'TriggerName' ? t.triggerName : t.description;
    all = all.filter((t) => f.values.includes(pick(t)));
  }
  const key = input.orderBy === 'add_time' ? 'addTime' : 'modTime';
  const dir = input.order === 'ASC' ? 1 : -1;
  // Ties (same millisecond) keep creation order, whichever the direction.
  all = all
    .map((t, i) => ({ t, i }))
    .sort((a, b) => (a.t[key] - b.t[key]) * dir || a.i - b.i)
    .map(({ t }) => t);
  const offset = input.offset ?? 0;
  const limit = input.limit ?? DEFAULT_TRIGGER_LIMIT;
  return { total: all.length, triggers: all.slice(offset, offset + limit) };
}

export async function updateEventInvokeConfig(
  ctx: ActionContext,
  input: FunctionRef & { retryNum?: number; msgTtl?: number },
): Promise<AsyncInvokeConfig> {
  await requireFunction(ctx, input);
  let config: AsyncInvokeConfig | undefined;
  await ctx.functions.updateSettingsAsync(input, (prev) => {
    config = validateAsyncConfig(input, prev.asyncConfig);
    return { asyncConfig: config };
  });
  if (!config) throw new ScfError('InternalError', 'the configuration was not stored');
  return config;
}

export async function getEventInvokeConfig(
  ctx: ActionContext,
  input: FunctionRef & { qualifier?: string },
): Promise<AsyncInvokeConfig> {
  // One configuration for every version of the function (scf-local keeps none per version).
  const def = await requireFunction(ctx, input);
  if (input.qualifier !== undefined) qualifierOf(def, input.qualifier);
  return def.asyncConfig;
}
