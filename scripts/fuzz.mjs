#!/usr/bin/env node
/**
 * `npm run fuzz [-- --runs N] [--seconds S] [--seed X]`: the mutation fuzzer of issue 6
 * (test/security/fuzz-harness.ts) with a long budget — by default 100 000 cases or 10 minutes,
 * whichever comes first — run through vitest (the harness is TypeScript and uses the test
 * fixtures). Prints how many cases ran and the outcome histogram; exits non-zero on any property
 * violation, printing the failing case.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  if (i >= 0 && args[i + 1] !== undefined) return args[i + 1];
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  return eq === undefined ? fallback : eq.slice(name.length + 3);
};
const runs = flag('runs', process.env.SNEAKPACK_FUZZ_RUNS ?? '100000');
const seconds = flag('seconds', process.env.SNEAKPACK_FUZZ_SECONDS ?? '600');
const seed = flag('seed', process.env.SNEAKPACK_FUZZ_SEED ?? String(Date.now() % 2 ** 31));
for (const [k, v] of Object.entries({ runs, seconds, seed })) {
  if (!/^\d+$/.test(v)) {
    console.error(`fuzz: --${k} takes a whole number, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
}

const work = mkdtempSync(join(tmpdir(), 'sneakpack-fuzz-'));
const report = join(work, 'report.json');
console.log(`fuzz: up to ${runs} cases or ${seconds} s, seed ${seed} (replay with --seed ${seed})`);
const r = spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/security/fuzz.test.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, SNEAKPACK_FUZZ_RUNS: runs, SNEAKPACK_FUZZ_SECONDS: seconds, SNEAKPACK_FUZZ_SEED: seed, SNEAKPACK_FUZZ_REPORT: report },
});
let text = null;
try {
  text = JSON.parse(readFileSync(report, 'utf8')).text;
} catch {
  // vitest failed before the harness wrote its report; its own output says why.
}
rmSync(work, { recursive: true, force: true });
if (text !== null) console.log(`\n${text}`);
process.exit(r.status ?? 1);
