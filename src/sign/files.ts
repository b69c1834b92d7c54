/**
 * Signing and verifying files, and signed checksum lists (`SHA256.sig`), as signify does:
 * a thin I/O facade over {@link ./signify.ts}. What sneakpack writes here, stock
 * `signify -V` / `signify -C` checks, and the other way round.
 * @module
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open, readFile, stat, writeFile } from 'node:fs/promises';
import { fileChunks } from '../chunks.js';
import { basename, isAbsolute, join } from 'node:path';
import { SneakpackError, ioError } from '../errors.js';
import {
  type ChecksumAlgorithm,
  type ChecksumEntry,
  type PublicKey,
  type SecretKey,
  type TrustedKey,
  type TrustedKeys,
  decodeEmbeddedSignature,
  decodeSignature,
  encodeSignature,
  formatChecksumList,
  parseChecksumList,
  signMessage,
  verifySignature,
} from './signify.js';

/** File name OpenBSD uses for a signed checksum list, and sneakpack's default. */
export const CHECKSUM_LIST_NAME = 'SHA256.sig';

/** signify refuses messages over 1 GiB (`readmsg`); so do we, before reading them into memory. */
const MAX_MESSAGE_BYTES = 1 << 30;

async function readWhole(file: string, doing: string): Promise<Uint8Array> {
  try {
    const st = await stat(file);
    if (st.size > MAX_MESSAGE_BYTES) throw new SneakpackError('IO_ERROR', `${file} is larger than 1 GiB, which signify cannot sign or verify; sign a checksum list instead`, { details: { file } });
    return new Uint8Array(await readFile(file));
  } catch (err) {
    if (err instanceof SneakpackError) throw err;
    throw ioError(err, file, doing);
  }
}

async function writeOut(file: string, data: Uint8Array | string): Promise<void> {
  try {
    await writeFile(file, data, { mode: 0o644 });
  } catch (err) {
    throw ioError(err, file, 'write it');
  }
}

/**
 * The comment signify puts in a signature made with `NAME.sec`: "verify with NAME.pub"
 * (basename only), or undefined when the key file is not named `*.sec` (then signify writes
 * "signature from <key comment>", which {@link signMessage} does by default).
 */
export function signatureComment(secretKeyFile: string | undefined): string | undefined {
  if (secretKeyFile === undefined) return undefined;
  const name = basename(secretKeyFile);
  return name.length > 4 && name.endsWith('.sec') ? `verify with ${name.slice(0, -4)}.pub` : undefined;
}

/** Options for {@link signFile} and {@link writeSignedChecksumList}. */
export interface SignOptions {
  /** The `.sec` file the key came from, for signify's "verify with NAME.pub" comment. */
  readonly secretKeyFile?: string;
  /** Overrides the signature's untrusted comment. */
  readonly comment?: string;
}

/**
 * Signs `messageFile` into `sigFile`, like `signify -S -s KEY -m MESSAGE -x SIG` (with `embedded`,
 * `-e`: the message is copied after the signature).
 */
export async function signFile(secretKey: SecretKey, messageFile: string, sigFile: string, options: SignOptions & { embedded?: boolean } = {}): Promise<void> {
  const message = await readWhole(messageFile, 'read the message to sign');
  const sig = signMessage(secretKey, message, options.comment ?? signatureComment(options.secretKeyFile));
  await writeOut(sigFile, encodeSignature(sig, options.embedded ? message : undefined));
}

/** Verifies a detached signature, like `signify -V -p PUB -m MESSAGE -x SIG`; returns the key. */
export async function verifyFile(trusted: TrustedKeys | PublicKey, messageFile: string, sigFile: string): Promise<TrustedKey> {
  const sig = decodeSignature(await readWhole(sigFile, 'read the signature'), sigFile);
  const message = await readWhole(messageFile, 'read the signed file');
  return verifySignature(trusted, sig, message, sigFile);
}

/** Verifies an embedded signature, like `signify -V -e`; returns the key and the message. */
export async function verifyEmbeddedFile(trusted: TrustedKeys | PublicKey, sigFile: string): Promise<{ key: TrustedKey; message: Uint8Array }> {
  const { signature, message } = decodeEmbeddedSignature(await readWhole(sigFile, 'read the signature'), sigFile);
  return { key: verifySignature(trusted, signature, message, sigFile), message };
}

const NODE_HASH: Readonly<Record<ChecksumAlgorithm, string>> = { SHA256: 'sha256', SHA512: 'sha512' };

/** Hex digest of a file, read in chunks ({@link fileChunks}) so files of any size hash in constant memory. */
export async function hashFile(file: string, algorithm: ChecksumAlgorithm = 'SHA256'): Promise<string> {
  const hash = createHash(NODE_HASH[algorithm]);
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    for await (const chunk of fileChunks(handle)) hash.update(chunk);
  } catch (err) {
    throw ioError(err, file, 'hash it');
  } finally {
    await handle?.close();
  }
  return hash.digest('hex');
}

