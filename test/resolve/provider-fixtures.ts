/**
 * Fixtures for the wheel provider tests: wheelhouses generated from `gen-index.ts` indexes (real
 * `.whl` files, made by `makeWheel`), decorated with what a real wheelhouse has — several wheels
 * per version with different tags and build tags, wheels for other machines, pre-releases, METADATA
 * `Requires-Python`, markers on dependencies, sdists — and a runner for pip's own resolver
 * (`pip install --dry-run --report`) over the same folders.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canonicalizeName } from '../../src/pep508/index.js';
import { Rng } from '../helpers/random.js';
import { referencePython } from '../helpers/reference.js';
import { type WheelSpec, makeWheel } from '../helpers/wheels.js';
import { generateIndex, type GenerateOptions, type GeneratedIndex } from './gen-index.js';

/** One wheel to write (WheelSpec without the folder). */
export type HouseWheel = WheelSpec;

/** A wheelhouse description: wheels, sdists (name, version) and root requirement lines. */
export interface Wheelhouse {
  readonly wheels: readonly HouseWheel[];
  readonly sdists: readonly { readonly name: string; readonly version: string }[];
  readonly roots: readonly string[];
}

/** Tags a CPython 3.13 x86_64 glibc 2.36 box (this machine's reference interpreter) accepts. */
export const HOST_GOOD_TAGS = [
  'py3-none-any',
  'py2.py3-none-any',
  'cp313-cp313-manylinux_2_17_x86_64',
  'cp313-cp313-manylinux_2_28_x86_64',
  'cp313-abi3-manylinux_2_17_x86_64',
  'cp38-abi3-manylinux_2_17_x86_64',
  'cp313-cp313-linux_x86_64',
  'py313-none-any',
  'cp313-none-any',
] as const;

/** Tags it does not accept: another Python, arch, libc, a too-new glibc, Python 2. */
export const HOST_BAD_TAGS = [
  'cp312-cp312-manylinux_2_17_x86_64',
  'cp313-cp313-manylinux_2_17_aarch64',
  'cp313-cp313-musllinux_1_2_x86_64',
  'cp313-cp313-manylinux_2_39_x86_64',
  'py2-none-any',
  'cp313-cp313-win_amd64',
] as const;

/** Extra markers to put on dependencies; all decidable on the reference interpreter. */
const MARKERS = [
  'python_version >= "3.10"',
  'python_version < "3.12"',
  'platform_machine == "x86_64"',
  'platform_machine == "aarch64"',
  'sys_platform == "win32"',
  'os_name == "posix" and implementation_name == "cpython"',
  'python_full_version >= "3.13.0"',
] as const;

/** Requires-Python values for METADATA; `>=3.14` and `<3.13` exclude the reference interpreter. */
const REQUIRES_PYTHON = ['>=3.8', '>=3.14', '<3.13', '>=3.9,<4', '!=3.13.*'] as const;

export interface DecorateOptions {
  /** Probability that a version gets more compatible wheels besides its first. */
  readonly multiWheelRate?: number;
  /** Probability of an extra incompatible wheel for a version. */
  readonly badWheelRate?: number;
  /** Probability that a version has ONLY incompatible wheels. */
  readonly onlyBadRate?: number;
  /** Probability that a package's newest version is re-labelled as a pre-release. */
  readonly preRate?: number;
  /** Probability of a METADATA Requires-Python on a version. */
  readonly requiresPythonRate?: number;
  /** Probability of an extra marker on a dependency. */
  readonly markerRate?: number;
  /** Probability of an sdist next to a version (never used by either side with only-binary). */
  readonly sdistRate?: number;
  /** Probability of a build tag on an extra wheel. */
  readonly buildTagRate?: number;
}

/**
 * Turn a generated toy index into a wheelhouse. Versions stay integers except that a package's
 * newest version may become `Nrc1` (a pre-release). Dependencies keep their specifiers; some get
 * an extra marker ANDed in.
 */
export function decorateIndex(gen: GeneratedIndex, rng: Rng, options: DecorateOptions = {}): Wheelhouse {
  const wheels: HouseWheel[] = [];
  const sdists: { name: string; version: string }[] = [];
  const pre = new Map<string, number>();
  for (const [name, releases] of Object.entries(gen.index)) {
    const versions = Object.keys(releases).map(Number);
    if (versions.length > 1 && rng.chance(options.preRate ?? 0.1)) pre.set(name, Math.max(...versions));
  }
  const versionText = (name: string, v: number): string => (pre.get(name) === v ? `${v}rc1` : String(v));
  for (const [name, releases] of Object.entries(gen.index)) {
    const extras = new Set<string>();
    for (const deps of Object.values(gen.index)) {
      for (const versionDeps of Object.values(deps)) {
        for (const d of versionDeps) if (d.startsWith(`${name}[x]`)) extras.add('x');
      }
    }
    for (const [v, deps] of Object.entries(releases)) {
      for (const d of deps) if (d.includes("extra == 'x'")) extras.add('x');
      const version = versionText(name, Number(v));
      const requiresDist = deps.map((d) => {
        if (!rng.chance(options.markerRate ?? 0.15)) return d;
        const marker = rng.pick(MARKERS);
        const semi = d.indexOf(';');
        return semi < 0 ? `${d}; ${marker}` : `${d.slice(0, semi)}; (${d.slice(semi + 1).trim()}) and ${marker}`;
      });
      const requiresPython = rng.chance(options.requiresPythonRate ?? 0.05) ? rng.pick(REQUIRES_PYTHON) : undefined;
      const common = {
        name,
        version,
        requiresDist,
        ...(extras.size > 0 ? { providesExtra: [...extras] } : {}),
        ...(requiresPython !== undefined ? { requiresPython } : {}),
      };
      const onlyBad = rng.chance(options.onlyBadRate ?? 0.03);
      const tagsUsed = new Set<string>();
      const add = (tags: string, buildTag?: string): void => {
        // py2.py3-none-any and py3-none-any rank the same: with equal build tags pip's choice
        // between them follows os.scandir order, which is arbitrary, so never generate that tie.
        const key = `${tags === 'py2.py3-none-any' ? 'py3-none-any' : tags}/${buildTag ?? ''}`;
        if (tagsUsed.has(key)) return;
        tagsUsed.add(key);
        wheels.push({ ...common, tags, ...(buildTag !== undefined ? { buildTag } : {}) });
      };
      if (!onlyBad) {
        add(rng.pick(HOST_GOOD_TAGS));
        while (rng.chance(options.multiWheelRate ?? 0.3)) {
          add(rng.pick(HOST_GOOD_TAGS), rng.chance(options.buildTagRate ?? 0.3) ? String(rng.int(1, 3)) : undefined);
        }
      }
      if (onlyBad || rng.chance(options.badWheelRate ?? 0.2)) add(rng.pick(HOST_BAD_TAGS));
      if (rng.chance(options.sdistRate ?? 0.05)) sdists.push({ name, version });
    }
  }
  return { wheels, sdists, roots: [...gen.roots] };
}

