/**
 * Hand-written resolver cases: an index snapshot, root requirements and the expected outcome.
 * resolver.test.ts checks the expectations; resolver-differential.test.ts also runs every case
 * through resolvelib and requires the same outcome.
 *
 * Most cases use the `name` preference (alphabetical), so the order of pins is easy to follow.
 */
import type { ToyIndex, ToyStrategy } from './toy.js';

export type Expected =
  | {
      readonly mapping: Readonly<Record<string, number>>;
      readonly backtracks?: number;
      readonly rejections?: number;
      readonly edges?: readonly (readonly [string | null, string])[];
    }
  | { readonly impossible: readonly (readonly [string, string | null])[] }
  | { readonly tooDeep: number };

export interface HandCase {
  readonly name: string;
  readonly index: ToyIndex;
  readonly roots: readonly string[];
  readonly strategy?: ToyStrategy;
  readonly maxRounds?: number;
  readonly expect: Expected;
}

const chainIndex: ToyIndex = {
  a: { '1': ['b>=1'], '2': ['b>=2'] },
  b: { '1': ['c'], '2': ['c<3'] },
  c: { '1': [], '2': [], '3': [] },
};

export const HAND_CASES: readonly HandCase[] = [
  {
    name: 'chain: newest versions that fit',
    index: chainIndex,
    roots: ['a'],
    expect: {
      mapping: { a: 2, b: 2, c: 2 },
      backtracks: 0,
      edges: [
        [null, 'a'],
        ['a', 'b'],
        ['b', 'c'],
      ],
    },
  },
  {
    name: 'diamond: requirements on a shared dependency are merged',
    index: {
      a: { '1': ['b', 'c'] },
      b: { '1': ['d>=2'] },
      c: { '1': ['d<3'] },
      d: { '1': [], '2': [], '3': [] },
    },
    roots: ['a'],
    expect: {
      mapping: { a: 1, b: 1, c: 1, d: 2 },
      backtracks: 0,
      edges: [
        [null, 'a'],
        ['a', 'b'],
        ['a', 'c'],
        ['b', 'd'],
        ['c', 'd'],
      ],
    },
  },
  {
    name: 'extras are identities: a[x] depends on a==v plus its extra dependencies',
    index: {
      a: { '1': ['b'], '2': ['b', "c>=2; extra == 'x'"] },
      b: { '1': [] },
      c: { '1': [], '2': [], '3': ["d; extra == 'y'"] },
      d: { '1': [] },
    },
    roots: ['a[x]'],
    expect: {
      mapping: { 'a[x]': 2, a: 2, b: 1, c: 3 },
      edges: [
        [null, 'a[x]'],
        ['a', 'b'],
        ['a[x]', 'a'],
        ['a[x]', 'c'],
      ],
    },
  },
  {
    name: 'extras: a[x] follows a constraint on plain a',
    index: {
      a: { '1': ["c==1; extra == 'x'"], '2': ["c==2; extra == 'x'"] },
      c: { '1': [], '2': [] },
    },
    roots: ['a[x]', 'a<2'],
    expect: { mapping: { a: 1, 'a[x]': 1, c: 1 }, backtracks: 0, rejections: 1 },
  },
  {
    name: 'backtracking: the newest a conflicts with b, so a goes back a version',
    index: {
      a: { '1': ['c==1'], '2': ['c==2'] },
      b: { '1': ['c==1'] },
      c: { '1': [], '2': [] },
    },
    roots: ['a', 'b'],
    expect: { mapping: { a: 1, b: 1, c: 1 }, backtracks: 1, rejections: 1 },
  },
  {
    name: 'backjumping skips pins unrelated to the conflict',
    index: {
      a: { '1': ['c==1'], '2': ['c==2'] },
      b: { '1': [] },
      c: { '1': [], '2': [] },
      x: { '1': ['c==1'] },
    },
    roots: ['a', 'b', 'x'],
    expect: { mapping: { a: 1, b: 1, c: 1, x: 1 }, backtracks: 1 },
  },
  {
    name: 'backtracking: every c the newest b allows is broken, so b goes back a version',
    index: {
      a: { '1': ['b<=1'], '2': ['b'] },
      b: { '1': ['c<=1'], '2': ['c>=2'] },
      c: { '1': [], '2': ['d>=5'], '3': ['d>=5'] },
      d: { '1': [], '2': [] },
    },
    roots: ['a'],
    expect: { mapping: { a: 2, b: 1, c: 1 } },
  },
  {
    name: 'a pin invalidated by a later requirement is re-pinned, and its stale requirements dropped',
    index: {
      a: { '1': [], '2': ['c<2'] },
      b: { '1': ['a==1'] },
      c: { '1': [], '2': [] },
      d: { '1': ['c>=2'] },
    },
    roots: ['a', 'b', 'd'],
    expect: { mapping: { a: 1, b: 1, c: 2, d: 1 }, backtracks: 0 },
  },
  {
    name: 'a pin nothing requires any more is left out of the result',
    index: {
      a: { '1': [], '2': ['c'] },
      b: { '1': ['a==1'] },
      c: { '1': [] },
    },
    roots: ['a', 'b'],
    expect: { mapping: { a: 1, b: 1 }, edges: [[null, 'a'], [null, 'b'], ['b', 'a']] },
  },
  {
    name: 'cyclic dependency',
    index: {
      a: { '1': ['b'], '2': ['b>=2'] },
      b: { '1': ['a'], '2': ['a==1'] },
    },
    roots: ['a'],
    expect: {
      mapping: { a: 1, b: 2 },
      edges: [
        [null, 'a'],
        ['a', 'b'],
        ['b', 'a'],
      ],
    },
  },
  {
    name: 'a package that depends on itself',
    index: { a: { '1': ['a>=1'], '2': ['a<2'] } },
    roots: ['a'],
    expect: { mapping: { a: 1 } },
  },
  {
    name: 'impossible: two parents want disjoint versions',
    index: {
      a: { '1': ['c>=2'] },
      b: { '1': ['c<2'] },
      c: { '1': [], '2': [] },
    },
    roots: ['a', 'b'],
    expect: {
      impossible: [
        ['c>=2', 'a==1'],
        ['c<2', 'b==1'],
      ],
    },
  },
  {
    name: 'impossible: root requirements conflict',
    index: { a: { '1': [], '2': [] } },
    roots: ['a>=2', 'a<2'],
    expect: {
      impossible: [
        ['a>=2', null],
        ['a<2', null],
      ],
    },
  },
  {
    name: 'impossible: a dependency that does not exist',
    index: { a: { '1': ['ghost>=1'] } },
    roots: ['a'],
    expect: { impossible: [['ghost>=1', 'a==1']] },
  },
  {
    name: 'impossible: a root requirement that does not exist',
    index: {},
    roots: ['ghost'],
    expect: { impossible: [['ghost', null]] },
  },
  {
    name: 'impossible after backtracking through every version',
    index: {
      a: { '1': ['c==1', 'd==2'], '2': ['c==2', 'd==1'], '3': ['c==3'] },
      b: { '1': ['c!=1,!=2', 'd==2'] },
      c: { '1': [], '2': [], '3': ['d==1'] },
      d: { '1': [], '2': [] },
    },
    roots: ['a', 'b'],
    strategy: 'pip',
    expect: { impossible: [['d==2', 'b==1'], ['d==1', 'c==3']] },
  },
  {
    name: 'just enough rounds (one per pin, one to notice it is done)',
    index: chainIndex,
    roots: ['a'],
    maxRounds: 4,
    expect: { mapping: { a: 2, b: 2, c: 2 } },
  },
  {
    name: 'too deep: one round short',
    index: chainIndex,
    roots: ['a'],
    maxRounds: 3,
    expect: { tooDeep: 3 },
  },
];
