/**
 * Decoding of marker string literals. PEP 508's grammar calls them `python_str`, and packaging
 * 24.1 turns the quoted token into its value with `ast.literal_eval`, so a marker literal is a
 * Python string literal: backslash escapes are processed (`"\x41"` is `A`) and some inputs are
 * errors (`"\"`, `"\x4"`, a raw newline). This module reproduces CPython 3.13's rules for a
 * non-prefixed, single-quoted literal.
 *
 * @internal
 */

/** Why a literal cannot be decoded; the caller turns it into a syntax error. */
export class PythonStringError extends Error {}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  a: '\x07',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

const HEX = /^[0-9a-fA-F]+$/;

/**
 * The value of `token`, a complete literal such as `'abc'` or `"a\tb"` (quotes included, as the
 * `QUOTED_STRING` token matches it: no unescaped occurrence of its own quote inside).
 *
 * @throws PythonStringError where `ast.literal_eval` raises `SyntaxError`. Named escapes
 *   (`\N{...}`) are refused: decoding them needs the Unicode name table, and no real marker uses one.
 */
export function decodePythonString(token: string): string {
  // Python's tokenizer reads source with universal newlines before it sees the literal.
  const body = token.slice(1, -1).replace(/\r\n?/g, '\n');
  if (body.includes('\0')) throw new PythonStringError('source code string cannot contain null bytes');
  let out = '';
  let i = 0;
  while (i < body.length) {
    const ch = body[i]!;
    if (ch === '\n') throw new PythonStringError('unterminated string literal');
    if (ch !== '\\') {
      out += ch;
      i += 1;
      continue;
    }
    // A backslash as the last character escapes the closing quote: the literal never ends.
    if (i + 1 >= body.length) throw new PythonStringError('unterminated string literal');
    const next = body[i + 1]!;
    i += 2;
    if (next === '\n') continue; // line continuation
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      continue;
    }
    if (next >= '0' && next <= '7') {
      let digits = next;
      while (digits.length < 3 && i < body.length && body[i]! >= '0' && body[i]! <= '7') {
        digits += body[i];
        i += 1;
      }
      // Values above 0o377 are only a SyntaxWarning in 3.13; the code point is kept.
      out += String.fromCharCode(parseInt(digits, 8));
      continue;
    }
    const width = next === 'x' ? 2 : next === 'u' ? 4 : next === 'U' ? 8 : 0;
    if (width > 0) {
      const hex = body.slice(i, i + width);
      if (hex.length !== width || !HEX.test(hex)) {
        throw new PythonStringError(`truncated \\${next}${'X'.repeat(width)} escape`);
      }
      const codePoint = parseInt(hex, 16);
      if (codePoint > 0x10ffff) throw new PythonStringError('illegal Unicode character');
      out += String.fromCodePoint(codePoint);
      i += width;
      continue;
    }
    if (next === 'N') throw new PythonStringError('named Unicode escapes (\\N{...}) are not supported');
    // Unknown escapes keep their backslash (a SyntaxWarning in 3.13, not an error).
    out += '\\' + next;
  }
  return out;
}
