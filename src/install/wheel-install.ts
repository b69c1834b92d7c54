/**
 * sneakpack's own wheel installer — binary distribution format spec, "Installing a wheel"
 * (PEP 427), writing what pip 24.2 writes (`pip/_internal/operations/install/wheel.py`), with
 * pypa/installer's stricter checks:
 *
 * 1. read the zip's central directory (yauzl, through a synchronous 1 MiB read window) and refuse
 *    unsafe member names, duplicates, encryption, and declared sizes above the limits (zip bombs);
 * 2. read `WHEEL`, `METADATA`, `RECORD`, `entry_points.txt`; check `Wheel-Version`, that the
 *    metadata describes the wheel (and what the caller expected), and RECORD against the members;
 * 3. plan every destination ({@link planFiles}) and refuse any existing file;
 * 4. write each member once into place, in archive order: inflated in memory with one bounded
 *    call (a member above {@link DEFAULT_STREAM_ABOVE} streams), checked against RECORD's size and
 *    hash before it is written, with synchronous calls (thousands of small files: a thread-pool
 *    round trip per call cost more than the calls); or, with `reuse`, hard-linked from an
 *    earlier install of the same wheel file; rewrite `#!python` in `.data/scripts`; write
 *    entry-point launchers;
 * 5. write `INSTALLER`, optionally `REQUESTED`, and `RECORD` last, from what was written.
 *
 * On any failure every file and directory this call created is removed.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as fsSync from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { inflateRawSync } from 'node:zlib';
import yauzl from 'yauzl';
import type { Entry, ZipFile } from 'yauzl';
import { SneakpackError, isSneakpackError } from '../errors.js';
import { checkRelativePath, safeJoin } from '../paths.js';
import { parseVersion } from '../pep440/index.js';
import { canonicalizeName } from '../pep508/index.js';
import { checkMetadataMatchesFilename, findDistInfoDir } from '../sources/wheel-zip.js';
import {
  type ArchiveMember,
  type EntryPoint,
  type RecordEntry,
  parseCoreMetadata,
  parseEntryPoints,
  parseRecord,
  parseWheelFilename,
  parseWheelInfo,
  recordIssues,
  serializeRecord,
} from '../wheel/index.js';
import { type PlanMember, type PlannedFile, installedRecord, planFiles, recordPathFor, schemeForWheel } from './layout.js';
import { type LauncherSpec, ShebangRewriter, launcherSpecs, launcherText } from './scripts.js';
import type { VenvInfo } from './venv.js';

/** Size limits that guard against zip bombs; every size is in bytes. */
export interface InstallLimits {
  /** Largest declared uncompressed size of one member (default 4 GiB). */
  readonly maxFileSize: number;
  /** Largest sum of declared uncompressed sizes (default 16 GiB). */
  readonly maxTotalSize: number;
  /** Largest `WHEEL`, `METADATA`, `RECORD` or `entry_points.txt` (read into memory; default 64 MiB). */
  readonly maxMetadataSize: number;
}

/** The default {@link InstallLimits}: above the largest real wheels (CUDA builds of torch). */
export const DEFAULT_INSTALL_LIMITS: InstallLimits = Object.freeze({
  maxFileSize: 4 * 1024 ** 3,
  maxTotalSize: 16 * 1024 ** 3,
  maxMetadataSize: 64 * 1024 ** 2,
});

/** Options of {@link installWheel}. */
export interface InstallWheelOptions {
  /** The project and version the caller (a bundle's manifest) says this wheel is. */
  readonly expected?: { readonly name: string; readonly version: string };
  /** Written to `.dist-info/INSTALLER` (default `sneakpack`). */
  readonly installer?: string;
  /** Write `.dist-info/REQUESTED` (PEP 376: the user asked for this project, not a dependency). */
  readonly requested?: boolean;
  /** The wheel's file name when `wheelPath` does not end in it (a content-addressed copy). */
  readonly filename?: string;
  /** Override some of {@link DEFAULT_INSTALL_LIMITS}. */
  readonly limits?: Partial<InstallLimits>;
  /**
   * A venv of the same interpreter into which this very wheel file (the same sha256) was installed
   * before, by sneakpack: its files are hard-linked instead of written (see {@link installWheel}).
   */
  readonly reuse?: { readonly venvDir: string };
  /** Stream members larger than this many bytes instead of inflating them in memory (default {@link DEFAULT_STREAM_ABOVE}). */
  readonly streamAbove?: number;
}

