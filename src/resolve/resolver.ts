/**
 * A backtracking dependency resolver: a port of resolvelib 1.0.1 (`resolvers.py`, the version pip
 * 24.2 vendors), step for step, so that for the same provider it pins the same candidates in the same
 * order and fails with the same causes.
 *
 * The resolver knows nothing about versions, wheels or Python: it learns everything through a
 * {@link Provider}. It keeps a stack of {@link ResolutionState}s, one per pin. Each round it picks the
 * unsatisfied identifier the provider prefers and pins its best candidate whose dependencies do not
 * empty any criterion. When every candidate of an identifier fails it *backjumps*: it drops states
 * until it finds a pin whose dependencies touch the conflict, marks that pin incompatible, and tries
 * again from the state before it.
 *
 * Two deliberate differences, neither visible in the result: incompatibility lists hold each
 * candidate once (resolvelib 1.0.1 lets them double on every backjump, which exhausts memory on
 * large indexes), and `buildResult` guards against cycles among stale pins (where resolvelib would
 * recurse forever). Like resolvelib 1.0.1, backjumping is not complete: it can report
 * {@link ResolutionImpossible} on some indexes that do have a solution.
 *
 * @see https://github.com/sarugaku/resolvelib/blob/1.0.1/src/resolvelib/resolvers.py
 */
import { SneakpackError } from '../errors.js';
import { comparePreference, type Preference, type Provider } from './provider.js';
import type { Reporter } from './reporter.js';
import {
  CriteriaView,
  DirectedGraph,
  type Criterion,
  type RequirementInformation,
  type ResolutionState,
} from './structs.js';

/** Options of {@link resolve}. */
export interface ResolveOptions<R, C, I extends string = string> {
  /** Progress hooks; all optional. */
  readonly reporter?: Reporter<R, C, I>;
  /**
   * Give up with {@link ResolutionTooDeep} after this many rounds (one pin or one backjump each).
   * Defaults to 200 000, pip's limit.
   */
  readonly maxRounds?: number;
}

/** A successful resolution: what is pinned and why. */
export interface Result<R, C, I extends string = string> {
  /** The pinned candidate of every identifier reachable from the root requirements. */
  readonly mapping: ReadonlyMap<I, C>;
  /**
   * Who depends on whom: an edge `p → i` means a requirement on `i` came from the candidate pinned
   * for `p`. The vertex `null` stands for the root requirements.
   */
  readonly graph: DirectedGraph<I | null>;
  /** For every identifier the resolver saw, its requirements and their parents (the "why"). */
  readonly criteria: ReadonlyMap<I, Criterion<R, C>>;
}

/** Default {@link ResolveOptions.maxRounds}: pip's `try_to_avoid_resolution_too_deep`. */
export const DEFAULT_MAX_ROUNDS = 200_000;

/**
 * No combination of candidates satisfies the requirements. `causes` are the requirements (with
 * their parents, `null` for a root requirement) that could not be satisfied together, as resolvelib
 * reports them; pip builds its "conflict is caused by" message from the same list.
 */
export class ResolutionImpossible<R = unknown, C = unknown> extends SneakpackError {
  /** The conflicting requirements and who asked for each. */
  readonly causes: readonly RequirementInformation<R, C>[];

  constructor(causes: readonly RequirementInformation<R, C>[]) {
    const lines = causes.map((c) => `  ${describeCause(c)}`);
    super(
      'RESOLUTION_IMPOSSIBLE',
      causes.length === 0
        ? 'cannot resolve the requirements: no combination of candidates satisfies them'
        : `cannot resolve the requirements: no candidate satisfies all of\n${lines.join('\n')}\n` +
            'loosen one of these requirements, or make a matching version available',
      {
        details: {
          causes: causes.map((c) => ({
            requirement: describe(c.requirement),
            parent: c.parent === null ? null : describe(c.parent),
          })),
        },
      },
    );
    this.name = 'ResolutionImpossible';
    this.causes = Object.freeze([...causes]);
  }
}

/**
 * The resolver gave up after `maxRounds` rounds. Usually a very large search space or providers
 * whose candidates keep conflicting; raising `maxRounds` may help.
 */
export class ResolutionTooDeep extends SneakpackError {
  /** The round limit that was reached. */
  readonly roundCount: number;

