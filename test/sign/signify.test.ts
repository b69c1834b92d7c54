/**
 * The pure signify formats: exact layouts, round trips, strict parsing, and tampering (every bit of
 * a signature, public key and message flipped in turn must be rejected with the right code).
 * Interop with the real signify binary is in interop.test.ts.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type ErrorCode, isSneakpackError } from '../../src/errors.js';
import {
  type ChecksumEntry,
  type TrustedKeys,
  MAX_COMMENT_BYTES,
  decodeEmbeddedSignature,
  decodeEncryptedSecretKey,
  decodePublicKey,
  decodeSecretKey,
  decodeSignature,
  encodeEncryptedSecretKey,
  encodePublicKey,
  encodeSecretKey,
  encodeSignature,
  formatChecksumList,
  keyPairFromSeed,
  parseChecksumList,
  publicKeyOf,
  signMessage,
  verifySignature,
} from '../../src/sign/index.js';
import { Rng } from '../helpers/random.js';
import { seed } from './signify-tool.js';

const enc = new TextEncoder();
const b64payload = (text: string | Uint8Array): Buffer => Buffer.from(Buffer.from(text).toString('latin1').split('\n')[1]!, 'base64');
const withPayload = (text: string, payload: Uint8Array): string => {
  const lines = text.split('\n');
  lines[1] = Buffer.from(payload).toString('base64');
  return lines.join('\n');
};

/** The error code `f` throws, or 'ok'. Anything that is not a SneakpackError fails the test. */
function outcome(f: () => unknown): ErrorCode | 'ok' {
  try {
    f();
    return 'ok';
  } catch (e) {
    if (isSneakpackError(e)) return e.code;
    throw e;
  }
}

function caught(f: () => unknown): { code: string; message: string; details: Record<string, unknown> } {
  try {
    f();
  } catch (e) {
    if (isSneakpackError(e)) return { code: e.code, message: e.message, details: { ...e.details } };
    throw e;
  }
  throw new Error('expected an error');
}

const alice = keyPairFromSeed(seed('alice'));
const bob = keyPairFromSeed(seed('bob'));

