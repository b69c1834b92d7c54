/**
 * `pyproject.toml` as sneakpack reads it: the `[project]` table (pyproject.toml specification,
 * "Declaring project metadata": `name`, `version`, `dynamic`, `dependencies`,
 * `optional-dependencies`, `requires-python`, `scripts`, `gui-scripts`) and sneakpack's own
 * `[tool.sneakpack]` table (pyproject.toml spec, "Arbitrary tool configuration"). Pure: no I/O.
 *
 * Other `[project]` keys are not sneakpack's business and are not checked. `[tool.sneakpack]` is
 * checked strictly: an unknown key is an error, so a typo (`post_install`) cannot be ignored.
 *
 * @see https://packaging.python.org/en/latest/specifications/pyproject-toml/
 */
import { parse as parseToml } from 'smol-toml';
import { SneakpackError, isSneakpackError, type ErrorCode } from '../errors.js';
import { parseSpecifierSet, parseVersion, type SpecifierSet, type Version } from '../pep440/index.js';
import { canonicalizeName, isValidName, parseRequirement, type Requirement } from '../pep508/index.js';
import { parseObjectReference, unsafeScriptName } from '../wheel/entrypoints.js';
import { compileExcludePattern } from './exclude.js';

/** Default name of the environment variable that tells the app where its data folder is. */
export const DEFAULT_DATA_DIR_ENV = 'SNEAKPACK_DATA_DIR';

/** Default number of releases kept on the box (the current one included) for rollback. */
export const DEFAULT_KEEP_RELEASES = 3;

/** The keys `[tool.sneakpack]` may contain. */
export const SNEAKPACK_CONFIG_KEYS = Object.freeze(['exclude', 'post-install', 'data-dir-env', 'extras', 'keep-releases'] as const);

/** A console or GUI script of the app (`[project.scripts]`, `[project.gui-scripts]`). */
export interface AppScript {
  /** Script name, a file name in the environment's `bin/`. */
  readonly name: string;
  /** Module to import. */
  readonly module: string;
  /** Object in the module to call (`main`, `App.run`). */
  readonly attr: string;
  /** From `gui-scripts`. */
  readonly gui: boolean;
}

/** `[tool.sneakpack]`, with defaults filled in. */
export interface AppConfig {
  /** Exclude patterns (gitignore-like, relative to the app folder; see `compileExcludePattern`). */
  readonly exclude: readonly string[];
  /**
   * Commands run on the box after installing a release, each an argv array
   * (`["python", "manage.py", "migrate"]`), in order. A plain string is refused: splitting it
   * would need shell quoting rules the box might not share.
   */
  readonly postInstall: readonly (readonly string[])[];
  /** Name of the environment variable the app reads to find its data folder. */
  readonly dataDirEnv: string;
  /** Extras to build with when none are given on the command line. */
  readonly extras: readonly string[];
  /** Releases to keep on the box, the current one included (at least 1). */
  readonly keepReleases: number;
}

/** A dependency with where it was written, for messages. */
export interface LocatedRequirement {
  readonly requirement: Requirement;
  /** `pyproject.toml [project] dependencies[2]`. */
  readonly origin: string;
}

/** An extra of `[project.optional-dependencies]`. */
export interface OptionalDependencies {
  /** The extra as written. */
  readonly name: string;
  readonly requirements: readonly LocatedRequirement[];
}

/** The parts of `[project]` sneakpack uses. */
export interface ProjectTable {
  readonly name: string;
  /** PEP 503 normalised name. */
  readonly normalizedName: string;
  /** Null when the version is dynamic. */
  readonly version: Version | null;
  /** `dynamic`, as written. */
  readonly dynamic: readonly string[];
  readonly dependencies: readonly LocatedRequirement[];
  /** Keyed by normalised extra name (PEP 685). */
  readonly optionalDependencies: ReadonlyMap<string, OptionalDependencies>;
  readonly requiresPython: SpecifierSet | null;
  readonly scripts: readonly AppScript[];
}

