/** Unit tests for PEP 440 specifiers and specifier sets: the rules that are easy to get wrong. */
import { describe, expect, it } from 'vitest';
import { SneakpackError } from '../../src/errors.js';
import {
  Specifier,
  SpecifierSet,
  Version,
  parseSpecifier,
  parseSpecifierSet,
} from '../../src/pep440/index.js';

function thrown(f: () => unknown): SneakpackError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SneakpackError);
    return e as SneakpackError;
  }
  throw new Error('expected an error');
}

/** [specifier, version, options, expected] */
type Row = [string, string, { prereleases?: boolean }, boolean];
function table(rows: Row[]): void {
  it.each(rows)('%s contains %s %j → %s', (spec, version, options, expected) => {
    expect(parseSpecifier(spec).contains(version, options)).toBe(expected);
  });
}

describe('parsing', () => {
  it.each([
    ['>=1.0', '>=', '1.0'],
    ['  >=  1.0 ', '>=', '1.0'],
    ['==v1.0.*', '==', 'v1.0.*'],
    ['==1.0+Local', '==', '1.0+Local'],
    ['~=1.0', '~=', '1.0'],
    ['===foo', '===', 'foo'],
    ['=== foo', '===', 'foo'],
    ['===', '===', ''],
    ['<1.0a1', '<', '1.0a1'],
    ['!=2.*', '!=', '2.*'],
  ])('%j → %s %s', (text, operator, version) => {
    const s = parseSpecifier(text);
    expect([s.operator, s.version, s.toString()]).toEqual([operator, version, operator + version]);
  });

  it.each([
    '', '1.0', '=1.0', '=>1.0', '~=1', '~=1.*', '>=1.0.*', '<1.0+local', '~=1.0+abc', '==1.0a1.*', '==1.0.*.*',
    '!==1.0', '>==1.0', '>=', '===foo bar', '==1.0;', '>=1.0)',
  ])('rejects %j with INVALID_SPECIFIER', (text) => {
    const err = thrown(() => parseSpecifier(text));
    expect(err.code).toBe('INVALID_SPECIFIER');
    expect(err.message).toContain(`'${text}'`);
  });

  it('shows a caret where the specifier went wrong', () => {
    const err = thrown(() => parseSpecifier('>=1.0.*'));
    expect(err.message).toContain('    >=1.0.*\n         ^');
    const inSet = thrown(() => parseSpecifierSet('>=1.0, <2, ~=3'));
    expect(inSet.code).toBe('INVALID_SPECIFIER');
    expect(inSet.details).toMatchObject({ specifier: '~=3', position: 13 }); // at the lone '3'
    expect(inSet.message).toContain(`    >=1.0, <2, ~=3\n${' '.repeat(4 + 13)}^`);
  });
});

describe('~= compatible release ("Compatible release")', () => {
  table([
    ['~=2.2', '2.2', {}, true],
    ['~=2.2', '2.9.9', {}, true],
    ['~=2.2', '3.0', {}, false],
    ['~=2.2', '2.1', {}, false],
    ['~=1.4.5', '1.4.9', {}, true],
    ['~=1.4.5', '1.5.0', {}, false],
    ['~=2.2.post3', '2.2', {}, false],
    ['~=2.2.post3', '2.3', {}, true],
    ['~=1.0a1', '1.0a2', {}, true], // the spec names a pre-release, so pre-releases are in
    ['~=1!1.0', '1!1.5', {}, true],
    ['~=1!1.0', '1.5', {}, false],
    ['~=v1.0', '1.5', {}, false], // packaging splits the raw text: "v1" never matches
  ]);
});

describe('== and != with wildcards ("Version matching", "Version exclusion")', () => {
  table([
    ['==1.*', '1.0', {}, true],
    ['==1.*', '1.9.post1', {}, true],
    ['==1.*', '1.0+local', {}, true],
    ['==1.*', '2.0', {}, false],
    ['==1.*', '1.0a1', {}, false],
    ['==1.*', '1.0a1', { prereleases: true }, true],
    ['==1.0.*', '1', {}, true], // the candidate is zero-padded
    ['==1.1.*', '1.1a1', { prereleases: true }, true],
    ['==1.0.*', '1.0.dev1', { prereleases: true }, true],
    ['!=1.*', '1.5', {}, false],
    ['!=1.*', '2.0', {}, true],
    ['!=1.0.*', '1.0.1a1', { prereleases: true }, false],
    ['==1.0', '1.0.0', {}, true],
  ]);
});

