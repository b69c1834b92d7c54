/**
 * Supported-tag lists, best first, generated from explicit inputs.
 *
 * A line-by-line port of packaging 24.1's `tags.cpython_tags`, `generic_tags`, `compatible_tags`,
 * `_py_interpreter_range`, `_cpython_abis`, `_linux_platforms`, `_manylinux.platform_tags` and
 * `_musllinux.platform_tags` — with every value packaging reads from the running interpreter
 * (sysconfig, the ELF header of `sys.executable`, the libc version) turned into a parameter,
 * because sneakpack always builds for another machine.
 */
import { Tag } from './tag.js';

/** A Python version as packaging takes it: `[major]` or `[major, minor]` (extra items ignored). */
export type PythonVersion = readonly number[];

/** A C library and its version, as used in PEP 600 (`manylinux_X_Y`) and PEP 656 (`musllinux_X_Y`) tags. */
export interface Libc {
  readonly family: 'glibc' | 'musl';
  readonly major: number;
  readonly minor: number;
}

/** `"".join(map(str, version))` — `[3, 11]` → `311`. */
function nodot(version: PythonVersion): string {
  return version.map(String).join('');
}

/** Build options that decide CPython's ABI tag (PEP 3149 ABI flags; PEP 703 free-threading). */
export interface CpythonAbiOptions {
  /** `Py_DEBUG` build (`d` flag). Default false. */
  readonly debug?: boolean;
  /** `Py_GIL_DISABLED` build, 3.13+ (`t` flag, no abi3). Default false. */
  readonly freeThreaded?: boolean;
  /** `WITH_PYMALLOC` before 3.8 (`m` flag). Default true, CPython's default build. */
  readonly pymalloc?: boolean;
  /** `Py_UNICODE_SIZE == 4` before 3.3 (`u` flag). Default true, as on Linux distributions. */
  readonly ucs4?: boolean;
}

/**
 * The ABI tags of a CPython build, best first — packaging's `_cpython_abis` with the config
 * variables passed in. `[3, 11]` → `['cp311']`; `[3, 7]` → `['cp37m']`; a debug 3.11 →
 * `['cp311d', 'cp311']` (debug builds also load normal extension modules).
 */
export function cpythonAbis(version: PythonVersion, options: CpythonAbiOptions = {}): string[] {
  const [major = 0, minor = 0] = version;
  const v = nodot(version.slice(0, 2));
  const atLeast = (ma: number, mi: number) => major > ma || (major === ma && minor >= mi);
  const debug = options.debug ? 'd' : '';
  const threading = atLeast(3, 13) && options.freeThreaded ? 't' : '';
  let pymalloc = '';
  let ucs4 = '';
  const abis: string[] = [];
  if (!atLeast(3, 8)) {
    if (options.pymalloc ?? true) pymalloc = 'm';
    if (!atLeast(3, 3) && (options.ucs4 ?? true)) ucs4 = 'u';
  } else if (debug) {
    abis.push(`cp${v}${threading}`);
  }
  abis.unshift(`cp${v}${threading}${debug}${pymalloc}${ucs4}`);
  return abis;
}

/** True for a free-threaded CPython ABI list (`cp313t…` first) — packaging's `_is_threaded_cpython`. */
function isThreadedCpython(abis: readonly string[]): boolean {
  const m = abis.length > 0 ? /^cp\d+(.*)/.exec(abis[0]!) : null;
  return m !== null && m[1]!.includes('t');
}

/** PEP 384's stable ABI exists from 3.2 on, and not for free-threaded builds. */
function abi3Applies(version: PythonVersion, threading: boolean): boolean {
  if (version.length < 2) return false;
  const [major, minor] = version as [number, number];
  return (major > 3 || (major === 3 && minor >= 2)) && !threading;
}

/**
 * CPython's own tags, best first (packaging's `cpython_tags`):
 * `cpXY-<abi>-<platform>` for each ABI, then `cpXY-abi3-*`, `cpXY-none-*`, then `cpXW-abi3-*`
 * for every older minor down to 3.2. `abi3` and `none` given in `abis` are moved to their usual place.
 */
