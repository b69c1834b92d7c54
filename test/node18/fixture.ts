/**
 * Bundles of a small generated app for box-side runs on other Node versions and other machines
 * (test/node18, scripts/node18-check.sh, scripts/arm-chroot.sh). Built with the current Node,
 * the way a publisher's build machine would; installed elsewhere by `bin/sneakpack`.
 *
 * The app `box-demo` ships its source (`boxdemo/`), one console script and a post-install step
 * that writes into its data folder; it depends on one generated pure-Python wheel `greetlib`
 * (with its own console script `greet`). Every file is generated here, keys come from a fixed seed.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BundleInput, type BundleTargetInput, bundleTarget, writeBundle } from '../../src/bundle/index.js';
import { type KeyPair, encodePublicKey, keyPairFromSeed } from '../../src/sign/index.js';
import { loadTargetProfile } from '../../src/target/load.js';
import { resolveTarget } from '../../src/target/index.js';
import { makeWheel, writeAppFiles } from '../helpers/wheels.js';

/** The app's name as installed (`PREFIX/box-demo`). */
export const APP = 'box-demo';
/** The app's console script. */
export const APP_SCRIPT = 'box-demo';
/** The environment variable the app reads its data folder from. */
export const DATA_ENV = 'BOXDEMO_DATA';

/** The publisher key of every fixture bundle (fixed seed, so bundles are reproducible). */
export function fixtureKeyPair(): KeyPair {
  return keyPairFromSeed(new Uint8Array(createHash('sha256').update('sneakpack box-side fixture key').digest()));
}

/** A well-formed key that signed none of the fixture bundles (for UNTRUSTED_KEY). */
export function otherKeyPair(): KeyPair {
  return keyPairFromSeed(new Uint8Array(createHash('sha256').update('sneakpack box-side other key').digest()));
}

/** Write the fixture public key (or `other`'s) as `dir/NAME.pub` (dir is created) and return its path. */
export function writeFixturePublicKey(dir: string, which: 'publisher' | 'other' = 'publisher'): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, which === 'publisher' ? 'box-demo.pub' : 'other.pub');
  fs.writeFileSync(file, encodePublicKey((which === 'publisher' ? fixtureKeyPair() : otherKeyPair()).publicKey));
  return file;
}

/**
 * The bundle's target section: a preset name or compact target (`debian12-armhf`,
 * `cp311-manylinux_2_36_armv7l`), or a profile `.json` file (e.g. the output of `target probe`),
 * whose JSON is recorded as is, as the builder does with a captured profile.
 */
export async function fixtureTarget(spec: string): Promise<BundleTargetInput> {
  if (spec.endsWith('.json')) {
    const profile = await loadTargetProfile(spec);
    resolveTarget(profile, { name: spec });
    return { name: path.basename(spec, '.json'), compact: null, profile: JSON.parse(JSON.stringify(profile)) };
  }
  return bundleTarget(resolveTarget(spec));
}

/** What to build. */
export interface FixtureBundleSpec {
  /** Folder for the bundle (created); the inputs go to a sibling work folder. */
  readonly outDir: string;
  /** The app's version (`1.0.0`, `1.1.0`, …); it shows in the console script's output. */
  readonly version: string;
  readonly target: BundleTargetInput;
  /** Tags of the greetlib wheel (default `py3-none-any`); a platform tag makes an incompatible bundle. */
  readonly depTags?: string;
  /** requires-python of the app (default `>=3.8`). */
  readonly requiresPython?: string;
}

function appFiles(version: string): Record<string, string> {
  return {
    'pyproject.toml': `[project]\nname = "${APP}"\nversion = "${version}"\n\n[project.scripts]\n${APP_SCRIPT} = "boxdemo.cli:main"\n`,
    'boxdemo/__init__.py': `VERSION = ${JSON.stringify(version)}\n`,
    'boxdemo/cli.py': [
      'import os, pathlib, platform, sys',
      'import greetlib, boxdemo',
      'def main():',
      `    data = pathlib.Path(os.environ["${DATA_ENV}"])`,
      '    print(f"{greetlib.greet(\'box\')} | box-demo {boxdemo.VERSION} | python {platform.python_version()} | machine {platform.machine()}"',
      '          f" | venv {sys.prefix != sys.base_prefix} | migrated {(data / \'migrated\').read_text().strip()}")',
      '    return 0',
      '',
    ].join('\n'),
    // Post-install: appends this version to a file in the shared data folder, so the run shows
    // that data survives upgrades and rollbacks.
    'boxdemo/migrate.py': [
      'import os, pathlib',
      `p = pathlib.Path(os.environ["${DATA_ENV}"], "migrated")`,
      'import boxdemo',
      'old = p.read_text().strip() if p.exists() else ""',
      'p.write_text((old + " " if old else "") + boxdemo.VERSION + "\\n")',
      '',
    ].join('\n'),
  };
}

/** Build one signed bundle of box-demo; returns its path. */
export async function buildFixtureBundle(spec: FixtureBundleSpec): Promise<string> {
  const depTags = spec.depTags ?? 'py3-none-any';
  const work = fs.mkdtempSync(path.join(path.dirname(path.resolve(spec.outDir)), '.box-demo-input-'));
  try {
    const wheel = makeWheel({
      dir: path.join(work, 'wheels'),
      name: 'greetlib',
      version: '1.0',
      tags: depTags,
      files: { 'greetlib/__init__.py': 'def greet(who):\n    return "hello " + who\n\ndef main():\n    print(greet("greet"))\n' },
      distInfoFiles: { 'entry_points.txt': '[console_scripts]\ngreet = greetlib:main\n' },
    });
    const appDir = path.join(work, 'app');
    const files = writeAppFiles(appDir, appFiles(spec.version));
    const input: BundleInput = {
      app: {
        name: APP,
        version: spec.version,
        scripts: { [APP_SCRIPT]: 'boxdemo.cli:main' },
        post_install: [['python', '-m', 'boxdemo.migrate']],
        data_dir_env: DATA_ENV,
        requires_python: spec.requiresPython ?? '>=3.8',
        keep_releases: null,
      },
      target: spec.target,
      wheels: [{ path: wheel, filename: path.basename(wheel), name: 'greetlib', version: '1.0', tags: [depTags] }],
      appFiles: files,
      lockText: 'lock-version = "1.0"\ncreated-by = "sneakpack box-side fixture"\n',
    };
    fs.mkdirSync(spec.outDir, { recursive: true });
    const written = await writeBundle(input, { secretKey: fixtureKeyPair().secretKey, outDir: spec.outDir });
    return written.path;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
