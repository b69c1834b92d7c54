/**
 * Prints the generated 300-package index of test/resolve/gen-index.ts as JSON (`{index, roots,
 * planted}`) for bench/workloads.mjs, which turns it into real wheels. Run through vite-node
 * (TypeScript) once per seed; the result is cached, so timed runs never need a TS runner.
 */
import { Rng } from '../test/helpers/random.js';
import { generateIndex } from '../test/resolve/gen-index.js';

const seed = Number(process.argv[2] ?? '3');
process.stdout.write(JSON.stringify(generateIndex(new Rng(seed))) + '\n');
