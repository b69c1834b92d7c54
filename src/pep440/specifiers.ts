/**
 * PEP 440 version specifiers ("Version specifiers" section) and comma-separated specifier sets,
 * mirroring `packaging.specifiers` 24.1 (the reference), including its behaviour where the PEP
 * leaves room: pre-release handling, `installed`, `filter`'s "only pre-releases match" fallback,
 * and string-level prefix matching for `==X.*` / `~=`.
 *
 * @see https://peps.python.org/pep-0440/#version-specifiers
 * @see https://packaging.python.org/en/latest/specifications/version-specifiers/
 */
import { SneakpackError, caretLine, isSneakpackError } from '../errors.js';
import { ALNUM_I, NOT_WS_SEMI_PAREN, WS, ci, ciAlt, compareCodePoints, isAsciiDigits, pyStrip, skipWs } from './pyre.js';
import { Version, canonicalizeVersion, coerceVersion } from './version.js';

/** The comparison operators of PEP 440 "Version specifiers". */
export type SpecifierOperator = '~=' | '==' | '!=' | '<=' | '>=' | '<' | '>' | '===';

const OPERATOR = '(?<operator>(~=|==|!=|<=|>=|<|>|===))';
const V = `${ci('v')}?`;
const PRE = `(?:[-_.]?(${ciAlt('alpha', 'beta', 'preview', 'pre', 'a', 'b', 'c', 'rc')})[-_.]?[0-9]*)?`;
const POST = `(?:(?:-[0-9]+)|(?:[-_.]?(${ciAlt('post', 'rev', 'r')})[-_.]?[0-9]*))?`;
const DEV = `(?:[-_.]?${ci('dev')}[-_.]?[0-9]*)?`;
const LOCAL = `(?:\\+${ALNUM_I}+(?:[-_.]${ALNUM_I}+)*)?`;
/**
 * packaging's `Specifier._version_regex_str`: what may follow each operator. `===` takes any
 * string ("Arbitrary equality"); `==`/`!=` also allow `.*` and local labels; `~=` needs two
 * release components ("Compatible release"); the ordered comparisons allow neither.
 */
const VERSION =
  '(?<version>' +
  `(?:(?<====)${WS}*${NOT_WS_SEMI_PAREN}*)` +
  `|(?:(?<===|!=)${WS}*${V}(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)*(?:\\.\\*|${PRE}${POST}${DEV}${LOCAL})?)` +
  `|(?:(?<=~=)${WS}*${V}(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)+${PRE}${POST}${DEV})` +
  `|(?:(?<!==|!=|~=)${WS}*${V}(?:[0-9]+!)?[0-9]+(?:\\.[0-9]+)*${PRE}${POST}${DEV})` +
  ')';
const SPECIFIER_RE = new RegExp(`^${WS}*${OPERATOR}${VERSION}${WS}*$`);
const SPECIFIER_PREFIX_RE = new RegExp(`^${WS}*${OPERATOR}${VERSION}`);
const OPERATOR_PREFIX_RE = new RegExp(`^${WS}*${OPERATOR}`);

/** Where a specifier that failed to parse went wrong (for the caret). */
function failurePosition(spec: string): number {
  const m = SPECIFIER_PREFIX_RE.exec(spec) ?? OPERATOR_PREFIX_RE.exec(spec);
  return skipWs(spec, m ? m[0].length : 0);
}

function invalidSpecifier(spec: string): SneakpackError {
  const at = failurePosition(spec);
  return new SneakpackError(
    'INVALID_SPECIFIER',
    `Invalid specifier: '${spec}' (expected a PEP 440 operator and version, like '>=1.0')\n${caretLine(spec, at)}`,
    { details: { input: spec, position: at } },
  );
}

// ---------------------------------------------------------------------------------------------
// String-level helpers behind prefix matching, exactly as packaging implements them.

const PREFIX_RE = /^([0-9]+)((?:a|b|c|rc)[0-9]+)$/;

