import { describe, expect, it } from 'vitest';
import { Tag, parseTag } from '../../src/tags/index.js';
import { isSneakpackError } from '../../src/errors.js';
import { Rng } from '../helpers/random.js';
import { runReference } from '../helpers/reference.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isSneakpackError(e) ? e.code : `not a SneakpackError: ${String(e)}`;
  }
  return undefined;
}

describe('Tag', () => {
  it('normalises to lower case and prints as interpreter-abi-platform', () => {
    const t = new Tag('CP311', 'Cp311', 'ManyLinux_2_17_X86_64');
    expect(t.interpreter).toBe('cp311');
    expect(t.abi).toBe('cp311');
    expect(t.platform).toBe('manylinux_2_17_x86_64');
    expect(String(t)).toBe('cp311-cp311-manylinux_2_17_x86_64');
    expect(t.equals(new Tag('cp311', 'cp311', 'manylinux_2_17_x86_64'))).toBe(true);
    expect(t.equals(new Tag('cp311', 'abi3', 'manylinux_2_17_x86_64'))).toBe(false);
    expect(Object.isFrozen(t)).toBe(true);
  });
});

describe('parseTag', () => {
  it('expands compressed tag sets as the product interpreters × abis × platforms', () => {
    expect(parseTag('py2.py3-none-any').map(String)).toEqual(['py2-none-any', 'py3-none-any']);
    expect(parseTag('cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64').map(String)).toEqual([
      'cp311-cp311-manylinux_2_17_x86_64',
      'cp311-cp311-manylinux2014_x86_64',
    ]);
    expect(parseTag('cp38.cp39-abi3.none-linux_x86_64.any').map(String)).toHaveLength(8);
    expect(parseTag('py3.PY3-none-any').map(String)).toEqual(['py3-none-any']);
  });

  it.each([
    ['', 'no dashes'],
    ['py3-none', 'two parts'],
    ['py3-none-any-extra', 'four parts'],
    ['py3--any', 'empty abi'],
    ['py3-none-any.', 'trailing dot'],
    ['.py3-none-any', 'leading dot'],
    ['py3-no ne-any', 'space'],
    ['py3-none-any+local', 'plus sign'],
  ])('rejects %j (%s) with INVALID_TAG', (text) => {
    expect(code(() => parseTag(text))).toBe('INVALID_TAG');
  });

  it('names the input and points at the problem', () => {
    try {
      parseTag('py3-no ne-any');
      expect.unreachable();
    } catch (e) {
      expect((e as Error).message).toContain('"py3-no ne-any"');
      expect((e as Error).message).toContain('\n    py3-no ne-any\n          ^');
    }
  });

  it('agrees with packaging.tags.parse_tag on generated compressed tags', () => {
    const rng = new Rng(425);
    const interps = ['py2', 'py3', 'py311', 'cp311', 'CP312', 'pp310', 'cp313t', 'ip27', 'graalpy311'];
    const abis = ['none', 'abi3', 'cp311', 'cp37m', 'cp313t', 'pypy310_pp73', 'NONE', 'graalpy311_native'];
    const plats = [
      'any',
      'manylinux_2_17_x86_64',
      'manylinux2014_x86_64',
      'manylinux1_i686',
      'musllinux_1_2_aarch64',
      'linux_armv7l',
      'win_amd64',
      'macosx_11_0_arm64',
      'MacOSX_10_9_Universal2',
    ];
    // Edge components: empty, odd characters, duplicates; packaging accepts them all (it only
    // counts dashes), we reject the empty and odd ones on purpose (see src/tags/tag.ts).
    const odd = ['', 'a b', 'x+y', 'é', '1', '_', 'py3'];
    const part = (pool: string[]) => {
      const n = rng.int(1, 3);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(rng.chance(0.1) ? rng.pick(odd) : rng.pick(pool));
      return items.join('.');
    };
    const cases: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const parts = [part(interps), part(abis), part(plats)];
      if (rng.chance(0.05)) parts.pop();
      if (rng.chance(0.05)) parts.push(part(plats));
      cases.push(parts.join('-'));
    }
    cases.push('py3-none-any', 'py3--any', '--', 'a-b-c', 'py2.py3.py2-none.none-any.any');
    const ref = runReference<(string[] | null)[]>(
      `
out = []
for text in INPUT:
    try:
        out.append(sorted(str(t) for t in tags.parse_tag(text)))
    except Exception:
        out.append(None)
emit(out)
`,
      cases,
    );
    const problems: string[] = [];
    const stricter = (text: string) => text.split('-').some((p) => p.split('.').some((c) => !/^[A-Za-z0-9_]+$/.test(c)));
    let agreedValid = 0;
    let agreedInvalid = 0;
    let stricterCount = 0;
    cases.forEach((text, i) => {
      const expected = ref[i];
      let ours: string[] | null;
      try {
        ours = parseTag(text).map(String).sort();
      } catch (e) {
        if (!isSneakpackError(e, 'INVALID_TAG')) throw e;
        ours = null;
      }
      if (ours !== null && expected !== null && expected !== undefined) {
        if (JSON.stringify(ours) === JSON.stringify(expected)) agreedValid++;
        else problems.push(`${JSON.stringify(text)}: ours ${JSON.stringify(ours)}, packaging ${JSON.stringify(expected)}`);
      } else if (ours === null && expected === null) agreedInvalid++;
      else if (ours === null && stricter(text)) stricterCount++;
      else problems.push(`${JSON.stringify(text)}: ours ${JSON.stringify(ours)}, packaging ${JSON.stringify(expected)}`);
    });
    expect(problems.slice(0, 20)).toEqual([]);
    // The generator must actually reach all three outcomes.
    expect(agreedValid).toBeGreaterThan(500);
    expect(agreedInvalid).toBeGreaterThan(50);
    expect(stricterCount).toBeGreaterThan(50);
  });
});
