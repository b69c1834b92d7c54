/**
 * Key files on disk: a thin I/O facade over the pure formats in {@link ./signify.ts}.
 * Key pairs are written as signify writes them (`NAME.sec` mode 0600, `NAME.pub` mode 0644, never
 * over an existing file unless asked), so `signify -S -s NAME.sec` and `signify -V -p NAME.pub`
 * work on them.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SneakpackError, ioError as fsError } from '../errors.js';
import {
  type KeyPair,
  type PublicKey,
  type SecretKey,
  type TrustedKey,
  type TrustedKeys,
  DEFAULT_KDF_ROUNDS,
  decodePublicKey,
  decodeSecretKey,
  encodePublicKey,
  encodeSecretKey,
  keyPairFromSeed,
} from './signify.js';

/** Key files are a few hundred bytes; anything much larger is the wrong file. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/** Options for {@link generateKeyPair}. */
export interface GenerateKeyPairOptions {
  /** 32-byte Ed25519 seed; random when absent. Fixed seeds give fixed keys (and key numbers). */
  readonly seed?: Uint8Array;
  /** Key number as 16 hex digits; derived from the public key when a seed is given, else random. */
  readonly keynum?: string;
  /** Base comment: files say "COMMENT public key" / "COMMENT secret key". Default "sneakpack". */
  readonly comment?: string;
}

/** A new Ed25519 key pair, random like `signify -G` unless a seed is given. */
export function generateKeyPair(options: GenerateKeyPairOptions = {}): KeyPair {
  if (options.seed !== undefined) return keyPairFromSeed(options.seed, options);
  return keyPairFromSeed(new Uint8Array(randomBytes(32)), {
    keynum: options.keynum ?? randomBytes(8).toString('hex'),
    ...(options.comment === undefined ? {} : { comment: options.comment }),
  });
}

/** The two files of a key pair named by `basePath` (`keys/NAME` → `keys/NAME.sec`, `keys/NAME.pub`). */
export function keyPairFiles(basePath: string): { readonly secretKeyFile: string; readonly publicKeyFile: string } {
  // signify insists on NAME.pub / NAME.sec; accept either spelled out so `keys/NAME.sec` does not
  // become keys/NAME.sec.sec.
  const base = basePath.replace(/\.(sec|pub)$/, '');
  if (basename(base) === '' || base.endsWith('/')) {
    throw new SneakpackError('USAGE', `${JSON.stringify(basePath)} does not name a key; pass a path like keys/release`, { details: { path: basePath } });
  }
  return { secretKeyFile: `${base}.sec`, publicKeyFile: `${base}.pub` };
}

/** Options for {@link writeKeyPair}. */
export interface WriteKeyPairOptions extends GenerateKeyPairOptions {
  /** Protects the secret key with bcrypt_pbkdf (like `signify -G`); absent = `signify -G -n`. */
  readonly passphrase?: string;
  /** bcrypt_pbkdf rounds when there is a passphrase; default 42, as signify. */
  readonly rounds?: number;
  /** Replace existing key files. */
  readonly force?: boolean;
}

/** What {@link writeKeyPair} wrote. */
export interface WrittenKeyPair {
  readonly keyPair: KeyPair;
  readonly secretKeyFile: string;
  readonly publicKeyFile: string;
  /** 0 when the secret key has no passphrase. */
  readonly kdfRounds: number;
}

function ioError(err: unknown, file: string, doing: string): SneakpackError {
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'EEXIST') {
    return new SneakpackError('FILE_EXISTS', `${file} already exists; pass --force to replace it`, { cause: err, details: { file } });
  }
  return fsError(err, file, doing);
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(err, file, 'check whether it exists');
  }
}

/**
 * Writes `text` to `file` with exactly `mode`. Without `force`, O_EXCL refuses an existing file
 * (or symlink); with it, a temporary file is renamed over the old one so a crash never leaves a
 * half-written key, and a symlink is replaced rather than followed.
 */
