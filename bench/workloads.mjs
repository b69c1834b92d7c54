/**
 * The benchmark workloads (issue 7), generated deterministically into a cache folder and reused
 * across runs (a `done.json` per workload marks it complete; bump GEN_VERSION to regenerate):
 *
 * - `a`: a Flask-sized closure — 7 pure wheels, ~1 MB, a few hundred files, one console script.
 * - `b`: a large closure — 90 wheels, ~50 MB, ~12,000 files, one C extension compiled here with
 *   `pip wheel` (the `cext` project of test/install/fixtures.ts), Zipf-like sizes; plus `b2`, the
 *   same closure with one wheel changed (the upgrade benchmark).
 * - `c`: a ~1 GB closure for memory — 4 wheels of ~250 MB of incompressible data each.
 * - `resolve`: the 300-package backtracking index of test/resolve/gen-index.ts (seed 3, one of
 *   the seeds resolvelib 1.0.1 gets through) as ~1,000 tiny real wheels in a find-links folder.
 *
 * Each workload folder holds `wheels/`, `requirements.txt` (every wheel pinned, as a lock file
 * would), `app/` (a small app with a console script) and, after {@link ensureBundle},
 * `bundle/*.tar`. Run directly (`node bench/workloads.mjs [--cache DIR] [a b c resolve]`) to
 * generate without benchmarking.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodePublicKey, encodeSecretKey, keyPairFromSeed } from '../dist/sign/index.js';
import { Rng, pythonSource, randomBytes, writeWheel } from './wheelgen.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const PYENV = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
/** The box's interpreter in the install benchmarks: CPython 3.11 (setuptools, so the C extension builds). */
export const PY311 = join(PYENV, 'versions', '3.11.7', 'bin', 'python3.11');
/** pip 24.2's interpreter: the resolver reference (the same resolvelib 1.0.1 sneakpack ports). */
export const PY313 = join(PYENV, 'versions', '3.13.0', 'bin', 'python3.13');
const WHEEL_PKG = join(PYENV, 'versions', '3.13.0', 'lib', 'python3.13', 'test', 'wheeldata', 'wheel-0.43.0-py3-none-any.whl');

/** Bump when generation changes: old caches are then ignored. */
export const GEN_VERSION = 1;
export const DEFAULT_CACHE = join(tmpdir(), 'sneakpack-bench');

/** An environment without this machine's PIP_* settings (PIP_FIND_LINKS would add wheels). */
export function cleanEnv(home, extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_') && !k.startsWith('PYTHON')) env[k] = v;
  // A box has no extra CA bundle; node would parse this sandbox's (~220 KB, ~40 ms) at every start.
  delete env.NODE_EXTRA_CA_CERTS;
  return { ...env, HOME: home, LANG: 'C.UTF-8', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PIP_NO_CACHE_DIR: '1', ...extra };
}

function folderStats(dir) {
  let bytes = 0;
  let count = 0;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.whl')) continue;
    bytes += statSync(join(dir, f)).size;
    count++;
  }
  return { wheels: count, bytes };
}

/** A small app: a package with a console script, as `[project.scripts]` would give. */
function writeApp(dir, name) {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, '__init__.py'), '"""The benchmark app."""\n');
  writeFileSync(join(dir, name, 'cli.py'), 'import sys\n\ndef main():\n    print("ok", sys.version.split()[0])\n');
}

/** Payload members of a generated pure package: subpackages of up to 40 files, 75% source, 25% data. */
function* packageMembers(rng, pkg, files, meanText, meanData, seedLabel) {
  let made = 0;
  let sub = 0;
  while (made < files) {
    const base = sub === 0 ? pkg : `${pkg}/sub${sub}`;
    yield [`${base}/__init__.py`, pythonSource(rng, rng.size(meanText / 4), `${base} package`)];
    made++;
    for (let k = 0; k < 39 && made < files; k++, made++) {
      if (rng.next() < 0.75) yield [`${base}/m_${k}.py`, pythonSource(rng, rng.size(meanText), `${base}.m_${k}`)];
      else yield [`${base}/static/d_${k}.dat`, randomBytes(`${seedLabel}/${base}/${k}`, rng.size(meanData))];
    }
    sub++;
  }
}

