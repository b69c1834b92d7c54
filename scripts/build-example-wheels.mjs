#!/usr/bin/env node
/**
 * Build the wheels of the example app's dependencies (examples/deps/*) into one folder, offline.
 *
 *   node scripts/build-example-wheels.mjs [-o DIR] [--python PY] [--no-pip] [--pure-only]
 *
 * Each project is built with `PY -m pip wheel --no-deps --no-build-isolation --no-index -w DIR`
 * (its in-tree backend, examples/deps/_backend/sneakwheel.py, needs only the standard library), or,
 * when PY has no pip new enough for in-tree backends (21.3+) or with --no-pip, by calling that
 * backend directly. Every PIP_* variable is dropped so the user's pip configuration (find-links,
 * indexes) cannot reach the network or change the result.
 *
 * A project with C extensions (`[tool.sneakwheel] ext-modules`) is built twice: a pure
 * `py3-none-any` wheel always, and a platform wheel for PY when a C compiler is found — the pair
 * PyPI projects such as charset-normalizer publish, so any target can resolve it and this
 * machine's target prefers the compiled one.
 *
 * Also importable: `buildExampleWheels({ outDir, python, usePip, pureOnly, log })`.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse as parseToml } from 'smol-toml';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEPS_DIR = join(ROOT, 'examples', 'deps');
export const BACKEND = join(DEPS_DIR, '_backend', 'sneakwheel.py');

/** Run a command; resolve with { code, stdout, stderr } (never rejects on a non-zero exit). */
export function run(cmd, args, { env = process.env, cwd = ROOT, timeoutMs = 120_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 128 : 1), signal, stdout, stderr });
    });
  });
}

/** The environment without PIP_* variables (the user's pip configuration must not apply). */
export function cleanPipEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_') && v !== undefined) env[k] = v;
  // No __pycache__ left in examples/ by importing the in-tree backend.
  return { ...env, PIP_NO_INPUT: '1', PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_CONFIG_FILE: '/dev/null', PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

/** True when an executable named `name` is on PATH (or `name` is a path to one). */
export function onPath(name) {
  if (name.includes('/')) return existsSync(name);
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, name)));
}

/** The example dependency projects: [{ name, dir, extModules }], sorted by folder name. */
export async function exampleProjects() {
  const entries = (await readdir(DEPS_DIR, { withFileTypes: true })).filter((e) => !e.name.startsWith('_')).sort((a, b) => (a.name < b.name ? -1 : 1));
  const projects = [];
  for (const e of entries) {
    const file = join(DEPS_DIR, e.name, 'pyproject.toml');
    if (!existsSync(file)) continue;
    const data = parseToml(await readFile(file, 'utf8'));
    const extModules = data.tool?.sneakwheel?.['ext-modules'] ?? [];
    projects.push({ name: String(data.project?.name ?? e.name), dir: join(DEPS_DIR, e.name), extModules });
  }
  return projects;
}

async function pipVersion(python) {
  const r = await run(python, ['-m', 'pip', '--version'], { env: cleanPipEnv() }).catch(() => undefined);
  const m = r && r.code === 0 ? /^pip ((\d+)\.(\d+)\S*)/.exec(r.stdout) : null;
  return m ? { text: m[1], major: Number(m[2]), minor: Number(m[3]) } : undefined;
}

/**
 * Build every example dependency's wheel into `outDir` (its old *.whl files are removed first).
 * Returns { outDir, frontend, compiler, wheels: [file names, sorted] }. Throws with the build's
 * output when one fails.
 */
export async function buildExampleWheels({ outDir, python = 'python3', usePip = true, pureOnly = false, log = () => {} } = {}) {
  outDir = resolve(outDir ?? join(ROOT, '.sneakpack-demo', 'wheelhouse'));
  await mkdir(outDir, { recursive: true });
  for (const f of await readdir(outDir)) if (f.endsWith('.whl')) await rm(join(outDir, f), { force: true });

  const pip = usePip ? await pipVersion(python) : undefined;
  // pip 21.3 builds local folders in place (so the _backend link resolves) and knows backend-path.
  const frontend = pip && (pip.major > 21 || (pip.major === 21 && pip.minor >= 3)) ? `pip ${pip.text}` : 'sneakwheel (direct)';
  const compiler = process.env.CC ? process.env.CC.split(/\s+/)[0] : 'cc';
  const haveCompiler = !pureOnly && onPath(compiler);
  log(`frontend: ${frontend}; C compiler: ${haveCompiler ? compiler : pureOnly ? 'not used (--pure-only)' : 'none (pure wheels only)'}`);

  const jobs = [];
  for (const p of await exampleProjects()) {
    const variants = p.extModules.length === 0 ? [{ pure: false }] : haveCompiler ? [{ pure: true }, { pure: false }] : [{ pure: true }];
    for (const v of variants) jobs.push({ project: p, pure: v.pure });
  }
  await Promise.all(
    jobs.map(async ({ project, pure }) => {
      const env = cleanPipEnv(pure ? { SNEAKWHEEL_PURE: '1' } : {});
      const args = frontend.startsWith('pip')
        ? ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '--no-cache-dir', '-q', '-w', outDir, project.dir]
        : [BACKEND, project.dir, '-w', outDir];
      const r = await run(python, args, { env });
      if (r.code !== 0) {
        throw new Error(`building ${project.name}${pure ? ' (pure)' : ''} failed (exit ${r.code}):\n$ ${python} ${args.join(' ')}\n${r.stdout}${r.stderr}`);
      }
      if (!pure && project.extModules.length > 0 && /sneakwheel: .*(no C compiler|failed)/.test(r.stderr)) {
        log(`${project.name}: C extension not built, the pure wheel stands in:\n${r.stderr.trim()}`);
      }
    }),
  );
  const wheels = (await readdir(outDir)).filter((f) => f.endsWith('.whl')).sort();
  return { outDir, frontend, compiler: haveCompiler ? compiler : null, wheels };
}

async function cli(argv) {
  const opts = { usePip: true, pureOnly: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-o' || a === '--output') opts.outDir = argv[++i];
    else if (a === '--python') opts.python = argv[++i];
    else if (a === '--no-pip') opts.usePip = false;
    else if (a === '--pure-only') opts.pureOnly = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node scripts/build-example-wheels.mjs [-o DIR] [--python PY] [--no-pip] [--pure-only]\n');
      return 0;
    } else {
      process.stderr.write(`build-example-wheels: unknown argument ${JSON.stringify(a)} (see --help)\n`);
      return 2;
    }
  }
  try {
    const r = await buildExampleWheels({ ...opts, log: (m) => process.stderr.write(`build-example-wheels: ${m}\n`) });
    for (const w of r.wheels) process.stdout.write(join(r.outDir, w) + '\n');
    return 0;
  } catch (err) {
    process.stderr.write(`build-example-wheels: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  cli(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
