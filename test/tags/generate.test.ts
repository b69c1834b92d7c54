import { describe, expect, it } from 'vitest';
import {
  compatibleTags,
  cpythonAbis,
  cpythonTags,
  genericTags,
  linuxPlatforms,
  manylinuxPlatforms,
  musllinuxPlatforms,
  pyInterpreterRange,
  type Libc,
} from '../../src/tags/index.js';
import { ARCHS, type Arch, type Target, compactTarget, generateTargetTags, parseCompactTarget } from '../../src/target/index.js';
import { Rng } from '../helpers/random.js';
import { runReference } from '../helpers/reference.js';

/** First index where two lists differ, for readable failures on 1000-element arrays. */
function firstDifference(a: readonly string[], b: readonly string[]): string | null {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return `index ${i}: ours ${JSON.stringify(a[i])}, packaging ${JSON.stringify(b[i])} (lengths ${a.length} vs ${b.length})`;
  }
  return null;
}

describe('tag generation, hand-checked', () => {
  it('_py_interpreter_range', () => {
    expect(pyInterpreterRange([3, 2])).toEqual(['py32', 'py3', 'py31', 'py30']);
    expect(pyInterpreterRange([3])).toEqual(['py3']);
  });

  it('_cpython_abis', () => {
    expect(cpythonAbis([3, 11])).toEqual(['cp311']);
    expect(cpythonAbis([3, 7])).toEqual(['cp37m']);
    expect(cpythonAbis([3, 7], { debug: true })).toEqual(['cp37dm']);
    expect(cpythonAbis([3, 11], { debug: true })).toEqual(['cp311d', 'cp311']);
    expect(cpythonAbis([3, 13], { freeThreaded: true })).toEqual(['cp313t']);
    expect(cpythonAbis([3, 12], { freeThreaded: true })).toEqual(['cp312']);
  });

  it('manylinux: legacy aliases follow their twins; floors are 2.17 (2.5 on x86)', () => {
    const x = manylinuxPlatforms(['x86_64'], { major: 2, minor: 18 });
    expect(x.slice(0, 4)).toEqual(['manylinux_2_18_x86_64', 'manylinux_2_17_x86_64', 'manylinux2014_x86_64', 'manylinux_2_16_x86_64']);
    expect(x.slice(-2)).toEqual(['manylinux_2_5_x86_64', 'manylinux1_x86_64']);
    expect(x).toContain('manylinux2010_x86_64');
    expect(x.indexOf('manylinux2010_x86_64')).toBe(x.indexOf('manylinux_2_12_x86_64') + 1);
    const a = manylinuxPlatforms(['aarch64'], { major: 2, minor: 17 });
    expect(a).toEqual(['manylinux_2_17_aarch64', 'manylinux2014_aarch64']);
    expect(manylinuxPlatforms(['aarch64'], { major: 2, minor: 16 })).toEqual([]);
    expect(manylinuxPlatforms(['armv6l'], { major: 2, minor: 36 })).toEqual([]);
    expect(manylinuxPlatforms(['armv7l'], { major: 2, minor: 36 }, { armHardFloat: false })).toEqual([]);
    // A future glibc 3 keeps every glibc 2 tag below it.
    const three = manylinuxPlatforms(['aarch64'], { major: 3, minor: 1 });
    expect(three.slice(0, 3)).toEqual(['manylinux_3_1_aarch64', 'manylinux_3_0_aarch64', 'manylinux_2_50_aarch64']);
  });

  it('musllinux and linux_ARCH', () => {
    expect(musllinuxPlatforms(['aarch64'], { major: 1, minor: 2 })).toEqual([
      'musllinux_1_2_aarch64',
      'musllinux_1_1_aarch64',
      'musllinux_1_0_aarch64',
    ]);
    expect(linuxPlatforms('armv6l', { family: 'glibc', major: 2, minor: 36 })).toEqual(['linux_armv6l']);
    expect(linuxPlatforms('x86_64', null)).toEqual(['linux_x86_64']);
    const v8 = linuxPlatforms('armv8l', { family: 'glibc', major: 2, minor: 17 });
    expect(v8).toEqual([
      'manylinux_2_17_armv8l',
      'manylinux2014_armv8l',
      'manylinux_2_17_armv7l',
      'manylinux2014_armv7l',
      'linux_armv8l',
      'linux_armv7l',
    ]);
  });
});

interface GenCase {
  version: number[];
  freeThreaded: boolean;
  arch: Arch;
  libc: Libc | null;
  /** What sysconfig.get_platform() says on that box, and whether the interpreter is 32-bit. */
  sysconfigPlatform: string;
  is32bit: boolean;
}

