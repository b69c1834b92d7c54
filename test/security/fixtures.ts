/**
 * Shared fixtures of the security tests (issue 6): a sandbox folder holding an install prefix, a
 * canary folder beside it that nothing may ever touch, and seeded keys; real bundles written by
 * src/bundle from generated wheels and signed with the trusted test key (so hostile *content* is
 * validly signed, as a compromised build machine would sign it); and one assertion,
 * {@link expectRefused}, that an operation fails with a given code and leaves the prefix, the
 * app's data folder and everything outside the prefix byte-for-byte as they were.
 *
 * Everything runs the real top-level path: `installBundle` with the default operations (real
 * extractor, real venv, sneakpack's wheel installer) against pyenv's CPython 3.11. The only
 * replaced operation is the probe, memoised: probing the same interpreter once per file instead of
 * once per install keeps the files fast and changes nothing the tests look at.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';
import { isSneakpackError, type SneakpackError } from '../../src/errors.js';
import { type BundleAppInput, type BundleInput, writeBundle } from '../../src/bundle/index.js';
import { type InstallOptions, appPaths } from '../../src/install/index.js';
import type { KeyPair, TrustedKeys } from '../../src/sign/index.js';
import { probeInterpreter } from '../../src/target/probe.js';
import { parseWheelFilename } from '../../src/wheel/index.js';
import { writeKeys } from '../bundle/fixtures.js';
import { treeListing } from '../install/release-fakes.js';
import { makeWheel, writeAppFiles, type WheelSpec } from '../helpers/wheels.js';

export { treeListing };

/** The box's interpreter: pyenv's CPython 3.11 (also what test/install uses). */
export const PYTHON = path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'versions', '3.11.7', 'bin', 'python3.11');
export const HAVE_PYTHON = fs.existsSync(PYTHON);

/** The app every test installs. */
export const APP = 'school-app';

let probed: ReturnType<typeof probeInterpreter> | null = null;
/** The real probe of {@link PYTHON}, run once per test file. */
export function boxProfile(): ReturnType<typeof probeInterpreter> {
  probed ??= probeInterpreter(PYTHON);
  return probed;
}

/** A folder holding the prefix, a canary beside it, the keys and a work folder for bundles. */
export interface Sandbox {
  readonly root: string;
  readonly prefix: string;
  /** Files nothing may ever touch (attacks aim here). */
  readonly canary: string;
  readonly work: string;
  /** The trusted keys folder (alice.pub), as `--keys` takes it. */
  readonly keysDir: string;
  readonly alice: KeyPair;
  /** A key the box does not trust. */
  readonly bob: KeyPair;
  readonly trusted: TrustedKeys;
}

export async function makeSandbox(label: string): Promise<Sandbox> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `spk-sec-${label}-`));
  const keysDir = path.join(root, 'keys');
  const alice = await writeKeys(keysDir, 'alice');
  const bobDir = path.join(root, 'work', 'bob');
  const bob = await writeKeys(bobDir, 'bob');
  // The trusted folder holds public keys only, as on a box.
  fs.rmSync(alice.sec);
  const canary = path.join(root, 'canary');
  fs.mkdirSync(path.join(canary, 'sub'), { recursive: true });
  fs.writeFileSync(path.join(canary, 'keep.txt'), 'canary\n');
  fs.writeFileSync(path.join(canary, 'sub', 'deep.bin'), Buffer.from([0, 1, 2, 3]));
  fs.symlinkSync('keep.txt', path.join(canary, 'link'));
  return { root, prefix: path.join(root, 'prefix'), canary, work: path.join(root, 'work'), keysDir, alice: alice.pair, bob: bob.pair, trusted: alice.trusted };
}

export function removeSandbox(sb: Sandbox | undefined): void {
  if (sb !== undefined) fs.rmSync(sb.root, { recursive: true, force: true });
}

/** The options of a real install into the sandbox's prefix. */
export function installOptions(sb: Sandbox, extra: Partial<InstallOptions> = {}): InstallOptions {
  return { trusted: sb.trusted, prefix: sb.prefix, python: PYTHON, ops: { probe: () => boxProfile() }, ...extra };
}

/** The app's data folder under the sandbox's prefix. */
export function dataDir(sb: Sandbox): string {
  return appPaths(sb.prefix, APP).data;
}

/** Put precious things in the data folder: nested files, odd modes, a symlink, an empty folder. */
export function seedData(sb: Sandbox): void {
  const data = dataDir(sb);
  fs.mkdirSync(path.join(data, 'uploads', 'empty'), { recursive: true });
  fs.writeFileSync(path.join(data, 'grades.db'), createHash('sha256').update('grades').digest());
  fs.writeFileSync(path.join(data, 'uploads', 'photo.png'), Buffer.alloc(3000, 0x89));
  fs.chmodSync(path.join(data, 'uploads', 'photo.png'), 0o600);
  fs.symlinkSync('uploads/photo.png', path.join(data, 'latest'));
}

/** Everything the tests compare: the prefix (with data), the data folder, and what is outside the prefix. */
export interface Snapshot {
  readonly prefix: string[];
  readonly data: string[];
  readonly canary: string[];
  /** Names directly in the sandbox (a write aimed "next to the prefix" shows here). */
  readonly siblings: string[];
}