describe('keys', () => {
  it('are deterministic from a seed, with distinct 16-hex-digit key numbers', () => {
    expect(keyPairFromSeed(seed('alice'))).toEqual(alice);
    expect(alice.publicKey.keynum).toMatch(/^[0-9a-f]{16}$/);
    expect(alice.publicKey.keynum).not.toBe(bob.publicKey.keynum);
    expect(alice.secretKey.keynum).toBe(alice.publicKey.keynum);
    expect(keyPairFromSeed(seed('alice'), { keynum: '0123456789abcdef' }).publicKey.keynum).toBe('0123456789abcdef');
    expect(publicKeyOf(alice.secretKey)).toEqual(alice.publicKey);
  });

  it('write public keys as signify does: comment line, base64 of "Ed" + keynum + key', () => {
    const text = encodePublicKey(alice.publicKey);
    expect(text).toMatch(/^untrusted comment: sneakpack public key\n[A-Za-z0-9+/]{56}\n$/);
    const p = b64payload(text);
    expect(p.length).toBe(42);
    expect(p.subarray(0, 2).toString('latin1')).toBe('Ed');
    expect(p.subarray(2, 10).toString('hex')).toBe(alice.publicKey.keynum);
    expect(Buffer.from(p.subarray(10)).equals(Buffer.from(alice.publicKey.key))).toBe(true);
    expect(decodePublicKey(text, 'alice.pub')).toEqual(alice.publicKey);
  });

  it('write unprotected secret keys with the documented layout (kdfrounds 0, checksum = SHA-512[0:8])', () => {
    const salt = new Uint8Array(16).fill(7);
    const text = encodeSecretKey(alice.secretKey, { salt });
    expect(text.startsWith('untrusted comment: sneakpack secret key\n')).toBe(true);
    const p = b64payload(text);
    expect(p.length).toBe(104);
    expect(p.subarray(0, 4).toString('latin1')).toBe('EdBK');
    expect(p.readUInt32BE(4)).toBe(0);
    expect(Buffer.from(p.subarray(8, 24)).equals(Buffer.from(salt))).toBe(true);
    expect(p.subarray(24, 32).toString('hex')).toBe(createHash('sha512').update(alice.secretKey.key).digest('hex').slice(0, 16));
    expect(p.subarray(32, 40).toString('hex')).toBe(alice.secretKey.keynum);
    expect(Buffer.from(p.subarray(40)).equals(Buffer.from(alice.secretKey.key))).toBe(true);
    expect(decodeSecretKey(text, 'alice.sec')).toEqual(alice.secretKey);
  });

  it('protect secret keys with a passphrase (42 rounds by default) and detect a wrong one by the checksum', () => {
    const text = encodeSecretKey(alice.secretKey, { passphrase: 'correct horse' });
    const fields = decodeEncryptedSecretKey(text, 'a.sec');
    expect(fields.kdfRounds).toBe(42);
    expect(Buffer.from(fields.encryptedKey).equals(Buffer.from(alice.secretKey.key))).toBe(false);
    expect(decodeSecretKey(text, 'a.sec', 'correct horse')).toEqual(alice.secretKey);
    // Detection does not depend on the round count; 2 rounds keep the test fast.
    const cheap = encodeSecretKey(alice.secretKey, { passphrase: 'correct horse', rounds: 2 });
    const wrong = caught(() => decodeSecretKey(cheap, 'a.sec', 'correct horsf'));
    expect(wrong.code).toBe('WRONG_PASSPHRASE');
    expect(wrong.message).toContain('a.sec');
    expect(wrong.message).toContain(alice.secretKey.keynum);
    expect(caught(() => decodeSecretKey(cheap, 'a.sec')).code).toBe('WRONG_PASSPHRASE');
    expect(caught(() => decodeSecretKey(cheap, 'a.sec', '')).code).toBe('WRONG_PASSPHRASE');
  });

  it('encrypt with UTF-8 passphrases and custom rounds, and refuse passphrases signify could not type', () => {
    const text = encodeSecretKey(bob.secretKey, { passphrase: 'pässwörd ✓', rounds: 3 });
    expect(decodeEncryptedSecretKey(text, 'b.sec').kdfRounds).toBe(3);
    expect(decodeSecretKey(text, 'b.sec', 'pässwörd ✓')).toEqual(bob.secretKey);
    for (const bad of ['', 'two\nlines', 'nul\0', 'x'.repeat(1024)]) {
      expect(outcome(() => encodeSecretKey(bob.secretKey, { passphrase: bad, rounds: 1 }))).toBe('USAGE');
    }
    expect(encodeSecretKey(bob.secretKey, { passphrase: 'x'.repeat(1023), rounds: 1 })).toContain('secret key');
  });

  it('reject damaged secret keys with INVALID_KEY', () => {
    const text = encodeSecretKey(alice.secretKey);
    const p = b64payload(text);
    const damage = (i: number, value?: number): string => {
      const q = Buffer.from(p);
      q[i] = value ?? q[i]! ^ 1;
      return withPayload(text, q);
    };
    expect(outcome(() => decodeSecretKey(damage(2, 0x58), 's.sec'))).toBe('INVALID_KEY'); // KDF "XK"
    expect(outcome(() => decodeSecretKey(damage(4, 0xff), 's.sec'))).toBe('INVALID_KEY'); // absurd rounds
    expect(outcome(() => decodeSecretKey(damage(45), 's.sec'))).toBe('INVALID_KEY'); // key bytes vs checksum
    expect(outcome(() => decodeSecretKey(damage(25), 's.sec'))).toBe('INVALID_KEY'); // checksum itself
    // A secret key whose public half does not belong to its seed, with a consistent checksum.
    const forged = Uint8Array.from(alice.secretKey.key);
    forged.set(bob.publicKey.key, 32);
    const forgedText = encodeSecretKey({ ...alice.secretKey, key: forged });
    expect(outcome(() => decodeSecretKey(forgedText, 'f.sec'))).toBe('INVALID_KEY');
    // Public and secret key files are not interchangeable.
    expect(outcome(() => decodeSecretKey(encodePublicKey(alice.publicKey), 'x.sec'))).toBe('INVALID_KEY');
    expect(outcome(() => decodePublicKey(text, 'x.pub'))).toBe('INVALID_KEY');
  });

  it('round-trip the encrypted fields exactly', () => {
    const text = encodeSecretKey(alice.secretKey, { passphrase: 'pw', rounds: 1, salt: new Uint8Array(16).fill(1) });
    expect(encodeEncryptedSecretKey(decodeEncryptedSecretKey(text, 'a.sec'))).toBe(text);
  });
});

