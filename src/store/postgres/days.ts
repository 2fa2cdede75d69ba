/** The store's day: records are partitioned, counted and pruned by UTC day of their start time. */
export const DAY_MS = 86_400_000;

/** Days since the epoch (UTC) of a start time in epoch ms. */
export const dayOf = (startTime: number): number => Math.floor(startTime / DAY_MS);

/** The partition of `invocations` holding one day. */
export const partitionName = (day: number): string => `invocations_p${day < 0 ? `m${-day}` : day}`;
