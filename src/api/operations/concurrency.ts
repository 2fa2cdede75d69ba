/**
 * Reserved and provisioned concurrency: Put/Get/DeleteReservedConcurrencyConfig and
 * Put/Get/DeleteProvisionedConcurrencyConfig. The settings live in the function's definition
 * (`FunctionDefinition.concurrency`), each change one registry change planned from the function as it is
 * when stored (and checked again then); the runtime applies them on every node
 * (`invocations/concurrency.ts`). The rules are `limits.ts`'s.
 */
import { invalidValue, ScfError } from '../../errors/index.js';
import type { FunctionConcurrency, FunctionDefinition } from '../../functions/types.js';
import { findVersion, isVersionName, versionNotFound } from '../../functions/versions.js';
import { requireFunction } from './functions.js';
import {
  type ConcurrencyQuota,
  checkProvisioned,
  checkReservation,
  LATEST,
  maxInstancesOf,
  STATIC_PROVISIONING,
} from './limits.js';
import type { ActionContext, FunctionRef } from './types.js';

export interface PutProvisionedInput extends FunctionRef {
  qualifier: string;
  /** VersionProvisionedConcurrencyNum. */
  count: number;
  /** Absent or `Default` (static); SCF's ConcurrencyUtilizationTracking is refused. */
  provisionedType?: string;
  /** Scheduled provisioning (TriggerActions): refused when not empty. */
  triggerActions?: number;
}

/** One version's provisioned instances, as GetProvisionedConcurrencyConfig reports them. */
export interface ProvisionedInfo {
  qualifier: string;
  /** Instances configured. */
  allocated: number;
  /** Instances started on this node. */
  available: number;
  status: 'Done' | 'InProgress' | 'Failed';
  statusReason: string;
}

export interface GetProvisionedOutput {
  /** Instances the function could still have provisioned (its limit minus those configured). */
  unallocated: number;
  allocated: ProvisionedInfo[];
}

/** The quota `def` is checked against: the platform's figures and every other function's reservation. */
function quotaFor(ctx: ActionContext, def: FunctionDefinition): ConcurrencyQuota {
  let reservedByOthers = 0;
  for (const ns of ctx.functions.listNamespaces()) {
    const { functions } = ctx.functions.list({ namespace: ns.name, limit: Number.MAX_SAFE_INTEGER });
    for (const f of functions) {
      if (f.namespace === def.namespace && f.functionName === def.functionName) continue;
      reservedByOthers += f.concurrency.reservedMem ?? 0;
    }
  }
  return {
    totalMem: ctx.config.runtime.totalConcurrencyMem,
    maxInstancesPerFunction: ctx.config.runtime.maxInstancesPerFunction,
    reservedByOthers,
  };
}

const totalProvisioned = (c: FunctionConcurrency): number =>
  Object.values(c.provisioned).reduce((a, n) => a + n, 0);

/**
 * The published version `qualifier` names, for provisioned concurrency: SCF provisions versions only, never
 * `$LATEST` (nor an alias), InvalidParameterValue.Qualifier; one the function does not have is
 * VersionNotFound unless `configured` (a setting left for it is still readable and deletable).
 */
function provisionableVersion(def: FunctionDefinition, qualifier: string, configured = false): string {
  if (qualifier === LATEST || !isVersionName(qualifier)) {
    throw invalidValue(
      'qualifier',
      `Qualifier ${qualifier} cannot have provisioned concurrency: only a published version can ($LATEST and aliases cannot)`,
    );
  }
  if (!findVersion(def, qualifier) && !(configured && def.concurrency.provisioned[qualifier] !== undefined)) {
    throw versionNotFound(def, qualifier);
  }
  return qualifier;
}

/** MB of the provisioned instances `provisioned` names, each of its version's memory size. */
function provisionedMem(def: FunctionDefinition, provisioned: Record<string, number>): number {
  let mem = 0;
  for (const [version, count] of Object.entries(provisioned)) {
    mem += count * (findVersion(def, version)?.function.memorySize ?? def.memorySize);
  }
  return mem;
}

export async function putReservedConcurrency(
  ctx: ActionContext,
  input: FunctionRef & { reservedMem: number },
): Promise<void> {
  if (!Number.isInteger(input.reservedMem) || input.reservedMem < 0) {
    throw invalidValue(
      'reservedConcurrencyMem',
      'ReservedConcurrencyMem must be a whole number of MB, 0 or more',
    );
  }
  await requireFunction(ctx, input);
  await ctx.functions.updateSettingsAsync(input, (prev) => {
    checkReservation(
      input.reservedMem,
      {
        provisioned: totalProvisioned(prev.concurrency),
        provisionedMem: provisionedMem(prev, prev.concurrency.provisioned),
      },
      quotaFor(ctx, prev),
    );
    return { concurrency: { ...prev.concurrency, reservedMem: input.reservedMem } };
  });
}

