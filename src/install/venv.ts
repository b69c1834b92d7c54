/**
 * Virtual environments on the box (`python -m venv`, PEP 405): create one without pip and without
 * system site-packages, learn its installation scheme from its own interpreter, byte-compile it.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { SneakpackError } from '../errors.js';
import type { VenvScheme } from './layout.js';

/** A venv sneakpack created, as its interpreter describes itself. */
export interface VenvInfo {
  /** Absolute path of the venv. */
  readonly dir: string;
  /** The venv's interpreter, `{dir}/bin/python` (what launchers and rewritten shebangs run). */
  readonly python: string;
  /** `X.Y` of the venv's Python. */
  readonly pythonVersion: string;
  /** Where each `.data/` scheme key goes; see {@link VenvScheme}. */
  readonly scheme: VenvScheme;
}

/** Options of {@link createVenv}. */
export interface CreateVenvOptions {
  /** Kill the interpreter after this many milliseconds (default 120 000). */
  readonly timeoutMs?: number;
}

/**
 * The answer both scripts below print: the scheme `name`'s `paths` for the venv at `prefix`, and
 * pip's special header path for venvs, `{sys.prefix}/include/site/pythonX.Y`.
 */
const DESCRIBE = `
xy = "%d.%d" % sys.version_info[:2]
json.dump({
    "scheme": name,
    "purelib": paths["purelib"],
    "platlib": paths["platlib"],
    "scripts": paths["scripts"],
    "data": paths["data"],
    "headers": os.path.join(prefix, "include", "site", "python" + xy),
    "version": xy,
    "prefix": prefix,
    "base_prefix": sys.base_prefix,
}, sys.stdout)
`;

/**
 * Asks the venv's interpreter for the scheme pip would install into: `sysconfig`'s preferred
 * "prefix" scheme (pip's `_infer_prefix`: `venv` on 3.11+, `posix_prefix` before).
 */
const SCHEME_SCRIPT = `
import json, os, sys, sysconfig
try:
    name = sysconfig.get_preferred_scheme("prefix")
except AttributeError:
    name = "posix_prefix" if os.name == "posix" else "nt"
paths = sysconfig.get_paths(scheme=name)
prefix = sys.prefix
${DESCRIBE}`;

/**
 * Creates the venv and describes it in one interpreter start: `python -m venv --without-pip DIR`
 * run in-process (`venv.main`, the command line's own code), then the scheme worked out the way
 * `venv` itself finds its directories on 3.11+ (`sysconfig` with `base` and `platbase` set to the
 * venv): the "venv" scheme where there is one, else "posix_prefix", which is what the venv's own
 * interpreter prefers ({@link SCHEME_SCRIPT}; test/install/venv.test.ts compares the two on every
 * Python here).
 */
const CREATE_SCRIPT = `
import json, os, sys, sysconfig, venv
prefix = sys.argv[1]
venv.main(["--without-pip", prefix])
v = {"base": prefix, "platbase": prefix, "installed_base": prefix, "installed_platbase": prefix}
name = "venv" if "venv" in sysconfig.get_scheme_names() else ("posix_prefix" if os.name == "posix" else "nt")
paths = sysconfig.get_paths(scheme=name, vars=v)
${DESCRIBE}`;

interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error: NodeJS.ErrnoException | null;
}

/** The environment for the box's interpreter: no `PYTHON*` variable may steer it elsewhere. */
function pythonEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('PYTHON') && k !== '__PYVENV_LAUNCHER__') env[k] = v;
  }
  env.PYTHONIOENCODING = 'utf-8';
  return env;
}

function run(file: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { env: pythonEnv(), timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const exit = error ? (error as { code?: unknown }).code : 0;
        const code = typeof exit === 'number' ? exit : null;
        resolve({ code, stdout, stderr, error: error && code === null ? (error as NodeJS.ErrnoException) : null });
      },
    );
  });
}

function failure(what: string, python: string, r: RunResult, details: Record<string, unknown>): SneakpackError {
  const why = r.error
    ? r.error.code === 'ENOENT'
      ? `${python} was not found`
      : `${python} could not run (${r.error.message})`
    : `${python} exited with status ${r.code}`;
  const stderr = r.stderr.trim();
  return new SneakpackError('VENV_FAILED', `${what}: ${why}${stderr ? `:\n${stderr}` : ''}`, {
    details: { python, code: r.code, stderr: r.stderr, ...details },
  });
}

