/**
 * A plain in-memory model of the LogStore's read/write semantics (array filter + sort + slice), against
 * which the conformance suite's property tests compare a real backend. Deliberately naive, and written
 * from the contract (`LogQuery` in `src/store/types.ts`, `docs/runtime.md` "Log capture", `docs/api-v3.md`
 * GetFunctionLogs), not from the store's code: it imports nothing from `src/` but types, so a bug in the
 * store's keyword parser, matcher or search-text extraction shows up as a disagreement with this model.
 */
import type {
  InvocationRecord,
  LogPage,
  LogQuery,
  RetCodeFilter,
  StoredRecord,
  WriteOp,
} from '../../src/store/types.js';

const RET_CLASS: Record<RetCodeFilter, (c: number) => boolean> = {
  is0: (c) => c === 0,
  not0: (c) => c !== 0,
  TimeLimitExceeded: (c) => c === 433,
  ResourceLimitExceeded: (c) => c === 434,
  UserCodeException: (c) => c === 430,
};

// ------------------------------------------------------------------------------------------ keyword

/**
 * The words of a text, lower-cased: maximal runs of letters and digits (the contract: "tokens are runs
 * of letters/digits"); every other character separates words.
 */
export function wordsOf(text: string): string[] {
  const words: string[] = [];
  let current = '';
  for (const ch of text) {
    if (/^[\p{L}\p{N}]$/u.test(ch)) {
      current += ch;
    } else if (current !== '') {
      words.push(current.toLowerCase());
      current = '';
    }
  }
  if (current !== '') words.push(current.toLowerCase());
  return words;
}

/** One search term: words that must occur one after the other; `prefix`: the last one may go on. */
export interface ModelTerm {
  words: string[];
  prefix: boolean;
}

/**
 * The keyword as terms. The text is cut at every `"`: pieces outside quotes are split on whitespace into
 * terms (a term ending in `*` is a prefix), each piece inside quotes is one phrase (a quote left open runs
 * to the end; a `*` right after the closing quote makes the phrase a prefix). A term's words are its
 * letter/digit runs, so `foo-bar` is the phrase `foo bar`; a term with no word is dropped.
 */
export function keywordTerms(keyword: string): ModelTerm[] {
  const terms: ModelTerm[] = [];
  const add = (text: string, prefix: boolean): void => {
    const words = wordsOf(text);
    if (words.length > 0) terms.push({ words, prefix });
  };
  const pieces = keyword.split('"');
  pieces.forEach((piece, i) => {
    if (i % 2 === 1) {
      const closed = i < pieces.length - 1;
      add(piece, closed && pieces[i + 1]!.startsWith('*'));
      return;
    }
    for (const term of piece.split(/\s+/u)) add(term, term.endsWith('*'));
  });
  return terms;
}

/** True when every term's words occur consecutively among the text's words. */
export function matchesKeyword(text: string, terms: readonly ModelTerm[]): boolean {
  // Words hold no spaces, so "consecutive words" is a substring test on the words joined by spaces.
  const haystack = ` ${wordsOf(text).join(' ')} `;
  return terms.every((t) => haystack.includes(` ${t.words.join(' ')}${t.prefix ? '' : ' '}`));
}

// -------------------------------------------------------------------------------------- search text

/** `<ISO 8601 UTC time>`, as the first field of a user line (`docs/runtime.md`, "Log capture"). */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** SCF's platform lines (`docs/runtime.md`), each a whole line naming one request id. */
function isPlatformLine(line: string): boolean {
  const rest = (head: string): string | undefined =>
    line.startsWith(head) ? line.slice(head.length) : undefined;
  const startOrEnd = rest('START RequestId: ') ?? rest('END RequestId: ');
  if (startOrEnd !== undefined) return /^\S+\s*$/u.test(startOrEnd);
  const report = rest('Report RequestId: ');
  if (report !== undefined) return /^\S+ Duration:/u.test(report);
  const error = rest('ERROR RequestId: ');
  if (error !== undefined) return /^\S+ Result: /u.test(error);
  return line.startsWith('[scf-local] log truncated: ');
}

/**
 * What a keyword searches: the log line by line, platform lines left out, a user line's
 * `<time>\t<request id>\t` in front of its message left out; continuation lines kept whole.
 */
export function modelSearchText(log: string): string {
  const kept: string[] = [];
  for (const line of log.split('\n')) {
    if (isPlatformLine(line)) continue;
    const fields = line.split('\t');
    kept.push(fields.length >= 3 && ISO_UTC.test(fields[0]!) ? fields.slice(2).join('\t') : line);
  }
  return kept.join('\n');
}

// ------------------------------------------------------------------------------------------- model

/** Strings compare by Unicode code point (= UTF-8 byte order, SQLite's BINARY collation). */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function compareField(a: StoredRecord, b: StoredRecord, q: LogQuery): number {
  switch (q.orderBy) {
    case 'functionName':
      return compareCodePoints(a.functionName, b.functionName);
    case 'requestId':
      return compareCodePoints(a.requestId, b.requestId);
    default:
      return a[q.orderBy] - b[q.orderBy];
  }
}

export class LogModel {
  readonly records = new Map<string, StoredRecord>();
  #seq = 0;

  write(batch: readonly WriteOp[]): void {
    for (const op of batch) {
      if (op.op === 'throttle') continue;
      if (op.op === 'appendLog') {
        const r = this.records.get(op.requestId);
        if (r) r.log += op.text;
        continue;
      }
      const rec: InvocationRecord =
        op.op === 'finish'
          ? op.record
          : {
              duration: 0,
              billDuration: 0,
              memUsage: 0,
              retMsg: '',
              ...op.record,
              retCode: 2,
              invokeFinished: 0,
            };
      const prev = this.records.get(rec.requestId);
      this.records.set(rec.requestId, { ...rec, seq: prev ? prev.seq : ++this.#seq });
    }
  }

  recoverInterrupted(): number {
    let n = 0;
    for (const r of this.records.values()) {
      if (r.retCode === 2) {
        r.retCode = 3;
        r.invokeFinished = 0;
        n++;
      }
    }
    return n;
  }

  /** Retention: every record with startTime < `before` goes; how many. */
  prune(before: number): number {
    let n = 0;
    for (const [id, r] of this.records) {
      if (r.startTime < before) {
        this.records.delete(id);
        n++;
      }
    }
    return n;
  }

  query(q: LogQuery): LogPage {
    const terms = q.keyword === undefined ? [] : keywordTerms(q.keyword);
    const matching = [...this.records.values()].filter(
      (r) =>
        (q.namespace === undefined || r.namespace === q.namespace) &&
        (q.functionName === undefined || r.functionName === q.functionName) &&
        (q.qualifier === undefined || r.qualifier === q.qualifier) &&
        (q.requestId === undefined || r.requestId === q.requestId) &&
        (q.startTimeFrom === undefined || r.startTime >= q.startTimeFrom) &&
        (q.startTimeTo === undefined || r.startTime <= q.startTimeTo) &&
        (q.retCode === undefined || RET_CLASS[q.retCode](r.retCode)) &&
        matchesKeyword(modelSearchText(r.log), terms),
    );
    const dir = q.order === 'asc' ? 1 : -1;
    matching.sort((a, b) => dir * (compareField(a, b, q) || a.seq - b.seq));
    return {
      total: matching.length,
      items: matching.slice(q.offset, q.offset + q.limit).map((r) => ({ ...r })),
    };
  }
}
