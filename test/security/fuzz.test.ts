/**
 * The CI budget of the mutation fuzzer (test/security/fuzz-harness.ts): a few hundred seeded
 * cases, under a minute. `npm run fuzz` runs the same harness with a long budget; the environment
 * variables below let it (or anyone) change the budget and seed of this file:
 * SNEAKPACK_FUZZ_RUNS, SNEAKPACK_FUZZ_SECONDS, SNEAKPACK_FUZZ_SEED, and SNEAKPACK_FUZZ_REPORT (a
 * file to write the JSON report to).
 */
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatReport, runFuzz } from './fuzz-harness.js';
import { HAVE_PYTHON } from './fixtures.js';

const env = process.env;
const runs = Number(env.SNEAKPACK_FUZZ_RUNS ?? 200);
const seconds = env.SNEAKPACK_FUZZ_SECONDS === undefined ? 45 : Number(env.SNEAKPACK_FUZZ_SECONDS);
const seed = Number(env.SNEAKPACK_FUZZ_SEED ?? 0x5eed);
const long = env.SNEAKPACK_FUZZ_RUNS !== undefined || env.SNEAKPACK_FUZZ_SECONDS !== undefined;

describe.skipIf(!HAVE_PYTHON)('mutation fuzzing of bundles and wheels', () => {
  it(
    `${runs} seeded cases (seed ${seed}): every outcome is success on an unchanged input or a typed error, nothing written outside`,
    async () => {
      const report = await runFuzz({ seed, runs, seconds, log: long ? (l) => console.log(l) : undefined });
      const text = formatReport(report);
      if (env.SNEAKPACK_FUZZ_REPORT) fs.writeFileSync(env.SNEAKPACK_FUZZ_REPORT, JSON.stringify({ ...report, text }, null, 1));
      // scripts/fuzz.mjs prints the report it asked for; otherwise show it here when it matters.
      if (!env.SNEAKPACK_FUZZ_REPORT && (long || report.failures.length > 0)) console.log(text);
      expect(report.failures, text).toEqual([]);
      // The budget was spent on real cases, not cut short by the clock (a slow machine shows here).
      expect(report.cases).toBeGreaterThanOrEqual(Math.min(runs, long ? 1 : 100));
      expect(report.bundleCases).toBeGreaterThan(0);
      expect(report.wheelCases).toBeGreaterThan(0);
      // Mutants are refused for many different reasons, not one catch-all (given enough cases).
      if (report.cases >= 100) expect(new Set(Object.keys(report.outcomes).map((k) => k.split(':')[1])).size).toBeGreaterThan(8);
    },
    (seconds + 120) * 1000,
  );
});