describe('file syntax', () => {
  const pub = encodePublicKey(alice.publicKey);
  const body = pub.split('\n')[1]!;

  it.each([
    ['no comment header', `${body}\n`],
    ['a different header', `trusted comment: x\n${body}\n`],
    ['an empty comment (signify rejects it)', `untrusted comment: \n${body}\n`],
    ['no newline after the base64', `untrusted comment: x\n${body}`],
    ['base64 with a space', `untrusted comment: x\n${body.slice(0, 10)} ${body.slice(10)}\n`],
    ['base64 with junk', `untrusted comment: x\n${body}!\n`],
    ['base64 padding on a 42-byte payload', `untrusted comment: x\n${body}=\n`],
    ['a truncated payload', `untrusted comment: x\n${body.slice(0, -4)}\n`],
    ['a signature instead of a key', Buffer.from(encodeSignature(signMessage(alice.secretKey, enc.encode('m')))).toString()],
    ['trailing data', `${pub}more\n`],
    ['an unsupported algorithm', withPayload(pub, Buffer.concat([Buffer.from('ED'), b64payload(pub).subarray(2)]))],
    ['a comment over 1023 bytes', `untrusted comment: ${'c'.repeat(1024)}\n${body}\n`],
  ])('rejects %s with INVALID_KEY, naming the file', (_what, text) => {
    const e = caught(() => decodePublicKey(text, 'keys/x.pub'));
    expect(e.code).toBe('INVALID_KEY');
    expect(e.message).toContain('keys/x.pub');
  });

  it('accepts CRLF line ends (signify does) and keeps the comment without the CR', () => {
    const crlf = pub.replace(/\n/g, '\r\n');
    expect(decodePublicKey(crlf, 'x.pub')).toEqual(alice.publicKey);
  });

  it('writes comments of up to the 1003 bytes signify can write, and no more', () => {
    const long = 'é'.repeat((MAX_COMMENT_BYTES - 1) / 2) + 'x'; // 2-byte characters: limits count bytes
    const text = encodePublicKey({ ...alice.publicKey, comment: long });
    expect(decodePublicKey(text, 'x.pub').comment).toBe(long);
    for (const bad of [long + 'x', '', 'a\nb', 'a\rb']) {
      expect(outcome(() => encodePublicKey({ ...alice.publicKey, comment: bad }))).toBe('INVALID_KEY');
      expect(outcome(() => signMessage(alice.secretKey, new Uint8Array(), bad))).toBe('INVALID_SIGNATURE');
    }
  });
});

