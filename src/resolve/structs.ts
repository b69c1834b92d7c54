/**
 * Value types the resolver shares with its provider and reporter, after resolvelib 1.0.1's
 * `structs.py` and the `Criterion` / `RequirementInformation` / `State` types of `resolvers.py`.
 *
 * The resolver knows nothing about Python packages: requirements (`R`), candidates (`C`) and
 * identifiers (`I`) are opaque to it and only interpreted by the provider.
 */

/**
 * One requirement and who asked for it: `parent` is the candidate whose dependencies contain
 * `requirement`, or `null` for a root requirement (one passed to `resolve()`).
 */
export interface RequirementInformation<R, C> {
  readonly requirement: R;
  readonly parent: C | null;
}

/**
 * What the resolver knows about one identifier (resolvelib's `Criterion`).
 *
 * - `information`: every requirement on this identifier and its parent;
 * - `incompatibilities`: candidates known not to work, excluded from `candidates`;
 * - `candidates`: what the provider's `findMatches` returned for all of `information` minus
 *   `incompatibilities`, best first. Never empty inside a successful resolution.
 *
 * Criteria are values: the resolver replaces them, it never mutates one.
 */
export interface Criterion<R, C> {
  readonly candidates: readonly C[];
  readonly information: readonly RequirementInformation<R, C>[];
  readonly incompatibilities: readonly C[];
}

/**
 * The resolver's state in one round (resolvelib's `State`): the pins so far, in pinning order
 * (backjumping undoes the last pin first), the criteria, and the causes of the last backtrack.
 */
export interface ResolutionState<R, C, I extends string = string> {
  readonly mapping: ReadonlyMap<I, C>;
  readonly criteria: ReadonlyMap<I, Criterion<R, C>>;
  readonly backtrackCauses: readonly RequirementInformation<R, C>[];
}

/**
 * A directed graph over hashable keys (resolvelib's `DirectedGraph`). Iteration follows insertion
 * order, so a graph built the same way twice iterates the same way.
 */
export class DirectedGraph<K> {
  private readonly forwards = new Map<K, Set<K>>();
  private readonly backwards = new Map<K, Set<K>>();

  /** Number of vertices. */
  get size(): number {
    return this.forwards.size;
  }

  /** The vertices, in the order they were added. */
  vertices(): IterableIterator<K> {
    return this.forwards.keys();
  }

  /** True when `key` is a vertex. */
  has(key: K): boolean {
    return this.forwards.has(key);
  }

  /** Add a vertex; adding one twice is a programming error. */
  add(key: K): void {
    if (this.forwards.has(key)) throw new Error(`vertex exists: ${String(key)}`);
    this.forwards.set(key, new Set());
    this.backwards.set(key, new Set());
  }

  /** Add the edge `from → to` (both must be vertices); connecting twice is harmless. */
  connect(from: K, to: K): void {
    const f = this.forwards.get(from);
    const t = this.backwards.get(to);
    if (f === undefined) throw new Error(`no such vertex: ${String(from)}`);
    if (t === undefined) throw new Error(`no such vertex: ${String(to)}`);
    f.add(to);
    t.add(from);
  }

  /** True when the edge `from → to` exists. */
  connected(from: K, to: K): boolean {
    return this.forwards.get(from)?.has(to) ?? false;
  }

  /** Every edge as `[from, to]`. */
  *edges(): IterableIterator<[K, K]> {
    for (const [from, children] of this.forwards) for (const to of children) yield [from, to];
  }

  /** The vertices `key` points to (for the resolver's graph: what `key` depends on). */
  children(key: K): readonly K[] {
    return [...(this.forwards.get(key) ?? [])];
  }

  /** The vertices that point to `key` (for the resolver's graph: who requires `key`). */
  parents(key: K): readonly K[] {
    return [...(this.backwards.get(key) ?? [])];
  }
}

/**
 * A read-only map view over the criteria that projects each criterion to a list (its
 * requirements, candidates, incompatibilities…), with some entries overridden, without copying the
 * criteria (resolvelib's `IteratorMapping`). The provider receives these views; building a real map
 * for every `getPreference` call would make each round quadratic in the number of packages.
 */
export class CriteriaView<K, V, T> implements ReadonlyMap<K, readonly T[]> {
  constructor(
    private readonly mapping: ReadonlyMap<K, V>,
    private readonly accessor: (value: V) => readonly T[],
    /** Entries that replace (or add to the keys of) the projected mapping. */
    private readonly overrides: ReadonlyMap<K, readonly T[]> = new Map(),
  ) {}

  get size(): number {
    let more = 0;
    for (const k of this.overrides.keys()) if (!this.mapping.has(k)) more++;
    return this.mapping.size + more;
  }

  has(key: K): boolean {
    return this.mapping.has(key) || this.overrides.has(key);
  }

  get(key: K): readonly T[] | undefined {
    const override = this.overrides.get(key);
    if (override !== undefined) return override;
    if (!this.mapping.has(key)) return undefined;
    return this.accessor(this.mapping.get(key) as V);
  }

  *keys(): IterableIterator<K> {
    yield* this.mapping.keys();
    for (const k of this.overrides.keys()) if (!this.mapping.has(k)) yield k;
  }

  *values(): IterableIterator<readonly T[]> {
    for (const k of this.keys()) yield this.get(k)!;
  }

  *entries(): IterableIterator<[K, readonly T[]]> {
    for (const k of this.keys()) yield [k, this.get(k)!];
  }

  [Symbol.iterator](): IterableIterator<[K, readonly T[]]> {
    return this.entries();
  }

  forEach(callback: (value: readonly T[], key: K, map: ReadonlyMap<K, readonly T[]>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) callback.call(thisArg, v, k, this);
  }
}
