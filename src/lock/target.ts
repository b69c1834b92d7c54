/**
 * Tying a lock to its target box: the `environments` marker and `requires-python` a sneakpack
 * lock carries, the `[tool.sneakpack.target]` record, and the check that a lock fits a target
 * (the pylock spec's "Installation" steps 3–5, plus the tag digest for what markers cannot say).
 */
import { createHash } from 'node:crypto';
import { SneakpackError, isSneakpackError } from '../errors.js';
import { parseSpecifierSet } from '../pep440/index.js';
import { Marker, type MarkerComparison, parseMarker } from '../pep508/index.js';
import { TagSet, type Tag } from '../tags/index.js';
import type { ResolvedTarget } from '../target/index.js';
import { parseWheelFilename } from '../wheel/index.js';
import { CREATED_BY, LOCK_VERSION, type Lock, type LockPackage, type LockTarget } from './lock.js';

/**
 * The marker variables that pin a target in `environments`, in the order written. Kernel strings
 * (`platform_release`, `platform_version`) and `python_full_version` are left out on purpose: a
 * kernel or CPython bug-fix update on the box must not invalidate the lock; the ABI is pinned by
 * `python_version` and the tags digest.
 */
export const ENVIRONMENT_MARKER_VARIABLES = Object.freeze([
  'implementation_name',
  'platform_python_implementation',
  'python_version',
  'os_name',
  'sys_platform',
  'platform_system',
  'platform_machine',
] as const);

/**
 * The `environments` marker for `target`: `implementation_name == "cpython" and … and
 * platform_machine == "armv7l"`, from the variables of {@link ENVIRONMENT_MARKER_VARIABLES} the
 * target determines.
 */
export function targetEnvironmentMarker(target: ResolvedTarget): Marker {
  const env = target.markerEnvironment;
  const parts: string[] = [];
  const tree: (MarkerComparison | 'and')[] = [];
  let plain = true;
  for (const v of ENVIRONMENT_MARKER_VARIABLES) {
    const value = env[v];
    if (value === undefined) continue;
    const quote = value.includes('"') ? "'" : '"';
    parts.push(`${v} == ${quote}${value}${quote}`);
    plain &&= PLAIN_VALUE.test(value);
    if (tree.length > 0) tree.push('and');
    tree.push({ kind: 'comparison', lhs: { kind: 'variable', name: v }, op: '==', rhs: { kind: 'value', value } });
  }
  if (parts.length === 0) {
    throw new SneakpackError('INVALID_TARGET', `target ${target.name}: its marker environment determines none of ${ENVIRONMENT_MARKER_VARIABLES.join(', ')}`);
  }
  // The tree parseMarker builds from that text, when no value needs decoding as a Python string:
  // the marker tokenizer's Unicode word-boundary rules cost ~10 ms to compile on first use.
  return plain ? new Marker(tree) : parseMarker(parts.join(' and '));
}

/** A marker value that is the same as a Python string literal's text and as its value. */
const PLAIN_VALUE = /^[A-Za-z0-9_.+-]*$/;

/** `==X.Y.*` for the target's Python. */
export function targetRequiresPython(target: ResolvedTarget): string {
  const [major, minor] = target.pythonVersion.split('.');
  return `==${major}.${minor}.*`;
}

/** sha256 (hex) of the tags, best first, each as `interpreter-abi-platform` followed by `\n`. */
export function targetTagsDigest(tags: readonly Tag[]): string {
  let text = '';
  for (const t of tags) text += `${t.toString()}\n`;
  // One update: a call per tag costs more than the hashing for a profile's ~1000 tags.
  return createHash('sha256').update(text).digest('hex');
}

/** The `[tool.sneakpack.target]` record of `target`. */
export function lockTarget(target: ResolvedTarget): LockTarget {
  return Object.freeze({
    name: target.name,
    compact: target.compact,
    python: target.pythonVersion,
    tagsSha256: targetTagsDigest(target.tags),
  });
}

/** Inputs of {@link createLock}. */
export interface CreateLockInput {
  readonly target: ResolvedTarget;
  readonly packages: readonly LockPackage[];
  /** The app's extras resolved. */
  readonly extras?: readonly string[];
  /** The root requirements, as strings. */
  readonly requirements?: readonly string[];
  readonly constraints?: readonly string[];
}

/**
 * A sneakpack lock for `target`: `lock-version` 1.0, `created-by` sneakpack, `requires-python`
 * `==X.Y.*`, one `environments` marker, and `[tool.sneakpack]`.
 */
