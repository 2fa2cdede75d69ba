/**
 * SCF's rules and limits for the operations, each defined once. Protocols read them from here (to declare
 * their parameter ranges and word their errors) and never restate them. The function definition's own
 * limits (memory, timeout, names, code size) are the registry's: `functions/validate.ts`, `functions/code.ts`.
 */
import { ScfError } from '../../errors/index.js';
import { DEFAULT_ALIAS, LATEST } from '../../functions/types.js';

/** GetFunctionLogs: Offset + Limit must not exceed 10000. */
export const MAX_OFFSET_PLUS_LIMIT = 10_000;
/** GetFunctionLogs: records per page when Limit is absent. */
export const DEFAULT_LOG_LIMIT = 20;
/** API 3.0's GetFunctionLogs: StartTime and EndTime at most one day apart. */
export const MAX_LOG_WINDOW_MS = 24 * 3600_000;
/** GetRequestStatus: the window when no StartTime is given is the 15 minutes before EndTime (or now). */
export const REQUEST_STATUS_WINDOW_MS = 15 * 60_000;
/** GetRequestStatus: records returned at most. */
export const REQUEST_STATUS_MAX_ITEMS = 100;
/** ListFunctions: at most 10 Filters, each of at most 20 values (one for the single-value names). */
export const MAX_LIST_FILTERS = 10;
export const MAX_FILTER_VALUES = 20;

/** ListNamespaces: namespaces per page when Limit is absent. */
export const DEFAULT_NAMESPACE_LIMIT = 20;

/** Invoke with LogType Tail: the last 4 KB of the log. */
export const TAIL_BYTES = 4096;
/** A synchronous invocation's event is at most 6 MB, an asynchronous one's 128 KB (SCF status 406 beyond). */
export const MAX_SYNC_EVENT_BYTES = 6 * 1024 * 1024;
export const MAX_ASYNC_EVENT_BYTES = 128 * 1024;

/** `$LATEST`, and `$DEFAULT`: the alias every function has (defined with the function definition). */
export { DEFAULT_ALIAS, LATEST };

// ---------------------------------------------------------------------------------------------------
// Concurrency (Put/Get/DeleteReservedConcurrencyConfig, ...ProvisionedConcurrencyConfig)

/** PutProvisionedConcurrencyConfig's ProvisionedType that scf-local runs: static provisioning. */
export const STATIC_PROVISIONING = 'Default';

/** What a function's concurrency is checked against: the platform's total and the other functions. */
export interface ConcurrencyQuota {
  /** MB every function together may hold (`runtime.totalConcurrencyMem`). */
  totalMem: number;
  /** Instances of a function without a reservation (`runtime.maxInstancesPerFunction`). */
  maxInstancesPerFunction: number;
  /** MB reserved by every function but the one being changed. */
  reservedByOthers: number;
}

/** Instances `mem` MB holds of a function of `memorySize` MB. */
export const instancesIn = (mem: number, memorySize: number): number => Math.floor(mem / memorySize);

/**
 * The most instances the function may run at once: its reservation's, else the per-function cap within
 * what no function reserved. What its provisioned instances together may not exceed.
 */
export function maxInstancesOf(
  reservedMem: number | undefined,
  memorySize: number,
  quota: ConcurrencyQuota,
): number {
  if (reservedMem !== undefined) return instancesIn(reservedMem, memorySize);
  const unreserved = Math.max(0, quota.totalMem - quota.reservedByOthers);
  return Math.min(quota.maxInstancesPerFunction, instancesIn(unreserved, memorySize));
}

/**
 * A reservation of `reservedMem` MB for a function with `provisioned` instances across its versions
 * (`provisionedMem` MB together): within what the others left (ReservedConcurrencyExceeded), and room for
 * those instances (ProvisionedExceedReserved).
 */
export function checkReservation(
  reservedMem: number,
  fn: { provisioned: number; provisionedMem: number },
  quota: ConcurrencyQuota,
): void {
  const free = quota.totalMem - quota.reservedByOthers;
  if (reservedMem > free) {
    throw new ScfError(
      'ReservedConcurrencyExceeded',
      `ReservedConcurrencyMem ${reservedMem} MB is more than the ${Math.max(0, free)} MB of concurrency no other function has reserved (of ${quota.totalMem} MB)`,
    );
  }
  if (fn.provisionedMem > reservedMem) {
    throw new ScfError(
      'ProvisionedExceedReserved',
      `ReservedConcurrencyMem ${reservedMem} MB leaves no room for the function's ${fn.provisioned} provisioned instances (${fn.provisionedMem} MB)`,
    );
  }
}

/**
 * A function's provisioned instances across its versions (`count`, needing `mem` MB together, each of its
 * version's memory size): within its reservation when it has one (ProvisionedExceedReserved), else within
 * the per-function cap (ProvisionedCountExceeded) and what no function reserved (ProvisionedExceedAvailable).
 */
export function checkProvisioned(
  provisioned: { count: number; mem: number },
  reservedMem: number | undefined,
  quota: ConcurrencyQuota,
): void {
  const { count, mem } = provisioned;
  if (reservedMem !== undefined) {
    if (mem > reservedMem) {
      throw new ScfError(
        'ProvisionedExceedReserved',
        `${count} provisioned instances need ${mem} MB; the function's reserved concurrency is ${reservedMem} MB`,
      );
    }
    return;
  }
  if (count > quota.maxInstancesPerFunction) {
    throw new ScfError(
      'ProvisionedCountExceeded',
      `${count} provisioned instances across the function's versions are more than its limit of ${quota.maxInstancesPerFunction} (runtime.maxInstancesPerFunction; reserve concurrency for more)`,
    );
  }
  const free = quota.totalMem - quota.reservedByOthers;
  if (mem > free) {
    throw new ScfError(
      'ProvisionedExceedAvailable',
      `${count} provisioned instances need ${mem} MB; ${Math.max(0, free)} MB of concurrency is not reserved by any function`,
    );
  }
}

/** GetMonitorData's statistical periods (seconds), as Cloud Monitor offers them for SCF. */
export const MONITOR_PERIODS: readonly number[] = [60, 300, 3600, 86400];
/** GetMonitorData's default period (seconds), as Cloud Monitor's. */
export const DEFAULT_MONITOR_PERIOD = 300;
/** GetMonitorData: most instances per request, and most data points per request (all instances), as Cloud Monitor's. */
export const MAX_MONITOR_INSTANCES = 50;
export const MAX_MONITOR_POINTS = 7200;
