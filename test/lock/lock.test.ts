/**
 * PEP 751 lock files: the exact bytes written, determinism, round trips, every error naming the
 * file/package/field, the target check — and a differential check against the reference readers:
 * Python's `tomllib` (the TOML is valid and means what we meant) and packaging 26.2's
 * `packaging.pylock` (`Pylock.from_dict` accepts what we write, rejects whatever we reject, and
 * `select()` picks the same wheels for the target that `lockMatchesTarget` does).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseTomlRaw, stringify } from 'smol-toml';
import { beforeAll, describe, expect, it } from 'vitest';
import { SneakpackError } from '../../src/errors.js';
import {
  assertLockMatchesTarget,
  createLock,
  lockMatchesTarget,
  parseLock,
  targetEnvironmentMarker,
  targetTagsDigest,
  writeLock,
  type Lock,
  type LockPackage,
} from '../../src/lock/index.js';
import { parseSpecifierSet, parseVersion } from '../../src/pep440/index.js';
import { parseMarker } from '../../src/pep508/index.js';
import { resolveTarget } from '../../src/target/index.js';
import { Rng } from '../helpers/random.js';

/** CPython 3.11 with tomllib and packaging 26.2 (which has `packaging.pylock`). */
function pylockPython(): string {
  const fromEnv = process.env.SNEAKPACK_PYLOCK_PYTHON;
  if (fromEnv) return fromEnv;
  const candidate = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions', '3.11.7', 'bin', 'python3');
  if (!existsSync(candidate)) throw new Error(`${candidate} not found; set SNEAKPACK_PYLOCK_PYTHON to a Python with packaging>=25.1`);
  return candidate;
}

function runPylock<T>(script: string, input: unknown): T {
  const prelude = 'import sys, json, tomllib\nfrom packaging import pylock, tags as ptags, markers as pmarkers\nINPUT = json.load(sys.stdin)\n';
  const out = execFileSync(pylockPython(), ['-c', prelude + script], {
    input: JSON.stringify(input),
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' },
  });
  return JSON.parse(out.toString('utf8')) as T;
}

const sha = (c: string): string => c.repeat(64);
const TARGET = resolveTarget('cp311-manylinux_2_36_armv7l');

function pkg(name: string, version: string, wheels: string[], extra: Partial<LockPackage> = {}): LockPackage {
  return {
    name,
    version: parseVersion(version),
    marker: null,
    requiresPython: null,
    dependencies: [],
    wheels: wheels.map((w, i) => ({
      name: w,
      url: `https://files.example.org/packages/${i}/${w}`,
      size: 1000 + w.length,
      hashes: { sha256: sha(((w.length + i) % 10).toString()) },
    })),
    ...extra,
  };
}

const PACKAGES: LockPackage[] = [
  pkg('django', '4.2.11', ['Django-4.2.11-py3-none-any.whl'], {
    requiresPython: parseSpecifierSet('>=3.8'),
    dependencies: [{ name: 'sqlparse' }, { name: 'asgiref', version: '3.8.1' }],
    index: 'https://pypi.org/simple/',
  }),
  pkg('asgiref', '3.8.1', ['asgiref-3.8.1-py3-none-any.whl']),
  pkg('sqlparse', '0.5.0', ['sqlparse-0.5.0-py3-none-any.whl']),
  pkg('psycopg-binary', '3.1.18', [
    'psycopg_binary-3.1.18-cp311-cp311-manylinux_2_17_aarch64.manylinux2014_aarch64.whl',
    'psycopg_binary-3.1.18-cp311-cp311-manylinux_2_17_armv7l.manylinux2014_armv7l.whl',
  ]),
  pkg('tzdata', '2024.1', ['tzdata-2024.1-py2.py3-none-any.whl'], { marker: parseMarker('sys_platform == "win32"') }),
  {
    ...pkg('local-lib', '1.0', []),
    wheels: [{ name: 'local_lib-1.0-py3-none-any.whl', path: 'wheels/local_lib-1.0-py3-none-any.whl', hashes: { sha256: sha('e'), sha512: 'f'.repeat(128) } }],
  },
];

function makeLock(packages = PACKAGES): Lock {
  return createLock({
    target: TARGET,
    packages,
    extras: ['postgres'],
    requirements: ['django>=4.2', 'psycopg[binary]'],
    constraints: ['sqlparse<1'],
  });
}

