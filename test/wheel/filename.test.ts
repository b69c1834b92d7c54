/**
 * Wheel file names and project-name normalisation, differential against packaging 24.1
 * (`utils.parse_wheel_filename`, `utils.canonicalize_name`): generated valid and broken names go
 * to Python in one call each and every answer must agree, apart from three documented refusals.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import { canonicalizeName, isValidName } from '../../src/pep508/index.js';
import { parseTag } from '../../src/tags/index.js';
import { compressTags, escapeWheelName, parseWheelFilename, wheelFilename } from '../../src/wheel/index.js';
import { runReference } from '../helpers/reference.js';
import { Rng } from '../helpers/random.js';

const rng = new Rng(427_2012);

const NAMES = [
  'foo', 'Foo', 'FOO', 'foo_bar', 'Foo_Bar', 'foo.bar', 'foo__bar', 'foo._bar', 'foo_', '_foo', '.foo', '',
  'a', 'A1', '1a', 'zope.interface', 'Django', 'ruamel.yaml', 'typing_extensions', 'foo+bar', 'foo bar',
  'foo!', 'é', 'naïve', 'Straße', '日本語', 'ΑΣ', 'İstanbul', 'ǅemal', 'ｆｕｌｌ', '١٢٣', 'Ⅻ', 'x²', 'e\u0301',
  'foo\n', 'foo\t', 'K', '_', '.', '__', 'a.b.c', 'a..b', 'A_B.C',
];
const VERSIONS = [
  '1.0', '1', '0.1.2', '1.0.post1', '2!1.0', '1.0+local', '1.0+local.7', 'v1.0', 'V1.0', '1.0rc1', '1.0RC1',
  '1.0.dev3', '1.0a', '1.0b2.post3.dev4', '1.0_1', 'bad', '', '1..0', ' 1.0', '1.0 ', '١.٠', '1.0.', '01.02',
  '1.0+abc_def', '1.0+', '1!', '1.0.post', '1.0c1', '1.0pre2', '1.0.r1',
];
const BUILDS = ['1', '12abc', '0', '007', '1_x', 'a1', '', '١', '٣x', '2.b', '99999999999', '1\n', 'x', '3 4'];
const TAGS = [
  'py3-none-any', 'py2.py3-none-any', 'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64',
  'CP311-ABI3-Win_AMD64', 'cp39.cp310-abi3-macosx_11_0_arm64', 'py3--any', 'py3-none-any.', '.py3-none-any',
  'py3-no ne-any', 'py3.py3-none-any', 'pp310-pypy310_pp73-linux_x86_64', 'py3-none-any.any',
  'cp38-cp38m-linux_i686', 'py3-none-musllinux_1_1_x86_64', 'py3-none-é', 'ｐｙ3-none-any',
];
const EXTENSIONS = ['.whl', '.whl', '.whl', '.whl', '.WHL', '', '.zip', '.whl.whl', '.tar.gz'];

function generateFilename(): string {
  // Mostly well-formed parts, so that both outcomes are common.
  const name = rng.chance(0.5) ? rng.pick(NAMES.slice(0, 10)) : rng.pick(NAMES);
  const version = rng.chance(0.5) ? rng.pick(VERSIONS.slice(0, 13)) : rng.pick(VERSIONS);
  const tags = rng.chance(0.5) ? rng.pick(TAGS.slice(0, 5)) : rng.pick(TAGS);
  const parts = [name, version];
  if (rng.chance(0.3)) parts.push(rng.pick(BUILDS));
  parts.push(tags);
  let stem = parts.join('-');
  const mutation = rng.int(0, 13);
  if (mutation === 0) stem = stem.replace(/-[^-]*$/, ''); // drop the platform
  else if (mutation === 1) stem += `-${rng.pick(['extra', 'any', ''])}`; // a surplus part
  else if (mutation === 2) stem = `${rng.pick(['foo', 'a-b', ''])}-${stem}`; // a dash in the name
  else if (mutation === 3) stem = stem.replace('-', rng.pick(['--', '_', '.'])); // mangle the first dash
  return stem + rng.pick(EXTENSIONS);
}

const filenames = new Set<string>();
while (filenames.size < 2500) filenames.add(generateFilename());
// Hand-picked corners, kept alongside the generated ones.
for (const f of [
  'foo-1.0-py3-none.whl', 'foo-1.0-1-py3-none-any.whl', 'foo-1.0-py3-none-any', 'foo-1.0-1-2-py3-none-any.whl',
  '-1.0-py3-none-any.whl', 'foo-1.0--py3-none-any.whl', 'foo-1.0-١٢x-py3-none-any.whl',
  'foo\n-1.0-py3-none-any.whl', 'Foo.Bar-1.0-py3-none-any.whl',
]) filenames.add(f);
const FILENAMES = [...filenames];

type Parsed = { name: string; version: string; build: [number, string] | null; tags: string[] };
type Outcome = ['ok', Parsed] | ['err', string];

const REF_FILENAMES = `
out = []
for f in INPUT:
    try:
        name, ver, build, tags = utils.parse_wheel_filename(f)
        out.append(['ok', {'name': name, 'version': str(ver), 'build': list(build) if build else None,
                           'tags': sorted(str(t) for t in tags)}])
    except utils.InvalidWheelFilename as e:
        out.append(['err', str(e)])
emit(out)
`;

function ours(filename: string): Outcome {
  try {
    const w = parseWheelFilename(filename);
    return [
      'ok',
      {
        name: w.normalizedName,
        version: w.version.toString(),
        build: w.buildTag ? [w.buildTag[0], w.buildTag[1]] : null,
        tags: w.tags.map(String).sort(),
      },
    ];
  } catch (e) {
    if (isSneakpackError(e, 'INVALID_WHEEL_FILENAME')) return ['err', e.message];
    throw e;
  }
}

/**
 * Where we refuse and packaging accepts, by design (see parseWheelFilename): an empty name part,
 * a name part ending in a newline, tag components that are empty or outside [A-Za-z0-9_].
 */
