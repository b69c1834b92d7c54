/**
 * A build target: the box sneakpack builds for, described by what decides wheel compatibility —
 * interpreter, Python version, C library and CPU architecture — and the compact text form
 * `cp311-manylinux_2_36_armv7l` (the interpreter tag, then the target's best platform tag).
 *
 * Only CPython is accepted in compact form. PyPy's ABI tag (`pypy310_pp73`) depends on the PyPy
 * release, not on the Python version a compact string carries, so a PyPy box must be described
 * by a captured profile (whose `tags` are taken as they are).
 */
import { SneakpackError, caretLine } from '../errors.js';
import { Tag } from '../tags/tag.js';
import { type Libc, compatibleTags, cpythonAbis, cpythonTags, linuxPlatforms } from '../tags/generate.js';
import { ENVIRONMENT_VARIABLES, type EnvironmentVariable } from '../pep508/markers.js';

/** CPU architectures sneakpack can target, as Linux `uname -m` / packaging's platform tags name them. */
export const ARCHS = [
  'x86_64',
  'i686',
  'aarch64',
  'armv7l',
  'armv8l',
  'armv6l',
  'ppc64le',
  'ppc64',
  's390x',
  'riscv64',
  'loongarch64',
] as const;

/** One of {@link ARCHS}. `armv7l` means 32-bit ARM hard-float (Debian `armhf`); `armv8l` is 32-bit userland on a 64-bit ARM kernel. */
export type Arch = (typeof ARCHS)[number];

/** A Python version; `micro` only when known (it decides `python_full_version`, never the tags). */
export interface TargetPython {
  readonly major: number;
  readonly minor: number;
  readonly micro?: number;
}

/** A target box, as explicit input for tag generation. */
export interface Target {
  /** Only CPython (`cp`) targets are generated; see the module comment. */
  readonly implementation: 'cpython';
  readonly python: TargetPython;
  /** PEP 703 free-threaded build (`cp313t` ABI, no abi3). 3.13 and later. */
  readonly freeThreaded: boolean;
  /** glibc (manylinux) or musl (musllinux), or null for a target that takes only `linux_<arch>` wheels. */
  readonly libc: Libc | null;
  readonly arch: Arch;
}

/** The PEP 508 environment variables (one list, owned by src/pep508). */
export const MARKER_VARIABLES = ENVIRONMENT_VARIABLES;

/** A PEP 508 marker variable that describes a machine (`extra` excluded). */
export type MarkerVariable = EnvironmentVariable;

/**
 * A (possibly partial) PEP 508 marker environment. A missing key is *unset*: the target does not
 * determine it, and evaluating a marker that uses it fails (`UNDEFINED_MARKER_VARIABLE`) instead
 * of silently guessing.
 */
export type MarkerEnvironment = Readonly<Partial<Record<MarkerVariable, string>>>;

const EXAMPLES = 'e.g. "cp311-manylinux_2_36_armv7l", "cp312-musllinux_1_2_aarch64", "cp311-linux_armv6l"';

/** Oldest glibc that gets any manylinux tag for `arch` (packaging's `too_old_glibc2` + 1). */
export function minimumGlibc(arch: Arch): { major: number; minor: number } {
  return arch === 'x86_64' || arch === 'i686' ? { major: 2, minor: 5 } : { major: 2, minor: 17 };
}

/** Architectures packaging never grants manylinux tags (no hard-float guarantee: `armv6l`). */
function hasManylinux(arch: Arch): boolean {
  return arch !== 'armv6l';
}

const LEGACY_GLIBC: Readonly<Record<string, { major: number; minor: number }>> = {
  manylinux1: { major: 2, minor: 5 },
  manylinux2010: { major: 2, minor: 12 },
  manylinux2014: { major: 2, minor: 17 },
};

function invalid(text: string, start: number, end: number, what: string): SneakpackError {
  return new SneakpackError('INVALID_TARGET', `invalid target ${JSON.stringify(text)}: ${what}\n${caretLine(text, start, end)}`, {
    details: { input: text },
  });
}

