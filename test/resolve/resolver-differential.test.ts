/**
 * Differential test against resolvelib 1.0.1 as vendored by pip 24.2: the same generated indexes,
 * the same provider logic (resolvelib_ref.py mirrors toy.ts) and the same preference keys must give
 * the same outcome — same pins in the same order, same mapping (in order), graph edges, criteria
 * (requirements and parents), and on failure the same causes or round limit.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { Rng } from '../helpers/random.js';
import { runReference } from '../helpers/reference.js';
import { checkResolution } from './check.js';
import { HAND_CASES } from './cases.js';
import { generateIndex, type GenerateOptions } from './gen-index.js';
import { runToy, type Outcome, type ToyCase } from './harness.js';
import type { ToyStrategy } from './toy.js';

const here = dirname(fileURLToPath(import.meta.url));
const REF_SCRIPT = readFileSync(join(here, 'resolvelib_ref.py'), 'utf8');

interface GeneratedCase extends ToyCase {
  readonly label: string;
}

function generateCases(count: number, seed: number): GeneratedCase[] {
  const rng = new Rng(seed);
  const cases: GeneratedCase[] = [];
  for (let k = 0; k < count; k++) {
    const options: GenerateOptions = {
      packages: rng.chance(0.15) ? rng.int(60, 150) : rng.int(2, 40),
      maxVersions: rng.int(1, 6),
      maxDeps: rng.int(0, 4),
      window: rng.int(1, 15),
      trapRate: rng.pick([0, 0.3, 0.6, 0.9]),
      extrasRate: rng.pick([0, 0.2, 0.5]),
      cycleRate: rng.pick([0, 0, 0.1, 0.4]),
      extraRoots: rng.int(0, 4),
      anchors: rng.int(0, 2),
      mode: rng.chance(0.5) ? 'planted' : 'random',
      traps: rng.chance(0.6) ? 'shallow' : 'chain',
    };
    const gen = generateIndex(new Rng(rng.int(0, 2 ** 31)), options);
    const strategy = rng.pick<ToyStrategy>(['pip', 'pip', 'name', 'count', 'tie']);
    // A few small round limits so that ResolutionTooDeep is compared too.
    const maxRounds = rng.chance(0.15) ? rng.int(1, 40) : 2000;
    cases.push({ index: gen.index, roots: gen.roots, strategy, maxRounds, label: `#${k} ${JSON.stringify(options)}` });
  }
  return cases;
}

describe('resolver vs resolvelib 1.0.1 (pip 24.2)', () => {
  test('hand-written cases, with every preference strategy', async () => {
    const cases: ToyCase[] = HAND_CASES.flatMap((c) =>
      (['name', 'pip', 'count', 'tie'] as const).map((strategy) => ({
        index: c.index,
        roots: c.roots,
        strategy,
        maxRounds: c.maxRounds ?? 2000,
      })),
    );
    const reference = runReference<Outcome[]>(REF_SCRIPT, { cases });
    const disagreements: string[] = [];
    for (let i = 0; i < cases.length; i++) {
      const mine = await runToy(cases[i]!);
      if (JSON.stringify(mine) !== JSON.stringify(reference[i])) {
        disagreements.push(`${HAND_CASES[Math.floor(i / 4)]!.name} [${cases[i]!.strategy}]\n  mine: ${JSON.stringify(mine)}\n  ref:  ${JSON.stringify(reference[i])}`);
      }
    }
    expect(disagreements, `${disagreements.length} disagreements`).toEqual([]);
  });

  const cases = generateCases(320, 0x5e50_1e);

  test('generated indexes: same outcome, pins, mapping, graph, criteria and causes', async () => {
    const reference = runReference<Outcome[]>(REF_SCRIPT, { cases: cases.map(({ label: _, ...c }) => c) });
    expect(reference).toHaveLength(cases.length);

    const disagreements: string[] = [];
    const tally: Record<string, number> = {};
    let compared = 0;
    let backtracked = 0;
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const ref = reference[i]!;
      const mine = await runToy(c);
      tally[ref.status] = (tally[ref.status] ?? 0) + 1;
      if (ref.status === 'blowup') {
        // resolvelib gave up on its doubling incompatibility lists; up to that point the two
        // must still have pinned the same candidates in the same order.
        if (JSON.stringify(mine.pins.slice(0, ref.pins.length)) !== JSON.stringify(ref.pins)) {
          disagreements.push(`${c.label}\n  pins diverge before resolvelib's blowup`);
        }
        continue;
      }
      compared++;
      if (mine.backtracks > 0) backtracked++;
      if (JSON.stringify(mine) !== JSON.stringify(ref)) {
        disagreements.push(
          `${c.label}\n  roots: ${JSON.stringify(c.roots)}\n  index: ${JSON.stringify(c.index)}\n` +
            `  mine: ${JSON.stringify(mine).slice(0, 600)}\n  ref:  ${JSON.stringify(ref).slice(0, 600)}`,
        );
      }
      if (mine.status === 'ok') {
        const problems = checkResolution(c.index, c.roots, new Map(mine.mapping));
        if (problems.length > 0) disagreements.push(`${c.label}\n  invalid result: ${problems.slice(0, 5).join('; ')}`);
      }
    }
    expect(disagreements.slice(0, 20), `${disagreements.length} disagreements`).toEqual([]);
    // The generated mix must exercise every outcome, and enough cases must be fully compared.
    expect(compared).toBeGreaterThanOrEqual(200);
    expect(tally.ok ?? 0).toBeGreaterThan(50);
    expect(tally.impossible ?? 0).toBeGreaterThan(20);
    expect(tally.too_deep ?? 0).toBeGreaterThan(5);
    expect(backtracked).toBeGreaterThan(30);
    console.log(`resolver differential: ${cases.length} indexes, ${compared} fully compared, ${backtracked} with backjumps`, tally);
  });
});