async function writeKeyFile(file: string, text: string, mode: number, force: boolean): Promise<void> {
  const target = force ? join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`) : file;
  try {
    const handle = await open(target, 'wx', mode);
    try {
      await handle.writeFile(text);
      // The umask may have narrowed or the caller widened the mode; the key's mode is part of its format.
      await handle.chmod(mode);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (force) await rename(target, file);
  } catch (err) {
    if (force) await rm(target, { force: true });
    throw ioError(err, file, 'write it');
  }
}

/**
 * Generates a key pair and writes `BASE.sec` (mode 0600) and `BASE.pub` (mode 0644), creating
 * the folder if needed. Refuses to replace either file unless `force` is set.
 * @throws SneakpackError FILE_EXISTS naming the existing file; USAGE for a bad path or passphrase.
 */
export async function writeKeyPair(basePath: string, options: WriteKeyPairOptions = {}): Promise<WrittenKeyPair> {
  const { secretKeyFile, publicKeyFile } = keyPairFiles(basePath);
  const force = options.force ?? false;
  if (!force) {
    for (const file of [secretKeyFile, publicKeyFile]) {
      if (await exists(file)) {
        throw new SneakpackError('FILE_EXISTS', `${file} already exists; pass --force to replace the key pair, or choose another name`, { details: { file } });
      }
    }
  }
  const keyPair = generateKeyPair(options);
  const kdfRounds = options.passphrase === undefined ? 0 : (options.rounds ?? DEFAULT_KDF_ROUNDS);
  const secretText = encodeSecretKey(keyPair.secretKey, {
    ...(options.passphrase === undefined ? {} : { passphrase: options.passphrase }),
    rounds: kdfRounds,
  });
  const publicText = encodePublicKey(keyPair.publicKey);
  try {
    await mkdir(dirname(secretKeyFile), { recursive: true });
  } catch (err) {
    throw ioError(err, dirname(secretKeyFile), 'create the folder');
  }
  await writeKeyFile(secretKeyFile, secretText, 0o600, force);
  try {
    await writeKeyFile(publicKeyFile, publicText, 0o644, force);
  } catch (err) {
    // A secret key without its public key is useless and confusing; do not leave it behind.
    await rm(secretKeyFile, { force: true });
    throw err;
  }
  return Object.freeze({ keyPair, secretKeyFile, publicKeyFile, kdfRounds });
}

async function readKeyFile(file: string, kind: string): Promise<Buffer> {
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw new SneakpackError('INVALID_KEY', `${file} is a folder, not a ${kind} file; pass the .${kind === 'public key' ? 'pub' : 'sec'} file`, { details: { file } });
    if (st.size > MAX_KEY_FILE_BYTES) throw new SneakpackError('INVALID_KEY', `${file} is ${st.size} bytes, too large to be a signify ${kind}; check the path`, { details: { file } });
    return await readFile(file);
  } catch (err) {
    if (err instanceof SneakpackError) throw err;
    throw ioError(err, file, `read the ${kind}`);
  }
}

/** Reads a signify `.pub` file. */
export async function readPublicKey(file: string): Promise<PublicKey> {
  return decodePublicKey(await readKeyFile(file, 'public key'), file);
}

/**
 * Reads and decrypts a signify `.sec` file (made by `signify -G`, with or without `-n`, or by
 * sneakpack). `passphrase` is needed when the key has one.
 * @throws SneakpackError WRONG_PASSPHRASE when it is missing or wrong.
 */
export async function readSecretKey(file: string, passphrase?: string): Promise<SecretKey> {
  return decodeSecretKey(await readKeyFile(file, 'secret key'), file, passphrase);
}

/** Where to find trusted public keys. */
export interface TrustedKeySources {
  /** `.pub` files to trust. */
  readonly pubkeys?: readonly string[];
  /** A folder whose `*.pub` files are all trusted (not recursive). */
  readonly keysDir?: string;
}

/**
 * Loads trusted public keys by key number, remembering the file each came from. The same key
 * found twice is kept once; two different keys with one key number are an error, because a
 * signature could not say which of them made it.
 * @throws SneakpackError INVALID_KEY for an unreadable key or a key-number clash; FILE_NOT_FOUND
 *   for a missing file or folder.
 */
export async function loadTrustedKeys(sources: TrustedKeySources): Promise<TrustedKeys> {
  const files = [...(sources.pubkeys ?? [])];
  if (sources.keysDir !== undefined) {
    let names: string[];
    try {
      names = await readdir(sources.keysDir);
    } catch (err) {
      throw ioError(err, sources.keysDir, 'list trusted keys');
    }
    files.push(...names.filter((n) => n.endsWith('.pub')).sort().map((n) => join(sources.keysDir as string, n)));
  }
  const keys = new Map<string, TrustedKey>();
  for (const file of files) {
    const publicKey = await readPublicKey(file);
    const prior = keys.get(publicKey.keynum);
    if (prior !== undefined) {
      if (Buffer.compare(prior.publicKey.key, publicKey.key) === 0) continue;
      throw new SneakpackError(
        'INVALID_KEY',
        `${file} and ${prior.file ?? 'another key'} are different keys with the same key number ${publicKey.keynum}; remove the one you do not trust`,
        { details: { file, other: prior.file, keynum: publicKey.keynum } },
      );
    }
    keys.set(publicKey.keynum, Object.freeze({ publicKey, file }));
  }
  return keys;
}
