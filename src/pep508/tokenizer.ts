/**
 * The context-sensitive tokenizer behind PEP 508 dependency specifiers and environment markers,
 * a transcription of pypa/packaging 24.1 `_tokenizer.py`.
 *
 * The grammar is parsed by asking "does token X start here?" rather than by splitting the input
 * up front: the same characters are a URL after `@`, a version after `==`, an identifier after
 * `[`. Each rule is a sticky regular expression tried at the current position.
 *
 * packaging's rules are Python `re` patterns on `str`; three Python behaviours are reproduced
 * here so that both tokenizers cut every input at the same places:
 * - `\b` uses Unicode word characters (letters, numbers, `_`), not ASCII ones;
 * - `\s` is `str.isspace()` (includes U+001C–U+001F and U+0085; excludes U+FEFF);
 * - `re.IGNORECASE` (used for `SPECIFIER`) folds `İ`/`ı` onto `i`, `ſ` onto `s`, `K` onto `k`;
 * - `$` (the `END` token) matches at the end and also just before a final `\n`.
 *
 * @internal
 */
import { SneakpackError, caretLine, type ErrorCode } from '../errors.js';

/** Python's `\s`: the characters for which `str.isspace()` is true. */
const PY_WS = '[\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
/** Python's `[^\s;)]`. */
const PY_NOT_WS_SEMI_PAREN =
  '[^\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000;)]';
/** A word character for Python's `\b` on `str`: `str.isalnum()` or `_`. */
const PY_WORD = '[\\p{L}\\p{N}_]';
/** Python's `\b`. */
const B = `(?:(?<=${PY_WORD})(?!${PY_WORD})|(?<!${PY_WORD})(?=${PY_WORD}))`;

const FOLDS: Readonly<Record<string, string>> = { i: '\\u0130\\u0131', k: '\\u212a', s: '\\u017f' };

/** An ASCII word as Python's `re.IGNORECASE` matches it. */
function ci(word: string): string {
  let out = '';
  for (const ch of word) {
    const lower = ch.toLowerCase();
    out += lower >= 'a' && lower <= 'z' ? `[${lower}${lower.toUpperCase()}${FOLDS[lower] ?? ''}]` : ch;
  }
  return out;
}

/** Python's `[a-z0-9]` under `re.IGNORECASE`. */
const ALNUM_I = '[a-zA-Z0-9\\u0130\\u0131\\u017f\\u212a]';
const SEP = '[\\-_.]';
const PRE = `(?:${SEP}?(?:${['alpha', 'beta', 'preview', 'pre', 'a', 'b', 'c', 'rc'].map(ci).join('|')})${SEP}?[0-9]*)?`;
const POST = `(?:(?:-[0-9]+)|(?:${SEP}?(?:${ci('post')}|${ci('rev')}|${ci('r')})${SEP}?[0-9]*))?`;
const DEV = `(?:${SEP}?${ci('dev')}${SEP}?[0-9]*)?`;
const V = `${ci('v')}?`;

/**
 * `Specifier._operator_regex_str + Specifier._version_regex_str` (PEP 440 "Version specifiers"),
 * compiled by packaging with `re.VERBOSE | re.IGNORECASE` and without anchors.
 */
const SPECIFIER_SOURCE =
  '(?:~=|==|!=|<=|>=|<|>|===)' +
  '(?:' +
  // Arbitrary equality: anything up to whitespace, `;` or `)`.
  `(?:(?<====)${PY_WS}*${PY_NOT_WS_SEMI_PAREN}*)` +
  '|' +
  // `==` and `!=` allow a `.*` suffix or a local label.
  `(?:(?<===|!=)${PY_WS}*${V}(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)*` +
  `(?:\\.\\*|${PRE}${POST}${DEV}(?:\\+${ALNUM_I}+(?:${SEP}${ALNUM_I}+)*)?)?)` +
  '|' +
  // `~=` needs at least two release segments.
  `(?:(?<=~=)${PY_WS}*${V}(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)+${PRE}${POST}${DEV})` +
  '|' +
  `(?:(?<!==|!=|~=)${PY_WS}*${V}(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)*${PRE}${POST}${DEV})` +
  ')';

/** The token kinds of packaging's `DEFAULT_RULES`. */
export type TokenName =
  | 'LEFT_PARENTHESIS'
  | 'RIGHT_PARENTHESIS'
  | 'LEFT_BRACKET'
  | 'RIGHT_BRACKET'
  | 'SEMICOLON'
  | 'COMMA'
  | 'QUOTED_STRING'
  | 'OP'
  | 'BOOLOP'
  | 'IN'
  | 'NOT'
  | 'VARIABLE'
  | 'SPECIFIER'
  | 'AT'
  | 'URL'
  | 'IDENTIFIER'
  | 'VERSION_PREFIX_TRAIL'
  | 'VERSION_LOCAL_LABEL_TRAIL'
  | 'WS'
  | 'END';