describe('local versions ("Local version identifiers")', () => {
  table([
    ['==1.0', '1.0+local', {}, true],
    ['==1.0+local', '1.0', {}, false],
    ['==1.0+local', '1.0+LOCAL', {}, true],
    ['==1.0+local', '1.0+local.1', {}, false],
    ['!=1.0', '1.0+local', {}, false],
    ['<=1.0', '1.0+local', {}, true],
    ['>=1.0', '1.0+x', {}, true],
  ]);
});

describe('exclusive ordered comparisons ("Exclusive ordered comparison")', () => {
  table([
    ['<3.1', '3.0', {}, true],
    ['<3.1', '3.1.dev0', { prereleases: true }, false], // pre-release of the spec version
    ['<3.1', '3.0.dev0', { prereleases: true }, true],
    ['<3.1a2', '3.1a1', {}, false], // < is not inclusive: no automatic pre-releases
    ['<3.1a2', '3.1a1', { prereleases: true }, true],
    ['>3.1', '3.1.post1', {}, false], // post-release of the spec version
    ['>3.1', '3.2.post0', {}, true],
    ['>3.1.post0', '3.1.post1', {}, true],
    ['>3.1', '3.1+local', {}, false], // local version of the spec version
    ['>3.1', '3.1.1+local', {}, true],
  ]);
});

describe('=== arbitrary equality', () => {
  table([
    ['===1.0', '1.0', {}, true],
    ['===1.0', '1.0.0', {}, false],
    ['===1.0', '1.0+local', {}, false],
    ['===1.0+ABC', '1.0+abc', {}, true],
  ]);

  it('needs a parsable candidate, and a parsable spec unless prereleases is explicit', () => {
    expect(thrown(() => parseSpecifier('===1.0').contains('foo')).code).toBe('INVALID_VERSION');
    const foo = parseSpecifier('===foo');
    expect(thrown(() => foo.prereleases).code).toBe('INVALID_VERSION');
    expect(thrown(() => foo.contains('1.0')).code).toBe('INVALID_VERSION');
    expect(foo.contains('1.0', { prereleases: false })).toBe(false);
    expect(parseSpecifier('===foo', { prereleases: true }).prereleases).toBe(true);
  });
});

describe('pre-release handling ("Handling of pre-releases")', () => {
  it('derives Specifier.prereleases from inclusive operators naming a pre-release', () => {
    expect(parseSpecifier('>=1.0').prereleases).toBe(false);
    expect(parseSpecifier('>=1.0a1').prereleases).toBe(true);
    expect(parseSpecifier('==1.0.dev1').prereleases).toBe(true);
    expect(parseSpecifier('!=1.0a1').prereleases).toBe(false);
    expect(parseSpecifier('>1.0a1').prereleases).toBe(false);
  });

  it('lets the Specifier override and the call option decide, in that order', () => {
    expect(parseSpecifier('>=1.0').contains('1.1a1')).toBe(false);
    expect(parseSpecifier('>=1.0').contains('1.1a1', { prereleases: true })).toBe(true);
    expect(new Specifier('>=1.0', true).contains('1.1a1')).toBe(true);
    expect(new Specifier('>=1.0a1', false).contains('1.1a1')).toBe(false);
    expect(new Specifier('>=1.0a1', false).contains('1.1a1', { prereleases: true })).toBe(true);
  });

  it('does the same at SpecifierSet level', () => {
    expect(parseSpecifierSet('').prereleases).toBeUndefined();
    expect(parseSpecifierSet('>=1.0,<2').prereleases).toBe(false);
    expect(parseSpecifierSet('>=1.0a1,<2').prereleases).toBe(true);
    expect(parseSpecifierSet('>=1.0a1', { prereleases: false }).contains('1.0a2')).toBe(false);
    expect(parseSpecifierSet('>=1.0a1', { prereleases: false }).contains('1.0a2', { prereleases: true })).toBe(true);
    expect(parseSpecifierSet('>=1.0', { prereleases: true }).contains('1.1a1')).toBe(true);
    // One spec that admits pre-releases opens the whole set.
    expect(parseSpecifierSet('>=1.0a1,<2').contains('1.5b1')).toBe(true);
  });

  it('compares an installed pre-release by its base version', () => {
    const set = parseSpecifierSet('>=1.0');
    expect(set.contains('1.0a1', { prereleases: true })).toBe(false);
    expect(set.contains('1.0a1', { prereleases: true, installed: true })).toBe(true);
    expect(set.contains('1.0a1', { installed: true })).toBe(false); // still a pre-release first
  });
});