const EXPECTED_HEAD = `lock-version = "1.0"
environments = ['implementation_name == "cpython" and platform_python_implementation == "CPython" and python_version == "3.11" and os_name == "posix" and sys_platform == "linux" and platform_system == "Linux" and platform_machine == "armv7l"']
requires-python = "==3.11.*"
created-by = "sneakpack"

[[packages]]
name = "asgiref"
version = "3.8.1"

[[packages.wheels]]
name = "asgiref-3.8.1-py3-none-any.whl"
url = "https://files.example.org/packages/0/asgiref-3.8.1-py3-none-any.whl"
size = 1030
hashes = {sha256 = "0000000000000000000000000000000000000000000000000000000000000000"}

[[packages]]
name = "django"
version = "4.2.11"
requires-python = ">=3.8"
dependencies = [
    {name = "asgiref", version = "3.8.1"},
    {name = "sqlparse"},
]
index = "https://pypi.org/simple/"
`;

const EXPECTED_TAIL = `[tool.sneakpack]
extras = ["postgres"]
requirements = ["django>=4.2", "psycopg[binary]"]
constraints = ["sqlparse<1"]

[tool.sneakpack.target]
name = "cp311-manylinux_2_36_armv7l"
compact = "cp311-manylinux_2_36_armv7l"
python = "3.11"
tags-sha256 = "${targetTagsDigest(TARGET.tags)}"
`;

describe('writeLock', () => {
  it('writes the spec layout: keys in spec order, sorted packages, inline hashes, [tool.sneakpack] last', () => {
    const text = writeLock(makeLock());
    expect(text.startsWith(EXPECTED_HEAD)).toBe(true);
    expect(text.endsWith(EXPECTED_TAIL)).toBe(true);
    expect([...text.matchAll(/^name = "([^"]+)"\nversion/gm)].map((m) => m[1])).toEqual([
      'asgiref', 'django', 'local-lib', 'psycopg-binary', 'sqlparse', 'tzdata',
    ]);
    expect(text).toContain('path = "wheels/local_lib-1.0-py3-none-any.whl"\nhashes = {sha256 = "' + sha('e') + '", sha512 = "' + 'f'.repeat(128) + '"}');
    expect(text).toContain(`marker = 'sys_platform == "win32"'`);
    expect(text).not.toMatch(/upload-time|\d{4}-\d\d-\d\dT/);
  });

  it('is deterministic: any input order gives the same bytes', () => {
    const rng = new Rng(7510);
    const shuffle = <T>(a: readonly T[]): T[] => {
      const out = [...a];
      for (let i = out.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [out[i], out[j]] = [out[j]!, out[i]!];
      }
      return out;
    };
    const reference = writeLock(makeLock());
    for (let round = 0; round < 20; round++) {
      const packages = shuffle(PACKAGES).map((p) => ({
        ...p,
        dependencies: shuffle(p.dependencies),
        wheels: shuffle(p.wheels).map((w) => ({ ...w, hashes: Object.fromEntries(shuffle(Object.entries(w.hashes))) })),
      }));
      expect(writeLock(makeLock(packages))).toBe(reference);
    }
  });

  it('round-trips: parse(write(lock)) writes the same bytes and keeps every value', () => {
    const text = writeLock(makeLock());
    const lock = parseLock(text, 'pylock.toml');
    expect(writeLock(lock)).toBe(text);
    expect(lock.lockVersion).toBe('1.0');
    expect(lock.createdBy).toBe('sneakpack');
    expect(lock.requiresPython?.toString()).toBe('==3.11.*');
    expect(lock.environments.map(String)).toEqual([targetEnvironmentMarker(TARGET).toString()]);
    const django = lock.packages.find((p) => p.name === 'django')!;
    expect(django.version.toString()).toBe('4.2.11');
    expect(django.requiresPython?.toString()).toBe('>=3.8');
    expect(django.index).toBe('https://pypi.org/simple/');
    expect(django.dependencies).toEqual([{ name: 'asgiref', version: '3.8.1' }, { name: 'sqlparse' }]);
    expect(lock.sneakpack).toEqual({
      target: { name: TARGET.name, compact: TARGET.compact, python: '3.11', tagsSha256: targetTagsDigest(TARGET.tags) },
      extras: ['postgres'],
      requirements: ['django>=4.2', 'psycopg[binary]'],
      constraints: ['sqlparse<1'],
    });
  });

  it('writes an empty lock (an app without dependencies) as packages = []', () => {
    const text = writeLock(makeLock([]));
    expect(text).toContain('\npackages = []\n');
    expect(parseLock(text).packages).toEqual([]);
  });

  it('escapes strings TOML needs escaped', () => {
    const lock = createLock({ target: TARGET, packages: [], requirements: ['a; extra == "x\'y"', 'back\\slash', 'tab\there', 'nul\u0000'] });
    const back = parseLock(writeLock(lock));
    expect(back.sneakpack!.requirements).toEqual(['a; extra == "x\'y"', 'back\\slash', 'tab\there', 'nul\u0000']);
  });

  it.each([
    ['a name that is not normalised', { ...PACKAGES[1]!, name: 'ASGIref' }],
    ['a wheel of another package', { ...PACKAGES[1]!, name: 'other' }],
    ['a wheel of another version', { ...PACKAGES[1]!, version: parseVersion('9') }],
    ['no wheels', { ...PACKAGES[1]!, wheels: [] }],
    ['no sha256', { ...PACKAGES[1]!, wheels: [{ ...PACKAGES[1]!.wheels[0]!, hashes: { sha512: 'f'.repeat(128) } }] }],
    ['url and path', { ...PACKAGES[1]!, wheels: [{ ...PACKAGES[1]!.wheels[0]!, path: 'x.whl' }] }],
    ['neither url nor path', { ...PACKAGES[1]!, wheels: [{ name: PACKAGES[1]!.wheels[0]!.name, hashes: { sha256: sha('1') } }] }],
  ])('refuses to write %s', (_what, bad) => {
    expect(() => writeLock(makeLock([PACKAGES[0]!, bad as LockPackage]))).toThrow(expect.objectContaining({ code: 'INVALID_LOCK' }));
  });

  it('refuses to write the same package twice', () => {
    expect(() => writeLock(makeLock([PACKAGES[1]!, PACKAGES[1]!]))).toThrow(expect.objectContaining({ code: 'INVALID_LOCK' }));
  });
});