/** Write a wheelhouse into `dir` (created). */
export function writeWheelhouse(dir: string, house: Wheelhouse): void {
  mkdirSync(dir, { recursive: true });
  for (const w of house.wheels) makeWheel({ dir, ...w });
  for (const s of house.sdists) writeFileSync(join(dir, `${canonicalizeName(s.name).replace(/-/g, '_')}-${s.version}.tar.gz`), 'not a real sdist\n');
}

/** A generated case for the pip comparison. */
export interface PipCase {
  readonly label: string;
  readonly house: Wheelhouse;
}

/** Generate `count` wheelhouse cases from `seed`: small indexes, many of them needing backtracking. */
export function generatePipCases(count: number, seed: number): PipCase[] {
  const rng = new Rng(seed);
  const out: PipCase[] = [];
  for (let k = 0; k < count; k++) {
    const options: GenerateOptions = {
      packages: rng.int(6, 30),
      maxVersions: rng.int(2, 6),
      maxDeps: rng.int(2, 4),
      window: rng.int(2, 10),
      trapRate: rng.pick([0.6, 0.9]),
      extrasRate: rng.pick([0, 0.2, 0.5]),
      cycleRate: rng.pick([0, 0, 0.1]),
      extraRoots: rng.int(0, 4),
      anchors: rng.int(1, 2),
      mode: rng.chance(0.8) ? 'planted' : 'random',
      traps: rng.chance(0.3) ? 'chain' : 'shallow',
    };
    const gen = generateIndex(new Rng(rng.int(0, 2 ** 31)), options);
    const house = decorateIndex(gen, new Rng(rng.int(0, 2 ** 31)));
    out.push({ label: `#${k} ${JSON.stringify(options)}`, house });
  }
  return out;
}

/** What pip chose: canonical name → [version, wheel file name], or its failure. */
export type PipOutcome = { ok: true; chosen: Record<string, [string, string]> } | { ok: false; error: string };

const PIP_LOOP = `
import json, sys, os, io, contextlib
from pip._internal.cli.main import main as pip_main
from urllib.parse import unquote
jobs = json.load(sys.stdin)
results = []
for job in jobs:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = pip_main(job["args"])
        except SystemExit as e:
            rc = e.code
    if rc != 0:
        results.append({"ok": False, "error": err.getvalue()[-2000:]})
        continue
    with open(job["report"]) as f:
        report = json.load(f)
    chosen = {}
    for item in report["install"]:
        name = item["metadata"]["name"]
        url = item["download_info"]["url"]
        chosen[name] = [item["metadata"]["version"], unquote(url.rsplit("/", 1)[-1])]
    results.append({"ok": True, "chosen": chosen})
json.dump(results, sys.stdout)
`;

/**
 * Run pip 24.2 (the reference interpreter's) on each folder with `--dry-run --ignore-installed
 * --no-index --find-links DIR --only-binary=:all: --report`, all in one Python process, with every
 * PIP_* variable removed and `--isolated` (PIP_FIND_LINKS is set on this machine).
 */
export async function runPip(jobs: readonly { dir: string; requirementsFile: string; report: string }[]): Promise<PipOutcome[]> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PIP_')) env[k] = v;
  env.PYTHONDONTWRITEBYTECODE = '1';
  const input = jobs.map((j) => ({
    report: j.report,
    args: [
      'install', '--isolated', '--dry-run', '--ignore-installed', '--no-index', '--no-cache-dir', '--disable-pip-version-check',
      '--only-binary=:all:', '--find-links', j.dir, '--report', j.report, '-q', '-r', j.requirementsFile,
    ],
  }));
  const child = promisify(execFile)(referencePython(), ['-c', PIP_LOOP], { env, maxBuffer: 256 * 1024 * 1024 });
  child.child.stdin!.end(JSON.stringify(input));
  const { stdout } = await child;
  return JSON.parse(stdout) as PipOutcome[];
}

/** Read back a JSON file (tests). */
export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
