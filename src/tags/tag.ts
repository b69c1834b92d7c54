/**
 * The tag triple of PEP 425 (`interpreter-abi-platform`) and its compressed-set syntax.
 *
 * Mirrors `packaging.tags.Tag` / `parse_tag` (packaging 24.1): components are lower-cased once, at
 * construction, so equality is plain string equality. Unlike `parse_tag`, which accepts any text
 * with exactly two dashes, {@link parseTag} also rejects empty components and characters outside
 * `[A-Za-z0-9_]` — no real tag (PEP 425, PEP 600, PEP 656, macOS/Windows platform tags) needs them,
 * and a wheel whose file name carries them is broken.
 */
import { SneakpackError, caretLine } from '../errors.js';

/**
 * One supported (or required) tag triple — PEP 425 "Details".
 *
 * Immutable; components are normalised to lower case exactly like packaging's `Tag`.
 */
export class Tag {
  /** Python tag, e.g. `cp311`, `py3`. */
  readonly interpreter: string;
  /** ABI tag, e.g. `cp311`, `abi3`, `none`. */
  readonly abi: string;
  /** Platform tag, e.g. `manylinux_2_17_x86_64`, `any`. */
  readonly platform: string;

  constructor(interpreter: string, abi: string, platform: string) {
    this.interpreter = interpreter.toLowerCase();
    this.abi = abi.toLowerCase();
    this.platform = platform.toLowerCase();
    Object.freeze(this);
  }

  /** `interpreter-abi-platform`, the form used in wheel file names and `WHEEL` files. */
  toString(): string {
    return `${this.interpreter}-${this.abi}-${this.platform}`;
  }

  /** Same triple (components are already normalised). */
  equals(other: Tag): boolean {
    return this.interpreter === other.interpreter && this.abi === other.abi && this.platform === other.platform;
  }
}

const COMPONENT = /^[A-Za-z0-9_]+$/;

/**
 * Expand a tag or compressed tag set (PEP 425 "Compressed Tag Sets": `py2.py3-none-any`,
 * `cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64`) into its tags.
 *
 * The result is the product interpreters × abis × platforms in that order, without duplicates
 * (packaging returns a frozenset; the order here is only for readable output).
 *
 * @throws SneakpackError `INVALID_TAG` unless the text has exactly three dash-separated parts whose
 *   dot-separated components are non-empty runs of `[A-Za-z0-9_]`.
 */
export function parseTag(text: string): Tag[] {
  const parts = text.split('-');
  if (parts.length !== 3) {
    // Point at the first surplus dash, or past the end when a part is missing.
    const where = parts.length > 3 ? parts.slice(0, 3).join('-').length : text.length;
    throw new SneakpackError(
      'INVALID_TAG',
      `invalid tag ${JSON.stringify(text)}: expected three dash-separated parts, interpreter-abi-platform ` +
        `(e.g. "py3-none-any"), found ${parts.length}\n${caretLine(text, where)}`,
      { details: { input: text } },
    );
  }
  const names = ['interpreter', 'abi', 'platform'] as const;
  const split: string[][] = [];
  let offset = 0;
  for (let i = 0; i < 3; i++) {
    const part = parts[i]!;
    const components = part.split('.');
    let at = offset;
    for (const c of components) {
      if (!COMPONENT.test(c)) {
        const bad = c === '' ? 0 : c.search(/[^A-Za-z0-9_]/);
        throw new SneakpackError(
          'INVALID_TAG',
          `invalid tag ${JSON.stringify(text)}: ${c === '' ? 'empty' : 'bad character in'} ${names[i]} tag ` +
            `(tags are letters, digits and "_", several joined by ".")\n${caretLine(text, at + bad)}`,
          { details: { input: text, part: names[i] } },
        );
      }
      at += c.length + 1;
    }
    split.push(components);
    offset += part.length + 1;
  }
  const seen = new Set<string>();
  const out: Tag[] = [];
  for (const interpreter of split[0]!) {
    for (const abi of split[1]!) {
      for (const platform of split[2]!) {
        const tag = new Tag(interpreter, abi, platform);
        const key = tag.toString();
        if (!seen.has(key)) {
          seen.add(key);
          out.push(tag);
        }
      }
    }
  }
  return out;
}