/** What {@link installWheel} installed. */
export interface InstalledWheel {
  /** The wheel's file name. */
  readonly filename: string;
  /** Project name as METADATA spells it. */
  readonly name: string;
  /** Version as METADATA spells it. */
  readonly version: string;
  /** Absolute path of the installed `.dist-info` directory. */
  readonly distInfoDir: string;
  /** The installed RECORD's rows (paths relative to the `.dist-info`'s parent). */
  readonly record: readonly RecordEntry[];
  /** How many files were hard-linked from `options.reuse` rather than written. */
  readonly linked: number;
  /** Names of the entry-point launchers written to `bin/`. */
  readonly scripts: readonly string[];
  /** `.data/scripts` members not installed: setuptools wrappers of the wheel's entry points. */
  readonly skipped: readonly string[];
  /** Things worth telling the user (e.g. a newer minor `Wheel-Version`). */
  readonly warnings: readonly string[];
}

/** Python `hashlib` names (as RECORD spells them) → Node `crypto` names. */
const NODE_HASH: Readonly<Record<string, string>> = {
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha3_256: 'sha3-256',
  sha3_384: 'sha3-384',
  sha3_512: 'sha3-512',
  blake2b: 'blake2b512',
  blake2s: 'blake2s256',
};

function newHash(algorithm: string): Hash {
  const name = NODE_HASH[algorithm];
  // recordIssues has refused every other algorithm before any hashing happens.
  if (name === undefined) throw new Error(`unsupported RECORD hash algorithm ${algorithm}`);
  return createHash(name);
}

function digestOf(algorithm: string, data: Buffer): string {
  return newHash(algorithm).update(data).digest('base64url');
}

function invalidWheel(wheel: string, why: string, details: Record<string, unknown> = {}, cause?: unknown): SneakpackError {
  return new SneakpackError('INVALID_WHEEL_FILE', `wheel ${wheel} ${why}`, { cause, details: { wheel, ...details } });
}

function tooLarge(wheel: string, why: string, details: Record<string, unknown> = {}): SneakpackError {
  return new SneakpackError('ARCHIVE_TOO_LARGE', `wheel ${wheel}: ${why} (refusing a possible zip bomb)`, {
    details: { wheel, ...details },
  });
}

/** A zip member with its decoded name. */
interface Member {
  readonly name: string;
  readonly entry: Entry;
  readonly isDirectory: boolean;
  readonly executable: boolean;
  readonly size: number;
}

/** pip's `zip_item_is_executable`: a regular file (S_IFREG) with any execute bit. */
function isExecutable(entry: Entry): boolean {
  const mode = entry.externalFileAttributes >>> 16;
  return mode !== 0 && (mode & 0o170000) === 0o100000 && (mode & 0o111) !== 0;
}

async function readMembers(zip: ZipFile, wheel: string, limits: InstallLimits): Promise<Member[]> {
  const members: Member[] = [];
  const seen = new Set<string>();
  let total = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      // strictFileNames: a `\` stays a `\` (and is refused) rather than becoming a separator.
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, true);
      checkRelativePath(name, `member of ${wheel}`);
      if (seen.has(name)) throw invalidWheel(wheel, `lists ${name} twice in its zip directory`, { member: name });
      seen.add(name);
      if (entry.isEncrypted()) throw invalidWheel(wheel, `has an encrypted member ${name}`, { member: name });
      if (entry.uncompressedSize > limits.maxFileSize) {
        throw tooLarge(wheel, `member ${name} declares ${entry.uncompressedSize} bytes, above the ${limits.maxFileSize}-byte limit`, {
          member: name,
          limit: limits.maxFileSize,
        });
      }
      total += entry.uncompressedSize;
      if (total > limits.maxTotalSize) {
        throw tooLarge(wheel, `members declare more than ${limits.maxTotalSize} bytes in all`, { limit: limits.maxTotalSize });
      }
      const isDirectory = name.endsWith('/');
      members.push({ name, entry, isDirectory, executable: !isDirectory && isExecutable(entry), size: entry.uncompressedSize });
    }
  } catch (e) {
    if (isSneakpackError(e)) throw e;
    throw invalidWheel(wheel, `has a corrupt zip directory (${(e as Error).message})`, {}, e);
  }
  return members;
}

/**
 * The size and digest of a member's inflated bytes against its RECORD row: more bytes than RECORD
 * says is a zip bomb or a lie (`ARCHIVE_TOO_LARGE`), anything else that differs is `INVALID_RECORD`.
 */
function checkMember(wheel: string, member: Member, record: RecordEntry, size: number, digest: string): void {
  const expectedSize = record.size!;
  if (size > expectedSize) {
    throw tooLarge(wheel, `member ${member.name} inflates to more than the ${expectedSize} bytes RECORD says`, {
      member: member.name,
      size: expectedSize,
    });
  }
  if (size !== expectedSize) {
    throw new SneakpackError('INVALID_RECORD', `In ${wheel}, size of ${member.name} is ${size} but RECORD says ${expectedSize}`, {
      details: { wheel, file: member.name },
    });
  }
  if (digest !== record.hash!.value) {
    throw new SneakpackError(
      'INVALID_RECORD',
      `In ${wheel}, ${record.hash!.algorithm} of ${member.name} is ${digest} but RECORD says ${record.hash!.value}`,
      { details: { wheel, file: member.name } },
    );
  }
}