  constructor(roundCount: number) {
    super(
      'RESOLUTION_TOO_DEEP',
      `dependency resolution gave up after ${roundCount} rounds; the requirements need too much ` +
        'backtracking — pin some versions, or allow more rounds',
      { details: { maxRounds: roundCount } },
    );
    this.name = 'ResolutionTooDeep';
    this.roundCount = roundCount;
  }
}

/**
 * The provider returned a candidate that does not satisfy the requirements it was found for
 * (`findMatches` and `isSatisfiedBy` disagree). A bug in the provider, not something a user can fix,
 * so it is a plain `Error` (resolvelib's `InconsistentCandidate`).
 */
export class InconsistentCandidate<R = unknown, C = unknown> extends Error {
  constructor(
    readonly candidate: C,
    readonly criterion: Criterion<R, C>,
  ) {
    super(
      `provider bug: candidate ${describe(candidate)} does not satisfy ` +
        criterion.information.map((i) => describe(i.requirement)).join(', '),
    );
    this.name = 'InconsistentCandidate';
  }
}

/**
 * Resolve `requirements` with `provider`: pin one candidate per identifier such that every pinned
 * candidate's dependencies, and the root requirements, are satisfied.
 *
 * Deterministic: for the same provider answers it makes the same choices as resolvelib 1.0.1.
 *
 * @throws {@link ResolutionImpossible} when no solution exists (or backjumping cannot find one).
 * @throws {@link ResolutionTooDeep} when `maxRounds` rounds are not enough.
 */
export async function resolve<R, C, I extends string = string>(
  provider: Provider<R, C, I>,
  requirements: Iterable<R>,
  options: ResolveOptions<R, C, I> = {},
): Promise<Result<R, C, I>> {
  const maxRounds = options.maxRounds ?? DEFAULT_MAX_ROUNDS;
  const resolution = new Resolution(provider, options.reporter ?? {});
  const state = await resolution.run(requirements, maxRounds);
  return buildResult(state);
}

/** Thrown inside the resolver when a candidate's dependencies empty a criterion; never escapes. */
class RequirementsConflicted<R, C> {
  constructor(readonly criterion: Criterion<R, C>) {}
}

/** A mutable state; `mapping` keeps pinning order, which backjumping relies on. */
interface State<R, C, I extends string> {
  readonly mapping: Map<I, C>;
  readonly criteria: Map<I, Criterion<R, C>>;
  backtrackCauses: RequirementInformation<R, C>[];
}

function makeCriterion<R, C>(
  candidates: readonly C[],
  information: readonly RequirementInformation<R, C>[],
  incompatibilities: readonly C[],
): Criterion<R, C> {
  return Object.freeze({ candidates, information, incompatibilities });
}

const requirementsOf = <R, C>(c: Criterion<R, C>): readonly R[] => c.information.map((i) => i.requirement);
const candidatesOf = <R, C>(c: Criterion<R, C>): readonly C[] => c.candidates;
const informationOf = <R, C>(c: Criterion<R, C>): readonly RequirementInformation<R, C>[] => c.information;
const incompatibilitiesOf = <R, C>(c: Criterion<R, C>): readonly C[] => c.incompatibilities;

/** One resolution run (resolvelib's `Resolution`): a stack of states, one per pin. */
class Resolution<R, C, I extends string> {
  private states: State<R, C, I>[] = [];

  constructor(
    private readonly p: Provider<R, C, I>,
    private readonly r: Reporter<R, C, I>,
  ) {}

  private get state(): State<R, C, I> {
    const s = this.states[this.states.length - 1];
    if (s === undefined) throw new Error('resolver has no state');
    return s;
  }

  private pushNewState(): void {
    const base = this.state;
    this.states.push({
      mapping: new Map(base.mapping),
      criteria: new Map(base.criteria),
      backtrackCauses: [...base.backtrackCauses],
    });
  }

