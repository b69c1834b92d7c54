/**
 * The release manager end to end with the real parts: bundles written by src/bundle and signed
 * with a fixed-seed key, generated wheels, a real venv made by a real CPython, sneakpack's own
 * wheel installer. Install, run the app's console script, upgrade (data untouched), refuse a
 * downgrade, an incompatible bundle, a tampered bundle and a failing post-install (each leaving
 * the prefix byte-for-byte unchanged), roll back, remove — once through the CLI as a user would.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BundleInput, writeBundle } from '../../src/bundle/index.js';
import { encodePublicKey, keyPairFromSeed, loadTrustedKeys, type TrustedKeys } from '../../src/sign/index.js';
import { probeInterpreter } from '../../src/target/probe.js';
import { installBundle, listApps, removeApp, rollback } from '../../src/install/index.js';
import { runCli } from '../helpers/cli.js';
import { makeWheel, writeAppFiles } from '../helpers/wheels.js';
import { treeListing } from './release-fakes.js';
import { expectCode } from '../helpers/errors.js';

const PYTHON = path.join(process.env.PYENV_ROOT ?? path.join(os.homedir(), '.pyenv'), 'versions', '3.11.7', 'bin', 'python3.11');
const HAVE_PYTHON = fs.existsSync(PYTHON);

let tmp: string;
let prefix: string;
let trusted: TrustedKeys;
let pubFile: string;
const secret = keyPairFromSeed(new Uint8Array(32).fill(7));
let profile: Awaited<ReturnType<typeof probeInterpreter>>;

const APP_FILES = (version: string): Record<string, string> => ({
  'pyproject.toml': `[project]\nname = "school-app"\nversion = "${version}"\n`,
  'schoolapp/__init__.py': `VERSION = ${JSON.stringify(version)}\n`,
  'schoolapp/cli.py': [
    'import os, pathlib, sys',
    'import greetlib, schoolapp',
    'def main():',
    '    data = pathlib.Path(os.environ["SCHOOL_DATA"])',
    '    print(greetlib.greet("box"), schoolapp.VERSION, data, (data / "migrated").read_text(), sys.prefix)',
    '    return 0',
    '',
  ].join('\n'),
  'schoolapp/migrate.py': [
    'import os, pathlib',
    'p = pathlib.Path(os.environ["SCHOOL_DATA"], "migrated")',
    'if not p.exists():',
    '    p.write_text("schema 1")',
    '',
  ].join('\n'),
});

interface BundleSpec {
  version: string;
  postInstall?: string[][];
  /** Tags of the dependency wheel (default py3-none-any). */
  depTags?: string;
  /** Claim another machine in the target profile. */
  machine?: string;
}

async function bundle(spec: BundleSpec): Promise<string> {
  const work = fs.mkdtempSync(path.join(tmp, 'build-'));
  const wheelsDir = path.join(work, 'wheels');
  const depTags = spec.depTags ?? 'py3-none-any';
  const wheel = makeWheel({
    dir: wheelsDir,
    name: 'greetlib',
    version: '1.0',
    tags: depTags,
    files: { 'greetlib/__init__.py': 'def greet(who):\n    return "hello " + who\n\ndef main():\n    print(greet("cli"))\n' },
    distInfoFiles: { 'entry_points.txt': '[console_scripts]\ngreet = greetlib:main\n' },
  });
  const appDir = path.join(work, 'app');
  const appFiles = writeAppFiles(appDir, APP_FILES(spec.version));
  const input: BundleInput = {
    app: {
      name: 'school-app',
      version: spec.version,
      scripts: { 'school-app': 'schoolapp.cli:main' },
      post_install: spec.postInstall ?? [['python', '-m', 'schoolapp.migrate']],
      data_dir_env: 'SCHOOL_DATA',
      requires_python: '>=3.8',
      keep_releases: null,
    },
    target: {
      name: spec.machine ? `box-${spec.machine}` : 'this-box',
      compact: null,
      profile: JSON.parse(JSON.stringify({ ...profile, uname_machine: spec.machine ?? profile.uname_machine })),
    },
    wheels: [{ path: wheel, filename: path.basename(wheel), name: 'greetlib', version: '1.0', tags: [depTags] }],
    appFiles,
    lockText: 'lock-version = "1.0"\n',
  };
  const out = path.join(work, 'out');
  fs.mkdirSync(out);
  const written = await writeBundle(input, { secretKey: secret.secretKey, outDir: out });
  return written.path;
}

