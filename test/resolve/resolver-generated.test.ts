/**
 * A generated 300-package index whose newest versions conflict deep in the graph (see
 * gen-index.ts): the resolver must backtrack to older versions, and its answer must pass the
 * independent checker.
 */
import { describe, expect, test } from 'vitest';
import { resolve } from '../../src/resolve/index.js';
import { Rng } from '../helpers/random.js';
import { checkResolution } from './check.js';
import { generateIndex, plantedSolution } from './gen-index.js';
import { TraceReporter } from './harness.js';
import { parseToyRequirement, ToyProvider } from './toy.js';

const DEP_RE = /^(pkg|anchor)-\d+(\[x\])?((==|!=|>=|<=|>|<)\d+(,(==|!=|>=|<=|>|<)\d+)*)?(; extra == 'x')?$/;

describe('generated 300-package index with deep conflicts', () => {
  // Seeds whose index resolvelib 1.0.1's backjumping gets through (on others it gives up although
  // the planted solution exists — the differential test shows this port does exactly the same).
  for (const seed of [3, 4, 8]) {
    test(`seed ${seed}: resolves, satisfies every requirement, and needed backtracking`, async () => {
      const gen = generateIndex(new Rng(seed));
      expect(Object.keys(gen.index).filter((k) => k.startsWith('pkg-'))).toHaveLength(300);

      const reporter = new TraceReporter();
      const result = await resolve(new ToyProvider(gen.index, 'pip'), gen.roots.map(parseToyRequirement), { reporter });
      const mapping = new Map([...result.mapping].map(([k, v]) => [k, v.version]));

      expect(checkResolution(gen.index, gen.roots, mapping)).toEqual([]);
      expect(mapping.size).toBeGreaterThan(100);
      expect(reporter.backtracks).toBeGreaterThan(10);
      expect(reporter.rejections).toBeGreaterThan(reporter.backtracks);
      // Only older combinations work: many pins are below their package's newest version.
      const older = [...mapping].filter(([id, v]) => {
        const name = id.replace(/\[.*\]$/, '');
        return v < Math.max(...Object.keys(gen.index[name]!).map(Number));
      });
      expect(older.length).toBeGreaterThan(20);
      // The graph explains every pin: each one has a parent (the root is null).
      for (const id of mapping.keys()) expect(result.graph.parents(id).length).toBeGreaterThan(0);
    });
  }
});

describe('gen-index', () => {
  test('is deterministic and plain data', () => {
    const a = generateIndex(new Rng(11), { packages: 50 });
    const b = generateIndex(new Rng(11), { packages: 50 });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    const deps = Object.values(a.index).flatMap((r) => Object.values(r).flat());
    expect(deps.length).toBeGreaterThan(50);
    for (const d of [...deps, ...a.roots]) expect(d).toMatch(DEP_RE);
  });

  test('the planted solution is valid, and the checker catches broken ones', () => {
    for (const traps of ['shallow', 'chain'] as const) {
      for (let seed = 1; seed <= 20; seed++) {
        const gen = generateIndex(new Rng(seed), { packages: 120, traps, extrasRate: 0.3, cycleRate: 0.05 });
        const planted = plantedSolution(gen);
        expect(checkResolution(gen.index, gen.roots, planted)).toEqual([]);

        // Every newest trap version is wrong: swapping it in breaks the solution.
        const trapped = Object.keys(planted).find((id) => {
          const name = id.replace(/\[.*\]$/, '');
          return planted[id]! < Object.keys(gen.index[name]!).length;
        });
        if (trapped !== undefined) {
          const name = trapped.replace(/\[.*\]$/, '');
          const newest = Object.keys(gen.index[name]!).length;
          const broken = { ...planted, [trapped]: newest };
          expect(checkResolution(gen.index, gen.roots, broken).length).toBeGreaterThan(0);
        }
        const missing = { ...planted };
        delete missing['pkg-0'];
        expect(checkResolution(gen.index, gen.roots, missing).join('\n')).toContain('pkg-0');
        expect(checkResolution(gen.index, gen.roots, { ...planted, 'pkg-299': 1, stray: 1 }).join('\n')).toMatch(
          /nothing requires it/,
        );
      }
    }
  });
});
