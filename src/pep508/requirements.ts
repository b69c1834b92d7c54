/**
 * PEP 508 "Dependency specifiers": `name [extras] (specifiers | @ url) ; marker`, parsed and
 * printed as pypa/packaging 24.1 `Requirement` does.
 *
 * Pure module: no I/O.
 */
import { SneakpackError, isSneakpackError } from '../errors.js';
import { parseSpecifierSet, type SpecifierSet } from '../pep440/index.js';
import { Marker, compareCodePoints } from './markers.js';
import { parseRequirementText } from './parser.js';

/**
 * A parsed dependency specifier (PEP 508 "Specification"). Immutable.
 *
 * The name and extras are kept as written; compare them through `canonicalizeName`.
 */
export class Requirement {
  /** The project name as written (PEP 508 "Names"). */
  readonly name: string;
  /** The requested extras (PEP 508 "Extras"), de-duplicated and sorted by code point. */
  readonly extras: readonly string[];
  /** The version specifiers (PEP 440); empty for a URL requirement or a bare name. */
  readonly specifier: SpecifierSet;
  /** The direct reference after `@` (PEP 508 "URL"), or `null`. */
  readonly url: string | null;
  /** The environment marker after `;`, or `null`. */
  readonly marker: Marker | null;

  /** Assembles a requirement from parts; prefer {@link parseRequirement}. */
  constructor(parts: {
    name: string;
    extras?: Iterable<string>;
    specifier: SpecifierSet;
    url?: string | null;
    marker?: Marker | null;
  }) {
    this.name = parts.name;
    this.extras = Object.freeze([...new Set(parts.extras ?? [])].sort(compareCodePoints));
    this.specifier = parts.specifier;
    this.url = parts.url || null;
    this.marker = parts.marker ?? null;
    Object.freeze(this);
  }

  /**
   * The requirement as packaging 24.1 prints it: `name[a,b]>=1,<2; marker`, or
   * `name@ url ; marker` for a direct reference (sic: packaging 24.1 writes no space before `@`).
   */
  toString(): string {
    let out = this.name;
    if (this.extras.length > 0) out += `[${this.extras.join(',')}]`;
    if (this.specifier.specifiers.length > 0) out += this.specifier.toString();
    if (this.url !== null) {
      out += `@ ${this.url}`;
      if (this.marker !== null) out += ' ';
    }
    if (this.marker !== null) out += `; ${this.marker}`;
    return out;
  }
}

/**
 * Parses a PEP 508 dependency specifier such as `requests[socks] >=2.8,<3 ; python_version >= "3.8"`
 * or `pkg @ https://example.com/pkg-1.0-py3-none-any.whl ; os_name == "posix"`.
 *
 * Accepts exactly what packaging 24.1 accepts (specifiers may be parenthesised; a URL must be
 * followed by whitespace before `;`).
 *
 * @throws SneakpackError `INVALID_REQUIREMENT` for any syntax error, the marker part included (as
 *   packaging raises `InvalidRequirement` for it), with the input and a caret under the problem.
 */
export function parseRequirement(text: string): Requirement {
  const parsed = parseRequirementText(text);
  let specifier: SpecifierSet;
  try {
    specifier = parseSpecifierSet(parsed.specifier);
  } catch (e) {
    if (!isSneakpackError(e, 'INVALID_SPECIFIER')) throw e;
    throw new SneakpackError('INVALID_REQUIREMENT', `Invalid requirement ${JSON.stringify(text)}: ${e.message}`, {
      cause: e,
      details: { source: text },
    });
  }
  return new Requirement({
    name: parsed.name,
    extras: parsed.extras,
    specifier,
    url: parsed.url,
    marker: parsed.marker === null ? null : new Marker(parsed.marker),
  });
}
