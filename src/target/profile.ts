/**
 * Target profiles: a description of a real box captured by running packaging on it (the format of
 * /work/shared/targets/*.json, and of `sneakpack target probe`). `tags` is
 * `[str(t) for t in packaging.tags.sys_tags()]`, `marker_environment` is
 * `packaging.markers.default_environment()`.
 *
 * Validation is pure (no file access): `load.ts` reads files and passes the file name in.
 */
import { SneakpackError } from '../errors.js';
import { parseTag } from '../tags/tag.js';
import type { Libc } from '../tags/generate.js';
import { ARCHS, type Arch, MARKER_VARIABLES, type MarkerEnvironment, type MarkerVariable, type Target } from './target.js';

/** A captured target profile, field for field as written to disk. */
export interface TargetProfile {
  /** Free text: how the profile was captured. */
  readonly captured_with?: string;
  readonly python: {
    /** `platform.python_version()`, e.g. `3.11.2`. */
    readonly version: string;
    /** `sys.implementation.name`, e.g. `cpython`. */
    readonly implementation: string;
    /** `sysconfig.get_platform()`, e.g. `linux-armv7l`. */
    readonly sysconfig_platform: string;
    /** `sysconfig.get_config_var("SOABI")`, e.g. `cpython-311-arm-linux-gnueabihf`. */
    readonly soabi: string;
    /** `[family, version]` (`["glibc", "2.36"]`, `["musl", "1.2"]`), or null when neither. */
    readonly libc: readonly [string, string] | null;
  };
  /** `platform.machine()` (the kernel's view; may differ from a 32-bit interpreter's). */
  readonly uname_machine: string;
  /** The box's PEP 508 marker environment. Optional; derived from `python` when absent. */
  readonly marker_environment?: MarkerEnvironment;
  /** The box's supported tags, best first. Authoritative when present. */
  readonly tags?: readonly string[];
}

/**
 * A tag already in the form `parseTag(t)[0].toString()` gives back: one lower-case component per
 * part. Real profiles hold nearly a thousand of these, so they skip the full parse.
 */
const CANONICAL_TAG = /^[a-z0-9_]+-[a-z0-9_]+-[a-z0-9_]+$/;

/** Profiles {@link validateProfile} returned: validating one again gives the same profile. */
const validated = new WeakSet<object>();

