/**
 * `node bench/tasks/build-bundle.mjs WORKLOAD_DIR PROFILE.json KEY.sec OUT_DIR`: build a signed
 * bundle from a ready wheelhouse with `writeBundle` (src/bundle) — what `sneakpack build` does
 * after resolving, which is not a CLI command yet. Prints the bundle path and size as JSON.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleTarget, writeBundle } from '../../dist/bundle/index.js';
import { readSecretKey } from '../../dist/sign/index.js';
import { resolveTarget } from '../../dist/target/index.js';
import { parseWheelFilename } from '../../dist/wheel/index.js';

const [workload, profileFile, secFile, outDir] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(profileFile, 'utf8'));
const target = bundleTarget(resolveTarget(profile));
const wheelsDir = join(workload, 'wheels');
const wheels = readdirSync(wheelsDir)
  .filter((f) => f.endsWith('.whl'))
  .sort()
  .map((filename) => {
    const w = parseWheelFilename(filename);
    return { path: join(wheelsDir, filename), filename, name: w.name, version: w.version.toString(), tags: w.tags.map(String), requires_python: null };
  });
const appDir = join(workload, 'app');
const appFiles = [];
const walk = (dir, rel) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) walk(join(dir, e.name), r);
    else appFiles.push({ path: r, absPath: join(dir, e.name), mode: statSync(join(dir, e.name)).mode });
  }
};
walk(appDir, '');
const version = JSON.parse(readFileSync(join(workload, 'done.json'), 'utf8')).name === 'b2' ? '1.0.1' : '1.0.0';
const lockText = ['lock-version = "1.0"', 'created-by = "sneakpack-bench"', ...wheels.map((w) => `# ${w.filename}`)].join('\n') + '\n';
const written = await writeBundle(
  {
    app: { name: 'benchapp', version, scripts: { benchapp: 'benchapp.cli:main' } },
    target: { ...target, profile: { ...target.profile, uname_machine: profile.uname_machine } },
    wheels,
    appFiles,
    lockText,
  },
  { secretKey: await readSecretKey(secFile), secretKeyFile: secFile, outDir },
);
process.stdout.write(JSON.stringify({ path: written.path, size: written.size }) + '\n');