/** Bytes read per system call while walking a wheel front to back. */
const WINDOW_SIZE = 1024 * 1024;
/**
 * Members up to this size (compressed and inflated) are inflated in one synchronous call and
 * written with one `write`; larger ones stream, so memory stays bounded by about twice this.
 * (At 16 MiB, installing the 1 GB benchmark bundle of 8.7 MB members peaked at 135 MB RSS; the
 * target is 150 MB. Few members of real wheels are larger than 4 MiB.)
 */
export const DEFAULT_STREAM_ABOVE = 4 * 1024 * 1024;

function readFully(fd: number, buf: Buffer, position: number): void {
  for (let off = 0; off < buf.length; ) {
    const n = fsSync.readSync(fd, buf, off, buf.length - off, position + off);
    if (n === 0) throw new Error(`the file ends at byte ${position + off}, inside a member`);
    off += n;
  }
}

/**
 * A wheel read with synchronous `pread`s through a 1 MiB window. Installing walks a wheel front to
 * back (the central directory once, then the members in archive order), so this is one system call
 * per MiB instead of several asynchronous reads per member, each a round trip to libuv's thread
 * pool — which is what made installing thousands of small files slow. yauzl reads the central
 * directory through it too.
 */
class WheelReader extends yauzl.RandomAccessReader {
  private readonly buffer = Buffer.allocUnsafe(WINDOW_SIZE);
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;

  constructor(
    readonly fd: number,
    readonly size: number,
  ) {
    super();
  }

  /** `length` bytes at `position`: a view into the window (valid until the next call) or a new buffer. */
  bytes(position: number, length: number): Buffer {
    if (!Number.isSafeInteger(position) || position < 0 || length < 0 || position + length > this.size) {
      throw new Error(`bytes ${position}..${position + length} lie outside the ${this.size}-byte file`);
    }
    const rel = position - this.windowStart;
    if (rel >= 0 && rel + length <= this.window.length) return this.window.subarray(rel, rel + length);
    if (length > WINDOW_SIZE) {
      const out = Buffer.allocUnsafe(length);
      readFully(this.fd, out, position);
      return out;
    }
    const window = this.buffer.subarray(0, Math.min(WINDOW_SIZE, this.size - position));
    this.window = Buffer.alloc(0);
    readFully(this.fd, window, position);
    this.window = window;
    this.windowStart = position;
    return window.subarray(0, length);
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    let err: Error | null = null;
    try {
      this.bytes(position, length).copy(buffer, offset);
    } catch (e) {
      err = e as Error;
    }
    callback(err);
  }

  /** yauzl's stream of a large member's compressed bytes (the fd stays ours to close). */
  override _readStreamForRange(start: number, end: number): Readable {
    const fd = this.fd;
    let position = start;
    return new Readable({
      highWaterMark: WINDOW_SIZE,
      read(): void {
        if (position >= end) {
          this.push(null);
          return;
        }
        const chunk = Buffer.allocUnsafe(Math.min(WINDOW_SIZE, end - position));
        try {
          readFully(fd, chunk, position);
        } catch (e) {
          this.destroy(e as Error);
          return;
        }
        position += chunk.length;
        this.push(chunk);
      },
    });
  }
}

/** The member's bytes, inflated in memory; more than `max` bytes is refused while inflating. */
function inflateMember(reader: WheelReader, member: Member, wheel: string, max: number): Buffer {
  const { entry } = member;
  const details = { member: member.name };
  let raw: Buffer;
  try {
    const at = entry.relativeOffsetOfLocalHeader;
    const header = reader.bytes(at, 30);
    if (header.readUInt32LE(0) !== 0x04034b50) throw new Error('its local header has no signature');
    const start = at + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
    raw = reader.bytes(start, entry.compressedSize);
  } catch (e) {
    throw invalidWheel(wheel, `member ${member.name} cannot be read (${(e as Error).message})`, details, e);
  }
  if (entry.compressionMethod === 0) {
    if (raw.length > max) throw tooLarge(wheel, `member ${member.name} is more than the ${max} bytes expected`, { ...details, size: max });
    // A view into the reader's window is copied (the window moves on); a larger read is already ours.
    return raw.length > WINDOW_SIZE ? raw : Buffer.from(raw);
  }
  if (entry.compressionMethod !== 8) {
    throw invalidWheel(wheel, `member ${member.name} uses compression method ${entry.compressionMethod} (a wheel uses 0, stored, or 8, deflate)`, details);
  }
  try {
    return inflateRawSync(raw, { maxOutputLength: Math.max(1, max) });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw tooLarge(wheel, `member ${member.name} inflates to more than the ${max} bytes expected`, { ...details, size: max });
    }
    throw invalidWheel(wheel, `member ${member.name} cannot be inflated (${(e as Error).message})`, details, e);
  }
}

