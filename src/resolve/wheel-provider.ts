/**
 * The provider that turns the generic resolver into a wheel resolver for ONE target box: a port
 * of pip 24.2's `resolution/resolvelib` (`provider.py`, `factory.py`, `requirements.py`,
 * `candidates.py`, `found_candidates.py` and `PackageFinder`'s candidate evaluation), with every
 * question asked of the target instead of the running interpreter:
 *
 * - wheel tags are checked against the target's {@link TagSet} (best-first priority);
 * - environment markers are evaluated against the target's marker environment (a variable the
 *   target leaves unset is an error naming the requirement and the package that declared it);
 * - `Requires-Python` (the index's `data-requires-python` and the wheel's METADATA) is checked
 *   against the target's Python.
 *
 * The model follows pip closely so that, for a target equal to the machine pip runs on, both pick
 * the same wheels (the tests check this against pip itself):
 *
 * - identifiers are canonical names, `name[extra1,extra2]` for extras, and
 *   {@link REQUIRES_PYTHON_IDENTIFIER} for the interpreter;
 * - a `name[x]` candidate depends on its base candidate exactly (pip's `ExtrasCandidate`), and a
 *   dependency `name[x]>=1` also constrains the base `name>=1` (pip's
 *   `SpecifierWithoutExtrasRequirement`);
 * - a wheel's METADATA `Requires-Python` is a dependency on the interpreter candidate, listed after
 *   its `Requires-Dist`;
 * - candidates are ordered as `PackageFinder` sorts them (not yanked, version, tag priority,
 *   build tag), newest first, one wheel per version; pre-releases only when a specifier names one,
 *   with `pre`, or when nothing else matches; yanked files only when every match is yanked and the
 *   requirement pins a version (PEP 592);
 * - `getPreference` is pip's key, quirks included.
 *
 * Differences from pip, on purpose: source distributions are never candidates (they are listed so
 * errors can say "only an sdist"); direct URL requirements are refused; with `--hash` values for
 * a project, files whose hash is not among them are rejected up front (pip would fail later, at
 * download); a wheel whose METADATA cannot be read is an error, not a skipped version.
 *
 * @see https://github.com/pypa/pip/tree/24.2/src/pip/_internal/resolution/resolvelib
 */
import { SneakpackError, isSneakpackError } from '../errors.js';
import { type SpecifierSet, type Version, compareVersions, parseSpecifierSet, parseVersion } from '../pep440/index.js';
import { type Marker, type Requirement, canonicalizeName } from '../pep508/index.js';
import { hashFile } from '../sources/classify.js';
import type { DistFile, WheelSource } from '../sources/index.js';
import { TagSet, wheelCompatibility } from '../tags/index.js';
import type { ResolvedTarget } from '../target/index.js';
import type { CoreMetadata } from '../wheel/index.js';
import type { FindMatchesArgs, PreferenceArgs, Provider } from './provider.js';
import type { RequirementInformation } from './structs.js';

/** The identifier of the target interpreter (pip's `REQUIRES_PYTHON_IDENTIFIER`). */
export const REQUIRES_PYTHON_IDENTIFIER = '<Python from Requires-Python>';

/** `name` or `name[e1,e2]` with canonical name and sorted canonical extras (pip's `format_name`). */
export function formatIdentifier(project: string, extras: readonly string[]): string {
  return extras.length === 0 ? project : `${project}[${[...extras].sort().join(',')}]`;
}

/** Split an identifier into project and extras; `null` for {@link REQUIRES_PYTHON_IDENTIFIER}. */
export function parseIdentifier(identifier: string): { project: string; extras: readonly string[] } | null {
  if (identifier === REQUIRES_PYTHON_IDENTIFIER) return null;
  const open = identifier.indexOf('[');
  if (open < 0) return { project: identifier, extras: [] };
  return { project: identifier.slice(0, open), extras: identifier.slice(open + 1, -1).split(',') };
}

// ---------------------------------------------------------------------------------------------
// Requirements

/**
 * A PEP 508 requirement by name and version specifier (pip's `SpecifierRequirement`), or with
 * `withoutExtras` its base-package half (pip's `SpecifierWithoutExtrasRequirement`).
 */
export class SpecifierRequirement {
  readonly kind = 'specifier' as const;
  /** PEP 503 normalised name. */
  readonly project: string;
  /** Requested extras, normalised (PEP 685), sorted; empty for the base half. */
  readonly extras: readonly string[];
  readonly specifier: SpecifierSet;
  readonly identifier: string;

  constructor(
    /** The requirement as declared (marker already evaluated to true). */
    readonly requirement: Requirement,
    withoutExtras = false,
  ) {
    this.project = canonicalizeName(requirement.name);
    this.extras = withoutExtras ? [] : Object.freeze([...new Set(requirement.extras.map((e) => canonicalizeName(e)))].sort());
    this.specifier = requirement.specifier;
    this.identifier = formatIdentifier(this.project, this.extras);
    Object.freeze(this);
  }