/**
 * Parse a compact target: `<interpreter>-<platform>` where the interpreter is `cpXY` (`cpXYt` for
 * a free-threaded build) and the platform is the target's best platform tag — `manylinux_X_Y_ARCH`
 * (PEP 600), a legacy alias `manylinux2014_ARCH` / `manylinux2010_ARCH` / `manylinux1_ARCH`
 * (glibc 2.17 / 2.12 / 2.5), `musllinux_X_Y_ARCH` (PEP 656), or `linux_ARCH`. Case-insensitive;
 * surrounding whitespace is ignored.
 *
 * A manylinux platform that could never be a target's best tag is rejected: glibc older than the
 * arch's manylinux floor (2.5 on x86_64/i686, 2.17 elsewhere) or an arch without manylinux
 * (`armv6l`; use `linux_armv6l`).
 *
 * @throws SneakpackError `INVALID_TARGET` for malformed text; `UNSUPPORTED_TARGET` for a PyPy
 *   interpreter, Python 2, or an unknown architecture.
 */
export function parseCompactTarget(input: string): Target {
  const text = input.trim().toLowerCase();
  const dash = text.indexOf('-');
  if (dash < 0) {
    throw invalid(text, 0, text.length, `expected INTERPRETER-PLATFORM, ${EXAMPLES}`);
  }
  const interp = text.slice(0, dash);
  const platform = text.slice(dash + 1);
  if (platform.includes('-')) {
    const second = dash + 1 + platform.indexOf('-');
    const hint = /^cp\d+t?-cp\d+/.test(text) ? ' (this looks like a wheel tag; drop the ABI part)' : '';
    throw invalid(text, second, second + 1, `expected exactly one "-" between interpreter and platform${hint}, ${EXAMPLES}`);
  }

  const pm = /^([a-z]+)(\d*)(t?)$/.exec(interp);
  if (pm && pm[1] === 'pp') {
    throw new SneakpackError(
      'UNSUPPORTED_TARGET',
      `unsupported target ${JSON.stringify(text)}: PyPy targets cannot be described compactly (their ABI tag depends on the ` +
        `PyPy release); capture a target profile on the box instead\n${caretLine(text, 0, dash)}`,
      { details: { input: text } },
    );
  }
  const cm = /^cp(\d)(0|[1-9]\d*)(t?)$/.exec(interp);
  if (!cm) {
    throw invalid(text, 0, Math.max(dash, 1), `expected a CPython interpreter tag like "cp311" (or "cp313t", free-threaded) before "-"`);
  }
  const major = Number(cm[1]);
  const minor = Number(cm[2]);
  const freeThreaded = cm[3] === 't';
  if (major !== 3) {
    throw new SneakpackError(
      'UNSUPPORTED_TARGET',
      `unsupported target ${JSON.stringify(text)}: only Python 3 targets are supported\n${caretLine(text, 0, dash)}`,
      { details: { input: text } },
    );
  }
  if (freeThreaded && minor < 13) {
    throw invalid(text, dash - 1, dash, `free-threaded ("t") CPython starts at 3.13, got ${major}.${minor}`);
  }

  const at = dash + 1;
  let libc: Libc | null;
  let archText: string;
  let m: RegExpExecArray | null;
  if ((m = /^(manylinux|musllinux)_(\d+)_(\d+)_(.+)$/.exec(platform))) {
    libc = { family: m[1] === 'manylinux' ? 'glibc' : 'musl', major: Number(m[2]), minor: Number(m[3]) };
    archText = m[4]!;
  } else if ((m = /^(manylinux1|manylinux2010|manylinux2014)_(.+)$/.exec(platform))) {
    libc = { family: 'glibc', ...LEGACY_GLIBC[m[1]!]! };
    archText = m[2]!;
  } else if ((m = /^linux_(.+)$/.exec(platform))) {
    libc = null;
    archText = m[1]!;
  } else {
    throw invalid(
      text,
      at,
      text.length,
      `expected a Linux platform tag after "-": manylinux_X_Y_ARCH, manylinux2014_ARCH, musllinux_X_Y_ARCH or linux_ARCH`,
    );
  }
  const archAt = text.length - archText.length;
  if (!(ARCHS as readonly string[]).includes(archText)) {
    throw new SneakpackError(
      'UNSUPPORTED_TARGET',
      `unsupported target ${JSON.stringify(text)}: unknown architecture "${archText}" (known: ${ARCHS.join(', ')})\n` +
        caretLine(text, archAt, text.length),
      { details: { input: text, arch: archText } },
    );
  }
  const arch = archText as Arch;
  if (libc?.family === 'glibc') {
    if (!hasManylinux(arch)) {
      throw invalid(text, at, archAt - 1, `${arch} has no manylinux wheels (of the 32-bit ARM arches, packaging grants manylinux only to hard-float armv7l); use "cp${major}${minor}${cm[3]}-linux_${arch}"`);
    }
    const floor = minimumGlibc(arch);
    if (libc.major < floor.major || (libc.major === floor.major && libc.minor < floor.minor)) {
      throw invalid(text, at, archAt - 1, `manylinux for ${arch} starts at glibc ${floor.major}.${floor.minor}, got ${libc.major}.${libc.minor}`);
    }
  }
  return Object.freeze({
    implementation: 'cpython',
    python: Object.freeze({ major, minor }),
    freeThreaded,
    libc: libc === null ? null : Object.freeze(libc),
    arch,
  });
}

