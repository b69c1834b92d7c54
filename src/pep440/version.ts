/**
 * PEP 440 version identifiers: parsing, normalisation and ordering, mirroring
 * `packaging.version` 24.1 (the reference) including its odd corners.
 *
 * Numbers: PEP 440 puts no bound on numeric components ("1.0.99999999999999999999" is valid and
 * Python compares it as an int), so every comparison and every normalised string is computed from
 * exact `bigint`s. The convenience fields ({@link Version.release}, {@link Version.epoch}, …) are
 * JavaScript `number`s because that is what callers want for ordinary versions; they are exact up
 * to `Number.MAX_SAFE_INTEGER` and rounded above it. Use {@link Version.exact} when that matters.
 *
 * @see https://peps.python.org/pep-0440/
 * @see https://packaging.python.org/en/latest/specifications/version-specifiers/
 */
import { SneakpackError, caretLine } from '../errors.js';
import { ALNUM_I, WS, ci, ciAlt, compareCodePoints, isAsciiDigits, skipWs } from './pyre.js';

/**
 * A pre-release label after normalisation (PEP 440 "Pre-release spelling": `alpha`→`a`,
 * `beta`→`b`, `c`/`pre`/`preview`→`rc`). Only `'a' | 'b' | 'rc'` arise from ASCII input; the
 * reference also accepts `preview` spelt with `İ`/`ı` (Python's case-insensitive regex folds them
 * onto `i`) and then keeps the lower-cased spelling as the label, so the type stays open.
 */
export type PreReleaseLabel = 'a' | 'b' | 'rc' | (string & {});

/** Exact (arbitrary-precision) numeric parts of a {@link Version}. */
export interface ExactVersionParts {
  readonly epoch: bigint;
  readonly release: readonly bigint[];
  readonly pre: readonly [PreReleaseLabel, bigint] | null;
  readonly post: bigint | null;
  readonly dev: bigint | null;
}

/**
 * The pattern of PEP 440 Appendix B ("Parsing version strings with regular expressions"), as
 * packaging spells it (its `VERSION_PATTERN`), translated so JavaScript matches exactly what
 * Python's `re.VERBOSE | re.IGNORECASE` matches. Not anchored.
 */
const VERSION_BODY =
  `${ci('v')}?` +
  '(?:' +
  '(?:(?<epoch>[0-9]+)!)?' +
  '(?<release>[0-9]+(?:\\.[0-9]+)*)' +
  `(?<pre>[-_.]?(?<pre_l>${ciAlt('alpha', 'a', 'beta', 'b', 'preview', 'pre', 'c', 'rc')})[-_.]?(?<pre_n>[0-9]+)?)?` +
  `(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>${ciAlt('post', 'rev', 'r')})[-_.]?(?<post_n2>[0-9]+)?))?` +
  `(?<dev>[-_.]?(?<dev_l>${ci('dev')})[-_.]?(?<dev_n>[0-9]+)?)?` +
  ')' +
  `(?:\\+(?<local>${ALNUM_I}+(?:[-_.]${ALNUM_I}+)*))?`;

const VERSION_RE = new RegExp(`^${WS}*${VERSION_BODY}${WS}*$`);
/** The same without the end anchor: how far a failed parse got, for the caret in the error. */
const VERSION_PREFIX_RE = new RegExp(`^${WS}*(?:${VERSION_BODY})?`);

type Segment = readonly [string, bigint];

/** packaging's `_parse_letter_version`: spelling normalisation and the implicit 0 / implicit post. */
function parseLetterVersion(letter: string | undefined, number: string | undefined): Segment | null {
  if (letter) {
    // Python's str.lower(); inputs are ASCII plus İ ı ſ K, on which JavaScript agrees.
    let l = letter.toLowerCase();
    if (l === 'alpha') l = 'a';
    else if (l === 'beta') l = 'b';
    else if (l === 'c' || l === 'pre' || l === 'preview') l = 'rc';
    else if (l === 'rev' || l === 'r') l = 'post';
    return [l, BigInt(number ?? '0')];
  }
  if (number) return ['post', BigInt(number)];
  return null;
}

type LocalPart = bigint | string;

/** packaging's `_parse_local_version`: numeric parts become ints (so `007` prints as `7`). */
function parseLocal(local: string | undefined): readonly LocalPart[] | null {
  if (local === undefined) return null;
  return local.split(/[._-]/).map((part) => (isAsciiDigits(part) ? BigInt(part) : part.toLowerCase()));
}

/**
 * One element of the comparison key for pre/post/dev, encoding packaging's `Infinity` /
 * `NegativeInfinity` sentinels as `rank` (-1 below every segment, +1 above every segment).
 */
type Bound = { readonly rank: -1 | 0 | 1; readonly seg?: Segment };
const NEG_INF: Bound = { rank: -1 };
const POS_INF: Bound = { rank: 1 };