  /** `name[extras]specifier`, without the marker (it held). */
  toString(): string {
    const name = this.extras.length > 0 ? `${this.requirement.name}[${this.extras.join(',')}]` : this.requirement.name;
    return `${name}${this.specifier.toString()}`;
  }
}

/** "Exactly this candidate" (pip's `ExplicitRequirement`): how `name[x]` pins its base. */
export class ExplicitRequirement {
  readonly kind = 'explicit' as const;
  readonly identifier: string;
  constructor(readonly candidate: WheelCandidate) {
    this.identifier = candidate.identifier;
    Object.freeze(this);
  }
  toString(): string {
    return `${this.candidate.project}==${this.candidate.version} (${this.candidate.file.filename})`;
  }
}

/** A wheel's `Requires-Python`, as a dependency on the interpreter (pip's `RequiresPythonRequirement`). */
export class RequiresPythonRequirement {
  readonly kind = 'python' as const;
  readonly identifier = REQUIRES_PYTHON_IDENTIFIER;
  constructor(readonly specifier: SpecifierSet) {
    Object.freeze(this);
  }
  toString(): string {
    return `Python ${this.specifier.toString()}`;
  }
}

/** Anything the wheel provider resolves. */
export type WheelRequirement = SpecifierRequirement | ExplicitRequirement | RequiresPythonRequirement;

// ---------------------------------------------------------------------------------------------
// Candidates

/** One version of a project, as one wheel file: the best one the target supports for that version. */
export class WheelCandidate {
  readonly kind = 'wheel' as const;
  readonly identifier: string;
  constructor(
    readonly project: string,
    readonly version: Version,
    readonly file: DistFile,
    /** Priority of the wheel's best tag for the target (0 = the target's best tag). */
    readonly priority: number,
  ) {
    this.identifier = project;
    Object.freeze(this);
  }
  toString(): string {
    return `${this.project} ${this.version}`;
  }
}

/** A candidate with extras (pip's `ExtrasCandidate`): depends on `base` exactly, plus the extras' requirements. */
export class ExtrasCandidate {
  readonly kind = 'extras' as const;
  readonly identifier: string;
  readonly version: Version;
  constructor(
    readonly base: WheelCandidate,
    readonly extras: readonly string[],
  ) {
    this.identifier = formatIdentifier(base.project, extras);
    this.version = base.version;
    Object.freeze(this);
  }
  toString(): string {
    return `${this.identifier} ${this.version}`;
  }
}

/** The target's interpreter (pip's `RequiresPythonCandidate`). */
export class PythonCandidate {
  readonly kind = 'python' as const;
  readonly identifier = REQUIRES_PYTHON_IDENTIFIER;
  constructor(readonly version: Version) {
    Object.freeze(this);
  }
  toString(): string {
    return `Python ${this.version}`;
  }
}

/** Anything the wheel provider pins. */
export type WheelCandidateLike = WheelCandidate | ExtrasCandidate | PythonCandidate;

// ---------------------------------------------------------------------------------------------
// What the sources offer, judged for the target

/** Why a file offered for a project cannot be a candidate on this target, whatever is asked for. */
export type FileProblem =
  | { readonly kind: 'sdist' }
  | { readonly kind: 'invalid'; readonly detail: string }
  | { readonly kind: 'tags'; readonly detail: string }
  | { readonly kind: 'requires-python'; readonly requiresPython: string };

/** A file of a project with the target's verdict on it. */
export interface JudgedFile {
  readonly file: DistFile;
  /** The version from the file name, when it has one. */
  readonly version?: Version;
  /** Null when the file is a wheel the target can install (tags and data-requires-python). */
  readonly problem: FileProblem | null;
  /** For usable wheels: priority of the best tag. */
  readonly priority: number;
}

/** Every file the sources offer for one project, judged for the target, in the sources' order. */
export interface ProjectFiles {
  readonly project: string;
  readonly judged: readonly JudgedFile[];
}

/** A constraint (`-c` file): limits the versions of a project that is needed, adds nothing. */
export interface ConstraintSpec {
  readonly specifier: SpecifierSet;
  /** The constraint requirements, for messages. */
  readonly requirements: readonly Requirement[];
}

/** Options of {@link WheelProvider}. */
export interface WheelProviderOptions {
  /** Accept pre-releases everywhere (`--pre`). */
  readonly pre?: boolean;
  /** Constraints by normalised project name. */
  readonly constraints?: ReadonlyMap<string, ConstraintSpec>;
  /** Allowed hashes (`algo:hex`) by normalised project name (requirements files' `--hash`). */
  readonly hashes?: ReadonlyMap<string, readonly string[]>;
  /**
   * Root identifiers in the order the user asked for them (pip's `user_requested`): they are
   * resolved first, in this order, other things being equal.
   */
  readonly userRequested?: ReadonlyMap<string, number>;
}