/** A parsed `pyproject.toml`. */
export interface Pyproject {
  readonly file: string;
  /** Null when the file has no `[project]` table (e.g. a Poetry-only project). */
  readonly project: ProjectTable | null;
  readonly config: AppConfig;
}

type Table = Record<string, unknown>;

function isTable(v: unknown): v is Table {
  // smol-toml builds tables without a prototype; dates are Date objects.
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (isTable(v)) return 'a table';
  if (typeof v === 'bigint') return 'an integer';
  if (typeof v === 'object' && v !== null) return 'a date/time';
  return `a ${typeof v}`;
}

function invalid(where: string, message: string, details: Record<string, unknown> = {}, code: ErrorCode = 'INVALID_PYPROJECT'): SneakpackError {
  return new SneakpackError(code, `${where}: ${message}`, { details: { field: where, ...details } });
}

/** Re-throw a spec error (bad version, requirement…) with the file and field in front. */
function located<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!isSneakpackError(e)) throw e;
    throw new SneakpackError(e.code, `${where}: ${e.message}`, { details: { ...e.details, field: where }, cause: e });
  }
}

function expectString(v: unknown, where: string): string {
  if (typeof v !== 'string') throw invalid(where, `expected a string, found ${typeName(v)}`);
  return v;
}

function expectStringArray(v: unknown, where: string): string[] {
  if (!Array.isArray(v)) throw invalid(where, `expected an array of strings, found ${typeName(v)}`);
  return v.map((item, i) => expectString(item, `${where}[${i}]`));
}

function expectTable(v: unknown, where: string): Table {
  if (!isTable(v)) throw invalid(where, `expected a table, found ${typeName(v)}`);
  return v;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}

function parseDependency(text: string, where: string): Requirement {
  const req = located(where, () => parseRequirement(text));
  if (req.url !== null) {
    throw invalid(
      where,
      `${JSON.stringify(text)} is a direct reference ("name @ URL"); sneakpack needs wheels it can find by name: put the wheel in a ` +
        `--find-links folder (or an index) and write "${req.name}==VERSION"`,
      { requirement: text },
      'UNSUPPORTED_REQUIREMENT',
    );
  }
  return req;
}

function parseScripts(v: unknown, where: string, gui: boolean): AppScript[] {
  const table = expectTable(v, where);
  return Object.entries(table).map(([name, value]) => {
    const at = `${where}.${JSON.stringify(name)}`;
    const ref = expectString(value, at);
    const unsafe = unsafeScriptName(name);
    if (unsafe) throw invalid(at, `script name ${JSON.stringify(name)} is unsafe: ${unsafe}`, { name });
    const parsed = located(at, () => parseObjectReference(ref, 'script'));
    if (parsed.attr === null) throw invalid(at, `${JSON.stringify(ref)} names no function; write "module:function"`, { name, value: ref });
    if (parsed.extras.length > 0) throw invalid(at, `${JSON.stringify(ref)}: extras in script references are not supported`, { name, value: ref });
    return Object.freeze({ name, module: parsed.module, attr: parsed.attr, gui });
  });
}

