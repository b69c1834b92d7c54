/**
 * Writing a bundle (docs/FORMAT.md): two passes over the inputs. The first hashes every file (the
 * signature, which comes first in the tar, covers them all), except wheels whose digest the
 * caller has just computed; the second copies them into the tar in large batches, hashing every
 * byte again to make sure nothing changed in between. Nothing is ever held in memory whole except
 * the lock file, the manifest and the signed list.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { SneakpackError, ioError } from '../errors.js';
import type { ResolvedTarget } from '../target/index.js';
import { type SecretKey, encodeSignature, formatChecksumList, signMessage, signatureComment } from '../sign/index.js';
import { VERSION } from '../version.js';
import {
  type BundleManifest,
  type JsonValue,
  type ManifestFile,
  type ManifestWheel,
  APP_DIR,
  FORMAT_VERSION,
  LOCK_NAME,
  MANIFEST_NAME,
  MODES,
  SIG_NAME,
  WHEELS_DIR,
  bundleFileName,
  bundlePathProblem,
  bundleStem,
  canonicalJson,
  checksumEntriesOf,
  collisionKey,
  compareBytewise,
  fileFolderClash,
  modeString,
  validateManifest,
} from './manifest.js';
import { MAX_MANIFEST_BYTES, MAX_SIG_BYTES } from './read.js';
import { GZIP_HEADER } from './source.js';
import { BLOCK_SIZE, MAX_ENTRY_SIZE, MAX_MTIME, RECORD_SIZE, blockPadding, encodeEntryHeaders } from './tar.js';

/** mtime of every entry when neither the input nor SOURCE_DATE_EPOCH gives one: 1980-01-01T00:00:00Z (the zip epoch, as Python's reproducible-build tools use). */
export const DEFAULT_SOURCE_DATE_EPOCH = 315532800;

/** The app, as the builder read it (`pyproject.toml`, `[tool.sneakpack]`). */
export interface BundleAppInput {
  readonly name: string;
  readonly version: string;
  /** `[project.scripts]`; default none. */
  readonly scripts?: Readonly<Record<string, string>>;
  /** Post-install commands, each an argv; default none. */
  readonly post_install?: readonly (readonly string[])[];
  readonly data_dir_env?: string | null;
  readonly requires_python?: string | null;
  readonly keep_releases?: number | null;
}

/** The target, as recorded in the manifest. See {@link bundleTarget}. */
export interface BundleTargetInput {
  readonly name: string;
  readonly compact: string | null;
  /** JSON-able profile; must carry `marker_environment` (object) and `tags` (strings, best first). */
  readonly profile: { readonly [key: string]: JsonValue };
}

/** One wheel of the closure, on disk. */
export interface BundleWheelInput {
  /** Where the wheel is now. */
  readonly path: string;
  /** Its file name, as stored under `wheels/`. */
  readonly filename: string;
  readonly name: string;
  readonly version: string;
  /** Tags from the file name (`cp311-cp311-manylinux_2_17_armv7l`, …). */
  readonly tags: readonly string[];
  /** The wheel's `Requires-Python`, when the builder read it. */
  readonly requires_python?: string | null;
  /**
   * The wheel's sha256 (lower-case hex) and size, when the builder has just computed them (the
   * resolver hashes every wheel it fetches): the first pass then does not read the wheel again.
   * The second pass still hashes every byte it copies and fails with BUNDLE_INPUT_CHANGED when
   * they differ, exactly as for a digest computed here.
   */
  readonly sha256?: string;
  readonly size?: number;
}

/** One file of the app, on disk. */
export interface BundleAppFileInput {
  /** Path below the app folder, with `/` (stored as `app/<path>`). */
  readonly path: string;
  readonly absPath: string;
  /** Its mode on disk; any execute bit makes it 0755 in the bundle, else 0644. */
  readonly mode: number;
}

/** Everything a bundle is made of; the builder fills it in. */
export interface BundleInput {
  readonly app: BundleAppInput;
  readonly target: BundleTargetInput;
  readonly wheels: readonly BundleWheelInput[];
  readonly appFiles: readonly BundleAppFileInput[];
  /** The PEP 751 lock file text, stored as `pylock.toml`. */
  readonly lockText: string;
  /** Seconds since the epoch for every mtime and `created`; default $SOURCE_DATE_EPOCH, else {@link DEFAULT_SOURCE_DATE_EPOCH}. */
  readonly sourceDateEpoch?: number;
}

