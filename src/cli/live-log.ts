/**
 * What `logs --follow` already printed of each running invocation's log, so that its final record shows
 * only the rest: the platform lines (START, END, Report...) and any lines whose live chunks this follower
 * missed (a gap, or a `--status`/`--grep` filter that hid them). The final record's log is authoritative:
 * every line of it is printed exactly once, live or at the end.
 *
 * Lines, not byte offsets: after a gap the shown chunks are not one prefix of the log but a subsequence of
 * its lines (chunks are whole lines, in log order), so the rest is the log's lines minus the shown ones,
 * counted as a multiset (a line printed twice live, e.g. the same continuation line, is subtracted twice).
 * Two identical lines are interchangeable, so which copy counts as shown changes nothing that is printed.
 */

/** Invocations remembered at once; beyond it the oldest is forgotten (its end then prints its whole log). */
const MAX_TRACKED = 10_000;

/** Splits text into lines without their newlines (a final newline does not start another line). */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export class ShownLines {
  readonly #shown = new Map<string, Map<string, number>>();

  /** Notes the lines of `text` as printed for `requestId`. */
  add(requestId: string, text: string): void {
    let counts = this.#shown.get(requestId);
    if (!counts) {
      counts = new Map();
      this.#shown.set(requestId, counts);
      if (this.#shown.size > MAX_TRACKED) {
        const oldest = this.#shown.keys().next();
        if (!oldest.done) this.#shown.delete(oldest.value);
      }
    }
    for (const line of splitLines(text)) counts.set(line, (counts.get(line) ?? 0) + 1);
  }

  /** True when some of `requestId`'s log was printed live. */
  has(requestId: string): boolean {
    return this.#shown.has(requestId);
  }

  /**
   * The lines of the final `log` not printed yet, in log order, each ending with a newline; forgets the
   * invocation (its log is complete).
   */
  remainder(requestId: string, log: string): string {
    const counts = this.#shown.get(requestId);
    this.#shown.delete(requestId);
    if (!counts) return log === '' || log.endsWith('\n') ? log : `${log}\n`;
    let out = '';
    for (const line of splitLines(log)) {
      const n = counts.get(line) ?? 0;
      if (n > 0) counts.set(line, n - 1);
      else out += `${line}\n`;
    }
    return out;
  }
}
