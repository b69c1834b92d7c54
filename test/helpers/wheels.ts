/**
 * Test wheels, generated in test code (as pypa/installer's tests build wheels from a
 * `{path: content}` map and node-tar's tests build hostile archives).
 *
 * - {@link makeWheel} writes a valid `.whl` (METADATA, WHEEL, a correct RECORD) into a folder and
 *   returns its path; {@link wheelBytes} returns the bytes without touching the disk.
 * - Every field can be overridden or broken on purpose: METADATA/WHEEL text, the `.dist-info`
 *   name, the file name, raw extra zip members (not in RECORD), lying sizes.
 * - Output is deterministic: members in a fixed order, fixed timestamps (1980-01-01 00:00,
 *   the zip epoch), fixed modes (0644), no extra fields — same input, same bytes.
 *
 * The zip writer is written out here (not `archiver`) so it is synchronous, byte-for-byte
 * reproducible, and can produce archives no honest tool would (duplicate names, lying sizes).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import {
  type CoreMetadataFields,
  type RecordEntry,
  escapeWheelName,
  serializeCoreMetadata,
  serializeRecord,
  serializeWheelInfo,
  wheelFilename,
} from '../../src/wheel/index.js';
import { parseVersion } from '../../src/pep440/index.js';

/** One member of a zip written by {@link writeZip}. */
export interface ZipEntry {
  /** Path inside the archive, written as given (nothing is checked: hostile names are allowed). */
  readonly name: string;
  readonly data: string | Buffer;
  /** `deflate` (default) or `store`. */
  readonly method?: 'deflate' | 'store';
  /** Lie about the uncompressed size in both headers (zip-bomb and corruption tests). */
  readonly declaredSize?: number;
  /** Unix mode (default 0o644). */
  readonly mode?: number;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (ISO-HDLC, as zip uses). */
export function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** 1980-01-01 00:00:00 in MS-DOS date/time form: the earliest a zip can say, and fixed. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** Write a zip archive (no zip64, UTF-8 names, fixed timestamps) to a buffer. */
export function writeZip(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : e.data;
    const name = Buffer.from(e.name, 'utf8');
    const method = e.method === 'store' ? 0 : 8;
    const body = method === 8 ? deflateRawSync(data, { level: 9 }) : data;
    const crc = crc32(data);
    const usize = e.declaredSize ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(usize, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, spec 2.0
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(usize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((((e.mode ?? 0o644) | 0o100000) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** Lower-case hex sha256. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** RECORD's hash form: urlsafe base64 sha256 without padding. */
function recordHash(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** What a test wheel holds; only `name` and `version` are required. */
export interface WheelSpec {
  /** Project name as written in METADATA (any spelling; escaped for file and directory names). */
  readonly name: string;
  /** Version as written in METADATA (normalised for file and directory names). */
  readonly version: string;
  /** Compressed tag set for the file name and WHEEL (default `py3-none-any`). */
  readonly tags?: string;
  readonly buildTag?: string;
  readonly requiresDist?: readonly string[];
  readonly requiresPython?: string;
  readonly providesExtra?: readonly string[];
  readonly summary?: string;
  /**
   * Payload files by archive path (default: `<name>/__init__.py` with one line). Written in
   * sorted order before the `.dist-info` files.
   */
  readonly files?: Readonly<Record<string, string | Buffer>>;
  /** Extra `.dist-info` files (e.g. `entry_points.txt`), by name inside the directory. */
  readonly distInfoFiles?: Readonly<Record<string, string | Buffer>>;
  /**
   * METADATA: a full replacement text, or fields merged over the defaults (e.g.
   * `{ name: 'other' }` to make METADATA disagree with the file name).
   */
  readonly metadata?: string | Buffer | Partial<CoreMetadataFields>;
  /** WHEEL: a full replacement text (default: Wheel-Version 1.0, Root-Is-Purelib, one Tag per tag). */
  readonly wheel?: string;
  /** `.dist-info` directory name (default `<escaped name>-<normalised version>.dist-info`). */
  readonly distInfoDir?: string;
  /** Output file name (default from name, version, build tag and tags). */
  readonly filename?: string;
  /** Raw zip members appended after the wheel's own, not listed in RECORD (hostile archives). */
  readonly extraEntries?: readonly ZipEntry[];
  /** Leave out these members (paths inside the archive, e.g. `foo-1.0.dist-info/WHEEL`). */
  readonly omit?: readonly string[];
  /** Write no RECORD. */
  readonly noRecord?: boolean;
}

/** A generated wheel: its file name, bytes, and the METADATA text (for PEP 658 `.metadata` files). */
export interface BuiltWheel {
  readonly filename: string;
  readonly bytes: Buffer;
  readonly metadata: Buffer;
  readonly distInfoDir: string;
  /** Lower-case hex sha256 of `bytes`. */
  readonly sha256: string;
}

/** Build a wheel in memory; see {@link WheelSpec}. */
export function wheelBytes(spec: WheelSpec): BuiltWheel {
  const tags = spec.tags ?? 'py3-none-any';
  const filename =
    spec.filename ?? wheelFilename({ name: spec.name, version: spec.version, buildTag: spec.buildTag ?? null, tags });
  const distInfoDir = spec.distInfoDir ?? `${escapeWheelName(spec.name)}-${parseVersion(spec.version).toString()}.dist-info`;
  const metadataText =
    typeof spec.metadata === 'string' || Buffer.isBuffer(spec.metadata)
      ? spec.metadata
      : serializeCoreMetadata({
          name: spec.name,
          version: spec.version,
          ...(spec.summary !== undefined ? { summary: spec.summary } : {}),
          ...(spec.requiresPython !== undefined ? { requiresPython: spec.requiresPython } : {}),
          ...(spec.requiresDist !== undefined ? { requiresDist: spec.requiresDist } : {}),
          ...(spec.providesExtra !== undefined ? { providesExtra: spec.providesExtra } : {}),
          ...(spec.metadata ?? {}),
        });
  const metadata = Buffer.isBuffer(metadataText) ? metadataText : Buffer.from(metadataText, 'utf8');
  const wheelText =
    spec.wheel ??
    serializeWheelInfo({
      generator: 'sneakpack-tests',
      rootIsPurelib: tags.split('-')[2] === 'any',
      tags: [tags],
      ...(spec.buildTag !== undefined ? { build: spec.buildTag } : {}),
    });
  const payload = spec.files ?? { [`${escapeWheelName(spec.name)}/__init__.py`]: `__version__ = ${JSON.stringify(spec.version)}\n` };
  const members: [string, Buffer][] = [];
  for (const path of Object.keys(payload).sort()) {
    const data = payload[path]!;
    members.push([path, typeof data === 'string' ? Buffer.from(data, 'utf8') : data]);
  }
  const distInfo: Record<string, string | Buffer> = { METADATA: metadata, WHEEL: wheelText, ...(spec.distInfoFiles ?? {}) };
  for (const name of Object.keys(distInfo).sort()) {
    const data = distInfo[name]!;
    members.push([`${distInfoDir}/${name}`, typeof data === 'string' ? Buffer.from(data, 'utf8') : data]);
  }
  const omit = new Set(spec.omit ?? []);
  const kept = members.filter(([path]) => !omit.has(path));
  const entries: ZipEntry[] = kept.map(([name, data]) => ({ name, data }));
  const recordPath = `${distInfoDir}/RECORD`;
  if (!spec.noRecord && !omit.has(recordPath)) {
    const rows: RecordEntry[] = kept.map(([path, data]) => ({
      path,
      hash: { algorithm: 'sha256', value: recordHash(data) },
      size: data.length,
    }));
    rows.push({ path: recordPath, hash: null, size: null });
    entries.push({ name: recordPath, data: serializeRecord(rows) });
  }
  entries.push(...(spec.extraEntries ?? []));
  const bytes = writeZip(entries);
  return Object.freeze({ filename, bytes, metadata, distInfoDir, sha256: sha256Hex(bytes) });
}

/**
 * Write a wheel built from `spec` into `spec.dir` (created if needed) and return its path.
 *
 * @example makeWheel({ dir, name: 'foo-bar', version: '1.0', requiresDist: ['baz>=2'] })
 *   // → `${dir}/foo_bar-1.0-py3-none-any.whl`
 */
export function makeWheel(spec: WheelSpec & { readonly dir: string }): string {
  const built = wheelBytes(spec);
  mkdirSync(spec.dir, { recursive: true });
  const path = join(spec.dir, built.filename);
  writeFileSync(path, built.bytes);
  return path;
}

/**
 * Write an app's source files (`{relative path: text}`) under `appDir` and return them as a
 * bundle's `appFiles` entries (mode 0644), in the order given.
 */
export function writeAppFiles(appDir: string, files: Record<string, string>): { path: string; absPath: string; mode: number }[] {
  return Object.entries(files).map(([rel, text]) => {
    const abs = join(appDir, rel);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
    return { path: rel, absPath: abs, mode: 0o644 };
  });
}
