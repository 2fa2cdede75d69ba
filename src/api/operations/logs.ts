/** GetFunctionLogs and GetRequestStatus: queries over the invocation records. */
import { invalidValue, RULE, ScfError } from '../../errors/index.js';
import { DEFAULT_ALIAS, DEFAULT_NAMESPACE, LATEST } from '../../functions/types.js';
import { versionsNamed } from '../../functions/versions.js';
import type { LogQuery, StoredRecord } from '../../store/types.js';
import { fitPage } from './budget.js';
import {
  DEFAULT_LOG_LIMIT,
  MAX_OFFSET_PLUS_LIMIT,
  REQUEST_STATUS_MAX_ITEMS,
  REQUEST_STATUS_WINDOW_MS,
} from './limits.js';
import type {
  ActionContext,
  GetFunctionLogsInput,
  GetFunctionLogsOutput,
  GetRequestStatusInput,
  GetRequestStatusOutput,
} from './types.js';

/** A window whose start is after its end: refused in the same words for every time-windowed query. */
function checkTimeOrder(startTime: number | undefined, endTime: number | undefined): void {
  if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
    throw new ScfError('InvalidParameterValue', 'startTime must not be later than endTime', {
      field: 'timeRange',
      rule: RULE.timeOrder,
    });
  }
}

function checkInt(field: string, value: number | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min) {
    throw invalidValue(field, `${field} must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

export async function getFunctionLogs(
  ctx: ActionContext,
  input: GetFunctionLogsInput,
): Promise<GetFunctionLogsOutput> {
  const offset = checkInt('offset', input.offset, 0) ?? 0;
  const limit = checkInt('limit', input.limit, 1) ?? DEFAULT_LOG_LIMIT;
  if (offset + limit > MAX_OFFSET_PLUS_LIMIT) {
    throw new ScfError(
      'LimitExceededOffset',
      `offset + limit must not exceed ${MAX_OFFSET_PLUS_LIMIT}, got ${offset} + ${limit}`,
      { field: 'offset', rule: RULE.offsetPlusLimit, detail: { offset, limit, max: MAX_OFFSET_PLUS_LIMIT } },
    );
  }
  checkTimeOrder(input.startTime, input.endTime);
  const qualifier = input.qualifier === '' ? undefined : input.qualifier;
  const namespace = input.namespace ?? (input.functionName !== undefined ? DEFAULT_NAMESPACE : undefined);
  await ctx.functions.sync();
  // A Qualifier names the version that ran a record: an alias, the versions it routes to now; a version
  // deleted since still names its records.
  let versions: string[] | undefined;
  if (input.functionName !== undefined) {
    const def = ctx.functions.get(input.functionName, namespace);
    if (qualifier !== undefined) versions = versionsNamed(def, qualifier);
  } else if (qualifier !== undefined) {
    // No function to read aliases from: a version's name, or `$DEFAULT` as it is until changed.
    versions = qualifier === DEFAULT_ALIAS ? [LATEST] : [qualifier];
  }
  if (input.functionName === undefined && namespace !== undefined && !ctx.functions.getNamespace(namespace)) {
    throw new ScfError('NamespaceNotFound', `namespace ${namespace} does not exist`);
  }
  const q: LogQuery = {
    orderBy: input.orderBy ?? 'startTime',
    order: input.order ?? 'desc',
    offset,
    limit,
  };
  if (namespace !== undefined) q.namespace = namespace;
  if (input.functionName !== undefined) q.functionName = input.functionName;
  if (versions !== undefined) {
    if (versions.length === 1) q.qualifier = versions[0] as string;
    else q.qualifiers = versions;
  }
  if (input.requestId !== undefined) q.requestId = input.requestId;
  if (input.retCode !== undefined) q.retCode = input.retCode;
  if (input.startTime !== undefined) q.startTimeFrom = input.startTime;
  if (input.endTime !== undefined) q.startTimeTo = input.endTime;
  if (input.keyword !== undefined && input.keyword.trim() !== '') q.keyword = input.keyword;
  // Never more than api.maxResponseBytes: records past the budget are left for the next page (see
  // budget.ts). A page of large logs is not loaded whole only to be cut: a store with `pageBudget` stops at
  // the budget; from another the page is read in slices, the first small, the next ones sized by what the
  // records so far took.
  const budget = ctx.config.api.maxResponseBytes;
  if (ctx.store.pageBudget) {
    // The store stops at the budget itself: one query, one sort and one total for the page.
    const page = await ctx.store.query({ ...q, maxBytes: budget });
    return { total: page.total, items: fitPage(page.items, budget) };
  }
  const items: StoredRecord[] = [];
  let total = 0;
  let bytes = 0;
  let slice = Math.min(limit, FIRST_SLICE);
  for (let at = offset; at < offset + limit; ) {
    const page = await ctx.store.query({ ...q, offset: at, limit: slice });
    if (at === offset) total = page.total;
    items.push(...page.items);
    const fitted = fitPage(items, budget);
    if (fitted.length < items.length || page.items.length < slice) {
      return { total, items: fitted };
    }
    for (const r of page.items) bytes += r.log.length + r.retMsg.length + 256;
    at += page.items.length;
    const average = bytes / items.length;
    slice = Math.max(1, Math.min(offset + limit - at, Math.ceil((budget - bytes) / average)));
  }
  return { total, items: fitPage(items, budget) };
}

/** Records read in the first slice of a GetFunctionLogs page. */
const FIRST_SLICE = 10;

export async function getRequestStatus(
  ctx: ActionContext,
  input: GetRequestStatusInput,
): Promise<GetRequestStatusOutput> {
  // The input is checked before anything is looked up.
  if (!input.functionRequestId)
    throw new ScfError('MissingParameter', 'functionRequestId is required', { field: 'functionRequestId' });
  const endTime = input.endTime ?? Date.now();
  const startTime = input.startTime ?? endTime - REQUEST_STATUS_WINDOW_MS;
  checkTimeOrder(startTime, endTime);
  const namespace = input.namespace ?? DEFAULT_NAMESPACE;
  await ctx.functions.sync();
  ctx.functions.get(input.functionName, namespace);
  const page = await ctx.store.query({
    namespace,
    functionName: input.functionName,
    requestId: input.functionRequestId,
    startTimeFrom: startTime,
    startTimeTo: endTime,
    orderBy: 'startTime',
    order: 'desc',
    offset: 0,
    limit: REQUEST_STATUS_MAX_ITEMS,
  });
  return { total: page.total, items: page.items };
}
