/**
 * OpenBSD signify's file formats and operations, byte for byte (OpenBSD `usr.bin/signify/signify.c`,
 * signify(1)), so that stock `signify` checks what sneakpack signs and the other way round.
 *
 * Every signify file is two lines, `untrusted comment: TEXT\n` and `BASE64\n`; an embedded
 * signature (`signify -S -e`) continues with the message. The base64 payloads are:
 *
 * | file          | payload                                                                         |
 * | ------------- | ------------------------------------------------------------------------------- |
 * | public key    | `"Ed"` · keynum[8] · Ed25519 public key[32]                                     |
 * | secret key    | `"Ed"` · `"BK"` · kdfrounds (u32 BE) · salt[16] · checksum[8] · keynum[8] · secret key[64] XOR bcrypt_pbkdf(passphrase, salt, rounds) |
 * | signature     | `"Ed"` · keynum[8] · Ed25519 signature[64]                                      |
 *
 * The keynum is a random 8-byte tag that ties signatures to keys; checksum is the first 8 bytes of
 * SHA-512 of the plain 64-byte secret key (seed · public key), which is how a wrong passphrase is
 * detected. `kdfrounds` 0 means "no passphrase" (nothing is XOR-ed).
 *
 * Where signify is lenient this module is stricter (documented per function): canonical base64,
 * nothing after the second line of a key or detached signature, no blank lines in checksum lists.
 * Everything it writes, signify reads.
 *
 * Pure: no I/O (randomness only when the caller does not supply seed or salt).
 * @module
 */
import { type KeyObject, createHash, createPrivateKey, createPublicKey, sign as nativeSign, verify as nativeVerify } from 'node:crypto';
import { createRequire } from 'node:module';
import type naclType from 'tweetnacl';
import { SneakpackError, caretLine } from '../errors.js';
import { bcryptPbkdf } from './bcrypt-pbkdf.js';

/** Public-key algorithm tag of every signify file (`PKALG`): Ed25519. */
export const PKALG = 'Ed';
/** KDF tag of secret keys (`KDFALG`): bcrypt_pbkdf. */
export const KDFALG = 'BK';
/** Length of a key number in bytes (`KEYNUMLEN`); shown as 16 hex digits. */
export const KEYNUM_LENGTH = 8;
/** bcrypt_pbkdf rounds signify uses for passphrase-protected keys (`signify -G` without `-n`). */
export const DEFAULT_KDF_ROUNDS = 42;
/**
 * Highest kdfrounds accepted when reading a secret key. signify writes 0 or 42; a larger value
 * is far more likely a corrupt header than a real key, and would otherwise stall for minutes.
 */
export const MAX_KDF_ROUNDS = 1024;
/** First bytes of every signify file (`COMMENTHDR`). */
export const COMMENT_HEADER = 'untrusted comment: ';
/**
 * Longest comment, in UTF-8 bytes, that signify can both write and read back: its header buffer
 * holds 1024 bytes including `untrusted comment: `, the newline and the terminating NUL.
 */
export const MAX_COMMENT_BYTES = 1024 - COMMENT_HEADER.length - 2;
/** Longest passphrase signify's `readpassphrase` buffer holds (1024 bytes with the NUL). */
export const MAX_PASSPHRASE_BYTES = 1023;

const PUBLIC_KEY_BYTES = 32;
const SECRET_KEY_BYTES = 64;
const SIGNATURE_BYTES = 64;
const SALT_BYTES = 16;
const CHECKSUM_BYTES = 8;
const PUBLIC_FILE_BYTES = 2 + KEYNUM_LENGTH + PUBLIC_KEY_BYTES;
const SECRET_FILE_BYTES = 2 + 2 + 4 + SALT_BYTES + CHECKSUM_BYTES + KEYNUM_LENGTH + SECRET_KEY_BYTES;
const SIGNATURE_FILE_BYTES = 2 + KEYNUM_LENGTH + SIGNATURE_BYTES;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8');

/** An Ed25519 public key as stored in a signify `.pub` file. */
export interface PublicKey {
  /** Key number, 16 lowercase hex digits. */
  readonly keynum: string;
  /** The 32-byte Ed25519 public key. */
  readonly key: Uint8Array;
  /** The untrusted comment (without `untrusted comment: `). */
  readonly comment: string;
}

