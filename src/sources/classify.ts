/**
 * Naming distribution files, and hashing them: what a file name says (wheel, sdist, something
 * else), and checking downloaded bytes against the hashes an index gave.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { CHUNK_SIZE, fileChunks } from '../chunks.js';
import { SneakpackError } from '../errors.js';
import { type Version, tryParseVersion } from '../pep440/index.js';
import { canonicalizeName } from '../pep508/index.js';
import { type WheelFilename, parseWheelFilename } from '../wheel/index.js';
import type { DistFile, DistKind } from './types.js';

/**
 * Source-archive extensions pip recognises (`pip._internal.utils.filetypes.ARCHIVE_EXTENSIONS`
 * minus `.whl`), longest first so `.tar.gz` wins over `.gz`-less `.tar`.
 */
export const SDIST_EXTENSIONS: readonly string[] = Object.freeze([
  '.tar.lzma', '.tar.bz2', '.tar.gz', '.tar.xz', '.tar.lz', '.tbz', '.txz', '.tlz', '.tgz', '.tar', '.zip',
]);

/** What a file name says about a distribution; see {@link classifyFilename}. */
export interface FilenameClass {
  readonly kind: DistKind;
  /** Normalised project name, or `''` when the name says nothing. */
  readonly project: string;
  readonly version?: Version;
  readonly wheel?: WheelFilename;
  readonly reason?: string;
}

/**
 * Where the project name ends in `stem` for the normalised `project`, as pip's
 * `_find_name_version_sep`: the first `-` whose prefix canonicalises to the project. `-1` if none.
 */
function nameVersionSep(stem: string, project: string): number {
  for (let i = stem.indexOf('-'); i >= 0; i = stem.indexOf('-', i + 1)) {
    if (canonicalizeName(stem.slice(0, i)) === project) return i;
  }
  return -1;
}

/**
 * The project a broken wheel name is most likely for: the `-`-separated parts before the first
 * part that reads as a version (`foo-bar-1.0-py3-none-any.whl` → `foo-bar`), else the first part.
 */
function guessWheelProject(stem: string): string {
  const parts = stem.split('-');
  const v = parts.findIndex((p, i) => i > 0 && tryParseVersion(p) !== null);
  return canonicalizeName(v > 0 ? parts.slice(0, v).join('-') : parts[0]!);
}

/**
 * Classify a distribution file name (binary distribution format "File name convention"; source
 * distribution format / PEP 625 for sdists).
 *
 * - `*.whl` → `wheel` when {@link parseWheelFilename} accepts it; otherwise `other` with the parse
 *   error as `reason` and the project guessed from the name, so "found only a broken wheel" can be
 *   said.
 * - A source archive ({@link SDIST_EXTENSIONS}) → `sdist`. Sdist names are ambiguous (project names
 *   may hold `-`). When `project` is given and the text after pip's split point for it
 *   (`_find_name_version_sep`) is a valid version, that is the answer; otherwise the split is at
 *   the last `-` (packaging's `parse_sdist_filename`); when neither gives a valid version, the sdist
 *   is attributed to `project` if its name starts with it, with the reason.
 * - Anything else → `other`, project `''`.
 *
 * @param project The normalised project being looked for, if any (guides the sdist split).
 */
export function classifyFilename(filename: string, project?: string): FilenameClass {
  if (filename.endsWith('.whl')) {
    try {
      const wheel = parseWheelFilename(filename);
      return { kind: 'wheel', project: wheel.normalizedName, version: wheel.version, wheel };
    } catch (e) {
      return { kind: 'other', project: guessWheelProject(filename.slice(0, -4)), reason: (e as Error).message };
    }
  }
  const lower = filename.toLowerCase();
  const ext = SDIST_EXTENSIONS.find((x) => lower.endsWith(x));
  if (ext === undefined) return { kind: 'other', project: '', reason: `'${filename}' is not a wheel or a source archive` };
  const stem = filename.slice(0, -ext.length);
  const guided = project === undefined ? -1 : nameVersionSep(stem, project);
  if (guided >= 0) {
    const version = tryParseVersion(stem.slice(guided + 1));
    if (version !== null) return { kind: 'sdist', project: project!, version };
  }
  const last = stem.lastIndexOf('-');
  if (last > 0) {
    const version = tryParseVersion(stem.slice(last + 1));
    if (version !== null) return { kind: 'sdist', project: canonicalizeName(stem.slice(0, last)), version };
  }
  if (guided >= 0) {
    return { kind: 'sdist', project: project!, reason: `sdist '${filename}' has an invalid version '${stem.slice(guided + 1)}'` };
  }
  if (last <= 0) return { kind: 'sdist', project: canonicalizeName(stem), reason: `sdist '${filename}' has no version in its name` };
  return {
    kind: 'sdist',
    project: canonicalizeName(stem.slice(0, last)),
    reason: `sdist '${filename}' has an invalid version '${stem.slice(last + 1)}'`,
  };
}