/** packaging's `_version_split`: epoch first, then dot-separated parts, `1a1` split in two. */
function versionSplit(version: string): string[] {
  const bang = version.lastIndexOf('!');
  const epoch = bang < 0 ? '' : version.slice(0, bang);
  const rest = bang < 0 ? version : version.slice(bang + 1);
  const result = [epoch || '0'];
  for (const item of rest.split('.')) {
    const m = PREFIX_RE.exec(item);
    if (m) result.push(m[1]!, m[2]!);
    else result.push(item);
  }
  return result;
}

/** packaging's `_version_join`. */
function versionJoin(components: readonly string[]): string {
  const [epoch, ...rest] = components;
  return `${epoch}!${rest.join('.')}`;
}

function isNotSuffix(segment: string): boolean {
  return !['dev', 'a', 'b', 'rc', 'post'].some((p) => segment.startsWith(p));
}

function takeWhile<T>(items: readonly T[], pred: (x: T) => boolean): T[] {
  const out: T[] = [];
  for (const x of items) {
    if (!pred(x)) break;
    out.push(x);
  }
  return out;
}

/** packaging's `_pad_version`, left side only: zero-pad the release part to the other's length. */
function padLeft(left: readonly string[], right: readonly string[]): string[] {
  const leftRelease = takeWhile(left, isAsciiDigits);
  const rightRelease = takeWhile(right, isAsciiDigits);
  const pad = new Array<string>(Math.max(0, rightRelease.length - leftRelease.length)).fill('0');
  return [...leftRelease, ...pad, ...left.slice(leftRelease.length)];
}

// ---------------------------------------------------------------------------------------------
// The operators (PEP 440 "Version specifiers" subsections).

function compareEqual(prospective: Version, spec: string): boolean {
  if (spec.endsWith('.*')) {
    // "Version matching", prefix form: the local label is ignored and the comparison is on
    // normalised strings, with the candidate's release zero-padded to the prefix's length.
    const splitSpec = versionSplit(canonicalizeVersion(spec.slice(0, -2), { stripTrailingZero: false }));
    const splitProspective = versionSplit(canonicalizeVersion(prospective.public, { stripTrailingZero: false }));
    const shortened = padLeft(splitProspective, splitSpec).slice(0, splitSpec.length);
    return shortened.length === splitSpec.length && shortened.every((x, i) => x === splitSpec[i]);
  }
  const specVersion = new Version(spec);
  // "If the specified version identifier is a public version identifier (no local version label),
  // then the local version label of any candidate versions MUST be ignored".
  const candidate = specVersion.local ? prospective : new Version(prospective.public);
  return candidate.equals(specVersion);
}

function compareCompatible(prospective: Version, spec: string): boolean {
  // "~=2.2 is equivalent to >=2.2, ==2.*": drop suffixes and the last release component.
  const prefix = versionJoin(takeWhile(versionSplit(spec), isNotSuffix).slice(0, -1)) + '.*';
  return compareGreaterThanEqual(prospective, spec) && compareEqual(prospective, prefix);
}

function compareLessThanEqual(prospective: Version, spec: string): boolean {
  // Local labels are not allowed in these specifiers, so candidates' ones can be dropped.
  return new Version(prospective.public).compare(new Version(spec)) <= 0;
}

function compareGreaterThanEqual(prospective: Version, spec: string): boolean {
  return new Version(prospective.public).compare(new Version(spec)) >= 0;
}

function compareLessThan(prospective: Version, specText: string): boolean {
  const spec = new Version(specText);
  if (!(prospective.compare(spec) < 0)) return false;
  // "Exclusive ordered comparison": <V MUST NOT allow a pre-release of V unless V is one.
  if (!spec.isPrerelease && prospective.isPrerelease) {
    if (new Version(prospective.baseVersion).equals(new Version(spec.baseVersion))) return false;
  }
  return true;
}

function compareGreaterThan(prospective: Version, specText: string): boolean {
  const spec = new Version(specText);
  if (!(prospective.compare(spec) > 0)) return false;
  // ">V MUST NOT allow a post-release of V unless V is one", nor a local version of V.
  if (!spec.isPostrelease && prospective.isPostrelease) {
    if (new Version(prospective.baseVersion).equals(new Version(spec.baseVersion))) return false;
  }
  if (prospective.local !== null) {
    if (new Version(prospective.baseVersion).equals(new Version(spec.baseVersion))) return false;
  }
  return true;
}

