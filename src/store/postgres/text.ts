/**
 * What PostgreSQL's text type cannot hold, and the keyword index's text. PostgreSQL text cannot contain
 * NUL (U+0000): a function that prints one would otherwise fail its whole batch, so NUL is stored as
 * U+FFFD (the one lossy difference from SQLite, documented in docs/architecture.md). Lone UTF-16
 * surrogates become U+FFFD on the way to UTF-8 in both backends.
 */
import { parseKeyword, tokenize } from '../keyword.js';
import { searchText } from '../search-text.js';

/** `s` as PostgreSQL text can hold it. */
export const pgText = (s: string): string => (s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s);

/**
 * The keyword index's text of a log: the tokens of its search text, lower-cased, joined by single spaces,
 * with a space at both ends (so that every token, phrase and prefix is a LIKE pattern with spaces for
 * boundaries). Computed by the same tokenizer as the reference matcher, so both backends match alike.
 */
export function indexText(log: string): string {
  const tokens = tokenize(searchText(pgText(log)));
  return tokens.length === 0 ? ' ' : ` ${tokens.join(' ')} `;
}

/**
 * A keyword as LIKE patterns, one per term, all of which must match the index text; undefined when the
 * keyword filters nothing. Tokens hold only letters, digits and private-use characters, so none of LIKE's
 * special characters (`%`, `_`, `\`) can occur in them.
 */
export function keywordPatterns(keyword: string | undefined): string[] | undefined {
  if (keyword === undefined) return undefined;
  const terms = parseKeyword(keyword);
  if (terms.length === 0) return undefined;
  return terms
    .map((t) => ` ${t.tokens.join(' ')}${t.prefix ? '%' : ' '}`)
    .map((p) => `%${p}%`.replace(/%%$/, '%'));
}