/** Progress of {@link writeBundle}: hashing the inputs, then writing the tar. */
export interface WriteProgress {
  readonly phase: 'hash' | 'write';
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** The bundle path being hashed or written. */
  readonly path: string;
}

/** Options of {@link writeBundle}. */
export interface WriteBundleOptions {
  /** The signing key (`readSecretKey`). */
  readonly secretKey: SecretKey;
  /** The `.sec` file it came from: the signature comment becomes "verify with NAME.pub", as signify writes. */
  readonly secretKeyFile?: string;
  /** Folder to write the bundle into (must exist). */
  readonly outDir: string;
  /** gzip-compress (`.tar.gz`). Default false: wheels are compressed already, and the plain tar is byte-exact end to end. */
  readonly gzip?: boolean;
  readonly onProgress?: (progress: WriteProgress) => void;
}

/** A written bundle. */
export interface WrittenBundle {
  readonly path: string;
  /** sha256 of the bundle file. */
  readonly sha256: string;
  readonly size: number;
  readonly manifest: BundleManifest;
}

/**
 * The manifest's target section for a resolved target: its name, compact form and a profile of
 * Python version, marker environment and tags. Pass a captured profile's own JSON instead when
 * there is one (it says more).
 */
export function bundleTarget(target: ResolvedTarget): BundleTargetInput {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.markerEnvironment)) if (v !== undefined) env[k] = v;
  return {
    name: target.name,
    compact: target.compact,
    profile: { python_version: target.pythonVersion, marker_environment: env, tags: target.tags.map(String) },
  };
}

/** SOURCE_DATE_EPOCH from the input, else the environment, else the fixed default. */
export function sourceDateEpoch(input: { readonly sourceDateEpoch?: number }, env: NodeJS.ProcessEnv = process.env): number {
  let value: number;
  let from: string;
  if (input.sourceDateEpoch !== undefined) {
    value = input.sourceDateEpoch;
    from = 'sourceDateEpoch';
  } else if (env.SOURCE_DATE_EPOCH !== undefined && env.SOURCE_DATE_EPOCH !== '') {
    from = 'SOURCE_DATE_EPOCH';
    value = /^\d{1,12}$/.test(env.SOURCE_DATE_EPOCH) ? Number(env.SOURCE_DATE_EPOCH) : NaN;
  } else {
    return DEFAULT_SOURCE_DATE_EPOCH;
  }
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_MTIME) {
    throw new SneakpackError('USAGE', `${from} must be a whole number of seconds from 0 to ${MAX_MTIME}, got ${JSON.stringify(from === 'SOURCE_DATE_EPOCH' ? env.SOURCE_DATE_EPOCH : value)}`, {
      details: { variable: from },
    });
  }
  return value;
}

/** A file to stream into the tar: its bundle path, where it is, and what pass 1 found. */
interface PlannedFile {
  readonly rel: string;
  readonly absPath: string | null;
  readonly data: Buffer | null;
  readonly mode: number;
  /** Digest and size the caller gave (wheels only), checked by pass 2 like one computed by pass 1. */
  readonly known: { readonly sha256: string; readonly size: number } | null;
  size: number;
  sha256: string;
}

/** Read size of pass 1, and the size of the batches pass 2 writes (headers, small files and file data together). */
const CHUNK = 1 << 20;

function changedError(f: PlannedFile): SneakpackError {
  return new SneakpackError('BUNDLE_INPUT_CHANGED', `${f.absPath} (${f.rel}) changed while the bundle was being written; stop whatever is modifying it and build again`, {
    details: { file: f.absPath, path: f.rel },
  });
}

/** Checks a file to be copied as it is: a regular file a ustar header can describe. */
function checkInputFile(st: { isFile(): boolean; size: number }, abs: string, rel: string): void {
  if (!st.isFile()) throw new SneakpackError('UNSUPPORTED_FILE', `${abs} (${rel}) is not a regular file; a bundle holds only regular files`, { details: { file: abs, path: rel } });
  if (st.size > MAX_ENTRY_SIZE) throw new SneakpackError('BUNDLE_TOO_LARGE', `${abs} is ${st.size} bytes; a bundle entry holds at most ${MAX_ENTRY_SIZE}`, { details: { file: abs, size: st.size } });
}

