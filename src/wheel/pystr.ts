/**
 * Python `str` semantics the reference tools rely on (`str.isspace`, `str.strip`, regex `\w`, `\d`),
 * so that parsers ported from CPython's `email`, `configparser` and `csv` modules treat the same
 * characters as whitespace, word or digit characters. JavaScript's `trim()` and `\s` differ (they
 * include U+FEFF and exclude U+001C–U+001F and U+0085). Internal to src/wheel.
 */

/** Characters for which CPython's `str.isspace()` (and so regex `\s`) is true. */
const PY_SPACE =
  '\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0\u1680\u2000\u2001\u2002\u2003' +
  '\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** A regex character class body matching CPython's `\s` for `str` patterns. */
export const PY_SPACE_CLASS = '\\t\\n\\u000b\\u000c\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

/** A regex character class body approximating CPython's `\w` for `str` patterns (letters, numbers, `_`). */
export const PY_WORD_CLASS = '\\p{L}\\p{N}_';

/** CPython `ch.isspace()` for one UTF-16 code unit or code point. */
export function isPySpace(ch: string): boolean {
  return ch.length > 0 && PY_SPACE.includes(ch);
}

/** CPython `s.strip(chars)`; without `chars`, strips what `str.isspace()` accepts. */
export function pyStrip(s: string, chars?: string): string {
  return pyRstrip(pyLstrip(s, chars), chars);
}

/** CPython `s.lstrip(chars)`. */
export function pyLstrip(s: string, chars?: string): string {
  const set = chars ?? PY_SPACE;
  let i = 0;
  while (i < s.length && set.includes(s[i]!)) i++;
  return s.slice(i);
}

/** CPython `s.rstrip(chars)`. */
export function pyRstrip(s: string, chars?: string): string {
  const set = chars ?? PY_SPACE;
  let j = s.length;
  while (j > 0 && set.includes(s[j - 1]!)) j--;
  return s.slice(0, j);
}

/**
 * The value of a run of Unicode decimal digits (`\p{Nd}`), as CPython's `int()` reads it. Unicode
 * guarantees Nd characters come in contiguous runs of ten starting at zero, so a digit's value is
 * its distance from the start of its run, modulo ten.
 */
export function decimalDigitsValue(digits: string): number {
  let value = 0;
  for (const ch of digits) {
    let cp = ch.codePointAt(0)!;
    let start = cp;
    while (start > 0 && /\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
    cp = (cp - start) % 10;
    value = value * 10 + cp;
  }
  return value;
}
