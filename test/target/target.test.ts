import { TARGETS_DIR } from '../helpers/targets.js';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import {
  MARKER_VARIABLES,
  PRESETS,
  type Target,
  type TargetProfile,
  compactMarkerEnvironment,
  compactTarget,
  findPreset,
  generateTargetTags,
  parseCompactTarget,
  profileTarget,
  resolveTarget,
  targetMarkerEnvironment,
  targetTags,
  validateProfile,
} from '../../src/target/index.js';

const profileFiles = readdirSync(TARGETS_DIR).filter((f) => f.endsWith('.json')).sort();
const profiles = new Map<string, TargetProfile>(
  profileFiles.map((f) => [f, JSON.parse(readFileSync(join(TARGETS_DIR, f), 'utf8')) as TargetProfile]),
);

function firstDifference(a: readonly string[], b: readonly string[]): string | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `first difference at index ${i}: ours ${JSON.stringify(a[i])}, captured ${JSON.stringify(b[i])} (lengths ${a.length} vs ${b.length})`;
  }
  return null;
}

function errorOf(fn: () => unknown): { code: string; message: string } | undefined {
  try {
    fn();
  } catch (e) {
    if (isSneakpackError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  return undefined;
}

/** The compact description of a captured machine, written from its file by hand (not via profileTarget). */
function compactFromFile(p: TargetProfile): string {
  const [major, minor] = p.python.version.split('.');
  expect(p.python.libc?.[0]).toBe('glibc');
  const glibc = p.python.libc![1].replace('.', '_');
  return `cp${major}${minor}-manylinux_${glibc}_${p.uname_machine}`;
}

describe('captured machines (/work/shared/targets)', () => {
  it('has profiles to check', () => {
    expect(profileFiles.length).toBeGreaterThanOrEqual(7);
  });

  /*
   * Two captures were taken with the packaging that pip 23.x vendors in those pyenv interpreters
   * (21.3), whose sys_tags() does not yet yield `cpXY-none-any` (added in packaging 22.0; our
   * reference is 24.1). Re-running their own pip._vendor.packaging.tags.sys_tags() reproduces the
   * files exactly. For them the expected list is the file with that one tag put back before
   * `pyXY-none-any`; every other file must match as is.
   */
  const CAPTURED_WITH_PACKAGING_21 = new Set(['pyenv-x86_64-cp38.json', 'pyenv-x86_64-cp312.json']);

  function expectedTags(file: string, p: TargetProfile): string[] {
    const tags = [...p.tags!];
    const [major, minor] = p.python.version.split('.');
    const cpAny = `cp${major}${minor}-none-any`;
    if (!CAPTURED_WITH_PACKAGING_21.has(file)) {
      expect(tags).toContain(cpAny);
      return tags;
    }
    expect(tags).not.toContain(cpAny);
    tags.splice(tags.indexOf(`py${major}${minor}-none-any`), 0, cpAny);
    return tags;
  }

  it.each(profileFiles)('%s: the compact description expands to exactly its tags, in order', (file) => {
    const p = profiles.get(file)!;
    const compact = compactFromFile(p);
    const expected = expectedTags(file, p);
    const ours = generateTargetTags(parseCompactTarget(compact)).map(String);
    expect(firstDifference(ours, expected), compact).toBeNull();
    // The same machine read from the profile itself, and the profile with its tags dropped.
    expect(compactTarget(profileTarget(validateProfile(p, file), file))).toBe(compact);
    const { tags: _dropped, ...noTags } = p;
    expect(firstDifference(targetTags(noTags as TargetProfile).map(String), expected)).toBeNull();
  });

  it('a profile with tags is authoritative: its tags are used as captured, not regenerated', () => {
    const p = profiles.get('debian12-armv7l-cp311.json')!;
    const doctored = { ...p, tags: ['cp311-cp311-linux_armv7l', 'py3-none-any'] };
    expect(targetTags(doctored).map(String)).toEqual(['cp311-cp311-linux_armv7l', 'py3-none-any']);
    const r = resolveTarget(p, { name: 'debian12-armv7l-cp311.json' });
    expect(r.source).toBe('profile');
    expect(r.name).toBe('debian12-armv7l-cp311.json');
    expect(r.compact).toBe('cp311-manylinux_2_36_armv7l');
    expect(r.pythonVersion).toBe('3.11.2');
    expect(r.markerEnvironment).toEqual(p.marker_environment);
  });

  it('a PyPy profile is accepted when it carries tags, refused when they would have to be generated', () => {
    const base = profiles.get('debian12-x86_64-cp311.json')!;
    const pypy = { ...base, python: { ...base.python, implementation: 'pypy', soabi: 'pypy310-pp73-x86_64-linux-gnu' }, tags: ['pp310-pypy310_pp73-linux_x86_64'] };
    const r = resolveTarget(pypy);
    expect(r.compact).toBeNull();
    expect(r.tags.map(String)).toEqual(['pp310-pypy310_pp73-linux_x86_64']);
    const { tags: _t, ...noTags } = pypy;
    expect(errorOf(() => resolveTarget(noTags as TargetProfile))?.code).toBe('UNSUPPORTED_TARGET');
  });

  it('derives 32-bit and soft-float interpreters from the SOABI as packaging does', () => {
    const base = profiles.get('debian12-aarch64-cp311.json')!;
    const on64 = (soabi: string, platform: string, version = '3.11.2') =>
      profileTarget(validateProfile({ ...base, python: { ...base.python, version, soabi, sysconfig_platform: platform } }));
    expect(compactTarget(on64('cpython-311-arm-linux-gnueabihf', 'linux-aarch64'))).toBe('cp311-manylinux_2_36_armv8l');
    expect(compactTarget(on64('cpython-311-arm-linux-gnueabi', 'linux-armv7l'))).toBe('cp311-linux_armv7l');
    expect(compactTarget(on64('cpython-311-i386-linux-gnu', 'linux-x86_64'))).toBe('cp311-manylinux_2_36_i686');
    expect(compactTarget(on64('cpython-313t-aarch64-linux-gnu', 'linux-aarch64', '3.13.0'))).toBe('cp313t-manylinux_2_36_aarch64');
    expect(errorOf(() => on64('cpython-311d-aarch64-linux-gnu', 'linux-aarch64'))?.code).toBe('UNSUPPORTED_TARGET');
    expect(errorOf(() => on64('cpython-312-aarch64-linux-gnu', 'linux-aarch64'))?.code).toBe('INVALID_TARGET');
  });
});

describe('validateProfile', () => {
  const good = profiles.get('debian12-aarch64-cp311.json')!;
  it.each([
    ['python', { ...good, python: 'x' }],
    ['python.version', { ...good, python: { ...good.python, version: 311 } }],
    ['python.version', { ...good, python: { ...good.python, version: 'three' } }],
    ['python.soabi', { ...good, python: { ...good.python, soabi: undefined } }],
    ['python.libc', { ...good, python: { ...good.python, libc: ['glibc'] } }],
    ['uname_machine', { ...good, uname_machine: null }],
    ['marker_environment.python_verison', { ...good, marker_environment: { python_verison: '3.11' } }],
    ['marker_environment.python_version', { ...good, marker_environment: { python_version: 3.11 } }],
    ['tags', { ...good, tags: [] }],
    ['tags[1]', { ...good, tags: ['py3-none-any', 'py3-none'] }],
    ['tags[0]', { ...good, tags: ['py2.py3-none-any'] }],
    ['(top level)', [1, 2]],
  ])('names the field %s', (field, value) => {
    const e = errorOf(() => validateProfile(value, 'box.json'));
    expect(e?.code).toBe('INVALID_TARGET');
    expect(e?.message).toContain('box.json');
    expect(e?.message).toContain(`"${field}"`);
  });
});

describe('parseCompactTarget', () => {
  it('parses manylinux, legacy aliases, musllinux and linux_ARCH', () => {
    expect(parseCompactTarget('cp311-manylinux_2_36_armv7l')).toEqual({
      implementation: 'cpython',
      python: { major: 3, minor: 11 },
      freeThreaded: false,
      libc: { family: 'glibc', major: 2, minor: 36 },
      arch: 'armv7l',
    });
    expect(parseCompactTarget('cp312-musllinux_1_2_aarch64').libc).toEqual({ family: 'musl', major: 1, minor: 2 });
    expect(parseCompactTarget('cp39-manylinux2014_x86_64').libc).toEqual({ family: 'glibc', major: 2, minor: 17 });
    expect(parseCompactTarget('cp39-manylinux2010_i686').libc).toEqual({ family: 'glibc', major: 2, minor: 12 });
    expect(parseCompactTarget('cp39-manylinux1_x86_64').libc).toEqual({ family: 'glibc', major: 2, minor: 5 });
    expect(parseCompactTarget('cp311-linux_armv6l')).toMatchObject({ libc: null, arch: 'armv6l' });
    expect(parseCompactTarget('  CP310-ManyLinux_2_35_X86_64 ')).toMatchObject({ python: { major: 3, minor: 10 }, arch: 'x86_64' });
    expect(parseCompactTarget('cp313t-manylinux_2_39_x86_64')).toMatchObject({ freeThreaded: true, python: { minor: 13 } });
    expect(parseCompactTarget('cp30-linux_s390x').python).toEqual({ major: 3, minor: 0 });
  });

  it('aliases expand like the manylinux_2_Y form they stand for', () => {
    expect(generateTargetTags(parseCompactTarget('cp311-manylinux2014_aarch64')).map(String)).toEqual(
      generateTargetTags(parseCompactTarget('cp311-manylinux_2_17_aarch64')).map(String),
    );
    // …and the compact form of such a target is the PEP 600 spelling.
    expect(compactTarget(parseCompactTarget('cp311-manylinux2014_aarch64'))).toBe('cp311-manylinux_2_17_aarch64');
  });

  it.each([
    ['', 'INVALID_TARGET'],
    ['cp311', 'INVALID_TARGET'],
    ['manylinux_2_36_armv7l', 'INVALID_TARGET'],
    ['cp311-cp311-manylinux_2_36_armv7l', 'INVALID_TARGET'],
    ['py3-manylinux_2_36_armv7l', 'INVALID_TARGET'],
    ['cp3-manylinux_2_36_armv7l', 'INVALID_TARGET'],
    ['cp311x-manylinux_2_36_armv7l', 'INVALID_TARGET'],
    ['cp3011-manylinux_2_36_armv7l', 'INVALID_TARGET'],
    ['cp312t-manylinux_2_36_x86_64', 'INVALID_TARGET'],
    ['cp311-manylinux_2_armv7l', 'INVALID_TARGET'],
    ['cp311-manylinux_2_36', 'INVALID_TARGET'],
    ['cp311-win_amd64', 'INVALID_TARGET'],
    ['cp311-macosx_11_0_arm64', 'INVALID_TARGET'],
    ['cp311-manylinux_2_36_armv6l', 'INVALID_TARGET'],
    ['cp311-manylinux_2_16_aarch64', 'INVALID_TARGET'],
    ['cp311-manylinux1_aarch64', 'INVALID_TARGET'],
    ['cp311-manylinux_2_4_x86_64', 'INVALID_TARGET'],
    ['cp311-manylinux_2_36_sparc64', 'UNSUPPORTED_TARGET'],
    ['cp311-linux_mips', 'UNSUPPORTED_TARGET'],
    ['pp310-manylinux_2_36_x86_64', 'UNSUPPORTED_TARGET'],
    ['cp27-manylinux1_x86_64', 'UNSUPPORTED_TARGET'],
  ])('rejects %j with %s, naming the input', (text, code) => {
    const e = errorOf(() => parseCompactTarget(text));
    expect(e?.code).toBe(code);
    expect(e?.message).toContain(JSON.stringify(text.trim().toLowerCase()));
  });

  it('shows where it went wrong and what was expected', () => {
    const e = errorOf(() => parseCompactTarget('cp311-manylinux_2_16_aarch64'))!;
    expect(e.message).toContain('2.17');
    expect(e.message).toContain('\n    cp311-manylinux_2_16_aarch64\n          ^^^^^^^^^^^^^^');
    expect(errorOf(() => parseCompactTarget('cp311-manylinux_2_36_armv6l'))!.message).toContain('cp311-linux_armv6l');
    expect(errorOf(() => parseCompactTarget('debian12'))!.message).toContain('cp311-manylinux_2_36_armv7l');
  });
});

describe('marker environments', () => {
  it('a compact target fills only what it determines; the kernel fields stay unset', () => {
    const env = targetMarkerEnvironment('cp311-manylinux_2_36_armv7l');
    expect(env).toEqual({
      implementation_name: 'cpython',
      os_name: 'posix',
      platform_machine: 'armv7l',
      platform_system: 'Linux',
      platform_python_implementation: 'CPython',
      python_version: '3.11',
      sys_platform: 'linux',
    });
    expect('python_full_version' in env).toBe(false);
    expect('platform_release' in env).toBe(false);
  });

  it('a known micro version fills python_full_version and implementation_version', () => {
    const t: Target = { implementation: 'cpython', python: { major: 3, minor: 12, micro: 3 }, freeThreaded: false, libc: null, arch: 'riscv64' };
    expect(compactMarkerEnvironment(t)).toMatchObject({ python_full_version: '3.12.3', implementation_version: '3.12.3', platform_machine: 'riscv64' });
    expect(resolveTarget(t)).toMatchObject({ source: 'target', compact: 'cp312-linux_riscv64', pythonVersion: '3.12.3' });
  });
});

describe('presets', () => {
  const captured: Record<string, string> = {
    'debian12-armhf': 'debian12-armv7l-cp311.json',
    'debian12-arm64': 'debian12-aarch64-cp311.json',
    'debian12-amd64': 'debian12-x86_64-cp311.json',
  };

  it.each(Object.entries(captured))('%s matches the captured %s (tags; markers except the kernel fields)', (name, file) => {
    const p = profiles.get(file)!;
    const r = resolveTarget(name);
    expect(r.source).toBe('preset');
    expect(firstDifference(r.tags.map(String), p.tags!)).toBeNull();
    const { platform_release: _r, platform_version: _v, ...expected } = p.marker_environment!;
    expect(r.markerEnvironment).toEqual(expected);
  });

  it('has the names, aliases and facts the docs promise', () => {
    expect(findPreset('rpi-os-armhf')?.name).toBe('debian12-armhf');
    expect(findPreset('RPI-OS-ARMHF')?.name).toBe('debian12-armhf');
    expect(findPreset('nope')).toBeUndefined();
    const facts = Object.fromEntries(PRESETS.map((p) => [p.name, [compactTarget(p.target), resolveTarget(p.name).pythonVersion]]));
    expect(facts).toEqual({
      'debian12-armhf': ['cp311-manylinux_2_36_armv7l', '3.11.2'],
      'debian12-arm64': ['cp311-manylinux_2_36_aarch64', '3.11.2'],
      'debian12-amd64': ['cp311-manylinux_2_36_x86_64', '3.11.2'],
      'ubuntu22.04-amd64': ['cp310-manylinux_2_35_x86_64', '3.10.12'],
      'ubuntu24.04-amd64': ['cp312-manylinux_2_39_x86_64', '3.12.3'],
    });
    for (const p of PRESETS) expect(p.description.length).toBeGreaterThan(10);
    const names = PRESETS.flatMap((p) => [p.name, ...p.aliases]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('a string that is neither a preset nor compact says so', () => {
    const e = errorOf(() => resolveTarget('debian13-armhf'))!;
    expect(e.code).toBe('INVALID_TARGET');
    expect(e.message).toContain('debian12-armhf');
  });
});

describe('resolveTarget', () => {
  it('resolves a compact string to a named, described target', () => {
    const r = resolveTarget('cp312-musllinux_1_2_aarch64');
    expect(r).toMatchObject({ name: 'cp312-musllinux_1_2_aarch64', source: 'compact', compact: 'cp312-musllinux_1_2_aarch64', pythonVersion: '3.12' });
    expect(r.description).toContain('musl 1.2');
    expect(String(r.tags[0])).toBe('cp312-cp312-musllinux_1_2_aarch64');
    expect(String(r.tags[r.tags.length - 1])).toBe('py30-none-any');
    expect(Object.keys(r.markerEnvironment).every((k) => (MARKER_VARIABLES as readonly string[]).includes(k))).toBe(true);
  });
});
