/**
 * Writing a bundle (docs/FORMAT.md): two streaming passes over the inputs. The first hashes every
 * file (the signature, which comes first in the tar, covers them all); the second streams them
 * into the tar, re-hashing to make sure nothing changed in between. Nothing is ever held in memory
 * whole except the lock file, the manifest and the signed list.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
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
  size: number;
  sha256: string;
}

const CHUNK = 1 << 20;

async function hashFile(abs: string, rel: string, onChunk: (n: number) => void): Promise<{ size: number; sha256: string }> {
  let handle: FileHandle;
  try {
    handle = await open(abs, 'r');
  } catch (err) {
    throw ioError(err, abs, `read ${rel}`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new SneakpackError('UNSUPPORTED_FILE', `${abs} (${rel}) is not a regular file; a bundle holds only regular files`, { details: { file: abs, path: rel } });
    if (st.size > MAX_ENTRY_SIZE) throw new SneakpackError('BUNDLE_TOO_LARGE', `${abs} is ${st.size} bytes; a bundle entry holds at most ${MAX_ENTRY_SIZE}`, { details: { file: abs, size: st.size } });
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of handle.createReadStream({ highWaterMark: CHUNK, autoClose: false })) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
      onChunk((chunk as Buffer).length);
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
  const files: PlannedFile[] = [{ rel: LOCK_NAME, absPath: null, data: Buffer.from(input.lockText, 'utf8'), mode: MODES.file, size: 0, sha256: '' }];
  const wheels = [...input.wheels].sort((a, b) => compareBytewise(a.filename, b.filename));
  for (const w of wheels) {
    if (w.filename.includes('/') || !w.filename.endsWith('.whl')) {
      throw new SneakpackError('USAGE', `wheel file name ${JSON.stringify(w.filename)} must be a single file name ending in .whl`, { details: { path: w.filename } });
    }
    const rel = `${WHEELS_DIR}${w.filename}`;
    checkPath(w.filename, rel, `wheel ${w.path}`);
    files.push({ rel, absPath: w.path, data: null, mode: MODES.file, size: 0, sha256: '' });
  }
  const appFiles = [...input.appFiles].sort((a, b) => compareBytewise(a.path, b.path));
  for (const f of appFiles) {
    const rel = `${APP_DIR}${f.path}`;
    checkPath(f.path, rel, `app file ${f.absPath}`);
    files.push({ rel, absPath: f.absPath, data: null, mode: modeString(f.mode) === '0755' ? MODES.executable : MODES.file, size: 0, sha256: '' });
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

/** Checks what pass 2 reads is what pass 1 hashed. */
class Recheck extends Transform {
  private readonly hash = createHash('sha256');
  private size = 0;
  constructor(
    private readonly file: PlannedFile,
    private readonly onChunk: (n: number) => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.onChunk(chunk.length);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    const sha = this.hash.digest('hex');
    if (this.size !== this.file.size || sha !== this.file.sha256) {
      cb(
        new SneakpackError('BUNDLE_INPUT_CHANGED', `${this.file.absPath} (${this.file.rel}) changed while the bundle was being written; stop whatever is modifying it and build again`, {
          details: { file: this.file.absPath, path: this.file.rel },
        }),
      );
      return;
    }
    cb();
  }
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

/** Hashes and counts the bundle file's bytes on their way to disk. */
class Tap extends Transform {
  readonly hash = createHash('sha256');
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
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

  // Pass 1: hash everything the signature will cover.
  let hashTotal = 0;
  for (const f of files) {
    if (f.data !== null) {
      hashTotal += f.data.length;
      continue;
    }
    try {
      hashTotal += (await stat(f.absPath!)).size;
    } catch (err) {
      throw ioError(err, f.absPath!, `read ${f.rel}`);
    }
  }
  let hashed = 0;
  for (const f of files) {
    if (f.data !== null) {
      f.size = f.data.length;
      f.sha256 = createHash('sha256').update(f.data).digest('hex');
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

  // Pass 2: stream the tar.
  const writeTotal = files.reduce((n, f) => n + f.size, 0);
  let written = 0;
  async function* tar(): AsyncGenerator<Buffer> {
    let pos = 0;
    const emit = (b: Buffer): Buffer => {
      pos += b.length;
      return b;
    };
    const small = (rel: string, data: Buffer, mode: number): Buffer[] => [
      emit(encodeEntryHeaders(`${stem}/${rel}`, data.length, mode, epoch)),
      emit(data),
      emit(Buffer.alloc(blockPadding(data.length))),
    ];
    yield* small(SIG_NAME, sig, MODES.file);
    yield* small(MANIFEST_NAME, manifestBytes, MODES.file);
    for (const f of files) {
      if (f.data !== null) {
        yield* small(f.rel, f.data, f.mode);
        written += f.size;
        progress?.({ phase: 'write', bytesDone: written, bytesTotal: writeTotal, path: f.rel });
        continue;
      }
      yield emit(encodeEntryHeaders(`${stem}/${f.rel}`, f.size, f.mode, epoch));
      const check = new Recheck(f, (n) => {
        written += n;
        progress?.({ phase: 'write', bytesDone: written, bytesTotal: writeTotal, path: f.rel });
      });
      const stream = createReadStream(f.absPath!, { highWaterMark: CHUNK }).pipe(check);
      for await (const chunk of stream) yield emit(chunk as Buffer);
      yield emit(Buffer.alloc(blockPadding(f.size)));
    }
    yield emit(Buffer.alloc(2 * BLOCK_SIZE));
    const fill = (RECORD_SIZE - (pos % RECORD_SIZE)) % RECORD_SIZE;
    if (fill > 0) yield emit(Buffer.alloc(fill));
  }

  const outDir = resolve(options.outDir);
  const gzip = options.gzip ?? false;
  const finalPath = join(outDir, bundleFileName({ app: input.app, target: input.target }, gzip));
  const tmpPath = join(outDir, `.${stem}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const tap = new Tap();
  try {
    const out = createWriteStream(tmpPath, { flags: 'wx', mode: 0o644 });
    const source = Readable.from(tar(), { objectMode: false });
    if (gzip) {
      const deflate = zlib.createGzip({ level: 9, memLevel: 8, windowBits: 15, strategy: zlib.constants.Z_DEFAULT_STRATEGY });
      await pipeline(source, deflate, new CanonicalGzipHeader(), tap, out);
    } else {
      await pipeline(source, tap, out);
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
  return Object.freeze({ path: finalPath, sha256: tap.hash.digest('hex'), size: tap.size, manifest });
}
