/**
 * PEP 751 lock files (`pylock.toml`, the "pylock.toml Specification" on packaging.python.org):
 * the closure sneakpack resolved for one target, written deterministically and read back with
 * precise errors.
 *
 * sneakpack writes *single-use* lock files for one target box: one entry per package, wheels
 * only, no `extras` / `dependency-groups` (the extras chosen at lock time are baked in and
 * recorded in `[tool.sneakpack]`), an `environments` marker and `requires-python` that pin the
 * target's interpreter and machine, and `[tool.sneakpack.target]` with what a marker cannot say
 * (the C library, via a digest of the target's supported tags).
 *
 * Reading is strict where the spec leaves room, because a lock decides what runs on the box:
 * - every key must be one the spec defines (a typo is an error) — unless `lock-version` is a
 *   newer 1.x, whose new keys are ignored (the spec's "supports the major version" rule);
 * - every package needs `version` and at least one wheel with a `sha256` hash; `vcs`,
 *   `directory` and `archive` packages are refused (sneakpack installs wheels it verified);
 *   an `[packages.sdist]` is checked for shape and otherwise ignored (sdists are never built);
 * - a package name appears once; non-empty `extras`, `dependency-groups` or `default-groups`
 *   (multi-use lock files) are refused;
 * - `upload-time`, `attestation-identities` and `[packages.tool]` are checked and not kept.
 *
 * @see https://packaging.python.org/en/latest/specifications/pylock-toml/
 * @see https://peps.python.org/pep-0751/
 */
import { parse as parseToml } from 'smol-toml';
import { SneakpackError, isSneakpackError } from '../errors.js';
import { Version, compareVersions, parseSpecifierSet, parseVersion, type SpecifierSet } from '../pep440/index.js';
import { canonicalizeName, isValidName, parseMarker, type Marker } from '../pep508/index.js';
import { parseWheelFilename } from '../wheel/index.js';
import { tomlLines, type TomlInline } from './toml-writer.js';

/** The `lock-version` sneakpack writes (the only one PEP 751 defines). */
export const LOCK_VERSION = '1.0';

/** The `created-by` sneakpack writes. */
export const CREATED_BY = 'sneakpack';

/** One wheel of a package (`[[packages.wheels]]`). */
export interface LockWheel {
  /** The wheel's file name. */
  readonly name: string;
  /** Where to download it. One of `url` and `path` is set. */
  readonly url?: string;
  /** A local file, relative to the lock file's folder (POSIX separators) or absolute. */
  readonly path?: string;
  /** Size in bytes. */
  readonly size?: number;
  /** Hash name → lower-case hex digest; always has `sha256`. */
  readonly hashes: Readonly<Record<string, string>>;
}

/** An entry of `packages.dependencies`: enough keys to find the package entry (informational only). */
export type LockDependency = Readonly<Record<string, string>> & { readonly name: string };

/** One package (`[[packages]]`). */
export interface LockPackage {
  /** PEP 503 normalised name. */
  readonly name: string;
  readonly version: Version;
  /** When the package applies; null for always (sneakpack's single-target locks need none). */
  readonly marker: Marker | null;
  /** The package's `Requires-Python`. */
  readonly requiresPython: SpecifierSet | null;
  /** Direct dependencies, for auditing (the spec forbids using them to install). */
  readonly dependencies: readonly LockDependency[];
  /** The index the wheels came from (`https://pypi.org/simple/`), when there is one. */
  readonly index?: string;
  /** At least one wheel. */
  readonly wheels: readonly LockWheel[];
}

/** The target a sneakpack lock was resolved for (`[tool.sneakpack.target]`). */
export interface LockTarget {
  /** The preset, compact string or profile name used. */
  readonly name: string;
  /** The compact form (`cp311-manylinux_2_36_armv7l`), when the target has one. */
  readonly compact: string | null;
  /** The Python version, as precise as known (`3.11` or `3.11.2`). */
  readonly python: string;
  /** sha256 of the supported tags, best first, one per line (see `targetTagsDigest`). */
  readonly tagsSha256: string;
}