function refusedByDesign(filename: string): string | null {
  const parts = filename.slice(0, -4).split('-');
  if (parts[0] === '') return 'empty name';
  if (parts[0]!.endsWith('\n')) return 'name ending in newline';
  const tagParts = parts.slice(-3).join('-').split(/[-.]/);
  if (tagParts.some((c) => !/^[A-Za-z0-9_]+$/.test(c))) return 'tag component';
  return null;
}

describe('parseWheelFilename vs packaging.utils.parse_wheel_filename', () => {
  let reference: Outcome[];
  beforeAll(() => {
    reference = runReference<Outcome[]>(REF_FILENAMES, FILENAMES);
  });

  it(`agrees on ${FILENAMES.length} generated file names`, () => {
    const disagreements: unknown[] = [];
    const stats = { ok: 0, err: 0, refusedByDesign: 0 };
    FILENAMES.forEach((f, i) => {
      const theirs = reference[i]!;
      const mine = ours(f);
      if (mine[0] === 'err' && theirs[0] === 'ok') {
        const why = refusedByDesign(f);
        if (why) {
          stats.refusedByDesign++;
          return;
        }
      }
      if (mine[0] !== theirs[0] || (mine[0] === 'ok' && JSON.stringify(mine[1]) !== JSON.stringify(theirs[1]))) {
        disagreements.push({ filename: f, mine, theirs });
      }
      stats[mine[0]]++;
    });
    expect(disagreements.slice(0, 20)).toEqual([]);
    // The generator must exercise both sides (and the refusals) for this test to mean anything.
    expect(stats.ok).toBeGreaterThan(400);
    expect(stats.err).toBeGreaterThan(400);
    expect(stats.refusedByDesign).toBeGreaterThan(20);
  });
});

describe('parseWheelFilename', () => {
  it('reads every part', () => {
    const w = parseWheelFilename('Foo.Bar-1.0.post1-7b-py2.py3-none-any.whl');
    expect(w.name).toBe('Foo.Bar');
    expect(w.normalizedName).toBe('foo-bar');
    expect(w.version.toString()).toBe('1.0.post1');
    expect(w.buildTag).toEqual([7, 'b']);
    expect(w.tags.map(String)).toEqual(['py2-none-any', 'py3-none-any']);
    expect(Object.isFrozen(w)).toBe(true);
  });

  it.each([
    ['foo-1.0-py3-none.whl', 'parts', /has 4 parts, expected NAME-VERSION\[-BUILD\]-PYTHON-ABI-PLATFORM\.whl/],
    ['foo-1.0-py3-none-any', 'extension', /'\.whl'/],
    ['foo__bar-1.0-py3-none-any.whl', 'name', /foo__bar/],
    ['foo-1..0-py3-none-any.whl', 'version', /1\.\.0/],
    ['foo-1.0-x1-py3-none-any.whl', 'build', /x1/],
    ['foo-1.0-py3--any.whl', 'tags', /py3--any/],
  ])('names the file and the wrong part: %s', (filename, part, message) => {
    try {
      parseWheelFilename(filename);
      expect.unreachable();
    } catch (e) {
      expect(isSneakpackError(e, 'INVALID_WHEEL_FILENAME')).toBe(true);
      expect((e as Error).message).toContain(filename);
      expect((e as Error).message).toMatch(message);
      expect((e as { details: { part: string } }).details.part).toBe(part);
    }
  });
});

