/**
 * Wheels for the installer tests, all generated here:
 *
 * - {@link buildSetuptoolsWheels}: tiny setuptools projects (`.data` scripts/headers/data, console
 *   and GUI entry points, a PEP 420 namespace shared by two wheels, a C extension) built with
 *   `python -m pip wheel` from pyenv's CPython 3.11 (setuptools 65), the `wheel` package taken
 *   from CPython 3.13's own test data, since the box has no network;
 * - {@link rawWheel}: wheels zipped member by member (modes, `.data/purelib` / `.data/platlib`,
 *   odd file names, hostile names and lying sizes), with a correct RECORD unless told otherwise.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ZipEntry, writeZip } from '../helpers/wheels.js';
import { type RecordEntry, serializeRecord } from '../../src/wheel/index.js';
import type { VenvInfo } from '../../src/install/venv.js';

const PYENV = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');

/** CPython 3.11 with setuptools: builds the wheels and runs both venvs. */
export const PY311 = join(PYENV, 'versions', '3.11.7', 'bin', 'python3.11');
/** CPython 3.13 with pip 24.2: the reference installer. */
export const PY313 = join(PYENV, 'versions', '3.13.0', 'bin', 'python3.13');
/** The `wheel` package (bdist_wheel for setuptools 65), shipped in CPython 3.13's test data. */
export const WHEEL_PKG = join(PYENV, 'versions', '3.13.0', 'lib', 'python3.13', 'test', 'wheeldata', 'wheel-0.43.0-py3-none-any.whl');

/** True when the interpreters and tools the differential test needs are on this machine. */
export function haveReferenceTools(): boolean {
  return existsSync(PY311) && existsSync(PY313) && existsSync(WHEEL_PKG);
}

/** An environment for pip without this machine's PIP_* settings (find-links, timeouts). */
export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    PIP_DISABLE_PIP_VERSION_CHECK: '1',
    PIP_NO_INPUT: '1',
    PIP_NO_CACHE_DIR: '1',
    ...extra,
  };
}

function write(root: string, files: Record<string, string | { text: string; mode: number }>): void {
  for (const [rel, content] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    const { text, mode } = typeof content === 'string' ? { text: content, mode: 0o644 } : content;
    writeFileSync(p, text);
    chmodSync(p, mode);
  }
}

/** The setuptools projects, by directory name. */
const PROJECTS: Record<string, Record<string, string | { text: string; mode: number }>> = {
  // Mixed-case name with an underscore: checks pip's header directory name (`Diff-App`).
  'diff-app': {
    'setup.py': `
from setuptools import setup
setup(
    name="Diff_App",
    version="1.0",
    packages=["diffapp"],
    package_data={"diffapp": ["tool.sh", "data/*.txt"]},
    scripts=["scripts/diff-tool", "scripts/plain.sh"],
    headers=["include/diffapp.h"],
    data_files=[("share/diffapp", ["share/config.txt"]), ("etc/diffapp/deep/er", ["share/deep.cfg"])],
    entry_points={
        "console_scripts": [
            "diff-app = diffapp.cli:main",
            "diff-app-runner = diffapp.cli:Runner.run",
            "diff-app-extra = diffapp.cli:main [fancy]",
        ],
        "gui_scripts": ["diff-gui = diffapp.cli:gui"],
    },
    extras_require={"fancy": []},
)
`,
    'diffapp/__init__.py': '__version__ = "1.0"\n',
    'diffapp/cli.py': `
import os, sys
def main():
    print("diff-app", sys.argv[1:], os.path.basename(sys.argv[0]))
    print("prefix-is-venv", sys.prefix != sys.base_prefix)
    return 3 if "--fail" in sys.argv else 0
class Runner:
    @staticmethod
    def run():
        print("runner", sys.argv[1:])
def gui():
    print("gui", sys.argv[1:])
`,
    'diffapp/tool.sh': { text: '#!/bin/sh\necho tool\n', mode: 0o755 },
    'diffapp/data/words.txt': 'alpha\nbeta\n',
    'scripts/diff-tool': {
      text: '#!/usr/bin/env python3\nimport sys\nimport diffapp\nprint("diff-tool", diffapp.__version__, sys.argv[1:])\n',
      mode: 0o755,
    },
    'scripts/plain.sh': { text: '#!/bin/sh\necho plain "$@"\n', mode: 0o755 },
    'include/diffapp.h': '#define DIFFAPP 1\n',
    'share/config.txt': 'key = value\n',
    'share/deep.cfg': '[deep]\n',
  },
  // Two distributions sharing the PEP 420 namespace `nsx` (no __init__.py anywhere in it).
  'ns-a': {
    'setup.py': `
from setuptools import setup
setup(name="ns-a", version="2.0", packages=["nsx.a"])
`,
    'nsx/a/__init__.py': 'VALUE = "a"\n',
  },
  'ns-b': {
    'setup.py': `
from setuptools import setup
setup(name="ns-b", version="2.1", packages=["nsx.b"],
      entry_points={"console_scripts": ["nsb-hello = nsx.b:hello"]})
`,
    'nsx/b/__init__.py': 'def hello():\n    import nsx.a\n    print("hello from b, a says", nsx.a.VALUE)\n',
  },
  // A C extension: Root-Is-Purelib false, so everything goes to platlib.
  cext: {
    'setup.py': `
from setuptools import setup, Extension
setup(name="cext", version="0.3", packages=["cext"],
      ext_modules=[Extension("cext._speed", ["src/speed.c"])],
      entry_points={"console_scripts": ["cext-add = cext:cli"]})
`,
    'cext/__init__.py': 'from cext._speed import add\ndef cli():\n    import sys\n    print("sum", add(int(sys.argv[1]), int(sys.argv[2])))\n',
    'src/speed.c': `#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *add(PyObject *self, PyObject *args) {
    long a, b;
    if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL;
    return PyLong_FromLong(a + b);
}
static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "Add two integers."}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&module); }
`,
  },
};

