/** Unit tests for PEP 440 versions: normalisation, invalid input, ordering, fields, canonical form. */
import { describe, expect, it } from 'vitest';
import { SneakpackError } from '../../src/errors.js';
import {
  Version,
  canonicalizeVersion,
  compareVersions,
  parseVersion,
  tryParseVersion,
} from '../../src/pep440/index.js';

function expectInvalid(text: string): SneakpackError {
  let caught: unknown;
  try {
    parseVersion(text);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(SneakpackError);
  const err = caught as SneakpackError;
  expect(err.code).toBe('INVALID_VERSION');
  expect(err.message).toContain(`'${text}'`);
  return err;
}

describe('normalisation (PEP 440 "Normalization")', () => {
  it.each([
    ['1.0', '1.0'],
    ['v1.0', '1.0'],
    ['V1.0', '1.0'],
    [' 1.0\n', '1.0'],
    ['\u30001.0\t', '1.0'], // Python's str.isspace() whitespace
    ['1.0-1', '1.0.post1'], // implicit post-release
    ['1.0.post', '1.0.post0'], // implicit post number
    ['1.0rev', '1.0.post0'],
    ['1.0.r', '1.0.post0'],
    ['1.0r3', '1.0.post3'],
    ['1.0_post_2', '1.0.post2'],
    ['1.0.post.1.dev', '1.0.post1.dev0'],
    ['1.0ALPHA1', '1.0a1'],
    ['1.0.Beta.2', '1.0b2'],
    ['1.0c', '1.0rc0'],
    ['1.0-c-1', '1.0rc1'],
    ['1.0pre2', '1.0rc2'],
    ['1.0.preview2', '1.0rc2'],
    ['1.0a-1', '1.0a1'], // greedy: the "-1" is the pre-release number, not a post-release
    ['1.0-dev', '1.0.dev0'],
    ['1.0-dev-1', '1.0.dev1'],
    ['1!01.02', '1!1.2'],
    ['00!1', '1'], // epoch 0 is not printed
    ['1.0+Ubuntu-1', '1.0+ubuntu.1'],
    ['1.0+abc.007', '1.0+abc.7'], // numeric local parts are ints
    ['1.0.99999999999999999999', '1.0.99999999999999999999'],
    ['0001.000000000000000000000000001', '1.1'],
  ])('%j → %s', (input, normalized) => {
    expect(parseVersion(input).toString()).toBe(normalized);
    // Normal forms round-trip.
    expect(parseVersion(normalized).toString()).toBe(normalized);
  });

  it.each([
    '', ' ', 'v', '1.', '.1', '1..0', '1.0+', '1.0+abc+def', '1.0a1.rc1', '1.0 .dev', '1.*', '1.0--1',
    '1.0-1-1', '1.0_+abc', '1.0.dev1.post1', 'vv1.0', '1,0', '\ufeff1.0', '١.0',
  ])('rejects %j with INVALID_VERSION', (input) => {
    expectInvalid(input);
    expect(tryParseVersion(input)).toBeNull();
  });

  it('points a caret at where parsing stopped', () => {
    const err = expectInvalid('1.0.postx');
    expect(err.message).toContain('    1.0.postx\n            ^');
    expect(err.details).toMatchObject({ input: '1.0.postx', position: 8 });
    expect(expectInvalid('  foo').details).toMatchObject({ position: 2 });
  });
});

describe('fields', () => {
  it('exposes normalised parts and flags', () => {
    const v = parseVersion('2!1.2.3rc4.post5.dev6+Ubuntu_007');
    expect(v.epoch).toBe(2);
    expect(v.release).toEqual([1, 2, 3]);
    expect(v.pre).toEqual(['rc', 4]);
    expect(v.post).toBe(5);
    expect(v.dev).toBe(6);
    expect(v.local).toBe('ubuntu.7');
    expect(v.public).toBe('2!1.2.3rc4.post5.dev6');
    expect(v.baseVersion).toBe('2!1.2.3');
    expect([v.isPrerelease, v.isPostrelease, v.isDevrelease]).toEqual([true, true, true]);
    expect([v.major, v.minor, v.micro]).toEqual([1, 2, 3]);
  });

  it('treats dev-only versions as pre-releases and fills missing parts', () => {
    const v = parseVersion('3.dev0');
    expect(v.isPrerelease).toBe(true);
    expect(v.pre).toBeNull();
    expect([v.major, v.minor, v.micro]).toEqual([3, 0, 0]);
    const final = parseVersion('1.0.post1');
    expect([final.isPrerelease, final.isPostrelease, final.local, final.post]).toEqual([false, true, null, 1]);
  });

  it('keeps numbers beyond 2^53 exact where it matters', () => {
    const v = parseVersion('99999999999999999999!1.18446744073709551617');
    expect(v.exact.epoch).toBe(99999999999999999999n);
    expect(v.exact.release).toEqual([1n, 18446744073709551617n]);
    expect(v.toString()).toBe('99999999999999999999!1.18446744073709551617');
    expect(compareVersions('1.0.99999999999999999999', '1.0.99999999999999999998')).toBe(1);
    expect(compareVersions('1.0.9007199254740993', '1.0.9007199254740992')).toBe(1); // equal as doubles
  });

  it('is immutable', () => {
    const v = parseVersion('1.2');
    expect(Object.isFrozen(v)).toBe(true);
    expect(Object.isFrozen(v.release)).toBe(true);
    expect(() => {
      (v as { epoch: number }).epoch = 3;
    }).toThrow(TypeError);
  });
});

describe('ordering (PEP 440 "Summary of permitted suffixes and relative ordering")', () => {
  // Strictly increasing; every pair is compared both ways.
  const ordered = [
    '1.0.dev456', '1.0a1', '1.0a2.dev456', '1.0a12.dev456', '1.0a12', '1.0b1.dev456', '1.0b2',
    '1.0b2.post345.dev456', '1.0b2.post345', '1.0rc1.dev456', '1.0rc1', '1.0', '1.0+abc.5',
    '1.0+abc.7', '1.0+5', '1.0.post456.dev34', '1.0.post456', '1.0.15', '1.1.dev1', '1.1',
    '1.1.99999999999999999999', '2', '1!0.1',
  ];
  it('orders the PEP 440 example chain pairwise', () => {
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        const expected = i < j ? -1 : i > j ? 1 : 0;
        expect([ordered[i], ordered[j], compareVersions(ordered[i]!, ordered[j]!)]).toEqual([ordered[i], ordered[j], expected]);
      }
    }
  });

  it.each([
    ['1.0', '1.0.0.0'],
    ['1.0', 'v1.00'],
    ['1.0+ABC', '1.0+abc'],
    ['1.0+1', '1.0+01'],
    ['1.0+a-b', '1.0+a.b'],
    ['0!1.0', '1.0'],
    ['1.0a', '1.0a0'],
  ])('%s == %s', (a, b) => {
    expect(compareVersions(a, b)).toBe(0);
    expect(parseVersion(a).equals(parseVersion(b))).toBe(true);
  });

  it('orders local labels: alphanumeric < numeric, then longer > shorter', () => {
    expect(compareVersions('1.0+a', '1.0+1')).toBe(-1);
    expect(compareVersions('1.0+a.b', '1.0+a.1')).toBe(-1);
    expect(compareVersions('1.0+a', '1.0+a.0')).toBe(-1);
    expect(compareVersions('1.0+2', '1.0+10')).toBe(-1);
    expect(compareVersions('1.0+b', '1.0+abc')).toBe(1);
    expect(compareVersions('1.0', '1.0+0')).toBe(-1);
  });

  it('throws INVALID_VERSION for an unparsable operand', () => {
    expect(() => compareVersions('1.0', 'nope')).toThrow(expect.objectContaining({ code: 'INVALID_VERSION' }));
  });
});