export function createLock(input: CreateLockInput): Lock {
  return Object.freeze({
    lockVersion: LOCK_VERSION,
    createdBy: CREATED_BY,
    requiresPython: parseSpecifierSet(targetRequiresPython(input.target)),
    environments: Object.freeze([targetEnvironmentMarker(input.target)]),
    packages: Object.freeze([...input.packages]),
    sneakpack: Object.freeze({
      target: lockTarget(input.target),
      extras: Object.freeze([...(input.extras ?? [])].sort()),
      requirements: Object.freeze([...(input.requirements ?? [])]),
      constraints: Object.freeze([...(input.constraints ?? [])]),
    }),
  });
}

/** The verdict of {@link lockMatchesTarget}. */
export interface LockTargetCheck {
  readonly ok: boolean;
  /** One line per problem, for people. Empty when `ok`. */
  readonly problems: readonly string[];
  /** For each package whose marker holds: the best wheel for the target (by tag priority). */
  readonly selected: ReadonlyMap<string, string>;
}

function describe(t: { name: string; compact: string | null }): string {
  return t.compact !== null && t.compact !== t.name ? `${t.name} (${t.compact})` : t.name;
}

function evaluate(marker: Marker, target: ResolvedTarget, what: string, problems: string[]): boolean {
  try {
    return marker.evaluate(target.markerEnvironment);
  } catch (e) {
    if (!isSneakpackError(e)) throw e;
    problems.push(`${what} "${marker}" cannot be decided for ${target.name}: ${e.message.split('\n')[0]}`);
    return false;
  }
}

/**
 * Does `lock` fit `target`? Follows the pylock spec's installation steps: `requires-python`
 * holds for the target's Python, at least one `environments` marker holds, and every package
 * whose marker holds has a satisfied `requires-python` and a wheel the target supports. For a
 * sneakpack lock it also compares the target's tag digest — the only record of the C library.
 * Every problem is reported, not just the first.
 */
export function lockMatchesTarget(lock: Lock, target: ResolvedTarget): LockTargetCheck {
  const problems: string[] = [];
  const selected = new Map<string, string>();
  const info = lock.sneakpack;
  if (info === null) {
    problems.push(`the lock has no [tool.sneakpack.target] (created by ${lock.createdBy}); re-lock it with sneakpack for ${target.name}`);
  } else if (info.target.tagsSha256 !== targetTagsDigest(target.tags)) {
    problems.push(
      `the lock was resolved for ${describe(info.target)} (Python ${info.target.python}), ` +
        `not for ${describe(target)} (Python ${target.pythonVersion}): their supported wheel tags differ; re-lock for this target`,
    );
  }
  if (lock.requiresPython !== null && !lock.requiresPython.contains(target.pythonVersion, { prereleases: true })) {
    problems.push(`requires-python "${lock.requiresPython}" excludes the target's Python ${target.pythonVersion}`);
  }
  if (lock.environments.length > 0) {
    const envProblems: string[] = [];
    const anyHolds = lock.environments.map((m) => evaluate(m, target, 'environment', envProblems)).some((b) => b);
    if (!anyHolds) {
      problems.push(...envProblems);
      if (envProblems.length === 0) {
        problems.push(`none of the lock's environments holds for ${target.name}: ${lock.environments.map((m) => `"${m}"`).join(', ')}`);
      }
    }
  }
  const tags = new TagSet(target.tags);
  for (const p of lock.packages) {
    const label = `${p.name} ${p.version}`;
    if (p.marker !== null && !evaluate(p.marker, target, `${label}: marker`, problems)) continue;
    if (p.requiresPython !== null && !p.requiresPython.contains(target.pythonVersion, { prereleases: true })) {
      problems.push(`${label} requires Python "${p.requiresPython}", the target has ${target.pythonVersion}`);
    }
    let best: { name: string; priority: number } | null = null;
    for (const w of p.wheels) {
      for (const tag of parseWheelFilename(w.name).tags) {
        const priority = tags.priority(tag);
        if (priority !== undefined && (best === null || priority < best.priority)) best = { name: w.name, priority };
      }
    }
    if (best === null) {
      problems.push(`${label}: no wheel fits ${target.name} (locked: ${p.wheels.map((w) => w.name).join(', ')})`);
    } else {
      selected.set(p.name, best.name);
    }
  }
  return Object.freeze({ ok: problems.length === 0, problems: Object.freeze(problems), selected });
}

/**
 * {@link lockMatchesTarget}, throwing when it does not.
 *
 * @param file the lock file, for the message.
 * @throws SneakpackError `LOCK_MISMATCH` listing every problem.
 */
export function assertLockMatchesTarget(lock: Lock, target: ResolvedTarget, file = 'pylock.toml'): LockTargetCheck {
  const check = lockMatchesTarget(lock, target);
  if (!check.ok) {
    throw new SneakpackError('LOCK_MISMATCH', `${file} does not fit target ${describe(target)}:\n${check.problems.map((p) => `  - ${p}`).join('\n')}`, {
      details: { file, target: target.name, problems: check.problems },
    });
  }
  return check;
}