async function hashFile(abs: string, rel: string, onChunk: (n: number) => void): Promise<{ size: number; sha256: string }> {
  let handle: FileHandle;
  try {
    handle = await open(abs, 'r');
  } catch (err) {
    throw ioError(err, abs, `read ${rel}`);
  }
  try {
    checkInputFile(await handle.stat(), abs, rel);
    const hash = createHash('sha256');
    let size = 0;
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      size += bytesRead;
      onChunk(bytesRead);
    }
    return { size, sha256: hash.digest('hex') };
  } catch (err) {
    throw ioError(err, abs, `hash ${rel}`);
  } finally {
    await handle.close();
  }
}

/** `given` is the path as the caller gave it (below app/ or wheels/), `rel` the bundle path. */
function checkPath(given: string, rel: string, what: string): void {
  const problem = bundlePathProblem(rel);
  if (problem !== null) {
    // Escapes are the path guard's business (UNSAFE_PATH); other unstorable names are the caller's to fix.
    const code = given.split('/').includes('..') || given.startsWith('/') ? 'UNSAFE_PATH' : 'USAGE';
    throw new SneakpackError(code, `cannot put ${what} in a bundle as ${JSON.stringify(rel)}: ${problem}; rename it or exclude it`, { details: { path: rel } });
  }
}

/** Validates the input's paths and returns the files in entry order (lock, wheels, app), not yet hashed. */
function plan(input: BundleInput): PlannedFile[] {
  const files: PlannedFile[] = [{ rel: LOCK_NAME, absPath: null, data: Buffer.from(input.lockText, 'utf8'), mode: MODES.file, known: null, size: 0, sha256: '' }];
  const wheels = [...input.wheels].sort((a, b) => compareBytewise(a.filename, b.filename));
  for (const w of wheels) {
    if (w.filename.includes('/') || !w.filename.endsWith('.whl')) {
      throw new SneakpackError('USAGE', `wheel file name ${JSON.stringify(w.filename)} must be a single file name ending in .whl`, { details: { path: w.filename } });
    }
    const rel = `${WHEELS_DIR}${w.filename}`;
    checkPath(w.filename, rel, `wheel ${w.path}`);
    let known: PlannedFile['known'] = null;
    if (w.sha256 !== undefined || w.size !== undefined) {
      if (w.sha256 === undefined || w.size === undefined || !/^[0-9a-f]{64}$/.test(w.sha256) || !Number.isSafeInteger(w.size) || w.size < 0) {
        throw new SneakpackError('USAGE', `wheel ${w.path}: give both its sha256 (64 lower-case hex digits) and its size in bytes, or neither`, { details: { path: w.path } });
      }
      known = { sha256: w.sha256, size: w.size };
    }
    files.push({ rel, absPath: w.path, data: null, mode: MODES.file, known, size: 0, sha256: '' });
  }
  const appFiles = [...input.appFiles].sort((a, b) => compareBytewise(a.path, b.path));
  for (const f of appFiles) {
    const rel = `${APP_DIR}${f.path}`;
    checkPath(f.path, rel, `app file ${f.absPath}`);
    files.push({ rel, absPath: f.absPath, data: null, mode: modeString(f.mode) === '0755' ? MODES.executable : MODES.file, known: null, size: 0, sha256: '' });
  }
  const keys = new Map<string, string>([[collisionKey(SIG_NAME), SIG_NAME], [collisionKey(MANIFEST_NAME), MANIFEST_NAME]]);
  for (const f of files) {
    const other = keys.get(collisionKey(f.rel));
    if (other !== undefined) {
      throw new SneakpackError(
        'BUNDLE_DUPLICATE_ENTRY',
        `${JSON.stringify(f.rel)} and ${JSON.stringify(other)} would be the same file on a case-insensitive or Unicode-normalising file system (a USB stick, macOS, Windows); rename one`,
        { details: { path: f.rel, other } },
      );
    }
    keys.set(collisionKey(f.rel), f.rel);
  }
  const clash = fileFolderClash(files.map((f) => f.rel));
  if (clash !== null) {
    throw new SneakpackError('BUNDLE_DUPLICATE_ENTRY', `${JSON.stringify(clash[0])} is a file, but ${JSON.stringify(clash[1])} needs it to be a folder; both cannot be extracted`, {
      details: { path: clash[0], other: clash[1] },
    });
  }
  return files;
}

/** Forces sneakpack's canonical 10-byte gzip header (zlib writes its build's OS byte). */
class CanonicalGzipHeader extends Transform {
  private seen = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.seen < GZIP_HEADER.length) {
      const out = Buffer.from(chunk);
      for (let i = 0; i < out.length && this.seen + i < GZIP_HEADER.length; i++) {
        const want = GZIP_HEADER[this.seen + i]!;
        // Byte 9 (OS) is the only one zlib may spell differently; anything else means the settings changed.
        if (this.seen + i !== 9 && out[i] !== want) {
          cb(new Error(`zlib wrote gzip header byte ${this.seen + i} as ${out[i]}, expected ${want}`));
          return;
        }
        out[i] = want;
      }
      this.seen += chunk.length;
      cb(null, out);
      return;
    }
    cb(null, chunk);
  }
}

