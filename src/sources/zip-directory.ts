/**
 * A zip's central directory read in a few large reads, and single members read from it: what
 * {@link readWheelMetadata} needs of a wheel (APPNOTE.TXT 4.3.12 "Central directory structure",
 * 4.3.16 "End of central directory record", 4.3.14–15 Zip64, 4.3.7 "Local file header").
 *
 * The checks and their messages are yauzl 3.4's (`open` with `strictFileNames`, `eachEntry`,
 * `openReadStream` with `validateEntrySizes`), which this replaces on the builder's hot path:
 * yauzl reads every central-directory entry with two separate `read` calls and hands it over
 * through an event and a promise, which for a closure of ~12,000 files was most of a build's
 * time. Here the directory is read in one piece (usually together with the end record) and parsed
 * in a loop.
 * @module
 */
import type { FileHandle } from 'node:fs/promises';
import { inflateRawSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import { crc32 } from '../bundle/source.js';

/** One central-directory entry, with the fields a wheel reader uses (Zip64 values applied). */
export interface ZipEntry {
  /** The member path, decoded (UTF-8 flag or Info-ZIP Unicode Path field, else CP437). */
  readonly fileName: string;
  readonly generalPurposeBitFlag: number;
  readonly compressionMethod: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly relativeOffsetOfLocalHeader: number;
}

/** Whether the entry is encrypted (traditional PKWARE encryption, general purpose bit 0). */
export function isEncrypted(entry: ZipEntry): boolean {
  return (entry.generalPurposeBitFlag & 0x1) !== 0;
}

/** Where the central directory is, from the end records. */
export interface ZipEnd {
  readonly entryCount: number;
  readonly centralDirectoryOffset: number;
  /** The directory's size as the end record gives it (a read-ahead hint only). */
  readonly centralDirectorySize: number;
}

/** Smallest read: large enough that a small wheel's directory and dist-info come in one read. */
const WINDOW = 256 * 1024;
/** Largest directory read in one piece; a larger one is read in windows of this size. */
const MAX_WINDOW = 16 * 1024 * 1024;
/** Compressed members up to this size are read and inflated in memory; larger ones are streamed. */
const IN_MEMORY = 4 * 1024 * 1024;

/** Random access to a file through one cached window: sequential small reads cost one syscall per window. */
export class ZipFileReader {
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;

  constructor(
    readonly handle: FileHandle,
    readonly size: number,
  ) {}

  /** `len` bytes at `pos` if the window holds them (a view, valid until the next {@link load}). */
  at(pos: number, len: number): Buffer | null {
    const off = pos - this.start;
    return off >= 0 && off + len <= this.buf.length ? this.buf.subarray(off, off + len) : null;
  }

  /** `len` bytes at `pos`, reading at least `hint` bytes from there into the window. "unexpected EOF" past the end. */
  async load(pos: number, len: number, hint = WINDOW): Promise<Buffer> {
    const cached = this.at(pos, len);
    if (cached !== null) return cached;
    if (pos > this.size || pos + len > this.size) throw new Error('unexpected EOF');
    const want = Math.min(Math.max(len, hint), this.size - pos);
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.handle.read(buf, got, want - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got < len) throw new Error('unexpected EOF');
    this.buf = buf.subarray(0, got);
    this.start = pos;
    return this.buf.subarray(0, len);
  }

  /** As {@link load}, from the window when it can. */
  async bytes(pos: number, len: number, hint?: number): Promise<Buffer> {
    if (len === 0) return Buffer.alloc(0);
    return this.at(pos, len) ?? this.load(pos, len, hint);
  }
}

function readUInt64LE(buffer: Buffer, offset: number): number {
  return buffer.readUInt32LE(offset + 4) * 0x100000000 + buffer.readUInt32LE(offset);
}

/**
 * Finds the end of central directory record (searching back over a comment of up to 64 KiB) and
 * the Zip64 records when there is a locator. Errors are plain `Error`s with yauzl's messages.
 */
export async function readZipEnd(reader: ZipFileReader): Promise<ZipEnd> {
  const eocdrWithoutCommentSize = 22;
  const zip64EocdlSize = 20;
  const bufferSize = Math.min(zip64EocdlSize + eocdrWithoutCommentSize + 0xffff, reader.size);
  const buffer = await reader.bytes(reader.size - bufferSize, bufferSize, bufferSize);
  for (let i = bufferSize - eocdrWithoutCommentSize; i >= 0; i -= 1) {
    if (buffer.readUInt32LE(i) !== 0x06054b50) continue;
    const eocdr = buffer.subarray(i);
    let diskNumber = eocdr.readUInt16LE(4);
    let entryCount = eocdr.readUInt16LE(10);
    let centralDirectorySize = eocdr.readUInt32LE(12);
    let centralDirectoryOffset = eocdr.readUInt32LE(16);
    const commentLength = eocdr.readUInt16LE(20);
    const expectedCommentLength = eocdr.length - eocdrWithoutCommentSize;
    if (commentLength !== expectedCommentLength) {
      throw new Error(
        `Invalid comment length. Expected: ${expectedCommentLength}. Found: ${commentLength}. Are there extra bytes at the end of the file? Or is the end of central dir signature \`PK☺☻\` in the comment?`,
      );
    }
    if (i - zip64EocdlSize >= 0 && buffer.readUInt32LE(i - zip64EocdlSize) === 0x07064b50) {
      const zip64EocdrOffset = readUInt64LE(buffer, i - zip64EocdlSize + 8);
      const record = Buffer.from(await reader.bytes(zip64EocdrOffset, 56));
      if (record.readUInt32LE(0) !== 0x06064b50) throw new Error('invalid zip64 end of central directory record signature');
      diskNumber = record.readUInt32LE(16);
      if (diskNumber !== 0) throw new Error(`multi-disk zip files are not supported: found disk number: ${diskNumber}`);
      entryCount = readUInt64LE(record, 32);
      centralDirectorySize = readUInt64LE(record, 40);
      centralDirectoryOffset = readUInt64LE(record, 48);
      return { entryCount, centralDirectoryOffset, centralDirectorySize };
    }
    if (diskNumber !== 0) throw new Error(`multi-disk zip files are not supported: found disk number: ${diskNumber}`);
    return { entryCount, centralDirectoryOffset, centralDirectorySize };
  }
  throw new Error('End of central directory record signature not found. Either not a zip file, or file is truncated.');
}

interface ExtraField {
  readonly id: number;
  readonly data: Buffer;
}

function parseExtraFields(buf: Buffer): ExtraField[] {
  const fields: ExtraField[] = [];
  let i = 0;
  while (i < buf.length - 3) {
    const id = buf.readUInt16LE(i);
    const dataSize = buf.readUInt16LE(i + 2);
    const dataStart = i + 4;
    const dataEnd = dataStart + dataSize;
    if (dataEnd > buf.length) throw new Error('extra field length exceeds extra field buffer size');
    fields.push({ id, data: buf.subarray(dataStart, dataEnd) });
    i = dataEnd;
  }
  return fields;
}

const CP437 =
  '\u0000☺☻♥♦♣♠•◘○◙♂♀♪♫☼►◄↕‼¶§▬↨↑↓→←∟↔▲▼ !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~⌂ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

function decode(buf: Buffer, utf8: boolean): string {
  if (utf8) return buf.toString('utf8');
  let ascii = true;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    // CP437 and ASCII agree on 0x20–0x7e; control bytes map to symbols.
    if (b < 0x20 || b > 0x7e) {
      ascii = false;
      break;
    }
  }
  if (ascii) return buf.toString('latin1');
  let out = '';
  for (let i = 0; i < buf.length; i++) out += CP437[buf[i]!];
  return out;
}

