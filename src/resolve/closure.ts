/**
 * The complete wheel closure of an app for ONE target: resolve its requirements with the
 * {@link WheelProvider}, then fetch (and hash-check) every chosen wheel. Either every package has
 * a wheel that installs and runs on the target, or the error says precisely why not.
 */
import { SneakpackError } from '../errors.js';
import type { SpecifierSet } from '../pep440/index.js';
import { type Requirement, canonicalizeName } from '../pep508/index.js';
import type { AppSpec } from '../app/index.js';
import { classifyFilename, makeDistFile } from '../sources/classify.js';
import { type DistFile, FindLinksSource, type WheelSource, multiSource } from '../sources/index.js';
import type { ResolvedTarget } from '../target/index.js';
import type { Reporter } from './reporter.js';
import { ResolutionImpossible, resolve } from './resolver.js';
import {
  type ConstraintSpec,
  type WheelCandidateLike,
  type WheelRequirement,
  WheelCandidate,
  WheelProvider,
  explainFailure,
  parseIdentifier,
  targetLabel,
} from './wheel-provider.js';

/** Why a package is in the closure: one requirement on it and who declared it. */
export interface ClosureReason {
  /** The package (normalised name) that requires it, or `null` for the app's own requirements. */
  readonly parent: string | null;
  /** The requirement as resolved (`werkzeug>=3.0.0`, `flask[async]`). */
  readonly requirement: string;
}

/** One package of the closure, its wheel fetched and hashed. */
export interface ClosurePackage {
  /** PEP 503 normalised name. */
  readonly name: string;
  /** The version, as written in the wheel's file name (normalised). */
  readonly version: string;
  /** The wheel as the source listed it. */
  readonly file: DistFile;
  /** The wheel's file name. */
  readonly filename: string;
  /** A local path to its bytes (a find-links file, or the index cache entry). */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** The wheel's tags (expanded from its file name), e.g. `cp311-cp311-manylinux_2_17_armv7l`. */
  readonly tags: readonly string[];
  /** METADATA `Requires-Python`, or null. */
  readonly requiresPython: string | null;
  /** Extras of this package that the closure includes (normalised, sorted). */
  readonly extras: readonly string[];
  /** Direct dependencies inside the closure (normalised names, sorted). */
  readonly dependencies: readonly string[];
  /** Who requires it. */
  readonly why: readonly ClosureReason[];
}

/** The result of {@link resolveClosure}. */
export interface Closure {
  readonly target: ResolvedTarget;
  /** Sorted by name. */
  readonly packages: readonly ClosurePackage[];
  /** The root requirements that applied to the target (markers held), as strings. */
  readonly requirements: readonly string[];
  /** The constraints that applied, as strings. */
  readonly constraints: readonly string[];
}

/** What {@link resolveClosure} needs of an app; an {@link AppSpec} has all of it. */
export type ClosureApp = Pick<AppSpec, 'name' | 'requirements'> &
  Partial<Pick<AppSpec, 'requirementOrigins' | 'constraints' | 'hashes' | 'pre' | 'requiresPython'>>;

/** Progress of {@link resolveClosure}, for a CLI's status line. */
export type ClosureProgress =
  /** `pinned` counts pins made so far, backtracked ones included. */
  | { readonly phase: 'resolve'; readonly pinned: number; readonly rounds: number }
  | { readonly phase: 'fetch'; readonly done: number; readonly total: number; readonly filename: string };

/** Options of {@link resolveClosure}. */
export interface ClosureOptions {
  /** Accept pre-releases everywhere (`--pre`); also on when the app's requirements file says `--pre`. */
  readonly pre?: boolean;
  /**
   * Extra root requirements, e.g. the app's own extras already expanded elsewhere. (The app's
   * `[project.optional-dependencies]` extras are chosen when reading the app: `readApp({extras})`.)
   */
  readonly extraRequirements?: readonly Requirement[];
  readonly reporter?: Reporter<WheelRequirement, WheelCandidateLike>;
  readonly maxRounds?: number;
  readonly onProgress?: (progress: ClosureProgress) => void;
}

/**
 * Resolve `app`'s requirements for `target` from `sources` (several are tried in order, as
 * {@link multiSource} merges them) and fetch every chosen wheel.
 *
 * - Root requirements whose markers do not hold on the target are dropped (as pip drops them on
 *   the machine it runs on); extras requirements come after plain ones, as pip orders them.
 * - The app's `requires-python` must admit the target's Python.
 *
 * @throws SneakpackError `NO_MATCHING_DISTRIBUTION` / `RESOLUTION_IMPOSSIBLE` with a per-version
 *   explanation; `UNSUPPORTED_TARGET` when the app's requires-python excludes the target;
 *   `UNDEFINED_MARKER_VARIABLE` naming the requirement and who declared it;
 *   `UNSUPPORTED_REQUIREMENT` for direct URL requirements; `RESOLUTION_TOO_DEEP`; source errors
 *   (`INDEX_ERROR`, `HASH_MISMATCH`, `INVALID_WHEEL_FILE`, …).
 */
