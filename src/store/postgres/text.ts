/**
 * What PostgreSQL's text type cannot hold, and the keyword index's text. PostgreSQL text cannot contain
 * NUL (U+0000): a function that prints one would otherwise fail its whole batch, so NUL is stored as
 * U+FFFD (the one lossy difference from SQLite, documented in docs/scaling.md). Lone UTF-16
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
 * The keyword index's lexeme of one function (`scf_index_tokens` in `schema.ts`), as a tsquery operand to
 * AND to a search's terms: ' f<characters in namespace> <namespace> <function>', cut to 500 characters
 * (code points, as PostgreSQL's `left` and `char_length` count) and quoted for tsquery (`'` doubled,
 * backslash escaped). `exact` when nothing was cut: then it matches exactly that function's records (the
 * length makes the pair of names readable back), and the equality conditions can go.
 */
export function functionLexeme(namespace: string, functionName: string): { lexeme: string; exact: boolean } {
  const ns = Array.from(pgText(namespace));
  const chars = [...` f${ns.length} `, ...ns, ' ', ...Array.from(pgText(functionName))];
  const cut = chars.slice(0, 500).join('');
  return {
    lexeme: `'${cut.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`,
    exact: chars.length <= 500,
  };
}

/** Longest token the keyword index holds whole (`scf_tokens` in `schema.ts` cuts longer ones). */
const INDEXED_TOKEN_CHARS = 500;

export interface KeywordSql {
  /** The terms as one tsquery over the keyword index: every token of every term, ANDed. */
  tsquery: string;
  /** LIKE patterns the index cannot decide (phrases, cut tokens): rechecked on its candidates. */
  recheck: string[];
  /** Every term's LIKE pattern: the whole match, for texts too large for the index. */
  all: string[];
}

const lexeme = (token: string, prefix: boolean): string => {
  // Tokens hold only letters, digits and private-use characters: quoting cannot be broken out of.
  // Cut by code points, as PostgreSQL's `left` does (a cut inside a surrogate pair would match nothing).
  const chars = Array.from(token);
  if (chars.length > INDEXED_TOKEN_CHARS) return `'${chars.slice(0, INDEXED_TOKEN_CHARS).join('')}':*`;
  return `'${token}'${prefix ? ':*' : ''}`;
};

/**
 * A keyword as SQL pieces (see `KeywordSql`); undefined when it filters nothing. Each term is the LIKE
 * pattern of its tokens between spaces (`% a b %`, `% a b%` for a prefix): exactly the reference
 * matcher's rule over the keyword text. Tokens hold no LIKE special character (`%`, `_`, `\`).
 */
export function keywordSql(keyword: string | undefined): KeywordSql | undefined {
  if (keyword === undefined) return undefined;
  const terms = parseKeyword(keyword);
  if (terms.length === 0) return undefined;
  const lexemes: string[] = [];
  const recheck: string[] = [];
  const all: string[] = [];
  for (const t of terms) {
    const pattern = `% ${t.tokens.join(' ')}${t.prefix ? '%' : ' %'}`;
    all.push(pattern);
    const last = t.tokens.length - 1;
    t.tokens.forEach((tok, k) => {
      lexemes.push(lexeme(tok, t.prefix && k === last));
    });
    // A token of 500 characters or more may equal a longer one cut by the index: rechecked. (`length`
    // counts UTF-16 units, never fewer than the code points PostgreSQL cuts by.)
    if (t.tokens.length > 1 || t.tokens.some((tok) => tok.length >= INDEXED_TOKEN_CHARS))
      recheck.push(pattern);
  }
  return { tsquery: lexemes.join(' & '), recheck, all };
}