function fileNameOf(flags: number, raw: Buffer, extraFields: readonly ExtraField[]): string {
  // The Info-ZIP Unicode Path Extra Field (0x7075), when its CRC matches the plain name.
  for (const f of extraFields) {
    if (f.id !== 0x7075 || f.data.length < 6 || f.data.readUInt8(0) !== 1) continue;
    if (crc32(raw) !== f.data.readUInt32LE(1)) continue;
    return decode(f.data.subarray(5), true);
  }
  return decode(raw, (flags & 0x800) !== 0);
}

function fileNameProblem(fileName: string): string | null {
  if (fileName.includes('\\')) return `invalid characters in fileName: ${fileName}`;
  if (/^[a-zA-Z]:/.test(fileName) || fileName.startsWith('/')) return `absolute path: ${fileName}`;
  if (fileName.split('/').includes('..')) return `invalid relative path: ${fileName}`;
  return null;
}

/**
 * Every entry of the central directory, in order, checked as yauzl checks them with
 * `strictFileNames` and `validateEntrySizes`: signature, no strong encryption, well-formed extra
 * fields, a safe relative file name (no `\`, drive letter, leading `/` or `..`), Zip64 fields
 * present when needed, and stored entries' two sizes agreeing. Throws a plain `Error` at the
 * first bad entry.
 */
