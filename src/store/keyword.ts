/**
 * The keyword language of `LogQuery.keyword`, backend-independent: parsing user input into terms, and a
 * reference matcher used for records a backend has not indexed yet (running ones) and by the test model.
 * Both search a record's search text (`search-text.ts`), never its raw log.
 *
 * Semantics: the input is split on whitespace into terms; `"..."` groups a phrase (an unbalanced quote runs
 * to the end). Each term is split into tokens the way a log is: a token is a maximal run of letters,
 * digits and private-use characters (Unicode L*, N*, Co — SQLite FTS5 `unicode61`'s default); everything
 * else separates. A term matches when its tokens occur consecutively in the log, case-insensitively; a
 * trailing `*` makes its last token a prefix. Every term must match. Terms without any token (`---`) are
 * ignored, so a keyword made only of those filters nothing.
 */

export interface KeywordTerm {
  /** Lower-cased tokens that must occur consecutively. Never empty. */
  readonly tokens: readonly string[];
  /** The last token matches as a prefix. */
  readonly prefix: boolean;
}

const TOKEN = /[\p{L}\p{N}\p{Co}]+/gu;

/** Splits text into lower-cased tokens, the way FTS5's unicode61 tokenizer does (for the common cases). */
export function tokenize(text: string): string[] {
  return Array.from(text.matchAll(TOKEN), (m) => m[0].toLowerCase());
}

/** Parses user input into terms; never throws, whatever the input. */
export function parseKeyword(input: string): KeywordTerm[] {
  const terms: KeywordTerm[] = [];
  const raw: { text: string; prefix: boolean }[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    if (/\s/u.test(c)) {
      i++;
    } else if (c === '"') {
      const end = input.indexOf('"', i + 1);
      const stop = end === -1 ? input.length : end;
      const text = input.slice(i + 1, stop);
      i = stop + 1;
      // `"a phrase"*`: a star right after the closing quote makes the phrase's last token a prefix.
      let prefix = false;
      if (end !== -1 && input[i] === '*') {
        prefix = true;
        while (input[i] === '*') i++;
      }
      raw.push({ text, prefix });
    } else {
      let j = i;
      while (j < input.length && !/\s/u.test(input.charAt(j)) && input[j] !== '"') j++;
      const text = input.slice(i, j);
      raw.push({ text, prefix: text.endsWith('*') });
      i = j;
    }
  }
  for (const { text, prefix } of raw) {
    const tokens = tokenize(text);
    // A term with nothing searchable in it (`***`, `--`) is dropped rather than matching nothing.
    if (tokens.length > 0) terms.push({ tokens, prefix });
  }
  return terms;
}

/**
 * True when every term occurs in `text` (the reference semantics; linear in the text's size). To match a
 * record, pass its search text (`searchText(log)`, `search-text.ts`), not the raw log.
 */
export function matchKeyword(text: string, terms: readonly KeywordTerm[]): boolean {
  if (terms.length === 0) return true;
  const tokens = tokenize(text);
  return terms.every((term) => occursIn(tokens, term));
}

function occursIn(tokens: readonly string[], term: KeywordTerm): boolean {
  const last = term.tokens.length - 1;
  for (let start = 0; start + last < tokens.length; start++) {
    if (term.tokens.every((want, k) => tokenMatches(tokens[start + k], want, k === last && term.prefix))) {
      return true;
    }
  }
  return false;
}

/** One token of a term against one of the text (`have`: none past the text's end). */
const tokenMatches = (have: string | undefined, want: string, prefix: boolean): boolean =>
  have !== undefined && (prefix ? have.startsWith(want) : have === want);

/**
 * The terms as an FTS5 MATCH expression. Tokens hold only letters and digits, so quoting them is enough
 * to keep FTS5 operators (`OR`, `NEAR`, `-`, `:`) in user input from being interpreted.
 */
export function toFts5Query(terms: readonly KeywordTerm[]): string {
  return terms.map((t) => `"${t.tokens.join(' ')}"${t.prefix ? '*' : ''}`).join(' AND ');
}