  private async addToCriteria(
    criteria: Map<I, Criterion<R, C>>,
    requirement: R,
    parent: C | null,
  ): Promise<void> {
    this.r.addingRequirement?.(requirement, parent);
    const identifier = this.p.identify(requirement);
    const criterion = criteria.get(identifier);
    const incompatibilities = criterion ? criterion.incompatibilities : [];
    const requirements = criterion ? [...requirementsOf(criterion), requirement] : [requirement];
    const matches = await this.p.findMatches({
      identifier,
      requirements: new CriteriaView(criteria, requirementsOf, new Map([[identifier, requirements]])),
      incompatibilities: new CriteriaView(criteria, incompatibilitiesOf, new Map([[identifier, incompatibilities]])),
    });
    const information = criterion ? [...criterion.information] : [];
    information.push(Object.freeze({ requirement, parent }));
    const updated = makeCriterion([...matches], information, incompatibilities);
    if (updated.candidates.length === 0) throw new RequirementsConflicted(updated);
    criteria.set(identifier, updated);
  }

  /** Drop every requirement whose parent's identifier is in `parents` (their pins are stale). */
  private removeInformationFromCriteria(criteria: Map<I, Criterion<R, C>>, parents: ReadonlySet<I>): void {
    if (parents.size === 0) return;
    for (const [key, criterion] of criteria) {
      criteria.set(
        key,
        makeCriterion(
          criterion.candidates,
          criterion.information.filter((i) => i.parent === null || !parents.has(this.p.identify(i.parent))),
          criterion.incompatibilities,
        ),
      );
    }
  }

  private getPreference(identifier: I): Preference {
    const state = this.state;
    return this.p.getPreference({
      identifier,
      resolutions: state.mapping,
      candidates: new CriteriaView(state.criteria, candidatesOf),
      information: new CriteriaView(state.criteria, informationOf),
      backtrackCauses: state.backtrackCauses,
    });
  }

  private isCurrentPinSatisfying(name: I, criterion: Criterion<R, C>): boolean {
    const mapping = this.state.mapping;
    if (!mapping.has(name)) return false;
    const pin = mapping.get(name) as C;
    return criterion.information.every((i) => this.p.isSatisfiedBy(i.requirement, pin));
  }

  private async getUpdatedCriteria(candidate: C): Promise<Map<I, Criterion<R, C>>> {
    const criteria = new Map(this.state.criteria);
    for (const requirement of await this.p.getDependencies(candidate)) {
      await this.addToCriteria(criteria, requirement, candidate);
    }
    return criteria;
  }

  /** Pin the first workable candidate of `name`; on failure return why each candidate failed. */
  private async attemptToPinCriterion(name: I): Promise<Criterion<R, C>[]> {
    const criterion = this.state.criteria.get(name)!;
    const causes: Criterion<R, C>[] = [];
    for (const candidate of criterion.candidates) {
      let criteria: Map<I, Criterion<R, C>>;
      try {
        criteria = await this.getUpdatedCriteria(candidate);
      } catch (e) {
        if (!(e instanceof RequirementsConflicted)) throw e;
        const conflict = e as RequirementsConflicted<R, C>;
        this.r.rejectingCandidate?.(conflict.criterion, candidate);
        causes.push(conflict.criterion);
        continue;
      }

      // Catches providers whose findMatches() and isSatisfiedBy() disagree.
      const satisfied = criterion.information.every((i) => this.p.isSatisfiedBy(i.requirement, candidate));
      if (!satisfied) throw new InconsistentCandidate(candidate, criterion);

      this.r.pinning?.(candidate);
      const state = this.state;
      for (const [k, v] of criteria) state.criteria.set(k, v);
      // The newest pin goes last: backjumping undoes pins from the end of the mapping.
      state.mapping.delete(name);
      state.mapping.set(name, candidate);
      return [];
    }
    return causes;
  }

  /**
   * Apply the incompatibilities learnt in a discarded state to the current one. False when that
   * leaves some identifier without candidates (so the resolver must backjump further).
   */
  private async patchCriteria(incompatibilitiesFromBroken: readonly [I, readonly C[]][]): Promise<boolean> {
    const criteria = this.state.criteria;
    for (const [k, incompatibilities] of incompatibilitiesFromBroken) {
      if (incompatibilities.length === 0) continue;
      const criterion = criteria.get(k);
      if (criterion === undefined) continue;
      // resolvelib concatenates the two lists; as the broken state's list already holds the current
      // one, they double on every backjump (exponential memory). Providers only test membership,
      // so a list without repeats gives the same matches.
      const merged = uniqueByIdentity([...incompatibilities, ...criterion.incompatibilities]);
      const matches = await this.p.findMatches({
        identifier: k,
        requirements: new CriteriaView(criteria, requirementsOf),
        incompatibilities: new CriteriaView(criteria, incompatibilitiesOf, new Map([[k, merged]])),
      });
      const candidates = [...matches];
      if (candidates.length === 0) return false;
      criteria.set(k, makeCriterion(candidates, [...criterion.information], merged));
    }
    return true;
  }

