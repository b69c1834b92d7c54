/**
 * One entry point for "what are we building for": a compact string, a preset name, a captured
 * profile or a {@link Target} all become a {@link ResolvedTarget} with its tags and marker
 * environment.
 */
import { SneakpackError } from '../errors.js';
import { Tag } from '../tags/tag.js';
import { findPreset, PRESETS } from './presets.js';
import { type TargetProfile, profileTarget, validateProfile } from './profile.js';
import {
  type MarkerEnvironment,
  type Target,
  compactMarkerEnvironment,
  compactTarget,
  describeTarget,
  generateTargetTags,
  parseCompactTarget,
} from './target.js';

/** Anything that names a target. */
export type TargetSpec = string | TargetProfile | Target;

/** A target ready for resolution and installation checks. */
export interface ResolvedTarget {
  /** Preset name, compact string, or the profile's name (its file, when loaded from one). */
  readonly name: string;
  /** What the target is, for people. */
  readonly description: string;
  /** Where it came from. */
  readonly source: 'preset' | 'compact' | 'profile' | 'target';
  /** The compact form (`cp311-manylinux_2_36_armv7l`), or null for a profile that is not a CPython Linux target. */
  readonly compact: string | null;
  /** The structured target, or null as for `compact`. */
  readonly target: Target | null;
  /** As precise as known: `3.11` or `3.11.2`. */
  readonly pythonVersion: string;
  /** Supported tags, best first. */
  readonly tags: readonly Tag[];
  /** PEP 508 marker environment; missing keys are unset (see {@link MarkerEnvironment}). */
  readonly markerEnvironment: MarkerEnvironment;
}

function tagOf(text: string): Tag {
  const [interpreter, abi, platform] = text.split('-') as [string, string, string];
  return new Tag(interpreter, abi, platform);
}

function isTarget(spec: TargetProfile | Target): spec is Target {
  return 'implementation' in spec && 'arch' in spec;
}

function pythonVersionOf(target: Target): string {
  const { major, minor, micro } = target.python;
  return micro === undefined ? `${major}.${minor}` : `${major}.${minor}.${micro}`;
}

function fromTarget(target: Target, name: string, description: string, source: ResolvedTarget['source']): ResolvedTarget {
  return Object.freeze({
    name,
    description,
    source,
    compact: compactTarget(target),
    target,
    pythonVersion: pythonVersionOf(target),
    tags: Object.freeze(generateTargetTags(target)),
    markerEnvironment: compactMarkerEnvironment(target),
  });
}

/**
 * Resolve a target spec: a preset name or alias (`debian12-armhf`, `rpi-os-armhf`), a compact
 * target (`cp311-manylinux_2_36_armv7l`), a {@link TargetProfile} (e.g. from `loadTargetProfile`)
 * or a {@link Target}.
 *
 * For a profile that carries `tags`, those are the target's tags as captured — a real capture is
 * authoritative; they are not regenerated. Its `marker_environment` is used as is.
 *
 * @param options.name the name to report for a profile (its file path).
 * @throws SneakpackError `INVALID_TARGET` / `UNSUPPORTED_TARGET`.
 */
export function resolveTarget(spec: TargetSpec, options: { name?: string } = {}): ResolvedTarget {
  if (typeof spec === 'string') {
    const preset = findPreset(spec);
    if (preset) return fromTarget(preset.target, preset.name, preset.description, 'preset');
    let target: Target;
    try {
      target = parseCompactTarget(spec);
    } catch (e) {
      if (e instanceof SneakpackError && !/^\s*cp\d/i.test(spec)) {
        // Not even shaped like a compact target: the user may have mistyped a preset name.
        throw new SneakpackError(
          e.code,
          `${e.message}\n(or use a preset: ${PRESETS.map((p) => p.name).join(', ')}; see "sneakpack target list")`,
          { details: { ...e.details }, cause: e },
        );
      }
      throw e;
    }
    const compact = compactTarget(target);
    return fromTarget(target, compact, `${describeTarget(target)} (compact target)`, 'compact');
  }
  if (isTarget(spec)) {
    const compact = compactTarget(spec);
    return fromTarget(spec, options.name ?? compact, describeTarget(spec), 'target');
  }
  const name = options.name ?? 'profile';
  const profile = validateProfile(spec, name);
  // A profile with tags and an environment needs no generation; anything else goes through a Target.
  const needsTarget = profile.tags === undefined || profile.marker_environment === undefined;
  let target: Target | null = null;
  try {
    target = profileTarget(profile, name);
  } catch (e) {
    if (needsTarget) throw e;
  }
  // A validated profile's tags are canonical single tags (interpreter-abi-platform, lower case).
  const tags = profile.tags !== undefined ? profile.tags.map(tagOf) : generateTargetTags(target!);
  const env = profile.marker_environment ?? compactMarkerEnvironment(target!);
  const machine = `${profile.python.implementation} ${profile.python.version}, ${
    profile.python.libc === null ? 'no libc recorded' : profile.python.libc.join(' ')
  }, ${profile.uname_machine}`;
  return Object.freeze({
    name,
    description: `${machine} (captured profile${profile.tags === undefined ? ', tags generated' : ''})`,
    source: 'profile',
    compact: target === null ? null : compactTarget(target),
    target,
    pythonVersion: profile.python.version,
    tags: Object.freeze(tags),
    markerEnvironment: env,
  });
}

/**
 * The supported tags of a target, best first. For a profile with `tags`, exactly those; otherwise
 * generated as packaging's `sys_tags()` would on that box.
 */
export function targetTags(spec: TargetSpec): Tag[] {
  return [...resolveTarget(spec).tags];
}

/**
 * The marker environment of a target. A compact target determines only implementation_name,
 * implementation_version and python_full_version (when the micro version is known),
 * platform_python_implementation, python_version, os_name (`posix`), sys_platform (`linux`),
 * platform_system (`Linux`) and platform_machine; the rest — platform_release, platform_version —
 * is left unset rather than guessed, so a marker that depends on them fails with
 * `UNDEFINED_MARKER_VARIABLE` and the user can supply a captured profile instead.
 */
export function targetMarkerEnvironment(spec: TargetSpec): MarkerEnvironment {
  return resolveTarget(spec).markerEnvironment;
}