/** Hashes and counts the bundle file's bytes on their way to disk (the gzip path). */
class Tap extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }
}

/** Writes all of `data` at the handle's position. */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, null);
    done += bytesWritten;
  }
}

/**
 * Writes the bundle for `input` into `options.outDir` as `NAME-VERSION-TARGET.tar` (or `.tar.gz`):
 * first to a temporary name in the same folder, fsynced, then renamed, so a bundle with the final
 * name is always complete (an existing one is replaced). Deterministic: the same input gives the
 * same bytes whatever the folder, clock, umask or file mtimes (docs/FORMAT.md "Reproducibility").
 * @throws SneakpackError USAGE / UNSAFE_PATH for a path that cannot be stored,
 *   BUNDLE_DUPLICATE_ENTRY for paths that collide by case or normalisation, UNSUPPORTED_FILE,
 *   BUNDLE_TOO_LARGE, BUNDLE_INPUT_CHANGED when a file changes during the build, FILE_NOT_FOUND /
 *   IO_ERROR.
 */
export async function writeBundle(input: BundleInput, options: WriteBundleOptions): Promise<WrittenBundle> {
  const epoch = sourceDateEpoch(input);
  const stem = bundleStem(input.app, input.target);
  const files = plan(input);
  const progress = options.onProgress;

  // Pass 1: hash everything the signature will cover (wheels the caller hashed are only checked).
  // Every input stat'ed at once (one thread-pool round trip each); problems reported in entry order.
  const stats = await Promise.all(files.map((f) => (f.data !== null ? null : stat(f.absPath!).catch((err: unknown) => ({ err })))));
  let hashTotal = 0;
  files.forEach((f, i) => {
    if (f.data !== null) {
      hashTotal += f.data.length;
      return;
    }
    const st = stats[i]!;
    if ('err' in st) throw ioError(st.err, f.absPath!, `read ${f.rel}`);
    if (f.known !== null) {
      checkInputFile(st, f.absPath!, f.rel);
      if (st.size !== f.known.size) throw changedError(f);
    }
    hashTotal += st.size;
  });
  let hashed = 0;
  for (const f of files) {
    if (f.data !== null || f.known !== null) {
      if (f.data !== null) {
        f.size = f.data.length;
        f.sha256 = createHash('sha256').update(f.data).digest('hex');
      } else {
        f.size = f.known!.size;
        f.sha256 = f.known!.sha256;
      }
      hashed += f.size;
      progress?.({ phase: 'hash', bytesDone: hashed, bytesTotal: hashTotal, path: f.rel });
    } else {
      const r = await hashFile(f.absPath!, f.rel, (n) => {
        hashed += n;
        progress?.({ phase: 'hash', bytesDone: hashed, bytesTotal: hashTotal, path: f.rel });
      });
      f.size = r.size;
      f.sha256 = r.sha256;
    }
  }

  const byRel = new Map(files.map((f) => [f.rel, f]));
  const wheels: ManifestWheel[] = [...input.wheels]
    .sort((a, b) => compareBytewise(a.filename, b.filename))
    .map((w) => {
      const f = byRel.get(`${WHEELS_DIR}${w.filename}`)!;
      return { file: w.filename, name: w.name, version: w.version, tags: [...w.tags], size: f.size, sha256: f.sha256, requires_python: w.requires_python ?? null };
    });
  const manifestFiles: ManifestFile[] = files.map((f) => ({ path: f.rel, size: f.size, sha256: f.sha256, mode: f.mode === MODES.executable ? '0755' : '0644' }));
  // Decided before the manifest, which records it (the comment line is not covered by Ed25519).
  // signify's own choice: "verify with NAME.pub" for NAME.sec, else "signature from <key comment>".
  const comment = signatureComment(options.secretKeyFile) ?? `signature from ${options.secretKey.comment}`;
  const manifest: BundleManifest = {
    format: FORMAT_VERSION,
    app: {
      name: input.app.name,
      version: input.app.version,
      scripts: { ...(input.app.scripts ?? {}) },
      post_install: [...(input.app.post_install ?? [])],
      data_dir_env: input.app.data_dir_env ?? null,
      requires_python: input.app.requires_python ?? null,
      keep_releases: input.app.keep_releases ?? null,
    },
    target: { name: input.target.name, compact: input.target.compact, profile: input.target.profile },
    wheels,
    files: manifestFiles,
    builder: { name: 'sneakpack', version: VERSION },
    signer: { keynum: options.secretKey.keynum, comment },
    created: epoch,
  };
  let manifestText: string;
  try {
    manifestText = canonicalJson(manifest);
  } catch (err) {
    throw new SneakpackError('USAGE', `cannot write the manifest: ${(err as Error).message}`, { cause: err });
  }
  // The writer checks its own output with the reader's rules, so it never signs what verify refuses.
  validateManifest(JSON.parse(manifestText), 'manifest.json (being written)');
  const manifestBytes = Buffer.from(manifestText, 'utf8');
  if (manifestBytes.length > MAX_MANIFEST_BYTES) throw new SneakpackError('BUNDLE_TOO_LARGE', `the manifest would be ${manifestBytes.length} bytes, more than ${MAX_MANIFEST_BYTES}; the app has too many files`);
  const list = formatChecksumList(checksumEntriesOf(manifest, createHash('sha256').update(manifestBytes).digest('hex')));
  const message = new TextEncoder().encode(list);
  const sig = Buffer.from(encodeSignature(signMessage(options.secretKey, message, comment), message));
  if (sig.length > MAX_SIG_BYTES) throw new SneakpackError('BUNDLE_TOO_LARGE', `the signed list would be ${sig.length} bytes, more than ${MAX_SIG_BYTES}; the app has too many files`);

  // Pass 2: the tar, in batches of about CHUNK bytes: headers, padding and small files share a
  // batch, and file data is read straight into it. Every byte copied is hashed again and checked
  // against pass 1.
  const writeTotal = files.reduce((n, f) => n + f.size, 0);
  let written = 0;
  // Batches the consumer has finished with (the plain path hands them back; gzip keeps them).
  const spare: Buffer[] = [];
  async function* tar(): AsyncGenerator<Buffer> {
    let batch: Buffer = Buffer.allocUnsafe(CHUNK);
    let fill = 0;
    let pos = 0;
    /** The filled part of the batch, handed over; the next batch is a spare one or new. */
    const flush = (): Buffer => {
      const out = batch.subarray(0, fill);
      batch = spare.pop() ?? Buffer.allocUnsafe(CHUNK);
      fill = 0;
      return out;
    };
    /** Copies `data` into batches; yields every batch it fills. */
    function* put(data: Buffer): Generator<Buffer> {
      let at = 0;
      while (at < data.length) {
        const n = Math.min(data.length - at, CHUNK - fill);
        data.copy(batch, fill, at, at + n);
        fill += n;
        at += n;
        pos += n;
        if (fill === CHUNK) yield flush();
      }
    }
    function* zeros(n: number): Generator<Buffer> {
      while (n > 0) {
        const k = Math.min(n, CHUNK - fill);
        batch.fill(0, fill, fill + k);
        fill += k;
        n -= k;
        pos += k;
        if (fill === CHUNK) yield flush();
      }
    }
    function* small(rel: string, data: Buffer, mode: number): Generator<Buffer> {
      yield* put(encodeEntryHeaders(`${stem}/${rel}`, data.length, mode, epoch));
      yield* put(data);
      yield* zeros(blockPadding(data.length));
    }
    /** Opens input `i`, settling to the handle or the error; started one file ahead. */
    const opening = (i: number): Promise<FileHandle | { err: unknown }> => open(files[i]!.absPath!, 'r').catch((err: unknown) => ({ err }));
    const nextOnDisk = (after: number): number => {
      let j = after + 1;
      while (j < files.length && files[j]!.data !== null) j++;
      return j;
    };
    // The next input is opened while this one is copied: a bundle of many small wheels would
    // otherwise wait for an open per file.
    let ahead: { index: number; handle: Promise<FileHandle | { err: unknown }> } | null = null;
    const first = nextOnDisk(-1);
    if (first < files.length) ahead = { index: first, handle: opening(first) };
    try {
      yield* small(SIG_NAME, sig, MODES.file);
      yield* small(MANIFEST_NAME, manifestBytes, MODES.file);
      for (let i = 0; i < files.length; i++) {
        const f = files[i]!;
        if (f.data !== null) {
          yield* small(f.rel, f.data, f.mode);
          written += f.size;
          progress?.({ phase: 'write', bytesDone: written, bytesTotal: writeTotal, path: f.rel });
          continue;
        }
        yield* put(encodeEntryHeaders(`${stem}/${f.rel}`, f.size, f.mode, epoch));
        const opened = await ahead!.handle;
        const next = nextOnDisk(i);
        ahead = next < files.length ? { index: next, handle: opening(next) } : null;
        if ('err' in opened) throw ioError(opened.err, f.absPath!, `read ${f.rel}`);
        const handle = opened;
        const hash = createHash('sha256');
        let size = 0;
        try {
          for (;;) {
            if (fill === CHUNK) yield flush();
            // Never past the size pass 1 saw (one byte more is enough to notice a file that grew).
            const want = Math.min(CHUNK - fill, f.size - size + 1);
            let bytesRead: number;
            try {
              ({ bytesRead } = await handle.read(batch, fill, want, null));
            } catch (err) {
              throw ioError(err, f.absPath!, `read ${f.rel}`);
            }
            if (bytesRead === 0) break;
            size += bytesRead;
            if (size > f.size) throw changedError(f);
            hash.update(batch.subarray(fill, fill + bytesRead));
            fill += bytesRead;
            pos += bytesRead;
            written += bytesRead;
            progress?.({ phase: 'write', bytesDone: written, bytesTotal: writeTotal, path: f.rel });
            // A short read of a regular file is its end: no second read to see the 0.
            if (bytesRead < want && size === f.size) break;
          }
        } finally {
          // Nothing to flush on a read-only file: its close need not hold up the copy.
          handle.close().catch(() => undefined);
        }
        if (size !== f.size || hash.digest('hex') !== f.sha256) throw changedError(f);
        yield* zeros(blockPadding(f.size));
      }
      yield* zeros(2 * BLOCK_SIZE);
      yield* zeros((RECORD_SIZE - (pos % RECORD_SIZE)) % RECORD_SIZE);
      if (fill > 0) yield flush();
    } finally {
      // Stopped early (an error): close the file opened ahead.
      if (ahead !== null) void ahead.handle.then((h) => ('err' in h ? undefined : h.close().catch(() => undefined)));
    }
  }

  const outDir = resolve(options.outDir);
  const gzip = options.gzip ?? false;
  const finalPath = join(outDir, bundleFileName({ app: input.app, target: input.target }, gzip));
  const tmpPath = join(outDir, `.${stem}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let bundleSha256: string;
  let bundleSize = 0;
  try {
    if (gzip) {
      const tap = new Tap();
      const out = createWriteStream(tmpPath, { flags: 'wx', mode: 0o644 });
      const deflate = zlib.createGzip({ level: 9, memLevel: 8, windowBits: 15, strategy: zlib.constants.Z_DEFAULT_STRATEGY });
      await pipeline(Readable.from(tar(), { objectMode: false }), deflate, new CanonicalGzipHeader(), tap, out);
      bundleSha256 = tap.hash.digest('hex');
      bundleSize = tap.size;
    } else {
      const hash = createHash('sha256');
      const handle = await open(tmpPath, 'wx', 0o644);
      // One write in flight while the next batch is read and hashed.
      let pending: Promise<void> = Promise.resolve();
      try {
        for await (const chunk of tar()) {
          hash.update(chunk);
          bundleSize += chunk.length;
          await pending;
          // Once written, the batch (a view of a CHUNK-byte buffer) can be filled again.
          pending = writeAll(handle, chunk).then(() => {
            if (chunk.buffer.byteLength - chunk.byteOffset >= CHUNK) spare.push(Buffer.from(chunk.buffer, chunk.byteOffset, CHUNK));
          });
          // Settled by the await above or below; never an unhandled rejection meanwhile.
          pending.catch(() => undefined);
        }
        await pending;
      } finally {
        await pending.catch(() => undefined);
        await handle.close();
      }
      bundleSha256 = hash.digest('hex');
    }
    const handle = await open(tmpPath, 'r+');
    try {
      // The umask narrowed the mode at creation; a bundle is world-readable like any release file.
      await handle.chmod(0o644);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmpPath, finalPath);
  } catch (err) {
    await rm(tmpPath, { force: true });
    throw ioError(err, finalPath, 'write the bundle');
  }
  try {
    const dir = await open(outDir, 'r');
    await dir.sync().catch(() => undefined);
    await dir.close();
  } catch {
    // Best effort: some file systems cannot fsync a folder.
  }
  return Object.freeze({ path: finalPath, sha256: bundleSha256, size: bundleSize, manifest });
}
