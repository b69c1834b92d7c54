/**
 * A tiny TOML 1.0 writer for the shapes a lock file needs, so the output is byte-for-byte
 * under our control (key order, string style, inline tables) — a general serialiser would
 * decide the layout for us, and a layout change would change every lock file.
 */

/** A value the writer can emit inline. */
export type TomlInline = string | number | boolean | readonly TomlInline[] | { readonly [key: string]: TomlInline };

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** A key, bare when TOML allows it, else a basic string. */
export function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : basicString(key);
}

function basicString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (cp < 0x20 || cp === 0x7f) out += `\\u${cp.toString(16).padStart(4, '0').toUpperCase()}`;
    else if (cp >= 0xd800 && cp <= 0xdfff) throw new Error(`cannot write a lone surrogate (U+${cp.toString(16).toUpperCase()}) to TOML`);
    else out += ch;
  }
  return out + '"';
}

/**
 * A string: a literal string (`'…'`) when it holds a `"` but no `'` or control character (marker
 * text reads better that way), else a basic string with escapes.
 */
export function tomlString(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (s.includes('"') && !s.includes("'") && !/[\u0000-\u001f\u007f]/.test(s) && !/[\ud800-\udfff]/.test(s)) return `'${s}'`;
  return basicString(s);
}

/** An inline value. Arrays of tables are written one per line; other arrays stay on one line. */
export function tomlInline(value: TomlInline, indent = ''): string {
  if (typeof value === 'string') return tomlString(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`only safe integers are written, got ${value}`);
    return String(value);
  }
  if (Array.isArray(value)) {
    const items = value as readonly TomlInline[];
    if (items.length === 0) return '[]';
    if (items.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))) {
      return `[\n${items.map((v) => `${indent}    ${tomlInline(v, indent + '    ')},\n`).join('')}${indent}]`;
    }
    return `[${items.map((v) => tomlInline(v, indent)).join(', ')}]`;
  }
  const entries = Object.entries(value as { readonly [key: string]: TomlInline });
  if (entries.length === 0) return '{}';
  return `{${entries.map(([k, v]) => `${tomlKey(k)} = ${tomlInline(v, indent)}`).join(', ')}}`;
}

/** `key = value` lines for the entries whose value is not undefined, in the given order. */
export function tomlLines(entries: readonly (readonly [string, TomlInline | undefined])[]): string {
  return entries
    .filter((e): e is readonly [string, TomlInline] => e[1] !== undefined)
    .map(([k, v]) => `${tomlKey(k)} = ${tomlInline(v)}\n`)
    .join('');
}
