/**
 * `node bench/tasks/resolve.mjs FIND_LINKS_DIR REQUIREMENTS PROFILE.json`: resolve the
 * requirements for the profile's target from a find-links folder with sneakpack's wheel resolver
 * (`resolveClosure`: src/resolve/wheel-provider.ts over the resolvelib port) and print
 * `{ ms, packages: {name: version} }` — `ms` is the time inside this process, after start-up.
 */
import { readFileSync } from 'node:fs';
import { parseRequirement } from '../../dist/pep508/index.js';
import { resolveClosure } from '../../dist/resolve/closure.js';
import { FindLinksSource } from '../../dist/sources/index.js';
import { resolveTarget } from '../../dist/target/index.js';

const [dir, reqFile, profileFile] = process.argv.slice(2);
const t0 = performance.now();
const target = resolveTarget(JSON.parse(readFileSync(profileFile, 'utf8')));
const requirements = readFileSync(reqFile, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => parseRequirement(l));
const closure = await resolveClosure({ name: 'bench', requirements }, target, new FindLinksSource(dir));
const ms = performance.now() - t0;
const packages = Object.fromEntries(closure.packages.map((p) => [p.name, p.version]));
process.stdout.write(JSON.stringify({ ms, packages }) + '\n');
