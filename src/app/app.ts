/**
 * What an app needs, read on the connected PC: its name and version, the requirements to resolve
 * for the target, where wheels may come from, its scripts and sneakpack settings.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SneakpackError, isSneakpackError } from '../errors.js';
import { parseVersion, type SpecifierSet, type Version } from '../pep440/index.js';
import { canonicalizeName, isValidName, type Requirement } from '../pep508/index.js';
import {
  DEFAULT_DATA_DIR_ENV,
  DEFAULT_KEEP_RELEASES,
  parsePyproject,
  type AppConfig,
  type AppScript,
  type LocatedRequirement,
  type ProjectTable,
  type Pyproject,
} from './pyproject.js';
import { readRequirementsFiles, type FormatControl, type RequirementsFiles } from './requirements.js';

/** Options for {@link readApp} (the command line's `--name`, `--version`, `-r`, `--extra`). */
export interface ReadAppOptions {
  /** Overrides `[project] name`; required without one. */
  readonly name?: string;
  /**
   * Overrides `[project] version` (e.g. to stamp `1.2.0+build.7`); required when the version is
   * dynamic or there is no `[project]`.
   */
  readonly version?: string;
  /**
   * Requirements files (relative to the app folder unless absolute). When given they are the
   * complete, usually pinned, set of requirements: `[project] dependencies` and
   * `optional-dependencies` are not used (pyproject still supplies the name, version, scripts,
   * requires-python and `[tool.sneakpack]`), and asking for extras is an error.
   */
  readonly requirementsFiles?: readonly string[];
  /** Extras of `[project.optional-dependencies]` to include; defaults to `[tool.sneakpack] extras`. */
  readonly extras?: readonly string[];
  /** Variables for `${NAME}` in requirements files; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Everything sneakpack knows about an app before resolving it for a target. */
export interface AppSpec {
  /** The app folder, absolute. */
  readonly dir: string;
  /** The name as written. */
  readonly name: string;
  /** PEP 503 normalised name. */
  readonly normalizedName: string;
  readonly version: Version;
  /** Root requirements, in order (dependencies, then the selected extras'; or the requirements files'). */
  readonly requirements: readonly Requirement[];
  /** Where each of {@link AppSpec.requirements} was written (`requirements.txt line 4`, `pyproject.toml [project] dependencies[0]`). */
  readonly requirementOrigins: readonly string[];
  /** Constraints (`-c` files): they limit versions of packages that are needed, and add none. */
  readonly constraints: readonly Requirement[];
  /** The extras built with, normalised (PEP 685), sorted. */
  readonly extras: readonly string[];
  readonly requiresPython: SpecifierSet | null;
  readonly scripts: readonly AppScript[];
  /** `--find-links` folders (absolute) and URLs. */
  readonly findLinks: readonly string[];
  /** `--index-url`, when a requirements file gives one. */
  readonly indexUrl?: string;
  readonly extraIndexUrls: readonly string[];
  /** `--no-index`: use only `findLinks`. */
  readonly noIndex: boolean;
  /** `--pre`: accept pre-releases everywhere. */
  readonly pre: boolean;
  /** Hash-checking mode (see `RequirementsFiles.requireHashes`). */
  readonly requireHashes: boolean;
  /** Allowed hashes per normalised project name, `algo:hexdigest`: only files with one of these may be used. */
  readonly hashes: ReadonlyMap<string, readonly string[]>;
  /** `--no-binary` / `--only-binary` from requirements files (sdists are never used anyway). */
  readonly formatControl: FormatControl;
  readonly trustedHosts: readonly string[];
  /** `[tool.sneakpack]`, defaults filled in. */
  readonly config: Omit<AppConfig, 'extras'>;
  /** Files read, absolute: `pyproject.toml` first when there is one, then requirements files. */
  readonly sources: readonly string[];
}

async function readText(file: string): Promise<string | null> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SneakpackError('IO_ERROR', `cannot read ${file}: ${(e as Error).message}`, { details: { file }, cause: e });
  }
}

function usage(message: string, details: Record<string, unknown> = {}): SneakpackError {
  return new SneakpackError('USAGE', message, { details });
}

/**
 * The requirements of `project` with `extras`: `dependencies`, then each extra's list. A
 * requirement on the app itself with extras (`myapp[postgres]` inside `all = [...]`, a common
 * way to combine extras) pulls in those extras instead of a package.
 */