function pinned(wheels) {
  return wheels.map((w) => `${w.name}==${w.version}`).join('\n') + '\n';
}

/** (a) Seven pure wheels shaped like Flask's closure (file counts and sizes of the real ones). */
function genA(dir) {
  const rng = new Rng(0xa);
  const shapes = [
    ['flasklike', '3.0.3', 24, 100, ['werkzeuglike>=3.0', 'jinjalike>=3.1', 'itsdangerouslike>=2.1', 'clicklike>=8.1', 'blinkerlike>=1.6'], 'flasklike = flasklike.cli:main'],
    ['werkzeuglike', '3.0.3', 52, 230, ['markupsafelike>=2.1.1'], null],
    ['jinjalike', '3.1.4', 25, 135, ['markupsafelike>=2.0'], null],
    ['clicklike', '8.1.7', 17, 98, [], null],
    ['markupsafelike', '2.1.5', 6, 30, [], null],
    ['itsdangerouslike', '2.2.0', 8, 18, [], null],
    ['blinkerlike', '1.8.2', 3, 10, [], null],
  ];
  const wheels = [];
  for (const [name, version, files, kb, requiresDist, script] of shapes) {
    const meanText = Math.round((kb * 1024 * 6.4) / files);
    const members = [];
    for (let i = 0; i < files; i++) members.push([`${name}/${i === 0 ? '__init__' : `mod_${i}`}.py`, pythonSource(rng, rng.size(meanText), `${name} ${i}`)]);
    if (script !== null) members.push([`${name}/cli.py`, Buffer.from('def main():\n    print("ok")\n')]);
    writeWheel(join(dir, 'wheels'), { name, version, requiresDist, members, entryPoints: script === null ? null : `[console_scripts]\n${script}\n` });
    wheels.push({ name, version });
  }
  return wheels;
}

