/**
 * The text a record's log is searched by (`LogQuery.keyword`): the log minus what the platform adds to
 * it. Backend-independent; every backend indexes exactly this, and the reference matcher (`keyword.ts`)
 * is applied to exactly this, so indexed and not-yet-indexed (running) records match alike.
 *
 * Removed:
 * - the prefix of each user line, `<ISO time>\t<requestId>\t` (`runtime/node/bootstrap.ts`,
 *   `runtime/log.ts`); the rest of the line stays. Continuation lines (no prefix) stay whole.
 * - the platform lines of the SCF format (`runtime/results.ts` `buildFinalLog`): `START RequestId: <id>`
 *   (with its ` Runtime: <what ran it>` when there is one),
 *   `END RequestId: <id>`, `Report RequestId: <id> ...`, `ERROR RequestId: <id> Result: ...`, and the
 *   `[scf-local] log truncated: ...` marker.
 *
 * Why: each of those lines carries the time and the request id, i.e. ~10 tokens unique to the record, so
 * indexing them multiplies the full-text index's vocabulary and ingest cost, and searching them is never
 * needed: the request id has its own filter (`LogQuery.requestId`), the time its range, the outcome
 * `retCode`.
 */

/**
 * One alternation, anchored at line starts (`m`): a whole platform line with its newline, or the prefix
 * of a user line. A line that merely resembles a platform line (`START RequestId: x y`) stays.
 */
const PLATFORM_OR_PREFIX = new RegExp(
  [
    String.raw`^(?:START|END) RequestId: [^\s]*[ \t]*(?:\r?\n|$)`,
    String.raw`^START RequestId: [^\s]* Runtime: [^\n]*(?:\n|$)`,
    String.raw`^Report RequestId: [^\s]* Duration:[^\n]*(?:\n|$)`,
    String.raw`^ERROR RequestId: [^\s]* Result: [^\n]*(?:\n|$)`,
    String.raw`^\[scf-local\] log truncated: [^\n]*(?:\n|$)`,
    String.raw`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\t[^\t\n]*\t`,
  ].join('|'),
  'gm',
);

/** The searchable part of a log (see the module comment). Pure; linear in the log's length. */
export function searchText(log: string): string {
  return log.replace(PLATFORM_OR_PREFIX, '');
}
