/**
 * Wheel file names — binary distribution format spec, "File name convention" (PEP 427):
 * `{distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl`.
 *
 * Parsing follows packaging 24.1 `utils.parse_wheel_filename` rule for rule, with three deliberate
 * refusals where packaging accepts by accident (see {@link parseWheelFilename}).
 */
import { SneakpackError } from '../errors.js';
import { Version, parseVersion } from '../pep440/index.js';
import { canonicalizeName } from '../pep508/index.js';
import { Tag, parseTag } from '../tags/index.js';
import { decimalDigitsValue } from './pystr.js';

/**
 * A wheel's optional build tag: its leading decimal number and the rest of the text, e.g. `1b` →
 * `[1, 'b']`. Wheels that differ only by build tag sort by this tuple (number first, then text).
 * Numbers past `Number.MAX_SAFE_INTEGER` lose precision (packaging uses Python's unbounded `int`).
 */
export type BuildTag = readonly [number, string];

/** A parsed wheel file name; see {@link parseWheelFilename}. */
export interface WheelFilename {
  /** The file name as given. */
  readonly filename: string;
  /** The distribution name exactly as it appears in the file name (escaped, e.g. `foo_bar`). */
  readonly name: string;
  /** PEP 503 normalised name (`foo-bar`), what packaging's `parse_wheel_filename` returns. */
  readonly normalizedName: string;
  /** The PEP 440 version. */
  readonly version: Version;
  /** The build tag, or `null` when the file name has none. */
  readonly buildTag: BuildTag | null;
  /** The expanded compressed tag set (PEP 425 "Compressed Tag Sets"), without duplicates. */
  readonly tags: readonly Tag[];
}

const EXPECTED_FORM = 'expected NAME-VERSION[-BUILD]-PYTHON-ABI-PLATFORM.whl';

/** packaging: `re.match(r"^[\w\d._]*$", name, re.UNICODE)` (`\d` is part of `\w`). */
const NAME_PART = /^[\p{L}\p{N}_.]*$/u;

/** packaging: `re.match(r"(\d+)(.*)", build)` — a leading run of Unicode decimal digits. */
const BUILD_TAG = /^(\p{Nd}+)([^\n]*)/u;

function invalid(filename: string, why: string, details: Record<string, unknown> = {}): SneakpackError {
  return new SneakpackError('INVALID_WHEEL_FILENAME', `wheel filename '${filename}' ${why}`, {
    details: { filename, ...details },
  });
}

/**
 * Parse a wheel file name (binary distribution format spec, "File name convention").
 *
 * Follows packaging 24.1 `parse_wheel_filename`: the name must end in `.whl`; the stem must have 4 or
 * 5 dashes; the name part may hold only Unicode word characters and `.` (and no `__`); the version
 * must be valid PEP 440; a build tag must start with a digit; the last three parts are a compressed
 * tag set. Refused although packaging accepts them: an empty name part; a name part ending in a
 * newline (an artefact of Python's `$`); tag components that are empty or not `[A-Za-z0-9_]`
 * (see `parseTag`).
 *
 * @throws SneakpackError `INVALID_WHEEL_FILENAME` naming the file and the part that is wrong.
 */
export function parseWheelFilename(filename: string): WheelFilename {
  if (!filename.endsWith('.whl')) {
    throw invalid(filename, `does not end in '.whl' (${EXPECTED_FORM})`, { part: 'extension' });
  }
  const stem = filename.slice(0, -4);
  const parts = stem.split('-');
  if (parts.length !== 5 && parts.length !== 6) {
    throw invalid(filename, `has ${parts.length} parts, ${EXPECTED_FORM}`, { part: 'parts' });
  }
  const name = parts[0]!;
  if (name === '') throw invalid(filename, `has an empty distribution name`, { part: 'name' });
  if (name.includes('__') || !NAME_PART.test(name)) {
    throw invalid(
      filename,
      `has an invalid distribution name '${name}': use letters, digits, '_' and '.' ` +
        `(runs of '-', '_', '.' escaped as one '_'), no '__'`,
      { part: 'name' },
    );
  }
  let version: Version;
  try {
    version = parseVersion(parts[1]!);
  } catch (e) {
    throw invalid(filename, `has an invalid version '${parts[1]}' (not PEP 440)`, { part: 'version', cause: e });
  }
  let buildTag: BuildTag | null = null;
  if (parts.length === 6) {
    const build = parts[2]!;
    const m = BUILD_TAG.exec(build);
    if (!m) {
      throw invalid(filename, `has an invalid build tag '${build}': it must start with a digit`, { part: 'build' });
    }
    buildTag = Object.freeze([decimalDigitsValue(m[1]!), m[2]!] as const);
  }
  const tagText = parts.slice(-3).join('-');
  let tags: Tag[];
  try {
    tags = parseTag(tagText);
  } catch (e) {
    throw invalid(filename, `has an invalid tag set '${tagText}': ${(e as Error).message}`, { part: 'tags' });
  }
  return Object.freeze({
    filename,
    name,
    normalizedName: canonicalizeName(name),
    version,
    buildTag,
    tags: Object.freeze(tags),
  });
}

