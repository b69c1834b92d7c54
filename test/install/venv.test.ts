import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileVenv, createVenv, describeVenv, relocateVenv, type VenvInfo } from '../../src/install/venv.js';
import { installWheel } from '../../src/install/wheel-install.js';
import { PY311, rawWheel } from './fixtures.js';
import { failure } from '../helpers/errors.js';

const root = mkdtempSync(join(tmpdir(), 'sneakpack-venv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!existsSync(PY311))('createVenv', () => {
  let venv: VenvInfo;
  beforeAll(async () => {
    venv = await createVenv(PY311, join(root, 'v'));
  });

  it('creates a venv without pip or system site-packages and reads its scheme', () => {
    const dir = join(root, 'v');
    expect(venv).toEqual({
      dir,
      python: join(dir, 'bin', 'python'),
      pythonVersion: '3.11',
      scheme: {
        purelib: join(dir, 'lib', 'python3.11', 'site-packages'),
        platlib: join(dir, 'lib', 'python3.11', 'site-packages'),
        headers: join(dir, 'include', 'site', 'python3.11'),
        scripts: join(dir, 'bin'),
        data: dir,
      },
    });
    expect(readdirSync(venv.scheme.purelib).filter((n) => n.startsWith('pip'))).toEqual([]);
    expect(readFileSync(join(dir, 'pyvenv.cfg'), 'utf8')).toMatch(/include-system-site-packages = false/);
    const prefix = execFileSync(venv.python, ['-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' }).trim();
    expect(prefix).toBe(dir);
  });

  it('refuses a directory that is not empty', async () => {
    expect((await failure(createVenv(PY311, join(root, 'v')))).code).toBe('FILE_EXISTS');
  });

  it('byte-compiles site-packages, reporting files that do not compile', async () => {
    const w = rawWheel(join(root, 'wheels'), {
      name: 'comp',
      version: '1.0',
      members: [
        { name: 'comp/__init__.py', data: 'X = 1\n' },
        { name: 'comp/py2.py', data: 'print "python 2"\n' },
      ],
    });
    await installWheel(w, venv);
    const r = await compileVenv(venv);
    const cache = join(venv.scheme.purelib, 'comp', '__pycache__');
    expect(readdirSync(cache).some((n) => n.startsWith('__init__.cpython-311') && n.endsWith('.pyc'))).toBe(true);
    expect(r.warnings.join('\n')).toContain('py2.py');
  });
});

