/** The `.dist-info/WHEEL` file and `.data/` scheme names. */
import { describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import { SCHEME_NAMES, isSchemeName, parseWheelInfo, serializeWheelInfo } from '../../src/wheel/index.js';

const GOOD = 'Wheel-Version: 1.0\nGenerator: bdist_wheel (0.43.0)\nRoot-Is-Purelib: true\nTag: py2-none-any\nTag: py3-none-any\n';

describe('parseWheelInfo', () => {
  it('reads every field', () => {
    const w = parseWheelInfo(`${GOOD}Build: 7b\n`);
    expect(w.wheelVersion).toEqual([1, 0]);
    expect(w.wheelVersionIsNewer).toBe(false);
    expect(w.generator).toBe('bdist_wheel (0.43.0)');
    expect(w.rootIsPurelib).toBe(true);
    expect(w.tags.map(String)).toEqual(['py2-none-any', 'py3-none-any']);
    expect(w.build).toEqual([7, 'b']);
  });

  it('reads CRLF files, any-case Root-Is-Purelib, and expands a compressed Tag line', () => {
    const w = parseWheelInfo('wheel-version: 1.0\r\nroot-is-purelib: False\r\nTag: cp311.cp312-abi3-linux_x86_64\r\n');
    expect(w.rootIsPurelib).toBe(false);
    expect(w.generator).toBeNull();
    expect(w.tags.map(String)).toEqual(['cp311-abi3-linux_x86_64', 'cp312-abi3-linux_x86_64']);
  });

  it('accepts a newer minor Wheel-Version with a flag (the spec says warn)', () => {
    const w = parseWheelInfo(GOOD.replace('1.0', '1.9'));
    expect(w.wheelVersion).toEqual([1, 9]);
    expect(w.wheelVersionIsNewer).toBe(true);
  });

  it.each([
    ['a newer major Wheel-Version', GOOD.replace('1.0', '2.0'), /newer major version/],
    ['a malformed Wheel-Version', GOOD.replace('1.0', 'one'), /not MAJOR\.MINOR/],
    ['no Wheel-Version', GOOD.replace('Wheel-Version: 1.0\n', ''), /Wheel-Version is missing/],
    ['no Root-Is-Purelib', GOOD.replace('Root-Is-Purelib: true\n', ''), /Root-Is-Purelib is missing/],
    ['a bad Root-Is-Purelib', GOOD.replace('true', 'yes'), /'yes' is neither/],
    ['a bad Tag', `${GOOD}Tag: py3-none\n`, /Tag 'py3-none'/],
    ['a repeated Wheel-Version', `${GOOD}Wheel-Version: 1.0\n`, /appears 2 times/],
    ['a bad Build', `${GOOD}Build: x1\n`, /Build 'x1'/],
  ])('refuses %s', (_what, text, message) => {
    try {
      parseWheelInfo(text, 'foo-1.0.dist-info/WHEEL');
      expect.unreachable();
    } catch (e) {
      expect(isSneakpackError(e, 'INVALID_WHEEL_FILE')).toBe(true);
      expect((e as Error).message).toMatch(message);
      expect((e as Error).message).toContain('foo-1.0.dist-info/WHEEL');
    }
  });

  it('gathers every problem', () => {
    try {
      parseWheelInfo('Wheel-Version: 3.0\nRoot-Is-Purelib: maybe\nTag: x\n');
      expect.unreachable();
    } catch (e) {
      expect((e as { details: { problems: string[] } }).details.problems).toHaveLength(3);
    }
  });

  it('serializeWheelInfo writes what parseWheelInfo reads', () => {
    const text = serializeWheelInfo({ rootIsPurelib: false, tags: ['cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64'], build: '2' });
    const w = parseWheelInfo(text);
    expect(w.rootIsPurelib).toBe(false);
    expect(w.generator).toBe('sneakpack');
    expect(w.build).toEqual([2, '']);
    expect(w.tags.map(String)).toEqual(['cp311-cp311-manylinux_2_17_x86_64', 'cp311-cp311-manylinux2014_x86_64']);
  });
});

describe('SCHEME_NAMES', () => {
  it('lists the .data scheme keys of the spec', () => {
    expect(SCHEME_NAMES).toEqual(['purelib', 'platlib', 'headers', 'scripts', 'data']);
    expect(isSchemeName('scripts')).toBe(true);
    expect(isSchemeName('bin')).toBe(false);
    expect(Object.isFrozen(SCHEME_NAMES)).toBe(true);
  });
});