function fail(source: string, field: string, what: string, got: unknown): SneakpackError {
  const shown = got === undefined ? 'nothing' : JSON.stringify(got);
  return new SneakpackError('INVALID_TARGET', `${source}: field "${field}": ${what}, got ${shown}`, {
    details: { file: source, field },
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(obj: Record<string, unknown>, key: string, field: string, source: string, what: string): string {
  const v = obj[key];
  if (typeof v !== 'string') throw fail(source, field, what, v);
  return v;
}

/**
 * Check that `value` is a {@link TargetProfile} and return it (frozen copy of the known fields).
 *
 * @param source names the profile in errors (a file path, or `profile`).
 * @throws SneakpackError `INVALID_TARGET` naming the source and the field.
 */
export function validateProfile(value: unknown, source = 'profile'): TargetProfile {
  if (typeof value === 'object' && value !== null && validated.has(value)) return value as TargetProfile;
  if (!isRecord(value)) throw fail(source, '(top level)', 'expected a JSON object', value);
  const python = value.python;
  if (!isRecord(python)) throw fail(source, 'python', 'expected an object', python);
  const version = str(python, 'version', 'python.version', source, 'expected a version string like "3.11.2"');
  if (!/^\d+\.\d+/.test(version)) throw fail(source, 'python.version', 'expected a version string like "3.11.2"', version);
  const implementation = str(python, 'implementation', 'python.implementation', source, 'expected a string like "cpython"');
  const sysconfigPlatform = str(python, 'sysconfig_platform', 'python.sysconfig_platform', source, 'expected a string like "linux-x86_64"');
  const soabi = str(python, 'soabi', 'python.soabi', source, 'expected a string like "cpython-311-x86_64-linux-gnu"');
  let libc: readonly [string, string] | null = null;
  const rawLibc = python.libc;
  if (rawLibc !== null && rawLibc !== undefined) {
    if (!Array.isArray(rawLibc) || rawLibc.length !== 2 || !rawLibc.every((x) => typeof x === 'string')) {
      throw fail(source, 'python.libc', 'expected [family, version] like ["glibc", "2.36"], or null', rawLibc);
    }
    libc = Object.freeze([rawLibc[0] as string, rawLibc[1] as string] as const);
  }
  const uname = str(value, 'uname_machine', 'uname_machine', source, 'expected a string like "aarch64"');

  let markerEnvironment: MarkerEnvironment | undefined;
  if (value.marker_environment !== undefined) {
    const env = value.marker_environment;
    if (!isRecord(env)) throw fail(source, 'marker_environment', 'expected an object of strings', env);
    const out: Partial<Record<MarkerVariable, string>> = {};
    for (const [k, v] of Object.entries(env)) {
      if (!(MARKER_VARIABLES as readonly string[]).includes(k)) {
        throw fail(source, `marker_environment.${k}`, `not a PEP 508 marker variable (known: ${MARKER_VARIABLES.join(', ')})`, v);
      }
      if (typeof v !== 'string') throw fail(source, `marker_environment.${k}`, 'expected a string', v);
      out[k as MarkerVariable] = v;
    }
    markerEnvironment = Object.freeze(out);
  }

  let tags: readonly string[] | undefined;
  if (value.tags !== undefined) {
    if (!Array.isArray(value.tags) || value.tags.length === 0) {
      throw fail(source, 'tags', 'expected a non-empty array of tag strings, best first', value.tags);
    }
    tags = Object.freeze(
      value.tags.map((t: unknown, i: number) => {
        if (typeof t !== 'string') throw fail(source, `tags[${i}]`, 'expected a tag string like "py3-none-any"', t);
        if (CANONICAL_TAG.test(t)) return t;
        let parsed;
        try {
          parsed = parseTag(t);
        } catch (e) {
          throw fail(source, `tags[${i}]`, `expected a valid tag (${(e as Error).message.split('\n')[0]})`, t);
        }
        if (parsed.length !== 1) throw fail(source, `tags[${i}]`, 'expected one tag, not a compressed tag set', t);
        return parsed[0]!.toString();
      }),
    );
  }

  const profile: TargetProfile = {
    ...(typeof value.captured_with === 'string' ? { captured_with: value.captured_with } : {}),
    python: Object.freeze({ version, implementation, sysconfig_platform: sysconfigPlatform, soabi, libc }),
    uname_machine: uname,
    ...(markerEnvironment === undefined ? {} : { marker_environment: markerEnvironment }),
    ...(tags === undefined ? {} : { tags }),
  };
  Object.freeze(profile);
  validated.add(profile);
  return profile;
}

/**
 * The {@link Target} a profile describes, derived the way packaging sees the box: the arch from
 * `sysconfig_platform`, adjusted for a 32-bit interpreter (told by the SOABI's multiarch triplet)
 * as `_linux_platforms` does (`x86_64` → `i686`, `aarch64` → `armv8l`); a soft-float ARM
 * interpreter on glibc gets no manylinux, so its libc is dropped (`linux_armv7l` only).
 *
 * @throws SneakpackError `UNSUPPORTED_TARGET` when the profile cannot be turned into a CPython
 *   Linux target (other implementation, other OS, unknown arch, debug build).
 */
export function profileTarget(profile: TargetProfile, source = 'profile'): Target {
  const unsupported = (what: string) =>
    new SneakpackError('UNSUPPORTED_TARGET', `${source}: ${what}`, { details: { file: source } });
  const { python } = profile;
  if (python.implementation !== 'cpython') {
    throw unsupported(`cannot generate tags for implementation "${python.implementation}"; the profile must carry its "tags"`);
  }
  const vm = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(python.version)!;
  const major = Number(vm[1]);
  const minor = Number(vm[2]);
  const micro = vm[3] === undefined ? undefined : Number(vm[3]);
  if (major !== 3) throw unsupported(`only Python 3 targets are supported, got ${python.version}`);

  const pm = /^linux-(.+)$/.exec(python.sysconfig_platform);
  if (!pm) throw unsupported(`only Linux targets are supported, python.sysconfig_platform is "${python.sysconfig_platform}"`);
  let arch = pm[1]!.replace(/[.-]/g, '_');
  // SOABI: cpython-<version><abiflags>-<multiarch triplet>
  const sm = /^cpython-(\d+)([a-z]*)(?:-(.*))?$/.exec(python.soabi);
  if (!sm) throw unsupported(`python.soabi "${python.soabi}" is not a CPython SOABI like "cpython-311-x86_64-linux-gnu"`);
  if (sm[1] !== `${major}${minor}`) {
    throw new SneakpackError(
      'INVALID_TARGET',
      `${source}: field "python.soabi": "${python.soabi}" is for Python ${sm[1]}, but python.version is ${python.version}`,
      { details: { file: source, field: 'python.soabi' } },
    );
  }
  const flags = sm[2]!;
  const triplet = sm[3] ?? '';
  const freeThreaded = flags.includes('t');
  if (flags.replace(/[tm]/g, '') !== '') {
    throw unsupported(`ABI flags "${flags}" (debug build?) are not generated; the profile must carry its "tags"`);
  }
  const is32bit = /^(i[3-6]86|arm)-/.test(triplet) || triplet.endsWith('x32');
  if (is32bit && arch === 'x86_64') arch = 'i686';
  else if (is32bit && arch === 'aarch64') arch = 'armv8l';
  if (!(ARCHS as readonly string[]).includes(arch)) throw unsupported(`unknown architecture "${arch}" (known: ${ARCHS.join(', ')})`);

  let libc: Libc | null = null;
  if (python.libc !== null && python.libc[0] !== '') {
    const [family, v] = python.libc;
    const lm = /^(\d+)\.(\d+)/.exec(v);
    if ((family !== 'glibc' && family !== 'musl') || !lm) {
      throw new SneakpackError('INVALID_TARGET', `${source}: field "python.libc": expected ["glibc", "X.Y"] or ["musl", "X.Y"], got ${JSON.stringify(python.libc)}`, {
        details: { file: source, field: 'python.libc' },
      });
    }
    libc = { family, major: Number(lm[1]), minor: Number(lm[2]) };
  }
  const softFloat = (arch === 'armv7l' || arch === 'armv8l') && /eabi$/.test(triplet);
  if (softFloat && libc?.family === 'glibc') libc = null;

  return Object.freeze({
    implementation: 'cpython',
    python: Object.freeze(micro === undefined ? { major, minor } : { major, minor, micro }),
    freeThreaded,
    libc: libc === null ? null : Object.freeze(libc),
    arch: arch as Arch,
  });
}
