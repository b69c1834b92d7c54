/**
 * Reading a wheel's `.dist-info/METADATA` and `WHEEL` straight from the zip (binary distribution
 * format spec, "The .dist-info directory"): the central directory is read in one piece
 * ({@link readZipEntries}) and only those two members are inflated.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { SneakpackError, isSneakpackError } from '../errors.js';
import { tryParseVersion } from '../pep440/index.js';
import { canonicalizeName } from '../pep508/index.js';
import {
  type CoreMetadata,
  type WheelFilename,
  type WheelInfo,
  parseCoreMetadata,
  parseWheelFilename,
  parseWheelInfo,
} from '../wheel/index.js';
import { type ZipEnd, type ZipEntry, ZipFileReader, isEncrypted, readZipEnd, readZipEntries, readZipMember } from './zip-directory.js';

/** Default cap on an inflated `METADATA` / `WHEEL` member: 16 MiB (real ones are a few KiB). */
export const MAX_METADATA_SIZE = 16 * 1024 * 1024;

/** Options for {@link readWheelMetadata}. */
export interface ReadWheelMetadataOptions {
  /**
   * The wheel's file name, when `path` does not end in it (a content-addressed cache entry).
   * Defaults to the last component of `path`.
   */
  readonly filename?: string;
  /** Largest inflated size accepted for `METADATA` and `WHEEL`; defaults to {@link MAX_METADATA_SIZE}. */
  readonly maxMemberSize?: number;
}

/** What {@link readWheelMetadata} found. */
export interface WheelMetadata {
  /** The parsed file name. */
  readonly filename: WheelFilename;
  /** The `.dist-info` directory as named in the archive, e.g. `Foo_Bar-1.0.dist-info`. */
  readonly distInfoDir: string;
  /** `METADATA`, validated, agreeing with the file name. */
  readonly metadata: CoreMetadata;
  /** The exact bytes of `METADATA`. */
  readonly metadataBytes: Uint8Array;
  /** `WHEEL`, validated. */
  readonly wheelInfo: WheelInfo;
}

function invalid(wheel: string, why: string, details: Record<string, unknown> = {}, cause?: unknown): SneakpackError {
  return new SneakpackError('INVALID_WHEEL_FILE', `wheel ${wheel} ${why}`, { cause, details: { wheel, ...details } });
}

/**
 * The one `.dist-info` directory of a wheel (binary distribution format spec: `{distribution}-
 * {version}.dist-info`, names escaped). Like pip's `wheel_dist_info_dir` the archive must have
 * exactly one top-level `.dist-info` directory. It must split at some `-` into a name part that
 * PEP 503-normalises to the project (so `Foo.Bar-1.0.dist-info` serves `foo_bar-1.0-….whl`; old
 * tools left `-` unescaped) and a valid PEP 440 version — stricter than pip's bare prefix test,
 * which lets `foo_bar-1.0.dist-info` serve project `foo`. The version is not compared with the
 * file name's here; `METADATA`'s `Version` is.
 *
 * @param names Every member path of the archive.
 * @param project The normalised project from the wheel's file name.
 * @throws SneakpackError `INVALID_WHEEL_FILE` when there is none, more than one, or it names
 *   another project.
 */
export function findDistInfoDir(names: Iterable<string>, project: string, wheel: string): string {
  const dirs = new Set<string>();
  for (const name of names) {
    const top = name.split('/', 1)[0]!;
    if (top.endsWith('.dist-info') && name.length > top.length) dirs.add(top);
  }
  const found = [...dirs].sort();
  if (found.length === 0) {
    throw invalid(wheel, `has no .dist-info directory (expected ${project.replace(/-/g, '_')}-VERSION.dist-info/)`, {
      project,
    });
  }
  const matches = (dir: string): boolean => {
    const stem = dir.slice(0, -'.dist-info'.length);
    for (let i = stem.indexOf('-'); i > 0; i = stem.indexOf('-', i + 1)) {
      if (canonicalizeName(stem.slice(0, i)) === project && tryParseVersion(stem.slice(i + 1)) !== null) return true;
    }
    return false;
  };
  const matching = found.filter(matches);
  if (found.length > 1) {
    throw invalid(
      wheel,
      `has ${found.length} .dist-info directories (${found.join(', ')}); a wheel holds exactly one` +
        (matching.length === 1 ? `, and only ${matching[0]} belongs to ${project}` : ''),
      { project, distInfoDirs: found },
    );
  }
  if (matching.length === 0) {
    throw invalid(wheel, `has .dist-info directory ${found[0]}, which is not for project ${project}`, {
      project,
      distInfoDirs: found,
    });
  }
  return matching[0]!;
}

/**
 * Check that `METADATA` describes the wheel its file name says: the same project (PEP 503
 * normalised) and an equal version (PEP 440). A wheel claiming otherwise is refused, as pip
 * refuses it (`MetadataInconsistent`): the resolver chose it by its name.
 *
 * @throws SneakpackError `INVALID_WHEEL_FILE` naming both.
 */