export async function resolveClosure(
  app: ClosureApp,
  target: ResolvedTarget,
  sources: WheelSource | readonly WheelSource[],
  options: ClosureOptions = {},
): Promise<Closure> {
  const list = (isSourceList(sources) ? [...sources] : [sources]).map(snapshotFolder);
  const source = list.length === 1 ? list[0]! : multiSource(list);
  const pre = (options.pre ?? false) || (app.pre ?? false);

  const constraints = new Map<string, ConstraintSpec>();
  const constraintTexts: string[] = [];
  // A throwaway provider evaluates the root markers with the same error wording.
  const probe = new WheelProvider(target, source, { pre });
  checkRequiresPython(app.requiresPython ?? null, app.name, probe);
  for (const c of app.constraints ?? []) {
    if (c.marker !== null && !probe.evaluateMarker(c.marker, '', c, `the constraint "${c}" of ${app.name}`)) continue;
    const key = canonicalizeName(c.name);
    const prev = constraints.get(key);
    constraints.set(key, {
      specifier: prev ? prev.specifier.and(c.specifier) : c.specifier,
      requirements: [...(prev?.requirements ?? []), c],
    });
    constraintTexts.push(c.toString());
  }

  const origins = app.requirementOrigins ?? [];
  const declared = [...app.requirements, ...(options.extraRequirements ?? [])];
  const roots: WheelRequirement[] = [];
  const rootTexts: string[] = [];
  const userRequested = new Map<string, number>();
  const originOf = new Map<WheelRequirement, string>();
  declared.forEach((r, i) => {
    const where = origins[i];
    const declaredBy = where === undefined ? app.name : `${app.name} (${where})`;
    if (r.marker !== null && !probe.evaluateMarker(r.marker, '', r, declaredBy)) return;
    const reqs = probe.requirementsFor(r, declaredBy);
    // pip numbers root requirements after the constraints (they come first in its list).
    if (!userRequested.has(reqs[0]!.identifier)) userRequested.set(reqs[0]!.identifier, (app.constraints?.length ?? 0) + i);
    for (const x of reqs) originOf.set(x, where === undefined ? "the app's requirement" : `the app's requirement, ${where}`);
    roots.push(...reqs);
    rootTexts.push(r.toString());
  });
  // pip: requirements with extras go last (a stable sort), so the base's criteria come first.
  const ordered = [...roots.filter((r) => r.identifier === parseIdentifier(r.identifier)?.project), ...roots.filter((r) => r.identifier !== parseIdentifier(r.identifier)?.project)];

  const provider = new WheelProvider(target, source, { pre, constraints, hashes: app.hashes, userRequested });
  let rounds = 0;
  let pins = 0;
  const progress = options.onProgress;
  const reporter: Reporter<WheelRequirement, WheelCandidateLike> = {
    ...(options.reporter ?? {}),
    startingRound(index) {
      rounds = index + 1;
      options.reporter?.startingRound?.(index);
    },
    pinning(candidate) {
      pins++;
      progress?.({ phase: 'resolve', pinned: pins, rounds });
      options.reporter?.pinning?.(candidate);
    },
  };
  let result;
  try {
    result = await resolve(provider, ordered, { reporter, ...(options.maxRounds !== undefined ? { maxRounds: options.maxRounds } : {}) });
  } catch (e) {
    if (e instanceof ResolutionImpossible) {
      const causes = e.causes as ResolutionImpossible<WheelRequirement, WheelCandidateLike>['causes'];
      throw await explainFailure(provider, causes, (r) => originOf.get(r) ?? "the app's requirement", e);
    }
    throw e;
  }

  // Gather per project: its base pin, the extras pinned, who requires it, what it requires.
  const bases = new Map<string, WheelCandidate>();
  const extras = new Map<string, Set<string>>();
  for (const [id, c] of result.mapping) {
    const parsed = parseIdentifier(id);
    if (parsed === null) continue;
    if (c instanceof WheelCandidate) bases.set(parsed.project, c);
    if (parsed.extras.length > 0) {
      const set = extras.get(parsed.project) ?? new Set<string>();
      for (const e of parsed.extras) set.add(e);
      extras.set(parsed.project, set);
    }
  }
  const projectOf = (id: string | null): string | null => (id === null ? null : (parseIdentifier(id)?.project ?? null));
  const why = new Map<string, ClosureReason[]>();
  const deps = new Map<string, Set<string>>();
  for (const [id, criterion] of result.criteria) {
    const project = projectOf(id);
    if (project === null || !bases.has(project) || !result.graph.has(id)) continue;
    for (const info of criterion.information) {
      const parentId = info.parent === null ? null : info.parent.identifier;
      if (info.parent !== null && result.mapping.get(parentId!) !== info.parent) continue; // stale
      const parent = projectOf(parentId);
      if (parent === project) continue; // name[x] → name: not a reason
      if (info.requirement.kind !== 'specifier') continue;
      const list = why.get(project) ?? [];
      const text = info.requirement.toString();
      if (!list.some((w) => w.parent === parent && w.requirement === text)) list.push({ parent, requirement: text });
      why.set(project, list);
      if (parent !== null) {
        const d = deps.get(parent) ?? new Set<string>();
        d.add(project);
        deps.set(parent, d);
      }
    }
  }

  const names = [...bases.keys()].sort();
  const packages: ClosurePackage[] = [];
  let done = 0;
  for (const name of names) {
    const c = bases.get(name)!;
    progress?.({ phase: 'fetch', done, total: names.length, filename: c.file.filename });
    const fetched = await source.fetch(c.file);
    const metadata = await provider.readMetadata(c.file);
    done++;
    packages.push(
      Object.freeze({
        name,
        version: c.version.toString(),
        file: c.file,
        filename: c.file.filename,
        path: fetched.path,
        sha256: fetched.sha256,
        size: fetched.size,
        tags: Object.freeze((c.file.wheel?.tags ?? []).map(String)),
        requiresPython: metadata.requiresPython === null || metadata.requiresPython.length === 0 ? null : metadata.requiresPython.toString(),
        extras: Object.freeze([...(extras.get(name) ?? [])].sort()),
        dependencies: Object.freeze([...(deps.get(name) ?? [])].sort()),
        why: Object.freeze(
          [...(why.get(name) ?? [])].sort((a, b) => cmp(a.parent ?? '', b.parent ?? '') || cmp(a.requirement, b.requirement)),
        ),
      }),
    );
  }
  if (names.length > 0) progress?.({ phase: 'fetch', done, total: names.length, filename: '' });
  return Object.freeze({
    target,
    packages: Object.freeze(packages),
    requirements: Object.freeze(rootTexts),
    constraints: Object.freeze(constraintTexts),
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A `--find-links` folder read once for the whole resolution: `FindLinksSource.listFiles` reads
 * and stats the folder on every call, which for a resolution of hundreds of projects is most of
 * the time spent. One listing also means one consistent view of the folder. Files are classified
 * as `listFiles(project)` would (the project guides how an sdist name is split).
 */
export function snapshotFolder(source: WheelSource): WheelSource {
  if (!(source instanceof FindLinksSource)) return source;
  let all: Promise<DistFile[]> | undefined;
  return Object.freeze({
    label: source.label,
    async listFiles(project: string): Promise<DistFile[]> {
      all ??= source.listAll();
      const normalized = canonicalizeName(project);
      const out: DistFile[] = [];
      for (const f of await all) {
        if (f.kind !== 'sdist') {
          if (f.project === normalized) out.push(f);
          continue;
        }
        const c = classifyFilename(f.filename, normalized);
        if (c.project !== normalized) continue;
        const { version: _v, reason: _r, ...rest } = f;
        out.push(makeDistFile({ ...rest, kind: c.kind, project: c.project, version: c.version, reason: c.reason }));
      }
      return out;
    },
    readMetadata: (file: DistFile) => source.readMetadata(file),
    fetch: (file: DistFile) => source.fetch(file),
  });
}

function isSourceList(s: WheelSource | readonly WheelSource[]): s is readonly WheelSource[] {
  return Array.isArray(s);
}

function checkRequiresPython(spec: SpecifierSet | null, name: string, provider: WheelProvider): void {
  if (spec === null || spec.length === 0) return;
  if (spec.contains(provider.python.version, { prereleases: true })) return;
  throw new SneakpackError(
    'UNSUPPORTED_TARGET',
    `${name} requires Python ${spec}, but target ${targetLabel(provider.target)} has Python ${provider.python.version}; ` +
      'build for a target with a suitable Python, or change requires-python',
    { details: { app: name, requiresPython: spec.toString(), target: provider.target.name, python: provider.python.version.toString() } },
  );
}