export function snapshot(sb: Sandbox): Snapshot {
  return {
    prefix: treeListing(sb.prefix),
    data: treeListing(dataDir(sb)),
    canary: treeListing(sb.canary),
    siblings: fs.readdirSync(sb.root).sort(),
  };
}

/**
 * Run `op`; it must reject with a SneakpackError of `code`, and leave the prefix (hence
 * `current`, the releases, no staging left), the data folder and everything outside the prefix
 * byte-for-byte as they were. Returns the error for further checks.
 */
export async function expectRefused(sb: Sandbox, op: () => Promise<unknown>, code: string): Promise<SneakpackError> {
  const before = snapshot(sb);
  let error: unknown;
  let resolved = false;
  try {
    await op();
    resolved = true;
  } catch (e) {
    error = e;
  }
  if (resolved) throw new Error(`expected ${code}, but it succeeded`);
  if (!isSneakpackError(error)) throw error;
  expect(error.code, error.message).toBe(code);
  const after = snapshot(sb);
  expect(after.data, 'the data folder changed').toEqual(before.data);
  expect(after.prefix, 'the prefix changed').toEqual(before.prefix);
  expect(after.canary, 'the canary changed').toEqual(before.canary);
  expect(after.siblings, 'something appeared next to the prefix').toEqual(before.siblings);
  return error;
}

/** The good dependency wheel of the app, optionally overridden. */
export function goodWheel(dir: string, over: Partial<WheelSpec> = {}): string {
  return makeWheel({
    dir,
    name: 'greetlib',
    version: '1.0',
    files: { 'greetlib/__init__.py': 'def greet(who):\n    return "hello " + who\n\ndef main():\n    print(greet("cli"))\n' },
    distInfoFiles: { 'entry_points.txt': '[console_scripts]\ngreet = greetlib:main\n' },
    ...over,
  });
}

/** A wheel file to put in a bundle; what the manifest says about it defaults to its file name. */
export interface WheelRef {
  readonly path: string;
  /** The name it gets in the bundle (default: its own). */
  readonly filename?: string;
  readonly name?: string;
  readonly version?: string;
  readonly tags?: readonly string[];
}

/** What {@link buildBundle} builds. */
export interface BundleSpec {
  readonly version: string;
  /** Overrides of the app section (a hostile name, scripts, post-install…). */
  readonly app?: Partial<BundleAppInput>;
  /** Default: the good greetlib wheel. */
  readonly wheels?: readonly WheelRef[];
  /** App files (relative path → text); default a tiny package. */
  readonly appFiles?: Readonly<Record<string, string>>;
  /** The machine the target profile claims (default: the box's). */
  readonly machine?: string;
  /** Signing key (default: alice, the trusted one). */
  readonly key?: KeyPair;
  readonly gzip?: boolean;
}

let built = 0;

/** Write a bundle with the real writer, signed (by default) by the trusted key; returns its path. */
export async function buildBundle(sb: Sandbox, spec: BundleSpec): Promise<string> {
  const work = path.join(sb.work, `build-${++built}`);
  fs.mkdirSync(work, { recursive: true });
  const profile = await boxProfile();
  const wheels = (spec.wheels ?? [{ path: goodWheel(path.join(work, 'wheels')) }]).map((w) => {
    const filename = w.filename ?? path.basename(w.path);
    const parsed = parseWheelFilename(filename);
    return {
      path: w.path,
      filename,
      name: w.name ?? parsed.name,
      version: w.version ?? parsed.version.toString(),
      tags: [...(w.tags ?? [filename.split('-').slice(-3).join('-').replace(/\.whl$/, '')])],
    };
  });
  const texts = spec.appFiles ?? {
    'schoolapp/__init__.py': `VERSION = ${JSON.stringify(spec.version)}\n`,
    'schoolapp/cli.py': 'def main():\n    return 0\n',
  };
  const appDir = path.join(work, 'app');
  const appFiles = writeAppFiles(appDir, texts);
  const input: BundleInput = {
    app: {
      name: APP,
      version: spec.version,
      scripts: { 'school-app': 'schoolapp.cli:main' },
      post_install: [],
      data_dir_env: 'SCHOOL_DATA',
      requires_python: '>=3.8',
      keep_releases: null,
      ...spec.app,
    },
    target: {
      name: spec.machine ? `box-${spec.machine}` : 'this-box',
      compact: null,
      profile: JSON.parse(JSON.stringify({ ...profile, uname_machine: spec.machine ?? profile.uname_machine })),
    },
    wheels,
    appFiles,
    lockText: 'lock-version = "1.0"\n',
  };
  const out = path.join(work, 'out');
  fs.mkdirSync(out);
  const written = await writeBundle(input, { secretKey: (spec.key ?? sb.alice).secretKey, outDir: out, ...(spec.gzip ? { gzip: true } : {}) });
  return written.path;
}

/** Write `bytes` as a bundle file in the sandbox's work folder. */
export function writeMutant(sb: Sandbox, name: string, bytes: Buffer): string {
  const file = path.join(sb.work, `${++built}-${name}`);
  fs.writeFileSync(file, bytes);
  return file;
}
