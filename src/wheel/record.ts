/**
 * `RECORD` files — recording installed projects spec, "The RECORD file" (PEP 376), and binary
 * distribution format spec, "The .dist-info directory" (PEP 427): a CSV file of
 * `path,algorithm=urlsafe_b64_digest_without_padding,size` rows.
 *
 * Reading and writing reproduce Python's `csv` module with the dialect pip and pypa/installer use
 * (`delimiter=','`, `quotechar='"'`, `lineterminator='\n'`, minimal quoting, doubled quotes).
 */
import { SneakpackError } from '../errors.js';
import { splitLinesKeepEnds } from './email.js';

/** The hash of a RECORD entry: `algorithm=value`, value urlsafe base64 without `=` padding. */
export interface RecordHash {
  readonly algorithm: string;
  readonly value: string;
}

/** One RECORD row. `hash` and `size` are `null` when the row leaves them empty. */
export interface RecordEntry {
  readonly path: string;
  readonly hash: RecordHash | null;
  readonly size: number | null;
}

/**
 * Hash algorithms accepted in a wheel's RECORD, with their digest sizes in bytes. The binary
 * distribution format spec requires sha256 or stronger and forbids md5 and sha1 (signed wheels
 * rely on RECORD's hashes); names are Python `hashlib` names, as RECORD files spell them.
 */
export const RECORD_HASH_ALGORITHMS: ReadonlyMap<string, number> = new Map([
  ['sha256', 32],
  ['sha384', 48],
  ['sha512', 64],
  ['sha3_256', 32],
  ['sha3_384', 48],
  ['sha3_512', 64],
  ['blake2b', 64],
  ['blake2s', 32],
]);

/** Python's `_csv` default `field_size_limit()`. */
const FIELD_LIMIT = 131072;

/**
 * Read CSV exactly as `csv.reader(io.StringIO(text, newline=''))` does with the excel dialect
 * (non-strict): quoted fields may hold delimiters, quotes (doubled) and line breaks; text after a
 * closing quote is appended to the field; an unterminated quoted field ends at end of input.
 * Internal; exported for tests.
 *
 * @throws Error when a field exceeds Python's field size limit (131072 characters).
 */
export function readCsv(text: string): string[][] {
  type State = 'startRecord' | 'startField' | 'inField' | 'inQuoted' | 'quoteInQuoted' | 'eatCrnl';
  const rows: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let state: State = 'startRecord';
  const save = (): void => {
    fields.push(field);
    field = '';
  };
  const add = (c: string): void => {
    if (field.length >= FIELD_LIMIT) throw new Error(`field larger than field limit (${FIELD_LIMIT})`);
    field += c;
  };
  // `null` is the end-of-line event _csv.c sends after each line's characters.
  const step = (c: string | null): void => {
    switch (state) {
      case 'startRecord':
      case 'startField':
        if (state === 'startRecord') {
          if (c === null) return;
          if (c === '\n' || c === '\r') {
            state = 'eatCrnl';
            return;
          }
          state = 'startField';
        }
        if (c === null || c === '\n' || c === '\r') {
          save();
          state = c === null ? 'startRecord' : 'eatCrnl';
        } else if (c === '"') state = 'inQuoted';
        else if (c === ',') save();
        else {
          add(c);
          state = 'inField';
        }
        return;
      case 'inField':
        if (c === null || c === '\n' || c === '\r') {
          save();
          state = c === null ? 'startRecord' : 'eatCrnl';
        } else if (c === ',') {
          save();
          state = 'startField';
        } else add(c);
        return;
      case 'inQuoted':
        if (c === null) return;
        if (c === '"') state = 'quoteInQuoted';
        else add(c);
        return;
      case 'quoteInQuoted':
        if (c === '"') {
          add('"');
          state = 'inQuoted';
        } else if (c === ',') {
          save();
          state = 'startField';
        } else if (c === null || c === '\n' || c === '\r') {
          save();
          state = c === null ? 'startRecord' : 'eatCrnl';
        } else {
          add(c);
          state = 'inField';
        }
        return;
      case 'eatCrnl':
        if (c === '\n' || c === '\r') return;
        if (c === null) {
          state = 'startRecord';
          return;
        }
        // Unreachable with lines split at every line break, as here.
        throw new Error("new-line character seen in unquoted field");
    }
  };
  const lines = splitLinesKeepEnds(text);
  let i = 0;
  while (i < lines.length) {
    // One record may span several lines (a quoted field holding a line break).
    do {
      if (i >= lines.length) {
        // End of input inside a quoted field: non-strict csv saves what it has.
        save();
        rows.push(fields);
        return rows;
      }
      for (const c of lines[i]!) step(c);
      step(null);
      i++;
    } while (state !== 'startRecord');
    rows.push(fields);
    fields = [];
  }
  return rows;
}