export async function readZipEntries(reader: ZipFileReader, end: ZipEnd): Promise<ZipEntry[]> {
  const entries: ZipEntry[] = [];
  let cursor = end.centralDirectoryOffset;
  // Read the whole directory at once when the end record's size is plausible.
  const hint = Math.min(Math.max(end.centralDirectorySize, WINDOW), MAX_WINDOW);
  for (let n = 0; n < end.entryCount; n++) {
    const h = reader.at(cursor, 46) ?? (await reader.load(cursor, 46, hint));
    const signature = h.readUInt32LE(0);
    if (signature !== 0x02014b50) throw new Error(`invalid central directory file header signature: 0x${signature.toString(16)}`);
    const generalPurposeBitFlag = h.readUInt16LE(8);
    const compressionMethod = h.readUInt16LE(10);
    let compressedSize = h.readUInt32LE(20);
    let uncompressedSize = h.readUInt32LE(24);
    const fileNameLength = h.readUInt16LE(28);
    const extraFieldLength = h.readUInt16LE(30);
    const fileCommentLength = h.readUInt16LE(32);
    let relativeOffsetOfLocalHeader = h.readUInt32LE(42);
    if (generalPurposeBitFlag & 0x40) throw new Error('strong encryption is not supported');
    cursor += 46;
    const varLength = fileNameLength + extraFieldLength + fileCommentLength;
    const v = varLength === 0 ? Buffer.alloc(0) : (reader.at(cursor, varLength) ?? (await reader.load(cursor, varLength, hint)));
    const extraFields = parseExtraFields(v.subarray(fileNameLength, fileNameLength + extraFieldLength));
    const fileName = fileNameOf(generalPurposeBitFlag, v.subarray(0, fileNameLength), extraFields);
    const problem = fileNameProblem(fileName);
    if (problem !== null) throw new Error(problem);
    cursor += varLength;

    const zip64 = extraFields.find((f) => f.id === 0x0001);
    if (zip64 !== undefined) {
      const data = zip64.data;
      let index = 0;
      if (uncompressedSize === 0xffffffff) {
        if (index + 8 > data.length) throw new Error('zip64 extended information extra field does not include uncompressed size');
        uncompressedSize = readUInt64LE(data, index);
        index += 8;
      }
      if (compressedSize === 0xffffffff) {
        if (index + 8 > data.length) throw new Error('zip64 extended information extra field does not include compressed size');
        compressedSize = readUInt64LE(data, index);
        index += 8;
      }
      if (relativeOffsetOfLocalHeader === 0xffffffff) {
        if (index + 8 > data.length) throw new Error('zip64 extended information extra field does not include relative header offset');
        relativeOffsetOfLocalHeader = readUInt64LE(data, index);
        index += 8;
      }
    }
    if (compressionMethod === 0) {
      // Traditional encryption prefixes the data with a 12-byte header.
      const expected = uncompressedSize + ((generalPurposeBitFlag & 0x1) !== 0 ? 12 : 0);
      if (compressedSize !== expected) throw new Error(`compressed/uncompressed size mismatch for stored file: ${compressedSize} != ${uncompressedSize}`);
    }
    entries.push({ fileName, generalPurposeBitFlag, compressionMethod, compressedSize, uncompressedSize, relativeOffsetOfLocalHeader });
  }
  return entries;
}

