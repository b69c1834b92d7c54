/**
 * The provider interface: everything the resolver learns about packages, it learns here
 * (resolvelib's `AbstractProvider`, with the 1.1 `narrow_requirement_selection` hook as an option).
 *
 * Where candidates come from — a folder of wheels, an index, a cache — and what a version or a
 * specifier is, is the provider's business. The lookups that may touch the disk or the network
 * (`findMatches`, `getDependencies`) are asynchronous; the rest are pure and synchronous.
 */
import type { RequirementInformation } from './structs.js';

/** A value or a promise of it. */
export type Awaitable<T> = T | PromiseLike<T>;

/**
 * A sort key, compared like a Python value: numbers (and booleans, as 0/1) numerically, strings by
 * code point, arrays lexicographically (a prefix sorts first). Lower sorts first. Comparing a
 * number with a string is a provider bug and throws, as it does in Python.
 */
export type Preference = number | string | boolean | readonly Preference[];

/** What the resolver knows when it asks for preferences (resolvelib passes the same). */
export interface SelectionContext<R, C, I extends string = string> {
  /** Candidates pinned so far. A pin may conflict with requirements in `information`. */
  readonly resolutions: ReadonlyMap<I, C>;
  /** For every known identifier, its remaining candidates, best first. */
  readonly candidates: ReadonlyMap<I, readonly C[]>;
  /** For every known identifier, its requirements and who asked for them. */
  readonly information: ReadonlyMap<I, readonly RequirementInformation<R, C>[]>;
  /** The requirements that caused the most recent backtrack (empty before the first one). */
  readonly backtrackCauses: readonly RequirementInformation<R, C>[];
}

/** Arguments of {@link Provider.getPreference}. */
export interface PreferenceArgs<R, C, I extends string = string> extends SelectionContext<R, C, I> {
  /** The identifier to rank. */
  readonly identifier: I;
}

/** Arguments of {@link Provider.narrowRequirementSelection}. */
export interface NarrowArgs<R, C, I extends string = string> extends SelectionContext<R, C, I> {
  /** The identifiers whose criterion the current pins do not satisfy, in criteria order. */
  readonly identifiers: readonly I[];
}

/** Arguments of {@link Provider.findMatches}. */
export interface FindMatchesArgs<R, C, I extends string = string> {
  /** The identifier whose candidates are wanted. */
  readonly identifier: I;
  /**
   * Requirements per identifier; every returned candidate must satisfy all of
   * `requirements.get(identifier)`. The other entries are context (pip uses them for constraints).
   */
  readonly requirements: ReadonlyMap<I, readonly R[]>;
  /**
   * Known-bad candidates per identifier; none of `incompatibilities.get(identifier)` may be
   * returned. Test membership only (by identity, as pip does): the order of these lists is not
   * resolvelib's.
   */
  readonly incompatibilities: ReadonlyMap<I, readonly C[]>;
}

/**
 * Tells a resolver about packages. `R` is a requirement, `C` a candidate (one concrete choice,
 * e.g. a version of a distribution), `I` the identifier both map to.
 */
export interface Provider<R, C, I extends string = string> {
  /**
   * The identifier of a requirement or candidate. Requirements with the same identifier are merged,
   * and exactly one candidate is pinned per identifier. Extras are part of the identity
   * (`name[extra]` is its own identifier whose candidates depend on `name==version`).
   */
  identify(requirementOrCandidate: R | C): I;

  /**
   * A sort key saying "resolve this identifier first"; the resolver works on the unsatisfied
   * identifier with the lowest key (the first one in criteria order on ties).
   */
  getPreference(args: PreferenceArgs<R, C, I>): Preference;

  /**
   * Every candidate for `identifier` that satisfies all of its requirements and is not a known
   * incompatibility, best first. An empty list means the requirements conflict.
   */
  findMatches(args: FindMatchesArgs<R, C, I>): Awaitable<Iterable<C>>;

  /** Whether `candidate` satisfies `requirement` (the resolver only asks about matching identifiers). */
  isSatisfiedBy(requirement: R, candidate: C): boolean;

  /** The requirements `candidate` depends on. */
  getDependencies(candidate: C): Awaitable<Iterable<R>>;

  /**
   * Optional (resolvelib 1.1): narrow the unsatisfied identifiers down to those worth ranking with
   * `getPreference`. Must return a non-empty subset; only called when more than one is unsatisfied.
   */
  narrowRequirementSelection?(args: NarrowArgs<R, C, I>): Iterable<I>;
}

/** Compare two {@link Preference} keys like Python compares them: negative, zero or positive. */
export function comparePreference(a: Preference, b: Preference): number {
  const aList = Array.isArray(a);
  const bList = Array.isArray(b);
  if (aList || bList) {
    if (!aList || !bList) throw new TypeError(`cannot compare preference ${show(a)} with ${show(b)}`);
    const x = a as readonly Preference[];
    const y = b as readonly Preference[];
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const c = comparePreference(x[i]!, y[i]!);
      if (c !== 0) return c;
    }
    return x.length - y.length;
  }
  if (typeof a === 'string' || typeof b === 'string') {
    if (typeof a !== 'string' || typeof b !== 'string') {
      throw new TypeError(`cannot compare preference ${show(a)} with ${show(b)}`);
    }
    return compareCodePoints(a, b);
  }
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Python orders strings by code point; JavaScript's `<` by UTF-16 unit, which differs above U+FFFF. */
function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const cx = a.codePointAt(i)!;
      const cy = b.codePointAt(i)!;
      return cx - cy;
    }
  }
  return a.length - b.length;
}

function show(value: Preference): string {
  return JSON.stringify(value);
}
