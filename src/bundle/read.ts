/**
 * Reading a bundle in ONE streaming pass: verify, extract, inspect (docs/FORMAT.md "Reading").
 *
 * The signature comes first, so the reader knows the complete signed list of files before it
 * reads any other byte, and can judge every entry the moment its header arrives: unlisted,
 * duplicated, out of place, the wrong size, a link, a device, an unsafe path — each is refused
 * before its data is read or written. The manifest comes second and is authenticated by the list;
 * it fixes the exact order, size and mode of every remaining entry, so the rest of the archive has
 * exactly one acceptable form and every header is compared byte for byte with it.
 * @module
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readdir, rm, rmdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { SneakpackError } from '../errors.js';
import { checkRelativePath, safeJoin } from '../paths.js';
import {
  type ChecksumEntry,
  type TrustedKeys,
  decodeEmbeddedSignature,
  formatChecksumList,
  parseChecksumList,
  verifySignature,
} from '../sign/signify.js';
import {
  type BundleManifest,
  MANIFEST_NAME,
  MODES,
  SIG_NAME,
  WHEELS_DIR,
  bundlePathProblem,
  bundleStem,
  canonicalJson,
  collisionKey,
  compareEntryOrder,
  fileFolderClash,
  sectionOf,
  validateManifest,
} from './manifest.js';
import { type ByteSource, openBundleFile } from './source.js';
import {
  BLOCK_SIZE,
  RECORD_SIZE,
  TYPE,
  blockPadding,
  encodeEntryHeaders,
  firstDifferentField,
  isZeroBlock,
  parseHeaderBlock,
  parsePaxRecords,
  paxRecord,
  ustarPathFields,
} from './tar.js';

/** Largest `SHA256.sig` accepted (a list of ~300 000 files): read into memory to check it. */
export const MAX_SIG_BYTES = 32 * 1024 * 1024;
/** Largest `manifest.json` accepted: read into memory to parse it. */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
/** Largest pax extended header accepted (one `path` record of at most 4096 bytes). */
export const MAX_PAX_BYTES = 8 * 1024;
/** Default cap on the tar bytes read from one bundle (before decompression is irrelevant). */
export const DEFAULT_MAX_BYTES = 64 * 1024 ** 3;

/** Progress of a read: tar bytes consumed, and the total once the manifest is known. */
export interface ReadProgress {
  readonly bytesDone: number;
  readonly bytesTotal: number | null;
  /** The entry being read, below the top folder. */
  readonly path: string;
}

/** Options of {@link verifyBundle} and {@link extractBundle}. */
export interface VerifyOptions {
  /** Trusted public keys by key number (`loadTrustedKeys`). */
  readonly trusted: TrustedKeys;
  /** Stop with BUNDLE_TOO_LARGE after this many tar bytes (default 64 GiB). */
  readonly maxBytes?: number;
  readonly onProgress?: (progress: ReadProgress) => void;
}

/** What a successful verification proves. */
export interface VerifiedBundle {
  readonly manifest: BundleManifest;
  /** Key number of the key that signed it. */
  readonly keynum: string;
  /** The trusted `.pub` file holding that key, when it came from a file. */
  readonly signerFile: string | null;
  /** The signature's untrusted comment. */
  readonly signatureComment: string;
  /** `schoolapp 1.2.0 for cp311-manylinux_2_36_armv7l, signed by key KEYNUM (FILE)`. */
  readonly summary: string;
  /** The top folder (`NAME-VERSION-TARGET`). */
  readonly stem: string;
  readonly compressed: boolean;
  /** Entries checked, `SHA256.sig` and `manifest.json` included. */
  readonly entries: number;
  /** Tar bytes read (uncompressed size). */
  readonly tarBytes: number;
  /**
   * Lowercase hex SHA-256 of the whole bundle file (for a `.tar.gz`, of the compressed file), as
   * `sha256sum` prints it, computed from the bytes of this same pass: no second read is needed to
   * record or compare the bundle's digest.
   */
  readonly sha256: string;
}

/** What {@link inspectBundle} shows without any key. */
export interface InspectedBundle {
  readonly manifest: BundleManifest;
  /** Key number the signature names (NOT checked). */
  readonly keynum: string;
  readonly signatureComment: string;
  /** Always false: nothing was authenticated. */
  readonly verified: false;
  readonly stem: string;
  readonly compressed: boolean;
  readonly fileSize: number;
  /** Sum of the sizes of all files the manifest lists. */
  readonly totalSize: number;
  readonly wheelsSize: number;
  readonly appFiles: number;
  readonly appSize: number;
}

/** Receives verified entries as they stream by (the extractor). */
interface Sink {
  file(rel: string, mode: number, mtime: number): Promise<FileSink>;
}
interface FileSink {
  write(chunk: Buffer): Promise<void>;
  close(): Promise<void>;
}