describe("packaging's non-ASCII corners (Python re.IGNORECASE folds İ ı ſ K onto ASCII)", () => {
  it('accepts "poſt" but keeps it distinct from "post" in ordering, as packaging does', () => {
    const odd = parseVersion('1.0.po\u017ft1');
    expect(odd.toString()).toBe('1.0.post1');
    expect(odd.equals(parseVersion('1.0.post1'))).toBe(false);
  });

  it('keeps an unusual pre-release label verbatim', () => {
    const v = parseVersion('1.0prev\u0130ew1');
    expect(v.pre?.[0]).toBe('previ\u0307ew');
    expect(v.isPrerelease).toBe(true);
    expect(parseVersion('1.0+\u212a').local).toBe('k');
  });
});

describe('canonicalizeVersion (packaging.utils.canonicalize_version)', () => {
  it.each([
    ['1.0.0', {}, '1'],
    ['1.0.0', { stripTrailingZero: false }, '1.0.0'],
    ['1.10.0', {}, '1.10'],
    ['0.0', {}, '0'],
    ['1.0.0rc1', {}, '1rc1'],
    ['1!2.0+Local', {}, '1!2+local'],
    ['v1.0-1', {}, '1.post1'],
    ['foo bar', {}, 'foo bar'], // not a version: returned unchanged
  ])('%j %j → %s', (input, options, expected) => {
    expect(canonicalizeVersion(input, options)).toBe(expected);
  });

  it('accepts a Version', () => {
    expect(canonicalizeVersion(new Version('2.0.0.post0'))).toBe('2.post0');
  });
});
