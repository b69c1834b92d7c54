import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseVersion } from '../../src/pep440/index.js';
import { FindLinksSource, classifyFilename, multiSource, type DistFile } from '../../src/sources/index.js';
import { Rng } from '../helpers/random.js';
import { runReference } from '../helpers/reference.js';
import { makeWheel, sha256Hex, wheelBytes } from '../helpers/wheels.js';
import { codeOf } from '../helpers/errors.js';

const root = mkdtempSync(join(tmpdir(), 'sneakpack-findlinks-'));
const dir = join(root, 'wheels');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const code = async (p: Promise<unknown>): Promise<string> => (await codeOf(p)) ?? 'OK';

const summary = (f: DistFile) => ({ filename: f.filename, kind: f.kind, project: f.project, version: f.version?.toString() });

beforeAll(() => {
  makeWheel({ dir, name: 'Foo', version: '1.0' });
  makeWheel({ dir, name: 'foo', version: '2.0', tags: 'cp312-cp312-manylinux_2_17_x86_64', requiresDist: ['bar>=1'] });
  makeWheel({ dir, name: 'foo', version: '2.0', buildTag: '1', tags: 'py3-none-any' });
  makeWheel({ dir, name: 'foo.bar', version: '0.5' });
  makeWheel({ dir, name: 'liar', version: '1.0', metadata: { version: '1.1' } });
  writeFileSync(join(dir, 'foo-3.0.tar.gz'), 'not really a tarball');
  writeFileSync(join(dir, 'foo-bar-0.6.zip'), 'not really a zip');
  writeFileSync(join(dir, 'foo-notaversion.tar.gz'), 'x');
  writeFileSync(join(dir, 'README.txt'), 'hello');
  writeFileSync(join(dir, 'foo-1.0.whl'), 'bad wheel name: too few parts');
  writeFileSync(join(dir, 'foo-bar-1.0-py3-none-any.whl'), 'bad wheel name: unescaped dash');
  mkdirSync(join(dir, 'sub'));
  makeWheel({ dir: join(dir, 'sub'), name: 'foo', version: '9.0' }); // not recursive: never listed
  makeWheel({ dir: join(root, 'elsewhere'), name: 'foo', version: '3.5' });
  symlinkSync(join(root, 'elsewhere', 'foo-3.5-py3-none-any.whl'), join(dir, 'foo-3.5-py3-none-any.whl'));
  symlinkSync(join(root, 'nowhere.whl'), join(dir, 'dangling-1.0-py3-none-any.whl'));
});