/** Parts of a wheel file name to build with {@link wheelFilename}. */
export interface WheelFilenameParts {
  /** Project name in any spelling; escaped per the spec. */
  readonly name: string;
  /** Version; written in normalised form. */
  readonly version: Version | string;
  /** Optional build tag, as text (`"1"`, `"2b"`) or as a parsed tuple. */
  readonly buildTag?: BuildTag | string | null;
  /** Either compressed tag-set text (`py2.py3-none-any`) or tags forming a full product. */
  readonly tags: string | readonly Tag[];
}

/**
 * The escaped distribution name for file names (binary distribution format spec, "Escaping and
 * Unicode"): runs of `-`, `_`, `.` become one `_`, and the name is lower-cased.
 */
export function escapeWheelName(name: string): string {
  return name.replace(/[-_.]+/g, '_').toLowerCase();
}

/**
 * Compress tags into PEP 425 "Compressed Tag Sets" text. The tags must be the full product of
 * their interpreters, abis and platforms (otherwise one file name cannot express them).
 */
export function compressTags(tags: readonly Tag[]): string {
  if (tags.length === 0) throw new SneakpackError('INVALID_TAG', 'cannot name a wheel with no tags');
  const uniq = <T>(xs: T[]): T[] => [...new Set(xs)];
  const interpreters = uniq(tags.map((t) => t.interpreter));
  const abis = uniq(tags.map((t) => t.abi));
  const platforms = uniq(tags.map((t) => t.platform));
  const have = new Set(tags.map((t) => t.toString()));
  if (have.size !== interpreters.length * abis.length * platforms.length) {
    throw new SneakpackError(
      'INVALID_TAG',
      `tags ${[...have].join(', ')} are not a product of interpreters × abis × platforms, so no compressed tag set names them`,
    );
  }
  return `${interpreters.join('.')}-${abis.join('.')}-${platforms.join('.')}`;
}

/**
 * Build a wheel file name from its parts (binary distribution format spec, "File name
 * convention" and "Escaping and Unicode"). The result always parses back with
 * {@link parseWheelFilename} to the same name, version, build tag and tags.
 *
 * @throws SneakpackError `INVALID_WHEEL_FILENAME` when a part cannot be written (e.g. a build tag
 *   that does not start with a digit or contains `-`).
 */
export function wheelFilename(parts: WheelFilenameParts): string {
  const name = escapeWheelName(parts.name);
  const version = (typeof parts.version === 'string' ? parseVersion(parts.version) : parts.version).toString();
  let build = '';
  if (parts.buildTag !== undefined && parts.buildTag !== null) {
    const text = typeof parts.buildTag === 'string' ? parts.buildTag : `${parts.buildTag[0]}${parts.buildTag[1]}`;
    if (!/^[0-9][A-Za-z0-9_.]*$/.test(text)) {
      throw new SneakpackError(
        'INVALID_WHEEL_FILENAME',
        `build tag '${text}' cannot be written in a wheel filename: it must start with a digit and hold only letters, digits, '_' and '.'`,
        { details: { buildTag: text } },
      );
    }
    build = `-${text}`;
  }
  const tags = typeof parts.tags === 'string' ? compressTags(parseTag(parts.tags)) : compressTags(parts.tags);
  const filename = `${name}-${version}${build}-${tags}.whl`;
  parseWheelFilename(filename); // a name we cannot read back is a bug here, not a file to write
  return filename;
}