export function checkMetadataMatchesFilename(metadata: CoreMetadata, filename: WheelFilename, where: string): void {
  const problems: string[] = [];
  if (metadata.normalizedName !== filename.normalizedName) {
    problems.push(`Name '${metadata.name}' (file name says '${filename.name}')`);
  }
  if (!metadata.version.equals(filename.version)) {
    problems.push(`Version '${metadata.version.toString()}' (file name says '${filename.version.toString()}')`);
  }
  if (problems.length > 0) {
    throw new SneakpackError(
      'INVALID_WHEEL_FILE',
      `${where} has ${problems.join(' and ')}: the metadata does not describe the wheel ${filename.filename}`,
      {
        details: {
          wheel: filename.filename,
          where,
          metadataName: metadata.name,
          metadataVersion: metadata.version.toString(),
          filenameName: filename.name,
          filenameVersion: filename.version.toString(),
        },
      },
    );
  }
}

function basename(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1]!;
}

async function readMember(reader: ZipFileReader, entry: ZipEntry, wheel: string, max: number): Promise<Buffer> {
  const name = entry.fileName;
  const tooBig = (size: number | string): SneakpackError =>
    invalid(wheel, `member ${name} inflates to ${size} bytes, more than the ${max}-byte limit (refusing a possible zip bomb)`, {
      member: name,
      limit: max,
    });
  // Refuse on the declared size before inflating anything; the read then checks the inflated
  // size against the declared one: the central directory may lie.
  if (entry.uncompressedSize > max) throw tooBig(entry.uncompressedSize);
  if (isEncrypted(entry)) throw invalid(wheel, `member ${name} is encrypted`, { member: name });
  return readZipMember(reader, entry, max, () => tooBig(`more than ${max}`));
}

/**
 * Read and validate a wheel's `METADATA` and `WHEEL`, without extracting the wheel: finds the
 * `.dist-info` directory ({@link findDistInfoDir}), inflates only those two members (each capped at
 * `maxMemberSize`), parses them, and checks `METADATA`'s Name and Version against the file name
 * ({@link checkMetadataMatchesFilename}). A member path listed twice in the archive is refused
 * (which copy would an installer use?).
 *
 * @throws SneakpackError `FILE_NOT_FOUND`; `INVALID_WHEEL_FILENAME`; `INVALID_WHEEL_FILE` (not a
 *   zip, no or several `.dist-info`, missing member, too large, name/version mismatch, bad `WHEEL`);
 *   `INVALID_METADATA`.
 */
export async function readWheelMetadata(path: string, options: ReadWheelMetadataOptions = {}): Promise<WheelMetadata> {
  const name = options.filename ?? basename(path);
  const filename = parseWheelFilename(name);
  const max = options.maxMemberSize ?? MAX_METADATA_SIZE;
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SneakpackError('FILE_NOT_FOUND', `wheel ${path} does not exist`, { details: { path } });
    }
    throw invalid(name, `is not a readable zip archive (${(e as Error).message})`, { path }, e);
  }
  try {
    let reader: ZipFileReader;
    let end: ZipEnd;
    try {
      reader = new ZipFileReader(handle, (await handle.stat()).size);
      end = await readZipEnd(reader);
    } catch (e) {
      throw invalid(name, `is not a readable zip archive (${(e as Error).message})`, { path }, e);
    }
    let entries: ZipEntry[];
    try {
      // Member names are taken as written: a `\` stays a `\` and is refused with the other
      // unsafe names (absolute, `..`), never silently made a directory separator.
      entries = await readZipEntries(reader, end);
    } catch (e) {
      throw invalid(name, `has a corrupt or unsafe zip directory (${(e as Error).message})`, { path }, e);
    }
    const distInfoDir = findDistInfoDir(
      entries.map((e) => e.fileName),
      filename.normalizedName,
      name,
    );
    const member = async (file: string): Promise<Buffer> => {
      const want = `${distInfoDir}/${file}`;
      const found = entries.filter((e) => e.fileName === want);
      if (found.length === 0) throw invalid(name, `has no ${want}`, { member: want });
      if (found.length > 1) throw invalid(name, `lists ${want} ${found.length} times in its zip directory`, { member: want });
      try {
        return await readMember(reader, found[0]!, name, max);
      } catch (e) {
        if (isSneakpackError(e)) throw e;
        throw invalid(name, `member ${want} cannot be read (${(e as Error).message})`, { member: want }, e);
      }
    };
    const metadataBytes = await member('METADATA');
    const wheelBytes = await member('WHEEL');
    const metadata = parseCoreMetadata(metadataBytes, `${name}: ${distInfoDir}/METADATA`);
    let wheelText: string;
    try {
      wheelText = new TextDecoder('utf-8', { fatal: true }).decode(wheelBytes);
    } catch (e) {
      throw invalid(name, `has a ${distInfoDir}/WHEEL that is not UTF-8`, {}, e);
    }
    const wheelInfo = parseWheelInfo(wheelText, `${name}: ${distInfoDir}/WHEEL`);
    checkMetadataMatchesFilename(metadata, filename, `${name}: ${distInfoDir}/METADATA`);
    return Object.freeze({ filename, distInfoDir, metadata, metadataBytes: new Uint8Array(metadataBytes), wheelInfo });
  } finally {
    await handle.close();
  }
}
