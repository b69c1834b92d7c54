/**
 * Reading a bundle file as one stream of tar bytes: plain, or through sneakpack's canonical gzip
 * framing (docs/FORMAT.md "Compression"), with exact byte accounting so the reader can tell a
 * truncated file from trailing data and stop a decompression bomb early.
 * @module
 */
import { type Hash, createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { CHUNK_SIZE, fileChunks } from '../chunks.js';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { SneakpackError, ioError } from '../errors.js';

/**
 * The 10-byte gzip member header every compressed bundle starts with (RFC 1952 §2.3): magic,
 * CM 8 (deflate), FLG 0 (no name, comment, extra or header CRC), MTIME 0, XFL 2 (maximum
 * compression), OS 3 (Unix) whatever system wrote it.
 */
export const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03]);
/** Bytes after the deflate stream: CRC-32 and ISIZE, little-endian (RFC 1952 §2.3.1). */
export const GZIP_TRAILER_SIZE = 8;

let crcTable: Int32Array | undefined;

function crc32Js(crc: number, data: Uint8Array): number {
  if (crcTable === undefined) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  const table = crcTable;
  let c = ~crc;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** zlib.crc32 exists from Node 20.15 / 22.2; Node 18 gets the table-driven fallback. */
const nativeCrc32 = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 (ISO-HDLC, the gzip trailer's) of `data`, continuing from `crc`. */
export function crc32(data: Uint8Array, crc = 0): number {
  return nativeCrc32 !== undefined ? nativeCrc32(data, crc) : crc32Js(crc, data);
}

/** The JS implementation, exported so tests can compare it with zlib's. */
export const crc32Fallback = (data: Uint8Array, crc = 0): number => crc32Js(crc, data);

/**
 * A forward-only reader of tar bytes with exact reads. `position` counts the tar bytes consumed;
 * more than `limit` bytes received stops the read with BUNDLE_TOO_LARGE (a bomb is cut off after
 * at most one chunk past the limit).
 */
export class ByteSource {
  private chunk: Buffer = Buffer.alloc(0);
  private readonly iterator: AsyncIterator<Buffer>;
  private ended = false;
  private received = 0;
  /** Tar bytes consumed so far. */
  position = 0;

  constructor(
    iterable: AsyncIterable<Buffer>,
    private readonly file: string,
    private readonly limit: number,
  ) {
    this.iterator = iterable[Symbol.asyncIterator]();
  }

  /** Makes the current chunk non-empty; false at the end of the stream. */
  private async fill(): Promise<boolean> {
    while (this.chunk.length === 0) {
      if (this.ended) return false;
      const r = await this.iterator.next();
      if (r.done === true) {
        this.ended = true;
        return false;
      }
      const buf = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      this.received += buf.length;
      if (this.received > this.limit) {
        throw new SneakpackError(
          'BUNDLE_TOO_LARGE',
          `${this.file}: the bundle expands to more than ${this.limit} bytes, the limit for reading it; it is damaged or a decompression bomb (raise the limit only for a bundle you expect to be that large)`,
          { details: { file: this.file, limit: this.limit } },
        );
      }
      this.chunk = buf;
    }
    return true;
  }

  private truncated(what: string): SneakpackError {
    return new SneakpackError('BUNDLE_TRUNCATED', `${this.file}: the file ends in the middle of ${what} (at tar offset ${this.position}); it was not copied completely, copy it again`, {
      details: { file: this.file, offset: this.position },
    });
  }

  /** Exactly `n` bytes (copied), or BUNDLE_TRUNCATED naming `what`. For headers and small entries. */
  async read(n: number, what: string): Promise<Buffer> {
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n) {
      if (!(await this.fill())) throw this.truncated(what);
      const take = Math.min(n - got, this.chunk.length);
      this.chunk.copy(out, got, 0, take);
      this.chunk = this.chunk.subarray(take);
      got += take;
      this.position += take;
    }
    return out;
  }

  /** Reads `n` bytes as a series of views (not copied; consume each before the next). */
  async *take(n: number, what: string): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) throw this.truncated(what);
      const take = Math.min(left, this.chunk.length);
      const part = this.chunk.subarray(0, take);
      this.chunk = this.chunk.subarray(take);
      left -= take;
      this.position += take;
      yield part;
    }
  }

  /**
   * Reads up to `n` bytes that must all be zero, stopping at the end of the stream. Returns the
   * number read and the offset of the first non-zero byte (or -1).
   */
  async zeros(n: number): Promise<{ read: number; nonZeroAt: number }> {
    let read = 0;
    while (read < n && (await this.fill())) {
      const take = Math.min(n - read, this.chunk.length);
      for (let i = 0; i < take; i++) {
        if (this.chunk[i] !== 0) {
          this.position += i;
          return { read: read + i, nonZeroAt: this.position };
        }
      }
      this.chunk = this.chunk.subarray(take);
      read += take;
      this.position += take;
    }
    return { read, nonZeroAt: -1 };
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }
}