/**
 * The Python version Requires-Python is checked against: the target's full version, or `X.Y.0`
 * when the target does not say the micro version (a compact target like `cp311-…`). Taking the
 * lowest bug-fix release is the safe choice: a wheel that needs `>=3.11.4` is not shipped to a
 * box that may run 3.11.2. A captured profile or a preset with a micro version avoids the guess.
 */
export function targetPythonVersion(target: ResolvedTarget): Version {
  const parts = target.pythonVersion.split('.');
  return parseVersion(parts.length >= 3 ? target.pythonVersion : `${parts[0]}.${parts[1] ?? '0'}.0`);
}

/** The target as people name it in messages: its compact form, else its name. */
export function targetLabel(target: ResolvedTarget): string {
  return target.compact ?? target.name;
}

/** The three tag components of a wheel file name (`cp311-cp311-manylinux_2_17_x86_64`), for "seen …" lists. */
function wheelTagText(file: DistFile): string {
  const stem = file.filename.replace(/\.whl$/i, '');
  return stem.split('-').slice(-3).join('-');
}

/** METADATA reads the provider keeps in flight ahead of the resolver (see `prefetchMetadata`). */
const PREFETCH_LIMIT = 8;

/**
 * The pip-compatible wheel provider for one target. Create one per resolution: it caches project
 * listings, metadata and candidates, and (like pip's) remembers inferred depths between calls.
 */
export class WheelProvider implements Provider<WheelRequirement, WheelCandidateLike> {
  readonly target: ResolvedTarget;
  readonly source: WheelSource;
  /** The interpreter candidate; see {@link targetPythonVersion}. */
  readonly python: PythonCandidate;
  private readonly tags: TagSet;
  private readonly pre: boolean;
  private readonly constraints: ReadonlyMap<string, ConstraintSpec>;
  private readonly hashes: ReadonlyMap<string, readonly string[]>;
  private readonly userRequested: ReadonlyMap<string, number>;
  private readonly knownDepths = new Map<string, number>();
  private readonly listings = new Map<string, Promise<ProjectFiles>>();
  private readonly baseCandidates = new Map<DistFile, WheelCandidate>();
  private readonly extrasCandidates = new Map<WheelCandidate, Map<string, ExtrasCandidate>>();
  private readonly metadata = new Map<DistFile, Promise<CoreMetadata>>();
  private readonly hashVerdicts = new Map<DistFile, Promise<boolean>>();
  private readonly dependencies = new Map<WheelCandidateLike, Promise<WheelRequirement[]>>();
  private readonly containsMemo = new WeakMap<SpecifierSet, WeakMap<Version, boolean>>();
  private readonly prefetchQueued = new Set<DistFile>();
  private readonly prefetchQueue: DistFile[] = [];
  private prefetchActive = 0;

  constructor(target: ResolvedTarget, source: WheelSource, options: WheelProviderOptions = {}) {
    this.target = target;
    this.source = source;
    this.tags = new TagSet(target.tags);
    this.python = new PythonCandidate(targetPythonVersion(target));
    this.pre = options.pre ?? false;
    this.constraints = options.constraints ?? new Map();
    this.hashes = options.hashes ?? new Map();
    this.userRequested = options.userRequested ?? new Map();
  }

  identify(x: WheelRequirement | WheelCandidateLike): string {
    return x.identifier;
  }

  /**
   * pip's preference key: Requires-Python first, then "direct" (in pip 24.2 true for any
   * identifier with requirements — `candidate` there is a tuple, never None), pinned (`==`,
   * `===`), a cause of the last backtrack, inferred depth, the order the user asked, has any
   * specifier, and the identifier. Records the inferred depth, as pip does.
   */
  getPreference(args: PreferenceArgs<WheelRequirement, WheelCandidateLike>): (number | string | boolean)[] {
    const { identifier } = args;
    const information = [...(args.information.get(identifier) ?? [])];
    const hasInformation = information.length > 0;
    const operators: string[] = [];
    for (const { requirement } of information) {
      if (requirement.kind === 'specifier') for (const s of requirement.specifier) operators.push(s.operator);
    }
    const pinned = operators.some((op) => op.startsWith('=='));
    const unfree = operators.length > 0;
    let inferredDepth: number;
    const requested = this.userRequested.get(identifier);
    if (requested !== undefined) {
      inferredDepth = 1;
    } else if (hasInformation) {
      let min = Infinity;
      for (const { parent } of information) {
        const d = parent === null ? 0 : (this.knownDepths.get(parent.identifier) ?? Infinity);
        if (d < min) min = d;
      }
      inferredDepth = min + 1;
    } else {
      inferredDepth = Infinity;
    }
    this.knownDepths.set(identifier, inferredDepth);
    const backtrackCause = args.backtrackCauses.some(
      (c) => c.requirement.identifier === identifier || (c.parent !== null && c.parent.identifier === identifier),
    );
    return [
      identifier !== REQUIRES_PYTHON_IDENTIFIER,
      !hasInformation,
      !pinned,
      !backtrackCause,
      inferredDepth,
      requested ?? Infinity,
      !unfree,
      identifier,
    ];
  }