/**
 * The bytes of one member, inflated, as yauzl's `openReadStream` (with `validateEntrySizes`)
 * gives them: stored or deflated only, the local header's signature checked, the data inside the
 * file, and exactly `uncompressedSize` bytes out. `tooBig` is thrown when that size is over
 * `limit`; memory stays bounded by it whatever the data does. The caller refuses encrypted entries.
 */
export async function readZipMember(reader: ZipFileReader, entry: ZipEntry, limit: number, tooBig: () => Error): Promise<Buffer> {
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) throw new Error(`unsupported compression method: ${entry.compressionMethod}`);
  const header = await reader.bytes(entry.relativeOffsetOfLocalHeader, 30);
  const signature = header.readUInt32LE(0);
  if (signature !== 0x04034b50) throw new Error(`invalid local file header signature: 0x${signature.toString(16)}`);
  const dataStart = entry.relativeOffsetOfLocalHeader + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  if (dataStart + entry.compressedSize > reader.size) {
    throw new Error(`file data overflows file bounds: ${dataStart} + ${entry.compressedSize} > ${reader.size}`);
  }
  const expected = entry.uncompressedSize;
  if (expected > limit) throw tooBig();
  if (entry.compressionMethod === 0) {
    if (entry.compressedSize > limit) throw tooBig();
    return Buffer.from(await reader.bytes(dataStart, entry.compressedSize, entry.compressedSize));
  }
  const tooMany = (got: number): Error => new Error(`too many bytes in the stream. expected ${expected}. got at least ${got}`);
  const notEnough = (got: number): Error => new Error(`not enough bytes in the stream. expected ${expected}. got only ${got}`);
  if (entry.compressedSize <= IN_MEMORY) {
    const data = await reader.bytes(dataStart, entry.compressedSize, entry.compressedSize);
    let out: Buffer | null = null;
    try {
      // One byte more than expected tells "too many" from "exactly right" (and bounds the memory used).
      out = inflateRawSync(data, { maxOutputLength: expected + 1 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooMany(expected + 1);
      // Damaged deflate data: which error comes first (too many bytes, or the data's own) depends
      // on the order a stream sees them, so the streaming read below decides, as yauzl's does.
    }
    if (out !== null) {
      if (out.length > expected) throw tooMany(out.length);
      if (out.length < expected) throw notEnough(out.length);
      return out;
    }
  }
  // A large compressed member (only a lying or odd wheel has one), or a damaged one: stream it, counting.
  const input = reader.handle.createReadStream({ start: dataStart, end: dataStart + entry.compressedSize - 1, autoClose: false, highWaterMark: 1 << 20 });
  const inflate = zlib.createInflateRaw();
  input.on('error', (err) => inflate.destroy(err));
  input.pipe(inflate);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of inflate) {
      size += (chunk as Buffer).length;
      if (size > expected) throw tooMany(size);
      if (size > limit) throw tooBig();
      chunks.push(chunk as Buffer);
    }
  } finally {
    input.destroy();
    inflate.destroy();
  }
  if (size < expected) throw notEnough(size);
  return Buffer.concat(chunks);
}
