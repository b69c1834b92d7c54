/**
 * bcrypt_pbkdf, the passphrase KDF of OpenBSD signify (kdfalg "BK") and OpenSSH private keys:
 * PBKDF2 (RFC 8018 §5.2) with a bcrypt-derived hash instead of HMAC, as in OpenBSD
 * `lib/libutil/bcrypt_pbkdf.c` (Ted Unangst, 2013). Differences from PBKDF2 that matter for
 * compatibility, all reproduced here:
 *
 * - the passphrase and each salt are pre-hashed with SHA-512;
 * - the per-block hash is bcrypt with 64 rounds of key expansion, encrypting the 32-byte magic
 *   "OxychromaticBlowfishSwatDynamite" 64 times, output as little-endian words;
 * - output blocks are interleaved, not concatenated (byte `i` of block `n` lands at
 *   `i * stride + n`), so every byte of the key costs the whole computation.
 *
 * Pure: no I/O.
 * @module
 */
import { createHash } from 'node:crypto';
import { encryptBlocks, expand0State, expandState, initState, streamToWord } from './blowfish.js';

/** Bytes produced by one bcrypt hash (`BCRYPT_HASHSIZE`). */
const HASH_SIZE = 32;
const MAGIC = new TextEncoder().encode('OxychromaticBlowfishSwatDynamite');

function sha512(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** `bcrypt_hash`: one block of the KDF from the SHA-512 of the passphrase and of the salt. */
function bcryptHash(sha2pass: Uint8Array, sha2salt: Uint8Array): Uint8Array {
  const state = initState();
  expandState(state, sha2salt, sha2pass);
  for (let i = 0; i < 64; i++) {
    expand0State(state, sha2salt);
    expand0State(state, sha2pass);
  }
  const cdata = new Uint32Array(HASH_SIZE / 4);
  const pos = new Uint32Array(1);
  for (let i = 0; i < cdata.length; i++) cdata[i] = streamToWord(MAGIC, pos);
  for (let i = 0; i < 64; i++) encryptBlocks(state, cdata);
  const out = new Uint8Array(HASH_SIZE);
  // Little-endian on purpose: the C code copies the words out low byte first.
  for (let i = 0; i < cdata.length; i++) {
    const w = cdata[i];
    out[4 * i] = w & 0xff;
    out[4 * i + 1] = (w >>> 8) & 0xff;
    out[4 * i + 2] = (w >>> 16) & 0xff;
    out[4 * i + 3] = (w >>> 24) & 0xff;
  }
  return out;
}

/**
 * Derives `keyLength` bytes from `passphrase` and `salt` with `rounds` iterations, exactly as
 * OpenBSD's `bcrypt_pbkdf(3)`. Inputs are bytes: signify passes the passphrase's bytes without
 * its terminating NUL (callers encode strings as UTF-8).
 *
 * @throws RangeError for inputs the C function rejects (returns -1 for): `rounds < 1`, an empty
 *   passphrase, salt or key, or `keyLength > 1024`. These are programming errors, not user
 *   errors, so they are not {@link SneakpackError}s.
 */
export function bcryptPbkdf(passphrase: Uint8Array, salt: Uint8Array, rounds: number, keyLength: number): Uint8Array {
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 0xffffffff) throw new RangeError(`bcrypt_pbkdf: rounds must be a positive 32-bit integer, got ${rounds}`);
  if (passphrase.length === 0) throw new RangeError('bcrypt_pbkdf: the passphrase is empty');
  if (salt.length === 0) throw new RangeError('bcrypt_pbkdf: the salt is empty');
  if (!Number.isInteger(keyLength) || keyLength < 1 || keyLength > HASH_SIZE * HASH_SIZE) {
    throw new RangeError(`bcrypt_pbkdf: key length must be 1..${HASH_SIZE * HASH_SIZE}, got ${keyLength}`);
  }
  const key = new Uint8Array(keyLength);
  const stride = Math.ceil(keyLength / HASH_SIZE);
  let amount = Math.ceil(keyLength / stride);
  const sha2pass = sha512(passphrase);
  const countSalt = new Uint8Array(4);
  let remaining = keyLength;
  for (let count = 1; remaining > 0; count++) {
    new DataView(countSalt.buffer).setUint32(0, count);
    let tmp = bcryptHash(sha2pass, sha512(salt, countSalt));
    const out = Uint8Array.from(tmp);
    for (let r = 1; r < rounds; r++) {
      tmp = bcryptHash(sha2pass, sha512(tmp));
      for (let j = 0; j < out.length; j++) out[j] ^= tmp[j];
    }
    amount = Math.min(amount, remaining);
    let i = 0;
    for (; i < amount; i++) {
      const dest = i * stride + (count - 1);
      if (dest >= keyLength) break;
      key[dest] = out[i];
    }
    remaining -= i;
  }
  return key;
}