/** A decrypted signify secret key. */
export interface SecretKey {
  /** Key number, 16 lowercase hex digits; the same in the matching public key. */
  readonly keynum: string;
  /** The 64-byte Ed25519 secret key: 32-byte seed followed by the 32-byte public key. */
  readonly key: Uint8Array;
  /** The untrusted comment of the `.sec` file. */
  readonly comment: string;
}

/** A matching public and secret key. */
export interface KeyPair {
  readonly publicKey: PublicKey;
  readonly secretKey: SecretKey;
}

/** The fields of a `.sec` file before decryption. */
export interface EncryptedSecretKey {
  readonly keynum: string;
  /** bcrypt_pbkdf rounds; 0 means the key is not protected by a passphrase. */
  readonly kdfRounds: number;
  readonly salt: Uint8Array;
  /** First 8 bytes of SHA-512 of the plain secret key. */
  readonly checksum: Uint8Array;
  /** The secret key XOR-ed with the KDF stream (the plain key when kdfRounds is 0). */
  readonly encryptedKey: Uint8Array;
  readonly comment: string;
}

/** An Ed25519 signature as stored in a signify `.sig` file. */
export interface Signature {
  /** Key number of the key that made it. */
  readonly keynum: string;
  /** The 64-byte Ed25519 signature. */
  readonly signature: Uint8Array;
  readonly comment: string;
}

/** A public key the caller trusts, and where it came from (for messages). */
export interface TrustedKey {
  readonly publicKey: PublicKey;
  /** The `.pub` file it was read from, when there is one. */
  readonly file?: string;
}

/** Trusted keys by key number (16 hex digits). */
export type TrustedKeys = ReadonlyMap<string, TrustedKey>;

// ---------------------------------------------------------------------------------------------
// Small helpers

let naclModule: typeof naclType | undefined;
/**
 * tweetnacl, loaded on first use: only the lenient verification fallback needs it (key generation
 * and signing are native), and loading it costs ~20 ms of start-up.
 */
function nacl(): typeof naclType {
  naclModule ??= createRequire(import.meta.url)('tweetnacl') as typeof naclType;
  return naclModule;
}

/**
 * Ed25519 verification (RFC 8032 §5.1.7) with signify's acceptance rule. OpenSSL (node:crypto)
 * checks the same equation natively in ~0.1 ms, but refuses signatures signify and tweetnacl
 * accept (a scalar S ≥ L, RFC 8032's malleability check), so a native "no" is confirmed by
 * tweetnacl, which decides exactly as before.
 */
function ed25519Verify(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length === SIGNATURE_BYTES && publicKey.length === PUBLIC_KEY_BYTES) {
    try {
      const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
      if (nativeVerify(null, message, key, signature)) return true;
    } catch {
      // A key OpenSSL will not import: tweetnacl decides.
    }
  }
  return nacl().sign.detached.verify(message, signature, publicKey);
}

/** DER of a PKCS#8 Ed25519 private key (RFC 8410 §7) up to the 32-byte seed. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** The OpenSSL key of an Ed25519 `seed` (RFC 8032 §5.1.5): signing with it is ~30x faster than tweetnacl. */
function ed25519PrivateKey(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

/** The 32-byte public key of a private key object (the last bytes of its SPKI DER, RFC 8410 §4). */
function ed25519PublicKey(privateKey: KeyObject): Uint8Array {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(spki.length - PUBLIC_KEY_BYTES));
}

function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function sha512(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha512').update(data).digest());
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Formats a key number as signify-style 16 lowercase hex digits. */
export function formatKeynum(keynum: Uint8Array): string {
  if (keynum.length !== KEYNUM_LENGTH) throw new RangeError(`a key number is ${KEYNUM_LENGTH} bytes, got ${keynum.length}`);
  return toHex(keynum);
}

function keynumBytes(keynum: string): Uint8Array {
  if (!/^[0-9a-f]{16}$/.test(keynum)) throw new RangeError(`a key number is 16 lowercase hex digits, got ${JSON.stringify(keynum)}`);
  return new Uint8Array(Buffer.from(keynum, 'hex'));
}

type FileKind = 'public key' | 'secret key' | 'signature';

function codeFor(kind: FileKind): 'INVALID_KEY' | 'INVALID_SIGNATURE' {
  return kind === 'signature' ? 'INVALID_SIGNATURE' : 'INVALID_KEY';
}

/** Checks a comment can be written as signify writes it, and read back by signify. */
function checkComment(comment: string, kind: FileKind): void {
  const bytes = utf8.encode(comment).length;
  if (bytes === 0 || bytes > MAX_COMMENT_BYTES || /[\r\n\0]/.test(comment)) {
    throw new SneakpackError(
      codeFor(kind),
      `the ${kind} comment ${JSON.stringify(comment)} cannot be written: signify needs one line of 1 to ${MAX_COMMENT_BYTES} bytes (no CR, LF or NUL); shorten it`,
      { details: { comment } },
    );
  }
}

function encodeFile(comment: string, payload: Uint8Array, kind: FileKind): string {
  checkComment(comment, kind);
  return `${COMMENT_HEADER}${comment}\n${Buffer.from(payload).toString('base64')}\n`;
}

function asBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? utf8.encode(data) : data;
}

