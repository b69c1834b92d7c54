/**
 * readApp and parsePyproject: generated app folders, each pyproject variant, and every error
 * asserting its code and that the message names the file and field.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_DATA_DIR_ENV, DEFAULT_KEEP_RELEASES, parsePyproject, readApp, type ReadAppOptions } from '../../src/app/index.js';
import { SneakpackError, type ErrorCode } from '../../src/errors.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'sp-app-'));
  roots.push(root);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), content);
  }
  return root;
}

async function failure(p: Promise<unknown> | (() => unknown)): Promise<SneakpackError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (e instanceof SneakpackError) return e;
    throw e;
  }
  throw new Error('expected a SneakpackError');
}

const FULL = `
[project]
name = "My_Site"
version = "1.4.0"
requires-python = ">=3.9"
dependencies = [
  "Django>=4.2,<5",
  "gunicorn ; sys_platform == 'linux'",
]

[project.optional-dependencies]
postgres = ["psycopg[binary]>=3.1"]
Redis_Cache = ["redis>=5"]
all = ["my-site[postgres,redis-cache]"]

[project.scripts]
mysite = "mysite.cli:main"

[project.gui-scripts]
mysite-gui = "mysite.gui:App.run"

[tool.sneakpack]
exclude = ["*.log", "media/", "**/tests/"]
post-install = [["python", "manage.py", "migrate"], ["python", "manage.py", "collectstatic", "--noinput"]]
data-dir-env = "MYSITE_DATA"
keep-releases = 5