function parseProject(v: unknown, file: string): ProjectTable {
  const at = (key: string): string => `${file} [project] ${key}`;
  const project = expectTable(v, `${file} [project]`);
  if (project.name === undefined) throw invalid(at('name'), 'is missing; every project needs a name');
  const name = expectString(project.name, at('name'));
  if (!isValidName(name)) {
    throw invalid(at('name'), `${JSON.stringify(name)} is not a valid project name (letters, digits, and ".-_" between them)`, { name }, 'INVALID_NAME');
  }
  const dynamic = project.dynamic === undefined ? [] : expectStringArray(project.dynamic, at('dynamic'));
  if (dynamic.includes('name')) throw invalid(at('dynamic'), '"name" cannot be dynamic');
  for (const key of dynamic) {
    if (project[key] !== undefined) throw invalid(at(key), `is listed in dynamic and also given; use one or the other`);
  }
  let version: Version | null = null;
  if (project.version !== undefined) {
    const text = expectString(project.version, at('version'));
    version = located(at('version'), () => parseVersion(text));
  } else if (!dynamic.includes('version')) {
    throw invalid(at('version'), 'is missing (give it, or list "version" in dynamic and pass the version to sneakpack)');
  }
  const dependencies = (project.dependencies === undefined ? [] : expectStringArray(project.dependencies, at('dependencies'))).map(
    (text, i) => Object.freeze({ requirement: parseDependency(text, `${at('dependencies')}[${i}]`), origin: `${at('dependencies')}[${i}]` }),
  );
  const optionalDependencies = new Map<string, OptionalDependencies>();
  if (project['optional-dependencies'] !== undefined) {
    const table = expectTable(project['optional-dependencies'], at('optional-dependencies'));
    for (const [extra, list] of Object.entries(table)) {
      const where = `${at('optional-dependencies')}.${extra}`;
      if (!isValidName(extra)) throw invalid(where, `${JSON.stringify(extra)} is not a valid extra name`, { extra }, 'INVALID_NAME');
      const key = canonicalizeName(extra);
      if (optionalDependencies.has(key)) {
        throw invalid(where, `extra ${JSON.stringify(extra)} is the same as ${JSON.stringify(optionalDependencies.get(key)!.name)} once normalised (PEP 685)`);
      }
      const requirements = expectStringArray(list, where).map((text, i) =>
        Object.freeze({ requirement: parseDependency(text, `${where}[${i}]`), origin: `${where}[${i}]` }),
      );
      optionalDependencies.set(key, Object.freeze({ name: extra, requirements: Object.freeze(requirements) }));
    }
  }
  let requiresPython: SpecifierSet | null = null;
  if (project['requires-python'] !== undefined) {
    const text = expectString(project['requires-python'], at('requires-python'));
    requiresPython = located(at('requires-python'), () => parseSpecifierSet(text));
  }
  const scripts = [
    ...(project.scripts === undefined ? [] : parseScripts(project.scripts, at('scripts'), false)),
    ...(project['gui-scripts'] === undefined ? [] : parseScripts(project['gui-scripts'], at('gui-scripts'), true)),
  ];
  const seen = new Set<string>();
  for (const s of scripts) {
    if (seen.has(s.name)) throw invalid(at('gui-scripts'), `script ${JSON.stringify(s.name)} is also in [project] scripts`, { name: s.name });
    seen.add(s.name);
  }
  return Object.freeze({
    name,
    normalizedName: canonicalizeName(name),
    version,
    dynamic: Object.freeze(dynamic),
    dependencies: Object.freeze(dependencies),
    optionalDependencies,
    requiresPython,
    scripts: Object.freeze(scripts),
  });
}