/** The C extension wheel (cp311), built once with pip wheel from CPython 3.11's setuptools. */
function buildCext(cache) {
  const out = join(cache, `cext-v${GEN_VERSION}`);
  const done = join(out, 'wheels');
  if (existsSync(done) && readdirSync(done).some((f) => f.endsWith('.whl'))) return join(done, readdirSync(done).find((f) => f.endsWith('.whl')));
  rmSync(out, { recursive: true, force: true });
  const src = join(out, 'project');
  mkdirSync(join(src, 'cext'), { recursive: true });
  mkdirSync(join(src, 'src'), { recursive: true });
  writeFileSync(join(src, 'setup.py'), 'from setuptools import setup, Extension\nsetup(name="cext", version="0.3", packages=["cext"], ext_modules=[Extension("cext._speed", ["src/speed.c"])], entry_points={"console_scripts": ["cext-add = cext:cli"]})\n');
  writeFileSync(join(src, 'cext', '__init__.py'), 'from cext._speed import add\ndef cli():\n    import sys\n    print("sum", add(int(sys.argv[1]), int(sys.argv[2])))\n');
  writeFileSync(
    join(src, 'src', 'speed.c'),
    '#define PY_SSIZE_T_CLEAN\n#include <Python.h>\nstatic PyObject *add(PyObject *self, PyObject *args) { long a, b; if (!PyArg_ParseTuple(args, "ll", &a, &b)) return NULL; return PyLong_FromLong(a + b); }\n' +
      'static PyMethodDef methods[] = {{"add", add, METH_VARARGS, "Add."}, {NULL, NULL, 0, NULL}};\nstatic struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};\nPyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&module); }\n',
  );
  execFileSync(PY311, ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-q', '-w', done, src], {
    env: cleanEnv(out, { PYTHONPATH: WHEEL_PKG, PYTHONDONTWRITEBYTECODE: '1', SOURCE_DATE_EPOCH: '315532800' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return join(done, readdirSync(done).find((f) => f.endsWith('.whl')));
}

/** (b) 89 generated pure wheels plus the C extension; `changed` bumps one wheel (the upgrade). */
function genB(dir, cache, changed) {
  const count = 89;
  const weights = Array.from({ length: count }, (_, i) => 1 / (i + 1) ** 0.9);
  const sum = weights.reduce((a, b) => a + b, 0);
  const contentFiles = 11_500;
  const wheels = [];
  for (let i = 0; i < count; i++) {
    const name = `big-${String(i).padStart(2, '0')}`;
    const files = Math.max(3, Math.round((contentFiles * weights[i]) / sum));
    const bump = changed && i === 40;
    const version = bump ? '1.0.1' : '1.0.0';
    const requiresDist = [];
    for (let d = 1; d <= 2 && i + d * 7 < count; d++) requiresDist.push(`big-${String(i + d * 7).padStart(2, '0')}>=1.0`);
    // Per-wheel rng: the upgrade's changed wheel differs, every other wheel is byte-identical.
    const wr = new Rng((0xb00 + i) * (bump ? 7 : 1));
    const members = packageMembers(wr, `big_${String(i).padStart(2, '0')}`, files, 5600, 13_000, `b/${i}/${version}`);
    const entryPoints = i % 15 === 0 ? `[console_scripts]\nbig-tool-${i} = big_${String(i).padStart(2, '0')}:main\n` : null;
    writeWheel(join(dir, 'wheels'), { name, version, requiresDist, members, entryPoints });
    wheels.push({ name, version });
  }
  const cext = buildCext(cache);
  cpSync(cext, join(dir, 'wheels', cext.split('/').pop()));
  wheels.push({ name: 'cext', version: '0.3' });
  return wheels;
}

/** (c) ~1 GB: four wheels of 25 x 10 MB incompressible members (deflate level 1, as a fast builder would). */
function genC(dir) {
  const wheels = [];
  for (let i = 0; i < 4; i++) {
    const name = `huge-${i}`;
    function* members() {
      yield [`huge_${i}/__init__.py`, Buffer.from('"""Large data package."""\n')];
      for (let k = 0; k < 25; k++) yield [`huge_${i}/data/blob_${String(k).padStart(2, '0')}.bin`, randomBytes(`c/${i}/${k}`, 10 * 1024 * 1024)];
    }
    writeWheel(join(dir, 'wheels'), { name, version: '1.0.0', members: members(), level: 1 });
    wheels.push({ name, version: '1.0.0' });
  }
  return wheels;
}

/** The 300-package index, from test/resolve/gen-index.ts (TypeScript: run once through vite-node, cached as JSON). */
function generatedIndex(cache) {
  const file = join(cache, `resolve-index-seed3.json`);
  if (!existsSync(file)) {
    const script = join(ROOT, 'bench', 'resolve-index.ts');
    const out = execFileSync(join(ROOT, 'node_modules', '.bin', 'vite-node'), [script, '3'], { cwd: ROOT, maxBuffer: 64 << 20, encoding: 'utf8' });
    writeFileSync(file, out.slice(out.indexOf('{')));
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The resolve workload: every (package, version) of the index as a tiny wheel. */
function genResolve(dir, cache) {
  const gen = generatedIndex(cache);
  let n = 0;
  for (const [name, releases] of Object.entries(gen.index)) {
    for (const [version, deps] of Object.entries(releases)) {
      // Every package offers the extra (gen-index asks for `name[x]` on packages whose extra adds nothing).
      const extras = name.startsWith('pkg-') ? ['x'] : [];
      const members = [[`${name.replace(/-/g, '_')}/__init__.py`, Buffer.from(`V = ${version}\n`)]];
      writeWheel(join(dir, 'wheels'), { name, version, requiresDist: deps, providesExtra: extras, members });
      n++;
    }
  }
  writeFileSync(join(dir, 'requirements.txt'), gen.roots.join('\n') + '\n');
  writeFileSync(join(dir, 'planted.json'), JSON.stringify(gen.planted));
  // A one-wheel folder: what pip and sneakpack spend on start-up and a trivial resolution.
  writeWheel(join(dir, 'trivial'), { name: 'trivial', version: '1', members: [['trivial/__init__.py', Buffer.from('')]] });
  writeFileSync(join(dir, 'trivial.txt'), 'trivial\n');
  return n;
}

/**
 * Make workload `w`'s app folder one `sneakpack build` takes as it is: a `pyproject.toml` (name,
 * version — 1.0.1 for `b2`, the upgrade — and the console script) and `requirements.txt`, the
 * workload's pinned list (every wheel `==`, as for pip). Written only when missing or different
 * (and unlinked first: a cache copied with `cp -al` shares its files with the original).
 * Returns the app folder and the requirements file's name, relative to it.
 */
export function ensureBuildApp(w) {
  const version = w.name === 'b2' ? '1.0.1' : '1.0.0';
  const files = {
    'pyproject.toml': `[project]\nname = "benchapp"\nversion = "${version}"\n\n[project.scripts]\nbenchapp = "benchapp.cli:main"\n`,
    'requirements.txt': readFileSync(w.requirements, 'utf8'),
  };
  for (const [name, text] of Object.entries(files)) {
    const file = join(w.app, name);
    if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
    rmSync(file, { force: true });
    writeFileSync(file, text);
  }
  return { dir: w.app, requirements: 'requirements.txt' };
}

/** Signing keys (fixed seed, no passphrase). */
export function ensureKeys(cache) {
  const dir = join(cache, 'keys');
  const pub = join(dir, 'bench.pub');
  const sec = join(dir, 'bench.sec');
  if (!existsSync(pub)) {
    mkdirSync(dir, { recursive: true });
    const pair = keyPairFromSeed(createHash('sha256').update('sneakpack bench key').digest());
    writeFileSync(pub, encodePublicKey(pair.publicKey));
    writeFileSync(sec, encodeSecretKey(pair.secretKey, { salt: createHash('sha256').update('salt').digest().subarray(0, 16) }), { mode: 0o600 });
  }
  return { dir, pub, sec };
}

const GENERATORS = {
  a: (dir) => genA(dir),
  b: (dir, cache) => genB(dir, cache, false),
  b2: (dir, cache) => genB(dir, cache, true),
  c: (dir) => genC(dir),
};

/**
 * `info` with its paths under `dir`, where it is now: done.json records absolute paths, and a cache
 * copied with `cp -al` must not read or write (bundles, app files) in the folder it was copied from.
 */
function located(info, dir) {
  const move = (p) => (typeof p === 'string' && p.startsWith(info.dir) ? join(dir, p.slice(info.dir.length)) : p);
  return { ...info, dir, wheelsDir: move(info.wheelsDir), requirements: move(info.requirements), ...(info.app !== undefined ? { app: move(info.app) } : {}) };
}

/**
 * Generate workload `name` under `cache` unless it is there already; returns its description
 * `{ name, dir, wheelsDir, requirements, app, wheels, bytes, files }`.
 */
export function ensureWorkload(cache, name, log = () => {}) {
  const dir = join(cache, `${name}-v${GEN_VERSION}`);
  const doneFile = join(dir, 'done.json');
  if (existsSync(doneFile)) return located(JSON.parse(readFileSync(doneFile, 'utf8')), dir);
  log(`generating workload ${name} in ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let info;
  if (name === 'resolve') {
    const n = genResolve(dir, cache);
    info = { name, dir, wheelsDir: join(dir, 'wheels'), requirements: join(dir, 'requirements.txt'), wheelFiles: n, ...folderStats(join(dir, 'wheels')) };
  } else {
    const wheels = GENERATORS[name](dir, cache);
    writeFileSync(join(dir, 'requirements.txt'), pinned(wheels));
    writeApp(join(dir, 'app'), 'benchapp');
    let files = 0;
    const listing = execFileSync('sh', ['-c', 'for w in wheels/*.whl; do unzip -Z1 "$w"; done | wc -l'], { cwd: dir, encoding: 'utf8' });
    files = Number(listing.trim());
    info = { name, dir, wheelsDir: join(dir, 'wheels'), requirements: join(dir, 'requirements.txt'), app: join(dir, 'app'), files, ...folderStats(join(dir, 'wheels')) };
  }
  writeFileSync(doneFile, JSON.stringify(info, null, 1));
  return info;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  let cache = DEFAULT_CACHE;
  const names = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--cache') cache = resolve(args[++i]);
    else names.push(args[i]);
  }
  mkdirSync(cache, { recursive: true });
  for (const n of names.length ? names : ['a', 'b', 'b2', 'c', 'resolve']) {
    const t = Date.now();
    const info = ensureWorkload(cache, n, (m) => console.error(m));
    console.log(`${n}: ${info.wheels} wheels, ${(info.bytes / 1e6).toFixed(1)} MB${info.files ? `, ${info.files} files` : ''} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  }
}