  /**
   * Backjump (resolvelib's `_backjump`). With the stack `[…, X, Y, Z]` where no candidate of Z's
   * identifier works: drop Z; drop pins until one (Y) whose dependencies touch the identifiers in
   * `causes`; start again from X with Y's pin and everything Y had learnt marked incompatible. If
   * that empties a criterion, repeat one level further down.
   */
  private async backjump(causes: readonly RequirementInformation<R, C>[]): Promise<boolean> {
    const incompatibleDeps = new Set<I>();
    for (const c of causes) if (c.parent !== null) incompatibleDeps.add(this.p.identify(c.parent));
    for (const c of causes) incompatibleDeps.add(this.p.identify(c.requirement));

    while (this.states.length >= 3) {
      this.states.pop();

      // The last pin is not necessarily the culprit: skip pins unrelated to the conflict.
      let brokenState: State<R, C, I>;
      let name: I;
      let candidate: C;
      for (;;) {
        const popped = this.states.pop();
        if (popped === undefined || popped.mapping.size === 0) throw new ResolutionImpossible(causes);
        brokenState = popped;
        [name, candidate] = popLast(popped.mapping);
        let touches = false;
        for (const d of await this.p.getDependencies(candidate)) {
          if (incompatibleDeps.has(this.p.identify(d))) {
            touches = true;
            break;
          }
        }
        if (touches) break;
      }

      const incompatibilitiesFromBroken: [I, readonly C[]][] = [];
      for (const [k, v] of brokenState.criteria) incompatibilitiesFromBroken.push([k, v.incompatibilities]);
      incompatibilitiesFromBroken.push([name, [candidate]]);

      this.pushNewState();
      if (await this.patchCriteria(incompatibilitiesFromBroken)) return true;
      // The learnt incompatibilities empty a criterion here too: try the state before.
    }
    return false;
  }

  async run(requirements: Iterable<R>, maxRounds: number): Promise<State<R, C, I>> {
    this.r.starting?.();
    this.states = [{ mapping: new Map(), criteria: new Map(), backtrackCauses: [] }];
    for (const requirement of requirements) {
      try {
        await this.addToCriteria(this.state.criteria, requirement, null);
      } catch (e) {
        if (e instanceof RequirementsConflicted) {
          throw new ResolutionImpossible((e as RequirementsConflicted<R, C>).criterion.information);
        }
        throw e;
      }
    }

    // The root state stays at the bottom as a sentinel, so the first pin has a state to
    // backjump to: it is the pin of the virtual root package.
    this.pushNewState();

    for (let round = 0; round < maxRounds; round++) {
      this.r.startingRound?.(round);
      const state = this.state;

      const unsatisfied: I[] = [];
      const satisfied = new Set<I>();
      for (const [key, criterion] of state.criteria) {
        if (this.isCurrentPinSatisfying(key, criterion)) satisfied.add(key);
        else unsatisfied.push(key);
      }

      if (unsatisfied.length === 0) {
        this.r.ending?.(state);
        return state;
      }

      const name = this.choose(unsatisfied);
      const failureCauses = await this.attemptToPinCriterion(name);

      if (failureCauses.length > 0) {
        const causes = failureCauses.flatMap((c) => c.information);
        this.r.resolvingConflicts?.(causes);
        const success = await this.backjump(causes);
        this.state.backtrackCauses = [...causes];
        if (!success) throw new ResolutionImpossible(this.state.backtrackCauses);
      } else {
        // Pins that the new dependencies invalidated no longer speak for their dependencies.
        const newlyUnsatisfied = new Set<I>();
        for (const [key, criterion] of this.state.criteria) {
          if (satisfied.has(key) && !this.isCurrentPinSatisfying(key, criterion)) newlyUnsatisfied.add(key);
        }
        this.removeInformationFromCriteria(this.state.criteria, newlyUnsatisfied);
        this.pushNewState();
      }

      this.r.endingRound?.(round, this.state);
    }
    throw new ResolutionTooDeep(maxRounds);
  }

