/**
 * Generates toy package indexes for the resolver tests, the benchmark and the pip comparison.
 * Everything is plain data (names, integer versions, dependency strings like `"pkg-17>=3,<5"`), so
 * an index can be written as JSON and read by another tool.
 *
 * `planted` mode hides a known solution and makes it hard to find: every package has a *planted*
 * version, and the planted versions' dependencies all accept each other's planted versions. Newer
 * ("trap") versions cannot be part of any solution: they end, one or more levels down, in a
 * requirement on an `anchor-*` version the roots forbid. A newest-first resolver takes the traps,
 * conflicts deep in the graph, and has to backtrack to older versions (see `traps`).
 *
 * `random` mode draws every range at random: some indexes resolve, some conflict, some need a lot
 * of backtracking — for differential testing.
 */
import { Rng } from '../helpers/random.js';
import type { ToyIndex } from './toy.js';

export interface GenerateOptions {
  /** Number of `pkg-N` packages. */
  readonly packages?: number;
  /** Each package gets 1..maxVersions versions. */
  readonly maxVersions?: number;
  /** Each version gets 0..maxDeps dependencies (trap versions at least one). */
  readonly maxDeps?: number;
  /** Dependencies of pkg-i are drawn from pkg-(i+1)..pkg-(i+window). */
  readonly window?: number;
  /** Probability that a package's planted version is not its newest (a trap above it). */
  readonly trapRate?: number;
  /** Probability that a package has an extra `x` (and that a dependency on it asks for it). */
  readonly extrasRate?: number;
  /** Probability that a dependency points anywhere, making cycles possible. */
  readonly cycleRate?: number;
  /** Root requirements on pkg-0 and this many more packages (plus the anchors). */
  readonly extraRoots?: number;
  /** Number of `anchor-N` packages (two versions each; the roots pin version 1). */
  readonly anchors?: number;
  readonly mode?: 'planted' | 'random';
  /**
   * How trap versions fail (planted mode). `shallow` (default): a trap version is either
   * *poisoned* (requires a forbidden anchor version) or a *lure* (requires only poisoned versions of
   * a deeper package), so every lure ends in a conflict one level down. `chain`: trap versions
   * require trap versions of all their dependencies, all the way down. resolvelib 1.0.1's
   * backjumping often gives up on `chain` indexes although the planted solution exists.
   */
  readonly traps?: 'shallow' | 'chain';
}

export interface GeneratedIndex {
  readonly index: ToyIndex;
  /** Root requirement strings. */
  readonly roots: readonly string[];
  /** The hidden solution's version of every package (planted mode only). */
  readonly planted?: Readonly<Record<string, number>>;
}

const pkg = (i: number): string => `pkg-${i}`;