/** Build a frozen {@link DistFile} (drops `undefined` optional fields so objects compare cleanly). */
export function makeDistFile(fields: DistFile): DistFile {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out[k] = v;
  out.hashes = Object.freeze({ ...fields.hashes });
  return Object.freeze(out) as unknown as DistFile;
}

/**
 * Hash names accepted from an index (PEP 503 "hashname": `md5`, `sha1`, `sha224`, `sha256`,
 * `sha384`, `sha512` — the `hashlib` names pip honours). Others are ignored, as pip does.
 */
export const INDEX_HASH_NAMES: ReadonlySet<string> = new Set(['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512']);

/** Keep the hashes we can check, names and digests lower-cased (hex is case-insensitive). */
export function supportedHashes(hashes: Readonly<Record<string, unknown>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(hashes)) {
    const n = name.toLowerCase();
    // A malformed digest is kept (it can never match), so the file fails loudly instead of going unchecked.
    if (INDEX_HASH_NAMES.has(n) && typeof value === 'string') out[n] = value.toLowerCase();
  }
  return out;
}

/** Incremental hashing of a byte stream with sha256 plus every algorithm in `names`. */
export class MultiHasher {
  private readonly hashes = new Map<string, ReturnType<typeof createHash>>();
  size = 0;
  constructor(names: Iterable<string>) {
    this.hashes.set('sha256', createHash('sha256'));
    for (const n of names) if (!this.hashes.has(n) && INDEX_HASH_NAMES.has(n)) this.hashes.set(n, createHash(n));
  }
  update(chunk: Uint8Array): void {
    this.size += chunk.length;
    for (const h of this.hashes.values()) h.update(chunk);
  }
  /** Hex digests by name (always includes `sha256`). */
  digest(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [n, h] of this.hashes) out[n] = h.digest('hex');
    return out;
  }
}

/**
 * Read buffers of {@link hashFile}, reused: a build hashes every wheel of the closure, and a fresh
 * pair of large buffers per file made the garbage collector a visible part of it.
 */
const spareBuffers: Buffer[] = [];
const takeBuffer = (): Buffer => spareBuffers.pop() ?? Buffer.allocUnsafe(CHUNK_SIZE);
const giveBuffer = (b: Buffer): void => {
  if (spareBuffers.length < 4) spareBuffers.push(b);
};

/**
 * Hash a local file, streaming; returns hex digests (sha256 plus `names`) and the size. Reads
 * large chunks, the next one in flight while the last is hashed ({@link fileChunks}).
 */
export async function hashFile(path: string, names: Iterable<string> = []): Promise<{ digests: Record<string, string>; size: number }> {
  const hasher = new MultiHasher(names);
  const handle = await open(path, 'r');
  const buffers: [Buffer, Buffer] = [takeBuffer(), takeBuffer()];
  try {
    for await (const chunk of fileChunks(handle, buffers)) hasher.update(chunk);
  } finally {
    await handle.close();
    giveBuffer(buffers[0]);
    giveBuffer(buffers[1]);
  }
  return { digests: hasher.digest(), size: hasher.size };
}

/**
 * Compare `actual` digests with every `expected` one (pip's `--require-hashes` rule is "any
 * matches"; an index vouches for each hash it gives, so here every given hash must match).
 *
 * @throws SneakpackError `HASH_MISMATCH` naming the file, where it came from, and both digests.
 */
export function checkHashes(
  expected: Readonly<Record<string, string>>,
  actual: Readonly<Record<string, string>>,
  what: { filename: string; from: string },
): void {
  for (const [name, want] of Object.entries(expected)) {
    const got = actual[name];
    if (got === undefined) continue;
    if (got !== want.toLowerCase()) {
      throw new SneakpackError(
        'HASH_MISMATCH',
        `${what.filename} from ${what.from} has ${name} ${got}, but the index says ${want}; ` +
          `the file was changed or corrupted in transit (it was not kept)`,
        { details: { filename: what.filename, from: what.from, algorithm: name, expected: want, actual: got } },
      );
    }
  }
}

/**
 * A URL for messages and labels: credentials replaced by `***`, so index passwords never reach a
 * terminal or a log.
 */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    if (u.username !== '' || u.password !== '') {
      u.username = '***';
      u.password = '';
    }
    return u.toString();
  } catch {
    return String(url).replace(/\/\/[^/@]*@/, '//***@');
  }
}