describe('parseLock errors name the file, the package and the field', () => {
  const GOOD = writeLock(makeLock());
  const edit = (from: string, to: string): string => {
    if (!GOOD.includes(from)) throw new Error(`fixture does not contain ${from}`);
    return GOOD.replace(from, to);
  };
  const CASES: [string, string, string][] = [
    ['TOML syntax', GOOD + '\n[[packages]\n', 'not valid TOML'],
    ['lock-version missing', edit('lock-version = "1.0"\n', ''), 'lock-version'],
    ['lock-version 2', edit('lock-version = "1.0"', 'lock-version = "2.0"'), 'lock-version'],
    ['lock-version not a string', edit('lock-version = "1.0"', 'lock-version = 1.0'), 'lock-version'],
    ['created-by missing', edit('created-by = "sneakpack"\n', ''), 'created-by'],
    ['unknown top-level key', edit('created-by = "sneakpack"\n', 'created-by = "sneakpack"\ncreated-on = "today"\n'), 'created-on'],
    ['bad environment marker', edit("environments = ['", "environments = ['python_versio == \"3\" and "), 'environments[0]'],
    ['bad requires-python', edit('requires-python = "==3.11.*"', 'requires-python = "=>3"'), 'requires-python'],
    ['multi-use extras', edit('created-by = "sneakpack"\n', 'extras = ["pg"]\ncreated-by = "sneakpack"\n'), 'extras'],
    ['packages missing', GOOD.slice(0, GOOD.indexOf('[[packages]]')).replace('created-by', 'created-by') + '', 'packages'],
    ['name not normalised', edit('name = "asgiref"\nversion', 'name = "ASGIref"\nversion'), 'packages[0].name'],
    ['version missing', edit('name = "asgiref"\nversion = "3.8.1"\n', 'name = "asgiref"\n'), 'packages[0] (asgiref).version'],
    ['bad version', edit('version = "3.8.1"', 'version = "3.8.1-x-y"'), 'packages[0] (asgiref).version'],
    ['bad marker', edit(`marker = 'sys_platform == "win32"'`, `marker = 'sys_platform = "win32"'`), '(tzdata).marker'],
    ['unknown package key', edit('name = "asgiref"\n', 'name = "asgiref"\nsummary = "x"\n'), 'packages[0].summary'],
    ['vcs source', edit('name = "asgiref"\nversion = "3.8.1"\n', 'name = "asgiref"\nversion = "3.8.1"\nvcs = {type = "git", url = "x", commit-id = "y"}\n'), '(asgiref).vcs'],
    ['wheel of another package', edit('name = "asgiref-3.8.1-py3-none-any.whl"', 'name = "other-3.8.1-py3-none-any.whl"'), '(asgiref).wheels[0]'],
    ['wheel of another version', edit('name = "asgiref-3.8.1-py3-none-any.whl"', 'name = "asgiref-3.9-py3-none-any.whl"'), '(asgiref).wheels[0]'],
    ['bad wheel file name', edit('name = "asgiref-3.8.1-py3-none-any.whl"', 'name = "asgiref-3.8.1.zip"'), '(asgiref).wheels[0]'],
    ['no sha256', edit(`hashes = {sha256 = "${sha('0')}"}`, `hashes = {md5 = "abcd"}`), '(asgiref).wheels[0].hashes'],
    ['empty hashes', edit(`hashes = {sha256 = "${sha('0')}"}`, 'hashes = {}'), '(asgiref).wheels[0].hashes'],
    ['short sha256', edit(`hashes = {sha256 = "${sha('0')}"}`, 'hashes = {sha256 = "abc"}'), 'wheels[0].hashes.sha256'],
    ['upper-case hash', edit(`hashes = {sha256 = "${sha('0')}"}`, `hashes = {sha256 = "${'A'.repeat(64)}"}`), 'wheels[0].hashes.sha256'],
    ['no url or path', edit('url = "https://files.example.org/packages/0/asgiref-3.8.1-py3-none-any.whl"\n', ''), '(asgiref).wheels[0]'],
    ['negative size', edit('size = 1030', 'size = -1'), 'wheels[0].size'],
    ['size as a string', edit('size = 1030', 'size = "1030"'), 'wheels[0].size'],
    ['upload-time as a string', edit('size = 1030', 'size = 1030\nupload-time = "yesterday"'), 'upload-time'],
    ['unknown wheel key', edit('size = 1030', 'size = 1030\nmirror = "x"'), 'wheels[0].mirror'],
    ['no wheels', edit('[[packages.wheels]]\nname = "asgiref', '[packages.tool.x]\nname = "asgiref'), '(asgiref).wheels'],
    ['duplicate package', GOOD.replace('[tool.sneakpack]', '[[packages]]\nname = "asgiref"\nversion = "3.8.1"\n[[packages.wheels]]\nname = "asgiref-3.8.1-py3-none-any.whl"\npath = "a.whl"\nhashes = {sha256 = "' + sha('1') + '"}\n\n[tool.sneakpack]'), 'already locked'],
    ['dependency value not a string', edit('{name = "sqlparse"}', '{name = "sqlparse", optional = true}'), 'dependencies[1].optional'],
    ['tool.sneakpack unknown key', edit('extras = ["postgres"]', 'extras = ["postgres"]\nextra = []'), 'tool.sneakpack.extra'],
    ['tool.sneakpack target missing', GOOD.slice(0, GOOD.indexOf('[tool.sneakpack.target]')), 'tool.sneakpack.target'],
    ['bad tags digest', edit(`tags-sha256 = "${targetTagsDigest(TARGET.tags)}"`, 'tags-sha256 = "xyz"'), 'tags-sha256'],
  ];
  it.each(CASES)('%s', (_what, text, field) => {
    let error: SneakpackError | null = null;
    try {
      parseLock(text, '/apps/site/pylock.toml');
    } catch (e) {
      if (!(e instanceof SneakpackError)) throw e;
      error = e;
    }
    expect(error?.code).toBe('INVALID_LOCK');
    expect(error!.message).toContain('/apps/site/pylock.toml');
    expect(error!.message).toContain(field);
  });

  it('accepts what the spec allows and sneakpack ignores: a newer 1.x with new keys, sdists, upload-time, attestations', () => {
    const text = GOOD.replace('lock-version = "1.0"', 'lock-version = "1.1"\nnew-key = 1')
      .replace('size = 1030', 'size = 1030\nupload-time = 2025-01-25T11:30:10Z')
      .replace(
        'name = "asgiref"\nversion = "3.8.1"\n',
        `name = "asgiref"\nversion = "3.8.1"\nsdist = {name = "asgiref-3.8.1.tar.gz", url = "https://x/asgiref-3.8.1.tar.gz", hashes = {sha256 = "${sha('2')}"}}\n` +
          'attestation-identities = [{kind = "GitHub", repository = "django/asgiref"}]\n',
      );
    const lock = parseLock(text);
    expect(lock.lockVersion).toBe('1.1');
    expect(lock.packages.find((p) => p.name === 'asgiref')!.wheels).toHaveLength(1);
  });
});

