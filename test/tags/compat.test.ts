import { describe, expect, it } from 'vitest';
import { Tag, TagSet, parseTag, wheelCompatibility } from '../../src/tags/index.js';
import { generateTargetTags, parseCompactTarget } from '../../src/target/index.js';

const armhf = new TagSet(generateTargetTags(parseCompactTarget('cp311-manylinux_2_36_armv7l')));

function verdict(wheelTag: string) {
  return wheelCompatibility(parseTag(wheelTag), armhf);
}

describe('TagSet', () => {
  it('gives each tag its best-first position', () => {
    expect(armhf.priority(new Tag('cp311', 'cp311', 'manylinux_2_36_armv7l'))).toBe(0);
    expect(armhf.priority(new Tag('py3', 'none', 'any'))).toBe(armhf.tags.findIndex((t) => String(t) === 'py3-none-any'));
    expect(armhf.priority(new Tag('cp311', 'cp311', 'manylinux_2_36_aarch64'))).toBeUndefined();
    expect(armhf.has(new Tag('CP311', 'ABI3', 'LINUX_ARMV7L'))).toBe(true);
    expect(armhf.size).toBe(armhf.tags.length);
  });

  it('keeps the first position of a duplicated tag', () => {
    const t = new Tag('py3', 'none', 'any');
    const set = new TagSet([t, new Tag('py2', 'none', 'any'), t]);
    expect(set.priority(t)).toBe(0);
    expect(set.size).toBe(3);
  });
});

describe('wheelCompatibility', () => {
  it('compatible: reports the best matching tag and its priority', () => {
    const v = verdict('cp311-cp311-manylinux_2_17_armv7l.manylinux2014_armv7l');
    expect(v.compatible).toBe(true);
    if (!v.compatible) return;
    expect(String(v.tag)).toBe('cp311-cp311-manylinux_2_17_armv7l');
    expect(v.priority).toBe(armhf.priority(v.tag));
    // A better tag of the same wheel wins over a worse one, whatever order the wheel lists them in.
    const w = verdict('py3.cp311-none-any.linux_armv7l');
    expect(w.compatible && String(w.tag)).toBe('cp311-none-linux_armv7l');
  });

  it('pure-Python and abi3 wheels are compatible; a newer abi3 is a python problem', () => {
    expect(verdict('py2.py3-none-any').compatible).toBe(true);
    expect(verdict('cp38-abi3-manylinux_2_28_armv7l').compatible).toBe(true);
    const v = verdict('cp312-abi3-manylinux_2_28_armv7l');
    expect(v).toMatchObject({ compatible: false, reason: 'python' });
  });

  it('python: no supported tag has the wheel’s Python tag', () => {
    const v = verdict('cp312-cp312-manylinux_2_17_armv7l');
    expect(v).toEqual({ compatible: false, reason: 'python', detail: 'needs cp312, target is cp311' });
    expect(verdict('pp310-pypy310_pp73-manylinux_2_17_armv7l')).toMatchObject({ reason: 'python' });
  });

  it('abi: the Python tag fits but not with this ABI', () => {
    const v = verdict('cp311-cp311d-manylinux_2_17_armv7l');
    expect(v).toMatchObject({ compatible: false, reason: 'abi' });
    if (v.compatible) return;
    expect(v.detail).toContain('cp311d');
    expect(v.detail).toContain('abi3');
  });

  it('platform: Python and ABI fit, the platform does not', () => {
    const v = verdict('cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64');
    expect(v).toMatchObject({ compatible: false, reason: 'platform' });
    if (v.compatible) return;
    expect(v.detail).toContain('manylinux_2_17_aarch64');
    expect(v.detail).toContain('manylinux_2_36_armv7l');
    // Too new a glibc is a platform problem too.
    expect(verdict('cp311-cp311-manylinux_2_38_armv7l')).toMatchObject({ reason: 'platform' });
  });

  it('precedence: the reason of the wheel tag that came closest (platform > abi > python)', () => {
    // cp312 → python, cp311-cp311d → abi, cp311-cp311-win32 → platform: platform wins.
    const wheel = [...parseTag('cp312-cp312-any'), ...parseTag('cp311-cp311d-linux_armv7l'), ...parseTag('cp311-cp311-win32')];
    expect(wheelCompatibility(wheel, armhf)).toMatchObject({ reason: 'platform' });
    expect(wheelCompatibility(wheel.slice(0, 2), armhf)).toMatchObject({ reason: 'abi' });
    expect(wheelCompatibility(wheel.slice(0, 1), armhf)).toMatchObject({ reason: 'python' });
    // Order of the wheel's tags does not matter.
    expect(wheelCompatibility([...wheel].reverse(), armhf)).toMatchObject({ reason: 'platform' });
  });

  it('degenerate inputs', () => {
    expect(wheelCompatibility([], armhf)).toMatchObject({ compatible: false, reason: 'python', detail: 'the wheel has no tags' });
    expect(wheelCompatibility(parseTag('py3-none-any'), new TagSet([]))).toMatchObject({ compatible: false });
  });
});