/**
 * A checksum-list path resolved under `dir`. signify opens listed paths as they are; sneakpack
 * only opens relative paths without `..`, so a list cannot reach outside its folder.
 */
function listedPath(dir: string, path: string, source: string): string {
  const segments = path.split('/');
  if (isAbsolute(path) || path.includes('\\') || segments.includes('..')) {
    throw new SneakpackError('UNSAFE_PATH', `${source}: refusing to check ${JSON.stringify(path)}: checksum list paths must be relative and stay inside ${dir}`, {
      details: { file: source, path },
    });
  }
  return join(dir, path);
}

/**
 * Hashes `paths` (relative to `dir`, using "/") and writes `dir/SHA256.sig`: an embedded signature
 * whose message is the `SHA256 (path) = hex` list, which `signify -C -p KEY.pub -x SHA256.sig`
 * checks from inside `dir`. Returns the file written and the entries, sorted by path.
 */
export async function writeSignedChecksumList(
  dir: string,
  paths: readonly string[],
  secretKey: SecretKey,
  options: SignOptions & { sigName?: string } = {},
): Promise<{ file: string; entries: ChecksumEntry[] }> {
  const sigFile = join(dir, options.sigName ?? CHECKSUM_LIST_NAME);
  const entries: ChecksumEntry[] = [];
  for (const path of paths) {
    entries.push({ algorithm: 'SHA256', path, digest: await hashFile(listedPath(dir, path, sigFile)) });
  }
  const list = formatChecksumList(entries);
  const message = new TextEncoder().encode(list);
  const sig = signMessage(secretKey, message, options.comment ?? signatureComment(options.secretKeyFile));
  await writeOut(sigFile, encodeSignature(sig, message));
  return { file: sigFile, entries: parseChecksumList(list, sigFile) };
}

/** One file that failed {@link checkSignedChecksumList}. */
export interface ChecksumFailure {
  readonly path: string;
  readonly reason: 'changed' | 'missing' | 'not-listed';
  readonly expected?: string;
  readonly actual?: string;
}

/**
 * Verifies `dir/SHA256.sig` like `signify -C -p KEY.pub -x SHA256.sig [file ...]` run in `dir`:
 * the list's signature against the trusted keys, then every listed file's digest (or only those
 * in `only`, each of which must be listed). Every failing file is reported, not just the first.
 * @throws SneakpackError UNTRUSTED_KEY / SIGNATURE_MISMATCH / INVALID_SIGNATURE for the list
 *   itself, INVALID_CHECKSUM_LIST when its message is not a checksum list, UNSAFE_PATH for a path
 *   leaving `dir`, CHECKSUM_MISMATCH naming each changed, missing or unlisted file.
 */
export async function checkSignedChecksumList(
  dir: string,
  trusted: TrustedKeys | PublicKey,
  options: { sigName?: string; only?: readonly string[] } = {},
): Promise<{ key: TrustedKey; entries: ChecksumEntry[] }> {
  const sigFile = join(dir, options.sigName ?? CHECKSUM_LIST_NAME);
  const { key, message } = await verifyEmbeddedFile(trusted, sigFile);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(message);
  } catch {
    throw new SneakpackError('INVALID_CHECKSUM_LIST', `${sigFile}: the signed message is not UTF-8 text, so it is not a checksum list; check you passed the right file`, { details: { file: sigFile } });
  }
  const entries = parseChecksumList(text, sigFile);
  const wanted = options.only === undefined ? undefined : new Set(options.only);
  const failures: ChecksumFailure[] = [];
  for (const entry of entries) {
    if (wanted !== undefined && !wanted.has(entry.path)) continue;
    wanted?.delete(entry.path);
    const file = listedPath(dir, entry.path, sigFile);
    let actual: string;
    try {
      actual = await hashFile(file, entry.algorithm);
    } catch (err) {
      if (err instanceof SneakpackError && err.code === 'FILE_NOT_FOUND') {
        failures.push({ path: entry.path, reason: 'missing', expected: entry.digest });
        continue;
      }
      throw err;
    }
    if (actual !== entry.digest) failures.push({ path: entry.path, reason: 'changed', expected: entry.digest, actual });
  }
  for (const path of wanted ?? []) failures.push({ path, reason: 'not-listed' });
  if (failures.length > 0) {
    const lines = failures.map((f) =>
      f.reason === 'changed'
        ? `  ${f.path}: contents changed (expected ${f.expected}, got ${f.actual})`
        : f.reason === 'missing'
          ? `  ${f.path}: missing`
          : `  ${f.path}: not in the signed list`,
    );
    const n = failures.length;
    throw new SneakpackError(
      'CHECKSUM_MISMATCH',
      `${sigFile}: ${n} file${n === 1 ? '' : 's'} in ${dir} do${n === 1 ? 'es' : ''} not match the signed checksum list:\n${lines.join('\n')}\ndo not install; copy the files again from their source`,
      { details: { file: sigFile, failures } },
    );
  }
  return { key, entries };
}