[tool.other]
whatever = 1
`;

describe('readApp with pyproject.toml', () => {
  it('reads name, version, dependencies, requires-python, scripts and [tool.sneakpack]', async () => {
    const root = tree({ 'pyproject.toml': FULL });
    const app = await readApp(root);
    expect(app.dir).toBe(root);
    expect(app.name).toBe('My_Site');
    expect(app.normalizedName).toBe('my-site');
    expect(app.version.toString()).toBe('1.4.0');
    expect(app.requirements.map(String)).toEqual(['Django<5,>=4.2', 'gunicorn; sys_platform == "linux"']);
    expect(app.requirementOrigins[1]).toMatch(/pyproject\.toml \[project\] dependencies\[1\]$/);
    expect(app.constraints).toEqual([]);
    expect(app.extras).toEqual([]);
    expect(app.requiresPython?.toString()).toBe('>=3.9');
    expect(app.scripts).toEqual([
      { name: 'mysite', module: 'mysite.cli', attr: 'main', gui: false },
      { name: 'mysite-gui', module: 'mysite.gui', attr: 'App.run', gui: true },
    ]);
    expect(app.config).toEqual({
      exclude: ['*.log', 'media/', '**/tests/'],
      postInstall: [
        ['python', 'manage.py', 'migrate'],
        ['python', 'manage.py', 'collectstatic', '--noinput'],
      ],
      dataDirEnv: 'MYSITE_DATA',
      keepReleases: 5,
    });
    expect(app.sources).toEqual([join(root, 'pyproject.toml')]);
    expect(app.findLinks).toEqual([]);
    expect(app.pre).toBe(false);
    expect(app.hashes.size).toBe(0);
  });

  it('adds the chosen extras (normalised, self-references expanded), from options or [tool.sneakpack] extras', async () => {
    const root = tree({ 'pyproject.toml': FULL });
    const all = await readApp(root, { extras: ['all'] });
    expect(all.extras).toEqual(['all']);
    expect(all.requirements.map(String)).toEqual(['Django<5,>=4.2', 'gunicorn; sys_platform == "linux"', 'psycopg[binary]>=3.1', 'redis>=5']);
    const one = await readApp(root, { extras: ['REDIS.cache'] });
    expect(one.extras).toEqual(['redis-cache']);
    expect(one.requirements.map(String).slice(2)).toEqual(['redis>=5']);
    const fromConfig = tree({ 'pyproject.toml': FULL.replace('keep-releases = 5', 'keep-releases = 5\nextras = ["postgres"]') });
    expect((await readApp(fromConfig)).requirements.map(String).slice(2)).toEqual(['psycopg[binary]>=3.1']);
    // Options win over the config, even when empty.
    expect((await readApp(fromConfig, { extras: [] })).requirements).toHaveLength(2);
  });

  it('fills [tool.sneakpack] defaults', async () => {
    const root = tree({ 'pyproject.toml': '[project]\nname = "a"\nversion = "1"\n' });
    const app = await readApp(root);
    expect(app.config).toEqual({ exclude: [], postInstall: [], dataDirEnv: DEFAULT_DATA_DIR_ENV, keepReleases: DEFAULT_KEEP_RELEASES });
    expect(DEFAULT_DATA_DIR_ENV).toBe('SNEAKPACK_DATA_DIR');
    expect(app.requiresPython).toBeNull();
  });

  it('takes --version for a dynamic version, and lets --name/--version override', async () => {
    const root = tree({ 'pyproject.toml': '[project]\nname = "a"\ndynamic = ["version"]\ndependencies = ["b"]\n' });
    const e = await failure(readApp(root));
    expect(e.code).toBe('USAGE');
    expect(e.message).toContain('pyproject.toml');
    expect(e.message).toContain('--version');
    const app = await readApp(root, { version: '2.0+build.7', name: 'Other' });
    expect(app.version.toString()).toBe('2.0+build.7');
    expect(app.normalizedName).toBe('other');
    expect((await failure(readApp(root, { version: 'not a version' }))).code).toBe('INVALID_VERSION');
    expect((await failure(readApp(root, { version: '1', name: '-bad-' }))).code).toBe('INVALID_NAME');
  });

  it('uses requirements files instead of [project] dependencies when they are given', async () => {
    const root = tree({
      'pyproject.toml': FULL,
      'requirements.lock': `django==4.2.11 --hash=sha256:${'1'.repeat(64)}\n-c pins.txt\n-f ./wheels\n`,
      'pins.txt': `sqlparse==0.5.0 --hash=sha256:${'2'.repeat(64)}\n`,
    });
    const app = await readApp(root, { requirementsFiles: ['requirements.lock'] });
    expect(app.name).toBe('My_Site');
    expect(app.scripts).toHaveLength(2);
    expect(app.requirements.map(String)).toEqual(['django==4.2.11']);
    expect(app.requirementOrigins).toEqual([`${join(root, 'requirements.lock')} line 1`]);
    expect(app.constraints.map(String)).toEqual(['sqlparse==0.5.0']);
    expect(app.findLinks).toEqual([join(root, 'wheels')]);
    expect(app.requireHashes).toBe(true);
    expect([...app.hashes]).toEqual([
      ['django', [`sha256:${'1'.repeat(64)}`]],
      ['sqlparse', [`sha256:${'2'.repeat(64)}`]],
    ]);
    expect(app.sources).toEqual([join(root, 'pyproject.toml'), join(root, 'requirements.lock'), join(root, 'pins.txt')]);
    // Extras select optional-dependencies, which requirements files replace.
    const e = await failure(readApp(root, { requirementsFiles: ['requirements.lock'], extras: ['postgres'] }));
    expect(e.code).toBe('USAGE');
  });

  it('reads an app without [project] from requirements.txt with --name and --version', async () => {
    const root = tree({
      'requirements.txt': '--pre\n--extra-index-url https://extra/simple\nflask>=3\n',
      'pyproject.toml': '[tool.sneakpack]\ndata-dir-env = "FLASK_DATA"\n',
    });
    const app = await readApp(root, { name: 'flaskapp', version: '0.1' });
    expect(app.requirements.map(String)).toEqual(['flask>=3']);
    expect(app.pre).toBe(true);
    expect(app.extraIndexUrls).toEqual(['https://extra/simple']);
    expect(app.config.dataDirEnv).toBe('FLASK_DATA');
    expect(app.scripts).toEqual([]);
    expect((await failure(readApp(root, { version: '0.1' }))).code).toBe('USAGE');
    expect((await failure(readApp(root, { name: 'x' }))).code).toBe('USAGE');
  });

  it('without pyproject.toml and requirements.txt, says what is missing', async () => {
    const root = tree({ 'app.py': 'print(1)\n' });
    const e = await failure(readApp(root, { name: 'a', version: '1' }));
    expect(e.code).toBe('FILE_NOT_FOUND');
    expect(e.message).toContain('requirements.txt');
    expect((await failure(readApp(join(root, 'nope')))).code).toBe('FILE_NOT_FOUND');
  });

  // [what, pyproject text, options, code, text the message must contain]
  const BAD: [string, string, ReadAppOptions, ErrorCode, string][] = [
    ['unknown extra (option)', FULL, { extras: ['mysql'] }, 'USAGE', 'mysql'],
    ['unknown extra (config)', FULL.replace('keep-releases = 5', 'keep-releases = 5\nextras = ["mysql"]'), {}, 'INVALID_PYPROJECT', '[tool.sneakpack] extras'],
    ['dynamic dependencies', '[project]\nname = "a"\nversion = "1"\ndynamic = ["dependencies"]\n', {}, 'INVALID_PYPROJECT', 'dependencies'],
    ['self-reference with a version', '[project]\nname = "a"\nversion = "1"\n[project.optional-dependencies]\nx = ["a[y]>=1"]\ny = []\n', { extras: ['x'] }, 'USAGE', 'optional-dependencies.x[0]'],
  ];
  it.each(BAD)('refuses %s', async (_what, text, options, code, mention) => {
    const root = tree({ 'pyproject.toml': text });
    const e = await failure(readApp(root, options));
    expect(e.code).toBe(code);
    expect(e.message).toContain(mention);
  });
});

describe('parsePyproject errors name the file and the field', () => {
  const P = (body: string): string => `[project]\nname = "a"\nversion = "1"\n${body}`;
  const CASES: [string, string, ErrorCode, string][] = [
    ['TOML syntax', '[project\nname = "a"', 'INVALID_PYPROJECT', 'line 1'],
    ['[project] not a table', 'project = 1', 'INVALID_PYPROJECT', '[project]'],
    ['missing name', '[project]\nversion = "1"', 'INVALID_PYPROJECT', 'name'],
    ['name not a string', '[project]\nname = 1\nversion = "1"', 'INVALID_PYPROJECT', 'name'],
    ['invalid name', '[project]\nname = "-x"\nversion = "1"', 'INVALID_NAME', '[project] name'],
    ['missing version', '[project]\nname = "a"', 'INVALID_PYPROJECT', 'version'],
    ['invalid version', '[project]\nname = "a"\nversion = "one"', 'INVALID_VERSION', '[project] version'],
    ['dynamic name', '[project]\nname = "a"\nversion = "1"\ndynamic = ["name"]', 'INVALID_PYPROJECT', 'dynamic'],
    ['dynamic and given', '[project]\nname = "a"\nversion = "1"\ndynamic = ["version"]', 'INVALID_PYPROJECT', 'version'],
    ['dependencies not an array', P('dependencies = "django"'), 'INVALID_PYPROJECT', 'dependencies'],
    ['dependency not a string', P('dependencies = ["a", 2]'), 'INVALID_PYPROJECT', 'dependencies[1]'],
    ['bad dependency', P('dependencies = ["ok", "django>=", "x"]'), 'INVALID_REQUIREMENT', 'dependencies[1]'],
    ['URL dependency', P('dependencies = ["x @ https://e/x-1-py3-none-any.whl"]'), 'UNSUPPORTED_REQUIREMENT', 'dependencies[0]'],
    ['bad optional dependency', P('[project.optional-dependencies]\npg = ["psycopg>>3"]'), 'INVALID_REQUIREMENT', 'optional-dependencies.pg[0]'],
    ['bad extra name', P('[project.optional-dependencies]\n"-pg" = []'), 'INVALID_NAME', 'optional-dependencies'],
    ['extras equal once normalised', P('[project.optional-dependencies]\nA_b = []\na-B = []'), 'INVALID_PYPROJECT', 'PEP 685'],
    ['bad requires-python', P('requires-python = ">=3.x"'), 'INVALID_SPECIFIER', 'requires-python'],
    ['script with a slash', P('[project.scripts]\n"bin/x" = "m:f"'), 'INVALID_PYPROJECT', 'scripts'],
    ['script with ..', P('[project.scripts]\n".." = "m:f"'), 'INVALID_PYPROJECT', 'scripts'],
    ['script without a function', P('[project.scripts]\nx = "m"'), 'INVALID_PYPROJECT', 'scripts."x"'],
    ['script not a reference', P('[project.scripts]\nx = "m:f g"'), 'INVALID_ENTRY_POINTS', 'scripts."x"'],
    ['script with extras', P('[project.scripts]\nx = "m:f [e]"'), 'INVALID_PYPROJECT', 'extras'],
    ['script in both tables', P('[project.scripts]\nx = "m:f"\n[project.gui-scripts]\nx = "m:g"'), 'INVALID_PYPROJECT', 'gui-scripts'],
    ['unknown [tool.sneakpack] key (typo)', P('[tool.sneakpack]\npost_install = []'), 'INVALID_PYPROJECT', 'did you mean "post-install"'],
    ['unknown [tool.sneakpack] key', P('[tool.sneakpack]\ncolour = "red"'), 'INVALID_PYPROJECT', 'colour'],
    ['[tool.sneakpack] not a table', P('[tool]\nsneakpack = 3'), 'INVALID_PYPROJECT', '[tool.sneakpack]'],
    ['exclude not an array', P('[tool.sneakpack]\nexclude = "*.log"'), 'INVALID_PYPROJECT', 'exclude'],
    ['exclude with ..', P('[tool.sneakpack]\nexclude = ["ok", "../x"]'), 'INVALID_PYPROJECT', 'exclude[1]'],
    ['empty exclude', P('[tool.sneakpack]\nexclude = [""]'), 'INVALID_PYPROJECT', 'exclude[0]'],
    ['post-install as a string', P('[tool.sneakpack]\npost-install = ["python manage.py migrate"]'), 'INVALID_PYPROJECT', '["python","manage.py","migrate"]'],
    ['post-install empty argv', P('[tool.sneakpack]\npost-install = [[]]'), 'INVALID_PYPROJECT', 'post-install[0]'],
    ['post-install non-string arg', P('[tool.sneakpack]\npost-install = [["a", 1]]'), 'INVALID_PYPROJECT', 'post-install[0][1]'],
    ['post-install not an array', P('[tool.sneakpack]\npost-install = "x"'), 'INVALID_PYPROJECT', 'post-install'],
    ['bad data-dir-env', P('[tool.sneakpack]\ndata-dir-env = "MY-DATA"'), 'INVALID_PYPROJECT', 'data-dir-env'],
    ['keep-releases zero', P('[tool.sneakpack]\nkeep-releases = 0'), 'INVALID_PYPROJECT', 'keep-releases'],
    ['keep-releases one (the box keeps at least two)', P('[tool.sneakpack]\nkeep-releases = 1'), 'INVALID_PYPROJECT', 'keep-releases'],
    ['keep-releases float', P('[tool.sneakpack]\nkeep-releases = 2.5'), 'INVALID_PYPROJECT', 'keep-releases'],
    ['keep-releases string', P('[tool.sneakpack]\nkeep-releases = "3"'), 'INVALID_PYPROJECT', 'keep-releases'],
    ['keep-releases huge', P('[tool.sneakpack]\nkeep-releases = 99999999999999999999'), 'INVALID_PYPROJECT', 'keep-releases'],
    ['bad config extra', P('[tool.sneakpack]\nextras = ["ok", "no good"]'), 'INVALID_NAME', 'extras[1]'],
  ];
  it.each(CASES)('%s', (_what, text, code, mention) => {
    let error: SneakpackError | null = null;
    try {
      parsePyproject(text, '/apps/site/pyproject.toml');
    } catch (e) {
      if (!(e instanceof SneakpackError)) throw e;
      error = e;
    }
    expect(error?.code).toBe(code);
    expect(error!.message).toContain('/apps/site/pyproject.toml');
    expect(error!.message).toContain(mention);
  });

  it('accepts a project without [project] (tool config only) and without [tool.sneakpack]', () => {
    expect(parsePyproject('[tool.poetry]\nname = "x"\n').project).toBeNull();
    expect(parsePyproject('[project]\nname = "x"\nversion = "1"\n').config.keepReleases).toBe(DEFAULT_KEEP_RELEASES);
  });
});
