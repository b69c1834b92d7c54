/**
 * The one tar dialect a bundle uses (docs/FORMAT.md, "The tar layer"): POSIX ustar
 * (POSIX.1-2001 `pax` utility, "ustar Interchange Format"), with a pax extended header
 * (typeflag `x`) carrying only a `path` record, and only when the ustar name/prefix fields
 * cannot hold the path. Every header a bundle contains is the *canonical* encoding of
 * (path, size, mode, mtime): the writer produces it and the reader re-encodes what it parsed and
 * compares bytes, so no header byte is left that the signature does not pin down.
 *
 * Why our own 512-byte blocks instead of tar-stream: the reader must know exactly where the
 * archive ends (trailing data), refuse pax records and GNU extensions it does not expect, notice a
 * size field that disagrees with the signed manifest before reading the data, and reject any
 * header that is not byte-for-byte canonical; tar-stream's extractor is lenient by design (it
 * accepts GNU, old-style and base-256 headers, applies pax globals, ignores what follows the end
 * blocks) and its packer chooses fields we would have to re-specify anyway. tar-stream is still
 * used by the tests to build "foreign" archives.
 *
 * Pure: Buffers in, Buffers out.
 * @module
 */

/** Size of a tar block. */
export const BLOCK_SIZE = 512;
/**
 * Size of a tar record (20 blocks, GNU tar's and bsdtar's default blocking factor). A bundle's
 * length is a multiple of it: after the two zero blocks that end the archive, zeros fill the last
 * record, as `tar` itself writes.
 */
export const RECORD_SIZE = 10240;
/** Largest file a ustar size field (11 octal digits) can describe: 8 GiB − 1 byte. */
export const MAX_ENTRY_SIZE = 8 ** 11 - 1;
/** Largest mtime a ustar mtime field (11 octal digits) can hold (year 2242). */
export const MAX_MTIME = 8 ** 11 - 1;
/** Name field of every pax extended header a bundle contains. */
export const PAX_HEADER_NAME = '././@PaxHeader';

/** Typeflags (ustar `typeflag`). */
export const TYPE = {
  FILE: '0',
  OLD_FILE: '\0',
  HARDLINK: '1',
  SYMLINK: '2',
  CHAR_DEVICE: '3',
  BLOCK_DEVICE: '4',
  DIRECTORY: '5',
  FIFO: '6',
  CONTIGUOUS: '7',
  PAX_EXTENDED: 'x',
  PAX_GLOBAL: 'g',
  GNU_LONGNAME: 'L',
  GNU_LONGLINK: 'K',
} as const;

/** Field offsets and lengths of a ustar header block. */
export const FIELD = {
  name: [0, 100],
  mode: [100, 8],
  uid: [108, 8],
  gid: [116, 8],
  size: [124, 12],
  mtime: [136, 12],
  chksum: [148, 8],
  typeflag: [156, 1],
  linkname: [157, 100],
  magic: [257, 6],
  version: [263, 2],
  uname: [265, 32],
  gname: [297, 32],
  devmajor: [329, 8],
  devminor: [337, 8],
  prefix: [345, 155],
  pad: [500, 12],
} as const satisfies Record<string, readonly [number, number]>;

/** A ustar header field name. */
export type HeaderField = keyof typeof FIELD;

/**
 * Raw values for {@link encodeHeaderBlock}. Strings are written as bytes (UTF-8) NUL-padded;
 * numbers as zero-padded octal of (field length − 1) digits then NUL. Only `chksum` is computed.
 * Tests use this to build hostile headers; the writer uses {@link encodeEntryHeaders}.
 */
export interface RawHeaderFields {
  name?: string | Uint8Array;
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number;
  typeflag?: string;
  linkname?: string;
  magic?: string;
  version?: string;
  uname?: string;
  gname?: string;
  devmajor?: number;
  devminor?: number;
  prefix?: string | Uint8Array;
}

function octal(value: number, width: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`a tar numeric field holds a non-negative integer, got ${value}`);
  const digits = value.toString(8);
  if (digits.length > width - 1) throw new RangeError(`${value} does not fit in ${width - 1} octal digits`);
  return digits.padStart(width - 1, '0') + '\0';
}