describe('lockMatchesTarget', () => {
  const lock = parseLock(writeLock(makeLock()));

  it('accepts the target it was made for and selects the best wheel per package', () => {
    const check = lockMatchesTarget(lock, TARGET);
    expect(check.problems).toEqual([]);
    expect(check.ok).toBe(true);
    expect(Object.fromEntries(check.selected)).toEqual({
      asgiref: 'asgiref-3.8.1-py3-none-any.whl',
      django: 'Django-4.2.11-py3-none-any.whl',
      'local-lib': 'local_lib-1.0-py3-none-any.whl',
      'psycopg-binary': 'psycopg_binary-3.1.18-cp311-cp311-manylinux_2_17_armv7l.manylinux2014_armv7l.whl',
      sqlparse: 'sqlparse-0.5.0-py3-none-any.whl',
    });
    // The same box described another way (a preset with the micro version) has the same tags.
    expect(lockMatchesTarget(lock, resolveTarget('debian12-armhf')).ok).toBe(true);
  });

  it('reports a different C library through the tags digest', () => {
    const check = lockMatchesTarget(lock, resolveTarget('cp311-manylinux_2_31_armv7l'));
    expect(check.ok).toBe(false);
    expect(check.problems).toHaveLength(1);
    expect(check.problems[0]).toMatch(/cp311-manylinux_2_36_armv7l.*cp311-manylinux_2_31_armv7l.*tags differ/);
  });

  it('reports every problem for another machine and Python', () => {
    const check = lockMatchesTarget(lock, resolveTarget('cp312-manylinux_2_36_aarch64'));
    expect(check.ok).toBe(false);
    const text = check.problems.join('\n');
    expect(text).toContain('tags differ');
    expect(text).toContain('requires-python "==3.11.*" excludes');
    expect(text).toContain('none of the lock\'s environments holds');
    expect(text).toContain('psycopg-binary 3.1.18: no wheel fits');
    expect(() => assertLockMatchesTarget(lock, resolveTarget('cp312-manylinux_2_36_aarch64'), '/x/pylock.toml')).toThrow(
      expect.objectContaining({ code: 'LOCK_MISMATCH', message: expect.stringContaining('/x/pylock.toml') }),
    );
  });

  it('reports a package whose requires-python the target does not meet', () => {
    const bad = makeLock([pkg('new', '1.0', ['new-1.0-py3-none-any.whl'], { requiresPython: parseSpecifierSet('>=3.12') })]);
    expect(lockMatchesTarget(bad, TARGET).problems).toEqual(['new 1.0 requires Python ">=3.12", the target has 3.11']);
  });

  it('reports a lock made by another tool (no [tool.sneakpack.target])', () => {
    const foreign: Lock = { ...lock, createdBy: 'uv', sneakpack: null };
    const check = lockMatchesTarget(parseLock(writeLock(foreign)), TARGET);
    expect(check.problems).toEqual([expect.stringContaining('no [tool.sneakpack.target] (created by uv)')]);
  });

  it('reports an environment marker the target cannot decide', () => {
    const odd: Lock = { ...lock, environments: [parseMarker('platform_release >= "6"')] };
    expect(lockMatchesTarget(odd, TARGET).problems).toEqual([expect.stringContaining('platform_release')]);
  });
});