/** How packaging sees an arch: the sysconfig platform and pointer size that lead `_linux_platforms` to it. */
function sysconfigFor(arch: Arch, rng: Rng): { sysconfigPlatform: string; is32bit: boolean } {
  switch (arch) {
    case 'i686':
      // Both a native i686 build and a 32-bit interpreter reporting linux-x86_64 end up as i686.
      return rng.chance(0.5) ? { sysconfigPlatform: 'linux-i686', is32bit: true } : { sysconfigPlatform: 'linux-x86_64', is32bit: true };
    case 'armv8l':
      return { sysconfigPlatform: 'linux-aarch64', is32bit: true };
    case 'armv7l':
    case 'armv6l':
      return { sysconfigPlatform: `linux-${arch}`, is32bit: true };
    default:
      return { sysconfigPlatform: `linux-${arch}`, is32bit: false };
  }
}

function generateCases(): GenCase[] {
  const rng = new Rng(600);
  const cases: GenCase[] = [];
  const add = (minor: number, arch: Arch, libc: Libc | null, freeThreaded = false) =>
    cases.push({ version: [3, minor], freeThreaded, arch, libc, ...sysconfigFor(arch, rng) });
  const randomLibc = (): Libc | null => {
    const r = rng.next();
    if (r < 0.6) {
      // glibc 2.17–2.40, plus edges: the x86 legacy floors, just below the 2.17 floor, a future glibc 3.
      const edge = rng.chance(0.15);
      if (!edge) return { family: 'glibc', major: 2, minor: rng.int(17, 40) };
      return rng.pick<Libc>([
        { family: 'glibc', major: 2, minor: 5 },
        { family: 'glibc', major: 2, minor: 12 },
        { family: 'glibc', major: 2, minor: 16 },
        { family: 'glibc', major: 3, minor: 0 },
        { family: 'glibc', major: 3, minor: 2 },
      ]);
    }
    if (r < 0.9) return { family: 'musl', major: 1, minor: rng.int(0, 2) };
    return null;
  };
  // Every minor × arch × family at least once…
  for (let minor = 7; minor <= 14; minor++) {
    for (const arch of ARCHS) {
      add(minor, arch, { family: 'glibc', major: 2, minor: rng.int(17, 40) });
      add(minor, arch, { family: 'musl', major: 1, minor: rng.int(0, 2) });
      add(minor, arch, null);
    }
  }
  // …then random ones, some free-threaded, a few outside 3.7–3.14 (pymalloc/ucs4 ABI flags, abi3 floor).
  for (let i = 0; i < 300; i++) {
    const minor = rng.chance(0.1) ? rng.int(0, 16) : rng.int(7, 14);
    add(minor, rng.pick(ARCHS), randomLibc(), minor >= 13 && rng.chance(0.3));
  }
  return cases;
}