/**
 * Write the setuptools projects under `root/projects` and build them with ONE `pip wheel` call
 * into `root/wheels`; returns the wheel paths, sorted.
 */
export function buildSetuptoolsWheels(root: string): string[] {
  const out = join(root, 'wheels');
  const dirs: string[] = [];
  for (const [name, files] of Object.entries(PROJECTS)) {
    const dir = join(root, 'projects', name);
    write(dir, files);
    dirs.push(dir);
  }
  execFileSync(PY311, ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-q', '-w', out, ...dirs], {
    env: cleanEnv(root, { PYTHONPATH: WHEEL_PKG, PYTHONDONTWRITEBYTECODE: '1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return readdirSync(out)
    .filter((f) => f.endsWith('.whl'))
    .sort()
    .map((f) => join(out, f));
}

/** One member of a {@link rawWheel}. */
export interface RawMember {
  readonly name: string;
  readonly data?: string | Buffer;
  readonly mode?: number;
  /** Leave this member out of RECORD. */
  readonly unrecorded?: boolean;
  /** Write this RECORD row instead of the correct one. */
  readonly recordAs?: Partial<RecordEntry>;
  /** A directory entry (`name` ends in `/`). */
  readonly directory?: boolean;
  readonly declaredSize?: number;
}

/** Options for {@link rawWheel}. */
export interface RawWheelSpec {
  readonly name: string;
  readonly version: string;
  readonly tags?: string;
  readonly rootIsPurelib?: boolean;
  readonly members: readonly RawMember[];
  readonly entryPoints?: string;
  /** Extra RECORD rows (paths not in the archive). */
  readonly extraRecord?: readonly RecordEntry[];
  /** METADATA Name/Version (default: as the file name says). */
  readonly metadataName?: string;
  readonly metadataVersion?: string;
  /** The whole WHEEL file (default: Wheel-Version 1.0, Root-Is-Purelib, one Tag). */
  readonly wheelText?: string;
}

function b64(data: Buffer): string {
  return createHash('sha256').update(data).digest('base64url');
}

/** Zip a wheel member by member (see {@link RawMember}); returns its path in `dir`. */
export function rawWheel(dir: string, spec: RawWheelSpec): string {
  const esc = spec.name.replace(/[-.]+/g, '_');
  const distInfo = `${esc}-${spec.version}.dist-info`;
  const tags = spec.tags ?? 'py3-none-any';
  const members: RawMember[] = [
    ...spec.members,
    {
      name: `${distInfo}/METADATA`,
      data: `Metadata-Version: 2.1\nName: ${spec.metadataName ?? spec.name}\nVersion: ${spec.metadataVersion ?? spec.version}\n`,
    },
    {
      name: `${distInfo}/WHEEL`,
      data:
        spec.wheelText ?? `Wheel-Version: 1.0\nGenerator: sneakpack-tests\nRoot-Is-Purelib: ${spec.rootIsPurelib ?? true}\nTag: ${tags}\n`,
    },
    ...(spec.entryPoints ? [{ name: `${distInfo}/entry_points.txt`, data: spec.entryPoints }] : []),
  ];
  const entries: ZipEntry[] = [];
  const rows: RecordEntry[] = [];
  for (const m of members) {
    const data = Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data ?? '', 'utf8');
    entries.push({
      name: m.name,
      data,
      mode: m.directory ? 0o40755 : m.mode ?? 0o644,
      ...(m.declaredSize !== undefined ? { declaredSize: m.declaredSize } : {}),
    });
    if (m.directory || m.unrecorded) continue;
    rows.push({ path: m.name, hash: { algorithm: 'sha256', value: b64(data) }, size: data.length, ...(m.recordAs ?? {}) });
  }
  rows.push(...(spec.extraRecord ?? []), { path: `${distInfo}/RECORD`, hash: null, size: null });
  entries.push({ name: `${distInfo}/RECORD`, data: serializeRecord(rows) });
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${esc}-${spec.version}-${tags}.whl`);
  writeFileSync(path, fixDirectoryModes(writeZip(entries), entries));
  return path;
}

/**
 * `writeZip` ORs S_IFREG into every mode; a directory entry needs S_IFDIR instead, so patch the
 * external attributes of those central directory records.
 */
function fixDirectoryModes(zip: Buffer, entries: readonly ZipEntry[]): Buffer {
  let pos = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  for (const e of entries) {
    const nameLen = zip.readUInt16LE(pos + 28);
    const extraLen = zip.readUInt16LE(pos + 30);
    const commentLen = zip.readUInt16LE(pos + 32);
    if (((e.mode ?? 0) & 0o170000) === 0o040000) zip.writeUInt32LE(((e.mode ?? 0) << 16) >>> 0, pos + 38);
    pos += 46 + nameLen + extraLen + commentLen;
  }
  return zip;
}

/**
 * A venv-shaped directory at `dir` (no interpreter: `bin/python` is only a name), with the
 * layout of a CPython 3.11 venv, for tests of the wheel installer's I/O.
 */
export function fakeVenv(dir: string): VenvInfo {
  const site = join(dir, 'lib', 'python3.11', 'site-packages');
  mkdirSync(site, { recursive: true });
  mkdirSync(join(dir, 'bin'), { recursive: true });
  return {
    dir,
    python: join(dir, 'bin', 'python'),
    pythonVersion: '3.11',
    scheme: { purelib: site, platlib: site, headers: join(dir, 'include', 'site', 'python3.11'), scripts: join(dir, 'bin'), data: dir },
  };
}