function compareArbitrary(prospective: Version, spec: string): boolean {
  // "Arbitrary equality": case-insensitive string comparison with the normalised candidate.
  return prospective.toString().toLowerCase() === spec.toLowerCase();
}

const OPERATORS: Readonly<Record<SpecifierOperator, (prospective: Version, spec: string) => boolean>> = {
  '~=': compareCompatible,
  '==': compareEqual,
  '!=': (p, s) => !compareEqual(p, s),
  '<=': compareLessThanEqual,
  '>=': compareGreaterThanEqual,
  '<': compareLessThan,
  '>': compareGreaterThan,
  '===': compareArbitrary,
};

/** Options for {@link Specifier.contains} and the `filter` methods. */
export interface PrereleaseOptions {
  /** `true`/`false` force pre-releases in/out; absent means "decide as packaging does". */
  readonly prereleases?: boolean;
}

/**
 * One PEP 440 version specifier (`>=1.0`, `==1.2.*`, `~=2.2`, `===foo`). Immutable.
 *
 * `version` is the text after the operator as written (stripped), not normalised: `==1.0` and
 * `==v1.0.0` are different strings but {@link Specifier.equals} each other.
 */
export class Specifier {
  /** The comparison operator. */
  readonly operator: SpecifierOperator;
  /** The version text after the operator, as written (whitespace stripped). */
  readonly version: string;
  private readonly explicitPrereleases: boolean | undefined;

  /**
   * Parse `spec`; throws `SneakpackError` `INVALID_SPECIFIER` with a caret where it went wrong.
   * `prereleases` overrides the automatic pre-release decision (see {@link Specifier.prereleases}).
   */
  constructor(spec: string, prereleases?: boolean) {
    const m = SPECIFIER_RE.exec(spec);
    if (!m) throw invalidSpecifier(spec);
    this.operator = pyStrip(m.groups!.operator!) as SpecifierOperator;
    this.version = pyStrip(m.groups!.version!);
    this.explicitPrereleases = prereleases;
    Object.freeze(this);
  }

  /**
   * Whether pre-releases are accepted by default (PEP 440 "Handling of pre-releases"): the explicit
   * override if given, else true when an inclusive operator (`==`, `>=`, `<=`, `~=`, `===`) names
   * a pre-release. Like packaging, throws `INVALID_VERSION` for `===` with a non-PEP 440 string,
   * because it parses that string; pass `prereleases` explicitly to avoid the question.
   */
  get prereleases(): boolean {
    if (this.explicitPrereleases !== undefined) return this.explicitPrereleases;
    const op = this.operator;
    if (op === '==' || op === '>=' || op === '<=' || op === '~=' || op === '===') {
      let version = this.version;
      if (op === '==' && version.endsWith('.*')) version = version.slice(0, -2);
      let parsed: Version;
      try {
        parsed = new Version(version);
      } catch (e) {
        if (!isSneakpackError(e, 'INVALID_VERSION')) throw e;
        throw new SneakpackError(
          'INVALID_VERSION',
          `Invalid version: '${version}' in specifier '${this.toString()}': cannot tell whether it ` +
            'admits pre-releases; pass the prereleases option explicitly',
          { cause: e, details: { input: version, specifier: this.toString() } },
        );
      }
      if (parsed.isPrerelease) return true;
    }
    return false;
  }

  /** The explicit pre-release override given at construction, if any. */
  get prereleasesOverride(): boolean | undefined {
    return this.explicitPrereleases;
  }

  /**
   * Whether `item` satisfies this specifier. Pre-releases are rejected unless `prereleases` (the
   * option, else {@link Specifier.prereleases}) allows them. Strings are parsed as versions
   * (`INVALID_VERSION` when they are not).
   */
  contains(item: Version | string, options: PrereleaseOptions = {}): boolean {
    const prereleases = options.prereleases ?? this.prereleases;
    const version = coerceVersion(item);
    if (version.isPrerelease && !prereleases) return false;
    return OPERATORS[this.operator](version, this.version);
  }

