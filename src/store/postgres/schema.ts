/**
 * Versioned schema of the PostgreSQL store (component `logstore` of `src/pg/migrations.ts`).
 *
 * - `invocations` is partitioned by day of `start_time` (declarative RANGE partitioning, one partition per
 *   UTC day, created on demand by the store: `partitions.ts`), so retention drops whole days. A unique key
 *   on a partitioned table must contain the partition key: records are keyed by (request_id, start_time),
 *   and the store keeps request ids unique itself (it looks a batch's ids up before writing them; a
 *   record's startTime never changes). The same key is what a Citus distribution would keep
 *   (docs/scaling.md).
 * - `seq` comes from one sequence: unique across partitions, increasing with insertion order; the
 *   tie-break of every sort.
 * - Strings that sort (function_name, request_id) use the "C" collation: byte order of UTF-8, which is
 *   Unicode code point order, as the contract wants (and as SQLite's BINARY collation does).
 * - `search_text` is the keyword index's text of a final record: its search text's tokens (`keyword.ts`),
 *   lower-cased and joined by single spaces, with a space at both ends; NULL while the record runs.
 *   A keyword term is then exactly a `LIKE '% tok1 tok2 %'` (`'% tok1 tok2%'` for a prefix), so
 *   PostgreSQL and SQLite match by one rule. The index that finds the candidates is a GIN over the
 *   tokens as a tsvector (V1 `scf_tokens`, V2 `scf_index_tokens`, which adds a lexeme naming the
 *   record's function): a one-token term is answered by it exactly, a phrase is rechecked by its
 *   LIKE. Chosen by measurement over pg_trgm (bench/README.md: at 100k records the trigram GIN cost 30 %
 *   of ingest against 7 % for this one, and a rare word took 7 ms against 0.7 ms).
 * - `invocation_counts` holds exact totals per (day, namespace, function, qualifier, retCode), kept by each
 *   write transaction, so the first page's total never counts rows, and dropping a day drops its counts.
 * - `invocation_events` is the cluster's live feed (start, log chunk, end), written in the same
 *   transaction as the records it describes; `id` is assigned under a transaction-scoped advisory lock
 *   taken just before commit, so ids become visible in increasing order: a reader that has seen id N has
 *   seen every event < N that will ever exist (the gap-free cursor of `logs --follow`).
 * - `store_state.epoch` names the feed's cursors.
 * - `store_state.kept_from`: set while a prune is under way; records before it are being pruned and every
 *   read excludes them, so totals and pages agree while a day's partition is detached and dropped.
 */
import type { PgMigration } from '../../pg/index.js';