describe('FindLinksSource', () => {
  it('lists a mixed folder for a project, in name order, classifying every file', async () => {
    const src = new FindLinksSource(dir);
    const files = await src.listFiles('FOO');
    expect(files.map(summary)).toEqual([
      { filename: 'foo-1.0-py3-none-any.whl', kind: 'wheel', project: 'foo', version: '1.0' },
      { filename: 'foo-1.0.whl', kind: 'other', project: 'foo', version: undefined },
      { filename: 'foo-2.0-1-py3-none-any.whl', kind: 'wheel', project: 'foo', version: '2.0' },
      { filename: 'foo-2.0-cp312-cp312-manylinux_2_17_x86_64.whl', kind: 'wheel', project: 'foo', version: '2.0' },
      { filename: 'foo-3.0.tar.gz', kind: 'sdist', project: 'foo', version: '3.0' },
      { filename: 'foo-3.5-py3-none-any.whl', kind: 'wheel', project: 'foo', version: '3.5' },
      { filename: 'foo-notaversion.tar.gz', kind: 'sdist', project: 'foo', version: undefined },
    ]);
    const bad = files.find((f) => f.filename === 'foo-1.0.whl')!;
    expect(bad.reason).toMatch(/foo-1\.0\.whl/);
    expect(files.find((f) => f.filename === 'foo-notaversion.tar.gz')!.reason).toMatch(/invalid version/);
    const built = files.find((f) => f.filename === 'foo-2.0-1-py3-none-any.whl')!;
    expect(built.wheel?.buildTag).toEqual([1, '']);
    expect(built.wheel?.tags.map(String)).toEqual(['py3-none-any']);
    for (const f of files) {
      expect(f.yanked).toBe(false);
      expect(f.hashes).toEqual({});
      expect(f.sourceLabel).toBe(dir);
      expect(f.location).toEqual({ type: 'path', path: join(dir, f.filename) });
      expect(Object.isFrozen(f)).toBe(true);
    }
    expect(files[0]!.size).toBe(wheelBytes({ name: 'Foo', version: '1.0' }).bytes.length);
  });

  it('matches names with separators the way pip does (foo.bar = foo-bar = foo_bar)', async () => {
    const src = new FindLinksSource(dir);
    const files = await src.listFiles('Foo_Bar');
    expect(files.map(summary)).toEqual([
      { filename: 'foo-bar-0.6.zip', kind: 'sdist', project: 'foo-bar', version: '0.6' },
      { filename: 'foo-bar-1.0-py3-none-any.whl', kind: 'other', project: 'foo-bar', version: undefined },
      { filename: 'foo_bar-0.5-py3-none-any.whl', kind: 'wheel', project: 'foo-bar', version: '0.5' },
    ]);
    expect(await src.listFiles('unknown')).toEqual([]);
  });

  it('listAll reports junk and broken names instead of failing', async () => {
    const all = await new FindLinksSource(dir).listAll();
    const readme = all.find((f) => f.filename === 'README.txt')!;
    expect(readme.kind).toBe('other');
    expect(readme.project).toBe('');
    expect(readme.reason).toMatch(/not a wheel or a source archive/);
    expect(all.some((f) => f.filename === 'sub')).toBe(false);
    expect(all.some((f) => f.filename.startsWith('dangling'))).toBe(false);
    expect(all.some((f) => f.filename === 'foo-9.0-py3-none-any.whl')).toBe(false);
    expect(all.length).toBe(12);
  });

  it('reads metadata from the wheel, and refuses sdists and lying wheels', async () => {
    const src = new FindLinksSource(dir, { label: 'local' });
    const files = await src.listFiles('foo');
    const whl = files.find((f) => f.filename === 'foo-2.0-cp312-cp312-manylinux_2_17_x86_64.whl')!;
    expect(whl.sourceLabel).toBe('local');
    const md = await src.readMetadata(whl);
    expect(md.requiresDist.map(String)).toEqual(['bar>=1']);
    expect(await code(src.readMetadata(files.find((f) => f.kind === 'sdist')!))).toBe('INVALID_WHEEL_FILENAME');
    expect(await code(src.readMetadata(files.find((f) => f.kind === 'other')!))).toBe('INVALID_WHEEL_FILENAME');
    const [liar] = await src.listFiles('liar');
    expect(await code(src.readMetadata(liar!))).toBe('INVALID_WHEEL_FILE');
  });

  it('hashes on fetch, and checks hashes it was given', async () => {
    const src = new FindLinksSource(dir);
    const [f] = await src.listFiles('foo');
    const fetched = await src.fetch(f!);
    const expected = wheelBytes({ name: 'Foo', version: '1.0' });
    expect(fetched).toEqual({ path: join(dir, f!.filename), sha256: expected.sha256, size: expected.bytes.length });
    expect(await code(src.fetch({ ...f!, hashes: { sha256: expected.sha256 } }))).toBe('OK');
    expect(await code(src.fetch({ ...f!, hashes: { sha256: '0'.repeat(64) } }))).toBe('HASH_MISMATCH');
    expect(await code(src.fetch({ ...f!, hashes: { md5: '0'.repeat(32) } }))).toBe('HASH_MISMATCH');
    expect(await code(src.fetch({ ...f!, location: { type: 'path', path: join(dir, 'gone.whl') } }))).toBe('FILE_NOT_FOUND');
  });

  it('hashes a symlinked wheel through the link', async () => {
    const src = new FindLinksSource(dir);
    const f = (await src.listFiles('foo')).find((x) => x.filename === 'foo-3.5-py3-none-any.whl')!;
    expect((await src.fetch(f)).sha256).toBe(sha256Hex(wheelBytes({ name: 'foo', version: '3.5' }).bytes));
  });

  it('reports a missing folder', async () => {
    expect(await code(new FindLinksSource(join(root, 'missing')).listFiles('foo'))).toBe('FILE_NOT_FOUND');
  });
});

describe('multiSource', () => {
  it('merges in order, keeps the first source for a duplicate file name, and routes fetches back', async () => {
    const second = join(root, 'second');
    makeWheel({ dir: second, name: 'foo', version: '1.0', summary: 'second copy' }); // same name, other bytes
    makeWheel({ dir: second, name: 'foo', version: '4.0' });
    const a = new FindLinksSource(dir, { label: 'a' });
    const b = new FindLinksSource(second, { label: 'b' });
    const both = multiSource([a, b]);
    expect(both.label).toBe('a + b');
    const files = await both.listFiles('foo');
    expect(files.filter((f) => f.filename === 'foo-1.0-py3-none-any.whl').map((f) => f.sourceLabel)).toEqual(['a']);
    expect(files.map((f) => f.filename).slice(-1)).toEqual(['foo-4.0-py3-none-any.whl']);
    const four = files.find((f) => f.filename === 'foo-4.0-py3-none-any.whl')!;
    expect(four.sourceLabel).toBe('b');
    expect((await both.fetch(four)).path).toBe(join(second, four.filename));
    expect((await both.readMetadata(four)).version.toString()).toBe('4.0');
    const one = files.find((f) => f.filename === 'foo-1.0-py3-none-any.whl')!;
    expect((await both.fetch(one)).sha256).toBe(wheelBytes({ name: 'Foo', version: '1.0' }).sha256);
    // The reverse order prefers b's copy.
    const reversed = await multiSource([b, a]).listFiles('foo');
    expect(reversed.find((f) => f.filename === 'foo-1.0-py3-none-any.whl')!.sourceLabel).toBe('b');
    expect(() => multiSource([a, new FindLinksSource(second, { label: 'a' })])).toThrow(/labelled 'a'/);
    expect(await code(both.fetch({ ...four, sourceLabel: 'c' }))).toBe('USAGE');
  });
});