// ---------------------------------------------------------------------------------------------
// Differential: tomllib and packaging.pylock (packaging 26.2)

const rng = new Rng(751);
type Doc = Record<string, unknown>;

/** A random valid lock: 0–6 packages drawn from a pool, random optional fields. */
function randomLock(): Lock {
  const pool = [...PACKAGES, pkg('numpy', '1.26.4', ['numpy-1.26.4-cp311-cp311-manylinux_2_17_armv7l.manylinux2014_armv7l.whl', 'numpy-1.26.4-cp312-cp312-musllinux_1_1_x86_64.whl']), pkg('six', '1.16.0', ['six-1.16.0-py2.py3-none-any.whl'], { marker: parseMarker('python_version >= "3"') })];
  const chosen = pool.filter(() => rng.chance(0.6));
  return createLock({ target: TARGET, packages: chosen, extras: rng.chance(0.5) ? ['postgres', 'redis'] : [], requirements: ['django'] });
}

/** Mutate a lock document in one of many ways, most of which make it invalid. */
function mutate(doc: Doc): string {
  const d = structuredClone(doc) as Doc;
  const packages = (d.packages as Doc[]) ?? [];
  const p = packages.length > 0 ? rng.pick(packages) : null;
  const w = p && Array.isArray(p.wheels) && (p.wheels as Doc[]).length > 0 ? rng.pick(p.wheels as Doc[]) : null;
  const choices: (() => string)[] = [
    () => 'unchanged',
    () => ((d.tool = { ...(d.tool as Doc), other: { x: 1 } }), 'another tool'),
    () => (p ? ((p.index = 'https://mirror.example/simple/'), 'index') : 'noop'),
    () => ((d['lock-version'] = rng.pick(['2.0', '0.9', '1', '1.0.0', 'x', '1.0a1'])), 'lock-version'),
    () => (delete d['lock-version'], 'no lock-version'),
    () => (delete d['created-by'], 'no created-by'),
    () => ((d['created-by'] = 3), 'created-by int'),
    () => ((d.environments = [rng.pick(['python_version >= "3"', 'bad marker', 'os_name == "nt"'])]), 'environments'),
    () => ((d.environments = 'python_version >= "3"'), 'environments str'),
    () => ((d['requires-python'] = rng.pick(['>=3.8', '=>3', '==3.11.*', ''])), 'requires-python'),
    () => (delete d.packages, 'no packages'),
    () => ((d.packages = {}), 'packages table'),
    () => ((d.extras = rng.pick([[], ['Not_Normal'], ['pg']])), 'extras'),
    () => (p ? ((p.name = rng.pick(['Django', 'dj--ango', 'django_x', p.name as string, ''])), 'name') : 'noop'),
    () => (p ? (delete p.name, 'no name') : 'noop'),
    () => (p ? ((p.version = rng.pick(['1.0', 'x', '4.2.11', ''])), 'version') : 'noop'),
    () => (p ? ((p.marker = rng.pick(['os_name == "posix"', 'os_name === "x"', ''])), 'marker') : 'noop'),
    () => (p ? ((p['requires-python'] = rng.pick(['>=3.8', '>=x', 3])), 'package requires-python') : 'noop'),
    () => (p ? ((p.wheels = []), 'no wheels') : 'noop'),
    () => (p ? ((p.archive = { url: 'https://x/a.zip', hashes: { sha256: sha('1') } }), 'archive') : 'noop'),
    () => (p ? ((p.directory = { path: '.' }), 'directory') : 'noop'),
    () => (p ? ((p.dependencies = rng.pick([[{ name: 'x' }], 'x', [1]])), 'dependencies') : 'noop'),
    () => (w ? (delete w.hashes, 'no hashes') : 'noop'),
    () => (w ? ((w.hashes = rng.pick([{}, { sha256: 5 }, { sha256: sha('a') }, { md5: 'ab' }])), 'hashes') : 'noop'),
    () => (w ? (delete w.url, delete w.path, 'no url/path') : 'noop'),
    () => (w ? ((w.size = rng.pick([-1, '5', 5, 2.5])), 'size') : 'noop'),
    () => (w ? ((w.name = rng.pick(['bad.whl', 'django-4.2.11-py3-none-any.whl', 'x-1-py3-none-any.whl', 5])), 'wheel name') : 'noop'),
    () => (w ? (delete w.name, 'wheel name from url') : 'noop'),
    () => (w ? ((w['upload-time'] = rng.pick(['2024-01-01', new Date(0)])), 'upload-time') : 'noop'),
  ];
  rng.pick(choices)();
  return stringify(d);
}