  isSatisfiedBy(requirement: WheelRequirement, candidate: WheelCandidateLike): boolean {
    switch (requirement.kind) {
      case 'specifier':
        // As pip: the finder already applied the pre-release rule.
        return this.contains(requirement.specifier, candidate.version);
      case 'explicit':
        return candidate === requirement.candidate;
      case 'python':
        return this.contains(requirement.specifier, candidate.version);
    }
  }

  /**
   * `specifier.contains(version, { prereleases: true })`, remembered: the resolver asks again for
   * every pin still in place after each new pin (resolvelib's `_is_current_pin_satisfying`), and
   * the answer for the same two immutable values never changes.
   */
  private contains(specifier: SpecifierSet, version: Version): boolean {
    let byVersion = this.containsMemo.get(specifier);
    if (byVersion === undefined) {
      byVersion = new WeakMap();
      this.containsMemo.set(specifier, byVersion);
    }
    let answer = byVersion.get(version);
    if (answer === undefined) {
      answer = specifier.contains(version, { prereleases: true });
      byVersion.set(version, answer);
    }
    return answer;
  }

  async findMatches(args: FindMatchesArgs<WheelRequirement, WheelCandidateLike>): Promise<WheelCandidateLike[]> {
    const { identifier } = args;
    const requirements = args.requirements.get(identifier) ?? [];
    const incompatible = new Set(args.incompatibilities.get(identifier) ?? []);
    const parsed = parseIdentifier(identifier);
    if (parsed === null) {
      // The interpreter: it is the one candidate, if every Requires-Python admits it.
      const ok = requirements.length > 0 && requirements.every((r) => this.isSatisfiedBy(r, this.python));
      return ok && !incompatible.has(this.python) ? [this.python] : [];
    }
    const { project, extras } = parsed;
    const explicit: WheelCandidateLike[] = [];
    const specifiers: SpecifierRequirement[] = [];
    for (const r of requirements) {
      if (r.kind === 'explicit') pushUnique(explicit, r.candidate);
      else if (r.kind === 'specifier') specifiers.push(r);
    }
    if (extras.length > 0) {
      // `name[x]` also obeys what is known about `name`, and follows its pin.
      for (const r of args.requirements.get(project) ?? []) {
        if (r.kind === 'explicit') pushUnique(explicit, this.extrasCandidate(r.candidate, extras));
        else if (r.kind === 'specifier') specifiers.push(r);
      }
    }
    const constraint = this.constraints.get(project);
    if (explicit.length > 0) {
      return explicit.filter(
        (c) =>
          !incompatible.has(c) &&
          (constraint === undefined || constraint.specifier.contains(c.version, { prereleases: true })) &&
          requirements.every((r) => this.isSatisfiedBy(r, c)),
      );
    }
    if (specifiers.length === 0) return [];
    let specifier = constraint?.specifier ?? parseSpecifierSet('');
    for (const r of specifiers) specifier = specifier.and(r.specifier);
    const bases = await this.foundCandidates(project, specifier);
    const out: WheelCandidateLike[] = [];
    for (const base of bases) {
      const c = extras.length > 0 ? this.extrasCandidate(base, extras) : base;
      if (!incompatible.has(c)) out.push(c);
    }
    const best = bases.find((b) => !incompatible.has(extras.length > 0 ? this.extrasCandidate(b, extras) : b));
    if (best !== undefined) this.prefetchMetadata(best.file);
    return out;
  }

  /**
   * Start reading the METADATA of `file` in the background (at most {@link PREFETCH_LIMIT} at a
   * time): the resolver pins the best candidate first and then asks for its dependencies, one
   * project after another, so without this every wheel's read waits for the previous one. The
   * promise is the one {@link readMetadata} caches; a failure surfaces when (and only if) the
   * resolver asks for that file, as before.
   */
  private prefetchMetadata(file: DistFile): void {
    if (this.metadata.has(file) || this.prefetchQueued.has(file)) return;
    this.prefetchQueued.add(file);
    this.prefetchQueue.push(file);
    this.pumpPrefetch();
  }

  private pumpPrefetch(): void {
    while (this.prefetchActive < PREFETCH_LIMIT && this.prefetchQueue.length > 0) {
      const file = this.prefetchQueue.shift()!;
      if (this.metadata.has(file)) continue;
      this.prefetchActive++;
      this.readMetadata(file)
        .catch(() => undefined)
        .finally(() => {
          this.prefetchActive--;
          this.pumpPrefetch();
        });
    }
  }