  /**
   * The unsatisfied identifier to work on: the first with the lowest preference. With a
   * `narrowRequirementSelection` hook this follows resolvelib 1.1 (narrow first; rank only when more
   * than one is left); without one, resolvelib 1.0.1 (rank all).
   */
  private choose(unsatisfied: readonly I[]): I {
    let names = unsatisfied;
    if (this.p.narrowRequirementSelection !== undefined) {
      if (unsatisfied.length > 1) {
        const state = this.state;
        names = [
          ...this.p.narrowRequirementSelection({
            identifiers: unsatisfied,
            resolutions: state.mapping,
            candidates: new CriteriaView(state.criteria, candidatesOf),
            information: new CriteriaView(state.criteria, informationOf),
            backtrackCauses: state.backtrackCauses,
          }),
        ];
      }
      if (names.length === 0) throw new Error('provider bug: narrowRequirementSelection returned no identifiers');
      if (names.length === 1) return names[0]!;
    }
    let best = names[0]!;
    let bestKey = this.getPreference(best);
    for (let i = 1; i < names.length; i++) {
      const key = this.getPreference(names[i]!);
      if (comparePreference(key, bestKey) < 0) {
        best = names[i]!;
        bestKey = key;
      }
    }
    return best;
  }
}

function uniqueByIdentity<T>(items: readonly T[]): readonly T[] {
  return items.length < 2 ? items : [...new Set(items)];
}

function popLast<K, V>(map: Map<K, V>): [K, V] {
  let last: [K, V] | undefined;
  for (const entry of map) last = entry;
  map.delete(last![0]);
  return last!;
}

/**
 * Keep only the pins reachable from the root requirements (a pin whose only parents were later
 * replaced is stale) and record who depends on whom.
 */
function buildResult<R, C, I extends string>(state: State<R, C, I>): Result<R, C, I> {
  const { mapping, criteria } = state;
  // Parents are candidates; a parent counts only if it is still the pinned object.
  const keyOf = new Map<C, I>();
  for (const [k, v] of mapping) keyOf.set(v, k);

  const graph = new DirectedGraph<I | null>();
  graph.add(null);
  const connected = new Set<I | null>([null]);
  const parentKey = (p: C | null): I | null | undefined => (p === null ? null : keyOf.get(p));

  const hasRouteToRoot = (key: I | null, visiting: Set<I | null>): boolean => {
    if (connected.has(key)) return true;
    if (key === null) return false;
    const criterion = criteria.get(key);
    if (criterion === undefined) return false;
    for (const info of criterion.information) {
      const pkey = parentKey(info.parent);
      if (pkey === undefined) continue;
      if (connected.has(pkey)) {
        connected.add(key);
        return true;
      }
      // resolvelib recurses without a guard and relies on the graph being acyclic once parents
      // are mapped; a guard keeps a cycle among stale pins from overflowing the stack.
      if (visiting.has(pkey)) continue;
      visiting.add(pkey);
      const found = hasRouteToRoot(pkey, visiting);
      visiting.delete(pkey);
      if (found) {
        connected.add(key);
        return true;
      }
    }
    return false;
  };

  for (const [key, criterion] of criteria) {
    if (!hasRouteToRoot(key, new Set([key]))) continue;
    if (!graph.has(key)) graph.add(key);
    for (const info of criterion.information) {
      const pkey = parentKey(info.parent);
      if (pkey === undefined) continue;
      if (!graph.has(pkey)) graph.add(pkey);
      graph.connect(pkey, key);
    }
  }

  const result = new Map<I, C>();
  for (const [k, v] of mapping) if (connected.has(k)) result.set(k, v);
  return { mapping: result, graph, criteria: new Map(criteria) };
}

/** A short, readable rendering of a requirement or candidate for messages. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return String(value);
  const own = (value as { toString?: unknown }).toString;
  if (typeof own === 'function' && own !== Object.prototype.toString) return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function describeCause(cause: RequirementInformation<unknown, unknown>): string {
  return cause.parent === null
    ? `${describe(cause.requirement)} (a root requirement)`
    : `${describe(cause.requirement)} (required by ${describe(cause.parent)})`;
}
