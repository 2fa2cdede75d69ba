/**
 * API 3.0 spellings <-> the concurrency operations: Put/Get/DeleteReservedConcurrencyConfig and
 * Put/Get/DeleteProvisionedConcurrencyConfig (models `GetReservedConcurrencyConfigResponse`,
 * `GetProvisionedConcurrencyConfigResponse`, `VersionProvisionedConcurrencyInfo` of `scf_models.d.ts`).
 */
import { z } from 'zod';
import type { GetProvisionedOutput, PutProvisionedInput } from '../../operations/concurrency.js';
import { functionRefInput } from './manage.js';
import { type Json, missing, v3 } from './params.js';

const REF = { FunctionName: v3.required(), Namespace: v3.str() };

export const PUT_RESERVED = z.object({ ...REF, ReservedConcurrencyMem: v3.int() });

export function putReservedInput(p: z.output<typeof PUT_RESERVED>) {
  if (p.ReservedConcurrencyMem === undefined) throw missing('ReservedConcurrencyMem');
  return { ...functionRefInput(p), reservedMem: p.ReservedConcurrencyMem };
}

export const RESERVED_REF = z.object(REF);

/** ReservedMem is null when the function has no reservation (the model says it may be). */
export const getReservedResponse = (reservedMem: number | undefined): Json => ({
  ReservedMem: reservedMem ?? null,
});

export const PUT_PROVISIONED = z.object({
  ...REF,
  Qualifier: v3.required(),
  VersionProvisionedConcurrencyNum: v3.int(),
  TriggerActions: v3.list(),
  ProvisionedType: v3.str(),
  // Only for SCF's ConcurrencyUtilizationTracking type, which is refused: accepted and unused otherwise.
  TrackingTarget: z.optional(z.unknown()),
  MinCapacity: z.optional(z.unknown()),
  MaxCapacity: z.optional(z.unknown()),
});

export function putProvisionedInput(p: z.output<typeof PUT_PROVISIONED>): PutProvisionedInput {
  if (p.VersionProvisionedConcurrencyNum === undefined) throw missing('VersionProvisionedConcurrencyNum');
  return {
    ...functionRefInput(p),
    qualifier: p.Qualifier,
    count: p.VersionProvisionedConcurrencyNum,
    ...(p.ProvisionedType === undefined ? {} : { provisionedType: p.ProvisionedType }),
    ...(p.TriggerActions === undefined ? {} : { triggerActions: p.TriggerActions.length }),
  };
}

export const GET_PROVISIONED = z.object({ ...REF, Qualifier: v3.str() });

export const getProvisionedInput = (p: z.output<typeof GET_PROVISIONED>) => ({
  ...functionRefInput(p),
  ...(p.Qualifier === undefined ? {} : { qualifier: p.Qualifier }),
});

export const getProvisionedResponse = (out: GetProvisionedOutput): Json => ({
  UnallocatedConcurrencyNum: out.unallocated,
  Allocated: out.allocated.map((a) => ({
    AllocatedProvisionedConcurrencyNum: a.allocated,
    AvailableProvisionedConcurrencyNum: a.available,
    Status: a.status,
    StatusReason: a.statusReason,
    Qualifier: a.qualifier,
    TriggerActions: [],
  })),
});

export const DELETE_PROVISIONED = z.object({ ...REF, Qualifier: v3.required() });

export const deleteProvisionedInput = (p: z.output<typeof DELETE_PROVISIONED>) => ({
  ...functionRefInput(p),
  qualifier: p.Qualifier,
});