describe('differential: sdist file names vs packaging 24.1 parse_sdist_filename and pip _extract_version_from_fragment', () => {
  it('agrees on generated names', () => {
    const rng = new Rng(77);
    const words = ['foo', 'bar', 'Foo', 'x1', 'a', 'zope', '2to3'];
    const seps = ['-', '_', '.', '--', '_-'];
    const versions = ['1.0', '2.0.post1', '1!0.1', '1.0rc1', 'notaversion', '1.0-1', '', '1.0.dev3', 'v1.2', '1.0+local.7', '1..0'];
    const cases: { filename: string; stem: string; project: string }[] = [];
    for (let i = 0; i < 400; i++) {
      const n = rng.int(1, 3);
      const name = Array.from({ length: n }, (_, j) => (j === 0 ? '' : rng.pick(seps)) + rng.pick(words)).join('');
      const v = rng.pick(versions);
      const stem = v === '' ? name : `${name}-${v}`;
      const ext = rng.pick(['.tar.gz', '.zip']);
      // The project asked for: usually this one, sometimes a prefix or a longer name.
      const canon = name.replace(/[-_.]+/g, '-').toLowerCase();
      const project = rng.pick([canon, canon, canon.split('-')[0]!, `${canon}-bar`]);
      cases.push({ filename: stem + ext, stem, project });
    }
    const ref = runReference<{ plain: [string, string] | null; guided: string | null }[]>(
      `
from pip._internal.index.package_finder import _extract_version_from_fragment
out = []
for c in INPUT:
    try:
        n, v = utils.parse_sdist_filename(c['filename'])
        plain = [n, str(v)]
    except utils.InvalidSdistFilename:
        plain = None
    out.append({'plain': plain, 'guided': _extract_version_from_fragment(c['stem'], c['project'])})
emit(out)
`,
      cases,
    );
    const bad: string[] = [];
    let guidedHits = 0;
    let plainHits = 0;
    cases.forEach((c, i) => {
      const r = ref[i]!;
      const plain = classifyFilename(c.filename);
      const ours = plain.version && !plain.reason ? [plain.project, plain.version.toString()] : null;
      // packaging takes an empty name part; we call that "no version" (sep <= 0): not generated.
      if (JSON.stringify(ours) !== JSON.stringify(r.plain)) bad.push(`plain ${c.filename}: ours ${JSON.stringify(ours)} packaging ${JSON.stringify(r.plain)}`);
      if (r.plain) plainHits++;
      // Guided by the project: pip's split point; pip keeps any version text, we keep valid ones.
      const guided = classifyFilename(c.filename, c.project);
      let want: string | null = null;
      try {
        if (r.guided !== null) want = runVersion(r.guided);
      } catch {
        want = null;
      }
      if (want !== null) {
        // pip found this project and a valid version: so must we.
        guidedHits++;
        const got = guided.project === c.project ? (guided.version?.toString() ?? null) : null;
        if (got !== want) bad.push(`guided ${c.filename} for ${c.project}: ours ${got} pip ${r.guided}`);
      } else if (r.guided !== null) {
        // pip splits for this project but the version is invalid, so pip skips the file for it.
        if (guided.project === c.project && guided.version) {
          bad.push(`guided ${c.filename} for ${c.project}: ours ${guided.version} but pip's version '${r.guided}' is invalid`);
        }
      } else if (guided.project === c.project && guided.version) {
        bad.push(`guided ${c.filename} for ${c.project}: ours matched ${guided.version} but pip found no split`);
      }
    });
    expect(bad.slice(0, 20)).toEqual([]);
    expect(guidedHits).toBeGreaterThan(100);
    expect(plainHits).toBeGreaterThan(100);
    expect(plainHits).toBeLessThan(cases.length);
  });
});

/** The normalised form of a version text; throws when it is not PEP 440 (our parser, itself differential-tested). */
function runVersion(text: string): string {
  return parseVersion(text).toString();
}