/** The lines of a signify file: comment, decoded payload, and whatever follows the base64 line. */
interface ParsedFile {
  readonly comment: string;
  readonly payload: Uint8Array;
  readonly rest: Uint8Array;
}

/**
 * Splits a signify file the way `parseb64file` does, with stricter base64: the payload must be
 * canonical base64 of exactly `expectedBytes` bytes, and start with "Ed". A CR before each LF is
 * tolerated (signify's base64 decoder skips it too) and not part of the comment.
 */
function parseFile(data: Uint8Array, source: string, kind: FileKind, expectedBytes: number): ParsedFile {
  const code = codeFor(kind);
  const fail = (what: string, fix: string): never => {
    throw new SneakpackError(code, `${source}: not a signify ${kind} file: ${what}; ${fix}`, { details: { file: source } });
  };
  const firstLf = data.indexOf(0x0a);
  const header = utf8.encode(COMMENT_HEADER);
  if (firstLf < 0 || !equalBytes(data.subarray(0, header.length), header)) {
    fail(`it must start with a line "${COMMENT_HEADER}…"`, `check that you passed the right file`);
  }
  let commentEnd = firstLf;
  if (commentEnd > 0 && data[commentEnd - 1] === 0x0d) commentEnd--;
  if (commentEnd <= header.length) fail('the comment line is empty after "untrusted comment: " (signify rejects that)', 'add a comment');
  if (commentEnd - header.length > 1023) fail('the comment is longer than 1023 bytes', 'shorten it');
  const comment = fromUtf8.decode(data.subarray(header.length, commentEnd));
  const secondLf = data.indexOf(0x0a, firstLf + 1);
  if (secondLf < 0) fail('the base64 line does not end with a newline', 'the file may be truncated');
  let b64End = secondLf;
  if (b64End > firstLf + 1 && data[b64End - 1] === 0x0d) b64End--;
  const b64 = fromUtf8.decode(data.subarray(firstLf + 1, b64End));
  const payload = new Uint8Array(Buffer.from(b64, 'base64'));
  // Buffer's decoder skips junk silently, so insist on the canonical form.
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64 !== Buffer.from(payload).toString('base64') || payload.length !== expectedBytes) {
    fail(`line 2 is not base64 of a ${expectedBytes}-byte ${kind}`, 'the file is corrupt or not a signify file');
  }
  if (payload[0] !== PKALG.charCodeAt(0) || payload[1] !== PKALG.charCodeAt(1)) {
    fail(`unsupported algorithm ${JSON.stringify(fromUtf8.decode(payload.subarray(0, 2)))} (only Ed25519, "Ed", exists)`, 'use a key made by signify or sneakpack');
  }
  return { comment, payload, rest: data.subarray(secondLf + 1) };
}