describe('signatures', () => {
  const trusted: TrustedKeys = new Map([[alice.publicKey.keynum, { publicKey: alice.publicKey, file: 'keys/alice.pub' }]]);

  it('are "Ed" + keynum + Ed25519 signature, and verify', () => {
    const message = enc.encode('hello\n');
    const sig = signMessage(alice.secretKey, message);
    expect(sig.comment).toBe('signature from sneakpack secret key');
    const text = encodeSignature(sig);
    const p = b64payload(text);
    expect(p.length).toBe(74);
    expect(p.subarray(0, 2).toString('latin1')).toBe('Ed');
    expect(p.subarray(2, 10).toString('hex')).toBe(alice.publicKey.keynum);
    const decoded = decodeSignature(text, 'm.sig');
    expect(decoded).toEqual(sig);
    expect(verifySignature(trusted, decoded, message, 'm.sig').file).toBe('keys/alice.pub');
    expect(verifySignature(alice.publicKey, decoded, message, 'm.sig').publicKey).toEqual(alice.publicKey);
  });

  it('embed any message after the two lines (binary, empty, with NULs and CRs)', () => {
    const rng = new Rng(0x5161);
    const messages = [new Uint8Array(), enc.encode('\n'), enc.encode('\r\n\r\n'), new Uint8Array([0, 0, 10, 0])];
    for (let i = 0; i < 20; i++) messages.push(Uint8Array.from({ length: rng.int(1, 3000) }, () => rng.int(0, 255)));
    for (const message of messages) {
      const file = encodeSignature(signMessage(alice.secretKey, message, 'verify with alice.pub'), message);
      const { signature, message: out } = decodeEmbeddedSignature(file, 'e.sig');
      expect(Buffer.from(out).equals(Buffer.from(message))).toBe(true);
      expect(verifySignature(trusted, signature, out, 'e.sig').publicKey.keynum).toBe(alice.publicKey.keynum);
    }
  });

  it('must be canonical base64 (no stray bits in the last character before the padding)', () => {
    const text = Buffer.from(encodeSignature(signMessage(alice.secretKey, enc.encode('m')))).toString('latin1');
    const [comment, body] = text.split('\n') as [string, string];
    expect(body).toMatch(/[^=]=$/); // 74 bytes: one padding character, 2 unused bits before it
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const last = body.at(-2)!;
    const sloppy = body.slice(0, -2) + alphabet[alphabet.indexOf(last) ^ 1] + '=';
    expect(Buffer.from(sloppy, 'base64').equals(Buffer.from(body, 'base64'))).toBe(true); // same bytes to a lenient decoder
    expect(outcome(() => decodeSignature(`${comment}\n${sloppy}\n`, 's.sig'))).toBe('INVALID_SIGNATURE');
  });

  it('refuse an embedded signature read as a detached one', () => {
    const file = encodeSignature(signMessage(alice.secretKey, enc.encode('x')), enc.encode('x'));
    const e = caught(() => decodeSignature(file, 'x.sig'));
    expect(e.code).toBe('INVALID_SIGNATURE');
    expect(e.message).toContain('embedded');
  });

  it('name the key number when no trusted key matches (UNTRUSTED_KEY)', () => {
    const sig = signMessage(bob.secretKey, enc.encode('m'));
    const e = caught(() => verifySignature(trusted, sig, enc.encode('m'), 'bundle.sig'));
    expect(e.code).toBe('UNTRUSTED_KEY');
    expect(e.message).toContain(`key number ${bob.publicKey.keynum}`);
    expect(e.message).toContain('bundle.sig');
    expect(e.message).toContain('keys/alice.pub');
    expect(e.message).toMatch(/--keys|--pubkey/);
    expect(e.details.keynum).toBe(bob.publicKey.keynum);
    expect(caught(() => verifySignature(new Map(), sig, enc.encode('m'), 'b.sig')).message).toContain('no trusted keys');
    expect(outcome(() => verifySignature(alice.publicKey, sig, enc.encode('m'), 'b.sig'))).toBe('UNTRUSTED_KEY');
  });

  it('reject a signature made by another key that claims a trusted key number (SIGNATURE_MISMATCH)', () => {
    const forged = { ...signMessage(bob.secretKey, enc.encode('m')), keynum: alice.publicKey.keynum };
    expect(outcome(() => verifySignature(trusted, forged, enc.encode('m'), 'f.sig'))).toBe('SIGNATURE_MISMATCH');
  });

  it('accept what signify accepts: a scalar S + L (RFC 8032 leaves it to the verifier; OpenSSL refuses it, signify does not)', () => {
    // Verification runs natively and asks tweetnacl when OpenSSL says no; this pins the old rule.
    const message = enc.encode('malleable');
    const sig = signMessage(alice.secretKey, message);
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    const le = (b: Uint8Array): bigint => b.reduce((n, byte, i) => n + (BigInt(byte) << (8n * BigInt(i))), 0n);
    const s = le(sig.signature.subarray(32)) + L;
    expect(s < 1n << 253n).toBe(true); // signify's only range check is the top three bits
    const bumped = new Uint8Array(sig.signature);
    for (let i = 0; i < 32; i++) bumped[32 + i] = Number((s >> (8n * BigInt(i))) & 0xffn);
    expect(verifySignature(trusted, { ...sig, signature: bumped }, message, 'm.sig').file).toBe('keys/alice.pub');
    // …and the same bytes over another message still fail.
    expect(outcome(() => verifySignature(trusted, { ...sig, signature: bumped }, enc.encode('other'), 'm.sig'))).toBe('SIGNATURE_MISMATCH');
  });
});