  /**
   * The items that satisfy this specifier, in order. Unless `prereleases` is given, pre-releases
   * are kept only when nothing else matches (PEP 440: pre-releases SHOULD be accepted when they
   * are the only match).
   */
  filter<T extends Version | string>(items: Iterable<T>, options: PrereleaseOptions = {}): T[] {
    const explicit = options.prereleases;
    const yielded: T[] = [];
    const foundPrereleases: T[] = [];
    for (const item of items) {
      const parsed = coerceVersion(item);
      if (this.contains(parsed, { prereleases: explicit ?? true })) {
        if (parsed.isPrerelease && !(explicit || this.prereleases)) foundPrereleases.push(item);
        else yielded.push(item);
      }
    }
    return yielded.length === 0 ? foundPrereleases : yielded;
  }

  /** Identity used for equality and de-duplication: operator and canonical version. */
  get canonicalKey(): string {
    const canonical = canonicalizeVersion(this.version, { stripTrailingZero: this.operator !== '~=' });
    return JSON.stringify([this.operator, canonical]);
  }

  /** Equality as packaging defines it: same operator and canonical version; overrides ignored. */
  equals(other: Specifier | string): boolean {
    const that = typeof other === 'string' ? new Specifier(other) : other;
    return this.canonicalKey === that.canonicalKey;
  }

  /** `operator + version`, as written. */
  toString(): string {
    return `${this.operator}${this.version}`;
  }
}

/** Options for {@link SpecifierSet.contains}. */
export interface SpecifierSetContainsOptions extends PrereleaseOptions {
  /** The item is an installed distribution: a pre-release is compared by its base version. */
  readonly installed?: boolean;
}

/**
 * A set of PEP 440 specifiers joined by commas ("Version specifiers": the comma is a logical AND).
 * Immutable. Duplicates (by {@link Specifier.equals}) are dropped, the first spelling kept.
 * The empty set matches every final release.
 */
export class SpecifierSet implements Iterable<Specifier> {
  /** The specifiers, de-duplicated, in the order they were written. */
  readonly specifiers: readonly Specifier[];
  private readonly explicitPrereleases: boolean | undefined;

  /**
   * Parse a comma-separated list (empty items and surrounding whitespace ignored), or take
   * specifiers as given. Throws `INVALID_SPECIFIER` pointing at the offending item.
   */
  constructor(specifiers: string | Iterable<Specifier> = '', prereleases?: boolean) {
    const parsed = typeof specifiers === 'string' ? parseItems(specifiers) : [...specifiers];
    const seen = new Set<string>();
    const unique: Specifier[] = [];
    for (const s of parsed) {
      const key = s.canonicalKey;
      if (seen.has(key)) continue;
      seen.add(key);
      unique.push(s);
    }
    this.specifiers = Object.freeze(unique);
    this.explicitPrereleases = prereleases;
    Object.freeze(this);
  }

  /**
   * Whether pre-releases are accepted by default: the explicit override, else `undefined` for the
   * empty set, else whether any specifier accepts them ({@link Specifier.prereleases}).
   *
   * packaging evaluates `any()` over a frozenset, so when one specifier says yes and a `===`
   * specifier cannot be parsed, whether it raises depends on hash order. We answer `true` then
   * (one of packaging's possible outcomes), and throw only when no specifier says yes.
   */
  get prereleases(): boolean | undefined {
    if (this.explicitPrereleases !== undefined) return this.explicitPrereleases;
    if (this.specifiers.length === 0) return undefined;
    let failure: unknown = undefined;
    for (const s of this.specifiers) {
      try {
        if (s.prereleases) return true;
      } catch (e) {
        failure ??= e;
      }
    }
    if (failure !== undefined) throw failure;
    return false;
  }

  /** The explicit pre-release override given at construction, if any. */
  get prereleasesOverride(): boolean | undefined {
    return this.explicitPrereleases;
  }

  /** Number of (distinct) specifiers. */
  get length(): number {
    return this.specifiers.length;
  }

  /** True for the empty set (which matches every final release). */
  get isEmpty(): boolean {
    return this.specifiers.length === 0;
  }

  [Symbol.iterator](): Iterator<Specifier> {
    return this.specifiers[Symbol.iterator]();
  }