interface PyResult {
  ok: boolean;
  error?: string;
  summary?: { names: string[]; versions: (string | null)[]; wheels: string[][]; hashes: Record<string, string>[][]; environments: string[]; requiresPython: string | null };
  selected?: Record<string, string> | string;
}

const PY = String.raw`
env = dict(pmarkers.default_environment())
env.update(INPUT['env'])
tags = [t for s in INPUT['tags'] for t in ptags.parse_tag(s)]
out = []
for text in INPUT['texts']:
    try:
        doc = tomllib.loads(text)
    except Exception as e:
        out.append({'ok': False, 'error': 'toml: %s' % e})
        continue
    try:
        lock = pylock.Pylock.from_dict(doc)
    except Exception as e:
        out.append({'ok': False, 'error': '%s: %s' % (type(e).__name__, e)})
        continue
    summary = {
        'names': [p.name for p in lock.packages],
        'versions': [str(p.version) if p.version else None for p in lock.packages],
        'wheels': [[w.filename for w in (p.wheels or [])] for p in lock.packages],
        'hashes': [[dict(w.hashes) for w in (p.wheels or [])] for p in lock.packages],
        'environments': [str(m) for m in (lock.environments or [])],
        'requiresPython': str(lock.requires_python) if lock.requires_python is not None else None,
    }
    try:
        selected = {p.name: w.filename for p, w in lock.select(environment=env, tags=tags)}
    except Exception as e:
        selected = '%s: %s' % (type(e).__name__, e)
    out.append({'ok': True, 'summary': summary, 'selected': selected})
print(json.dumps(out))
`;