/** A metadata member, read whole (at most `max` bytes) and exactly its declared size. */
function readSmallMember(reader: WheelReader, member: Member, wheel: string, max: number): Buffer {
  if (member.size > max) {
    throw tooLarge(wheel, `member ${member.name} declares ${member.size} bytes, above the ${max}-byte limit for metadata`, {
      member: member.name,
    });
  }
  const data = inflateMember(reader, member, wheel, member.size);
  if (data.length !== member.size) {
    throw invalidWheel(wheel, `member ${member.name} inflates to ${data.length} bytes, not its declared ${member.size}`);
  }
  return data;
}

function utf8(data: Buffer, wheel: string, member: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch (e) {
    throw invalidWheel(wheel, `has a ${member} that is not UTF-8`, { member }, e);
  }
}

function writeAll(fd: number, data: Buffer): void {
  for (let off = 0; off < data.length; ) off += fsSync.writeSync(fd, data, off, data.length - off);
}

/**
 * Files and directories created by one install, removed again if it fails. Creating is
 * synchronous: one install writes thousands of small files, and awaiting each system call in turn
 * (a thread-pool round trip with nothing else in flight) cost more than the calls themselves.
 */
class Created {
  readonly files: string[] = [];
  readonly dirs: string[] = [];
  /** Directories known to exist (made or checked by this install). */
  private readonly known = new Set<string>();

  /** mkdir -p, remembering each level this call made. */
  ensureDir(dir: string): void {
    if (this.known.has(dir)) return;
    const missing: string[] = [];
    for (let d = dir; !this.known.has(d); d = path.dirname(d)) {
      const st = fsSync.statSync(d, { throwIfNoEntry: false });
      if (st !== undefined) {
        if (!st.isDirectory()) {
          throw new SneakpackError('INSTALL_CONFLICT', `cannot create directory ${dir}: ${d} exists and is not a directory`, {
            details: { path: d },
          });
        }
        this.known.add(d);
        break;
      }
      if (d === path.dirname(d)) break;
      missing.push(d);
    }
    for (const d of missing.reverse()) {
      try {
        fsSync.mkdirSync(d, 0o755);
        this.dirs.push(d);
      } catch (e) {
        // Another install into the same venv made it meanwhile: not ours to remove.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      this.known.add(d);
    }
  }

  /** Write `data` to a new file at `dest` (never overwriting) with exactly `mode` (not subject to the umask). */
  write(dest: string, data: Buffer, mode: number): void {
    this.ensureDir(path.dirname(dest));
    const fd = fsSync.openSync(dest, 'wx', mode);
    this.files.push(dest);
    try {
      writeAll(fd, data);
      fsSync.fchmodSync(fd, mode);
    } finally {
      fsSync.closeSync(fd);
    }
  }

  /** Hard-link `existing` as the new file `dest` (never overwriting). */
  link(existing: string, dest: string): void {
    this.ensureDir(path.dirname(dest));
    fsSync.linkSync(existing, dest);
    this.files.push(dest);
  }

  /** Create `dest` exclusively (never overwrite) and hand back a writer, for members that stream. */
  async create(dest: string, mode: number): Promise<fs.FileHandle> {
    this.ensureDir(path.dirname(dest));
    const fh = await fs.open(dest, 'wx', mode);
    this.files.push(dest);
    return fh;
  }

  removeAll(): void {
    for (const f of this.files.reverse()) {
      try {
        fsSync.rmSync(f, { force: true });
      } catch {
        // best effort: the error being reported is the one that made us clean up
      }
    }
    for (const d of this.dirs.reverse()) {
      try {
        fsSync.rmdirSync(d);
      } catch {
        // not empty (another install's files) or already gone
      }
    }
  }
}

/**
 * Stream one member through `sink`, counting and hashing the inflated bytes: more bytes than
 * `expectedSize` stops the stream (the archive lied), and the total and digest must match RECORD.
 */
async function pumpMember(
  zip: ZipFile,
  member: Member,
  wheel: string,
  record: RecordEntry,
  sink: (chunk: Buffer) => Promise<void>,
): Promise<void> {
  const expectedSize = record.size!;
  const hash = newHash(record.hash!.algorithm);
  let size = 0;
  let stream;
  try {
    stream = await zip.openReadStreamPromise(member.entry);
  } catch (e) {
    throw invalidWheel(wheel, `member ${member.name} cannot be read (${(e as Error).message})`, { member: member.name }, e);
  }
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      size += buf.length;
      if (size > expectedSize) {
        throw tooLarge(wheel, `member ${member.name} inflates to more than the ${expectedSize} bytes RECORD says`, {
          member: member.name,
          size: expectedSize,
        });
      }
      hash.update(buf);
      await sink(buf);
    }
  } catch (e) {
    if (isSneakpackError(e) || (e as NodeJS.ErrnoException).syscall !== undefined) throw e;
    throw invalidWheel(wheel, `member ${member.name} cannot be inflated (${(e as Error).message})`, { member: member.name }, e);
  } finally {
    stream.destroy();
  }
  checkMember(wheel, member, record, size, hash.digest('base64url'));
}

