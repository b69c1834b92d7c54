/**
 * bcrypt_pbkdf against the published OpenBSD regression vectors (regress/lib/libutil/bcrypt_pbkdf,
 * as collected in RustCrypto's password-hashes bcrypt-pbkdf/tests/test_vectors.rs "openbsd
 * vectors"), and the Blowfish constants against an independent computation of pi.
 * Interop with signify's own passphrase-protected keys is in interop.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { bcryptPbkdf } from '../../src/sign/bcrypt-pbkdf.js';
import { encipher, initState, streamToWord } from '../../src/sign/blowfish.js';

const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipisicing elit, ' +
  'sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. ' +
  'Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris ' +
  'nisi ut aliquip ex ea commodo consequat. ' +
  'Duis aute irure dolor in reprehenderit in voluptate velit esse cillum ' +
  'dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non ' +
  'proident, sunt in culpa qui officia deserunt mollit anim id est laborum.';

const VECTORS: ReadonlyArray<readonly [string, string, number, string]> = [
  ['password', 'salt', 4, '5bbf0cc293587f1c3635555c27796598d47e579071bf427e9d8fbe842aba34d9'],
  ['password', '\0', 4, 'c12b566235eee04c212598970a579a67'],
  ['\0', 'salt', 4, '6051be18c2f4f82cbf0efee5471b4bb9'],
  ['password\0', 'salt\0', 4, '7410e44cf4fa07bfaac8a928b1727fac001375e7bf7384370f48efd121743050'],
  ['pass\0wor', 'sa\0l', 4, 'c2bffd9db38f6569efef4372f4de83c0'],
  ['pass\0word', 'sa\0lt', 4, '4ba4ac3925c0e8d7f0cdb6bb1684a56f'],
  [
    'password',
    'salt',
    8,
    'e1367ec5151a33faac4cc1c144cd23fa15d5548493ecc99b9b5d9c0d3b27bec76227ea66088b849b20ab7aa478010246e74bba51723fefa9f9474d6508845e8d',
  ],
  ['password', 'salt', 42, '833cf0dcf56db65608e8f0dc0ce882bd'],
  [LOREM, 'salis\0', 8, '10978b07253df57f71a162eb0e8ad30a'],
];

describe('bcrypt_pbkdf', () => {
  it.each(VECTORS.map(([p, s, r, out]) => ({ p, s, r, out })))(
    'matches the OpenBSD vector for $r rounds, $out.length hex digits (pass $p.length bytes)',
    ({ p, s, r, out }) => {
      expect(hex(bcryptPbkdf(bytes(p), bytes(s), r, out.length / 2))).toBe(out);
    },
  );

  it('spreads output blocks across the key (PBKDF2 deviation): a shorter key is not a prefix', () => {
    const long = bcryptPbkdf(bytes('password'), bytes('salt'), 2, 64);
    const short = bcryptPbkdf(bytes('password'), bytes('salt'), 2, 32);
    // 64 bytes = 2 blocks, interleaved: even bytes come from block 1, odd bytes from block 2.
    expect(hex(long.subarray(0, 32))).not.toBe(hex(short));
    const block1 = bcryptPbkdf(bytes('password'), bytes('salt'), 2, 32);
    expect(hex(long.filter((_, i) => i % 2 === 0))).toBe(hex(block1));
  });

  it('handles key lengths that are not a multiple of the block size', () => {
    for (const n of [1, 31, 33, 65, 100]) {
      const key = bcryptPbkdf(bytes('pw'), bytes('NaCl'), 1, n);
      expect(key.length).toBe(n);
    }
    // The first byte of any key of up to 32 bytes is the first byte of block 1.
    expect(bcryptPbkdf(bytes('pw'), bytes('NaCl'), 1, 1)[0]).toBe(bcryptPbkdf(bytes('pw'), bytes('NaCl'), 1, 32)[0]);
  });

  it('rejects what the C function rejects', () => {
    expect(() => bcryptPbkdf(bytes('p'), bytes('s'), 0, 32)).toThrow(RangeError);
    expect(() => bcryptPbkdf(bytes(''), bytes('s'), 1, 32)).toThrow(RangeError);
    expect(() => bcryptPbkdf(bytes('p'), bytes(''), 1, 32)).toThrow(RangeError);
    expect(() => bcryptPbkdf(bytes('p'), bytes('s'), 1, 0)).toThrow(RangeError);
    expect(() => bcryptPbkdf(bytes('p'), bytes('s'), 1, 1025)).toThrow(RangeError);
  });
});

/** `words` 32-bit words of the hexadecimal expansion of pi after the point (Machin's formula). */
function piWords(words: number): number[] {
  const bits = BigInt(words * 32 + 64);
  const one = 1n << bits;
  const arctanInv = (x: bigint): bigint => {
    let term = one / x;
    let sum = term;
    const x2 = x * x;
    for (let n = 3n, sign = -1n; term !== 0n; n += 2n, sign = -sign) {
      term /= x2;
      sum += (sign * term) / n;
    }
    return sum;
  };
  const pi = 4n * (4n * arctanInv(5n) - arctanInv(239n));
  const frac = (pi - (3n << bits)) >> 64n;
  const out: number[] = [];
  for (let i = words - 1; i >= 0; i--) out.push(Number((frac >> BigInt(32 * i)) & 0xffffffffn));
  return out;
}

describe('Blowfish', () => {
  it('starts from the digits of pi (P-array, then S0..S3)', () => {
    const pi = piWords(18 + 1024);
    const state = initState();
    expect([...state.P]).toEqual(pi.slice(0, 18));
    expect([...state.S]).toEqual(pi.slice(18));
  });

  it('encrypts the published Blowfish test vector (Schneier/Eric Young, zero key)', () => {
    // With the key schedule of an all-zero 8-byte key, 0000000000000000 encrypts to 4ef997456198dd78.
    const state = initState();
    const key = new Uint8Array(8);
    const pos = new Uint32Array(1);
    for (let i = 0; i < 18; i++) state.P[i] ^= streamToWord(key, pos);
    const block = new Uint32Array(2);
    for (let i = 0; i < 18 + 1024; i += 2) {
      encipher(state, block, 0);
      if (i < 18) state.P.set(block, i);
      else state.S.set(block, i - 18);
    }
    const data = new Uint32Array(2);
    encipher(state, data, 0);
    expect(data[0]!.toString(16).padStart(8, '0') + data[1]!.toString(16).padStart(8, '0')).toBe('4ef997456198dd78');
  });

  it('reads the key as a cyclic big-endian stream', () => {
    const pos = new Uint32Array(1);
    const data = new Uint8Array([1, 2, 3, 4, 5]);
    expect(streamToWord(data, pos).toString(16)).toBe('1020304');
    expect(streamToWord(data, pos).toString(16)).toBe('5010203');
    expect(pos[0]).toBe(3);
  });
});