  /**
   * Whether `item` satisfies every specifier. Pre-releases are rejected unless allowed by the
   * option or {@link SpecifierSet.prereleases}; with `installed`, an allowed pre-release is then
   * compared by its base version (packaging's rule for already-installed distributions).
   */
  contains(item: Version | string, options: SpecifierSetContainsOptions = {}): boolean {
    let version = coerceVersion(item);
    const prereleases = options.prereleases ?? this.prereleases;
    if (!prereleases && version.isPrerelease) return false;
    if (options.installed && version.isPrerelease) version = new Version(version.baseVersion);
    return this.specifiers.every((s) => s.contains(version, { prereleases }));
  }

  /**
   * The items that satisfy every specifier, in order. With specifiers this is `contains` with the
   * resolved pre-release decision; the empty set keeps final releases, or only pre-releases when
   * there are no final releases and no explicit decision (packaging's fallback).
   */
  filter<T extends Version | string>(items: Iterable<T>, options: PrereleaseOptions = {}): T[] {
    const prereleases = options.prereleases ?? this.prereleases;
    if (this.specifiers.length > 0) {
      let current: T[] = [...items];
      for (const s of this.specifiers) current = s.filter(current, { prereleases: Boolean(prereleases) });
      return current;
    }
    const filtered: T[] = [];
    const foundPrereleases: T[] = [];
    for (const item of items) {
      const parsed = coerceVersion(item);
      if (parsed.isPrerelease && !prereleases) {
        if (filtered.length === 0) foundPrereleases.push(item);
      } else {
        filtered.push(item);
      }
    }
    if (filtered.length === 0 && foundPrereleases.length > 0 && prereleases === undefined) return foundPrereleases;
    return filtered;
  }

  /**
   * The intersection (packaging's `&`): all specifiers of both; overrides combine, and
   * contradictory overrides (`true` with `false`) throw `INVALID_SPECIFIER`.
   */
  and(other: SpecifierSet | string): SpecifierSet {
    const that = typeof other === 'string' ? new SpecifierSet(other) : other;
    const a = this.explicitPrereleases;
    const b = that.explicitPrereleases;
    if (a !== undefined && b !== undefined && a !== b) {
      throw new SneakpackError(
        'INVALID_SPECIFIER',
        `Cannot combine '${this}' and '${that}': one allows pre-releases and the other forbids them`,
        { details: { left: this.toString(), right: that.toString() } },
      );
    }
    return new SpecifierSet([...this.specifiers, ...that.specifiers], a ?? b);
  }

  /** Same specifiers (by {@link Specifier.equals}), ignoring order and overrides. */
  equals(other: SpecifierSet | string): boolean {
    const that = typeof other === 'string' ? new SpecifierSet(other) : other;
    const mine = new Set(this.specifiers.map((s) => s.canonicalKey));
    return that.specifiers.length === mine.size && that.specifiers.every((s) => mine.has(s.canonicalKey));
  }

  /** The specifiers sorted by their text and joined with commas (packaging's `str()`). */
  toString(): string {
    return this.specifiers
      .map(String)
      .sort(compareCodePoints)
      .join(',');
  }
}

function parseItems(text: string): Specifier[] {
  const out: Specifier[] = [];
  let offset = 0;
  for (const piece of text.split(',')) {
    const item = pyStrip(piece);
    if (item) {
      try {
        out.push(new Specifier(item));
      } catch (e) {
        if (!isSneakpackError(e, 'INVALID_SPECIFIER')) throw e;
        const at = offset + skipWs(piece, 0) + (e.details.position as number);
        throw new SneakpackError(
          'INVALID_SPECIFIER',
          `Invalid specifier '${item}' in '${text}' (expected comma-separated items like '>=1.0')\n${caretLine(text, at)}`,
          { details: { input: text, specifier: item, position: at } },
        );
      }
    }
    offset += piece.length + 1;
  }
  return out;
}

/** Parse one specifier; throws `INVALID_SPECIFIER`. */
export function parseSpecifier(text: string, options: PrereleaseOptions = {}): Specifier {
  return new Specifier(text, options.prereleases);
}

/**
 * Parse a comma-separated specifier set (`""` is the empty set, which contains every final
 * release); throws `INVALID_SPECIFIER` naming the offending item.
 */
export function parseSpecifierSet(text: string, options: PrereleaseOptions = {}): SpecifierSet {
  return new SpecifierSet(text, options.prereleases);
}