/** Quote a field as `csv.writer` does under `QUOTE_MINIMAL` with `lineterminator='\n'`. */
function csvField(value: string): string {
  return /[,"\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The text of one RECORD hash: `algorithm=value`. */
export function formatRecordHash(hash: RecordHash): string {
  return `${hash.algorithm}=${hash.value}`;
}

/**
 * Parse a RECORD file (recording installed projects spec, "The RECORD file"). Every row must have
 * three fields: a non-empty path, an empty hash or `algorithm=value`, an empty size or a decimal
 * integer. Blank lines are skipped. Paths are returned as written (an installed RECORD may point
 * outside site-packages with `../`); checking them is {@link validateRecord}'s job. Hash algorithms
 * are not checked here either (an installed RECORD written by an old tool may use anything).
 *
 * Differs from pip and installer, which split lines with `str.splitlines()`, only for paths
 * holding line breaks or U+2028-like separators — paths {@link validateRecord} refuses.
 *
 * @throws SneakpackError `INVALID_RECORD` listing every bad row (`details.issues`).
 */
export function parseRecord(text: string, file = 'RECORD'): RecordEntry[] {
  let rows: string[][];
  try {
    rows = readCsv(text);
  } catch (e) {
    throw new SneakpackError('INVALID_RECORD', `${file} is not valid CSV: ${(e as Error).message}`, { details: { file } });
  }
  const entries: RecordEntry[] = [];
  const issues: string[] = [];
  rows.forEach((row, index) => {
    if (row.length === 0) return;
    const where = `row ${index + 1}`;
    if (row.length !== 3) {
      issues.push(`${where}: expected 3 fields (path,hash,size), got ${row.length}: ${JSON.stringify(row)}`);
      return;
    }
    const [path, hashText, sizeText] = row as [string, string, string];
    const rowIssues: string[] = [];
    if (path === '') rowIssues.push(`${where}: the path is empty`);
    let hash: RecordHash | null = null;
    if (hashText !== '') {
      const eq = hashText.indexOf('=');
      if (eq <= 0) rowIssues.push(`${where} (${path}): hash '${hashText}' is not algorithm=value`);
      else hash = Object.freeze({ algorithm: hashText.slice(0, eq), value: hashText.slice(eq + 1) });
    }
    let size: number | null = null;
    if (sizeText !== '') {
      if (!/^[0-9]+$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
        rowIssues.push(`${where} (${path}): size '${sizeText}' is not a non-negative integer`);
      } else size = Number(sizeText);
    }
    if (rowIssues.length > 0) issues.push(...rowIssues);
    else entries.push(Object.freeze({ path, hash, size }));
  });
  if (issues.length > 0) {
    throw new SneakpackError('INVALID_RECORD', `${file} is invalid:\n${issues.map((i) => `  ${i}`).join('\n')}`, {
      details: { file, issues },
    });
  }
  return entries;
}

/**
 * Write RECORD text byte-for-byte as `csv.writer(f, delimiter=',', quotechar='"',
 * lineterminator='\n')` writes `(path, hash or '', size or '')` rows (pip and installer do so).
 * Entries are written in the order given.
 */
export function serializeRecord(entries: Iterable<RecordEntry>): string {
  let out = '';
  for (const e of entries) {
    const hash = e.hash ? formatRecordHash(e.hash) : '';
    const size = e.size === null ? '' : String(e.size);
    out += `${csvField(e.path)},${csvField(hash)},${csvField(size)}\n`;
  }
  return out;
}

/** A file (or directory) in the wheel archive, as {@link validateRecord} sees it. */
export interface ArchiveMember {
  /** Path inside the archive, `/`-separated. */
  readonly path: string;
  /** True for directory entries (they need no RECORD row). */
  readonly isDirectory?: boolean;
  /** Uncompressed size in bytes. */
  readonly size: number;
  /**
   * The member's digest for a RECORD hash algorithm, urlsafe base64 without padding; omitted when
   * contents are not checked (the caller hashes: this module does no I/O).
   */
  readonly digest?: (algorithm: string) => string;
}

/** Options for {@link validateRecord}. */
export interface ValidateRecordOptions {
  /** The wheel's file name, for messages. */
  readonly wheel: string;
  /** The `.dist-info` directory name, e.g. `foo-1.0.dist-info`. */
  readonly distInfoDir: string;
}

/** Characters no RECORD path may hold: C0/C1 controls and Unicode line/paragraph separators. */
const BAD_PATH_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Why `path` cannot be a file in a wheel, or `null` when it is a plain relative path. */
export function unsafeArchivePath(path: string): string | null {
  if (path === '') return 'it is empty';
  if (BAD_PATH_CHARS.test(path)) return 'it holds a control or line-break character';
  if (path.includes('\\')) return "it holds '\\' (archive paths use '/')";
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) return 'it is absolute';
  const parts = path.split('/');
  if (parts.some((p) => p === '..')) return "it has a '..' component";
  if (parts.slice(0, -1).some((p) => p === '' || p === '.')) return "it has an empty or '.' component";
  return null;
}

/**
 * Every problem with a wheel's RECORD against the wheel's members (binary distribution format
 * spec, "The .dist-info directory"; pypa/installer `validate_record`): each RECORD path must be a
 * safe relative path listed once; each hash must use an allowed algorithm
 * ({@link RECORD_HASH_ALGORITHMS}) and be a well-formed digest; every file member except RECORD
 * and its signatures (`RECORD.jws`, `RECORD.p7s`) must be listed with hash and size; every listed
 * path must exist; sizes and (when `digest` is given) hashes must match. Returns `[]` when none.
 */
export function recordIssues(
  entries: readonly RecordEntry[],
  members: readonly ArchiveMember[],
  options: ValidateRecordOptions,
): string[] {
  const issues: string[] = [];
  const w = options.wheel;
  const recordPath = `${options.distInfoDir}/RECORD`;
  const unhashed = new Set([recordPath, `${recordPath}.jws`, `${recordPath}.p7s`]);
  const byPath = new Map<string, RecordEntry>();
  const unusableHash = new Set<RecordEntry>();
  for (const e of entries) {
    if (byPath.has(e.path)) {
      issues.push(`In ${w}, ${e.path} is listed more than once in RECORD`);
      continue;
    }
    byPath.set(e.path, e);
    const unsafe = unsafeArchivePath(e.path);
    if (unsafe) issues.push(`In ${w}, RECORD path ${JSON.stringify(e.path)} is unsafe: ${unsafe}`);
    if (e.hash) {
      const bytes = RECORD_HASH_ALGORITHMS.get(e.hash.algorithm);
      if (bytes === undefined) {
        unusableHash.add(e);
        const weak = e.hash.algorithm === 'md5' || e.hash.algorithm === 'sha1';
        issues.push(
          `In ${w}, ${e.path} has ${weak ? 'a forbidden weak' : 'an unsupported'} hash algorithm '${e.hash.algorithm}' ` +
            `(allowed: ${[...RECORD_HASH_ALGORITHMS.keys()].join(', ')})`,
        );
      } else if (e.hash.value.length !== Math.ceil((bytes * 4) / 3) || !/^[A-Za-z0-9_-]*$/.test(e.hash.value)) {
        unusableHash.add(e);
        issues.push(`In ${w}, ${e.path} has a malformed ${e.hash.algorithm} digest '${e.hash.value}' (urlsafe base64, no padding)`);
      }
    }
  }
  const present = new Set<string>();
  for (const m of members) {
    present.add(m.path);
    if (m.isDirectory) continue;
    const entry = byPath.get(m.path);
    if (!entry) {
      // RECORD cannot hash itself, and signatures of RECORD are made after it.
      if (!unhashed.has(m.path)) issues.push(`In ${w}, ${m.path} is not mentioned in RECORD`);
      continue;
    }
    if (unhashed.has(m.path)) continue;
    if (entry.hash === null || entry.size === null) {
      issues.push(`In ${w}, hash / size of ${m.path} is not included in RECORD`);
      continue;
    }
    if (entry.size !== m.size) {
      issues.push(`In ${w}, size of ${m.path} is ${m.size} but RECORD says ${entry.size}`);
    }
    if (m.digest && !unusableHash.has(entry)) {
      const actual = m.digest(entry.hash.algorithm);
      if (actual !== entry.hash.value) {
        issues.push(`In ${w}, ${entry.hash.algorithm} of ${m.path} is ${actual} but RECORD says ${entry.hash.value}`);
      }
    }
  }
  if (!present.has(recordPath)) issues.push(`In ${w}, ${recordPath} is missing`);
  for (const e of entries) {
    if (!present.has(e.path) && e.path !== recordPath) issues.push(`In ${w}, ${e.path} is listed in RECORD but not in the archive`);
  }
  return issues;
}

/**
 * {@link recordIssues}, throwing when there is any.
 *
 * @throws SneakpackError `INVALID_RECORD` with every issue in the message and `details.issues`.
 */
export function validateRecord(
  entries: readonly RecordEntry[],
  members: readonly ArchiveMember[],
  options: ValidateRecordOptions,
): void {
  const issues = recordIssues(entries, members, options);
  if (issues.length > 0) {
    throw new SneakpackError(
      'INVALID_RECORD',
      `${options.wheel} has an invalid RECORD (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  ${i}`).join('\n'),
      { details: { wheel: options.wheel, issues } },
    );
  }
}