/** `[tool.sneakpack]`: how the lock was made. */
export interface SneakpackLockInfo {
  readonly target: LockTarget;
  /** The app's extras resolved (normalised, sorted). */
  readonly extras: readonly string[];
  /** The root requirements resolved, as strings (for "is the lock stale?"). */
  readonly requirements: readonly string[];
  /** The constraints applied. */
  readonly constraints: readonly string[];
}

/** A lock file. */
export interface Lock {
  readonly lockVersion: string;
  readonly createdBy: string;
  /** `requires-python`: for sneakpack locks `==X.Y.*`, the target's Python. */
  readonly requiresPython: SpecifierSet | null;
  /** `environments`: markers of which at least one must hold on the box. */
  readonly environments: readonly Marker[];
  readonly packages: readonly LockPackage[];
  /** `[tool.sneakpack]`, or null for a lock made by another tool. */
  readonly sneakpack: SneakpackLockInfo | null;
}

// ---------------------------------------------------------------------------------------------
// Writing

function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function sortedRecord(r: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.keys(r).sort(compareBytes).map((k) => [k, r[k]!]));
}

function dependencyKey(d: LockDependency): string {
  return Object.keys(d)
    .sort(compareBytes)
    .map((k) => `${k}\u0000${d[k]}`)
    .join('\u0001');
}

function dependencyInline(d: LockDependency): Record<string, string> {
  // name first, then the other keys in byte order.
  const rest = Object.keys(d)
    .filter((k) => k !== 'name')
    .sort(compareBytes);
  return Object.fromEntries([['name', d.name], ...rest.map((k) => [k, d[k]!])]);
}

/**
 * Write `lock` as `pylock.toml` text. Deterministic: packages sorted by name (then version),
 * wheels by file name, hashes and dependencies sorted, keys in the order the specification lists
 * them, no timestamps — the same lock gives the same bytes.
 *
 * The lock is validated first ({@link validateLock}), so what is written can be read back.
 */
export function writeLock(lock: Lock): string {
  validateLock(lock);
  const packages = [...lock.packages].sort((a, b) => compareBytes(a.name, b.name) || compareVersions(a.version, b.version));
  let out = tomlLines([
    ['lock-version', lock.lockVersion],
    ['environments', lock.environments.length > 0 ? lock.environments.map((m) => m.toString()) : undefined],
    ['requires-python', lock.requiresPython?.toString() || undefined],
    ['created-by', lock.createdBy],
  ]);
  if (packages.length === 0) out += 'packages = []\n';
  for (const p of packages) {
    const deps = [...p.dependencies].sort((a, b) => compareBytes(dependencyKey(a), dependencyKey(b)));
    out += '\n[[packages]]\n';
    out += tomlLines([
      ['name', p.name],
      ['version', p.version.toString()],
      ['marker', p.marker?.toString()],
      ['requires-python', p.requiresPython?.toString() || undefined],
      ['dependencies', deps.length > 0 ? deps.map(dependencyInline) : undefined],
      ['index', p.index],
    ]);
    for (const w of [...p.wheels].sort((a, b) => compareBytes(a.name, b.name))) {
      out += '\n[[packages.wheels]]\n';
      out += tomlLines([
        ['name', w.name],
        ['url', w.url],
        ['path', w.path],
        ['size', w.size],
        ['hashes', sortedRecord(w.hashes)],
      ]);
    }
  }
  const info = lock.sneakpack;
  if (info !== null) {
    out += '\n[tool.sneakpack]\n';
    out += tomlLines([
      ['extras', [...info.extras] as TomlInline[]],
      ['requirements', [...info.requirements] as TomlInline[]],
      ['constraints', [...info.constraints] as TomlInline[]],
    ]);
    out += '\n[tool.sneakpack.target]\n';
    out += tomlLines([
      ['name', info.target.name],
      ['compact', info.target.compact ?? undefined],
      ['python', info.target.python],
      ['tags-sha256', info.target.tagsSha256],
    ]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date/time';
  if (isTable(v)) return 'a table';
  if (typeof v === 'bigint') return 'an integer';
  return `a ${typeof v}`;
}

/** Collects the location as it descends, so every error names the file and field. */
class At {
  constructor(
    readonly file: string,
    readonly path: string,
  ) {}

  key(k: string): At {
    return new At(this.file, this.path === '' ? k : `${this.path}.${k}`);
  }

  index(i: number, label?: string): At {
    return new At(this.file, `${this.path}[${i}]${label ? ` (${label})` : ''}`);
  }

  fail(message: string, extra: Record<string, unknown> = {}): never {
    throw new SneakpackError('INVALID_LOCK', `${this.file}${this.path === '' ? '' : ` ${this.path}`}: ${message}`, {
      details: { file: this.file, field: this.path, ...extra },
    });
  }

  /** Run a spec parser, turning its error into INVALID_LOCK here. */
  parse<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!isSneakpackError(e)) throw e;
      return this.fail(e.message, { cause: e.code });
    }
  }
}

