/**
 * LogQuery -> SQL for the SQLite store. Pure functions: no database handle, so the SQL can be read and
 * tested on its own. Every value is a bound parameter; only whitelisted column names are spliced in.
 */
import { parseKeyword, toFts5Query } from '../keyword.js';
import { RET_CODE_CONDITION, SORT_COLUMN } from '../sql-shape.js';
import { type LogQuery, RET_CODE } from '../types.js';

export interface SqlPart {
  sql: string;
  params: unknown[];
}

/**
 * Conditions shared by the record query and the counts query (columns both tables have). `col` maps a
 * column name to the expression to test (e.g. `+i.function_name`: the unary `+` keeps SQLite from using an
 * index for that term, where the rows come from elsewhere).
 */
function identityConditions(q: LogQuery, out: string[], params: unknown[], col = (c: string) => c): void {
  if (q.namespace !== undefined) {
    out.push(`${col('namespace')} = ?`);
    params.push(q.namespace);
  }
  if (q.functionName !== undefined) {
    out.push(`${col('function_name')} = ?`);
    params.push(q.functionName);
  }
  if (q.qualifier !== undefined) {
    out.push(`${col('qualifier')} = ?`);
    params.push(q.qualifier);
  }
  if (q.qualifiers !== undefined) {
    out.push(
      q.qualifiers.length === 0 ? '0' : `${col('qualifier')} IN (${q.qualifiers.map(() => '?').join(', ')})`,
    );
    params.push(...q.qualifiers);
  }
  if (q.retCode !== undefined) out.push(RET_CODE_CONDITION[q.retCode].replace('ret_code', col('ret_code')));
}

/** The keyword's FTS5 expression and terms, or undefined when the keyword filters nothing. */
export function keywordFilter(keyword: string | undefined): { fts: string; termsJson: string } | undefined {
  if (keyword === undefined) return undefined;
  const terms = parseKeyword(keyword);
  if (terms.length === 0) return undefined;
  return { fts: toFts5Query(terms), termsJson: JSON.stringify(terms) };
}

/** Every filter but the keyword, as a WHERE clause body (`1` when unfiltered). */
export function whereClause(q: LogQuery, col = (c: string) => c): SqlPart {
  const conds: string[] = [];
  const params: unknown[] = [];
  identityConditions(q, conds, params, col);
  if (q.requestId !== undefined) {
    conds.push(`${col('request_id')} = ?`);
    params.push(q.requestId);
  }
  if (q.startTimeFrom !== undefined) {
    conds.push(`${col('start_time')} >= ?`);
    params.push(q.startTimeFrom);
  }
  if (q.startTimeTo !== undefined) {
    conds.push(`${col('start_time')} <= ?`);
    params.push(q.startTimeTo);
  }
  return { sql: conds.length === 0 ? '1' : conds.join(' AND '), params };
}

/** ORDER BY terms over columns named by `col`. */
function orderTerms(q: LogQuery, col: (c: string) => string): string {
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  // Sorting by the function name within one function is sorting by seq alone; saying so lets SQLite
  // walk an index in seq order instead of sorting.
  return q.orderBy === 'functionName' && q.functionName !== undefined
    ? `${col('seq')} ${dir}`
    : `${col(SORT_COLUMN[q.orderBy])} ${dir}, ${col('seq')} ${dir}`;
}

/**
 * The records matching a keyword query, as `(seq, k)` rows (k: the sort column), from three disjoint
 * sources, each started from the keyword rather than from an index of `invocations` (so a functionName
 * does not turn the query into a walk over that function's records checking each against the FTS hits):
 * 1. FTS5 hits, each looked up by rowid and filtered, minus the records in `fts_queue` (their entry, if
 *    any, is out of date);
 * 2. queued records (final or not, not yet (re)indexed), filtered, then the reference matcher;
 * 3. running records not queued (never in the FTS index: their log still grows), through the small
 *    partial index on ret_code = 2, filtered, then the reference matcher.
 * The union is exactly the records whose current search text matches, indexed or not. Part 2 costs a
 * matcher call per queued record of the queried function (~µs each), so it is cheap once the indexer
 * has caught up and linear in the backlog while it has not.
 */
function keywordSource(q: LogQuery, kw: { fts: string; termsJson: string }): SqlPart {
  const plain = (c: string) => `+i.${c}`;
  const w = whereClause(q, plain);
  const k = q.orderBy === 'functionName' && q.functionName !== undefined ? 'seq' : SORT_COLUMN[q.orderBy];
  const sel = `SELECT i.seq AS seq, i.${k} AS k`;
  return {
    sql: `${sel} FROM invocations_fts h CROSS JOIN invocations i ON i.seq = h.rowid
        WHERE h.invocations_fts MATCH ? AND ${w.sql} AND h.rowid NOT IN (SELECT seq FROM fts_queue)
      UNION ALL
      ${sel} FROM fts_queue f CROSS JOIN invocations i ON i.seq = f.seq
        WHERE ${w.sql} AND scf_keyword_match(i.log, ?)
      UNION ALL
      ${sel} FROM invocations i INDEXED BY invocations_running
        WHERE i.ret_code = ${RET_CODE.RUNNING} AND ${w.sql} AND i.seq NOT IN (SELECT seq FROM fts_queue)
          AND scf_keyword_match(i.log, ?)`,
    params: [kw.fts, ...w.params, ...w.params, kw.termsJson, ...w.params, kw.termsJson],
  };
}

/**
 * The page: `seq`s in result order. With a keyword, each row also carries `total` (the number of
 * matches, via a window over the same evaluation, so the keyword is matched once per query); when the
 * page is empty the caller gets the total from `countQuery`.
 */
export function pageQuery(q: LogQuery): SqlPart & { withTotal: boolean } {
  const limits = [Math.max(0, q.limit), Math.max(0, q.offset)];
  const kw = keywordFilter(q.keyword);
  if (kw) {
    const src = keywordSource(q, kw);
    return {
      sql: `SELECT seq, COUNT(*) OVER () AS total FROM (${src.sql}) ORDER BY ${orderTerms(q, (c) => (c === 'seq' ? 'seq' : 'k'))} LIMIT ? OFFSET ?`,
      params: [...src.params, ...limits],
      withTotal: true,
    };
  }
  const where = whereClause(q);
  return {
    sql: `SELECT seq FROM invocations WHERE ${where.sql} ORDER BY ${orderTerms(q, (c) => c)} LIMIT ? OFFSET ?`,
    params: [...where.params, ...limits],
    withTotal: false,
  };
}

/**
 * The total. Without a time range, request id or keyword, it is a sum over the small counts table
 * (exact, maintained in every write transaction); with a keyword, a count of the keyword's sources
 * (started from the FTS hits, like the page); otherwise a COUNT over the narrowest index.
 */
export function countQuery(q: LogQuery): SqlPart {
  const kw = keywordFilter(q.keyword);
  if (kw) {
    const src = keywordSource(q, kw);
    return { sql: `SELECT COUNT(*) AS total FROM (${src.sql})`, params: src.params };
  }
  if (q.requestId === undefined && q.startTimeFrom === undefined && q.startTimeTo === undefined) {
    const conds: string[] = [];
    const params: unknown[] = [];
    identityConditions(q, conds, params);
    const where = conds.length === 0 ? '1' : conds.join(' AND ');
    return { sql: `SELECT COALESCE(SUM(n), 0) AS total FROM invocation_counts WHERE ${where}`, params };
  }
  const where = whereClause(q);
  return { sql: `SELECT COUNT(*) AS total FROM invocations WHERE ${where.sql}`, params: where.params };
}
