/**
 * The bundle manifest (`manifest.json`, docs/FORMAT.md "manifest.json"), its canonical JSON, the
 * bundle's name and the layout rules shared by the writer and the reader.
 *
 * Pure: no I/O.
 * @module
 */
import { SneakpackError } from '../errors.js';
import { relativePathProblem } from '../paths.js';
import { type ChecksumEntry, checksumPathProblem } from '../sign/index.js';
import { MAX_ENTRY_SIZE } from './tar.js';

/** The bundle format this code writes and reads (`manifest.format`). */
export const FORMAT_VERSION = 1;
/** The signed checksum list: the first entry of every bundle. */
export const SIG_NAME = 'SHA256.sig';
/** The manifest: the second entry. */
export const MANIFEST_NAME = 'manifest.json';
/** The lock file (PEP 751): the third entry. */
export const LOCK_NAME = 'pylock.toml';
/** Folder of the wheels inside the bundle. */
export const WHEELS_DIR = 'wheels/';
/** Folder of the app's own files inside the bundle. */
export const APP_DIR = 'app/';
/** The only file modes a bundle carries. */
export const MODES = { file: 0o644, executable: 0o755 } as const;

/** A JSON value as the canonical encoder accepts it (integers only, no undefined). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** The app section: what the installer needs to know about the app itself. */
export interface ManifestApp {
  readonly name: string;
  readonly version: string;
  /** `[project.scripts]`: launcher name → `module:attr`. */
  readonly scripts: Readonly<Record<string, string>>;
  /**
   * Commands run in the new release before the switch (from `[tool.sneakpack]`), in order. Each is
   * an argv (no shell), e.g. `["python", "manage.py", "migrate"]`.
   */
  readonly post_install: readonly (readonly string[])[];
  /** Environment variable through which the app finds its data folder, or null. */
  readonly data_dir_env: string | null;
  /** The app's `requires-python`, or null. */
  readonly requires_python: string | null;
  /** How many releases the installer keeps, or null for the installer's default. */
  readonly keep_releases: number | null;
}

/** The target section: the box the bundle was resolved for. */
export interface ManifestTarget {
  /** The name the builder was given (preset, compact string or profile name). */
  readonly name: string;
  /** Compact form (`cp311-manylinux_2_36_armv7l`), or null for a profile with none. */
  readonly compact: string | null;
  /** The full profile: at least `marker_environment` (object) and `tags` (strings, best first). */
  readonly profile: { readonly [key: string]: JsonValue };
}

/** One wheel of the closure. */
export interface ManifestWheel {
  /** The wheel's file name; the entry is `wheels/<file>`. */
  readonly file: string;
  readonly name: string;
  readonly version: string;
  /** The wheel's tags (`py3-none-any`, …) as the builder read them from the file name. */
  readonly tags: readonly string[];
  readonly size: number;
  readonly sha256: string;
  /** `Requires-Python` of the wheel's metadata, or null. */
  readonly requires_python: string | null;
}

/** One file of the bundle other than `SHA256.sig` and `manifest.json`. */
export interface ManifestFile {
  /** Path below the bundle's top folder (`pylock.toml`, `wheels/…`, `app/…`). */
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  /** `"0644"` or `"0755"`. */
  readonly mode: '0644' | '0755';
}

/** The builder section. */
export interface ManifestBuilder {
  readonly name: 'sneakpack';
  readonly version: string;
}

/**
 * Who signed the bundle, as the signature file says. signify's comment line is outside the
 * signature ("untrusted comment"), so the signed manifest pins it: changing it is detected.
 */
export interface ManifestSigner {
  /** Key number of the signing key, 16 hex digits. */
  readonly keynum: string;
  /** The comment line of `SHA256.sig`, without `untrusted comment: `. */
  readonly comment: string;
}

