import { codeOf } from '../helpers/errors.js';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as archiverModule from 'archiver';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { isSneakpackError } from '../../src/errors.js';
import { findDistInfoDir, readWheelMetadata } from '../../src/sources/index.js';
import { parseRecord, validateRecord } from '../../src/wheel/index.js';
import { Rng } from '../helpers/random.js';
import { runReference } from '../helpers/reference.js';
import { makeWheel, wheelBytes, writeZip } from '../helpers/wheels.js';

// archiver 7 is a CommonJS function (`archiver('zip', options)`); @types/archiver 8 describes the
// class-based archiver 8, so the call is typed by hand.
const archiver = (archiverModule as unknown as { default: (format: 'zip', options: object) => archiverModule.Archiver }).default;

const dir = mkdtempSync(join(tmpdir(), 'sneakpack-wheelzip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const code = async (p: Promise<unknown>): Promise<string> => (await codeOf(p)) ?? 'OK';

async function error(p: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}

describe('test wheel helper', () => {
  it('is deterministic and writes a RECORD that validates', async () => {
    const spec = { name: 'Foo.Bar', version: '1.0', requiresDist: ['baz>=2'], files: { 'foo_bar/__init__.py': 'x = 1\n', 'foo_bar/data.bin': Buffer.from([0, 1, 2]) } };
    const a = wheelBytes(spec);
    const b = wheelBytes(spec);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.filename).toBe('foo_bar-1.0-py3-none-any.whl');
    expect(a.distInfoDir).toBe('foo_bar-1.0.dist-info');
    const path = makeWheel({ dir, ...spec });
    expect(readFileSync(path).equals(a.bytes)).toBe(true);
    // Read it back with yauzl through the code under test, then check RECORD with src/wheel.
    const read = await readWheelMetadata(path);
    expect(read.distInfoDir).toBe('foo_bar-1.0.dist-info');
    expect(read.metadata.name).toBe('Foo.Bar');
    expect(read.metadata.requiresDist.map(String)).toEqual(['baz>=2']);
    expect(read.wheelInfo.rootIsPurelib).toBe(true);
    expect(read.wheelInfo.tags.map(String)).toEqual(['py3-none-any']);
    expect(Buffer.from(read.metadataBytes).equals(a.metadata)).toBe(true);
  });

  it('writes zips Python reads, with RECORD hashes that match (reference: zipfile + pip)', () => {
    const w1 = makeWheel({ dir, name: 'rec-check', version: '2.0', files: { 'rec_check/a.py': 'a', 'rec_check/b, "odd".txt': 'b' } });
    const w2 = makeWheel({ dir, name: 'rec.check2', version: '1!2.0.post1', tags: 'cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64' });
    const out = runReference<{ bad: string | null; issues: string[] }[]>(
      `
import zipfile, csv, io, hashlib, base64
res = []
for p in INPUT:
    with zipfile.ZipFile(p) as z:
        bad = z.testzip()
        issues = []
        rec = [n for n in z.namelist() if n.endswith('.dist-info/RECORD')][0]
        for row in csv.reader(io.StringIO(z.read(rec).decode())):
            path, h, size = row
            if path == rec:
                if h or size: issues.append('RECORD row has hash')
                continue
            data = z.read(path)
            d = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()
            if h != 'sha256=' + d: issues.append(path + ' hash')
            if int(size) != len(data): issues.append(path + ' size')
        listed = {r[0] for r in csv.reader(io.StringIO(z.read(rec).decode()))}
        for n in z.namelist():
            if n not in listed: issues.append(n + ' unlisted')
        res.append({'bad': bad, 'issues': issues})
emit(res)
`,
      [w1, w2],
    );
    expect(out).toEqual([
      { bad: null, issues: [] },
      { bad: null, issues: [] },
    ]);
  });

  it('RECORD entries validate with validateRecord', async () => {
    const spec = { name: 'valid-rec', version: '3.1', files: { 'valid_rec/x.py': 'print(1)\n' } };
    const built = wheelBytes(spec);
    const path = makeWheel({ dir, ...spec });
    const yauzl = (await import('yauzl')).default;
    const zip = await yauzl.openPromise(path, { lazyEntries: true });
    const members: { path: string; size: number; data: Buffer }[] = [];
    for await (const e of zip.eachEntry()) {
      const s = await zip.openReadStreamPromise(e);
      const chunks: Buffer[] = [];
      for await (const c of s) chunks.push(c as Buffer);
      members.push({ path: e.fileName, size: e.uncompressedSize, data: Buffer.concat(chunks) });
    }
    zip.close();
    const record = members.find((m) => m.path === `${built.distInfoDir}/RECORD`)!;
    const entries = parseRecord(record.data.toString('utf8'));
    const { createHash } = await import('node:crypto');
    expect(() =>
      validateRecord(
        entries,
        members.map((m) => ({
          path: m.path,
          size: m.size,
          digest: (alg: string) => createHash(alg).update(m.data).digest('base64url'),
        })),
        { wheel: built.filename, distInfoDir: built.distInfoDir },
      ),
    ).not.toThrow();
  });
});

describe('readWheelMetadata', () => {
  it('tolerates dist-info spellings that normalise to the project (like pip)', async () => {
    const a = makeWheel({ dir, name: 'Foo.Bar', version: '1.0', distInfoDir: 'Foo.Bar-1.0.dist-info', filename: 'foo_bar-1.0-py3-none-any.whl' });
    expect((await readWheelMetadata(a)).distInfoDir).toBe('Foo.Bar-1.0.dist-info');
    // Old tools left '-' unescaped in the name part.
    const sub = join(dir, 'dash');
    const b = makeWheel({ dir: sub, name: 'foo-bar', version: '1.0', distInfoDir: 'foo-bar-1.0.dist-info' });
    expect((await readWheelMetadata(b)).distInfoDir).toBe('foo-bar-1.0.dist-info');
    // PEP 440 equal versions are equal: METADATA 1.0.0 in a 1.0 wheel is fine.
    const c = makeWheel({ dir: join(dir, 'eqv'), name: 'eqv', version: '1.0', metadata: { version: '1.0.0' } });
    expect((await readWheelMetadata(c)).metadata.version.toString()).toBe('1.0.0');
  });

  it('refuses METADATA whose Name or Version disagrees with the file name, naming both', async () => {
    const name = makeWheel({ dir: join(dir, 'mm1'), name: 'good', version: '1.0', metadata: { name: 'evil' } });
    const e1 = await error(readWheelMetadata(name));
    expect(e1.code).toBe('INVALID_WHEEL_FILE');
    expect(e1.message).toContain("'evil'");
    expect(e1.message).toContain("'good'");
    const version = makeWheel({ dir: join(dir, 'mm2'), name: 'good', version: '1.0', metadata: { version: '2.0' } });
    const e2 = await error(readWheelMetadata(version));
    expect(e2.code).toBe('INVALID_WHEEL_FILE');
    expect(e2.message).toContain("'2.0'");
    expect(e2.message).toContain("'1.0'");
    expect(e2.message).toContain('good-1.0-py3-none-any.whl');
  });

  it('requires exactly one .dist-info directory, for this project', async () => {
    const none = makeWheel({ dir: join(dir, 'd0'), name: 'nodist', version: '1.0', omit: ['nodist-1.0.dist-info/METADATA', 'nodist-1.0.dist-info/WHEEL'], noRecord: true });
    expect(await code(readWheelMetadata(none))).toBe('INVALID_WHEEL_FILE');
    const two = makeWheel({
      dir: join(dir, 'd2'),
      name: 'twodist',
      version: '1.0',
      extraEntries: [{ name: 'other-1.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: other\nVersion: 1.0\n' }],
    });
    const e = await error(readWheelMetadata(two));
    expect(e.code).toBe('INVALID_WHEEL_FILE');
    expect(e.message).toContain('other-1.0.dist-info');
    expect(e.message).toContain('twodist-1.0.dist-info');
    const wrong = makeWheel({ dir: join(dir, 'dw'), name: 'foo', version: '1.0', distInfoDir: 'foo_bar-1.0.dist-info' });
    // pip's prefix test would accept 'foo_bar' for 'foo'; we do not.
    expect(await code(readWheelMetadata(wrong))).toBe('INVALID_WHEEL_FILE');
  });

  it('refuses missing or duplicated METADATA / WHEEL members', async () => {
    const noMeta = makeWheel({ dir: join(dir, 'm0'), name: 'nometa', version: '1.0', omit: ['nometa-1.0.dist-info/METADATA'] });
    expect(await code(readWheelMetadata(noMeta))).toBe('INVALID_WHEEL_FILE');
    const noWheel = makeWheel({ dir: join(dir, 'm1'), name: 'nowheel', version: '1.0', omit: ['nowheel-1.0.dist-info/WHEEL'] });
    expect(await code(readWheelMetadata(noWheel))).toBe('INVALID_WHEEL_FILE');
    const dup = makeWheel({
      dir: join(dir, 'm2'),
      name: 'dupmeta',
      version: '1.0',
      extraEntries: [{ name: 'dupmeta-1.0.dist-info/METADATA', data: 'Metadata-Version: 2.1\nName: dupmeta\nVersion: 9.0\n' }],
    });
    const e = await error(readWheelMetadata(dup));
    expect(e.code).toBe('INVALID_WHEEL_FILE');
    expect(e.message).toContain('2 times');
    const badWheel = makeWheel({ dir: join(dir, 'm3'), name: 'badwheel', version: '1.0', wheel: 'Wheel-Version: 2.0\nRoot-Is-Purelib: true\n' });
    expect(await code(readWheelMetadata(badWheel))).toBe('INVALID_WHEEL_FILE');
    const badMeta = makeWheel({ dir: join(dir, 'm4'), name: 'badmeta', version: '1.0', metadata: { requiresDist: ['not a ( requirement'] } });
    expect(await code(readWheelMetadata(badMeta))).toBe('INVALID_METADATA');
  });

  it('refuses oversized METADATA before inflating it, and lying sizes while inflating (zip bombs)', async () => {
    const huge = Buffer.concat([Buffer.from('Metadata-Version: 2.1\nName: bomb\nVersion: 1.0\n\n'), Buffer.alloc(17 * 1024 * 1024, 0x61)]);
    const bomb = makeWheel({ dir: join(dir, 'b1'), name: 'bomb', version: '1.0', metadata: huge });
    const e = await error(readWheelMetadata(bomb));
    expect(e.code).toBe('INVALID_WHEEL_FILE');
    expect(e.message).toContain('METADATA');
    expect(e.message).toMatch(/zip bomb/);
    // Within the default cap it is fine; a smaller cap applies to both METADATA and WHEEL.
    const ok = makeWheel({ dir: join(dir, 'b2'), name: 'fine', version: '1.0' });
    expect(await code(readWheelMetadata(ok, { maxMemberSize: 10 }))).toBe('INVALID_WHEEL_FILE');
    expect(await code(readWheelMetadata(ok))).toBe('OK');
    // The central directory claims 60 bytes; the member inflates to 1 MiB.
    const text = `Metadata-Version: 2.1\nName: liar\nVersion: 1.0\n\n${'x'.repeat(1024 * 1024)}`;
    const liar = wheelBytes({ name: 'liar', version: '1.0', omit: ['liar-1.0.dist-info/METADATA'], noRecord: true });
    const zipped = writeZip([
      { name: 'liar-1.0.dist-info/METADATA', data: text, declaredSize: 60 },
      { name: 'liar-1.0.dist-info/WHEEL', data: 'Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n' },
    ]);
    const liarPath = join(dir, liar.filename);
    writeFileSync(liarPath, zipped);
    expect(await code(readWheelMetadata(liarPath, { maxMemberSize: 1000 }))).toBe('INVALID_WHEEL_FILE');
    expect(await code(readWheelMetadata(liarPath))).toBe('INVALID_WHEEL_FILE');
  });

  it('reports files that are not wheels or not zips', async () => {
    const junk = join(dir, 'junk-1.0-py3-none-any.whl');
    writeFileSync(junk, 'this is not a zip file at all, but long enough to look for an end record');
    expect(await code(readWheelMetadata(junk))).toBe('INVALID_WHEEL_FILE');
    expect(await code(readWheelMetadata(join(dir, 'absent-1.0-py3-none-any.whl')))).toBe('FILE_NOT_FOUND');
    expect(await code(readWheelMetadata(join(dir, 'not-a-wheel.zip')))).toBe('INVALID_WHEEL_FILENAME');
    // A cache entry has no wheel name; the caller supplies it.
    const w = wheelBytes({ name: 'cached', version: '4.0' });
    const blob = join(dir, 'abcdef0123');
    writeFileSync(blob, w.bytes);
    expect((await readWheelMetadata(blob, { filename: w.filename })).metadata.version.toString()).toBe('4.0');
  });

  it('refuses unsafe member names in the zip directory', async () => {
    const w = wheelBytes({ name: 'trav', version: '1.0', extraEntries: [{ name: '../../etc/passwd', data: 'x' }] });
    const p = join(dir, w.filename);
    writeFileSync(p, w.bytes);
    expect(await code(readWheelMetadata(p))).toBe('INVALID_WHEEL_FILE');
    const b = wheelBytes({ name: 'bslash', version: '1.0', extraEntries: [{ name: 'bslash\\evil.py', data: 'x' }] });
    const pb = join(dir, b.filename);
    writeFileSync(pb, b.bytes);
    expect(await code(readWheelMetadata(pb))).toBe('INVALID_WHEEL_FILE');
  });

  it('reads wheels written by another zip tool (archiver: data descriptors, directory entries)', async () => {
    const path = join(dir, 'arch-1.0-py3-none-any.whl');
    await new Promise<void>((resolve, reject) => {
      const out = createWriteStream(path);
      const zip = archiver('zip', { zlib: { level: 6 } });
      out.on('close', () => resolve());
      zip.on('error', reject);
      zip.pipe(out);
      const date = new Date('2000-01-01T00:00:00Z');
      zip.append('', { name: 'arch/', date });
      zip.append('x = 1\n', { name: 'arch/__init__.py', date });
      zip.append('Metadata-Version: 2.1\nName: Arch\nVersion: 1.0\nRequires-Python: >=3.8\n', { name: 'arch-1.0.dist-info/METADATA', date });
      zip.append('Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n', { name: 'arch-1.0.dist-info/WHEEL', date });
      zip.append('', { name: 'arch-1.0.dist-info/RECORD', date });
      void zip.finalize();
    });
    const read = await readWheelMetadata(path);
    expect(read.metadata.requiresPython?.toString()).toBe('>=3.8');
  });
});

describe('findDistInfoDir', () => {
  const sep = fc.constantFrom('-', '_', '.', '--', '_.', '.-_');
  const word = fc.stringMatching(/^[a-z0-9]{1,6}$/);
  it('accepts any spelling of the project and refuses any other project, even one it prefixes (property)', () => {
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 3 }), fc.array(sep, { minLength: 3, maxLength: 3 }), fc.boolean(), word, (parts, seps, upper, other) => {
        const project = parts.join('-');
        let spelled = parts.map((p, i) => (i === 0 ? p : seps[i - 1]! + p)).join('');
        if (upper) spelled = spelled.toUpperCase();
        expect(findDistInfoDir([`${spelled}-1.0.dist-info/METADATA`, 'pkg/x.py'], project, 'w.whl')).toBe(`${spelled}-1.0.dist-info`);
        const otherProject = `${project}-${other}x`;
        expect(() => findDistInfoDir([`${spelled}-1.0.dist-info/METADATA`], otherProject, 'w.whl')).toThrow(/not for project/);
        expect(() => findDistInfoDir([`${otherProject}-1.0.dist-info/METADATA`], project, 'w.whl')).toThrow(/not for project/);
      }),
      { seed: 1234, numRuns: 300 },
    );
  });
});