export function cpythonTags(version: PythonVersion, abis: readonly string[], platforms: readonly string[]): Tag[] {
  const interpreter = `cp${nodot(version.slice(0, 2))}`;
  const explicit = abis.filter((a) => a !== 'abi3' && a !== 'none');
  // packaging removes only the first occurrence of each; duplicates of abi3/none beyond that would
  // be yielded twice there — no caller passes them, and a set of tags has no duplicates anyway.
  const out: Tag[] = [];
  for (const abi of explicit) for (const p of platforms) out.push(new Tag(interpreter, abi, p));
  const useAbi3 = abi3Applies(version, isThreadedCpython(explicit));
  if (useAbi3) for (const p of platforms) out.push(new Tag(interpreter, 'abi3', p));
  for (const p of platforms) out.push(new Tag(interpreter, 'none', p));
  if (useAbi3) {
    const [major, minor] = version as [number, number];
    for (let m = minor - 1; m > 1; m--) {
      for (const p of platforms) out.push(new Tag(`cp${major}${m}`, 'abi3', p));
    }
  }
  return out;
}

/**
 * Tags of a non-CPython interpreter (packaging's `generic_tags`): `<interpreter>-<abi>-<platform>`
 * for each ABI, with `none` appended when missing.
 */
export function genericTags(interpreter: string, abis: readonly string[], platforms: readonly string[]): Tag[] {
  const all = abis.includes('none') ? [...abis] : [...abis, 'none'];
  const out: Tag[] = [];
  for (const abi of all) for (const p of platforms) out.push(new Tag(interpreter, abi, p));
  return out;
}

/**
 * Python tags from newest to oldest (packaging's `_py_interpreter_range`): `py311`, `py3`,
 * `py310`, … `py30`.
 */
export function pyInterpreterRange(version: PythonVersion): string[] {
  const out: string[] = [];
  if (version.length > 1) out.push(`py${nodot(version.slice(0, 2))}`);
  out.push(`py${version[0]}`);
  if (version.length > 1) {
    for (let m = version[1]! - 1; m >= 0; m--) out.push(`py${version[0]}${m}`);
  }
  return out;
}

/**
 * Pure-Python tags (packaging's `compatible_tags`): `py*-none-<platform>`, then
 * `<interpreter>-none-any` when an interpreter is given, then `py*-none-any`.
 */
export function compatibleTags(version: PythonVersion, interpreter: string | undefined, platforms: readonly string[]): Tag[] {
  const range = pyInterpreterRange(version);
  const out: Tag[] = [];
  for (const v of range) for (const p of platforms) out.push(new Tag(v, 'none', p));
  if (interpreter) out.push(new Tag(interpreter, 'none', 'any'));
  for (const v of range) out.push(new Tag(v, 'none', 'any'));
  return out;
}

/** Architectures packaging grants manylinux tags without an ELF check (`_have_compatible_abi`). */
const MANYLINUX_ARCHS: ReadonlySet<string> = new Set([
  'x86_64',
  'aarch64',
  'ppc64',
  'ppc64le',
  's390x',
  'loongarch64',
  'riscv64',
]);

/** PEP 513 / 571 / 599 names for glibc 2.5, 2.12 and 2.17 (packaging's `_LEGACY_MANYLINUX_MAP`). */
const LEGACY_MANYLINUX: ReadonlyMap<string, string> = new Map([
  ['2_17', 'manylinux2014'],
  ['2_12', 'manylinux2010'],
  ['2_5', 'manylinux1'],
]);

/**
 * Guess for the last minor of a glibc major that has been superseded (packaging's
 * `_LAST_GLIBC_MINOR`, a `defaultdict(lambda: 50)`): there is no glibc 3 yet.
 */
const LAST_GLIBC_MINOR = 50;