function parseConfig(v: unknown, file: string): AppConfig {
  const base = `${file} [tool.sneakpack]`;
  if (v === undefined) {
    return Object.freeze({ exclude: [], postInstall: [], dataDirEnv: DEFAULT_DATA_DIR_ENV, extras: [], keepReleases: DEFAULT_KEEP_RELEASES });
  }
  const table = expectTable(v, base);
  for (const key of Object.keys(table)) {
    if ((SNEAKPACK_CONFIG_KEYS as readonly string[]).includes(key)) continue;
    const close = SNEAKPACK_CONFIG_KEYS.filter((k) => distance(k, key.toLowerCase().replace(/_/g, '-')) <= 2);
    throw invalid(
      `${base} ${key}`,
      `unknown key ${JSON.stringify(key)}${close.length > 0 ? ` (did you mean ${JSON.stringify(close[0])}?)` : ''}; ` +
        `known keys: ${SNEAKPACK_CONFIG_KEYS.join(', ')}`,
      { key },
    );
  }
  const at = (key: string): string => `${base} ${key}`;
  const exclude = table.exclude === undefined ? [] : expectStringArray(table.exclude, at('exclude'));
  exclude.forEach((p, i) => compileExcludePattern(p, `${at('exclude')}[${i}]`));

  const postInstall: string[][] = [];
  if (table['post-install'] !== undefined) {
    const list = table['post-install'];
    if (!Array.isArray(list)) throw invalid(at('post-install'), `expected an array of commands, found ${typeName(list)}`);
    list.forEach((cmd, i) => {
      const where = `${at('post-install')}[${i}]`;
      if (typeof cmd === 'string') {
        const words = cmd.trim().split(/\s+/).filter((w) => w !== '');
        throw invalid(
          where,
          `${JSON.stringify(cmd)} is a string; write each command as an argv array, e.g. ${JSON.stringify(words)} (no shell is involved)`,
        );
      }
      const argv = expectStringArray(cmd, where);
      if (argv.length === 0 || argv[0] === '') throw invalid(where, 'a command needs at least a program name');
      if (argv.some((a) => a.includes('\u0000'))) throw invalid(where, 'an argument contains a NUL character');
      postInstall.push(Object.freeze(argv) as string[]);
    });
  }

  let dataDirEnv = DEFAULT_DATA_DIR_ENV;
  if (table['data-dir-env'] !== undefined) {
    dataDirEnv = expectString(table['data-dir-env'], at('data-dir-env'));
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(dataDirEnv)) {
      throw invalid(at('data-dir-env'), `${JSON.stringify(dataDirEnv)} is not an environment variable name (letters, digits, "_"; not starting with a digit)`);
    }
  }

  const extras = table.extras === undefined ? [] : expectStringArray(table.extras, at('extras'));
  extras.forEach((e, i) => {
    if (!isValidName(e)) throw invalid(`${at('extras')}[${i}]`, `${JSON.stringify(e)} is not a valid extra name`, { extra: e }, 'INVALID_NAME');
  });

  let keepReleases = DEFAULT_KEEP_RELEASES;
  if (table['keep-releases'] !== undefined) {
    const k = table['keep-releases'];
    if ((typeof k !== 'number' && typeof k !== 'bigint') || (typeof k === 'number' && !Number.isInteger(k))) {
      throw invalid(at('keep-releases'), `expected a whole number, found ${typeName(k)}${typeof k === 'number' ? ` (${k})` : ''}`);
    }
    // The box always keeps the current release and the one before it (rollback needs it).
    if (k < 2 || k > 1000) throw invalid(at('keep-releases'), `must be between 2 and 1000 (the current release and the one to roll back to), got ${k}`);
    keepReleases = Number(k);
  }
  return Object.freeze({ exclude: Object.freeze(exclude), postInstall: Object.freeze(postInstall), dataDirEnv, extras: Object.freeze(extras), keepReleases });
}

/**
 * Parse the text of a `pyproject.toml`.
 *
 * @param file the path to name in messages.
 * @throws SneakpackError `INVALID_PYPROJECT` (TOML syntax, a missing or mistyped field, an unknown
 *   `[tool.sneakpack]` key), `INVALID_NAME`, `INVALID_VERSION`, `INVALID_REQUIREMENT`,
 *   `INVALID_SPECIFIER`, `INVALID_ENTRY_POINTS`, `UNSUPPORTED_REQUIREMENT` (a `name @ URL`
 *   dependency) — every message starts with the file and the field (`dependencies[2]`).
 */
export function parsePyproject(text: string, file = 'pyproject.toml'): Pyproject {
  let doc: Table;
  try {
    doc = parseToml(text, { integersAsBigInt: 'asNeeded' }) as Table;
  } catch (e) {
    const err = e as Error & { line?: number; column?: number };
    throw new SneakpackError(
      'INVALID_PYPROJECT',
      `${file}${err.line ? ` line ${err.line}` : ''}: not valid TOML: ${err.message.replace(/^Invalid TOML document: /, '')}`,
      { details: { file, line: err.line, column: err.column }, cause: e },
    );
  }
  const project = doc.project === undefined ? null : parseProject(doc.project, file);
  const tool = doc.tool === undefined ? undefined : expectTable(doc.tool, `${file} [tool]`);
  const config = parseConfig(tool?.sneakpack, file);
  return Object.freeze({ file, project, config });
}