/** The function's reservation in MB, or undefined when it has none. */
export async function getReservedConcurrency(
  ctx: ActionContext,
  ref: FunctionRef,
): Promise<number | undefined> {
  return (await requireFunction(ctx, ref)).concurrency.reservedMem;
}

export async function deleteReservedConcurrency(ctx: ActionContext, ref: FunctionRef): Promise<void> {
  const def = await requireFunction(ctx, ref);
  // Nothing to delete: nothing changes (no new revision, no instance retired).
  if (def.concurrency.reservedMem === undefined) return;
  await ctx.functions.updateSettingsAsync(ref, (prev) => {
    const { reservedMem: _, ...rest } = prev.concurrency;
    return { concurrency: rest };
  });
}

export async function putProvisionedConcurrency(
  ctx: ActionContext,
  input: PutProvisionedInput,
): Promise<void> {
  if (input.provisionedType !== undefined && input.provisionedType !== STATIC_PROVISIONING) {
    throw invalidValue(
      'provisionType',
      `ProvisionedType ${JSON.stringify(input.provisionedType)} is not supported: scf-local provisions a fixed number of instances (${STATIC_PROVISIONING})`,
    );
  }
  if ((input.triggerActions ?? 0) > 0) {
    throw new ScfError(
      'UnsupportedOperation',
      'TriggerActions (scheduled provisioning) is not supported by scf-local: configure a fixed VersionProvisionedConcurrencyNum',
    );
  }
  if (!Number.isInteger(input.count) || input.count < 1) {
    throw invalidValue(
      'versionProvisionedConcurrencyNum',
      'VersionProvisionedConcurrencyNum must be a whole number, 1 or more (DeleteProvisionedConcurrencyConfig removes it)',
    );
  }
  provisionableVersion(await requireFunction(ctx, input), input.qualifier);
  await ctx.functions.updateSettingsAsync(input, (prev) => {
    // Checked again on the function as it is when stored (the version may have been deleted since).
    const version = provisionableVersion(prev, input.qualifier);
    const provisioned = { ...prev.concurrency.provisioned, [version]: input.count };
    checkProvisioned(
      { count: totalProvisioned({ provisioned }), mem: provisionedMem(prev, provisioned) },
      prev.concurrency.reservedMem,
      quotaFor(ctx, prev),
    );
    return { concurrency: { ...prev.concurrency, provisioned } };
  });
}

export async function deleteProvisionedConcurrency(
  ctx: ActionContext,
  input: FunctionRef & { qualifier: string },
): Promise<void> {
  const def = await requireFunction(ctx, input);
  const qualifier = provisionableVersion(def, input.qualifier, true);
  // None configured for it: nothing changes (as deleting an absent reservation).
  if (def.concurrency.provisioned[qualifier] === undefined) return;
  await ctx.functions.updateSettingsAsync(input, (prev) => {
    const { [qualifier]: _, ...provisioned } = prev.concurrency.provisioned;
    return { concurrency: { ...prev.concurrency, provisioned } };
  });
}

export async function getProvisionedConcurrency(
  ctx: ActionContext,
  input: FunctionRef & { qualifier?: string },
): Promise<GetProvisionedOutput> {
  const def = await requireFunction(ctx, input);
  const only = input.qualifier === undefined ? undefined : provisionableVersion(def, input.qualifier, true);
  const states = ctx.concurrency?.provisioned(def.namespace, def.functionName) ?? new Map();
  const allocated: ProvisionedInfo[] = [];
  for (const [qualifier, count] of Object.entries(def.concurrency.provisioned)) {
    if (only !== undefined && qualifier !== only) continue;
    const state = states.get(qualifier);
    // The runtime may still run an earlier target (a change it has not applied yet): only its figures count.
    const available = state && state.target === count ? Math.min(state.available, count) : 0;
    const failure = state?.target === count ? state.failure : undefined;
    allocated.push({
      qualifier,
      allocated: count,
      available,
      status: available >= count ? 'Done' : failure !== undefined ? 'Failed' : 'InProgress',
      statusReason:
        available >= count ? '' : (failure ?? `${available} of ${count} instances started on this node`),
    });
  }
  const max = maxInstancesOf(def.concurrency.reservedMem, def.memorySize, quotaFor(ctx, def));
  return { unallocated: Math.max(0, max - totalProvisioned(def.concurrency)), allocated };
}
