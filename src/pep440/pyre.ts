/**
 * Building blocks that make JavaScript regular expressions match exactly what the reference
 * (pypa/packaging, which uses Python's `re` with `re.IGNORECASE | re.VERBOSE` on `str`) matches.
 *
 * Why not just use the `i` flag: Python's case-insensitive matching of `str` patterns folds four
 * non-ASCII letters onto ASCII ones (`İ` U+0130 and `ı` U+0131 match `i`, `ſ` U+017F matches `s`,
 * `K` U+212A matches `k`), and Python's `\s` is `str.isspace()`, which differs from JavaScript's
 * `\s` (Python has U+001C–U+001F and U+0085, JavaScript has U+FEFF). Spelling every class out keeps
 * the two engines in lock-step; both are backtracking engines with the same alternation priority,
 * so the same pattern yields the same groups.
 *
 * @internal
 */

/** Characters for which Python's `str.isspace()` (and so `re`'s `\s` and `str.strip()`) is true. */
const PY_WS_CHARS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** Python `\s`. */
export const WS = `[${PY_WS_CHARS}]`;

/** Python `[^\s;)]` (the arbitrary-equality version charset). */
export const NOT_WS_SEMI_PAREN = `[^${PY_WS_CHARS};)]`;

/** Python `[a-z0-9]` under `re.IGNORECASE`. */
export const ALNUM_I = '[0-9a-zA-Z\\u0130\\u0131\\u017f\\u212a]';

const FOLD_EXTRA: Readonly<Record<string, string>> = { i: '\\u0130\\u0131', k: '\\u212a', s: '\\u017f' };

/** A literal ASCII word matched the way Python's `re.IGNORECASE` matches it. */
export function ci(word: string): string {
  let out = '';
  for (const ch of word) {
    const lower = ch.toLowerCase();
    if (lower >= 'a' && lower <= 'z') out += `[${lower}${lower.toUpperCase()}${FOLD_EXTRA[lower] ?? ''}]`;
    else out += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return out;
}

/** `ci()` over alternatives, keeping their order (alternation order decides which one wins). */
export function ciAlt(...words: string[]): string {
  return words.map(ci).join('|');
}

const PY_WS_SET = new RegExp(`^${WS}+|${WS}+$`, 'g');

/** Python `str.strip()` with no arguments. */
export function pyStrip(s: string): string {
  return s.replace(PY_WS_SET, '');
}

/** Index of the first non-whitespace character (Python whitespace), or `s.length`. */
export function skipWs(s: string, from: number): number {
  const re = new RegExp(`${WS}*`, 'y');
  re.lastIndex = from;
  re.exec(s);
  return re.lastIndex;
}

/**
 * Compare two strings by code point, as Python compares `str` values (JavaScript's `<` compares
 * UTF-16 code units, which orders astral characters before U+E000–U+FFFF).
 */
export function compareCodePoints(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Python `str.isdigit()` restricted to what can reach it here (ASCII digits; never empty). */
export function isAsciiDigits(s: string): boolean {
  return /^[0-9]+$/.test(s);
}
