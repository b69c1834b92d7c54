/**
 * The bundle API: what writeBundle puts in the manifest and refuses to write, what extractBundle
 * writes, inspectBundle, and bounded memory on a large bundle.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BundleInput,
  type WrittenBundle,
  GZIP_HEADER,
  bundleFileName,
  bundleStem,
  bundleTarget,
  expectedTarSize,
  extractBundle,
  inspectBundle,
  verifyBundle,
  writeBundle,
} from '../../src/bundle/index.js';
import { resolveTarget } from '../../src/target/index.js';
import { appContents, codeOf, listTree, makeInput, removeDir, tempDir, writeKeys } from './fixtures.js';

let dir: string;
let keys: Awaited<ReturnType<typeof writeKeys>>;
let input: BundleInput;
let bundle: WrittenBundle;

beforeAll(async () => {
  dir = tempDir();
  keys = await writeKeys(join(dir, 'keys'), 'alice');
  input = makeInput(join(dir, 'src'));
  bundle = await writeBundle(input, { secretKey: keys.pair.secretKey, secretKeyFile: keys.sec, outDir: dir });
});
afterAll(() => removeDir(dir));

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const write = (i: BundleInput, outDir = join(dir, 'out')): Promise<WrittenBundle> => {
  mkdirSync(outDir, { recursive: true });
  return writeBundle(i, { secretKey: keys.pair.secretKey, outDir });
};

describe('names', () => {
  it('names bundles NAME-VERSION-TARGET, keeping each part readable and the dashes as separators', () => {
    const t = { name: 'debian12-armhf', compact: 'cp311-manylinux_2_36_armv7l' };
    expect(bundleStem({ name: 'schoolapp', version: '1.2.0' }, t)).toBe('schoolapp-1.2.0-cp311-manylinux_2_36_armv7l');
    expect(bundleStem({ name: 'School-App.Web', version: '1!2.0+local.1' }, t)).toBe('School_App_Web-1_2.0+local.1-cp311-manylinux_2_36_armv7l');
    expect(bundleStem({ name: 'x', version: '1' }, { name: 'profiles/my box.json', compact: null })).toBe('x-1-profiles_my_box.json');
    expect(bundleFileName({ app: { name: 'x', version: '1' }, target: t }, true)).toBe('x-1-cp311-manylinux_2_36_armv7l.tar.gz');
    expect(bundleFileName(bundle.manifest)).toBe('schoolapp-1.2.0-cp311-manylinux_2_36_armv7l.tar');
  });

  it('records a resolved target with its tags and marker environment', () => {
    const t = bundleTarget(resolveTarget('cp311-manylinux_2_36_armv7l'));
    expect(t.compact).toBe('cp311-manylinux_2_36_armv7l');
    expect((t.profile.tags as string[])[0]).toBe('cp311-cp311-manylinux_2_36_armv7l');
    expect(t.profile.marker_environment).toMatchObject({ platform_machine: 'armv7l', python_version: '3.11' });
  });
});

describe('writeBundle', () => {
  it('writes the manifest: format, app, target, wheels, every file with size/sha256/mode, builder, signer, created', () => {
    const m = bundle.manifest;
    expect(m.format).toBe(1);
    expect(m.app).toEqual({ name: 'schoolapp', version: '1.2.0', scripts: { schoolapp: 'schoolapp.main:main' }, post_install: [['python', '-m', 'schoolapp', 'migrate']], data_dir_env: 'SCHOOLAPP_DATA', requires_python: '>=3.9', keep_releases: 3 });
    expect(m.target).toEqual(input.target);
    expect(m.builder.name).toBe('sneakpack');
    expect(m.signer).toEqual({ keynum: keys.pair.publicKey.keynum, comment: 'verify with alice.pub' });
    expect(m.created).toBe(1700000000);
    expect(m.wheels.map((w) => w.file)).toEqual(input.wheels.map((w) => w.filename).sort());
    for (const w of m.wheels) {
      const src = input.wheels.find((x) => x.filename === w.file)!;
      const data = readFileSync(src.path);
      expect(w).toEqual({ file: src.filename, name: src.name, version: src.version, tags: src.tags, size: data.length, sha256: sha(data), requires_python: src.requires_python ?? null });
    }
    const app = appContents();
    expect(m.files.map((f) => f.path)).toEqual(['pylock.toml', ...m.wheels.map((w) => `wheels/${w.file}`), ...app.map((f) => `app/${f.path}`).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))]);
    for (const f of app) {
      const e = m.files.find((x) => x.path === `app/${f.path}`)!;
      expect(e).toEqual({ path: `app/${f.path}`, size: f.data.length, sha256: sha(f.data), mode: f.exec ? '0755' : '0644' });
    }
    expect(m.files[0]).toEqual({ path: 'pylock.toml', size: Buffer.byteLength(input.lockText), sha256: sha(Buffer.from(input.lockText)), mode: '0644' });
    expect(statSync(bundle.path).size).toBe(bundle.size);
  });

  it('refuses paths it cannot store safely, with the offending path in the message', async () => {
    const withApp = (path: string): BundleInput => ({ ...input, appFiles: [...input.appFiles, { path, absPath: input.appFiles[0]!.absPath, mode: 0o644 }] });
    expect(await codeOf(write(withApp('../escape.py')))).toBe('UNSAFE_PATH');
    expect(await codeOf(write(withApp('/abs.py')))).toBe('UNSAFE_PATH');
    expect(await codeOf(write(withApp('dir/')))).toBe('USAGE');
    expect(await codeOf(write(withApp('a)b.py')))).toBe('USAGE');
    expect(await codeOf(write(withApp('back\\slash.py')))).toBe('USAGE');
    expect(await codeOf(write(withApp('cafe\u0301.py')))).toBe('USAGE');
    expect(await codeOf(write(withApp('PyProject.TOML')))).toBe('BUNDLE_DUPLICATE_ENTRY');
    expect(await codeOf(write(withApp('pyproject.toml/inner.py')))).toBe('BUNDLE_DUPLICATE_ENTRY');
    await expect(write(withApp('PyProject.TOML'))).rejects.toThrow('app/PyProject.TOML');
    expect(await codeOf(write({ ...input, wheels: [...input.wheels, { ...input.wheels[0]! }] }))).toBe('BUNDLE_DUPLICATE_ENTRY');
    expect(await codeOf(write({ ...input, wheels: [{ ...input.wheels[0]!, filename: 'x.zip' }] }))).toBe('USAGE');
    expect(await codeOf(write({ ...input, wheels: [{ ...input.wheels[0]!, filename: 'a/b.whl' }] }))).toBe('USAGE');
  });

  it('refuses inputs that are not regular files, or missing, and leaves no temporary file behind', async () => {
    const out = join(dir, 'refusals');
    const folder = join(dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    expect(await codeOf(write({ ...input, appFiles: [{ path: 'x', absPath: folder, mode: 0o644 }] }, out))).toBe('UNSUPPORTED_FILE');
    expect(await codeOf(write({ ...input, appFiles: [{ path: 'x', absPath: join(dir, 'missing'), mode: 0o644 }] }, out))).toBe('FILE_NOT_FOUND');
    symlinkSync('/dev/null', join(dir, 'devnull-link'));
    expect(await codeOf(write({ ...input, appFiles: [{ path: 'x', absPath: join(dir, 'devnull-link'), mode: 0o644 }] }, out))).toBe('UNSUPPORTED_FILE');
    expect(readdirSync(out)).toEqual([]);
  });

  it('notices a file that changes between hashing and writing, and writes nothing', async () => {
    const src = join(dir, 'changing');
    const i = makeInput(src);
    const out = join(dir, 'changing-out');
    mkdirSync(out);
    const victim = i.appFiles.find((f) => f.path === 'static/logo.bin')!.absPath;
    let changed = false;
    const p = writeBundle(i, {
      secretKey: keys.pair.secretKey,
      outDir: out,
      onProgress: (e) => {
        if (e.phase === 'write' && !changed) {
          changed = true;
          writeFileSync(victim, 'replaced while building');
        }
      },
    });
    expect(await codeOf(p)).toBe('BUNDLE_INPUT_CHANGED');
    expect(readdirSync(out)).toEqual([]);
  });

  it('takes the wheels\' sha256 and size from the caller: the same bytes, and the copy is still checked against them', async () => {
    const known = { ...input, wheels: input.wheels.map((w) => ({ ...w, sha256: sha(readFileSync(w.path)), size: statSync(w.path).size })) };
    const plain = await write(input, join(dir, 'unknown'));
    const same = await write(known, join(dir, 'known'));
    expect(same.sha256).toBe(plain.sha256);
    expect(readFileSync(same.path).equals(readFileSync(plain.path))).toBe(true);
    const events: string[] = [];
    const seen = writeBundle(known, { secretKey: keys.pair.secretKey, outDir: join(dir, 'known'), onProgress: (e) => events.push(`${e.phase} ${e.path}`) });
    await seen;
    // Given digests are not recomputed, but progress still covers every file.
    expect(events.filter((e) => e.startsWith('hash wheels/')).length).toBe(input.wheels.length);

    const first = known.wheels[0]!;
    const wrongSha = { ...known, wheels: [{ ...first, sha256: sha(Buffer.from('something else')) }, ...known.wheels.slice(1)] };
    const out = join(dir, 'known-wrong');
    expect(await codeOf(write(wrongSha, out))).toBe('BUNDLE_INPUT_CHANGED');
    const wrongSize = { ...known, wheels: [{ ...first, size: first.size + 1 }, ...known.wheels.slice(1)] };
    expect(await codeOf(write(wrongSize, out))).toBe('BUNDLE_INPUT_CHANGED');
    expect(readdirSync(out)).toEqual([]);
    const half = { ...known, wheels: [{ ...first, size: undefined }, ...known.wheels.slice(1)] };
    expect(await codeOf(write(half, out))).toBe('USAGE');
    const upper = { ...known, wheels: [{ ...first, sha256: first.sha256.toUpperCase() }, ...known.wheels.slice(1)] };
    expect(await codeOf(write(upper, out))).toBe('USAGE');
  });

  it('reports progress for both passes, ending at the total', async () => {
    const events: Array<{ phase: string; bytesDone: number; bytesTotal: number }> = [];
    mkdirSync(join(dir, 'progress'));
    await writeBundle(input, { secretKey: keys.pair.secretKey, outDir: join(dir, 'progress'), onProgress: (e) => events.push(e) });
    for (const phase of ['hash', 'write']) {
      const ev = events.filter((e) => e.phase === phase);
      expect(ev.length).toBeGreaterThan(0);
      expect(ev.every((e, k) => k === 0 || e.bytesDone >= ev[k - 1]!.bytesDone)).toBe(true);
      expect(ev[ev.length - 1]!.bytesDone).toBe(ev[0]!.bytesTotal);
    }
  });
});

describe('extractBundle and inspectBundle', () => {
  it('extracts every file with its mode and the bundle mtime, and returns what verify returns', async () => {
    const dest = join(dir, 'extracted');
    const x = await extractBundle(bundle.path, dest, { trusted: keys.trusted });
    const v = await verifyBundle(bundle.path, { trusted: keys.trusted });
    expect(x).toEqual(v);
    expect(v.summary).toBe(`schoolapp 1.2.0 for cp311-manylinux_2_36_armv7l, signed by key ${keys.pair.publicKey.keynum} (${keys.pub})`);
    expect(v.entries).toBe(bundle.manifest.files.length + 2);
    expect(v.tarBytes).toBe(bundle.size);
    // The exact length follows from the manifest and the two first entries' sizes.
    expect(expectedTarSize(v.manifest, v.stem, statSync(join(dest, 'SHA256.sig')).size, statSync(join(dest, 'manifest.json')).size)).toBe(bundle.size);
    expect(listTree(dest).filter((n) => !n.endsWith('/'))).toEqual(['SHA256.sig', 'manifest.json', ...bundle.manifest.files.map((f) => f.path)].sort());
    for (const f of bundle.manifest.files) {
      const abs = join(dest, f.path);
      expect(sha(readFileSync(abs))).toBe(f.sha256);
      const st = statSync(abs);
      expect((st.mode & 0o777).toString(8)).toBe(f.mode.slice(1));
      expect(st.mtimeMs).toBe(bundle.manifest.created * 1000);
    }
  });

  it('refuses a destination that is not empty, and leaves it alone', async () => {
    const dest = join(dir, 'busy');
    mkdirSync(dest);
    writeFileSync(join(dest, 'keep.txt'), 'mine');
    expect(await codeOf(extractBundle(bundle.path, dest, { trusted: keys.trusted }))).toBe('FILE_EXISTS');
    expect(listTree(dest)).toEqual(['keep.txt']);
  });

  it('inspects without keys and says it did not verify', async () => {
    const r = await inspectBundle(bundle.path);
    expect(r.verified).toBe(false);
    expect(r.manifest).toEqual(bundle.manifest);
    expect(r.keynum).toBe(keys.pair.publicKey.keynum);
    expect(r.totalSize).toBe(bundle.manifest.files.reduce((n, f) => n + f.size, 0));
    expect(r.wheelsSize).toBe(bundle.manifest.wheels.reduce((n, w) => n + w.size, 0));
    expect(r.fileSize).toBe(bundle.size);
  });

  it('verifies with an in-memory key (no file to name)', async () => {
    const v = await verifyBundle(bundle.path, { trusted: new Map([[keys.pair.publicKey.keynum, { publicKey: keys.pair.publicKey }]]) });
    expect(v.signerFile).toBeNull();
    expect(v.summary.endsWith(keys.pair.publicKey.keynum)).toBe(true);
  });
});

describe('the bundle file sha256', () => {
  it('equals sha256sum of the whole file for a plain and a gzip bundle, from verify and extract alike', async () => {
    // One small bundle (a single read), then 2.5 MB of incompressible wheel bytes, so that the
    // plain file and the gzip file both span several 1 MiB reads.
    const small = await verifyBundle(bundle.path, { trusted: keys.trusted });
    expect(small.sha256).toBe(sha(readFileSync(bundle.path)));
    const i = makeInput(join(dir, 'digest-src'), { wheelSizes: [3000, 2_500_000, 700] });
    for (const gzip of [false, true]) {
      const out = join(dir, gzip ? 'digest-gz' : 'digest-tar');
      mkdirSync(out, { recursive: true });
      const b = await writeBundle(i, { secretKey: keys.pair.secretKey, outDir: out, gzip });
      expect(b.path.endsWith(gzip ? '.tar.gz' : '.tar')).toBe(true);
      const expected = sha(readFileSync(b.path));
      const v = await verifyBundle(b.path, { trusted: keys.trusted });
      expect(v.compressed).toBe(gzip);
      expect(v.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(v.sha256).toBe(expected);
      expect(v.sha256).toBe(b.sha256);
      const x = await extractBundle(b.path, join(out, 'x'), { trusted: keys.trusted });
      expect(x.sha256).toBe(expected);
    }
  });

  it('is the digest of the file as stored: another gzip encoding of the same tar verifies with its own digest', async () => {
    // The same tar deflated at another level: the same entries, other file bytes, another digest.
    const out = join(dir, 'digest-regz');
    mkdirSync(out, { recursive: true });
    const other = join(out, 'other.tar.gz');
    writeFileSync(other, gzipSync(readFileSync(bundle.path), { level: 1 }));
    // Node writes its OS byte (and maybe XFL): force sneakpack's canonical header.
    const gz = readFileSync(other);
    GZIP_HEADER.copy(gz, 0);
    writeFileSync(other, gz);
    const v = await verifyBundle(other, { trusted: keys.trusted });
    expect(v.sha256).toBe(sha(gz));
    expect(v.sha256).not.toBe((await verifyBundle(bundle.path, { trusted: keys.trusted })).sha256);
  });
});

describe('bounded memory', () => {
  it('builds, verifies and extracts a bundle with a 256 MB wheel without holding it in memory', async () => {
    const big = join(dir, 'big');
    mkdirSync(big);
    const wheel = join(big, 'huge-1.0-py3-none-any.whl');
    writeFileSync(wheel, '');
    truncateSync(wheel, 256 * 1024 * 1024); // sparse: cheap to create
    chmodSync(wheel, 0o644);
    const i: BundleInput = { ...input, wheels: [{ path: wheel, filename: 'huge-1.0-py3-none-any.whl', name: 'huge', version: '1.0', tags: ['py3-none-any'] }] };
    const base = process.memoryUsage();
    let peak = 0;
    const sample = (): void => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers);
    };
    const b = await writeBundle(i, { secretKey: keys.pair.secretKey, outDir: big, onProgress: sample });
    const v = await verifyBundle(b.path, { trusted: keys.trusted, onProgress: sample });
    // The whole-file digest of the same pass, over hundreds of reads.
    expect(v.sha256).toBe(b.sha256);
    await extractBundle(b.path, join(big, 'x'), { trusted: keys.trusted, onProgress: sample });
    expect(statSync(join(big, 'x', 'wheels', 'huge-1.0-py3-none-any.whl')).size).toBe(256 * 1024 * 1024);
    // A few 1 MiB chunks in flight, never the 256 MB wheel.
    expect(peak).toBeLessThan(64 * 1024 * 1024);
  });
});