const V1 = `
-- The keyword index's tokens of a record: its keyword text split on spaces, each token cut to 500
-- characters (a tsvector lexeme holds at most 2047 bytes), as a tsvector without positions. Texts over
-- 256 KiB are not indexed (a tsvector holds at most 1 MiB): NULL, found through invocations_search_big.
CREATE FUNCTION scf_tokens(t text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $fn$
    SELECT CASE WHEN octet_length(t) <= 262144 THEN
      array_to_tsvector(ARRAY(SELECT DISTINCT left(x, 500) FROM unnest(string_to_array(t, ' ')) AS x WHERE x <> ''))
    END
  $fn$;

CREATE SEQUENCE invocations_seq AS bigint;

CREATE TABLE invocations (
  seq             bigint           NOT NULL,
  request_id      text COLLATE "C" NOT NULL,
  namespace       text COLLATE "C" NOT NULL,
  function_name   text COLLATE "C" NOT NULL,
  qualifier       text COLLATE "C" NOT NULL,
  start_time      bigint           NOT NULL,
  duration        double precision NOT NULL,
  bill_duration   bigint           NOT NULL,
  mem_usage       bigint           NOT NULL,
  ret_code        integer          NOT NULL,
  invoke_finished smallint         NOT NULL,
  retry_num       integer          NOT NULL,
  node_id         text             NOT NULL,
  ret_msg         text             NOT NULL,
  log             text             NOT NULL,
  search_text     text COLLATE "C",
  PRIMARY KEY (request_id, start_time)
) PARTITION BY RANGE (start_time);

CREATE INDEX invocations_fn ON invocations (function_name, namespace, start_time, seq);
CREATE INDEX invocations_time ON invocations (start_time, seq);
CREATE INDEX invocations_running ON invocations (node_id, seq) WHERE ret_code = 2;
CREATE INDEX invocations_search ON invocations USING gin (scf_tokens(search_text));
CREATE INDEX invocations_search_big ON invocations (seq) WHERE octet_length(search_text) > 262144;

CREATE TABLE invocation_counts (
  day           integer          NOT NULL,
  namespace     text COLLATE "C" NOT NULL,
  function_name text COLLATE "C" NOT NULL,
  qualifier     text COLLATE "C" NOT NULL,
  ret_code      integer          NOT NULL,
  n             bigint           NOT NULL,
  PRIMARY KEY (day, namespace, function_name, qualifier, ret_code)
);

CREATE SEQUENCE invocation_events_id AS bigint;

CREATE TABLE invocation_events (
  id            bigint           PRIMARY KEY,
  type          smallint         NOT NULL,
  request_id    text COLLATE "C" NOT NULL,
  start_time    bigint           NOT NULL,
  namespace     text COLLATE "C" NOT NULL,
  function_name text COLLATE "C" NOT NULL,
  node_id       text             NOT NULL,
  text          text,
  created_at    timestamptz      NOT NULL DEFAULT now()
);

CREATE TABLE store_state (
  one       boolean PRIMARY KEY DEFAULT true CHECK (one),
  kept_from bigint,
  -- Names the feed's cursors (\`<epoch>-<event id>\`): a new store is a new epoch, so a cursor from
  -- another database is never taken for one of this one.
  epoch     text    NOT NULL
);
INSERT INTO store_state (kept_from, epoch)
  VALUES (NULL, 'pg' || substr(md5(random()::text || clock_timestamp()::text), 1, 10));
`;

// The keyword index, cheaper to compute and scoped by function (measured: bench/README.md, "PostgreSQL").
// - Its expression is built-in functions on the common path: a text of at most 2047 bytes cannot hold a
//   token too long for a lexeme, so it is split and made a tsvector in C (array_to_tsvector sorts and
//   drops duplicates), without V1's SQL-function call, unnest and DISTINCT per row (~3x the cost); longer
//   texts still go through V1's `scf_tokens`, which cuts tokens to 500 characters. (So a short text's
//   token of over 500 characters is held whole, a long text's cut: either way a search for a token of 500
//   characters or more looks it up as a prefix of its first 500 and rechecks by LIKE: `text.ts`.)
// - Each indexed record also has a lexeme naming its function, ' f<characters in namespace> <namespace>
//   <function>' (cut to 500 characters): it begins with a space, so no token can equal it, and it names
//   one (namespace, function) whatever characters the names hold. A search within one function ANDs it
//   into its tsquery and the GIN intersects the posting lists itself, instead of ANDing its bitmap with
//   the function B-tree's (measured at 10M records: 7-10 ms per day partition) or fetching every match
//   of the word from the heap to filter there (~10,000 rows for the ~100 of one function). (A lexeme per
//   namespace did not pay: PostgreSQL 15 fetched each match's row for a count all the same, and the
//   namespace's posting list made the search slower: 88-176 ms against 49-57 ms.)
// - A SQL-standard body (RETURN) is parsed once, here, with its references bound: the expression is
//   inlined into the index and into queries whatever the session's search_path.
// Rebuilding the index on an existing store reads every record once, under a lock that blocks writes
// (PostgreSQL cannot build an index on a partitioned table concurrently): minutes at 10M records.
const V2 = `
SET LOCAL maintenance_work_mem = '256MB';

CREATE FUNCTION scf_index_tokens(ns text, fn text, t text) RETURNS tsvector
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN CASE
    WHEN octet_length(t) <= 2047 THEN
      array_to_tsvector(array_append(array_remove(string_to_array(t, ' '), ''),
        left(' f' || char_length(ns) || ' ' || ns || ' ' || fn, 500)))
    WHEN octet_length(t) <= 262144 THEN
      scf_tokens(t) || array_to_tsvector(ARRAY[left(' f' || char_length(ns) || ' ' || ns || ' ' || fn, 500)])
  END;

DROP INDEX invocations_search;
CREATE INDEX invocations_keyword ON invocations
  USING gin (scf_index_tokens(namespace, function_name, search_text));
`;