/** Generate one index from `rng` (deterministic for a given seed and options). */
export function generateIndex(rng: Rng, options: GenerateOptions = {}): GeneratedIndex {
  const n = options.packages ?? 300;
  const maxVersions = options.maxVersions ?? 6;
  const maxDeps = options.maxDeps ?? 3;
  const window = options.window ?? 30;
  const trapRate = options.trapRate ?? 0.5;
  const extrasRate = options.extrasRate ?? 0.1;
  const cycleRate = options.cycleRate ?? 0;
  const anchors = options.anchors ?? 2;
  const planted = options.mode !== 'random';
  const chain = options.traps === 'chain';

  const versions: number[] = [];
  const chosen: number[] = [];
  const hasExtra: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const v = rng.int(1, maxVersions);
    versions.push(v);
    chosen.push(v > 1 && rng.chance(trapRate) ? rng.int(1, v - 1) : v);
    hasExtra.push(rng.chance(extrasRate));
  }
  // Shallow traps: a package's trap versions are all poisoned or all lures to a poisoned package.
  const lureTarget: (number | null)[] = [];
  for (let i = 0; i < n; i++) lureTarget.push(null);
  if (!chain) {
    const poisoned = (j: number): boolean => chosen[j]! < versions[j]! && lureTarget[j] === null;
    for (let i = n - 1; i >= 0; i--) {
      if (chosen[i]! === versions[i]! || rng.chance(0.5)) continue;
      const pool: number[] = [];
      for (let j = i + 1; j <= Math.min(n - 1, i + window); j++) if (poisoned(j)) pool.push(j);
      if (pool.length > 0) lureTarget[i] = rng.pick(pool);
    }
  }

  /** A range over 0..V+1 that contains `t` (when given) — edge-heavy on purpose. */
  const rangeAround = (j: number, t: number | null): string => {
    const V = versions[j]!;
    const any = (): number => rng.int(0, V + 1);
    const kind = rng.int(0, 7);
    if (t === null) {
      switch (kind) {
        case 0:
          return '';
        case 1:
          return `>=${any()}`;
        case 2:
          return `<${any()}`;
        case 3:
          return `==${any()}`;
        case 4:
          return `!=${any()}`;
        case 5:
          return `>${any()}`;
        case 6:
          return `<=${any()}`;
        default: {
          const a = any();
          return `>=${a},<${rng.int(a, V + 1)}`;
        }
      }
    }
    switch (kind) {
      case 0:
        return '';
      case 1:
        return `>=${rng.int(0, t)}`;
      case 2:
        return `<${rng.int(t + 1, V + 1)}`;
      case 3:
        return `==${t}`;
      case 4: {
        const x = any();
        return x === t ? '' : `!=${x}`;
      }
      case 5:
        return `>${rng.int(0, t - 1)}`;
      case 6:
        return `<=${rng.int(t, V + 1)}`;
      default:
        return `>=${rng.int(0, t)},<${rng.int(t + 1, V + 1)}`;
    }
  };

  /** A range that excludes `t` (the planted version of j). */
  const rangeExcluding = (j: number, t: number): string => {
    const V = versions[j]!;
    if (t < V) return rng.chance(0.5) ? `>=${t + 1}` : `>${t},<=${rng.int(t + 1, V)}`;
    if (t > 1) return rng.chance(0.5) ? `<${t}` : `!=${t}`;
    return `>=${V + 1}`;
  };

  const anchorReq = (): string => `anchor-${rng.int(0, anchors - 1)}>=2`;

  const index: Record<string, Record<string, string[]>> = {};
  for (let i = 0; i < n; i++) {
    const releases: Record<string, string[]> = {};
    const p = chosen[i]!;
    for (let v = 1; v <= versions[i]!; v++) {
      const trap = planted && v > p;
      const deps: string[] = [];
      const targets = new Set<number>();
      const k = rng.int(trap ? 1 : 0, maxDeps);
      for (let a = 0; a < k; a++) {
        let j: number;
        if (rng.chance(cycleRate)) j = rng.int(0, n - 1);
        else if (i + 1 < n) j = rng.int(i + 1, Math.min(n - 1, i + window));
        else continue;
        if (j === i || targets.has(j)) continue;
        targets.add(j);
      }
      const dependOn = (j: number, marker: string | null): void => {
        const spec = !planted
          ? rangeAround(j, null)
          : trap && chain
            ? rangeExcluding(j, chosen[j]!)
            : v === p
              ? rangeAround(j, chosen[j]!)
              : rangeAround(j, rng.chance(0.5) ? chosen[j]! : null);
        const extra = hasExtra[j] && rng.chance(0.5) ? '[x]' : '';
        deps.push(`${pkg(j)}${extra}${spec}${marker === null ? '' : `; extra == '${marker}'`}`);
      };
      const lure = lureTarget[i]!;
      if (trap && !chain && lure !== null) targets.delete(lure);
      for (const j of targets) dependOn(j, null);
      if (trap && !chain) {
        deps.push(lure === null ? anchorReq() : `${pkg(lure)}>=${chosen[lure]! + 1}`);
      } else if (trap && targets.size === 0 && anchors > 0) {
        deps.push(anchorReq());
      }
      if (hasExtra[i]) {
        const extraCount = rng.int(0, 2);
        for (let a = 0; a < extraCount && i + 1 < n; a++) {
          dependOn(rng.int(i + 1, Math.min(n - 1, i + window)), 'x');
        }
      }
      if (!planted && anchors > 0 && rng.chance(0.05)) deps.push(anchorReq());
      releases[String(v)] = deps;
    }
    index[pkg(i)] = releases;
  }
  for (let a = 0; a < anchors; a++) index[`anchor-${a}`] = { '1': [], '2': [] };

  const roots: string[] = [pkg(0)];
  const rootTargets = new Set<number>([0]);
  const extraRoots = options.extraRoots ?? 3;
  for (let r = 0; r < extraRoots && n > 1; r++) {
    const j = rng.int(1, Math.max(1, Math.floor(n / 5)));
    if (rootTargets.has(j)) continue;
    rootTargets.add(j);
    roots.push(`${pkg(j)}${planted ? rangeAround(j, chosen[j]!) : rangeAround(j, null)}`);
  }
  for (let a = 0; a < anchors; a++) roots.push(`anchor-${a}==1`);

  if (!planted) return { index, roots };
  const plantedMap: Record<string, number> = {};
  for (let i = 0; i < n; i++) plantedMap[pkg(i)] = chosen[i]!;
  for (let a = 0; a < anchors; a++) plantedMap[`anchor-${a}`] = 1;
  return { index, roots, planted: plantedMap };
}

/** The part of the planted solution the roots actually need, `{ identifier: version }`. */
export function plantedSolution(gen: GeneratedIndex): Record<string, number> {
  if (gen.planted === undefined) throw new Error('not a planted index');
  const out: Record<string, number> = {};
  const queue = [...gen.roots];
  for (let i = 0; i < queue.length; i++) {
    const m = /^([A-Za-z0-9_.-]+)(\[x\])?/.exec(queue[i]!)!;
    const name = m[1]!;
    const id = m[2] ? `${name}[x]` : name;
    if (id in out) continue;
    const v = gen.planted[name]!;
    out[id] = v;
    const deps = gen.index[name]![String(v)]!;
    if (m[2]) queue.push(`${name}==${v}`, ...deps.filter((d) => d.includes("extra == 'x'")));
    else queue.push(...deps.filter((d) => !d.includes(';')));
  }
  return out;
}