/** What packaging would learn from the interpreter's ELF header (`_is_linux_armhf`, `_is_linux_i686`). */
export interface ManylinuxAbiOptions {
  /**
   * The interpreter is 32-bit ARM EABI5 hard-float. Default true: a target that says `armv7l` is
   * taken to be armhf (Debian/Raspberry Pi OS `armhf`); soft-float `armel` boxes get no manylinux.
   */
  readonly armHardFloat?: boolean;
  /** The interpreter is a 32-bit x86 ELF. Default true: a target that says `i686` is one. */
  readonly i686Elf?: boolean;
}

/**
 * PEP 600 platform tags for a glibc system, best first (packaging's `_manylinux.platform_tags`):
 * for each arch, `manylinux_X_Y_<arch>` from the given glibc down to 2.17 (2.5 when the archs
 * include x86_64 or i686), each legacy alias (`manylinux2014`, `manylinux2010`, `manylinux1`)
 * right after its `manylinux_2_Y` twin. Empty when packaging would deny manylinux to the archs
 * (armv7l without hard-float, armv6l, unknown archs).
 *
 * @param archs compatible architectures, closest first (`['armv8l', 'armv7l']` for 32-bit on arm64).
 */
export function manylinuxPlatforms(
  archs: readonly string[],
  glibc: { readonly major: number; readonly minor: number },
  options: ManylinuxAbiOptions = {},
): string[] {
  const compatibleAbi = archs.includes('armv7l')
    ? (options.armHardFloat ?? true)
    : archs.includes('i686')
      ? (options.i686Elf ?? true)
      : archs.some((a) => MANYLINUX_ARCHS.has(a));
  if (!compatibleAbi) return [];
  const tooOld = archs.some((a) => a === 'x86_64' || a === 'i686') ? { major: 2, minor: 4 } : { major: 2, minor: 16 };
  const maxList = [{ major: glibc.major, minor: glibc.minor }];
  // glibc keeps compatibility across major versions (sourceware bug 24636).
  for (let major = glibc.major - 1; major > 1; major--) maxList.push({ major, minor: LAST_GLIBC_MINOR });
  const out: string[] = [];
  for (const arch of archs) {
    for (const max of maxList) {
      const minMinor = max.major === tooOld.major ? tooOld.minor : -1;
      for (let minor = max.minor; minor > minMinor; minor--) {
        const key = `${max.major}_${minor}`;
        out.push(`manylinux_${key}_${arch}`);
        const legacy = LEGACY_MANYLINUX.get(key);
        if (legacy !== undefined) out.push(`${legacy}_${arch}`);
      }
    }
  }
  return out;
}

/**
 * PEP 656 platform tags for a musl system, best first (packaging's `_musllinux.platform_tags`):
 * for each arch, `musllinux_X_Y_<arch>` for Y from the musl minor down to 0.
 */
export function musllinuxPlatforms(archs: readonly string[], musl: { readonly major: number; readonly minor: number }): string[] {
  const out: string[] = [];
  for (const arch of archs) {
    for (let minor = musl.minor; minor >= 0; minor--) out.push(`musllinux_${musl.major}_${minor}_${arch}`);
  }
  return out;
}

/**
 * All platform tags of a Linux interpreter, best first (packaging's `_linux_platforms`):
 * manylinux (glibc) or musllinux (musl) tags, then `linux_<arch>` for each compatible arch.
 *
 * @param arch the interpreter's architecture as `sysconfig.get_platform()` would name it after
 *   packaging's 32-bit adjustment: `armv8l` (32-bit userland on a 64-bit ARM kernel) also
 *   accepts `armv7l` wheels.
 * @param libc the C library, or null for a plain `linux_<arch>` target.
 */
export function linuxPlatforms(arch: string, libc: Libc | null, options: ManylinuxAbiOptions = {}): string[] {
  const archs = arch === 'armv8l' ? ['armv8l', 'armv7l'] : [arch];
  const out: string[] = [];
  if (libc?.family === 'glibc') out.push(...manylinuxPlatforms(archs, libc, options));
  if (libc?.family === 'musl') out.push(...musllinuxPlatforms(archs, libc));
  for (const a of archs) out.push(`linux_${a}`);
  return out;
}