// Ed25519 verification costs milliseconds in pure JS, so header bytes (rejected before any
// verification) get every bit flipped and key/signature/message bytes one bit each, rotating.
describe('tampering: flipped bits are rejected with the right code', () => {
  const message = enc.encode('SHA256 (app-1.0-py3-none-any.whl) = 00\n');
  const sigText = Buffer.from(encodeSignature(signMessage(alice.secretKey, message))).toString('latin1');
  const pubText = encodePublicKey(alice.publicKey);

  /** Every bit of the 10 header bytes ("Ed" + keynum), then one bit of each later byte. */
  const bitsToFlip = (bytes: number): number[] => [
    ...Array.from({ length: 80 }, (_, bit) => bit),
    ...Array.from({ length: bytes - 10 }, (_, i) => (10 + i) * 8 + (i % 8)),
  ];

  /** Decode both files and verify; the code of the first failure, or 'ok'. */
  const check = (sig: string, pub: string, msg: Uint8Array): string =>
    outcome(() => verifySignature(decodePublicKey(pub, 'k.pub'), decodeSignature(sig, 'm.sig'), msg, 'm.sig'));

  it('accepts the untouched files', () => {
    expect(check(sigText, pubText, message)).toBe('ok');
  });

  it('in the signature payload: algorithm → INVALID_SIGNATURE, keynum → UNTRUSTED_KEY, signature → SIGNATURE_MISMATCH', () => {
    const p = b64payload(sigText);
    const got = new Map<string, number>();
    for (const bit of bitsToFlip(p.length)) {
      const q = Buffer.from(p);
      q[bit >> 3] ^= 1 << (bit & 7);
      const byte = bit >> 3;
      const expected = byte < 2 ? 'INVALID_SIGNATURE' : byte < 10 ? 'UNTRUSTED_KEY' : 'SIGNATURE_MISMATCH';
      const code = check(withPayload(sigText, q), pubText, message);
      if (code !== expected) throw new Error(`bit ${bit}: expected ${expected}, got ${code}`);
      got.set(code, (got.get(code) ?? 0) + 1);
    }
    expect(Object.fromEntries(got)).toEqual({ INVALID_SIGNATURE: 16, UNTRUSTED_KEY: 64, SIGNATURE_MISMATCH: 64 });
  });

  it('in the public key payload: algorithm → INVALID_KEY, keynum → UNTRUSTED_KEY, key → SIGNATURE_MISMATCH', () => {
    const p = b64payload(pubText);
    for (const bit of bitsToFlip(p.length)) {
      const q = Buffer.from(p);
      q[bit >> 3] ^= 1 << (bit & 7);
      const byte = bit >> 3;
      const expected = byte < 2 ? 'INVALID_KEY' : byte < 10 ? 'UNTRUSTED_KEY' : 'SIGNATURE_MISMATCH';
      const code = check(sigText, withPayload(pubText, q), message);
      if (code !== expected) throw new Error(`bit ${bit}: expected ${expected}, got ${code}`);
    }
  });

  it('in the message → SIGNATURE_MISMATCH, and a truncated or extended message too', () => {
    for (let byte = 0; byte < message.length; byte++) {
      const bit = byte * 8 + (byte % 8);
      const m = Uint8Array.from(message);
      m[bit >> 3] ^= 1 << (bit & 7);
      expect(check(sigText, pubText, m)).toBe('SIGNATURE_MISMATCH');
    }
    expect(check(sigText, pubText, message.subarray(0, -1))).toBe('SIGNATURE_MISMATCH');
    expect(check(sigText, pubText, Buffer.concat([message, Buffer.from('\n')]))).toBe('SIGNATURE_MISMATCH');
  });

  it('in any character of the base64 text → never accepted', () => {
    for (const [name, text] of [['sig', sigText], ['pub', pubText]] as const) {
      const bodyStart = text.indexOf('\n') + 1;
      for (let i = bodyStart; i < text.length - 1; i++) {
        const mask = 1 << (i % 6);
        const t = text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ mask) + text.slice(i + 1);
        const code = name === 'sig' ? check(t, pubText, message) : check(sigText, t, message);
        if (code === 'ok') throw new Error(`${name} char ${i} ^ ${mask} was accepted`);
      }
    }
  });
});