function projectRequirements(project: ProjectTable, extras: readonly string[], fail: (m: string) => never): LocatedRequirement[] {
  const out: LocatedRequirement[] = [...project.dependencies];
  const done = new Set<string>();
  const queue = [...extras];
  while (queue.length > 0) {
    const key = canonicalizeName(queue.shift()!);
    if (done.has(key)) continue;
    done.add(key);
    const extra = project.optionalDependencies.get(key);
    if (extra === undefined) {
      const known = [...project.optionalDependencies.values()].map((e) => e.name);
      fail(`the project has no extra ${JSON.stringify(key)} (known: ${known.length > 0 ? known.join(', ') : 'none'})`);
    }
    for (const located of extra!.requirements) {
      const r = located.requirement;
      if (canonicalizeName(r.name) === project.normalizedName) {
        if (r.marker !== null || r.specifier.specifiers.length > 0) {
          fail(`${located.origin}: a requirement on the app itself may only name extras, got ${JSON.stringify(r.toString())}`);
        }
        queue.push(...r.extras);
      } else {
        out.push(located);
      }
    }
  }
  return out;
}

function hashMap(files: RequirementsFiles | null): Map<string, string[]> {
  const map = new Map<string, string[]>();
  if (files === null) return map;
  for (const entry of [...files.requirements, ...files.constraints]) {
    if (entry.hashes.length === 0) continue;
    const key = canonicalizeName(entry.requirement.name);
    const list = map.get(key) ?? [];
    for (const h of entry.hashes) if (!list.includes(h)) list.push(h);
    map.set(key, list);
  }
  return map;
}

/**
 * Read the app in `dir`.
 *
 * - With a `pyproject.toml` that has `[project]`: name, version, `dependencies` plus the chosen
 *   extras' `optional-dependencies`, `requires-python`, scripts. Requirements files, when given,
 *   replace the dependencies (see {@link ReadAppOptions.requirementsFiles}).
 * - Without `[project]`: `requirements.txt` in `dir` (or the files given), with `name` and
 *   `version` given as options. `[tool.sneakpack]` is still read from a `pyproject.toml` if any.
 *
 * @throws SneakpackError `USAGE` (a missing `--name`/`--version`, an unknown extra, extras with
 *   requirements files), `FILE_NOT_FOUND` (no pyproject `[project]` and no requirements file),
 *   and the errors of `parsePyproject` and `readRequirementsFiles`.
 */