/** `manifest.json`, format 1. */
export interface BundleManifest {
  readonly format: 1;
  readonly app: ManifestApp;
  readonly target: ManifestTarget;
  readonly wheels: readonly ManifestWheel[];
  readonly files: readonly ManifestFile[];
  readonly builder: ManifestBuilder;
  readonly signer: ManifestSigner;
  /** SOURCE_DATE_EPOCH of the build (seconds); also every entry's mtime. */
  readonly created: number;
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON

/**
 * UTF-8 byte order (the order of `Buffer.compare` on the encodings), without encoding: UTF-16
 * code-unit order is the same as long as the first difference is between two units below the
 * surrogates (U+D800). Anything else — a surrogate or a unit from U+E000 up there, or a prefix
 * ending in a high surrogate, whose encoding depends on what follows — is compared encoded.
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i < n) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x < 0xd800 && y < 0xd800) return x < y ? -1 : 1;
  } else {
    const last = n === 0 ? 0 : a.charCodeAt(n - 1);
    if (last < 0xd800 || last > 0xdbff) return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  }
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Is `s` free of lone surrogates (well-formed Unicode)? */
function wellFormed(s: string): boolean {
  return !/[\ud800-\udfff]/.test(s) || !/[\ud800-\udfff]/.test(s.replace(/[\ud800-\udbff][\udc00-\udfff]/g, ''));
}

/**
 * Throws for what canonical JSON cannot hold: a number that is not a safe integer or a value
 * JSON has no form for, at once; else returns the first string (keys before their values, in
 * enumeration order) with a lone surrogate, or undefined, so that a bad number found later wins
 * over it, as in a number pass followed by a string pass.
 */
function checkJson(value: unknown, where: string, found: string | undefined): string | undefined {
  if (value === null || typeof value === 'boolean') return found;
  if (typeof value === 'string') return found === undefined && !wellFormed(value) ? value : found;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${where}: canonical JSON holds only safe integers, got ${value}`);
    return found;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) found = checkJson(value[i], `${where}[${i}]`, found);
    return found;
  }
  if (typeof value === 'object') {
    for (const k of Object.keys(value)) {
      if (found === undefined && !wellFormed(k)) found = k;
      found = checkJson((value as Record<string, unknown>)[k], `${where}.${k}`, found);
    }
    return found;
  }
  throw new RangeError(`${where}: ${typeof value} is not JSON`);
}

/**
 * Writes the layout itself: JSON.stringify on a key-sorted object would not do, because
 * ECMAScript enumerates integer-like keys ("0", "10") first whatever the insertion order.
 * Strings and numbers are still encoded by JSON.stringify (QuoteJSONString's escapes).
 */
function write(value: unknown, indent: string): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + write(v, inner)).join(',\n')}\n${indent}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort(compareCodePoints);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${write(obj[k], inner)}`).join(',\n')}\n${indent}}`;
}

/**
 * Canonical JSON (docs/FORMAT.md): object keys sorted by Unicode code point, two-space
 * indentation, `": "` after keys, non-ASCII characters as themselves (UTF-8), only the escapes
 * ECMAScript `JSON.stringify` makes, integers only, and a final newline. Python's
 * `json.dumps(v, sort_keys=True, indent=2, ensure_ascii=False) + "\n"` gives the same bytes.
 * @throws RangeError for a non-integer number or a value JSON cannot hold.
 */
export function canonicalJson(value: JsonValue | BundleManifest): string {
  const s = checkJson(value, '$', undefined);
  if (s !== undefined) throw new RangeError(`canonical JSON holds only well-formed Unicode; ${JSON.stringify(s)} has a lone surrogate`);
  return write(value, '') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Names and layout

/**
 * The bundle's stem: `NAME-VERSION-TARGET`, e.g. `schoolapp-1.2.0-cp311-manylinux_2_36_armv7l`.
 * NAME is the app name with every run of characters other than ASCII letters and digits replaced
 * by `_` (so `-` separates the parts), VERSION keeps letters, digits, `.` and `+`, TARGET (the
 * compact target, else the target name) keeps letters, digits, `.`, `_` and `-`; other runs
 * become `_` there too. The stem is the top folder of every entry and the file name before
 * `.tar` / `.tar.gz`.
 */
export function bundleStem(app: { readonly name: string; readonly version: string }, target: { readonly name: string; readonly compact: string | null }): string {
  const name = app.name.replace(/[^A-Za-z0-9]+/g, '_');
  const version = app.version.replace(/[^A-Za-z0-9.+]+/g, '_');
  const tgt = (target.compact ?? target.name).replace(/[^A-Za-z0-9._-]+/g, '_');
  const stem = `${name}-${version}-${tgt}`;
  const problem = relativePathProblem(stem);
  if (problem !== null || stem.includes('/') || Buffer.byteLength(stem) > 200 || stem.startsWith('.')) {
    throw new SneakpackError('USAGE', `cannot name a bundle ${JSON.stringify(stem)} (from app ${JSON.stringify(app.name)} ${JSON.stringify(app.version)}, target ${JSON.stringify(target.compact ?? target.name)}): ${problem ?? 'it must be a single folder name of at most 200 bytes, not starting with "."'}`, {
      details: { stem },
    });
  }
  return stem;
}

/** The bundle's file name: the stem plus `.tar`, or `.tar.gz` when gzip-compressed. */
export function bundleFileName(source: { readonly app: { readonly name: string; readonly version: string }; readonly target: { readonly name: string; readonly compact: string | null } }, gzip = false): string {
  return `${bundleStem(source.app, source.target)}${gzip ? '.tar.gz' : '.tar'}`;
}

/** Bytewise (UTF-8) order: the order of checksum lists and of entries within a section. */
export function compareBytewise(a: string, b: string): number {
  return compareCodePoints(a, b);
}

/**
 * The section of a bundle path: 0 pylock.toml, 1 wheels, 2 app; entries appear in section order,
 * bytewise within a section. Null for a path outside the layout.
 */
export function sectionOf(path: string): 0 | 1 | 2 | null {
  if (path === LOCK_NAME) return 0;
  if (path.startsWith(WHEELS_DIR)) {
    const rest = path.slice(WHEELS_DIR.length);
    return rest.endsWith('.whl') && rest.length > 4 && !rest.includes('/') ? 1 : null;
  }
  if (path.startsWith(APP_DIR) && path.length > APP_DIR.length && !path.endsWith('/')) return 2;
  return null;
}

/** Entry order of the files after `manifest.json`. */
export function compareEntryOrder(a: string, b: string): number {
  const sa = sectionOf(a) ?? 3;
  const sb = sectionOf(b) ?? 3;
  return sa !== sb ? sa - sb : compareBytewise(a, b);
}

/**
 * The key under which two paths collide on a case-insensitive or normalising file system
 * (macOS, Windows, FAT on a USB stick): NFC, then case-folded (upper then lower catches `ß`/`SS`).
 */
export function collisionKey(path: string): string {
  return path.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/**
 * The first path of `paths` that is also used as a folder by another (`app/x` and `app/x/y`,
 * compared by {@link collisionKey}): both cannot exist on disk. Returns [file, other] or null.
 */
export function fileFolderClash(paths: readonly string[]): [string, string] | null {
  const files = new Map(paths.map((p) => [collisionKey(p), p]));
  for (const p of paths) {
    const segments = p.split('/');
    for (let i = 1; i < segments.length; i++) {
      const clash = files.get(collisionKey(segments.slice(0, i).join('/')));
      if (clash !== undefined) return [clash, p];
    }
  }
  return null;
}

/** Why `path` cannot be a bundle file path (below the top folder), or null. */
export function bundlePathProblem(path: string): string | null {
  const p = relativePathProblem(path);
  if (p !== null) return p;
  if (path.endsWith('/')) return 'it names a folder';
  if (path !== path.normalize('NFC')) return 'it is not in Unicode NFC form';
  const c = checksumPathProblem(path);
  if (c !== undefined) return c;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Validation of a parsed manifest

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks that `value` (parsed from `manifest.json`) is a format-1 manifest and returns it.
 * Field shapes only; agreement with the checksum list and the entries is the reader's business.
 * @throws SneakpackError BUNDLE_FORMAT_UNSUPPORTED for another format number,
 *   BUNDLE_INVALID_MANIFEST naming the field otherwise.
 */
export function validateManifest(value: unknown, source: string): BundleManifest {
  const bad = (fieldName: string, what: string, got: unknown): never => {
    throw new SneakpackError('BUNDLE_INVALID_MANIFEST', `${source}: field "${fieldName}": ${what}, got ${got === undefined ? 'nothing' : JSON.stringify(got)?.slice(0, 200)}; the bundle was not made by a working sneakpack, do not install it`, {
      details: { file: source, field: fieldName },
    });
  };
  if (!isObj(value)) return bad('$', 'expected an object', value);
  if (value.format !== FORMAT_VERSION) {
    if (typeof value.format === 'number' && Number.isInteger(value.format) && value.format > FORMAT_VERSION) {
      throw new SneakpackError('BUNDLE_FORMAT_UNSUPPORTED', `${source}: bundle format ${value.format} is newer than this sneakpack understands (format ${FORMAT_VERSION}); upgrade sneakpack on this machine`, {
        details: { file: source, format: value.format },
      });
    }
    bad('format', `expected ${FORMAT_VERSION}`, value.format);
  }
  const keys = (o: Obj, where: string, expected: readonly string[]): void => {
    const extra = Object.keys(o).filter((k) => !expected.includes(k));
    if (extra.length > 0) bad(`${where}${extra[0]}`, 'unknown field', o[extra[0]!]);
    for (const k of expected) if (!(k in o)) bad(`${where}${k}`, 'missing', undefined);
  };
  const str = (o: Obj, k: string, where: string, nullable = false): void => {
    const v = o[k];
    if (!(typeof v === 'string' && v.length > 0) && !(nullable && v === null)) bad(`${where}${k}`, `expected a non-empty string${nullable ? ' or null' : ''}`, v);
  };
  const int = (o: Obj, k: string, where: string, nullable = false, max = Number.MAX_SAFE_INTEGER): void => {
    const v = o[k];
    if (!(Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= max) && !(nullable && v === null)) {
      bad(`${where}${k}`, `expected an integer from 0 to ${max}${nullable ? ' or null' : ''}`, v);
    }
  };
  const sha = (o: Obj, k: string, where: string): void => {
    if (typeof o[k] !== 'string' || !/^[0-9a-f]{64}$/.test(o[k] as string)) bad(`${where}${k}`, 'expected 64 lowercase hex digits', o[k]);
  };
  keys(value, '', ['format', 'app', 'target', 'wheels', 'files', 'builder', 'signer', 'created']);

  const app = value.app;
  if (!isObj(app)) return bad('app', 'expected an object', app);
  keys(app, 'app.', ['name', 'version', 'scripts', 'post_install', 'data_dir_env', 'requires_python', 'keep_releases']);
  str(app, 'name', 'app.');
  str(app, 'version', 'app.');
  if (!isObj(app.scripts) || Object.values(app.scripts).some((v) => typeof v !== 'string')) bad('app.scripts', 'expected an object of strings', app.scripts);
  if (
    !Array.isArray(app.post_install) ||
    app.post_install.some((argv) => !Array.isArray(argv) || argv.length === 0 || argv.some((a: unknown) => typeof a !== 'string'))
  ) {
    bad('app.post_install', 'expected an array of commands, each a non-empty array of strings (argv)', app.post_install);
  }
  str(app, 'data_dir_env', 'app.', true);
  str(app, 'requires_python', 'app.', true);
  int(app, 'keep_releases', 'app.', true);

  const target = value.target;
  if (!isObj(target)) return bad('target', 'expected an object', target);
  keys(target, 'target.', ['name', 'compact', 'profile']);
  str(target, 'name', 'target.');
  str(target, 'compact', 'target.', true);
  const profile = target.profile;
  if (!isObj(profile)) return bad('target.profile', 'expected an object', profile);
  if (!isObj(profile.marker_environment)) bad('target.profile.marker_environment', 'expected an object', profile.marker_environment);
  if (!Array.isArray(profile.tags) || profile.tags.some((t) => typeof t !== 'string')) bad('target.profile.tags', 'expected an array of strings', profile.tags);

  if (!Array.isArray(value.wheels)) return bad('wheels', 'expected an array', value.wheels);
  value.wheels.forEach((w: unknown, i) => {
    const where = `wheels[${i}].`;
    if (!isObj(w)) return bad(`wheels[${i}]`, 'expected an object', w);
    keys(w, where, ['file', 'name', 'version', 'tags', 'size', 'sha256', 'requires_python']);
    str(w, 'file', where);
    str(w, 'name', where);
    str(w, 'version', where);
    if (!Array.isArray(w.tags) || w.tags.length === 0 || w.tags.some((t) => typeof t !== 'string')) bad(`${where}tags`, 'expected a non-empty array of strings', w.tags);
    int(w, 'size', where, false, MAX_ENTRY_SIZE);
    sha(w, 'sha256', where);
    str(w, 'requires_python', where, true);
    return undefined;
  });

  if (!Array.isArray(value.files)) return bad('files', 'expected an array', value.files);
  value.files.forEach((f: unknown, i) => {
    const where = `files[${i}].`;
    if (!isObj(f)) return bad(`files[${i}]`, 'expected an object', f);
    keys(f, where, ['path', 'size', 'sha256', 'mode']);
    str(f, 'path', where);
    int(f, 'size', where, false, MAX_ENTRY_SIZE);
    sha(f, 'sha256', where);
    if (f.mode !== '0644' && f.mode !== '0755') bad(`${where}mode`, 'expected "0644" or "0755"', f.mode);
    return undefined;
  });

  const builder = value.builder;
  if (!isObj(builder)) return bad('builder', 'expected an object', builder);
  keys(builder, 'builder.', ['name', 'version']);
  if (builder.name !== 'sneakpack') bad('builder.name', 'expected "sneakpack"', builder.name);
  str(builder, 'version', 'builder.');
  const signer = value.signer;
  if (!isObj(signer)) return bad('signer', 'expected an object', signer);
  keys(signer, 'signer.', ['keynum', 'comment']);
  if (typeof signer.keynum !== 'string' || !/^[0-9a-f]{16}$/.test(signer.keynum)) bad('signer.keynum', 'expected 16 lowercase hex digits', signer.keynum);
  str(signer, 'comment', 'signer.');
  int(value, 'created', '');
  return value as unknown as BundleManifest;
}

/**
 * The checksum list a manifest implies: `manifest.json` (with the digest of its bytes) and every
 * file it lists. {@link formatChecksumList} sorts it.
 */
export function checksumEntriesOf(manifest: BundleManifest, manifestSha256: string): ChecksumEntry[] {
  return [
    { algorithm: 'SHA256', path: MANIFEST_NAME, digest: manifestSha256 },
    ...manifest.files.map((f) => ({ algorithm: 'SHA256' as const, path: f.path, digest: f.sha256 })),
  ];
}

/** `"0644"` / `"0755"` for a file mode (any execute bit makes it executable). */
export function modeString(mode: number): '0644' | '0755' {
  return (mode & 0o111) !== 0 ? '0755' : '0644';
}