describe('differential: dist-info discovery and metadata consistency vs pip 24.2', () => {
  it('agrees with pip on generated wheels (modulo our stricter name rule)', async () => {
    const rng = new Rng(20240611);
    const pieces = ['foo', 'bar', 'Baz', 'q1', 'zope', 'x'];
    const seps = ['-', '_', '.', '-_', '__'];
    const cases: { path: string; filename: string; kind: string }[] = [];
    const gdir = join(dir, 'diff');
    for (let i = 0; i < 160; i++) {
      const n = rng.int(1, 3);
      const parts = Array.from({ length: n }, () => rng.pick(pieces));
      const name = parts.map((p, j) => (j === 0 ? p : rng.pick(seps) + p)).join('');
      const version = rng.pick(['1.0', '2.0.1', '1!3.0', '0.1.dev2', '4.0rc1', '1.0.post2']);
      const escaped = name.replace(/[-_.]+/g, '_').toLowerCase();
      const kind = rng.pick(['ok', 'spelled', 'dashed', 'prefix', 'other', 'two', 'none', 'meta-name', 'meta-version', 'meta-eqv', 'no-metadata']);
      const spec: Parameters<typeof makeWheel>[0] = { dir: join(gdir, String(i)), name, version };
      const extra: { name: string; data: string }[] = [];
      switch (kind) {
        case 'spelled':
          Object.assign(spec, { distInfoDir: `${name}-${version}.dist-info` });
          break;
        case 'dashed':
          Object.assign(spec, { distInfoDir: `${name.replace(/[_.]/g, '-')}-${version}.dist-info` });
          break;
        case 'prefix':
          Object.assign(spec, { distInfoDir: `${escaped}_${rng.pick(pieces)}-${version}.dist-info` });
          break;
        case 'other':
          Object.assign(spec, { distInfoDir: `zz${escaped}-${version}.dist-info` });
          break;
        case 'two':
          extra.push({ name: `${rng.pick(['zzz', escaped])}-9.dist-info/METADATA`, data: 'Metadata-Version: 2.1\nName: zzz\nVersion: 9\n' });
          break;
        case 'none':
          Object.assign(spec, { distInfoDir: `${escaped}-${version}.info`, noRecord: true });
          break;
        case 'meta-name':
          Object.assign(spec, { metadata: { name: `${name}${rng.pick(['-x', 'y'])}` } });
          break;
        case 'meta-version':
          Object.assign(spec, { metadata: { version: `${version}.1` } });
          break;
        case 'meta-eqv':
          Object.assign(spec, { metadata: { version: version.replace(/^(\d+!)?(\d+)\.(\d+)/, '$1$2.$3.0'), name: name.toUpperCase() } });
          break;
        case 'no-metadata':
          Object.assign(spec, { omit: [`${escaped}-${version}.dist-info/METADATA`] });
          break;
      }
      if (extra.length > 0) Object.assign(spec, { extraEntries: extra });
      const path = makeWheel(spec);
      cases.push({ path, filename: path.slice(path.lastIndexOf('/') + 1), kind });
    }
    const expected = runReference<{ ok: boolean; dir: string | null; why: string }[]>(
      `
import zipfile, email.parser
from pip._internal.utils.wheel import parse_wheel
from pip._internal.exceptions import UnsupportedWheel
def valid_version(v):
    try:
        version.Version(v)
        return True
    except version.InvalidVersion:
        return False
res = []
for c in INPUT:
    fn = utils.parse_wheel_filename(c['filename'])
    name, ver = fn[0], fn[1]
    try:
        with zipfile.ZipFile(c['path']) as z:
            info_dir, _ = parse_wheel(z, name)
            # our stricter rule: the part before some '-' must canonicalise to the project
            stem = info_dir[:-len('.dist-info')]
            if not any(stem[i] == '-' and utils.canonicalize_name(stem[:i]) == name and valid_version(stem[i+1:]) for i in range(1, len(stem))):
                res.append({'ok': False, 'dir': info_dir, 'why': 'stricter-name'}); continue
            meta = email.parser.BytesParser().parsebytes(z.read(info_dir + '/METADATA'))
            if utils.canonicalize_name(meta['Name']) != name or version.Version(meta['Version']) != ver:
                res.append({'ok': False, 'dir': info_dir, 'why': 'inconsistent'}); continue
            res.append({'ok': True, 'dir': info_dir, 'why': ''})
    except (UnsupportedWheel, KeyError, version.InvalidVersion) as e:
        res.append({'ok': False, 'dir': None, 'why': type(e).__name__ + ': ' + str(e)})
emit(res)
`,
      cases,
    );
    const disagreements: string[] = [];
    const kinds = new Map<string, number>();
    for (let i = 0; i < cases.length; i++) {
      const c = cases[i]!;
      const want = expected[i]!;
      kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
      let got: { ok: boolean; dir: string | null; code?: string };
      try {
        const r = await readWheelMetadata(c.path);
        got = { ok: true, dir: r.distInfoDir };
      } catch (e) {
        if (!isSneakpackError(e)) throw e;
        got = { ok: false, dir: null, code: e.code };
      }
      if (got.ok !== want.ok || (got.ok && got.dir !== want.dir)) {
        disagreements.push(`${c.kind} ${c.filename}: pip ${JSON.stringify(want)} vs ours ${JSON.stringify(got)}`);
      }
      if (!got.ok) expect(['INVALID_WHEEL_FILE', 'INVALID_METADATA']).toContain(got.code);
    }
    expect(disagreements.slice(0, 20)).toEqual([]);
    // The generator must actually reach every kind, and both verdicts.
    expect(kinds.size).toBe(11);
    expect(expected.filter((e) => e.ok).length).toBeGreaterThan(30);
    expect(expected.filter((e) => !e.ok).length).toBeGreaterThan(30);
    expect(expected.some((e) => e.why === 'stricter-name')).toBe(true);
  });
});
