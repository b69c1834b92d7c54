import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSneakpackError, type SneakpackError } from '../../src/errors.js';
import { compileVenv, createVenv, type VenvInfo } from '../../src/install/venv.js';
import { installWheel } from '../../src/install/wheel-install.js';
import { PY311, rawWheel } from './fixtures.js';

const root = mkdtempSync(join(tmpdir(), 'sneakpack-venv-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<SneakpackError> {
  try {
    await p;
  } catch (e) {
    if (isSneakpackError(e)) return e;
    throw e;
  }
  throw new Error('expected a SneakpackError');
}

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