describe('SpecifierSet', () => {
  it('is the empty set for "" and contains every final release', () => {
    const empty = parseSpecifierSet('');
    expect([empty.isEmpty, empty.length, empty.toString()]).toEqual([true, 0, '']);
    expect(empty.contains('1.0')).toBe(true);
    expect(empty.contains('1.0a1')).toBe(false);
    expect(empty.contains('1.0a1', { prereleases: true })).toBe(true);
    expect(parseSpecifierSet(' , ,').isEmpty).toBe(true);
  });

  it('tolerates whitespace and empty items, sorts str() and drops duplicates keeping the first spelling', () => {
    expect(parseSpecifierSet(' >= 1.0 , < 2 ,, ').toString()).toBe('<2,>=1.0');
    expect(parseSpecifierSet('<2,>1,!=1.5,==1.*').toString()).toBe('!=1.5,<2,==1.*,>1');
    const dup = parseSpecifierSet('>=1.0,>=1.0.0');
    expect([dup.length, dup.toString()]).toEqual([1, '>=1.0']);
    expect(parseSpecifierSet('~=1.0,~=1.0.0').length).toBe(2); // ~= keeps trailing zeros
    expect([...parseSpecifierSet('>=1,<2')].map(String)).toEqual(['>=1', '<2']);
  });

  it('combines with and(), merging overrides', () => {
    const ab = parseSpecifierSet('>=1.0.0,!=1.0.1').and('<=2.0.0,!=2.0.1');
    expect(ab.toString()).toBe('!=1.0.1,!=2.0.1,<=2.0.0,>=1.0.0');
    expect(parseSpecifierSet('>=1', { prereleases: true }).and('<2').prereleasesOverride).toBe(true);
    expect(parseSpecifierSet('>=1').and(parseSpecifierSet('<2', { prereleases: false })).prereleasesOverride).toBe(false);
    const conflict = thrown(() => parseSpecifierSet('>=1', { prereleases: true }).and(parseSpecifierSet('<2', { prereleases: false })));
    expect(conflict.code).toBe('INVALID_SPECIFIER');
  });

  it('compares by canonical specifiers, ignoring order and overrides', () => {
    expect(parseSpecifierSet('>=1.0,<2').equals('<2.0, >=1')).toBe(true);
    expect(parseSpecifierSet('>=1.0', { prereleases: true }).equals('>=1.0')).toBe(true);
    expect(parseSpecifierSet('>=1.0').equals('>=1.0,<2')).toBe(false);
    expect(parseSpecifier('==1.0+ABC').equals('==1.0.0+abc')).toBe(true);
  });
});

describe('filter', () => {
  it('Specifier.filter keeps pre-releases only when nothing else matches', () => {
    const s = parseSpecifier('>=1.2.3');
    expect(s.filter(['1.2', '1.3', '1.5a1'])).toEqual(['1.3']);
    expect(s.filter(['1.2', '1.5a1'])).toEqual(['1.5a1']);
    expect(s.filter(['1.3', '1.5a1'], { prereleases: true })).toEqual(['1.3', '1.5a1']);
    expect(s.filter(['1.2', '1.5a1'], { prereleases: false })).toEqual([]);
  });

  it('SpecifierSet.filter applies the fallback only to the empty set', () => {
    expect(parseSpecifierSet('>=1.2.3').filter(['1.2', '1.3', '1.5a1'])).toEqual(['1.3']);
    expect(parseSpecifierSet('>=1.2.3').filter(['1.2', '1.5a1'])).toEqual([]);
    expect(parseSpecifierSet('>=1.2.3', { prereleases: true }).filter(['1.3', '1.5a1'])).toEqual(['1.3', '1.5a1']);
    expect(parseSpecifierSet('').filter(['1.5a1'])).toEqual(['1.5a1']);
    expect(parseSpecifierSet('').filter(['1.3', '1.5a1'])).toEqual(['1.3']);
    expect(parseSpecifierSet('', { prereleases: false }).filter(['1.5a1'])).toEqual([]);
  });

  it('returns the items themselves, Version objects included', () => {
    const v = new Version('1.4');
    const out = parseSpecifierSet('>=1.2.3').filter<string | Version>(['1.2', '1.3', v]);
    expect(out).toEqual(['1.3', v]);
    expect(out[1]).toBe(v);
    expect(thrown(() => parseSpecifierSet('>=1').filter(['1.0', 'bogus'])).code).toBe('INVALID_VERSION');
  });
});