function checkKeys(t: Table, allowed: readonly string[], at: At, strict: boolean): void {
  if (!strict) return;
  for (const k of Object.keys(t)) {
    if (!allowed.includes(k)) at.key(k).fail(`unknown key ${JSON.stringify(k)} (expected one of: ${allowed.join(', ')})`);
  }
}

function str(t: Table, key: string, at: At, required: true): string;
function str(t: Table, key: string, at: At, required?: false): string | undefined;
function str(t: Table, key: string, at: At, required = false): string | undefined {
  const v = t[key];
  if (v === undefined) return required ? at.key(key).fail('is required') : undefined;
  if (typeof v !== 'string') at.key(key).fail(`expected a string, found ${typeName(v)}`);
  return v as string;
}

function strArray(t: Table, key: string, at: At): string[] | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) return at.key(key).fail(`expected an array of strings, found ${typeName(v)}`);
  return v.map((item, i) => (typeof item === 'string' ? item : at.key(key).index(i).fail(`expected a string, found ${typeName(item)}`)));
}

function table(t: Table, key: string, at: At): Table | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (!isTable(v)) return at.key(key).fail(`expected a table, found ${typeName(v)}`);
  return v;
}

function tableArray(t: Table, key: string, at: At): Table[] | undefined {
  const v = t[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) return at.key(key).fail(`expected an array of tables, found ${typeName(v)}`);
  return v.map((item, i) => (isTable(item) ? item : at.key(key).index(i).fail(`expected a table, found ${typeName(item)}`)));
}

/** packaging's `is_normalized_name`: lower case, single `-` separators. */
export function isNormalizedName(name: string): boolean {
  return isValidName(name) && canonicalizeName(name) === name && !name.includes('--');
}

const HEX = /^[0-9a-f]+$/;

function readHashes(t: Table, at: At): Record<string, string> {
  const h = table(t, 'hashes', at);
  if (h === undefined) return at.key('hashes').fail('is required (at least a sha256)');
  const here = at.key('hashes');
  const entries = Object.entries(h);
  if (entries.length === 0) here.fail('must contain at least one hash');
  for (const [k, v] of entries) {
    if (typeof v !== 'string') here.key(k).fail(`expected a string, found ${typeName(v)}`);
    if (!HEX.test(v as string)) here.key(k).fail(`${JSON.stringify(v)} is not a lower-case hex digest`);
  }
  const sha = h.sha256;
  if (sha === undefined) here.fail('has no sha256; sneakpack verifies every wheel by its sha256');
  if ((sha as string).length !== 64) here.key('sha256').fail(`must be 64 hex digits, got ${(sha as string).length}`);
  return h as Record<string, string>;
}

function readLocation(t: Table, at: At): { url?: string; path?: string } {
  const url = str(t, 'url', at);
  const path = str(t, 'path', at);
  if (!url && !path) at.fail('needs a url or a path');
  return { ...(url ? { url } : {}), ...(path ? { path } : {}) };
}

function readSize(t: Table, at: At): number | undefined {
  const v = t.size;
  if (v === undefined) return undefined;
  if (typeof v === 'bigint' || (typeof v === 'number' && !Number.isSafeInteger(v))) at.key('size').fail(`${v} is too large`);
  if (typeof v !== 'number' || !Number.isInteger(v)) return at.key('size').fail(`expected an integer, found ${typeName(v)}`);
  if (v < 0) at.key('size').fail(`must not be negative, got ${v}`);
  return v;
}

