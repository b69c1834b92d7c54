/**
 * `sneakpack lock` and `sneakpack build` end to end, through the CLI's `main(argv, io)`: a
 * generated app and wheelhouse, a key, a bundle that `verify` accepts, byte-identical rebuilds in
 * other folders, and `--lock` refusing sources that disagree with the lock.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type CliIO, main } from '../../src/cli.js';
import { buildBundle, lockApp } from '../../src/build/index.js';
import { inspectBundle } from '../../src/bundle/index.js';
import { parseLock } from '../../src/lock/index.js';
import { writeKeyPair } from '../../src/sign/index.js';
import { startIndexServer } from '../helpers/index-server.js';
import { makeWheel, wheelBytes } from '../helpers/wheels.js';

const work = mkdtempSync(join(tmpdir(), 'sneakpack-build-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const TARGET = 'cp311-manylinux_2_36_armv7l';
const APP = join(work, 'app');
const WHEELS = join(work, 'wheelhouse');
const KEY = join(work, 'keys', 'release');

async function cli(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false };
  const before = process.cwd();
  if (cwd !== undefined) process.chdir(cwd);
  try {
    const code = await main(args, io);
    return { code, stdout, stderr };
  } finally {
    process.chdir(before);
  }
}

function writeApp(dir: string, dependencies: string[]): void {
  mkdirSync(join(dir, 'notes'), { recursive: true });
  mkdirSync(join(dir, '.git'), { recursive: true });
  mkdirSync(join(dir, 'notes', '__pycache__'), { recursive: true });
  writeFileSync(
    join(dir, 'pyproject.toml'),
    [
      '[project]',
      'name = "school-notes"',
      'version = "1.4.0"',
      'requires-python = ">=3.10"',
      `dependencies = ${JSON.stringify(dependencies)}`,
      '',
      '[project.optional-dependencies]',
      'fast = ["speedups"]',
      '',
      '[project.scripts]',
      'notes-serve = "notes.app:main"',
      '',
      '[tool.sneakpack]',
      'exclude = ["*.log"]',
      'post-install = [["python", "-m", "notes.migrate"]]',
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'notes', '__init__.py'), '');
  writeFileSync(join(dir, 'notes', 'app.py'), 'def main():\n    print("hi")\n');
  writeFileSync(join(dir, 'notes', '__pycache__', 'app.cpython-311.pyc'), 'junk');
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(join(dir, 'debug.log'), 'noise\n');
}

beforeAll(async () => {
  writeApp(APP, ['flask>=3', 'tomli; python_version < "3.11"', 'armhelper; platform_machine == "armv7l"']);
  makeWheel({ dir: WHEELS, name: 'Flask', version: '3.0.3', requiresDist: ['Werkzeug>=3.0', 'Jinja2>=3.1.2'] });
  makeWheel({ dir: WHEELS, name: 'Flask', version: '2.3.3', requiresDist: ['Werkzeug>=2.3'] });
  makeWheel({ dir: WHEELS, name: 'Werkzeug', version: '3.0.4', requiresDist: ['MarkupSafe>=2.1.1'] });
  makeWheel({ dir: WHEELS, name: 'Jinja2', version: '3.1.4', requiresDist: ['MarkupSafe>=2.0'] });
  makeWheel({ dir: WHEELS, name: 'MarkupSafe', version: '2.1.5', tags: 'cp311-cp311-manylinux_2_17_armv7l' });
  makeWheel({ dir: WHEELS, name: 'MarkupSafe', version: '2.1.5', tags: 'cp311-cp311-manylinux_2_17_x86_64' });
  makeWheel({ dir: WHEELS, name: 'armhelper', version: '0.1' });
  makeWheel({ dir: WHEELS, name: 'tomli', version: '2.0.1' });
  makeWheel({ dir: WHEELS, name: 'speedups', version: '1.0', tags: 'cp311-cp311-manylinux_2_17_armv7l' });
  await writeKeyPair(KEY);
});

describe('sneakpack build', () => {
  let first: { path: string; sha256: string; size: number };

  test('builds a bundle that verify accepts; --json prints one object', async () => {
    const out = join(work, 'out1');
    const r = await cli(['build', APP, '--target', TARGET, '--find-links', WHEELS, '--key', `${KEY}.sec`, '-o', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json).toMatchObject({ ok: true, app: 'school-notes', version: '1.4.0', target: TARGET });
    expect(basename(json.path)).toBe(`school_notes-1.4.0-${TARGET}.tar`);
    expect(json.wheels.map((w: { file: string }) => w.file)).toEqual([
      'armhelper-0.1-py3-none-any.whl',
      'flask-3.0.3-py3-none-any.whl',
      'jinja2-3.1.4-py3-none-any.whl',
      'markupsafe-2.1.5-cp311-cp311-manylinux_2_17_armv7l.whl',
      'werkzeug-3.0.4-py3-none-any.whl',
    ]);
    first = json;

    const v = await cli(['verify', json.path, '--pubkey', `${KEY}.pub`]);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/^OK /);

    const inspected = await inspectBundle(json.path);
    const m = inspected.manifest;
    expect(m.app).toMatchObject({
      name: 'school-notes',
      version: '1.4.0',
      scripts: { 'notes-serve': 'notes.app:main' },
      post_install: [['python', '-m', 'notes.migrate']],
      requires_python: '>=3.10',
    });
    expect(m.target.compact).toBe(TARGET);
    const paths = m.files.map((f) => f.path);
    expect(paths).toContain('app/notes/app.py');
    expect(paths).toContain('app/pyproject.toml');
    expect(paths.filter((p) => /\.git\/|__pycache__|debug\.log/.test(p))).toEqual([]);

    // The lock inside the bundle points at the bundle's own wheels/ folder, so it does not depend on this machine.
    const stem = basename(json.path, '.tar');
    const lockText = execFileSync('tar', ['-xOf', json.path, `${stem}/pylock.toml`]).toString();
    const lock = parseLock(lockText);
    expect(lock.packages.map((p) => p.wheels[0]!.path)).toEqual(json.wheels.map((w: { file: string }) => `wheels/${w.file}`));
    expect(lockText).not.toContain(work);
    expect(lock.sneakpack?.target.compact).toBe(TARGET);
  });

  test('reproducible: another output folder, another cwd, touched app files → the same bytes; human output ends with path and sha256', async () => {
    const out = join(work, 'out2');
    for (const f of ['notes/app.py', 'pyproject.toml']) utimesSync(join(APP, f), new Date(), new Date(2001, 1, 1));
    const r = await cli(['build', APP, '--target', TARGET, '--find-links', WHEELS, '--key', `${KEY}.sec`, '-o', out], tmpdir());
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const path = join(out, basename(first.path));
    expect(lines.at(-2)).toBe(path);
    expect(lines.at(-1)).toBe(`sha256 ${first.sha256}`);
    expect(readFileSync(path).equals(readFileSync(first.path))).toBe(true);
  });

  test('extras, --pre-free defaults and a gzip bundle through the library API', async () => {
    const built = await buildBundle(APP, { target: TARGET, findLinks: [WHEELS], keyFile: `${KEY}.sec`, outDir: join(work, 'out3'), extras: ['fast'], gzip: true });
    expect(built.path.endsWith('.tar.gz')).toBe(true);
    expect(built.wheels.map((w) => w.name)).toContain('speedups');
    const v = await cli(['verify', built.path, '--pubkey', `${KEY}.pub`]);
    expect(v.code).toBe(0);
  });

  test('errors: no wheel sources is a usage error; no wheel for the box names what was seen', async () => {
    const none = await cli(['build', APP, '--target', TARGET, '--key', `${KEY}.sec`, '-o', join(work, 'x'), '--json']);
    expect(none.code).toBe(2);
    expect(JSON.parse(none.stdout).error.code).toBe('USAGE');

    const r = await cli(['build', APP, '--target', 'cp312-manylinux_2_36_aarch64', '--find-links', WHEELS, '--key', `${KEY}.sec`, '-o', join(work, 'x'), '--json']);
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('NO_MATCHING_DISTRIBUTION');
    expect(err.message).toContain('markupsafe 2.1.5: no wheel for cp312-manylinux_2_36_aarch64; seen cp311-cp311-manylinux_2_17_armv7l, cp311-cp311-manylinux_2_17_x86_64');
  });
});

describe('sneakpack lock and build --lock', () => {
  test('lock writes pylock.toml; build --lock gives the same bundle as resolving', async () => {
    const lockFile = join(work, 'pylock.toml');
    const r = await cli(['lock', APP, '--target', TARGET, '--find-links', WHEELS, '-o', lockFile, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, path: lockFile, target: TARGET });
    const lock = parseLock(readFileSync(lockFile, 'utf8'), lockFile);
    expect(lock.packages.map((p) => `${p.name}==${p.version}`)).toEqual(['armhelper==0.1', 'flask==3.0.3', 'jinja2==3.1.4', 'markupsafe==2.1.5', 'werkzeug==3.0.4']);
    // Paths are relative to the lock file's folder.
    expect(lock.packages[0]!.wheels[0]!.path).toBe('wheelhouse/armhelper-0.1-py3-none-any.whl');
    expect(lock.packages.find((p) => p.name === 'flask')!.dependencies.map((d) => d.name)).toEqual(['jinja2', 'werkzeug']);

    const out = join(work, 'out-locked');
    const b = await cli(['build', APP, '--target', TARGET, '--find-links', WHEELS, '--key', `${KEY}.sec`, '-o', out, '--lock', lockFile, '--json']);
    expect(b.code).toBe(0);
    const plain = await buildBundle(APP, { target: TARGET, findLinks: [WHEELS], keyFile: `${KEY}.sec`, outDir: join(work, 'out-plain') });
    expect(JSON.parse(b.stdout).sha256).toBe(plain.sha256);
  });

  test('build --lock fails with LOCK_MISMATCH naming the package when a wheel changed or is missing', async () => {
    const lockFile = join(work, 'pylock2.toml');
    await lockApp(APP, { target: TARGET, findLinks: [WHEELS], output: lockFile });
    // Another wheelhouse where werkzeug has different bytes under the same name, and jinja2 is gone.
    const other = join(work, 'wheelhouse-changed');
    mkdirSync(other, { recursive: true });
    for (const f of ['armhelper-0.1-py3-none-any.whl', 'flask-3.0.3-py3-none-any.whl', 'markupsafe-2.1.5-cp311-cp311-manylinux_2_17_armv7l.whl']) {
      copyFileSync(join(WHEELS, f), join(other, f));
    }
    makeWheel({ dir: other, name: 'Werkzeug', version: '3.0.4', requiresDist: ['MarkupSafe>=2.1.1'], summary: 'rebuilt' });
    const r = await cli(['build', APP, '--target', TARGET, '--find-links', other, '--key', `${KEY}.sec`, '-o', join(work, 'x'), '--lock', lockFile, '--json']);
    expect(r.code).toBe(1);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('LOCK_MISMATCH');
    expect(err.message).toMatch(/werkzeug 3\.0\.4: werkzeug-3\.0\.4-py3-none-any\.whl from .* has sha256 [0-9a-f]{64}, the lock says [0-9a-f]{64}/);
    expect(err.message).toContain('jinja2 3.1.4: jinja2-3.1.4-py3-none-any.whl is not offered by');
  });

  test('build --lock refuses a lock made for another target or other requirements', async () => {
    const lockFile = join(work, 'pylock3.toml');
    await lockApp(APP, { target: TARGET, findLinks: [WHEELS], output: lockFile });
    const other = await cli(['build', APP, '--target', 'cp311-manylinux_2_36_x86_64', '--find-links', WHEELS, '--key', `${KEY}.sec`, '-o', join(work, 'x'), '--lock', lockFile, '--json']);
    expect(JSON.parse(other.stdout).error.code).toBe('LOCK_MISMATCH');
    const stale = await cli(['build', APP, '--extra', 'fast', '--target', TARGET, '--find-links', WHEELS, '--key', `${KEY}.sec`, '-o', join(work, 'x'), '--lock', lockFile, '--json']);
    const err = JSON.parse(stale.stdout).error;
    expect(err.code).toBe('LOCK_MISMATCH');
    expect(err.message).toContain('run "sneakpack lock" again');
  });

  test('lock from an index: url entries (no credentials) and the index recorded', async () => {
    const served = ['Flask-3.0.3', 'Werkzeug-3.0.4', 'Jinja2-3.1.4', 'armhelper-0.1'].map((s) => {
      const [name, version] = s.split('-') as [string, string];
      const deps: Record<string, string[]> = { Flask: ['Werkzeug>=3.0', 'Jinja2>=3.1.2'], Werkzeug: ['MarkupSafe>=2.1.1'], Jinja2: ['MarkupSafe>=2.0'] };
      const b = wheelBytes({ name, version, requiresDist: deps[name] ?? [] });
      return [name, [{ filename: b.filename, bytes: b.bytes, metadata: b.metadata }]] as const;
    });
    const ms = wheelBytes({ name: 'MarkupSafe', version: '2.1.5', tags: 'cp311-cp311-manylinux_2_17_armv7l' });
    const server = await startIndexServer({
      projects: { ...Object.fromEntries(served), MarkupSafe: [{ filename: ms.filename, bytes: ms.bytes }] },
      auth: { user: 'u', password: 'secret' },
    });
    try {
      const url = server.indexUrl.replace('http://', 'http://u:secret@');
      const locked = await lockApp(APP, { target: TARGET, indexUrl: url, cacheDir: join(work, 'cache'), output: join(work, 'pylock-index.toml') });
      expect(locked.text).not.toContain('secret');
      const flask = locked.lock.packages.find((p) => p.name === 'flask')!;
      expect(flask.wheels[0]!.url).toBe(`${server.indexUrl.replace('/simple/', '/files/')}flask-3.0.3-py3-none-any.whl`);
      expect(flask.index).toBe(server.indexUrl);
    } finally {
      await server.close();
    }
  });
});
