import { describe, expect, test } from 'vitest';
import { isSneakpackError, SneakpackError } from '../../src/errors.js';
import {
  comparePreference,
  CriteriaView,
  DEFAULT_MAX_ROUNDS,
  DirectedGraph,
  InconsistentCandidate,
  resolve,
  ResolutionImpossible,
  ResolutionTooDeep,
  type Preference,
  type Provider,
  type Reporter,
} from '../../src/resolve/index.js';
import { Rng } from '../helpers/random.js';
import { HAND_CASES } from './cases.js';
import { checkResolution } from './check.js';
import { runToy } from './harness.js';
import { parseToyRequirement, ToyCandidate, ToyProvider, type ToyIndex, type ToyRequirement } from './toy.js';

const reqs = (...texts: string[]): ToyRequirement[] => texts.map(parseToyRequirement);

describe('hand-written cases', () => {
  for (const c of HAND_CASES) {
    test(c.name, async () => {
      const out = await runToy({
        index: c.index,
        roots: c.roots,
        strategy: c.strategy ?? 'name',
        maxRounds: c.maxRounds ?? DEFAULT_MAX_ROUNDS,
      });
      const e = c.expect;
      if ('mapping' in e) {
        expect(out.status).toBe('ok');
        if (out.status !== 'ok') return;
        expect(Object.fromEntries(out.mapping)).toEqual(e.mapping);
        expect(checkResolution(c.index, c.roots, new Map(out.mapping))).toEqual([]);
        if (e.backtracks !== undefined) expect(out.backtracks).toBe(e.backtracks);
        if (e.rejections !== undefined) expect(out.rejections).toBe(e.rejections);
        if (e.edges !== undefined) {
          const key = (x: readonly [string | null, string | null]): string => `${x[0] ?? ''} -> ${x[1]}`;
          expect(out.edges.map(key).sort()).toEqual(e.edges.map(key).sort());
        }
      } else if ('impossible' in e) {
        expect(out.status).toBe('impossible');
        if (out.status === 'impossible') expect(out.causes).toEqual(e.impossible);
      } else {
        expect(out.status).toBe('too_deep');
        if (out.status === 'too_deep') expect(out.rounds).toBe(e.tooDeep);
      }
    });
  }
});