/** An open bundle file as a stream of tar bytes. */
export interface OpenedBundle {
  readonly source: ByteSource;
  readonly compressed: boolean;
  /** File size on disk. */
  readonly fileSize: number;
  /** After the tar bytes were read to their end: checks the gzip framing (no-op for plain tar). */
  finish(): Promise<void>;
  /**
   * Lowercase hex SHA-256 of the whole file as it was read (for gzip: the compressed bytes,
   * header and trailer included). Only after `finish()` succeeded, which means every byte of the
   * file went through this one pass.
   */
  sha256(): string;
  /** Releases the file and streams; safe to call more than once. */
  close(): Promise<void>;
}

/** Maps a zlib failure to a bundle error. */
function zlibError(err: unknown, file: string): SneakpackError {
  if (err instanceof SneakpackError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'Z_BUF_ERROR') {
    return new SneakpackError('BUNDLE_TRUNCATED', `${file}: the compressed data ends early; the file was not copied completely, copy it again`, { cause: err, details: { file } });
  }
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new SneakpackError('BUNDLE_CORRUPT', `${file}: the compressed data is damaged (${(err as Error).message}); copy the bundle again`, { cause: err, details: { file } });
  }
  return ioError(err, file, 'read it');
}

/** Re-throws stream errors as SneakpackErrors while iterating. */
async function* guarded(iterable: AsyncIterable<Buffer>, file: string, onChunk?: (b: Buffer) => void): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of iterable) {
      onChunk?.(chunk);
      yield chunk;
    }
  } catch (err) {
    throw zlibError(err, file);
  }
}

/**
 * The whole file through {@link fileChunks} (two reused buffers, the next read in flight while
 * the caller hashes the current chunk), each chunk also given to `onChunk`; `onEnd` once the end
 * was read. Chunks are views valid until the next is asked for, which is ByteSource's contract:
 * it copies what it keeps, and `take` views are consumed at once.
 */
async function* observedChunks(handle: FileHandle, onChunk: (chunk: Buffer) => void, onEnd: () => void): AsyncGenerator<Buffer> {
  for await (const chunk of fileChunks(handle)) {
    onChunk(chunk);
    yield chunk;
  }
  onEnd();
}

/**
 * Opens `file` for one streaming pass. A file starting with the gzip magic must have sneakpack's
 * canonical gzip header and exactly one member ending at the end of the file; anything else
 * starting with it is BUNDLE_CORRUPT. `limit` caps the tar bytes read.
 */
