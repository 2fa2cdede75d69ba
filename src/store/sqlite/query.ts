/**
 * LogQuery -> SQL for the SQLite store. Pure functions: no database handle, so the SQL can be read and
 * tested on its own. Every value is a bound parameter; only whitelisted column names are spliced in.
 */
import { parseKeyword, toFts5Query } from '../keyword.js';
import type { LogQuery, OrderBy, RetCodeFilter } from '../types.js';

export interface SqlPart {
  sql: string;
  params: unknown[];
}

const SORT_COLUMN: Record<OrderBy, string> = {
  startTime: 'start_time',
  functionName: 'function_name',
  requestId: 'request_id',
  duration: 'duration',
  memUsage: 'mem_usage',
};

const RET_CODE_CONDITION: Record<RetCodeFilter, string> = {
  is0: 'ret_code = 0',
  not0: 'ret_code <> 0',
  TimeLimitExceeded: 'ret_code = 433',
  ResourceLimitExceeded: 'ret_code = 434',
  UserCodeException: 'ret_code = 430',
};

/** Conditions shared by the record query and the counts query (columns both tables have). */
function identityConditions(q: LogQuery, out: string[], params: unknown[]): void {
  if (q.namespace !== undefined) {
    out.push('namespace = ?');
    params.push(q.namespace);
  }
  if (q.functionName !== undefined) {
    out.push('function_name = ?');
    params.push(q.functionName);
  }
  if (q.qualifier !== undefined) {
    out.push('qualifier = ?');
    params.push(q.qualifier);
  }
  if (q.retCode !== undefined) out.push(RET_CODE_CONDITION[q.retCode]);
}

/** The keyword's FTS5 expression and terms, or undefined when the keyword filters nothing. */
export function keywordFilter(keyword: string | undefined): { fts: string; termsJson: string } | undefined {
  if (keyword === undefined) return undefined;
  const terms = parseKeyword(keyword);
  if (terms.length === 0) return undefined;
  return { fts: toFts5Query(terms), termsJson: JSON.stringify(terms) };
}

/** WHERE clause over `invocations` (without the keyword `WHERE`; `1` when unfiltered). */
export function whereClause(q: LogQuery): SqlPart {
  const conds: string[] = [];
  const params: unknown[] = [];
  identityConditions(q, conds, params);
  if (q.requestId !== undefined) {
    conds.push('request_id = ?');
    params.push(q.requestId);
  }
  if (q.startTimeFrom !== undefined) {
    conds.push('start_time >= ?');
    params.push(q.startTimeFrom);
  }
  if (q.startTimeTo !== undefined) {
    conds.push('start_time <= ?');
    params.push(q.startTimeTo);
  }
  const kw = keywordFilter(q.keyword);
  if (kw) {
    // Final records are found through FTS5; running ones are not indexed yet (their log still grows), so
    // they are matched by the reference matcher over the few rows of the partial index on ret_code = 2.
    conds.push(
      `seq IN (SELECT rowid FROM invocations_fts WHERE invocations_fts MATCH ?
        UNION ALL SELECT seq FROM invocations WHERE ret_code = 2 AND scf_keyword_match(log, ?))`,
    );
    params.push(kw.fts, kw.termsJson);
  }
  return { sql: conds.length === 0 ? '1' : conds.join(' AND '), params };
}

/** The page: `seq`s in result order. */
export function pageQuery(q: LogQuery): SqlPart {
  const where = whereClause(q);
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  // Sorting by the function name within one function is sorting by seq alone; saying so lets SQLite
  // walk an index in seq order instead of sorting.
  const order =
    q.orderBy === 'functionName' && q.functionName !== undefined
      ? `seq ${dir}`
      : `${SORT_COLUMN[q.orderBy]} ${dir}, seq ${dir}`;
  return {
    sql: `SELECT seq FROM invocations WHERE ${where.sql} ORDER BY ${order} LIMIT ? OFFSET ?`,
    params: [...where.params, Math.max(0, q.limit), Math.max(0, q.offset)],
  };
}

/**
 * The total. Without a time range, request id or keyword, it is a sum over the small counts table
 * (exact, maintained in every write transaction); otherwise a COUNT over the narrowest index.
 */
export function countQuery(q: LogQuery): SqlPart {
  const fromCounts =
    q.requestId === undefined &&
    q.startTimeFrom === undefined &&
    q.startTimeTo === undefined &&
    keywordFilter(q.keyword) === undefined;
  if (fromCounts) {
    const conds: string[] = [];
    const params: unknown[] = [];
    identityConditions(q, conds, params);
    const where = conds.length === 0 ? '1' : conds.join(' AND ');
    return { sql: `SELECT COALESCE(SUM(n), 0) AS total FROM invocation_counts WHERE ${where}`, params };
  }
  const where = whereClause(q);
  return { sql: `SELECT COUNT(*) AS total FROM invocations WHERE ${where.sql}`, params: where.params };
}