/** packaging's `_cmpkey`. `local === null` is `NegativeInfinity`; strings are `(-Infinity, s)`. */
interface CmpKey {
  readonly epoch: bigint;
  readonly release: readonly bigint[];
  readonly pre: Bound;
  readonly post: Bound;
  readonly dev: Bound;
  readonly local: readonly LocalPart[] | null;
}

function cmpBig(a: bigint, b: bigint): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpBound(a: Bound, b: Bound): -1 | 0 | 1 {
  if (a.rank !== b.rank) return a.rank < b.rank ? -1 : 1;
  if (a.rank !== 0) return 0;
  return compareCodePoints(a.seg![0], b.seg![0]) || cmpBig(a.seg![1], b.seg![1]);
}

function cmpLocalPart(a: LocalPart, b: LocalPart): -1 | 0 | 1 {
  // PEP 440 "Local version identifiers": alphanumeric segments sort before numeric ones.
  if (typeof a === 'bigint') return typeof b === 'bigint' ? cmpBig(a, b) : 1;
  return typeof b === 'bigint' ? -1 : compareCodePoints(a, b);
}

function cmpSeq<T>(a: readonly T[], b: readonly T[], cmp: (x: T, y: T) => -1 | 0 | 1): -1 | 0 | 1 {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = cmp(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function cmpKey(a: CmpKey, b: CmpKey): -1 | 0 | 1 {
  return (
    cmpBig(a.epoch, b.epoch) ||
    cmpSeq(a.release, b.release, cmpBig) ||
    cmpBound(a.pre, b.pre) ||
    cmpBound(a.post, b.post) ||
    cmpBound(a.dev, b.dev) ||
    (a.local === null
      ? b.local === null
        ? 0
        : -1
      : b.local === null
        ? 1
        : cmpSeq(a.local, b.local, cmpLocalPart))
  );
}

function makeKey(
  epoch: bigint,
  release: readonly bigint[],
  pre: Segment | null,
  post: Segment | null,
  dev: Segment | null,
  local: readonly LocalPart[] | null,
): CmpKey {
  // PEP 440 "Release segment": 1.0 == 1.0.0, so trailing zeros do not take part in ordering.
  let end = release.length;
  while (end > 0 && release[end - 1] === 0n) end--;
  // "Summary of permitted suffixes and relative ordering": 1.0.dev0 < 1.0a0 < 1.0 < 1.0.post0.
  const keyPre = pre === null && post === null && dev !== null ? NEG_INF : pre === null ? POS_INF : { rank: 0 as const, seg: pre };
  return {
    epoch,
    release: release.slice(0, end),
    pre: keyPre,
    post: post === null ? NEG_INF : { rank: 0, seg: post },
    dev: dev === null ? POS_INF : { rank: 0, seg: dev },
    local,
  };
}

function safeNumber(n: bigint): number {
  return Number(n);
}

/**
 * A parsed, normalised PEP 440 version. Immutable; ordered by a precomputed key exactly like
 * packaging's `_cmpkey` (PEP 440 "Summary of permitted suffixes and relative ordering").
 *
 * `new Version(text)` accepts every spelling PEP 440 "Normalization" allows (case, `v` prefix,
 * surrounding whitespace, `-`/`_`/`.` separators, alternate pre/post spellings, implicit numbers,
 * implicit post-release `1.0-1`) and throws `INVALID_VERSION` otherwise.
 */
export class Version {
  /** The epoch (`N!`), 0 when absent. */
  readonly epoch: number;
  /** The release segment as written (trailing zeros kept): `1.2.0` → `[1, 2, 0]`. */
  readonly release: readonly number[];
  /** Normalised pre-release label and number, e.g. `['rc', 1]`; `null` when absent. */
  readonly pre: readonly [PreReleaseLabel, number] | null;
  /** Post-release number (`1.0-1`, `1.0.post` → 0, `1.0.rev2` → 2); `null` when absent. */
  readonly post: number | null;
  /** Development release number; `null` when absent. */
  readonly dev: number | null;
  /** Normalised local label (lower case, `.`-separated, numeric parts without leading zeros). */
  readonly local: string | null;
  /** The same parts as exact integers (PEP 440 does not bound numeric components). */
  readonly exact: ExactVersionParts;

  private readonly key: CmpKey;
  private readonly normalized: string;

  /** Parse `version`; throws `SneakpackError` `INVALID_VERSION` naming it. */
  constructor(version: string) {
    const m = VERSION_RE.exec(version);
    if (!m) throw invalidVersion(version);
    const g = m.groups!;
    const epoch = g.epoch ? BigInt(g.epoch) : 0n;
    const release = g.release!.split('.').map((x) => BigInt(x));
    const pre = parseLetterVersion(g.pre_l, g.pre_n);
    const post = parseLetterVersion(g.post_l, g.post_n1 || g.post_n2);
    const dev = parseLetterVersion(g.dev_l, g.dev_n);
    const local = parseLocal(g.local);

    this.exact = Object.freeze({
      epoch,
      release: Object.freeze(release),
      pre: pre && Object.freeze([pre[0], pre[1]] as const),
      post: post && post[1],
      dev: dev && dev[1],
    });
    this.epoch = safeNumber(epoch);
    this.release = Object.freeze(release.map(safeNumber));
    this.pre = pre && Object.freeze([pre[0], safeNumber(pre[1])] as const);
    this.post = post && safeNumber(post[1]);
    this.dev = dev && safeNumber(dev[1]);
    this.local = local && local.map(String).join('.');
    this.key = makeKey(epoch, release, pre, post, dev, local);

    let s = this.baseVersion;
    if (pre) s += `${pre[0]}${pre[1]}`;
    if (post) s += `.post${post[1]}`;
    if (dev) s += `.dev${dev[1]}`;
    if (this.local !== null) s += `+${this.local}`;
    this.normalized = s;
    Object.freeze(this);
  }

  /** The normalised form (PEP 440 "Normalization"); round-trips through {@link parseVersion}. */
  toString(): string {
    return this.normalized;
  }

  /** The public version: everything before the `+local` label. */
  get public(): string {
    const i = this.normalized.indexOf('+');
    return i < 0 ? this.normalized : this.normalized.slice(0, i);
  }

  /** Epoch and release only (`1!1.2.3`), without pre, post, dev or local parts. */
  get baseVersion(): string {
    const release = this.exact.release.join('.');
    return this.exact.epoch !== 0n ? `${this.exact.epoch}!${release}` : release;
  }

  /** True for pre-releases and development releases (PEP 440 "Handling of pre-releases"). */
  get isPrerelease(): boolean {
    return this.dev !== null || this.pre !== null;
  }

  /** True when there is a post-release segment. */
  get isPostrelease(): boolean {
    return this.post !== null;
  }

  /** True when there is a development release segment. */
  get isDevrelease(): boolean {
    return this.dev !== null;
  }

  /** First release component, or 0. */
  get major(): number {
    return this.release[0] ?? 0;
  }

  /** Second release component, or 0. */
  get minor(): number {
    return this.release[1] ?? 0;
  }

  /** Third release component, or 0. */
  get micro(): number {
    return this.release[2] ?? 0;
  }

  /** Three-way comparison by the PEP 440 ordering. */
  compare(other: Version): -1 | 0 | 1 {
    return cmpKey(this.key, other.key);
  }

  /** PEP 440 equality (`1.0 == 1.0.0`, `1.0+Ab == 1.0+ab`), not string equality. */
  equals(other: Version): boolean {
    return this.compare(other) === 0;
  }
}

function invalidVersion(text: string): SneakpackError {
  const stopped = VERSION_PREFIX_RE.exec(text)![0].length;
  const at = skipWs(text, stopped);
  return new SneakpackError(
    'INVALID_VERSION',
    `Invalid version: '${text}' (not a PEP 440 version)\n${caretLine(text, at)}`,
    { details: { input: text, position: at } },
  );
}

/** Parse a PEP 440 version; throws `SneakpackError` `INVALID_VERSION` naming the input. */
export function parseVersion(text: string): Version {
  return new Version(text);
}

/** Parse a PEP 440 version, or return `null` when `text` is not one. */
export function tryParseVersion(text: string): Version | null {
  return VERSION_RE.test(text) ? new Version(text) : null;
}

/** Three-way comparison of two versions (strings are parsed; invalid ones throw `INVALID_VERSION`). */
export function compareVersions(a: Version | string, b: Version | string): -1 | 0 | 1 {
  return coerceVersion(a).compare(coerceVersion(b));
}

/** @internal packaging's `_coerce_version`. */
export function coerceVersion(v: Version | string): Version {
  return v instanceof Version ? v : new Version(v);
}

/**
 * The canonical form of a version, like packaging's `utils.canonicalize_version`: the normalised
 * form, with trailing `.0` release components removed unless `stripTrailingZero` is false. Strings
 * that are not valid versions are returned unchanged (packaging's treatment of legacy versions).
 */
export function canonicalizeVersion(
  version: Version | string,
  options: { stripTrailingZero?: boolean } = {},
): string {
  let parsed: Version;
  if (typeof version === 'string') {
    const v = tryParseVersion(version);
    if (v === null) return version;
    parsed = v;
  } else {
    parsed = version;
  }
  const stripTrailingZero = options.stripTrailingZero ?? true;
  let out = parsed.exact.epoch !== 0n ? `${parsed.exact.epoch}!` : '';
  let release = parsed.exact.release.join('.');
  if (stripTrailingZero) release = release.replace(/(\.0)+$/, '');
  out += release;
  // Everything after the release segment is exactly as in the normalised form.
  out += parsed.toString().slice(parsed.baseVersion.length);
  return out;
}