function rejectTrailing(parsed: ParsedFile, source: string, kind: FileKind): void {
  if (parsed.rest.length > 0) {
    const hint = kind === 'signature' ? '; if it is an embedded signature (signify -S -e), verify it as one' : '';
    throw new SneakpackError(codeFor(kind), `${source}: unexpected data after the two lines of a signify ${kind} file${hint}`, {
      details: { file: source },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Keys

/**
 * The key pair for a 32-byte Ed25519 `seed` (RFC 8032 §5.1.5). signify draws the seed and the
 * keynum at random; sneakpack does too unless given a seed. With a seed and no explicit
 * `keynum`, the keynum is the first 8 bytes of SHA-512("sneakpack signify keynum\0" · public key),
 * so fixed seeds give fixed, distinct key numbers.
 *
 * `comment` is the base text: the files say "COMMENT public key" / "COMMENT secret key", as
 * `signify -G -c COMMENT` writes (default "sneakpack").
 */
export function keyPairFromSeed(seed: Uint8Array, options: { keynum?: string; comment?: string } = {}): KeyPair {
  if (seed.length !== 32) throw new RangeError(`an Ed25519 seed is 32 bytes, got ${seed.length}`);
  // tweetnacl's layout, as signify's: secret key = seed · public key.
  const pair = { publicKey: ed25519PublicKey(ed25519PrivateKey(seed)), secretKey: new Uint8Array(SECRET_KEY_BYTES) };
  pair.secretKey.set(seed);
  pair.secretKey.set(pair.publicKey, 32);
  const keynum =
    options.keynum !== undefined
      ? formatKeynum(keynumBytes(options.keynum))
      : formatKeynum(sha512(concat(utf8.encode('sneakpack signify keynum\0'), pair.publicKey)).subarray(0, KEYNUM_LENGTH));
  const base = options.comment ?? 'sneakpack';
  const publicKey: PublicKey = Object.freeze({ keynum, key: pair.publicKey, comment: `${base} public key` });
  const secretKey: SecretKey = Object.freeze({ keynum, key: pair.secretKey, comment: `${base} secret key` });
  checkComment(publicKey.comment, 'public key');
  checkComment(secretKey.comment, 'secret key');
  return Object.freeze({ publicKey, secretKey });
}

/** The public half of a secret key (the last 32 bytes of the Ed25519 secret key). */
export function publicKeyOf(secretKey: SecretKey, comment = secretKey.comment.replace(/secret key$/, 'public key')): PublicKey {
  return Object.freeze({ keynum: secretKey.keynum, key: secretKey.key.slice(32), comment });
}

/** Encodes a `.pub` file (`signify -G` output). */
export function encodePublicKey(publicKey: PublicKey): string {
  return encodeFile(publicKey.comment, concat(utf8.encode(PKALG), keynumBytes(publicKey.keynum), publicKey.key), 'public key');
}

/**
 * Decodes a `.pub` file. `source` names the file in error messages.
 * @throws SneakpackError INVALID_KEY when it is not exactly a signify public key file.
 */
export function decodePublicKey(data: Uint8Array | string, source: string): PublicKey {
  const parsed = parseFile(asBytes(data), source, 'public key', PUBLIC_FILE_BYTES);
  rejectTrailing(parsed, source, 'public key');
  const p = parsed.payload;
  return Object.freeze({ keynum: formatKeynum(p.subarray(2, 10)), key: p.slice(10), comment: parsed.comment });
}

function passphraseBytes(passphrase: string, forWhat: string): Uint8Array {
  const bytes = utf8.encode(passphrase);
  if (bytes.length === 0 || bytes.length > MAX_PASSPHRASE_BYTES || /[\r\n\0]/.test(passphrase)) {
    throw new SneakpackError(
      'USAGE',
      `cannot ${forWhat}: the passphrase must be one line of 1 to ${MAX_PASSPHRASE_BYTES} bytes without CR, LF or NUL (signify could not type it otherwise)`,
    );
  }
  return bytes;
}

/**
 * Encrypts a secret key as `signify -G` does. Without a passphrase the key is stored in the clear
 * with kdfrounds 0 (`signify -G -n`); with one, with `rounds` (default 42) of bcrypt_pbkdf.
 * `salt` defaults to 16 random bytes (signify draws one even when there is no passphrase).
 */
export function encryptSecretKey(
  secretKey: SecretKey,
  options: { passphrase?: string; rounds?: number; salt?: Uint8Array } = {},
): EncryptedSecretKey {
  const salt = options.salt ?? nacl().randomBytes(SALT_BYTES);
  if (salt.length !== SALT_BYTES) throw new RangeError(`the salt is ${SALT_BYTES} bytes, got ${salt.length}`);
  const rounds = options.passphrase === undefined ? 0 : (options.rounds ?? DEFAULT_KDF_ROUNDS);
  if (!Number.isInteger(rounds) || rounds < 0 || rounds > MAX_KDF_ROUNDS || (options.passphrase !== undefined && rounds === 0)) {
    throw new RangeError(`kdf rounds must be 1..${MAX_KDF_ROUNDS} with a passphrase, got ${rounds}`);
  }
  const encryptedKey = Uint8Array.from(secretKey.key);
  if (options.passphrase !== undefined) {
    const stream = bcryptPbkdf(passphraseBytes(options.passphrase, 'protect the secret key'), salt, rounds, SECRET_KEY_BYTES);
    for (let i = 0; i < encryptedKey.length; i++) encryptedKey[i] ^= stream[i];
  }
  return Object.freeze({
    keynum: secretKey.keynum,
    kdfRounds: rounds,
    salt: Uint8Array.from(salt),
    checksum: sha512(secretKey.key).slice(0, CHECKSUM_BYTES),
    encryptedKey,
    comment: secretKey.comment,
  });
}

/** Encodes the fields of a `.sec` file. */
export function encodeEncryptedSecretKey(enc: EncryptedSecretKey): string {
  const rounds = new Uint8Array(4);
  new DataView(rounds.buffer).setUint32(0, enc.kdfRounds);
  const payload = concat(utf8.encode(PKALG), utf8.encode(KDFALG), rounds, enc.salt, enc.checksum, keynumBytes(enc.keynum), enc.encryptedKey);
  return encodeFile(enc.comment, payload, 'secret key');
}

/** Encodes a `.sec` file: {@link encryptSecretKey} then {@link encodeEncryptedSecretKey}. */
export function encodeSecretKey(secretKey: SecretKey, options: { passphrase?: string; rounds?: number; salt?: Uint8Array } = {}): string {
  return encodeEncryptedSecretKey(encryptSecretKey(secretKey, options));
}

/**
 * Reads the fields of a `.sec` file without decrypting it (e.g. to ask whether it needs a
 * passphrase: `kdfRounds > 0`).
 * @throws SneakpackError INVALID_KEY when it is not a signify secret key file.
 */
export function decodeEncryptedSecretKey(data: Uint8Array | string, source: string): EncryptedSecretKey {
  const parsed = parseFile(asBytes(data), source, 'secret key', SECRET_FILE_BYTES);
  rejectTrailing(parsed, source, 'secret key');
  const p = parsed.payload;
  if (p[2] !== KDFALG.charCodeAt(0) || p[3] !== KDFALG.charCodeAt(1)) {
    throw new SneakpackError('INVALID_KEY', `${source}: unsupported key derivation ${JSON.stringify(fromUtf8.decode(p.subarray(2, 4)))} (signify knows only "BK"); use a key made by signify or sneakpack`, {
      details: { file: source },
    });
  }
  const kdfRounds = new DataView(p.buffer, p.byteOffset).getUint32(4);
  if (kdfRounds > MAX_KDF_ROUNDS) {
    throw new SneakpackError('INVALID_KEY', `${source}: the key asks for ${kdfRounds} bcrypt_pbkdf rounds (signify writes 42); the header is probably corrupt`, {
      details: { file: source, kdfRounds },
    });
  }
  let off = 8;
  const take = (n: number): Uint8Array => p.slice(off, (off += n));
  const salt = take(SALT_BYTES);
  const checksum = take(CHECKSUM_BYTES);
  const keynum = formatKeynum(take(KEYNUM_LENGTH));
  const encryptedKey = take(SECRET_KEY_BYTES);
  return Object.freeze({ keynum, kdfRounds, salt, checksum, encryptedKey, comment: parsed.comment });
}

/**
 * Decrypts a secret key and checks it as `signify -S` does: the SHA-512 checksum must match
 * (else the passphrase is wrong, or the unprotected key is corrupt). Also checks that the
 * public half matches the seed, which signify does not, so a damaged key cannot sign garbage.
 * @throws SneakpackError WRONG_PASSPHRASE when the key needs a passphrase and none or a wrong one
 *   was given; INVALID_KEY when an unprotected key fails its checksum.
 */
export function decryptSecretKey(enc: EncryptedSecretKey, passphrase: string | undefined, source: string): SecretKey {
  const key = Uint8Array.from(enc.encryptedKey);
  if (enc.kdfRounds > 0) {
    if (passphrase === undefined) {
      throw new SneakpackError(
        'WRONG_PASSPHRASE',
        `${source}: the secret key is protected by a passphrase; pass it with --passphrase-file FILE or --passphrase-env VAR`,
        { details: { file: source, reason: 'missing' } },
      );
    }
    const bytes = utf8.encode(passphrase);
    if (bytes.length === 0) {
      throw new SneakpackError('WRONG_PASSPHRASE', `${source}: the passphrase is empty; pass the key's passphrase`, { details: { file: source, reason: 'empty' } });
    }
    const stream = bcryptPbkdf(bytes, enc.salt, enc.kdfRounds, SECRET_KEY_BYTES);
    for (let i = 0; i < key.length; i++) key[i] ^= stream[i];
  }
  if (!equalBytes(sha512(key).subarray(0, CHECKSUM_BYTES), enc.checksum)) {
    if (enc.kdfRounds > 0) {
      throw new SneakpackError('WRONG_PASSPHRASE', `${source}: incorrect passphrase for key number ${enc.keynum}; check the passphrase file or variable`, {
        details: { file: source, keynum: enc.keynum, reason: 'mismatch' },
      });
    }
    throw new SneakpackError('INVALID_KEY', `${source}: the secret key does not match its checksum; the file is corrupt, restore it from a backup`, {
      details: { file: source, keynum: enc.keynum },
    });
  }
  const derived = ed25519PublicKey(ed25519PrivateKey(key.subarray(0, 32)));
  if (!equalBytes(derived, key.subarray(32))) {
    throw new SneakpackError('INVALID_KEY', `${source}: the public half of the secret key does not belong to its seed; the file is corrupt`, {
      details: { file: source, keynum: enc.keynum },
    });
  }
  return Object.freeze({ keynum: enc.keynum, key, comment: enc.comment });
}

/** Decodes and decrypts a `.sec` file: {@link decodeEncryptedSecretKey} then {@link decryptSecretKey}. */
export function decodeSecretKey(data: Uint8Array | string, source: string, passphrase?: string): SecretKey {
  return decryptSecretKey(decodeEncryptedSecretKey(data, source), passphrase, source);
}

// ---------------------------------------------------------------------------------------------
// Signatures

/**
 * Ed25519 signing (RFC 8032 §5.1.6) with OpenSSL. Deterministic, so byte-identical to tweetnacl
 * and signify, which hash the stored public half (`secretKey[32..]`) into the signature where
 * OpenSSL derives it from the seed: a secret key whose halves disagree is refused rather than
 * signed with (decryptSecretKey refuses such a file already).
 */
function ed25519Sign(message: Uint8Array, secretKey: SecretKey): Uint8Array {
  const key = secretKey.key;
  if (key.length !== SECRET_KEY_BYTES) throw new RangeError(`an Ed25519 secret key is ${SECRET_KEY_BYTES} bytes, got ${key.length}`);
  const privateKey = ed25519PrivateKey(key.subarray(0, 32));
  if (!equalBytes(ed25519PublicKey(privateKey), key.subarray(32))) {
    throw new SneakpackError('INVALID_KEY', `secret key ${secretKey.keynum}: its public half does not belong to its seed; the key is corrupt`, {
      details: { keynum: secretKey.keynum },
    });
  }
  return new Uint8Array(nativeSign(null, message, privateKey));
}

/**
 * Signs `message` (pure Ed25519, RFC 8032 §5.1.6, as `signify -S`). `comment` defaults to
 * signify's fallback "signature from <secret key comment>"; signify writes "verify with NAME.pub"
 * when the key file is NAME.sec, which the file-level API does too.
 */
export function signMessage(secretKey: SecretKey, message: Uint8Array, comment?: string): Signature {
  const sig: Signature = Object.freeze({
    keynum: secretKey.keynum,
    signature: ed25519Sign(message, secretKey),
    comment: comment ?? `signature from ${secretKey.comment}`,
  });
  checkComment(sig.comment, 'signature');
  return sig;
}

/**
 * Encodes a `.sig` file. With `embeddedMessage`, the message follows the two lines, as
 * `signify -S -e` writes it (verify with `signify -V -e`, or `-C` for checksum lists).
 */
export function encodeSignature(signature: Signature, embeddedMessage?: Uint8Array): Uint8Array {
  const head = utf8.encode(encodeFile(signature.comment, concat(utf8.encode(PKALG), keynumBytes(signature.keynum), signature.signature), 'signature'));
  return embeddedMessage === undefined ? head : concat(head, embeddedMessage);
}

function signatureFrom(parsed: ParsedFile): Signature {
  const p = parsed.payload;
  return Object.freeze({ keynum: formatKeynum(p.subarray(2, 10)), signature: p.slice(10), comment: parsed.comment });
}

/**
 * Decodes a detached `.sig` file. Unlike signify, data after the two lines is an error, so an
 * embedded signature is not silently checked as a detached one.
 * @throws SneakpackError INVALID_SIGNATURE when it is not exactly a signify signature file.
 */
export function decodeSignature(data: Uint8Array | string, source: string): Signature {
  const parsed = parseFile(asBytes(data), source, 'signature', SIGNATURE_FILE_BYTES);
  rejectTrailing(parsed, source, 'signature');
  return signatureFrom(parsed);
}

/** Decodes an embedded signature (`signify -S -e`): the signature and the message after it. */
export function decodeEmbeddedSignature(data: Uint8Array | string, source: string): { signature: Signature; message: Uint8Array } {
  const parsed = parseFile(asBytes(data), source, 'signature', SIGNATURE_FILE_BYTES);
  return { signature: signatureFrom(parsed), message: parsed.rest };
}

/**
 * Verifies `signature` over `message` against a trusted key, as `signify -V`: first the key
 * numbers must match, then the Ed25519 signature must verify. Returns the key that verified it.
 * `source` names the signature file in messages.
 * @throws SneakpackError UNTRUSTED_KEY when no trusted key has the signature's key number;
 *   SIGNATURE_MISMATCH when the key matches but the signature does not verify (the message or
 *   the signature was changed, or the public key file was).
 */
export function verifySignature(trusted: TrustedKeys | PublicKey, signature: Signature, message: Uint8Array, source: string): TrustedKey {
  const keys: TrustedKeys = 'keynum' in trusted ? new Map([[trusted.keynum, { publicKey: trusted as PublicKey }]]) : trusted;
  const match = keys.get(signature.keynum);
  if (match === undefined) {
    const known = [...keys.keys()];
    const have =
      known.length === 0
        ? 'no trusted keys were given'
        : `trusted: ${[...keys.values()].map((k) => (k.file === undefined ? k.publicKey.keynum : `${k.publicKey.keynum} (${k.file})`)).join(', ')}`;
    throw new SneakpackError(
      'UNTRUSTED_KEY',
      `${source}: no trusted key matches key number ${signature.keynum} (${have}); pass --keys DIR or --pubkey FILE with the signer's .pub file`,
      { details: { file: source, keynum: signature.keynum, trusted: known } },
    );
  }
  if (!ed25519Verify(message, signature.signature, match.publicKey.key)) {
    const by = match.file === undefined ? `key number ${signature.keynum}` : `${match.file} (key number ${signature.keynum})`;
    throw new SneakpackError(
      'SIGNATURE_MISMATCH',
      `${source}: signature verification failed with ${by}: the signed data, the signature or the public key was changed; do not trust these files`,
      { details: { file: source, keynum: signature.keynum, ...(match.file === undefined ? {} : { pubkey: match.file }) } },
    );
  }
  return match;
}

// ---------------------------------------------------------------------------------------------
// Checksum lists (the message of SHA256.sig, checked by `signify -C`)

/** Digest algorithms `signify -C` understands. */
export type ChecksumAlgorithm = 'SHA256' | 'SHA512';

const DIGEST_HEX_LENGTH: Readonly<Record<ChecksumAlgorithm, number>> = { SHA256: 64, SHA512: 128 };

/** One line of a checksum list: `ALGO (path) = hexdigest`. */
export interface ChecksumEntry {
  readonly algorithm: ChecksumAlgorithm;
  /** Path relative to the list's folder, as `signify -C` opens it. */
  readonly path: string;
  /** Lowercase hex digest. */
  readonly digest: string;
}

/**
 * Why a path cannot appear in a checksum list, or undefined. signify parses lines with
 * `sscanf("%31s (%1023[^)]) = %223s")`, so a path cannot contain `)` or a line break and is at
 * most 1023 bytes; backslashes are refused too because `sha256sum --tag` would escape them.
 */
export function checksumPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'the path is empty';
  if (/[)\\\r\n\0]/.test(path)) return 'signify cannot read a path containing ")", "\\", CR, LF or NUL';
  if (utf8.encode(path).length > 1023) return 'signify reads at most 1023 bytes of a path';
  return undefined;
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Formats a checksum list as OpenBSD `sha256` / `sha256sum --tag` print it, one
 * `SHA256 (path) = hex` line per file, sorted by path (bytewise) so the output is deterministic.
 * @throws SneakpackError INVALID_CHECKSUM_LIST for a path signify cannot read, a malformed
 *   digest, or a path listed twice.
 */
export function formatChecksumList(entries: readonly ChecksumEntry[]): string {
  const seen = new Set<string>();
  for (const e of entries) {
    const problem = checksumPathProblem(e.path);
    if (problem !== undefined) {
      throw new SneakpackError('INVALID_CHECKSUM_LIST', `cannot list ${JSON.stringify(e.path)} in a checksum list: ${problem}; rename the file`, { details: { path: e.path } });
    }
    if (!(e.algorithm in DIGEST_HEX_LENGTH) || !new RegExp(`^[0-9a-f]{${DIGEST_HEX_LENGTH[e.algorithm]}}$`).test(e.digest)) {
      throw new SneakpackError('INVALID_CHECKSUM_LIST', `${JSON.stringify(e.path)}: ${JSON.stringify(e.digest)} is not a lowercase hex ${e.algorithm} digest`, { details: { path: e.path } });
    }
    if (seen.has(e.path)) throw new SneakpackError('INVALID_CHECKSUM_LIST', `${JSON.stringify(e.path)} is listed twice`, { details: { path: e.path } });
    seen.add(e.path);
  }
  return [...entries]
    .sort((a, b) => compareUtf8(a.path, b.path))
    .map((e) => `${e.algorithm} (${e.path}) = ${e.digest}\n`)
    .join('');
}

const LINE = /^(SHA256|SHA512) \(([^)]+)\) = (\S+)$/;

/**
 * Parses a checksum list. Accepts what `signify -C` accepts from sneakpack, OpenBSD `sha256` and
 * `sha256sum --tag`: `SHA256` or `SHA512` lines, digests in lowercase hex or (like `sha256 -b`)
 * base64, normalised to hex. Stricter than signify: single spaces only, no CR, no blank lines
 * except the final newline, no path listed twice.
 * @throws SneakpackError INVALID_CHECKSUM_LIST naming the line, with a caret.
 */
export function parseChecksumList(text: string, source: string): ChecksumEntry[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const entries: ChecksumEntry[] = [];
  const seen = new Set<string>();
  lines.forEach((line, index) => {
    const fail = (what: string, start = 0, end = line.length): never => {
      throw new SneakpackError('INVALID_CHECKSUM_LIST', `${source}, line ${index + 1}: ${what}\n${caretLine(line, start, end)}`, {
        details: { file: source, line: index + 1 },
      });
    };
    const m = LINE.exec(line);
    if (m === null) {
      const algo = /^\S+/.exec(line)?.[0];
      if (algo !== undefined && algo !== 'SHA256' && algo !== 'SHA512' && /^\S+ \(/.test(line)) {
        fail(`unsupported algorithm ${algo} (signify checks SHA256 and SHA512)`, 0, algo.length);
      }
      fail('expected "SHA256 (path) = hexdigest"');
    }
    const [, algorithm, path, hash] = m as unknown as [string, ChecksumAlgorithm, string, string];
    const hashStart = line.length - hash.length;
    const problem = checksumPathProblem(path);
    if (problem !== undefined) fail(problem, algorithm.length + 2, algorithm.length + 2 + path.length);
    const hexLength = DIGEST_HEX_LENGTH[algorithm];
    let digest: string | undefined;
    if (hash.length === hexLength) {
      if (/^[0-9a-f]+$/.test(hash)) digest = hash;
    } else {
      const raw = Buffer.from(hash, 'base64');
      if (/^[A-Za-z0-9+/]+={0,2}$/.test(hash) && raw.toString('base64') === hash && raw.length * 2 === hexLength) digest = raw.toString('hex');
    }
    if (digest === undefined) fail(`not a ${algorithm} digest in lowercase hex (${hexLength} digits) or base64`, hashStart, line.length);
    if (seen.has(path)) fail(`${JSON.stringify(path)} is listed twice`, algorithm.length + 2, algorithm.length + 2 + path.length);
    seen.add(path);
    entries.push(Object.freeze({ algorithm, path, digest: digest as string }));
  });
  return entries;
}
