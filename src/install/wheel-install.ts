/**
 * sneakpack's own wheel installer — binary distribution format spec, "Installing a wheel"
 * (PEP 427), writing what pip 24.2 writes (`pip/_internal/operations/install/wheel.py`), with
 * pypa/installer's stricter checks:
 *
 * 1. read the zip's central directory (yauzl) and refuse unsafe member names, duplicates,
 *    encryption, and declared sizes above the limits (zip bombs);
 * 2. read `WHEEL`, `METADATA`, `RECORD`, `entry_points.txt`; check `Wheel-Version`, that the
 *    metadata describes the wheel (and what the caller expected), and RECORD against the members;
 * 3. plan every destination ({@link planFiles}) and refuse any existing file;
 * 4. stream each member once into place, hashing it against RECORD as it is written and stopping
 *    at RECORD's size; rewrite `#!python` in `.data/scripts`; write entry-point launchers;
 * 5. write `INSTALLER`, optionally `REQUESTED`, and `RECORD` last, from what was written.
 *
 * On any failure every file and directory this call created is removed.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
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
  if (size !== expectedSize) {
    throw new SneakpackError('INVALID_RECORD', `In ${wheel}, size of ${member.name} is ${size} but RECORD says ${expectedSize}`, {
      details: { wheel, file: member.name },
    });
  }
  const digest = hash.digest('base64url');
  if (digest !== record.hash!.value) {
    throw new SneakpackError(
      'INVALID_RECORD',
      `In ${wheel}, ${record.hash!.algorithm} of ${member.name} is ${digest} but RECORD says ${record.hash!.value}`,
      { details: { wheel, file: member.name } },
    );
  }
}

async function readSmallMember(zip: ZipFile, member: Member, wheel: string, max: number): Promise<Buffer> {
  if (member.size > max) {
    throw tooLarge(wheel, `member ${member.name} declares ${member.size} bytes, above the ${max}-byte limit for metadata`, {
      member: member.name,
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let stream;
  try {
    stream = await zip.openReadStreamPromise(member.entry);
    for await (const chunk of stream) {
      size += (chunk as Buffer).length;
      if (size > member.size) throw tooLarge(wheel, `member ${member.name} inflates to more than its declared ${member.size} bytes`);
      chunks.push(chunk as Buffer);
    }
  } catch (e) {
    if (isSneakpackError(e)) throw e;
    throw invalidWheel(wheel, `member ${member.name} cannot be read (${(e as Error).message})`, { member: member.name }, e);
  } finally {
    stream?.destroy();
  }
  const data = Buffer.concat(chunks);
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

/** Files and directories created by one install, removed again if it fails. */
class Created {
  readonly files: string[] = [];
  readonly dirs: string[] = [];
  private readonly known = new Set<string>();