function put(block: Buffer, field: HeaderField, value: string | Uint8Array): void {
  const [off, len] = FIELD[field];
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  if (bytes.length > len) throw new RangeError(`tar ${field} field holds ${len} bytes, got ${bytes.length}`);
  bytes.copy(block, off);
}

/** The header checksum: the sum of all 512 bytes with the chksum field taken as 8 spaces. */
export function headerChecksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK_SIZE; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum;
}

/**
 * Encodes one 512-byte header from raw fields (missing numeric fields are written as zeros,
 * missing strings as NULs, magic `ustar\0` and version `00` unless given), with the checksum
 * written as 6 octal digits, NUL, space (the form GNU tar and bsdtar write).
 */
export function encodeHeaderBlock(fields: RawHeaderFields): Buffer {
  const block = Buffer.alloc(BLOCK_SIZE);
  if (fields.name !== undefined) put(block, 'name', fields.name);
  put(block, 'mode', octal(fields.mode ?? 0, 8));
  put(block, 'uid', octal(fields.uid ?? 0, 8));
  put(block, 'gid', octal(fields.gid ?? 0, 8));
  put(block, 'size', octal(fields.size ?? 0, 12));
  put(block, 'mtime', octal(fields.mtime ?? 0, 12));
  put(block, 'typeflag', fields.typeflag ?? TYPE.FILE);
  if (fields.linkname !== undefined) put(block, 'linkname', fields.linkname);
  put(block, 'magic', fields.magic ?? 'ustar\0');
  put(block, 'version', fields.version ?? '00');
  if (fields.uname !== undefined) put(block, 'uname', fields.uname);
  if (fields.gname !== undefined) put(block, 'gname', fields.gname);
  put(block, 'devmajor', octal(fields.devmajor ?? 0, 8));
  put(block, 'devminor', octal(fields.devminor ?? 0, 8));
  if (fields.prefix !== undefined) put(block, 'prefix', fields.prefix);
  const sum = headerChecksum(block);
  put(block, 'chksum', sum.toString(8).padStart(6, '0') + '\0 ');
  return block;
}

/**
 * How a path is stored in ustar fields, or null when it needs a pax `path` record. An ASCII path
 * of at most 100 bytes goes in `name`. A longer ASCII path is split at the LAST `/` among its
 * first 156 bytes (so `prefix` is at most 155 bytes), as GNU tar and Go's archive/tar do; when
 * that leaves an empty name or one over 100 bytes, it needs pax. Non-ASCII paths always use pax,
 * whose `path` is UTF-8 by definition, where ustar fields have no charset.
 */
export function ustarPathFields(path: string): { name: string; prefix: string } | null {
  // eslint-disable-next-line no-control-regex
  if (!/^[\u0000-\u007f]*$/.test(path)) return null;
  if (path.length <= 100) return { name: path, prefix: '' };
  const i = path.lastIndexOf('/', 155);
  if (i <= 0) return null;
  const name = path.slice(i + 1);
  if (name.length === 0 || name.length > 100) return null;
  return { name, prefix: path.slice(0, i) };
}

/** One pax record, `"%d %s=%s\n"`, whose decimal length counts the whole record including itself. */
export function paxRecord(key: string, value: string): Buffer {
  const body = Buffer.from(` ${key}=${value}\n`, 'utf8');
  let len = body.length + 1;
  while (String(len).length + body.length > len) len++;
  const record = Buffer.concat([Buffer.from(String(len), 'ascii'), body]);
  if (record.length !== len) throw new Error('pax record length did not converge');
  return record;
}

/** Zero bytes that pad `size` up to a whole number of blocks. */
export function blockPadding(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}

/**
 * The canonical header bytes of a regular-file entry: the ustar header, preceded (when the path
 * needs it) by a pax `x` header and its padded `path` record. Fields: mode as given (0644 or
 * 0755), uid/gid 0, empty uname/gname, devmajor/devminor 0, empty linkname, mtime as given.
 */