export async function openBundleFile(file: string, limit: number): Promise<OpenedBundle> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (err) {
    throw ioError(err, file, 'open the bundle');
  }
  const streams: Readable[] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    for (const s of streams) s.destroy();
    await handle.close().catch(() => undefined);
  };
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new SneakpackError('USAGE', `${file} is not a regular file; pass the bundle file`, { details: { file } });
    const fileSize = st.size;
    if (fileSize === 0) throw new SneakpackError('BUNDLE_CORRUPT', `${file} is empty, not a bundle; copy it again`, { details: { file } });
    const head = Buffer.alloc(Math.min(GZIP_HEADER.length, fileSize));
    await handle.read(head, 0, head.length, 0);
    const compressed = head[0] === 0x1f && head[1] === 0x8b;
    // The whole file's digest, from the bytes of this same pass (callers need not hash it again).
    const fileHash: Hash = createHash('sha256');
    let digest: string | null = null;
    const sha256 = (): string => {
      if (digest === null) throw new Error(`${file}: the file's sha256 is known only after the whole bundle was read`);
      return digest;
    };
    if (!compressed) {
      let ended = false;
      const chunks = guarded(
        observedChunks(
          handle,
          (chunk) => fileHash.update(chunk),
          () => (ended = true),
        ),
        file,
      );
      const finish = async (): Promise<void> => {
        // The tar reader saw the end of the file (a read returned 0 bytes): every byte was hashed.
        if (!ended) throw new Error(`${file}: finish() before the end of the file was read`);
        digest ??= fileHash.digest('hex');
      };
      return { source: new ByteSource(chunks, file, limit), compressed, fileSize, finish, close, sha256 };
    }
    if (fileSize < GZIP_HEADER.length + GZIP_TRAILER_SIZE + 2) {
      throw new SneakpackError('BUNDLE_TRUNCATED', `${file}: ${fileSize} bytes is too short for a compressed bundle; copy it again`, { details: { file } });
    }
    if (!head.equals(GZIP_HEADER)) {
      throw new SneakpackError(
        'BUNDLE_CORRUPT',
        `${file}: the gzip header is ${head.toString('hex')}, not sneakpack's ${GZIP_HEADER.toString('hex')} (no name, mtime 0, one member); the file is damaged or was recompressed by another tool`,
        { details: { file } },
      );
    }
    const deflateLength = fileSize - GZIP_HEADER.length - GZIP_TRAILER_SIZE;
    const raw = handle.createReadStream({ start: GZIP_HEADER.length, end: fileSize - GZIP_TRAILER_SIZE - 1, highWaterMark: CHUNK_SIZE, autoClose: false });
    const inflate = zlib.createInflateRaw({ chunkSize: CHUNK_SIZE });
    streams.push(raw, inflate);
    raw.on('error', (err) => inflate.destroy(err));
    raw.pipe(inflate);
    // The compressed bytes in file order: the checked header, the deflate data as it flows into
    // inflate, then the trailer (read in finish()).
    fileHash.update(head);
    raw.on('data', (chunk: Buffer) => fileHash.update(chunk));
    let crc = 0;
    let isize = 0;
    const source = new ByteSource(
      guarded(inflate, file, (chunk) => {
        crc = crc32(chunk, crc);
        isize = (isize + chunk.length) % 2 ** 32;
      }),
      file,
      limit,
    );
    const finish = async (): Promise<void> => {
      // The tar reader has seen the end of the decompressed stream, so inflate has ended.
      if (inflate.bytesWritten !== deflateLength) {
        throw new SneakpackError(
          'BUNDLE_TRAILING_DATA',
          `${file}: ${deflateLength - inflate.bytesWritten} bytes follow the end of the compressed data (another gzip member or appended data); a bundle is exactly one gzip member`,
          { details: { file, offset: GZIP_HEADER.length + inflate.bytesWritten } },
        );
      }
      const trailer = Buffer.alloc(GZIP_TRAILER_SIZE);
      await handle.read(trailer, 0, GZIP_TRAILER_SIZE, fileSize - GZIP_TRAILER_SIZE);
      if (trailer.readUInt32LE(0) !== crc || trailer.readUInt32LE(4) !== isize) {
        throw new SneakpackError('BUNDLE_CORRUPT', `${file}: the gzip trailer (CRC-32 and length) does not match the data; the file is damaged, copy it again`, {
          details: { file },
        });
      }
      // inflate consumed all deflateLength bytes, so all of them went through the 'data' listener.
      fileHash.update(trailer);
      digest = fileHash.digest('hex');
    };
    return { source, compressed, fileSize, finish, close, sha256 };
  } catch (err) {
    await close();
    throw err;
  }
}