export async function readApp(dir: string, options: ReadAppOptions = {}): Promise<AppSpec> {
  const root = path.resolve(dir);
  const st = await fs.stat(root).catch(() => null);
  if (st === null || !st.isDirectory()) {
    throw new SneakpackError('FILE_NOT_FOUND', `app folder ${root} does not exist or is not a directory`, { details: { path: root } });
  }
  const pyprojectFile = path.join(root, 'pyproject.toml');
  const pyprojectText = await readText(pyprojectFile);
  const pyproject: Pyproject | null = pyprojectText === null ? null : parsePyproject(pyprojectText, pyprojectFile);
  const project = pyproject?.project ?? null;
  const sources: string[] = pyproject ? [pyprojectFile] : [];

  // Name and version: options win (they are explicit), else [project].
  let name: string;
  if (options.name !== undefined) {
    if (!isValidName(options.name)) {
      throw new SneakpackError('INVALID_NAME', `--name ${JSON.stringify(options.name)} is not a valid project name (letters, digits, and ".-_" between them)`, {
        details: { name: options.name },
      });
    }
    name = options.name;
  } else if (project) {
    name = project.name;
  } else {
    throw usage(`${root} has no pyproject.toml with a [project] table: give the app's name with --name`);
  }
  let version: Version;
  if (options.version !== undefined) {
    const text = options.version;
    try {
      version = parseVersion(text);
    } catch (e) {
      if (!isSneakpackError(e)) throw e;
      throw new SneakpackError(e.code, `--version: ${e.message}`, { details: { ...e.details }, cause: e });
    }
  } else if (project?.version) {
    version = project.version;
  } else if (project) {
    throw usage(`${pyprojectFile}: the version is dynamic (computed by the build backend); give it with --version`, { file: pyprojectFile });
  } else {
    throw usage(`${root} has no pyproject.toml with a [project] table: give the app's version with --version`);
  }

  const configExtras = pyproject?.config.extras ?? [];
  const extrasFromOptions = options.extras !== undefined;
  const extras = options.extras ?? configExtras;
  const extrasWhere = extrasFromOptions ? '--extra' : `${pyprojectFile} [tool.sneakpack] extras`;
  const failExtras = (m: string): never => {
    if (extrasFromOptions) throw usage(`${extrasWhere}: ${m}`);
    throw new SneakpackError('INVALID_PYPROJECT', `${extrasWhere}: ${m}`, { details: { field: extrasWhere } });
  };
  for (const e of extras) {
    if (!isValidName(e)) failExtras(`${JSON.stringify(e)} is not a valid extra name`);
  }

  let requirements: LocatedRequirement[];
  let files: RequirementsFiles | null = null;
  const explicitFiles = options.requirementsFiles !== undefined && options.requirementsFiles.length > 0;
  if (project && !explicitFiles) {
    if (project.dynamic.includes('dependencies')) {
      throw new SneakpackError(
        'INVALID_PYPROJECT',
        `${pyprojectFile} [project] dependencies: are dynamic (computed by the build backend), so sneakpack cannot read them; ` +
          `list them in pyproject.toml or give a requirements file with -r`,
        { details: { field: 'dependencies', file: pyprojectFile } },
      );
    }
    if (extras.length > 0 && project.dynamic.includes('optional-dependencies')) {
      failExtras('[project] optional-dependencies are dynamic, so sneakpack cannot read them; give a requirements file with -r');
    }
    requirements = projectRequirements(project, extras, failExtras);
  } else {
    if (extras.length > 0) {
      failExtras(
        `extras select [project.optional-dependencies], but requirements files are used (they are the complete set); ` +
          `drop the extras or put those requirements in the file`,
      );
    }
    let list: string[];
    if (explicitFiles) {
      list = options.requirementsFiles!.map((f) => path.resolve(root, f));
    } else {
      const fallback = path.join(root, 'requirements.txt');
      if ((await readText(fallback)) === null) {
        throw new SneakpackError(
          'FILE_NOT_FOUND',
          `${root} has neither a pyproject.toml with a [project] table nor a requirements.txt; add one, or give requirements files with -r`,
          { details: { path: root } },
        );
      }
      list = [fallback];
    }
    files = await readRequirementsFiles(list, { env: options.env });
    sources.push(...files.files);
    requirements = files.requirements.map((e) => ({ requirement: e.requirement, origin: `${e.file} line ${e.line}` }));
  }

  const config = pyproject?.config;
  return Object.freeze({
    dir: root,
    name,
    normalizedName: canonicalizeName(name),
    version,
    requirements: Object.freeze(requirements.map((r) => r.requirement)),
    requirementOrigins: Object.freeze(requirements.map((r) => r.origin)),
    constraints: Object.freeze(files?.constraints.map((c) => c.requirement) ?? []),
    extras: Object.freeze([...new Set(extras.map((e) => canonicalizeName(e)))].sort()),
    requiresPython: project?.requiresPython ?? null,
    scripts: project?.scripts ?? Object.freeze([]),
    findLinks: files?.findLinks ?? Object.freeze([]),
    ...(files?.indexUrl ? { indexUrl: files.indexUrl } : {}),
    extraIndexUrls: files?.extraIndexUrls ?? Object.freeze([]),
    noIndex: files?.noIndex ?? false,
    pre: files?.pre ?? false,
    requireHashes: files?.requireHashes ?? false,
    hashes: hashMap(files),
    formatControl: files?.formatControl ?? Object.freeze({ noBinary: Object.freeze([]), onlyBinary: Object.freeze([]) }),
    trustedHosts: files?.trustedHosts ?? Object.freeze([]),
    config: Object.freeze({
      exclude: config?.exclude ?? Object.freeze([]),
      postInstall: config?.postInstall ?? Object.freeze([]),
      dataDirEnv: config?.dataDirEnv ?? DEFAULT_DATA_DIR_ENV,
      keepReleases: config?.keepReleases ?? DEFAULT_KEEP_RELEASES,
    }),
    sources: Object.freeze(sources),
  });
}