  async getDependencies(candidate: WheelCandidateLike): Promise<WheelRequirement[]> {
    let deps = this.dependencies.get(candidate);
    if (deps === undefined) {
      deps = this.computeDependencies(candidate);
      this.dependencies.set(candidate, deps);
    }
    return deps;
  }

  /** The METADATA of a wheel, read from the wheel (or its PEP 658 file) through the source; cached. */
  readMetadata(file: DistFile): Promise<CoreMetadata> {
    let m = this.metadata.get(file);
    if (m === undefined) {
      m = this.source.readMetadata(file);
      this.metadata.set(file, m);
    }
    return m;
  }

  /** Every file the sources offer for `project`, judged for the target (cached per resolution). */
  projectFiles(project: string): Promise<ProjectFiles> {
    let p = this.listings.get(project);
    if (p === undefined) {
      p = this.listProject(project);
      this.listings.set(project, p);
    }
    return p;
  }

  /**
   * Evaluate `marker` for the target (with `extra`). An unset target variable becomes an error
   * that names the requirement and who declared it.
   */
  evaluateMarker(marker: Marker, extra: string, requirement: Requirement, declaredBy: string): boolean {
    try {
      return marker.evaluate(this.target.markerEnvironment, { extra });
    } catch (e) {
      if (!isSneakpackError(e)) throw e;
      throw new SneakpackError(
        e.code,
        `${declaredBy} requires "${requirement}", and its marker cannot be evaluated for target ${targetLabel(this.target)}: ${e.message}` +
          (e.code === 'UNDEFINED_MARKER_VARIABLE' ? '\n(capture the box with "sneakpack target probe" and use that profile as --target)' : ''),
        { details: { ...e.details, requirement: requirement.toString(), declaredBy, target: this.target.name }, cause: e },
      );
    }
  }

  /**
   * The resolver requirements for one declared requirement whose marker held (pip's
   * `_make_requirements_from_install_req`): the base half first when it has extras and a specifier.
   */
  requirementsFor(requirement: Requirement, declaredBy: string): SpecifierRequirement[] {
    if (requirement.url !== null) {
      throw new SneakpackError(
        'UNSUPPORTED_REQUIREMENT',
        `${declaredBy} requires "${requirement}", a direct URL reference; sneakpack resolves wheels by name and version only — ` +
          'put the wheel in a --find-links folder and require it by name',
        { details: { requirement: requirement.toString(), declaredBy } },
      );
    }
    const out: SpecifierRequirement[] = [];
    if (requirement.extras.length > 0 && requirement.specifier.length > 0) out.push(new SpecifierRequirement(requirement, true));
    out.push(new SpecifierRequirement(requirement));
    return out;
  }

  // -------------------------------------------------------------------------------------------

  private extrasCandidate(base: WheelCandidate, extras: readonly string[]): ExtrasCandidate {
    let byExtras = this.extrasCandidates.get(base);
    if (byExtras === undefined) {
      byExtras = new Map();
      this.extrasCandidates.set(base, byExtras);
    }
    const key = extras.join(',');
    let c = byExtras.get(key);
    if (c === undefined) {
      c = new ExtrasCandidate(base, extras);
      byExtras.set(key, c);
    }
    return c;
  }

  private baseCandidate(project: string, j: JudgedFile): WheelCandidate {
    let c = this.baseCandidates.get(j.file);
    if (c === undefined) {
      c = new WheelCandidate(project, j.version!, j.file, j.priority);
      this.baseCandidates.set(j.file, c);
    }
    return c;
  }

  private async listProject(project: string): Promise<ProjectFiles> {
    const files = await this.source.listFiles(project);
    const judged: JudgedFile[] = [];
    for (const file of files) {
      if (file.project !== project) continue;
      judged.push(this.judge(file));
    }
    return Object.freeze({ project, judged: Object.freeze(judged) });
  }

  /** What pip's `LinkEvaluator` decides about a file for the target, with the reason when it is not usable. */
  private judge(file: DistFile): JudgedFile {
    const base = { file, ...(file.version !== undefined ? { version: file.version } : {}), priority: -1 };
    if (file.kind === 'sdist') return { ...base, problem: { kind: 'sdist' } };
    if (file.kind !== 'wheel' || file.wheel === undefined || file.version === undefined) {
      return { ...base, problem: { kind: 'invalid', detail: file.reason ?? 'not a wheel or an sdist' } };
    }
    const compat = wheelCompatibility(file.wheel.tags, this.tags);
    if (!compat.compatible) return { ...base, problem: { kind: 'tags', detail: compat.detail } };
    if (file.requiresPython !== undefined) {
      let spec: SpecifierSet | null = null;
      try {
        spec = parseSpecifierSet(file.requiresPython);
      } catch {
        // pip ignores an invalid data-requires-python and keeps the file.
      }
      if (spec !== null && !spec.contains(this.python.version)) {
        return { ...base, problem: { kind: 'requires-python', requiresPython: file.requiresPython } };
      }
    }
    return { ...base, priority: compat.priority, problem: null };
  }