function ioError(e: unknown, wheel: string, dest?: string): SneakpackError {
  if (isSneakpackError(e)) return e;
  const err = e as NodeJS.ErrnoException;
  // A failed write(2) on an open file carries no path: name the file being written instead.
  const where = err.path ?? dest;
  if (err.code === 'EEXIST' || err.code === 'ENOTDIR' || err.code === 'EISDIR') {
    return new SneakpackError('INSTALL_CONFLICT', `installing ${wheel}: ${err.path ?? ''} already exists (${err.code})`, {
      cause: e,
      details: { wheel, path: err.path },
    });
  }
  const hint = err.code === 'ENOSPC' ? ' (the disk is full)' : '';
  return new SneakpackError('IO_ERROR', `installing ${wheel}: ${err.path === undefined && where !== undefined ? `${where}: ` : ''}${err.message}${hint}`, { cause: e, details: { wheel, path: where } });
}

/**
 * Install one wheel into a venv (binary distribution format spec, "Installing a wheel"). The
 * files, their modes and the RECORD rows are those pip 24.2 writes with `--no-compile`, except
 * that `INSTALLER` names `options.installer`, `.data/scripts` files are always mode 0755, and a
 * path already present is refused rather than overwritten.
 *
 * With `options.reuse` (the caller's promise: the same wheel file, installed by sneakpack into a
 * venv of the same interpreter), each file the wheel installs unchanged is hard-linked from that
 * venv when its installed RECORD lists it with RECORD's size and the file there is a regular file
 * of that size and mode; its RECORD row is the earlier one. Scripts, launchers, `INSTALLER`,
 * `REQUESTED` and `RECORD` are always written, and any file that does not qualify is extracted.
 *
 * @throws SneakpackError
 *   `FILE_NOT_FOUND` (no such wheel); `INVALID_WHEEL_FILENAME`;
 *   `INVALID_WHEEL_FILE` (not a zip, no/several `.dist-info`, bad `WHEEL`, METADATA or expected
 *   name/version not matching the file name, bad `.data` layout, duplicate or encrypted member);
 *   `INVALID_METADATA`; `INVALID_ENTRY_POINTS`;
 *   `INVALID_RECORD` (a member not in RECORD or listed but missing, wrong size or hash);
 *   `UNSAFE_PATH` (a member or RECORD path leaving its directory);
 *   `ARCHIVE_TOO_LARGE` (a zip bomb); `INSTALL_CONFLICT` (a target path exists); `IO_ERROR`.
 */