describe('createVenv failures', () => {
  it('names a missing interpreter', async () => {
    const e = await failure(createVenv(join(root, 'no-such-python'), join(root, 'x')));
    expect(e.code).toBe('VENV_FAILED');
    expect(e.message).toContain('no-such-python');
  });

  it("shows the interpreter's stderr (a Debian python3 without python3-venv)", async () => {
    const fake = join(root, 'fakebin', 'python3');
    mkdirSync(join(root, 'fakebin'), { recursive: true });
    writeFileSync(fake, '#!/bin/sh\necho "The virtual environment was not created successfully because ensurepip is not available." >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const e = await failure(createVenv(fake, join(root, 'y')));
    expect(e.code).toBe('VENV_FAILED');
    expect(e.message).toContain(fake);
    expect(e.message).toContain('ensurepip is not available');
  });
});

/**
 * createVenv creates the venv and works out its scheme in one interpreter start; the scheme must
 * be what the venv's own interpreter reports (describeVenv, the way pip finds it), and the venv
 * the same files `python -m venv --without-pip` makes, on every CPython here.
 */
const PYENV = join(process.env.PYENV_ROOT ?? join(process.env.HOME ?? '/root', '.pyenv'), 'versions');
const PYTHONS = existsSync(PYENV)
  ? readdirSync(PYENV)
      .filter((v) => /^3\.\d+\.\d+$/.test(v) && Number(v.split('.')[1]) >= 7)
      .map((v) => join(PYENV, v, 'bin', `python${v.split('.').slice(0, 2).join('.')}`))
      .filter((p) => existsSync(p))
  : [];

describe.skipIf(PYTHONS.length === 0)('createVenv in one start agrees with the venv itself', () => {
  it.each(PYTHONS)('%s', async (python) => {
    const dir = join(root, `one-${PYTHONS.indexOf(python)}`);
    const made = await createVenv(python, dir);
    const asked = await describeVenv(dir);
    expect(made).toEqual(asked);
    // The same tree as the command line makes (pyvenv.cfg's `command` line names the folder).
    const cli = join(root, `cli-${PYTHONS.indexOf(python)}`);
    execFileSync(python, ['-I', '-m', 'venv', '--without-pip', cli]);
    const listing = (d: string): string[] => {
      const out: string[] = [];
      const walk = (rel: string): void => {
        for (const n of readdirSync(join(d, rel)).sort()) {
          const r = rel ? `${rel}/${n}` : n;
          out.push(r);
          if (!lstatSync(join(d, r)).isSymbolicLink() && lstatSync(join(d, r)).isDirectory()) walk(r);
        }
      };
      walk('');
      return out;
    };
    expect(listing(dir)).toEqual(listing(cli));
    expect(readFileSync(join(dir, 'pyvenv.cfg'), 'utf8').split(dir).join('DIR')).toBe(readFileSync(join(cli, 'pyvenv.cfg'), 'utf8').split(cli).join('DIR'));
  });
});

/**
 * relocateVenv: a venv made in staging and moved must be byte-for-byte what createVenv makes at
 * the destination (with the destination's path), and its interpreter must know where it is.
 */
describe.skipIf(PYTHONS.length === 0)('relocateVenv gives what creating it in place gives', () => {
  /** Every path with its kind and, for files, its text with `dir` written as DIR. */
  const snapshot = (dir: string): Record<string, string> => {
    const out: Record<string, string> = {};
    const walk = (rel: string): void => {
      for (const n of readdirSync(join(dir, rel)).sort()) {
        const r = rel ? `${rel}/${n}` : n;
        const st = lstatSync(join(dir, r));
        if (st.isSymbolicLink()) out[r] = `link`;
        else if (st.isDirectory()) {
          out[r] = `dir ${(st.mode & 0o777).toString(8)}`;
          walk(r);
        } else out[r] = `file ${(st.mode & 0o777).toString(8)} ${readFileSync(join(dir, r), 'latin1').split(dir).join('DIR')}`;
      }
    };
    walk('');
    return out;
  };

  it.each(PYTHONS)('%s', async (python) => {
    const k = PYTHONS.indexOf(python);
    const staged = await createVenv(python, join(root, `staging-${k}`, 'venv'));
    const dest = join(root, `release-${k}`, 'venv');
    mkdirSync(join(root, `release-${k}`));
    const moved = await relocateVenv(staged, dest, python);
    const direct = await createVenv(python, join(root, `direct-${k}`, 'venv'));
    expect(existsSync(staged.dir)).toBe(false);
    expect(moved).toEqual(await describeVenv(dest));
    expect(snapshot(dest)).toEqual(snapshot(direct.dir));
    expect(execFileSync(moved.python, ['-I', '-c', 'import sys; print(sys.prefix)'], { encoding: 'utf8' }).trim()).toBe(dest);
  });

  it('creates the venv afresh where plain substitution might not be exact, and refuses an existing destination', async () => {
    const python = PYTHONS[PYTHONS.length - 1]!;
    const staged = await createVenv(python, join(root, 'staging-q', 'venv'));
    const dest = join(root, 'release q (2)', 'venv');
    mkdirSync(join(root, 'release q (2)'));
    const made = await relocateVenv(staged, dest, python);
    expect(existsSync(staged.dir)).toBe(false);
    expect(made).toEqual(await describeVenv(dest));
    const again = await createVenv(python, join(root, 'staging-r', 'venv'));
    expect((await failure(relocateVenv(again, dest, python))).code).toBe('FILE_EXISTS');
  });
});