  /** Does `file` have one of the `--hash` values given for its project? (Hashes it when the source gave none.) */
  private hashAllowed(file: DistFile, allowed: readonly string[]): Promise<boolean> {
    let v = this.hashVerdicts.get(file);
    if (v === undefined) {
      v = (async () => {
        const wanted = new Map<string, Set<string>>();
        for (const h of allowed) {
          const [algo, hex] = h.split(':', 2) as [string, string];
          const set = wanted.get(algo.toLowerCase()) ?? new Set<string>();
          set.add(hex.toLowerCase());
          wanted.set(algo.toLowerCase(), set);
        }
        for (const [algo, digest] of Object.entries(file.hashes)) {
          const set = wanted.get(algo);
          if (set !== undefined) return set.has(digest.toLowerCase());
        }
        const fetched = await this.source.fetch(file);
        const digests = (await hashFile(fetched.path, [...wanted.keys()])).digests;
        for (const [algo, set] of wanted) if (digests[algo] !== undefined && set.has(digests[algo]!)) return true;
        return false;
      })();
      this.hashVerdicts.set(file, v);
    }
    return v;
  }

  /**
   * The usable wheels of `project` that `specifier` admits, ordered as pip's finder and
   * `FoundCandidates` order them, one (the best) per version. See {@link applicableFiles}.
   */
  private async foundCandidates(project: string, specifier: SpecifierSet): Promise<WheelCandidate[]> {
    const files = await this.projectFiles(project);
    const applicable = await this.applicableFiles(files, specifier);
    const out: WheelCandidate[] = [];
    let last: Version | null = null;
    for (const j of applicable) {
      if (last !== null && compareVersions(last, j.version!) === 0) continue;
      out.push(this.baseCandidate(project, j));
      last = j.version!;
    }
    return out;
  }

  /**
   * pip's `CandidateEvaluator.get_applicable_candidates` + `_iter_found_candidates`: usable wheels
   * whose version `specifier.filter` keeps (pre-release rule included), minus disallowed hashes,
   * sorted by (not yanked, version, tag priority, build tag) and reversed, yanked ones dropped
   * unless all are yanked and the specifier pins a version.
   */
  async applicableFiles(files: ProjectFiles, specifier: SpecifierSet): Promise<JudgedFile[]> {
    const usable = files.judged.filter((j) => j.problem === null);
    const versions = new Set(
      specifier.filter(
        usable.map((j) => j.version!.toString()),
        this.pre ? { prereleases: true } : {},
      ),
    );
    let applicable = usable.filter((j) => versions.has(j.version!.toString()));
    const allowed = this.hashes.get(files.project);
    if (allowed !== undefined && allowed.length > 0) {
      const verdicts = await Promise.all(applicable.map((j) => this.hashAllowed(j.file, allowed)));
      applicable = applicable.filter((_, i) => verdicts[i]);
    }
    const sorted = applicable
      .map((j, i) => ({ j, i }))
      .sort((a, b) => compareSortKey(a.j, b.j) || a.i - b.i)
      .map((x) => x.j)
      .reverse();
    const allYanked = sorted.every((j) => j.file.yanked !== false);
    const pinned = isPinned(specifier);
    return sorted.filter((j) => j.file.yanked === false || (allYanked && pinned));
  }

  private async computeDependencies(candidate: WheelCandidateLike): Promise<WheelRequirement[]> {
    if (candidate.kind === 'python') return [];
    const base = candidate.kind === 'wheel' ? candidate : candidate.base;
    const metadata = await this.readMetadata(base.file);
    const declaredBy = `${metadata.name} ${metadata.version} (${base.file.filename})`;
    const out: WheelRequirement[] = [];
    if (candidate.kind === 'wheel') {
      for (const r of metadata.requiresDist) {
        if (r.marker === null || this.evaluateMarker(r.marker, '', r, declaredBy)) out.push(...this.requirementsFor(r, declaredBy));
      }
      if (metadata.requiresPython !== null && metadata.requiresPython.length > 0) {
        out.push(new RequiresPythonRequirement(metadata.requiresPython));
      }
      return out;
    }
    out.push(new ExplicitRequirement(base));
    const provided = new Set(metadata.providesExtra.map((e) => canonicalizeName(e)));
    const valid = candidate.extras.filter((e) => provided.has(e));
    for (const r of metadata.requiresDist) {
      let applies: boolean;
      if (r.marker === null) applies = true;
      else if (valid.length === 0) applies = this.evaluateMarker(r.marker, '', r, declaredBy);
      else applies = valid.some((e) => this.evaluateMarker(r.marker!, e, r, declaredBy));
      if (applies) out.push(...this.requirementsFor(r, declaredBy));
    }
    return out;
  }
}

