/**
 * The 300-package index that needs backtracking (issue 3), as real wheels in a folder, resolved
 * through the real wheel provider: the result must be a valid solution (checked independently of
 * the resolver by `check.ts`), and the same wheels pip 24.2 picks from the same folder.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SneakpackError } from '../../src/errors.js';
import { parseRequirement } from '../../src/pep508/index.js';
import { resolve } from '../../src/resolve/index.js';
import { resolveClosure, snapshotFolder } from '../../src/resolve/closure.js';
import { type WheelCandidateLike, WheelProvider } from '../../src/resolve/wheel-provider.js';
import { FindLinksSource } from '../../src/sources/index.js';
import { probeInterpreter } from '../../src/target/probe.js';
import { type ResolvedTarget, resolveTarget } from '../../src/target/index.js';
import { Rng } from '../helpers/random.js';
import { referencePython } from '../helpers/reference.js';
import { makeWheel } from '../helpers/wheels.js';
import { checkResolution } from './check.js';
import { type GeneratedIndex, generateIndex } from './gen-index.js';
import { runPip } from './provider-fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'sneakpack-index300-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Seed 8: resolvelib 1.0.1 with pip's preferences gets through (192 pins). Seed 4: it gives up
 * although a planted solution exists (see gen-index.ts) — pip must give up too.
 */
const SEEDS = { resolvable: 8, givesUp: 4 } as const;
const indexes = Object.fromEntries(Object.entries(SEEDS).map(([k, seed]) => [k, generateIndex(new Rng(seed))])) as Record<keyof typeof SEEDS, GeneratedIndex>;
const dirs = Object.fromEntries(Object.keys(SEEDS).map((k) => [k, join(work, k)])) as Record<keyof typeof SEEDS, string>;
let host: ResolvedTarget;

beforeAll(async () => {
  for (const k of Object.keys(SEEDS) as (keyof typeof SEEDS)[]) {
    for (const [name, releases] of Object.entries(indexes[k].index)) {
      const providesExtra = Object.values(releases).some((deps) => deps.some((d) => d.includes("extra == 'x'"))) ? ['x'] : [];
      for (const [version, requiresDist] of Object.entries(releases)) makeWheel({ dir: dirs[k], name, version, requiresDist, providesExtra });
    }
    writeFileSync(join(work, `${k}.txt`), indexes[k].roots.join('\n') + '\n');
  }
  host = resolveTarget((await probeInterpreter(referencePython())) as never, { name: 'reference-python' });
});

describe('300-package generated index as real wheels', () => {
  test('resolves through the real provider to a valid solution, after backtracking', async () => {
    const gen = indexes.resolvable;
    const provider = new WheelProvider(resolveTarget('cp311-manylinux_2_36_armv7l'), snapshotFolder(new FindLinksSource(dirs.resolvable)));
    let rejections = 0;
    let backjumps = 0;
    const result = await resolve(provider, gen.roots.flatMap((r) => provider.requirementsFor(parseRequirement(r), 'root')), {
      reporter: { rejectingCandidate: () => void rejections++, resolvingConflicts: () => void backjumps++ },
    });
    const mapping = new Map<string, number>();
    for (const [id, c] of result.mapping) mapping.set(id, Number((c as WheelCandidateLike).version.toString()));
    expect(checkResolution(gen.index, gen.roots, mapping)).toEqual([]);
    expect(mapping.size).toBeGreaterThan(100);
    expect(rejections).toBeGreaterThan(100);
    expect(backjumps).toBeGreaterThan(10);
  });

  // pip needs about two minutes per index here (sneakpack about a second), so this comparison is
  // opt-in: SNEAKPACK_SLOW_TESTS=1 npx vitest run test/resolve/provider-index.test.ts
  test.runIf(process.env.SNEAKPACK_SLOW_TESTS === '1')('the same wheels as pip 24.2 on the same folder; and where pip gives up, sneakpack does too', { timeout: 900_000 }, async () => {
    const pip = runPip(
      (Object.keys(SEEDS) as (keyof typeof SEEDS)[]).map((k) => ({ dir: dirs[k], requirementsFile: join(work, `${k}.txt`), report: join(work, `${k}.json`) })),
    );
    const closure = await resolveClosure({ name: 'index300', requirements: indexes.resolvable.roots.map(parseRequirement) }, host, new FindLinksSource(dirs.resolvable));
    const failed = await resolveClosure({ name: 'index300', requirements: indexes.givesUp.roots.map(parseRequirement) }, host, new FindLinksSource(dirs.givesUp)).then(
      () => null,
      (e: SneakpackError) => e,
    );
    const [ok, giveUp] = await pip;
    expect(ok!.ok).toBe(true);
    const theirs = Object.entries((ok as { chosen: Record<string, [string, string]> }).chosen)
      .map(([k, [v, f]]) => `${k.toLowerCase().replace(/[-_.]+/g, '-')} ${v} ${f}`)
      .sort();
    const ours = closure.packages.map((p) => `${p.name} ${p.version} ${p.filename}`).sort();
    expect(ours).toEqual(theirs);
    expect(giveUp!.ok).toBe(false);
    expect((giveUp as { error: string }).error).toContain('ResolutionImpossible');
    expect(failed?.code).toMatch(/^(NO_MATCHING_DISTRIBUTION|RESOLUTION_IMPOSSIBLE)$/);
  });
});