describe('differential: generated targets vs packaging 24.1', () => {
  it('expands every target exactly like packaging would on that box', () => {
    const cases = generateCases();
    expect(cases.length).toBeGreaterThanOrEqual(500);
    /*
     * The most faithful way to ask packaging "what would sys_tags() be on that box" from here is
     * to run its own code with the box's facts patched in at the lowest level it reads them:
     * - sysconfig.get_platform() and the 32-bit flag drive tags._linux_platforms (so its
     *   armv8l → [armv8l, armv7l] and x86_64 → i686 adjustments run as-is);
     * - _manylinux._get_glibc_version / _musllinux._get_musl_version return the box's libc (or
     *   "none"), so _manylinux.platform_tags runs its own loops, floors and legacy aliases;
     * - the ELF checks _is_linux_armhf / _is_linux_i686 return True (an armv7l target is armhf),
     *   while _have_compatible_abi itself — the arch allow-list — is packaging's;
     * - sys.modules['_manylinux'] = None: no distro override module, as on Debian/Ubuntu;
     * - tags._get_config_var answers Py_DEBUG=0, WITH_PYMALLOC=1, Py_UNICODE_SIZE=4 and
     *   Py_GIL_DISABLED per case, so _cpython_abis computes the ABI list.
     * Then, as sys_tags() does for CPython: cpython_tags(version, abis, platforms) followed by
     * compatible_tags(version, "cp" + py_version_nodot, platforms).
     */
    const ref = runReference<string[][]>(
      `
import sysconfig
from pip._vendor.packaging import _manylinux, _musllinux
sys.modules["_manylinux"] = None
_manylinux._is_linux_armhf = lambda executable: True
_manylinux._is_linux_i686 = lambda executable: True
out = []
for c in INPUT:
    libc = c["libc"]
    glibc = (libc["major"], libc["minor"]) if libc and libc["family"] == "glibc" else (-1, -1)
    musl = _musllinux._MuslVersion(libc["major"], libc["minor"]) if libc and libc["family"] == "musl" else None
    _manylinux._get_glibc_version = lambda glibc=glibc: glibc
    _musllinux._get_musl_version = lambda executable, musl=musl: musl
    sysconfig.get_platform = lambda p=c["sysconfigPlatform"]: p
    config = {"Py_DEBUG": 0, "WITH_PYMALLOC": 1, "Py_UNICODE_SIZE": 4, "Py_GIL_DISABLED": 1 if c["freeThreaded"] else 0}
    tags._get_config_var = lambda name, warn=False, config=config: config.get(name)
    version = tuple(c["version"])
    platforms = list(tags._linux_platforms(is_32bit=c["is32bit"]))
    abis = tags._cpython_abis(version)
    result = list(tags.cpython_tags(version, abis, platforms))
    result += list(tags.compatible_tags(version, "cp" + "".join(map(str, version)), platforms))
    out.append([str(t) for t in result])
emit(out)
`,
      cases,
    );
    expect(ref).toHaveLength(cases.length);
    const problems: string[] = [];
    let compared = 0;
    let roundTripped = 0;
    cases.forEach((c, i) => {
      const target: Target = {
        implementation: 'cpython',
        python: { major: c.version[0]!, minor: c.version[1]! },
        freeThreaded: c.freeThreaded,
        libc: c.libc,
        arch: c.arch,
      };
      const ours = generateTargetTags(target).map(String);
      compared += ours.length;
      const diff = firstDifference(ours, ref[i]!);
      if (diff) problems.push(`${JSON.stringify(c)}: ${diff}`);
      // The compact form, when one exists for the target, describes the same box.
      let compact: string | undefined;
      try {
        compact = compactTarget(target);
        const again = generateTargetTags(parseCompactTarget(compact)).map(String);
        const d2 = firstDifference(again, ours);
        if (d2) problems.push(`round trip ${compact}: ${d2}`);
        roundTripped++;
      } catch (e) {
        // Python < 3 is never generated; glibc below the arch floor has no manylinux best tag, so
        // its compact form is linux_ARCH which parses; nothing else should throw.
        problems.push(`round trip ${compact ?? JSON.stringify(c)} threw ${String(e)}`);
      }
    });
    expect(problems.slice(0, 20)).toEqual([]);
    expect(roundTripped).toBe(cases.length);
    // Sanity: large lists were compared, not empty ones.
    expect(compared).toBeGreaterThan(cases.length * 100);
  });

  it('cpython_tags / generic_tags / compatible_tags agree on explicit, odd inputs', () => {
    const rng = new Rng(384);
    const abiPool = ['cp311', 'cp311d', 'cp313t', 'abi3', 'none', 'cp37m', 'pypy310_pp73'];
    const platPool = ['linux_x86_64', 'manylinux_2_17_aarch64', 'any', 'win_amd64', 'musllinux_1_1_armv7l'];
    const cases = [];
    for (let i = 0; i < 300; i++) {
      const version = rng.chance(0.15) ? [rng.int(2, 3)] : [rng.int(2, 3), rng.int(0, 14)];
      const abis = abiPool.filter(() => rng.chance(0.35));
      const platforms = platPool.filter(() => rng.chance(0.5));
      if (platforms.length === 0) platforms.push('any'); // packaging would read the host for []
      cases.push({ version, abis, platforms, interpreter: rng.chance(0.7) ? rng.pick(['cp311', 'pp3', 'py3']) : null });
    }
    const ref = runReference<{ cp: string[]; generic: string[]; compat: string[] }[]>(
      `
out = []
for c in INPUT:
    v = tuple(c["version"])
    out.append({
        "cp": [str(t) for t in tags.cpython_tags(v, list(c["abis"]), c["platforms"])],
        "generic": [str(t) for t in tags.generic_tags(c["interpreter"] or "xx1", list(c["abis"]), c["platforms"])],
        "compat": [str(t) for t in tags.compatible_tags(v, c["interpreter"], c["platforms"])],
    })
emit(out)
`,
      cases,
    );
    const problems: string[] = [];
    cases.forEach((c, i) => {
      const r = ref[i]!;
      const checks: [string, string[], string[]][] = [
        ['cpython_tags', cpythonTags(c.version, c.abis, c.platforms).map(String), r.cp],
        ['generic_tags', genericTags(c.interpreter ?? 'xx1', c.abis, c.platforms).map(String), r.generic],
        ['compatible_tags', compatibleTags(c.version, c.interpreter ?? undefined, c.platforms).map(String), r.compat],
      ];
      for (const [name, ours, theirs] of checks) {
        const d = firstDifference(ours, theirs);
        if (d) problems.push(`${name}(${JSON.stringify(c)}): ${d}`);
      }
    });
    expect(problems.slice(0, 20)).toEqual([]);
  });
});