describe('errors', () => {
  test('ResolutionImpossible is a SneakpackError that names the conflicting requirements', async () => {
    const provider = new ToyProvider({ a: { '1': ['c>=2'] }, b: { '1': ['c<2'] }, c: { '1': [], '2': [] } }, 'name');
    const err = await resolve(provider, reqs('a', 'b')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResolutionImpossible);
    expect(err).toBeInstanceOf(SneakpackError);
    expect(isSneakpackError(err, 'RESOLUTION_IMPOSSIBLE')).toBe(true);
    const e = err as ResolutionImpossible<ToyRequirement, ToyCandidate>;
    expect(e.causes.map((c) => [String(c.requirement), String(c.parent)])).toEqual([
      ['c>=2', 'a==1'],
      ['c<2', 'b==1'],
    ]);
    expect(e.message).toContain('c>=2 (required by a==1)');
    expect(e.message).toContain('c<2 (required by b==1)');
    expect(e.details.causes).toEqual([
      { requirement: 'c>=2', parent: 'a==1' },
      { requirement: 'c<2', parent: 'b==1' },
    ]);
  });

  test('a conflict among root requirements says so', async () => {
    const err = await resolve(new ToyProvider({ a: { '1': [] } }), reqs('a>=2')).catch((e: unknown) => e);
    expect(isSneakpackError(err, 'RESOLUTION_IMPOSSIBLE')).toBe(true);
    expect((err as Error).message).toContain('a>=2 (a root requirement)');
  });

  test('ResolutionTooDeep carries the round limit', async () => {
    const provider = new ToyProvider({ a: { '1': ['b'] }, b: { '1': [] } });
    const err = await resolve(provider, reqs('a'), { maxRounds: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResolutionTooDeep);
    expect(isSneakpackError(err, 'RESOLUTION_TOO_DEEP')).toBe(true);
    expect((err as ResolutionTooDeep).roundCount).toBe(1);
    expect((err as Error).message).toContain('1 rounds');
  });

  test('a provider whose findMatches and isSatisfiedBy disagree is reported as a provider bug', async () => {
    class Liar extends ToyProvider {
      override isSatisfiedBy(): boolean {
        return false;
      }
    }
    const err = await resolve(new Liar({ a: { '1': [] } }), reqs('a')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InconsistentCandidate);
    expect(err).not.toBeInstanceOf(SneakpackError);
    expect((err as Error).message).toContain('a==1');
  });

  test('provider errors propagate unchanged', async () => {
    class Broken extends ToyProvider {
      override getDependencies(): Promise<ToyRequirement[]> {
        return Promise.reject(new Error('disk on fire'));
      }
    }
    await expect(resolve(new Broken({ a: { '1': [] } }), reqs('a'))).rejects.toThrow('disk on fire');
  });
});

describe('result: what is pinned and why', () => {
  const index: ToyIndex = {
    app: { '1': ['b', 'c'] },
    b: { '1': ['d>=2'] },
    c: { '1': ['d<3'] },
    d: { '1': [], '2': [], '3': [] },
  };

  test('criteria name every requirement on a package and its parent; the graph has the root', async () => {
    const result = await resolve(new ToyProvider(index), reqs('app'));
    expect([...result.mapping.keys()].sort()).toEqual(['app', 'b', 'c', 'd']);
    const why = result.criteria.get('d')!.information.map((i) => `${i.requirement} <- ${i.parent}`);
    expect(why).toEqual(['d>=2 <- b==1', 'd<3 <- c==1']);
    expect(result.criteria.get('app')!.information[0]!.parent).toBeNull();
    expect(result.graph.has(null)).toBe(true);
    expect(result.graph.children(null)).toEqual(['app']);
    expect([...result.graph.parents('d')].sort()).toEqual(['b', 'c']);
    expect(result.graph.connected('b', 'd')).toBe(true);
    expect(result.graph.connected('d', 'b')).toBe(false);
    expect(result.graph.size).toBe(5);
  });

  test('the same inputs give the same result, also when the provider answers slowly and out of order', async () => {
    const a = await runToy({ index, roots: ['app'], strategy: 'pip', maxRounds: 100 });
    const b = await runToy({ index, roots: ['app'], strategy: 'pip', maxRounds: 100 });
    expect(b).toEqual(a);

    const rng = new Rng(7);
    const sleep = (): Promise<void> => new Promise((r) => setTimeout(r, rng.int(0, 3)));
    class Slow extends ToyProvider {
      override async findMatches(args: Parameters<ToyProvider['findMatches']>[0]): Promise<ToyCandidate[]> {
        await sleep();
        return super.findMatches(args);
      }
      override async getDependencies(c: ToyCandidate): Promise<ToyRequirement[]> {
        await sleep();
        return super.getDependencies(c);
      }
    }
    const slow = await resolve(new Slow(index, 'pip'), reqs('app'));
    expect([...slow.mapping].map(([k, v]) => [k, v.version])).toEqual(a.status === 'ok' ? a.mapping : null);
  });

  test('a synchronous provider returning any iterables works too', async () => {
    const toy = new ToyProvider(index);
    const sync: Provider<ToyRequirement, ToyCandidate> = {
      identify: (x) => toy.identify(x),
      getPreference: (args) => toy.getPreference(args),
      isSatisfiedBy: (r, c) => toy.isSatisfiedBy(r, c),
      // No promises, and a Set / a generator instead of arrays.
      findMatches: (args) => new Set(candidatesNow(toy, args)),
      getDependencies: function* (c) {
        yield* (index[c.name]![String(c.version)] ?? []).map(parseToyRequirement);
      },
    };
    const result = await resolve(sync, reqs('app'));
    expect(Object.fromEntries([...result.mapping].map(([k, v]) => [k, v.version]))).toEqual({ app: 1, b: 1, c: 1, d: 2 });
  });
});

/** ToyProvider.findMatches resolves immediately; unwrap it synchronously through its cache. */
function candidatesNow(toy: ToyProvider, args: Parameters<ToyProvider['findMatches']>[0]): ToyCandidate[] {
  const reqsFor = args.requirements.get(args.identifier) ?? [];
  const name = reqsFor[0]!.name;
  const versions = Object.keys(toy.index[name] ?? {})
    .map(Number)
    .sort((x, y) => y - x)
    .filter((v) => reqsFor.every((r) => r.matches(v)));
  return versions.map((v) => internedCandidate(name, v));
}
const interned = new Map<string, ToyCandidate>();
function internedCandidate(name: string, version: number): ToyCandidate {
  const key = `${name}@${version}`;
  if (!interned.has(key)) interned.set(key, new ToyCandidate(name, [], version));
  return interned.get(key)!;
}

describe('reporter', () => {
  test('hooks are called in resolvelib order, and backtracking is reported', async () => {
    const log: string[] = [];
    const reporter: Reporter<ToyRequirement, ToyCandidate> = {
      starting: () => log.push('starting'),
      startingRound: (i) => log.push(`round ${i}`),
      endingRound: (i, state) => log.push(`end ${i} pins=${state.mapping.size}`),
      ending: (state) => log.push(`ending pins=${state.mapping.size}`),
      addingRequirement: (r, p) => log.push(`add ${r} <- ${p === null ? 'root' : p}`),
      resolvingConflicts: (causes) => log.push(`conflict ${causes.map((c) => String(c.requirement)).join(' ')}`),
      rejectingCandidate: (criterion, c) => log.push(`reject ${c} (${criterion.information.length} reqs)`),
      pinning: (c) => log.push(`pin ${c}`),
    };
    const provider = new ToyProvider(
      { a: { '1': ['c==1'], '2': ['c==2'] }, b: { '1': ['c==1'] }, c: { '1': [], '2': [] } },
      'name',
    );
    await resolve(provider, reqs('a', 'b'), { reporter });
    expect(log).toEqual([
      'starting',
      'add a <- root',
      'add b <- root',
      'round 0',
      'add c==2 <- a==2',
      'pin a==2',
      'end 0 pins=1',
      'round 1',
      'add c==1 <- b==1',
      'reject b==1 (2 reqs)',
      'conflict c==2 c==1',
      'end 1 pins=0',
      'round 2',
      'add c==1 <- a==1',
      'pin a==1',
      'end 2 pins=1',
      'round 3',
      'add c==1 <- b==1',
      'pin b==1',
      'end 3 pins=2',
      'round 4',
      'pin c==1',
      'end 4 pins=3',
      'round 5',
      'ending pins=3',
    ]);
  });

  test('a reporter without hooks is fine', async () => {
    const result = await resolve(new ToyProvider({ a: { '1': [] } }), reqs('a'), { reporter: {} });
    expect(result.mapping.get('a')!.version).toBe(1);
  });
});

describe('provider hooks', () => {
  const index: ToyIndex = { a: { '1': [] }, b: { '1': [] }, c: { '1': [] } };

  test('narrowRequirementSelection (resolvelib 1.1) picks what getPreference ranks', async () => {
    const calls: string[][] = [];
    let preferenceCalls = 0;
    class Narrow extends ToyProvider {
      override getPreference(args: Parameters<ToyProvider['getPreference']>[0]): ReturnType<ToyProvider['getPreference']> {
        preferenceCalls++;
        return super.getPreference(args);
      }
      narrowRequirementSelection(args: { identifiers: readonly string[] }): string[] {
        calls.push([...args.identifiers]);
        return [args.identifiers[args.identifiers.length - 1]!];
      }
    }
    const pins: string[] = [];
    await resolve(new Narrow(index, 'name'), reqs('a', 'b', 'c'), { reporter: { pinning: (c) => pins.push(String(c)) } });
    expect(calls).toEqual([['a', 'b', 'c'], ['a', 'b']]);
    // The last one is alone, so it is neither narrowed nor ranked; narrowed to one, nothing is ranked.
    expect(preferenceCalls).toBe(0);
    expect(pins).toEqual(['c==1', 'b==1', 'a==1']);
  });

  test('narrowRequirementSelection must not return nothing', async () => {
    class Empty extends ToyProvider {
      narrowRequirementSelection(): string[] {
        return [];
      }
    }
    await expect(resolve(new Empty(index), reqs('a', 'b'))).rejects.toThrow(/narrowRequirementSelection/);
  });

  test('ties in preference go to the first identifier in criteria order', async () => {
    const pins: string[] = [];
    const provider = new ToyProvider(index, 'tie');
    await resolve(provider, reqs('c', 'a', 'b'), { reporter: { pinning: (c) => pins.push(String(c)) } });
    expect(pins).toEqual(['c==1', 'a==1', 'b==1']);
  });
});

describe('comparePreference', () => {
  const cases: [Preference, Preference, number][] = [
    [1, 2, -1],
    [2, 1, 1],
    [1.5, 1.5, 0],
    [false, true, -1],
    [true, 1, 0],
    ['a', 'b', -1],
    ['b', 'a', 1],
    ['ab', 'a', 1],
    ['', '', 0],
    [[0, 'a'], [0, 'b'], -1],
    [[1], [0, 'z'], 1],
    [[0], [0, 'a'], -1],
    [[], [], 0],
    [[[1, 2]], [[1, 3]], -1],
    // Code point order, not UTF-16 order: U+FFFF < U+1F600 though '\uffff' > '\ud83d'.
    ['\uffff', '\u{1f600}', -1],
    ['\u{1f600}', '\uffff', 1],
  ];
  for (const [a, b, want] of cases) {
    test(`${JSON.stringify(a)} vs ${JSON.stringify(b)}`, () => {
      expect(Math.sign(comparePreference(a, b))).toBe(want);
    });
  }
  test('numbers and strings do not compare (TypeError, like Python)', () => {
    expect(() => comparePreference(1, 'a')).toThrow(TypeError);
    expect(() => comparePreference([1], 1)).toThrow(TypeError);
    expect(() => comparePreference([0, 1], [0, 'a'])).toThrow(TypeError);
  });
});

describe('structures', () => {
  test('DirectedGraph', () => {
    const g = new DirectedGraph<string | null>();
    g.add(null);
    g.add('a');
    g.add('b');
    g.connect(null, 'a');
    g.connect('a', 'b');
    g.connect('a', 'b');
    expect([...g.edges()]).toEqual([
      [null, 'a'],
      ['a', 'b'],
    ]);
    expect(g.parents('b')).toEqual(['a']);
    expect(() => g.add('a')).toThrow();
    expect(() => g.connect('a', 'zzz')).toThrow();
    expect([...g.vertices()]).toEqual([null, 'a', 'b']);
  });

  test('CriteriaView projects and overrides without copying', () => {
    const base = new Map<string, { xs: number[] }>([
      ['a', { xs: [1, 2] }],
      ['b', { xs: [3] }],
    ]);
    const view = new CriteriaView(base, (v) => v.xs, new Map([['b', [4]], ['c', [5]]]));
    expect(view.get('a')).toBe(base.get('a')!.xs);
    expect(view.get('b')).toEqual([4]);
    expect(view.get('c')).toEqual([5]);
    expect(view.get('z')).toBeUndefined();
    expect(view.has('c')).toBe(true);
    expect(view.size).toBe(3);
    expect([...view.keys()]).toEqual(['a', 'b', 'c']);
    expect(new Map(view)).toEqual(new Map([['a', [1, 2]], ['b', [4]], ['c', [5]]]));
    const seen: string[] = [];
    view.forEach((_, k) => seen.push(k));
    expect(seen).toEqual(['a', 'b', 'c']);
  });
});