/** The interpreter tag of a target: `cp311`, `cp313t`-style ABI flag included. */
function interpreterPart(target: Target): string {
  return `cp${target.python.major}${target.python.minor}${target.freeThreaded ? 't' : ''}`;
}

/** The platform tags of a target, best first (packaging's `_linux_platforms` for this box). */
export function targetPlatforms(target: Target): string[] {
  return linuxPlatforms(target.arch, target.libc);
}

/**
 * The compact form of a target (see {@link parseCompactTarget}): interpreter tag, then the best
 * platform tag. Round-trips: `parseCompactTarget(compactTarget(t))` has the same tags as `t`.
 */
export function compactTarget(target: Target): string {
  return `${interpreterPart(target)}-${targetPlatforms(target)[0]}`;
}

/**
 * The tags a CPython target supports, best first — what packaging's `sys_tags()` returns on that
 * box: `cpython_tags(version, _cpython_abis(version), platforms)` followed by
 * `compatible_tags(version, "cpXY", platforms)`. Non-debug builds only.
 */
export function generateTargetTags(target: Target): Tag[] {
  const version = [target.python.major, target.python.minor];
  const platforms = targetPlatforms(target);
  const abis = cpythonAbis(version, { freeThreaded: target.freeThreaded });
  return [
    ...cpythonTags(version, abis, platforms),
    ...compatibleTags(version, `cp${target.python.major}${target.python.minor}`, platforms),
  ];
}

/**
 * The marker variables a target determines (PEP 508 "Environment Markers"): implementation,
 * Python version, OS and machine; `python_full_version` and `implementation_version` only when the
 * micro version is known. `platform_release` and `platform_version` (the kernel) stay unset.
 */
export function compactMarkerEnvironment(target: Target): MarkerEnvironment {
  const { major, minor, micro } = target.python;
  const env: Partial<Record<MarkerVariable, string>> = {
    implementation_name: 'cpython',
    os_name: 'posix',
    platform_machine: target.arch,
    platform_system: 'Linux',
    platform_python_implementation: 'CPython',
    python_version: `${major}.${minor}`,
    sys_platform: 'linux',
  };
  if (micro !== undefined) {
    env.python_full_version = `${major}.${minor}.${micro}`;
    env.implementation_version = `${major}.${minor}.${micro}`;
  }
  return Object.freeze(env);
}

/** A one-line human description: `CPython 3.11.2, glibc 2.36, armv7l`. */
export function describeTarget(target: Target): string {
  const { major, minor, micro } = target.python;
  const py = `CPython ${major}.${minor}${micro === undefined ? '' : `.${micro}`}${target.freeThreaded ? ' (free-threaded)' : ''}`;
  const libc = target.libc === null ? 'no manylinux/musllinux libc' : `${target.libc.family} ${target.libc.major}.${target.libc.minor}`;
  return `${py}, ${libc}, ${target.arch}`;
}