function pushUnique<T>(list: T[], item: T): void {
  if (!list.includes(item)) list.push(item);
}

/** pip's `is_pinned`: any `===`, or `==` without a trailing `.*`. */
export function isPinned(specifier: SpecifierSet): boolean {
  for (const s of specifier) {
    if (s.operator === '===') return true;
    if (s.operator === '==' && !s.version.endsWith('.*')) return true;
  }
  return false;
}

/** pip's `CandidateEvaluator._sort_key` (hash and binary preference are constant here), ascending. */
function compareSortKey(a: JudgedFile, b: JudgedFile): number {
  const ya = a.file.yanked === false ? 0 : -1;
  const yb = b.file.yanked === false ? 0 : -1;
  if (ya !== yb) return ya - yb;
  const v = compareVersions(a.version!, b.version!);
  if (v !== 0) return v;
  // pip's `pri` is minus the priority: a better tag sorts later, so first after reversing.
  if (a.priority !== b.priority) return b.priority - a.priority;
  return compareBuildTags(a.file.wheel?.buildTag ?? null, b.file.wheel?.buildTag ?? null);
}

function compareBuildTags(a: readonly [number, string] | null, b: readonly [number, string] | null): number {
  // Python: () < (n, s) for any n, s.
  if (a === null || b === null) return a === b ? 0 : a === null ? -1 : 1;
  if (a[0] !== b[0]) return a[0] - b[0];
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Explaining failure

const MAX_VERSIONS_SHOWN = 8;

/** One version of a project and what became of it, for {@link explainFailure}. */
interface VersionStory {
  readonly version: string;
  readonly line: string;
}

function describeParent(info: RequirementInformation<WheelRequirement, WheelCandidateLike>, rootOrigin: (r: WheelRequirement) => string): string {
  if (info.parent === null) return rootOrigin(info.requirement);
  return `required by ${info.parent.toString()}`;
}

/**
 * Turn the resolver's `ResolutionImpossible` causes into a {@link SneakpackError} a person can
 * act on: for every requirement that could not be met, what each version offered by the sources
 * is and why it was rejected for the target ("markupsafe 2.1.5: no wheel for
 * cp311-manylinux_2_36_armv7l; seen cp311-cp311-linux_x86_64, …; only an sdist").
 *
 * The code is `NO_MATCHING_DISTRIBUTION` when some requirement matches no usable wheel even on
 * its own (the usual "no wheel for this box" case), else `RESOLUTION_IMPOSSIBLE` (requirements
 * that conflict with each other).
 */
export async function explainFailure(
  provider: WheelProvider,
  causes: readonly RequirementInformation<WheelRequirement, WheelCandidateLike>[],
  rootOrigin: (r: WheelRequirement) => string,
  cause?: unknown,
): Promise<SneakpackError> {
  const label = targetLabel(provider.target);
  const groups = new Map<string, RequirementInformation<WheelRequirement, WheelCandidateLike>[]>();
  for (const c of causes) {
    const parsed = parseIdentifier(c.requirement.identifier);
    const key = parsed === null ? REQUIRES_PYTHON_IDENTIFIER : parsed.project;
    const list = groups.get(key) ?? [];
    list.push(c);
    groups.set(key, list);
  }
  const sections: string[] = [];
  const packages: Record<string, unknown>[] = [];
  let missing = false;
  for (const [key, infos] of groups) {
    if (key === REQUIRES_PYTHON_IDENTIFIER) {
      const lines = infos.map(
        (i) => `  ${i.parent === null ? 'the app' : i.parent.toString()} requires ${i.requirement.toString()}; target ${label} has Python ${provider.python.version}`,
      );
      sections.push(lines.join('\n'));
      packages.push({ name: 'python', requirements: infos.map((i) => ({ requirement: i.requirement.toString(), parent: i.parent?.toString() ?? null })) });
      continue;
    }
    const files = await provider.projectFiles(key);
    const specs = infos.map((i) => i.requirement).filter((r): r is SpecifierRequirement => r.kind === 'specifier');
    const reqLines = infos.map((i) => `    ${i.requirement.toString()} (${describeParent(i, rootOrigin)})`);
    // A requirement that matches nothing on its own: the "no wheel for this box" case.
    const alone: boolean[] = [];
    for (const s of specs) alone.push((await provider.applicableFiles(files, s.specifier)).length === 0);
    const someAloneEmpty = alone.some((x) => x);
    if (someAloneEmpty) missing = true;
    let combined = parseSpecifierSet('');
    for (const s of specs) combined = combined.and(s.specifier);
    const stories = await versionStories(provider, files, combined, specs, label);
    const header =
      files.judged.length === 0
        ? `  ${key}: the wheel sources (${provider.source.label}) offer no files for it at all`
        : someAloneEmpty
          ? `  ${key}: no usable wheel for ${label}`
          : `  ${key}: no version satisfies all of these together`;
    const body = [header, ...reqLines];
    if (stories.length > 0) {
      body.push(`    what the sources offer (newest first):`);
      for (const s of stories.slice(0, MAX_VERSIONS_SHOWN)) body.push(`      ${key} ${s.version}: ${s.line}`);
      if (stories.length > MAX_VERSIONS_SHOWN) body.push(`      … and ${stories.length - MAX_VERSIONS_SHOWN} older versions`);
    }
    sections.push(body.join('\n'));
    packages.push({
      name: key,
      requirements: infos.map((i) => ({ requirement: i.requirement.toString(), parent: i.parent?.toString() ?? null })),
      versions: stories.map((s) => ({ version: s.version, reason: s.line })),
    });
  }
  const hint = missing
    ? `build or download wheels for ${label} (e.g. "pip wheel" on the box, or "pip download --only-binary=:all: --platform …") into a --find-links folder, or require versions that have them`
    : 'loosen one of these requirements, or make a version available that satisfies all of them';
  return new SneakpackError(
    missing ? 'NO_MATCHING_DISTRIBUTION' : 'RESOLUTION_IMPOSSIBLE',
    `cannot find a set of wheels for target ${label}:\n${sections.join('\n')}\n${hint}`,
    { details: { target: provider.target.name, packages }, cause },
  );
}

async function versionStories(
  provider: WheelProvider,
  files: ProjectFiles,
  combined: SpecifierSet,
  specs: readonly SpecifierRequirement[],
  label: string,
): Promise<VersionStory[]> {
  const byVersion = new Map<string, { version: Version | null; judged: JudgedFile[] }>();
  for (const j of files.judged) {
    const key = j.version?.toString() ?? '(no version)';
    const entry = byVersion.get(key) ?? { version: j.version ?? null, judged: [] };
    entry.judged.push(j);
    byVersion.set(key, entry);
  }
  const applicable = new Set((await provider.applicableFiles(files, combined)).map((j) => j.file));
  const entries = [...byVersion.entries()].sort((a, b) => {
    if (a[1].version === null || b[1].version === null) return a[1].version === null ? 1 : -1;
    return compareVersions(b[1].version, a[1].version);
  });
  return entries.map(([version, { version: v, judged }]) => ({ version, line: versionLine(provider, v, judged, combined, specs, applicable, label) }));
}

function versionLine(
  provider: WheelProvider,
  version: Version | null,
  judged: readonly JudgedFile[],
  combined: SpecifierSet,
  specs: readonly SpecifierRequirement[],
  applicable: ReadonlySet<DistFile>,
  label: string,
): string {
  const usable = judged.filter((j) => j.problem === null);
  const wheels = judged.filter((j) => j.file.kind === 'wheel');
  const sdists = judged.filter((j) => j.problem?.kind === 'sdist');
  const invalid = judged.filter((j) => j.problem?.kind === 'invalid');
  if (usable.length === 0) {
    const parts: string[] = [];
    const tagged = wheels.filter((j) => j.problem?.kind === 'tags');
    const py = wheels.filter((j) => j.problem?.kind === 'requires-python');
    if (tagged.length > 0 || wheels.length === 0) parts.push(`no wheel for ${label}`);
    if (tagged.length > 0) parts.push(`seen ${tagged.map((j) => wheelTagText(j.file)).join(', ')}`);
    for (const j of py) {
      const rp = (j.problem as { requiresPython: string }).requiresPython;
      parts.push(`${j.file.filename} requires Python ${rp}, the target has ${provider.python.version}`);
    }
    if (sdists.length > 0) parts.push(wheels.length === 0 ? `only an sdist (${sdists.map((j) => j.file.filename).join(', ')}), which sneakpack never builds` : 'and an sdist, which sneakpack never builds');
    for (const j of invalid) parts.push(`${j.file.filename}: ${(j.problem as { detail: string }).detail}`);
    return parts.join('; ');
  }
  if (usable.some((j) => applicable.has(j.file))) {
    return `has a wheel for ${label} (${usable.map((j) => j.file.filename).join(', ')}) but was rejected: its dependencies conflict with other requirements`;
  }
  const v = version!;
  if (!combined.contains(v, { prereleases: true })) {
    const by = specs.filter((s) => !s.specifier.contains(v, { prereleases: true })).map((s) => s.toString());
    return `excluded by ${by.length > 0 ? [...new Set(by)].join(', ') : combined.toString()}`;
  }
  if (v.isPrerelease) return 'a pre-release; allow it with --pre or a specifier that names a pre-release';
  if (usable.every((j) => j.file.yanked !== false)) {
    const reasons = usable.map((j) => j.file.yanked).filter((r) => typeof r === 'string' && r !== '');
    return `yanked${reasons.length > 0 ? ` (${reasons.join('; ')})` : ''}; pin it with == to use it anyway`;
  }
  return 'its files do not have any of the --hash values given for it';
}
