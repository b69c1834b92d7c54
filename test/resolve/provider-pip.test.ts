/**
 * The wheel provider against pip's own resolver (issue 3): for generated wheelhouses and a target
 * equal to this machine's reference interpreter (CPython 3.13, probed into a profile), sneakpack
 * must pick the same set of (name, version) and the same wheel file as
 * `pip install --dry-run --ignore-installed --report` — including the cases that need
 * backtracking, and the ones that cannot be resolved at all.
 *
 * Then the other half: foreign targets, where pip (which evaluates markers for the machine it runs
 * on) is known to be wrong and sneakpack must be right.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import { parseRequirement } from '../../src/pep508/index.js';
import type { Reporter } from '../../src/resolve/index.js';
import { resolveClosure } from '../../src/resolve/closure.js';
import type { WheelCandidateLike, WheelRequirement } from '../../src/resolve/wheel-provider.js';
import { FindLinksSource } from '../../src/sources/index.js';
import { probeInterpreter } from '../../src/target/probe.js';
import { type ResolvedTarget, resolveTarget } from '../../src/target/index.js';
import { referencePython } from '../helpers/reference.js';
import { makeWheel } from '../helpers/wheels.js';
import { type PipOutcome, generatePipCases, runPip, writeWheelhouse } from './provider-fixtures.js';

const work = mkdtempSync(join(tmpdir(), 'sneakpack-provider-pip-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let host: ResolvedTarget;
beforeAll(async () => {
  const profile = await probeInterpreter(referencePython());
  host = resolveTarget(profile as never, { name: 'reference-python' });
});

type Outcome = { ok: true; chosen: Record<string, [string, string]> } | { ok: false; code: string };

async function sneakpack(dir: string, roots: readonly string[], target: ResolvedTarget, reporter: Reporter<WheelRequirement, WheelCandidateLike> = {}): Promise<Outcome> {
  try {
    const closure = await resolveClosure({ name: 'case', requirements: roots.map(parseRequirement) }, target, new FindLinksSource(dir), { reporter });
    const chosen: Record<string, [string, string]> = {};
    for (const p of closure.packages) chosen[p.name] = [p.version, p.filename];
    return { ok: true, chosen };
  } catch (e) {
    if (isSneakpackError(e)) return { ok: false, code: e.code };
    throw e;
  }
}

function normalizePip(o: PipOutcome): Outcome | { ok: false; error: string } {
  if (!o.ok) return o;
  const chosen: Record<string, [string, string]> = {};
  for (const [name, v] of Object.entries(o.chosen)) chosen[name.toLowerCase().replace(/[-_.]+/g, '-')] = v;
  return { ok: true, chosen };
}

describe('wheel provider vs pip 24.2', () => {
  test('generated wheelhouses that need backtracking: same wheels as pip', async () => {
    const cases = generatePipCases(60, 20240611);
    const jobs = cases.map((c, i) => {
      const dir = join(work, `house-${i}`);
      writeWheelhouse(dir, c.house);
      const requirementsFile = join(work, `reqs-${i}.txt`);
      writeFileSync(requirementsFile, c.house.roots.join('\n') + '\n');
      return { dir, requirementsFile, report: join(work, `report-${i}.json`) };
    });
    // pip runs in its own process while sneakpack resolves the same folders.
    const started = Date.now();
    let pipMs = 0;
    const pipRun = runPip(jobs).then((r) => {
      pipMs = Date.now() - started;
      return r.map(normalizePip);
    });
    const ourResults: Outcome[] = [];
    const ourCounts: { rejections: number; backjumps: number }[] = [];
    const disagreements: string[] = [];
    let resolved = 0;
    let backtracked = 0;
    let backjumped = 0;
    for (let i = 0; i < cases.length; i++) {
      let rejections = 0;
      let backjumps = 0;
      ourResults.push(
        await sneakpack(jobs[i]!.dir, cases[i]!.house.roots, host, {
          rejectingCandidate: () => void rejections++,
          resolvingConflicts: () => void backjumps++,
        }),
      );
      ourCounts.push({ rejections, backjumps });
    }
    const oursMs = Date.now() - started;
    const pip = await pipRun;
    for (let i = 0; i < cases.length; i++) {
      const ours = ourResults[i]!;
      const { rejections, backjumps } = ourCounts[i]!;
      const theirs = pip[i]!;
      if (ours.ok) resolved++;
      // pip calls both "backtracking": a candidate rejected for its dependencies, and a backjump.
      if (ours.ok && rejections > 0) backtracked++;
      if (ours.ok && backjumps > 0) backjumped++;
      // Both fail, and for the same kind of reason (no crash on either side); or both pick the same wheels.
      const same =
        ours.ok === theirs.ok &&
        (ours.ok
          ? JSON.stringify(sorted(ours.chosen)) === JSON.stringify(sorted((theirs as { chosen: Record<string, [string, string]> }).chosen))
          : /^(NO_MATCHING_DISTRIBUTION|RESOLUTION_IMPOSSIBLE)$/.test(ours.code) && /ResolutionImpossible|No matching distribution|requires a different Python/.test((theirs as { error: string }).error));
      if (!same) {
        disagreements.push(
          `${cases[i]!.label}\n  roots ${JSON.stringify(cases[i]!.house.roots)}\n  sneakpack ${JSON.stringify(ours.ok ? sorted(ours.chosen) : ours)}\n  pip       ${JSON.stringify(theirs.ok ? sorted(theirs.chosen) : (theirs as { error: string }).error.slice(-400))}`,
        );
      }
    }
    console.log(`pip comparison: ${cases.length} wheelhouses, ${resolved} resolved (${backtracked} of them after rejecting candidates, ${backjumped} after backjumping), ${disagreements.length} disagreements; pip ${pipMs} ms, sneakpack ${oursMs} ms (concurrently)`);
    expect(disagreements.slice(0, 20).join('\n\n')).toBe('');
    // The generator must really exercise both outcomes and backtracking.
    expect(resolved).toBeGreaterThanOrEqual(30);
    expect(backtracked).toBeGreaterThanOrEqual(15);
    expect(backjumped).toBeGreaterThanOrEqual(5);
    expect(cases.length - resolved).toBeGreaterThanOrEqual(5);
  });
});

function sorted(chosen: Record<string, [string, string]>): [string, string, string][] {
  return Object.entries(chosen)
    .map(([k, [v, f]]) => [k, v, f] as [string, string, string])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

describe('foreign targets: markers decided for the target, where pip on this host gets them wrong', () => {
  /** A wheelhouse where `app` depends on `armonly` only on armv7l and on `oldpy` only below 3.12. */
  function house(): string {
    const dir = join(work, 'foreign');
    makeWheel({
      dir,
      name: 'app-core',
      version: '1.0',
      requiresDist: [
        'armonly; platform_machine == "armv7l"',
        'x86only; platform_machine == "x86_64"',
        'oldpy; python_version < "3.12"',
        'newpy; python_version >= "3.12"',
        'tomli>=1; python_version < "3.11"',
      ],
    });
    for (const n of ['armonly', 'x86only', 'oldpy', 'newpy', 'tomli']) makeWheel({ dir, name: n, version: '1.0' });
    // A compiled dependency: the x86_64 host sees its wheel, the armv7l target must get the armv7l one.
    makeWheel({ dir, name: 'speedups', version: '2.0', tags: 'cp311-cp311-manylinux_2_17_x86_64' });
    makeWheel({ dir, name: 'speedups', version: '2.0', tags: 'cp311-cp311-manylinux_2_31_armv7l' });
    makeWheel({ dir, name: 'speedups', version: '2.1', tags: 'cp313-cp313-manylinux_2_17_x86_64' });
    return dir;
  }

  test('cp311 armv7l target: armonly and oldpy in, x86only and newpy out; the armv7l wheel of speedups', async () => {
    const dir = house();
    const target = resolveTarget('cp311-manylinux_2_36_armv7l');
    const ours = await sneakpack(dir, ['app-core', 'speedups'], target);
    expect(ours).toEqual({
      ok: true,
      chosen: {
        'app-core': ['1.0', 'app_core-1.0-py3-none-any.whl'],
        armonly: ['1.0', 'armonly-1.0-py3-none-any.whl'],
        oldpy: ['1.0', 'oldpy-1.0-py3-none-any.whl'],
        speedups: ['2.0', 'speedups-2.0-cp311-cp311-manylinux_2_31_armv7l.whl'],
      },
    });

    // What pip decides on this x86_64 CPython 3.13 host for the same requirements: the host's
    // markers (x86only, newpy) and the host's wheel (speedups 2.1 for cp313 x86_64) — wrong for the box.
    const requirementsFile = join(work, 'foreign-reqs.txt');
    writeFileSync(requirementsFile, 'app-core\nspeedups\n');
    const [pip] = await runPip([{ dir, requirementsFile, report: join(work, 'foreign-report.json') }]);
    expect(pip!.ok).toBe(true);
    const theirs = normalizePip(pip!) as { chosen: Record<string, [string, string]> };
    expect(Object.keys(theirs.chosen).sort()).toEqual(['app-core', 'newpy', 'speedups', 'x86only']);
    expect(theirs.chosen.speedups![1]).toBe('speedups-2.1-cp313-cp313-manylinux_2_17_x86_64.whl');
  });

  test('the same wheelhouse for an arm64 Python 3.10 box picks tomli and neither arch-specific dependency', async () => {
    const dir = house();
    const ours = await sneakpack(dir, ['app-core'], resolveTarget('cp310-manylinux_2_31_aarch64'));
    expect(ours.ok && Object.keys(ours.chosen).sort()).toEqual(['app-core', 'oldpy', 'tomli']);
  });

  test('this host as the target agrees with pip on the same wheelhouse', async () => {
    const dir = house();
    const ours = await sneakpack(dir, ['app-core', 'speedups'], host);
    const requirementsFile = join(work, 'foreign-reqs2.txt');
    writeFileSync(requirementsFile, 'app-core\nspeedups\n');
    const [pip] = await runPip([{ dir, requirementsFile, report: join(work, 'foreign-report2.json') }]);
    expect(ours).toEqual(normalizePip(pip!));
  });
});
