/**
 * The `{distribution}-{version}.dist-info/WHEEL` file — binary distribution format spec, "The
 * .dist-info directory" / "File contents" (PEP 427): RFC 822 headers `Wheel-Version`,
 * `Generator`, `Root-Is-Purelib`, `Tag` (repeated) and `Build`.
 */
import { SneakpackError } from '../errors.js';
import { Tag, parseTag } from '../tags/index.js';
import { headersByName, parseEmail } from './email.js';
import type { BuildTag } from './filename.js';
import { decimalDigitsValue } from './pystr.js';

/** The highest `Wheel-Version` this module implements (binary distribution format 1.0). */
export const SUPPORTED_WHEEL_VERSION = Object.freeze([1, 0] as const);

/** A parsed `WHEEL` file. */
export interface WheelInfo {
  /** `Wheel-Version` as `[major, minor]`. */
  readonly wheelVersion: readonly [number, number];
  /**
   * True when `Wheel-Version` has the supported major but a higher minor: the spec says an
   * installer SHOULD warn and may proceed. (A higher major MUST be refused; that is an error.)
   */
  readonly wheelVersionIsNewer: boolean;
  /** `Generator`, or `null` when absent. */
  readonly generator: string | null;
  /** `Root-Is-Purelib`: install the archive root into purelib (true) or platlib (false). */
  readonly rootIsPurelib: boolean;
  /** Every `Tag` line, expanded (a compressed set on one line is accepted and expanded). */
  readonly tags: readonly Tag[];
  /** `Build` parsed like a file name's build tag, or `null` when absent. */
  readonly build: BuildTag | null;
  /** Every header by lower-case name, values in file order. */
  readonly raw: ReadonlyMap<string, readonly string[]>;
}

/**
 * Parse a `WHEEL` file (binary distribution format spec, "File contents"), gathering every
 * problem before failing. `Wheel-Version` and `Root-Is-Purelib` are required and single;
 * `Root-Is-Purelib` is `true` or `false` in any case (as pip compares it).
 *
 * @param file How to name the file in messages, e.g. `foo-1.0.dist-info/WHEEL`.
 * @throws SneakpackError `INVALID_WHEEL_FILE` listing each problem (`details.problems`).
 */
export function parseWheelInfo(text: string, file = 'WHEEL'): WheelInfo {
  const { headers } = parseEmail(text);
  const fields = headersByName(headers);
  const problems: string[] = [];
  const single = (key: string, field: string, required: boolean): string | null => {
    const values = fields.get(key) ?? [];
    if (values.length === 0) {
      if (required) problems.push(`${field} is missing`);
      return null;
    }
    if (values.length > 1) {
      problems.push(`${field} appears ${values.length} times (${values.map((v) => `'${v}'`).join(', ')})`);
      return null;
    }
    return values[0]!.trim();
  };

  let wheelVersion: [number, number] = [1, 0];
  let wheelVersionIsNewer = false;
  const wv = single('wheel-version', 'Wheel-Version', true);
  if (wv !== null) {
    const m = /^(\d+)\.(\d+)$/.exec(wv);
    if (!m) {
      problems.push(`Wheel-Version '${wv}' is not MAJOR.MINOR`);
    } else {
      wheelVersion = [Number(m[1]), Number(m[2])];
      if (wheelVersion[0] > SUPPORTED_WHEEL_VERSION[0]) {
        problems.push(
          `Wheel-Version '${wv}' has a newer major version than ${SUPPORTED_WHEEL_VERSION.join('.')}; ` +
            `the spec forbids installing it (upgrade sneakpack)`,
        );
      } else if (wheelVersion[0] < 1) {
        problems.push(`Wheel-Version '${wv}' is older than any wheel format`);
      } else {
        wheelVersionIsNewer = wheelVersion[1] > SUPPORTED_WHEEL_VERSION[1];
      }
    }
  }

  const generator = single('generator', 'Generator', false);

  let rootIsPurelib = false;
  const rip = single('root-is-purelib', 'Root-Is-Purelib', true);
  if (rip !== null) {
    const lower = rip.toLowerCase();
    if (lower === 'true') rootIsPurelib = true;
    else if (lower !== 'false') problems.push(`Root-Is-Purelib '${rip}' is neither 'true' nor 'false'`);
  }

  const tags: Tag[] = [];
  const seen = new Set<string>();
  for (const value of fields.get('tag') ?? []) {
    try {
      for (const t of parseTag(value.trim())) {
        if (!seen.has(t.toString())) {
          seen.add(t.toString());
          tags.push(t);
        }
      }
    } catch (e) {
      problems.push(`Tag '${value}' is invalid: ${(e as Error).message}`);
    }
  }

  let build: BuildTag | null = null;
  const b = single('build', 'Build', false);
  if (b !== null) {
    const m = /^(\p{Nd}+)([^\n]*)$/u.exec(b);
    if (!m) problems.push(`Build '${b}' is invalid: a build tag starts with a digit`);
    else build = Object.freeze([decimalDigitsValue(m[1]!), m[2]!] as const);
  }

  if (problems.length > 0) {
    throw new SneakpackError('INVALID_WHEEL_FILE', `${file} is invalid:\n${problems.map((p) => `  ${file} ${p}`).join('\n')}`, {
      details: { file, problems },
    });
  }
  const raw = new Map<string, readonly string[]>();
  for (const [k, v] of fields) raw.set(k, Object.freeze([...v]));
  return Object.freeze({
    wheelVersion: Object.freeze(wheelVersion) as readonly [number, number],
    wheelVersionIsNewer,
    generator,
    rootIsPurelib,
    tags: Object.freeze(tags),
    build,
    raw,
  });
}

/** Fields for {@link serializeWheelInfo}. */
export interface WheelInfoFields {
  readonly generator?: string;
  readonly rootIsPurelib: boolean;
  /** Individual tags or compressed tag-set strings (expanded into one `Tag` line each). */
  readonly tags: readonly (Tag | string)[];
  readonly build?: string;
}

/** Write a `WHEEL` file (Wheel-Version 1.0), one `Tag` line per expanded tag. */
export function serializeWheelInfo(fields: WheelInfoFields): string {
  let out = 'Wheel-Version: 1.0\n';
  out += `Generator: ${fields.generator ?? 'sneakpack'}\n`;
  out += `Root-Is-Purelib: ${fields.rootIsPurelib ? 'true' : 'false'}\n`;
  for (const t of fields.tags) {
    for (const tag of typeof t === 'string' ? parseTag(t) : [t]) out += `Tag: ${tag.toString()}\n`;
  }
  if (fields.build !== undefined) out += `Build: ${fields.build}\n`;
  return out;
}