/**
 * Create a venv at `dir` with `python` (`python -I -m venv --without-pip DIR`: no ensurepip
 * needed, no system site-packages) and describe it ({@link describeVenv}). `dir` must not exist
 * or be empty: a release gets a fresh venv, never a reused one.
 *
 * @throws SneakpackError `FILE_EXISTS` when `dir` holds anything; `VENV_FAILED` naming the
 *   interpreter and showing its stderr (e.g. Debian's venv module missing).
 */
export async function createVenv(python: string, dir: string, options: CreateVenvOptions = {}): Promise<VenvInfo> {
  const abs = path.resolve(dir);
  const timeoutMs = options.timeoutMs ?? 120_000;
  const names = await fs.readdir(abs).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [];
    throw new SneakpackError('FILE_EXISTS', `cannot create a venv in ${abs}: ${e.code === 'ENOTDIR' ? 'it is a file' : e.message}`, {
      cause: e,
      details: { path: abs },
    });
  });
  if (names.length > 0) {
    throw new SneakpackError('FILE_EXISTS', `cannot create a venv in ${abs}: the directory is not empty`, {
      details: { path: abs },
    });
  }
  const r = await run(python, ['-I', '-c', CREATE_SCRIPT, abs], timeoutMs);
  if (r.code !== 0) throw failure(`cannot create a venv in ${abs} with ${python}`, python, r, { dir: abs });
  const venvPython = path.join(abs, 'bin', 'python');
  if (!(await fs.lstat(venvPython).then(() => true, () => false))) {
    throw new SneakpackError('VENV_FAILED', `cannot create a venv in ${abs} with ${python}: it made no ${venvPython}`, {
      details: { python, dir: abs },
    });
  }
  return venvInfo(abs, venvPython, r);
}

/**
 * Describe an existing venv by asking its own interpreter, `{dir}/bin/python`, once.
 *
 * @throws SneakpackError `VENV_FAILED` when the interpreter cannot run or answers nonsense.
 */
export async function describeVenv(dir: string, options: CreateVenvOptions = {}): Promise<VenvInfo> {
  const abs = path.resolve(dir);
  const python = path.join(abs, 'bin', 'python');
  const r = await run(python, ['-I', '-c', SCHEME_SCRIPT], options.timeoutMs ?? 120_000);
  if (r.code !== 0) throw failure(`cannot query the venv ${abs}`, python, r, { dir: abs });
  return venvInfo(abs, python, r);
}

/** The VenvInfo from a scheme script's answer, checked: absolute paths, every one inside the venv. */
function venvInfo(abs: string, python: string, r: RunResult): VenvInfo {
  let info: Record<string, unknown>;
  try {
    info = JSON.parse(r.stdout) as Record<string, unknown>;
  } catch (cause) {
    throw new SneakpackError('VENV_FAILED', `cannot query the venv ${abs}: ${python} printed ${JSON.stringify(r.stdout.slice(0, 200))}`, {
      cause,
      details: { python, dir: abs },
    });
  }
  const keys = ['purelib', 'platlib', 'scripts', 'data', 'headers', 'version', 'prefix'] as const;
  for (const k of keys) {
    if (typeof info[k] !== 'string' || !(k === 'version' || path.isAbsolute(info[k] as string))) {
      throw new SneakpackError('VENV_FAILED', `cannot query the venv ${abs}: ${python} reported ${k} = ${JSON.stringify(info[k])}`, {
        details: { python, dir: abs, info },
      });
    }
  }
  const scheme: VenvScheme = Object.freeze({
    purelib: info.purelib as string,
    platlib: info.platlib as string,
    headers: info.headers as string,
    scripts: info.scripts as string,
    data: info.data as string,
  });
  // Installing into a scheme outside the venv would escape it (e.g. a distro patch pointing at /usr/local).
  for (const [key, dirPath] of Object.entries(scheme)) {
    const rel = path.relative(abs, dirPath);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      throw new SneakpackError('VENV_FAILED', `the venv ${abs} reports its ${key} directory outside itself: ${dirPath}`, {
        details: { python, dir: abs, scheme },
      });
    }
  }
  return Object.freeze({ dir: abs, python, pythonVersion: info.version as string, scheme });
}

/** What {@link compileVenv} reports. */
export interface CompileResult {
  /** compileall's complaints about files that did not compile (pip ignores those too). */
  readonly warnings: readonly string[];
}