const RULE_SOURCES: Readonly<Record<TokenName, string>> = {
  LEFT_PARENTHESIS: '\\(',
  RIGHT_PARENTHESIS: '\\)',
  LEFT_BRACKET: '\\[',
  RIGHT_BRACKET: '\\]',
  SEMICOLON: ';',
  COMMA: ',',
  QUOTED_STRING: `(?:'[^']*')|(?:"[^"]*")`,
  OP: '===|==|~=|!=|<=|>=|<|>',
  BOOLOP: `${B}(?:or|and)${B}`,
  IN: `${B}in${B}`,
  NOT: `${B}not${B}`,
  VARIABLE:
    `${B}(?:python_version|python_full_version|os[._]name|sys[._]platform|platform_(?:release|system)` +
    `|platform[._](?:version|machine|python_implementation)|python_implementation` +
    `|implementation_(?:name|version)|extra)${B}`,
  SPECIFIER: SPECIFIER_SOURCE,
  AT: '@',
  URL: '[^ \\t]+',
  IDENTIFIER: `${B}[a-zA-Z0-9][a-zA-Z0-9._\\-]*${B}`,
  VERSION_PREFIX_TRAIL: '\\.\\*',
  VERSION_LOCAL_LABEL_TRAIL: '\\+[a-z0-9]+(?:[\\-_.][a-z0-9]+)*',
  WS: '[ \\t]+',
  // Python's `$` without MULTILINE also matches just before a trailing newline.
  END: '(?=\\n?$)',
};

const RULES: Readonly<Record<TokenName, RegExp>> = Object.freeze(
  Object.fromEntries(
    Object.entries(RULE_SOURCES).map(([name, source]) => [name, new RegExp(source, 'uy')]),
  ) as Record<TokenName, RegExp>,
);

/** One token: its kind, its text and where it starts (UTF-16 offset into the source). */
export interface Token {
  readonly name: TokenName;
  readonly text: string;
  readonly position: number;
}

/**
 * A syntax error at `[start, end)` of `source`, raised as a {@link SneakpackError}. `reason` is
 * packaging's `ParserSyntaxError.message` verbatim, so the two can be compared.
 */
export function syntaxError(
  code: ErrorCode,
  what: string,
  source: string,
  reason: string,
  start: number,
  end: number,
): SneakpackError {
  return new SneakpackError(
    code,
    `Invalid ${what} ${JSON.stringify(source)}: ${reason}\n${caretLine(source, start, end + 1)}`,
    { details: { source, reason, span: [start, end] } },
  );
}

/**
 * Reads tokens on demand. `check` looks for a token kind at the current position and, unless
 * peeking, holds it until `read` consumes it — the same protocol as packaging's `Tokenizer`.
 */
export class Tokenizer {
  readonly source: string;
  position = 0;
  private nextToken: Token | null = null;
  private readonly code: ErrorCode;
  private readonly what: string;

  /** `code` and `what` ("requirement", "marker") shape the errors this tokenizer raises. */
  constructor(source: string, code: ErrorCode, what: string) {
    this.source = source;
    this.code = code;
    this.what = what;
  }

  consume(name: TokenName): void {
    if (this.check(name)) this.read();
  }

  check(name: TokenName, peek = false): boolean {
    if (this.nextToken !== null) {
      throw new Error(`internal: cannot check for ${name}, already holding ${this.nextToken.name}`);
    }
    const rule = RULES[name];
    rule.lastIndex = this.position;
    const match = rule.exec(this.source);
    if (match === null) return false;
    if (!peek) this.nextToken = { name, text: match[0], position: this.position };
    return true;
  }

  expect(name: TokenName, expected: string): Token {
    if (!this.check(name)) this.raiseSyntaxError(`Expected ${expected}`);
    return this.read();
  }

  read(): Token {
    const token = this.nextToken;
    if (token === null) throw new Error('internal: read() without a successful check()');
    this.position += token.text.length;
    this.nextToken = null;
    return token;
  }

  raiseSyntaxError(reason: string, spanStart?: number, spanEnd?: number): never {
    throw syntaxError(
      this.code,
      this.what,
      this.source,
      reason,
      spanStart ?? this.position,
      spanEnd ?? this.position,
    );
  }

  /**
   * Runs `body` between an optional `open` token and its `close`: when `open` is present the
   * matching `close` is required afterwards, and its absence is reported at the opening token.
   */
  enclosingTokens<T>(open: TokenName, close: TokenName, around: string, body: () => T): T {
    let openPosition: number | null = null;
    if (this.check(open)) {
      openPosition = this.position;
      this.read();
    }
    const result = body();
    if (openPosition === null) return result;
    if (!this.check(close)) {
      this.raiseSyntaxError(`Expected matching ${close} for ${open}, after ${around}`, openPosition);
    }
    this.read();
    return result;
  }
}