function run(file: string, args: string[] = []): string {
  return execFileSync(file, args, { encoding: 'utf8', env: { PATH: '/usr/bin:/bin', HOME: tmp } }).trim();
}

describe.skipIf(!HAVE_PYTHON)('install, upgrade, rollback and remove with real bundles and a real venv', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spk-e2e-'));
    prefix = path.join(tmp, 'prefix');
    pubFile = path.join(tmp, 'publisher.pub');
    fs.writeFileSync(pubFile, encodePublicKey(secret.publicKey));
    trusted = await loadTrustedKeys({ pubkeys: [pubFile] });
    profile = await probeInterpreter(PYTHON);
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the whole life cycle', async () => {
    const opts = { trusted, prefix, python: PYTHON };
    const v1 = await bundle({ version: '1.0.0' });
    const r1 = await installBundle(v1, opts);
    expect(r1.status).toBe('installed');
    // The release is named after the bundle's sha256, taken in the reader's one pass.
    const sha = createHash('sha256').update(fs.readFileSync(v1)).digest('hex');
    expect(r1.bundleSha256).toBe(sha);
    expect(r1.release).toBe(`1.0.0-${sha.slice(0, 12)}`);
    const current = path.join(prefix, 'school-app', 'current');
    const data = path.join(prefix, 'school-app', 'data');
    // The app's console script runs with the venv's Python, imports its dependency and finds its data.
    const out1 = run(path.join(current, 'venv', 'bin', 'school-app'));
    expect(out1).toBe(`hello box 1.0.0 ${data} schema 1 ${path.join(prefix, 'school-app', 'releases', r1.release, 'venv')}`);
    // The dependency's own launcher and plain imports with the venv's Python work too.
    expect(run(path.join(current, 'venv', 'bin', 'greet'))).toBe('hello cli');
    expect(run(path.join(current, 'venv', 'bin', 'python'), ['-c', 'import schoolapp, greetlib; print(schoolapp.VERSION)'])).toBe('1.0.0');

    // Upgrade: the data folder is not touched (the migration sees it is done).
    fs.writeFileSync(path.join(data, 'grades.csv'), 'alice,A\n');
    const dataBefore = treeListing(data);
    const v2 = await bundle({ version: '2.0.0' });
    const r2 = await installBundle(v2, { ...opts, compile: true });
    expect(r2.status).toBe('upgraded');
    expect(r2.previous).toBe(r1.release);
    // The unchanged greetlib wheel is shared with the previous release by hard links, except its
    // launcher, which names the new venv's interpreter.
    expect(r1.sharedFiles).toBe(0);
    expect(r2.sharedFiles).toBe(4); // greetlib/__init__.py and the METADATA, WHEEL and entry_points.txt of its .dist-info
    const site = (release: string) => path.join(prefix, 'school-app', 'releases', release, 'venv', 'lib', 'python3.11', 'site-packages');
    expect(fs.statSync(path.join(site(r2.release), 'greetlib', '__init__.py')).ino).toBe(fs.statSync(path.join(site(r1.release), 'greetlib', '__init__.py')).ino);
    const launcher = fs.readFileSync(path.join(prefix, 'school-app', 'releases', r2.release, 'venv', 'bin', 'greet'), 'utf8');
    expect(launcher.split('\n')[0]).toBe(`#!${path.join(prefix, 'school-app', 'releases', r2.release, 'venv', 'bin', 'python')}`);
    expect(run(path.join(current, 'venv', 'bin', 'greet'))).toBe('hello cli');
    expect(run(path.join(current, 'venv', 'bin', 'school-app'))).toContain('hello box 2.0.0');
    expect(treeListing(data)).toEqual(dataBefore);
    const pycache = path.join(prefix, 'school-app', 'releases', r2.release, 'app', 'schoolapp', '__pycache__');
    expect(fs.readdirSync(pycache).some((f) => f.startsWith('cli.'))).toBe(true);

    // Refusals leave the prefix byte-for-byte as it was.
    const before = treeListing(prefix);
    await expectCode(installBundle(v1, opts), 'DOWNGRADE_REFUSED');
    expect(treeListing(prefix)).toEqual(before);

    const arm = await bundle({ version: '3.0.0', depTags: 'cp311-cp311-manylinux_2_17_armv7l', machine: 'armv7l' });
    const incompatible = await expectCode(installBundle(arm, opts), 'BOX_INCOMPATIBLE');
    expect(incompatible.message).toContain('greetlib-1.0-cp311-cp311-manylinux_2_17_armv7l.whl');
    expect(incompatible.message).toContain(`bundle built for armv7l, this box is ${profile.uname_machine}`);
    expect(treeListing(prefix)).toEqual(before);

    const failing = await bundle({ version: '3.0.0', postInstall: [['python', '-m', 'schoolapp.migrate'], ['sh', '-c', 'echo "cannot migrate" >&2; exit 7']] });
    const postErr = await expectCode(installBundle(failing, opts), 'POST_INSTALL_FAILED');
    expect(postErr.message).toContain('status 7');
    expect(postErr.message).toContain('cannot migrate');
    expect(treeListing(prefix)).toEqual(before);

    const tampered = path.join(tmp, 'tampered.tar');
    const bytes = fs.readFileSync(v2);
    const at = bytes.indexOf(Buffer.from('schema 1'));
    expect(at).toBeGreaterThan(0);
    bytes[at] ^= 0x20;
    fs.writeFileSync(tampered, bytes);
    await expectCode(installBundle(tampered, { ...opts, allowDowngrade: true }), 'HASH_MISMATCH');
    expect(treeListing(prefix)).toEqual(before);

    // Rollback: back to 1.0.0, data still untouched.
    const back = await rollback('school-app', { prefix });
    expect(back).toMatchObject({ from: r2.release, to: r1.release });
    expect(run(path.join(current, 'venv', 'bin', 'school-app'))).toContain('hello box 1.0.0');
    expect(treeListing(data)).toEqual(dataBefore);

    const listed = await listApps(prefix);
    expect(listed.map((a) => [a.app, a.version])).toEqual([['school-app', '1.0.0']]);

    await removeApp('school-app', { prefix });
    expect(fs.readdirSync(prefix)).toEqual([]);
  });

  it('works from the command line', async () => {
    const cliPrefix = path.join(tmp, 'cli-prefix');
    const v1 = await bundle({ version: '1.0.0' });
    const r = runCli(['install', v1, '--pubkey', pubFile, '--prefix', cliPrefix, '--python', PYTHON, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ ok: true, status: 'installed', app: 'school-app', version: '1.0.0' });
    const again = runCli(['install', v1, '--keys', tmp, '--prefix', cliPrefix, '--python', PYTHON]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('already the current release');
    const untrusted = path.join(tmp, 'nobody');
    fs.mkdirSync(untrusted);
    fs.writeFileSync(path.join(untrusted, 'other.pub'), encodePublicKey(keyPairFromSeed(new Uint8Array(32).fill(9)).publicKey));
    const refused = runCli(['install', v1, '--keys', untrusted, '--prefix', path.join(tmp, 'p2'), '--python', PYTHON, '--json']);
    expect(refused.status).toBe(1);
    expect(JSON.parse(refused.stdout).error.code).toBe('UNTRUSTED_KEY');
    expect(fs.existsSync(path.join(tmp, 'p2'))).toBe(false);
    const list = runCli(['list', '--prefix', cliPrefix]);
    expect(list.stdout).toContain('school-app 1.0.0');
    const removed = runCli(['remove', 'school-app', '--prefix', cliPrefix, '--keep-data']);
    expect(removed.status, removed.stderr).toBe(0);
    expect(fs.readdirSync(path.join(cliPrefix, 'school-app'))).toEqual(['data']);
  });
});