/**
 * Byte-compile the venv's site-packages with its own Python (`python -I -m compileall -q`), as
 * pip does unless `--no-compile`. Files that fail to compile (Python 2 leftovers in some
 * packages) are reported, not fatal — pip ignores them as well. The bytecode is not listed in
 * the installed RECORDs; a release's venv is removed as a whole.
 *
 * @throws SneakpackError `VENV_FAILED` when the interpreter cannot run compileall.
 */
export async function compileVenv(venv: VenvInfo, options: CreateVenvOptions = {}): Promise<CompileResult> {
  const dirs = [...new Set([venv.scheme.purelib, venv.scheme.platlib])];
  const r = await run(venv.python, ['-I', '-m', 'compileall', '-q', '-j', '0', ...dirs], options.timeoutMs ?? 600_000);
  // compileall exits 1 when some file did not compile, and prints which on stdout.
  if (r.code !== 0 && r.code !== 1) throw failure(`cannot byte-compile the venv ${venv.dir}`, venv.python, r, { dir: venv.dir });
  const warnings = r.code === 0 ? [] : r.stdout.split('\n').filter((l) => l.trim() !== '');
  return Object.freeze({ warnings: Object.freeze(warnings) });
}

/** Paths `relocateVenv` rewrites by plain substitution: no character a shell or venv would quote. */
const PLAIN_PATH = /^[A-Za-z0-9_./+@%,:=-]+$/;

/**
 * Move a venv made by {@link createVenv} to `dest` (which must not exist) and make it what
 * `createVenv(python, dest)` would have made: the interpreter finds its prefix from where it is
 * (PEP 405: `pyvenv.cfg` next to `bin/`), so only the files that spell the old path out change —
 * the `activate` scripts in `bin/` and `pyvenv.cfg`'s `command` line — by replacing the old path
 * with the new one. This lets the installer create a release's venv in staging while the bundle is
 * still being verified. Where that substitution might not be exact (a path with characters a shell
 * would quote, or `dest` on another file system) the venv is created afresh at `dest` instead.
 *
 * @throws SneakpackError `VENV_FAILED` (as createVenv), `FILE_EXISTS` when `dest` exists.
 */
export async function relocateVenv(venv: VenvInfo, dest: string, python: string, options: CreateVenvOptions = {}): Promise<VenvInfo> {
  const from = venv.dir;
  const to = path.resolve(dest);
  const afresh = async (): Promise<VenvInfo> => {
    await fs.rm(from, { recursive: true, force: true });
    return createVenv(python, to, options);
  };
  if (!PLAIN_PATH.test(from) || !PLAIN_PATH.test(to) || path.basename(from) !== path.basename(to)) return afresh();
  try {
    await fs.rename(from, to);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EXDEV') return afresh();
    if (code === 'EEXIST' || code === 'ENOTEMPTY') {
      throw new SneakpackError('FILE_EXISTS', `cannot create a venv in ${to}: it exists`, { details: { path: to } });
    }
    throw new SneakpackError('VENV_FAILED', `cannot move the venv ${from} to ${to}: ${(e as Error).message}`, { cause: e, details: { from, to } });
  }
  const rewrite = async (file: string): Promise<void> => {
    const st = await fs.lstat(file).catch(() => null);
    if (st === null || !st.isFile()) return;
    const text = await fs.readFile(file, 'latin1');
    if (!text.includes(from)) return;
    await fs.writeFile(file, text.split(from).join(to), 'latin1');
    await fs.chmod(file, st.mode & 0o7777);
  };
  const bin = path.join(to, 'bin');
  for (const name of await fs.readdir(bin).catch(() => [] as string[])) await rewrite(path.join(bin, name));
  await rewrite(path.join(to, 'pyvenv.cfg'));
  const rebase = (p: string): string => (p === from ? to : p.startsWith(`${from}/`) ? to + p.slice(from.length) : p);
  return Object.freeze({
    dir: to,
    python: rebase(venv.python),
    pythonVersion: venv.pythonVersion,
    scheme: Object.freeze({
      purelib: rebase(venv.scheme.purelib),
      platlib: rebase(venv.scheme.platlib),
      headers: rebase(venv.scheme.headers),
      scripts: rebase(venv.scheme.scripts),
      data: rebase(venv.scheme.data),
    }),
  });
}