  /** mkdir -p, remembering each level this call made. */
  async ensureDir(dir: string): Promise<void> {
    if (this.known.has(dir)) return;
    const missing: string[] = [];
    for (let d = dir; ; d = path.dirname(d)) {
      try {
        const st = await fs.stat(d);
        if (!st.isDirectory()) {
          throw new SneakpackError('INSTALL_CONFLICT', `cannot create directory ${dir}: ${d} exists and is not a directory`, {
            details: { path: d },
          });
        }
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || d === path.dirname(d)) throw e;
        missing.push(d);
      }
    }
    for (const d of missing.reverse()) {
      try {
        await fs.mkdir(d, { mode: 0o755 });
        this.dirs.push(d);
      } catch (e) {
        // Another install into the same venv made it meanwhile: not ours to remove.
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
    this.known.add(dir);
  }

  /** Create `dest` exclusively (never overwrite) and hand back a writer. */
  async create(dest: string, mode: number): Promise<fs.FileHandle> {
    await this.ensureDir(path.dirname(dest));
    const fh = await fs.open(dest, 'wx', mode);
    this.files.push(dest);
    return fh;
  }

  async removeAll(): Promise<void> {
    for (const f of this.files.reverse()) await fs.rm(f, { force: true }).catch(() => undefined);
    for (const d of this.dirs.reverse()) await fs.rmdir(d).catch(() => undefined);
  }
}

/** Write `data` to a new file at `dest` with exactly `mode` (not subject to the umask). */
async function writeNew(created: Created, dest: string, data: Buffer, mode: number): Promise<void> {
  const fh = await created.create(dest, mode);
  try {
    await fh.writeFile(data);
    await fh.chmod(mode);
  } finally {
    await fh.close();
  }
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
  if (installer === '' || /[\r\n]/.test(installer)) {
    throw new SneakpackError('USAGE', `installer name ${JSON.stringify(installer)} must be one non-empty line`, {
      details: { installer },
    });
  }

  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(wheelPath, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: false,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SneakpackError('FILE_NOT_FOUND', `wheel ${wheelPath} does not exist`, { details: { path: wheelPath } });
    }
    throw invalidWheel(wheel, `is not a readable zip archive (${(e as Error).message})`, { path: wheelPath }, e);
  }
  const created = new Created();
  try {
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
    const readMeta = async (file: string, required: boolean): Promise<Buffer | null> => {
      const name = `${distInfoDir}/${file}`;
      const m = byName.get(name);
      if (!m) {
        if (required) throw invalidWheel(wheel, `has no ${name}`, { member: name });
        return null;
      }
      const data = await readSmallMember(zip, m, wheel, limits.maxMetadataSize);
      inMemory.set(name, data);
      return data;
    };
    const wheelBytes = (await readMeta('WHEEL', true))!;
    const metadataBytes = (await readMeta('METADATA', true))!;
    const recordBytes = (await readMeta('RECORD', true))!;
    const entryPointsBytes = await readMeta('entry_points.txt', false);

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

    // RECORD against the members: sizes as declared now, contents while streaming.
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
    for (const dest of [...plan.files.map((f) => f.dest), ...generated.keys()]) {
      const exists = await fs.lstat(dest).then(
        () => true,
        (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' || e.code === 'ENOTDIR' ? false : Promise.reject(ioError(e, wheel))),
      );
      if (exists) {
        throw new SneakpackError('INSTALL_CONFLICT', `installing ${wheel} into ${venv.dir}: ${dest} already exists`, {
          details: { wheel, path: dest },
        });
      }
    }

    // 4. Extract, in archive order (one sequential read of the file).
    const rows: RecordEntry[] = [];
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
        const data = inMemory.get(f.member);
        if (data) {
          // Only `.dist-info` files are held in memory: never a script, written as read.
          await writeNew(created, f.dest, data, f.mode);
          rows.push(record256(f.recordPath, data));
          continue;
        }
        rows.push(await extract(zip, member, row, f, created, wheel, venv.python));
      }
      const scripts: string[] = [];
      for (const l of launchers) {
        const dest = safeJoin(dirs.scripts, l.name, `${wheel} script name`);
        writing = dest;
        const text = Buffer.from(launcherText(l, venv.python), 'utf8');
        await writeNew(created, dest, text, 0o755);
        rows.push(record256(recordPathFor(dest, libDir), text));
        scripts.push(l.name);
      }

      // 5. INSTALLER, REQUESTED, then RECORD from what was written.
      const installerBytes = Buffer.from(`${installer}\n`, 'utf8');
      writing = safeJoin(libDir, distInfoDir, wheel);
      await writeNew(created, safeJoin(libDir, installerPath, wheel), installerBytes, 0o644);
      rows.push(record256(installerPath, installerBytes));
      if (options.requested) {
        await writeNew(created, safeJoin(libDir, requestedPath, wheel), Buffer.alloc(0), 0o644);
        rows.push(record256(requestedPath, Buffer.alloc(0)));
      }
      const finalRecord = installedRecord(rows, recordPath);
      await writeNew(created, safeJoin(libDir, recordPath, wheel), Buffer.from(serializeRecord(finalRecord), 'utf8'), 0o644);

      return Object.freeze({
        filename: wheel,
        name: metadata.name,
        version: metadata.version.toString(),
        distInfoDir: safeJoin(libDir, distInfoDir, wheel),
        record: Object.freeze(finalRecord),
        scripts: Object.freeze(scripts),
        skipped: plan.skipped,
        warnings: Object.freeze(warnings),
      });
    } catch (e) {
      throw ioError(e, wheel, writing);
    }
  } catch (e) {
    await created.removeAll();
    throw e;
  } finally {
    zip.close();
  }
}

/** Stream one member to its destination; returns its installed RECORD row. */
async function extract(
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