export function encodeEntryHeaders(path: string, size: number, mode: number, mtime: number): Buffer {
  if (size > MAX_ENTRY_SIZE) throw new RangeError(`an entry of ${size} bytes is larger than a ustar header can describe (8 GiB − 1)`);
  const fields = ustarPathFields(path);
  const common = { mode, mtime };
  if (fields !== null) return encodeHeaderBlock({ ...common, name: fields.name, prefix: fields.prefix, size, typeflag: TYPE.FILE });
  const records = paxRecord('path', path);
  return Buffer.concat([
    encodeHeaderBlock({ ...common, mode: 0o644, name: PAX_HEADER_NAME, size: records.length, typeflag: TYPE.PAX_EXTENDED }),
    records,
    Buffer.alloc(blockPadding(records.length)),
    encodeHeaderBlock({ ...common, size, typeflag: TYPE.FILE }),
  ]);
}

/** A parsed header block; strings are the raw field bytes up to the first NUL. */
export interface ParsedHeader {
  readonly name: Buffer;
  readonly prefix: Buffer;
  readonly linkname: Buffer;
  readonly typeflag: string;
  /** Parsed octal values, or null when the field is not a canonical octal number. */
  readonly mode: number | null;
  readonly size: number | null;
  readonly mtime: number | null;
  /** Whether the stored checksum matches the block (either of the accepted spellings). */
  readonly checksumOk: boolean;
  readonly magic: Buffer;
  readonly version: Buffer;
}

function field(block: Buffer, f: HeaderField): Buffer {
  const [off, len] = FIELD[f];
  return block.subarray(off, off + len);
}

function cString(bytes: Buffer): Buffer {
  const nul = bytes.indexOf(0);
  return nul < 0 ? bytes : bytes.subarray(0, nul);
}

/** Octal digits followed by NUL (or space), as ustar writers write them; null for anything else. */
function parseOctal(bytes: Buffer): number | null {
  const text = bytes.toString('latin1');
  const m = /^([0-7]+)[\0 ][\0 ]*$/.exec(text);
  if (m === null) return null;
  const n = parseInt(m[1]!, 8);
  return Number.isSafeInteger(n) ? n : null;
}

/** True when all bytes are zero (an end-of-archive block). */
export function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < block.length; i++) if (block[i] !== 0) return false;
  return true;
}

/** Parses the fields of one header block; validity is for the caller to judge. */
export function parseHeaderBlock(block: Buffer): ParsedHeader {
  const stored = parseOctal(field(block, 'chksum'));
  return {
    name: cString(field(block, 'name')),
    prefix: cString(field(block, 'prefix')),
    linkname: cString(field(block, 'linkname')),
    typeflag: String.fromCharCode(block[FIELD.typeflag[0]]!),
    mode: parseOctal(field(block, 'mode')),
    size: parseOctal(field(block, 'size')),
    mtime: parseOctal(field(block, 'mtime')),
    checksumOk: stored !== null && stored === headerChecksum(block),
    magic: field(block, 'magic'),
    version: field(block, 'version'),
  };
}

/** The first header field in which two blocks differ (for messages), or null when equal. */
export function firstDifferentField(a: Uint8Array, b: Uint8Array): HeaderField | null {
  for (const [name, [off, len]] of Object.entries(FIELD) as [HeaderField, readonly [number, number]][]) {
    for (let i = off; i < off + len; i++) if (a[i] !== b[i]) return name;
  }
  return null;
}

/**
 * Parses pax extended header records (`"%d key=value\n"`, POSIX `pax` "pax Header Block").
 * Returns null when the data is not a well-formed sequence of records with UTF-8 values.
 */
export function parsePaxRecords(data: Buffer): Array<[string, string]> | null {
  const out: Array<[string, string]> = [];
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0 || space - pos > 20) return null;
    const lenText = data.toString('latin1', pos, space);
    if (!/^[1-9][0-9]*$/.test(lenText)) return null;
    const len = Number(lenText);
    if (pos + len > data.length || data[pos + len - 1] !== 0x0a) return null;
    let text: string;
    try {
      text = decoder.decode(data.subarray(space + 1, pos + len - 1));
    } catch {
      return null;
    }
    const eq = text.indexOf('=');
    if (eq <= 0) return null;
    out.push([text.slice(0, eq), text.slice(eq + 1)]);
    pos += len;
  }
  return out;
}