function checkUploadTime(t: Table, at: At): void {
  const v = t['upload-time'];
  if (v !== undefined && !(v instanceof Date)) at.key('upload-time').fail(`expected a date-time, found ${typeName(v)}`);
}

/** The last path component of a URL (packaging's `_url_name`) or a path (`_path_name`). */
function lastComponent(loc: { url?: string; path?: string }): string {
  if (loc.path) return loc.path.split(/[\\/]/).pop()!;
  let p = loc.url!;
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(p);
  if (m) p = p.slice(m[0].length);
  p = p.split(/[?#]/)[0]!;
  return p.split('/').pop()!;
}

const WHEEL_KEYS = ['name', 'upload-time', 'url', 'path', 'size', 'hashes'];
const PACKAGE_KEYS = [
  'name', 'version', 'marker', 'requires-python', 'dependencies', 'vcs', 'directory', 'archive',
  'index', 'sdist', 'wheels', 'attestation-identities', 'tool',
];
const TOP_KEYS = ['lock-version', 'environments', 'requires-python', 'extras', 'dependency-groups', 'default-groups', 'created-by', 'packages', 'tool'];

function readWheel(t: Table, at: At, pkg: { name: string; version: Version }, strict: boolean): LockWheel {
  checkKeys(t, WHEEL_KEYS, at, strict);
  const loc = readLocation(t, at);
  const size = readSize(t, at);
  const hashes = readHashes(t, at);
  checkUploadTime(t, at);
  const name = str(t, 'name', at) || lastComponent(loc);
  const parsed = at.parse(() => parseWheelFilename(name));
  if (parsed.normalizedName !== pkg.name) at.fail(`wheel ${JSON.stringify(name)} is not a wheel of ${JSON.stringify(pkg.name)}`);
  if (!parsed.version.equals(pkg.version)) {
    at.fail(`wheel ${JSON.stringify(name)} has version ${parsed.version}, the package says ${pkg.version}`);
  }
  return Object.freeze({ name, ...loc, ...(size !== undefined ? { size } : {}), hashes: Object.freeze(hashes) });
}

function readPackage(t: Table, at: At, strict: boolean): LockPackage {
  checkKeys(t, PACKAGE_KEYS, at, strict);
  const name = str(t, 'name', at, true);
  if (!isNormalizedName(name)) at.key('name').fail(`${JSON.stringify(name)} is not a normalised name (write ${JSON.stringify(canonicalizeName(name))})`);
  const here = new At(at.file, `${at.path} (${name})`);
  for (const direct of ['vcs', 'directory', 'archive']) {
    if (t[direct] !== undefined) {
      here.key(direct).fail(`sneakpack installs wheels only; a ${direct} source cannot be installed on an offline box`);
    }
  }
  const versionText = str(t, 'version', here);
  if (versionText === undefined) here.key('version').fail('is required by sneakpack (every locked wheel has a version)');
  const version = here.key('version').parse(() => parseVersion(versionText!));
  const markerText = str(t, 'marker', here);
  const marker = markerText === undefined ? null : here.key('marker').parse(() => parseMarker(markerText));
  const rpText = str(t, 'requires-python', here);
  const requiresPython = rpText === undefined ? null : here.key('requires-python').parse(() => parseSpecifierSet(rpText));
  const index = str(t, 'index', here);

  const dependencies = (tableArray(t, 'dependencies', here) ?? []).map((d, i) => {
    const dat = here.key('dependencies').index(i);
    for (const [k, v] of Object.entries(d)) {
      if (typeof v !== 'string') dat.key(k).fail(`sneakpack records dependencies with string values only, found ${typeName(v)}`);
    }
    if (typeof d.name !== 'string') dat.key('name').fail('is required');
    return Object.freeze({ ...(d as Record<string, string>) }) as LockDependency;
  });

  const sdist = table(t, 'sdist', here);
  if (sdist !== undefined) {
    const sat = here.key('sdist');
    checkKeys(sdist, ['name', 'upload-time', 'url', 'path', 'size', 'hashes'], sat, strict);
    str(sdist, 'name', sat);
    readLocation(sdist, sat);
    readSize(sdist, sat);
    checkUploadTime(sdist, sat);
    const h = table(sdist, 'hashes', sat);
    if (h === undefined || Object.keys(h).length === 0) sat.key('hashes').fail('must contain at least one hash');
    for (const [k, v] of Object.entries(h!)) if (typeof v !== 'string') sat.key('hashes').key(k).fail(`expected a string, found ${typeName(v)}`);
  }
  const wheelTables = tableArray(t, 'wheels', here);
  if (wheelTables === undefined || wheelTables.length === 0) {
    here.key('wheels').fail('sneakpack needs at least one wheel per package (it never builds from source)');
  }
  const wheels = wheelTables!.map((w, i) => readWheel(w, here.key('wheels').index(i), { name, version }, strict));
  const seen = new Set<string>();
  for (const w of wheels) {
    if (seen.has(w.name)) here.key('wheels').fail(`wheel ${JSON.stringify(w.name)} is listed twice`);
    seen.add(w.name);
  }
  (tableArray(t, 'attestation-identities', here) ?? []).forEach((a, i) => {
    str(a, 'kind', here.key('attestation-identities').index(i), true);
  });
  table(t, 'tool', here);
  return Object.freeze({
    name,
    version,
    marker,
    requiresPython,
    dependencies: Object.freeze(dependencies),
    ...(index !== undefined ? { index } : {}),
    wheels: Object.freeze(wheels),
  });
}

function readSneakpack(t: Table, at: At): SneakpackLockInfo {
  checkKeys(t, ['extras', 'requirements', 'constraints', 'target'], at, true);
  const target = table(t, 'target', at);
  if (target === undefined) return at.key('target').fail('is required');
  const tat = at.key('target');
  checkKeys(target, ['name', 'compact', 'python', 'tags-sha256'], tat, true);
  const tags = str(target, 'tags-sha256', tat, true);
  if (!/^[0-9a-f]{64}$/.test(tags)) tat.key('tags-sha256').fail('must be 64 lower-case hex digits');
  const extras = strArray(t, 'extras', at) ?? [];
  extras.forEach((e, i) => {
    if (!isNormalizedName(e)) at.key('extras').index(i).fail(`${JSON.stringify(e)} is not a normalised extra name`);
  });
  return Object.freeze({
    target: Object.freeze({
      name: str(target, 'name', tat, true),
      compact: str(target, 'compact', tat) ?? null,
      python: str(target, 'python', tat, true),
      tagsSha256: tags,
    }),
    extras: Object.freeze(extras),
    requirements: Object.freeze(strArray(t, 'requirements', at) ?? []),
    constraints: Object.freeze(strArray(t, 'constraints', at) ?? []),
  });
}

/**
 * Parse and validate `pylock.toml` text (see the module comment for what is refused).
 *
 * @param file the path to name in messages.
 * @throws SneakpackError `INVALID_LOCK`, naming the file, the package (index and name) and the
 *   field — e.g. `pylock.toml packages[2] (django).wheels[0].hashes: has no sha256 …`.
 */
export function parseLock(text: string, file = 'pylock.toml'): Lock {
  const top = new At(file, '');
  let doc: Table;
  try {
    doc = parseToml(text, { integersAsBigInt: 'asNeeded' }) as Table;
  } catch (e) {
    const err = e as Error & { line?: number };
    return top.fail(`not valid TOML${err.line ? ` (line ${err.line})` : ''}: ${err.message.replace(/^Invalid TOML document: /, '')}`);
  }
  const lockVersion = str(doc, 'lock-version', top, true);
  const v = top.key('lock-version').parse(() => parseVersion(lockVersion));
  if (v.compare(parseVersion('1')) < 0 || v.compare(parseVersion('2')) >= 0) top.key('lock-version').fail(`lock-version ${lockVersion} is not supported (sneakpack reads 1.x)`);
  // A newer 1.x may add keys we do not know; the spec says to warn, not fail, then.
  const strict = v.compare(parseVersion(LOCK_VERSION)) <= 0;
  checkKeys(doc, TOP_KEYS, top, strict);
  const createdBy = str(doc, 'created-by', top, true);
  const environments = (strArray(doc, 'environments', top) ?? []).map((m, i) => top.key('environments').index(i).parse(() => parseMarker(m)));
  const rp = str(doc, 'requires-python', top);
  const requiresPython = rp === undefined ? null : top.key('requires-python').parse(() => parseSpecifierSet(rp));
  for (const key of ['extras', 'dependency-groups', 'default-groups']) {
    const list = strArray(doc, key, top);
    if (list !== undefined && list.length > 0) {
      top.key(key).fail(`is ${JSON.stringify(list)}; sneakpack installs single-use lock files only (the extras are chosen when locking)`);
    }
  }
  const packageTables = tableArray(doc, 'packages', top);
  if (packageTables === undefined) return top.key('packages').fail('is required');
  const packages = packageTables.map((p, i) => readPackage(p, top.key('packages').index(i), strict));
  const byName = new Map<string, number>();
  packages.forEach((p, i) => {
    const prev = byName.get(p.name);
    if (prev !== undefined) top.key('packages').index(i, p.name).fail(`${p.name} is already locked in packages[${prev}]; a sneakpack lock has one entry per package`);
    byName.set(p.name, i);
  });
  const tool = table(doc, 'tool', top);
  const sp = tool === undefined ? undefined : table(tool, 'sneakpack', top.key('tool'));
  return Object.freeze({
    lockVersion,
    createdBy,
    requiresPython,
    environments: Object.freeze(environments),
    packages: Object.freeze(packages),
    sneakpack: sp === undefined ? null : readSneakpack(sp, top.key('tool').key('sneakpack')),
  });
}

/**
 * Check a {@link Lock} built in code before it is written: the same rules as {@link parseLock}
 * (normalised unique names, wheels that belong to their package, sha256 hashes…).
 *
 * @throws SneakpackError `INVALID_LOCK`.
 */
export function validateLock(lock: Lock, file = 'lock'): void {
  const top = new At(file, '');
  if (lock.lockVersion !== LOCK_VERSION) top.key('lock-version').fail(`sneakpack writes lock-version ${LOCK_VERSION}, got ${lock.lockVersion}`);
  if (lock.createdBy === '') top.key('created-by').fail('must not be empty');
  const names = new Set<string>();
  lock.packages.forEach((p, i) => {
    const at = top.key('packages').index(i, p.name);
    if (!isNormalizedName(p.name)) at.key('name').fail(`${JSON.stringify(p.name)} is not a normalised name`);
    if (names.has(p.name)) at.fail(`${p.name} is locked twice`);
    names.add(p.name);
    if (!(p.version instanceof Version)) at.key('version').fail('must be a Version');
    if (p.wheels.length === 0) at.key('wheels').fail('needs at least one wheel');
    for (const d of p.dependencies) if (typeof d.name !== 'string' || d.name === '') at.key('dependencies').fail('every entry needs a name');
    const wheelNames = new Set<string>();
    p.wheels.forEach((w, j) => {
      const wat = at.key('wheels').index(j);
      const table: Table = { ...w, hashes: { ...w.hashes } };
      readWheel(table, wat, p, true);
      if (w.url !== undefined && w.path !== undefined) wat.fail('give a url or a path, not both');
      if (wheelNames.has(w.name)) wat.fail(`wheel ${JSON.stringify(w.name)} is listed twice`);
      wheelNames.add(w.name);
    });
  });
  if (lock.sneakpack !== null) {
    const t = lock.sneakpack.target;
    if (!/^[0-9a-f]{64}$/.test(t.tagsSha256)) top.key('tool.sneakpack.target.tags-sha256').fail('must be 64 lower-case hex digits');
    lock.sneakpack.extras.forEach((e) => {
      if (!isNormalizedName(e)) top.key('tool.sneakpack.extras').fail(`${JSON.stringify(e)} is not a normalised extra name`);
    });
  }
}