describe('wheelFilename', () => {
  it('escapes the name and normalises the version', () => {
    expect(wheelFilename({ name: 'Foo.Bar--baz', version: '1.0-1', tags: 'py3-none-any' })).toBe(
      'foo_bar_baz-1.0.post1-py3-none-any.whl',
    );
    expect(wheelFilename({ name: 'x', version: 'V2.0RC1', buildTag: [3, 'a'], tags: parseTag('cp311-abi3-linux_x86_64') })).toBe(
      'x-2.0rc1-3a-cp311-abi3-linux_x86_64.whl',
    );
  });

  it('round-trips generated parts through parseWheelFilename', () => {
    const r = new Rng(7);
    let n = 0;
    for (let i = 0; i < 300; i++) {
      const name = r.pick(['foo', 'Foo.Bar', 'a_b-c', 'zope.interface', 'X']);
      const version = r.pick(['1.0', '2!3.4.5rc1.post2.dev3+loc.1', 'v1', '0.0.1']);
      const tags = r.pick(['py3-none-any', 'py2.py3-none-any', 'cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64']);
      const buildTag = r.chance(0.5) ? r.pick(['1', '22x', '0_a']) : null;
      const f = wheelFilename({ name, version, buildTag, tags });
      const w = parseWheelFilename(f);
      expect(w.normalizedName).toBe(canonicalizeName(name));
      expect(w.name).toBe(escapeWheelName(name));
      expect(w.tags.map(String).sort()).toEqual(parseTag(tags).map(String).sort());
      expect(w.buildTag === null).toBe(buildTag === null);
      n++;
    }
    expect(n).toBe(300);
  });

  it('refuses build tags and tag lists a file name cannot carry', () => {
    expect(() => wheelFilename({ name: 'x', version: '1', buildTag: 'a1', tags: 'py3-none-any' })).toThrow(
      expect.objectContaining({ code: 'INVALID_WHEEL_FILENAME' }),
    );
    expect(() => wheelFilename({ name: 'x', version: '1', buildTag: '1-2', tags: 'py3-none-any' })).toThrow(
      expect.objectContaining({ code: 'INVALID_WHEEL_FILENAME' }),
    );
    expect(() => compressTags([...parseTag('py3-none-any'), ...parseTag('py2-abi3-linux_x86_64')])).toThrow(
      expect.objectContaining({ code: 'INVALID_TAG' }),
    );
  });
});

// --------------------------------------------------------------------------------------------
// Names: canonicalize_name and canonicalize_name(validate=True).

const NAME_CHARS = [
  'a', 'b', 'Z', 'Q', '0', '9', '-', '_', '.', '--', '_.', '-_-', ' ', '+', '!', 'é', 'ß', 'İ', 'ı', 'ſ', 'K', 'Σ',
  'ǅ', '日', '١', '\n', '\t', 'ﬁ', 'Ω',
];
const nameRng = new Rng(503);
const names = new Set<string>(['', 'a', 'A', '-', 'foo\n', 'Foo', 'a-', '-a', 'a--b', 'a._-b', 'ΑΣ', 'ΌΣΟΣ']);
while (names.size < 1500) {
  let s = '';
  const len = nameRng.int(1, 8);
  for (let i = 0; i < len; i++) s += nameRng.chance(0.6) ? nameRng.pick(['a', 'B', 'c', '1', 'x', 'Y']) : nameRng.pick(NAME_CHARS);
  names.add(s);
}
const NAME_CASES = [...names];

describe('canonicalizeName vs packaging.utils.canonicalize_name', () => {
  it(`agrees on ${NAME_CASES.length} generated names (normalised form and validity)`, () => {
    const reference = runReference<[string, boolean][]>(
      `
out = []
for n in INPUT:
    try:
        utils.canonicalize_name(n, validate=True)
        valid = True
    except utils.InvalidName:
        valid = False
    out.append([utils.canonicalize_name(n), valid])
emit(out)
`,
      NAME_CASES,
    );
    const disagreements: unknown[] = [];
    let valid = 0;
    let refusedByDesign = 0;
    NAME_CASES.forEach((n, i) => {
      const [canon, theirValid] = reference[i]!;
      if (canonicalizeName(n) !== canon) disagreements.push({ name: n, mine: canonicalizeName(n), theirs: canon });
      const mine = isValidName(n);
      if (mine !== theirValid) {
        // isValidName refuses what Python's re accepts by accident: non-ASCII case folds of
        // [A-Z] under IGNORECASE (İ ı ſ K) and a trailing newline before `$`.
        if (!mine && /[\u0130\u0131\u017f\u212a]|\n$/.test(n)) refusedByDesign++;
        else disagreements.push({ name: n, mineValid: mine, theirValid });
      }
      if (mine) valid++;
    });
    expect(disagreements.slice(0, 20)).toEqual([]);
    expect(valid).toBeGreaterThan(100);
    expect(refusedByDesign).toBeGreaterThan(0);
  });
});