describe('lock files vs tomllib and packaging.pylock (packaging 26.2)', () => {
  const valid = Array.from({ length: 60 }, () => writeLock(randomLock()));
  const mutated = Array.from({ length: 500 }, () => mutate(parseTomlDoc(rng.pick(valid))));
  let theirs: PyResult[];
  beforeAll(() => {
    theirs = runPylock<PyResult[]>(PY, {
      texts: [...valid, ...mutated],
      tags: TARGET.tags.map(String),
      env: { ...TARGET.markerEnvironment, python_full_version: '3.11.2', implementation_version: '3.11.2' },
    });
  });

  it(`every generated lock (${valid.length}) is valid TOML and a valid pylock whose values are ours, and select() agrees`, () => {
    const bad: unknown[] = [];
    valid.forEach((text, i) => {
      const t = theirs[i]!;
      const mine = parseLock(text);
      const expected = {
        names: mine.packages.map((p) => p.name),
        versions: mine.packages.map((p) => p.version.toString()),
        wheels: mine.packages.map((p) => p.wheels.map((w) => w.name)),
        hashes: mine.packages.map((p) => p.wheels.map((w) => ({ ...w.hashes }))),
        environments: mine.environments.map(String),
        requiresPython: mine.requiresPython?.toString() ?? null,
      };
      const check = lockMatchesTarget(mine, TARGET);
      if (!t.ok || JSON.stringify(t.summary) !== JSON.stringify(expected) || JSON.stringify(t.selected) !== JSON.stringify(Object.fromEntries(check.selected)) || !check.ok) {
        bad.push({ text, theirs: t, expected, selected: Object.fromEntries(check.selected), problems: check.problems });
      }
    });
    expect(bad.slice(0, 5)).toEqual([]);
  });

  it(`mutated locks (${mutated.length}): whatever packaging.pylock rejects, parseLock rejects; what parseLock accepts, packaging accepts`, () => {
    const bad: unknown[] = [];
    const stats = { bothReject: 0, bothAccept: 0, onlyWeReject: 0 };
    mutated.forEach((text, i) => {
      const t = theirs[valid.length + i]!;
      let ours: 'ok' | string = 'ok';
      try {
        parseLock(text, 'm.toml');
      } catch (e) {
        if (!(e instanceof SneakpackError) || e.code !== 'INVALID_LOCK') throw e;
        ours = e.message;
      }
      if (ours === 'ok' && !t.ok) bad.push({ text, theirs: t.error });
      else if (ours !== 'ok' && !t.ok) stats.bothReject++;
      else if (ours === 'ok') stats.bothAccept++;
      else stats.onlyWeReject++;
    });
    expect(bad.slice(0, 10)).toEqual([]);
    // Both sides must be exercised: shared rejections, shared acceptances, and our stricter rules.
    expect(stats.bothReject).toBeGreaterThan(150);
    expect(stats.bothAccept).toBeGreaterThan(50);
    expect(stats.onlyWeReject).toBeGreaterThan(8);
  });
});

function parseTomlDoc(text: string): Doc {
  // smol-toml's parse gives prototype-less tables; structuredClone needs plain ones.
  return JSON.parse(JSON.stringify(parseTomlRaw(text))) as Doc;
}