// Per-minute rollups (`../rollup.ts`), kept by each write transaction: one upsert of the batch's rows in
// key order (the lock order across nodes). Sums add and maxima take the larger in SQL, so two nodes'
// batches merge into one row without reading it first; the histogram (jsonb bucket -> count, sparse) is
// merged by scf_hist_add. Not partitioned: a day's rows are deleted by minute (its index) with the day's
// counts when retention drops the day. Rows for the records already stored are built here (their
// concurrency, which records do not carry, is 0; throttles were never recorded).
const V3 = `
CREATE FUNCTION scf_hist_add(a jsonb, b jsonb) RETURNS jsonb
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN coalesce(a, '{}'::jsonb) || coalesce(
    (SELECT jsonb_object_agg(key, value::text::bigint + coalesce((a ->> key)::bigint, 0)) FROM jsonb_each(b)),
    '{}'::jsonb);

CREATE TABLE invocation_rollups (
  namespace          text COLLATE "C" NOT NULL,
  function_name      text COLLATE "C" NOT NULL,
  qualifier          text COLLATE "C" NOT NULL,
  minute             bigint           NOT NULL,
  invocations        bigint           NOT NULL,
  success            bigint           NOT NULL,
  function_errors    bigint           NOT NULL,
  timeouts           bigint           NOT NULL,
  memory_errors      bigint           NOT NULL,
  platform_errors    bigint           NOT NULL,
  throttles          bigint           NOT NULL,
  duration_sum       double precision NOT NULL,
  duration_max       double precision NOT NULL,
  mem_max            bigint           NOT NULL,
  mem_duration       double precision NOT NULL,
  concurrency_max    integer          NOT NULL,
  fn_concurrency_max integer          NOT NULL,
  histogram          jsonb            NOT NULL,
  PRIMARY KEY (namespace, function_name, qualifier, minute)
);
CREATE INDEX invocation_rollups_minute ON invocation_rollups (minute);

INSERT INTO invocation_rollups
SELECT namespace, function_name, qualifier, minute, count(*), count(*) FILTER (WHERE ret_code = 0),
       count(*) FILTER (WHERE ret_code IN (430, 407)), count(*) FILTER (WHERE ret_code = 433),
       count(*) FILTER (WHERE ret_code = 434),
       count(*) FILTER (WHERE ret_code NOT IN (0, 430, 407, 433, 434)), 0,
       sum(greatest(duration, 0)), max(greatest(duration, 0)), max(mem_usage),
       sum(mem_usage / 1048576.0 * greatest(duration, 0)), 0, 0,
       (SELECT jsonb_object_agg(b, n) FROM (SELECT b, count(*) AS n FROM unnest(array_agg(bucket)) AS u(b) GROUP BY b) AS h)
  FROM (SELECT namespace, function_name, qualifier, ret_code, duration, mem_usage,
               (start_time / 60000) * 60000 AS minute,
               CASE WHEN duration >= 2 ^ (-10) THEN floor(log(2, duration::numeric) * 8)::int ELSE -81 END AS bucket
          FROM invocations WHERE ret_code <> 2) AS r
 GROUP BY namespace, function_name, qualifier, minute;
`;

export const LOGSTORE_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: 'invocations partitioned by day, counts, event feed, retention state',
    up: V1,
  },
  {
    version: 2,
    description: 'keyword index: tokens by built-in functions, with a lexeme per function',
    up: V2,
  },
  {
    version: 3,
    description: 'per-minute rollups of records (GetMonitorData), built from the records present',
    up: V3,
  },
];