describe('checksum lists', () => {
  const digest = (s: string): string => createHash('sha256').update(s).digest('hex');

  it('are formatted as sha256sum --tag prints them, sorted by path bytes', () => {
    const list = formatChecksumList([
      { algorithm: 'SHA256', path: 'wheels/b.whl', digest: digest('b') },
      { algorithm: 'SHA256', path: 'MANIFEST.json', digest: digest('m') },
      { algorithm: 'SHA256', path: 'wheels/a b.whl', digest: digest('a') },
    ]);
    expect(list).toBe(
      `SHA256 (MANIFEST.json) = ${digest('m')}\nSHA256 (wheels/a b.whl) = ${digest('a')}\nSHA256 (wheels/b.whl) = ${digest('b')}\n`,
    );
    expect(parseChecksumList(list, 'SHA256.sig').map((e) => e.path)).toEqual(['MANIFEST.json', 'wheels/a b.whl', 'wheels/b.whl']);
  });

  it('round-trip generated paths with the awkward characters signify accepts', () => {
    const rng = new Rng(0xc0ffee);
    const alphabet = ['a', 'Z', '0', '.', '-', '_', ' ', '(', '=', '+', ',', '~', 'é', '✓', '😀', '/', '*', '[', '$'];
    const entries: ChecksumEntry[] = [];
    const seen = new Set<string>();
    while (entries.length < 300) {
      let path = Array.from({ length: rng.int(1, 40) }, () => rng.pick(alphabet)).join('');
      if (rng.chance(0.1)) path = ` ${path} `; // leading/trailing spaces are part of the name for signify
      if (seen.has(path)) continue;
      seen.add(path);
      const algorithm = rng.chance(0.2) ? 'SHA512' : 'SHA256';
      const d = createHash(algorithm.toLowerCase()).update(path).digest('hex');
      entries.push({ algorithm, path, digest: d });
    }
    const parsed = parseChecksumList(formatChecksumList(entries), 'list');
    const byPath = new Map(parsed.map((e) => [e.path, e]));
    for (const e of entries) expect(byPath.get(e.path)).toEqual(e);
    const sorted = parsed.map((e) => Buffer.from(e.path));
    for (let i = 1; i < sorted.length; i++) expect(Buffer.compare(sorted[i - 1]!, sorted[i]!)).toBeLessThan(0);
  });

  it('refuse paths and digests signify could not read back', () => {
    for (const path of ['', 'a)b', 'a\nb', 'a\\b', 'nul\0', 'x'.repeat(1024)]) {
      expect(outcome(() => formatChecksumList([{ algorithm: 'SHA256', path, digest: digest('') }]))).toBe('INVALID_CHECKSUM_LIST');
    }
    expect(outcome(() => formatChecksumList([{ algorithm: 'SHA256', path: 'a', digest: digest('').toUpperCase() }]))).toBe('INVALID_CHECKSUM_LIST');
    expect(outcome(() => formatChecksumList([{ algorithm: 'SHA512', path: 'a', digest: digest('') }]))).toBe('INVALID_CHECKSUM_LIST');
    const dup = { algorithm: 'SHA256' as const, path: 'a', digest: digest('') };
    expect(outcome(() => formatChecksumList([dup, dup]))).toBe('INVALID_CHECKSUM_LIST');
  });

  it('accept base64 digests (OpenBSD sha256 -b) and normalise them to hex', () => {
    const b64 = Buffer.from(digest('x'), 'hex').toString('base64');
    expect(parseChecksumList(`SHA256 (x) = ${b64}\n`, 'l')).toEqual([{ algorithm: 'SHA256', path: 'x', digest: digest('x') }]);
    expect(parseChecksumList(`SHA256 (x) = ${digest('x')}`, 'l')).toHaveLength(1); // no final newline
    expect(parseChecksumList('', 'l')).toEqual([]);
  });

  it.each([
    ['a blank line', `SHA256 (a) = ${digest('a')}\n\nSHA256 (b) = ${digest('b')}\n`, 2],
    ['a CRLF line end', `SHA256 (a) = ${digest('a')}\r\n`, 1],
    ['uppercase hex', `SHA256 (a) = ${digest('a').toUpperCase()}\n`, 1],
    ['a short digest', `SHA256 (a) = ${digest('a').slice(1)}\n`, 1],
    ['MD5', `MD5 (a) = ${'0'.repeat(32)}\n`, 1],
    ['GNU style', `${digest('a')}  a\n`, 1],
    ['a ")" in the path', `SHA256 (a)b) = ${digest('a')}\n`, 1],
    ['two spaces', `SHA256  (a) = ${digest('a')}\n`, 1],
    ['a SHA512 line with a SHA256 digest', `SHA512 (a) = ${digest('a')}\n`, 1],
    ['a path listed twice', `SHA256 (a) = ${digest('a')}\nSHA256 (a) = ${digest('a')}\n`, 2],
  ])('reject %s, naming the line with a caret', (_what, text, line) => {
    const e = caught(() => parseChecksumList(text, 'dist/SHA256.sig'));
    expect(e.code).toBe('INVALID_CHECKSUM_LIST');
    expect(e.message).toContain(`dist/SHA256.sig, line ${line}`);
    expect(e.message).toContain('^');
  });
});