/** One parsed entry header (after any pax header). */
interface EntryHeader {
  readonly path: string;
  readonly top: string;
  readonly rel: string;
  readonly size: number;
  readonly mode: number;
  readonly mtime: number;
  /** All header bytes of the entry (pax header, its data and padding, ustar header). */
  readonly raw: Buffer;
  /** Tar offset of the first header block. */
  readonly offset: number;
}

function fail(code: ConstructorParameters<typeof SneakpackError>[0], file: string, message: string, details: Record<string, unknown> = {}): never {
  throw new SneakpackError(code, `${file}: ${message}`, { details: { file, ...details } });
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

function decodeName(bytes: Buffer, file: string, offset: number): string {
  try {
    return utf8Fatal.decode(bytes);
  } catch {
    return fail('BUNDLE_CORRUPT', file, `the entry name at tar offset ${offset} is not UTF-8; the bundle is damaged`, { offset });
  }
}

/**
 * Reads the next entry's header(s), or null after the two zero blocks that end the archive.
 * Refuses, in this order: bad checksums and non-ustar headers (BUNDLE_CORRUPT), links
 * (BUNDLE_LINK), other special entries (BUNDLE_UNSUPPORTED_ENTRY), pax headers other than one
 * needed `path` record (BUNDLE_PAX_HEADER), unsafe paths (UNSAFE_PATH), paths outside one top
 * folder (BUNDLE_LAYOUT).
 */
async function readEntryHeader(src: ByteSource, file: string): Promise<EntryHeader | null> {
  const offset = src.position;
  const block = await src.read(BLOCK_SIZE, 'a tar header (the archive has no end-of-archive blocks)');
  if (isZeroBlock(block)) {
    const second = await src.read(BLOCK_SIZE, 'the end-of-archive blocks');
    if (!isZeroBlock(second)) fail('BUNDLE_CORRUPT', file, `a single zero block at tar offset ${offset} is followed by data; the bundle is damaged`, { offset });
    return null;
  }
  let raw = block;
  let h = checkBlock(block, file, offset);
  let paxPath: string | null = null;
  if (h.typeflag === TYPE.PAX_EXTENDED) {
    if (h.size === null || h.size > MAX_PAX_BYTES) {
      fail('BUNDLE_PAX_HEADER', file, `the pax header at tar offset ${offset} is ${h.size ?? 'of unreadable'} bytes; a bundle's pax headers hold one path of at most 4096 bytes`, { offset });
    }
    const data = await src.read(h.size + blockPadding(h.size), 'a pax header');
    const records = parsePaxRecords(data.subarray(0, h.size));
    if (records === null) fail('BUNDLE_PAX_HEADER', file, `the pax header at tar offset ${offset} is malformed; the bundle is damaged`, { offset });
    const keys = records.map(([k]) => k);
    if (records.length !== 1 || keys[0] !== 'path') {
      fail('BUNDLE_PAX_HEADER', file, `the pax header at tar offset ${offset} has records ${JSON.stringify(keys)}; a bundle's pax headers carry exactly one "path" record and nothing else (no size, link, owner or time overrides)`, {
        offset,
        keys,
      });
    }
    paxPath = records[0]![1];
    const next = await src.read(BLOCK_SIZE, 'the header that follows a pax header');
    if (isZeroBlock(next)) fail('BUNDLE_PAX_HEADER', file, `the pax header at tar offset ${offset} is followed by the end of the archive`, { offset });
    h = checkBlock(next, file, offset + BLOCK_SIZE + data.length);
    if (h.typeflag === TYPE.PAX_EXTENDED) fail('BUNDLE_PAX_HEADER', file, `two pax headers in a row at tar offset ${offset}`, { offset });
    if (h.name.length > 0 || h.prefix.length > 0) {
      const ustar = h.prefix.length > 0 ? `${decodeName(h.prefix, file, offset)}/${decodeName(h.name, file, offset)}` : decodeName(h.name, file, offset);
      fail('BUNDLE_PAX_HEADER', file, `a pax header at tar offset ${offset} rewrites the entry name ${JSON.stringify(ustar)} to ${JSON.stringify(paxPath)}; tools disagree on which one counts, so a bundle never has both`, {
        offset,
        path: paxPath,
        ustarPath: ustar,
      });
    }
    if (ustarPathFields(paxPath) !== null) {
      fail('BUNDLE_PAX_HEADER', file, `a pax header at tar offset ${offset} gives the path ${JSON.stringify(paxPath)}, which fits the ustar header; a bundle uses pax only for paths that do not`, {
        offset,
        path: paxPath,
      });
    }
    raw = Buffer.concat([block, data, next]);
  }
  const path =
    paxPath ?? (h.prefix.length > 0 ? `${decodeName(h.prefix, file, offset)}/${decodeName(h.name, file, offset)}` : decodeName(h.name, file, offset));
  checkRelativePath(path, `${file}: tar entry at offset ${offset}`);
  const slash = path.indexOf('/');
  if (slash <= 0 || slash === path.length - 1) {
    fail('BUNDLE_LAYOUT', file, `entry ${JSON.stringify(path)} is not inside a top folder; every entry of a bundle is NAME-VERSION-TARGET/…`, { path });
  }
  if (h.size === null || h.mode === null || h.mtime === null) {
    fail('BUNDLE_CORRUPT', file, `the header of ${JSON.stringify(path)} has an unreadable size, mode or mtime; the bundle is damaged`, { path, offset });
  }
  return { path, top: path.slice(0, slash), rel: path.slice(slash + 1), size: h.size, mode: h.mode, mtime: h.mtime, raw, offset };
}

/** Header-level checks that need no path: checksum, magic, entry type. */
function checkBlock(block: Buffer, file: string, offset: number): ReturnType<typeof parseHeaderBlock> {
  const h = parseHeaderBlock(block);
  if (!h.checksumOk) fail('BUNDLE_CORRUPT', file, `the tar header at offset ${offset} fails its checksum; the bundle is damaged or not a tar file`, { offset });
  if (!h.magic.equals(Buffer.from('ustar\0')) || !h.version.equals(Buffer.from('00'))) {
    fail('BUNDLE_CORRUPT', file, `the tar header at offset ${offset} is not a POSIX ustar header (magic ${JSON.stringify(h.magic.toString('latin1'))}); a bundle is POSIX ustar`, { offset });
  }
  const name = h.name.toString('utf8');
  const link = h.linkname.toString('utf8');
  switch (h.typeflag) {
    case TYPE.FILE:
    case TYPE.PAX_EXTENDED:
      return h;
    case TYPE.HARDLINK:
    case TYPE.SYMLINK:
      return fail('BUNDLE_LINK', file, `entry ${JSON.stringify(name)} at tar offset ${offset} is a ${h.typeflag === TYPE.SYMLINK ? 'symbolic' : 'hard'} link to ${JSON.stringify(link)}; a bundle never contains links`, {
        offset,
        path: name,
        linkname: link,
      });
    case TYPE.PAX_GLOBAL:
      return fail('BUNDLE_PAX_HEADER', file, `a pax global header at tar offset ${offset} would change every later entry; a bundle has none`, { offset });
    default: {
      const kind: Record<string, string> = {
        [TYPE.OLD_FILE]: 'an old-style (pre-POSIX) file',
        [TYPE.CHAR_DEVICE]: 'a character device',
        [TYPE.BLOCK_DEVICE]: 'a block device',
        [TYPE.DIRECTORY]: 'a directory',
        [TYPE.FIFO]: 'a FIFO',
        [TYPE.CONTIGUOUS]: 'a contiguous file',
        [TYPE.GNU_LONGNAME]: 'a GNU long-name record',
        [TYPE.GNU_LONGLINK]: 'a GNU long-link record',
      };
      return fail(
        'BUNDLE_UNSUPPORTED_ENTRY',
        file,
        `entry ${JSON.stringify(name)} at tar offset ${offset} is ${kind[h.typeflag] ?? `of type ${JSON.stringify(h.typeflag)}`}; a bundle holds only regular files, with no directory entries`,
        { offset, path: name, typeflag: h.typeflag },
      );
    }
  }
}

/** The header must be exactly the canonical encoding of what it says (and what the manifest fixes). */
function checkCanonical(e: EntryHeader, mode: number, mtime: number, file: string): void {
  if (e.mode !== MODES.file && e.mode !== MODES.executable) {
    fail('BUNDLE_CORRUPT', file, `entry ${JSON.stringify(e.path)} has mode ${e.mode.toString(8)}; a bundle has only 644 and 755`, { path: e.path });
  }
  if (e.mode !== mode) {
    fail('BUNDLE_CORRUPT', file, `entry ${JSON.stringify(e.path)} has mode ${e.mode.toString(8)} but the signed manifest says ${mode.toString(8)}; the header was changed`, { path: e.path });
  }
  if (e.mtime !== mtime) {
    fail('BUNDLE_CORRUPT', file, `entry ${JSON.stringify(e.path)} has mtime ${e.mtime}, not the bundle's ${mtime} (manifest "created"); the header was changed`, { path: e.path });
  }
  const expected = encodeEntryHeaders(e.path, e.size, mode, mtime);
  if (!expected.equals(e.raw)) {
    const lastExpected = expected.subarray(expected.length - BLOCK_SIZE);
    const lastRaw = e.raw.subarray(e.raw.length - BLOCK_SIZE);
    const where = expected.length === e.raw.length ? firstDifferentField(lastExpected, lastRaw) : null;
    fail(
      'BUNDLE_CORRUPT',
      file,
      `the tar header of ${JSON.stringify(e.path)} (offset ${e.offset}) is not in the canonical form sneakpack writes${where === null ? '' : ` (field "${where}" differs)`}; the bundle was changed or re-packed by another tool`,
      { path: e.path, offset: e.offset, ...(where === null ? {} : { field: where }) },
    );
  }
}

async function readPadding(src: ByteSource, size: number, path: string, file: string): Promise<void> {
  const n = blockPadding(size);
  if (n === 0) return;
  const pad = await src.read(n, `the padding after ${path}`);
  if (!isZeroBlock(pad)) fail('BUNDLE_CORRUPT', file, `the padding after ${JSON.stringify(path)} is not zeros; the bundle was changed`, { path });
}

/** After the end blocks: zeros up to the next record boundary, then the end of the file. */
async function readEnd(src: ByteSource, file: string): Promise<void> {
  const fill = (RECORD_SIZE - (src.position % RECORD_SIZE)) % RECORD_SIZE;
  const z = await src.zeros(fill);
  if (z.nonZeroAt >= 0) {
    fail('BUNDLE_TRAILING_DATA', file, `data follows the end of the archive (tar offset ${z.nonZeroAt}); a bundle ends with zeros up to a ${RECORD_SIZE}-byte record, remove what was appended or copy it again`, {
      offset: z.nonZeroAt,
    });
  }
  if (z.read < fill) {
    fail('BUNDLE_TRUNCATED', file, `the file ends ${fill - z.read} bytes before the end of its last ${RECORD_SIZE}-byte record; it was not copied completely, copy it again`);
  }
  if (!(await src.atEnd())) {
    fail('BUNDLE_TRAILING_DATA', file, `data follows the end of the archive's last record (tar offset ${src.position}); remove what was appended or copy the bundle again`, {
      offset: src.position,
    });
  }
}

function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

function hashMismatch(file: string, path: string, expected: string, actual: string): never {
  return fail('HASH_MISMATCH', file, `${path} does not match the signed checksum list (expected sha256 ${expected}, got ${actual}); the bundle was changed or damaged, do not install it`, {
    path,
    expected,
    actual,
  });
}

/** Checks the signed checksum list: canonical, SHA256 only, paths inside the layout, no collisions. */
function checkList(entries: readonly ChecksumEntry[], text: string, label: string, file: string): Map<string, string> {
  if (entries.some((e) => e.algorithm !== 'SHA256') || formatChecksumList(entries) !== text) {
    throw new SneakpackError('INVALID_CHECKSUM_LIST', `${label}: the checksum list is not in sneakpack's form (SHA256 lines in lowercase hex, sorted bytewise by path); the bundle was not made by sneakpack`, {
      details: { file },
    });
  }
  const listed = new Map<string, string>();
  const keys = new Map<string, string>();
  // Collisions before layout: a path that differs from another only by case or normalisation is named as such.
  for (const e of entries) {
    checkRelativePath(e.path, `${label}: listed path`);
    const key = collisionKey(e.path);
    const other = keys.get(key);
    if (other !== undefined) {
      fail('BUNDLE_DUPLICATE_ENTRY', file, `the signed list names both ${JSON.stringify(other)} and ${JSON.stringify(e.path)}, which are the same file on a case-insensitive or Unicode-normalising file system`, {
        path: e.path,
        other,
      });
    }
    keys.set(key, e.path);
  }
  const clash = fileFolderClash(entries.map((e) => e.path));
  if (clash !== null) {
    fail('BUNDLE_DUPLICATE_ENTRY', file, `the signed list names ${JSON.stringify(clash[0])} as a file and as a folder (of ${JSON.stringify(clash[1])}); both cannot exist on disk`, {
      path: clash[0],
      other: clash[1],
    });
  }
  for (const e of entries) {
    const problem = bundlePathProblem(e.path);
    if (problem !== null) fail('BUNDLE_LAYOUT', file, `the signed list names ${JSON.stringify(e.path)}: ${problem}`, { path: e.path });
    if (e.path !== MANIFEST_NAME && sectionOf(e.path) === null) {
      fail('BUNDLE_LAYOUT', file, `the signed list names ${JSON.stringify(e.path)}, outside a bundle's layout (manifest.json, pylock.toml, wheels/*.whl, app/…)`, { path: e.path });
    }
    listed.set(e.path, e.digest);
  }
  if (!listed.has(MANIFEST_NAME)) fail('BUNDLE_LAYOUT', file, `the signed list does not cover ${MANIFEST_NAME}`);
  return listed;
}

/** The manifest must agree with the signed list and with itself (files ↔ wheels, order). */
function checkManifestAgainstList(m: BundleManifest, listed: ReadonlyMap<string, string>, file: string): void {
  const bad = (what: string, path?: string): never =>
    fail('BUNDLE_INVALID_MANIFEST', file, `manifest.json ${what}; the bundle was not made by a working sneakpack, do not install it`, path === undefined ? {} : { path });
  if (m.files.length + 1 !== listed.size) bad(`lists ${m.files.length} files but the signed list has ${listed.size - 1} besides the manifest`);
  if (m.files[0]?.path !== 'pylock.toml') bad('does not list pylock.toml first');
  m.files.forEach((f, i) => {
    const digest = listed.get(f.path);
    if (digest === undefined || f.path === MANIFEST_NAME) bad(`lists ${JSON.stringify(f.path)}, which the signed list does not`, f.path);
    if (digest !== f.sha256) bad(`gives ${JSON.stringify(f.path)} a sha256 other than the signed list's`, f.path);
    if (i > 0 && compareEntryOrder(m.files[i - 1]!.path, f.path) >= 0) bad(`does not list ${JSON.stringify(f.path)} in entry order`, f.path);
  });
  const wheelFiles = m.files.filter((f) => sectionOf(f.path) === 1);
  if (wheelFiles.length !== m.wheels.length) bad(`lists ${m.wheels.length} wheels but ${wheelFiles.length} files under wheels/`);
  m.wheels.forEach((w, i) => {
    const f = wheelFiles[i]!;
    if (f.path !== `${WHEELS_DIR}${w.file}` || f.size !== w.size || f.sha256 !== w.sha256) bad(`wheels[${i}] (${JSON.stringify(w.file)}) does not match its entry in "files"`, f.path);
  });
}

/**
 * The length of {@link encodeEntryHeaders}' output for `path`, without encoding it: one block, or
 * a pax header block, its padded `path` record and the ustar block.
 */
function entryHeadersLength(path: string): number {
  if (ustarPathFields(path) !== null) return BLOCK_SIZE;
  const record = paxRecord('path', path).length;
  return 2 * BLOCK_SIZE + record + blockPadding(record);
}

/** The exact tar length a manifest implies (headers, data, padding, end blocks, last record). */
export function expectedTarSize(m: BundleManifest, stem: string, sigSize: number, manifestSize: number): number {
  let n = 0;
  const add = (rel: string, size: number): void => {
    n += entryHeadersLength(`${stem}/${rel}`) + size + blockPadding(size);
  };
  add(SIG_NAME, sigSize);
  add(MANIFEST_NAME, manifestSize);
  for (const f of m.files) add(f.path, f.size);
  n += 2 * BLOCK_SIZE;
  return n + ((RECORD_SIZE - (n % RECORD_SIZE)) % RECORD_SIZE);
}

interface ReadMode {
  readonly trusted: TrustedKeys | null;
  readonly stopAfterManifest: boolean;
  readonly sink: Sink | null;
  readonly maxBytes: number;
  readonly onProgress?: (progress: ReadProgress) => void;
}

interface ReadResult {
  manifest: BundleManifest;
  keynum: string;
  signerFile: string | null;
  signatureComment: string;
  stem: string;
  compressed: boolean;
  fileSize: number;
  entries: number;
  tarBytes: number;
  /** The whole file's sha256, once it was read to its end ('' when reading stopped early). */
  sha256: string;
}

/** The one pass shared by verify, extract and inspect. */
async function readBundle(file: string, mode: ReadMode): Promise<ReadResult> {
  const opened = await openBundleFile(file, mode.maxBytes);
  const src = opened.source;
  const label = `${file}: ${SIG_NAME}`;
  try {
    // 1. SHA256.sig, the signed list of everything else.
    const first = await readEntryHeader(src, file);
    if (first === null) fail('BUNDLE_CORRUPT', file, 'the archive is empty; it is not a bundle');
    if (first.rel !== SIG_NAME) {
      fail('BUNDLE_LAYOUT', file, `the first entry is ${JSON.stringify(first.path)}, not ${first.top}/${SIG_NAME}; a bundle starts with its signature (was it re-packed by another tool?)`, { path: first.path });
    }
    if (first.size > MAX_SIG_BYTES) {
      fail('BUNDLE_TOO_LARGE', file, `${SIG_NAME} claims ${first.size} bytes, more than the ${MAX_SIG_BYTES} a signed list may have; the bundle is damaged`, { path: first.path });
    }
    const epoch = first.mtime;
    checkCanonical(first, MODES.file, epoch, file);
    const sigBytes = await src.read(first.size, first.path);
    await readPadding(src, first.size, first.path, file);
    const { signature, message } = decodeEmbeddedSignature(sigBytes, label);
    let signerFile: string | null = null;
    if (mode.trusted !== null) signerFile = verifySignature(mode.trusted, signature, message, label).file ?? null;
    let text: string;
    try {
      text = utf8Fatal.decode(message);
    } catch {
      throw new SneakpackError('INVALID_CHECKSUM_LIST', `${label}: the signed message is not UTF-8 text, so not a checksum list`, { details: { file } });
    }
    const listed = checkList(parseChecksumList(text, label), text, label, file);

    // 2. manifest.json, authenticated by the list before it is parsed.
    const second = await readEntryHeader(src, file);
    if (second === null) fail('BUNDLE_ENTRY_MISSING', file, `the archive ends after ${SIG_NAME}; ${MANIFEST_NAME} is missing`, { path: MANIFEST_NAME });
    if (second.top !== first.top) fail('BUNDLE_LAYOUT', file, `entry ${JSON.stringify(second.path)} is outside the top folder ${first.top}/`, { path: second.path });
    if (second.rel !== MANIFEST_NAME) {
      fail('BUNDLE_LAYOUT', file, `the second entry is ${JSON.stringify(second.path)}, not ${first.top}/${MANIFEST_NAME}`, { path: second.path });
    }
    if (second.size > MAX_MANIFEST_BYTES) fail('BUNDLE_TOO_LARGE', file, `${MANIFEST_NAME} claims ${second.size} bytes, more than the ${MAX_MANIFEST_BYTES} allowed`, { path: second.path });
    checkCanonical(second, MODES.file, epoch, file);
    const manifestBytes = await src.read(second.size, second.path);
    await readPadding(src, second.size, second.path, file);
    const digest = sha256Hex(manifestBytes);
    if (digest !== listed.get(MANIFEST_NAME)) hashMismatch(file, MANIFEST_NAME, listed.get(MANIFEST_NAME)!, digest);
    let manifest: BundleManifest;
    let manifestText: string;
    try {
      manifestText = utf8Fatal.decode(manifestBytes);
      manifest = validateManifest(JSON.parse(manifestText), `${file}: ${MANIFEST_NAME}`);
    } catch (err) {
      if (err instanceof SneakpackError) throw err;
      return fail('BUNDLE_INVALID_MANIFEST', file, `${MANIFEST_NAME} is not UTF-8 JSON (${(err as Error).message}); do not install this bundle`);
    }
    let canonical: string | null;
    try {
      canonical = canonicalJson(manifest);
    } catch {
      canonical = null; // a fraction or a lone surrogate: no canonical form exists
    }
    if (canonical !== manifestText) fail('BUNDLE_INVALID_MANIFEST', file, `${MANIFEST_NAME} is not canonical JSON (sorted keys, 2-space indent, integers only, final newline); it was not written by sneakpack`);
    if (manifest.signer.keynum !== signature.keynum || manifest.signer.comment !== signature.comment) {
      fail('BUNDLE_CORRUPT', file, `${SIG_NAME} names key ${signature.keynum} with comment ${JSON.stringify(signature.comment)}, but the signed manifest says key ${manifest.signer.keynum} with comment ${JSON.stringify(manifest.signer.comment)}; the signature file was changed`);
    }
    if (manifest.created !== epoch) {
      fail('BUNDLE_CORRUPT', file, `the entries' mtime ${epoch} differs from the manifest's "created" ${manifest.created}; a header was changed`);
    }
    let stem: string;
    try {
      stem = bundleStem(manifest.app, manifest.target);
    } catch (err) {
      return fail('BUNDLE_INVALID_MANIFEST', file, `the app and target in ${MANIFEST_NAME} do not make a bundle name: ${(err as Error).message}`);
    }
    if (first.top !== stem) {
      fail('BUNDLE_LAYOUT', file, `the top folder is ${JSON.stringify(first.top)} but the manifest describes ${JSON.stringify(stem)}; the entries were renamed`, { top: first.top, expected: stem });
    }
    checkManifestAgainstList(manifest, listed, file);
    const result: ReadResult = {
      manifest,
      keynum: signature.keynum,
      signerFile,
      signatureComment: signature.comment,
      stem,
      compressed: opened.compressed,
      fileSize: opened.fileSize,
      entries: 2,
      tarBytes: 0,
      sha256: '',
    };
    if (mode.stopAfterManifest) return result;

    const total = expectedTarSize(manifest, stem, first.size, second.size);
    if (total > mode.maxBytes) {
      fail('BUNDLE_TOO_LARGE', file, `the bundle holds ${total} bytes, more than the limit of ${mode.maxBytes}`, { size: total, limit: mode.maxBytes });
    }
    if (mode.sink !== null) {
      for (const [rel, bytes] of [[SIG_NAME, sigBytes], [MANIFEST_NAME, manifestBytes]] as const) {
        const out = await mode.sink.file(rel, MODES.file, epoch);
        await out.write(bytes);
        await out.close();
      }
    }

    // 3. Every other file, in the order the manifest fixes.
    const seen = new Set<string>([collisionKey(SIG_NAME), collisionKey(MANIFEST_NAME)]);
    let next = 0;
    for (;;) {
      const e = await readEntryHeader(src, file);
      if (e === null) break;
      if (e.top !== stem) fail('BUNDLE_LAYOUT', file, `entry ${JSON.stringify(e.path)} is outside the top folder ${stem}/`, { path: e.path });
      const rel = e.rel;
      const key = collisionKey(rel);
      if (seen.has(key)) fail('BUNDLE_DUPLICATE_ENTRY', file, `${JSON.stringify(e.path)} appears twice (or collides with an earlier entry by case or Unicode normalisation)`, { path: e.path });
      if (!listed.has(rel)) fail('BUNDLE_ENTRY_UNLISTED', file, `${JSON.stringify(e.path)} is not in the signed checksum list; something was added to the bundle, do not install it`, { path: e.path });
      const expected = manifest.files[next]!;
      if (expected.path !== rel) {
        fail('BUNDLE_ENTRY_MISSING', file, `${stem}/${expected.path} is missing: expected it before ${JSON.stringify(e.path)}; the bundle is incomplete or re-ordered, copy it again`, {
          path: expected.path,
          found: e.path,
        });
      }
      if (e.size !== expected.size) {
        fail('BUNDLE_SIZE_MISMATCH', file, `the header of ${JSON.stringify(e.path)} says ${e.size} bytes but the signed manifest says ${expected.size}; the bundle was changed`, {
          path: e.path,
          size: e.size,
          expected: expected.size,
        });
      }
      const entryMode = expected.mode === '0755' ? MODES.executable : MODES.file;
      checkCanonical(e, entryMode, epoch, file);
      const out = mode.sink === null ? null : await mode.sink.file(rel, entryMode, epoch);
      const hash = createHash('sha256');
      for await (const chunk of src.take(e.size, e.path)) {
        hash.update(chunk);
        if (out !== null) await out.write(chunk);
        mode.onProgress?.({ bytesDone: src.position, bytesTotal: total, path: rel });
      }
      await out?.close();
      const actual = hash.digest('hex');
      if (actual !== expected.sha256) hashMismatch(file, rel, expected.sha256, actual);
      await readPadding(src, e.size, e.path, file);
      seen.add(key);
      next++;
    }
    if (next < manifest.files.length) {
      fail('BUNDLE_ENTRY_MISSING', file, `${stem}/${manifest.files[next]!.path} is missing (the archive ends before it); the bundle is incomplete, copy it again`, { path: manifest.files[next]!.path });
    }
    await readEnd(src, file);
    await opened.finish();
    result.entries = next + 2;
    result.tarBytes = src.position;
    result.sha256 = opened.sha256();
    return result;
  } catch (err) {
    // A tar that ends early inside a gzip file may be explained by the framing: a second member.
    if (opened.compressed && err instanceof SneakpackError && err.code === 'BUNDLE_TRUNCATED') {
      const framing = await opened.finish().then(
        () => null,
        (e: unknown) => e,
      );
      if (framing instanceof SneakpackError && framing.code === 'BUNDLE_TRAILING_DATA') throw framing;
    }
    throw err;
  } finally {
    await opened.close();
  }
}

function summaryOf(r: ReadResult): string {
  const target = r.manifest.target.compact ?? r.manifest.target.name;
  return `${r.manifest.app.name} ${r.manifest.app.version} for ${target}, signed by key ${r.keynum}${r.signerFile === null ? '' : ` (${r.signerFile})`}`;
}

function verified(r: ReadResult): VerifiedBundle {
  return Object.freeze({
    manifest: r.manifest,
    keynum: r.keynum,
    signerFile: r.signerFile,
    signatureComment: r.signatureComment,
    summary: summaryOf(r),
    stem: r.stem,
    compressed: r.compressed,
    entries: r.entries,
    tarBytes: r.tarBytes,
    sha256: r.sha256,
  });
}

/**
 * Verifies a bundle in one streaming pass: the signature over the checksum list against the
 * trusted keys, then every entry's path, type, header, size and sha256 against the signed list and
 * manifest, then the end of the archive (and the gzip framing). Memory stays bounded whatever the
 * bundle's size.
 * @throws SneakpackError UNTRUSTED_KEY (naming the key number; pass its .pub with --keys/--pubkey),
 *   SIGNATURE_MISMATCH, INVALID_SIGNATURE, INVALID_CHECKSUM_LIST, HASH_MISMATCH, UNSAFE_PATH,
 *   BUNDLE_* (see docs/FORMAT.md "Errors"), FILE_NOT_FOUND / IO_ERROR.
 */
export async function verifyBundle(file: string, options: VerifyOptions): Promise<VerifiedBundle> {
  return verified(
    await readBundle(file, {
      trusted: options.trusted,
      stopAfterManifest: false,
      sink: null,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    }),
  );
}

/**
 * Reads a bundle's manifest and the key number of its signature WITHOUT checking anything
 * cryptographically (no key needed): for showing what a bundle claims to be. Reads only the first
 * two entries. The result says `verified: false`; never act on it without {@link verifyBundle}.
 */
export async function inspectBundle(file: string): Promise<InspectedBundle> {
  const r = await readBundle(file, { trusted: null, stopAfterManifest: true, sink: null, maxBytes: DEFAULT_MAX_BYTES });
  const wheelsSize = r.manifest.wheels.reduce((n, w) => n + w.size, 0);
  const app = r.manifest.files.filter((f) => sectionOf(f.path) === 2);
  return Object.freeze({
    manifest: r.manifest,
    keynum: r.keynum,
    signatureComment: r.signatureComment,
    verified: false as const,
    stem: r.stem,
    compressed: r.compressed,
    fileSize: r.fileSize,
    totalSize: r.manifest.files.reduce((n, f) => n + f.size, 0),
    wheelsSize,
    appFiles: app.length,
    appSize: app.reduce((n, f) => n + f.size, 0),
  });
}

// ---------------------------------------------------------------------------------------------
// Extraction

const CREATE_FLAGS = fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | (fsConstants.O_NOFOLLOW ?? 0);

function extractIoError(err: unknown, path: string, doing: string): SneakpackError {
  if (err instanceof SneakpackError) return err;
  return new SneakpackError('IO_ERROR', `${path}: cannot ${doing}: ${err instanceof Error ? err.message : String(err)}`, { cause: err, details: { path } });
}

/** Writes verified entries under `root`, remembering what it created so it can be undone. */
class DirectorySink implements Sink {
  private readonly open = new Set<FileHandle>();
  private readonly madeDirs = new Set<string>();

  constructor(private readonly root: string) {}

  async file(rel: string, mode: number, mtime: number): Promise<FileSink> {
    const full = safeJoin(this.root, rel, 'bundle entry');
    const parent = dirname(full);
    if (parent !== this.root && !this.madeDirs.has(parent)) {
      try {
        await mkdir(parent, { recursive: true, mode: 0o755 });
      } catch (err) {
        throw extractIoError(err, parent, 'create the folder');
      }
      this.madeDirs.add(parent);
    }
    let handle: FileHandle;
    try {
      // O_EXCL|O_NOFOLLOW: never write through a link or over anything already there.
      handle = await open(full, CREATE_FLAGS, mode);
      await handle.chmod(mode);
    } catch (err) {
      throw extractIoError(err, full, 'create the file');
    }
    this.open.add(handle);
    return {
      write: async (chunk) => {
        try {
          let off = 0;
          while (off < chunk.length) off += (await handle.write(chunk, off, chunk.length - off)).bytesWritten;
        } catch (err) {
          throw extractIoError(err, full, 'write the file');
        }
      },
      close: async () => {
        try {
          try {
            // As tar does: the entry's mtime (the bundle's SOURCE_DATE_EPOCH), so installs are reproducible too.
            await handle.utimes(mtime, mtime);
          } finally {
            this.open.delete(handle);
            await handle.close();
          }
        } catch (err) {
          throw extractIoError(err, full, 'finish the file');
        }
      },
    };
  }

  async closeAll(): Promise<void> {
    for (const h of this.open) await h.close().catch(() => undefined);
    this.open.clear();
  }
}

async function isEmptyDir(dir: string): Promise<boolean | null> {
  try {
    const st = await lstat(dir);
    if (!st.isDirectory()) throw new SneakpackError('USAGE', `${dir} exists and is not a folder; extract into an empty folder`, { details: { path: dir } });
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw extractIoError(err, dir, 'look at the folder');
  }
}

/**
 * Verifies and extracts a bundle in the same single pass as {@link verifyBundle}, writing each
 * entry (without the top folder: `destDir/SHA256.sig`, `destDir/manifest.json`,
 * `destDir/pylock.toml`, `destDir/wheels/…`, `destDir/app/…`) through `safeJoin`, creating files
 * with O_EXCL|O_NOFOLLOW, hashing while writing. `destDir` must be empty or absent. On ANY
 * failure everything written is removed (and `destDir` too, if this call created it) before the
 * error is thrown. Bytes are on disk before their entry's hash is confirmed, so use the folder
 * only after this returns.
 */
export async function extractBundle(file: string, destDir: string, options: VerifyOptions): Promise<VerifiedBundle> {
  const root = resolve(destDir);
  const empty = await isEmptyDir(root);
  if (empty === false) throw new SneakpackError('FILE_EXISTS', `${root} is not empty; extract a bundle into an empty or new folder`, { details: { path: root } });
  const created = empty === null;
  if (created) {
    try {
      await mkdir(root, { recursive: true, mode: 0o755 });
    } catch (err) {
      throw extractIoError(err, root, 'create the folder');
    }
  }
  const sink = new DirectorySink(root);
  try {
    const r = await readBundle(file, {
      trusted: options.trusted,
      stopAfterManifest: false,
      sink,
      maxBytes: options.maxBytes ?? DEFAULT_MAX_BYTES,
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    });
    return verified(r);
  } catch (err) {
    await sink.closeAll();
    // Only this call wrote into root (it was empty), so clearing it undoes exactly our writes.
    for (const name of await readdir(root).catch(() => [] as string[])) await rm(safeJoin(root, name), { recursive: true, force: true });
    if (created) await rmdir(root).catch(() => undefined);
    throw err;
  }
}
