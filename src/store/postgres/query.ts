/**
 * LogQuery -> SQL for the PostgreSQL store. Pure functions: the SQL can be read and tested on its own.
 * Every value is a bound parameter; only whitelisted column names are spliced in.
 *
 * While a prune is under way (`store_state.kept_from` set), every read also excludes the records before
 * it (their counts are gone already while their partitions are being detached), so pages and totals
 * agree at every moment. The store reads `kept_from` first and passes it as a value (usually there is
 * none): a subquery in the condition would hide it from the planner, which then ANDs a scan of the whole
 * time index into every query.
 */
import { RET_CODE_CONDITION, SORT_COLUMN } from '../sql-shape.js';
import type { LogQuery } from '../types.js';
import { pgText } from './text.js';

export interface SqlPart {
  sql: string;
  params: unknown[];
}

/** Collects conditions with numbered parameters. */
export class Where {
  readonly conds: string[] = [];
  readonly params: unknown[];
  constructor(params: unknown[] = []) {
    this.params = params;
  }
  add(cond: string, ...values: unknown[]): void {
    let text = cond;
    for (const v of values) {
      this.params.push(v);
      text = text.replace('?', `$${this.params.length}`);
    }
    this.conds.push(text);
  }
  /** Adds a parameter, returning its placeholder. */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  get sql(): string {
    return this.conds.length === 0 ? 'true' : this.conds.join(' AND ');
  }
}

function identity(q: LogQuery, w: Where): void {
  if (q.namespace !== undefined) w.add('namespace = ?', pgText(q.namespace));
  if (q.functionName !== undefined) w.add('function_name = ?', pgText(q.functionName));
  if (q.qualifier !== undefined) w.add('qualifier = ?', pgText(q.qualifier));
  if (q.qualifiers !== undefined) w.add('qualifier = ANY(?::text[])', q.qualifiers.map(pgText));
  if (q.retCode !== undefined) w.add(RET_CODE_CONDITION[q.retCode]);
}

/**
 * Every filter but the keyword, plus the bound of a prune under way (`keptFrom`). With `params`, its
 * parameters are numbered after those (for a statement that holds several conditions).
 */
export function recordWhere(q: LogQuery, keptFrom: number | undefined, params?: unknown[]): Where {
  const w = new Where(params);
  identity(q, w);
  if (q.requestId !== undefined) w.add('request_id = ?', pgText(q.requestId));
  if (q.startTimeFrom !== undefined) w.add('start_time >= ?', q.startTimeFrom);
  if (q.startTimeTo !== undefined) w.add('start_time <= ?', q.startTimeTo);
  if (keptFrom !== undefined) w.add('start_time >= ?', keptFrom);
  return w;
}

/** The column a query sorts by (seq alone when sorting one function's records by function name). */
export function sortKey(q: LogQuery): string {
  return q.orderBy === 'functionName' && q.functionName !== undefined ? 'seq' : SORT_COLUMN[q.orderBy];
}

export function orderBy(q: LogQuery, key = sortKey(q)): string {
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  return key === 'seq' ? `seq ${dir}` : `${key} ${dir}, seq ${dir}`;
}

/** The total without a keyword: the counts table when no time range or request id narrows it. */
export function countSql(q: LogQuery, keptFrom: number | undefined): SqlPart {
  if (q.requestId === undefined && q.startTimeFrom === undefined && q.startTimeTo === undefined) {
    const w = new Where();
    identity(q, w);
    // No prune bound needed: a prune deletes a day's counts in the transaction that sets kept_from.
    return {
      sql: `SELECT COALESCE(sum(n), 0)::float8 AS total FROM invocation_counts WHERE ${w.sql}`,
      params: w.params,
    };
  }
  const w = recordWhere(q, keptFrom);
  return { sql: `SELECT count(*)::float8 AS total FROM invocations WHERE ${w.sql}`, params: w.params };
}