export async function installWheel(wheelPath: string, venv: VenvInfo, options: InstallWheelOptions = {}): Promise<InstalledWheel> {
  const wheel = options.filename ?? path.basename(wheelPath);
  const filename = parseWheelFilename(wheel);
  const limits: InstallLimits = { ...DEFAULT_INSTALL_LIMITS, ...(options.limits ?? {}) };
  const installer = options.installer ?? 'sneakpack';
  const streamAbove = options.streamAbove ?? DEFAULT_STREAM_ABOVE;
  if (installer === '' || /[\r\n]/.test(installer)) {
    throw new SneakpackError('USAGE', `installer name ${JSON.stringify(installer)} must be one non-empty line`, {
      details: { installer },
    });
  }

  let fd: number;
  try {
    fd = fsSync.openSync(wheelPath, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SneakpackError('FILE_NOT_FOUND', `wheel ${wheelPath} does not exist`, { details: { path: wheelPath } });
    }
    throw invalidWheel(wheel, `cannot be read (${(e as Error).message})`, { path: wheelPath }, e);
  }
  let zip: ZipFile | undefined;
  const created = new Created();
  try {
    const reader = new WheelReader(fd, fsSync.fstatSync(fd).size);
    try {
      zip = await yauzl.fromRandomAccessReaderPromise(reader, reader.size, {
        lazyEntries: true,
        autoClose: false,
        decodeStrings: false,
        validateEntrySizes: false,
      });
    } catch (e) {
      throw invalidWheel(wheel, `is not a readable zip archive (${(e as Error).message})`, { path: wheelPath }, e);
    }
    // 1. The central directory.
    const members = await readMembers(zip, wheel, limits);
    const byName = new Map(members.map((m) => [m.name, m]));

    // 2. Metadata, read once into memory and later written from there.
    const distInfoDir = findDistInfoDir(
      members.map((m) => m.name),
      filename.normalizedName,
      wheel,
    );
    const inMemory = new Map<string, Buffer>();
    const readMeta = (file: string, required: boolean): Buffer | null => {
      const name = `${distInfoDir}/${file}`;
      const m = byName.get(name);
      if (!m) {
        if (required) throw invalidWheel(wheel, `has no ${name}`, { member: name });
        return null;
      }
      const data = readSmallMember(reader, m, wheel, limits.maxMetadataSize);
      inMemory.set(name, data);
      return data;
    };
    const wheelBytes = readMeta('WHEEL', true)!;
    const metadataBytes = readMeta('METADATA', true)!;
    const recordBytes = readMeta('RECORD', true)!;
    const entryPointsBytes = readMeta('entry_points.txt', false);

    const warnings: string[] = [];
    const wheelInfo = parseWheelInfo(utf8(wheelBytes, wheel, `${distInfoDir}/WHEEL`), `${wheel}: ${distInfoDir}/WHEEL`);
    if (wheelInfo.wheelVersionIsNewer) {
      warnings.push(`${wheel} has Wheel-Version ${wheelInfo.wheelVersion.join('.')}, newer than 1.0; installing it as 1.0`);
    }
    const metadataWhere = `${wheel}: ${distInfoDir}/METADATA`;
    const metadata = parseCoreMetadata(metadataBytes, metadataWhere);
    checkMetadataMatchesFilename(metadata, filename, metadataWhere);
    if (options.expected) {
      const { name, version } = options.expected;
      if (canonicalizeName(name) !== filename.normalizedName || !parseVersion(version).equals(filename.version)) {
        throw invalidWheel(wheel, `is ${metadata.name} ${metadata.version.toString()}, but ${name} ${version} was expected`, {
          expected: { name, version },
        });
      }
    }

    // RECORD against the members: sizes as declared now, contents while extracting.
    const recordWhere = `${wheel}: ${distInfoDir}/RECORD`;
    const record = parseRecord(utf8(recordBytes, wheel, `${distInfoDir}/RECORD`), recordWhere);
    for (const row of record) checkRelativePath(row.path, `RECORD of ${wheel}`);
    const archiveMembers: ArchiveMember[] = members.map((m) => {
      const data = inMemory.get(m.name);
      return {
        path: m.name,
        isDirectory: m.isDirectory,
        size: m.size,
        ...(data ? { digest: (algorithm: string) => digestOf(algorithm, data) } : {}),
      };
    });
    const issues = recordIssues(record, archiveMembers, { wheel, distInfoDir });
    if (issues.length > 0) {
      throw new SneakpackError(
        'INVALID_RECORD',
        `${wheel} has an invalid RECORD (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
          issues.map((i) => `  ${i}`).join('\n'),
        { details: { wheel, issues } },
      );
    }
    const recordByPath = new Map(record.map((r) => [r.path, r]));

    // 3. Plan: every destination, launchers, generated files; nothing may exist yet.
    let entryPoints: EntryPoint[] = [];
    if (entryPointsBytes) {
      entryPoints = parseEntryPoints(utf8(entryPointsBytes, wheel, `${distInfoDir}/entry_points.txt`), `${wheel}: ${distInfoDir}/entry_points.txt`);
    }
    const launchers: LauncherSpec[] = launcherSpecs(entryPoints, venv.pythonVersion, wheel);
    const scriptNames = new Set(
      entryPoints.filter((e) => e.group === 'console_scripts' || e.group === 'gui_scripts').map((e) => e.name),
    );
    const dirs = schemeForWheel(venv.scheme, filename.name);
    const libDir = dirs[wheelInfo.rootIsPurelib ? 'purelib' : 'platlib'];
    const recordPath = `${distInfoDir}/RECORD`;
    const installerPath = `${distInfoDir}/INSTALLER`;
    const requestedPath = `${distInfoDir}/REQUESTED`;
    const planMembers: PlanMember[] = members.map((m) => ({ name: m.name, isDirectory: m.isDirectory, executable: m.executable }));
    const plan = planFiles(planMembers, {
      wheel,
      distInfoDir,
      rootIsPurelib: wheelInfo.rootIsPurelib,
      dirs,
      scriptNames,
      // RECORD is rewritten; INSTALLER and REQUESTED are the installer's to write, not the wheel's.
      exclude: new Set([recordPath, installerPath, requestedPath]),
    });
    const generated = new Map<string, string>(); // dest → what
    for (const l of launchers) generated.set(safeJoin(dirs.scripts, l.name, `${wheel} script name`), `launcher ${l.name}`);
    for (const p of [installerPath, ...(options.requested ? [requestedPath] : []), recordPath]) {
      generated.set(safeJoin(libDir, p, wheel), p);
    }
    for (const f of plan.files) {
      const what = generated.get(f.dest);
      if (what !== undefined) {
        throw new SneakpackError('INSTALL_CONFLICT', `${wheel}: ${f.member} and the ${what} would both be installed as ${f.dest}`, {
          details: { wheel, path: f.dest },
        });
      }
    }
    // A destination can only exist in a directory that exists: one lstat per directory, then one
    // per file only where its directory is already there (in a fresh venv, few are).
    const present = new Map<string, boolean>();
    const exists = (p: string): boolean => {
      try {
        return fsSync.lstatSync(p, { throwIfNoEntry: false }) !== undefined;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw ioError(e, wheel);
        return false;
      }
    };
    for (const dest of [...plan.files.map((f) => f.dest), ...generated.keys()]) {
      const dir = path.dirname(dest);
      let dirThere = present.get(dir);
      if (dirThere === undefined) present.set(dir, (dirThere = exists(dir)));
      if (dirThere && exists(dest)) {
        throw new SneakpackError('INSTALL_CONFLICT', `installing ${wheel} into ${venv.dir}: ${dest} already exists`, {
          details: { wheel, path: dest },
        });
      }
    }
    const reuse = options.reuse ? previousInstall(options.reuse.venvDir, venv.dir, safeJoin(libDir, recordPath, wheel)) : null;

    // 4. Extract, in archive order (one sequential read of the file).
    const rows: RecordEntry[] = [];
    let linked = 0;
    let writing: string | undefined;
    const record256 = (p: string, data: Buffer): RecordEntry => ({
      path: p,
      hash: { algorithm: 'sha256', value: digestOf('sha256', data) },
      size: data.length,
    });
    try {
      for (const f of plan.files) {
        writing = f.dest;
        const member = byName.get(f.member)!;
        const row = recordByPath.get(f.member)!;
        if (reuse !== null && !f.isScript) {
          const shared = linkFromPrevious(reuse, f, row, venv.dir, created);
          if (shared !== null) {
            rows.push(shared);
            linked += 1;
            continue;
          }
        }
        const data = inMemory.get(f.member);
        if (data) {
          // Only `.dist-info` files are held in memory: never a script, written as read, and
          // already checked against RECORD (recordIssues) — its digest need not be taken again.
          created.write(f.dest, data, f.mode);
          rows.push(unchangedRow(f, row, data));
          continue;
        }
        if (member.entry.compressedSize <= streamAbove && row.size! <= streamAbove) {
          rows.push(extractInMemory(reader, member, row, f, created, wheel, venv.python));
        } else {
          rows.push(await extractStreaming(zip, member, row, f, created, wheel, venv.python));
        }
      }
      const scripts: string[] = [];
      for (const l of launchers) {
        const dest = safeJoin(dirs.scripts, l.name, `${wheel} script name`);
        writing = dest;
        const text = Buffer.from(launcherText(l, venv.python), 'utf8');
        created.write(dest, text, 0o755);
        rows.push(record256(recordPathFor(dest, libDir), text));
        scripts.push(l.name);
      }

      // 5. INSTALLER, REQUESTED, then RECORD from what was written.
      const installerBytes = Buffer.from(`${installer}\n`, 'utf8');
      writing = safeJoin(libDir, distInfoDir, wheel);
      created.write(safeJoin(libDir, installerPath, wheel), installerBytes, 0o644);
      rows.push(record256(installerPath, installerBytes));
      if (options.requested) {
        created.write(safeJoin(libDir, requestedPath, wheel), Buffer.alloc(0), 0o644);
        rows.push(record256(requestedPath, Buffer.alloc(0)));
      }
      const finalRecord = installedRecord(rows, recordPath);
      created.write(safeJoin(libDir, recordPath, wheel), Buffer.from(serializeRecord(finalRecord), 'utf8'), 0o644);

      return Object.freeze({
        filename: wheel,
        name: metadata.name,
        version: metadata.version.toString(),
        distInfoDir: safeJoin(libDir, distInfoDir, wheel),
        record: Object.freeze(finalRecord),
        linked,
        scripts: Object.freeze(scripts),
        skipped: plan.skipped,
        warnings: Object.freeze(warnings),
      });
    } catch (e) {
      throw ioError(e, wheel, writing);
    }
  } catch (e) {
    created.removeAll();
    throw e;
  } finally {
    zip?.close();
    fsSync.closeSync(fd);
  }
}

/** The installed RECORD row of a file whose bytes are the member's, unchanged. */
function unchangedRow(f: PlannedFile, row: RecordEntry, data: Buffer): RecordEntry {
  // RECORD's own sha256 was just checked against these bytes: no need to hash them again.
  if (row.hash!.algorithm === 'sha256') return { path: f.recordPath, hash: row.hash!, size: data.length };
  return { path: f.recordPath, hash: { algorithm: 'sha256', value: digestOf('sha256', data) }, size: data.length };
}

/** Inflate one member in memory, check it against RECORD, write it; returns its installed RECORD row. */
function extractInMemory(reader: WheelReader, member: Member, row: RecordEntry, f: PlannedFile, created: Created, wheel: string, interpreter: string): RecordEntry {
  const data = inflateMember(reader, member, wheel, row.size!);
  checkMember(wheel, member, row, data.length, digestOf(row.hash!.algorithm, data));
  if (!f.isScript) {
    created.write(f.dest, data, f.mode);
    return unchangedRow(f, row, data);
  }
  const rewriter = new ShebangRewriter(interpreter);
  const out = Buffer.concat([...rewriter.push(data), ...rewriter.end()]);
  created.write(f.dest, out, f.mode);
  return { path: f.recordPath, hash: { algorithm: 'sha256', value: digestOf('sha256', out) }, size: out.length };
}

/** Stream one (large) member to its destination; returns its installed RECORD row. */
async function extractStreaming(
  zip: ZipFile,
  member: Member,
  row: RecordEntry,
  f: PlannedFile,
  created: Created,
  wheel: string,
  interpreter: string,
): Promise<RecordEntry> {
  const fh = await created.create(f.dest, f.mode);
  const out = createHash('sha256');
  let outSize = 0;
  const emit = async (buf: Buffer): Promise<void> => {
    if (buf.length === 0) return;
    out.update(buf);
    outSize += buf.length;
    for (let off = 0; off < buf.length; ) off += (await fh.write(buf, off)).bytesWritten;
  };
  const rewriter = f.isScript ? new ShebangRewriter(interpreter) : null;
  try {
    await pumpMember(zip, member, wheel, row, async (chunk) => {
      if (rewriter === null) return emit(chunk);
      for (const b of rewriter.push(chunk)) await emit(b);
    });
    for (const b of rewriter?.end() ?? []) await emit(b);
    await fh.chmod(f.mode);
  } finally {
    await fh.close();
  }
  return { path: f.recordPath, hash: { algorithm: 'sha256', value: out.digest('base64url') }, size: outSize };
}

/** An earlier sneakpack install of the same wheel file: its venv and its installed RECORD rows. */
interface PreviousInstall {
  readonly venvDir: string;
  readonly rows: ReadonlyMap<string, RecordEntry>;
}

/**
 * The installed RECORD of the same wheel in `previousVenv`, found at the path `record` has in the
 * new venv; null (install normally) when there is none or it cannot be read or parsed.
 */
function previousInstall(previousVenv: string, newVenv: string, record: string): PreviousInstall | null {
  const rel = path.relative(newVenv, record);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  try {
    const text = fsSync.readFileSync(path.join(previousVenv, rel), 'utf8');
    const rows = parseRecord(text, path.join(previousVenv, rel));
    return { venvDir: previousVenv, rows: new Map(rows.map((r) => [r.path, r])) };
  } catch {
    return null;
  }
}

/**
 * Share one file with the previous release: hard-link it when the previous venv has it at the same
 * relative path as a regular file of the size and mode this install would write, recorded in that
 * install's RECORD with that size. Returns the installed RECORD row, or null to write it instead.
 * Only files the installer writes unchanged qualify (never scripts, whose shebang names the venv).
 */
function linkFromPrevious(prev: PreviousInstall, f: PlannedFile, row: RecordEntry, newVenv: string, created: Created): RecordEntry | null {
  const before = prev.rows.get(f.recordPath);
  if (before?.hash === undefined || before.size !== row.size) return null;
  const rel = path.relative(newVenv, f.dest);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
  const existing = path.join(prev.venvDir, rel);
  const st = fsSync.lstatSync(existing, { throwIfNoEntry: false });
  if (st === undefined || !st.isFile() || st.size !== row.size || (st.mode & 0o7777) !== f.mode) return null;
  try {
    created.link(existing, f.dest);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Another file system, a file system without hard links, or the link limit: write it instead.
    if (code === 'EXDEV' || code === 'EPERM' || code === 'EMLINK' || code === 'ENOTSUP' || code === 'ENOENT') return null;
    throw e;
  }
  return { path: f.recordPath, hash: before.hash, size: row.size! };
}
